//! Brookmimir's storage: API keys (platform credentials of kind
//! `brookmimir-key`) with their credit balances, and the corpus.
//!
//! A key is 64 hex characters of randomness; its SHA-256 (of the lower-case form)
//! is what is stored. Credits are taken with a single conditional `UPDATE`, so
//! concurrent requests never overdraw a balance, on one instance or many.

use quartet_api::brookmimir::Document;
use serde::Serialize;

use super::index::Position;
use crate::platform::changes;
use crate::platform::credentials::{CredentialStore, Lookup, NewCredential};
use crate::platform::secrets::random_hex;
use crate::platform::{Db, DbError, Migration};

/// The credential kind of Brookmimir keys.
pub const KEY_KIND: &str = "brookmimir-key";

/// Schema migrations of this surface.
pub const MIGRATIONS: [Migration; 3] = [
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
    // Each document row carries the corpus version of the import that wrote it, so
    // a search index catches up by reading the rows newer than its own version; the
    // corpus id tells an index which database it was built from.
    Migration {
        owner: "brookmimir",
        version: 3,
        sqlite: "ALTER TABLE brookmimir_documents ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
                 CREATE INDEX brookmimir_documents_version ON brookmimir_documents (version);
                 INSERT INTO brookmimir_meta (name, value) VALUES ('corpus_id', abs(random() >> 12));",
        postgres: "ALTER TABLE brookmimir_documents ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
                   CREATE INDEX brookmimir_documents_version ON brookmimir_documents (version);
                   INSERT INTO brookmimir_meta (name, value)
                       VALUES ('corpus_id', floor(random() * 4503599627370496)::bigint);",
    },
];

/// The lock batched charges take on PostgreSQL ("bmmc"); on SQLite, the write lock.
const CHARGE_LOCK: i64 = 0x62_6d_6d_63;

/// Documents written by one `INSERT` of an import.
const ROWS_PER_INSERT: usize = 100;

