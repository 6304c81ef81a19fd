//! Who is calling `/status`: the checks of `openapi/bitmind.yaml`, in its order.

use quartet_api::bitmind::{messages, AuthMethod, ClientCertHeader, OAuthError, ORG_KEY_PREFIX};

use super::org_keys::KeyLookup;
use super::Bitmind;
use crate::oauth::{thumbprint_of_header, VerifyError};

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
    })
}

impl Bitmind {
    /// Authenticates a request to a protected route.
    pub async fn authenticate(
        &self,
        authorization: Option<&http::HeaderValue>,
        cert: &ClientCertHeader,
    ) -> Result<Caller, OAuthError> {
        let presented = presented_certificate(cert)?;
        let Some(value) = authorization else {
            return Err(OAuthError::invalid_token(messages::AUTHORIZATION_MISSING));
        };
        let value = value.to_str().unwrap_or("");
        let credential = match value.split_once(' ') {
            Some((scheme, rest))
                if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() =>
            {
                rest.trim()
            }
            _ => {
                return Err(OAuthError::invalid_token(
                    messages::AUTHORIZATION_NOT_BEARER,
                ))
            }
        };
        if let Some(key) = credential.strip_prefix(ORG_KEY_PREFIX) {
            return match self
                .org_keys
                .lookup(key)
                .await
                .map_err(|e| self.internal(e))?
            {
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
        let claims = self.tokens.verify(credential).await.map_err(token_error)?;
        let client = self
            .clients
            .get(claims.sub.clone())
            .await
            .map_err(|e| self.internal(e))?;
        let Some(client) = client.filter(|c| c.revoked_at.is_none()) else {
            return Err(OAuthError::invalid_token(messages::CLIENT_REVOKED));
        };
        let method = match &claims.cnf {
            None => AuthMethod::OauthJwt,
            Some(cnf) => match presented {
                None => return Err(OAuthError::certificate_required()),
                Some(t) if !constant_time_eq(&t, &cnf.x5t_s256) => {
                    return Err(OAuthError::certificate_mismatch())
                }
                Some(_) => AuthMethod::OauthMtls,
            },
        };
        Ok(Caller {
            id: claims.sub,
            method,
            scopes: claims.scope.split_whitespace().map(str::to_owned).collect(),
            tier: client.tier,
            expires_at: Some(claims.exp),
        })
    }
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
