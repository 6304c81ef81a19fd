//! Wire types of the Brookmimir surface.
//!
//! Every type here is named after its component schema in
//! `openapi/brookmimir.yaml`. The error envelope, `StatusMessage`, lives in
//! [`super::error`] because it also implements `dropshot::HttpResponseError`.

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Default number of hits `POST /query` returns when `size` is absent.
pub const QUERY_DEFAULT_SIZE: i64 = 10;
/// Largest `size` `POST /query` accepts.
pub const QUERY_MAX_SIZE: i64 = 100;
/// Largest `from`: with `size` at most 100, no page reaches beyond the 10000th hit
/// (Elasticsearch's default result window).
pub const QUERY_MAX_FROM: i64 = 9_900;
/// Default number of matches `POST /face/search` asks for when `top_k` is absent.
pub const FACE_DEFAULT_TOP_K: i64 = 3;
/// Largest `top_k` `POST /face/search` accepts.
pub const FACE_MAX_TOP_K: i64 = 10;
/// Largest decoded image `POST /face/search` accepts, in bytes (5 MiB).
pub const FACE_MAX_IMAGE_BYTES: i64 = 5 * 1024 * 1024;
/// Request body cap of `POST /query`, in bytes (64 KiB); larger bodies get 413.
pub const QUERY_BODY_MAX_BYTES: usize = 64 * 1024;
/// Request body cap of `POST /face/search`, in bytes (7 MiB, room for a 5 MiB
/// image in base64 plus the JSON around it); larger bodies get 413.
pub const FACE_BODY_MAX_BYTES: usize = 7 * 1024 * 1024;
/// Name of the Elasticsearch-style index the demo corpus is served from.
pub const DOCUMENT_INDEX: &str = "bmm-documents";
/// Version string `GET /version` reports.
pub const API_VERSION: &str = "1.0.0";
/// Query clauses `POST /query` understands; anything else is rejected with 400.
pub const SUPPORTED_QUERY_CLAUSES: [&str; 9] = [
    "match_all",
    "match",
    "match_phrase",
    "multi_match",
    "term",
    "terms",
    "range",
    "bool",
    "ids",
];

/// Answer of `GET /version`: the deployed API version.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct VersionResponse {
    /// Always 200.
    pub status: i64,
    /// Semantic version of the API contract.
    pub version: String,
}

/// Answer of `GET /profile`: a fixed demo profile.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct UserProfileResponse {
    /// Always 200.
    pub status: i64,
    /// Always "User Profile".
    pub message: String,
    /// The demo user.
    pub user: UserInfo,
}

/// The demo user shown by `GET /profile`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct UserInfo {
    /// Display name.
    pub name: String,
    /// Age in years.
    pub age: i64,
}

/// Answer of `GET /credits`: the caller's remaining balance.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CreditResponse {
    /// Always 200.
    pub status: i64,
    /// Always "Credits retrieved".
    pub message: String,
    /// Credits left on the key; at least 1 (a zero balance is answered with 402).
    pub current_balance: i64,
}

/// Header parameters of `GET /document`.
///
/// `x-api-key` is deliberately absent: it is a security scheme, read by the
/// server's auth helper, not an extractor parameter.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DocumentHeaders {
    /// Identifier of the document to fetch, e.g. `DOC-1000001`.
    #[serde(rename = "bmm-doc-id")]
    pub bmm_doc_id: String,
}

/// One record of the Brookmimir corpus.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Document {
    /// Stable identifier (also the hit's `_id`), e.g. `DOC-1000001`.
    pub id: String,
    /// Headline of the record.
    pub title: String,
    /// Short abstract, a sentence or two.
    pub summary: String,
    /// Full text of the record.
    pub content: String,
    /// Publisher or register the record was taken from.
    pub source: String,
    /// Where the original can be read, when it is public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Publication time (RFC 3339, UTC).
    pub published_at: String,
    /// ISO 639-1 language code of `content`.
    pub language: String,
    /// ISO 3166-1 alpha-2 country code the record concerns, or `EU` / `INTL`.
    pub jurisdiction: String,
    /// Lowercase keywords for filtering.
    pub tags: Vec<String>,
}

/// Answer of `GET /document`: an Elasticsearch-client style wrapper.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DocumentResponse {
    /// Always 200.
    #[serde(rename = "statusCode")]
    pub status_code: i64,
    /// The document, in the shape of an Elasticsearch get-document answer.
    pub body: EsGetResult,
}

/// Elasticsearch get-document shape around one [`Document`].
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct EsGetResult {
    /// Index the document lives in.
    #[serde(rename = "_index")]
    pub index: String,
    /// Document identifier (same as `_source.id`).
    #[serde(rename = "_id")]
    pub id: String,
    /// Always true: a missing document is answered with 404 instead.
    pub found: bool,
    /// The stored document.
    #[serde(rename = "_source")]
    pub source: Document,
}

/// Body of `POST /query`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct QueryRequest {
    /// What to search for: a plain text or an Elasticsearch query DSL object.
    pub query: QueryInput,
    /// Number of hits to return (1..=100, default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub size: Option<i64>,
    /// Number of hits to skip, for paging (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 9900))]
    pub from: Option<i64>,
}

/// A search: free text, or a query DSL object.
///
/// The server reads the DSL as JSON and checks each clause itself (to name the
/// clause in its 400s), so the schema of what it accepts is declared by hand in
/// `query_dsl.schema.json`, which the drift check holds to the document.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum QueryInput {
    /// Free text, searched in `title`, `summary` and `content`.
    Text(String),
    /// An Elasticsearch query DSL object with exactly one top-level clause.
    Dsl(Map<String, Value>),
}

