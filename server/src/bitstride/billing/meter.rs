//! What the gateway bills for one completion: its own count of what it
//! forwarded, or the backend's `usage` when that is believable.
//!
//! A deployment's backend belongs to the tenant, so its `usage` is a claim, not
//! a fact. A reported figure is used only when it is a non-negative integer and
//! plausible against the gateway's count `c`: within `[c / FACTOR, c × FACTOR +
//! SLACK]` (integer division). Tokenizers differ, so the band is loose, but a
//! backend can at most halve what it is billed, and cannot claim nothing for a
//! long answer or a huge figure for a short one. Otherwise the gateway's count is billed and
//! the discrepancy is reported so that it can be logged and counted.

use serde_json::Value;

/// How far (as a factor) a reported figure may be from the gateway's count.
pub const FACTOR: i64 = 2;
/// How many tokens a reported figure may exceed the gateway's count by, on top of [`FACTOR`]
/// (short texts, where one tokenizer's extra pieces weigh most).
pub const SLACK: i64 = 16;

/// Why a backend's figure was not billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discrepancy {
    /// Below zero.
    Negative,
    /// Not an integer (a string, a fraction, an object).
    Malformed,
    /// An integer outside the plausible band around the gateway's count.
    Implausible,
}

impl Discrepancy {
    /// The `kind` label of `bitstride_usage_discrepancies_total`.
    pub fn label(self) -> &'static str {
        match self {
            Discrepancy::Negative => "negative",
            Discrepancy::Malformed => "malformed",
            Discrepancy::Implausible => "implausible",
        }
    }
}

/// Whether `reported` is believable next to the gateway's `counted`.
pub fn plausible(reported: i64, counted: i64) -> bool {
    let low = counted / FACTOR;
    let high = counted.saturating_mul(FACTOR).saturating_add(SLACK);
    (low..=high).contains(&reported)
}

/// The figure to bill for one field: `reported` (a JSON value from the
/// backend's `usage`, absent when it sent none) or `counted`, with the reason
/// when a present figure was refused.
pub fn bill(reported: Option<&Value>, counted: i64) -> (i64, Option<Discrepancy>) {
    let Some(v) = reported.filter(|v| !v.is_null()) else {
        return (counted, None);
    };
    match v.as_i64() {
        Some(n) if n < 0 => (counted, Some(Discrepancy::Negative)),
        Some(n) if plausible(n, counted) => (n, None),
        Some(_) => (counted, Some(Discrepancy::Implausible)),
        None if v.as_f64().is_some_and(|f| f < 0.0) => (counted, Some(Discrepancy::Negative)),
        None => (counted, Some(Discrepancy::Malformed)),
    }
}

/// Prompt and completion tokens to bill from a backend's `usage` object (if
/// any) and the gateway's counts, with every refused figure's reason.
pub fn reconcile(
    usage: Option<&Value>,
    counted_prompt: i64,
    counted_completion: i64,
) -> (i64, i64, Vec<(&'static str, Discrepancy)>) {
    let field = |name: &str| usage.and_then(|u| u.get(name));
    let (prompt, p_why) = bill(field("prompt_tokens"), counted_prompt);
    let (completion, c_why) = bill(field("completion_tokens"), counted_completion);
    let mut why = Vec::new();
    if let Some(d) = p_why {
        why.push(("prompt_tokens", d));
    }
    if let Some(d) = c_why {
        why.push(("completion_tokens", d));
    }
    (prompt, completion, why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reported_figures_are_used_only_when_believable() {
        assert_eq!(bill(None, 40), (40, None));
        assert_eq!(bill(Some(&json!(null)), 40), (40, None));
        assert_eq!(bill(Some(&json!(55)), 40), (55, None));
        assert_eq!(
            bill(Some(&json!(-1)), 40),
            (40, Some(Discrepancy::Negative))
        );
        assert_eq!(
            bill(Some(&json!(-1.5)), 40),
            (40, Some(Discrepancy::Negative))
        );
        assert_eq!(
            bill(Some(&json!("9")), 40),
            (40, Some(Discrepancy::Malformed))
        );
        assert_eq!(
            bill(Some(&json!(2.5)), 40),
            (40, Some(Discrepancy::Malformed))
        );
        // Zero for a long answer, or a huge figure for a short one.
        assert_eq!(
            bill(Some(&json!(0)), 300),
            (300, Some(Discrepancy::Implausible))
        );
        assert_eq!(
            bill(Some(&json!(1000)), 10),
            (10, Some(Discrepancy::Implausible))
        );
        // Short answers leave room for a different tokenizer.
        assert_eq!(bill(Some(&json!(0)), 1), (0, None));
        assert_eq!(
            bill(Some(&json!(1)), 4),
            (4, Some(Discrepancy::Implausible))
        );
        assert_eq!(bill(Some(&json!(2)), 4), (2, None));
        assert_eq!(bill(Some(&json!(36)), 10), (36, None));
        assert_eq!(bill(Some(&json!(i64::MAX)), i64::MAX), (i64::MAX, None));
    }

    #[test]
    fn each_field_is_checked_on_its_own() {
        let u = json!({"prompt_tokens": 12, "completion_tokens": -7});
        let (p, c, why) = reconcile(Some(&u), 10, 200);
        assert_eq!((p, c), (12, 200));
        assert_eq!(why, vec![("completion_tokens", Discrepancy::Negative)]);
    }
}
