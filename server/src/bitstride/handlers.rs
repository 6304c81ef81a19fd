//! The `BitstrideApi` trait implemented over [`Bitstride`]: one thin method per
//! operation (mode check, auth-service proxy, caller, scope, area call).

use std::sync::Arc;

use dropshot::{
    ApiDescription, Body, HttpResponseAccepted, HttpResponseCreated, HttpResponseDeleted,
    HttpResponseFound, HttpResponseOk, HttpResponseUpdatedNoContent, Path, Query, RequestContext,
    TypedBody, UntypedBody,
};
use http::StatusCode;
use quartet_api::bitstride::*;

use super::accounts::recovery::Throttled;
use super::accounts::SignIn;
use super::auth::Caller;
use super::auth_proxy::Proxied;
use super::gateway::{json_response, too_many, Target};
use super::jobs::Kind;
use super::mfa::Guarded;
use super::{err, Bitstride};
use crate::platform::metrics::{Status, TEXT_FORMAT};

/// The Bitstride API description, ready to serve.
pub fn api() -> ApiDescription<Arc<Bitstride>> {
    bitstride_api_mod::api_description::<BitstrideImpl>()
        .expect("the Bitstride trait describes a valid API")
}

/// Marker type carrying the trait implementation.
enum BitstrideImpl {}

type Ctx = RequestContext<Arc<Bitstride>>;
type R<T> = Result<T, ErrorEnvelope>;

/// The caller of a control-plane request that needs `scope`.
async fn caller(rqctx: &Ctx, scope: ApiKeyScope) -> R<Caller> {
    let ctx = rqctx.context();
    ctx.control_plane()?;
    let caller = ctx.caller(rqctx.request.headers()).await?;
    caller.require(scope)?;
    Ok(caller)
}

/// The caller of a session-only route.
async fn session(rqctx: &Ctx) -> R<Caller> {
    let caller = caller(rqctx, ApiKeyScope::Write).await;
    match caller {
        // A scope-less API key gets the session message, not the scope one.
        Err(e) if e.error.code == ErrorCode::Forbidden => {
            Err(err(ErrorCode::Forbidden, messages::SESSION_REQUIRED))
        }
        Err(e) => Err(e),
        Ok(c) => {
            c.session()?;
            Ok(c)
        }
    }
}

/// Forwards to the auth service when one is configured; `None` means serve here.
async fn proxied<T: serde::de::DeserializeOwned>(
    rqctx: &Ctx,
    body: Option<&impl serde::Serialize>,
) -> Option<R<T>> {
    let ctx = rqctx.context();
    if let Err(e) = ctx.control_plane() {
        return Some(Err(e));
    }
    let bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
    ctx.proxy::<T>(&rqctx.request, bytes)
        .await
        .map(|r| match r {
            Ok(Proxied::Ok(v)) => Ok(v),
            Ok(Proxied::Found(_)) => Err(err(
                ErrorCode::UpstreamError,
                messages::AUTH_SERVICE_UNREACHABLE,
            )),
            Err(e) => Err(e),
        })
}

/// The auth service's answer to a route with a raw answer, relayed: `status` on
/// success (an empty 204, or the JSON value); its 429 gets a conservative
/// `Retry-After` (the proxy does not pass the header on).
fn relay<T: serde::Serialize>(r: R<T>, status: StatusCode) -> R<http::Response<Body>> {
    match r {
        Ok(_) if status == StatusCode::NO_CONTENT => Ok(no_content()),
        Ok(v) => Ok(json_response(status, &v)),
        Err(e) if e.error.code == ErrorCode::RateLimited => Ok(too_many(&e.error.message, 60)),
        Err(e) => Err(e),
    }
}

/// An empty 204.
fn no_content() -> http::Response<Body> {
    http::Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::empty())
        .unwrap_or_else(|_| http::Response::new(Body::empty()))
}

impl Status for ErrorEnvelope {
    fn status(&self) -> u16 {
        self.error.code.status().as_u16()
    }
}

