//! The search index on disk: a tantivy index per instance under the data
//! directory, opened at start-up and written incrementally.
//!
//! The index is derived data. Each commit records, as its payload, the
//! [`Position`] of the corpus it reflects (which database, which corpus
//! version), so a restart opens it as it is and only applies what changed since;
//! an index that is missing, unreadable, built with another schema or for
//! another database is rebuilt. Writes go through a [`Writer`], one batch of
//! changes at a time: queries never wait for it, and switch to the new segments
//! when the batch is committed. Each batch has an index writer of its own (one
//! indexing thread and a bounded memory budget, or more for a bulk batch), gone
//! with the batch, so memory between imports stays where it was; merges are run
//! by the batch itself after its commit, chosen by tantivy's log merge policy, so
//! that the segments queries search stay few.

use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use quartet_api::brookmimir::Document;
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::{LogMergePolicy, MergePolicy as _, NoMergePolicy};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TantivyDocument, TextFieldIndexing, TextOptions, FAST,
    INDEXED, STORED, STRING,
};
use tantivy::{DateTime, Index, IndexReader, IndexWriter, ReloadPolicy, Term};
use thiserror::Error;

use super::date_filter::DateColumns;

/// Full-text fields (analysed: lower-cased, stemmed English words).
pub const TEXT_FIELDS: [&str; 3] = ["title", "summary", "content"];
/// Keyword fields (matched exactly).
pub const KEYWORD_FIELDS: [&str; 6] = ["id", "source", "language", "jurisdiction", "tags", "url"];

/// Failures of the index itself (never the caller's fault).
#[derive(Debug, Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index directory could not be prepared.
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
}

/// Which corpus state an index reflects: the database it was built from (its
/// random corpus id) and the corpus version of the last import it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The corpus id of the database.
    pub corpus: i64,
    /// The corpus version: every import bumps it.
    pub version: i64,
}

/// The fields the code addresses directly.
#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub doc_id: Field,
    pub source: Field,
    pub published_at: Field,
    pub text: [Field; 3],
    pub keywords: [Field; 6],
}

/// The corpus schema: the stored `_source`, the `_id` term, stemmed full-text
/// fields with positions (for phrases), keyword fields, and `published_at` as an
/// indexed fast date.
pub fn schema() -> Schema {
    let mut schema = Schema::builder();
    schema.add_text_field("_id", STRING | STORED);
    schema.add_text_field("_source", STORED);
    let analysed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("en_stem")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    for f in TEXT_FIELDS {
        schema.add_text_field(f, analysed.clone());
    }
    for f in KEYWORD_FIELDS {
        schema.add_text_field(f, STRING);
    }
    schema.add_date_field("published_at", INDEXED | FAST);
    schema.build()
}

/// The search index and the corpus position it reflects.
pub struct SearchIndex {
    pub(super) index: Index,
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    position: RwLock<Option<Position>>,
    /// The index writer, made on first use and kept.
    writer: Mutex<Option<IndexWriter>>,
    /// Decoded `published_at` values per segment, for date filters.
    pub(super) dates: Arc<DateColumns>,
    /// Held while the process owns the directory (see [`SearchIndex::open`]).
    _lock: Option<File>,
}

/// Memory of the index writer of incremental batches (one thread).
const WRITER_BUDGET: usize = 24_000_000;

/// Memory per thread of a bulk writer (a rebuild, a large import).
const BULK_BUDGET_PER_THREAD: usize = 128_000_000;

