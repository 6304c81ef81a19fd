//! Full-text search over the corpus with tantivy, driven by the subset of the
//! Elasticsearch query DSL that `openapi/brookmimir.yaml` documents. The index
//! itself (schema, storage, writes) is [`super::index`].

use std::ops::Bound;

use quartet_api::brookmimir::{Document, QueryInput};
use serde_json::{Map, Value};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, TantivyDocument, Value as _};
use tantivy::Term;
use thiserror::Error;

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
    pub source: Document,
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
                if text.trim().is_empty() {
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
        let (top, total) =
            searcher.search(query, &(TopDocs::with_limit(size).and_offset(from), Count))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let source = doc
                .get_first(self.fields.source)
                .and_then(|v| v.as_str())
                .and_then(|s| serde_json::from_str::<Document>(s).ok());
            if let Some(source) = source {
                hits.push(Hit {
                    id: source.id.clone(),
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
                let all = spec
                    .get("operator")
                    .and_then(Value::as_str)
                    .is_some_and(|o| o.eq_ignore_ascii_case("and"));
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
                let (field, spec) = single_field(arg).ok_or_else(malformed)?;
                let bounds = spec.as_object().ok_or_else(malformed)?;
                if field != "published_at" || bounds.is_empty() {
                    return Err(malformed());
                }
                let (mut lower, mut upper) = (Bound::Unbounded, Bound::Unbounded);
                for (op, v) in bounds {
                    let date = v.as_str().and_then(parse_date).ok_or_else(malformed)?;
                    let term = Term::from_field_date_for_search(self.fields.published_at, date);
                    match op.as_str() {
                        "gt" => lower = Bound::Excluded(term),
                        "gte" => lower = Bound::Included(term),
                        "lt" => upper = Bound::Excluded(term),
                        "lte" => upper = Bound::Included(term),
                        "format" | "time_zone" | "boost" => {}
                        _ => return Err(malformed()),
                    }
                }
                Ok(filter(Box::new(RangeQuery::new(lower, upper))))
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
        let mut scoring = false;
        let mut positive = false;
        for (key, value) in o {
            let occur = match key.as_str() {
                "must" => Occur::Must,
                "should" => Occur::Should,
                "must_not" => Occur::MustNot,
                "filter" => Occur::Must,
                "boost" | "minimum_should_match" => continue,
                _ => return Err(malformed()),
            };
            let items: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for item in items {
                let (q, scores) = self.clause_of(item.as_object().ok_or_else(malformed)?)?;
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
        if !positive {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let q: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
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

    fn multi_match(&self, text: &str, fields: &[&str]) -> Box<dyn Query> {
        let clauses = fields
            .iter()
            .map(|f| (Occur::Should, self.match_field(f, text, false)))
            .collect();
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

/// A boolean query of `clauses`, or a query matching nothing when there are none.
fn or_empty(clauses: Vec<(Occur, Box<dyn Query>)>) -> Box<dyn Query> {
    if clauses.is_empty() {
        Box::new(EmptyQuery)
    } else {
        Box::new(BooleanQuery::new(clauses))
    }
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
