//! Who is calling the JSON-RPC endpoint: the bearer token (layer 1), checked
//! locally (`jwt`), by RFC 7662 introspection, or not at all (`off`); then, for
//! DID clients, the request signature (layer 2).

use quartet_api::bindu::{
    DidFailureReason, ErrorCode, JsonRpcMethod, SCOPE_EXECUTE, SCOPE_READ, SCOPE_WRITE,
};
use serde_json::{json, Value};

use super::config::AuthMode;
use super::did::{self, SignatureFault, TIMESTAMP_WINDOW_SECS};
use super::failure::Failure;
use super::introspection::Refusal;
use super::store;
use super::Bindu;
use crate::platform::bearer::{self, BearerError};
use crate::platform::oauth::VerifyError;
use crate::platform::Fault;

/// The client attribute holding a DID client's base58 Ed25519 public key.
pub const PUBLIC_KEY_ATTRIBUTE: &str = "public_key";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The owner of the tasks it creates: its client id ("" when auth is off).
    pub owner: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

impl Caller {
    /// Whether the caller may call `method`.
    pub fn may(&self, method: JsonRpcMethod) -> bool {
        let needed = method.required_scope();
        self.scopes
            .iter()
            .any(|s| s == needed || s == SCOPE_EXECUTE)
    }

    /// The -32013 failure for `method`.
    pub fn refused(&self, method: JsonRpcMethod) -> Failure {
        Failure::rpc(
            ErrorCode::InsufficientPermissions,
            Some(json!({"required_scope": method.required_scope(), "granted_scopes": self.scopes})),
        )
    }
}

fn unauthenticated(code: ErrorCode, detail: &str) -> Failure {
    Failure::rpc(code, Some(Value::String(detail.to_owned())))
}

fn did_failure(reason: DidFailureReason) -> Failure {
    Failure::rpc(
        ErrorCode::InvalidTokenSignature,
        Some(json!({"did_verified": false, "reason": reason})),
    )
}

