//! A document read as a contract: operations keyed by method and path, with every
//! `$ref` resolved, so that two documents can be compared structurally whatever
//! their component names or layout. Shared by the drift check and the diff.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::document::{pointer, Document, METHODS};
use crate::wire::{header_key, ParamKey, Serialization};

/// Identifies an operation: upper-case method and path template.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpKey {
    /// The path template, e.g. `/v1/projects/{id}`.
    pub path: String,
    /// The method in upper case, e.g. `GET`.
    pub method: String,
}

impl OpKey {
    /// The path with every template parameter's name blanked (`/v1/projects/{}`): two
    /// paths that differ only in parameter names address the same operation.
    pub fn template(&self) -> String {
        let mut out = String::with_capacity(self.path.len());
        let mut in_param = false;
        for c in self.path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push('{');
                }
                '}' => {
                    in_param = false;
                    out.push('}');
                }
                _ if in_param => {}
                _ => out.push(c),
            }
        }
        out
    }

    /// The names of the path's template parameters, in order.
    pub fn path_parameters(&self) -> Vec<String> {
        self.path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_owned()))
            .collect()
    }
}

impl fmt::Display for OpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// One operation of a contract.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Method and path.
    pub key: OpKey,
    /// The `operationId`, if any.
    pub operation_id: Option<String>,
    /// JSON pointer of the operation object in its document.
    pub pointer: String,
    /// Parameters (path-level ones merged in), `$ref`s resolved.
    pub parameters: Vec<Parameter>,
    /// The request body, `$ref`s resolved.
    pub request_body: Option<RequestBody>,
    /// Responses by status key (`200`, `4XX`, `default`), `$ref`s resolved.
    pub responses: BTreeMap<String, Response>,
    /// The operation's `security`, or `None` when it inherits the document's.
    pub security: Option<Value>,
    /// The `servers` written on the operation, else on its path item; `None` when it
    /// inherits the document's.
    pub servers: Option<Servers>,
    /// The operation's tags.
    pub tags: Vec<String>,
    /// Its `summary`, when written.
    pub summary: Option<String>,
    /// Its `description`, when written.
    pub description: Option<String>,
    /// Whether it is marked `deprecated: true`.
    pub deprecated: bool,
}

impl Operation {
    /// `METHOD path (operationId)`, the way findings name an operation.
    pub fn label(&self) -> String {
        match &self.operation_id {
            Some(id) => format!("{} ({id})", self.key),
            None => self.key.to_string(),
        }
    }
}

/// A parameter.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// `path`, `query`, `header` or `cookie`.
    pub location: String,
    /// The name as written.
    pub name: String,
    /// Whether it is required.
    pub required: bool,
    /// Its schema, resolved (`{}` when absent).
    pub schema: Value,
    /// `style`, when written.
    pub style: Option<String>,
    /// `explode`, when written.
    pub explode: Option<bool>,
    /// Its `example`, when written.
    pub example: Option<Value>,
    /// JSON pointer of the parameter in its document.
    pub pointer: String,
    /// Its `description`, when written.
    pub description: Option<String>,
    /// Whether it is marked `deprecated: true`.
    pub deprecated: bool,
}

impl Parameter {
    /// What tells it apart from the operation's other parameters (see [`ParamKey::new`]).
    pub fn key(&self) -> ParamKey {
        ParamKey::new(&self.location, &self.name)
    }

    /// Its `style` and `explode`, with the location's defaults filled in.
    pub fn serialization(&self) -> Serialization {
        Serialization::of(&self.location, self.style.as_deref(), self.explode)
    }
}

/// A request body.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// Whether the body is required.
    pub required: bool,
    /// Media types and their content.
    pub content: BTreeMap<String, Media>,
    /// JSON pointer of the request body in its document.
    pub pointer: String,
    /// Its `description`, when written.
    pub description: Option<String>,
}

/// A response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Media types and their content (empty for a response without a body).
    pub content: BTreeMap<String, Media>,
    /// JSON pointer of the response in its document.
    pub pointer: String,
    /// Its `description`, when written.
    pub description: Option<String>,
    /// Its headers by [`header_key`] (lower-case name). A `Content-Type` entry is left
    /// out: OpenAPI says it is ignored (the media type says it).
    pub headers: BTreeMap<String, Header>,
}

