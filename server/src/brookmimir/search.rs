//! Full-text search over the corpus with tantivy, driven by the subset of the
//! Elasticsearch query DSL that `openapi/brookmimir.yaml` documents. The index
//! itself (schema, storage, writes) is [`super::index`].

use std::ops::Bound;

use quartet_api::brookmimir::{QueryInput, StoredDocument};
#[cfg(test)]
use serde_json::json;
use serde_json::{Map, Value};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, TantivyDocument, Value as _};
use tantivy::{DateTime, DocAddress, Score, Searcher, Term};
use thiserror::Error;

use super::date_filter::DateFilter;
use super::index::{parse_date, IndexError, SearchIndex, KEYWORD_FIELDS, TEXT_FIELDS};

/// Why a query cannot run; each maps to a documented 400 message.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum QueryError {
    /// Empty text, or a DSL object without a clause.
    #[error("query must not be empty")]
    Empty,
    /// A clause outside the supported list.
    #[error("unsupported query clause: {0}")]
    Unsupported(String),
    /// A supported clause with an argument of the wrong shape.
    #[error("malformed query clause: {0}")]
    Malformed(String),
}

/// One hit: document id, score and source.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The document id.
    pub id: String,
    /// Relevance (BM25, or 1.0 for filters).
    pub score: f64,
    /// The stored document.
    pub source: StoredDocument,
}

/// The result of a search.
#[derive(Debug, Clone)]
pub struct Hits {
    /// How many documents match in total.
    pub total: usize,
    /// The requested page, best first.
    pub hits: Vec<Hit>,
}

