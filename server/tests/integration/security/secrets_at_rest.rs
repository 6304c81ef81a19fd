//! Secrets sealed at rest: none readable in a database dump.
//!
//! The attack: copy the database (a backup, a replica, a stolen file) and read
//! the second factors, the agent's signing seed and webhook tokens out of it.
//! Each test runs on SQLite, and on PostgreSQL when `QUARTET_TEST_POSTGRES` is
//! set (there the dump is `pg_dump`'s, when the binary is installed, besides
//! every row as text).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use quartet_conformance::server::{admin, database_for, stored_bytes, ServerProcess};
use serde_json::{json, Value};

use crate::support::{bin, http};

const PASSWORD: &str = "correct horse battery";
const EMAIL: &str = "ada@example.com";

async fn serve(dir: &Path, extra: &[&str]) -> anyhow::Result<ServerProcess> {
    let mut args: Vec<String> = [
        "--log-level",
        "warn",
        "--bindu-auth",
        "off",
        "--bindu-allow-private-webhooks",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    ServerProcess::spawn_many(&bin(), dir, &["bitstride", "bindu"], &args).await
}

async fn post(url: String, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut r = http().post(url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The TOTP code of `secret` (base32) for the current step moved by `offset`.
fn code(secret: &str, offset: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes).unwrap();
    let step = chrono::Utc::now().timestamp() / 30 + offset;
    totp.generate(u64::try_from(step * 30).unwrap())
}

/// Registers the account; returns its access token.
async fn register(s: &ServerProcess) -> String {
    register_as(s, EMAIL).await
}

async fn register_as(s: &ServerProcess, email: &str) -> String {
    let (status, body) = post(
        format!("{}/v1/auth/register", s.url("bitstride")),
        None,
        json!({"email": email, "password": PASSWORD, "name": "Ada"}),
    )
    .await;
    assert!((200..300).contains(&status), "{status} {body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Enrols and turns on MFA (with the code of the previous step); returns the secret.
async fn enable_mfa(s: &ServerProcess, token: &str) -> String {
    let base = s.url("bitstride");
    let (status, e) = post(format!("{base}/v1/auth/mfa/enroll"), Some(token), json!({})).await;
    assert_eq!(status, 200, "{e}");
    let secret = e["secret"].as_str().unwrap().to_owned();
    let (status, user) = post(
        format!("{base}/v1/auth/mfa/verify"),
        Some(token),
        json!({"code": code(&secret, -1)}),
    )
    .await;
    assert_eq!(
        (status, &user["mfa_enabled"]),
        (200, &json!(true)),
        "{user}"
    );
    secret
}

/// Signs in with the password and the code of step `offset`: the server opened
/// the sealed secret if this passes.
async fn sign_in_with_mfa(s: &ServerProcess, secret: &str, offset: i64) {
    let (status, session) = try_mfa(s, EMAIL, secret, offset).await;
    assert_eq!(status, 200, "the second factor verifies: {session}");
    assert!(session["access_token"].is_string(), "{session}");
}

/// Signs in as `email` with the code of `secret`; returns the second step's answer.
async fn try_mfa(s: &ServerProcess, email: &str, secret: &str, offset: i64) -> (u16, Value) {
    let base = s.url("bitstride");
    let (status, l) = post(
        format!("{base}/v1/auth/login"),
        None,
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!((status, &l["mfa_required"]), (200, &json!(true)), "{l}");
    post(
        format!("{base}/v1/auth/mfa/verify-login"),
        None,
        json!({"mfa_token": l["mfa_token"], "code": code(secret, offset)}),
    )
    .await
}

/// Imports a fresh random seed as the agent's identity; returns it and the public key.
async fn import_identity(dir: &Path) -> ([u8; 32], String) {
    let seed: [u8; 32] = rand::random();
    admin(
        &bin(),
        dir,
        &["bindu", "identity", "import", "--seed", &hex::encode(seed)],
    )
    .await
    .unwrap();
    (seed, public_key(dir).await)
}

/// The agent's public key, as `quartet admin bindu identity show` prints it.
async fn public_key(dir: &Path) -> String {
    let shown = admin(&bin(), dir, &["bindu", "identity", "show"])
        .await
        .unwrap();
    shown
        .lines()
        .find_map(|l| l.strip_prefix("public_key"))
        .unwrap()
        .trim()
        .to_owned()
}

/// Has the agent answer `text` and checks the answer's signature against `public_key`.
async fn agent_signs(s: &ServerProcess, public_key: &str, text: &str) {
    let base = s.url("bindu");
    let send = json!({"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {
        "message": {"messageId": uuid::Uuid::new_v4().to_string(), "role": "user",
                    "parts": [{"kind": "text", "text": text}]},
        "configuration": {"blocking": true}}});
    let (status, body) = post(base.to_owned(), None, send).await;
    assert_eq!(status, 200, "{body}");
    let id = body["result"]["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    let task = loop {
        let get =
            json!({"jsonrpc": "2.0", "id": 2, "method": "tasks/get", "params": {"taskId": id}});
        let (_, t) = post(base.to_owned(), None, get).await;
        if t["result"]["status"]["state"] == "completed" {
            break t["result"].clone();
        }
        assert!(Instant::now() < deadline, "never completed: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let part = &task["artifacts"][0]["parts"][0];
    let signature = part["metadata"]["did.message.signature"].as_str().unwrap();
    let key: [u8; 32] = bs58::decode(public_key)
        .into_vec()
        .unwrap()
        .try_into()
        .unwrap();
    let sig: [u8; 64] = bs58::decode(signature)
        .into_vec()
        .unwrap()
        .try_into()
        .unwrap();
    VerifyingKey::from_bytes(&key)
        .unwrap()
        .verify(
            part["text"].as_str().unwrap().as_bytes(),
            &Signature::from_bytes(&sig),
        )
        .expect("the answer is signed by the agent's key");
}

/// Sets a webhook with `token` on a new task; returns the task id.
async fn set_webhook(s: &ServerProcess, token: &str) -> String {
    let base = s.url("bindu");
    let send = json!({"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {
        "message": {"messageId": uuid::Uuid::new_v4().to_string(), "role": "user",
                    "parts": [{"kind": "data", "data": {"wait": true}}]}}});
    let (_, body) = post(base.to_owned(), None, send).await;
    let id = body["result"]["id"].as_str().unwrap().to_owned();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        quartet_conformance::server::closed_port()
    );
    let set = json!({"jsonrpc": "2.0", "id": 2, "method": "tasks/pushNotificationConfig/set",
        "params": {"taskId": id, "pushNotificationConfig": {"url": url, "token": token}}});
    let (status, body) = post(base.to_owned(), None, set).await;
    assert_eq!(status, 200, "{body}");
    id
}

/// The webhook token of task `id`, as `tasks/pushNotificationConfig/get` returns it.
async fn webhook_token(s: &ServerProcess, id: &str) -> Value {
    let get = json!({"jsonrpc": "2.0", "id": 3, "method": "tasks/pushNotificationConfig/get",
        "params": {"id": id}});
    let (status, body) = post(s.url("bindu").to_owned(), None, get).await;
    assert_eq!(status, 200, "{body}");
    body["result"]["push_notification_config"]["token"].clone()
}

/// Every encoding of `bytes` the code or a reader might use.
fn encodings(bytes: &[u8]) -> Vec<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    vec![
        bytes.to_vec(),
        hex::encode(bytes).into_bytes(),
        hex::encode_upper(bytes).into_bytes(),
        bs58::encode(bytes).into_string().into_bytes(),
        STANDARD.encode(bytes).into_bytes(),
        STANDARD_NO_PAD.encode(bytes).into_bytes(),
        URL_SAFE_NO_PAD.encode(bytes).into_bytes(),
        match totp_rs::Secret::Raw(bytes.to_vec()).to_encoded() {
            totp_rs::Secret::Encoded(s) => s.into_bytes(),
            totp_rs::Secret::Raw(b) => b,
        },
    ]
}

/// `pg_dump` of the database of `dir`, when it is on PostgreSQL and the binary is there.
fn pg_dump(url: &str) -> Option<Vec<u8>> {
    let found = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin/pg_dump"))
        .find(|p| p.exists());
    let Some(pg_dump) = found else {
        eprintln!("pg_dump not found under /usr/lib/postgresql/*/bin: the dump check is skipped");
        return None;
    };
    let out = std::process::Command::new(pg_dump)
        .args(["--dbname", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

/// Asserts that no encoding of any of `secrets` is in what the database holds.
async fn assert_unreadable(dir: &Path, secrets: &[(&str, Vec<u8>)]) {
    let mut dumps = vec![("rows", stored_bytes(dir).await.unwrap())];
    if let Some(url) = database_for(dir).await.unwrap() {
        dumps.extend(pg_dump(&url).map(|d| ("pg_dump", d)));
    }
    for (what, dump) in &dumps {
        assert!(dump.len() > 1000, "the {what} dump holds the database");
        for (name, secret) in secrets {
            for encoded in encodings(secret) {
                assert!(
                    !contains(dump, &encoded),
                    "the {name} is readable in the {what} dump as {:?}",
                    String::from_utf8_lossy(&encoded)
                );
            }
        }
    }
}

fn totp_bytes(secret: &str) -> Vec<u8> {
    totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neither_the_totp_secret_nor_the_agent_seed_is_in_a_dump_and_both_work_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (seed, public) = import_identity(dir.path()).await;
    let s = serve(dir.path(), &[]).await.unwrap();
    let token = register(&s).await;
    let secret = enable_mfa(&s, &token).await;
    let hook_token = format!("whk-{}", hex::encode(rand::random::<[u8; 16]>()));
    let task = set_webhook(&s, &hook_token).await;
    assert_eq!(webhook_token(&s, &task).await, json!(hook_token));
    agent_signs(&s, &public, "signed before").await;
    s.kill().await.unwrap();

    assert_unreadable(
        dir.path(),
        &[
            ("TOTP secret", secret.clone().into_bytes()),
            ("TOTP key", totp_bytes(&secret)),
            ("agent seed", seed.to_vec()),
            ("webhook token", hook_token.clone().into_bytes()),
        ],
    )
    .await;

    let s = serve(dir.path(), &[]).await.unwrap();
    sign_in_with_mfa(&s, &secret, 0).await;
    agent_signs(&s, &public, "signed after a restart").await;
    assert_eq!(webhook_token(&s, &task).await, json!(hook_token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_agent_seed_is_stored_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]).await.unwrap();
    register(&s).await;
    let public = public_key(dir.path()).await;
    agent_signs(&s, &public, "hello").await;
    s.kill().await.unwrap();
    let mut conn = connect(dir.path()).await;
    let stored: Vec<u8> = sqlx::query_scalar("SELECT seed FROM bindu_identity")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(stored.starts_with(b"v1."), "{stored:?}");
    assert_ne!(stored.len(), 32);
    let der: Vec<u8> = sqlx::query_scalar("SELECT pkcs8_der FROM oauth_signing_keys")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(der.starts_with(b"v1."), "the token-signing key is sealed");
}

/// A copy of the key file, made before it changes.
fn keep_copy(from: &Path, to: &Path) -> PathBuf {
    std::fs::copy(from, to).unwrap();
    to.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_reseals_everything_and_the_old_key_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let (seed, public) = import_identity(dir.path()).await;
    let s = serve(dir.path(), &[]).await.unwrap();
    let token = register(&s).await;
    let secret = enable_mfa(&s, &token).await;
    let key_file = dir.path().join("secret.key");
    let old = keep_copy(&key_file, &keys.path().join("old.key"));
    let old_id = key_id(dir.path()).await;

    // Rotated while the server runs: it hears of the new key and keeps working.
    let out = admin(&bin(), dir.path(), &["secrets", "rotate"])
        .await
        .unwrap();
    assert!(out.contains("new_key_id"), "{out}");
    assert_ne!(
        std::fs::read(&key_file).unwrap(),
        std::fs::read(&old).unwrap(),
        "the key file holds the new key"
    );
    sign_in_with_mfa(&s, &secret, 0).await;
    agent_signs(&s, &public, "signed while rotating").await;
    s.kill().await.unwrap();

    // Restarted with the new key: the same second factor and the same DID key.
    let s = serve(dir.path(), &[]).await.unwrap();
    sign_in_with_mfa(&s, &secret, 1).await;
    agent_signs(&s, &public, "signed after the rotation").await;
    s.kill().await.unwrap();
    assert_unreadable(
        dir.path(),
        &[
            ("TOTP key", totp_bytes(&secret)),
            ("agent seed", seed.to_vec()),
        ],
    )
    .await;
    // Nothing sealed under the old key is left anywhere in the database's files.
    let new_id = key_id(dir.path()).await;
    assert_ne!(new_id, old_id);
    let stored = stored_bytes(dir.path()).await.unwrap();
    let (old_prefix, new_prefix) = (format!("v1.{old_id}."), format!("v1.{new_id}."));
    assert!(
        !contains(&stored, old_prefix.as_bytes()),
        "a value under the old key remains"
    );
    assert!(contains(&stored, new_prefix.as_bytes()));

    // The old key opens nothing: a server given it refuses to start.
    let old_arg = old.display().to_string();
    let refused = serve(dir.path(), &["--secret-key-file", &old_arg])
        .await
        .err()
        .expect("a server with the old key does not start");
    assert!(
        refused.to_string().contains("sealed under key"),
        "{refused}"
    );

    // A rotation cut short after its commit leaves the new key staged beside the old
    // one: the next start finds it there.
    std::fs::copy(&key_file, dir.path().join("secret.key.new")).unwrap();
    std::fs::copy(&old, &key_file).unwrap();
    let s = serve(dir.path(), &[]).await.unwrap();
    agent_signs(&s, &public, "signed after an interrupted rotation").await;
    assert_eq!(key_id(dir.path()).await, new_id);
}

/// The id of the key in force, as `quartet admin secrets show` prints it.
async fn key_id(dir: &Path) -> String {
    let shown = admin(&bin(), dir, &["secrets", "show"]).await.unwrap();
    shown
        .lines()
        .find_map(|l| l.strip_prefix("key_id"))
        .unwrap()
        .trim()
        .to_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A connection to the database of `dir` (SQLite or PostgreSQL).
async fn connect(dir: &Path) -> sqlx::AnyConnection {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let url = match database_for(dir).await.unwrap() {
        Some(url) => url,
        None => format!("sqlite://{}", dir.join("quartet.db").display()),
    };
    sqlx::AnyConnection::connect(&url).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_of_a_database_from_before_sealing_are_sealed_on_start() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]).await.unwrap();
    register(&s).await;
    s.kill().await.unwrap();
    // What a database written before sealing holds: no sealing table, no key, and
    // the secrets in clear.
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let seed: [u8; 32] = rand::random();
    let public = bs58::encode(
        ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .as_bytes(),
    )
    .into_string();
    {
        let mut conn = connect(dir.path()).await;
        for sql in [
            "DROP TABLE platform_sealing",
            "DELETE FROM schema_migrations WHERE surface = 'sealing'",
            "DELETE FROM bindu_identity",
            // Sealed under the key removed below (a new one is made).
            "DELETE FROM oauth_signing_keys",
        ] {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        sqlx::query("UPDATE bitstride_users SET mfa_secret = $1 WHERE email = $2")
            .bind(secret)
            .bind(EMAIL)
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO bindu_identity (name, agent_id, seed, created_at) VALUES ('agent', $1, $2, 1)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(seed.to_vec())
        .execute(&mut conn)
        .await
        .unwrap();
    }
    std::fs::remove_file(dir.path().join("secret.key")).unwrap();

    let s = serve(dir.path(), &[]).await.unwrap();
    assert!(
        dir.path().join("secret.key").exists(),
        "a key was generated"
    );
    sign_in_with_mfa(&s, secret, 0).await;
    assert_eq!(public_key(dir.path()).await, public);
    agent_signs(&s, &public, "signed with the migrated seed").await;
    s.kill().await.unwrap();
    assert_unreadable(
        dir.path(),
        &[
            ("TOTP secret", secret.as_bytes().to_vec()),
            ("agent seed", seed.to_vec()),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_another_key_or_a_readable_key_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]).await.unwrap();
    register(&s).await;
    s.kill().await.unwrap();
    let key_file = dir.path().join("secret.key");
    let kept = std::fs::read(&key_file).unwrap();

    // Another key in the key file's place.
    std::fs::remove_file(&key_file).unwrap();
    {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key_file)
            .unwrap();
        writeln!(f, "{}", hex::encode(rand::random::<[u8; 32]>())).unwrap();
    }
    let refused = serve(dir.path(), &[]).await.err().expect("refused");
    let message = refused.to_string();
    assert!(message.contains("sealed under key"), "{message}");
    assert!(message.contains("need the same key"), "{message}");
    let shown = admin(&bin(), dir.path(), &["bindu", "identity", "show"]).await;
    assert!(shown.is_err(), "admin commands refuse too");

    // The right key, readable by others: refused with what to do.
    std::fs::write(&key_file, &kept).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = serve(dir.path(), &[]).await.err().expect("refused");
    assert!(refused.to_string().contains("chmod 600"), "{refused}");

    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    serve(dir.path(), &[]).await.expect("the right key starts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_secret_copied_into_another_account_does_not_open_there() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]).await.unwrap();
    let victim = register_as(&s, "victim@example.com").await;
    let (attacker, other) = ("mallory@example.com", "mallory-other@example.com");
    let attacker_token = register_as(&s, attacker).await;
    register_as(&s, other).await;
    let victim_secret = enable_mfa(&s, &victim).await;
    let attacker_secret = enable_mfa(&s, &attacker_token).await;
    // With write access to the database but not the key, the attacker moves their
    // own sealed secret (whose codes they know) into another account's row.
    let mut conn = connect(dir.path()).await;
    sqlx::query(
        "UPDATE bitstride_users SET mfa_secret = (SELECT mfa_secret FROM bitstride_users WHERE email = $1) \
         WHERE email = $2",
    )
    .bind(attacker)
    .bind(other)
    .execute(&mut conn)
    .await
    .unwrap();
    let (status, body) = try_mfa(&s, other, &attacker_secret, 0).await;
    assert_ne!(status, 200, "a moved secret opened in another row: {body}");
    assert!(body.get("access_token").is_none(), "{body}");
    // Both owners still sign in.
    let (status, body) = try_mfa(&s, "victim@example.com", &victim_secret, 0).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = try_mfa(&s, attacker, &attacker_secret, 0).await;
    assert_eq!(status, 200, "{body}");
}
