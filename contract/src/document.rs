//! Loading a hand-written OpenAPI document and addressing places in it.

use std::path::{Path, PathBuf};

use serde_json::Value;
use thiserror::Error;

/// Why a document could not be loaded at all.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not YAML (or JSON).
    #[error("{path}: not valid YAML: {source}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's complaint, with line and column.
        source: serde_norway::Error,
    },
}

/// A parsed document: its JSON value plus where it came from.
#[derive(Debug, Clone)]
pub struct Document {
    /// Where the document was read from (for messages).
    pub origin: String,
    /// The document as JSON.
    pub value: Value,
}

impl Document {
    /// Reads and parses a YAML (or JSON) document from disk.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&path.display().to_string(), &text).map_err(|source| LoadError::Yaml {
            path: path.to_owned(),
            source,
        })
    }

    /// Parses YAML (or JSON) text.
    pub fn parse(origin: &str, text: &str) -> Result<Self, serde_norway::Error> {
        let value: Value = serde_norway::from_str(text)?;
        Ok(Self {
            origin: origin.to_owned(),
            value,
        })
    }

    /// Wraps a value that is already JSON (e.g. a derived document).
    pub fn from_value(origin: &str, value: Value) -> Self {
        Self {
            origin: origin.to_owned(),
            value,
        }
    }

    /// Follows a local `$ref` (`#/components/...`). `None` if it does not resolve.
    pub fn resolve_ref(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        self.value.pointer(pointer)
    }

    /// `info.title`, or an empty string.
    pub fn title(&self) -> &str {
        self.value
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `info.version`, or an empty string.
    pub fn version(&self) -> &str {
        self.value
            .pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// Escapes one JSON-pointer token (RFC 6901).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Builds a JSON pointer from tokens.
pub fn pointer<I, S>(tokens: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    tokens
        .into_iter()
        .map(|t| format!("/{}", escape(t.as_ref())))
        .collect()
}

/// The HTTP methods an OpenAPI path item may hold, in document order.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
