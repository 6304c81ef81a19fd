//! Registered OAuth clients: an id, scopes, audiences, a tier, and either a
//! secret (stored as an Argon2id hash) or a certificate thumbprint (mTLS clients).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use serde::Serialize;
use sqlx::Row as _;

use crate::platform::secrets::{random_hex, random_secret};
use crate::platform::storage::{now, Db, DbError};

/// The change channel announcing revoked clients (payload: the client id).
pub const CLIENTS_CHANNEL: &str = "oauth.clients";

/// A registered client.
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    /// The client id: 32 lowercase hex characters, or another identifier a surface
    /// chose (a DID).
    pub id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Audiences its tokens carry; empty means the policy's default audience.
    pub audiences: Vec<String>,
    /// Commercial tier.
    pub tier: String,
    /// Certificate thumbprint for mTLS clients.
    pub cert_thumbprint: Option<String>,
    /// Attributes a surface keeps about the client, as a JSON object.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// When it was created.
    pub created_at: i64,
    #[serde(skip)]
    secret_hash: Option<String>,
}

/// A client to register.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    /// Its id; a random 32-hex id when `None`.
    pub id: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Audiences of its tokens (empty: the default audience).
    pub audiences: Vec<String>,
    /// Commercial tier.
    pub tier: String,
    /// With a thumbprint the client authenticates with its certificate and has no secret.
    pub cert_thumbprint: Option<String>,
    /// Surface-specific attributes.
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

impl Client {
    /// Whether this client authenticates with a certificate.
    pub fn is_mtls(&self) -> bool {
        self.cert_thumbprint.is_some()
    }

    /// Whether `secret` is this client's secret (Argon2id, constant time). Slow on
    /// purpose: call it off the async workers.
    pub fn check_secret(&self, secret: &str) -> bool {
        self.secret_hash
            .as_deref()
            .and_then(|h| PasswordHash::new(h).ok())
            .is_some_and(|hash| {
                Argon2::default()
                    .verify_password(secret.as_bytes(), &hash)
                    .is_ok()
            })
    }
}

/// Spends the time of one secret check, so unknown ids answer as slowly as wrong secrets.
pub fn check_dummy_secret(secret: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_secret("dummy secret that matches nothing"));
    if let Ok(parsed) = PasswordHash::new(hash) {
        let _ = Argon2::default().verify_password(secret.as_bytes(), &parsed);
    }
}

/// An Argon2id hash of `secret` in PHC string form.
pub fn hash_secret(secret: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .expect("Argon2 with default parameters hashes")
        .to_string()
}

/// Whether `id` has the form of a generated client id: 32 lowercase hex characters.
pub fn is_client_id(id: &str) -> bool {
    crate::platform::secrets::is_lower_hex(id, 32)
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Client, DbError> {
    let attributes: String = r.try_get("attributes")?;
    Ok(Client {
        id: r.try_get("id")?,
        secret_hash: r.try_get("secret_hash")?,
        scopes: words(&r.try_get::<String, _>("scopes")?),
        audiences: words(&r.try_get::<String, _>("audiences")?),
        tier: r.try_get("tier")?,
        cert_thumbprint: r.try_get("cert_thumbprint")?,
        attributes: serde_json::from_str(&attributes)
            .map_err(|e| DbError::Corrupt(format!("client attributes: {e}")))?,
        revoked_at: r.try_get("revoked_at")?,
        created_at: r.try_get("created_at")?,
    })
}

const COLUMNS: &str =
    "id, secret_hash, scopes, audiences, tier, cert_thumbprint, attributes, revoked_at, created_at";

/// Storage of clients.
#[derive(Clone)]
pub struct ClientStore {
    db: Db,
}

impl ClientStore {
    /// The clients in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The client with this id.
    pub async fn get(&self, id: &str) -> Result<Option<Client>, DbError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM oauth_clients WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *self.db.conn().await?)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Registers a client; returns it and, for secret-based clients, its secret (shown once).
    pub async fn create(&self, new: NewClient) -> Result<(Client, Option<String>), DbError> {
        let id = new.id.unwrap_or_else(|| random_hex(16));
        let secret = new.cert_thumbprint.is_none().then(random_secret);
        let hash = secret.as_deref().map(hash_secret);
        sqlx::query(
            "INSERT INTO oauth_clients
                 (id, secret_hash, cert_thumbprint, scopes, audiences, tier, attributes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(hash)
        .bind(new.cert_thumbprint)
        .bind(new.scopes.join(" "))
        .bind(new.audiences.join(" "))
        .bind(new.tier)
        .bind(serde_json::Value::Object(new.attributes).to_string())
        .bind(now())
        .execute(&mut *self.db.conn().await?)
        .await?;
        let client = self
            .get(&id)
            .await?
            .ok_or_else(|| DbError::Corrupt(format!("client {id} vanished after insert")))?;
        Ok((client, secret))
    }

    /// Revokes a client; `false` if there is no such (unrevoked) client.
    pub async fn revoke(&self, id: &str) -> Result<bool, DbError> {
        let changed = sqlx::query(
            "UPDATE oauth_clients SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(id)
        .execute(&mut *self.db.conn().await?)
        .await?
        .rows_affected();
        if changed == 1 {
            self.db.publish(CLIENTS_CHANNEL, id).await?;
        }
        Ok(changed == 1)
    }

    /// Every client, oldest first.
    pub async fn list(&self) -> Result<Vec<Client>, DbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM oauth_clients ORDER BY created_at, id"
        )))
        .fetch_all(&mut *self.db.conn().await?)
        .await?;
        rows.iter().map(from_row).collect()
    }
}
