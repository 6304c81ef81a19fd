//! Bitstride: the control plane of an ML platform (auth + MFA, API keys,
//! projects, models, datasets, fine-tuning and RL jobs, deployments, usage,
//! invoices, organizations) plus its inference gateway.
//!
//! The contract is `openapi/bitstride.yaml`; this trait must derive the same
//! operations. Authentication (session JWT or API key, both as
//! `Authorization: Bearer`) is read by the handlers from the request headers,
//! so it does not appear in the signatures. Every error is an [`ErrorEnvelope`].

pub mod auth;
pub mod billing;
pub mod common;
pub mod deployments;
pub mod error;
pub mod jobs;
pub mod resources;

use dropshot::{
    Body, HttpResponseAccepted, HttpResponseCreated, HttpResponseDeleted, HttpResponseFound,
    HttpResponseOk, HttpResponseUpdatedNoContent, Path, Query, RequestContext, TypedBody,
    UntypedBody,
};

pub use auth::*;
pub use billing::*;
pub use common::*;
pub use deployments::*;
pub use error::{messages, ErrorBody, ErrorCode, ErrorEnvelope};
pub use jobs::*;
pub use resources::*;

/// Largest dataset file `POST /v1/datasets/{id}/upload` accepts, in bytes (16 MiB).
pub const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;

/// Largest JSON body of every other operation, in bytes (64 KiB).
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

/// Largest chat request body, in bytes (1 MiB: long conversations).
pub const MAX_CHAT_BODY_BYTES: usize = 1024 * 1024;

/// The Bitstride surface (served on port 3774 by default).
#[dropshot::api_description]
pub trait BitstrideApi {
    /// Server state.
    type Context: Send + Sync + 'static;

    // ---- auth -------------------------------------------------------------

    /// Create an account and its organization, and sign in.
    #[endpoint { method = POST, path = "/v1/auth/register", tags = ["auth"] }]
    async fn register(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<RegisterRequest>,
    ) -> Result<HttpResponseCreated<Session>, ErrorEnvelope>;

    /// Sign in with email and password.
    ///
    /// Raw response: a throttled sign-in answers 429 with a `Retry-After` header.
    #[endpoint { method = POST, path = "/v1/auth/login", tags = ["auth"] }]
    async fn login(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<LoginRequest>,
    ) -> Result<http::Response<Body>, ErrorEnvelope>;

    /// Start an OAuth sign-in: redirect to the provider.
    #[endpoint { method = GET, path = "/v1/auth/login/{provider}", tags = ["auth"] }]
    async fn login_with_provider(
        rqctx: RequestContext<Self::Context>,
        path: Path<ProviderPath>,
    ) -> Result<HttpResponseFound, ErrorEnvelope>;

    /// Finish an OAuth sign-in.
    #[endpoint { method = GET, path = "/v1/auth/callback/{provider}", tags = ["auth"] }]
    async fn oauth_callback(
        rqctx: RequestContext<Self::Context>,
        path: Path<ProviderPath>,
        query: Query<OAuthCallbackParams>,
    ) -> Result<HttpResponseOk<LoginResponse>, ErrorEnvelope>;

    /// Start linking a provider to the signed-in account.
    #[endpoint { method = POST, path = "/v1/auth/link/{provider}", tags = ["auth"] }]
    async fn link_identity(
        rqctx: RequestContext<Self::Context>,
        path: Path<ProviderPath>,
    ) -> Result<HttpResponseOk<IdentityLinkStart>, ErrorEnvelope>;

