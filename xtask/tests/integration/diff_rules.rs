//! Every rule of the diff catalogue, provoked on purpose: for each rule a pair of small
//! documents that must trigger it (and nothing but the rules listed with it), and a near
//! miss that must not (adding an optional property is not breaking, moving a property
//! into `allOf` is not a removal, renaming a component is not a change…).

use std::collections::BTreeSet;

use serde_json::{json, Value};
use xtask::diff::compare::compare;
use xtask::diff::{Change, Rule, Side};
use xtask::document::Document;

/// The document every case starts from. `Kind` and `Shape` are used by a request body
/// and a response body alike, so changing them is seen from both sides. Every security
/// scheme but `legacy` is required by some operation; every operation inherits the
/// document's server.
const BASE: &str = r##"
openapi: 3.0.3
info: {title: things, version: 1.0.0}
servers:
  - url: https://api.example.com/v1
    description: Production.
security:
  - api_key: []
paths:
  /things:
    get:
      operationId: list_things
      summary: List things.
      description: Lists things, a page at a time.
      tags: [things, catalogue]
      security:
        - api_key: []
      parameters:
        - in: query
          name: limit
          description: Page size.
          schema: {type: integer, format: int64, minimum: 1, maximum: 100}
          example: 10
        - in: query
          name: order
          required: true
          schema: {type: string, enum: [asc, desc]}
          example: asc
        - in: header
          name: X-Trace
          schema: {type: string}
          example: abc
      responses:
        '200':
          description: A page of things.
          headers:
            X-Total-Count:
              description: How many things there are.
              required: true
              schema: {type: integer, format: int64, minimum: 0}
              example: 42
            Link:
              schema: {type: string}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ThingList'}
              example: {data: []}
        '400':
          description: Bad request.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
    post:
      operationId: create_thing
      tags: [things]
      security:
        - api_key: []
        - session: []
      requestBody:
        required: true
        description: The new thing.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/NewThing'}
            example: {name: lamp}
      responses:
        '201':
          description: Created.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        '400':
          description: Bad request.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
  /things/{id}:
    parameters:
      - in: path
        name: id
        required: true
        description: The thing's id.
        schema: {type: string}
    get:
      operationId: get_thing
      security: []
      responses:
        '200':
          description: The thing.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        '404':
          description: No such thing.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
    delete:
      operationId: delete_thing
      description: Deletes a thing.
      security:
        - oauth: [things:write]
        - oidc: []
      responses:
        '204':
          description: Deleted.
components:
  securitySchemes:
    api_key: {type: apiKey, in: header, name: x-api-key}
    session: {type: http, scheme: bearer}
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://auth.example.com/token
          refreshUrl: https://auth.example.com/refresh
          scopes: {'things:read': Read things., 'things:write': Change things.}
        authorizationCode:
          authorizationUrl: https://auth.example.com/authorize
          tokenUrl: https://auth.example.com/token
          scopes: {'things:read': Read things.}
    oidc: {type: openIdConnect, openIdConnectUrl: https://auth.example.com/.well-known/openid-configuration}
    legacy: {type: apiKey, in: query, name: key}
  schemas:
    Kind:
      type: string
      enum: [small, large]
    Shape:
      oneOf:
        - type: object
          required: [type, radius]
          properties:
            type: {type: string, enum: [circle]}
            radius: {type: number, format: double}
        - type: object
          required: [type, side]
          properties:
            type: {type: string, enum: [square]}
            side: {type: number, format: double}
    Thing:
      type: object
      required: [id, name, kind]
      properties:
        id: {type: string}
        name: {type: string, maxLength: 64, description: Display name.}
        kind: {$ref: '#/components/schemas/Kind'}
        status: {type: string, enum: [active, archived]}
        size: {type: integer, format: int64, nullable: true}
        note: {type: string}
        shape: {$ref: '#/components/schemas/Shape'}
    ThingList:
      type: object
      required: [data]
      properties:
        data:
          type: array
          items: {$ref: '#/components/schemas/Thing'}
    NewThing:
      type: object
      required: [name]
      properties:
        name: {type: string, maxLength: 64}
        kind: {$ref: '#/components/schemas/Kind'}
        size: {type: integer, format: int64, default: 1}
        note: {type: string, nullable: true}
        shape: {$ref: '#/components/schemas/Shape'}
    Error:
      type: object
      required: [message]
      properties:
        message: {type: string}
"##;

fn base() -> Value {
    serde_norway::from_str(BASE).unwrap()
}

/// The base document after `f`.
fn edit(f: impl FnOnce(&mut Value)) -> Value {
    let mut d = base();
    f(&mut d);
    d
}

fn at<'a>(d: &'a mut Value, ptr: &str) -> &'a mut Value {
    d.pointer_mut(ptr)
        .unwrap_or_else(|| panic!("no {ptr} in the base document"))
}

/// Sets the member at `ptr` (its parent must exist).
fn set(d: &mut Value, ptr: &str, v: Value) {
    let (parent, key) = ptr.rsplit_once('/').unwrap();
    let key = key.replace("~1", "/").replace("~0", "~");
    match at(d, parent) {
        Value::Object(m) => {
            m.insert(key, v);
        }
        Value::Array(a) => a[key.parse::<usize>().unwrap()] = v,
        _ => panic!("{parent} is not a container"),
    }
}

/// Removes the member at `ptr`.
fn del(d: &mut Value, ptr: &str) {
    let (parent, key) = ptr.rsplit_once('/').unwrap();
    let key = key.replace("~1", "/").replace("~0", "~");
    match at(d, parent) {
        Value::Object(m) => {
            m.remove(&key).unwrap_or_else(|| panic!("no {ptr}"));
        }
        Value::Array(a) => {
            a.remove(key.parse::<usize>().unwrap());
        }
        _ => panic!("{parent} is not a container"),
    }
}

/// Copies the member at `from` to `to`.
fn copy(d: &mut Value, from: &str, to: &str) {
    let v = at(d, from).clone();
    set(d, to, v);
}

fn push(d: &mut Value, ptr: &str, v: Value) {
    at(d, ptr).as_array_mut().unwrap().push(v);
}

fn diff(old: &Value, new: &Value) -> Vec<Change> {
    compare(
        &Document::from_value("old", old.clone()),
        &Document::from_value("new", new.clone()),
    )
}

/// Whether `c` belongs to the operation `METHOD path`.
fn on(c: &Change, op: &str) -> bool {
    c.operation_key().is_some_and(|k| k.to_string() == op)
}

fn rules(changes: &[Change]) -> BTreeSet<Rule> {
    changes.iter().map(|c| c.rule).collect()
}

/// One rule's test: `trigger` must report the rule and nothing outside `allowed`;
/// `quiet` must not report it.
struct Case {
    rule: Rule,
    trigger: (Value, Value),
    /// Other rules the trigger may legitimately report alongside.
    allowed: &'static [Rule],
    quiet: (Value, Value),
}

fn case(rule: Rule, trigger: (Value, Value), quiet: (Value, Value)) -> Case {
    Case {
        rule,
        trigger,
        allowed: &[],
        quiet,
    }
}

