//! The local check of an x402 `exact` EVM payment: the EIP-3009
//! `TransferWithAuthorization` the payer signed (EIP-712 typed data) is hashed
//! here, its signer recovered, and its terms compared with what this agent asks,
//! so that a forged or tampered payload is refused before the facilitator is
//! asked. The facilitator still verifies balances and the chain's view.

use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use k256::elliptic_curve::scalar::IsHigh as _;
use serde_json::Value;
use sha3::{Digest as _, Keccak256};

/// Why an authorization is refused; the text goes into the 402's `error`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthorizationError {
    /// A field is missing or not of its form.
    #[error("the authorization's {0} is missing or malformed")]
    Malformed(&'static str),
    /// The configured network is not an `eip155:<chain id>` network.
    #[error("the network {0} is not an EVM network")]
    Network(String),
    /// The signature does not recover to `authorization.from`.
    #[error("the signature is not the payer's")]
    WrongSigner,
    /// `authorization.to` is not the configured pay-to address.
    #[error("the authorization pays another address")]
    OtherPayee,
    /// `authorization.value` is below the price.
    #[error("the authorization's value is below the price")]
    TooLittle,
    /// `validAfter` is in the future.
    #[error("the authorization is not valid yet")]
    NotYetValid,
    /// `validBefore` has passed.
    #[error("the authorization has expired")]
    Expired,
}

/// What this agent asks for: the requirement the payment must meet.
#[derive(Debug, Clone)]
pub struct Terms<'a> {
    /// CAIP-2 network (`eip155:84532`).
    pub network: &'a str,
    /// Token contract address.
    pub asset: &'a str,
    /// Pay-to address.
    pub pay_to: &'a str,
    /// Price in the asset's atomic units.
    pub amount: u128,
    /// EIP-712 domain name of the token (`extra.name`).
    pub name: &'a str,
    /// EIP-712 domain version of the token (`extra.version`).
    pub version: &'a str,
}

/// The signed EIP-3009 authorization of a payload, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The payer.
    pub from: [u8; 20],
    /// The recipient.
    pub to: [u8; 20],
    /// Atomic units transferred.
    pub value: u128,
    /// Unix seconds after which it is valid.
    pub valid_after: u128,
    /// Unix seconds before which it is valid.
    pub valid_before: u128,
    /// The 32-byte nonce.
    pub nonce: [u8; 32],
}

/// Keccak-256 of `bytes`.
pub fn keccak256(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

fn hex_bytes<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// An EVM address (`0x` and 40 hex digits, any case).
pub fn address(s: &str) -> Option<[u8; 20]> {
    hex_bytes(s)
}

/// A non-negative decimal that fits 128 bits (every price and timestamp does).
fn decimal(s: &str) -> Option<u128> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The chain id of an `eip155:<id>` network.
pub fn chain_id(network: &str) -> Option<u64> {
    network.strip_prefix("eip155:")?.parse().ok()
}

fn word_u128(v: u128) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[16..].copy_from_slice(&v.to_be_bytes());
    w
}

fn word_address(a: &[u8; 20]) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a);
    w
}

/// The EIP-712 domain separator of a token (name, version, chain id, contract).
pub fn domain_separator(name: &str, version: &str, chain: u64, contract: &[u8; 20]) -> [u8; 32] {
    let type_hash = keccak256(
        b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
    );
    let mut enc = Vec::with_capacity(5 * 32);
    enc.extend_from_slice(&type_hash);
    enc.extend_from_slice(&keccak256(name.as_bytes()));
    enc.extend_from_slice(&keccak256(version.as_bytes()));
    enc.extend_from_slice(&word_u128(u128::from(chain)));
    enc.extend_from_slice(&word_address(contract));
    keccak256(&enc)
}

