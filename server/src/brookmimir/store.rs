//! Brookmimir's tables: API keys with their credit balances, and the corpus.
//!
//! Keys are stored as the SHA-256 of their lower-case hex form: a key is 256
//! bits of randomness, so a fast hash is enough to make a stolen database
//! useless, and lookup stays an index probe. Credits are taken with a single
//! conditional `UPDATE`, so concurrent requests can never overdraw a balance.

use quartet_api::brookmimir::Document;
use r2d2_sqlite::rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::{blocking, DbError, Pool};

/// Schema migrations of this surface.
pub const MIGRATIONS: [(&str, i64, &str); 1] = [(
    "brookmimir",
    1,
    "CREATE TABLE brookmimir_keys (
         id INTEGER PRIMARY KEY,
         key_hash BLOB NOT NULL UNIQUE,
         key_prefix TEXT NOT NULL,
         label TEXT NOT NULL DEFAULT '',
         credits INTEGER NOT NULL CHECK (credits >= 0),
         created_at INTEGER NOT NULL
     );
     CREATE TABLE brookmimir_documents (
         id TEXT PRIMARY KEY,
         source TEXT NOT NULL
     );
     CREATE TABLE brookmimir_meta (
         name TEXT PRIMARY KEY,
         value INTEGER NOT NULL
     );
     INSERT INTO brookmimir_meta (name, value) VALUES ('corpus_version', 0);",
)];

/// Whether `key` has the documented form: 64 hexadecimal characters.
pub fn is_well_formed(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The stored form of a key.
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.to_ascii_lowercase().as_bytes()).into()
}

/// A new random key: 32 bytes from the OS generator, hex-encoded.
pub fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A key as listed by the operator (never the key itself).
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyInfo {
    /// Row id, used to address the key in admin commands.
    pub id: i64,
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
    pool: Pool,
}

impl Store {
    /// Wraps a pool whose database has this surface's migrations applied.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// The key's id and balance, if the key exists.
    pub async fn find_key(&self, key: &str) -> Result<Option<(i64, i64)>, DbError> {
        let hash = hash_key(key);
        blocking(&self.pool, move |c| {
            Ok(c.query_row(
                "SELECT id, credits FROM brookmimir_keys WHERE key_hash = ?1",
                params![hash.as_slice()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
        .await
    }

    /// Takes one credit from key `id`. `false` when the balance is zero.
    pub async fn charge(&self, id: i64) -> Result<bool, DbError> {
        blocking(&self.pool, move |c| {
            let changed = c.execute(
                "UPDATE brookmimir_keys SET credits = credits - 1 WHERE id = ?1 AND credits > 0",
                params![id],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// Creates a key with `credits`; returns the key (shown once) and its row.
    pub fn create_key(
        conn: &Connection,
        label: &str,
        credits: i64,
    ) -> Result<(String, KeyInfo), DbError> {
        let key = generate_key();
        let now = chrono::Utc::now().timestamp();
        conn.execute(
            "INSERT INTO brookmimir_keys (key_hash, key_prefix, label, credits, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hash_key(&key).as_slice(), &key[..8], label, credits, now],
        )?;
        let info = KeyInfo {
            id: conn.last_insert_rowid(),
            prefix: key[..8].to_owned(),
            label: label.to_owned(),
            credits,
            created_at: now,
        };
        Ok((key, info))
    }

    /// Adds `credits` to the key given by id or by the key itself; `None` if there is no such key.
    pub fn top_up(
        conn: &Connection,
        key_or_id: &str,
        credits: i64,
    ) -> Result<Option<KeyInfo>, DbError> {
        let changed = if is_well_formed(key_or_id) {
            conn.execute(
                "UPDATE brookmimir_keys SET credits = credits + ?2 WHERE key_hash = ?1",
                params![hash_key(key_or_id).as_slice(), credits],
            )?
        } else if let Ok(id) = key_or_id.parse::<i64>() {
            conn.execute(
                "UPDATE brookmimir_keys SET credits = credits + ?2 WHERE id = ?1",
                params![id, credits],
            )?
        } else {
            0
        };
        if changed == 0 {
            return Ok(None);
        }
        let rows = Self::list_keys(conn)?;
        let found = rows.into_iter().find(|k| {
            if is_well_formed(key_or_id) {
                k.prefix.eq_ignore_ascii_case(&key_or_id[..8])
            } else {
                k.id.to_string() == key_or_id
            }
        });
        Ok(found)
    }

    /// Every key, oldest first.
    pub fn list_keys(conn: &Connection) -> Result<Vec<KeyInfo>, DbError> {
        let mut stmt = conn.prepare(
            "SELECT id, key_prefix, label, credits, created_at FROM brookmimir_keys ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(KeyInfo {
                id: r.get(0)?,
                prefix: r.get(1)?,
                label: r.get(2)?,
                credits: r.get(3)?,
                created_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The document with this id, if the corpus holds it.
    pub async fn document(&self, id: String) -> Result<Option<Document>, DbError> {
        blocking(&self.pool, move |c| {
            let source: Option<String> = c
                .query_row(
                    "SELECT source FROM brookmimir_documents WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(source.and_then(|s| serde_json::from_str(&s).ok()))
        })
        .await
    }

    /// Inserts or replaces `docs` in one transaction and bumps the corpus version.
    pub fn upsert_documents(conn: &mut Connection, docs: &[Document]) -> Result<(), DbError> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO brookmimir_documents (id, source) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET source = excluded.source",
            )?;
            for d in docs {
                let source = serde_json::to_string(d).expect("documents always serialise");
                stmt.execute(params![d.id, source])?;
            }
        }
        tx.execute(
            "UPDATE brookmimir_meta SET value = value + 1 WHERE name = 'corpus_version'",
            [],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The corpus version: bumped by every import, so the search index knows when to rebuild.
    pub async fn corpus_version(&self) -> Result<i64, DbError> {
        blocking(&self.pool, |c| Ok(Self::corpus_version_in(c)?)).await
    }

    fn corpus_version_in(c: &Connection) -> Result<i64, r2d2_sqlite::rusqlite::Error> {
        c.query_row(
            "SELECT value FROM brookmimir_meta WHERE name = 'corpus_version'",
            [],
            |r| r.get(0),
        )
    }

    /// Every document and the corpus version they belong to, read in one transaction.
    pub async fn snapshot(&self) -> Result<(i64, Vec<Document>), DbError> {
        blocking(&self.pool, |c| {
            let tx = c.transaction()?;
            let version = Self::corpus_version_in(&tx)?;
            let docs = {
                let mut stmt = tx.prepare("SELECT source FROM brookmimir_documents ORDER BY id")?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                rows.filter_map(|s| s.ok().and_then(|s| serde_json::from_str(&s).ok()))
                    .collect()
            };
            tx.commit()?;
            Ok((version, docs))
        })
        .await
    }

    /// How many documents the corpus holds.
    pub fn count_documents(conn: &Connection) -> Result<i64, DbError> {
        Ok(
            conn.query_row("SELECT COUNT(*) FROM brookmimir_documents", [], |r| {
                r.get(0)
            })?,
        )
    }

    /// The pool, for admin commands that work in their own transactions.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}
