//! Sealing of the secrets the server must read back (TOTP secrets, the agent's
//! signing seed, webhook and payment tokens, token-signing keys): an AEAD
//! (XChaCha20-Poly1305) under a key kept outside the database, so a dump of the
//! database alone opens none of them.
//!
//! A sealed value is text: `v1.<key id>.<base64url(nonce ‖ ciphertext)>`, with a
//! fresh random 24-byte nonce per value. The associated data is the value's
//! purpose and its row (`bitstride.totp:usr_…`): a sealed value copied into
//! another row, or another column, does not open there. The key id (derived from
//! the key, see [`SecretKey::id`]) tells a value sealed under the current key
//! from one sealed under another, which rotation and the start-up check rely on.

use std::sync::{Arc, RwLock};

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use thiserror::Error;

use super::secrets::{random_bytes, sha256};

/// The version prefix of every sealed value.
pub const PREFIX: &str = "v1.";

/// Bytes of a key.
pub const KEY_LEN: usize = 32;

/// Bytes of a nonce.
const NONCE_LEN: usize = 24;

/// Bytes of the Poly1305 tag.
const TAG_LEN: usize = 16;

/// Hex characters of a key id.
const KEY_ID_LEN: usize = 16;

/// Why a value cannot be sealed or opened.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SealError {
    /// The text is not `v1.<key id>.<base64url>` of a plausible length.
    #[error("not a sealed value")]
    Malformed,
    /// Sealed under a key this process does not hold.
    #[error("sealed under key {found}, which this server does not hold (its key is {current})")]
    UnknownKey {
        /// The key id in the value.
        found: String,
        /// The id of this process's current key.
        current: String,
    },
    /// The key is right but the value does not open: altered, or moved from another row.
    #[error("a sealed {purpose} value does not open: altered, or not this row's")]
    Forged {
        /// The value's purpose.
        purpose: String,
    },
    /// The opened value is not UTF-8 where text was sealed.
    #[error("a sealed {purpose} value is not text")]
    NotText {
        /// The value's purpose.
        purpose: String,
    },
}

/// Why a key cannot be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeyError {
    /// Not 64 hexadecimal characters.
    #[error(
        "a secret key is 32 bytes written as 64 hexadecimal characters (openssl rand -hex 32)"
    )]
    Format,
}

/// A 32-byte sealing key.
#[derive(Clone)]
pub struct SecretKey([u8; KEY_LEN]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.id())
    }
}

impl SecretKey {
    /// A fresh key from the operating system's generator.
    pub fn generate() -> Self {
        let mut key = [0u8; KEY_LEN];
        key.copy_from_slice(&random_bytes(KEY_LEN));
        Self(key)
    }

    /// The key written as 64 hexadecimal characters (surrounding whitespace ignored).
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Format)?;
        Ok(Self(bytes.try_into().map_err(|_| KeyError::Format)?))
    }

    /// The key as it is written to a key file: 64 lowercase hex characters and a newline.
    pub fn to_text(&self) -> String {
        format!("{}\n", hex::encode(self.0))
    }

    /// The key's id: 16 hex characters of a SHA-256 of the key under a label of its
    /// own, so it names the key without revealing anything that helps find it.
    pub fn id(&self) -> String {
        let mut labelled = b"quartet sealing key id\0".to_vec();
        labelled.extend_from_slice(&self.0);
        hex::encode(&sha256(&labelled)[..KEY_ID_LEN / 2])
    }
}

/// One key with its cipher.
struct Held {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Held {
    fn new(key: &SecretKey) -> Arc<Self> {
        Arc::new(Self {
            id: key.id(),
            cipher: XChaCha20Poly1305::new(&key.0.into()),
        })
    }
}

/// The keys of a [`Sealer`]: the one that seals, and earlier ones that still open.
struct Keys {
    current: Arc<Held>,
    older: Vec<Arc<Held>>,
}

/// Where more keys come from when a value names one the sealer lacks (after a
/// rotation by `quartet admin secrets rotate`).
pub trait KeyLookup: Send + Sync {
    /// The key with id `id`, if the place this sealer's key came from now has it.
    fn find(&self, id: &str) -> Option<SecretKey>;
}

/// Seals and opens values; cheap to clone.
#[derive(Clone)]
pub struct Sealer {
    keys: Arc<RwLock<Keys>>,
    lookup: Option<Arc<dyn KeyLookup>>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({})", self.current_id())
    }
}

/// The associated data binding a value to its purpose and row.
fn associated(purpose: &str, row: &str) -> Vec<u8> {
    format!("{purpose}:{row}").into_bytes()
}