/// The EIP-712 struct hash of a `TransferWithAuthorization`.
pub fn struct_hash(a: &Authorization) -> [u8; 32] {
    let type_hash = keccak256(
        b"TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)",
    );
    let mut enc = Vec::with_capacity(7 * 32);
    enc.extend_from_slice(&type_hash);
    enc.extend_from_slice(&word_address(&a.from));
    enc.extend_from_slice(&word_address(&a.to));
    enc.extend_from_slice(&word_u128(a.value));
    enc.extend_from_slice(&word_u128(a.valid_after));
    enc.extend_from_slice(&word_u128(a.valid_before));
    enc.extend_from_slice(&a.nonce);
    keccak256(&enc)
}

/// The digest the payer signs: `keccak256(0x1901 ‖ domain ‖ struct)`.
pub fn digest(domain: &[u8; 32], a: &Authorization) -> [u8; 32] {
    let mut enc = Vec::with_capacity(66);
    enc.extend_from_slice(&[0x19, 0x01]);
    enc.extend_from_slice(domain);
    enc.extend_from_slice(&struct_hash(a));
    keccak256(&enc)
}

/// The address that made the 65-byte signature `r ‖ s ‖ v` of `digest`
/// (`v` 27/28 or 0/1; high `s` refused, as the token contract does).
pub fn recover(digest: &[u8; 32], signature: &[u8; 65]) -> Option<[u8; 20]> {
    let sig = Signature::from_slice(&signature[..64]).ok()?;
    if bool::from(sig.s().is_high()) {
        return None;
    }
    let v = match signature[64] {
        v @ (27 | 28) => v - 27,
        v @ (0 | 1) => v,
        _ => return None,
    };
    let key = VerifyingKey::recover_from_prehash(digest, &sig, RecoveryId::from_byte(v)?).ok()?;
    let point = key.to_sec1_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash[12..]);
    Some(out)
}

/// Parses `payload.authorization` of an `exact` EVM payload.
pub fn parse_authorization(authorization: &Value) -> Result<Authorization, AuthorizationError> {
    let field = |k: &'static str| {
        authorization
            .get(k)
            .and_then(Value::as_str)
            .ok_or(AuthorizationError::Malformed(k))
    };
    let addr = |k: &'static str| address(field(k)?).ok_or(AuthorizationError::Malformed(k));
    let num = |k: &'static str| decimal(field(k)?).ok_or(AuthorizationError::Malformed(k));
    Ok(Authorization {
        from: addr("from")?,
        to: addr("to")?,
        value: num("value")?,
        valid_after: num("validAfter")?,
        valid_before: num("validBefore")?,
        nonce: hex_bytes(field("nonce")?).ok_or(AuthorizationError::Malformed("nonce"))?,
    })
}