/// A response header.
#[derive(Debug, Clone)]
pub struct Header {
    /// The name as written.
    pub name: String,
    /// Whether it is `required` (absent: not).
    pub required: bool,
    /// Its schema, resolved: `schema`, else the schema of its `content` entry (`{}` when
    /// neither is written).
    pub schema: Value,
    /// `style`, when written (headers only know `simple`).
    pub style: Option<String>,
    /// `explode`, when written.
    pub explode: Option<bool>,
    /// `example` plus every `examples.*.value`, by name (`example` for the single form).
    pub examples: Vec<(String, Value)>,
    /// JSON pointer of the header in its document.
    pub pointer: String,
    /// Its `description`, when written.
    pub description: Option<String>,
    /// Whether it is marked `deprecated: true`.
    pub deprecated: bool,
}

impl Header {
    /// Its `style` and `explode`, with a header's defaults filled in.
    pub fn serialization(&self) -> Serialization {
        Serialization::of("header", self.style.as_deref(), self.explode)
    }
}

/// A `servers` list and where it is written.
#[derive(Debug, Clone)]
pub struct Servers {
    /// JSON pointer of the list in its document (`/servers`, `/paths/~1x/servers`, …).
    pub pointer: String,
    /// The Server Objects as written.
    pub list: Vec<Value>,
}

/// The content of one media type.
#[derive(Debug, Clone)]
pub struct Media {
    /// The schema, resolved; `None` when the media type has none.
    pub schema: Option<Value>,
    /// The schema as written (an unresolved `$ref` stays a `$ref`), for grouping.
    pub schema_as_written: Option<Value>,
    /// `example` plus every `examples.*.value`, by name (`example` for the single form).
    pub examples: Vec<(String, Value)>,
    /// Whether an `encoding` map is present.
    pub has_encoding: bool,
}

/// A document read as a set of operations.
#[derive(Debug, Clone)]
pub struct Contract {
    /// Every operation, keyed by method and path.
    pub operations: BTreeMap<OpKey, Operation>,
    /// The document-level `security`, which operations without their own inherit.
    pub security: Option<Value>,
    /// The document-level `servers`, which operations without their own inherit.
    pub servers: Option<Servers>,
    /// `components.securitySchemes` by name, `$ref`s resolved.
    pub security_schemes: BTreeMap<String, Value>,
}

