//! The `BrookmimirApi` trait implemented over [`Brookmimir`]: one thin method per
//! operation.

use std::sync::Arc;

use dropshot::{ApiDescription, Header, HttpResponseOk, RequestContext, TypedBody};
use quartet_api::brookmimir::*;

use super::Brookmimir;

/// The Brookmimir API description, ready to serve.
pub fn api() -> ApiDescription<Arc<Brookmimir>> {
    brookmimir_api_mod::api_description::<BrookmimirImpl>()
        .expect("the Brookmimir trait describes a valid API")
}

/// Marker type carrying the trait implementation.
enum BrookmimirImpl {}

type Ctx = RequestContext<Arc<Brookmimir>>;

impl BrookmimirApi for BrookmimirImpl {
    type Context = Arc<Brookmimir>;

    async fn get_root(_rqctx: Ctx) -> Result<HttpResponseOk<StatusMessage>, StatusMessage> {
        Ok(HttpResponseOk(StatusMessage::new(200, messages::GREETING)))
    }

    async fn get_version(_rqctx: Ctx) -> Result<HttpResponseOk<VersionResponse>, StatusMessage> {
        Ok(HttpResponseOk(VersionResponse {
            status: 200,
            version: API_VERSION.to_owned(),
        }))
    }

    async fn get_profile(
        _rqctx: Ctx,
    ) -> Result<HttpResponseOk<UserProfileResponse>, StatusMessage> {
        Ok(HttpResponseOk(UserProfileResponse {
            status: 200,
            message: messages::USER_PROFILE.to_owned(),
            user: UserInfo {
                name: "John Doe".to_owned(),
                age: 30,
            },
        }))
    }

    async fn get_credits(rqctx: Ctx) -> Result<HttpResponseOk<CreditResponse>, StatusMessage> {
        let bmm = rqctx.context();
        let account = bmm.authenticate(&rqctx).await?;
        Ok(HttpResponseOk(CreditResponse {
            status: 200,
            message: messages::CREDITS_RETRIEVED.to_owned(),
            current_balance: bmm.balance(&account).await?,
        }))
    }

    async fn get_document(
        rqctx: Ctx,
        headers: Header<DocumentHeaders>,
    ) -> Result<HttpResponseOk<DocumentResponse>, StatusMessage> {
        let bmm = rqctx.context();
        let account = bmm.authenticate(&rqctx).await?;
        let id = headers.into_inner().bmm_doc_id;
        Ok(HttpResponseOk(bmm.document(account, id).await?))
    }

    async fn query_documents(
        rqctx: Ctx,
        body: TypedBody<QueryRequest>,
    ) -> Result<HttpResponseOk<QueryResponse>, StatusMessage> {
        let bmm = rqctx.context();
        let account = bmm.authenticate(&rqctx).await?;
        Ok(HttpResponseOk(bmm.query(account, body.into_inner()).await?))
    }

    async fn search_faces(
        rqctx: Ctx,
        body: TypedBody<FaceSearchRequest>,
    ) -> Result<HttpResponseOk<FaceSearchResponse>, StatusMessage> {
        let bmm = rqctx.context();
        let account = bmm.authenticate(&rqctx).await?;
        Ok(HttpResponseOk(
            bmm.search_faces(account, body.into_inner()).await?,
        ))
    }

    async fn run_nettest(rqctx: Ctx) -> Result<HttpResponseOk<NettestResponse>, StatusMessage> {
        let bmm = rqctx.context();
        Ok(HttpResponseOk(
            super::upstream::nettest(
                &bmm.http,
                &bmm.config.nettest_target,
                bmm.config.nettest_timeout(),
            )
            .await,
        ))
    }
}
