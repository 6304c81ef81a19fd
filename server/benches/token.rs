//! How long the token service takes to verify and to sign one access token.
//!
//! ```sh
//! cargo bench -p quartet-server --bench token
//! ```

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use quartet_server::platform::oauth::{ClientStore, NewClient, TokenPolicy, TokenService};
use quartet_server::platform::Db;

fn token_service(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (service, client, token) = runtime.block_on(async {
        let db = Db::connect(None, dir.path(), quartet_server::surfaces::migrations())
            .await
            .expect("the database opens");
        let (client, _) = ClientStore::new(db.clone())
            .create(NewClient {
                scopes: vec!["image_inference".to_owned()],
                tier: "enterprise".to_owned(),
                ..Default::default()
            })
            .await
            .expect("a client");
        let service = TokenService::new(
            db,
            TokenPolicy {
                issuer: "bench-issuer".into(),
                default_audience: "bench-audience".into(),
                lifetime_secs: 3600,
                leeway_secs: 30,
            },
            quartet_server::platform::Sealer::new(
                &quartet_server::platform::sealed::SecretKey::generate(),
            ),
        );
        let (token, _) = service.sign(&client, None).await.expect("a token");
        (service, client, token)
    });

    c.bench_function("verify RS256 access token", |b| {
        b.iter(|| {
            runtime
                .block_on(service.verify(std::hint::black_box(&token), "bench-audience"))
                .expect("valid")
        })
    });
    c.bench_function("sign RS256 access token", |b| {
        b.iter(|| {
            runtime
                .block_on(service.sign(std::hint::black_box(&client), None))
                .expect("signed")
        })
    });
}

criterion_group!(benches, token_service);
criterion_main!(benches);
