//! Bitstride: one scenario per documented example of `openapi/bitstride.yaml`.
//!
//! The state the examples show is built through the API itself: local setup
//! spawns the server once with the reference trainer (two real training jobs,
//! whose events the events examples show) and once with a command trainer
//! whose executor never runs (so other jobs stay `queued`), registers the
//! accounts, and records their ids and tokens as fixtures. Organizations:
//! `ada` holds exactly what the list examples show; `b` holds the rest (keys
//! without scopes, extra deployments, datasets to upload and validate, the
//! trained jobs); `c` holds an RL job and this month's usage (one invoice).
//! A loopback mock is both the OpenAI-compatible backend (the documented
//! completion and stream; `mock:fail` is a 500, `mock:slow` outlasts the
//! gateway's timeout) and an OAuth provider (discovery, token, userinfo).

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use quartet_contract::document::Document;
use serde_json::{json, Value};

use super::LocalSetup;
use crate::mock::{Mock, MockReply, MockRequest};
use crate::scenario::{fx, lit, Scenario};
use crate::server::{admin, closed_port, ServerProcess};

/// The password of every account the fixtures register.
pub const PASSWORD: &str = "correct horse battery";

/// Why a scenario only runs against a spawned server.
const NEEDS_SETUP: &str =
    "relies on the accounts, mock backend and OAuth provider a spawned run sets up";

fn documented(doc: &Document, pointer: &str) -> Result<Value> {
    doc.value
        .pointer(pointer)
        .cloned()
        .with_context(|| format!("the document has no {pointer}"))
}

/// What the mock's userinfo endpoint reports after the code `code` was exchanged:
/// `unlinked-b` is a new identity with b's (unverified at Bitstride) address,
/// `unverified` one without a verified email, `newcomer` one nobody has; any
/// other code is ada's linked identity.
fn userinfo(code: &str) -> Value {
    match code {
        "unlinked-b" => json!({"sub": "2002", "email": "b@example.com", "email_verified": true}),
        "unverified" => {
            json!({"sub": "3003", "email": "nobody@example.com", "email_verified": false})
        }
        "newcomer" => json!({"sub": "4004", "email": "grace@example.com", "email_verified": true,
            "name": "Grace Hopper"}),
        _ => json!({"sub": "1001", "email": "ada@example.com", "email_verified": true,
            "name": "Ada Lovelace"}),
    }
}

