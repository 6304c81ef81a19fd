//! A Bindu agent of your own: implement `Agent`, serve it with `serve_agent`.
//!
//! ```sh
//! cargo run -p quartet-server --example shout_agent -- --bindu-auth off
//! curl -s localhost:3773/ -d '{"jsonrpc":"2.0","id":1,"method":"message/send","params":
//!   {"message":{"messageId":"m1","role":"user","parts":[{"kind":"text","text":"hello"}]},
//!    "configuration":{"blocking":true}}}'
//! ```

use std::sync::Arc;

use clap::Parser;
use quartet_server::bindu::agents::{Agent, AgentError, AgentRequest, BoxFuture, Reply, Updates};
use quartet_server::bindu::{config::Config, serve_agent};
use quartet_server::platform::Platform;

/// Answers in capitals, streaming one word at a time; asks when there is no text.
struct Shout;

impl Agent for Shout {
    fn handle<'a>(
        &'a self,
        request: AgentRequest,
        updates: Updates,
    ) -> BoxFuture<'a, Result<Reply, AgentError>> {
        Box::pin(async move {
            let text = request.text();
            if text.is_empty() {
                return Ok(Reply::InputRequired("What should I shout?".into()));
            }
            for word in text.split_inclusive(' ') {
                updates.chunk(word.to_uppercase()).await;
            }
            // Empty parts: the streamed text is the result.
            Ok(Reply::Completed(Vec::new()))
        })
    }
}

/// `quartet serve`'s Bindu flags, plus where to keep the data.
#[derive(Parser)]
struct Cli {
    /// Data directory (SQLite).
    #[arg(long, default_value = "data")]
    data_dir: std::path::PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3773")]
    listen: std::net::SocketAddr,
    #[command(flatten)]
    bindu: Config,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let log = slog::Logger::root(slog::Discard, slog::o!());
    let platform = Platform::open(&cli.data_dir, None, log).await?;
    let server = serve_agent(platform, cli.bindu, cli.listen, Arc::new(Shout)).await?;
    println!("shout agent listening on http://{}", server.local_addr);
    tokio::signal::ctrl_c().await?;
    server.close().await.map_err(anyhow::Error::msg)
}