fn with(
    rule: Rule,
    allowed: &'static [Rule],
    trigger: (Value, Value),
    quiet: (Value, Value),
) -> Case {
    Case {
        rule,
        trigger,
        allowed,
        quiet,
    }
}

/// `base → f(base)`.
fn from_base(f: impl FnOnce(&mut Value)) -> (Value, Value) {
    (base(), edit(f))
}

const LIST: &str = "/paths/~1things/get";
const CREATE: &str = "/paths/~1things/post";
const GET: &str = "/paths/~1things~1{id}/get";
const DELETE: &str = "/paths/~1things~1{id}/delete";
const THING: &str = "/components/schemas/Thing/properties";
const SCHEMES: &str = "/components/securitySchemes";
const CLIENT_FLOW: &str = "/components/securitySchemes/oauth/flows/clientCredentials";
const CODE_FLOW: &str = "/components/securitySchemes/oauth/flows/authorizationCode";
const LIST_HEADERS: &str = "/paths/~1things/get/responses/200/headers";
const NEW_THING: &str = "/components/schemas/NewThing/properties";

fn rename_path_parameter(d: &mut Value) {
    let paths = at(d, "/paths").as_object_mut().unwrap();
    let mut item = paths.remove("/things/{id}").unwrap();
    item["parameters"][0]["name"] = json!("thing_id");
    paths.insert("/things/{thing_id}".into(), item);
}

/// Renames security scheme `from` to `to`, in the components and in every requirement.
fn rename_scheme(d: &mut Value, from: &str, to: &str, definition: Option<Value>) {
    let schemes = at(d, SCHEMES).as_object_mut().unwrap();
    let old = schemes.remove(from).unwrap();
    schemes.insert(to.into(), definition.unwrap_or(old));
    let mut holders = vec!["/security".to_owned()];
    for (path, item) in d["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            holders.push(format!(
                "/paths/{}/{method}/security",
                path.replace('/', "~1")
            ));
        }
    }
    for ptr in holders {
        let Some(Value::Array(alternatives)) = d.pointer_mut(&ptr) else {
            continue;
        };
        for alt in alternatives.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(scopes) = alt.remove(from) {
                alt.insert(to.into(), scopes);
            }
        }
    }
}

/// The base document with a second document-level server.
fn two_servers() -> Value {
    edit(|d| {
        push(
            d,
            "/servers",
            json!({"url": "https://eu.api.example.com/v1"}),
        )
    })
}

fn body_schema_into_all_of(d: &mut Value, schema: &str, moved: &str) {
    let s = at(d, &format!("/components/schemas/{schema}")).clone();
    let mut first = s.clone();
    let prop = first["properties"]
        .as_object_mut()
        .unwrap()
        .remove(moved)
        .unwrap();
    let mut second = json!({"type": "object", "properties": {moved: prop}});
    if let Some(req) = first.get_mut("required").and_then(Value::as_array_mut) {
        if req.contains(&json!(moved)) {
            req.retain(|r| r != &json!(moved));
            second["required"] = json!([moved]);
        }
    }
    set(
        d,
        &format!("/components/schemas/{schema}"),
        json!({"allOf": [first, second]}),
    );
}

