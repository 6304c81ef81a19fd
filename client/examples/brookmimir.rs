//! Brookmimir with the generated client: version, balance, a search, a document.
//!
//! ```sh
//! cargo run -p quartet-client --example brookmimir -- http://127.0.0.1:3771 <API_KEY>
//! ```

use quartet_client::brookmimir::types::{QueryInput, QueryRequest};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3771".into());
    let key = args.next().ok_or("usage: brookmimir BASE_URL API_KEY")?;

    let public = quartet_client::brookmimir::Client::new(&base);
    println!("API version {}", public.get_version().send().await?.version);

    let client = quartet_client::auth::brookmimir(&base, &key)?;
    let credits = client.get_credits().send().await?;
    println!("{} credits left", credits.current_balance);

    let request = QueryRequest::builder()
        .query(QueryInput::String("port logistics tenders".parse()?))
        .size(std::num::NonZeroU64::new(3).expect("3 is not zero"));
    let found = client.query_documents().body(request).send().await?;
    let hits = &found.resp.body.hits;
    println!("{} hit(s)", hits.total.value);
    for hit in &hits.hits {
        println!("  {:.3}  {}  {}", hit.score, hit.id, hit.source.title);
    }

    if let Some(first) = hits.hits.first() {
        let doc = client
            .get_document()
            .bmm_doc_id(first.id.as_str())
            .send()
            .await?;
        println!(
            "{} — {} ({})",
            doc.body.id, doc.body.source.source, doc.body.source.published_at
        );
    }
    match client.get_credits().send().await {
        Ok(c) => println!("{} credits left", c.current_balance),
        Err(quartet_client::brookmimir::Error::ErrorResponse(e)) => {
            println!("{}: {}", e.status, e.message)
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
