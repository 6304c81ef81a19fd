//! BitMind's storage: legacy organization API keys, `enterprise-<id>.<secret>`,
//! valid until revoked, as platform credentials of kind `bitmind-org-key` (the
//! SHA-256 of the secret is stored; the tier is an attribute). OAuth clients
//! and signing keys belong to the shared token service.

use std::sync::Arc;

use serde::Serialize;

use crate::platform::cached_credentials::CachedCredentials;
use crate::platform::changes::Changes;
use crate::platform::credentials::{Credential, CredentialStore, Lookup, NewCredential};
use crate::platform::oauth::clients::is_client_id;
use crate::platform::secrets::{random_hex, random_secret};
use crate::platform::{Db, DbError, Migration};

/// The credential kind of organization keys.
pub const ORG_KEY_KIND: &str = "bitmind-org-key";

/// Schema migrations of the BitMind surface.
pub const MIGRATIONS: [Migration; 2] = [
    Migration {
        owner: "bitmind",
        version: 1,
        // The first SQLite schema kept organization keys in a table of their own.
        sqlite: "CREATE TABLE bitmind_org_keys (
                     id TEXT PRIMARY KEY,
                     secret_sha256 BLOB NOT NULL,
                     scopes TEXT NOT NULL,
                     tier TEXT NOT NULL,
                     created_at INTEGER NOT NULL,
                     revoked_at INTEGER
                 );",
        postgres: "SELECT 1;",
    },
    Migration {
        owner: "bitmind",
        version: 2,
        sqlite: "INSERT INTO credentials
                     (id, kind, secret_hash, prefix, scopes, attributes, created_at, revoked_at)
                     SELECT id, 'bitmind-org-key', secret_sha256, substr(id, 1, 8), scopes,
                            json_object('tier', tier), created_at, revoked_at
                     FROM bitmind_org_keys;
                 DROP TABLE bitmind_org_keys;",
        postgres: "SELECT 1;",
    },
];

/// An organization key as listed (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct OrgKey {
    /// 32 lowercase hex characters; shown as `client_id` on `/status`.
    pub id: String,
    /// Granted permissions.
    pub scopes: Vec<String>,
    /// Commercial tier.
    pub tier: String,
    /// Creation time.
    pub created_at: i64,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
}

impl From<Credential> for OrgKey {
    fn from(c: Credential) -> Self {
        Self {
            tier: c
                .attributes
                .get("tier")
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_owned(),
            id: c.id,
            scopes: c.scopes,
            created_at: c.created_at,
            revoked_at: c.revoked_at,
        }
    }
}

/// What a presented key turned out to be.
#[derive(Debug)]
pub enum KeyLookup {
    /// A live key.
    Valid(OrgKey),
    /// A key that was revoked.
    Revoked,
    /// Not a key we issued.
    Unknown,
}

/// Storage of organization keys.
#[derive(Clone)]
pub struct OrgKeyStore {
    keys: CredentialStore,
    presented: CachedCredentials,
}

impl OrgKeyStore {
    /// The organization keys in `db`; lookups are answered from memory when
    /// `changes` (a serving process's change feed) keeps them current.
    pub fn new(db: Db, changes: Option<&Arc<Changes>>) -> Self {
        let keys = CredentialStore::new(db, ORG_KEY_KIND);
        Self {
            presented: CachedCredentials::new(keys.clone(), changes),
            keys,
        }
    }

    /// Looks up the credential after `enterprise-`: `<id>.<secret>`.
    pub async fn lookup(&self, presented: &str) -> Result<KeyLookup, DbError> {
        let Some((id, secret)) = presented.split_once('.') else {
            return Ok(KeyLookup::Unknown);
        };
        if !is_client_id(id) {
            return Ok(KeyLookup::Unknown);
        }
        Ok(match &*self.presented.authenticate(secret).await? {
            Lookup::Valid(c) if c.id == id => KeyLookup::Valid(c.clone().into()),
            Lookup::Revoked(c) | Lookup::Expired(c) if c.id == id => KeyLookup::Revoked,
            _ => KeyLookup::Unknown,
        })
    }

    /// Creates a key; returns it and the full credential (`<id>.<secret>`, shown once).
    pub async fn create(
        &self,
        id: Option<String>,
        scopes: &[String],
        tier: &str,
    ) -> Result<(OrgKey, String), DbError> {
        let id = id.unwrap_or_else(|| random_hex(16));
        let secret = random_secret();
        let mut attributes = serde_json::Map::new();
        attributes.insert("tier".into(), tier.into());
        let created = self
            .keys
            .create(NewCredential {
                id: id.clone(),
                secret: secret.clone(),
                scopes: scopes.to_vec(),
                attributes,
                ..Default::default()
            })
            .await?;
        Ok((OrgKey::from(created), format!("{id}.{secret}")))
    }

    /// Revokes a key; `false` if there is no such unrevoked key.
    pub async fn revoke(&self, id: &str) -> Result<bool, DbError> {
        self.keys.revoke(id, None).await
    }

    /// Every key, oldest first.
    pub async fn list(&self) -> Result<Vec<OrgKey>, DbError> {
        Ok(self
            .keys
            .list(None)
            .await?
            .into_iter()
            .map(OrgKey::from)
            .collect())
    }
}
