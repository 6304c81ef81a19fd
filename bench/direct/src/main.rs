//! The search baseline: tantivy called directly, in-process, on the same corpus,
//! with Brookmimir's schema, analyser and documents (its own index writer) and
//! the query trees its DSL compiler builds — no HTTP, no keys, no credits, no
//! JSON. Each query is what `POST /query` does inside tantivy: the top hits and
//! the total count (`search::top_and_total`, the server's own collection), then
//! each hit's stored `_source`.
//!
//! ```text
//! bench-direct CORPUS.jsonl SECONDS THREADS BODY...
//! ```
//!
//! Each BODY is a `POST /query` request body; for each, THREADS threads search
//! for SECONDS, once with the server's plan and once in a single pass that
//! scores and counts every match (`TopDocs` + `Count`, the plan tantivy runs for
//! that collector pair), and the throughput and latency percentiles are printed.

use std::error::Error;
use std::fs::File;
use std::io::BufReader;
use std::time::{Duration, Instant};

use quartet_api::brookmimir::{QueryRequest, QUERY_DEFAULT_SIZE};
use quartet_server::brookmimir::corpus;
use quartet_server::brookmimir::index::{Position, SearchIndex};
use quartet_server::brookmimir::search::top_and_total;
use tantivy::collector::{Count, TopDocs};
use tantivy::schema::{TantivyDocument, Value as _};
use tantivy::{IndexReader, ReloadPolicy};

/// How the top hits and the total are collected.
#[derive(Clone, Copy)]
enum Plan {
    /// As the server does it.
    Server,
    /// `(TopDocs, Count)` in one pass, as the server did before it pruned.
    OnePass,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [corpus_path, seconds, threads, bodies @ ..] = args.as_slice() else {
        return Err("usage: bench-direct CORPUS.jsonl SECONDS THREADS BODY...".into());
    };
    let seconds: u64 = seconds.parse()?;
    let threads: usize = threads.parse()?;

    let dir = tempfile::tempdir()?;
    let (index, _) = SearchIndex::open(&dir.path().join("index"))?;
    let started = Instant::now();
    let mut writer = index.writer(true)?;
    let mut n = 0;
    for doc in corpus::parse_jsonl(BufReader::new(File::open(corpus_path)?)) {
        writer.upsert(&doc?)?;
        n += 1;
    }
    writer.commit(Position {
        corpus: 0,
        version: 1,
    })?;
    eprintln!(
        "direct: indexed {n} documents in {:.1} s ({} segment(s))",
        started.elapsed().as_secs_f64(),
        index.segments()
    );
    let reader: IndexReader = index
        .tantivy()
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    let source = index.tantivy().schema().get_field("_source")?;

    for body in bodies {
        let request: QueryRequest = serde_json::from_str(body)?;
        let query = index.compile(&request.query)?;
        let size = request.size.unwrap_or(QUERY_DEFAULT_SIZE) as usize;
        println!("direct {body}");
        for plan in [Plan::Server, Plan::OnePass] {
            let deadline = Instant::now() + Duration::from_secs(seconds);
            let run = || {
                let mut latencies = Vec::new();
                let mut total = 0;
                while Instant::now() < deadline {
                    let began = Instant::now();
                    let searcher = reader.searcher();
                    let (top, count) = match plan {
                        Plan::Server => top_and_total(&searcher, &*query, 0, size),
                        Plan::OnePass => {
                            searcher.search(&*query, &(TopDocs::with_limit(size), Count))
                        }
                    }
                    .expect("search");
                    for (_, address) in top {
                        let doc: TantivyDocument = searcher.doc(address).expect("stored document");
                        std::hint::black_box(doc.get_first(source).and_then(|v| v.as_str()));
                    }
                    total = count;
                    latencies.push(began.elapsed());
                }
                (latencies, total)
            };
            let results: Vec<(Vec<Duration>, usize)> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads).map(|_| s.spawn(run)).collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a search thread"))
                    .collect()
            });
            let hits = results.first().map_or(0, |(_, t)| *t);
            let mut all: Vec<Duration> = results.into_iter().flat_map(|(l, _)| l).collect();
            all.sort();
            let pct = |p: f64| {
                all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
                    .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
            };
            println!(
                "  {:.0} q/s, p50 {:.2} ms, p99 {:.2} ms, {hits} matching documents: {}",
                all.len() as f64 / seconds as f64,
                pct(0.50),
                pct(0.99),
                match plan {
                    Plan::Server => "the server's plan (search::top_and_total)",
                    Plan::OnePass => "one pass that scores and counts every match",
                }
            );
        }
    }
    Ok(())
}
