//! quartet's OAuth 2.0 token service: RS256 signing keys (generated on first
//! start, kept in the database, rotated with `quartet admin`), registered
//! clients (secrets hashed with Argon2id, or a certificate for mTLS clients),
//! issuing client-credentials access tokens and verifying them locally.
//!
//! BitMind serves the token endpoint; any surface that accepts these bearer
//! tokens verifies them with [`TokenService::verify`].

pub mod certs;
pub mod clients;
pub mod keys;
pub mod tokens;

pub use certs::{thumbprint_of_header, CertError};
pub use clients::{Client, ClientStore};
pub use keys::Keyring;
pub use tokens::{Claims, TokenService, VerifyError};

/// Schema migrations of the token service.
pub const MIGRATIONS: [(&str, i64, &str); 1] = [(
    "oauth",
    1,
    "CREATE TABLE oauth_signing_keys (
         kid TEXT PRIMARY KEY,
         pkcs8_der BLOB NOT NULL,
         created_at INTEGER NOT NULL,
         retired_at INTEGER
     );
     CREATE TABLE oauth_clients (
         id TEXT PRIMARY KEY,
         secret_hash TEXT,
         cert_thumbprint TEXT,
         scopes TEXT NOT NULL,
         tier TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         revoked_at INTEGER,
         CHECK ((secret_hash IS NULL) <> (cert_thumbprint IS NULL))
     );",
)];

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
