//! Hashed, scoped, revocable credentials: the API keys and organization keys of
//! every surface, in one table.
//!
//! A credential is a random secret shown once; only its SHA-256 is stored, so a
//! copy of the database does not let anyone in. A secret carries at least 128
//! bits of randomness, which makes a fast hash sufficient (a password hash is for
//! guessable secrets). The digest is looked up through an index and compared again
//! in constant time. Each surface owns a `kind` and sees only its own rows; an
//! `owner` (a Bitstride organization, say) scopes a credential to a tenant.

use serde::Serialize;
use sqlx::{AnyConnection, Row as _};

use super::secrets::{constant_time_eq, sha256};
use super::storage::{now, Db, DbError, Migration};

/// The table every surface's credentials live in.
pub const MIGRATIONS: [Migration; 1] = [Migration {
    owner: "credentials",
    version: 1,
    sqlite: "CREATE TABLE credentials (
                 id TEXT PRIMARY KEY,
                 kind TEXT NOT NULL,
                 secret_hash BLOB NOT NULL UNIQUE,
                 prefix TEXT NOT NULL,
                 label TEXT NOT NULL DEFAULT '',
                 owner TEXT,
                 scopes TEXT NOT NULL DEFAULT '',
                 attributes TEXT NOT NULL DEFAULT '{}',
                 created_at INTEGER NOT NULL,
                 last_used_at INTEGER,
                 expires_at INTEGER,
                 revoked_at INTEGER
             );
             CREATE INDEX credentials_kind_owner ON credentials (kind, owner);",
    postgres: "CREATE TABLE credentials (
                   id TEXT PRIMARY KEY,
                   kind TEXT NOT NULL,
                   secret_hash BYTEA NOT NULL UNIQUE,
                   prefix TEXT NOT NULL,
                   label TEXT NOT NULL DEFAULT '',
                   owner TEXT,
                   scopes TEXT NOT NULL DEFAULT '',
                   attributes TEXT NOT NULL DEFAULT '{}',
                   created_at BIGINT NOT NULL,
                   last_used_at BIGINT,
                   expires_at BIGINT,
                   revoked_at BIGINT
               );
               CREATE INDEX credentials_kind_owner ON credentials (kind, owner);",
}];

/// How often (seconds) the last-used time of a credential is written at most.
pub const LAST_USED_RESOLUTION_SECS: i64 = 60;

/// A stored credential (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Credential {
    /// Public identifier, used to list, update and revoke it.
    pub id: String,
    /// The first characters of the secret, to recognise it in a list.
    pub prefix: String,
    /// A name given by whoever created it.
    pub label: String,
    /// The tenant it belongs to, for surfaces that have tenants.
    pub owner: Option<String>,
    /// What it may do.
    pub scopes: Vec<String>,
    /// Surface-specific attributes (a tier, say), as a JSON object.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last successful use, Unix seconds, to [`LAST_USED_RESOLUTION_SECS`].
    pub last_used_at: Option<i64>,
    /// Expiry, Unix seconds, if it has one.
    pub expires_at: Option<i64>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
}

/// What a presented secret turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A live credential.
    Valid(Credential),
    /// A credential that was revoked.
    Revoked(Credential),
    /// A credential past its expiry.
    Expired(Credential),
    /// Not a credential of this kind.
    Unknown,
}

/// A credential to create.
#[derive(Debug, Clone, Default)]
pub struct NewCredential {
    /// Its public id.
    pub id: String,
    /// The secret exactly as it will be presented (hashed here, never stored).
    pub secret: String,
    /// How many leading characters of `secret` to keep as its recognisable prefix.
    pub prefix_len: usize,
    /// A name.
    pub label: String,
    /// The tenant.
    pub owner: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Surface-specific attributes.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Expiry, Unix seconds.
    pub expires_at: Option<i64>,
}

/// Changes to a credential; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CredentialUpdate {
    /// A new name.
    pub label: Option<String>,
    /// New scopes.
    pub scopes: Option<Vec<String>>,
}

const COLUMNS: &str = "id, prefix, label, owner, scopes, attributes, created_at, last_used_at, \
                       expires_at, revoked_at, secret_hash";

/// The credentials of one kind.
#[derive(Clone)]
pub struct CredentialStore {
    db: Db,
    kind: &'static str,
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<(Credential, Vec<u8>), DbError> {
    let scopes: String = row.try_get("scopes")?;
    let attributes: String = row.try_get("attributes")?;
    Ok((
        Credential {
            id: row.try_get("id")?,
            prefix: row.try_get("prefix")?,
            label: row.try_get("label")?,
            owner: row.try_get("owner")?,
            scopes: scopes.split_whitespace().map(str::to_owned).collect(),
            attributes: serde_json::from_str(&attributes)
                .map_err(|e| DbError::Corrupt(format!("credential attributes: {e}")))?,
            created_at: row.try_get("created_at")?,
            last_used_at: row.try_get("last_used_at")?,
            expires_at: row.try_get("expires_at")?,
            revoked_at: row.try_get("revoked_at")?,
        },
        row.try_get("secret_hash")?,
    ))
}

impl CredentialStore {
    /// The credentials of `kind` in `db`.
    pub fn new(db: Db, kind: &'static str) -> Self {
        Self { db, kind }
    }

    /// The database, for surfaces that store more beside a credential.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Creates a credential.
    pub async fn create(&self, new: NewCredential) -> Result<Credential, DbError> {
        let mut conn = self.db.conn().await?;
        self.insert(&mut conn, new).await
    }

