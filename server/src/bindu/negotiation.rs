//! `POST /agent/negotiation`: how well a proposed task fits this agent. The
//! score is documented in `openapi/bindu.yaml`; in short, five subscores in
//! [0, 1] combined with weights: the best skill's keyword match, media-type
//! compatibility, latency fit, load (`1 / (1 + queue depth)`) and cost.

use quartet_api::bindu::{
    NegotiationRequest, NegotiationResponse, NegotiationSubscores, NegotiationWeights, SkillMatch,
};

use super::failure::Failure;
use super::skills::Manifest;

/// Default weights: skill match, I/O compatibility, performance, load, cost.
pub const DEFAULT_WEIGHTS: [f64; 5] = [0.55, 0.20, 0.15, 0.05, 0.05];

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Whether `word` occurs in `text` as a whole word (both lower case).
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '-' && c != '_')
        .any(|w| w == word)
}

fn check_range(name: &str, v: Option<f64>) -> Result<(), Failure> {
    match v {
        Some(x) if !(0.0..=1.0).contains(&x) => Err(Failure::invalid_params(format!(
            "{name} must be between 0 and 1"
        ))),
        _ => Ok(()),
    }
}

/// Scores `request` against `manifest` with `queue_depth` tasks waiting or running.
pub fn negotiate(
    manifest: &Manifest,
    request: &NegotiationRequest,
    queue_depth: i64,
) -> Result<NegotiationResponse, Failure> {
    if request.task_summary.chars().count() > 10_000 {
        return Err(Failure::invalid_params(
            "task_summary exceeds 10000 characters",
        ));
    }
    if request.task_summary.is_empty() {
        return Err(Failure::invalid_params("task_summary must not be empty"));
    }
    let w = request.weights.clone().unwrap_or_default();
    let NegotiationWeights {
        skill_match,
        io_compatibility,
        performance,
        load,
        cost,
    } = &w;
    for (name, v) in [
        ("weights.skill_match", skill_match),
        ("weights.io_compatibility", io_compatibility),
        ("weights.performance", performance),
        ("weights.load", load),
        ("weights.cost", cost),
    ] {
        check_range(name, *v)?;
    }
    check_range("min_score", request.min_score)?;
    if request.max_latency_ms.is_some_and(|l| l < 0) {
        return Err(Failure::invalid_params("max_latency_ms must be 0 or more"));
    }
    let text = format!(
        "{} {}",
        request.task_summary,
        request.task_details.as_deref().unwrap_or("")
    )
    .to_lowercase();

    let mut matches: Vec<(SkillMatch, Vec<String>, Option<i64>)> = Vec::new();
    for skill in &manifest.skills {
        let found: Vec<String> = skill
            .keywords()
            .into_iter()
            .filter(|k| has_word(&text, k))
            .collect();
        if found.is_empty() {
            continue;
        }
        let score = (0.5 * found.len() as f64).min(1.0);
        let tags: Vec<String> = skill
            .detail
            .tags
            .iter()
            .filter(|t| has_word(&text, &t.to_lowercase()))
            .cloned()
            .collect();
        matches.push((
            SkillMatch {
                skill_id: skill.detail.id.clone(),
                skill_name: skill.detail.name.clone(),
                score,
                reasons: vec![format!("matched keywords: {}", found.join(", "))],
            },
            tags,
            skill.avg_processing_ms(),
        ));
    }
    matches.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
    let best = matches.first();
    let skill_score = best.map_or(0.0, |m| m.0.score);

    let supported = manifest.output_modes();
    let listed: Vec<&String> = request
        .input_mime_types
        .iter()
        .flatten()
        .chain(request.output_mime_types.iter().flatten())
        .collect();
    let io = if listed.is_empty() {
        1.0
    } else {
        listed.iter().filter(|m| supported.contains(m)).count() as f64 / listed.len() as f64
    };
    let expected = best.and_then(|m| m.2).or_else(|| {
        manifest
            .skills
            .iter()
            .filter_map(|s| s.avg_processing_ms())
            .min()
    });
    let perf = match (request.max_latency_ms, expected) {
        (Some(max), Some(exp)) if exp > max && exp > 0 => max as f64 / exp as f64,
        _ => 1.0,
    };
    let load_score = 1.0 / (1.0 + queue_depth.max(0) as f64);
    let cost_score = 1.0;
    let weights = [
        skill_match.unwrap_or(DEFAULT_WEIGHTS[0]),
        io_compatibility.unwrap_or(DEFAULT_WEIGHTS[1]),
        performance.unwrap_or(DEFAULT_WEIGHTS[2]),
        load.unwrap_or(DEFAULT_WEIGHTS[3]),
        cost.unwrap_or(DEFAULT_WEIGHTS[4]),
    ];
    let subs = [skill_score, io, perf, load_score, cost_score];
    let score = round4(weights.iter().zip(subs).map(|(w, s)| w * s).sum());
    let accepted = score >= request.min_score.unwrap_or(0.0);
    let mut tags: Vec<String> = Vec::new();
    for (_, t, _) in &matches {
        for tag in t {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
    }
    Ok(NegotiationResponse {
        accepted,
        score,
        confidence: if best.is_some() { 0.9 } else { 0.7 },
        rejection_reason: (!accepted).then(|| "score_below_threshold".to_owned()),
        latency_estimate_ms: best.and_then(|m| m.2),
        skill_matches: (!matches.is_empty()).then(|| matches.into_iter().map(|m| m.0).collect()),
        matched_tags: (!tags.is_empty()).then_some(tags),
        queue_depth,
        subscores: NegotiationSubscores {
            skill_match: round4(skill_score),
            io_compatibility: round4(io),
            performance: round4(perf),
            load: round4(load_score),
            cost: cost_score,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(summary: &str) -> NegotiationRequest {
        serde_json::from_value(serde_json::json!({"task_summary": summary})).unwrap()
    }

    #[test]
    fn the_documented_examples_score_as_documented() {
        let m = Manifest::load(None).unwrap();
        let r = negotiate(
            &m,
            &request("Repeat this sentence back to me as an echo"),
            0,
        )
        .unwrap();
        assert_eq!((r.accepted, r.score, r.confidence), (true, 1.0, 0.9));
        assert_eq!(r.matched_tags, Some(vec!["echo".to_owned()]));
        let mut other = request("Translate this contract into French");
        other.min_score = Some(0.5);
        let r = negotiate(&m, &other, 0).unwrap();
        assert_eq!((r.accepted, r.score), (false, 0.45));
        assert_eq!(r.rejection_reason.as_deref(), Some("score_below_threshold"));
        let r = negotiate(&m, &request("echo"), 3).unwrap();
        assert_eq!(r.subscores.load, 0.25);
    }
}