impl SearchIndex {
    /// Opens the index in `dir` (created if missing; recreated if unreadable or of
    /// another schema). If another process on the same data directory already owns
    /// it, the index is kept in memory instead, and `Ok((index, false))` says so.
    pub fn open(dir: &Path) -> Result<(Self, bool), IndexError> {
        std::fs::create_dir_all(dir)?;
        let lock_path = dir.with_extension("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok((Self::in_ram()?, false)),
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
        let expected = schema();
        let index = match open_existing(dir, &expected) {
            Some(index) => index,
            None => {
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                Index::create_in_dir(dir, expected)?
            }
        };
        Ok((Self::from_index(index, Some(lock))?, true))
    }

    /// An empty index in memory (tests, benchmarks, and a data directory whose
    /// index another process owns).
    pub fn in_ram() -> Result<Self, IndexError> {
        Self::from_index(Index::create_in_ram(schema()), None)
    }

    fn from_index(index: Index, lock: Option<File>) -> Result<Self, IndexError> {
        let schema = index.schema();
        let field = |name: &str| schema.get_field(name);
        let fields = Fields {
            doc_id: field("_id")?,
            source: field("_source")?,
            published_at: field("published_at")?,
            text: [field("title")?, field("summary")?, field("content")?],
            keywords: [
                field("id")?,
                field("source")?,
                field("language")?,
                field("jurisdiction")?,
                field("tags")?,
                field("url")?,
            ],
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let position = index
            .load_metas()?
            .payload
            .and_then(|p| serde_json::from_str(&p).ok());
        Ok(Self {
            index,
            reader,
            fields,
            position: RwLock::new(position),
            writer: Mutex::new(None),
            dates: Arc::default(),
            _lock: lock,
        })
    }

    /// The tantivy index (benchmarks query it directly).
    pub fn tantivy(&self) -> &Index {
        &self.index
    }

    /// The corpus position of the last commit, if any.
    pub fn position(&self) -> Option<Position> {
        *self.position.read().expect("position lock")
    }

    /// How many segments queries search.
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// How many documents queries search.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// A writer for one batch of changes; the next one waits for it. `bulk` is
    /// for a rebuild or a large import: more threads and memory for this batch,
    /// and the result merged into one segment.
    pub fn writer(&self, bulk: bool) -> Result<Writer<'_>, IndexError> {
        let mut slot = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if bulk {
            if let Some(incremental) = slot.take() {
                incremental.wait_merging_threads()?;
            }
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 4);
            *slot = Some(self.new_writer(threads, threads * BULK_BUDGET_PER_THREAD)?);
        } else if slot.is_none() {
            *slot = Some(self.new_writer(1, WRITER_BUDGET)?);
        }
        Ok(Writer {
            index: self,
            slot,
            bulk,
            committed: false,
        })
    }

    fn new_writer(&self, threads: usize, budget: usize) -> Result<IndexWriter, IndexError> {
        let writer: IndexWriter = self.index.writer_with_num_threads(threads, budget)?;
        // Merges are run by each batch after its commit (see `Writer::commit`).
        writer.set_merge_policy(Box::new(NoMergePolicy));
        Ok(writer)
    }
}

/// Which segments to merge after an incremental batch: tantivy's log merge
/// policy, merging small segments as soon as there are four of a size, and
/// rewriting a segment once a quarter of it is deleted.
fn merge_policy() -> LogMergePolicy {
    let mut policy = LogMergePolicy::default();
    policy.set_min_num_segments(4);
    policy.set_del_docs_ratio_before_merge(0.25);
    policy
}

/// An index that opens, or `None` if there is none or it cannot be used as is.
fn open_existing(dir: &Path, expected: &Schema) -> Option<Index> {
    let directory = MmapDirectory::open(dir).ok()?;
    if !Index::exists(&directory).ok()? {
        return None;
    }
    let index = Index::open(directory).ok()?;
    (index.schema() == *expected).then_some(index)
}

/// One batch of changes to the index; nothing is visible until [`Writer::commit`],
/// and dropping it uncommitted discards the batch.
pub struct Writer<'a> {
    index: &'a SearchIndex,
    slot: MutexGuard<'a, Option<IndexWriter>>,
    bulk: bool,
    committed: bool,
}