impl SearchIndex {
    /// Translates a request's query; done before any credit is taken.
    pub fn compile(&self, input: &QueryInput) -> Result<Box<dyn Query>, QueryError> {
        match input {
            QueryInput::Text(text) => {
                // Blank as the document defines it: nothing but spaces, tabs and line breaks.
                if text.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
                    return Err(QueryError::Empty);
                }
                Ok(self.multi_match(text, &TEXT_FIELDS))
            }
            QueryInput::Dsl(map) => {
                if map.is_empty() {
                    return Err(QueryError::Empty);
                }
                Ok(self.clause_of(map)?.0)
            }
        }
    }

    /// Runs a compiled query and returns one page of hits.
    pub fn search(&self, query: &dyn Query, from: usize, size: usize) -> Result<Hits, IndexError> {
        let searcher = self.reader.searcher();
        let (top, total) = top_and_total(&searcher, query, from, size)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field| doc.get_first(field).and_then(|v| v.as_str());
            let id = text(self.fields.doc_id);
            let source = text(self.fields.source).and_then(|s| StoredDocument::from_json(s.into()));
            if let (Some(id), Some(source)) = (id, source) {
                hits.push(Hit {
                    id: id.to_owned(),
                    score: f64::from(score),
                    source,
                });
            }
        }
        Ok(Hits { total, hits })
    }

    /// A DSL object holding exactly one clause; returns the query and whether it scores.
    fn clause_of(&self, map: &Map<String, Value>) -> Result<(Box<dyn Query>, bool), QueryError> {
        let mut entries = map.iter();
        let Some((name, arg)) = entries.next() else {
            return Err(QueryError::Empty);
        };
        if !quartet_api::brookmimir::SUPPORTED_QUERY_CLAUSES.contains(&name.as_str()) {
            return Err(QueryError::Unsupported(name.clone()));
        }
        if let Some((second, _)) = entries.next() {
            return Err(
                if quartet_api::brookmimir::SUPPORTED_QUERY_CLAUSES.contains(&second.as_str()) {
                    QueryError::Malformed(name.clone())
                } else {
                    QueryError::Unsupported(second.clone())
                },
            );
        }
        let malformed = || QueryError::Malformed(name.clone());
        let filter = |q: Box<dyn Query>| -> (Box<dyn Query>, bool) {
            (Box::new(ConstScoreQuery::new(q, 1.0)), false)
        };
        match name.as_str() {
            "match_all" => {
                arg.as_object().ok_or_else(malformed)?;
                Ok(filter(Box::new(AllQuery)))
            }
            "match" | "match_phrase" => {
                let (field, spec) = single_field(arg).ok_or_else(malformed)?;
                let text = match spec {
                    Value::Object(o) => {
                        scalar_text(o.get("query").ok_or_else(malformed)?).ok_or_else(malformed)?
                    }
                    other => scalar_text(other).ok_or_else(malformed)?,
                };
                let all = match spec.get("operator") {
                    None => false,
                    Some(Value::String(o)) if o.eq_ignore_ascii_case("and") => true,
                    Some(Value::String(o)) if o.eq_ignore_ascii_case("or") => false,
                    Some(_) => return Err(malformed()),
                };
                let q = if name == "match" {
                    self.match_field(field, &text, all)
                } else {
                    self.phrase(field, &text)
                };
                Ok((q, true))
            }
            "multi_match" => {
                let o = arg.as_object().ok_or_else(malformed)?;
                let text =
                    scalar_text(o.get("query").ok_or_else(malformed)?).ok_or_else(malformed)?;
                let fields: Vec<String> = match o.get("fields") {
                    None => TEXT_FIELDS.iter().map(|s| s.to_string()).collect(),
                    Some(Value::Array(a)) => a
                        .iter()
                        .map(|f| {
                            f.as_str()
                                .map(|s| s.split('^').next().unwrap_or(s).to_owned())
                        })
                        .collect::<Option<_>>()
                        .ok_or_else(malformed)?,
                    Some(_) => return Err(malformed()),
                };
                let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
                Ok((self.multi_match(&text, &refs), true))
            }
            "term" => {
                let (field, spec) = single_field(arg).ok_or_else(malformed)?;
                let value = match spec {
                    Value::Object(o) => {
                        scalar_text(o.get("value").ok_or_else(malformed)?).ok_or_else(malformed)?
                    }
                    other => scalar_text(other).ok_or_else(malformed)?,
                };
                Ok(filter(self.exact(field, &value)))
            }
            "terms" => {
                let (field, spec) = single_field(arg).ok_or_else(malformed)?;
                let values = spec.as_array().ok_or_else(malformed)?;
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for v in values {
                    clauses.push((
                        Occur::Should,
                        self.exact(field, &scalar_text(v).ok_or_else(malformed)?),
                    ));
                }
                Ok(filter(or_empty(clauses)))
            }
            "ids" => {
                let values = arg
                    .get("values")
                    .and_then(Value::as_array)
                    .ok_or_else(malformed)?;
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for v in values {
                    let id = v.as_str().ok_or_else(malformed)?;
                    clauses.push((
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(self.fields.doc_id, id),
                            IndexRecordOption::Basic,
                        )),
                    ));
                }
                Ok(filter(or_empty(clauses)))
            }
            "range" => {
                let bounds = date_bounds(arg).ok_or_else(malformed)?;
                Ok(filter(Box::new(self.date_range(bounds))))
            }
            "bool" => self.boolean(arg).map_err(|e| match e {
                QueryError::Empty => malformed(),
                other => other,
            }),
            _ => Err(QueryError::Unsupported(name.clone())),
        }
    }

    fn boolean(&self, arg: &Value) -> Result<(Box<dyn Query>, bool), QueryError> {
        let malformed = || QueryError::Malformed("bool".into());
        let o = arg.as_object().ok_or_else(malformed)?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut date_filters = Vec::new();
        let mut scoring = false;
        let mut positive = false;
        for (key, value) in o {
            let occur = match (key.as_str(), value) {
                ("must", _) => Occur::Must,
                ("should", _) => Occur::Should,
                ("must_not", _) => Occur::MustNot,
                ("filter", _) => Occur::Must,
                ("boost", Value::Number(_)) => continue,
                ("minimum_should_match", Value::String(_)) => continue,
                ("minimum_should_match", Value::Number(n)) if n.is_i64() => continue,
                _ => return Err(malformed()),
            };
            let items: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for item in items {
                let item = item.as_object().ok_or_else(malformed)?;
                if key == "filter" {
                    if let Some(range) = item.get("range").filter(|_| item.len() == 1) {
                        // Validated as the clause itself would be; applied below.
                        let bounds = date_bounds(range)
                            .ok_or_else(|| QueryError::Malformed("range".into()))?;
                        date_filters.push(bounds);
                        positive = true;
                        continue;
                    }
                }
                let (q, scores) = self.clause_of(item)?;
                match key.as_str() {
                    "filter" => {
                        clauses.push((occur, Box::new(ConstScoreQuery::new(q, 0.0))));
                        positive = true;
                    }
                    "must_not" => clauses.push((occur, q)),
                    _ => {
                        scoring |= scores;
                        positive = true;
                        clauses.push((occur, q));
                    }
                }
            }
        }
        // A date filter beside a required clause checks the dates of what the rest
        // matches (see `date_filter`). Without one, the rest may match documents the
        // range must bring in on its own (`should` clauses become optional): the
        // range is then a clause like any other.
        let required = clauses.iter().any(|(o, _)| *o == Occur::Must);
        if !required {
            for bounds in date_filters.drain(..) {
                let range = Box::new(self.date_range(bounds));
                clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(range, 0.0))));
            }
        }
        if !positive {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let mut q = or_empty(clauses);
        for (lower, upper) in date_filters {
            q = Box::new(DateFilter::new(
                q,
                "published_at",
                lower,
                upper,
                self.dates.clone(),
            ));
        }
        Ok(if scoring {
            (q, true)
        } else {
            (Box::new(ConstScoreQuery::new(q, 1.0)), false)
        })
    }

    fn field(&self, name: &str) -> Option<Field> {
        if name == "_id" {
            return Some(self.fields.doc_id);
        }
        let known = TEXT_FIELDS.contains(&name) || KEYWORD_FIELDS.contains(&name);
        known
            .then(|| self.index.schema().get_field(name).ok())
            .flatten()
    }

    /// The analysed tokens of `text` for a full-text field.
    fn tokens(&self, field: Field, text: &str) -> Vec<Term> {
        let Ok(mut analyzer) = self.index.tokenizer_for_field(field) else {
            return Vec::new();
        };
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while let Some(token) = stream.next() {
            terms.push(Term::from_field_text(field, &token.text));
        }
        terms
    }

    fn match_field(&self, name: &str, text: &str, all: bool) -> Box<dyn Query> {
        let Some(field) = self.field(name) else {
            return Box::new(EmptyQuery);
        };
        if !TEXT_FIELDS.contains(&name) {
            return self.exact(name, text);
        }
        let occur = if all { Occur::Must } else { Occur::Should };
        let clauses: Vec<(Occur, Box<dyn Query>)> = self
            .tokens(field, text)
            .into_iter()
            .map(|t| {
                (
                    occur,
                    Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs)) as Box<dyn Query>,
                )
            })
            .collect();
        or_empty(clauses)
    }

    fn phrase(&self, name: &str, text: &str) -> Box<dyn Query> {
        let Some(field) = self.field(name) else {
            return Box::new(EmptyQuery);
        };
        if !TEXT_FIELDS.contains(&name) {
            return self.exact(name, text);
        }
        let mut terms = self.tokens(field, text);
        match terms.len() {
            0 => Box::new(EmptyQuery),
            1 => Box::new(TermQuery::new(
                terms.remove(0),
                IndexRecordOption::WithFreqs,
            )),
            _ => Box::new(PhraseQuery::new(terms)),
        }
    }

    /// The documents whose `published_at` is within `bounds`.
    fn date_range(&self, (lower, upper): (Bound<DateTime>, Bound<DateTime>)) -> RangeQuery {
        let term = |d| Term::from_field_date_for_search(self.fields.published_at, d);
        RangeQuery::new(lower.map(term), upper.map(term))
    }

    /// One flat disjunction of every (field, term): it scores as one disjunction per
    /// field would (a sum of sums), and lets tantivy skip what cannot reach the top.
    fn multi_match(&self, text: &str, fields: &[&str]) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for name in fields {
            match self.field(name) {
                Some(field) if TEXT_FIELDS.contains(name) => {
                    clauses.extend(self.tokens(field, text).into_iter().map(|t| {
                        let q: Box<dyn Query> =
                            Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs));
                        (Occur::Should, q)
                    }))
                }
                Some(_) => clauses.push((Occur::Should, self.exact(name, text))),
                None => {}
            }
        }
        or_empty(clauses)
    }

    fn exact(&self, name: &str, value: &str) -> Box<dyn Query> {
        match self.field(name) {
            Some(field) => Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            )),
            None => Box::new(EmptyQuery),
        }
    }
}

