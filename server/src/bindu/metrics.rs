//! Prometheus metrics of the Bindu surface (text exposition format 0.0.4).
//! Task counts are read from storage at scrape time, so every instance on one
//! database reports the same `agent_tasks_active`.

use prometheus::{
    Encoder as _, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};
use quartet_api::bindu::TaskState;

use super::store::state_name;

/// The metric families.
pub struct Metrics {
    registry: Registry,
    agent_id: std::sync::OnceLock<String>,
    requests: IntCounterVec,
    duration: Histogram,
    in_flight: IntGauge,
    active: GaugeVec,
    completed: IntCounterVec,
    task_duration: HistogramVec,
    errors: IntCounterVec,
}

fn must<T>(r: prometheus::Result<T>) -> T {
    r.expect("metric definitions are static and valid")
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The families (labelled with the agent id once [`Metrics::set_agent_id`] told it).
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = must(IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests answered, by method, route and status.",
            ),
            &["method", "endpoint", "status"],
        ));
        let duration = must(Histogram::with_opts(HistogramOpts::new(
            "http_request_duration_seconds",
            "Time taken to answer HTTP requests.",
        )));
        let in_flight = must(IntGauge::new(
            "http_requests_in_flight",
            "HTTP requests being answered now.",
        ));
        let active = must(GaugeVec::new(
            Opts::new("agent_tasks_active", "Tasks not yet in a terminal state."),
            &["agent_id"],
        ));
        let completed = must(IntCounterVec::new(
            Opts::new(
                "agent_tasks_completed_total",
                "Tasks that reached a terminal state, by state.",
            ),
            &["agent_id", "status"],
        ));
        let task_duration = must(HistogramVec::new(
            HistogramOpts::new(
                "task_duration_seconds",
                "Time from submission to terminal state.",
            ),
            &["agent_id", "status"],
        ));
        let errors = must(IntCounterVec::new(
            Opts::new(
                "agent_errors_total",
                "JSON-RPC errors answered, by error type.",
            ),
            &["agent_id", "error_type"],
        ));
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duration.clone()),
            Box::new(in_flight.clone()),
            Box::new(active.clone()),
            Box::new(completed.clone()),
            Box::new(task_duration.clone()),
            Box::new(errors.clone()),
        ] {
            must(registry.register(c));
        }
        Self {
            registry,
            agent_id: std::sync::OnceLock::new(),
            requests,
            duration,
            in_flight,
            active,
            completed,
            task_duration,
            errors,
        }
    }

    /// The agent id for the `agent_id` labels.
    pub fn set_agent_id(&self, id: &str) {
        let _ = self.agent_id.set(id.to_owned());
    }

    fn agent(&self) -> &str {
        self.agent_id.get().map_or("", String::as_str)
    }

    /// A request starts; the guard records it when it is finished.
    pub fn start(&self) -> std::time::Instant {
        self.in_flight.inc();
        std::time::Instant::now()
    }

    /// A request ends with `status`.
    pub fn finish(&self, started: std::time::Instant, method: &str, endpoint: &str, status: u16) {
        self.in_flight.dec();
        self.duration.observe(started.elapsed().as_secs_f64());
        self.requests
            .with_label_values(&[method, endpoint, &status.to_string()])
            .inc();
    }

    /// A JSON-RPC error was answered.
    pub fn error(&self, error_type: &str) {
        self.errors
            .with_label_values(&[self.agent(), error_type])
            .inc();
    }

    /// A task reached terminal `state` after `secs`.
    pub fn task_finished(&self, state: TaskState, secs: f64) {
        let state = state_name(state);
        self.completed
            .with_label_values(&[self.agent(), &state])
            .inc();
        self.task_duration
            .with_label_values(&[self.agent(), &state])
            .observe(secs.max(0.0));
    }

    /// The exposition, with `active` unfinished tasks.
    pub fn render(&self, active: i64) -> String {
        self.active
            .with_label_values(&[self.agent()])
            .set(active as f64);
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The `error_type` label of a JSON-RPC code: its name in snake_case.
pub fn error_type(code: i64) -> String {
    use quartet_api::bindu::ErrorCode;
    let name = ErrorCode::from_code(code).map_or_else(|| "other".to_owned(), |c| format!("{c:?}"));
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(ch.to_lowercase());
    }
    out
}