/// Runs the operation of `rqctx` and records it in the metrics.
async fn metered<T: Status>(rqctx: &Ctx, work: impl std::future::Future<Output = R<T>>) -> R<T> {
    rqctx
        .context()
        .metrics
        .requests
        .measure(&rqctx.endpoint.operation_id, work)
        .await
}

impl BitstrideApi for BitstrideImpl {
    type Context = Arc<Bitstride>;

    async fn register(
        rqctx: Ctx,
        body: TypedBody<RegisterRequest>,
    ) -> R<HttpResponseCreated<Session>> {
        metered(&rqctx, async {
            let body = body.into_inner();
            if let Some(r) = proxied(&rqctx, Some(&body)).await {
                return r.map(HttpResponseCreated);
            }
            Ok(HttpResponseCreated(rqctx.context().register(body).await?))
        })
        .await
    }

    async fn login(rqctx: Ctx, body: TypedBody<LoginRequest>) -> R<http::Response<Body>> {
        metered(&rqctx, async {
            let body = body.into_inner();
            let ctx = rqctx.context();
            ctx.control_plane()?;
            let forwarded = serde_json::to_vec(&body).unwrap_or_default();
            if let Some(r) = ctx
                .proxy::<LoginResponse>(&rqctx.request, Some(forwarded))
                .await
            {
                return match r {
                    Ok(Proxied::Ok(v)) => Ok(json_response(StatusCode::OK, &v)),
                    // The auth service's throttling, relayed with a conservative wait.
                    Err(e) if e.error.code == ErrorCode::RateLimited => {
                        Ok(too_many(&e.error.message, 60))
                    }
                    Err(e) => Err(e),
                    Ok(Proxied::Found(_)) => Err(err(
                        ErrorCode::UpstreamError,
                        messages::AUTH_SERVICE_UNREACHABLE,
                    )),
                };
            }
            match ctx.login(body).await? {
                SignIn::Answer(a) => Ok(json_response(StatusCode::OK, &*a)),
                SignIn::Throttled(wait) => {
                    Ok(too_many(messages::LOGIN_THROTTLED, wait.max(1) as u64))
                }
            }
        })
        .await
    }

    async fn login_with_provider(rqctx: Ctx, path: Path<ProviderPath>) -> R<HttpResponseFound> {
        metered(&rqctx, async {
            let ctx = rqctx.context();
            ctx.control_plane()?;
            if let Some(r) = ctx.proxy::<()>(&rqctx.request, None).await {
                return match r? {
                    Proxied::Found(location) => {
                        dropshot::http_response_found(location).map_err(|_| {
                            err(ErrorCode::UpstreamError, messages::AUTH_SERVICE_UNREACHABLE)
                        })
                    }
                    Proxied::Ok(()) => Err(err(
                        ErrorCode::UpstreamError,
                        messages::AUTH_SERVICE_UNREACHABLE,
                    )),
                };
            }
            let url = ctx.oauth_start(&path.into_inner().provider).await?;
            dropshot::http_response_found(url)
                .map_err(|_| err(ErrorCode::UpstreamError, messages::OAUTH_EXCHANGE_FAILED))
        })
        .await
    }

    async fn oauth_callback(
        rqctx: Ctx,
        path: Path<ProviderPath>,
        query: Query<OAuthCallbackParams>,
    ) -> R<HttpResponseOk<LoginResponse>> {
        metered(&rqctx, async {
            if let Some(r) = proxied(&rqctx, None::<&()>).await {
                return r.map(HttpResponseOk);
            }
            let q = query.into_inner();
            let session = rqctx
                .context()
                .oauth_finish(
                    &path.into_inner().provider,
                    &q.code,
                    &q.state,
                    rqctx.request.headers(),
                )
                .await?;
            Ok(HttpResponseOk(session))
        })
        .await
    }