/// A boolean query of `clauses`; a query matching nothing when there are none,
/// and the clause itself when there is one that must or should match (it matches
/// and scores the same, and tantivy runs a bare term query faster).
fn or_empty(mut clauses: Vec<(Occur, Box<dyn Query>)>) -> Box<dyn Query> {
    match clauses.len() {
        0 => Box::new(EmptyQuery),
        1 if clauses[0].0 != Occur::MustNot => clauses.remove(0).1,
        _ => Box::new(BooleanQuery::new(clauses)),
    }
}

/// The requested page of the best hits of `query`, and how many documents match.
///
/// A term, or a disjunction of terms, is collected in two passes: the top hits
/// with tantivy's block-max WAND, which skips blocks of postings that cannot
/// reach them, then the count, which needs no scores (and is read from the term
/// dictionary for a single term). Other queries (conjunctions, filters) gain
/// nothing from that and are collected in one pass that scores and counts.
pub fn top_and_total(
    searcher: &Searcher,
    query: &dyn Query,
    from: usize,
    size: usize,
) -> tantivy::Result<(Vec<(Score, DocAddress)>, usize)> {
    let top = TopDocs::with_limit(size).and_offset(from);
    if prunable(query) {
        let hits = searcher.search(query, &top)?;
        Ok((hits, query.count(searcher)?))
    } else {
        searcher.search(query, &(top, Count))
    }
}