    /// List the identities linked to the signed-in account.
    #[endpoint { method = GET, path = "/v1/auth/identities", tags = ["auth"] }]
    async fn list_identities(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<IdentityList>, ErrorEnvelope>;

    /// Unlink a provider from the signed-in account.
    #[endpoint { method = DELETE, path = "/v1/auth/identities/{provider}", tags = ["auth"] }]
    async fn unlink_identity(
        rqctx: RequestContext<Self::Context>,
        path: Path<ProviderPath>,
    ) -> Result<HttpResponseDeleted, ErrorEnvelope>;

    /// Describe the credential of this request.
    #[endpoint { method = GET, path = "/v1/auth/verify", tags = ["auth"] }]
    async fn verify_session(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<TokenInfo>, ErrorEnvelope>;

    /// End the current session.
    #[endpoint { method = POST, path = "/v1/auth/logout", tags = ["auth"] }]
    async fn logout(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseUpdatedNoContent, ErrorEnvelope>;

    /// Exchange a refresh token for a new session.
    #[endpoint { method = POST, path = "/v1/auth/refresh", tags = ["auth"] }]
    async fn refresh_session(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<RefreshRequest>,
    ) -> Result<HttpResponseOk<Session>, ErrorEnvelope>;

    /// Prove the account's email address with the token of its verification link.
    #[endpoint { method = POST, path = "/v1/auth/verify-email", tags = ["auth"] }]
    async fn verify_email(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<VerifyEmailRequest>,
    ) -> Result<HttpResponseOk<User>, ErrorEnvelope>;

    /// Mail a new verification link to the signed-in account.
    ///
    /// Raw response: a throttled request answers 429 with a `Retry-After` header.
    #[endpoint { method = POST, path = "/v1/auth/verify-email/resend", tags = ["auth"] }]
    async fn resend_verification_email(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<http::Response<Body>, ErrorEnvelope>;

    /// Ask for a password reset link (answered the same whether or not the account exists).
    #[endpoint { method = POST, path = "/v1/auth/password/forgot", tags = ["auth"] }]
    async fn forgot_password(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<ForgotPasswordRequest>,
    ) -> Result<HttpResponseAccepted<Accepted>, ErrorEnvelope>;

    /// Set a new password with the token of a reset link; every session ends.
    #[endpoint { method = POST, path = "/v1/auth/password/reset", tags = ["auth"] }]
    async fn reset_password(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<ResetPasswordRequest>,
    ) -> Result<HttpResponseUpdatedNoContent, ErrorEnvelope>;

    /// Change the signed-in account's password; its other sessions end.
    ///
    /// Raw response: a throttled request answers 429 with a `Retry-After` header.
    #[endpoint { method = POST, path = "/v1/auth/password", tags = ["auth"] }]
    async fn change_password(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<ChangePasswordRequest>,
    ) -> Result<http::Response<Body>, ErrorEnvelope>;

    /// Start MFA enrolment: get a TOTP secret.
    #[endpoint { method = POST, path = "/v1/auth/mfa/enroll", tags = ["auth"] }]
    async fn mfa_enroll(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<MfaEnrollment>, ErrorEnvelope>;

    /// Confirm MFA enrolment with a code.
    #[endpoint { method = POST, path = "/v1/auth/mfa/verify", tags = ["auth"] }]
    async fn mfa_verify(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<MfaCodeRequest>,
    ) -> Result<HttpResponseOk<User>, ErrorEnvelope>;

    /// Finish a sign-in that needs a TOTP code.
    ///
    /// Raw response: an account locked for wrong codes answers 429 with a
    /// `Retry-After` header.
    #[endpoint { method = POST, path = "/v1/auth/mfa/verify-login", tags = ["auth"] }]
    async fn mfa_verify_login(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<MfaLoginRequest>,
    ) -> Result<http::Response<Body>, ErrorEnvelope>;

    /// Turn MFA off.
    ///
    /// Raw response: an account locked for wrong codes answers 429 with a
    /// `Retry-After` header.
    #[endpoint { method = POST, path = "/v1/auth/mfa/disable", tags = ["auth"] }]
    async fn mfa_disable(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<MfaCodeRequest>,
    ) -> Result<http::Response<Body>, ErrorEnvelope>;

    // ---- API keys ---------------------------------------------------------

    /// List API keys.
    #[endpoint { method = GET, path = "/v1/api_keys", tags = ["api-keys"] }]
    async fn list_api_keys(
        rqctx: RequestContext<Self::Context>,
        query: Query<ListParams>,
    ) -> Result<HttpResponseOk<ApiKeyList>, ErrorEnvelope>;

    /// Create an API key.
    #[endpoint { method = POST, path = "/v1/api_keys", tags = ["api-keys"] }]
    async fn create_api_key(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<ApiKeyCreate>,
    ) -> Result<HttpResponseCreated<CreatedApiKey>, ErrorEnvelope>;

    /// Rename or rescope an API key.
    #[endpoint { method = PUT, path = "/v1/api_keys/{id}", tags = ["api-keys"] }]
    async fn update_api_key(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
        body: TypedBody<ApiKeyUpdate>,
    ) -> Result<HttpResponseOk<ApiKey>, ErrorEnvelope>;

    /// Revoke an API key.
    #[endpoint { method = DELETE, path = "/v1/api_keys/{id}", tags = ["api-keys"] }]
    async fn delete_api_key(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseDeleted, ErrorEnvelope>;

    // ---- projects ---------------------------------------------------------

    /// List projects.
    #[endpoint { method = GET, path = "/v1/projects", tags = ["projects"] }]
    async fn list_projects(
        rqctx: RequestContext<Self::Context>,
        query: Query<ListParams>,
    ) -> Result<HttpResponseOk<ProjectList>, ErrorEnvelope>;

    /// Create a project.
    #[endpoint { method = POST, path = "/v1/projects", tags = ["projects"] }]
    async fn create_project(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<ProjectCreate>,
    ) -> Result<HttpResponseCreated<Project>, ErrorEnvelope>;

    /// Get a project.
    #[endpoint { method = GET, path = "/v1/projects/{id}", tags = ["projects"] }]
    async fn get_project(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseOk<Project>, ErrorEnvelope>;

    /// Update a project.
    #[endpoint { method = PUT, path = "/v1/projects/{id}", tags = ["projects"] }]
    async fn update_project(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
        body: TypedBody<ProjectUpdate>,
    ) -> Result<HttpResponseOk<Project>, ErrorEnvelope>;

    /// Delete a project.
    #[endpoint { method = DELETE, path = "/v1/projects/{id}", tags = ["projects"] }]
    async fn delete_project(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseDeleted, ErrorEnvelope>;

    // ---- models -----------------------------------------------------------

    /// List models.
    #[endpoint { method = GET, path = "/v1/models", tags = ["models"] }]
    async fn list_models(
        rqctx: RequestContext<Self::Context>,
        query: Query<ListParams>,
    ) -> Result<HttpResponseOk<ModelList>, ErrorEnvelope>;

    /// Register a model.
    #[endpoint { method = POST, path = "/v1/models", tags = ["models"] }]
    async fn create_model(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<ModelCreate>,
    ) -> Result<HttpResponseCreated<Model>, ErrorEnvelope>;

    /// Get a model.
    #[endpoint { method = GET, path = "/v1/models/{id}", tags = ["models"] }]
    async fn get_model(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseOk<Model>, ErrorEnvelope>;

    /// Update a model.
    #[endpoint { method = PUT, path = "/v1/models/{id}", tags = ["models"] }]
    async fn update_model(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
        body: TypedBody<ModelUpdate>,
    ) -> Result<HttpResponseOk<Model>, ErrorEnvelope>;

    /// Delete a model.
    #[endpoint { method = DELETE, path = "/v1/models/{id}", tags = ["models"] }]
    async fn delete_model(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseDeleted, ErrorEnvelope>;

    // ---- datasets ---------------------------------------------------------

    /// List datasets.
    #[endpoint { method = GET, path = "/v1/datasets", tags = ["datasets"] }]
    async fn list_datasets(
        rqctx: RequestContext<Self::Context>,
        query: Query<ListParams>,
    ) -> Result<HttpResponseOk<DatasetList>, ErrorEnvelope>;

    /// Create a dataset.
    #[endpoint { method = POST, path = "/v1/datasets", tags = ["datasets"] }]
    async fn create_dataset(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<DatasetCreate>,
    ) -> Result<HttpResponseCreated<Dataset>, ErrorEnvelope>;

    /// Get a dataset.
    #[endpoint { method = GET, path = "/v1/datasets/{id}", tags = ["datasets"] }]
    async fn get_dataset(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseOk<Dataset>, ErrorEnvelope>;

    /// Update a dataset.
    #[endpoint { method = PUT, path = "/v1/datasets/{id}", tags = ["datasets"] }]
    async fn update_dataset(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
        body: TypedBody<DatasetUpdate>,
    ) -> Result<HttpResponseOk<Dataset>, ErrorEnvelope>;

    /// Delete a dataset.
    #[endpoint { method = DELETE, path = "/v1/datasets/{id}", tags = ["datasets"] }]
    async fn delete_dataset(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseDeleted, ErrorEnvelope>;

    /// Upload the dataset file (raw JSONL bytes).
    #[endpoint {
        method = POST,
        path = "/v1/datasets/{id}/upload",
        tags = ["datasets"],
        request_body_max_bytes = MAX_UPLOAD_BYTES,
    }]
    async fn upload_dataset(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
        body: UntypedBody,
    ) -> Result<HttpResponseOk<Dataset>, ErrorEnvelope>;

    /// Validate the uploaded dataset file.
    #[endpoint { method = POST, path = "/v1/datasets/{id}/validate", tags = ["datasets"] }]
    async fn validate_dataset(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseOk<DatasetValidationReport>, ErrorEnvelope>;

    // ---- fine-tuning ------------------------------------------------------

    /// List fine-tuning jobs.
    #[endpoint { method = GET, path = "/v1/fine_tuning/jobs", tags = ["fine-tuning"] }]
    async fn list_fine_tuning_jobs(
        rqctx: RequestContext<Self::Context>,
        query: Query<ListParams>,
    ) -> Result<HttpResponseOk<FineTuningJobList>, ErrorEnvelope>;

    /// Create a fine-tuning job.
    #[endpoint { method = POST, path = "/v1/fine_tuning/jobs", tags = ["fine-tuning"] }]
    async fn create_fine_tuning_job(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<FineTuningJobCreate>,
    ) -> Result<HttpResponseCreated<FineTuningJob>, ErrorEnvelope>;

    /// Get a fine-tuning job.
    #[endpoint { method = GET, path = "/v1/fine_tuning/jobs/{id}", tags = ["fine-tuning"] }]
    async fn get_fine_tuning_job(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseOk<FineTuningJob>, ErrorEnvelope>;

    /// Cancel a fine-tuning job.
    #[endpoint { method = POST, path = "/v1/fine_tuning/jobs/{id}/cancel", tags = ["fine-tuning"] }]
    async fn cancel_fine_tuning_job(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseOk<FineTuningJob>, ErrorEnvelope>;

    /// List a fine-tuning job's events.
    #[endpoint { method = GET, path = "/v1/fine_tuning/jobs/{id}/events", tags = ["fine-tuning"] }]
    async fn list_fine_tuning_job_events(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
        query: Query<ListParams>,
    ) -> Result<HttpResponseOk<JobEventList>, ErrorEnvelope>;

    // ---- reinforcement learning -------------------------------------------

    /// List RL jobs.
    #[endpoint { method = GET, path = "/v1/rl/jobs", tags = ["rl"] }]
    async fn list_rl_jobs(
        rqctx: RequestContext<Self::Context>,
        query: Query<ListParams>,
    ) -> Result<HttpResponseOk<RlJobList>, ErrorEnvelope>;

    /// Create an RL job.
    #[endpoint { method = POST, path = "/v1/rl/jobs", tags = ["rl"] }]
    async fn create_rl_job(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<RlJobCreate>,
    ) -> Result<HttpResponseCreated<RlJob>, ErrorEnvelope>;

    /// Get an RL job.
    #[endpoint { method = GET, path = "/v1/rl/jobs/{id}", tags = ["rl"] }]
    async fn get_rl_job(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseOk<RlJob>, ErrorEnvelope>;

    /// Cancel an RL job.
    #[endpoint { method = POST, path = "/v1/rl/jobs/{id}/cancel", tags = ["rl"] }]
    async fn cancel_rl_job(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseOk<RlJob>, ErrorEnvelope>;

    /// List an RL job's events.
    #[endpoint { method = GET, path = "/v1/rl/jobs/{id}/events", tags = ["rl"] }]
    async fn list_rl_job_events(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
        query: Query<ListParams>,
    ) -> Result<HttpResponseOk<JobEventList>, ErrorEnvelope>;

    // ---- deployments ------------------------------------------------------

    /// List deployments.
    #[endpoint { method = GET, path = "/v1/deployments", tags = ["deployments"] }]
    async fn list_deployments(
        rqctx: RequestContext<Self::Context>,
        query: Query<ListParams>,
    ) -> Result<HttpResponseOk<DeploymentList>, ErrorEnvelope>;

    /// Create a deployment.
    #[endpoint { method = POST, path = "/v1/deployments", tags = ["deployments"] }]
    async fn create_deployment(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<DeploymentCreate>,
    ) -> Result<HttpResponseCreated<Deployment>, ErrorEnvelope>;

    /// Get a deployment.
    #[endpoint { method = GET, path = "/v1/deployments/{id}", tags = ["deployments"] }]
    async fn get_deployment(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
    ) -> Result<HttpResponseOk<Deployment>, ErrorEnvelope>;

    /// Update a deployment.
    #[endpoint { method = PUT, path = "/v1/deployments/{id}", tags = ["deployments"] }]
    async fn update_deployment(
        rqctx: RequestContext<Self::Context>,
        path: Path<IdPath>,
        body: TypedBody<DeploymentUpdate>,
    ) -> Result<HttpResponseOk<Deployment>, ErrorEnvelope>;

    // ---- billing ----------------------------------------------------------

    /// Usage by day and model.
    #[endpoint { method = GET, path = "/v1/usage", tags = ["billing"] }]
    async fn get_usage(
        rqctx: RequestContext<Self::Context>,
        query: Query<UsageParams>,
    ) -> Result<HttpResponseOk<UsageReport>, ErrorEnvelope>;

    /// List invoices.
    #[endpoint { method = GET, path = "/v1/invoices", tags = ["billing"] }]
    async fn list_invoices(
        rqctx: RequestContext<Self::Context>,
        query: Query<ListParams>,
    ) -> Result<HttpResponseOk<InvoiceList>, ErrorEnvelope>;

    // ---- organization -----------------------------------------------------

    /// Get the caller's organization.
    #[endpoint { method = GET, path = "/v1/orgs/current", tags = ["organization"] }]
    async fn get_current_org(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<Organization>, ErrorEnvelope>;

    /// Update the caller's organization.
    #[endpoint { method = PUT, path = "/v1/orgs/current", tags = ["organization"] }]
    async fn update_current_org(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<OrganizationUpdate>,
    ) -> Result<HttpResponseOk<Organization>, ErrorEnvelope>;

    /// Delete the caller's organization and account.
    #[endpoint { method = DELETE, path = "/v1/orgs/current", tags = ["organization"] }]
    async fn delete_current_org(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseDeleted, ErrorEnvelope>;

    // ---- gateway ----------------------------------------------------------

    /// Liveness probe.
    #[endpoint { method = GET, path = "/health", tags = ["gateway"] }]
    async fn health(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<HealthStatus>, ErrorEnvelope>;

    /// Readiness probe.
    #[endpoint { method = GET, path = "/ready", tags = ["gateway"] }]
    async fn ready(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<ReadyStatus>, ErrorEnvelope>;

    /// Prometheus metrics (text exposition format, raw response).
    #[endpoint { method = GET, path = "/metrics", tags = ["gateway"] }]
    async fn metrics(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<http::Response<Body>, ErrorEnvelope>;

    /// Chat completion against a named deployment.
    ///
    /// Raw request and response: the JSON body is passed to the backend with the
    /// fields the gateway does not know, and the answer is either a JSON
    /// completion or a stream of server-sent events.
    #[endpoint {
        method = POST,
        path = "/v1/inference/{deployment_id}/chat",
        tags = ["gateway"],
        request_body_max_bytes = MAX_CHAT_BODY_BYTES,
    }]
    async fn deployment_chat(
        rqctx: RequestContext<Self::Context>,
        path: Path<DeploymentPath>,
        body: UntypedBody,
    ) -> Result<http::Response<Body>, ErrorEnvelope>;

    /// OpenAI-compatible chat completion, deployment resolved from the host.
    #[endpoint {
        method = POST,
        path = "/v1/chat/completions",
        tags = ["gateway"],
        request_body_max_bytes = MAX_CHAT_BODY_BYTES,
    }]
    async fn create_chat_completion(
        rqctx: RequestContext<Self::Context>,
        body: UntypedBody,
    ) -> Result<http::Response<Body>, ErrorEnvelope>;
}
