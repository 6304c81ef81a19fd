//! Bindu's JSON-RPC methods with the typed layer: send (and wait), get, stream.
//!
//! ```sh
//! cargo run -p quartet-client --example bindu_rpc -- http://127.0.0.1:3773 [TOKEN]
//! ```

use futures_util::StreamExt as _;
use quartet_client::bindu::types;
use quartet_client::bindu_rpc::AgentClient;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3773".into());
    let token = args.next();
    let agent = AgentClient::new(&base, token.as_deref());

    let task = agent
        .send_message(
            AgentClient::text_message("hello from the typed client"),
            true,
        )
        .await?;
    println!("sent: task {} is {:?}", task.id, task.status.state);

    let read = agent.get_task(&task.id, Some(1)).await?;
    for artifact in &read.artifacts {
        for part in &artifact.parts {
            if let types::Part::TextPart(t) = part {
                println!("result: {}", t.text);
            }
        }
    }

    let mut events = agent
        .stream_message(AgentClient::text_message("and streamed"))
        .await?;
    while let Some(event) = events.next().await {
        match event? {
            types::StreamEvent::StatusUpdateEvent(s) => {
                println!("event: status {:?}", s.status.state)
            }
            types::StreamEvent::ArtifactUpdateEvent(a) => {
                println!("event: artifact {}", a.artifact.artifact_id)
            }
        }
    }

    match agent
        .get_task("00000000-0000-4000-8000-000000000000", None)
        .await
    {
        Err(e) => println!("unknown task: code {:?}", e.code()),
        Ok(_) => println!("unknown task found?"),
    }
    Ok(())
}
