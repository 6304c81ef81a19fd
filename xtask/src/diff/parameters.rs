//! Parameters, operation by operation: matched by location and name (path parameters by
//! position), then compared one by one.

use crate::model::{Operation, Parameter};
use crate::wire::ParamKey;

use super::change::Found;
use super::compare::{documented, requiredness};
use super::rules::{Rule, Side};
use super::walk::{show, Root, Walk};

/// How parameters are matched: [`Parameter::key`] (header names without regard to case),
/// except that path parameters match by their position in the template, so a rename is
/// seen as one.
fn param_key(op: &Operation, p: &Parameter) -> ParamKey {
    let position = (p.location == "path")
        .then(|| op.key.path_parameters().iter().position(|n| n == &p.name))
        .flatten();
    match position {
        Some(i) => ParamKey::exact("path", &format!("#{i}")),
        None => p.key(),
    }
}

/// Every change to the parameters of an operation.
pub(super) fn parameters(o: &Operation, n: &Operation, out: &mut Vec<Found>) {
    let find = |op: &Operation, key: &ParamKey| -> Option<Parameter> {
        op.parameters
            .iter()
            .find(|p| &param_key(op, p) == key)
            .cloned()
    };
    for op_param in &o.parameters {
        let key = param_key(o, op_param);
        let what = format!("{} parameter `{}`", op_param.location, op_param.name);
        match find(n, &key) {
            None => out.push(Found::new(
                Rule::ParameterRemoved,
                Side::Request,
                &op_param.pointer,
                format!("{what} was removed"),
            )),
            Some(np) => parameter(op_param, &np, out),
        }
    }
    for np in &n.parameters {
        let key = param_key(n, np);
        if find(o, &key).is_some() {
            continue;
        }
        let what = format!("{} parameter `{}`", np.location, np.name);
        let (rule, message) = if np.required {
            (Rule::NewRequiredParameter, format!("new required {what}"))
        } else {
            (Rule::NewOptionalParameter, format!("new optional {what}"))
        };
        out.push(Found::new(rule, Side::Request, &np.pointer, message));
    }
}

fn parameter(o: &Parameter, n: &Parameter, out: &mut Vec<Found>) {
    let what = format!("{} parameter `{}`", n.location, n.name);
    let at = |k: &str| format!("{}/{k}", n.pointer);
    if o.location == "path" && o.name != n.name {
        out.push(Found::new(
            Rule::PathParameterRenamed,
            Side::Request,
            at("name"),
            format!(
                "path parameter `{}` renamed to `{}`: the generated client's argument is renamed",
                o.name, n.name
            ),
        ));
    }
    requiredness(
        Side::Request,
        &what,
        &n.pointer,
        (o.required, n.required),
        (Rule::ParameterBecameRequired, Rule::ParameterBecameOptional),
        out,
    );
    let (os, ns) = (o.serialization(), n.serialization());
    if os != ns {
        out.push(Found::new(
            Rule::ParameterStyleChanged,
            Side::Request,
            at("style"),
            format!("{what}: serialization changed from {os} to {ns}"),
        ));
    }
    documented(
        Side::Request,
        &what,
        &n.pointer,
        (&o.description, &n.description),
        (o.deprecated, n.deprecated),
        out,
    );
    if o.example != n.example {
        out.push(Found::new(
            Rule::ExampleChanged,
            Side::Request,
            at("example"),
            format!(
                "{what}: example changed from {} to {}",
                show(o.example.as_ref()),
                show(n.example.as_ref())
            ),
        ));
    }
    let mut found = Vec::new();
    Walk::new(Side::Request, what, Root::Parameter, &mut found).run(
        &o.schema,
        &n.schema,
        &at("schema"),
    );
    out.extend(found);
}
