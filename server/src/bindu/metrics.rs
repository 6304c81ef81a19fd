//! Prometheus metrics of the Bindu surface: the platform's request families
//! (`http_requests_total{method,endpoint,status}`,
//! `http_request_duration_seconds{method,endpoint}`, `http_requests_in_flight`)
//! for every operation, and the agent's own. Task counts are read from storage
//! at scrape time, so every instance on one database reports the same
//! `agent_tasks_active`.

use prometheus::{HistogramVec, IntCounterVec};
use quartet_api::bindu::TaskState;

use super::store::state_name;
use crate::platform::metrics::{Registry, Requests};

/// The metric families.
pub struct Metrics {
    registry: Registry,
    agent_id: std::sync::OnceLock<String>,
    /// Requests of every operation.
    pub requests: Requests,
    active: prometheus::GaugeVec,
    completed: IntCounterVec,
    task_duration: HistogramVec,
    errors: IntCounterVec,
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
        let requests = Requests::by_route(
            &registry,
            "",
            &quartet_api::bindu::bindu_api_mod::stub_api_description()
                .expect("the Bindu trait describes a valid API"),
        );
        let active = registry.add(
            prometheus::GaugeVec::new(
                prometheus::Opts::new("agent_tasks_active", "Tasks not yet in a terminal state."),
                &["agent_id"],
            )
            .expect("a valid gauge"),
        );
        let completed = registry.counter(
            "agent_tasks_completed_total",
            "Tasks that reached a terminal state, by state.",
            &["agent_id", "status"],
        );
        let task_duration = registry.histogram(
            "task_duration_seconds",
            "Time from submission to terminal state.",
            &["agent_id", "status"],
        );
        let errors = registry.counter(
            "agent_errors_total",
            "JSON-RPC errors answered, by error type.",
            &["agent_id", "error_type"],
        );
        Self {
            registry,
            agent_id: std::sync::OnceLock::new(),
            requests,
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
        self.registry.render()
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
