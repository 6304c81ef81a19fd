//! Conventions shared by every Bitstride resource group: path and pagination
//! parameters, the list envelope, and the gateway's health and readiness bodies.
//!
//! Ids are opaque strings with a type prefix (`proj_`, `model_`, `ds_`,
//! `ftjob_`, `rljob_`, `dep_`, `inv_`, `org_`, `user_`, `key_`); timestamps are
//! Unix seconds (`i64`, UTC).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Path parameter `{id}` of a single resource.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct IdPath {
    /// The resource id, including its type prefix.
    pub id: String,
}

/// Cursor pagination of list operations (newest first).
///
/// Optional query parameters are documented without `nullable` (a query string
/// cannot carry `null`), hence the `schemars(with = ...)` on each field.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListParams {
    /// Page size, 1 to 100; 20 when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "i64", range(min = 1, max = 100))]
    pub limit: Option<i64>,
    /// Id of the last item of the previous page; the page starts after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub after: Option<String>,
}

/// Generates a concrete list envelope `{object: "list", data, has_more}` per item type,
/// so that every list has its own named schema.
macro_rules! list_envelope {
    ($(#[$meta:meta])* $name:ident, $item:ty) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
        pub struct $name {
            /// Always `list`.
            pub object: String,
            /// The items of this page, newest first.
            pub data: Vec<$item>,
            /// True when more items follow; pass the last item's `id` as `after` to get them.
            pub has_more: bool,
        }
    };
}
pub(crate) use list_envelope;

/// The two ways the Bitstride binary can run. `full` serves every route;
/// `gateway` serves only `/health`, `/ready`, `/metrics` and the two chat routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeMode {
    Full,
    Gateway,
}

/// Liveness answer of `GET /health`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct HealthStatus {
    /// Always `ok` when the process answers at all.
    pub status: String,
    /// Runtime mode the server was started in.
    pub mode: RuntimeMode,
    /// Server version (semver).
    pub version: String,
    /// Whole seconds since the server started.
    pub uptime_seconds: i64,
}

/// Readiness answer of `GET /ready` when the server can take traffic.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ReadyStatus {
    /// Always `ready` (a server that is not ready answers 503 `not_ready`).
    pub status: String,
    /// Runtime mode the server was started in.
    pub mode: RuntimeMode,
    /// Result of the database check, `ok` when it passed.
    pub database: String,
    /// Deployments (of every organization) whose backend passed its health probe.
    pub deployments_ready: i64,
    /// Deployments whose backend failed its last health probe.
    pub deployments_failed: i64,
}

/// Reads an optional field that may be absent but not `null`: the documents
/// describe optional fields without `nullable`, so an explicit `null` is refused
/// (`invalid_json`) rather than read as "absent". Use with `#[serde(default)]`.
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// The members of a JSON object a wire type does not name. A flattened field of
/// this type makes serde read the type from a JSON object only: an array (which
/// serde would otherwise accept for a struct, field by field) is refused.
pub type ObjectOnly = serde_json::Map<String, serde_json::Value>;
