//! A data directory written by the first schema (keys and organization keys in
//! tables of their own) keeps working after an upgrade: the migrations move the
//! rows into the shared credential table.

use super::support::bin;
use quartet_conformance::server::{test_postgres, ServerProcess};
use sha2::{Digest, Sha256};
use sqlx::Connection as _;

/// The tables and rows of a data directory made before credentials were shared.
const FIRST_SCHEMA: &str = "
    CREATE TABLE schema_migrations (surface TEXT NOT NULL, version INTEGER NOT NULL,
                                    PRIMARY KEY (surface, version));
    CREATE TABLE brookmimir_keys (id INTEGER PRIMARY KEY, key_hash BLOB NOT NULL UNIQUE,
        key_prefix TEXT NOT NULL, label TEXT NOT NULL DEFAULT '',
        credits INTEGER NOT NULL CHECK (credits >= 0), created_at INTEGER NOT NULL);
    CREATE TABLE brookmimir_documents (id TEXT PRIMARY KEY, source TEXT NOT NULL);
    CREATE TABLE brookmimir_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO brookmimir_meta (name, value) VALUES ('corpus_version', 0);
    CREATE TABLE oauth_signing_keys (kid TEXT PRIMARY KEY, pkcs8_der BLOB NOT NULL,
        created_at INTEGER NOT NULL, retired_at INTEGER);
    CREATE TABLE oauth_clients (id TEXT PRIMARY KEY, secret_hash TEXT, cert_thumbprint TEXT,
        scopes TEXT NOT NULL, tier TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER,
        CHECK ((secret_hash IS NULL) <> (cert_thumbprint IS NULL)));
    CREATE TABLE bitmind_org_keys (id TEXT PRIMARY KEY, secret_sha256 BLOB NOT NULL,
        scopes TEXT NOT NULL, tier TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
    INSERT INTO schema_migrations VALUES ('brookmimir', 1), ('oauth', 1), ('bitmind', 1);
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_schema_data_directory_is_migrated_in_place() {
    if test_postgres().is_some() {
        eprintln!("the first schema only ever existed on SQLite: nothing to run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = "ab".repeat(32);
    let (org_id, org_secret) = ("0123456789abcdef0123456789abcdef", "s3cret-from-before");
    {
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("quartet.db").display()
        );
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(FIRST_SCHEMA)
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO brookmimir_keys (key_hash, key_prefix, label, credits, created_at) VALUES ($1, $2, 'old', 7, 1)")
            .bind(Sha256::digest(key.as_bytes()).to_vec())
            .bind(&key[..8])
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO bitmind_org_keys VALUES ($1, $2, 'image_inference', 'gold', 1, NULL)",
        )
        .bind(org_id)
        .bind(Sha256::digest(org_secret.as_bytes()).to_vec())
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let server = ServerProcess::spawn_many(&bin(), dir.path(), &["brookmimir", "bitmind"], &[])
        .await
        .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let credits: serde_json::Value = http
        .get(format!("{}/credits", server.url("brookmimir")))
        .header("x-api-key", key.to_uppercase())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(credits["current_balance"], 7, "{credits}");
    let status: serde_json::Value = http
        .get(format!("{}/status", server.url("bitmind")))
        .bearer_auth(format!("enterprise-{org_id}.{org_secret}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["client"]["client_id"], org_id, "{status}");
    assert_eq!(status["client"]["tier"], "gold", "{status}");
}