/// Whether `value` has the form of a sealed value (it may still fail to open).
pub fn is_sealed(value: &str) -> bool {
    parse(value).is_ok()
}

/// Whether the stored bytes are a sealed value.
pub fn is_sealed_bytes(value: &[u8]) -> bool {
    std::str::from_utf8(value).is_ok_and(is_sealed)
}

/// The key id and the nonce ‖ ciphertext of a sealed value.
fn parse(value: &str) -> Result<(&str, Vec<u8>), SealError> {
    let rest = value.strip_prefix(PREFIX).ok_or(SealError::Malformed)?;
    let (id, body) = rest.split_once('.').ok_or(SealError::Malformed)?;
    if id.len() != KEY_ID_LEN || !super::secrets::is_lower_hex(id, KEY_ID_LEN) {
        return Err(SealError::Malformed);
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| SealError::Malformed)?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(SealError::Malformed);
    }
    Ok((id, bytes))
}

/// The key id a sealed value names.
pub fn key_id_of(value: &str) -> Result<&str, SealError> {
    parse(value).map(|(id, _)| id)
}

impl Sealer {
    /// A sealer under `key`, with no way to learn of later keys.
    pub fn new(key: &SecretKey) -> Self {
        Self {
            keys: Arc::new(RwLock::new(Keys {
                current: Held::new(key),
                older: Vec::new(),
            })),
            lookup: None,
        }
    }

    /// A sealer under `key` that asks `lookup` for a key it meets but lacks.
    pub fn with_lookup(key: &SecretKey, lookup: Arc<dyn KeyLookup>) -> Self {
        Self {
            lookup: Some(lookup),
            ..Self::new(key)
        }
    }

    /// The id of the key new values are sealed under.
    pub fn current_id(&self) -> String {
        self.keys.read().expect("sealer keys").current.id.clone()
    }

    /// Makes `key` the sealing key; the previous one still opens what it sealed.
    pub fn adopt(&self, key: &SecretKey) {
        let mut keys = self.keys.write().expect("sealer keys");
        if keys.current.id == key.id() {
            return;
        }
        let new = Held::new(key);
        keys.older.retain(|k| k.id != new.id);
        let previous = std::mem::replace(&mut keys.current, new);
        keys.older.insert(0, previous);
    }

    /// Makes the key with id `id` the sealing key if this sealer's key source has it;
    /// `true` when the sealer now seals under it.
    pub fn adopt_id(&self, id: &str) -> bool {
        if self.current_id() == id {
            return true;
        }
        match self.lookup.as_ref().and_then(|l| l.find(id)) {
            Some(key) if key.id() == id => {
                self.adopt(&key);
                true
            }
            _ => false,
        }
    }

    /// Whether this sealer holds the key with id `id`.
    pub fn holds(&self, id: &str) -> bool {
        let keys = self.keys.read().expect("sealer keys");
        keys.current.id == id || keys.older.iter().any(|k| k.id == id)
    }