fn cases() -> Vec<Case> {
    use Rule::*;
    let api_key = || json!([{"api_key": []}]);
    let session = || json!([{"session": []}]);
    let either = || json!([{"api_key": []}, {"session": []}]);
    vec![
        // Operations.
        case(
            PathRemoved,
            from_base(|d| del(d, "/paths/~1things~1{id}")),
            from_base(rename_path_parameter),
        ),
        case(
            OperationRemoved,
            from_base(|d| del(d, DELETE)),
            from_base(|d| set(d, &format!("{DELETE}/deprecated"), json!(true))),
        ),
        case(
            OperationAdded,
            from_base(|d| {
                copy(d, DELETE, "/paths/~1things~1{id}/put");
                set(
                    d,
                    "/paths/~1things~1{id}/put/operationId",
                    json!("replace_thing"),
                );
            }),
            from_base(rename_path_parameter),
        ),
        case(
            OperationIdChanged,
            from_base(|d| set(d, &format!("{GET}/operationId"), json!("fetch_thing"))),
            from_base(|d| set(d, &format!("{GET}/summary"), json!("Fetch a thing."))),
        ),
        case(
            TagsChanged,
            from_base(|d| set(d, &format!("{LIST}/tags"), json!(["things"]))),
            from_base(|d| set(d, &format!("{LIST}/tags"), json!(["catalogue", "things"]))),
        ),
        // Security.
        case(
            SecurityRequirementAdded,
            from_base(|d| set(d, &format!("{GET}/security"), api_key())),
            from_base(|d| set(d, &format!("{LIST}/security"), either())),
        ),
        case(
            SecurityRequirementChanged,
            from_base(|d| set(d, &format!("{LIST}/security"), session())),
            from_base(|d| set(d, &format!("{LIST}/security"), either())),
        ),
        case(
            SecurityRequirementRemoved,
            from_base(|d| set(d, &format!("{LIST}/security"), json!([]))),
            // Without its own `security` the operation inherits the same requirement.
            from_base(|d| del(d, &format!("{LIST}/security"))),
        ),
        case(
            SecurityAlternativeAdded,
            from_base(|d| set(d, &format!("{LIST}/security"), either())),
            from_base(|d| set(d, &format!("{LIST}/security"), session())),
        ),
        // Security schemes.
        case(
            SecuritySchemeAdded,
            from_base(|d| {
                set(
                    d,
                    &format!("{SCHEMES}/basic"),
                    json!({"type": "http", "scheme": "basic"}),
                )
            }),
            // A renamed scheme is not a new one.
            from_base(|d| rename_scheme(d, "api_key", "key", None)),
        ),
        case(
            SecuritySchemeRemoved,
            from_base(|d| del(d, &format!("{SCHEMES}/api_key"))),
            // No operation requires `legacy`: its removal hurts nobody.
            from_base(|d| del(d, &format!("{SCHEMES}/legacy"))),
        ),
        case(
            SecuritySchemeRenamed,
            // Not one operation's requirement is reported: they follow the new name.
            from_base(|d| rename_scheme(d, "api_key", "key", None)),
            // Renamed and redefined is a new scheme.
            from_base(|d| {
                let redefined = json!({"type": "apiKey", "in": "header", "name": "x-key"});
                rename_scheme(d, "api_key", "key", Some(redefined));
            }),
        ),
        case(
            SecuritySchemeTypeChanged,
            from_base(|d| {
                set(
                    d,
                    &format!("{SCHEMES}/api_key"),
                    json!({"type": "http", "scheme": "bearer"}),
                )
            }),
            from_base(|d| {
                set(
                    d,
                    &format!("{SCHEMES}/api_key/description"),
                    json!("A key."),
                )
            }),
        ),
        case(
            SecuritySchemeApiKeyChanged,
            from_base(|d| set(d, &format!("{SCHEMES}/api_key/name"), json!("x-token"))),
            // Header names are case-insensitive.
            from_base(|d| set(d, &format!("{SCHEMES}/api_key/name"), json!("X-API-Key"))),
        ),
        case(
            SecuritySchemeHttpSchemeChanged,
            from_base(|d| set(d, &format!("{SCHEMES}/session/scheme"), json!("basic"))),
            // Authentication scheme names are case-insensitive.
            from_base(|d| set(d, &format!("{SCHEMES}/session/scheme"), json!("Bearer"))),
        ),
        case(
            SecuritySchemeBearerFormatChanged,
            from_base(|d| set(d, &format!("{SCHEMES}/session/bearerFormat"), json!("JWT"))),
            from_base(|d| {
                set(
                    d,
                    &format!("{SCHEMES}/session/description"),
                    json!("A JWT."),
                )
            }),
        ),
        case(
            OAuthFlowRemoved,
            from_base(|d| del(d, CODE_FLOW)),
            // The same flows in another order.
            from_base(|d| {
                let flows = at(d, &format!("{SCHEMES}/oauth/flows")).clone();
                let reversed: serde_json::Map<String, Value> = flows
                    .as_object()
                    .unwrap()
                    .clone()
                    .into_iter()
                    .rev()
                    .collect();
                set(
                    d,
                    &format!("{SCHEMES}/oauth/flows"),
                    Value::Object(reversed),
                );
            }),
        ),
        case(
            OAuthFlowAdded,
            from_base(|d| {
                set(
                    d,
                    &format!("{SCHEMES}/oauth/flows/implicit"),
                    json!({"authorizationUrl": "https://auth.example.com/authorize", "scopes": {}}),
                )
            }),
            from_base(|d| del(d, CODE_FLOW)),
        ),
        case(
            OAuthAuthorizationUrlChanged,
            from_base(|d| {
                set(
                    d,
                    &format!("{CODE_FLOW}/authorizationUrl"),
                    json!("https://login.example.com/authorize"),
                )
            }),
            // Scheme and host without case, a trailing `/`: the same URL.
            from_base(|d| {
                set(
                    d,
                    &format!("{CODE_FLOW}/authorizationUrl"),
                    json!("HTTPS://Auth.example.com/authorize/"),
                )
            }),
        ),
        case(
            OAuthTokenUrlChanged,
            from_base(|d| {
                set(
                    d,
                    &format!("{CLIENT_FLOW}/tokenUrl"),
                    json!("https://auth.example.com/oauth/token"),
                )
            }),
            // The default port written out: the same URL.
            from_base(|d| {
                set(
                    d,
                    &format!("{CLIENT_FLOW}/tokenUrl"),
                    json!("https://auth.example.com:443/token"),
                )
            }),
        ),
        case(
            OAuthRefreshUrlChanged,
            from_base(|d| del(d, &format!("{CLIENT_FLOW}/refreshUrl"))),
            from_base(|d| {
                set(
                    d,
                    &format!("{CLIENT_FLOW}/refreshUrl"),
                    json!("https://AUTH.example.com/refresh"),
                )
            }),
        ),
        case(
            OAuthScopeRemoved,
            from_base(|d| del(d, &format!("{CLIENT_FLOW}/scopes/things:write"))),
            from_base(|d| {
                set(
                    d,
                    &format!("{CLIENT_FLOW}/scopes/things:write"),
                    json!("Create and delete things."),
                )
            }),
        ),
        case(
            OAuthScopeAdded,
            from_base(|d| {
                set(
                    d,
                    &format!("{CLIENT_FLOW}/scopes/things:admin"),
                    json!("Everything."),
                )
            }),
            from_base(|d| {
                set(
                    d,
                    &format!("{CLIENT_FLOW}/scopes/things:read"),
                    json!("See things."),
                )
            }),
        ),
        case(
            OpenIdConnectUrlChanged,
            from_base(|d| {
                set(
                    d,
                    &format!("{SCHEMES}/oidc/openIdConnectUrl"),
                    json!("https://id.example.com/.well-known/openid-configuration"),
                )
            }),
            from_base(|d| {
                set(
                    d,
                    &format!("{SCHEMES}/oidc/description"),
                    json!("The company's provider."),
                )
            }),
        ),
        case(
            SecuritySchemeUnusedChanged,
            from_base(|d| set(d, &format!("{SCHEMES}/legacy/name"), json!("token"))),
            // The same change to a scheme in use is judged as such.
            from_base(|d| set(d, &format!("{SCHEMES}/api_key/name"), json!("token"))),
        ),
        // Servers.
        case(
            ServerUrlChanged,
            from_base(|d| set(d, "/servers/0/url", json!("https://api.example.com/v2"))),
            from_base(|d| {
                set(
                    d,
                    "/servers/0/url",
                    json!("https://API.example.com:443/v1/"),
                )
            }),
        ),
        case(
            ServerRemoved,
            (two_servers(), base()),
            // Every operation's servers written on its path instead: the same servers.
            (two_servers(), {
                let mut d = two_servers();
                let servers = at(&mut d, "/servers").clone();
                for path in ["/paths/~1things", "/paths/~1things~1{id}"] {
                    set(&mut d, &format!("{path}/servers"), servers.clone());
                }
                del(&mut d, "/servers");
                d
            }),
        ),
        case(
            ServerAdded,
            (base(), two_servers()),
            // A server written twice is one.
            from_base(|d| {
                push(
                    d,
                    "/servers",
                    json!({"url": "https://api.example.com:443/v1"}),
                )
            }),
        ),
        // Parameters.
        case(
            NewRequiredParameter,
            from_base(|d| {
                push(
                    d,
                    &format!("{LIST}/parameters"),
                    json!({"in": "header", "name": "X-Tenant", "required": true, "schema": {"type": "string"}}),
                )
            }),
            from_base(|d| {
                push(
                    d,
                    &format!("{LIST}/parameters"),
                    json!({"in": "header", "name": "X-Tenant", "schema": {"type": "string"}}),
                )
            }),
        ),
        case(
            NewOptionalParameter,
            from_base(|d| {
                push(
                    d,
                    &format!("{LIST}/parameters"),
                    json!({"in": "query", "name": "after", "schema": {"type": "string"}}),
                )
            }),
            from_base(|d| {
                push(
                    d,
                    &format!("{LIST}/parameters"),
                    json!({"in": "query", "name": "after", "required": true, "schema": {"type": "string"}}),
                )
            }),
        ),
        case(
            ParameterRemoved,
            from_base(|d| del(d, &format!("{LIST}/parameters/0"))),
            // Header names are case-insensitive.
            from_base(|d| set(d, &format!("{LIST}/parameters/2/name"), json!("x-trace"))),
        ),
        case(
            ParameterBecameRequired,
            from_base(|d| set(d, &format!("{LIST}/parameters/0/required"), json!(true))),
            from_base(|d| set(d, &format!("{LIST}/parameters/0/required"), json!(false))),
        ),
        case(
            ParameterBecameOptional,
            from_base(|d| set(d, &format!("{LIST}/parameters/1/required"), json!(false))),
            from_base(|d| {
                set(
                    d,
                    &format!("{LIST}/parameters/1/description"),
                    json!("Sort order."),
                )
            }),
        ),
        case(
            ParameterTypeChanged,
            from_base(|d| {
                set(
                    d,
                    &format!("{LIST}/parameters/0/schema/format"),
                    json!("int32"),
                )
            }),
            from_base(|d| {
                set(
                    d,
                    &format!("{LIST}/parameters/0/schema/maximum"),
                    json!(200),
                )
            }),
        ),
        case(
            ParameterStyleChanged,
            from_base(|d| set(d, &format!("{LIST}/parameters/0/explode"), json!(false))),
            // Writing the default out is no change.
            from_base(|d| set(d, &format!("{LIST}/parameters/0/style"), json!("form"))),
        ),
        case(
            PathParameterRenamed,
            from_base(rename_path_parameter),
            from_base(|d| {
                set(
                    d,
                    "/paths/~1things~1{id}/parameters/0/description",
                    json!("Id."),
                )
            }),
        ),
        // Request bodies.
        case(
            NewRequiredRequestBody,
            from_base(|d| {
                copy(
                    d,
                    &format!("{CREATE}/requestBody"),
                    &format!("{DELETE}/requestBody"),
                )
            }),
            from_base(|d| {
                let mut body = at(d, &format!("{CREATE}/requestBody")).clone();
                body["required"] = json!(false);
                set(d, &format!("{DELETE}/requestBody"), body);
            }),
        ),
        case(
            NewOptionalRequestBody,
            from_base(|d| {
                let mut body = at(d, &format!("{CREATE}/requestBody")).clone();
                body["required"] = json!(false);
                set(d, &format!("{DELETE}/requestBody"), body);
            }),
            from_base(|d| {
                copy(
                    d,
                    &format!("{CREATE}/requestBody"),
                    &format!("{DELETE}/requestBody"),
                )
            }),
        ),
        case(
            RequestBodyRemoved,
            from_base(|d| del(d, &format!("{CREATE}/requestBody"))),
            from_base(|d| set(d, &format!("{CREATE}/requestBody/required"), json!(false))),
        ),
        case(
            RequestBodyBecameRequired,
            (
                edit(|d| set(d, &format!("{CREATE}/requestBody/required"), json!(false))),
                base(),
            ),
            from_base(|d| {
                set(
                    d,
                    &format!("{CREATE}/requestBody/description"),
                    json!("A thing."),
                )
            }),
        ),
        case(
            RequestBodyBecameOptional,
            from_base(|d| set(d, &format!("{CREATE}/requestBody/required"), json!(false))),
            from_base(|d| {
                set(
                    d,
                    &format!("{CREATE}/requestBody/description"),
                    json!("A thing."),
                )
            }),
        ),
        with(
            RequestMediaTypeRemoved,
            &[RequestMediaTypeAdded],
            from_base(|d| {
                let content = at(d, &format!("{CREATE}/requestBody/content"));
                let media = content["application/json"].take();
                *content = json!({"application/x-www-form-urlencoded": media});
            }),
            from_base(|d| {
                let media = at(
                    d,
                    &format!("{CREATE}/requestBody/content/application~1json"),
                )
                .clone();
                set(
                    d,
                    &format!("{CREATE}/requestBody/content/text~1plain"),
                    media,
                );
            }),
        ),
        case(
            RequestMediaTypeAdded,
            from_base(|d| {
                let media = at(
                    d,
                    &format!("{CREATE}/requestBody/content/application~1json"),
                )
                .clone();
                set(
                    d,
                    &format!("{CREATE}/requestBody/content/text~1plain"),
                    media,
                );
            }),
            from_base(|d| {
                set(
                    d,
                    &format!("{CREATE}/requestBody/content/application~1json/example"),
                    json!({"name": "desk"}),
                )
            }),
        ),
        // Request schemas.
        case(
            NewRequiredRequestProperty,
            from_base(|d| {
                set(
                    d,
                    &format!("{NEW_THING}/colour"),
                    json!({"type": "string", "default": "red"}),
                );
                push(d, "/components/schemas/NewThing/required", json!("colour"));
            }),
            from_base(|d| set(d, &format!("{NEW_THING}/colour"), json!({"type": "string"}))),
        ),
        case(
            NewOptionalRequestProperty,
            from_base(|d| set(d, &format!("{NEW_THING}/colour"), json!({"type": "string"}))),
            // Only in the response schema.
            from_base(|d| set(d, &format!("{THING}/colour"), json!({"type": "string"}))),
        ),
        case(
            RequestPropertyRemoved,
            from_base(|d| del(d, &format!("{NEW_THING}/note"))),
            // Moved into an `allOf` member: not a removal.
            from_base(|d| body_schema_into_all_of(d, "NewThing", "note")),
        ),
        case(
            RequestPropertyBecameRequired,
            from_base(|d| push(d, "/components/schemas/NewThing/required", json!("size"))),
            from_base(|d| set(d, &format!("{NEW_THING}/size/description"), json!("Size."))),
        ),
        case(
            RequestPropertyBecameOptional,
            from_base(|d| set(d, "/components/schemas/NewThing/required", json!([]))),
            // Moved into an `allOf` member together with its `required`.
            from_base(|d| body_schema_into_all_of(d, "NewThing", "name")),
        ),
        case(
            RequestPropertyTypeChanged,
            from_base(|d| set(d, &format!("{NEW_THING}/size/type"), json!("string"))),
            // A component renamed (every `$ref` with it) is the same contract.
            from_base(|d| {
                let schemas = at(d, "/components/schemas").as_object_mut().unwrap();
                let new_thing = schemas.remove("NewThing").unwrap();
                schemas.insert("ThingInput".into(), new_thing);
                set(
                    d,
                    &format!("{CREATE}/requestBody/content/application~1json/schema"),
                    json!({"$ref": "#/components/schemas/ThingInput"}),
                );
            }),
        ),
        with(
            RequestEnumValueRemoved,
            &[ResponseEnumValueRemoved],
            from_base(|d| set(d, "/components/schemas/Kind/enum", json!(["small"]))),
            from_base(|d| {
                set(
                    d,
                    "/components/schemas/Kind/enum",
                    json!(["large", "small"]),
                )
            }),
        ),
        with(
            RequestEnumValueAdded,
            &[ResponseEnumValueAdded],
            from_base(|d| push(d, "/components/schemas/Kind/enum", json!("medium"))),
            from_base(|d| {
                set(
                    d,
                    "/components/schemas/Kind/enum",
                    json!(["large", "small"]),
                )
            }),
        ),
        case(
            RequestConstraintTightened,
            from_base(|d| set(d, &format!("{NEW_THING}/name/maxLength"), json!(32))),
            from_base(|d| set(d, &format!("{NEW_THING}/name/maxLength"), json!(128))),
        ),
        case(
            RequestConstraintLoosened,
            from_base(|d| set(d, &format!("{NEW_THING}/name/maxLength"), json!(128))),
            from_base(|d| set(d, &format!("{NEW_THING}/name/maxLength"), json!(32))),
        ),
        case(
            RequestNullableRemoved,
            from_base(|d| del(d, &format!("{NEW_THING}/note/nullable"))),
            from_base(|d| {
                set(
                    d,
                    &format!("{NEW_THING}/note/description"),
                    json!("Free text."),
                )
            }),
        ),
        case(
            RequestNullableAdded,
            from_base(|d| set(d, &format!("{NEW_THING}/name/nullable"), json!(true))),
            // `nullable: false` written out is the default.
            from_base(|d| set(d, &format!("{NEW_THING}/name/nullable"), json!(false))),
        ),
        with(
            RequestVariantRemoved,
            &[ResponseVariantRemoved],
            from_base(|d| del(d, "/components/schemas/Shape/oneOf/1")),
            // Members in another order.
            from_base(|d| {
                let members = at(d, "/components/schemas/Shape/oneOf")
                    .as_array_mut()
                    .unwrap();
                members.reverse();
            }),
        ),
        with(
            RequestVariantAdded,
            &[ResponseVariantAdded],
            from_base(|d| {
                push(
                    d,
                    "/components/schemas/Shape/oneOf",
                    json!({
                    "type": "object", "required": ["type", "base", "height"],
                    "properties": {"type": {"type": "string", "enum": ["triangle"]},
                        "base": {"type": "number"}, "height": {"type": "number"}}}),
                )
            }),
            // A member that gained a property is the same member, changed.
            from_base(|d| {
                set(
                    d,
                    "/components/schemas/Shape/oneOf/0/properties/colour",
                    json!({"type": "string"}),
                )
            }),
        ),
        case(
            RequestDefaultChanged,
            from_base(|d| set(d, &format!("{NEW_THING}/size/default"), json!(2))),
            from_base(|d| set(d, &format!("{NEW_THING}/size/description"), json!("Size."))),
        ),
        // Responses.
        with(
            SuccessStatusRemoved,
            &[SuccessStatusAdded],
            from_base(|d| {
                let responses = at(d, &format!("{CREATE}/responses"))
                    .as_object_mut()
                    .unwrap();
                let created = responses.remove("201").unwrap();
                responses.insert("200".into(), created);
            }),
            from_base(|d| del(d, &format!("{CREATE}/responses/400"))),
        ),
        case(
            SuccessStatusAdded,
            from_base(|d| {
                set(
                    d,
                    &format!("{CREATE}/responses/202"),
                    json!({"description": "Accepted."}),
                )
            }),
            from_base(|d| {
                set(
                    d,
                    &format!("{CREATE}/responses/409"),
                    json!({"description": "Conflict."}),
                )
            }),
        ),
        case(
            NonSuccessStatusRemoved,
            from_base(|d| del(d, &format!("{LIST}/responses/400"))),
            // A code replaced by its range is still covered.
            from_base(|d| {
                let responses = at(d, &format!("{GET}/responses")).as_object_mut().unwrap();
                let not_found = responses.remove("404").unwrap();
                responses.insert("4XX".into(), not_found);
            }),
        ),
        case(
            NonSuccessStatusAdded,
            from_base(|d| {
                set(
                    d,
                    &format!("{CREATE}/responses/409"),
                    json!({"description": "Conflict."}),
                )
            }),
            from_base(|d| {
                set(
                    d,
                    &format!("{CREATE}/responses/202"),
                    json!({"description": "Accepted."}),
                )
            }),
        ),
        with(
            ResponseMediaTypeRemoved,
            &[ResponseMediaTypeAdded],
            from_base(|d| {
                let content = at(d, &format!("{GET}/responses/200/content"));
                let media = content["application/json"].take();
                *content = json!({"application/xml": media});
            }),
            from_base(|d| {
                let media =
                    at(d, &format!("{GET}/responses/200/content/application~1json")).clone();
                set(
                    d,
                    &format!("{GET}/responses/200/content/application~1xml"),
                    media,
                );
            }),
        ),
        case(
            ResponseMediaTypeAdded,
            from_base(|d| {
                let media =
                    at(d, &format!("{GET}/responses/200/content/application~1json")).clone();
                set(
                    d,
                    &format!("{GET}/responses/200/content/application~1xml"),
                    media,
                );
            }),
            from_base(|d| {
                set(
                    d,
                    &format!("{LIST}/responses/200/content/application~1json/example"),
                    json!({"data": [{"id": "t1"}]}),
                )
            }),
        ),
        // Response headers.
        case(
            RequiredResponseHeaderRemoved,
            from_base(|d| del(d, &format!("{LIST_HEADERS}/X-Total-Count"))),
            // Header names are case-insensitive.
            from_base(|d| {
                let h = at(d, &format!("{LIST_HEADERS}/X-Total-Count")).clone();
                del(d, &format!("{LIST_HEADERS}/X-Total-Count"));
                set(d, &format!("{LIST_HEADERS}/x-total-count"), h);
            }),
        ),
        case(
            OptionalResponseHeaderRemoved,
            from_base(|d| del(d, &format!("{LIST_HEADERS}/Link"))),
            from_base(|d| {
                set(
                    d,
                    &format!("{LIST_HEADERS}/Link/description"),
                    json!("Next page."),
                )
            }),
        ),
        case(
            ResponseHeaderBecameOptional,
            from_base(|d| {
                set(
                    d,
                    &format!("{LIST_HEADERS}/X-Total-Count/required"),
                    json!(false),
                )
            }),
            // `required: false` written out is the default.
            from_base(|d| set(d, &format!("{LIST_HEADERS}/Link/required"), json!(false))),
        ),
        case(
            ResponseHeaderBecameRequired,
            from_base(|d| set(d, &format!("{LIST_HEADERS}/Link/required"), json!(true))),
            from_base(|d| {
                set(
                    d,
                    &format!("{LIST_HEADERS}/X-Total-Count/example"),
                    json!(7),
                )
            }),
        ),
        case(
            ResponseHeaderTypeChanged,
            from_base(|d| {
                set(
                    d,
                    &format!("{LIST_HEADERS}/X-Total-Count/schema/type"),
                    json!("string"),
                )
            }),
            // The same schema behind a `$ref`.
            from_base(|d| {
                let schema = at(d, &format!("{LIST_HEADERS}/X-Total-Count/schema")).clone();
                set(d, "/components/schemas/Count", schema);
                set(
                    d,
                    &format!("{LIST_HEADERS}/X-Total-Count/schema"),
                    json!({"$ref": "#/components/schemas/Count"}),
                );
            }),
        ),
        case(
            ResponseHeaderAdded,
            from_base(|d| {
                set(
                    d,
                    "/paths/~1things/get/responses/400/headers",
                    json!({"Retry-After": {"schema": {"type": "integer"}}}),
                )
            }),
            // OpenAPI ignores a `Content-Type` header: the media type says it.
            from_base(|d| {
                set(
                    d,
                    "/paths/~1things/get/responses/400/headers",
                    json!({"Content-Type": {"schema": {"type": "string"}}}),
                )
            }),
        ),
        // Response schemas.
        case(
            ResponsePropertyRemoved,
            from_base(|d| del(d, &format!("{THING}/note"))),
            from_base(|d| body_schema_into_all_of(d, "Thing", "note")),
        ),
        case(
            ResponsePropertyBecameOptional,
            from_base(|d| {
                set(
                    d,
                    "/components/schemas/Thing/required",
                    json!(["id", "kind"]),
                )
            }),
            from_base(|d| push(d, "/components/schemas/Thing/required", json!("size"))),
        ),
        case(
            ResponsePropertyBecameRequired,
            from_base(|d| push(d, "/components/schemas/Thing/required", json!("size"))),
            from_base(|d| {
                set(
                    d,
                    "/components/schemas/Thing/required",
                    json!(["id", "kind"]),
                )
            }),
        ),
        case(
            NewRequiredResponseProperty,
            from_base(|d| {
                set(
                    d,
                    &format!("{THING}/created_at"),
                    json!({"type": "string", "format": "date-time"}),
                );
                push(d, "/components/schemas/Thing/required", json!("created_at"));
            }),
            from_base(|d| {
                set(
                    d,
                    &format!("{THING}/created_at"),
                    json!({"type": "string", "format": "date-time"}),
                )
            }),
        ),
        case(
            NewOptionalResponseProperty,
            from_base(|d| {
                set(
                    d,
                    &format!("{THING}/created_at"),
                    json!({"type": "string", "format": "date-time"}),
                )
            }),
            // Only in the request schema.
            from_base(|d| {
                set(
                    d,
                    &format!("{NEW_THING}/created_at"),
                    json!({"type": "string"}),
                )
            }),
        ),
        case(
            ResponsePropertyTypeChanged,
            from_base(|d| set(d, &format!("{THING}/size/type"), json!("string"))),
            // The same type behind an `allOf` wrapper (how schemars writes a documented `$ref`).
            from_base(|d| {
                set(
                    d,
                    &format!("{THING}/id"),
                    json!({"allOf": [{"type": "string"}]}),
                )
            }),
        ),
        case(
            ResponseEnumValueAdded,
            from_base(|d| push(d, &format!("{THING}/status/enum"), json!("deleted"))),
            from_base(|d| set(d, &format!("{THING}/status/enum"), json!(["active"]))),
        ),
        case(
            ResponseEnumValueRemoved,
            from_base(|d| set(d, &format!("{THING}/status/enum"), json!(["active"]))),
            from_base(|d| push(d, &format!("{THING}/status/enum"), json!("deleted"))),
        ),
        case(
            ResponseConstraintLoosened,
            from_base(|d| set(d, &format!("{THING}/name/maxLength"), json!(128))),
            from_base(|d| set(d, &format!("{THING}/name/maxLength"), json!(32))),
        ),
        case(
            ResponseConstraintTightened,
            from_base(|d| set(d, &format!("{THING}/name/maxLength"), json!(32))),
            from_base(|d| set(d, &format!("{THING}/name/maxLength"), json!(128))),
        ),
        case(
            ResponseNullableAdded,
            from_base(|d| set(d, &format!("{THING}/note/nullable"), json!(true))),
            // The same change on the request side is harmless.
            from_base(|d| set(d, &format!("{NEW_THING}/name/nullable"), json!(true))),
        ),
        case(
            ResponseNullableRemoved,
            from_base(|d| del(d, &format!("{THING}/size/nullable"))),
            from_base(|d| set(d, &format!("{THING}/size/description"), json!("Size."))),
        ),
        with(
            ResponseVariantAdded,
            &[RequestVariantAdded],
            from_base(|d| {
                push(
                    d,
                    "/components/schemas/Shape/oneOf",
                    json!({
                    "type": "object", "required": ["type", "base"],
                    "properties": {"type": {"type": "string", "enum": ["triangle"]}, "base": {"type": "number"}}}),
                )
            }),
            // A member that gained an optional property is the same member, changed.
            from_base(|d| {
                set(
                    d,
                    "/components/schemas/Shape/oneOf/1/properties/colour",
                    json!({"type": "string"}),
                );
            }),
        ),
        with(
            ResponseVariantRemoved,
            &[RequestVariantRemoved],
            from_base(|d| del(d, "/components/schemas/Shape/oneOf/0")),
            from_base(|d| {
                let members = at(d, "/components/schemas/Shape/oneOf")
                    .as_array_mut()
                    .unwrap();
                members.reverse();
            }),
        ),
        // Documentation.
        case(
            DescriptionChanged,
            from_base(|d| {
                set(
                    d,
                    &format!("{THING}/name/description"),
                    json!("What people call it."),
                )
            }),
            from_base(|d| {
                set(
                    d,
                    &format!("{LIST}/responses/200/content/application~1json/example"),
                    json!({"data": [{"id": "t1"}]}),
                )
            }),
        ),
        case(
            ExampleChanged,
            from_base(|d| {
                set(
                    d,
                    &format!("{LIST}/responses/200/content/application~1json/example"),
                    json!({"data": [{"id": "t1"}]}),
                )
            }),
            from_base(|d| set(d, &format!("{LIST}/description"), json!("Lists things."))),
        ),
        case(
            DeprecationChanged,
            from_base(|d| set(d, &format!("{DELETE}/deprecated"), json!(true))),
            from_base(|d| {
                set(
                    d,
                    &format!("{DELETE}/description"),
                    json!("Removes a thing."),
                )
            }),
        ),
        case(
            AnnotationChanged,
            from_base(|d| set(d, "/components/schemas/Thing/title", json!("A thing"))),
            from_base(|d| {
                set(
                    d,
                    "/components/schemas/Thing/description",
                    json!("A thing."),
                )
            }),
        ),
        case(
            SchemaKeywordChanged,
            from_base(|d| set(d, &format!("{THING}/name/not"), json!({"enum": [""]}))),
            from_base(|d| set(d, &format!("{THING}/name/pattern"), json!("^\\S"))),
        ),
    ]
}

