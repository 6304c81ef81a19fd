//! Tenancy: one tenant's resources unreachable by another, every verb.
//!
//! Bitstride: organization A creates one of every resource (a project, models,
//! datasets, a fine-tuning and an RL job with their events, a deployment with a
//! loopback backend, an API key, usage and an invoice); organization B, with its
//! session and with its API key, is refused every verb on each, by the
//! documented 404 (403 where a key may not use the route at all), finds none of
//! them in its lists, usage or invoices, and cannot reference them. Bindu:
//! caller A's tasks, context and push configuration are refused to caller B
//! with the documented JSON-RPC errors.

use std::collections::BTreeSet;

use quartet_conformance::mock::{Mock, MockReply, MockRequest};
use serde_json::{json, Value};

use crate::support::bindu::{client_token, request as call, rpc, send, serve, state};
use crate::support::bitstride::{
    backend, chat_rows, say, spawn, valid_dataset, wait_status, C, PASSWORD,
};

/// The `id` of a created resource.
fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

/// 64 rows of an RL dataset.
fn rl_rows() -> Vec<u8> {
    (0..64)
        .map(|_| "{\"prompt\":\"2+2=\",\"answer\":\"4\"}\n")
        .collect::<String>()
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_bitstride_organization_reaches_another_ones_resources() {
    let (url, _backend) = backend().await;
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = C::new(&s.base_url);
    let (a, reg_a) = anon.register("a@example.com").await;
    let (b, _) = anon.register("b@example.com").await;
    let org_a = reg_a["user"]["org_id"].as_str().unwrap().to_owned();
    let key = |c: &C, name: &str| {
        let c = c.clone();
        let name = name.to_owned();
        async move {
            c.ok(
                "POST",
                "/v1/api_keys",
                Some(json!({"name": name, "scopes": ["read", "write", "inference"]})),
            )
            .await
        }
    };
    let b_key = anon.with(key(&b, "b").await["key"].as_str().unwrap());
    let a_key = key(&a, "a").await;
    let a_key_id = id(&a_key);
    let a_by_key = anon.with(a_key["key"].as_str().unwrap());

    // Org A: one of everything.
    let proj = id(&a
        .ok("POST", "/v1/projects", Some(json!({"name": "p"})))
        .await);
    let model = id(&a
        .ok(
            "POST",
            "/v1/models",
            Some(json!({"name": "m", "project_id": proj})),
        )
        .await);
    let ds = valid_dataset(&a, "fine_tuning", chat_rows(20)).await;
    let rl_ds = valid_dataset(&a, "rl", rl_rows()).await;
    let ft = id(&a
        .ok(
            "POST",
            "/v1/fine_tuning/jobs",
            Some(
                json!({"base_model": "bitstride-char-tiny", "training_dataset_id": ds,
                "hyperparameters": {"n_epochs": 1}}),
            ),
        )
        .await);
    let rl = id(&a
        .ok(
            "POST",
            "/v1/rl/jobs",
            Some(
                json!({"base_model": "bitstride-char-tiny", "dataset_id": rl_ds,
                "environment": {"name": "single_turn_chat"}, "reward": {"type": "exact_match"},
                "hyperparameters": {"n_epochs": 1}}),
            ),
        )
        .await);
    let dep = id(&a
        .ok(
            "POST",
            "/v1/deployments",
            Some(
                json!({"name": "d", "subdomain": "tenant-a", "endpoint": url,
                "backend_type": "vllm", "protocol": "openai"}),
            ),
        )
        .await);
    wait_status(&a, &format!("/v1/deployments/{dep}"), &["ready"], 10).await;
    // Usage: inference through A's key, by id and by subdomain.
    a_by_key
        .ok(
            "POST",
            &format!("/v1/inference/{dep}/chat"),
            Some(say("hi", false)),
        )
        .await;
    let mut by_name = say("hi", false);
    by_name["model"] = json!("tenant-a");
    a_by_key
        .ok("POST", "/v1/chat/completions", Some(by_name.clone()))
        .await;
    let ft_done = wait_status(
        &a,
        &format!("/v1/fine_tuning/jobs/{ft}"),
        &["succeeded", "failed"],
        120,
    )
    .await;
    assert_eq!(ft_done["status"], "succeeded", "{ft_done}");
    let tuned = ft_done["fine_tuned_model"].as_str().unwrap().to_owned();
    wait_status(
        &a,
        &format!("/v1/rl/jobs/{rl}"),
        &["succeeded", "failed"],
        120,
    )
    .await;
    for path in [
        format!("/v1/fine_tuning/jobs/{ft}/events"),
        format!("/v1/rl/jobs/{rl}/events"),
    ] {
        let events = a.ok("GET", &path, None).await;
        assert!(!events["data"].as_array().unwrap().is_empty(), "{path}");
    }
    let usage_a = a.ok("GET", "/v1/usage", None).await;
    assert!(!usage_a["data"].as_array().unwrap().is_empty(), "{usage_a}");
    let invoices_a = a.ok("GET", "/v1/invoices", None).await;
    let invoice = invoices_a["data"][0].clone();
    assert!(invoice["amount_micros"].as_i64().unwrap() > 0, "{invoice}");
    let invoice_id = id(&invoice);

    // Every verb B might try on each of A's resources.
    let mut chat_on_a = say("hi", false);
    chat_on_a["model"] = json!("tenant-a");
    let verbs: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/v1/projects/{proj}"), None),
        (
            "PUT",
            format!("/v1/projects/{proj}"),
            Some(json!({"name": "mine"})),
        ),
        ("DELETE", format!("/v1/projects/{proj}"), None),
        ("GET", format!("/v1/models/{model}"), None),
        (
            "PUT",
            format!("/v1/models/{model}"),
            Some(json!({"name": "mine"})),
        ),
        ("DELETE", format!("/v1/models/{model}"), None),
        ("GET", format!("/v1/models/{tuned}"), None),
        (
            "PUT",
            format!("/v1/models/{tuned}"),
            Some(json!({"description": "mine"})),
        ),
        ("DELETE", format!("/v1/models/{tuned}"), None),
        ("GET", format!("/v1/datasets/{ds}"), None),
        (
            "PUT",
            format!("/v1/datasets/{ds}"),
            Some(json!({"name": "mine"})),
        ),
        ("DELETE", format!("/v1/datasets/{ds}"), None),
        ("POST", format!("/v1/datasets/{ds}/validate"), None),
        ("GET", format!("/v1/datasets/{rl_ds}"), None),
        ("POST", format!("/v1/datasets/{rl_ds}/validate"), None),
        ("GET", format!("/v1/fine_tuning/jobs/{ft}"), None),
        ("POST", format!("/v1/fine_tuning/jobs/{ft}/cancel"), None),
        ("GET", format!("/v1/fine_tuning/jobs/{ft}/events"), None),
        ("GET", format!("/v1/fine_tuning/jobs/{rl}"), None),
        ("GET", format!("/v1/rl/jobs/{rl}"), None),
        ("POST", format!("/v1/rl/jobs/{rl}/cancel"), None),
        ("GET", format!("/v1/rl/jobs/{rl}/events"), None),
        ("GET", format!("/v1/rl/jobs/{ft}"), None),
        ("GET", format!("/v1/deployments/{dep}"), None),
        (
            "PUT",
            format!("/v1/deployments/{dep}"),
            Some(json!({"status": "stopped"})),
        ),
        (
            "POST",
            format!("/v1/inference/{dep}/chat"),
            Some(say("hi", false)),
        ),
        ("POST", "/v1/chat/completions".into(), Some(chat_on_a)),
        (
            "PUT",
            format!("/v1/api_keys/{a_key_id}"),
            Some(json!({"name": "mine"})),
        ),
        ("DELETE", format!("/v1/api_keys/{a_key_id}"), None),
    ];
    let a_ids: Vec<&str> = vec![
        &proj,
        &model,
        &tuned,
        &ds,
        &rl_ds,
        &ft,
        &rl,
        &dep,
        &a_key_id,
        &invoice_id,
        &org_a,
    ];
    for (who, caller) in [("session", &b), ("api key", &b_key)] {
        for (method, path, body) in &verbs {
            let (status, v) = caller.req(method, path, body.clone()).await;
            let code = v["error"]["code"].as_str();
            let refused = (status, code) == (404, Some("not_found"))
                || (who == "api key"
                    && path.starts_with("/v1/api_keys")
                    && (status, code) == (403, Some("forbidden")));
            assert!(refused, "B's {who}: {method} {path}: {status} {v}");
        }
        assert_eq!(caller.upload(&ds, chat_rows(1)).await.0, 404, "{who}");
        // The gateway resolves a Host subdomain and a `model` naming a deployment id
        // within the caller's organization only.
        let mut by_id = say("hi", false);
        by_id["model"] = json!(dep);
        for (host, body) in [
            ("tenant-a.gateway.example.com", say("hi", false)),
            ("127.0.0.1", by_id),
        ] {
            let r = caller
                .http
                .post(format!("{}/v1/chat/completions", caller.base))
                .bearer_auth(caller.token.as_deref().unwrap())
                .header("host", host)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404, "B's {who}: chat via {host} {body}");
        }
        // Lists hold nothing of A; A's ids are unknown as `after` cursors too.
        for (list, a_item) in [
            ("/v1/projects", &proj),
            ("/v1/models", &model),
            ("/v1/datasets", &ds),
            ("/v1/fine_tuning/jobs", &ft),
            ("/v1/rl/jobs", &rl),
            ("/v1/deployments", &dep),
            ("/v1/api_keys", &a_key_id),
        ] {
            let (status, v) = caller.get(list).await;
            if who == "api key" && list == "/v1/api_keys" {
                assert_eq!(status, 403, "{v}");
                continue;
            }
            assert_eq!(status, 200, "B's {who}: {list}: {v}");
            let text = v.to_string();
            for a_id in &a_ids {
                assert!(!text.contains(a_id), "B's {who}: {list} shows {a_id}: {v}");
            }
            let (status, v) = caller.get(&format!("{list}?after={a_item}")).await;
            assert_eq!(
                (status, v["error"]["code"].as_str()),
                (400, Some("invalid_request")),
                "B's {who}: {list}?after={a_item}: {v}"
            );
        }
        // B's usage and invoices show nothing of A's.
        for path in ["/v1/usage", "/v1/usage?model=m", "/v1/usage?model=tenant-a"] {
            let v = caller.ok("GET", path, None).await;
            assert_eq!(v["data"], json!([]), "B's {who}: {path}: {v}");
            assert_eq!(v["total_cost_micros"], 0, "B's {who}: {path}: {v}");
        }
        let v = caller.ok("GET", "/v1/invoices", None).await;
        let text = v.to_string();
        assert!(!text.contains(&invoice_id), "{v}");
        for inv in v["data"].as_array().unwrap() {
            assert_eq!(inv["amount_micros"], 0, "B's {who}: {inv}");
            assert_eq!(inv["total_requests"], 0, "B's {who}: {inv}");
        }
        let org = caller.ok("GET", "/v1/orgs/current", None).await;
        assert_ne!(org["id"].as_str(), Some(org_a.as_str()));
    }

    // References to A's rows from B's own writes are refused.
    let b_ds = valid_dataset(&b, "fine_tuning", chat_rows(20)).await;
    let b_model = id(&b
        .ok("POST", "/v1/models", Some(json!({"name": "bm"})))
        .await);
    let refs: Vec<(&str, String, Value)> = vec![
        (
            "POST",
            "/v1/models".into(),
            json!({"name": "x", "project_id": proj}),
        ),
        (
            "PUT",
            format!("/v1/models/{b_model}"),
            json!({"project_id": proj}),
        ),
        (
            "POST",
            "/v1/datasets".into(),
            json!({"name": "x", "purpose": "fine_tuning", "project_id": proj}),
        ),
        (
            "POST",
            "/v1/fine_tuning/jobs".into(),
            json!({"base_model": "bitstride-char-tiny", "training_dataset_id": ds}),
        ),
        (
            "POST",
            "/v1/fine_tuning/jobs".into(),
            json!({"base_model": "bitstride-char-tiny", "training_dataset_id": b_ds,
                "validation_dataset_id": ds}),
        ),
        (
            "POST",
            "/v1/fine_tuning/jobs".into(),
            json!({"base_model": tuned, "training_dataset_id": b_ds}),
        ),
        (
            "POST",
            "/v1/rl/jobs".into(),
            json!({"base_model": "bitstride-char-tiny", "dataset_id": rl_ds,
                "environment": {"name": "single_turn_chat"}, "reward": {"type": "exact_match"}}),
        ),
        (
            "POST",
            "/v1/deployments".into(),
            json!({"name": "x", "subdomain": "b-steals", "endpoint": "builtin://model",
                "model_id": tuned, "backend_type": "custom", "protocol": "openai"}),
        ),
        (
            "POST",
            "/v1/deployments".into(),
            json!({"name": "x", "subdomain": "b-proj", "endpoint": "builtin://echo",
                "project_id": proj, "backend_type": "custom", "protocol": "openai"}),
        ),
    ];
    for (method, path, body) in &refs {
        let (status, v) = b.req(method, path, Some(body.clone())).await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "B: {method} {path} {body}: {v}"
        );
    }

    // Everything of A's is intact and unchanged.
    for (method, path, _) in verbs.iter().filter(|v| v.0 == "GET") {
        if path.starts_with("/v1/fine_tuning/jobs/rljob") || path.starts_with("/v1/rl/jobs/ftjob") {
            continue;
        }
        let (status, v) = a.req(method, path, None).await;
        assert_eq!(status, 200, "A: {path}: {v}");
    }
    assert_eq!(
        a.ok("GET", &format!("/v1/projects/{proj}"), None).await["name"],
        "p"
    );
    assert_eq!(
        a.ok("GET", &format!("/v1/datasets/{ds}"), None).await["name"],
        "d"
    );
    assert_eq!(
        a.ok("GET", &format!("/v1/deployments/{dep}"), None).await["status"],
        "ready"
    );
    assert_eq!(
        a.get("/v1/api_keys").await.1["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // None of B's attempts was billed to A.
    assert_eq!(
        a.ok("GET", "/v1/usage", None).await["data"],
        usage_a["data"]
    );
    assert_eq!(
        a_by_key
            .req("POST", "/v1/chat/completions", Some(by_name))
            .await
            .0,
        200
    );
    // The same Host routing serves A (so B's 404 above is the organization's doing).
    let r = a_by_key
        .http
        .post(format!("{}/v1/chat/completions", s.base_url))
        .bearer_auth(a_by_key.token.as_deref().unwrap())
        .header("host", "tenant-a.gateway.example.com")
        .json(&say("hi", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(anon.login("a@example.com", PASSWORD).await.0, 200);
    // A's deletion ends its sessions and its sign-in; B is untouched.
    assert_eq!(a.req("DELETE", "/v1/orgs/current", None).await.0, 204);
    assert_eq!(a.get("/v1/projects").await.0, 401);
    assert_eq!(anon.login("a@example.com", PASSWORD).await.0, 401);
    assert_eq!(b.get("/v1/projects").await.0, 200);
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_bindu_caller_reaches_another_callers_tasks() {
    let hook = Mock::start(|_: &MockRequest| MockReply::json(200, "{}"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scopes = "agent:read,agent:write";
    let (_, ta) = client_token(dir.path(), scopes, &[]).await;
    let (_, tb) = client_token(dir.path(), scopes, &[]).await;
    let s = serve(dir.path(), &["--bindu-allow-private-webhooks"]).await;
    let base = &s.base_url;
    let (a, b) = (Some(ta.as_str()), Some(tb.as_str()));

    // Caller A: a completed task, a paused one in the same context, and a push
    // configuration on the paused one.
    let (status, v) = rpc(base, a, &send("hello", json!({}))).await;
    assert_eq!(status, 200, "{v}");
    let done = v["result"]["id"].as_str().unwrap().to_owned();
    let context = v["result"]["context_id"].as_str().unwrap().to_owned();
    let paused_msg = json!({"jsonrpc": "2.0", "id": 2, "method": "message/send", "params": {
        "message": {"messageId": "m-paused", "role": "user", "contextId": context,
            "parts": [{"kind": "data", "data": {"x": 1}}]},
        "configuration": {"blocking": true}}});
    let (status, v) = rpc(base, a, &paused_msg).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(state(&v["result"]), "input-required", "{v}");
    let paused = v["result"]["id"].as_str().unwrap().to_owned();
    let (status, v) = rpc(
        base,
        a,
        &call(
            "tasks/pushNotificationConfig/set",
            json!({"taskId": paused, "pushNotificationConfig":
                {"url": hook.url("/a"), "token": "a-token"}}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let config = v["result"]["push_notification_config"]["id"]
        .as_str()
        .or_else(|| v["result"]["pushNotificationConfig"]["id"].as_str())
        .unwrap_or_else(|| panic!("no config id in {v}"))
        .to_owned();
    let before = rpc(base, a, &call("tasks/get", json!({"taskId": paused})))
        .await
        .1["result"]
        .clone();

    // Caller B on each of them: the documented "not found" errors.
    let not_found_task: Vec<(&str, Value)> = vec![
        ("tasks/get", json!({"taskId": done})),
        ("tasks/get", json!({"taskId": paused})),
        ("tasks/cancel", json!({"taskId": paused})),
        ("tasks/resubscribe", json!({"taskId": paused})),
        (
            "tasks/feedback",
            json!({"taskId": done, "feedback": "mine"}),
        ),
        (
            "tasks/pushNotificationConfig/get",
            json!({"taskId": paused}),
        ),
        (
            "tasks/pushNotificationConfig/get",
            json!({"taskId": paused, "pushNotificationConfigId": config}),
        ),
        (
            "tasks/pushNotificationConfig/list",
            json!({"taskId": paused}),
        ),
        (
            "tasks/pushNotificationConfig/delete",
            json!({"taskId": paused, "pushNotificationConfigId": config}),
        ),
        (
            "tasks/pushNotificationConfig/set",
            json!({"taskId": paused, "pushNotificationConfig":
                {"url": hook.url("/b"), "token": "b-token"}}),
        ),
    ];
    for (method, params) in &not_found_task {
        let (status, v) = rpc(base, b, &call(method, params.clone())).await;
        assert_eq!(
            (status, v["error"]["code"].as_i64()),
            (404, Some(-32001)),
            "B: {method} {params}: {v}"
        );
    }
    let (status, v) = rpc(
        base,
        b,
        &call("contexts/clear", json!({"contextId": context})),
    )
    .await;
    assert_eq!(
        (status, v["error"]["code"].as_i64()),
        (404, Some(-32020)),
        "B: contexts/clear: {v}"
    );
    // B's lists hold nothing of A's.
    for method in ["tasks/list", "contexts/list"] {
        let (status, v) = rpc(base, b, &call(method, json!({}))).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["result"], json!([]), "B: {method}: {v}");
    }
    // A message from B naming A's task or context starts B's own task: A's are untouched.
    let (status, v) = rpc(base, b, &send("into A's task", json!({"taskId": paused}))).await;
    assert!(status < 500, "{v}");
    let (status, v) = rpc(
        base,
        b,
        &send("into A's context", json!({"contextId": context})),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = rpc(
        base,
        b,
        &call("contexts/clear", json!({"contextId": context})),
    )
    .await;
    assert!(
        v.get("error").is_none() || v["error"]["code"] == -32021,
        "{v}"
    );

    // A sees everything as it left it.
    let after = rpc(base, a, &call("tasks/get", json!({"taskId": paused})))
        .await
        .1["result"]
        .clone();
    assert_eq!(after["history"], before["history"], "{after}");
    assert_eq!(state(&after), "input-required");
    let (status, v) = rpc(
        base,
        a,
        &call(
            "tasks/pushNotificationConfig/get",
            json!({"taskId": paused, "pushNotificationConfigId": config}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert!(v.to_string().contains(&hook.url("/a")), "{v}");
    let (_, v) = rpc(base, a, &call("contexts/list", json!({}))).await;
    let contexts = v["result"].as_array().unwrap();
    assert_eq!(contexts.len(), 1, "{v}");
    let ids: BTreeSet<&str> = contexts[0]["task_ids"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(ids, BTreeSet::from([done.as_str(), paused.as_str()]), "{v}");
    let (_, v) = rpc(base, a, &call("tasks/list", json!({}))).await;
    assert_eq!(v["result"].as_array().unwrap().len(), 2, "{v}");
    drop(s);
}
