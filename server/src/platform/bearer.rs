//! `Authorization: Bearer <credential>` (RFC 6750 §2.1), read once for every surface.

use http::HeaderMap;

/// Why a request carries no usable bearer credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
    /// No `Authorization` header.
    #[error("Authorization header is missing")]
    Missing,
    /// Another scheme, an empty credential, or a value that is not text.
    #[error("Authorization header must use the Bearer scheme")]
    NotBearer,
}

/// The credential of an `Authorization: Bearer …` header (scheme case-insensitive,
/// surrounding spaces ignored).
pub fn bearer(headers: &HeaderMap) -> Result<&str, BearerError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(BearerError::Missing)?;
    parse(value.to_str().map_err(|_| BearerError::NotBearer)?)
}

/// The credential of one `Authorization` value.
pub fn parse(value: &str) -> Result<&str, BearerError> {
    match value.trim().split_once(' ') {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() =>
        {
            Ok(rest.trim())
        }
        _ => Err(BearerError::NotBearer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values() {
        assert_eq!(parse("Bearer abc"), Ok("abc"));
        assert_eq!(parse("bearer   abc "), Ok("abc"));
        assert_eq!(parse("Basic abc"), Err(BearerError::NotBearer));
        assert_eq!(parse("Bearer "), Err(BearerError::NotBearer));
        assert_eq!(parse("Bearer"), Err(BearerError::NotBearer));
        assert_eq!(bearer(&HeaderMap::new()), Err(BearerError::Missing));
    }
}