impl Writer<'_> {
    fn writer(&mut self) -> &mut IndexWriter {
        self.slot
            .as_mut()
            .expect("a writer is made before a batch starts")
    }

    /// Removes every document (before a rebuild).
    pub fn clear(&mut self) -> Result<(), IndexError> {
        self.writer().delete_all_documents()?;
        Ok(())
    }

    /// Adds `doc`, replacing the document with the same id.
    pub fn upsert(&mut self, d: &Document) -> Result<(), IndexError> {
        let f = self.index.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.doc_id, &d.id);
        doc.add_text(
            f.source,
            serde_json::to_string(d).expect("documents serialise"),
        );
        for (field, value) in f.text.iter().zip([&d.title, &d.summary, &d.content]) {
            doc.add_text(*field, value);
        }
        for (field, value) in
            f.keywords[..4]
                .iter()
                .zip([&d.id, &d.source, &d.language, &d.jurisdiction])
        {
            doc.add_text(*field, value);
        }
        for tag in &d.tags {
            doc.add_text(f.keywords[4], tag);
        }
        if let Some(url) = &d.url {
            doc.add_text(f.keywords[5], url);
        }
        if let Some(date) = parse_date(&d.published_at) {
            doc.add_date(f.published_at, date);
        }
        let writer = self.writer();
        writer.delete_term(Term::from_field_text(f.doc_id, &d.id));
        writer.add_document(doc)?;
        Ok(())
    }

    /// Commits the batch as corpus `position` and makes it visible to queries;
    /// then merges what the merge policy asks for (a bulk batch: everything into
    /// one segment) and shows queries the merged segments.
    pub fn commit(mut self, position: Position) -> Result<(), IndexError> {
        let index = self.index;
        let writer = self.writer();
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&serde_json::to_string(&position).expect("positions serialise"));
        prepared.commit()?;
        self.committed = true;
        index.reader.reload()?;
        *index.position.write().expect("position lock") = Some(position);
        let merges = if self.bulk {
            vec![index.index.searchable_segment_ids()?]
        } else {
            merge_policy()
                .compute_merge_candidates(&index.index.searchable_segment_metas()?)
                .into_iter()
                .map(|c| c.0)
                .collect()
        };
        let writer = self.writer();
        for segments in merges.into_iter().filter(|s| s.len() > 1) {
            writer.merge(&segments).wait()?;
        }
        // The writer's threads and memory go with the batch; the next batch makes
        // a writer of its own, so what an import takes it gives back.
        if let Some(done) = self.slot.take() {
            done.wait_merging_threads()?;
        }
        index.reader.reload()?;
        let live = index
            .reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|r| r.segment_id())
            .collect();
        index.dates.retain(&live);
        Ok(())
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if !self.committed {
            // Discard the batch; a writer that cannot even roll back is made anew.
            if self.slot.as_mut().is_some_and(|w| w.rollback().is_err()) || self.bulk {
                *self.slot = None;
            }
        }
    }
}

/// An RFC 3339 timestamp or a `YYYY-MM-DD` date (midnight UTC). The index keeps
/// times in nanoseconds since 1970 in 64 bits, so times before 1677-09-22 or after
/// 2262-04-11 are held at those limits (ordering against the corpus is unchanged).
pub(super) fn parse_date(s: &str) -> Option<DateTime> {
    let secs = match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.timestamp(),
        Err(_) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?
            .and_utc()
            .timestamp(),
    };
    const LIMIT: i64 = i64::MAX / 1_000_000_000;
    Some(DateTime::from_timestamp_secs(secs.clamp(-LIMIT, LIMIT)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, content: &str) -> Document {
        Document {
            id: id.into(),
            title: "t".into(),
            summary: "s".into(),
            content: content.into(),
            source: "src".into(),
            url: None,
            published_at: "2024-01-01T00:00:00Z".into(),
            language: "en".into(),
            jurisdiction: "US".into(),
            tags: vec![],
        }
    }

    #[test]
    fn an_index_reopens_at_its_position_and_replaces_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        let at = |version| Position { corpus: 7, version };
        {
            let (index, owned) = SearchIndex::open(&path).unwrap();
            assert!(owned);
            assert_eq!(index.position(), None);
            let mut w = index.writer(true).unwrap();
            w.upsert(&doc("a", "one")).unwrap();
            w.upsert(&doc("b", "two")).unwrap();
            w.commit(at(1)).unwrap();
            // A second process on the same directory keeps its index in memory.
            let (other, owned) = SearchIndex::open(&path).unwrap();
            assert!(!owned);
            assert_eq!(other.position(), None);
            let mut w = index.writer(false).unwrap();
            w.upsert(&doc("a", "three")).unwrap();
            w.commit(at(2)).unwrap();
            assert_eq!(index.num_docs(), 2);
            // A batch dropped before its commit changes nothing.
            let mut w = index.writer(false).unwrap();
            w.upsert(&doc("c", "four")).unwrap();
            drop(w);
            let w = index.writer(false).unwrap();
            w.commit(at(3)).unwrap();
            assert_eq!(index.num_docs(), 2);
        }
        let (index, owned) = SearchIndex::open(&path).unwrap();
        assert!(owned);
        assert_eq!(index.position(), Some(at(3)));
        assert_eq!(index.num_docs(), 2);
    }
}
