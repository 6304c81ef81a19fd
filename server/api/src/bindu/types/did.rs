//! Bindu wire types: DID.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Query of `GET /did/resolve`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DidResolveQuery {
    /// The DID to resolve.
    pub did: String,
}

/// Body of `POST /did/resolve`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DidResolveRequest {
    /// The DID to resolve.
    pub did: String,
}

/// Key type of the agent's verification method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum VerificationMethodType {
    // Ed25519 public key, base58.
    Ed25519VerificationKey2020,
}

/// A public key that verifies the agent's signatures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VerificationMethod {
    /// `<did>#key-1`.
    pub id: String,
    /// Key type.
    #[serde(rename = "type")]
    pub kind: VerificationMethodType,
    /// The DID that controls the key.
    pub controller: String,
    /// 32-byte Ed25519 public key, base58.
    #[serde(rename = "publicKeyBase58")]
    pub public_key_base58: String,
}

/// A W3C DID document for the agent's DID.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DidDocument {
    /// JSON-LD contexts.
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    /// The DID.
    pub id: String,
    /// When the identity was created (RFC 3339).
    pub created: String,
    /// Keys that authenticate as the DID.
    pub authentication: Vec<VerificationMethod>,
}
