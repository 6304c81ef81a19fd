//! Bitstride with the generated client: gateway health, then the caller's projects.
//!
//! ```sh
//! cargo run -p quartet-client --example bitstride -- http://127.0.0.1:3774 <SESSION_TOKEN_OR_API_KEY>
//! ```

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3774".into());
    let token = args.next().ok_or("usage: bitstride BASE_URL TOKEN")?;

    let public = quartet_client::bitstride::Client::new(&base);
    let health = public.health().send().await?;
    println!(
        "bitstride {} ({:?} mode), up {} s",
        health.version, health.mode, health.uptime_seconds
    );

    let client = quartet_client::auth::bitstride(&base, &token)?;
    let projects = client.list_projects().send().await?;
    for p in &projects.data {
        println!("{}  {}", p.id, p.name);
    }
    if projects.has_more {
        println!("(more projects: page with .after(<last id>))");
    }
    Ok(())
}
