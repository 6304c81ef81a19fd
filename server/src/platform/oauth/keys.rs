//! RS256 signing keys: generated with aws-lc-rs, stored (PKCS#8, sealed under
//! the platform's secret key) in the database, published as a JWK Set. Rotation retires the current key; a
//! retired key stays published, and accepted, until every token it signed has
//! expired.

use std::sync::{Arc, RwLock};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey};
use sqlx::AnyConnection;

use crate::platform::storage::{now, Db, DbError};
use crate::platform::Sealer;

/// The purpose a signing key's PKCS#8 is sealed under (its row: the `kid`).
pub const SEALED_PURPOSE: &str = "oauth.signing_key";

/// The lock rotations and first-key creation take, so that instances starting
/// together agree on one current key.
const KEY_LOCK: i64 = 0x6b_65_79_73;

/// The change channel announcing rotations (payload: the new kid).
pub const KEYS_CHANNEL: &str = "oauth.keys";

/// A key that can verify tokens (and, if current, sign them).
pub struct SigningKey {
    /// RFC 7638 thumbprint, used as `kid`.
    pub kid: String,
    /// Modulus, base64url.
    pub n: String,
    /// Public exponent, base64url.
    pub e: String,
    /// For signing.
    pub encoding: EncodingKey,
    /// For verifying.
    pub decoding: DecodingKey,
    /// When it was retired (Unix seconds); `None` for the current key.
    pub retired_at: Option<i64>,
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl SigningKey {
    fn from_pkcs8(der: &[u8], retired_at: Option<i64>) -> Result<Self, DbError> {
        let bad = |what: &str, e: &dyn std::fmt::Display| DbError::Corrupt(format!("{what}: {e}"));
        let pair = KeyPair::from_pkcs8(der).map_err(|e| bad("stored signing key", &e))?;
        let public = pair.public_key();
        let n = b64url(public.modulus().big_endian_without_leading_zero());
        let e = b64url(public.exponent().big_endian_without_leading_zero());
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.to_vec()));
        let encoding =
            EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| bad("signing key", &e))?;
        let decoding =
            DecodingKey::from_rsa_components(&n, &e).map_err(|e| bad("verifying key", &e))?;
        Ok(Self {
            kid: thumbprint(&n, &e),
            n,
            e,
            encoding,
            decoding,
            retired_at,
        })
    }
}

/// RFC 7638 JWK thumbprint of an RSA public key.
fn thumbprint(n: &str, e: &str) -> String {
    // Members in lexicographic order, no whitespace.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    b64url(&crate::platform::secrets::sha256(canonical.as_bytes()))
}

/// A fresh 2048-bit RSA key as PKCS#8 DER.
fn generate() -> Result<Vec<u8>, DbError> {
    let pair = KeyPair::generate(KeySize::Rsa2048)
        .map_err(|e| DbError::Corrupt(format!("RSA key generation failed: {e}")))?;
    let der = pair
        .as_der()
        .map_err(|e| DbError::Corrupt(format!("encoding the RSA key: {e}")))?;
    Ok(der.as_ref().to_vec())
}

/// The published keys, read from the database and re-read when they change.
pub struct Keyring {
    db: Db,
    sealer: Sealer,
    /// How long after retirement a key stays published: the longest token life plus leeway.
    retention_secs: i64,
    keys: RwLock<Vec<Arc<SigningKey>>>,
}

impl Keyring {
    /// An empty keyring over `db`; the keys are read (the first one made) on [`Keyring::refresh`].
    pub fn new(db: Db, retention_secs: i64, sealer: Sealer) -> Self {
        Self {
            db,
            sealer,
            retention_secs,
            keys: RwLock::new(Vec::new()),
        }
    }

