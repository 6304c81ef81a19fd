//! Who is calling `/status`: the checks of `openapi/bitmind.yaml`, in its order.

use quartet_api::bitmind::{messages, AuthMethod, ClientCertHeader, OAuthError, ORG_KEY_PREFIX};

use super::store::KeyLookup;
use super::Bitmind;
use crate::platform::bearer::{self, BearerError};
use crate::platform::oauth::{thumbprint_of_header, VerifyError};
use crate::platform::secrets::constant_time_eq;
use crate::platform::Fault;

/// An authenticated caller.
pub struct Caller {
    /// Client id or organization key id.
    pub id: String,
    /// How it authenticated.
    pub method: AuthMethod,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Registered tier.
    pub tier: String,
    /// Token expiry (absent for organization keys).
    pub expires_at: Option<i64>,
}

/// The thumbprint of `X-Client-Cert`, if sent; 400 if it is not a certificate.
pub fn presented_certificate(headers: &ClientCertHeader) -> Result<Option<String>, OAuthError> {
    headers
        .x_client_cert
        .as_deref()
        .map(thumbprint_of_header)
        .transpose()
        .map_err(|e| OAuthError::invalid_request(e.to_string()))
}

fn token_error(e: VerifyError) -> OAuthError {
    OAuthError::invalid_token(match e {
        VerifyError::Malformed => messages::TOKEN_MALFORMED,
        VerifyError::UnknownKey => messages::TOKEN_UNKNOWN_KID,
        VerifyError::BadSignature => messages::TOKEN_BAD_SIGNATURE,
        VerifyError::WrongIssuer => messages::TOKEN_WRONG_ISSUER,
        VerifyError::WrongAudience => messages::TOKEN_WRONG_AUDIENCE,
        VerifyError::Expired => messages::TOKEN_EXPIRED,
        VerifyError::NotYetValid => messages::TOKEN_NOT_YET_VALID,
        VerifyError::KeysUnavailable => return Fault::unavailable("signing keys").into(),
    })
}

impl Bitmind {
    /// Authenticates a request to a protected route.
    pub(super) async fn authenticate(
        &self,
        headers: &http::HeaderMap,
        cert: &ClientCertHeader,
    ) -> Result<Caller, OAuthError> {
        let presented = presented_certificate(cert)?;
        let credential = bearer::bearer(headers).map_err(|e| {
            OAuthError::invalid_token(match e {
                BearerError::Missing => messages::AUTHORIZATION_MISSING,
                BearerError::NotBearer => messages::AUTHORIZATION_NOT_BEARER,
            })
        })?;
        if let Some(key) = credential.strip_prefix(ORG_KEY_PREFIX) {
            return match self.org_keys.lookup(key).await? {
                KeyLookup::Valid(k) => Ok(Caller {
                    id: k.id,
                    method: AuthMethod::OrganizationApiKey,
                    scopes: k.scopes,
                    tier: k.tier,
                    expires_at: None,
                }),
                KeyLookup::Revoked => Err(OAuthError::invalid_token(messages::API_KEY_REVOKED)),
                KeyLookup::Unknown => Err(OAuthError::invalid_token(messages::UNKNOWN_API_KEY)),
            };
        }
        let claims = self
            .tokens
            .verify_cached(credential, self.audience())
            .await
            .map_err(token_error)?;
        let client = self.tokens.client(&claims.sub).await?;
        let Some(client) = client.filter(|c| c.revoked_at.is_none()) else {
            return Err(OAuthError::invalid_token(messages::CLIENT_REVOKED));
        };
        let method = match &claims.cnf {
            None => AuthMethod::OauthJwt,
            Some(cnf) => match presented {
                None => return Err(OAuthError::certificate_required()),
                Some(t) if !constant_time_eq(t.as_bytes(), cnf.x5t_s256.as_bytes()) => {
                    return Err(OAuthError::certificate_mismatch())
                }
                Some(_) => AuthMethod::OauthMtls,
            },
        };
        Ok(Caller {
            scopes: claims.scopes().map(str::to_owned).collect(),
            id: claims.sub.clone(),
            method,
            tier: client.tier.clone(),
            expires_at: Some(claims.exp),
        })
    }
}
