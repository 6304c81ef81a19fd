//! Running a surface's scenarios against a server and judging every example.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use quartet_contract::document::Document;
use quartet_contract::examples::ExampleValidator;
use quartet_contract::model::Contract;
use serde_json::Value;

use crate::compare::{compare, Mismatch};
use crate::examples::{enumerate, DocExample};
use crate::report::{Outcome, Report, Verdict};
use crate::request::{build, Prepared};
use crate::scenario::Scenario;
use crate::scenarios::{self, LocalSetup};
use crate::server::ServerProcess;

/// Where the server under test is.
pub enum Target {
    /// Spawn this `quartet` binary on free loopback ports with a fresh data directory.
    Local {
        /// Path of the `quartet` binary.
        bin: PathBuf,
    },
    /// A server deployed elsewhere; fixtures (keys, tokens) are given by name.
    Remote {
        /// Base URL of the surface.
        base_url: String,
        /// Named fixture values the scenarios use.
        fixtures: HashMap<String, String>,
    },
}

/// Runs every scenario of `surface` (document at `document`) against `target`.
pub async fn run(surface: &str, document: &Path, target: Target) -> Result<Report> {
    let doc = Document::load(document)?;
    let examples = enumerate(&doc);
    let contract = Contract::from_document(&doc);
    let scenarios = scenarios::for_surface(surface)
        .with_context(|| format!("no conformance scenarios for {surface:?}"))?;

    // Servers by variant name, plus whatever must live as long as they do.
    let mut bases: HashMap<&str, String> = HashMap::new();
    let mut processes: Vec<ServerProcess> = Vec::new();
    let remote = matches!(target, Target::Remote { .. });
    let (fixtures, _setup, _data_dir) = match target {
        Target::Remote { base_url, fixtures } => {
            bases.insert("default", base_url.trim_end_matches('/').to_owned());
            (fixtures, None, None)
        }
        Target::Local { bin } => {
            let data_dir = tempfile::Builder::new()
                .prefix(&format!("quartet-{surface}-"))
                .tempdir()?;
            let setup: LocalSetup =
                scenarios::local_setup(surface, &bin, data_dir.path(), &doc).await?;
            for (variant, args) in &setup.variants {
                let dir = if setup.isolated.contains(variant) {
                    let dir = data_dir.path().join(variant);
                    std::fs::create_dir_all(&dir)?;
                    dir
                } else {
                    data_dir.path().to_owned()
                };
                let p = ServerProcess::spawn(&bin, &dir, surface, args).await?;
                bases.insert(variant, p.base_url.clone());
                processes.push(p);
            }
            (setup.fixtures.clone(), Some(setup), Some(data_dir))
        }
    };

    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let validator = ExampleValidator::new(&doc);
    let mut report = Report::default();
    let mut used = vec![false; scenarios.len()];
    for example in &examples {
        let started = Instant::now();
        let matching: Vec<usize> = (0..scenarios.len())
            .filter(|&i| {
                let s = &scenarios[i];
                s.operation_id == example.operation_id
                    && s.status == example.status
                    && s.example == example.name
            })
            .collect();
        let verdict = match matching.as_slice() {
            [] => Verdict::Fail {
                reason: "no scenario reaches this example".into(),
                mismatches: vec![],
            },
            [i] => {
                used[*i] = true;
                let s = &scenarios[*i];
                match bases.get(s.variant) {
                    _ if remote && s.local_only.is_some() => Verdict::Skip {
                        reason: s.local_only.unwrap_or_default().to_owned(),
                    },
                    None => Verdict::Skip {
                        reason: format!(
                            "needs the {:?} server variant, only available when spawned",
                            s.variant
                        ),
                    },
                    Some(base) => {
                        judge(
                            &client,
                            &contract,
                            &validator,
                            (base, &bases),
                            s,
                            example,
                            &fixtures,
                        )
                        .await
                    }
                }
            }
            many => {
                for i in many {
                    used[*i] = true;
                }
                Verdict::Fail {
                    reason: format!("{} scenarios claim this example", many.len()),
                    mismatches: vec![],
                }
            }
        };
        report.outcomes.push(Outcome {
            surface: surface.to_owned(),
            operation_id: example.operation_id.clone(),
            status: example.status.clone(),
            example: example.name.clone(),
            verdict,
            millis: started.elapsed().as_secs_f64() * 1000.0,
        });
    }
    for (i, s) in scenarios.iter().enumerate() {
        if !used[i] {
            report.outcomes.push(Outcome {
                surface: surface.to_owned(),
                operation_id: s.operation_id.to_owned(),
                status: s.status.to_owned(),
                example: s.example.to_owned(),
                verdict: Verdict::Fail {
                    reason: "scenario has no documented example".into(),
                    mismatches: vec![],
                },
                millis: 0.0,
            });
        }
    }
    for p in processes {
        p.kill().await?;
    }
    Ok(report)
}

