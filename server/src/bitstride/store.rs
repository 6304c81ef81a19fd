//! Bitstride's tables and the helpers every resource store shares: ids,
//! ordering keys, and cursor pagination over "newest first" lists.
//!
//! Every row that belongs to a tenant carries `org_id`, and every query of a
//! resource filters on it: another organization's id reads as "not found".
//! API keys are not here: they are platform credentials of kind
//! [`KEY_KIND`] whose owner is the organization.

use quartet_api::bitstride::{messages, ErrorCode, ErrorEnvelope, ListParams};

use crate::platform::sealing::SealedColumn;
use crate::platform::secrets::random_hex;
use crate::platform::{DbError, Migration};

/// The credential kind of Bitstride API keys.
pub const KEY_KIND: &str = "bitstride-key";

const TABLES: &str = "
CREATE TABLE bitstride_orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    billing_email TEXT,
    owner_user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE bitstride_users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    password_hash TEXT,
    email_verified BIGINT NOT NULL DEFAULT 0,
    mfa_secret TEXT,
    mfa_pending_secret TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE bitstride_recovery_codes (
    user_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE bitstride_sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_reason TEXT
);
CREATE INDEX bitstride_sessions_user ON bitstride_sessions (user_id);
CREATE TABLE bitstride_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX bitstride_refresh_session ON bitstride_refresh_tokens (session_id);
CREATE TABLE bitstride_mfa_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT
);
CREATE TABLE bitstride_login_failures (
    email TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE bitstride_oauth_states (
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE TABLE bitstride_projects (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    ord BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);
CREATE TABLE bitstride_models (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    base_model TEXT,
    description TEXT,
    project_id TEXT,
    source TEXT NOT NULL,
    artifact_uri TEXT,
    job_id TEXT,
    dataset_id TEXT,
    ord BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX bitstride_models_org ON bitstride_models (org_id, ord);
CREATE TABLE bitstride_datasets (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    project_id TEXT,
    purpose TEXT NOT NULL,
    format TEXT NOT NULL,
    row_format TEXT NOT NULL,
    status TEXT NOT NULL,
    bytes BIGINT,
    row_count BIGINT,
    ord BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX bitstride_datasets_org ON bitstride_datasets (org_id, ord);
CREATE TABLE bitstride_jobs (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    spec TEXT NOT NULL,
    project_id TEXT,
    status TEXT NOT NULL,
    trainer TEXT NOT NULL,
    claimed_by TEXT,
    heartbeat_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    result_model TEXT,
    trained_tokens BIGINT,
    error_code TEXT,
    error_message TEXT,
    ord BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX bitstride_jobs_org ON bitstride_jobs (org_id, kind, ord);
CREATE INDEX bitstride_jobs_status ON bitstride_jobs (status, ord);
CREATE TABLE bitstride_job_events (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    ord BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    level TEXT NOT NULL,
    event_type TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT
);
CREATE INDEX bitstride_job_events_job ON bitstride_job_events (job_id, ord);
CREATE TABLE bitstride_deployments (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    subdomain TEXT NOT NULL UNIQUE,
    endpoint TEXT NOT NULL,
    backend_type TEXT NOT NULL,
    protocol TEXT NOT NULL,
    region TEXT NOT NULL,
    min_replicas BIGINT NOT NULL,
    max_replicas BIGINT NOT NULL,
    concurrency_limit BIGINT NOT NULL,
    capabilities TEXT NOT NULL,
    status TEXT NOT NULL,
    model_id TEXT,
    project_id TEXT,
    probe_error TEXT,
    ord BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX bitstride_deployments_org ON bitstride_deployments (org_id, ord);
CREATE TABLE bitstride_usage (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    model TEXT NOT NULL,
    deployment_id TEXT,
    job_id TEXT,
    credential_id TEXT,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    trained_tokens BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bitstride_usage_org ON bitstride_usage (org_id, created_at);
CREATE TABLE bitstride_invoice_status (
    org_id TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (org_id, period_start)
);
";

/// Schema migrations of this surface (`BIGINT` is an integer on SQLite too).
pub const MIGRATIONS: [Migration; 8] = [
    Migration::portable("bitstride", 1, TABLES),
    Migration {
        owner: "bitstride",
        version: 2,
        // Model weights and dataset files, kept beside their rows.
        sqlite: "CREATE TABLE bitstride_blobs (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, data BLOB NOT NULL);",
        postgres: "CREATE TABLE bitstride_blobs (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, data BYTEA NOT NULL);",
    },
    // The TOTP step of the last code each account used (a code works once).
    Migration::portable(
        "bitstride",
        3,
        "ALTER TABLE bitstride_users ADD COLUMN mfa_last_step BIGINT;",
    ),
    // When the account's email address was proved to belong to it (NULL: never).
    Migration::portable("bitstride", 4, "ALTER TABLE bitstride_users ADD COLUMN email_verified_at BIGINT;"),
    // Single-use tokens mailed to an account (email verification, password reset;
    // only their SHA-256 is kept), and how many of each kind were mailed lately.
    Migration::portable("bitstride", 5, ACCOUNT_TOKENS),
    // External identities (provider, subject) -> account, and link flows bound to a session.
    Migration::portable("bitstride", 6, IDENTITIES),
    // Wrong MFA codes per account, counted across every mfa_token of it.
    Migration::portable(
        "bitstride",
        7,
        "CREATE TABLE bitstride_mfa_failures (
            user_id TEXT PRIMARY KEY,
            failures BIGINT NOT NULL,
            first_at BIGINT NOT NULL,
            locked_until BIGINT NOT NULL DEFAULT 0
        );",
    ),
    // Usage written in the request's path: the caller's end user, and a record
    // that stays `open` (counts updated as a stream flows) until it is closed
    // at the end, or settled by the sweeper when its writer died.
    Migration::portable(
        "bitstride",
        8,
        "ALTER TABLE bitstride_usage ADD COLUMN end_user TEXT;
ALTER TABLE bitstride_usage ADD COLUMN state TEXT NOT NULL DEFAULT 'closed';
ALTER TABLE bitstride_usage ADD COLUMN updated_at BIGINT;
CREATE INDEX bitstride_usage_open ON bitstride_usage (state, updated_at);
CREATE INDEX bitstride_usage_user ON bitstride_usage (org_id, end_user, created_at);",
    ),
];

/// Migration 5: tokens mailed to accounts, and the per-account mail limit.
const ACCOUNT_TOKENS: &str = "
CREATE TABLE bitstride_account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX bitstride_account_tokens_user ON bitstride_account_tokens (user_id, purpose);
CREATE TABLE bitstride_mail_limits (
    user_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    sent BIGINT NOT NULL,
    PRIMARY KEY (user_id, purpose)
);
";

/// Migration 6: external identities. An account has at most one per provider;
/// states of link flows name the account and session that started them.
/// Accounts an OAuth provider created (`email_verified = 1`) count as verified.
const IDENTITIES: &str = "
CREATE TABLE bitstride_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL,
    email TEXT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    PRIMARY KEY (provider, subject),
    UNIQUE (user_id, provider)
);
ALTER TABLE bitstride_oauth_states ADD COLUMN link_user_id TEXT;
ALTER TABLE bitstride_oauth_states ADD COLUMN link_session_id TEXT;
UPDATE bitstride_users SET email_verified_at = created_at
    WHERE email_verified = 1 AND email_verified_at IS NULL;
";

/// Bitstride's sealed columns: the TOTP secret and the pending one of an
/// enrolment, both sealed for the user (the pending one becomes the secret as is).
pub const SEALED: [SealedColumn; 2] = [
    SealedColumn {
        table: "bitstride_users",
        key: "id",
        row: "id",
        column: "mfa_secret",
        purpose: crate::bitstride::mfa::SEALED_PURPOSE,
        bytes: false,
    },
    SealedColumn {
        table: "bitstride_users",
        key: "id",
        row: "id",
        column: "mfa_pending_secret",
        purpose: crate::bitstride::mfa::SEALED_PURPOSE,
        bytes: false,
    },
];

/// A new id: `prefix` + `_` + 16 lowercase hex digits.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_hex(8))
}

/// An ordering key: microseconds since the epoch, so "newest first" holds within a second.
pub fn ord_now() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// The validated page size of a list request.
pub fn page_size(params: &ListParams) -> Result<i64, ErrorEnvelope> {
    match params.limit {
        None => Ok(20),
        Some(n) if (1..=100).contains(&n) => Ok(n),
        Some(_) => Err(ErrorEnvelope::new(
            ErrorCode::InvalidRequest,
            messages::LIMIT_OUT_OF_RANGE,
        )),
    }
}

/// The 400 for an `after` that names no item of the list.
pub fn unknown_after() -> ErrorEnvelope {
    ErrorEnvelope::new(ErrorCode::InvalidRequest, messages::UNKNOWN_AFTER)
}

/// Cuts a page out of `items` (newest first) after the item whose id is `after`.
pub fn page<T>(
    items: Vec<T>,
    params: &ListParams,
    id: impl Fn(&T) -> &str,
) -> Result<(Vec<T>, bool), ErrorEnvelope> {
    let limit = page_size(params)? as usize;
    let start = match &params.after {
        None => 0,
        Some(after) => {
            items
                .iter()
                .position(|i| id(i) == after)
                .ok_or_else(unknown_after)?
                + 1
        }
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let has_more = rest.len() > limit;
    rest.truncate(limit);
    Ok((rest, has_more))
}

/// 400 unless `name` has 1 to 100 characters and is not blank.
pub fn check_name(name: &str) -> Result<(), ErrorEnvelope> {
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(ErrorEnvelope::new(
            ErrorCode::InvalidRequest,
            messages::NAME_LENGTH,
        ));
    }
    Ok(())
}

/// 400 unless `v` (the field `name`) is in `min..=max`.
pub fn check_range(v: i64, min: i64, max: i64, name: &str) -> Result<(), ErrorEnvelope> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(ErrorEnvelope::new(
            ErrorCode::InvalidRequest,
            format!("{name} must be between {min} and {max}"),
        ))
    }
}

/// Every row of `table` owned by `org_id`, newest first, read with `from_row`.
pub async fn org_rows<T>(
    db: &crate::platform::Db,
    table: &str,
    columns: &str,
    org_id: &str,
    from_row: fn(&sqlx::any::AnyRow) -> Result<T, DbError>,
) -> Result<Vec<T>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {columns} FROM {table} WHERE org_id = $1 ORDER BY ord DESC, id DESC"
    )))
    .bind(org_id)
    .fetch_all(&mut *db.conn().await?)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The row `id` of `table` if `org_id` owns it, read with `from_row`.