/// Whether `query` is a scored term or a disjunction of scored terms.
fn prunable(query: &dyn Query) -> bool {
    let scored_term = |q: &dyn Query| q.downcast_ref::<TermQuery>().is_some();
    scored_term(query)
        || query.downcast_ref::<BooleanQuery>().is_some_and(|b| {
            b.clauses()
                .iter()
                .all(|(occur, q)| *occur == Occur::Should && scored_term(q.as_ref()))
        })
}

/// The bounds of a `range` clause's argument: `{"published_at": {"gte": …, …}}`.
fn date_bounds(arg: &Value) -> Option<(Bound<DateTime>, Bound<DateTime>)> {
    let (field, spec) = single_field(arg)?;
    let bounds = spec.as_object()?;
    if field != "published_at" || bounds.is_empty() {
        return None;
    }
    let (mut lower, mut upper) = (Bound::Unbounded, Bound::Unbounded);
    for (op, v) in bounds {
        match (op.as_str(), v) {
            ("format" | "time_zone", Value::String(_)) | ("boost", Value::Number(_)) => continue,
            ("gt" | "gte" | "lt" | "lte", _) => {}
            _ => return None,
        }
        let date = v.as_str().and_then(parse_date)?;
        match op.as_str() {
            "gt" => lower = Bound::Excluded(date),
            "gte" => lower = Bound::Included(date),
            "lt" => upper = Bound::Excluded(date),
            _ => upper = Bound::Included(date),
        }
    }
    if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
        return None;
    }
    Some((lower, upper))
}

/// `{field: spec}` with exactly one field.
fn single_field(arg: &Value) -> Option<(&str, &Value)> {
    let o = arg.as_object()?;
    if o.len() != 1 {
        return None;
    }
    o.iter().next().map(|(k, v)| (k.as_str(), v))
}

