//! Loading documents into the corpus: the bundled demo corpus and JSON Lines imports.

use std::io::BufRead;

use quartet_api::brookmimir::Document;
use thiserror::Error;

/// The demo corpus shipped with the server, loaded into an empty corpus on first start.
pub const DEMO_CORPUS: &str = include_str!("../../data/demo-corpus.jsonl");

/// A line of an import that is not a document.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The line is not a JSON `Document`.
    #[error("line {line}: not a document: {source}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// Why it does not parse.
        source: serde_json::Error,
    },
    /// The input could not be read.
    #[error("reading input: {0}")]
    Io(#[from] std::io::Error),
}

/// Parses JSON Lines, one `Document` per line (blank lines skipped), lazily so
/// that large files stream.
pub fn parse_jsonl(input: impl BufRead) -> impl Iterator<Item = Result<Document, ImportError>> {
    input
        .lines()
        .enumerate()
        .filter_map(|(i, line)| match line {
            Err(e) => Some(Err(ImportError::Io(e))),
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => Some(
                serde_json::from_str(&l).map_err(|source| ImportError::Parse {
                    line: i + 1,
                    source,
                }),
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_corpus_parses() {
        let docs: Vec<Document> = parse_jsonl(DEMO_CORPUS.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(docs.len(), 12);
        assert_eq!(docs[0].id, "DOC-1000001");
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = parse_jsonl("\n{\"id\": 1}\n".as_bytes())
            .next()
            .unwrap()
            .unwrap_err();
        assert!(
            err.to_string().starts_with("line 2: not a document"),
            "{err}"
        );
    }
}
