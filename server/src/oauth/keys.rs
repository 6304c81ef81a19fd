//! RS256 signing keys: generated with aws-lc-rs, stored (PKCS#8) in the
//! database, published as a JWK Set. Rotation retires the current key; a
//! retired key stays published, and accepted, until every token it signed has
//! expired.

use std::sync::RwLock;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey};
use quartet_api::bitmind::TOKEN_LIFETIME_SECS;
use r2d2_sqlite::rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

use crate::db::DbError;

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
    fn from_pkcs8(der: &[u8], retired_at: Option<i64>) -> Result<Self, String> {
        let pair =
            KeyPair::from_pkcs8(der).map_err(|e| format!("stored signing key unreadable: {e}"))?;
        let public = pair.public_key();
        let n = b64url(public.modulus().big_endian_without_leading_zero());
        let e = b64url(public.exponent().big_endian_without_leading_zero());
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.to_vec()));
        let encoding =
            EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| format!("signing key: {e}"))?;
        let decoding =
            DecodingKey::from_rsa_components(&n, &e).map_err(|e| format!("verifying key: {e}"))?;
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
    b64url(&Sha256::digest(canonical.as_bytes()))
}

/// A fresh 2048-bit RSA key as PKCS#8 DER.
fn generate() -> Result<Vec<u8>, DbError> {
    let pair = KeyPair::generate(KeySize::Rsa2048)
        .map_err(|e| DbError::Key(format!("RSA key generation failed: {e}")))?;
    let der = pair
        .as_der()
        .map_err(|e| DbError::Key(format!("encoding the RSA key: {e}")))?;
    Ok(der.as_ref().to_vec())
}

/// The published keys, loaded from the database and reloaded on demand.
pub struct Keyring {
    keys: RwLock<Vec<std::sync::Arc<SigningKey>>>,
}

impl Keyring {
    /// Loads the keys, generating the first one if there is none.
    pub fn load_or_create(conn: &Connection) -> Result<Self, DbError> {
        ensure_current(conn)?;
        let ring = Self {
            keys: RwLock::new(Vec::new()),
        };
        ring.reload(conn)?;
        Ok(ring)
    }

    /// Reads the published keys again if they changed (a rotation by another process).
    pub fn reload(&self, conn: &Connection) -> Result<(), DbError> {
        let oldest = crate::oauth::now() - TOKEN_LIFETIME_SECS - crate::oauth::tokens::LEEWAY_SECS;
        // Cheap first: which keys are published, and in what state. Parsing RSA keys is
        // only worth it when that changed (a rotation), not on every bogus `kid`.
        let mut stmt = conn.prepare(
            "SELECT kid, retired_at FROM oauth_signing_keys
             WHERE retired_at IS NULL OR retired_at >= ?1
             ORDER BY retired_at IS NOT NULL, created_at DESC",
        )?;
        let listed = stmt
            .query_map(params![oldest], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
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
            let der: Vec<u8> = conn.query_row(
                "SELECT pkcs8_der FROM oauth_signing_keys WHERE kid = ?1",
                params![kid],
                |r| r.get(0),
            )?;
            keys.push(std::sync::Arc::new(
                SigningKey::from_pkcs8(&der, retired_at).map_err(DbError::Key)?,
            ));
        }
        *self.keys.write().expect("keyring lock") = keys;
        Ok(())
    }

    /// The key that signs new tokens.
    pub fn current(&self) -> Option<std::sync::Arc<SigningKey>> {
        self.keys
            .read()
            .expect("keyring lock")
            .iter()
            .find(|k| k.retired_at.is_none())
            .cloned()
    }

    /// The published key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<std::sync::Arc<SigningKey>> {
        self.keys
            .read()
            .expect("keyring lock")
            .iter()
            .find(|k| k.kid == kid)
            .cloned()
    }

    /// Every published key, current first.
    pub fn published(&self) -> Vec<std::sync::Arc<SigningKey>> {
        self.keys.read().expect("keyring lock").clone()
    }
}

/// Makes sure there is exactly one current key; creates it if there is none.
fn ensure_current(conn: &Connection) -> Result<(), DbError> {
    let current: i64 = conn.query_row(
        "SELECT COUNT(*) FROM oauth_signing_keys WHERE retired_at IS NULL",
        [],
        |r| r.get(0),
    )?;
    if current == 0 {
        insert_new(conn)?;
    }
    Ok(())
}

fn insert_new(conn: &Connection) -> Result<String, DbError> {
    let der = generate()?;
    let key = SigningKey::from_pkcs8(&der, None).map_err(DbError::Key)?;
    conn.execute(
        "INSERT INTO oauth_signing_keys (kid, pkcs8_der, created_at) VALUES (?1, ?2, ?3)",
        params![key.kid, der, crate::oauth::now()],
    )?;
    Ok(key.kid)
}

/// Retires the current key and creates a new one, in one transaction. Returns
/// `(new kid, retired kid)`.
pub fn rotate(conn: &mut Connection) -> Result<(String, Option<String>), DbError> {
    let tx =
        conn.transaction_with_behavior(r2d2_sqlite::rusqlite::TransactionBehavior::Immediate)?;
    let old: Option<String> = tx
        .query_row(
            "SELECT kid FROM oauth_signing_keys WHERE retired_at IS NULL",
            [],
            |r| r.get(0),
        )
        .ok();
    tx.execute(
        "UPDATE oauth_signing_keys SET retired_at = ?1 WHERE retired_at IS NULL",
        params![crate::oauth::now()],
    )?;
    let new = insert_new(&tx)?;
    tx.commit()?;
    Ok((new, old))
}