impl Contract {
    /// Reads the operations of a document. Unresolvable `$ref`s become `{"$unresolved": ref}`
    /// (the lint reports them) so that the model can always be built.
    pub fn from_document(doc: &Document) -> Self {
        let mut contract = Self {
            operations: BTreeMap::new(),
            security: doc.value.get("security").cloned(),
            servers: read_servers(&doc.value, "/servers".to_owned()),
            security_schemes: doc
                .value
                .pointer("/components/securitySchemes")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(name, s)| (name.clone(), deref(doc, s).clone()))
                        .collect()
                })
                .unwrap_or_default(),
        };
        let Some(paths) = doc.value.get("paths").and_then(Value::as_object) else {
            return contract;
        };
        for (path, item) in paths {
            let item = deref(doc, item);
            let path_servers = read_servers(item, pointer(["paths", path.as_str(), "servers"]));
            let shared_params = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let op_ptr = pointer(["paths", path.as_str(), method]);
                let key = OpKey {
                    path: path.clone(),
                    method: method.to_uppercase(),
                };
                let mut parameters: Vec<Parameter> = Vec::new();
                let own = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for (i, p) in own.iter().enumerate() {
                    parameters.push(read_parameter(doc, p, format!("{op_ptr}/parameters/{i}")));
                }
                for (i, p) in shared_params.iter().enumerate() {
                    let param = read_parameter(
                        doc,
                        p,
                        format!("{}/parameters/{i}", pointer(["paths", path.as_str()])),
                    );
                    // An operation's own parameter overrides the path's (header names in
                    // any case: `X-Foo` and `x-foo` are one header).
                    if !parameters.iter().any(|q| q.key() == param.key()) {
                        parameters.push(param);
                    }
                }
                let request_body = op.get("requestBody").map(|b| {
                    let b = deref(doc, b);
                    RequestBody {
                        required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
                        content: read_content(doc, b),
                        pointer: format!("{op_ptr}/requestBody"),
                        description: text_of(b, "description"),
                    }
                });
                let mut responses = BTreeMap::new();
                if let Some(rs) = op.get("responses").and_then(Value::as_object) {
                    for (status, r) in rs {
                        let r = deref(doc, r);
                        let r_ptr =
                            format!("{op_ptr}/responses/{}", crate::document::escape(status));
                        responses.insert(
                            status.clone(),
                            Response {
                                content: read_content(doc, r),
                                headers: read_headers(doc, r, &r_ptr),
                                pointer: r_ptr,
                                description: text_of(r, "description"),
                            },
                        );
                    }
                }
                let servers =
                    read_servers(op, format!("{op_ptr}/servers")).or_else(|| path_servers.clone());
                contract.operations.insert(
                    key.clone(),
                    Operation {
                        key,
                        operation_id: op
                            .get("operationId")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        pointer: op_ptr,
                        parameters,
                        request_body,
                        responses,
                        security: op.get("security").cloned(),
                        servers,
                        tags: op
                            .get("tags")
                            .and_then(Value::as_array)
                            .map(|t| {
                                t.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_owned)
                                    .collect()
                            })
                            .unwrap_or_default(),
                        summary: text_of(op, "summary"),
                        description: text_of(op, "description"),
                        deprecated: flag(op, "deprecated"),
                    },
                );
            }
        }
        contract
    }

    /// The servers that apply to `op`: its own (or its path item's), else the document's.
    /// `None` when neither says anything (the base is the document's own location, `/`).
    pub fn servers_of<'a>(&'a self, op: &'a Operation) -> Option<&'a Servers> {
        op.servers.as_ref().or(self.servers.as_ref())
    }

    /// The security that applies to `op`: its own, else the document's. `None` when neither
    /// says anything (the operation is public).
    pub fn security_of<'a>(&'a self, op: &'a Operation) -> Option<&'a Value> {
        op.security.as_ref().or(self.security.as_ref())
    }

    /// The operation with this operationId, if any.
    pub fn by_operation_id(&self, id: &str) -> Option<&Operation> {
        self.operations
            .values()
            .find(|o| o.operation_id.as_deref() == Some(id))
    }
}

fn read_parameter(doc: &Document, p: &Value, ptr: String) -> Parameter {
    let p = deref(doc, p);
    let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    Parameter {
        location: text("in"),
        name: text("name"),
        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
        schema: p
            .get("schema")
            .map(|s| resolve_schema(doc, s))
            .unwrap_or_else(|| Value::Object(Map::new())),
        style: p.get("style").and_then(Value::as_str).map(str::to_owned),
        explode: p.get("explode").and_then(Value::as_bool),
        example: p.get("example").cloned(),
        pointer: ptr,
        description: text_of(p, "description"),
        deprecated: flag(p, "deprecated"),
    }
}

fn text_of(holder: &Value, key: &str) -> Option<String> {
    holder.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn flag(holder: &Value, key: &str) -> bool {
    holder.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// `example` plus every `examples.*.value` of a media type or header, by name.
fn read_examples(doc: &Document, holder: &Value) -> Vec<(String, Value)> {
    let mut examples = Vec::new();
    if let Some(e) = holder.get("example") {
        examples.push(("example".to_owned(), e.clone()));
    }
    if let Some(map) = holder.get("examples").and_then(Value::as_object) {
        for (name, e) in map {
            let e = deref(doc, e);
            if let Some(v) = e.get("value") {
                examples.push((name.clone(), v.clone()));
            }
        }
    }
    examples
}

fn read_content(doc: &Document, holder: &Value) -> BTreeMap<String, Media> {
    let mut out = BTreeMap::new();
    if let Some(content) = holder.get("content").and_then(Value::as_object) {
        for (media_type, media) in content {
            out.insert(
                media_type.clone(),
                Media {
                    schema: media.get("schema").map(|s| resolve_schema(doc, s)),
                    schema_as_written: media.get("schema").cloned(),
                    examples: read_examples(doc, media),
                    has_encoding: media.get("encoding").is_some(),
                },
            );
        }
    }
    out
}

fn read_headers(doc: &Document, response: &Value, response_ptr: &str) -> BTreeMap<String, Header> {
    let mut out = BTreeMap::new();
    let Some(headers) = response.get("headers").and_then(Value::as_object) else {
        return out;
    };
    for (name, h) in headers {
        let key = header_key(name);
        if key == "content-type" {
            continue;
        }
        let h = deref(doc, h);
        let schema = h
            .get("schema")
            .or_else(|| {
                h.get("content")
                    .and_then(Value::as_object)
                    .and_then(|c| c.values().next())
                    .and_then(|m| m.get("schema"))
            })
            .map(|s| resolve_schema(doc, s))
            .unwrap_or_else(|| Value::Object(Map::new()));
        let header = Header {
            name: name.clone(),
            required: flag(h, "required"),
            schema,
            style: text_of(h, "style"),
            explode: h.get("explode").and_then(Value::as_bool),
            examples: read_examples(doc, h),
            pointer: format!("{response_ptr}/headers/{}", crate::document::escape(name)),
            description: text_of(h, "description"),
            deprecated: flag(h, "deprecated"),
        };
        out.insert(key, header);
    }
    out
}

/// The `servers` of a document, path item or operation; `None` when absent or empty
/// (an empty list says nothing either).
fn read_servers(holder: &Value, pointer: String) -> Option<Servers> {
    let list = holder.get("servers")?.as_array()?;
    (!list.is_empty()).then(|| Servers {
        pointer,
        list: list.clone(),
    })
}

/// Follows a `$ref` at the top of a non-schema object (response, parameter, body, example).
pub fn deref<'a>(doc: &'a Document, v: &'a Value) -> &'a Value {
    let mut current = v;
    for _ in 0..16 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(r) => match doc.resolve_ref(r) {
                Some(target) => current = target,
                None => return current,
            },
            None => return current,
        }
    }
    current
}