    /// Creates a credential on `conn`, so that a caller can add rows of its own in
    /// the same transaction.
    pub async fn insert(
        &self,
        conn: &mut AnyConnection,
        new: NewCredential,
    ) -> Result<Credential, DbError> {
        let prefix: String = new.secret.chars().take(new.prefix_len).collect();
        let attributes = serde_json::Value::Object(new.attributes.clone()).to_string();
        let now = now();
        sqlx::query(
            "INSERT INTO credentials
                 (id, kind, secret_hash, prefix, label, owner, scopes, attributes, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&new.id)
        .bind(self.kind)
        .bind(sha256(new.secret.as_bytes()).to_vec())
        .bind(&prefix)
        .bind(&new.label)
        .bind(new.owner.clone())
        .bind(new.scopes.join(" "))
        .bind(attributes)
        .bind(now)
        .bind(new.expires_at)
        .execute(&mut *conn)
        .await?;
        Ok(Credential {
            id: new.id,
            prefix,
            label: new.label,
            owner: new.owner,
            scopes: new.scopes,
            attributes: new.attributes,
            created_at: now,
            last_used_at: None,
            expires_at: new.expires_at,
            revoked_at: None,
        })
    }

    /// Checks a presented secret, and records its use.
    pub async fn authenticate(&self, secret: &str) -> Result<Lookup, DbError> {
        let digest = sha256(secret.as_bytes());
        let mut conn = self.db.conn().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM credentials WHERE kind = $1 AND secret_hash = $2"
        )))
        .bind(self.kind)
        .bind(digest.to_vec())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            return Ok(Lookup::Unknown);
        };
        let (credential, stored) = from_row(&row)?;
        if !constant_time_eq(&stored, &digest) {
            return Ok(Lookup::Unknown);
        }
        let now = now();
        if credential.revoked_at.is_some() {
            return Ok(Lookup::Revoked(credential));
        }
        if credential.expires_at.is_some_and(|at| at <= now) {
            return Ok(Lookup::Expired(credential));
        }
        if credential
            .last_used_at
            .is_none_or(|at| at + LAST_USED_RESOLUTION_SECS <= now)
        {
            sqlx::query("UPDATE credentials SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&credential.id)
                .execute(&mut *conn)
                .await?;
        }
        Ok(Lookup::Valid(credential))
    }

    /// The credential with this id, if it is of this kind (and of `owner`, when given).
    pub async fn get(&self, id: &str, owner: Option<&str>) -> Result<Option<Credential>, DbError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM credentials WHERE kind = $1 AND id = $2"
        )))
        .bind(self.kind)
        .bind(id)
        .fetch_optional(&mut *self.db.conn().await?)
        .await?;
        Ok(match row {
            Some(row) => {
                Some(from_row(&row)?.0).filter(|c| owner.is_none() || c.owner.as_deref() == owner)
            }
            None => None,
        })
    }

    /// Every credential of this kind (of `owner`, when given), oldest first.
    pub async fn list(&self, owner: Option<&str>) -> Result<Vec<Credential>, DbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM credentials
             WHERE kind = $1 AND ($2 IS NULL OR owner = $2)
             ORDER BY created_at, id"
        )))
        .bind(self.kind)
        .bind(owner)
        .fetch_all(&mut *self.db.conn().await?)
        .await?;
        rows.iter().map(|r| Ok(from_row(r)?.0)).collect()
    }

    /// Changes a live credential's label or scopes; `None` if there is no such live credential.
    pub async fn update(
        &self,
        id: &str,
        owner: Option<&str>,
        update: CredentialUpdate,
    ) -> Result<Option<Credential>, DbError> {
        let scopes = update.scopes.map(|s| s.join(" "));
        let changed = sqlx::query(
            "UPDATE credentials SET label = COALESCE($1, label), scopes = COALESCE($2, scopes)
             WHERE kind = $3 AND id = $4 AND ($5 IS NULL OR owner = $5) AND revoked_at IS NULL",
        )
        .bind(update.label)
        .bind(scopes)
        .bind(self.kind)
        .bind(id)
        .bind(owner)
        .execute(&mut *self.db.conn().await?)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        self.db.publish(&self.channel(), id).await?;
        self.get(id, owner).await
    }

    /// The change channel announcing revocations and updates of this kind.
    pub fn channel(&self) -> String {
        format!("credentials.{}", self.kind)
    }

    /// Revokes a credential; `false` if there is no such live credential.
    pub async fn revoke(&self, id: &str, owner: Option<&str>) -> Result<bool, DbError> {
        let changed = sqlx::query(
            "UPDATE credentials SET revoked_at = $1
             WHERE kind = $2 AND id = $3 AND ($4 IS NULL OR owner = $4) AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(self.kind)
        .bind(id)
        .bind(owner)
        .execute(&mut *self.db.conn().await?)
        .await?
        .rows_affected();
        if changed == 1 {
            self.db.publish(&self.channel(), id).await?;
        }
        Ok(changed == 1)
    }

    /// Revokes every live credential of `owner`; returns how many.
    pub async fn revoke_owner(&self, owner: &str) -> Result<u64, DbError> {
        let revoked = sqlx::query(
            "UPDATE credentials SET revoked_at = $1
             WHERE kind = $2 AND owner = $3 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(self.kind)
        .bind(owner)
        .execute(&mut *self.db.conn().await?)
        .await?
        .rows_affected();
        if revoked > 0 {
            self.db.publish(&self.channel(), owner).await?;
        }
        Ok(revoked)
    }
}
