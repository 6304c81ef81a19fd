//! Issuing and verifying access tokens: compact RS256 JWTs with a `kid`
//! header, verified locally with the algorithm pinned to RS256.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use sha2::{Digest as _, Sha256};
use tokio::sync::broadcast::error::RecvError;

use super::clients::{Client, ClientStore, CLIENTS_CHANNEL};
use super::keys::{Keyring, KEYS_CHANNEL};
use crate::platform::cache::Cache;
use crate::platform::changes::Changes;
use crate::platform::storage::{now, Db, DbError};

/// The clock skew tolerated on `exp` and `nbf` unless configured otherwise, in seconds.
pub const LEEWAY_SECS: i64 = 30;

/// What every token of this service shares: who issues it, how long it lives,
/// how much clock skew verification forgives, and the audience of clients that
/// registered none.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    /// `iss` of issued tokens, and the only one accepted.
    pub issuer: String,
    /// `aud` of tokens for clients registered without audiences.
    pub default_audience: String,
    /// Lifetime of an issued token, in seconds.
    pub lifetime_secs: i64,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: i64,
}

/// The RFC 8705 confirmation claim of a certificate-bound token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// base64url SHA-256 thumbprint of the client certificate.
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
}

/// `aud`: one audience as a string, several as an array (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

impl Audience {
    /// From a list; one element becomes a plain string.
    pub fn from_list(mut list: Vec<String>) -> Self {
        if list.len() == 1 {
            Audience::One(list.remove(0))
        } else {
            Audience::Many(list)
        }
    }

    /// Whether `audience` is among them.
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(a) => a == audience,
            Audience::Many(list) => list.iter().any(|a| a == audience),
        }
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience(s).
    pub aud: Audience,
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
    /// The client id again (RFC 9068 `client_id`), so resource servers need not
    /// know that `sub` is the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Certificate binding, for mTLS clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// Claims a surface adds for its own users (a session id, an organization),
    /// flattened into the payload.
    #[serde(flatten, default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Claims {
    /// The scopes, one by one.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split_whitespace()
    }
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
    /// `aud` does not name the verifier.
    #[error("wrong audience")]
    WrongAudience,
    /// `exp` has passed (beyond the leeway).
    #[error("expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("not yet valid")]
    NotYetValid,
    /// The keys could not be read (database down): not the token's fault.
    #[error("signing keys unavailable")]
    KeysUnavailable,
}

/// A token that verified, kept so that its next use costs no RSA operation.
struct Verified {
    claims: Arc<Claims>,
    kid: String,
}

/// How many verified tokens are kept.
const VERIFIED_CAPACITY: usize = 50_000;

/// How long a verified token is kept at most (it is also dropped when it expires).
const VERIFIED_MAX_AGE: Duration = Duration::from_secs(3600);

/// How long a client read from the database is kept at most, should a change
/// notification be lost.
const CLIENT_MAX_AGE: Duration = Duration::from_secs(60);

/// Signs and verifies tokens under one [`TokenPolicy`].
pub struct TokenService {
    keyring: Keyring,
    policy: TokenPolicy,
    /// Verified tokens, by the SHA-256 of the audience and the token.
    verified: Cache<[u8; 32], Arc<Verified>>,
    /// Clients by id, kept while the change feed is followed.
    clients: Arc<Cache<String, Arc<Client>>>,
    client_store: ClientStore,
}

impl TokenService {
    /// The service over `db`; keys are read (and the first one made) on first use,
    /// their private halves sealed at rest by `sealer`.
    pub fn new(db: Db, policy: TokenPolicy, sealer: crate::platform::Sealer) -> Arc<Self> {
        Arc::new(Self {
            keyring: Keyring::new(
                db.clone(),
                policy.lifetime_secs + policy.leeway_secs,
                sealer,
            ),
            policy,
            verified: Cache::standalone(VERIFIED_MAX_AGE, VERIFIED_CAPACITY),
            clients: Arc::new(Cache::of_database(CLIENT_MAX_AGE, 10_000)),
            client_store: ClientStore::new(db),
        })
    }

