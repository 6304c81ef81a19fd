//! The token endpoint: client authentication (secret or certificate) and
//! issuing an access token.

use quartet_api::bitmind::*;

use super::auth::presented_certificate;
use super::Bitmind;
use crate::platform::oauth::clients::check_dummy_secret;
use crate::platform::secrets::constant_time_eq;
use crate::platform::Fault;

impl Bitmind {
    /// `POST /v1/oauth/token` with the client-credentials grant.
    pub(super) async fn issue_token(
        &self,
        cert: &ClientCertHeader,
        request: TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        if request.grant_type != GRANT_TYPE_CLIENT_CREDENTIALS {
            return Err(OAuthError::unsupported_grant_type());
        }
        let presented = presented_certificate(cert)?;
        let secret = request.client_secret.filter(|s| !s.is_empty());
        let Some(client) = self.clients.get(&request.client_id).await? else {
            // As slow as a wrong secret, so ids cannot be probed by timing.
            let secret = secret.unwrap_or_default();
            let _ = tokio::task::spawn_blocking(move || check_dummy_secret(&secret)).await;
            return Err(OAuthError::invalid_client(messages::UNKNOWN_CLIENT));
        };
        let binding = match (&client.cert_thumbprint, presented) {
            (Some(_), None) => {
                return Err(OAuthError::invalid_client(messages::CLIENT_CERT_REQUIRED))
            }
            (Some(registered), Some(t))
                if !constant_time_eq(registered.as_bytes(), t.as_bytes()) =>
            {
                return Err(OAuthError::invalid_client(messages::CLIENT_CERT_MISMATCH))
            }
            (Some(_), Some(t)) => Some(t),
            (None, _) => {
                let Some(secret) = secret else {
                    return Err(OAuthError::invalid_client(messages::CLIENT_SECRET_REQUIRED));
                };
                let checked = client.clone();
                let valid = tokio::task::spawn_blocking(move || checked.check_secret(&secret))
                    .await
                    .map_err(Fault::from)?;
                if !valid {
                    return Err(OAuthError::invalid_client(messages::CLIENT_SECRET_MISMATCH));
                }
                None
            }
        };
        if client.revoked_at.is_some() {
            return Err(OAuthError::invalid_client(messages::CLIENT_REVOKED));
        }
        let (token, claims) = self.tokens.sign(&client, binding).await?;
        slog::info!(self.log, "token issued"; "client_id" => &client.id, "jti" => &claims.jti, "bound" => claims.cnf.is_some());
        Ok(TokenResponse {
            access_token: token,
            token_type: TokenType::Bearer,
            expires_in: claims.exp - claims.iat,
            scope: claims.scope,
        })
    }
}
