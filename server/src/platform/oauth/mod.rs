//! quartet's OAuth 2.0 token service, shared by every surface that accepts its
//! tokens: RS256 signing keys (made on first use, kept in the database, rotated
//! with `quartet admin`), registered clients (secrets hashed with Argon2id, or a
//! certificate for mTLS clients), client-credentials access tokens, and their
//! local verification.
//!
//! It is built once at start-up ([`TokenService`]) from a [`TokenPolicy`]. Each
//! client carries its own scopes and audiences, so a token made for one surface
//! (BitMind, Bindu) is refused by another.

pub mod certs;
pub mod clients;
pub mod keys;
pub mod tokens;

pub use certs::{thumbprint_of_header, CertError};
pub use clients::{Client, ClientStore, NewClient};
pub use keys::Keyring;
pub use tokens::{Audience, Claims, Confirmation, TokenPolicy, TokenService, VerifyError};

use super::storage::Migration;

/// Schema migrations of the token service.
pub const MIGRATIONS: [Migration; 2] = [
    Migration {
        owner: "oauth",
        version: 1,
        sqlite: "CREATE TABLE oauth_signing_keys (
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
        postgres: "CREATE TABLE oauth_signing_keys (
                       kid TEXT PRIMARY KEY,
                       pkcs8_der BYTEA NOT NULL,
                       created_at BIGINT NOT NULL,
                       retired_at BIGINT
                   );
                   CREATE TABLE oauth_clients (
                       id TEXT PRIMARY KEY,
                       secret_hash TEXT,
                       cert_thumbprint TEXT,
                       scopes TEXT NOT NULL,
                       tier TEXT NOT NULL,
                       created_at BIGINT NOT NULL,
                       revoked_at BIGINT,
                       CHECK ((secret_hash IS NULL) <> (cert_thumbprint IS NULL))
                   );",
    },
    // Audiences per client (empty: the policy's default audience), and attributes a
    // surface keeps about its clients (a DID's public key, say). Clients that prove
    // who they are by other means than a secret or a certificate are allowed.
    Migration {
        owner: "oauth",
        version: 2,
        sqlite: "ALTER TABLE oauth_clients ADD COLUMN audiences TEXT NOT NULL DEFAULT '';
                 ALTER TABLE oauth_clients ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';",
        postgres: "ALTER TABLE oauth_clients ADD COLUMN audiences TEXT NOT NULL DEFAULT '';
                   ALTER TABLE oauth_clients ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';",
    },
];