impl Bindu {
    /// Authenticates a JSON-RPC request (headers and the exact body bytes).
    pub(super) async fn authenticate(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Caller, Failure> {
        if self.config.bindu_auth == AuthMode::Off {
            return Ok(Caller {
                owner: String::new(),
                scopes: vec![SCOPE_READ.into(), SCOPE_WRITE.into()],
            });
        }
        let token = bearer::bearer(headers).map_err(|e| match e {
            BearerError::Missing => unauthenticated(
                ErrorCode::AuthenticationRequired,
                "missing bearer token in the Authorization header",
            ),
            BearerError::NotBearer => unauthenticated(
                ErrorCode::AuthenticationRequired,
                "the Authorization header is not a bearer token",
            ),
        })?;
        let (client_id, scopes) = match self.config.bindu_auth {
            AuthMode::Introspection => self.introspect(token).await?,
            _ => self.verify_jwt(token).await?,
        };
        let client = self.clients.get(&client_id).await?;
        let Some(client) = client.filter(|c| c.revoked_at.is_none()) else {
            return Err(unauthenticated(
                ErrorCode::InvalidToken,
                "the token's client is unknown or revoked",
            ));
        };
        if client_id.starts_with("did:") || headers.contains_key("x-did") {
            let key = client
                .attributes
                .get(PUBLIC_KEY_ATTRIBUTE)
                .and_then(Value::as_str)
                .map(str::to_owned);
            self.verify_did(headers, body, &client_id, key.as_deref())
                .await?;
        }
        Ok(Caller {
            owner: client_id,
            scopes,
        })
    }

    async fn verify_jwt(&self, token: &str) -> Result<(String, Vec<String>), Failure> {
        let claims = self
            .tokens
            .verify_cached(token, &self.config.bindu_token_audience)
            .await
            .map_err(|e| match e {
                VerifyError::Expired => Failure::rpc(ErrorCode::TokenExpired, None),
                VerifyError::KeysUnavailable => Fault::unavailable("token signing keys").into(),
                VerifyError::Malformed => {
                    unauthenticated(ErrorCode::InvalidToken, "token is not a well-formed JWT")
                }
                VerifyError::UnknownKey => {
                    unauthenticated(ErrorCode::InvalidToken, "token signed with an unknown key")
                }
                VerifyError::BadSignature => {
                    unauthenticated(ErrorCode::InvalidToken, "token signature does not verify")
                }
                VerifyError::WrongIssuer => {
                    unauthenticated(ErrorCode::InvalidToken, "token issued by another issuer")
                }
                VerifyError::WrongAudience => unauthenticated(
                    ErrorCode::InvalidToken,
                    "token is not meant for this agent (aud)",
                ),
                VerifyError::NotYetValid => {
                    unauthenticated(ErrorCode::InvalidToken, "token is not valid yet (nbf)")
                }
            })?;
        let id = claims
            .client_id
            .clone()
            .unwrap_or_else(|| claims.sub.clone());
        Ok((id, claims.scopes().map(str::to_owned).collect()))
    }

    async fn introspect(&self, token: &str) -> Result<(String, Vec<String>), Failure> {
        let Some(introspector) = &self.introspector else {
            return Err(Fault::unavailable("token introspection is not configured").into());
        };
        match introspector.check(token).await {
            Ok(accepted) => Ok((accepted.client_id, accepted.scopes)),
            Err(Refusal::Unavailable) => Err(Failure::with_message(
                ErrorCode::InternalError,
                "Authentication service temporarily unavailable",
                None,
            )
            .into_unavailable()),
            Err(Refusal::Expired) => Err(Failure::rpc(ErrorCode::TokenExpired, None)),
            Err(
                refusal @ (Refusal::Inactive
                | Refusal::NoExpiry
                | Refusal::WrongAudience
                | Refusal::NoClient),
            ) => Err(unauthenticated(
                ErrorCode::InvalidToken,
                &refusal.to_string(),
            )),
        }
    }

    /// Checks the DID signature headers of a request by client `client_id`.
    async fn verify_did(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        client_id: &str,
        public_key: Option<&str>,
    ) -> Result<(), Failure> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let (Some(did), Some(ts), Some(signature)) = (
            header("x-did"),
            header("x-did-timestamp"),
            header("x-did-signature"),
        ) else {
            return Err(did_failure(DidFailureReason::MissingSignatureHeaders));
        };
        if did != client_id {
            return Err(did_failure(DidFailureReason::DidMismatch));
        }
        let Some(public_key) = public_key else {
            return Err(did_failure(DidFailureReason::PublicKeyUnavailable));
        };
        let Ok(ts) = ts.trim().parse::<i64>() else {
            return Err(did_failure(DidFailureReason::MalformedInput));
        };
        if (crate::platform::storage::now() - ts).abs() > TIMESTAMP_WINDOW_SECS {
            return Err(did_failure(DidFailureReason::TimestampOutOfWindow));
        }
        let Ok(text) = std::str::from_utf8(body) else {
            return Err(did_failure(DidFailureReason::MalformedInput));
        };
        match did::verify(public_key, &did::signed_payload(text, did, ts), signature) {
            Ok(()) => {}
            Err(SignatureFault::Malformed) => {
                return Err(did_failure(DidFailureReason::MalformedInput))
            }
            Err(SignatureFault::Mismatch) => {
                return Err(did_failure(DidFailureReason::CryptoMismatch))
            }
        }
        // A signature is good once: the same request sent again is a replay.
        let nonce = format!("did-sig:{signature}");
        if !store::reserve_nonce(&self.db, &nonce, ts + 2 * TIMESTAMP_WINDOW_SECS).await? {
            return Err(did_failure(DidFailureReason::Replayed));
        }
        Ok(())
    }
}