/// A string, number or boolean as text.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brookmimir::generate;
    use crate::brookmimir::index::Position;

    fn index() -> SearchIndex {
        let index = SearchIndex::in_ram().unwrap();
        let mut w = index.writer(false).unwrap();
        for d in generate::documents(400, 3, 1) {
            w.upsert(&d).unwrap();
        }
        w.commit(Position {
            corpus: 1,
            version: 1,
        })
        .unwrap();
        index
    }

    fn term(index: &SearchIndex, field: &str, text: &str) -> Box<dyn Query> {
        let field = index.index.schema().get_field(field).unwrap();
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        ))
    }

    fn since(index: &SearchIndex, date: &str) -> Box<dyn Query> {
        let t =
            Term::from_field_date_for_search(index.fields.published_at, parse_date(date).unwrap());
        let range = ConstScoreQuery::new(
            Box::new(RangeQuery::new(Bound::Included(t), Bound::Unbounded)),
            1.0,
        );
        Box::new(ConstScoreQuery::new(Box::new(range), 0.0))
    }

    /// Hits (document, score to 4 decimals) and total, by the server's path and by a
    /// plain tantivy query tree collected in one pass.
    fn both(
        index: &SearchIndex,
        dsl: Value,
        plain: Box<dyn Query>,
    ) -> [(Vec<(u32, String)>, usize); 2] {
        let input: QueryInput = serde_json::from_value(dsl).unwrap();
        let compiled = index.compile(&input).unwrap();
        let searcher = index.reader.searcher();
        let shape = |(top, total): (Vec<(Score, DocAddress)>, usize)| {
            let mut hits: Vec<(u32, String)> = top
                .into_iter()
                .map(|(s, a)| (a.doc_id, format!("{s:.4}")))
                .collect();
            hits.sort();
            (hits, total)
        };
        [
            shape(top_and_total(&searcher, compiled.as_ref(), 0, 20).unwrap()),
            shape(
                searcher
                    .search(plain.as_ref(), &(TopDocs::with_limit(20), Count))
                    .unwrap(),
            ),
        ]
    }

    #[test]
    fn the_faster_plans_find_and_score_what_the_plain_trees_do() {
        let ix = index();
        let should = |qs: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                qs.into_iter().map(|q| (Occur::Should, q)).collect(),
            ))
        };
        let must = |qs: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                qs.into_iter().map(|q| (Occur::Must, q)).collect(),
            ))
        };
        let cases: Vec<(Value, Box<dyn Query>)> = vec![
            (
                json!({"match": {"content": "contract"}}),
                should(vec![term(&ix, "content", "contract")]),
            ),
            (
                json!({"bool": {"must": {"match": {"content": "contract"}},
                                "filter": {"range": {"published_at": {"gte": "2024-01-01"}}}}}),
                must(vec![
                    should(vec![term(&ix, "content", "contract")]),
                    since(&ix, "2024-01-01"),
                ]),
            ),
            (
                json!({"bool": {"should": [{"match": {"content": "audit"}}, {"match": {"title": "port"}}],
                                "filter": {"range": {"published_at": {"gte": "2023-06-01"}}}}}),
                Box::new(BooleanQuery::new(vec![
                    (Occur::Should, should(vec![term(&ix, "content", "audit")])),
                    (Occur::Should, should(vec![term(&ix, "title", "port")])),
                    (Occur::Must, since(&ix, "2023-06-01")),
                ])),
            ),
            (
                json!("port logistics"),
                should(
                    TEXT_FIELDS
                        .iter()
                        .map(|f| should(vec![term(&ix, f, "port"), term(&ix, f, "logist")]))
                        .collect(),
                ),
            ),
        ];
        for (dsl, plain) in cases {
            let [fast, reference] = both(&ix, dsl.clone(), plain);
            assert!(reference.1 > 0, "{dsl}: the case matches something");
            assert_eq!(fast, reference, "{dsl}");
        }
    }
}
