//! How long the token service takes to verify and to sign one access token.
//!
//! ```sh
//! cargo bench -p quartet-server --bench token
//! ```

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use quartet_server::oauth::{ClientStore, TokenService};

fn token_service(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pool = quartet_server::db::open(dir.path(), &quartet_server::migrations())
        .expect("the database opens");
    let conn = pool.get().expect("a connection");
    let (client, _) = ClientStore::create(
        &conn,
        None,
        &["image_inference".to_owned()],
        "enterprise",
        None,
    )
    .expect("a client");
    let service = TokenService::open(
        &conn,
        pool.clone(),
        "bench-issuer".into(),
        "bench-audience".into(),
    )
    .expect("keys");
    let (token, _) = service.sign(&client, None, 3600).expect("a token");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");

    c.bench_function("verify RS256 access token", |b| {
        b.iter(|| {
            runtime
                .block_on(service.verify(std::hint::black_box(&token)))
                .expect("valid")
        })
    });
    c.bench_function("sign RS256 access token", |b| {
        b.iter(|| {
            service
                .sign(std::hint::black_box(&client), None, 3600)
                .expect("signed")
        })
    });
}

criterion_group!(benches, token_service);
criterion_main!(benches);