#[test]
fn every_rule_has_a_case() {
    let covered: BTreeSet<Rule> = cases().iter().map(|c| c.rule).collect();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| !covered.contains(r))
        .map(|r| r.id())
        .collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");
}

#[test]
fn every_trigger_reports_its_rule_and_nothing_else() {
    let mut failures = Vec::new();
    for c in cases() {
        let changes = diff(&c.trigger.0, &c.trigger.1);
        let found = rules(&changes);
        let unexpected: Vec<&str> = found
            .iter()
            .filter(|r| **r != c.rule && !c.allowed.contains(r))
            .map(|r| r.id())
            .collect();
        if !found.contains(&c.rule) || !unexpected.is_empty() {
            failures.push(format!(
                "{}: expected it (plus {:?}), got {:#?}",
                c.rule.id(),
                c.allowed.iter().map(|r| r.id()).collect::<Vec<_>>(),
                changes
                    .iter()
                    .map(|c| format!("{} {} {}", c.rule.id(), c.pointer, c.message))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_near_miss_stays_quiet() {
    let mut failures = Vec::new();
    for c in cases() {
        let changes = diff(&c.quiet.0, &c.quiet.1);
        if rules(&changes).contains(&c.rule) {
            failures.push(format!(
                "{}: the near miss reported it: {:#?}",
                c.rule.id(),
                changes
                    .iter()
                    .map(|c| format!("{} {} {}", c.rule.id(), c.pointer, c.message))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn severity_and_side_come_from_the_catalogue() {
    for c in cases() {
        for change in diff(&c.trigger.0, &c.trigger.1) {
            assert_eq!(change.severity(), change.rule.severity());
            if let Some(side) = change.rule.side() {
                assert_eq!(change.side, side, "{}", change.rule.id());
            }
        }
    }
}

#[test]
fn a_document_compared_with_itself_has_no_changes() {
    assert!(diff(&base(), &base()).is_empty());
    for name in ["bitmind", "brookmimir", "bitstride"] {
        let path = xtask::workspace_root().join(format!("openapi/{name}.yaml"));
        let doc = Document::load(&path).unwrap();
        let changes = compare(&doc, &doc);
        assert!(changes.is_empty(), "{name}: {changes:#?}");
    }
}

#[test]
fn moving_properties_into_all_of_is_not_a_change_at_all() {
    let (old, new) = from_base(|d| {
        body_schema_into_all_of(d, "Thing", "note");
        body_schema_into_all_of(d, "NewThing", "name");
    });
    let changes = diff(&old, &new);
    assert!(changes.is_empty(), "{changes:#?}");
}

#[test]
fn a_changed_one_of_member_is_compared_member_to_member() {
    // The circle's radius changes type: one type change per side, at the member, not a
    // removed and an added variant.
    let (old, new) = from_base(|d| {
        set(
            d,
            "/components/schemas/Shape/oneOf/0/properties/radius/type",
            json!("integer"),
        );
        d["components"]["schemas"]["Shape"]["oneOf"]
            .as_array_mut()
            .unwrap()
            .reverse();
    });
    let changes = diff(&old, &new);
    let found = rules(&changes);
    assert_eq!(
        found,
        BTreeSet::from([
            Rule::RequestPropertyTypeChanged,
            Rule::ResponsePropertyTypeChanged
        ]),
        "{changes:#?}"
    );
    let request = changes
        .iter()
        .find(|c| c.rule == Rule::RequestPropertyTypeChanged)
        .unwrap();
    assert_eq!(
        request.pointer,
        "/paths/~1things/post/requestBody/content/application~1json/schema/properties/shape/oneOf/1/properties/radius/type"
    );
    assert_eq!(request.side, Side::Request);
}

#[test]
fn a_plain_schema_that_becomes_one_of_keeps_its_old_shape_as_a_member() {
    // `name` becomes "a string or a structured name": clients sending a string still work.
    let (old, new) = from_base(|d| {
        set(
            d,
            &format!("{NEW_THING}/name"),
            json!({"oneOf": [
                {"type": "string", "maxLength": 64},
                {"type": "object", "properties": {"first": {"type": "string"}}}
            ]}),
        );
    });
    let changes = diff(&old, &new);
    assert_eq!(
        rules(&changes),
        BTreeSet::from([Rule::RequestVariantAdded]),
        "{changes:#?}"
    );
}

#[test]
fn a_new_document_adds_every_operation_and_a_removed_one_removes_them() {
    let empty = json!({});
    let added = diff(&empty, &base());
    assert_eq!(added.len(), 4, "{added:#?}");
    assert!(added.iter().all(|c| c.rule == Rule::OperationAdded));
    let removed = diff(&base(), &empty);
    assert_eq!(removed.len(), 4, "{removed:#?}");
    assert!(removed.iter().all(|c| c.rule == Rule::PathRemoved));
}

#[test]
fn changes_name_the_operation_and_point_into_the_new_document() {
    let (old, new) = from_base(|d| del(d, &format!("{THING}/note")));
    let changes = diff(&old, &new);
    let c = changes
        .iter()
        .find(|c| on(c, "GET /things/{id}"))
        .expect("the removal is reported on GET /things/{id}");
    assert_eq!(c.operation_label(), "GET /things/{id} (get_thing)");
    assert_eq!(
        c.pointer,
        "/paths/~1things~1{id}/get/responses/200/content/application~1json/schema/properties/note"
    );
    assert_eq!(c.message, "response property `note` (optional) was removed");
    // Also seen through the list (array items) and the create answer.
    let list = changes.iter().find(|c| on(c, "GET /things")).unwrap();
    assert_eq!(
        list.message,
        "response property `data[].note` (optional) was removed"
    );
}

#[test]
fn a_header_parameter_spelled_in_another_case_is_the_same_parameter() {
    // `X-Trace` → `x-TRACE`: not removed and added, not changed at all.
    let (old, new) = from_base(|d| set(d, &format!("{LIST}/parameters/2/name"), json!("x-TRACE")));
    let changes = diff(&old, &new);
    assert!(changes.is_empty(), "{changes:#?}");
    // A path-level header overridden by the operation in another case is one parameter:
    // dropping the override only changes `required` back to the path's.
    let header = |name: &str, required: bool| json!({"in": "header", "name": name, "required": required, "schema": {"type": "string"}});
    let overridden = edit(|d| {
        push(
            d,
            "/paths/~1things~1{id}/parameters",
            header("X-Tenant", true),
        );
        set(
            d,
            &format!("{DELETE}/parameters"),
            json!([header("x-tenant", false)]),
        );
    });
    let plain = edit(|d| {
        push(
            d,
            "/paths/~1things~1{id}/parameters",
            header("X-Tenant", true),
        )
    });
    let changes = diff(&overridden, &plain);
    assert_eq!(
        rules(&changes),
        BTreeSet::from([Rule::ParameterBecameRequired]),
        "{changes:#?}"
    );
}

#[test]
fn a_security_scheme_change_is_reported_once_with_the_operations_that_require_it() {
    let (old, new) = from_base(|d| set(d, &format!("{SCHEMES}/api_key/name"), json!("x-token")));
    let changes = diff(&old, &new);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let c = &changes[0];
    assert_eq!(c.rule, Rule::SecuritySchemeApiKeyChanged);
    assert_eq!(c.operation, None);
    assert_eq!(c.operation_label(), "document");
    assert_eq!(c.pointer, "/components/securitySchemes/api_key/name");
    assert_eq!(
        c.message,
        "security scheme `api_key`: the key moved from header `x-api-key` to header `x-token`"
    );
    // GET is public and DELETE takes OAuth or OpenID Connect; POST takes the key or a session.
    let used: Vec<String> = c.used_by.iter().map(|op| op.label()).collect();
    assert_eq!(
        used,
        ["GET /things (list_things)", "POST /things (create_thing)"]
    );
}

#[test]
fn a_scheme_no_operation_requires_is_used_by_none() {
    let (old, new) = from_base(|d| set(d, &format!("{SCHEMES}/legacy/in"), json!("header")));
    let changes = diff(&old, &new);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].rule, Rule::SecuritySchemeUnusedChanged);
    assert!(changes[0].used_by.is_empty());
    assert_eq!(
        changes[0].message,
        "security scheme `legacy`: the key moved from query `key` to header `key` (no operation requires it)"
    );
}

#[test]
fn a_scheme_renamed_moves_the_operations_with_it() {
    let (old, new) = from_base(|d| rename_scheme(d, "oauth", "oauth2", None));
    let changes = diff(&old, &new);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].rule, Rule::SecuritySchemeRenamed);
    assert_eq!(changes[0].pointer, "/components/securitySchemes/oauth2");
    let used: Vec<String> = changes[0].used_by.iter().map(|op| op.to_string()).collect();
    assert_eq!(used, ["DELETE /things/{id}"]);
    // Its requirements still need the same scopes: changing those is still a change.
    let (old, new) = from_base(|d| {
        rename_scheme(d, "oauth", "oauth2", None);
        set(
            d,
            &format!("{DELETE}/security/0/oauth2"),
            json!(["things:read"]),
        );
    });
    let found = rules(&diff(&old, &new));
    assert_eq!(
        found,
        BTreeSet::from([
            Rule::SecuritySchemeRenamed,
            Rule::SecurityRequirementChanged
        ])
    );
}

#[test]
fn inherited_servers_are_shared_and_an_operations_own_are_its_own() {
    // The document's servers: one change, used by every operation.
    let (old, new) = from_base(|d| set(d, "/servers/0/url", json!("https://api.example.com/v2")));
    let changes = diff(&old, &new);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].operation, None);
    assert_eq!(changes[0].used_by.len(), 4);
    assert_eq!(changes[0].pointer, "/servers/0/url");
    assert_eq!(
        changes[0].message,
        "server `https://api.example.com/v1` became `https://api.example.com/v2` (base path changed)"
    );
    // A path item's servers: shared by the operations on the path.
    let on_path = |url: &str| {
        let url = url.to_owned();
        edit(move |d| set(d, "/paths/~1things~1{id}/servers", json!([{"url": url}])))
    };
    let changes = diff(
        &on_path("https://a.example.com/v1"),
        &on_path("https://b.example.com/v1"),
    );
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let used: Vec<String> = changes[0].used_by.iter().map(|op| op.to_string()).collect();
    assert_eq!(used, ["DELETE /things/{id}", "GET /things/{id}"]);
    assert!(
        changes[0].message.ends_with("(host changed)"),
        "{}",
        changes[0].message
    );
    // An operation's own servers: its change.
    let on_get = |url: &str| {
        let url = url.to_owned();
        edit(move |d| set(d, &format!("{GET}/servers"), json!([{"url": url}])))
    };
    let changes = diff(
        &on_get("https://a.example.com/v1"),
        &on_get("https://a.example.com/v2"),
    );
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].operation_label(), "GET /things/{id} (get_thing)");
    assert!(changes[0].used_by.is_empty());
    assert_eq!(changes[0].pointer, format!("{GET}/servers/0/url"));
}

#[test]
fn a_server_template_reads_as_the_urls_it_admits() {
    let templated = |regions: Value| {
        edit(|d| {
            set(
                d,
                "/servers",
                json!([{"url": "https://{region}.example.com/v1",
                        "variables": {"region": {"default": "eu", "enum": regions}}}]),
            )
        })
    };
    // A region dropped from the enumeration is a server removed.
    let changes = diff(&templated(json!(["eu", "us"])), &templated(json!(["eu"])));
    assert_eq!(
        rules(&changes),
        BTreeSet::from([Rule::ServerRemoved]),
        "{changes:#?}"
    );
    assert_eq!(
        changes[0].message,
        "server `https://us.example.com/v1` is no longer listed"
    );
    // A literal URL rewritten as a template whose only value is the same URL: no change.
    let literal = edit(|d| set(d, "/servers/0/url", json!("https://eu.example.com/v1")));
    let changes = diff(&literal, &templated(json!(["eu"])));
    assert!(changes.is_empty(), "{changes:#?}");
}

#[test]
fn document_level_changes_come_first() {
    let (old, new) = from_base(|d| {
        set(d, &format!("{LIST}/parameters/0/required"), json!(true));
        set(d, "/servers/0/url", json!("https://api.example.com/v2"));
    });
    let changes = diff(&old, &new);
    assert_eq!(changes[0].rule, Rule::ServerUrlChanged, "{changes:#?}");
    assert_eq!(changes[1].rule, Rule::ParameterBecameRequired);
}

#[test]
fn a_response_header_change_names_the_response_and_the_header() {
    let (old, new) = from_base(|d| {
        set(
            d,
            &format!("{LIST_HEADERS}/X-Total-Count/schema/minimum"),
            json!(1),
        );
        set(
            d,
            &format!("{LIST_HEADERS}/Link/schema/nullable"),
            json!(true),
        );
    });
    let changes = diff(&old, &new);
    let described: Vec<(Rule, &str)> = changes
        .iter()
        .map(|c| (c.rule, c.message.as_str()))
        .collect();
    assert_eq!(
        described,
        [
            (
                Rule::ResponseNullableAdded,
                "response 200 header `Link` may now be null"
            ),
            (
                Rule::ResponseConstraintTightened,
                "response 200 header `X-Total-Count`: `minimum` changed from `0` to `1`"
            ),
        ],
        "{changes:#?}"
    );
    assert!(changes.iter().all(|c| on(c, "GET /things")));
}

#[test]
fn breaking_changes_come_first_within_an_operation() {
    let (old, new) = from_base(|d| {
        set(d, &format!("{LIST}/summary"), json!("Lists things."));
        set(d, &format!("{LIST}/parameters/0/required"), json!(true));
    });
    let changes = diff(&old, &new);
    assert_eq!(
        changes[0].rule,
        Rule::ParameterBecameRequired,
        "{changes:#?}"
    );
    assert_eq!(changes[1].rule, Rule::DescriptionChanged);
}

#[test]
fn a_renamed_property_is_a_removal_with_a_hint() {
    let (old, new) = from_base(|d| {
        let props = at(d, THING).as_object_mut().unwrap();
        let note = props.remove("note").unwrap();
        props.insert("remark".into(), note);
    });
    let changes = diff(&old, &new);
    let removed = changes
        .iter()
        .find(|c| {
            c.rule == Rule::ResponsePropertyRemoved
                && c.operation_key().is_some_and(|k| k.method == "GET")
        })
        .unwrap();
    assert!(
        removed
            .message
            .ends_with("`remark` was added with the same schema (renamed?)"),
        "{}",
        removed.message
    );
}

#[test]
fn the_readme_lists_the_catalogue_as_it_is() {
    let readme = std::fs::read_to_string(xtask::workspace_root().join("README.md")).unwrap();
    let table = xtask::diff::render::rules_markdown();
    assert!(
        readme.contains(&table),
        "README.md's rule table differs from `cargo xtask diff --rules`; paste this:\n{table}"
    );
    let count = |s: xtask::diff::Severity| Rule::ALL.iter().filter(|r| r.severity() == s).count();
    let sentence = format!(
        "{} rules, {} breaking, {} warning, {} info",
        Rule::ALL.len(),
        count(xtask::diff::Severity::Breaking),
        count(xtask::diff::Severity::Warning),
        count(xtask::diff::Severity::Info)
    );
    assert!(
        readme.contains(&sentence),
        "README.md should say: {sentence}"
    );
}