pub async fn org_row<T>(
    db: &crate::platform::Db,
    table: &str,
    columns: &str,
    org_id: &str,
    id: &str,
    from_row: fn(&sqlx::any::AnyRow) -> Result<T, DbError>,
) -> Result<Option<T>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {columns} FROM {table} WHERE id = $1 AND org_id = $2"
    )))
    .bind(id)
    .bind(org_id)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Deletes the row `id` of `table` if `org_id` owns it, on `conn` (in the
/// caller's transaction, if any); `false` when there was none.
pub async fn delete_org_row(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    org_id: &str,
    id: &str,
) -> Result<bool, DbError> {
    let deleted = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM {table} WHERE id = $1 AND org_id = $2"
    )))
    .bind(id)
    .bind(org_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(deleted == 1)
}

/// Marks the one-time secret whose digest is `hash` (column `key` of `table`) as
/// used; `false` when it was used already (by a concurrent request, say).
pub async fn spend_once(
    db: &crate::platform::Db,
    table: &str,
    key: &str,
    hash: &str,
) -> Result<bool, DbError> {
    let spent = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET used_at = $1 WHERE {key} = $2 AND used_at IS NULL"
    )))
    .bind(crate::platform::storage::now())
    .bind(hash)
    .execute(&mut *db.conn().await?)
    .await?
    .rows_affected();
    Ok(spent == 1)
}

/// The answer to a write that may break a uniqueness rule: `taken` (a 409) for a
/// duplicate, the storage fault otherwise.
pub fn unique_or(e: DbError, taken: &str) -> ErrorEnvelope {
    if e.is_unique_violation() {
        ErrorEnvelope::new(ErrorCode::Conflict, taken)
    } else {
        e.into()
    }
}

/// A stored enum value that does not parse: corrupt data, never the caller's fault.
pub fn corrupt(what: &str, value: &str) -> DbError {
    DbError::Corrupt(format!("{what}: unexpected value {value:?}"))
}

/// Parses a snake_case enum stored as text.
pub fn parse_enum<T: serde::de::DeserializeOwned>(what: &str, value: &str) -> Result<T, DbError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| corrupt(what, value))
}

/// The snake_case text of an enum value, to store.
pub fn enum_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
