//! The `BrookmimirApi` trait implemented over [`Brookmimir`].

use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use dropshot::{ApiDescription, Header, HttpResponseOk, RequestContext, TypedBody};
use quartet_api::brookmimir::*;

use super::search::QueryError;
use super::store::is_well_formed;
use super::Brookmimir;

/// The Brookmimir API description, ready to serve.
pub fn api() -> ApiDescription<Arc<Brookmimir>> {
    brookmimir_api_mod::api_description::<BrookmimirImpl>()
        .expect("the Brookmimir trait describes a valid API")
}

/// Marker type carrying the trait implementation.
enum BrookmimirImpl {}

type Ctx = RequestContext<Arc<Brookmimir>>;

/// An authenticated key: its row id and the balance when it was checked.
struct Account {
    id: i64,
    balance: i64,
}

impl Brookmimir {
    /// Checks `x-api-key`: present (else 400), 64 hex (else 400), known (else 404).
    async fn authenticate(&self, rqctx: &Ctx) -> Result<Account, StatusMessage> {
        let key = match rqctx.request.headers().get("x-api-key") {
            None => return Err(StatusMessage::bad_request(messages::MISSING_API_KEY)),
            Some(v) => v.to_str().unwrap_or(""),
        };
        if !is_well_formed(key) {
            return Err(StatusMessage::bad_request(messages::MALFORMED_API_KEY));
        }
        match self
            .store
            .find_key(key)
            .await
            .map_err(|e| self.internal(e))?
        {
            Some((id, balance)) => Ok(Account { id, balance }),
            None => Err(StatusMessage::not_found(messages::UNKNOWN_TOKEN)),
        }
    }

    /// Takes one credit, or answers 402 at zero.
    async fn charge(&self, account: &Account) -> Result<(), StatusMessage> {
        if self
            .store
            .charge(account.id)
            .await
            .map_err(|e| self.internal(e))?
        {
            Ok(())
        } else {
            Err(StatusMessage::no_credits())
        }
    }
}

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
        let account = rqctx.context().authenticate(&rqctx).await?;
        if account.balance == 0 {
            return Err(StatusMessage::no_credits());
        }
        Ok(HttpResponseOk(CreditResponse {
            status: 200,
            message: messages::CREDITS_RETRIEVED.to_owned(),
            current_balance: account.balance,
        }))
    }

    async fn get_document(
        rqctx: Ctx,
        headers: Header<DocumentHeaders>,
    ) -> Result<HttpResponseOk<DocumentResponse>, StatusMessage> {
        let bmm = rqctx.context();
        let id = headers.into_inner().bmm_doc_id;
        let account = bmm.authenticate(&rqctx).await?;
        bmm.charge(&account).await?;
        match bmm.store.document(id).await.map_err(|e| bmm.internal(e))? {
            Some(source) => Ok(HttpResponseOk(DocumentResponse {
                status_code: 200,
                body: EsGetResult {
                    index: DOCUMENT_INDEX.to_owned(),
                    id: source.id.clone(),
                    found: true,
                    source,
                },
            })),
            None => Err(StatusMessage::not_found(messages::DOCUMENT_NOT_FOUND)),
        }
    }

    async fn query_documents(
        rqctx: Ctx,
        body: TypedBody<QueryRequest>,
    ) -> Result<HttpResponseOk<QueryResponse>, StatusMessage> {
        let started = Instant::now();
        let bmm = rqctx.context();
        let request = body.into_inner();
        let account = bmm.authenticate(&rqctx).await?;
        let size = request.size.unwrap_or(QUERY_DEFAULT_SIZE);
        if !(1..=QUERY_MAX_SIZE).contains(&size) {
            return Err(StatusMessage::bad_request(
                messages::QUERY_SIZE_OUT_OF_RANGE,
            ));
        }
        let from = request.from.unwrap_or(0);
        if from < 0 {
            return Err(StatusMessage::bad_request(messages::QUERY_FROM_NEGATIVE));
        }
        if from.saturating_add(size) > QUERY_MAX_WINDOW {
            return Err(StatusMessage::bad_request(messages::QUERY_WINDOW_TOO_LARGE));
        }
        let query = bmm.index.compile(&request.query).map_err(|e| match e {
            QueryError::Empty => StatusMessage::bad_request(messages::QUERY_EMPTY),
            other => StatusMessage::bad_request(other.to_string()),
        })?;
        bmm.charge(&account).await?;
        bmm.sync_index().await?;
        let found = bmm
            .index
            .search(
                query.as_ref(),
                usize::try_from(from).unwrap_or(usize::MAX),
                size as usize,
            )
            .map_err(|e| bmm.internal(e))?;
        let max_score = found.hits.iter().map(|h| h.score).reduce(f64::max);
        let hits = found
            .hits
            .into_iter()
            .map(|h| EsHit {
                index: DOCUMENT_INDEX.to_owned(),
                id: h.id,
                score: h.score,
                source: h.source,
            })
            .collect();
        Ok(HttpResponseOk(QueryResponse {
            status: 200,
            resp: EsSearchResponse {
                status_code: 200,
                body: EsSearchResult {
                    took: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
                    timed_out: false,
                    hits: EsHits {
                        total: EsTotalHits {
                            value: found.total as i64,
                            relation: EsTotalRelation::Eq,
                        },
                        max_score,
                        hits,
                    },
                },
            },
        }))
    }

    async fn search_faces(
        rqctx: Ctx,
        body: TypedBody<FaceSearchRequest>,
    ) -> Result<HttpResponseOk<FaceSearchResponse>, StatusMessage> {
        let bmm = rqctx.context();
        let request = body.into_inner();
        let account = bmm.authenticate(&rqctx).await?;
        if request.image_base64.is_empty() {
            return Err(StatusMessage::bad_request(messages::IMAGE_EMPTY));
        }
        let decoded_len = base64::engine::general_purpose::STANDARD
            .decode(request.image_base64.as_bytes())
            .map_err(|_| StatusMessage::bad_request(messages::IMAGE_NOT_BASE64))?
            .len();
        if decoded_len as i64 > FACE_MAX_IMAGE_BYTES {
            return Err(StatusMessage::bad_request(messages::IMAGE_TOO_LARGE));
        }
        let top_k = request.top_k.unwrap_or(FACE_DEFAULT_TOP_K);
        if !(1..=FACE_MAX_TOP_K).contains(&top_k) {
            return Err(StatusMessage::bad_request(messages::TOP_K_OUT_OF_RANGE));
        }
        let Some(url) = bmm.config.face_search_url.as_deref() else {
            return Err(StatusMessage::bad_gateway(messages::FACE_NOT_CONFIGURED));
        };
        bmm.charge(&account).await?;
        let answer = super::upstream::face_search(
            &bmm.http,
            url,
            bmm.config.face_search_timeout,
            &request.image_base64,
            top_k,
        )
        .await;
        if let Err(e) = &answer {
            slog::warn!(bmm.log, "face search failed"; "message" => &e.message);
        }
        Ok(HttpResponseOk(answer?))
    }

    async fn run_nettest(rqctx: Ctx) -> Result<HttpResponseOk<NettestResponse>, StatusMessage> {
        let bmm = rqctx.context();
        Ok(HttpResponseOk(
            super::upstream::nettest(
                &bmm.http,
                &bmm.config.nettest_target,
                bmm.config.nettest_timeout,
            )
            .await,
        ))
    }
}
