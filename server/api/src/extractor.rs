//! One reading of dropshot's own failures (extractors, routing, serialisation),
//! so that each surface maps the same causes to its own envelope.
//!
//! dropshot reports every extractor failure as an `HttpError` whose only
//! machine-readable parts are the status and the message text; the message
//! prefixes below are dropshot 0.18's, and this is the one place that knows them.

use dropshot::HttpError;

/// What went wrong before a handler ran, as far as a client is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtractorFailure {
    /// The body is larger than the operation accepts (dropshot says 400; it is a 413).
    BodyTooLarge,
    /// The body's `Content-Type` is missing or not the one the operation reads (a 415).
    UnsupportedMediaType,
    /// The body is not valid JSON, or not the shape the operation expects.
    MalformedJson,
    /// A form-encoded body that does not parse or lacks a field.
    MalformedForm,
    /// A header is missing, not text, or not of the declared type.
    BadHeader,
    /// The query string does not parse or lacks a parameter.
    BadQuery,
    /// A path parameter is not of the declared type.
    BadPath,
    /// No route matches the path (404).
    NotFound,
    /// The path exists but not with this method (405).
    MethodNotAllowed,
    /// Some other client error dropshot raised, with its status.
    OtherClient(u16),
    /// A failure on the server's side (5xx), with its status.
    Server(u16),
}

impl ExtractorFailure {
    /// Reads dropshot's error.
    pub fn classify(e: &HttpError) -> Self {
        let status = e.status_code.as_u16();
        if e.status_code.is_server_error() {
            return Self::Server(status);
        }
        let msg = e.external_message.as_str();
        match status {
            404 => return Self::NotFound,
            405 => return Self::MethodNotAllowed,
            413 => return Self::BodyTooLarge,
            415 => return Self::UnsupportedMediaType,
            400 => {}
            other => return Self::OtherClient(other),
        }
        let starts = |prefixes: &[&str]| prefixes.iter().any(|p| msg.starts_with(p));
        if starts(&["request body exceeded maximum size"]) {
            Self::BodyTooLarge
        } else if starts(&[
            "expected content type",
            "unsupported content-type",
            "invalid content type",
            "missing content-type header",
        ]) {
            Self::UnsupportedMediaType
        } else if starts(&["unable to parse JSON body"]) {
            Self::MalformedJson
        } else if starts(&["unable to parse URL-encoded body"]) {
            Self::MalformedForm
        } else if starts(&["error processing headers", "failed to convert header"]) {
            Self::BadHeader
        } else if starts(&["unable to parse query string"]) {
            Self::BadQuery
        } else if starts(&["bad parameter in URL path", "invalid path encoding"]) {
            Self::BadPath
        } else {
            Self::OtherClient(400)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dropshot::ClientErrorStatusCode;

    fn bad(msg: &str) -> ExtractorFailure {
        ExtractorFailure::classify(&HttpError::for_bad_request(None, msg.to_owned()))
    }

    #[test]
    fn dropshot_messages_are_read() {
        assert_eq!(
            bad("request body exceeded maximum size of 65536 bytes"),
            ExtractorFailure::BodyTooLarge
        );
        assert_eq!(
            bad("expected content type \"application/json\", got \"text/plain\""),
            ExtractorFailure::UnsupportedMediaType
        );
        assert_eq!(
            bad("unable to parse JSON body: EOF while parsing"),
            ExtractorFailure::MalformedJson
        );
        assert_eq!(
            bad("unable to parse URL-encoded body: missing field `grant_type`"),
            ExtractorFailure::MalformedForm
        );
        assert_eq!(
            bad("error processing headers: missing field `bmm-doc-id`"),
            ExtractorFailure::BadHeader
        );
        assert_eq!(
            bad("unable to parse query string: invalid digit"),
            ExtractorFailure::BadQuery
        );
        assert_eq!(
            bad("bad parameter in URL path: invalid digit"),
            ExtractorFailure::BadPath
        );
        assert_eq!(bad("something else"), ExtractorFailure::OtherClient(400));
        let not_found =
            HttpError::for_client_error_with_status(None, ClientErrorStatusCode::NOT_FOUND);
        assert_eq!(
            ExtractorFailure::classify(&not_found),
            ExtractorFailure::NotFound
        );
        assert_eq!(
            ExtractorFailure::classify(&HttpError::for_internal_error("boom".into())),
            ExtractorFailure::Server(500)
        );
    }
}