/// How the mock answers: OpenAI backend and OAuth provider in one. `last_code`
/// is the code of the latest token exchange (the runner sends one request at a
/// time), which decides what userinfo reports.
fn mock_reply(
    req: &MockRequest,
    base: &str,
    completion: &Value,
    stream: &str,
    last_code: &Mutex<String>,
) -> MockReply {
    let path = req.path.split('?').next().unwrap_or("");
    match (req.method.as_str(), path) {
        ("GET", "/v1/models") | ("GET", "/health") => {
            MockReply::json(200, r#"{"object":"list","data":[]}"#)
        }
        ("POST", "/v1/chat/completions") => {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let last = body
                .pointer("/messages")
                .and_then(Value::as_array)
                .and_then(|m| m.last())
                .and_then(|m| m.get("content"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if last.contains("mock:fail") {
                return MockReply::json(500, r#"{"error":"boom"}"#);
            }
            let delay = if last.contains("mock:slow") {
                Duration::from_secs(6)
            } else {
                Duration::ZERO
            };
            if body.get("stream") == Some(&Value::Bool(true)) {
                return MockReply::Respond {
                    status: 200,
                    content_type: "text/event-stream",
                    body: stream.to_owned(),
                    delay,
                };
            }
            MockReply::Respond {
                status: 200,
                content_type: "application/json",
                body: completion.to_string(),
                delay,
            }
        }
        ("GET", "/.well-known/openid-configuration") => MockReply::json(
            200,
            json!({
                "issuer": base,
                "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/token"),
                "userinfo_endpoint": format!("{base}/userinfo"),
                "jwks_uri": format!("{base}/jwks"),
            })
            .to_string(),
        ),
        ("POST", "/token") => {
            let code = url::form_urlencoded::parse(&req.body)
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            if code == "refused" {
                MockReply::json(400, r#"{"error":"invalid_grant"}"#)
            } else {
                if let Ok(mut last) = last_code.lock() {
                    *last = code;
                }
                MockReply::json(
                    200,
                    r#"{"access_token":"provider-access-token","token_type":"Bearer"}"#,
                )
            }
        }
        ("GET", "/userinfo") => {
            let code = last_code.lock().map(|c| c.clone()).unwrap_or_default();
            MockReply::json(200, userinfo(&code).to_string())
        }
        _ => MockReply::json(404, r#"{"error":"not found"}"#),
    }
}

/// A small client for building state through the API.
struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        raw: Option<Vec<u8>>,
    ) -> Result<(u16, Value, reqwest::header::HeaderMap)> {
        let mut r = self.http.request(
            reqwest::Method::from_bytes(method.as_bytes())?,
            format!("{}{path}", self.base),
        );
        if let Some(t) = token {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        if let Some(b) = raw {
            r = r.header("content-type", "application/octet-stream").body(b);
        }
        let resp = r.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
            headers,
        ))
    }

    async fn ok(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Value> {
        let (status, v, _) = self.call(method, path, token, body, None).await?;
        if !(200..300).contains(&status) {
            bail!("setup {method} {path}: {status} {v}");
        }
        Ok(v)
    }

    async fn upload(&self, token: &str, id: &str, data: Vec<u8>) -> Result<()> {
        let (status, v, _) = self
            .call(
                "POST",
                &format!("/v1/datasets/{id}/upload"),
                Some(token),
                None,
                Some(data),
            )
            .await?;
        if status != 200 {
            bail!("setup upload: {status} {v}");
        }
        Ok(())
    }

    async fn register(&self, email: &str) -> Result<Value> {
        self.ok(
            "POST",
            "/v1/auth/register",
            None,
            Some(json!({"email": email, "password": PASSWORD, "name": "Ada Lovelace", "organization_name": "Analytical Engines"})),
        )
        .await
    }

    async fn id(&self, token: &str, path: &str, body: Value) -> Result<String> {
        Ok(self.ok("POST", path, Some(token), Some(body)).await?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    async fn wait_job(&self, token: &str, path: &str) -> Result<()> {
        for _ in 0..240 {
            let v = self.ok("GET", path, Some(token), None).await?;
            match v["status"].as_str() {
                Some("succeeded") => return Ok(()),
                Some("failed") | Some("cancelled") => bail!("setup job {path} ended {v}"),
                _ => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
        bail!("setup job {path} did not finish")
    }
}

fn token(session: &Value) -> String {
    session["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A chat row of `len` bytes (with its newline) at most a few bytes off.
fn chat_row(i: usize, pad: usize) -> String {
    json!({"messages": [
        {"role": "user", "content": format!("Ticket {i}: my invoice is wrong")},
        {"role": "assistant", "content": format!("Sorry about that. Which invoice number?{}", " ".repeat(pad))}
    ]})
    .to_string()
}

/// 120 valid chat rows, exactly 48213 bytes (the documented dataset).
pub fn documented_dataset() -> Vec<u8> {
    let target = 48_213usize;
    let bare: usize = (0..120).map(|i| chat_row(i, 0).len() + 1).sum();
    let extra = target.saturating_sub(bare);
    let mut out = String::new();
    for i in 0..120 {
        let pad = extra / 120 + if i == 119 { extra % 120 } else { 0 };
        out.push_str(&chat_row(i, pad));
        out.push('\n');
    }
    out.into_bytes()
}

/// 120 rows; line 17 is not JSON and line 64 has no messages.
pub fn invalid_dataset() -> Vec<u8> {
    let rows: Vec<String> = (1..=120)
        .map(|line| match line {
            17 => "{not json".to_owned(),
            64 => r#"{"messages":[]}"#.to_owned(),
            _ => chat_row(line, 0),
        })
        .collect();
    (rows.join("\n") + "\n").into_bytes()
}

fn demo_chat() -> Vec<u8> {
    let row = json!({"messages":[{"role":"user","content":"How do I reset my password?"},{"role":"assistant","content":"Open Settings, choose Security, then Reset password."}]}).to_string();
    (0..60)
        .map(|_| format!("{row}\n"))
        .collect::<String>()
        .into_bytes()
}

fn demo_rl() -> Vec<u8> {
    (0..64)
        .map(|_| "{\"prompt\":\"2+2=\",\"answer\":\"4\"}\n")
        .collect::<String>()
        .into_bytes()
}

/// The TOTP code of `secret` for the current step moved by `offset` steps (the
/// server accepts one step either way, and each code once, in increasing order).
fn totp_at(secret: &str, offset: i64) -> Result<String> {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("TOTP secret: {e:?}"))?;
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes)?;
    let at = (now() / 30 + offset) * 30;
    Ok(totp.generate(u64::try_from(at).unwrap_or(0)))
}

fn deployment(name: &str, sub: &str, endpoint: &str, streaming: bool) -> Value {
    json!({
        "name": name, "subdomain": sub, "endpoint": endpoint, "backend_type": "vllm", "protocol": "openai",
        "region": "eu-west-1", "min_replicas": 1, "max_replicas": 4, "concurrency_limit": 64,
        "capabilities": {"streaming": streaming, "adapter_types": ["lora"], "cache_affinity": "prefix", "supported_protocols": ["openai", "http"]}
    })
}

/// Accounts, resources, jobs, mock backend and provider the examples need.
pub async fn local_setup(bin: &Path, data_dir: &Path, doc: &Document) -> Result<LocalSetup> {
    let mut completion = documented(
        doc,
        "/paths/~1v1~1chat~1completions/post/responses/200/content/application~1json/example",
    )?;
    if let Some(o) = completion.as_object_mut() {
        o.remove("deployment_id");
    }
    let stream = documented(doc, "/paths/~1v1~1chat~1completions/post/responses/200/content/text~1event-stream/examples/stream/value")?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let base_cell: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let cell = base_cell.clone();
    let last_code = Mutex::new(String::new());
    let mock = Mock::start(move |r| {
        mock_reply(
            r,
            cell.get().map_or("", String::as_str),
            &completion,
            &stream,
            &last_code,
        )
    })
    .await?;
    let mock_url = mock.url("");
    let _ = base_cell.set(mock_url.clone());

    let oauth = data_dir.join("oauth.toml");
    std::fs::write(
        &oauth,
        format!("[providers.github]\nissuer = \"{mock_url}\"\nclient_id = \"Iv1.8a61f9b3a7aba766\"\nclient_secret = \"provider-secret\"\nscopes = [\"read:user\", \"user:email\"]\n"),
    )?;
    let common: Vec<String> = [
        "--bitstride-allow-private-backends",
        "--bitstride-loopback-backends-only",
        "--bitstride-backend-timeout-ms",
        "3000",
        "--log-level",
        "warn",
        "--bitstride-oauth-config",
        oauth.to_str().unwrap_or_default(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut queued = common.clone();
    queued.extend(
        [
            "--bitstride-trainer",
            "command",
            "--bitstride-trainer-command",
            "/bin/false",
            "--bitstride-job-workers",
            "0",
        ]
        .map(String::from),
    );

    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut fx_map = std::collections::HashMap::new();
    let mut put = |k: &str, v: String| {
        fx_map.insert(k.to_owned(), v);
    };

    // ---- first run: the reference trainer trains two jobs for real (organization b).
    let mut reference = common.clone();
    reference.extend(["--bitstride-trainer", "reference"].map(String::from));
    let server = ServerProcess::spawn(bin, data_dir, "bitstride", &reference).await?;
    let api = Api {
        base: server.base_url.clone(),
        http: http.clone(),
    };
    let ada = api.register("ada@example.com").await?;
    let b = api.register("b@example.com").await?;
    let c = api.register("c@example.com").await?;
    let (ada_t, b_t, c_t) = (token(&ada), token(&b), token(&c));
    let ft_demo = api
        .id(
            &b_t,
            "/v1/datasets",
            json!({"name": "demo", "purpose": "fine_tuning"}),
        )
        .await?;
    api.upload(&b_t, &ft_demo, demo_chat()).await?;
    api.ok(
        "POST",
        &format!("/v1/datasets/{ft_demo}/validate"),
        Some(&b_t),
        None,
    )
    .await?;
    let ft_trained = api
        .id(
            &b_t,
            "/v1/fine_tuning/jobs",
            json!({"base_model": "bitstride-char-tiny", "training_dataset_id": ft_demo}),
        )
        .await?;
    let rl_demo = api
        .id(
            &b_t,
            "/v1/datasets",
            json!({"name": "sums", "purpose": "rl"}),
        )
        .await?;
    api.upload(&b_t, &rl_demo, demo_rl()).await?;
    api.ok(
        "POST",
        &format!("/v1/datasets/{rl_demo}/validate"),
        Some(&b_t),
        None,
    )
    .await?;
    let rl_trained = api
        .id(
            &b_t,
            "/v1/rl/jobs",
            json!({"base_model": "bitstride-char-tiny", "dataset_id": rl_demo,
            "environment": {"name": "single_turn_chat"}, "reward": {"type": "exact_match"}}),
        )
        .await?;
    api.wait_job(&b_t, &format!("/v1/fine_tuning/jobs/{ft_trained}"))
        .await?;
    api.wait_job(&b_t, &format!("/v1/rl/jobs/{rl_trained}"))
        .await?;
    server.kill().await?;
    put("ft_trained", ft_trained);
    put("rl_trained", rl_trained);

    // ---- second run: everything else, with jobs that stay queued.
    let server = ServerProcess::spawn(bin, data_dir, "bitstride", &queued).await?;
    let api = Api {
        base: server.base_url.clone(),
        http,
    };
    // ada: exactly what the list examples show.
    api.ok(
        "PUT",
        "/v1/orgs/current",
        Some(&ada_t),
        Some(json!({"billing_email": "billing@example.com"})),
    )
    .await?;
    let proj = api
        .id(
            &ada_t,
            "/v1/projects",
            json!({"name": "support-bot", "description": "Customer-support assistant"}),
        )
        .await?;
    let model = api
        .id(&ada_t, "/v1/models", json!({"name": "support-llama", "base_model": "llama-3.1-8b-instruct",
            "description": "Support assistant weights", "project_id": proj, "artifact_uri": "s3://bitstride-models/support-llama/v1"}))
        .await?;
    let ds = api
        .id(
            &ada_t,
            "/v1/datasets",
            json!({"name": "support-chats-2025-01", "purpose": "fine_tuning",
            "description": "Resolved tickets, January", "project_id": proj}),
        )
        .await?;
    api.upload(&ada_t, &ds, documented_dataset()).await?;
    api.ok(
        "POST",
        &format!("/v1/datasets/{ds}/validate"),
        Some(&ada_t),
        None,
    )
    .await?;
    let mut dep = deployment("Support chat", "support-chat", &mock_url, true);
    dep["model_id"] = json!(model);
    dep["project_id"] = json!(proj);
    let dep_ada = api.id(&ada_t, "/v1/deployments", dep).await?;
    let ftjob = api
        .id(&ada_t, "/v1/fine_tuning/jobs", json!({"base_model": "llama-3.1-8b-instruct", "training_dataset_id": ds,
            "validation_dataset_id": ds, "hyperparameters": {"n_epochs": 3}, "suffix": "support", "project_id": proj}))
        .await?;
    let ci = api
        .ok(
            "POST",
            "/v1/api_keys",
            Some(&ada_t),
            Some(json!({"name": "ci-pipeline", "scopes": ["read", "inference"]})),
        )
        .await?;
    let ci_key = ci["key"].as_str().unwrap_or_default().to_owned();
    api.ok("GET", "/v1/auth/verify", Some(&ci_key), None)
        .await?; // sets last_used_at
    put(
        "ada_key_id",
        ci["id"].as_str().unwrap_or_default().to_owned(),
    );
    put("bearer_ada_key", format!("Bearer {ci_key}"));
    let login = api
        .ok(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": "ada@example.com", "password": PASSWORD})),
        )
        .await?;
    put(
        "ada_refresh",
        login["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );

    // b: the rest.
    let none = api
        .ok(
            "POST",
            "/v1/api_keys",
            Some(&b_t),
            Some(json!({"name": "no-scopes", "scopes": []})),
        )
        .await?;
    put(
        "bearer_key_none",
        format!("Bearer {}", none["key"].as_str().unwrap_or_default()),
    );
    let proj_b = api
        .id(&b_t, "/v1/projects", json!({"name": "other"}))
        .await?;
    let ds_upload = api
        .id(
            &b_t,
            "/v1/datasets",
            json!({"name": "support-chats-2025-01", "purpose": "fine_tuning",
            "description": "Resolved tickets, January", "project_id": proj_b}),
        )
        .await?;
    let ds_invalid = api
        .id(
            &b_t,
            "/v1/datasets",
            json!({"name": "broken", "purpose": "fine_tuning"}),
        )
        .await?;
    api.upload(&b_t, &ds_invalid, invalid_dataset()).await?;
    let ds_pending = api
        .id(
            &b_t,
            "/v1/datasets",
            json!({"name": "empty", "purpose": "fine_tuning"}),
        )
        .await?;
    let ds_valid_b = api
        .id(
            &b_t,
            "/v1/datasets",
            json!({"name": "ok", "purpose": "fine_tuning"}),
        )
        .await?;
    api.upload(&b_t, &ds_valid_b, demo_chat()).await?;
    api.ok(
        "POST",
        &format!("/v1/datasets/{ds_valid_b}/validate"),
        Some(&b_t),
        None,
    )
    .await?;
    let ft_done = api
        .id(
            &b_t,
            "/v1/fine_tuning/jobs",
            json!({"base_model": "llama-3.1-8b-instruct", "training_dataset_id": ds_valid_b}),
        )
        .await?;
    api.ok(
        "POST",
        &format!("/v1/fine_tuning/jobs/{ft_done}/cancel"),
        Some(&b_t),
        None,
    )
    .await?;
    let rl_b = api
        .id(
            &b_t,
            "/v1/datasets",
            json!({"name": "sums", "purpose": "rl"}),
        )
        .await?;
    api.upload(&b_t, &rl_b, demo_rl()).await?;
    api.ok(
        "POST",
        &format!("/v1/datasets/{rl_b}/validate"),
        Some(&b_t),
        None,
    )
    .await?;
    let rl_done = api
        .id(
            &b_t,
            "/v1/rl/jobs",
            json!({"base_model": "qwen2.5-7b-instruct", "dataset_id": rl_b,
            "environment": {"name": "single_turn_chat"}, "reward": {"type": "exact_match"}}),
        )
        .await?;
    api.ok(
        "POST",
        &format!("/v1/rl/jobs/{rl_done}/cancel"),
        Some(&b_t),
        None,
    )
    .await?;
    let ready_b = api
        .id(
            &b_t,
            "/v1/deployments",
            deployment("Ready", "ready-b", &mock_url, true),
        )
        .await?;
    let stopped_b = api
        .id(
            &b_t,
            "/v1/deployments",
            deployment("Stopped", "stopped-b", &mock_url, true),
        )
        .await?;
    api.ok(
        "PUT",
        &format!("/v1/deployments/{stopped_b}"),
        Some(&b_t),
        Some(json!({"status": "stopped"})),
    )
    .await?;
    let nostream_b = api
        .id(
            &b_t,
            "/v1/deployments",
            deployment("No streaming", "nostream-b", &mock_url, false),
        )
        .await?;
    let rl_pending = api
        .id(
            &b_t,
            "/v1/datasets",
            json!({"name": "later", "purpose": "rl"}),
        )
        .await?;
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let failed_b = api
        .id(
            &b_t,
            "/v1/deployments",
            deployment("Dead", "failed-b", &dead, true),
        )
        .await?;
    let mut upd = deployment("Support chat", "support-chat-b", &mock_url, true);
    upd["model_id"] = json!(model_in(&api, &b_t).await?);
    upd["project_id"] = json!(proj_b);
    let dep_upd = api.id(&b_t, "/v1/deployments", upd).await?;
    // c: an RL job and this month's usage.
    let proj_c = api.id(&c_t, "/v1/projects", json!({"name": "rl"})).await?;
    let rl_c = api
        .id(
            &c_t,
            "/v1/datasets",
            json!({"name": "sums", "purpose": "rl"}),
        )
        .await?;
    api.upload(&c_t, &rl_c, demo_rl()).await?;
    api.ok(
        "POST",
        &format!("/v1/datasets/{rl_c}/validate"),
        Some(&c_t),
        None,
    )
    .await?;
    let rljob = api
        .id(&c_t, "/v1/rl/jobs", json!({"base_model": "qwen2.5-7b-instruct", "dataset_id": rl_c, "algorithm": "grpo",
            "environment": {"name": "single_turn_chat", "config": {"max_turns": 1}},
            "reward": {"type": "exact_match", "config": {"field": "answer", "case_sensitive": false}},
            "project_id": proj_c}))
        .await?;

    // Identities: ada links github (subject 1001); grace signs up through it (4004).
    let link = api
        .ok("POST", "/v1/auth/link/github", Some(&ada_t), None)
        .await?;
    let state = state_of(link["authorize_url"].as_str().unwrap_or_default())?;
    api.ok(
        "GET",
        &format!("/v1/auth/callback/github?code=setup&state={state}"),
        Some(&ada_t),
        None,
    )
    .await?;
    let state = oauth_state(&api).await?;
    let grace = api
        .ok(
            "GET",
            &format!("/v1/auth/callback/github?code=newcomer&state={state}"),
            None,
            None,
        )
        .await?;
    put("bearer_grace", format!("Bearer {}", token(&grace)));
    // OAuth states issued by the server (the callback needs them): sign-ins, and b's link flows.
    for name in [
        "oauth_state",
        "oauth_state_refused",
        "oauth_state_b",
        "oauth_state_unverified",
    ] {
        put(name, oauth_state(&api).await?);
    }
    for name in ["oauth_link_state", "oauth_link_taken"] {
        let link = api
            .ok("POST", "/v1/auth/link/github", Some(&b_t), None)
            .await?;
        put(
            name,
            state_of(link["authorize_url"].as_str().unwrap_or_default())?,
        );
    }
    // Sign-in throttling: this address is locked after five failures.
    for _ in 0..5 {
        api.call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": "locked@example.com", "password": "wrong password"})),
            None,
        )
        .await?;
    }

    // MFA accounts: one with MFA on, one to turn it off, one with a pending enrolment.
    let mut secrets = Vec::new();
    for (name, confirm) in [
        ("mfa_on", true),
        ("mfa_dis", true),
        ("mfa_ver", false),
        ("mfa_lock", true),
    ] {
        let s = api.register(&format!("{name}@example.com")).await?;
        let t = token(&s);
        let e = api
            .ok("POST", "/v1/auth/mfa/enroll", Some(&t), None)
            .await?;
        let secret = e["secret"].as_str().unwrap_or_default().to_owned();
        if confirm {
            api.ok(
                "POST",
                "/v1/auth/mfa/verify",
                Some(&t),
                Some(json!({"code": totp_at(&secret, -1)?})),
            )
            .await?;
        }
        put(&format!("bearer_{name}"), format!("Bearer {t}"));
        secrets.push((name, secret));
    }
    for n in ["mfa_token", "mfa_token_2"] {
        let l = api
            .ok(
                "POST",
                "/v1/auth/login",
                None,
                Some(json!({"email": "mfa_on@example.com", "password": PASSWORD})),
            )
            .await?;
        put(n, l["mfa_token"].as_str().unwrap_or_default().to_owned());
    }
    // MFA lockout: ten wrong codes (five on each of two mfa_tokens) lock this
    // account's MFA sign-in; a third token, from the right password, meets the lock.
    for n in ["mfa_token_lock_1", "mfa_token_lock_2", "mfa_token_locked"] {
        let l = api
            .ok(
                "POST",
                "/v1/auth/login",
                None,
                Some(json!({"email": "mfa_lock@example.com", "password": PASSWORD})),
            )
            .await?;
        let t = l["mfa_token"].as_str().unwrap_or_default().to_owned();
        if n == "mfa_token_locked" {
            put(n, t);
            break;
        }
        for _ in 0..5 {
            api.call(
                "POST",
                "/v1/auth/mfa/verify-login",
                None,
                Some(json!({"mfa_token": t, "code": "000000"})),
                None,
            )
            .await?;
        }
    }
    // Account mail: this server has no SMTP relay, so every message is an .eml file in the
    // data directory, where the tokens are read from.
    let mut mail_bearers = Vec::new();
    for name in [
        "verify",
        "verified",
        "resend",
        "resend_max",
        "resend_down",
        "pw_wrong",
        "pw_locked",
    ] {
        let email = format!("{name}@example.com");
        let session = api.register(&email).await?;
        mail_bearers.push((name, format!("Bearer {}", token(&session))));
        let m = crate::mail::wait_in_folder(data_dir, &email, "evt_").await?;
        let verify = crate::mail::token(&m, "evt_").context("a verification token in the mail")?;
        match name {
            "verify" => put("verify_token", verify),
            "verified" => {
                api.ok(
                    "POST",
                    "/v1/auth/verify-email",
                    None,
                    Some(json!({"token": verify})),
                )
                .await?;
            }
            // Registration sent the first of five mails an hour; four more use them up.
            "resend_max" => {
                for _ in 0..4 {
                    api.ok(
                        "POST",
                        "/v1/auth/verify-email/resend",
                        Some(&token(&session)),
                        None,
                    )
                    .await?;
                }
            }
            // Five failed sign-ins: the next wrong password locks the address.
            "pw_locked" => {
                for _ in 0..5 {
                    api.call(
                        "POST",
                        "/v1/auth/login",
                        None,
                        Some(json!({"email": email, "password": "wrong password"})),
                        None,
                    )
                    .await?;
                }
            }
            _ => {}
        }
    }
    for (name, bearer) in mail_bearers {
        put(&format!("bearer_{name}"), bearer);
    }
    // Wait for the health probe to settle every deployment.
    for (t, id) in [
        (&ada_t, &dep_ada),
        (&b_t, &ready_b),
        (&b_t, &nostream_b),
        (&b_t, &dep_upd),
        (&b_t, &failed_b),
    ] {
        for _ in 0..100 {
            let d = api
                .ok("GET", &format!("/v1/deployments/{id}"), Some(t), None)
                .await?;
            if d["status"] != "pending" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    server.kill().await?;

    // Usage: January 2025 for ada (the usage example), this month for c (the invoice).
    let ada_org = ada["user"]["org_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let c_org = c["user"]["org_id"].as_str().unwrap_or_default().to_owned();
    for (org, model, req, input, output, trained, at) in [
        (
            &ada_org,
            "support-llama",
            "42",
            "12600",
            "8400",
            "0",
            1_735_693_200i64,
        ),
        (
            &ada_org,
            "llama-3.1-8b-instruct",
            "0",
            "0",
            "0",
            "14580",
            1_735_783_200,
        ),
        (&c_org, "support-llama", "52", "15600", "10400", "0", now()),
        (
            &c_org,
            "llama-3.1-8b-instruct",
            "0",
            "0",
            "0",
            "14580",
            now(),
        ),
    ] {
        let at = at.to_string();
        admin(
            bin,
            data_dir,
            &[
                "bitstride",
                "usage-record",
                "--org",
                org,
                "--model",
                model,
                "--requests",
                req,
                "--input",
                input,
                "--output",
                output,
                "--trained",
                trained,
                "--at",
                &at,
            ],
        )
        .await?;
    }

    // The usage example's second support-llama day is one end user's (the `by_user` example).
    admin(
        bin,
        data_dir,
        &[
            "bitstride",
            "usage-record",
            "--org",
            &ada_org,
            "--model",
            "support-llama",
            "--requests",
            "10",
            "--input",
            "3000",
            "--output",
            "2000",
            "--at",
            "1735779600",
            "--user",
            "user-1234",
        ],
    )
    .await?;
    refuse_usage_of(data_dir, UNBILLABLE_USER).await?;

    for (k, v) in [
        ("bearer_ada", format!("Bearer {ada_t}")),
        ("bearer_b", format!("Bearer {b_t}")),
        ("bearer_c", format!("Bearer {c_t}")),
        ("proj", proj),
        ("proj_b", proj_b),
        ("model", model),
        ("ds", ds),
        ("ds_upload", ds_upload),
        ("ds_invalid", ds_invalid),
        ("ds_pending", ds_pending),
        ("ds_rl_b", rl_b),
        ("ds_rl_c", rl_c),
        ("proj_c", proj_c),
        ("dep_ada", dep_ada),
        ("dep_ready_b", ready_b),
        ("dep_stopped_b", stopped_b),
        ("dep_failed_b", failed_b),
        ("dep_nostream_b", nostream_b),
        ("ds_rl_pending", rl_pending),
        ("dep_upd", dep_upd),
        ("ftjob", ftjob),
        ("ft_done", ft_done),
        ("rljob", rljob),
        ("rl_done", rl_done),
        ("mock_url", mock_url.clone()),
        ("big_body", "x".repeat(70 * 1024)),
    ] {
        put(k, v);
    }
    // TOTP codes last: they are valid for 30 to 60 seconds.
    for (name, secret) in secrets {
        put(&format!("code_{name}"), totp_at(&secret, 0)?);
    }
    let mut setup = LocalSetup {
        fixtures: fx_map,
        ..Default::default()
    };
    // The chat examples run against a gateway-mode server (the control plane's are served by
    // the full one); the integration tests run the same routes in full mode.
    let mut gateway = queued.clone();
    gateway.extend(["--bitstride-mode", "gateway"].map(String::from));
    let mut limited = gateway.clone();
    limited.extend(["--bitstride-rate-limit-per-minute", "1"].map(String::from));
    setup.variants.push(("default", queued.clone()));
    setup.variants.push(("gateway", gateway));
    setup.variants.push(("limited", limited));
    // The SMTP relay of this one is a port nothing listens on.
    let mut mail_down = queued.clone();
    mail_down.extend([
        "--smtp-url".to_owned(),
        format!("smtp://127.0.0.1:{}", closed_port()),
    ]);
    setup.variants.push(("mail-down", mail_down));
    setup.variants.push(super::storage_down_variant());
    setup.guards.push(Box::new(mock));
    Ok(setup)
}

/// The `state` of an authorize URL.
fn state_of(authorize_url: &str) -> Result<String> {
    url::Url::parse(authorize_url)?
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .with_context(|| format!("no state in {authorize_url}"))
}

/// A fresh sign-in `state` from `GET /v1/auth/login/github`.
async fn oauth_state(api: &Api) -> Result<String> {
    let (status, _, headers) = api
        .call("GET", "/v1/auth/login/github", None, None, None)
        .await?;
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .with_context(|| format!("login_with_provider answered {status} without a location"))?;
    state_of(location)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A model of the organization of `token` (the trained one), for a deployment's `model_id`.
async fn model_in(api: &Api, token: &str) -> Result<String> {
    let list = api.ok("GET", "/v1/models", Some(token), None).await?;
    list["data"][0]["id"]
        .as_str()
        .map(str::to_owned)
        .context("organization b has a trained model")
}

/// The end user whose usage records the storage refuses (the gateway's 503).
const UNBILLABLE_USER: &str = "usage-refused";

/// Makes the database of `data_dir` refuse to store usage records of `user`
/// (a trigger that raises), so that the gateway's "usage not recorded" 503 is
/// reached on a live server without taking the whole storage down.
async fn refuse_usage_of(data_dir: &Path, user: &str) -> Result<()> {
    use sqlx::Connection as _;
    let user = user.replace('\'', "");
    match crate::server::database_for(data_dir).await? {
        None => {
            let url = format!("sqlite://{}", data_dir.join("quartet.db").display());
            let mut c = sqlx::SqliteConnection::connect(&url).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE TRIGGER IF NOT EXISTS refuse_usage BEFORE INSERT ON bitstride_usage
                 WHEN NEW.end_user = '{user}' BEGIN SELECT RAISE(ABORT, 'usage refused'); END"
            )))
            .execute(&mut c)
            .await?;
        }
        Some(url) => {
            let mut c = sqlx::PgConnection::connect(&url).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE OR REPLACE FUNCTION refuse_usage() RETURNS trigger LANGUAGE plpgsql AS
                     $$ BEGIN RAISE EXCEPTION 'usage refused'; END $$;
                 DROP TRIGGER IF EXISTS refuse_usage ON bitstride_usage;
                 CREATE TRIGGER refuse_usage BEFORE INSERT ON bitstride_usage FOR EACH ROW
                     WHEN (NEW.end_user = '{user}') EXECUTE FUNCTION refuse_usage();"
            )))
            .execute(&mut c)
            .await?;
        }
    }
    Ok(())
}

fn with(s: Scenario, bearer: &'static str) -> Scenario {
    s.header("authorization", fx(bearer))
        .local_only(NEEDS_SETUP)
}

const SESSION_V: [&str; 6] = [
    "/access_token",
    "/refresh_token",
    "/user/id",
    "/user/org_id",
    "/user/created_at",
    "/expires_in",
];
const PROJECT_V: [&str; 4] = ["/id", "/org_id", "/created_at", "/updated_at"];
const MODEL_V: [&str; 5] = [
    "/id",
    "/project_id",
    "/created_at",
    "/updated_at",
    "/dataset_id",
];
const DATASET_V: [&str; 4] = ["/id", "/project_id", "/created_at", "/updated_at"];
const DEP_V: [&str; 7] = [
    "/id",
    "/endpoint",
    "/model_id",
    "/project_id",
    "/created_at",
    "/updated_at",
    "/subdomain",
];
const FT_V: [&str; 7] = [
    "/id",
    "/training_dataset_id",
    "/validation_dataset_id",
    "/project_id",
    "/created_at",
    "/finished_at",
    "/started_at",
];
const RL_V: [&str; 6] = [
    "/id",
    "/dataset_id",
    "/project_id",
    "/created_at",
    "/finished_at",
    "/started_at",
];

fn listed(v: &[&'static str]) -> Vec<&'static str> {
    v.iter()
        .map(|p| -> &'static str { Box::leak(format!("/data/*{p}").into_boxed_str()) })
        .collect()
}

/// 401 (no token), 403 (a key without the scope) and, with `id`, 404 scenarios of an operation.
fn guards(
    op: &'static str,
    forbidden: &'static str,
    not_found: bool,
    id_param: &'static str,
) -> Vec<Scenario> {
    let mut out = vec![Scenario::new(op, "401", "example")];
    let forbid = Scenario::new(op, "403", "example");
    out.push(with(forbid, forbidden));
    if not_found {
        out.push(
            with(Scenario::new(op, "404", "example"), "bearer_ada")
                .param(id_param, lit("nope_0000000000000000")),
        );
    }
    out
}

/// Every Bitstride scenario.
pub fn scenarios() -> Vec<Scenario> {
    let mut s = Vec::new();
    let ada = |op, status, example| with(Scenario::new(op, status, example), "bearer_ada");
    let b = |op, status, example| with(Scenario::new(op, status, example), "bearer_b");
    let limit0 = |op: &'static str| {
        with(Scenario::new(op, "400", "example"), "bearer_ada").param("limit", lit("0"))
    };
    let not_json = |sc: Scenario| sc.raw(b"hello".to_vec()).content_type("application/json");

    // ---- probes
    s.push(Scenario::new("health", "200", "example").volatile(&["/uptime_seconds"]));
    s.push(Scenario::new("metrics", "200", "example").volatile(&[""]));
    s.push(Scenario::new("ready", "200", "example").local_only(NEEDS_SETUP));
    s.push(
        Scenario::new("ready", "503", "example")
            .variant("storage-down")
            .local_only(super::NEEDS_STORAGE_DOWN),
    );

    // ---- API keys (session only)
    let key_v = ["/id", "/prefix", "/created_at", "/last_used_at"];
    s.push(ada("list_api_keys", "200", "example").volatile(&listed(&key_v)));
    s.push(limit0("list_api_keys"));
    s.push(Scenario::new("list_api_keys", "401", "example"));
    s.push(with(
        Scenario::new("list_api_keys", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(ada("create_api_key", "201", "example").volatile(&[
        "/id",
        "/key",
        "/prefix",
        "/created_at",
    ]));
    s.push(
        ada("create_api_key", "400", "expired")
            .json(json!({"name": "old", "expires_at": 1_600_000_000})),
    );
    s.push(ada("create_api_key", "400", "missing_field").json(json!({})));
    s.push(Scenario::new("create_api_key", "401", "example"));
    s.push(with(
        Scenario::new("create_api_key", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(
        ada("update_api_key", "200", "example")
            .param("id", fx("ada_key_id"))
            .volatile(&key_v),
    );
    s.push(not_json(ada("update_api_key", "400", "example")).param("id", fx("ada_key_id")));
    s.push(Scenario::new("update_api_key", "401", "example"));
    s.push(with(
        Scenario::new("update_api_key", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(ada("update_api_key", "404", "example"));
    s.push(Scenario::new("delete_api_key", "401", "example"));
    s.push(with(
        Scenario::new("delete_api_key", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(ada("delete_api_key", "404", "example"));

    // ---- OAuth
    s.push(
        Scenario::new("oauth_callback", "200", "example")
            .param("state", fx("oauth_state"))
            .volatile(&SESSION_V)
            .local_only(NEEDS_SETUP),
    );
    s.push(Scenario::new("oauth_callback", "400", "example"));
    s.push(
        Scenario::new("oauth_callback", "403", "example")
            .param("state", fx("oauth_link_state"))
            .local_only(NEEDS_SETUP),
    );
    s.push(Scenario::new("oauth_callback", "404", "example").param("provider", lit("gitlab")));
    s.push(
        Scenario::new("oauth_callback", "409", "identity_link_required")
            .param("state", fx("oauth_state_b"))
            .param("code", lit("unlinked-b"))
            .local_only(NEEDS_SETUP),
    );
    s.push(
        with(
            Scenario::new("oauth_callback", "409", "identity_taken"),
            "bearer_b",
        )
        .param("state", fx("oauth_link_taken")),
    );
    s.push(
        Scenario::new("oauth_callback", "502", "exchange_failed")
            .param("state", fx("oauth_state_refused"))
            .param("code", lit("refused"))
            .local_only(NEEDS_SETUP),
    );
    s.push(
        Scenario::new("oauth_callback", "502", "no_verified_email")
            .param("state", fx("oauth_state_unverified"))
            .param("code", lit("unverified"))
            .local_only(NEEDS_SETUP),
    );
    // ---- linked identities (session only)
    s.push(b("link_identity", "200", "example").volatile(&["/authorize_url", "/expires_at"]));
    s.push(Scenario::new("link_identity", "401", "example"));
    s.push(with(
        Scenario::new("link_identity", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(b("link_identity", "404", "example").param("provider", lit("gitlab")));
    s.push(ada("link_identity", "409", "example"));
    s.push(
        ada("list_identities", "200", "example")
            .volatile(&["/data/*/created_at", "/data/*/last_used_at"]),
    );
    s.push(Scenario::new("list_identities", "401", "example"));
    s.push(with(
        Scenario::new("list_identities", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(Scenario::new("unlink_identity", "401", "example"));
    s.push(with(
        Scenario::new("unlink_identity", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(b("unlink_identity", "404", "example"));
    s.push(with(
        Scenario::new("unlink_identity", "409", "example"),
        "bearer_grace",
    ));
    s.push(Scenario::new("login_with_provider", "404", "example").param("provider", lit("gitlab")));

    // ---- sign-in and sessions
    s.push(
        Scenario::new("login", "200", "session")
            .volatile(&SESSION_V)
            .local_only(NEEDS_SETUP),
    );
    s.push(
        Scenario::new("login", "200", "mfa_required")
            .json(json!({"email": "mfa_on@example.com", "password": PASSWORD}))
            .volatile(&["/mfa_token"])
            .local_only(NEEDS_SETUP),
    );
    s.push(Scenario::new("login", "400", "example").json(json!({})));
    s.push(
        Scenario::new("login", "401", "example")
            .json(json!({"email": "ada@example.com", "password": "not the password"})),
    );
    s.push(
        Scenario::new("login", "429", "example")
            .json(json!({"email": "locked@example.com", "password": "wrong password"}))
            .local_only(NEEDS_SETUP),
    );
    s.push(Scenario::new("logout", "401", "example"));
    s.push(with(
        Scenario::new("logout", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(
        Scenario::new("refresh_session", "200", "example")
            .json(json!({"refresh_token": "fx:ada_refresh"}))
            .volatile(&SESSION_V)
            .local_only(NEEDS_SETUP),
    );
    s.push(Scenario::new("refresh_session", "400", "example").json(json!({})));
    s.push(Scenario::new("refresh_session", "401", "example"));
    s.push(Scenario::new("register", "201", "example").json(json!({"email": "ada.lovelace@example.com", "password": PASSWORD, "name": "Ada Lovelace", "organization_name": "Analytical Engines"})).volatile(&[&SESSION_V[..], &["/user/email"]].concat()));
    s.push(
        Scenario::new("register", "400", "password_too_short")
            .json(json!({"email": "short@example.com", "password": "short"})),
    );
    s.push(Scenario::new("register", "400", "missing_field").json(json!({})));
    s.push(Scenario::new("register", "409", "example").local_only(NEEDS_SETUP));
    s.push(ada("verify_session", "200", "example").volatile(&[
        "/user/id",
        "/user/org_id",
        "/user/created_at",
        "/org_id",
        "/expires_at",
    ]));
    s.push(Scenario::new("verify_session", "401", "example"));

    // ---- email verification and password recovery
    s.push(
        Scenario::new("verify_email", "200", "example")
            .json(json!({"token": "fx:verify_token"}))
            .volatile(&[
                "/id",
                "/org_id",
                "/created_at",
                "/email",
                "/email_verified_at",
            ])
            .local_only(NEEDS_SETUP),
    );
    s.push(Scenario::new("verify_email", "400", "invalid_token"));
    s.push(Scenario::new("verify_email", "400", "missing_field").json(json!({})));
    s.push(with(
        Scenario::new("resend_verification_email", "202", "example"),
        "bearer_resend",
    ));
    s.push(Scenario::new("resend_verification_email", "401", "example"));
    s.push(with(
        Scenario::new("resend_verification_email", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(with(
        Scenario::new("resend_verification_email", "409", "example"),
        "bearer_verified",
    ));
    s.push(with(
        Scenario::new("resend_verification_email", "429", "example"),
        "bearer_resend_max",
    ));
    s.push(
        with(
            Scenario::new("resend_verification_email", "502", "example"),
            "bearer_resend_down",
        )
        .variant("mail-down"),
    );
    s.push(Scenario::new("forgot_password", "202", "example"));
    s.push(
        Scenario::new("forgot_password", "400", "email_format")
            .json(json!({"email": "not an address"})),
    );
    s.push(Scenario::new("forgot_password", "400", "missing_field").json(json!({})));
    s.push(Scenario::new("reset_password", "400", "invalid_token"));
    s.push(
        Scenario::new("reset_password", "400", "password_too_short")
            .json(json!({"token": "prt_0", "password": "short"})),
    );
    s.push(Scenario::new("reset_password", "400", "missing_field").json(json!({})));
    s.push(
        ada("change_password", "400", "new_password_too_short")
            .json(json!({"current_password": PASSWORD, "new_password": "short"})),
    );
    s.push(ada("change_password", "400", "missing_field").json(json!({})));
    s.push(Scenario::new("change_password", "401", "missing_token"));
    s.push(
        with(
            Scenario::new("change_password", "401", "wrong_password"),
            "bearer_pw_wrong",
        )
        .json(json!({"current_password": "not the password", "new_password": "tr0ub4dor and then some"})),
    );
    s.push(with(
        Scenario::new("change_password", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(
        with(
            Scenario::new("change_password", "429", "example"),
            "bearer_pw_locked",
        )
        .json(json!({"current_password": "wrong password", "new_password": "tr0ub4dor and then some"})),
    );

    // ---- MFA
    let user_v = ["/id", "/org_id", "/created_at", "/email"];
    s.push(
        with(
            Scenario::new("mfa_disable", "200", "example"),
            "bearer_mfa_dis",
        )
        .json(json!({"code": "fx:code_mfa_dis"}))
        .volatile(&user_v),
    );
    s.push(ada("mfa_disable", "400", "invalid_request").json(json!({"code": "12"})));
    s.push(not_json(ada("mfa_disable", "400", "invalid_json")));
    s.push(Scenario::new("mfa_disable", "401", "missing_token"));
    s.push(
        with(
            Scenario::new("mfa_disable", "401", "wrong_code"),
            "bearer_mfa_on",
        )
        .json(json!({"code": "000000"})),
    );
    s.push(with(
        Scenario::new("mfa_disable", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(ada("mfa_disable", "409", "example").json(json!({"code": "123456"})));
    s.push(
        with(
            Scenario::new("mfa_disable", "429", "example"),
            "bearer_mfa_lock",
        )
        .json(json!({"code": "000000"})),
    );
    s.push(ada("mfa_enroll", "200", "example").volatile(&[
        "/secret",
        "/otpauth_uri",
        "/recovery_codes/*",
    ]));
    s.push(Scenario::new("mfa_enroll", "401", "example"));
    s.push(with(
        Scenario::new("mfa_enroll", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(with(
        Scenario::new("mfa_enroll", "409", "example"),
        "bearer_mfa_on",
    ));
    s.push(
        with(
            Scenario::new("mfa_verify", "200", "example"),
            "bearer_mfa_ver",
        )
        .json(json!({"code": "fx:code_mfa_ver"}))
        .volatile(&user_v),
    );
    s.push(ada("mfa_verify", "400", "invalid_request").json(json!({"code": "12"})));
    s.push(not_json(ada("mfa_verify", "400", "invalid_json")));
    s.push(Scenario::new("mfa_verify", "401", "missing_token"));
    s.push(ada("mfa_verify", "401", "wrong_code").json(json!({"code": "000000"})));
    s.push(with(
        Scenario::new("mfa_verify", "403", "example"),
        "bearer_ada_key",
    ));
    s.push(b("mfa_verify", "409", "example").json(json!({"code": "123456"})));
    s.push(
        Scenario::new("mfa_verify_login", "200", "example")
            .json(json!({"mfa_token": "fx:mfa_token", "code": "fx:code_mfa_on"}))
            .volatile(&[&SESSION_V[..], &["/user/email"]].concat())
            .local_only(NEEDS_SETUP),
    );
    s.push(
        Scenario::new("mfa_verify_login", "400", "invalid_request")
            .json(json!({"mfa_token": "mfa_x", "code": "12"})),
    );
    s.push(not_json(Scenario::new(
        "mfa_verify_login",
        "400",
        "invalid_json",
    )));
    s.push(
        Scenario::new("mfa_verify_login", "400", "code_or_recovery")
            .json(json!({"mfa_token": "mfa_x"})),
    );
    s.push(Scenario::new(
        "mfa_verify_login",
        "401",
        "invalid_mfa_token",
    ));
    s.push(
        Scenario::new("mfa_verify_login", "401", "wrong_code")
            .json(json!({"mfa_token": "fx:mfa_token_2", "code": "000000"}))
            .local_only(NEEDS_SETUP),
    );
    s.push(
        Scenario::new("mfa_verify_login", "429", "example")
            .json(json!({"mfa_token": "fx:mfa_token_locked", "code": "000000"}))
            .local_only(NEEDS_SETUP),
    );

    // ---- gateway
    for op in ["create_chat_completion", "deployment_chat"] {
        let first = s.len();
        let (bearer, id_param): (&'static str, Option<&'static str>) = if op == "deployment_chat" {
            ("bearer_b", Some("dep_ready_b"))
        } else {
            ("bearer_ada", None)
        };
        let at = |sc: Scenario| match id_param {
            Some(f) => sc.param("deployment_id", fx(f)),
            None => sc,
        };
        let chat = |status, example| at(with(Scenario::new(op, status, example), bearer));
        let msg = |model: &str, content: &str, stream: bool| json!({"model": model, "messages": [{"role": "user", "content": content}], "stream": stream});
        s.push(chat("200", "example").volatile(&["/deployment_id"]));
        s.push(chat("200", "stream").json(msg(
            "support-chat",
            "How do I reset my password?",
            true,
        )));
        s.push(chat("400", "no_messages").json(json!({"model": "support-chat", "messages": []})));
        s.push(not_json(chat("400", "invalid_json")));
        s.push(
            with(
                Scenario::new(op, "400", "streaming_unsupported"),
                "bearer_b",
            )
            .json(msg("nostream-b", "hi", true))
            .param("deployment_id", fx("dep_nostream_b")),
        );
        s.push(chat("400", "user_too_long").json(json!({"model": "support-chat", "messages": [{"role": "user", "content": "hi"}], "user": "u".repeat(257)})));
        s.push(chat("503", "example").json(json!({"model": "support-chat", "messages": [{"role": "user", "content": "hi"}], "user": UNBILLABLE_USER})));
        s.push(Scenario::new(op, "401", "example"));
        s.push(at(with(
            Scenario::new(op, "403", "example"),
            "bearer_key_none",
        )));
        s.push(
            with(Scenario::new(op, "404", "example"), bearer)
                .json(msg("nope", "hi", false))
                .param("deployment_id", lit("dep_0000000000000000")),
        );
        s.push(
            with(Scenario::new(op, "409", "stopped"), "bearer_b")
                .json(msg("stopped-b", "hi", false))
                .param("deployment_id", fx("dep_stopped_b")),
        );
        s.push(
            with(Scenario::new(op, "409", "not_ready"), "bearer_b")
                .json(msg("failed-b", "hi", false))
                .param("deployment_id", fx("dep_failed_b")),
        );
        s.push(
            chat("413", "example")
                .raw(vec![b' '; 1024 * 1024 + 16])
                .content_type("application/json"),
        );
        let limited_setup =
            at(with(Scenario::new(op, "200", "example"), bearer)).variant("limited");
        s.push(chat("429", "rate").variant("limited").after(limited_setup));
        s.push(chat("502", "example").json(msg("support-chat", "mock:fail", false)));
        s.push(chat("504", "example").json(msg("support-chat", "mock:slow", false)));
        for sc in &mut s[first..] {
            if sc.variant == "default" {
                sc.variant = "gateway";
                sc.local_only.get_or_insert(NEEDS_SETUP);
            }
        }
    }

    // ---- datasets
    let ds_list_v = listed(&DATASET_V);
    s.push(ada("list_datasets", "200", "example").volatile(&ds_list_v));
    s.push(limit0("list_datasets"));
    s.extend(guards("list_datasets", "bearer_key_none", false, "id"));
    s.push(b("create_dataset", "201", "example").json(json!({"name": "support-chats-2025-01", "purpose": "fine_tuning", "format": "jsonl", "description": "Resolved tickets, January", "project_id": "fx:proj_b"})).volatile(&DATASET_V));
    s.push(ada("create_dataset", "400", "unknown_project"));
    s.push(ada("create_dataset", "400", "missing_field").json(json!({})));
    s.push(
        ada("create_dataset", "400", "row_format")
            .json(json!({"name": "x", "purpose": "rl", "row_format": "chat"})),
    );
    s.extend(guards("create_dataset", "bearer_key_none", false, "id"));
    s.push(
        ada("get_dataset", "200", "example")
            .param("id", fx("ds"))
            .volatile(&DATASET_V),
    );
    s.extend(guards("get_dataset", "bearer_key_none", true, "id"));
    s.push(
        ada("update_dataset", "200", "example")
            .param("id", fx("ds"))
            .volatile(&DATASET_V),
    );
    s.push(
        ada("update_dataset", "400", "invalid_request")
            .param("id", fx("ds"))
            .json(json!({"project_id": "proj_0000000000000000"})),
    );
    s.push(not_json(ada("update_dataset", "400", "invalid_json")).param("id", fx("ds")));
    s.extend(guards("update_dataset", "bearer_key_none", true, "id"));
    s.extend(guards("delete_dataset", "bearer_key_none", true, "id"));
    s.push(
        b("upload_dataset", "200", "example")
            .param("id", fx("ds_upload"))
            .volatile(&DATASET_V),
    );
    s.push(
        b("upload_dataset", "400", "example")
            .param("id", fx("ds_pending"))
            .raw(b"\n\n".to_vec()),
    );
    s.extend(guards("upload_dataset", "bearer_key_none", true, "id"));
    s.push(
        b("upload_dataset", "413", "example")
            .param("id", fx("ds_pending"))
            .raw(vec![b'x'; 16 * 1024 * 1024 + 1]),
    );
    s.push(
        ada("validate_dataset", "200", "valid")
            .param("id", fx("ds"))
            .volatile(&["/dataset_id", "/checked_at"]),
    );
    s.push(
        b("validate_dataset", "200", "invalid")
            .param("id", fx("ds_invalid"))
            .volatile(&["/dataset_id", "/checked_at"]),
    );
    s.extend(guards("validate_dataset", "bearer_key_none", true, "id"));
    s.push(b("validate_dataset", "409", "example").param("id", fx("ds_pending")));

    // ---- deployments
    s.push(ada("list_deployments", "200", "example").volatile(&listed(&DEP_V)));
    s.push(limit0("list_deployments"));
    s.extend(guards("list_deployments", "bearer_key_none", false, "id"));
    let mut dep = deployment("Support chat", "support-chat-eu", "fx:mock_url", true);
    dep["model_id"] = json!("fx:model");
    dep["project_id"] = json!("fx:proj");
    s.push(
        ada("create_deployment", "201", "example")
            .json(dep.clone())
            .volatile(&DEP_V),
    );
    let mut replicas = dep.clone();
    replicas["min_replicas"] = json!(5);
    replicas["max_replicas"] = json!(2);
    s.push(ada("create_deployment", "400", "replicas").json(replicas));
    let mut bad_sub = dep.clone();
    bad_sub["subdomain"] = json!("Not A Label");
    s.push(ada("create_deployment", "400", "subdomain").json(bad_sub));
    s.push(ada("create_deployment", "400", "private_endpoint"));
    s.extend(guards("create_deployment", "bearer_key_none", false, "id"));
    let mut taken = dep.clone();
    taken["subdomain"] = json!("support-chat");
    s.push(ada("create_deployment", "409", "example").json(taken));
    s.push(
        ada("get_deployment", "200", "example")
            .param("id", fx("dep_ada"))
            .volatile(&DEP_V),
    );
    s.extend(guards("get_deployment", "bearer_key_none", true, "id"));
    s.push(
        b("update_deployment", "200", "example")
            .param("id", fx("dep_upd"))
            .volatile(&DEP_V),
    );
    s.push(
        b("update_deployment", "400", "invalid_request")
            .param("id", fx("dep_upd"))
            .json(json!({"min_replicas": 9, "max_replicas": 3})),
    );
    s.push(not_json(b("update_deployment", "400", "invalid_json")).param("id", fx("dep_upd")));
    s.extend(guards("update_deployment", "bearer_key_none", true, "id"));

    // ---- fine-tuning
    s.push(ada("list_fine_tuning_jobs", "200", "example").volatile(&listed(&FT_V)));
    s.push(limit0("list_fine_tuning_jobs"));
    s.extend(guards(
        "list_fine_tuning_jobs",
        "bearer_key_none",
        false,
        "id",
    ));
    let ft = json!({"base_model": "llama-3.1-8b-instruct", "training_dataset_id": "fx:ds", "validation_dataset_id": "fx:ds", "hyperparameters": {"n_epochs": 3}, "suffix": "support", "project_id": "fx:proj"});
    s.push(
        ada("create_fine_tuning_job", "201", "example")
            .json(ft.clone())
            .volatile(&FT_V),
    );
    s.push(ada("create_fine_tuning_job", "400", "unknown_dataset"));
    s.push(ada("create_fine_tuning_job", "400", "missing_field").json(json!({})));
    let mut other_base = ft.clone();
    other_base["base_model"] = json!("gpt-7");
    s.push(ada("create_fine_tuning_job", "400", "unsupported_base_model").json(other_base));
    s.extend(guards(
        "create_fine_tuning_job",
        "bearer_key_none",
        false,
        "id",
    ));
    s.push(
        b("create_fine_tuning_job", "409", "dataset_not_valid").json(
            json!({"base_model": "llama-3.1-8b-instruct", "training_dataset_id": "fx:ds_pending"}),
        ),
    );
    s.push(
        b("create_fine_tuning_job", "409", "wrong_purpose").json(
            json!({"base_model": "llama-3.1-8b-instruct", "training_dataset_id": "fx:ds_rl_b"}),
        ),
    );
    s.push(
        ada("get_fine_tuning_job", "200", "example")
            .param("id", fx("ftjob"))
            .volatile(&FT_V),
    );
    s.extend(guards("get_fine_tuning_job", "bearer_key_none", true, "id"));
    s.push(
        ada("cancel_fine_tuning_job", "200", "example")
            .param("id", fx("ftjob"))
            .volatile(&FT_V),
    );
    s.extend(guards(
        "cancel_fine_tuning_job",
        "bearer_key_none",
        true,
        "id",
    ));
    s.push(b("cancel_fine_tuning_job", "409", "example").param("id", fx("ft_done")));
    let ev_v = [
        "/data/*/id",
        "/data/*/created_at",
        "/data/0/message",
        "/data/1/data/train_loss",
    ];
    s.push(
        b("list_fine_tuning_job_events", "200", "example")
            .param("id", fx("ft_trained"))
            .param("limit", crate::scenario::Val::Documented)
            .volatile(&ev_v),
    );
    s.push(
        b("list_fine_tuning_job_events", "400", "example")
            .param("id", fx("ft_trained"))
            .param("limit", lit("0")),
    );
    s.extend(guards(
        "list_fine_tuning_job_events",
        "bearer_key_none",
        true,
        "id",
    ));

    // ---- RL
    s.push(
        with(Scenario::new("list_rl_jobs", "200", "example"), "bearer_c").volatile(&listed(&RL_V)),
    );
    s.push(limit0("list_rl_jobs"));
    s.extend(guards("list_rl_jobs", "bearer_key_none", false, "id"));
    let rl = json!({"base_model": "qwen2.5-7b-instruct", "dataset_id": "fx:ds_rl_c", "algorithm": "grpo",
        "environment": {"name": "single_turn_chat", "config": {"max_turns": 1}},
        "reward": {"type": "exact_match", "config": {"field": "answer", "case_sensitive": false}}, "project_id": "fx:proj_c"});
    s.push(
        with(Scenario::new("create_rl_job", "201", "example"), "bearer_c")
            .json(rl.clone())
            .volatile(&RL_V),
    );
    s.push(ada("create_rl_job", "400", "unknown_dataset"));
    s.push(ada("create_rl_job", "400", "missing_field").json(json!({})));
    let mut other = rl.clone();
    other["base_model"] = json!("gpt-7");
    s.push(
        with(
            Scenario::new("create_rl_job", "400", "unsupported_base_model"),
            "bearer_c",
        )
        .json(other),
    );
    s.extend(guards("create_rl_job", "bearer_key_none", false, "id"));
    let env = json!({"name": "single_turn_chat"});
    let reward = json!({"type": "exact_match"});
    s.push(b("create_rl_job", "409", "dataset_not_valid").json(json!({"base_model": "qwen2.5-7b-instruct", "dataset_id": "fx:ds_rl_pending", "environment": env, "reward": reward})));
    s.push(ada("create_rl_job", "409", "wrong_purpose").json(json!({"base_model": "qwen2.5-7b-instruct", "dataset_id": "fx:ds", "environment": env, "reward": reward})));
    s.push(
        with(Scenario::new("get_rl_job", "200", "example"), "bearer_c")
            .param("id", fx("rljob"))
            .volatile(&RL_V),
    );
    s.extend(guards("get_rl_job", "bearer_key_none", true, "id"));
    s.push(
        with(Scenario::new("cancel_rl_job", "200", "example"), "bearer_c")
            .param("id", fx("rljob"))
            .volatile(&RL_V),
    );
    s.extend(guards("cancel_rl_job", "bearer_key_none", true, "id"));
    s.push(b("cancel_rl_job", "409", "example").param("id", fx("rl_done")));
    let rl_ev_v = [
        "/data/*/id",
        "/data/*/created_at",
        "/data/*/message",
        "/data/1/data/reward",
    ];
    s.push(
        b("list_rl_job_events", "200", "example")
            .param("id", fx("rl_trained"))
            .param("limit", crate::scenario::Val::Documented)
            .volatile(&rl_ev_v),
    );
    s.push(
        b("list_rl_job_events", "400", "example")
            .param("id", fx("rl_trained"))
            .param("limit", lit("0")),
    );
    s.extend(guards("list_rl_job_events", "bearer_key_none", true, "id"));

    // ---- billing
    s.push(
        with(Scenario::new("list_invoices", "200", "example"), "bearer_c").volatile(&[
            "/data/0/id",
            "/data/0/period_start",
            "/data/0/period_end",
            "/data/0/created_at",
        ]),
    );
    s.push(limit0("list_invoices"));
    s.extend(guards("list_invoices", "bearer_key_none", false, "id"));
    s.push(
        ada("get_usage", "200", "example")
            .param("start_time", crate::scenario::Val::Documented)
            .param("end_time", crate::scenario::Val::Documented),
    );
    s.push(
        ada("get_usage", "400", "inverted")
            .param("start_time", lit("1735862400"))
            .param("end_time", lit("1735689600")),
    );
    s.push(
        ada("get_usage", "400", "too_long")
            .param("start_time", lit("0"))
            .param("end_time", lit("40000000")),
    );
    s.push(
        ada("get_usage", "200", "by_user")
            .param("start_time", crate::scenario::Val::Documented)
            .param("end_time", crate::scenario::Val::Documented)
            .param("user", crate::scenario::Val::Documented),
    );
    s.push(ada("get_usage", "400", "user_too_long").param("user", lit("u".repeat(257))));
    s.extend(guards("get_usage", "bearer_key_none", false, "id"));

    // ---- models
    s.push(ada("list_models", "200", "example").volatile(&listed(&MODEL_V)));
    s.push(limit0("list_models"));
    s.extend(guards("list_models", "bearer_key_none", false, "id"));
    s.push(ada("create_model", "201", "example").json(json!({"name": "support-llama", "base_model": "llama-3.1-8b-instruct", "description": "Support assistant weights", "project_id": "fx:proj", "artifact_uri": "s3://bitstride-models/support-llama/v1"})).volatile(&MODEL_V));
    s.push(ada("create_model", "400", "unknown_project"));
    s.push(ada("create_model", "400", "missing_field").json(json!({})));
    s.extend(guards("create_model", "bearer_key_none", false, "id"));
    s.push(
        ada("get_model", "200", "example")
            .param("id", fx("model"))
            .volatile(&MODEL_V),
    );
    s.extend(guards("get_model", "bearer_key_none", true, "id"));
    s.push(
        ada("update_model", "200", "example")
            .param("id", fx("model"))
            .volatile(&MODEL_V),
    );
    s.push(
        ada("update_model", "400", "invalid_request")
            .param("id", fx("model"))
            .json(json!({"project_id": "proj_0000000000000000"})),
    );
    s.push(not_json(ada("update_model", "400", "invalid_json")).param("id", fx("model")));
    s.extend(guards("update_model", "bearer_key_none", true, "id"));
    s.extend(guards("delete_model", "bearer_key_none", true, "id"));

    // ---- organization
    let org_v = ["/id", "/owner_user_id", "/created_at", "/updated_at"];
    s.push(ada("get_current_org", "200", "example").volatile(&org_v));
    s.extend(guards("get_current_org", "bearer_key_none", false, "id"));
    s.push(ada("update_current_org", "200", "example").volatile(&org_v));
    s.push(ada("update_current_org", "400", "invalid_request").json(json!({"name": ""})));
    s.push(not_json(ada("update_current_org", "400", "invalid_json")));
    s.extend(guards("update_current_org", "bearer_key_none", false, "id"));
    s.push(Scenario::new("delete_current_org", "401", "example"));
    s.push(with(
        Scenario::new("delete_current_org", "403", "example"),
        "bearer_ada_key",
    ));

    // ---- projects
    s.push(ada("list_projects", "200", "example").volatile(&listed(&PROJECT_V)));
    s.push(limit0("list_projects"));
    s.extend(guards("list_projects", "bearer_key_none", false, "id"));
    s.push(
        with(
            Scenario::new("create_project", "201", "example"),
            "bearer_c",
        )
        .volatile(&PROJECT_V),
    );
    s.push(ada("create_project", "400", "example").json(json!({})));
    s.extend(guards("create_project", "bearer_key_none", false, "id"));
    s.push(ada("create_project", "409", "example"));
    s.push(ada("create_project", "413", "example").json(json!({"name": "fx:big_body"})));
    s.push(
        ada("get_project", "200", "example")
            .param("id", fx("proj"))
            .volatile(&PROJECT_V),
    );
    s.extend(guards("get_project", "bearer_key_none", true, "id"));
    s.push(
        ada("update_project", "200", "example")
            .param("id", fx("proj"))
            .volatile(&PROJECT_V),
    );
    s.push(not_json(ada("update_project", "400", "example")).param("id", fx("proj")));
    s.extend(guards("update_project", "bearer_key_none", true, "id"));
    s.push(
        with(
            Scenario::new("update_project", "409", "example"),
            "bearer_c",
        )
        .param("id", fx("proj_c"))
        .json(json!({"name": "support-bot"})),
    );
    s.extend(guards("delete_project", "bearer_key_none", true, "id"));
    s
}
