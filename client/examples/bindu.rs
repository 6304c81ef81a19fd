//! Bindu with the generated client: discover the agent and its skills.
//!
//! ```sh
//! cargo run -p quartet-client --example bindu -- http://127.0.0.1:3773
//! ```

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:3773".into());
    let client = quartet_client::bindu::Client::new(&base);

    let card = client.get_agent_card().send().await?;
    println!("{} {}: {}", card.name, card.version, card.description);

    let skills = client.list_skills().send().await?;
    println!("{} skill(s)", skills.total);
    for s in &skills.skills {
        println!("  {}  {}", s.id, s.name);
    }
    Ok(())
}
