//! Searching the corpus and reading one document: validation before the
//! credit is taken, then the search.

use std::time::Instant;

use quartet_api::brookmimir::*;

use super::auth::Account;
use super::search::QueryError;
use super::Brookmimir;
use crate::platform::Fault;

impl Brookmimir {
    /// `POST /query`: validates the page and the DSL, charges, searches.
    pub(super) async fn query(
        &self,
        account: Account,
        request: QueryRequest,
    ) -> Result<QueryResponse, StatusMessage> {
        let started = Instant::now();
        let size = request.size.unwrap_or(QUERY_DEFAULT_SIZE);
        if !(1..=QUERY_MAX_SIZE).contains(&size) {
            return Err(StatusMessage::bad_request(
                messages::QUERY_SIZE_OUT_OF_RANGE,
            ));
        }
        let from = request.from.unwrap_or(0);
        if !(0..=QUERY_MAX_FROM).contains(&from) {
            return Err(StatusMessage::bad_request(
                messages::QUERY_FROM_OUT_OF_RANGE,
            ));
        }
        let query = self.index.compile(&request.query).map_err(|e| match e {
            QueryError::Empty => StatusMessage::bad_request(messages::QUERY_EMPTY),
            other => StatusMessage::bad_request(other.to_string()),
        })?;
        self.charge(&account).await?;
        let found = self
            .index
            .search(
                query.as_ref(),
                usize::try_from(from).unwrap_or(usize::MAX),
                size as usize,
            )
            .map_err(Fault::internal)?;
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
        Ok(QueryResponse {
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
        })
    }

    /// `GET /document`: charges, then reads the document by id.
    pub(super) async fn document(
        &self,
        account: Account,
        id: String,
    ) -> Result<DocumentResponse, StatusMessage> {
        self.charge(&account).await?;
        match self.store.document(&id).await? {
            Some(source) => Ok(DocumentResponse {
                status_code: 200,
                body: EsGetResult {
                    index: DOCUMENT_INDEX.to_owned(),
                    id: source.id.clone(),
                    found: true,
                    source,
                },
            }),
            None => Err(StatusMessage::not_found(messages::DOCUMENT_NOT_FOUND)),
        }
    }
}
