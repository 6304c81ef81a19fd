//! Bitstride against the real binary: sessions and refresh-token reuse, MFA,
//! tenant isolation on every resource, jobs that train, are cancelled, survive
//! a restart and are shared by two instances, the gateway (streaming, limits,
//! backend failures), invoices, runtime modes, the auth-service split and
//! OIDC sign-in and linked identities with a loopback provider.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use quartet_conformance::server::{admin, closed_port, fresh_database, ServerProcess};
use serde_json::{json, Value};

use crate::support::bin;
use crate::support::bitstride::{
    auth_split, backend, chat_rows, code, control_plane, say, spawn, valid_dataset, wait_status, C,
    PASSWORD,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_of_different_sessions_all_succeed() {
    // Each refresh reads its token, then writes: on SQLite such transactions must not
    // fail (503) because another one committed in between.
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = C::new(&s.base_url);
    let (_, first) = anon.register("grace@example.com").await;
    let mut tokens = vec![first["refresh_token"].as_str().unwrap().to_owned()];
    for _ in 1..8 {
        let v = anon
            .ok(
                "POST",
                "/v1/auth/login",
                Some(json!({"email": "grace@example.com", "password": PASSWORD})),
            )
            .await;
        tokens.push(v["refresh_token"].as_str().unwrap().to_owned());
    }
    for _ in 0..5 {
        let answers = futures::future::join_all(
            tokens
                .iter()
                .map(|t| anon.post("/v1/auth/refresh", json!({"refresh_token": t}))),
        )
        .await;
        tokens = answers
            .into_iter()
            .map(|(status, v)| {
                assert_eq!(status, 200, "{v}");
                v["refresh_token"].as_str().unwrap().to_owned()
            })
            .collect();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_reusing_a_spent_token_ends_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = C::new(&s.base_url);
    let (me, session) = anon.register("ada@example.com").await;
    let first = session["refresh_token"].as_str().unwrap().to_owned();
    let next = anon
        .ok(
            "POST",
            "/v1/auth/refresh",
            Some(json!({"refresh_token": first})),
        )
        .await;
    let second = next["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    let newer = anon.with(next["access_token"].as_str().unwrap());
    assert_eq!(newer.get("/v1/auth/verify").await.0, 200);
    // The spent token again: refused, and the whole family is revoked.
    let (status, body) = anon
        .post("/v1/auth/refresh", json!({"refresh_token": first}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(
        anon.post("/v1/auth/refresh", json!({"refresh_token": second}))
            .await
            .0,
        401
    );
    assert_eq!(
        newer.get("/v1/auth/verify").await.0,
        401,
        "access tokens of the family die too"
    );
    assert_eq!(me.get("/v1/auth/verify").await.0, 401);
    // Logout ends a session at once; a new login works.
    let login = anon
        .ok(
            "POST",
            "/v1/auth/login",
            Some(json!({"email": "ADA@example.com", "password": PASSWORD})),
        )
        .await;
    let fresh = anon.with(login["access_token"].as_str().unwrap());
    assert_eq!(fresh.req("POST", "/v1/auth/logout", None).await.0, 204);
    assert_eq!(fresh.get("/v1/projects").await.0, 401);
    // The refresh token is not stored in clear.
    let stored = quartet_conformance::server::stored_bytes(dir.path())
        .await
        .unwrap();
    let needle = login["refresh_token"].as_str().unwrap().as_bytes();
    assert!(!stored.windows(needle.len()).any(|w| w == needle));
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_throttled_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = C::new(&s.base_url);
    anon.register("ada@example.com").await;
    for _ in 0..5 {
        assert_eq!(anon.login("ada@example.com", "nope nope").await.0, 401);
    }
    let r = anon
        .http
        .post(format!("{}/v1/auth/login", s.base_url))
        .json(&json!({"email": "ada@example.com", "password": "nope nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    // Even the right password waits while locked.
    assert_eq!(anon.login("ada@example.com", PASSWORD).await.0, 429);
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_failed_sign_ins_are_each_counted() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = C::new(&s.base_url);
    anon.register("ada@example.com").await;
    // Six wrong passwords at once: every one counts, so the sixth locks the address.
    let answers =
        futures::future::join_all((0..6).map(|_| anon.login("ada@example.com", "nope nope"))).await;
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert_eq!(
        anon.login("ada@example.com", PASSWORD).await.0,
        429,
        "after {statuses:?}"
    );
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_and_recovery_codes_guard_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = C::new(&s.base_url);
    let (me, _) = anon.register("ada@example.com").await;
    let e = me.ok("POST", "/v1/auth/mfa/enroll", None).await;
    let secret = e["secret"].as_str().unwrap().to_owned();
    assert!(e["otpauth_uri"]
        .as_str()
        .unwrap()
        .contains(&format!("secret={secret}")));
    let codes: Vec<String> = e["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(
        me.post("/v1/auth/mfa/verify", json!({"code": "000000"}))
            .await
            .0,
        401
    );
    let user = me
        .ok(
            "POST",
            "/v1/auth/mfa/verify",
            Some(json!({"code": code(&secret, -1)})),
        )
        .await;
    assert_eq!(user["mfa_enabled"], true);
    // Sign-in now needs a second step.
    let login = || {
        anon.ok(
            "POST",
            "/v1/auth/login",
            Some(json!({"email": "ada@example.com", "password": PASSWORD})),
        )
    };
    let l = login().await;
    assert_eq!(l["mfa_required"], true);
    assert!(l.get("access_token").is_none());
    let token = l["mfa_token"].as_str().unwrap().to_owned();
    let (status, body) = anon
        .post(
            "/v1/auth/mfa/verify-login",
            json!({"mfa_token": token, "code": "000000"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_mfa_code"))
    );
    let used = code(&secret, 0);
    let session = anon
        .ok(
            "POST",
            "/v1/auth/mfa/verify-login",
            Some(json!({"mfa_token": token, "code": used})),
        )
        .await;
    assert!(session["access_token"].is_string());
    // The same code again, with a fresh mfa_token: a replay, refused.
    let fresh = login().await["mfa_token"].as_str().unwrap().to_owned();
    let (status, body) = anon
        .post(
            "/v1/auth/mfa/verify-login",
            json!({"mfa_token": fresh, "code": used}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_mfa_code")),
        "a code works once"
    );
    assert_eq!(
        anon.post(
            "/v1/auth/mfa/verify-login",
            json!({"mfa_token": token, "code": code(&secret, 0)})
        )
        .await
        .0,
        401,
        "the mfa_token is spent"
    );
    // A recovery code works once.
    let t = login().await["mfa_token"].as_str().unwrap().to_owned();
    assert_eq!(
        anon.post(
            "/v1/auth/mfa/verify-login",
            json!({"mfa_token": t, "recovery_code": codes[0]})
        )
        .await
        .0,
        200
    );
    let t = login().await["mfa_token"].as_str().unwrap().to_owned();
    assert_eq!(
        anon.post(
            "/v1/auth/mfa/verify-login",
            json!({"mfa_token": t, "recovery_code": codes[0]})
        )
        .await
        .0,
        401
    );
    // Five wrong codes kill an mfa_token.
    let t = login().await["mfa_token"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        anon.post(
            "/v1/auth/mfa/verify-login",
            json!({"mfa_token": t, "code": "000001"}),
        )
        .await;
    }
    let (status, body) = anon
        .post(
            "/v1/auth/mfa/verify-login",
            json!({"mfa_token": t, "code": code(&secret, 0)}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (401, Some("invalid or expired MFA token"))
    );
    // Disabling needs a current code.
    assert_eq!(
        me.post("/v1/auth/mfa/disable", json!({"code": "000000"}))
            .await
            .0,
        401
    );
    let off = me
        .ok(
            "POST",
            "/v1/auth/mfa/disable",
            Some(json!({"code": code(&secret, 1)})),
        )
        .await;
    assert_eq!(off["mfa_enabled"], false);
    assert_eq!(login().await["mfa_required"], false);
    // Secrets and recovery codes are not stored in clear.
    let stored = quartet_conformance::server::stored_bytes(dir.path())
        .await
        .unwrap();
    assert!(!stored
        .windows(codes[1].len())
        .any(|w| w == codes[1].as_bytes()));
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_scoped_revocable_and_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = C::new(&s.base_url);
    let (me, _) = anon.register("a@example.com").await;
    let created = me
        .ok(
            "POST",
            "/v1/api_keys",
            Some(json!({"name": "ci", "scopes": ["read"]})),
        )
        .await;
    let secret = created["key"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("bsk_") && secret.len() == 44);
    let key = anon.with(&secret);
    assert_eq!(key.get("/v1/projects").await.0, 200);
    let (status, v) = key.post("/v1/projects", json!({"name": "p"})).await;
    assert_eq!(
        (status, v["error"]["message"].as_str()),
        (403, Some("this API key lacks the \"write\" scope"))
    );
    assert_eq!(
        key.get("/v1/api_keys").await.0,
        403,
        "keys cannot manage keys"
    );
    let listed = me.ok("GET", "/v1/api_keys", None).await;
    assert!(listed["data"][0].get("key").is_none());
    assert!(listed["data"][0]["last_used_at"].is_i64());
    let id = created["id"].as_str().unwrap();
    me.ok(
        "PUT",
        &format!("/v1/api_keys/{id}"),
        Some(json!({"scopes": ["read", "write"]})),
    )
    .await;
    assert_eq!(key.post("/v1/projects", json!({"name": "p"})).await.0, 201);
    assert_eq!(
        me.req("DELETE", &format!("/v1/api_keys/{id}"), None)
            .await
            .0,
        204
    );
    assert_eq!(key.get("/v1/projects").await.0, 401);
    let stored = quartet_conformance::server::stored_bytes(dir.path())
        .await
        .unwrap();
    assert!(!stored.windows(secret.len()).any(|w| w == secret.as_bytes()));
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_job_trains_a_model_that_a_deployment_serves() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let (me, _) = C::new(&s.base_url).register("a@example.com").await;
    let ds = valid_dataset(&me, "fine_tuning", chat_rows(60)).await;
    let job = me.ok("POST", "/v1/fine_tuning/jobs", Some(json!({"base_model": "bitstride-char-tiny", "training_dataset_id": ds, "hyperparameters": {"n_epochs": 4}}))).await;
    let id = job["id"].as_str().unwrap();
    let done = wait_status(
        &me,
        &format!("/v1/fine_tuning/jobs/{id}"),
        &["succeeded", "failed"],
        60,
    )
    .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    // Tokens of the training data: 60 rows of 7 + 10 tokens, 4 passes.
    assert_eq!(done["trained_tokens"].as_i64(), Some(60 * 17 * 4));
    let events = me
        .ok(
            "GET",
            &format!("/v1/fine_tuning/jobs/{id}/events?limit=100"),
            None,
        )
        .await;
    let losses: Vec<f64> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .filter_map(|e| e["data"]["train_loss"].as_f64())
        .collect();
    assert_eq!(losses.len(), 32, "one metrics event per step");
    assert!(
        losses[losses.len() - 1] < losses[0] * 0.8,
        "loss falls: {losses:?}"
    );
    // The output model, with its lineage.
    let model_id = done["fine_tuned_model"].as_str().unwrap();
    let model = me.ok("GET", &format!("/v1/models/{model_id}"), None).await;
    assert_eq!(
        (
            model["source"].as_str(),
            model["job_id"].as_str(),
            model["dataset_id"].as_str()
        ),
        (Some("fine_tuned"), Some(id), Some(ds.as_str()))
    );
    assert_eq!(model["base_model"], "bitstride-char-tiny");
    // A deployment serves it in process.
    let dep = me
        .ok("POST", "/v1/deployments", Some(json!({"name": "tuned", "subdomain": "tuned", "endpoint": "builtin://model", "model_id": model_id, "backend_type": "custom", "protocol": "openai"})))
        .await;
    let dep_id = dep["id"].as_str().unwrap();
    wait_status(&me, &format!("/v1/deployments/{dep_id}"), &["ready"], 10).await;
    let answer = me.ok("POST", &format!("/v1/inference/{dep_id}/chat"), Some(json!({"messages": [{"role": "user", "content": "Open Settings, choose Sec"}], "max_tokens": 12}))).await;
    let text = answer["choices"][0]["message"]["content"].as_str().unwrap();
    // Greedy decoding follows the pairs of bytes the data holds.
    let data = String::from_utf8(chat_rows(1)).unwrap();
    let generated = format!("c{text}");
    assert!(!text.is_empty());
    for pair in generated.as_bytes().windows(2) {
        let pair = std::str::from_utf8(pair).unwrap();
        assert!(
            data.contains(pair),
            "{pair:?} of {text:?} is not in the training data"
        );
    }
    // Training and inference show up in usage.
    let usage = me.ok("GET", "/v1/usage", None).await;
    let trained: i64 = usage["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["trained_tokens"].as_i64().unwrap())
        .sum();
    assert_eq!(trained, done["trained_tokens"].as_i64().unwrap());
    // A job on a base model no trainer starts from is refused.
    let (status, v) = me
        .post(
            "/v1/fine_tuning/jobs",
            json!({"base_model": "llama-3.1-8b-instruct", "training_dataset_id": ds}),
        )
        .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );
    // RL: the mean reward rises.
    let rl = valid_dataset(
        &me,
        "rl",
        (0..64)
            .map(|_| "{\"prompt\":\"2+2=\",\"answer\":\"4\"}\n")
            .collect::<String>()
            .into_bytes(),
    )
    .await;
    let job = me.ok("POST", "/v1/rl/jobs", Some(json!({"base_model": "bitstride-char-tiny", "dataset_id": rl, "environment": {"name": "single_turn_chat"}, "reward": {"type": "exact_match"}, "hyperparameters": {"n_epochs": 6}}))).await;
    let id = job["id"].as_str().unwrap();
    let done = wait_status(
        &me,
        &format!("/v1/rl/jobs/{id}"),
        &["succeeded", "failed"],
        60,
    )
    .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let events = me
        .ok("GET", &format!("/v1/rl/jobs/{id}/events?limit=100"), None)
        .await;
    let rewards: Vec<f64> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .filter_map(|e| e["data"]["reward"].as_f64())
        .collect();
    let early = rewards[..4].iter().sum::<f64>() / 4.0;
    let late = rewards[rewards.len() - 4..].iter().sum::<f64>() / 4.0;
    assert!(late > early, "reward rises: {rewards:?}");
    s.kill().await.unwrap();
}

/// A trainer command: reports a step a second for `steps` seconds, then an artifact.
fn trainer_script(dir: &Path, steps: u32) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("trainer.sh");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho '{{\"type\":\"log\",\"message\":\"hello from the trainer\"}}'\n\
             i=1\nwhile [ $i -le {steps} ]; do\n  echo \"{{\\\"type\\\":\\\"metrics\\\",\\\"step\\\":$i,\\\"train_loss\\\":1.5}}\"\n  sleep 1\n  i=$((i+1))\ndone\n\
             echo weights > \"$BITSTRIDE_OUTPUT/model.bin\"\necho '{{\"type\":\"artifact\",\"path\":\"model.bin\"}}'\necho '{{\"type\":\"result\",\"trained_tokens\":42}}'\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_owned()
}

/// A server whose jobs run `script` with the `command` trainer (and `extra` flags).
async fn spawn_trainer(dir: &Path, script: &str, extra: &[&str]) -> ServerProcess {
    let mut args = vec![
        "--bitstride-trainer",
        "command",
        "--bitstride-trainer-command",
        script,
    ];
    args.extend_from_slice(extra);
    spawn(dir, &args).await
}

/// Starts a fine-tuning job on `dataset`; returns its id.
async fn start_fine_tuning(c: &C, dataset: &str) -> String {
    c.ok(
        "POST",
        "/v1/fine_tuning/jobs",
        Some(json!({"base_model": "llama-3.1-8b-instruct", "training_dataset_id": dataset})),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The messages of fine-tuning job `id`'s events, newest first.
async fn job_messages(c: &C, id: &str) -> Vec<String> {
    let events = c
        .ok(
            "GET",
            &format!("/v1/fine_tuning/jobs/{id}/events?limit=100"),
            None,
        )
        .await;
    events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str().map(str::to_owned))
        .collect()
}

/// Waits (at most `secs`) for an event of job `id` whose message starts with `prefix`.
async fn wait_message(c: &C, id: &str, prefix: &str, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let messages = job_messages(c, id).await;
        if messages.iter().any(|m| m.starts_with(prefix)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no event {prefix:?} of {id}: {messages:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_trainer_runs_and_a_cancel_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let script = trainer_script(dir.path(), 2);
    let s = spawn_trainer(dir.path(), &script, &[]).await;
    let (me, _) = C::new(&s.base_url).register("a@example.com").await;
    let ds = valid_dataset(&me, "fine_tuning", chat_rows(3)).await;
    let id = start_fine_tuning(&me, &ds).await;
    let done = wait_status(
        &me,
        &format!("/v1/fine_tuning/jobs/{id}"),
        &["succeeded", "failed"],
        30,
    )
    .await;
    assert_eq!(
        (done["status"].as_str(), done["trained_tokens"].as_i64()),
        (Some("succeeded"), Some(42)),
        "{done}"
    );
    assert!(job_messages(&me, &id)
        .await
        .iter()
        .any(|m| m == "hello from the trainer"));
    s.kill().await.unwrap();

    // A long run, cancelled while it runs.
    let script = trainer_script(dir.path(), 120);
    let s = spawn_trainer(dir.path(), &script, &[]).await;
    let me = C::new(&s.base_url).with(me.token.as_deref().unwrap());
    let id = start_fine_tuning(&me, &ds).await;
    wait_status(&me, &format!("/v1/fine_tuning/jobs/{id}"), &["running"], 20).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let cancelled = me
        .ok("POST", &format!("/v1/fine_tuning/jobs/{id}/cancel"), None)
        .await;
    assert_eq!(cancelled["status"], "cancelled");
    wait_message(&me, &id, "cancelled", 10).await;
    assert_eq!(
        me.post(&format!("/v1/fine_tuning/jobs/{id}/cancel"), json!({}))
            .await
            .0,
        409
    );
    assert_eq!(
        me.ok("GET", &format!("/v1/fine_tuning/jobs/{id}"), None)
            .await["status"],
        "cancelled"
    );
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_running_when_its_server_dies_runs_again_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let slow = trainer_script(dir.path(), 30);
    let s = spawn_trainer(dir.path(), &slow, &[]).await;
    let (me, _) = C::new(&s.base_url).register("a@example.com").await;
    let ds = valid_dataset(&me, "fine_tuning", chat_rows(3)).await;
    let id = start_fine_tuning(&me, &ds).await;
    wait_status(&me, &format!("/v1/fine_tuning/jobs/{id}"), &["running"], 20).await;
    s.kill().await.unwrap();
    // The new process has a fast trainer; the stale job is put back and finishes there.
    let quick = trainer_script(&dir.path().join("quick"), 1);
    let s = spawn_trainer(dir.path(), &quick, &[]).await;
    let me = C::new(&s.base_url).with(me.token.as_deref().unwrap());
    let done = wait_status(
        &me,
        &format!("/v1/fine_tuning/jobs/{id}"),
        &["succeeded", "failed"],
        60,
    )
    .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let messages = job_messages(&me, &id).await;
    let starts = messages
        .iter()
        .filter(|m| m.starts_with("started by"))
        .count();
    assert_eq!(starts, 2, "ran twice: {messages:?}");
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_postgres_share_the_queue() {
    let Some(url) = fresh_database().await.unwrap() else {
        eprintln!("no QUARTET_TEST_POSTGRES: nothing to run");
        return;
    };
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // A trainer that takes a second per job, one worker per instance: four jobs need both.
    let script = trainer_script(da.path(), 1);
    let a = spawn_trainer(da.path(), &script, &["--database-url", &url]).await;
    let b = spawn_trainer(db.path(), &script, &["--database-url", &url]).await;
    let (me, _) = C::new(&a.base_url).register("a@example.com").await;
    let on_b = C::new(&b.base_url).with(me.token.as_deref().unwrap());
    let ds = valid_dataset(&me, "fine_tuning", chat_rows(30)).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let c = if i % 2 == 0 { &me } else { &on_b };
        ids.push(start_fine_tuning(c, &ds).await);
    }
    let mut workers = std::collections::BTreeSet::new();
    for id in &ids {
        let done = wait_status(
            &on_b,
            &format!("/v1/fine_tuning/jobs/{id}"),
            &["succeeded", "failed"],
            120,
        )
        .await;
        assert_eq!(done["status"], "succeeded");
        let starts: Vec<String> = job_messages(&me, id)
            .await
            .iter()
            .filter(|m| m.starts_with("started by"))
            .map(|m| {
                m.split_whitespace()
                    .nth(2)
                    .unwrap()
                    .rsplit_once('-')
                    .unwrap()
                    .0
                    .to_owned()
            })
            .collect();
        assert_eq!(starts.len(), 1, "each job is claimed once");
        workers.insert(starts[0].clone());
    }
    let models = me.ok("GET", "/v1/models", None).await;
    let trained = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["source"] == "fine_tuned")
        .count();
    assert_eq!(trained, 4);
    assert_eq!(workers.len(), 2, "both instances took jobs: {workers:?}");
    // A cancel on one instance stops a job the other runs (the change feed).
    a.kill().await.unwrap();
    b.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_gateway_streams_limits_and_maps_backend_failures() {
    let (url, _task) = backend().await;
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(
        dir.path(),
        &[
            "--bitstride-backend-timeout-ms",
            "3000",
            "--bitstride-rate-limit-per-minute",
            "12",
        ],
    )
    .await;
    let (me, _) = C::new(&s.base_url).register("a@example.com").await;
    let dep = me
        .ok("POST", "/v1/deployments", Some(json!({"name": "b", "subdomain": "b", "endpoint": url, "backend_type": "vllm", "protocol": "openai", "concurrency_limit": 1,
            "capabilities": {"streaming": true, "adapter_types": [], "cache_affinity": "none", "supported_protocols": ["openai"]}})))
        .await;
    let dep = dep["id"].as_str().unwrap().to_owned();
    wait_status(&me, &format!("/v1/deployments/{dep}"), &["ready"], 10).await;
    let chat = format!("/v1/inference/{dep}/chat");
    // Non-streaming: relayed with deployment_id and a counted usage.
    let v = me.ok("POST", &chat, Some(say("hi", false))).await;
    assert_eq!(
        (
            v["deployment_id"].as_str(),
            v["usage"]["completion_tokens"].as_i64()
        ),
        (Some(dep.as_str()), Some(1))
    );
    // Streaming: the first chunk arrives before the backend has finished.
    let started = Instant::now();
    let mut r = me
        .http
        .post(format!("{}{chat}", s.base_url))
        .bearer_auth(me.token.as_deref().unwrap())
        .json(&say("hi", true))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let first = r.chunk().await.unwrap().unwrap();
    let first_at = started.elapsed();
    assert!(String::from_utf8_lossy(&first).contains("one "));
    let mut rest = Vec::new();
    while let Some(c) = r.chunk().await.unwrap() {
        rest.extend_from_slice(&c);
    }
    assert!(
        started.elapsed() > first_at + Duration::from_millis(400),
        "passed through as it arrives"
    );
    assert!(String::from_utf8_lossy(&rest).ends_with("data: [DONE]\n\n"));
    // Failures: 502 and 504 in the envelope.
    let (status, v) = me.post(&chat, say("fail", false)).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (502, Some("upstream_error"))
    );
    let (status, v) = me.post(&chat, say("slow", false)).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (504, Some("upstream_timeout"))
    );
    // Concurrency limit 1: a second request while one is held answers 429.
    let held = {
        let me = me.clone();
        let chat = chat.clone();
        tokio::spawn(async move { me.post(&chat, say("hold", false)).await.0 })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    let r = me
        .http
        .post(format!("{}{chat}", s.base_url))
        .bearer_auth(me.token.as_deref().unwrap())
        .json(&say("hi", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(held.await.unwrap(), 200);
    // Rate: 12 a minute per credential.
    let mut last = 0;
    for _ in 0..12 {
        last = me.post(&chat, say("hi", false)).await.0;
        if last == 429 {
            break;
        }
    }
    assert_eq!(last, 429);
    // Usage was recorded for the completions served.
    let usage = me.ok("GET", "/v1/usage", None).await;
    assert!(usage["total_requests"].as_i64().unwrap() >= 3, "{usage}");
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_backends_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let s = ServerProcess::spawn(
        &bin(),
        dir.path(),
        "bitstride",
        &["--log-level".into(), "warn".into()],
    )
    .await
    .unwrap();
    let (me, _) = C::new(&s.base_url).register("a@example.com").await;
    for endpoint in [
        "http://127.0.0.1:8000",
        "http://10.0.3.17:8000",
        "http://169.254.169.254/",
        "http://[::1]:80",
        "http://localhost:8000",
        "ftp://example.com",
    ] {
        let (status, v) = me.post("/v1/deployments", json!({"name": "x", "subdomain": "x", "endpoint": endpoint, "backend_type": "vllm", "protocol": "openai"})).await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{endpoint}"
        );
    }
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_name_that_resolves_to_loopback_is_refused_at_call_time() {
    let (url, _task) = backend().await;
    // A name, not an address: only resolving it shows where it points.
    let url = url.replace("127.0.0.1", "localhost");
    let dir = tempfile::tempdir().unwrap();
    let quiet = ["--log-level".to_string(), "warn".to_string()];
    let private = [
        &quiet[..],
        &["--bitstride-allow-private-backends".to_string()],
    ]
    .concat();
    // Created, probed and served by a server that allows private backends …
    let s = ServerProcess::spawn(&bin(), dir.path(), "bitstride", &private)
        .await
        .unwrap();
    let (me, _) = C::new(&s.base_url).register("a@example.com").await;
    let dep = me
        .ok("POST", "/v1/deployments", Some(json!({"name": "b", "subdomain": "b", "endpoint": url, "backend_type": "vllm", "protocol": "openai"})))
        .await;
    let dep = dep["id"].as_str().unwrap().to_owned();
    wait_status(&me, &format!("/v1/deployments/{dep}"), &["ready"], 10).await;
    let chat = format!("/v1/inference/{dep}/chat");
    assert_eq!(me.post(&chat, say("hi", false)).await.0, 200);
    s.kill().await.unwrap();
    // … and refused by one under the default policy when it calls the backend,
    // although the deployment is stored and ready.
    let s = ServerProcess::spawn(&bin(), dir.path(), "bitstride", &quiet)
        .await
        .unwrap();
    let me = C {
        base: s.base_url.clone(),
        ..me
    };
    let (status, v) = me.post(&chat, say("hi", false)).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (502, Some("upstream_error")),
        "{v}"
    );
    // Creating one with that endpoint is refused at once.
    let (status, v) = me.post("/v1/deployments", json!({"name": "c", "subdomain": "c", "endpoint": url, "backend_type": "vllm", "protocol": "openai"})).await;
    assert_eq!(
        (status, v["error"]["message"].as_str()),
        (400, Some(quartet_api::bitstride::messages::PRIVATE_BACKEND))
    );
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_add_up_in_integer_micro_dollars() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let (me, reg) = C::new(&s.base_url).register("a@example.com").await;
    let org = reg["user"]["org_id"].as_str().unwrap();
    for (model, input, output, trained) in [
        ("m1", "1234567", "7654321", "0"),
        ("m1", "1", "1", "0"),
        ("m2", "333", "0", "999999"),
    ] {
        admin(
            &bin(),
            dir.path(),
            &[
                "bitstride",
                "usage-record",
                "--org",
                org,
                "--model",
                model,
                "--requests",
                "1",
                "--input",
                input,
                "--output",
                output,
                "--trained",
                trained,
            ],
        )
        .await
        .unwrap();
    }
    let invoices = me.ok("GET", "/v1/invoices", None).await;
    let inv = &invoices["data"][0];
    assert_eq!(inv["status"], "draft");
    let lines = inv["line_items"].as_array().unwrap();
    let sum: i64 = lines
        .iter()
        .map(|l| l["amount_micros"].as_i64().unwrap())
        .sum();
    assert_eq!(inv["amount_micros"].as_i64().unwrap(), sum);
    for l in lines {
        let (q, p) = (
            l["quantity"].as_i64().unwrap(),
            l["unit_price_micros"].as_i64().unwrap(),
        );
        assert_eq!(
            l["amount_micros"].as_i64().unwrap(),
            (q * p + 500_000) / 1_000_000
        );
    }
    // m1 input: 1234568 tokens at 0.50 USD per million = 617284 micro-dollars.
    let m1_in = lines
        .iter()
        .find(|l| l["model"] == "m1" && l["kind"] == "input_tokens")
        .unwrap();
    assert_eq!(
        (m1_in["quantity"].as_i64(), m1_in["amount_micros"].as_i64()),
        (Some(1_234_568), Some(617_284))
    );
    assert_eq!(inv["total_requests"], 3);
    assert_eq!(
        inv["total_tokens"].as_i64().unwrap(),
        lines
            .iter()
            .map(|l| l["quantity"].as_i64().unwrap())
            .sum::<i64>()
    );
    let usage = me.ok("GET", "/v1/usage", None).await;
    let buckets: i64 = usage["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["cost_micros"].as_i64().unwrap())
        .sum();
    assert_eq!(usage["total_cost_micros"].as_i64().unwrap(), buckets);
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_mode_serves_probes_and_inference_only() {
    let dir = tempfile::tempdir().unwrap();
    let full = spawn(dir.path(), &["--bitstride-trainer", "none"]).await;
    let (me, _) = C::new(&full.base_url).register("a@example.com").await;
    let dep = me.ok("POST", "/v1/deployments", Some(json!({"name": "e", "subdomain": "echo", "endpoint": "builtin://echo", "backend_type": "custom", "protocol": "openai"}))).await;
    let dep = dep["id"].as_str().unwrap().to_owned();
    wait_status(&me, &format!("/v1/deployments/{dep}"), &["ready"], 10).await;
    let gw = spawn(dir.path(), &["--bitstride-mode", "gateway"]).await;
    let g = C::new(&gw.base_url).with(me.token.as_deref().unwrap());
    assert_eq!(g.get("/health").await.1["mode"], "gateway");
    assert_eq!(g.get("/ready").await.0, 200);
    assert_eq!(g.get("/metrics").await.0, 200);
    let v = g
        .ok(
            "POST",
            &format!("/v1/inference/{dep}/chat"),
            Some(say("hello", false)),
        )
        .await;
    assert_eq!(v["choices"][0]["message"]["content"], "hello");
    assert_eq!(
        g.ok(
            "POST",
            "/v1/chat/completions",
            Some(json!({"model": "echo", "messages": [{"role": "user", "content": "hi"}]}))
        )
        .await["choices"][0]["message"]["content"],
        "hi"
    );
    let metrics = g
        .http
        .get(format!("{}/metrics", gw.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        metrics.headers()["content-type"],
        "text/plain; version=0.0.4"
    );
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(
            "bitstride_http_requests_total{operation=\"deployment_chat\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("bitstride_inference_tokens_total{direction=\"output\"} 2"),
        "{text}"
    );
    // The first scrape is counted too (it was not before every operation was
    // measured), and every operation's latency is recorded.
    for line in [
        "bitstride_http_requests_total{operation=\"metrics\",status=\"200\"} 1",
        "bitstride_http_request_duration_seconds_count{operation=\"metrics\"} 1",
        "bitstride_http_request_duration_seconds_count{operation=\"deployment_chat\"} 1",
        "bitstride_http_requests_in_flight 1",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    for (method, path) in [
        ("GET", "/v1/projects"),
        ("POST", "/v1/auth/login"),
        ("GET", "/v1/usage"),
        ("DELETE", "/v1/orgs/current"),
        ("GET", "/v1/auth/verify"),
    ] {
        let body =
            (method == "POST").then(|| json!({"email": "a@example.com", "password": PASSWORD}));
        let (status, v) = g.req(method, path, body).await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{method} {path}"
        );
    }
    gw.kill().await.unwrap();
    full.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_plane_forwards_auth_to_the_auth_service() {
    let dir = tempfile::tempdir().unwrap();
    let (auth, cp) = auth_split(dir.path()).await;
    let via = C::new(&cp.base_url);
    // Registered through the control plane, served by the auth service.
    let (me, _) = via.register("a@example.com").await;
    assert_eq!(me.get("/v1/auth/verify").await.1["credential"], "session");
    let key = me
        .ok("POST", "/v1/api_keys", Some(json!({"name": "k"})))
        .await;
    assert_eq!(
        C::new(&auth.base_url)
            .with(me.token.as_deref().unwrap())
            .get("/v1/api_keys")
            .await
            .1["data"][0]["id"],
        key["id"]
    );
    let (status, v) = via.login("a@example.com", "wrong password").await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (401, Some("invalid_credentials")),
        "errors come back unchanged"
    );
    // Other routes stay local and accept the auth service's sessions.
    assert_eq!(
        me.ok("POST", "/v1/projects", Some(json!({"name": "p"})))
            .await["name"],
        "p"
    );
    // With the auth service down: 502 in the envelope.
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let cp2 = control_plane(dir.path(), &dead).await;
    let (status, v) = C::new(&cp2.base_url).login("a@example.com", PASSWORD).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (502, Some("upstream_error"))
    );
    assert_eq!(
        C::new(&cp2.base_url)
            .with(me.token.as_deref().unwrap())
            .get("/v1/api_keys")
            .await
            .0,
        502
    );
    for s in [cp2, cp, auth] {
        s.kill().await.unwrap();
    }
}

/// An RSA key for the loopback OIDC provider: the PEM to sign with and its JWK.
fn provider_key() -> (jsonwebtoken::EncodingKey, Value) {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::KeyPair as _;
    use base64::Engine as _;
    let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let der = pair.as_der().unwrap();
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let public = pair.public_key();
    let jwk = json!({"kty": "RSA", "kid": "provider-key", "use": "sig", "alg": "RS256",
        "n": b64(public.modulus().big_endian_without_leading_zero()),
        "e": b64(public.exponent().big_endian_without_leading_zero())});
    (
        jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        jwk,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_sign_in_with_a_loopback_provider() {
    use quartet_conformance::mock::{Mock, MockReply};
    use std::sync::{Arc, Mutex};
    let (key, jwk) = provider_key();
    // What the provider saw in the authorize URL: (nonce, code_challenge); and its base URL.
    let seen: Arc<Mutex<(String, String, String)>> = Arc::default();
    let state = seen.clone();
    let mock = Mock::start(move |r| {
        let (nonce, challenge, base) = state.lock().unwrap().clone();
        let path = r.path.split('?').next().unwrap_or("");
        match path {
            "/.well-known/openid-configuration" => MockReply::json(200, json!({"issuer": base, "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/token"), "jwks_uri": format!("{base}/jwks")}).to_string()),
            "/jwks" => MockReply::json(200, json!({"keys": [jwk]}).to_string()),
            "/token" => {
                let form: std::collections::HashMap<String, String> = url::form_urlencoded::parse(&r.body).into_owned().collect();
                use base64::Engine as _;
                use sha2::Digest as _;
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                let derived = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
                if derived != challenge || form.get("client_id").map(String::as_str) != Some("client-1") || form.get("code").map(String::as_str) == Some("refused") {
                    return MockReply::json(400, r#"{"error":"invalid_grant"}"#);
                }
                let nonce = if form.get("code").map(String::as_str) == Some("bad-nonce") { "other".to_owned() } else { nonce };
                let now = chrono::Utc::now().timestamp();
                let claims = json!({"iss": base, "aud": "client-1", "sub": "42", "email": "Grace@Example.com", "email_verified": true,
                    "name": "Grace Hopper", "nonce": nonce, "iat": now, "exp": now + 300});
                let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
                header.kid = Some("provider-key".into());
                let id_token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
                MockReply::json(200, json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token}).to_string())
            }
            _ => MockReply::json(404, "{}"),
        }
    })
    .await
    .unwrap();
    seen.lock().unwrap().2 = mock.url("");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("oauth.toml");
    std::fs::write(
        &config,
        format!(
            "[providers.corp]\nissuer = \"{}\"\nclient_id = \"client-1\"\nclient_secret = \"s\"\n",
            mock.url("")
        ),
    )
    .unwrap();
    let s = spawn(
        dir.path(),
        &["--bitstride-oauth-config", config.to_str().unwrap()],
    )
    .await;
    let anon = C::new(&s.base_url);
    let start = || async {
        let r = anon
            .http
            .get(format!("{}/v1/auth/login/corp", s.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
        let q: std::collections::HashMap<String, String> =
            location.query_pairs().into_owned().collect();
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            q["redirect_uri"],
            format!("{}/v1/auth/callback/corp", s.base_url)
        );
        assert_eq!(q["client_id"], "client-1");
        *seen.lock().unwrap() = (
            q["nonce"].clone(),
            q["code_challenge"].clone(),
            mock.url(""),
        );
        q["state"].clone()
    };
    let state = start().await;
    let session = anon
        .ok(
            "GET",
            &format!("/v1/auth/callback/corp?code=abc&state={state}"),
            None,
        )
        .await;
    assert_eq!(
        (
            session["mfa_required"].as_bool(),
            session["user"]["email"].as_str()
        ),
        (Some(false), Some("grace@example.com"))
    );
    assert_eq!(
        anon.with(session["access_token"].as_str().unwrap())
            .get("/v1/orgs/current")
            .await
            .0,
        200
    );
    // The state is single-use.
    let (status, v) = anon
        .get(&format!("/v1/auth/callback/corp?code=abc&state={state}"))
        .await;
    assert_eq!(
        (status, v["error"]["message"].as_str()),
        (400, Some("invalid or expired OAuth state"))
    );
    // A second sign-in links to the same account.
    let state = start().await;
    let again = anon
        .ok(
            "GET",
            &format!("/v1/auth/callback/corp?code=abc&state={state}"),
            None,
        )
        .await;
    assert_eq!(again["user"]["id"], session["user"]["id"]);
    // An ID token for another nonce, and a refused code, are 502.
    let state = start().await;
    assert_eq!(
        anon.get(&format!(
            "/v1/auth/callback/corp?code=bad-nonce&state={state}"
        ))
        .await
        .0,
        502
    );
    let state = start().await;
    assert_eq!(
        anon.get(&format!(
            "/v1/auth/callback/corp?code=refused&state={state}"
        ))
        .await
        .0,
        502
    );
    // A state issued for another provider is refused; unknown providers are 404.
    assert_eq!(anon.get("/v1/auth/login/nope").await.0, 404);
    s.kill().await.unwrap();
}

/// A linked identity of an account with MFA still needs the second step; its
/// identities are listed with what the provider reported last; and once the
/// organization is deleted the identity is free again (a new sign-in makes a new account).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linked_identities_keep_mfa_and_go_with_their_organization() {
    use crate::support::oidc::{Flow, Provider};
    let provider = Provider::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("oauth.toml");
    std::fs::write(&config, provider.config("corp")).unwrap();
    let s = spawn(
        dir.path(),
        &["--bitstride-oauth-config", config.to_str().unwrap()],
    )
    .await;
    let flow = Flow {
        base: &s.base_url,
        name: "corp",
        provider: &provider,
    };
    let (me, first) = C::new(&s.base_url).register("ada@example.com").await;
    let (status, v) = flow
        .link(
            me.token.as_deref().unwrap(),
            json!({"sub": "77", "email": "ada@corp.example", "email_verified": true}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let listed = me.ok("GET", "/v1/auth/identities", None).await;
    assert_eq!(
        (
            listed["data"][0]["provider"].as_str(),
            listed["data"][0]["subject"].as_str(),
            listed["data"][0]["email"].as_str()
        ),
        (Some("corp"), Some("77"), Some("ada@corp.example"))
    );
    // MFA on: the provider sign-in answers the challenge, not a session.
    me.enable_mfa().await;
    let (status, v) = flow.sign_in(json!({"sub": "77"})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["mfa_required"], true);
    assert!(v.get("access_token").is_none());
    // The organization goes, and the identity with it.
    assert_eq!(me.req("DELETE", "/v1/orgs/current", None).await.0, 204);
    let (status, v) = flow
        .sign_in(json!({"sub": "77", "email": "ada@example.com", "email_verified": true}))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["mfa_required"], false);
    assert_ne!(v["user"]["id"], first["user"]["id"]);
    s.kill().await.unwrap();
}

/// The Python that has the `openai` package: `QUARTET_OPENAI_PYTHON`, or `python3` if it has it.
fn openai_python() -> Option<String> {
    let candidates = std::env::var("QUARTET_OPENAI_PYTHON")
        .into_iter()
        .chain(["python3".to_owned()]);
    candidates.into_iter().find(|py| {
        std::process::Command::new(py)
            .args(["-c", "import openai"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_client_works_unchanged() {
    let Some(python) = openai_python() else {
        eprintln!("no Python with the openai package (set QUARTET_OPENAI_PYTHON; .ci/run does): nothing to run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &["--bitstride-trainer", "none"]).await;
    let (me, _) = C::new(&s.base_url).register("a@example.com").await;
    let dep = me
        .ok("POST", "/v1/deployments", Some(json!({"name": "e", "subdomain": "echo", "endpoint": "builtin://echo", "backend_type": "custom", "protocol": "openai",
            "capabilities": {"streaming": true, "adapter_types": [], "cache_affinity": "none", "supported_protocols": ["openai"]}})))
        .await;
    wait_status(
        &me,
        &format!("/v1/deployments/{}", dep["id"].as_str().unwrap()),
        &["ready"],
        10,
    )
    .await;
    let key = me
        .ok(
            "POST",
            "/v1/api_keys",
            Some(json!({"name": "sdk", "scopes": ["inference"]})),
        )
        .await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/openai_client.py");
    let out = std::process::Command::new(&python)
        .arg(script)
        .args([&s.base_url, key["key"].as_str().unwrap(), "echo"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("stream: "), "{stdout}");
    println!("{stdout}");
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_on_one_instance_stops_a_job_running_on_another() {
    let Some(url) = fresh_database().await.unwrap() else {
        eprintln!("no QUARTET_TEST_POSTGRES: nothing to run");
        return;
    };
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let script = trainer_script(da.path(), 120);
    let runner = spawn_trainer(da.path(), &script, &["--database-url", &url]).await;
    // The other instance runs no jobs itself.
    let api = spawn_trainer(
        db.path(),
        &script,
        &["--database-url", &url, "--bitstride-job-workers", "0"],
    )
    .await;
    let (me, _) = C::new(&api.base_url).register("a@example.com").await;
    let ds = valid_dataset(&me, "fine_tuning", chat_rows(3)).await;
    let id = start_fine_tuning(&me, &ds).await;
    wait_status(&me, &format!("/v1/fine_tuning/jobs/{id}"), &["running"], 20).await;
    me.ok("POST", &format!("/v1/fine_tuning/jobs/{id}/cancel"), None)
        .await;
    // The running instance stops the trainer.
    wait_message(&me, &id, "cancelled", 10).await;
    runner.kill().await.unwrap();
    api.kill().await.unwrap();
}
