//! `X-Client-Cert`: base64 of a PEM certificate, identified by the SHA-256
//! thumbprint of its DER encoding (RFC 8705 `x5t#S256`).

use base64::Engine as _;
use thiserror::Error;

/// Why an `X-Client-Cert` value is unusable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CertError {
    /// Not standard base64.
    #[error("X-Client-Cert is not valid base64")]
    NotBase64,
    /// Base64, but not a PEM `CERTIFICATE` holding DER.
    #[error("X-Client-Cert does not contain a PEM-encoded certificate")]
    NotPem,
}

/// The base64url (no padding) SHA-256 thumbprint of a PEM certificate's DER bytes.
pub fn thumbprint_of_pem(pem_text: &[u8]) -> Result<String, CertError> {
    let parsed = pem::parse(pem_text).map_err(|_| CertError::NotPem)?;
    // A DER certificate is a SEQUENCE; anything else is not one.
    if parsed.tag() != "CERTIFICATE" || parsed.contents().first() != Some(&0x30) {
        return Err(CertError::NotPem);
    }
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(crate::platform::secrets::sha256(parsed.contents())))
}

/// The thumbprint of an `X-Client-Cert` header value (base64 of the PEM text).
pub fn thumbprint_of_header(value: &str) -> Result<String, CertError> {
    let pem_text = base64::engine::general_purpose::STANDARD
        .decode(value.trim().as_bytes())
        .map_err(|_| CertError::NotBase64)?;
    thumbprint_of_pem(&pem_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";

    #[test]
    fn header_values_are_checked_and_thumbprinted() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(PEM);
        let t = thumbprint_of_header(&b64).unwrap();
        assert_eq!(t.len(), 43);
        assert_eq!(thumbprint_of_header("%%%"), Err(CertError::NotBase64));
        let not_pem = base64::engine::general_purpose::STANDARD.encode("hello");
        assert_eq!(thumbprint_of_header(&not_pem), Err(CertError::NotPem));
        let key = base64::engine::general_purpose::STANDARD
            .encode("-----BEGIN PRIVATE KEY-----\nMAMCAQE=\n-----END PRIVATE KEY-----\n");
        assert_eq!(thumbprint_of_header(&key), Err(CertError::NotPem));
    }
}
