//! Responses, operation by operation: statuses (a specific code is still covered by its
//! range), then each matched response's description, headers and content.

use crate::model::Operation;
use crate::wire::{covering, find_status};

use super::bodies::content;
use super::change::Found;
use super::compare::text_verb;
use super::headers;
use super::rules::{Rule, Side};

fn is_success(status: &str) -> bool {
    status.starts_with('2')
}

/// Every change to the responses of an operation.
pub(super) fn responses(o: &Operation, n: &Operation, out: &mut Vec<Found>) {
    for (status, or) in &o.responses {
        // A specific code now covered by its range (`404` → `4XX`) is compared with the range.
        let Some(nr) = covering(&n.responses, status) else {
            let (rule, kind) = if is_success(status) {
                (Rule::SuccessStatusRemoved, "success")
            } else {
                (Rule::NonSuccessStatusRemoved, "non-success")
            };
            out.push(Found::new(
                rule,
                Side::Response,
                &or.pointer,
                format!("{kind} status {status} was removed"),
            ));
            continue;
        };
        let subject = format!("response {status}");
        if or.description != nr.description {
            out.push(Found::new(
                Rule::DescriptionChanged,
                Side::Response,
                format!("{}/description", nr.pointer),
                format!(
                    "{subject}: description {}",
                    text_verb(&or.description, &nr.description)
                ),
            ));
        }
        headers::compare(&subject, or, nr, out);
        content(
            Side::Response,
            &subject,
            &or.content,
            &nr.content,
            &format!("{}/content", or.pointer),
            &format!("{}/content", nr.pointer),
            out,
        );
    }
    for (status, nr) in &n.responses {
        if find_status(&o.responses, status).is_some() {
            continue;
        }
        let (rule, kind) = if is_success(status) {
            (Rule::SuccessStatusAdded, "success")
        } else {
            (Rule::NonSuccessStatusAdded, "non-success")
        };
        out.push(Found::new(
            rule,
            Side::Response,
            &nr.pointer,
            format!("new {kind} status {status}"),
        ));
    }
}
