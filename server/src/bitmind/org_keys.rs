//! Legacy organization API keys: `enterprise-<id>.<secret>`, valid until
//! revoked. The secret is 32 random bytes; only its SHA-256 is stored, and it
//! is compared in constant time.

use r2d2_sqlite::rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::db::{blocking, DbError, Pool};
use crate::oauth::clients::{is_client_id, random_hex, random_secret};

/// Schema migrations of the BitMind surface.
pub const MIGRATIONS: [(&str, i64, &str); 1] = [(
    "bitmind",
    1,
    "CREATE TABLE bitmind_org_keys (
         id TEXT PRIMARY KEY,
         secret_sha256 BLOB NOT NULL,
         scopes TEXT NOT NULL,
         tier TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         revoked_at INTEGER
     );",
)];

/// An organization key as stored (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct OrgKey {
    /// 32 lowercase hex characters; shown as `client_id` on `/status`.
    pub id: String,
    /// Granted permissions.
    pub scopes: Vec<String>,
    /// Commercial tier.
    pub tier: String,
    /// Creation time.
    pub created_at: i64,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
}

/// What a presented key turned out to be.
#[derive(Debug)]
pub enum KeyLookup {
    /// A live key.
    Valid(OrgKey),
    /// A key that was revoked.
    Revoked,
    /// Not a key we issued.
    Unknown,
}

fn row_to_key(
    r: &r2d2_sqlite::rusqlite::Row<'_>,
) -> r2d2_sqlite::rusqlite::Result<(OrgKey, Vec<u8>)> {
    let scopes: String = r.get(2)?;
    Ok((
        OrgKey {
            id: r.get(0)?,
            scopes: scopes.split_whitespace().map(str::to_owned).collect(),
            tier: r.get(3)?,
            created_at: r.get(4)?,
            revoked_at: r.get(5)?,
        },
        r.get(1)?,
    ))
}

const COLUMNS: &str = "id, secret_sha256, scopes, tier, created_at, revoked_at";

/// Storage of organization keys.
#[derive(Clone)]
pub struct OrgKeyStore {
    pool: Pool,
}

impl OrgKeyStore {
    /// Wraps a pool whose database has this surface's migrations applied.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Looks up the key after `enterprise-`.
    pub async fn lookup(&self, presented: &str) -> Result<KeyLookup, DbError> {
        let Some((id, secret)) = presented.split_once('.') else {
            return Ok(KeyLookup::Unknown);
        };
        if !is_client_id(id) {
            return Ok(KeyLookup::Unknown);
        }
        let (id, digest) = (id.to_owned(), Sha256::digest(secret.as_bytes()));
        let found = blocking(&self.pool, move |c| {
            Ok(c.query_row(
                &format!("SELECT {COLUMNS} FROM bitmind_org_keys WHERE id = ?1"),
                params![id],
                row_to_key,
            )
            .optional()?)
        })
        .await?;
        Ok(match found {
            Some((key, stored)) if bool::from(stored.as_slice().ct_eq(digest.as_slice())) => {
                if key.revoked_at.is_some() {
                    KeyLookup::Revoked
                } else {
                    KeyLookup::Valid(key)
                }
            }
            _ => KeyLookup::Unknown,
        })
    }

    /// Creates a key; returns it and the full credential (`<id>.<secret>`, shown once).
    pub fn create(
        conn: &Connection,
        id: Option<String>,
        scopes: &[String],
        tier: &str,
    ) -> Result<(OrgKey, String), DbError> {
        let id = id.unwrap_or_else(|| random_hex(16));
        let secret = random_secret();
        conn.execute(
            "INSERT INTO bitmind_org_keys (id, secret_sha256, scopes, tier, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, Sha256::digest(secret.as_bytes()).as_slice(), scopes.join(" "), tier, crate::oauth::now()],
        )?;
        let key = Self::list(conn)?
            .into_iter()
            .find(|k| k.id == id)
            .expect("the row was just inserted");
        Ok((key, format!("{id}.{secret}")))
    }

    /// Revokes a key; `false` if there is no such unrevoked key.
    pub fn revoke(conn: &Connection, id: &str) -> Result<bool, DbError> {
        Ok(conn.execute(
            "UPDATE bitmind_org_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, crate::oauth::now()],
        )? == 1)
    }

    /// Every key, oldest first.
    pub fn list(conn: &Connection) -> Result<Vec<OrgKey>, DbError> {
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM bitmind_org_keys ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map([], row_to_key)?;
        Ok(rows.map(|r| r.map(|(k, _)| k)).collect::<Result<_, _>>()?)
    }
}
