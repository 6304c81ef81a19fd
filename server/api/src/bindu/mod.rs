//! Placeholder: replaced by the Bindu surface.

use dropshot::{HttpError, HttpResponseOk, RequestContext};

/// The Bindu surface.
#[dropshot::api_description]
pub trait BinduApi {
    /// Server state.
    type Context: Send + Sync + 'static;

    /// Placeholder.
    #[endpoint { method = GET, path = "/placeholder" }]
    async fn placeholder(rqctx: RequestContext<Self::Context>) -> Result<HttpResponseOk<String>, HttpError>;
}
