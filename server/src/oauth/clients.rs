//! Registered OAuth clients: an id, a scope list, a tier, and either a secret
//! (stored as an Argon2id hash) or a certificate thumbprint (mTLS clients).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use r2d2_sqlite::rusqlite::{params, Connection, OptionalExtension};
use rand::RngCore;
use serde::Serialize;

use crate::db::{blocking, DbError, Pool};

/// A registered client.
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    /// 32 lowercase hex characters.
    pub id: String,
    /// Granted scopes, in their canonical order.
    pub scopes: Vec<String>,
    /// Commercial tier.
    pub tier: String,
    /// Certificate thumbprint for mTLS clients.
    pub cert_thumbprint: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// When it was created.
    pub created_at: i64,
    #[serde(skip)]
    secret_hash: Option<String>,
}

/// How a client proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretCheck {
    /// The secret matches.
    Valid,
    /// The secret does not match.
    Invalid,
}

impl Client {
    /// Whether this client authenticates with a certificate.
    pub fn is_mtls(&self) -> bool {
        self.cert_thumbprint.is_some()
    }

    /// Checks `secret` against the stored hash (Argon2id, constant time).
    pub fn check_secret(&self, secret: &str) -> SecretCheck {
        match self
            .secret_hash
            .as_deref()
            .and_then(|h| PasswordHash::new(h).ok())
        {
            Some(hash)
                if Argon2::default()
                    .verify_password(secret.as_bytes(), &hash)
                    .is_ok() =>
            {
                SecretCheck::Valid
            }
            _ => SecretCheck::Invalid,
        }
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

fn hash_secret(secret: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .expect("Argon2 with default parameters hashes")
        .to_string()
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A random secret: 32 bytes, base64url.
pub fn random_secret() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `id` is 32 lowercase hex characters.
pub fn is_client_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn row_to_client(r: &r2d2_sqlite::rusqlite::Row<'_>) -> r2d2_sqlite::rusqlite::Result<Client> {
    let scopes: String = r.get(2)?;
    Ok(Client {
        id: r.get(0)?,
        secret_hash: r.get(1)?,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        tier: r.get(3)?,
        cert_thumbprint: r.get(4)?,
        revoked_at: r.get(5)?,
        created_at: r.get(6)?,
    })
}

const COLUMNS: &str = "id, secret_hash, scopes, tier, cert_thumbprint, revoked_at, created_at";

/// Storage of clients.
#[derive(Clone)]
pub struct ClientStore {
    pool: Pool,
}

impl ClientStore {
    /// Wraps a pool whose database has the token service's migrations applied.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// The client with this id.
    pub async fn get(&self, id: String) -> Result<Option<Client>, DbError> {
        blocking(&self.pool, move |c| Self::get_in(c, &id)).await
    }

    /// The client with this id, on a connection.
    pub fn get_in(conn: &Connection, id: &str) -> Result<Option<Client>, DbError> {
        Ok(conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM oauth_clients WHERE id = ?1"),
                params![id],
                row_to_client,
            )
            .optional()?)
    }

    /// Registers a client. With `cert_thumbprint` it is an mTLS client and has no
    /// secret; otherwise a secret is generated and returned (shown once).
    pub fn create(
        conn: &Connection,
        id: Option<String>,
        scopes: &[String],
        tier: &str,
        cert_thumbprint: Option<String>,
    ) -> Result<(Client, Option<String>), DbError> {
        let id = id.unwrap_or_else(|| random_hex(16));
        let secret = cert_thumbprint.is_none().then(random_secret);
        let hash = secret.as_deref().map(hash_secret);
        let now = crate::oauth::now();
        conn.execute(
            "INSERT INTO oauth_clients (id, secret_hash, cert_thumbprint, scopes, tier, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, hash, cert_thumbprint, scopes.join(" "), tier, now],
        )?;
        let client = Self::get_in(conn, &id)?.expect("the row was just inserted");
        Ok((client, secret))
    }

    /// Revokes a client; `false` if there is no such (unrevoked) client.
    pub fn revoke(conn: &Connection, id: &str) -> Result<bool, DbError> {
        Ok(conn.execute(
            "UPDATE oauth_clients SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, crate::oauth::now()],
        )? == 1)
    }

    /// Every client, oldest first.
    pub fn list(conn: &Connection) -> Result<Vec<Client>, DbError> {
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM oauth_clients ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map([], row_to_client)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