/// Checks the signed authorization in `inner` (the payload's `payload`: an
/// `authorization` and a `signature`) against `terms` at Unix time `now`: the
/// signature recovers to `from`, `to` is the pay-to address, `value` covers the
/// price, and `validAfter ≤ now < validBefore`. The asset and network are the
/// configured ones by construction: they are the signed domain.
pub fn check(
    inner: &Value,
    terms: &Terms<'_>,
    now: u64,
) -> Result<Authorization, AuthorizationError> {
    let chain = chain_id(terms.network)
        .ok_or_else(|| AuthorizationError::Network(terms.network.to_owned()))?;
    let asset = address(terms.asset).ok_or(AuthorizationError::Malformed("asset"))?;
    let pay_to = address(terms.pay_to).ok_or(AuthorizationError::Malformed("payTo"))?;
    let auth = parse_authorization(inner.get("authorization").unwrap_or(&Value::Null))?;
    let signature: [u8; 65] = inner
        .get("signature")
        .and_then(Value::as_str)
        .and_then(hex_bytes)
        .ok_or(AuthorizationError::Malformed("signature"))?;
    let domain = domain_separator(terms.name, terms.version, chain, &asset);
    if recover(&digest(&domain, &auth), &signature) != Some(auth.from) {
        return Err(AuthorizationError::WrongSigner);
    }
    if auth.to != pay_to {
        return Err(AuthorizationError::OtherPayee);
    }
    if auth.value < terms.amount {
        return Err(AuthorizationError::TooLittle);
    }
    let now = u128::from(now);
    if auth.valid_after > now {
        return Err(AuthorizationError::NotYetValid);
    }
    if auth.valid_before <= now {
        return Err(AuthorizationError::Expired);
    }
    Ok(auth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // A vector made with eth-account 0.14 (`encode_typed_data`, `sign_message`) for
    // the private key 0x11…11: USDC on Base Sepolia, 0.01 USDC.
    const FROM: &str = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A";
    const PAY_TO: &str = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
    const ASSET: &str = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
    const NONCE: &str = "0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480";
    const SIGNATURE: &str = "0xc29bbc19593fcfeb18ee0d3f847f74f5a24ae0c5cec89c8f1156b038b9d6d3154f33d323dbf22a6704fb030b4000ac05eaab17c7bcd5a581cb8841be39a994781c";

    fn terms() -> Terms<'static> {
        Terms {
            network: "eip155:84532",
            asset: ASSET,
            pay_to: PAY_TO,
            amount: 10_000,
            name: "USDC",
            version: "2",
        }
    }

    fn inner(to: &str, value: &str, signature: &str) -> Value {
        json!({"signature": signature, "authorization": {"from": FROM, "to": to, "value": value,
            "validAfter": "0", "validBefore": "9999999999", "nonce": NONCE}})
    }

    #[test]
    fn the_hashes_match_eth_account() {
        let domain = domain_separator("USDC", "2", 84532, &address(ASSET).unwrap());
        assert_eq!(
            hex::encode(domain),
            "71f17a3b2ff373b803d70a5a07c046c1a2bc8e89c09ef722fcb047abe94c9818"
        );
        let auth =
            parse_authorization(&inner(PAY_TO, "10000", SIGNATURE)["authorization"]).unwrap();
        assert_eq!(
            hex::encode(struct_hash(&auth)),
            "9b76ec25cc1c1474e1900a61604897ee481f11f47d79fbf63c9d988eb034ab70"
        );
        assert_eq!(
            hex::encode(digest(&domain, &auth)),
            "b3a2e687c223f09155e13e475347750fa4a83db7f76f3526cbcb38b0e2accf9d"
        );
    }

    #[test]
    fn the_signer_is_recovered_and_the_terms_are_checked() {
        let ok = check(&inner(PAY_TO, "10000", SIGNATURE), &terms(), 1_800_000_000);
        assert_eq!(ok.map(|a| a.from), Ok(address(FROM).unwrap()));
        // Another recipient or value breaks the signature: the signer is someone else.
        assert_eq!(
            check(&inner(FROM, "10000", SIGNATURE), &terms(), 1_800_000_000),
            Err(AuthorizationError::WrongSigner)
        );
        assert_eq!(
            check(&inner(PAY_TO, "9999", SIGNATURE), &terms(), 1_800_000_000),
            Err(AuthorizationError::WrongSigner)
        );
        assert_eq!(
            check(&inner(PAY_TO, "10000", SIGNATURE), &terms(), 9_999_999_999),
            Err(AuthorizationError::Expired)
        );
        let mut pricier = terms();
        pricier.amount = 10_001;
        assert_eq!(
            check(&inner(PAY_TO, "10000", SIGNATURE), &pricier, 1_800_000_000),
            Err(AuthorizationError::TooLittle)
        );
        let mut elsewhere = terms();
        elsewhere.pay_to = FROM;
        assert_eq!(
            check(
                &inner(PAY_TO, "10000", SIGNATURE),
                &elsewhere,
                1_800_000_000
            ),
            Err(AuthorizationError::OtherPayee)
        );
        assert_eq!(
            check(&inner(PAY_TO, "10000", "0x00"), &terms(), 1_800_000_000),
            Err(AuthorizationError::Malformed("signature"))
        );
    }
}
