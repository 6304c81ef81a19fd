//! BitMind with the generated client: health, a client-credentials token, status.
//!
//! ```sh
//! cargo run -p quartet-client --example bitmind -- http://127.0.0.1:3772 <CLIENT_ID> <CLIENT_SECRET>
//! ```

use quartet_client::bitmind::types::TokenRequest;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3772".into());
    let client_id = args
        .next()
        .ok_or("usage: bitmind BASE_URL CLIENT_ID CLIENT_SECRET")?;
    let client_secret = args
        .next()
        .ok_or("usage: bitmind BASE_URL CLIENT_ID CLIENT_SECRET")?;

    let public = quartet_client::bitmind::Client::new(&base);
    let health = public.get_health().send().await?;
    println!(
        "{} in {} ({:?})",
        health.service, health.region, health.status
    );

    let token = public
        .issue_token()
        .body(
            TokenRequest::builder()
                .grant_type("client_credentials")
                .client_id(client_id)
                .client_secret(Some(client_secret)),
        )
        .send()
        .await?;
    println!("token valid for {} s", token.expires_in);

    let client = quartet_client::auth::bitmind(&base, &token.access_token)?;
    let status = client.get_status().send().await?;
    println!(
        "{} via {:?}, permissions {:?}",
        status.client.name, status.client.auth_method, status.client.permissions
    );
    Ok(())
}
