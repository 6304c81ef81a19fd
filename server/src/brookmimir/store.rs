//! Brookmimir's storage: API keys (platform credentials of kind
//! `brookmimir-key`) with their credit balances, and the corpus.
//!
//! A key is 64 hex characters of randomness; its SHA-256 (of the lower-case form)
//! is what is stored. Credits are taken with a single conditional `UPDATE`, so
//! concurrent requests never overdraw a balance, on one instance or many.

use quartet_api::brookmimir::Document;
use serde::Serialize;
use sqlx::Row as _;

use crate::platform::credentials::{CredentialStore, Lookup, NewCredential};
use crate::platform::secrets::random_hex;
use crate::platform::{Db, DbError, Migration};

/// The credential kind of Brookmimir keys.
pub const KEY_KIND: &str = "brookmimir-key";

/// Schema migrations of this surface.
pub const MIGRATIONS: [Migration; 2] = [
    Migration {
        owner: "brookmimir",
        version: 1,
        // The first SQLite schema kept keys in a table of their own; version 2 moves them.
        sqlite: "CREATE TABLE brookmimir_keys (
                     id INTEGER PRIMARY KEY,
                     key_hash BLOB NOT NULL UNIQUE,
                     key_prefix TEXT NOT NULL,
                     label TEXT NOT NULL DEFAULT '',
                     credits INTEGER NOT NULL CHECK (credits >= 0),
                     created_at INTEGER NOT NULL
                 );
                 CREATE TABLE brookmimir_documents (id TEXT PRIMARY KEY, source TEXT NOT NULL);
                 CREATE TABLE brookmimir_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                 INSERT INTO brookmimir_meta (name, value) VALUES ('corpus_version', 0);",
        postgres: "CREATE TABLE brookmimir_documents (id TEXT PRIMARY KEY, source TEXT NOT NULL);
                   CREATE TABLE brookmimir_meta (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
                   INSERT INTO brookmimir_meta (name, value) VALUES ('corpus_version', 0);",
    },
    Migration {
        owner: "brookmimir",
        version: 2,
        sqlite: "CREATE TABLE brookmimir_balances (
                     credential_id TEXT PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
                     credits INTEGER NOT NULL CHECK (credits >= 0)
                 );
                 INSERT INTO credentials (id, kind, secret_hash, prefix, label, created_at)
                     SELECT CAST(id AS TEXT), 'brookmimir-key', key_hash, key_prefix, label, created_at
                     FROM brookmimir_keys;
                 INSERT INTO brookmimir_balances (credential_id, credits)
                     SELECT CAST(id AS TEXT), credits FROM brookmimir_keys;
                 DROP TABLE brookmimir_keys;",
        postgres: "CREATE TABLE brookmimir_balances (
                       credential_id TEXT PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
                       credits BIGINT NOT NULL CHECK (credits >= 0)
                   );",
    },
];

/// Whether `key` has the documented form: 64 hexadecimal characters.
pub fn is_well_formed(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A key as listed by the operator (never the key itself).
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// Its id, to address it in admin commands.
    pub id: String,
    /// First 8 characters of the key, to recognise it.
    pub prefix: String,
    /// Free-form label.
    pub label: String,
    /// Remaining credits.
    pub credits: i64,
    /// Creation time, Unix seconds.
    pub created_at: i64,
}

/// Storage of the Brookmimir surface.
#[derive(Clone)]
pub struct Store {
    db: Db,
    keys: CredentialStore,
}

impl Store {
    /// The surface's storage in `db`.
    pub fn new(db: Db) -> Self {
        Self {
            keys: CredentialStore::new(db.clone(), KEY_KIND),
            db,
        }
    }

    /// The id of the (well-formed) key, if an account holds it.
    pub async fn find_key(&self, key: &str) -> Result<Option<String>, DbError> {
        Ok(
            match self.keys.authenticate(&key.to_ascii_lowercase()).await? {
                Lookup::Valid(c) => Some(c.id),
                _ => None,
            },
        )
    }

    /// The balance of key `id`.
    pub async fn balance(&self, id: &str) -> Result<i64, DbError> {
        Ok(
            sqlx::query_scalar("SELECT credits FROM brookmimir_balances WHERE credential_id = $1")
                .bind(id)
                .fetch_optional(&mut *self.db.conn().await?)
                .await?
                .unwrap_or(0),
        )
    }