/// Sends a scenario's setup requests (each to its own variant) and its request, and
/// judges the answer.
async fn judge(
    client: &reqwest::Client,
    contract: &Contract,
    validator: &ExampleValidator,
    (base, bases): (&str, &HashMap<&str, String>),
    scenario: &Scenario,
    example: &DocExample,
    fixtures: &HashMap<String, String>,
) -> Verdict {
    let fail = |reason: String| Verdict::Fail {
        reason,
        mismatches: vec![],
    };
    for step in &scenario.before {
        let Some(op) = contract.by_operation_id(step.operation_id) else {
            return fail(format!(
                "setup step names unknown operation {}",
                step.operation_id
            ));
        };
        // A setup step goes to its own variant (the default one unless it names another).
        let step_base = bases.get(step.variant).map_or(base, String::as_str);
        match build(op, step, fixtures) {
            Ok(p) => {
                if let Err(e) = send(client, step_base, &p).await {
                    return fail(format!("setup step {}: {e}", step.id()));
                }
            }
            Err(e) => return fail(format!("setup step {}: {e}", step.id())),
        }
    }
    let Some(op) = contract.by_operation_id(scenario.operation_id) else {
        return fail(format!("no operation {}", scenario.operation_id));
    };
    let prepared = match build(op, scenario, fixtures) {
        Ok(p) => p,
        Err(e) => return fail(format!("cannot build the request: {e}")),
    };
    let (status, content_type, body) = match send(client, base, &prepared).await {
        Ok(r) => r,
        Err(e) => return fail(format!("request failed: {e}")),
    };
    let mut mismatches = Vec::new();
    if status.to_string() != example.status {
        mismatches.push(Mismatch {
            pointer: String::new(),
            message: format!("status {status}, documented {}", example.status),
            expected: Some(Value::String(example.status.clone())),
            actual: Some(Value::from(status)),
        });
    }
    let base_type = |t: &str| {
        t.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    if base_type(&content_type) != base_type(&example.media_type) {
        mismatches.push(Mismatch {
            pointer: String::new(),
            message: "Content-Type differs".into(),
            expected: Some(Value::String(example.media_type.clone())),
            actual: Some(Value::String(content_type.clone())),
        });
    }
    if base_type(&example.media_type) == "text/event-stream" {
        let expected = sse_events(example.value.as_str().unwrap_or_default());
        let actual = sse_events(&String::from_utf8_lossy(&body));
        mismatches.extend(compare(&expected, &actual, &scenario.volatile));
    } else if base_type(&example.media_type).contains("json") {
        match serde_json::from_slice::<Value>(&body) {
            Err(e) => mismatches.push(Mismatch {
                pointer: String::new(),
                message: format!("body is not JSON: {e}"),
                expected: None,
                actual: Some(Value::String(String::from_utf8_lossy(&body).into_owned())),
            }),
            Ok(actual) => {
                if let Some(schema) = &example.schema {
                    for (at, msg) in validator.validate(schema, &actual) {
                        mismatches.push(Mismatch {
                            pointer: at,
                            message: format!("does not match the schema: {msg}"),
                            expected: None,
                            actual: None,
                        });
                    }
                }
                mismatches.extend(compare(&example.value, &actual, &scenario.volatile));
            }
        }
    } else {
        let text = String::from_utf8_lossy(&body).into_owned();
        let expected = example
            .value
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| example.value.to_string());
        if !scenario.volatile.contains(&"") && text != expected {
            mismatches.push(Mismatch {
                pointer: String::new(),
                message: "body text differs".into(),
                expected: Some(Value::String(expected)),
                actual: Some(Value::String(text)),
            });
        }
    }
    if mismatches.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail {
            reason: format!(
                "{} difference(s) from the documented example",
                mismatches.len()
            ),
            mismatches,
        }
    }
}

/// The `data:` payloads of a server-sent event stream, as one JSON array
/// (comments and other fields are skipped; multi-line data is joined; a payload
/// that is not JSON becomes a string).
pub fn sse_events(text: &str) -> Value {
    let mut events = Vec::new();
    for block in text.replace("\r\n", "\n").split("\n\n") {
        let data: Vec<&str> = block
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        if !data.is_empty() {
            // A payload that is not JSON (an OpenAI stream's `[DONE]`) is compared as text.
            let joined = data.join("\n");
            events.push(serde_json::from_str(&joined).unwrap_or(Value::String(joined)));
        }
    }
    Value::Array(events)
}

/// Sends a prepared request; returns status, `Content-Type` and body.
pub async fn send(
    client: &reqwest::Client,
    base: &str,
    p: &Prepared,
) -> Result<(u16, String, Vec<u8>)> {
    let method = reqwest::Method::from_bytes(p.method.as_bytes())?;
    let mut request = client.request(method, format!("{base}{}", p.path_and_query));
    for (name, value) in &p.headers {
        request = request.header(name, value);
    }
    if let Some(body) = &p.body {
        request = request.body(body.clone());
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response.bytes().await?.to_vec();
    if status == 0 {
        bail!("no status");
    }
    Ok((status, content_type, body))
}
