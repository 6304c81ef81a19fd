//! A `range` filter on `published_at` applied to the documents a scoring query
//! yields, by reading each one's date from the fast field, instead of
//! intersecting that query with the range's own document set.
//!
//! `bool: {must: Q, filter: {range: …}}` matches the documents Q matches whose
//! date is in range, with Q's score (a filter adds nothing to it). tantivy's
//! intersection of Q with a fast-field range seeks both sides in turn; walking
//! Q alone and looking each date up does the same work in a fraction of the
//! time. The dates of a segment are decoded once into an array ([`DateColumns`],
//! 8 bytes a document), so a look-up is one read. Results, scores and counts
//! are identical.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Bound;
use std::sync::{Arc, RwLock};

use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DateTime, DocId, DocSet, Score, SegmentReader, TantivyError, Term, TERMINATED};

/// No date: below every bound.
const NONE: i64 = i64::MIN;

/// The dates of each segment's documents, decoded from the fast field on first
/// use (seconds since the epoch; [`NONE`] for a document without one).
#[derive(Default)]
pub struct DateColumns {
    segments: RwLock<HashMap<SegmentId, Arc<[i64]>>>,
}

impl fmt::Debug for DateColumns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DateColumns")
    }
}

impl DateColumns {
    fn of(&self, reader: &SegmentReader, field: &str) -> tantivy::Result<Arc<[i64]>> {
        let id = reader.segment_id();
        if let Some(dates) = self.segments.read().expect("dates lock").get(&id) {
            return Ok(dates.clone());
        }
        let column = reader.fast_fields().date(field)?;
        let dates: Arc<[i64]> = (0..reader.max_doc())
            .map(|doc| column.first(doc).map_or(NONE, |d| d.into_timestamp_secs()))
            .collect();
        self.segments
            .write()
            .expect("dates lock")
            .insert(id, dates.clone());
        Ok(dates)
    }

    /// Forgets segments that are gone (merged away).
    pub fn retain(&self, live: &HashSet<SegmentId>) {
        self.segments
            .write()
            .expect("dates lock")
            .retain(|id, _| live.contains(id));
    }
}

/// `inner`, restricted to documents whose `field` (a fast date) is within bounds.
#[derive(Debug)]
pub struct DateFilter {
    inner: Box<dyn Query>,
    field: String,
    bounds: Bounds,
    dates: Arc<DateColumns>,
}

/// Inclusive bounds, in seconds.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    lower: i64,
    upper: i64,
}

impl Bounds {
    fn new(lower: Bound<DateTime>, upper: Bound<DateTime>) -> Self {
        let secs = |d: DateTime| d.into_timestamp_secs();
        Self {
            lower: match lower {
                Bound::Included(d) => secs(d),
                Bound::Excluded(d) => secs(d).saturating_add(1),
                Bound::Unbounded => NONE + 1,
            },
            upper: match upper {
                Bound::Included(d) => secs(d),
                Bound::Excluded(d) => secs(d).saturating_sub(1),
                Bound::Unbounded => i64::MAX,
            },
        }
    }

    fn contain(&self, date: i64) -> bool {
        self.lower <= date && date <= self.upper
    }
}

impl DateFilter {
    /// Filters `inner` to `lower..upper` on the fast date field `field`, whose
    /// decoded values `dates` keeps.
    pub fn new(
        inner: Box<dyn Query>,
        field: &str,
        lower: Bound<DateTime>,
        upper: Bound<DateTime>,
        dates: Arc<DateColumns>,
    ) -> Self {
        Self {
            inner,
            field: field.to_owned(),
            bounds: Bounds::new(lower, upper),
            dates,
        }
    }
}

impl Clone for DateFilter {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.box_clone(),
            field: self.field.clone(),
            bounds: self.bounds,
            dates: self.dates.clone(),
        }
    }
}

impl Query for DateFilter {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(DateFilterWeight {
            inner: self.inner.weight(scoring)?,
            field: self.field.clone(),
            bounds: self.bounds,
            dates: self.dates.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct DateFilterWeight {
    inner: Box<dyn Weight>,
    field: String,
    bounds: Bounds,
    dates: Arc<DateColumns>,
}

impl Weight for DateFilterWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorer = DateFilterScorer {
            inner: self.inner.scorer(reader, boost)?,
            dates: self.dates.of(reader, &self.field)?,
            bounds: self.bounds,
        };
        scorer.settle();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let dates = self.dates.of(reader, &self.field)?;
        if !self.bounds.contain(dates[doc as usize]) {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} is outside the date range"
            )));
        }
        self.inner.explain(reader, doc)
    }
}

struct DateFilterScorer {
    inner: Box<dyn Scorer>,
    dates: Arc<[i64]>,
    bounds: Bounds,
}

impl DateFilterScorer {
    /// Moves forward from the current document to the first one in range.
    fn settle(&mut self) -> DocId {
        let mut doc = self.inner.doc();
        while doc != TERMINATED && !self.bounds.contain(self.dates[doc as usize]) {
            doc = self.inner.advance();
        }
        doc
    }
}

impl DocSet for DateFilterScorer {
    fn advance(&mut self) -> DocId {
        self.inner.advance();
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target);
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }
}

impl Scorer for DateFilterScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}
