//! Prometheus metrics every surface exposes: a registry, request counters,
//! latency histograms and an in-flight gauge per operation, and the text
//! exposition format (0.0.4). Built on the `prometheus` crate (its encoder
//! escapes label values and orders families; its metric types are lock-free
//! and cheap to clone). A surface adds its own families to the same
//! [`Registry`].

use std::collections::HashMap;
use std::future::Future;
use std::time::Instant;

use dropshot::{
    ApiDescription, Body, HttpCodedResponse, HttpResponseAccepted, HttpResponseCreated,
    HttpResponseDeleted, HttpResponseFound, HttpResponseOk, HttpResponseUpdatedNoContent,
    ServerContext,
};
use prometheus::core::Collector;
use prometheus::{Encoder as _, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts};
use schemars::JsonSchema;
use serde::Serialize;

/// The content type of [`Registry::render`]'s text.
pub const TEXT_FORMAT: &str = prometheus::TEXT_FORMAT;

/// The metric families of one surface.
#[derive(Clone, Default)]
pub struct Registry {
    inner: prometheus::Registry,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `metric` and hands it back (names are static: a clash is a bug).
    pub fn add<M: Collector + Clone + 'static>(&self, metric: M) -> M {
        self.inner
            .register(Box::new(metric.clone()))
            .expect("metric families have distinct, valid names");
        metric
    }

    /// A counter family with `labels`.
    pub fn counter(&self, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
        self.add(IntCounterVec::new(Opts::new(name, help), labels).expect("a valid counter"))
    }

    /// A histogram family with `labels` and the default buckets.
    pub fn histogram(&self, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
        self.add(
            HistogramVec::new(HistogramOpts::new(name, help), labels).expect("a valid histogram"),
        )
    }

    /// A gauge.
    pub fn gauge(&self, name: &str, help: &str) -> IntGauge {
        self.add(IntGauge::new(name, help).expect("a valid gauge"))
    }

    /// Every family, in the text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding into a Vec fails only on invalid families, which `add` refuses.
        let _ = prometheus::TextEncoder::new().encode(&self.inner.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The HTTP status an operation answered with.
pub trait Status {
    /// The status code.
    fn status(&self) -> u16;
}

impl<T: Status, E: Status> Status for Result<T, E> {
    fn status(&self) -> u16 {
        match self {
            Ok(t) => t.status(),
            Err(e) => e.status(),
        }
    }
}

impl Status for http::Response<Body> {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Success responses whose status is fixed by their type.
macro_rules! coded {
    ($($ty:ident$(<$t:ident>)?),* $(,)?) => {
        $(impl$(<$t: JsonSchema + Serialize + Send + Sync + 'static>)? Status for $ty$(<$t>)? {
            fn status(&self) -> u16 {
                <Self as HttpCodedResponse>::STATUS_CODE.as_u16()
            }
        })*
    };
}

coded!(
    HttpResponseOk<T>,
    HttpResponseCreated<T>,
    HttpResponseAccepted<T>,
    HttpResponseDeleted,
    HttpResponseUpdatedNoContent,
);

impl Status for HttpResponseFound {
    fn status(&self) -> u16 {
        http::StatusCode::FOUND.as_u16()
    }
}

/// How request metrics name what was called.
enum Naming {
    /// `operation="<operation id>"`.
    Operation,
    /// `method="GET",endpoint="/path/{var}"`, by operation id.
    Route(HashMap<String, [String; 2]>),
}

/// Requests answered, by operation: `<prefix>http_requests_total` (counter, with
/// `status`), `<prefix>http_request_duration_seconds` (histogram) and
/// `<prefix>http_requests_in_flight` (gauge).
pub struct Requests {
    total: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGauge,
    naming: Naming,
}

/// Decrements the in-flight gauge however the request ends.
struct InFlight<'a>(&'a IntGauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Requests {
    fn new(registry: &Registry, prefix: &str, naming: Naming) -> Self {
        let (labels, by_total, by_duration): (&[&str], _, _) = match &naming {
            Naming::Operation => (&["operation"], "operation and status", "operation"),
            Naming::Route(_) => (
                &["method", "endpoint"],
                "method, route and status",
                "method and route",
            ),
        };
        let with_status: Vec<&str> = labels.iter().copied().chain(["status"]).collect();
        Self {
            total: registry.counter(
                &format!("{prefix}http_requests_total"),
                &format!("HTTP requests answered, by {by_total}."),
                &with_status,
            ),
            duration: registry.histogram(
                &format!("{prefix}http_request_duration_seconds"),
                &format!("Time taken to answer HTTP requests, by {by_duration}."),
                labels,
            ),
            in_flight: registry.gauge(
                &format!("{prefix}http_requests_in_flight"),
                "HTTP requests being answered now.",
            ),
            naming,
        }
    }

    /// Families labelled `operation` (the operation id).
    pub fn by_operation(registry: &Registry, prefix: &str) -> Self {
        Self::new(registry, prefix, Naming::Operation)
    }

    /// Families labelled `method` and `endpoint` (the path template) of each
    /// operation of `api`.
    pub fn by_route<C: ServerContext>(
        registry: &Registry,
        prefix: &str,
        api: &ApiDescription<C>,
    ) -> Self {
        Self::new(registry, prefix, Naming::Route(routes(api)))
    }

    /// Runs `work`, the operation `operation_id`, and records how it went.
    pub async fn measure<T: Status>(&self, operation_id: &str, work: impl Future<Output = T>) -> T {
        self.in_flight.inc();
        let _in_flight = InFlight(&self.in_flight);
        let started = Instant::now();
        let outcome = work.await;
        let status = outcome.status().to_string();
        let labels: Vec<&str> = match &self.naming {
            Naming::Operation => vec![operation_id],
            Naming::Route(routes) => match routes.get(operation_id) {
                Some([method, path]) => vec![method, path],
                None => vec!["", operation_id],
            },
        };
        self.duration
            .with_label_values(&labels)
            .observe(started.elapsed().as_secs_f64());
        let with_status: Vec<&str> = labels.into_iter().chain([status.as_str()]).collect();
        self.total.with_label_values(&with_status).inc();
        outcome
    }
}

/// The method and path template of each operation of `api`, by operation id.
fn routes<C: ServerContext>(api: &ApiDescription<C>) -> HashMap<String, [String; 2]> {
    let document = api
        .openapi("routes", dropshot::semver::Version::new(0, 0, 0))
        .json()
        .unwrap_or_default();
    let mut routes = HashMap::new();
    let Some(paths) = document.get("paths").and_then(|p| p.as_object()) else {
        return routes;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, operation) in item {
            if let Some(id) = operation.get("operationId").and_then(|i| i.as_str()) {
                routes.insert(id.to_owned(), [method.to_uppercase(), path.clone()]);
            }
        }
    }
    routes
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Answer(u16);

    impl Status for Answer {
        fn status(&self) -> u16 {
            self.0
        }
    }

    #[tokio::test]
    async fn requests_are_counted_and_timed_by_operation() {
        let registry = Registry::new();
        let requests = Requests::by_operation(&registry, "x_");
        requests.measure("ping", async { Answer(200) }).await;
        requests.measure("ping", async { Answer(200) }).await;
        let r: Result<Answer, Answer> = Err(Answer(404));
        let _ = requests.measure("ping", async { r }).await;
        let text = registry.render();
        assert!(
            text.contains("x_http_requests_total{operation=\"ping\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("x_http_requests_total{operation=\"ping\",status=\"404\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("x_http_request_duration_seconds_count{operation=\"ping\"} 3"),
            "{text}"
        );
        assert!(text.contains("x_http_requests_in_flight 0"), "{text}");
    }
}
