//! Process counters, exposed by `GET /metrics` in the Prometheus text format.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// Request and token counters of this process.
#[derive(Clone, Default)]
pub struct Metrics {
    requests: Arc<Mutex<BTreeMap<(String, u16), u64>>>,
    input: Arc<AtomicI64>,
    output: Arc<AtomicI64>,
}

impl Metrics {
    /// Counts a served request.
    pub fn request(&self, operation: &str, status: u16) {
        *self
            .requests
            .lock()
            .expect("metrics lock")
            .entry((operation.to_owned(), status))
            .or_default() += 1;
    }

    /// Counts gateway tokens.
    pub fn tokens(&self, input: i64, output: i64) {
        self.input.fetch_add(input, Ordering::Relaxed);
        self.output.fetch_add(output, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self, uptime: i64) -> String {
        let mut out = String::from(
            "# HELP bitstride_http_requests_total HTTP requests served, by operation and status.\n\
             # TYPE bitstride_http_requests_total counter\n",
        );
        for ((op, status), n) in self.requests.lock().expect("metrics lock").iter() {
            out.push_str(&format!(
                "bitstride_http_requests_total{{operation=\"{op}\",status=\"{status}\"}} {n}\n"
            ));
        }
        out.push_str(&format!(
            "# HELP bitstride_inference_tokens_total Tokens processed by the gateway, by direction.\n\
             # TYPE bitstride_inference_tokens_total counter\n\
             bitstride_inference_tokens_total{{direction=\"input\"}} {}\n\
             bitstride_inference_tokens_total{{direction=\"output\"}} {}\n\
             # HELP bitstride_uptime_seconds Seconds since the server started.\n\
             # TYPE bitstride_uptime_seconds gauge\n\
             bitstride_uptime_seconds {uptime}\n",
            self.input.load(Ordering::Relaxed),
            self.output.load(Ordering::Relaxed),
        ));
        out
    }
}
