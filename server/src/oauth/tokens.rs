//! Issuing and verifying access tokens: compact RS256 JWTs with a `kid`
//! header, verified locally with the algorithm pinned to RS256.

use std::sync::Arc;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use quartet_api::bitmind::TOKEN_LIFETIME_SECS;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::clients::Client;
use super::keys::Keyring;
use crate::db::{blocking, DbError, Pool};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: i64 = 30;

/// The RFC 8705 confirmation claim of a certificate-bound token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// base64url SHA-256 thumbprint of the client certificate.
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The client id.
    pub sub: String,
    /// Issued at.
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expires at.
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
    /// Space-separated scopes.
    pub scope: String,
    /// Certificate binding, for mTLS clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// Why a token is refused. Each maps to one documented message.
#[derive(Debug, Clone, Copy, Error, PartialEq, Eq)]
pub enum VerifyError {
    /// Not a compact JWS, not JSON, not RS256, or missing claims.
    #[error("malformed")]
    Malformed,
    /// No `kid`, or a `kid` not in the published set.
    #[error("unknown kid")]
    UnknownKey,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// `iss` is not ours.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` is not ours.
    #[error("wrong audience")]
    WrongAudience,
    /// `exp` has passed (beyond the leeway).
    #[error("expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("not yet valid")]
    NotYetValid,
}

/// Signs and verifies tokens for one issuer and audience.
pub struct TokenService {
    keyring: Keyring,
    pool: Pool,
    /// `iss` of issued tokens, and the only one accepted.
    pub issuer: String,
    /// `aud` of issued tokens, and the only one accepted.
    pub audience: String,
}

impl TokenService {
    /// Loads (or creates) the signing keys.
    pub async fn new(pool: Pool, issuer: String, audience: String) -> Result<Arc<Self>, DbError> {
        let keyring = blocking(&pool, |c| Keyring::load_or_create(c)).await?;
        Ok(Arc::new(Self {
            keyring,
            pool,
            issuer,
            audience,
        }))
    }

    /// Builds the service on a connection (admin commands).
    pub fn open(
        conn: &r2d2_sqlite::rusqlite::Connection,
        pool: Pool,
        issuer: String,
        audience: String,
    ) -> Result<Self, DbError> {
        Ok(Self {
            keyring: Keyring::load_or_create(conn)?,
            pool,
            issuer,
            audience,
        })
    }

    /// The published keys.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Re-reads the keys if another process rotated them.
    pub async fn refresh_keys(&self) -> Result<(), DbError> {
        let pool = self.pool.clone();
        let conn = tokio::task::spawn_blocking(move || pool.get()).await??;
        self.keyring.reload(&conn)
    }

    /// Signs a token for `client`, bound to `cert_thumbprint` when given, valid
    /// for `lifetime` seconds from now. Returns the token and its claims.
    pub fn sign(
        &self,
        client: &Client,
        cert_thumbprint: Option<String>,
        lifetime: i64,
    ) -> Result<(String, Claims), DbError> {
        self.sign_claims(|claims| {
            claims.sub = client.id.clone();
            claims.scope = client.scopes.join(" ");
            claims.exp = claims.iat + lifetime;
            claims.cnf = cert_thumbprint.map(|x5t_s256| Confirmation { x5t_s256 });
        })
    }

    /// Signs a token whose claims `edit` may change (admin minting for tests and operations).
    pub fn sign_claims(&self, edit: impl FnOnce(&mut Claims)) -> Result<(String, Claims), DbError> {
        let key = self
            .keyring
            .current()
            .ok_or_else(|| DbError::Key("no current signing key".into()))?;
        let now = super::now();
        let mut claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: String::new(),
            iat: now,
            nbf: now,
            exp: now + TOKEN_LIFETIME_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
            scope: String::new(),
            cnf: None,
        };
        edit(&mut claims);
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|e| DbError::Key(e.to_string()))?;
        Ok((token, claims))
    }

    /// Verifies a token: RS256 only, known `kid`, signature, `iss`, `aud`, `exp`, `nbf`.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(VerifyError::Malformed);
        }
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        let key = match self.keyring.get(&kid) {
            Some(k) => k,
            None => {
                // Perhaps rotated by `quartet admin` since we loaded the keys.
                if self.refresh_keys().await.is_err() {
                    return Err(VerifyError::UnknownKey);
                }
                self.keyring.get(&kid).ok_or(VerifyError::UnknownKey)?
            }
        };
        if key
            .retired_at
            .is_some_and(|at| at + TOKEN_LIFETIME_SECS + LEEWAY_SECS < super::now())
        {
            return Err(VerifyError::UnknownKey);
        }
        self.check(token, &key.decoding)
    }

    fn check(&self, token: &str, key: &jsonwebtoken::DecodingKey) -> Result<Claims, VerifyError> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECS as u64;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        match jsonwebtoken::decode::<Claims>(token, key, &validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => Err(match e.kind() {
                ErrorKind::InvalidSignature => VerifyError::BadSignature,
                ErrorKind::InvalidIssuer => VerifyError::WrongIssuer,
                ErrorKind::InvalidAudience => VerifyError::WrongAudience,
                ErrorKind::ExpiredSignature => VerifyError::Expired,
                ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
                _ => VerifyError::Malformed,
            }),
        }
    }
}
