//! Bitstride's metrics, exposed by `GET /metrics` in the Prometheus text
//! format: the platform's request families for every operation
//! (`bitstride_http_requests_total{operation,status}`,
//! `bitstride_http_request_duration_seconds{operation}`,
//! `bitstride_http_requests_in_flight`), gateway tokens, the backend usage
//! figures the gateway refused (`bitstride_usage_discrepancies_total{kind}`:
//! `negative`, `malformed`, `implausible`, `model`) and uptime.

use std::sync::Arc;

use prometheus::{IntCounter, IntCounterVec, IntGauge};

use crate::platform::metrics::{Registry, Requests};

/// The metric families of this process.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Requests of every operation.
    pub requests: Arc<Requests>,
    input: IntCounter,
    output: IntCounter,
    discrepancies: IntCounterVec,
    uptime: IntGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let registry = Registry::new();
        let requests = Arc::new(Requests::by_operation(&registry, "bitstride_"));
        let tokens = registry.counter(
            "bitstride_inference_tokens_total",
            "Tokens processed by the gateway, by direction.",
            &["direction"],
        );
        let discrepancies = registry.counter(
            "bitstride_usage_discrepancies_total",
            "Backend usage figures the gateway did not bill (it billed its own count), by kind.",
            &["kind"],
        );
        // Every kind shows from the start, at 0.
        for kind in ["negative", "malformed", "implausible", "model"] {
            discrepancies.with_label_values(&[kind]);
        }
        let uptime = registry.gauge(
            "bitstride_uptime_seconds",
            "Seconds since the server started.",
        );
        Self {
            input: tokens.with_label_values(&["input"]),
            output: tokens.with_label_values(&["output"]),
            requests,
            discrepancies,
            uptime,
            registry,
        }
    }
}

impl Metrics {
    /// Counts gateway tokens.
    pub fn tokens(&self, input: i64, output: i64) {
        self.input.inc_by(input.max(0) as u64);
        self.output.inc_by(output.max(0) as u64);
    }

    /// Counts one refused backend figure of `kind`.
    pub fn discrepancy(&self, kind: &str) {
        self.discrepancies.with_label_values(&[kind]).inc();
    }

    /// The exposition text, `uptime` seconds after the start.
    pub fn render(&self, uptime: i64) -> String {
        self.uptime.set(uptime);
        self.registry.render()
    }
}
