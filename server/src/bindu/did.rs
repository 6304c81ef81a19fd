//! The agent's identity (an Ed25519 key and a `did:bindu:…` DID, made on first
//! start and kept in the database, its seed sealed), artifact signatures, and
//! the verification of callers' DID request signatures.

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use quartet_api::bindu::{DidDocument, VerificationMethod, VerificationMethodType};
use sha2::{Digest as _, Sha256};

use crate::platform::storage::{Db, DbError};
use crate::platform::Sealer;

/// The purpose the agent's seed is sealed under (its row: the identity's name, `agent`).
pub const SEALED_PURPOSE: &str = "bindu.identity";

/// The name of the agent's identity row.
const NAME: &str = "agent";

fn seal_seed(sealer: &Sealer, seed: &[u8; 32]) -> Vec<u8> {
    sealer.seal(SEALED_PURPOSE, NAME, seed).into_bytes()
}

/// How far `X-DID-Timestamp` may be from the server clock, in seconds.
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;

/// The agent's key and the facts its DID is made of.
#[derive(Clone)]
pub struct Identity {
    /// The agent id (a UUID), the DID's last segment and the card's `id`.
    pub agent_id: String,
    /// When the identity was made (Unix seconds).
    pub created_at: i64,
    key: SigningKey,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("agent_id", &self.agent_id)
            .field("public_key", &self.public_key_base58())
            .finish()
    }
}