    /// Follows the change feed of a serving process: revoked clients leave the
    /// client view ([`TokenService::client`]) as soon as the revocation is
    /// announced, and rotated keys are read at once.
    pub fn follow(self: &Arc<Self>, changes: &Arc<Changes>) {
        self.clients.follow(changes, |cache, change| {
            if change.channel == CLIENTS_CHANNEL {
                cache.remove(&change.payload);
            }
        });
        let mut rx = changes.subscribe();
        let service = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let rotated = match rx.recv().await {
                    Ok(change) => change.channel == KEYS_CHANNEL,
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => break,
                };
                let Some(service) = service.upgrade() else {
                    break;
                };
                if rotated {
                    // Unknown `kid`s are re-read on demand anyway; this is to be early.
                    let _ = service.refresh_keys().await;
                }
            }
        });
    }

    /// The client with this id, from memory when the change feed is followed
    /// (a revocation reaches it within the feed's delivery time), else from the database.
    pub async fn client(&self, id: &str) -> Result<Option<Arc<Client>>, DbError> {
        if let Some(client) = self.clients.get(id) {
            return Ok(Some(client));
        }
        let ticket = self.clients.ticket();
        let client = self.client_store.get(id).await?.map(Arc::new);
        if let Some(c) = &client {
            self.clients.insert(ticket, id.to_owned(), c.clone());
        }
        Ok(client)
    }

    /// The policy.
    pub fn policy(&self) -> &TokenPolicy {
        &self.policy
    }

    /// The published keys (call [`TokenService::refresh_keys`] first to see rotations).
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Re-reads the keys if they changed, making the first one if there is none.
    pub async fn refresh_keys(&self) -> Result<(), DbError> {
        self.keyring.refresh().await
    }

    /// Signs a token for `client` with the policy's lifetime, bound to
    /// `cert_thumbprint` when given. Returns the token and its claims.
    pub async fn sign(
        &self,
        client: &Client,
        cert_thumbprint: Option<String>,
    ) -> Result<(String, Claims), DbError> {
        self.sign_claims(client, |claims| {
            claims.cnf = cert_thumbprint.map(|x5t_s256| Confirmation { x5t_s256 });
        })
        .await
    }

    /// Signs a token for `client` whose claims `edit` may change (admin minting for
    /// tests and incident drills).
    pub async fn sign_claims(
        &self,
        client: &Client,
        edit: impl FnOnce(&mut Claims),
    ) -> Result<(String, Claims), DbError> {
        self.keyring.refresh().await?;
        let now = now();
        let audiences = if client.audiences.is_empty() {
            vec![self.policy.default_audience.clone()]
        } else {
            client.audiences.clone()
        };
        let mut claims = Claims {
            iss: self.policy.issuer.clone(),
            aud: Audience::from_list(audiences),
            sub: client.id.clone(),
            iat: now,
            nbf: now,
            exp: now + self.policy.lifetime_secs,
            jti: uuid::Uuid::new_v4().to_string(),
            scope: client.scopes.join(" "),
            client_id: Some(client.id.clone()),
            cnf: None,
            extra: serde_json::Map::new(),
        };
        edit(&mut claims);
        self.encode(&claims).map(|token| (token, claims))
    }

    /// Signs a token for a user of a surface (not an OAuth client): `sub` is the
    /// user, `aud` the surface's audience, `scope` what the session may do, and
    /// `extra` the surface's own claims. It lives `lifetime_secs` (at most the
    /// policy's lifetime, so that key retirement still outlasts it).
    pub async fn sign_user(
        &self,
        user: &str,
        audience: &str,
        scope: &str,
        lifetime_secs: i64,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(String, Claims), DbError> {
        self.keyring.refresh().await?;
        let now = now();
        let claims = Claims {
            iss: self.policy.issuer.clone(),
            aud: Audience::One(audience.to_owned()),
            sub: user.to_owned(),
            iat: now,
            nbf: now,
            exp: now + lifetime_secs.min(self.policy.lifetime_secs),
            jti: uuid::Uuid::new_v4().to_string(),
            scope: scope.to_owned(),
            client_id: None,
            cnf: None,
            extra,
        };
        self.encode(&claims).map(|token| (token, claims))
    }

    /// Signs `claims` with the current key (loaded by the caller).
    fn encode(&self, claims: &Claims) -> Result<String, DbError> {
        let key = self
            .keyring
            .current()
            .ok_or_else(|| DbError::Corrupt("no current signing key".into()))?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding)
            .map_err(|e| DbError::Corrupt(format!("signing a token: {e}")))
    }

    /// [`TokenService::verify`], remembering tokens that verified: the next use of
    /// the same token for the same audience only checks what can change with time
    /// (`exp`, and that its key is still published and within its retention).
    pub async fn verify_cached(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<Arc<Claims>, VerifyError> {
        let mut hasher = Sha256::new();
        hasher.update(audience.as_bytes());
        hasher.update([0]);
        hasher.update(token.as_bytes());
        let digest: [u8; 32] = hasher.finalize().into();
        if let Some(v) = self.verified.get(&digest) {
            let now = now();
            let key_ok = self
                .keyring
                .get(&v.kid)
                .is_some_and(|k| !self.past_retention(&k, now));
            if key_ok && now <= v.claims.exp + self.policy.leeway_secs {
                return Ok(v.claims.clone());
            }
            // Expired or its key withdrawn: verify again, for the precise answer.
        }
        let ticket = self.verified.ticket();
        let (claims, kid) = self.verify_with_kid(token, Some(audience)).await?;
        let claims = Arc::new(claims);
        let verified = Arc::new(Verified {
            claims: claims.clone(),
            kid,
        });
        self.verified.insert(ticket, digest, verified);
        Ok(claims)
    }

    fn past_retention(&self, key: &super::keys::SigningKey, now: i64) -> bool {
        key.retired_at
            .is_some_and(|at| at + self.policy.lifetime_secs + self.policy.leeway_secs < now)
    }

    /// Verifies a token for `audience`: RS256 only, a published `kid`, signature,
    /// `iss`, `aud`, `exp`, `nbf`.
    pub async fn verify(&self, token: &str, audience: &str) -> Result<Claims, VerifyError> {
        Ok(self.verify_with_kid(token, Some(audience)).await?.0)
    }

    /// [`TokenService::verify`], with `aud` checked only when `audience` is given;
    /// also returns the `kid` that verified it.
    async fn verify_with_kid(
        &self,
        token: &str,
        audience: Option<&str>,
    ) -> Result<(Claims, String), VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(VerifyError::Malformed);
        }
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        let key = match self.keyring.get(&kid) {
            Some(k) => k,
            None => {
                // Not loaded yet, or rotated (by `quartet admin` or another instance) since.
                if let Err(e) = self.keyring.refresh().await {
                    return Err(if e.is_unavailable() {
                        VerifyError::KeysUnavailable
                    } else {
                        VerifyError::UnknownKey
                    });
                }
                self.keyring.get(&kid).ok_or(VerifyError::UnknownKey)?
            }
        };
        if self.past_retention(&key, now()) {
            return Err(VerifyError::UnknownKey);
        }
        Ok((self.check(token, &key.decoding, audience)?, kid))
    }

    /// Verifies a token whatever its audience (for RFC 7662 introspection, whose
    /// caller checks `aud` itself): everything [`TokenService::verify`] checks but `aud`.
    pub async fn inspect(&self, token: &str) -> Result<Claims, VerifyError> {
        Ok(self.verify_with_kid(token, None).await?.0)
    }

    fn check(
        &self,
        token: &str,
        key: &jsonwebtoken::DecodingKey,
        audience: Option<&str>,
    ) -> Result<Claims, VerifyError> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = self.policy.leeway_secs.unsigned_abs();
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.policy.issuer]);
        match audience {
            Some(a) => validation.set_audience(&[a]),
            None => validation.validate_aud = false,
        }
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