/// Inlines every `$ref` of a schema. A reference back into a schema that is being
/// inlined becomes `{"$recursive": "<name>"}`; a dangling one `{"$unresolved": "<ref>"}`.
pub fn resolve_schema(doc: &Document, schema: &Value) -> Value {
    resolve_in(doc, schema, &mut Vec::new())
}

fn resolve_in(doc: &Document, v: &Value, stack: &mut Vec<String>) -> Value {
    let Value::Object(map) = v else {
        return v.clone();
    };
    if let Some(r) = map.get("$ref").and_then(Value::as_str) {
        if stack.iter().any(|s| s == r) {
            let name = r.rsplit('/').next().unwrap_or(r);
            return serde_json::json!({ "$recursive": name });
        }
        let Some(target) = doc.resolve_ref(r) else {
            return serde_json::json!({ "$unresolved": r });
        };
        stack.push(r.to_owned());
        let out = resolve_in(doc, target, stack);
        stack.pop();
        return out;
    }
    let mut out = Map::new();
    for (k, v) in map {
        let resolved = match (k.as_str(), v) {
            ("properties", Value::Object(props)) => Value::Object(
                props
                    .iter()
                    .map(|(name, s)| (name.clone(), resolve_in(doc, s, stack)))
                    .collect(),
            ),
            ("items" | "additionalProperties" | "not", Value::Object(_)) => {
                resolve_in(doc, v, stack)
            }
            ("allOf" | "anyOf" | "oneOf", Value::Array(members)) => {
                Value::Array(members.iter().map(|m| resolve_in(doc, m, stack)).collect())
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), resolved);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(yaml: &str) -> Contract {
        Contract::from_document(&Document::parse("test", yaml).unwrap())
    }

    #[test]
    fn an_operation_header_overrides_the_path_header_whatever_its_case() {
        let c = contract(
            r#"
paths:
  /things/{id}:
    parameters:
      - {in: path, name: id, required: true, schema: {type: string}}
      - {in: header, name: X-Tenant, required: true, schema: {type: string}}
      - {in: query, name: Limit, schema: {type: integer}}
    get:
      parameters:
        - {in: header, name: x-tenant, schema: {type: string}}
        - {in: query, name: limit, schema: {type: integer}}
      responses: {'200': {description: ok}}
"#,
        );
        let op = c.operations.values().next().unwrap();
        let names: Vec<(&str, &str, bool)> = op
            .parameters
            .iter()
            .map(|p| (p.location.as_str(), p.name.as_str(), p.required))
            .collect();
        // The header is one parameter, the operation's; query names stay case-sensitive.
        assert_eq!(
            names,
            [
                ("header", "x-tenant", false),
                ("query", "limit", false),
                ("path", "id", true),
                ("query", "Limit", false),
            ]
        );
    }
}