/// The hand-declared schemas of the query DSL, by name.
fn query_dsl_schemas() -> Map<String, Value> {
    serde_json::from_str(include_str!("query_dsl.schema.json"))
        .expect("query_dsl.schema.json is a JSON object")
}

fn schema_of(value: &Value) -> Schema {
    serde_json::from_value(value.clone()).expect("query_dsl.schema.json holds JSON Schemas")
}

impl JsonSchema for QueryInput {
    fn schema_name() -> String {
        "QueryInput".to_owned()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let schemas = query_dsl_schemas();
        for (name, schema) in &schemas {
            if name != "QueryInput" {
                gen.definitions_mut()
                    .insert(name.clone(), schema_of(schema));
            }
        }
        schema_of(&schemas["QueryInput"])
    }
}

/// Answer of `POST /query`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct QueryResponse {
    /// Always 200.
    pub status: i64,
    /// The search backend's answer.
    pub resp: EsSearchResponse,
}

/// Elasticsearch-client style wrapper around a search result.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct EsSearchResponse {
    /// Always 200.
    #[serde(rename = "statusCode")]
    pub status_code: i64,
    /// The search result, in Elasticsearch `_search` shape.
    pub body: EsSearchResult,
}

/// Elasticsearch `_search` answer.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct EsSearchResult {
    /// Time the search took, in milliseconds.
    pub took: i64,
    /// Always false: searches run to completion.
    pub timed_out: bool,
    /// The matching documents.
    pub hits: EsHits,
}

/// The hits section of a search answer.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct EsHits {
    /// How many documents matched in total (not just this page).
    pub total: EsTotalHits,
    /// Highest `_score` among all matches; always present, null when nothing matched.
    #[schemars(required, schema_with = "nullable_double")]
    pub max_score: Option<f64>,
    /// This page of matches, best first.
    pub hits: Vec<EsHit>,
}

/// Total number of matches.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct EsTotalHits {
    /// Number of matching documents.
    pub value: i64,
    /// Whether `value` is exact.
    pub relation: EsTotalRelation,
}

/// Whether a total is exact (`eq`) or a lower bound (`gte`).
// The variants carry no doc comments on purpose: schemars would turn them into
// a `oneOf` of one-value enums instead of a plain string enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum EsTotalRelation {
    Eq,
    Gte,
}

/// One matching document.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct EsHit {
    /// Index the document lives in.
    #[serde(rename = "_index")]
    pub index: String,
    /// Document identifier; pass it as `bmm-doc-id` to `GET /document`.
    #[serde(rename = "_id")]
    pub id: String,
    /// Relevance score; 1.0 for clauses that only filter.
    #[serde(rename = "_score")]
    pub score: f64,
    /// The stored document.
    #[serde(rename = "_source")]
    pub source: StoredDocument,
}

/// A [`Document`] in the JSON form the corpus stores (written from a `Document`),
/// answered as it is: a hit is not decoded and encoded again on every query.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredDocument(Box<serde_json::value::RawValue>);

impl StoredDocument {
    /// The serialised [`Document`] `json`; `None` if it is not JSON.
    pub fn from_json(json: String) -> Option<Self> {
        serde_json::value::RawValue::from_string(json)
            .ok()
            .map(Self)
    }

    /// Its JSON text.
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

impl From<&Document> for StoredDocument {
    fn from(d: &Document) -> Self {
        Self(serde_json::value::to_raw_value(d).expect("documents serialise"))
    }
}

/// Described as the [`Document`] it holds.
impl JsonSchema for StoredDocument {
    fn schema_name() -> String {
        Document::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        Document::schema_id()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        Document::json_schema(gen)
    }
}

/// Body of `POST /face/search`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FaceSearchRequest {
    /// The probe image (JPEG or PNG), standard base64; at most 5 MiB decoded.
    #[schemars(length(min = 1))]
    pub image_base64: String,
    /// How many matches to return (1..=10, default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub top_k: Option<i64>,
}

/// Answer of `POST /face/search`, relayed from the face-search service.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FaceSearchResponse {
    /// Always 200.
    pub status: i64,
    /// Matches, best first; empty when no face is similar enough.
    pub matches: Vec<FaceMatch>,
}

/// One face match.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FaceMatch {
    /// Corpus document the matching face belongs to.
    pub doc_id: String,
    /// Similarity reported by the face-search service, usually 0..1.
    pub confidence: f64,
    /// URL of the matching face image, when the service provides one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_file: Option<String>,
    /// Extra facts the face-search service reports, passed through unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
}

/// Answer of `GET /nettest`: whether the server can reach the outside world.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct NettestResponse {
    /// Always 200, whatever the probe's outcome.
    pub status: i64,
    /// True when the target answered with any HTTP status in time.
    pub ok: bool,
    /// URL that was probed.
    pub target: String,
    /// HTTP status the target answered with; absent when it did not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<i64>,
    /// Time spent on the probe, in milliseconds (until failure if it failed).
    pub latency_ms: f64,
    /// Why the probe failed; absent when `ok` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Values of [`NettestResponse::error`].
pub mod nettest_errors {
    /// The target could not be connected to (no route, DNS failure, refused, TLS).
    pub const CONNECTION_FAILED: &str = "connection failed";
    /// The target did not answer within the probe timeout.
    pub const TIMED_OUT: &str = "timed out";
}

/// Schema of a required `Option<f64>`: a double with `nullable: true`.
///
/// schemars drops `nullable` from an `Option` field marked `required`, so the
/// flag is put back by hand.
fn nullable_double(gen: &mut SchemaGenerator) -> Schema {
    let mut schema = gen.subschema_for::<f64>().into_object();
    schema
        .extensions
        .insert("nullable".to_owned(), serde_json::Value::Bool(true));
    Schema::Object(schema)
}