    /// Takes one credit from key `id`. `false` when the balance is zero.
    pub async fn charge(&self, id: &str) -> Result<bool, DbError> {
        let changed = sqlx::query(
            "UPDATE brookmimir_balances SET credits = credits - 1
             WHERE credential_id = $1 AND credits > 0",
        )
        .bind(id)
        .execute(&mut *self.db.conn().await?)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Creates a key with `credits`; returns the key (shown once) and its row.
    pub async fn create_key(
        &self,
        label: &str,
        credits: i64,
    ) -> Result<(String, KeyInfo), DbError> {
        let key = random_hex(32);
        let mut tx = self.db.begin().await?;
        let credential = self
            .keys
            .insert(
                &mut tx,
                NewCredential {
                    id: random_hex(8),
                    secret: key.clone(),
                    prefix_len: 8,
                    label: label.to_owned(),
                    ..Default::default()
                },
            )
            .await?;
        sqlx::query("INSERT INTO brookmimir_balances (credential_id, credits) VALUES ($1, $2)")
            .bind(&credential.id)
            .bind(credits)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((
            key,
            KeyInfo {
                id: credential.id,
                prefix: credential.prefix,
                label: credential.label,
                credits,
                created_at: credential.created_at,
            },
        ))
    }

    /// Adds `credits` to the key given by its id or by the key itself; `None` if there is no such key.
    pub async fn top_up(&self, key_or_id: &str, credits: i64) -> Result<Option<KeyInfo>, DbError> {
        let id = if is_well_formed(key_or_id) {
            match self
                .keys
                .authenticate(&key_or_id.to_ascii_lowercase())
                .await?
            {
                Lookup::Unknown => return Ok(None),
                Lookup::Valid(c) | Lookup::Revoked(c) | Lookup::Expired(c) => c.id,
            }
        } else {
            key_or_id.to_owned()
        };
        let changed = sqlx::query(
            "UPDATE brookmimir_balances SET credits = credits + $1 WHERE credential_id = $2",
        )
        .bind(credits)
        .bind(&id)
        .execute(&mut *self.db.conn().await?)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        Ok(self.list_keys().await?.into_iter().find(|k| k.id == id))
    }

    /// Every key, oldest first.
    pub async fn list_keys(&self) -> Result<Vec<KeyInfo>, DbError> {
        let credentials = self.keys.list(None).await?;
        let balances: Vec<(String, i64)> =
            sqlx::query_as("SELECT credential_id, credits FROM brookmimir_balances")
                .fetch_all(&mut *self.db.conn().await?)
                .await?;
        let balances: std::collections::HashMap<_, _> = balances.into_iter().collect();
        Ok(credentials
            .into_iter()
            .map(|c| KeyInfo {
                credits: balances.get(&c.id).copied().unwrap_or(0),
                id: c.id,
                prefix: c.prefix,
                label: c.label,
                created_at: c.created_at,
            })
            .collect())
    }

    /// The document with this id, if the corpus holds it.
    pub async fn document(&self, id: &str) -> Result<Option<Document>, DbError> {
        let source: Option<String> =
            sqlx::query_scalar("SELECT source FROM brookmimir_documents WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *self.db.conn().await?)
                .await?;
        source
            .map(|s| {
                serde_json::from_str(&s)
                    .map_err(|e| DbError::Corrupt(format!("document {id}: {e}")))
            })
            .transpose()
    }

    /// Inserts or replaces `docs` in one transaction and bumps the corpus version.
    pub async fn upsert_documents(&self, docs: &[Document]) -> Result<(), DbError> {
        let mut tx = self.db.begin().await?;
        for d in docs {
            let source = serde_json::to_string(d).expect("documents always serialise");
            sqlx::query(
                "INSERT INTO brookmimir_documents (id, source) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET source = excluded.source",
            )
            .bind(&d.id)
            .bind(source)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE brookmimir_meta SET value = value + 1 WHERE name = 'corpus_version'")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The corpus version: bumped by every import, so the search index knows when to rebuild.
    pub async fn corpus_version(&self) -> Result<i64, DbError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM brookmimir_meta WHERE name = 'corpus_version'")
                .fetch_one(&mut *self.db.conn().await?)
                .await?,
        )
    }

    /// Every document, and a corpus version no newer than them (read first, so a
    /// concurrent import at worst causes one more rebuild).
    pub async fn snapshot(&self) -> Result<(i64, Vec<Document>), DbError> {
        let version = self.corpus_version().await?;
        let rows = sqlx::query("SELECT source FROM brookmimir_documents ORDER BY id")
            .fetch_all(&mut *self.db.conn().await?)
            .await?;
        let docs = rows
            .iter()
            .filter_map(|r| r.try_get::<String, _>(0).ok())
            .filter_map(|s| serde_json::from_str(&s).ok())
            .collect();
        Ok((version, docs))
    }

    /// How many documents the corpus holds.
    pub async fn count_documents(&self) -> Result<i64, DbError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM brookmimir_documents")
                .fetch_one(&mut *self.db.conn().await?)
                .await?,
        )
    }
}