    async fn link_identity(
        rqctx: Ctx,
        path: Path<ProviderPath>,
    ) -> R<HttpResponseOk<IdentityLinkStart>> {
        metered(&rqctx, async {
            if let Some(r) = proxied(&rqctx, None::<&()>).await {
                return r.map(HttpResponseOk);
            }
            let c = session(&rqctx).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .link_start(&c, &path.into_inner().provider)
                    .await?,
            ))
        })
        .await
    }

    async fn list_identities(rqctx: Ctx) -> R<HttpResponseOk<IdentityList>> {
        metered(&rqctx, async {
            if let Some(r) = proxied(&rqctx, None::<&()>).await {
                return r.map(HttpResponseOk);
            }
            let c = session(&rqctx).await?;
            Ok(HttpResponseOk(rqctx.context().list_identities(&c).await?))
        })
        .await
    }

    async fn unlink_identity(rqctx: Ctx, path: Path<ProviderPath>) -> R<HttpResponseDeleted> {
        metered(&rqctx, async {
            if let Some(r) = proxied::<()>(&rqctx, None::<&()>).await {
                return r.map(|_| HttpResponseDeleted());
            }
            let c = session(&rqctx).await?;
            rqctx
                .context()
                .unlink_identity(&c, &path.into_inner().provider)
                .await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    async fn verify_session(rqctx: Ctx) -> R<HttpResponseOk<TokenInfo>> {
        metered(&rqctx, async {
            if let Some(r) = proxied(&rqctx, None::<&()>).await {
                return r.map(HttpResponseOk);
            }
            // Introspection works for any live credential, whatever its scopes.
            let c = rqctx.context().caller(rqctx.request.headers()).await?;
            Ok(HttpResponseOk(rqctx.context().token_info(&c)))
        })
        .await
    }

    async fn logout(rqctx: Ctx) -> R<HttpResponseUpdatedNoContent> {
        metered(&rqctx, async {
            if let Some(r) = proxied::<()>(&rqctx, None::<&()>).await {
                return r.map(|_| HttpResponseUpdatedNoContent());
            }
            let c = session(&rqctx).await?;
            rqctx.context().logout(&c).await?;
            Ok(HttpResponseUpdatedNoContent())
        })
        .await
    }

    async fn refresh_session(
        rqctx: Ctx,
        body: TypedBody<RefreshRequest>,
    ) -> R<HttpResponseOk<Session>> {
        metered(&rqctx, async {
            let body = body.into_inner();
            if let Some(r) = proxied(&rqctx, Some(&body)).await {
                return r.map(HttpResponseOk);
            }
            Ok(HttpResponseOk(
                rqctx.context().refresh(&body.refresh_token).await?,
            ))
        })
        .await
    }

    async fn verify_email(
        rqctx: Ctx,
        body: TypedBody<VerifyEmailRequest>,
    ) -> R<HttpResponseOk<User>> {
        metered(&rqctx, async {
            let body = body.into_inner();
            if let Some(r) = proxied(&rqctx, Some(&body)).await {
                return r.map(HttpResponseOk);
            }
            Ok(HttpResponseOk(rqctx.context().verify_email(body).await?))
        })
        .await
    }

    async fn resend_verification_email(rqctx: Ctx) -> R<http::Response<Body>> {
        metered(&rqctx, async {
            if let Some(r) = proxied::<Accepted>(&rqctx, None::<&()>).await {
                return relay(r, StatusCode::ACCEPTED);
            }
            let c = session(&rqctx).await?;
            Ok(match rqctx.context().resend_verification(&c).await? {
                Throttled::Done(a) => json_response(StatusCode::ACCEPTED, &a),
                Throttled::Wait(wait) => too_many(messages::MAIL_THROTTLED, wait.max(1) as u64),
            })
        })
        .await
    }

    async fn forgot_password(
        rqctx: Ctx,
        body: TypedBody<ForgotPasswordRequest>,
    ) -> R<HttpResponseAccepted<Accepted>> {
        metered(&rqctx, async {
            let body = body.into_inner();
            if let Some(r) = proxied(&rqctx, Some(&body)).await {
                return r.map(HttpResponseAccepted);
            }
            Ok(HttpResponseAccepted(rqctx.context().forgot_password(body)?))
        })
        .await
    }

    async fn reset_password(
        rqctx: Ctx,
        body: TypedBody<ResetPasswordRequest>,
    ) -> R<HttpResponseUpdatedNoContent> {
        metered(&rqctx, async {
            let body = body.into_inner();
            if let Some(r) = proxied::<()>(&rqctx, Some(&body)).await {
                return r.map(|_| HttpResponseUpdatedNoContent());
            }
            rqctx.context().reset_password(body).await?;
            Ok(HttpResponseUpdatedNoContent())
        })
        .await
    }

    async fn change_password(
        rqctx: Ctx,
        body: TypedBody<ChangePasswordRequest>,
    ) -> R<http::Response<Body>> {
        metered(&rqctx, async {
            let body = body.into_inner();
            if let Some(r) = proxied::<()>(&rqctx, Some(&body)).await {
                return relay(r, StatusCode::NO_CONTENT);
            }
            let c = session(&rqctx).await?;
            Ok(match rqctx.context().change_password(&c, body).await? {
                Throttled::Done(()) => no_content(),
                Throttled::Wait(wait) => too_many(messages::LOGIN_THROTTLED, wait.max(1) as u64),
            })
        })
        .await
    }

    async fn mfa_enroll(rqctx: Ctx) -> R<HttpResponseOk<MfaEnrollment>> {
        metered(&rqctx, async {
            if let Some(r) = proxied(&rqctx, None::<&()>).await {
                return r.map(HttpResponseOk);
            }
            let c = session(&rqctx).await?;
            Ok(HttpResponseOk(rqctx.context().mfa_enroll(&c.user).await?))
        })
        .await
    }

    async fn mfa_verify(rqctx: Ctx, body: TypedBody<MfaCodeRequest>) -> R<HttpResponseOk<User>> {
        metered(&rqctx, async {
            let body = body.into_inner();
            if let Some(r) = proxied(&rqctx, Some(&body)).await {
                return r.map(HttpResponseOk);
            }
            let c = session(&rqctx).await?;
            Ok(HttpResponseOk(
                rqctx.context().mfa_verify(&c.user, &body.code).await?,
            ))
        })
        .await
    }

    async fn mfa_verify_login(
        rqctx: Ctx,
        body: TypedBody<MfaLoginRequest>,
    ) -> R<http::Response<Body>> {
        metered(&rqctx, async {
            let body = body.into_inner();
            if let Some(r) = proxied::<Session>(&rqctx, Some(&body)).await {
                return relay(r, StatusCode::OK);
            }
            match rqctx.context().mfa_verify_login(&body).await? {
                Guarded::Done(s) => Ok(json_response(StatusCode::OK, &*s)),
                Guarded::Locked(wait) => Ok(too_many(messages::MFA_LOCKED, wait.max(1) as u64)),
            }
        })
        .await
    }

    async fn mfa_disable(rqctx: Ctx, body: TypedBody<MfaCodeRequest>) -> R<http::Response<Body>> {
        metered(&rqctx, async {
            let body = body.into_inner();
            if let Some(r) = proxied::<User>(&rqctx, Some(&body)).await {
                return relay(r, StatusCode::OK);
            }
            let c = session(&rqctx).await?;
            match rqctx.context().mfa_disable(&c.user, &body.code).await? {
                Guarded::Done(u) => Ok(json_response(StatusCode::OK, &u)),
                Guarded::Locked(wait) => Ok(too_many(messages::MFA_LOCKED, wait.max(1) as u64)),
            }
        })
        .await
    }

    async fn list_api_keys(rqctx: Ctx, query: Query<ListParams>) -> R<HttpResponseOk<ApiKeyList>> {
        metered(&rqctx, async {
            if let Some(r) = proxied(&rqctx, None::<&()>).await {
                return r.map(HttpResponseOk);
            }
            let c = session(&rqctx).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .list_api_keys(&c, &query.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn create_api_key(
        rqctx: Ctx,
        body: TypedBody<ApiKeyCreate>,
    ) -> R<HttpResponseCreated<CreatedApiKey>> {
        metered(&rqctx, async {
            let body = body.into_inner();
            if let Some(r) = proxied(&rqctx, Some(&body)).await {
                return r.map(HttpResponseCreated);
            }
            let c = session(&rqctx).await?;
            Ok(HttpResponseCreated(
                rqctx.context().create_api_key(&c, body).await?,
            ))
        })
        .await
    }

    async fn update_api_key(
        rqctx: Ctx,
        path: Path<IdPath>,
        body: TypedBody<ApiKeyUpdate>,
    ) -> R<HttpResponseOk<ApiKey>> {
        metered(&rqctx, async {
            let body = body.into_inner();
            if let Some(r) = proxied(&rqctx, Some(&body)).await {
                return r.map(HttpResponseOk);
            }
            let c = session(&rqctx).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .update_api_key(&c, &path.into_inner().id, body)
                    .await?,
            ))
        })
        .await
    }

    async fn delete_api_key(rqctx: Ctx, path: Path<IdPath>) -> R<HttpResponseDeleted> {
        metered(&rqctx, async {
            if let Some(r) = proxied::<()>(&rqctx, None::<&()>).await {
                return r.map(|_| HttpResponseDeleted());
            }
            let c = session(&rqctx).await?;
            rqctx
                .context()
                .delete_api_key(&c, &path.into_inner().id)
                .await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    async fn list_projects(rqctx: Ctx, query: Query<ListParams>) -> R<HttpResponseOk<ProjectList>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .list_projects(&c, &query.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn create_project(
        rqctx: Ctx,
        body: TypedBody<ProjectCreate>,
    ) -> R<HttpResponseCreated<Project>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseCreated(
                rqctx
                    .context()
                    .create_project(&c, body.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn get_project(rqctx: Ctx, path: Path<IdPath>) -> R<HttpResponseOk<Project>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .get_project(&c, &path.into_inner().id)
                    .await?,
            ))
        })
        .await
    }

    async fn update_project(
        rqctx: Ctx,
        path: Path<IdPath>,
        body: TypedBody<ProjectUpdate>,
    ) -> R<HttpResponseOk<Project>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .update_project(&c, &path.into_inner().id, body.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn delete_project(rqctx: Ctx, path: Path<IdPath>) -> R<HttpResponseDeleted> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            rqctx
                .context()
                .delete_project(&c, &path.into_inner().id)
                .await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    async fn list_models(rqctx: Ctx, query: Query<ListParams>) -> R<HttpResponseOk<ModelList>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx.context().list_models(&c, &query.into_inner()).await?,
            ))
        })
        .await
    }

    async fn create_model(
        rqctx: Ctx,
        body: TypedBody<ModelCreate>,
    ) -> R<HttpResponseCreated<Model>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseCreated(
                rqctx.context().create_model(&c, body.into_inner()).await?,
            ))
        })
        .await
    }

    async fn get_model(rqctx: Ctx, path: Path<IdPath>) -> R<HttpResponseOk<Model>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx.context().get_model(&c, &path.into_inner().id).await?,
            ))
        })
        .await
    }

    async fn update_model(
        rqctx: Ctx,
        path: Path<IdPath>,
        body: TypedBody<ModelUpdate>,
    ) -> R<HttpResponseOk<Model>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .update_model(&c, &path.into_inner().id, body.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn delete_model(rqctx: Ctx, path: Path<IdPath>) -> R<HttpResponseDeleted> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            rqctx
                .context()
                .delete_model(&c, &path.into_inner().id)
                .await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    async fn list_datasets(rqctx: Ctx, query: Query<ListParams>) -> R<HttpResponseOk<DatasetList>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .list_datasets(&c, &query.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn create_dataset(
        rqctx: Ctx,
        body: TypedBody<DatasetCreate>,
    ) -> R<HttpResponseCreated<Dataset>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseCreated(
                rqctx
                    .context()
                    .create_dataset(&c, body.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn get_dataset(rqctx: Ctx, path: Path<IdPath>) -> R<HttpResponseOk<Dataset>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .get_dataset(&c, &path.into_inner().id)
                    .await?,
            ))
        })
        .await
    }

    async fn update_dataset(
        rqctx: Ctx,
        path: Path<IdPath>,
        body: TypedBody<DatasetUpdate>,
    ) -> R<HttpResponseOk<Dataset>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .update_dataset(&c, &path.into_inner().id, body.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn delete_dataset(rqctx: Ctx, path: Path<IdPath>) -> R<HttpResponseDeleted> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            rqctx
                .context()
                .delete_dataset(&c, &path.into_inner().id)
                .await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    async fn upload_dataset(
        rqctx: Ctx,
        path: Path<IdPath>,
        body: UntypedBody,
    ) -> R<HttpResponseOk<Dataset>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .upload_dataset(&c, &path.into_inner().id, body.as_bytes())
                    .await?,
            ))
        })
        .await
    }

    async fn validate_dataset(
        rqctx: Ctx,
        path: Path<IdPath>,
    ) -> R<HttpResponseOk<DatasetValidationReport>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .validate_dataset(&c, &path.into_inner().id)
                    .await?,
            ))
        })
        .await
    }

    async fn list_fine_tuning_jobs(
        rqctx: Ctx,
        query: Query<ListParams>,
    ) -> R<HttpResponseOk<FineTuningJobList>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .list_fine_tuning_jobs(&c, &query.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn create_fine_tuning_job(
        rqctx: Ctx,
        body: TypedBody<FineTuningJobCreate>,
    ) -> R<HttpResponseCreated<FineTuningJob>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseCreated(
                rqctx
                    .context()
                    .create_fine_tuning_job(&c, body.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn get_fine_tuning_job(
        rqctx: Ctx,
        path: Path<IdPath>,
    ) -> R<HttpResponseOk<FineTuningJob>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .get_fine_tuning_job(&c, &path.into_inner().id)
                    .await?,
            ))
        })
        .await
    }

    async fn cancel_fine_tuning_job(
        rqctx: Ctx,
        path: Path<IdPath>,
    ) -> R<HttpResponseOk<FineTuningJob>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .cancel_fine_tuning_job(&c, &path.into_inner().id)
                    .await?,
            ))
        })
        .await
    }

    async fn list_fine_tuning_job_events(
        rqctx: Ctx,
        path: Path<IdPath>,
        query: Query<ListParams>,
    ) -> R<HttpResponseOk<JobEventList>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .job_events(
                        &c,
                        &path.into_inner().id,
                        Kind::FineTuning,
                        &query.into_inner(),
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn list_rl_jobs(rqctx: Ctx, query: Query<ListParams>) -> R<HttpResponseOk<RlJobList>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .list_rl_jobs(&c, &query.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn create_rl_job(
        rqctx: Ctx,
        body: TypedBody<RlJobCreate>,
    ) -> R<HttpResponseCreated<RlJob>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseCreated(
                rqctx.context().create_rl_job(&c, body.into_inner()).await?,
            ))
        })
        .await
    }

    async fn get_rl_job(rqctx: Ctx, path: Path<IdPath>) -> R<HttpResponseOk<RlJob>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .get_rl_job(&c, &path.into_inner().id)
                    .await?,
            ))
        })
        .await
    }

    async fn cancel_rl_job(rqctx: Ctx, path: Path<IdPath>) -> R<HttpResponseOk<RlJob>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .cancel_rl_job(&c, &path.into_inner().id)
                    .await?,
            ))
        })
        .await
    }

    async fn list_rl_job_events(
        rqctx: Ctx,
        path: Path<IdPath>,
        query: Query<ListParams>,
    ) -> R<HttpResponseOk<JobEventList>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .job_events(&c, &path.into_inner().id, Kind::Rl, &query.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn list_deployments(
        rqctx: Ctx,
        query: Query<ListParams>,
    ) -> R<HttpResponseOk<DeploymentList>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .list_deployments(&c, &query.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn create_deployment(
        rqctx: Ctx,
        body: TypedBody<DeploymentCreate>,
    ) -> R<HttpResponseCreated<Deployment>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseCreated(
                rqctx
                    .context()
                    .create_deployment(&c, body.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn get_deployment(rqctx: Ctx, path: Path<IdPath>) -> R<HttpResponseOk<Deployment>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .get_deployment(&c, &path.into_inner().id)
                    .await?,
            ))
        })
        .await
    }

    async fn update_deployment(
        rqctx: Ctx,
        path: Path<IdPath>,
        body: TypedBody<DeploymentUpdate>,
    ) -> R<HttpResponseOk<Deployment>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .update_deployment(&c, &path.into_inner().id, body.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn get_usage(rqctx: Ctx, query: Query<UsageParams>) -> R<HttpResponseOk<UsageReport>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx.context().usage(&c, &query.into_inner()).await?,
            ))
        })
        .await
    }

    async fn list_invoices(rqctx: Ctx, query: Query<ListParams>) -> R<HttpResponseOk<InvoiceList>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(
                rqctx
                    .context()
                    .list_invoices(&c, &query.into_inner())
                    .await?,
            ))
        })
        .await
    }

    async fn get_current_org(rqctx: Ctx) -> R<HttpResponseOk<Organization>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Read).await?;
            Ok(HttpResponseOk(rqctx.context().get_org(&c).await?))
        })
        .await
    }

    async fn update_current_org(
        rqctx: Ctx,
        body: TypedBody<OrganizationUpdate>,
    ) -> R<HttpResponseOk<Organization>> {
        metered(&rqctx, async {
            let c = caller(&rqctx, ApiKeyScope::Write).await?;
            Ok(HttpResponseOk(
                rqctx.context().update_org(&c, body.into_inner()).await?,
            ))
        })
        .await
    }

    async fn delete_current_org(rqctx: Ctx) -> R<HttpResponseDeleted> {
        metered(&rqctx, async {
            let c = session(&rqctx).await?;
            rqctx.context().delete_org(&c).await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    async fn health(rqctx: Ctx) -> R<HttpResponseOk<HealthStatus>> {
        metered(&rqctx, async {
            let ctx = rqctx.context();
            Ok(HttpResponseOk(HealthStatus {
                status: "ok".into(),
                mode: ctx.mode(),
                version: env!("CARGO_PKG_VERSION").into(),
                uptime_seconds: ctx.started.elapsed().as_secs() as i64,
            }))
        })
        .await
    }

    async fn ready(rqctx: Ctx) -> R<HttpResponseOk<ReadyStatus>> {
        metered(&rqctx, async {
            let ctx = rqctx.context();
            if ctx.db.ping().await.is_err() {
                return Err(err(ErrorCode::NotReady, messages::NOT_READY));
            }
            let (ready, failed) = ctx
                .backend_health()
                .await
                .map_err(|_| err(ErrorCode::NotReady, messages::NOT_READY))?;
            Ok(HttpResponseOk(ReadyStatus {
                status: "ready".into(),
                mode: ctx.mode(),
                database: "ok".into(),
                deployments_ready: ready,
                deployments_failed: failed,
            }))
        })
        .await
    }

    async fn metrics(rqctx: Ctx) -> R<http::Response<Body>> {
        metered(&rqctx, async {
            let ctx = rqctx.context();
            let text = ctx.metrics.render(ctx.started.elapsed().as_secs() as i64);
            http::Response::builder()
                .status(StatusCode::OK)
                .header(http::header::CONTENT_TYPE, TEXT_FORMAT)
                .body(Body::with_content(text))
                .map_err(|_| err(ErrorCode::InternalError, messages::INTERNAL_ERROR))
        })
        .await
    }

    async fn deployment_chat(
        rqctx: Ctx,
        path: Path<DeploymentPath>,
        body: UntypedBody,
    ) -> R<http::Response<Body>> {
        metered(&rqctx, async {
            let id = path.into_inner().deployment_id;
            rqctx
                .context()
                .chat(rqctx.request.headers(), Target::Id(&id), body.as_bytes())
                .await
        })
        .await
    }

    async fn create_chat_completion(rqctx: Ctx, body: UntypedBody) -> R<http::Response<Body>> {
        metered(&rqctx, async {
            let host = rqctx
                .request
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned);
            rqctx
                .context()
                .chat(
                    rqctx.request.headers(),
                    Target::Host(host.as_deref()),
                    body.as_bytes(),
                )
                .await
        })
        .await
    }
}
