//! The token endpoint: client authentication (secret or certificate) and
//! issuing an access token.

use quartet_api::bitmind::*;

use super::auth::presented_certificate;
use super::Bitmind;
use crate::platform::oauth::clients::{check_dummy_secret, Client};
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
        let client = self.registered_client(&request.client_id, &secret).await?;
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
                check_client_secret(&client, secret).await?;
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

    /// The registered client `id`, or `invalid_client` after as long as checking
    /// `secret` would take, so ids cannot be probed by timing.
    pub(super) async fn registered_client(
        &self,
        id: &str,
        secret: &Option<String>,
    ) -> Result<Client, OAuthError> {
        if let Some(client) = self.clients.get(id).await? {
            return Ok(client);
        }
        let secret = secret.clone().unwrap_or_default();
        let _ = tokio::task::spawn_blocking(move || check_dummy_secret(&secret)).await;
        Err(OAuthError::invalid_client(messages::UNKNOWN_CLIENT))
    }
}

/// Checks the `secret` a client presented against the one registered for it.
pub(super) async fn check_client_secret(
    client: &Client,
    secret: Option<String>,
) -> Result<(), OAuthError> {
    let Some(secret) = secret else {
        return Err(OAuthError::invalid_client(messages::CLIENT_SECRET_REQUIRED));
    };
    let checked = client.clone();
    let valid = tokio::task::spawn_blocking(move || checked.check_secret(&secret))
        .await
        .map_err(Fault::from)?;
    if valid {
        Ok(())
    } else {
        Err(OAuthError::invalid_client(messages::CLIENT_SECRET_MISMATCH))
    }
}
