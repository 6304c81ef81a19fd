//! Brookmimir ("Odin's Eye"): a credit-metered search API.
//!
//! Shape of the surface:
//!
//! * Four public routes (`/`, `/version`, `/profile`, `/nettest`) need no key.
//! * Every other route needs an `x-api-key` header (64 hex characters). The key
//!   is a security scheme in `openapi/brookmimir.yaml`, not a parameter: the
//!   server reads it from the request in an auth helper, so it never appears as
//!   a `Header<>` extractor here.
//! * `/document`, `/query` and `/face/search` are billable: once the request
//!   has been validated, one credit is taken (atomically, refusing with 402 at
//!   zero) before the work starts. `/credits` never charges.
//! * Every error, extractor failures included, is a [`StatusMessage`].
//!
//! Order of checks on an authenticated route: extractors (body size 413,
//! content type 415, JSON and headers 400), then the key (400 missing or
//! malformed, 404 unknown), then the request's own rules (400), then for
//! `/face/search` whether a face-search service is configured (502), then the
//! balance (402) and the charge, then the work.

mod error;
mod types;

pub use error::{messages, StatusMessage};
pub use types::*;

use dropshot::{Header, HttpResponseOk, RequestContext, TypedBody};

/// The Brookmimir surface: greeting, version, profile, credits, documents,
/// search, face search and a connectivity probe.
#[dropshot::api_description {
    tag_config = {
        allow_other_tags = false,
        tags = {
            "service" = { description = "Public greeting, version and demo profile." },
            "diagnostics" = { description = "Public connectivity probe." },
            "credits" = { description = "Credit balance of an API key." },
            "search" = { description = "Billable document lookup and search over the corpus." },
            "faces" = { description = "Billable face search, proxied to a face-search service." },
        },
    }
}]
pub trait BrookmimirApi {
    /// Server state.
    type Context: Send + Sync + 'static;

    /// Greeting: tells the caller the service is up.
    #[endpoint { method = GET, path = "/", tags = ["service"] }]
    async fn get_root(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<StatusMessage>, StatusMessage>;

    /// The API version.
    #[endpoint { method = GET, path = "/version", tags = ["service"] }]
    async fn get_version(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<VersionResponse>, StatusMessage>;

    /// A fixed demo profile.
    #[endpoint { method = GET, path = "/profile", tags = ["service"] }]
    async fn get_profile(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<UserProfileResponse>, StatusMessage>;

    /// Remaining credits of the caller's key; never charges.
    #[endpoint { method = GET, path = "/credits", tags = ["credits"] }]
    async fn get_credits(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<CreditResponse>, StatusMessage>;

    /// One document by id (header `bmm-doc-id`); costs one credit.
    #[endpoint { method = GET, path = "/document", tags = ["search"] }]
    async fn get_document(
        rqctx: RequestContext<Self::Context>,
        headers: Header<DocumentHeaders>,
    ) -> Result<HttpResponseOk<DocumentResponse>, StatusMessage>;

    /// Search the corpus with text or a query DSL subset; costs one credit.
    #[endpoint {
        method = POST,
        path = "/query",
        tags = ["search"],
        request_body_max_bytes = QUERY_BODY_MAX_BYTES,
    }]
    async fn query_documents(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<QueryRequest>,
    ) -> Result<HttpResponseOk<QueryResponse>, StatusMessage>;

    /// Find corpus faces similar to an image; costs one credit.
    #[endpoint {
        method = POST,
        path = "/face/search",
        tags = ["faces"],
        request_body_max_bytes = FACE_BODY_MAX_BYTES,
    }]
    async fn search_faces(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<FaceSearchRequest>,
    ) -> Result<HttpResponseOk<FaceSearchResponse>, StatusMessage>;

    /// Probe outbound connectivity; always 200.
    #[endpoint { method = GET, path = "/nettest", tags = ["diagnostics"] }]
    async fn run_nettest(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<NettestResponse>, StatusMessage>;
}
