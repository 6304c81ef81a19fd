//! How to reach one documented example: the request to send (built from the
//! document's request and parameter examples, with overrides), the server
//! variant to send it to, and the JSON pointers whose values may differ.

use serde_json::Value;

/// A value known when the scenario is written, or one created at run time.
#[derive(Debug, Clone)]
pub enum Val {
    /// A literal.
    Lit(String),
    /// A named fixture (an API key, a token…) created when the server is prepared.
    Fixture(&'static str),
    /// The parameter's documented example (to send an optional parameter as documented).
    Documented,
}

/// A named fixture value.
pub fn fx(name: &'static str) -> Val {
    Val::Fixture(name)
}

/// A literal value.
pub fn lit(value: impl Into<String>) -> Val {
    Val::Lit(value.into())
}

/// The request body to send.
#[derive(Debug, Clone)]
pub enum Body {
    /// The document's request example: the only one, or the one named.
    Documented(Option<&'static str>),
    /// This JSON value; strings `"fx:NAME"` are replaced by fixture `NAME`.
    Json(Value),
    /// These bytes, as they are.
    Raw(Vec<u8>),
    /// `application/x-www-form-urlencoded` fields, in order.
    Form(Vec<(&'static str, Val)>),
    /// No body at all.
    Nothing,
}

/// One scenario: which example it reaches and how.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The operation.
    pub operation_id: &'static str,
    /// The documented status.
    pub status: &'static str,
    /// The example's name (`example` for the single form).
    pub example: &'static str,
    /// The server variant to send the request to.
    pub variant: &'static str,
    /// The body.
    pub body: Body,
    /// `Content-Type` to send instead of the documented one (`None` = documented).
    pub content_type: Option<String>,
    /// Extra headers (credentials and the like).
    pub headers: Vec<(String, Val)>,
    /// Parameter values instead of their examples; `None` leaves the parameter out.
    pub params: Vec<(String, Option<Val>)>,
    /// JSON pointers (with `*` for any array index) whose values may differ from the example.
    pub volatile: Vec<&'static str>,
    /// Requests sent first, in order, whose answers are not checked (to set state up).
    pub before: Vec<Scenario>,
    /// Why this scenario only runs against a spawned server (it relies on a mock upstream).
    pub local_only: Option<&'static str>,
}

impl Scenario {
    /// A scenario for example `example` of `operation_id` at `status`, with the
    /// documented request and the default server variant.
    pub fn new(operation_id: &'static str, status: &'static str, example: &'static str) -> Self {
        Self {
            operation_id,
            status,
            example,
            variant: "default",
            body: Body::Documented(None),
            content_type: None,
            headers: Vec::new(),
            params: Vec::new(),
            volatile: Vec::new(),
            before: Vec::new(),
            local_only: None,
        }
    }

    /// Runs only against a spawned server, for `reason` (skipped with `--base-url`).
    pub fn local_only(mut self, reason: &'static str) -> Self {
        self.local_only = Some(reason);
        self
    }

    /// Sends header `name: value`.
    pub fn header(mut self, name: &str, value: Val) -> Self {
        self.headers.push((name.to_owned(), value));
        self
    }

    /// Sets parameter `name` instead of its documented example.
    pub fn param(mut self, name: &str, value: Val) -> Self {
        self.params.push((name.to_owned(), Some(value)));
        self
    }

    /// Leaves parameter `name` out.
    pub fn omit(mut self, name: &str) -> Self {
        self.params.push((name.to_owned(), None));
        self
    }

    /// Sends the document's request example named `name`.
    pub fn body_example(mut self, name: &'static str) -> Self {
        self.body = Body::Documented(Some(name));
        self
    }

    /// Sends `value` as the body.
    pub fn json(mut self, value: Value) -> Self {
        self.body = Body::Json(value);
        self
    }

    /// Sends `bytes` as the body, unchanged.
    pub fn raw(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Raw(bytes.into());
        self
    }

    /// Sends form fields (values may be fixtures).
    pub fn form(mut self, fields: &[(&'static str, Val)]) -> Self {
        self.body = Body::Form(fields.to_vec());
        self
    }

    /// Sends no body.
    pub fn no_body(mut self) -> Self {
        self.body = Body::Nothing;
        self
    }

    /// Declares `Content-Type: value`.
    pub fn content_type(mut self, value: &str) -> Self {
        self.content_type = Some(value.to_owned());
        self
    }

    /// Sends the request to server variant `name`.
    pub fn variant(mut self, name: &'static str) -> Self {
        self.variant = name;
        self
    }

    /// Declares pointers whose values may differ from the example.
    pub fn volatile(mut self, pointers: &[&'static str]) -> Self {
        self.volatile.extend_from_slice(pointers);
        self
    }

    /// Sends `setup` first (its answer is not compared).
    pub fn after(mut self, setup: Scenario) -> Self {
        self.before.push(setup);
        self
    }

    /// `operationId status example`, as reports name it.
    pub fn id(&self) -> String {
        format!("{} {} {}", self.operation_id, self.status, self.example)
    }
}
