//! dropshot with one endpoint answering `{"message":"Hello, world!"}`, served
//! as quartet serves BitMind (handlers in the connection's task, logging off):
//! what the HTTP stack quartet is built on costs before any handler work.
//!
//! `bench-dropshot-hello PORT` (loopback; 0 picks a free port, printed on standard output).

use dropshot::{
    endpoint, ApiDescription, ConfigDropshot, HandlerTaskMode, HttpError, HttpResponseOk,
    RequestContext, ServerBuilder,
};
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Serialize, JsonSchema)]
struct Hello {
    message: &'static str,
}

#[endpoint { method = GET, path = "/" }]
async fn hello(_rqctx: RequestContext<()>) -> Result<HttpResponseOk<Hello>, HttpError> {
    Ok(HttpResponseOk(Hello {
        message: "Hello, world!",
    }))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let mut api = ApiDescription::new();
    api.register(hello).map_err(|e| e.to_string())?;
    let log = slog::Logger::root(slog::Discard, slog::o!());
    let config = ConfigDropshot {
        bind_address: ([127, 0, 0, 1], port).into(),
        default_handler_task_mode: HandlerTaskMode::CancelOnDisconnect,
        ..Default::default()
    };
    let server = ServerBuilder::new(api, (), log)
        .config(config)
        .start()
        .map_err(|e| e.to_string())?;
    println!("dropshot-hello listening on http://{}", server.local_addr());
    server.await
}