    /// Makes sure a current key exists, and re-reads the published keys if they
    /// changed (a rotation, here or by another instance).
    pub async fn refresh(&self) -> Result<(), DbError> {
        let mut conn = self.db.conn().await?;
        let current: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM oauth_signing_keys WHERE retired_at IS NULL")
                .fetch_one(&mut *conn)
                .await?;
        if current == 0 {
            let sealer = self.sealer.clone();
            self.db
                .locked(KEY_LOCK, move |c| {
                    Box::pin(async move { ensure_current(c, &sealer).await })
                })
                .await?;
        }
        // Cheap first: which keys are published, and in what state. Parsing RSA keys is
        // only worth it when that changed, not on every bogus `kid`.
        let listed: Vec<(String, Option<i64>)> = sqlx::query_as(
            "SELECT kid, retired_at FROM oauth_signing_keys
             WHERE retired_at IS NULL OR retired_at >= $1
             ORDER BY retired_at IS NOT NULL, created_at DESC",
        )
        .bind(now() - self.retention_secs)
        .fetch_all(&mut *conn)
        .await?;
        let unchanged = {
            let keys = self.keys.read().expect("keyring lock");
            keys.len() == listed.len()
                && keys
                    .iter()
                    .zip(&listed)
                    .all(|(k, (kid, retired))| &k.kid == kid && &k.retired_at == retired)
        };
        if unchanged {
            return Ok(());
        }
        let mut keys = Vec::new();
        for (kid, retired_at) in listed {
            let stored: Vec<u8> =
                sqlx::query_scalar("SELECT pkcs8_der FROM oauth_signing_keys WHERE kid = $1")
                    .bind(&kid)
                    .fetch_one(&mut *conn)
                    .await?;
            let sealed = String::from_utf8(stored)
                .map_err(|_| DbError::Corrupt(format!("signing key {kid} is not sealed")))?;
            let der = self.sealer.open(SEALED_PURPOSE, &kid, &sealed)?;
            keys.push(Arc::new(SigningKey::from_pkcs8(&der, retired_at)?));
        }
        *self.keys.write().expect("keyring lock") = keys;
        Ok(())
    }

    /// The key that signs new tokens, once loaded.
    pub fn current(&self) -> Option<Arc<SigningKey>> {
        self.keys
            .read()
            .expect("keyring lock")
            .iter()
            .find(|k| k.retired_at.is_none())
            .cloned()
    }

    /// The published key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.keys
            .read()
            .expect("keyring lock")
            .iter()
            .find(|k| k.kid == kid)
            .cloned()
    }

    /// Every published key, current first.
    pub fn published(&self) -> Vec<Arc<SigningKey>> {
        self.keys.read().expect("keyring lock").clone()
    }

    /// Retires the current key and starts signing with a new one. Returns
    /// `(new kid, retired kid)`.
    pub async fn rotate(&self) -> Result<(String, Option<String>), DbError> {
        let backend = self.db.backend();
        let sealer = self.sealer.clone();
        let rotated = self
            .db
            .locked(KEY_LOCK, move |c| {
                Box::pin(async move {
                    let old: Option<String> = sqlx::query_scalar(
                        "SELECT kid FROM oauth_signing_keys WHERE retired_at IS NULL",
                    )
                    .fetch_optional(&mut *c)
                    .await?;
                    sqlx::query(
                        "UPDATE oauth_signing_keys SET retired_at = $1 WHERE retired_at IS NULL",
                    )
                    .bind(now())
                    .execute(&mut *c)
                    .await?;
                    let new = insert_new(c, &sealer).await?;
                    crate::platform::changes::publish(c, backend, KEYS_CHANNEL, &new).await?;
                    Ok((new, old))
                })
            })
            .await?;
        self.refresh().await?;
        Ok(rotated)
    }
}

/// Creates the current key if there is none (under the key lock).
async fn ensure_current(conn: &mut AnyConnection, sealer: &Sealer) -> Result<(), DbError> {
    let current: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM oauth_signing_keys WHERE retired_at IS NULL")
            .fetch_one(&mut *conn)
            .await?;
    if current == 0 {
        insert_new(conn, sealer).await?;
    }
    Ok(())
}

async fn insert_new(conn: &mut AnyConnection, sealer: &Sealer) -> Result<String, DbError> {
    let der = tokio::task::spawn_blocking(generate)
        .await
        .map_err(|e| DbError::Corrupt(format!("key generation task: {e}")))??;
    let key = SigningKey::from_pkcs8(&der, None)?;
    sqlx::query("INSERT INTO oauth_signing_keys (kid, pkcs8_der, created_at) VALUES ($1, $2, $3)")
        .bind(&key.kid)
        .bind(sealer.seal(SEALED_PURPOSE, &key.kid, &der).into_bytes())
        .bind(now())
        .execute(&mut *conn)
        .await?;
    Ok(key.kid)
}