/// The change channel announcing imports (payload: the new corpus version).
pub const CORPUS_CHANNEL: &str = "brookmimir.corpus";

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

    /// The keys, as platform credentials.
    pub fn keys(&self) -> &CredentialStore {
        &self.keys
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

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Takes up to `n` credits from each key `(id, n)` of `wanted`; returns how
    /// many each got. A key with enough credits costs one conditional `UPDATE`; one
    /// whose balance runs out gives what is left, in a transaction holding the
    /// database's write lock.
    pub async fn charge_many(&self, wanted: &[(String, i64)]) -> Result<Vec<i64>, DbError> {
        let mut conn = self.db.conn().await?;
        let mut granted = Vec::with_capacity(wanted.len());
        for (id, n) in wanted {
            let all = sqlx::query(
                "UPDATE brookmimir_balances SET credits = credits - $1
                 WHERE credential_id = $2 AND credits >= $3",
            )
            .bind(*n)
            .bind(id)
            .bind(*n)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if all == 1 {
                granted.push(*n);
                continue;
            }
            let (id, n) = (id.clone(), *n);
            let got = self
                .db
                .locked(CHARGE_LOCK, move |c| {
                    Box::pin(async move {
                        let credits: Option<i64> = sqlx::query_scalar(
                            "SELECT credits FROM brookmimir_balances WHERE credential_id = $1",
                        )
                        .bind(&id)
                        .fetch_optional(&mut *c)
                        .await?;
                        let got = credits.unwrap_or(0).clamp(0, n);
                        if got > 0 {
                            sqlx::query(
                                "UPDATE brookmimir_balances SET credits = credits - $1
                                 WHERE credential_id = $2",
                            )
                            .bind(got)
                            .bind(&id)
                            .execute(&mut *c)
                            .await?;
                        }
                        Ok(got)
                    })
                })
                .await?;
            granted.push(got);
        }
        Ok(granted)
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

    /// Inserts or replaces `docs` in one transaction under a new corpus version,
    /// and announces it on [`CORPUS_CHANNEL`] when it commits.
    pub async fn upsert_documents(&self, docs: &[Document]) -> Result<i64, DbError> {
        let mut tx = self.db.begin().await?;
        // Taking the version first locks the row: concurrent imports commit in version order.
        let version: i64 = sqlx::query_scalar(
            "UPDATE brookmimir_meta SET value = value + 1 WHERE name = 'corpus_version'
             RETURNING value",
        )
        .fetch_one(&mut *tx)
        .await?;
        // The last of several documents with one id wins, as in a file read in order;
        // rows go in statements of ROWS_PER_INSERT, so the write lock is held briefly.
        let mut last = std::collections::HashMap::new();
        for (i, d) in docs.iter().enumerate() {
            last.insert(d.id.as_str(), i);
        }
        let unique: Vec<&Document> = docs
            .iter()
            .enumerate()
            .filter(|(i, d)| last[d.id.as_str()] == *i)
            .map(|(_, d)| d)
            .collect();
        for rows in unique.chunks(ROWS_PER_INSERT) {
            let values: Vec<String> = (0..rows.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO brookmimir_documents (id, source, version) VALUES {}
                 ON CONFLICT (id) DO UPDATE SET source = excluded.source, version = excluded.version",
                values.join(", ")
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
            for d in rows {
                let source = serde_json::to_string(d).expect("documents always serialise");
                insert = insert.bind(d.id.clone()).bind(source).bind(version);
            }
            insert.execute(&mut *tx).await?;
        }
        changes::publish(
            &mut tx,
            self.db.backend(),
            CORPUS_CHANNEL,
            &version.to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Which database this is and its corpus version: what a search index must reflect.
    pub async fn corpus_position(&self) -> Result<Position, DbError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT name, value FROM brookmimir_meta WHERE name IN ('corpus_id', 'corpus_version')",
        )
        .fetch_all(&mut *self.db.conn().await?)
        .await?;
        let get = |name: &str| {
            rows.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| DbError::Corrupt(format!("brookmimir_meta has no {name}")))
        };
        Ok(Position {
            corpus: get("corpus_id")?,
            version: get("corpus_version")?,
        })
    }

    /// Up to `limit` documents written by imports after version `after` and up to
    /// `upto`, with ids greater than `after_id`, in id order (pages of a catch-up).
    pub async fn changed_documents(
        &self,
        after: i64,
        upto: i64,
        after_id: &str,
        limit: i64,
    ) -> Result<Vec<Document>, DbError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, source FROM brookmimir_documents
             WHERE version > $1 AND version <= $2 AND id > $3
             ORDER BY id LIMIT $4",
        )
        .bind(after)
        .bind(upto)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&mut *self.db.conn().await?)
        .await?;
        rows.into_iter()
            .map(|(id, source)| {
                serde_json::from_str(&source)
                    .map_err(|e| DbError::Corrupt(format!("document {id}: {e}")))
            })
            .collect()
    }

    /// How many documents imports after version `after` wrote (all of them for -1).
    pub async fn count_changed(&self, after: i64) -> Result<i64, DbError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM brookmimir_documents WHERE version > $1")
                .bind(after)
                .fetch_one(&mut *self.db.conn().await?)
                .await?,
        )
    }

    /// Whether the corpus holds no document.
    pub async fn is_empty(&self) -> Result<bool, DbError> {
        let any: Option<String> = sqlx::query_scalar("SELECT id FROM brookmimir_documents LIMIT 1")
            .fetch_optional(&mut *self.db.conn().await?)
            .await?;
        Ok(any.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brookmimir::generate;

    #[tokio::test]
    async fn an_import_writes_the_last_of_repeated_ids_and_versions_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(None, dir.path(), crate::surfaces::migrations())
            .await
            .unwrap();
        let store = Store::new(db);
        let mut docs: Vec<Document> = generate::documents(250, 9, 1).collect();
        let mut again = docs[3].clone();
        again.title = "the later one".into();
        docs.push(again);
        let before = store.corpus_position().await.unwrap();
        let version = store.upsert_documents(&docs).await.unwrap();
        assert_eq!(version, before.version + 1);
        assert_eq!(
            store.document("DOC-4").await.unwrap().unwrap().title,
            "the later one"
        );
        assert_eq!(store.count_changed(before.version).await.unwrap(), 250);
        let next = store.upsert_documents(&docs[..10]).await.unwrap();
        assert_eq!(store.count_changed(version).await.unwrap(), 10);
        let page = store.changed_documents(version, next, "", 5).await.unwrap();
        assert_eq!(page.len(), 5);
        assert_eq!(store.corpus_position().await.unwrap().version, next);
    }
}