    /// Seals `plain` as the `purpose` value of `row`, under the current key.
    pub fn seal(&self, purpose: &str, row: &str, plain: &[u8]) -> String {
        let key = self.keys.read().expect("sealer keys").current.clone();
        let nonce_bytes = random_bytes(NONCE_LEN);
        let nonce = XNonce::from_slice(&nonce_bytes);
        let aad = associated(purpose, row);
        let sealed = key
            .cipher
            .encrypt(
                nonce,
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 seals any message under 256 GiB");
        let mut body = nonce_bytes;
        body.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}.{}",
            key.id,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body)
        )
    }

    /// Seals text (see [`Sealer::seal`]).
    pub fn seal_str(&self, purpose: &str, row: &str, plain: &str) -> String {
        self.seal(purpose, row, plain.as_bytes())
    }

    /// Opens the `purpose` value of `row`.
    pub fn open(&self, purpose: &str, row: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        let (id, body) = parse(sealed)?;
        let key = match self.find(id) {
            Some(key) => key,
            None if self.adopt_id(id) => self.find(id).ok_or(SealError::Malformed)?,
            None => {
                return Err(SealError::UnknownKey {
                    found: id.to_owned(),
                    current: self.current_id(),
                })
            }
        };
        let (nonce, ciphertext) = body.split_at(NONCE_LEN);
        let aad = associated(purpose, row);
        key.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Forged {
                purpose: purpose.to_owned(),
            })
    }

    /// Opens a sealed text value (see [`Sealer::open`]).
    pub fn open_str(&self, purpose: &str, row: &str, sealed: &str) -> Result<String, SealError> {
        String::from_utf8(self.open(purpose, row, sealed)?).map_err(|_| SealError::NotText {
            purpose: purpose.to_owned(),
        })
    }

    fn find(&self, id: &str) -> Option<Arc<Held>> {
        let keys = self.keys.read().expect("sealer keys");
        std::iter::once(&keys.current)
            .chain(&keys.older)
            .find(|k| k.id == id)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_round_trips_and_every_seal_differs() {
        let sealer = Sealer::new(&SecretKey::generate());
        let a = sealer.seal_str("bitstride.totp", "usr_1", "JBSWY3DPEHPK3PXP");
        let b = sealer.seal_str("bitstride.totp", "usr_1", "JBSWY3DPEHPK3PXP");
        assert_ne!(a, b, "a fresh nonce per seal");
        assert!(a.starts_with(&format!("v1.{}.", sealer.current_id())));
        assert!(!a.contains("JBSWY3DPEHPK3PXP"));
        assert!(is_sealed(&a) && is_sealed_bytes(a.as_bytes()));
        assert_eq!(
            sealer.open_str("bitstride.totp", "usr_1", &a).unwrap(),
            "JBSWY3DPEHPK3PXP"
        );
        assert_eq!(
            sealer.open("p", "r", &sealer.seal("p", "r", &[])),
            Ok(vec![])
        );
    }

    #[test]
    fn another_row_or_purpose_does_not_open_it() {
        let sealer = Sealer::new(&SecretKey::generate());
        let v = sealer.seal_str("bitstride.totp", "usr_1", "secret");
        for (purpose, row) in [("bitstride.totp", "usr_2"), ("bindu.payment", "usr_1")] {
            assert_eq!(
                sealer.open(purpose, row, &v),
                Err(SealError::Forged {
                    purpose: purpose.into()
                })
            );
        }
    }

    #[test]
    fn another_key_does_not_open_it() {
        let v = Sealer::new(&SecretKey::generate()).seal_str("p", "r", "secret");
        let other = Sealer::new(&SecretKey::generate());
        assert!(matches!(
            other.open("p", "r", &v),
            Err(SealError::UnknownKey { .. })
        ));
        // A key claiming the same id (a forged prefix) still fails the tag.
        let forged = format!(
            "v1.{}.{}",
            other.current_id(),
            v.rsplit_once('.').unwrap().1
        );
        assert!(matches!(
            other.open("p", "r", &forged),
            Err(SealError::Forged { .. })
        ));
    }

    #[test]
    fn a_tampered_value_does_not_open() {
        let sealer = Sealer::new(&SecretKey::generate());
        let v = sealer.seal_str("p", "r", "secret");
        let (head, body) = v.rsplit_once('.').unwrap();
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .unwrap();
        for i in [0, NONCE_LEN, bytes.len() - 1] {
            bytes[i] ^= 1;
            let tampered = format!(
                "{head}.{}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes)
            );
            assert!(matches!(
                sealer.open("p", "r", &tampered),
                Err(SealError::Forged { .. })
            ));
            bytes[i] ^= 1;
        }
        for bad in [
            "",
            "v1.",
            "v2.0123456789abcdef.AAAA",
            "v1.xyz.AAAA",
            "JBSWY3DP",
        ] {
            assert_eq!(sealer.open("p", "r", bad), Err(SealError::Malformed));
            assert!(!is_sealed(bad));
        }
    }

    #[test]
    fn an_adopted_key_seals_and_the_previous_one_still_opens() {
        let (old, new) = (SecretKey::generate(), SecretKey::generate());
        let sealer = Sealer::new(&old);
        let before = sealer.seal_str("p", "r", "one");
        sealer.adopt(&new);
        assert_eq!(sealer.current_id(), new.id());
        assert!(sealer.holds(&old.id()));
        assert_eq!(sealer.open_str("p", "r", &before).unwrap(), "one");
        assert_eq!(key_id_of(&sealer.seal_str("p", "r", "two")), Ok(&*new.id()));
    }

    #[test]
    fn keys_read_from_hex_only() {
        let key = SecretKey::generate();
        assert_eq!(SecretKey::from_text(&key.to_text()).unwrap().id(), key.id());
        assert_eq!(key.id().len(), KEY_ID_LEN);
        for bad in ["", "zz", &"ab".repeat(31), &"ab".repeat(33)] {
            assert_eq!(SecretKey::from_text(bad).unwrap_err(), KeyError::Format);
        }
    }
}