/// The agent id upstream Bindu derives from a key: the first 16 bytes of the
/// SHA-256 of the public key, written as a UUID.
fn agent_id_of(key: &SigningKey) -> String {
    let digest = Sha256::digest(key.verifying_key().as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// Upstream's DID segment rule: lower case, spaces to `_`, `@` to `_at_`, `.` to `_`.
pub fn sanitize(segment: &str) -> String {
    segment
        .to_lowercase()
        .replace(' ', "_")
        .replace('@', "_at_")
        .replace('.', "_")
}

impl Identity {
    /// An identity from a 32-byte seed.
    pub fn from_seed(seed: [u8; 32], agent_id: Option<String>, created_at: i64) -> Self {
        let key = SigningKey::from_bytes(&seed);
        Self {
            agent_id: agent_id.unwrap_or_else(|| agent_id_of(&key)),
            created_at,
            key,
        }
    }

    /// The identity stored in `db`, made (once, even with several instances
    /// starting together) if there is none.
    pub async fn load_or_create(db: &Db, sealer: &Sealer) -> Result<Self, DbError> {
        if let Some(found) = Self::load(db, sealer).await? {
            return Ok(found);
        }
        let seed: [u8; 32] = rand::random();
        let made = Self::from_seed(seed, None, crate::platform::storage::now());
        sqlx::query(
            "INSERT INTO bindu_identity (name, agent_id, seed, created_at) VALUES ('agent', $1, $2, $3)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&made.agent_id)
        .bind(seal_seed(sealer, &seed))
        .bind(made.created_at)
        .execute(&mut *db.conn().await?)
        .await?;
        Self::load(db, sealer)
            .await?
            .ok_or_else(|| DbError::Corrupt("the agent identity vanished after insert".into()))
    }

    async fn load(db: &Db, sealer: &Sealer) -> Result<Option<Self>, DbError> {
        let row: Option<(String, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT agent_id, seed, created_at FROM bindu_identity WHERE name = 'agent'",
        )
        .fetch_optional(&mut *db.conn().await?)
        .await?;
        row.map(|(agent_id, stored, created_at)| {
            let sealed = String::from_utf8(stored)
                .map_err(|_| DbError::Corrupt("the agent seed is not sealed".into()))?;
            let seed: [u8; 32] = sealer
                .open(SEALED_PURPOSE, NAME, &sealed)?
                .try_into()
                .map_err(|_| DbError::Corrupt("the agent seed is not 32 bytes".into()))?;
            Ok(Self::from_seed(seed, Some(agent_id), created_at))
        })
        .transpose()
    }

    /// Replaces the stored identity (`quartet admin bindu identity import`).
    pub async fn store(&self, db: &Db, sealer: &Sealer) -> Result<(), DbError> {
        let mut conn = db.conn().await?;
        sqlx::query("DELETE FROM bindu_identity WHERE name = 'agent'")
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO bindu_identity (name, agent_id, seed, created_at) VALUES ('agent', $1, $2, $3)",
        )
        .bind(&self.agent_id)
        .bind(seal_seed(sealer, &self.key.to_bytes()))
        .bind(self.created_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The public key, base58.
    pub fn public_key_base58(&self) -> String {
        bs58::encode(self.key.verifying_key().as_bytes()).into_string()
    }

    /// The DID: `did:bindu:<author>:<agent name>:<agent id>`.
    pub fn did(&self, author: &str, name: &str) -> String {
        format!(
            "did:bindu:{}:{}:{}",
            sanitize(author),
            sanitize(name),
            self.agent_id
        )
    }

    /// The base58 Ed25519 signature of `text` (its UTF-8 bytes).
    pub fn sign(&self, text: &str) -> String {
        self.sign_bytes(text.as_bytes())
    }

    /// The base58 Ed25519 signature of `bytes` (webhook deliveries).
    pub fn sign_bytes(&self, bytes: &[u8]) -> String {
        bs58::encode(self.key.sign(bytes).to_bytes()).into_string()
    }

    /// The DID document of `did`.
    pub fn document(&self, did: &str) -> DidDocument {
        DidDocument {
            context: vec![
                "https://www.w3.org/ns/did/v1".into(),
                "https://getbindu.com/ns/v1".into(),
            ],
            id: did.to_owned(),
            created: rfc3339_seconds(self.created_at),
            authentication: vec![VerificationMethod {
                id: format!("{did}#key-1"),
                kind: VerificationMethodType::Ed25519VerificationKey2020,
                controller: did.to_owned(),
                public_key_base58: self.public_key_base58(),
            }],
        }
    }
}

/// `2026-11-02T09:00:00.000000+00:00` for Unix seconds.
pub fn rfc3339_seconds(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string()
}

/// Python's `json.dumps` of one string with `ensure_ascii=True`: quotes, the
/// short escapes, `\u00XX` for other control characters and `\uXXXX` (UTF-16,
/// lower-case hex) for everything outside ASCII.
pub fn python_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e && (c as u32) != 0x7f => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The bytes a DID request signature covers: Python's
/// `json.dumps({"body": body, "did": did, "timestamp": ts}, sort_keys=True)`.
pub fn signed_payload(body: &str, did: &str, timestamp: i64) -> String {
    format!(
        "{{\"body\": {}, \"did\": {}, \"timestamp\": {timestamp}}}",
        python_json_string(body),
        python_json_string(did)
    )
}

/// Why a signature does not verify (the `reason` of -32012).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureFault {
    /// The key or signature is not base58 of the right length.
    Malformed,
    /// Well formed, but not a signature of the payload by the key.
    Mismatch,
}

/// Checks `signature` (base58) of `payload` by `public_key` (base58).
pub fn verify(public_key: &str, payload: &str, signature: &str) -> Result<(), SignatureFault> {
    let key: [u8; 32] = bs58::decode(public_key)
        .into_vec()
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or(SignatureFault::Malformed)?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| SignatureFault::Malformed)?;
    let sig: [u8; 64] = bs58::decode(signature)
        .into_vec()
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or(SignatureFault::Malformed)?;
    key.verify(payload.as_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| SignatureFault::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: [u8; 32] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        25, 26, 27, 28, 29, 30, 31,
    ];
    const DID: &str =
        "did:bindu:alice_at_example_com:test_agent:00000000-0000-0000-0000-0000000000aa";

    #[test]
    fn the_documented_vectors_hold() {
        let id = Identity::from_seed(SEED, None, 0);
        assert_eq!(
            id.public_key_base58(),
            "FAe4sisG95oZ42w7buUn5qEE4TAnfTTFPiguZUHmhiF"
        );
        let body = r#"{"jsonrpc": "2.0", "method": "tasks/list", "id": "00000000-0000-0000-0000-000000000001", "params": {}}"#;
        let payload = signed_payload(body, DID, 1776607158);
        assert_eq!(
            payload,
            r#"{"body": "{\"jsonrpc\": \"2.0\", \"method\": \"tasks/list\", \"id\": \"00000000-0000-0000-0000-000000000001\", \"params\": {}}", "did": "did:bindu:alice_at_example_com:test_agent:00000000-0000-0000-0000-0000000000aa", "timestamp": 1776607158}"#
        );
        let sig = id.sign(&payload);
        assert_eq!(sig, "5fjrbazALM7xmSu1Pj6K7hKnRdbRcywtRmW2rMyQPRgRySpG1KqDQB7THbhDFggx8i3MDK4ZhHSsTr6rxDVZMaZ2");
        assert_eq!(verify(&id.public_key_base58(), &payload, &sig), Ok(()));

        let payload = signed_payload("{\"t\": \"hëllo\"}", DID, 1776607158);
        assert!(payload.starts_with(r#"{"body": "{\"t\": \"h\u00ebllo\"}", "did""#));
        assert_eq!(id.sign(&payload), "2C4MoRoN95cfcU5iWgWDoA5PfdSngAJtV1w9xKcaCvis56ygJtJjwHfrcWbAi4dRdpzbyb96D9ihXTys3h2ESWjX");
        assert_eq!(id.sign("Paris."), "53A9GnAbw1qcRUhH8YXRDDabUCds3rhygJQrQ2Sthakd7KrUS8NAb4J778YCXuivhYLQEXJrYdj3QP28s7xKu1XM");
    }

    #[test]
    fn the_upstream_fixture_signature_verifies() {
        assert_eq!(
            verify(
                "7dNzT2ZzYKsibUFirPVWZheh2TGKZuy3fGdCkcq2f2RM",
                "hello from dry-run",
                "5kyvg2qwU2xCSSGYrkEYQLF3N48mPVfRJQhSGvmomFXs3GzEZuzu9TWuiH8XEa1p3HTqorK1oMTPAN3dSpa4KtXs"
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                "7dNzT2ZzYKsibUFirPVWZheh2TGKZuy3fGdCkcq2f2RM",
                "hello from dry-run!",
                "5kyvg2qwU2xCSSGYrkEYQLF3N48mPVfRJQhSGvmomFXs3GzEZuzu9TWuiH8XEa1p3HTqorK1oMTPAN3dSpa4KtXs"
            ),
            Err(SignatureFault::Mismatch)
        );
    }

    #[test]
    fn python_escapes_are_reproduced() {
        assert_eq!(
            python_json_string("a\"b\\c\n\u{1}é😀\u{7f}"),
            "\"a\\\"b\\\\c\\n\\u0001\\u00e9\\ud83d\\ude00\u{7f}\""
        );
        assert_eq!(sanitize("Alice@Example.com"), "alice_at_example_com");
    }
}
