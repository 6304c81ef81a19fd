//! `POST /v1/oauth/introspect` (RFC 7662): what a resource server learns about an
//! access token. The caller is a registered client authenticating with its secret
//! (`client_secret_post`); a token is active when it verifies (RS256, a published
//! key, issuer, `exp`, `nbf`; any audience: the caller checks its own) and its
//! client is not revoked. Anything else is `{"active": false}`.

use quartet_api::bitmind::*;

use super::token::check_client_secret;
use super::Bitmind;
use crate::platform::oauth::{Audience, VerifyError};
use crate::platform::Fault;

impl Bitmind {
    /// Authenticates the calling client, then inspects the token.
    pub(super) async fn introspect(
        &self,
        request: IntrospectionRequest,
    ) -> Result<IntrospectionResponse, OAuthError> {
        let secret = request.client_secret.filter(|s| !s.is_empty());
        let caller = self.registered_client(&request.client_id, &secret).await?;
        check_client_secret(&caller, secret).await?;
        if caller.revoked_at.is_some() {
            return Err(OAuthError::invalid_client(messages::CLIENT_REVOKED));
        }
        let inactive = IntrospectionResponse {
            active: false,
            scope: None,
            client_id: None,
            sub: None,
            aud: None,
            iss: None,
            exp: None,
            iat: None,
            nbf: None,
            jti: None,
            token_type: None,
        };
        let claims = match self.tokens.inspect(&request.token).await {
            Ok(c) => c,
            Err(VerifyError::KeysUnavailable) => {
                return Err(Fault::unavailable("signing keys").into())
            }
            Err(_) => return Ok(inactive),
        };
        let client = self.clients.get(&claims.sub).await?;
        if client.is_none_or(|c| c.revoked_at.is_some()) {
            return Ok(inactive);
        }
        Ok(IntrospectionResponse {
            active: true,
            scope: Some(claims.scope.clone()),
            client_id: Some(
                claims
                    .client_id
                    .clone()
                    .unwrap_or_else(|| claims.sub.clone()),
            ),
            aud: Some(match claims.aud {
                Audience::One(a) => vec![a],
                Audience::Many(list) => list,
            }),
            sub: Some(claims.sub),
            iss: Some(claims.iss),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            nbf: Some(claims.nbf),
            jti: Some(claims.jti),
            token_type: Some(TokenType::Bearer),
        })
    }
}
