//! Each kind of drift, provoked on purpose: a copy of a hand-written document or
//! of the document derived from its server trait is mutated, and the drift check
//! must report the expected finding at the expected place.

use quartet_api::SURFACES;
use serde_json::{json, Value};
use xtask::document::Document;
use xtask::drift;
use xtask::equivalences::Equivalences;
use xtask::finding::Finding;

/// The Brookmimir hand-written document and the document its trait derives.
fn brookmimir() -> (Value, Value) {
    let surface = SURFACES.iter().find(|s| s.name == "brookmimir").unwrap();
    let hand = Document::load(&xtask::workspace_root().join(surface.document)).unwrap();
    let derived = xtask::derived::derive(surface, hand.title(), hand.version()).unwrap();
    (hand.value, derived)
}

fn reviewed_equivalences() -> Equivalences {
    Equivalences::load(&xtask::workspace_root().join("openapi/equivalences.toml")).unwrap()
}

fn drift(hand: &Value, derived: &Value) -> Vec<Finding> {
    drift::compare(
        "brookmimir",
        &Document::from_value("hand", hand.clone()),
        &Document::from_value("derived", derived.clone()),
        &reviewed_equivalences(),
    )
}

/// The mutated pair must produce exactly one finding, with this message fragment,
/// on this operation, at this pointer.
fn assert_single(findings: &[Finding], operation: &str, pointer: &str, message: &str) {
    assert_eq!(findings.len(), 1, "expected one finding, got {findings:#?}");
    let f = &findings[0];
    assert!(
        f.operation
            .as_deref()
            .is_some_and(|o| o.starts_with(operation)),
        "finding names {:?}, expected {operation}",
        f.operation
    );
    assert_eq!(f.pointer, pointer, "{f}");
    assert!(
        f.message.contains(message),
        "message {:?} lacks {message:?}",
        f.message
    );
}

/// Follows a `$ref` (if any) to the object that really holds the schema, mutably.
fn schema_mut<'a>(doc: &'a mut Value, pointer: &str) -> &'a mut Value {
    let reference = doc
        .pointer(pointer)
        .and_then(|s| s.get("$ref"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    match reference {
        Some(r) => doc.pointer_mut(r.trim_start_matches('#')).unwrap(),
        None => doc.pointer_mut(pointer).unwrap(),
    }
}

/// The JSON object at `pointer`, mutably.
fn object_at<'a>(doc: &'a mut Value, pointer: &str) -> &'a mut serde_json::Map<String, Value> {
    doc.pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {pointer}"))
}

/// Removes property `name` (and its `required` entry) from an object schema.
fn remove_property(schema: &mut Value, name: &str) {
    schema["properties"].as_object_mut().unwrap().remove(name);
    if let Some(req) = schema["required"].as_array_mut() {
        req.retain(|r| r != name);
    }
}

const CREDITS: &str = "/paths/~1credits/get";
const DOCUMENT: &str = "/paths/~1document/get";
const CREDITS_200: &str = "/paths/~1credits/get/responses/200/content/application~1json/schema";

#[test]
fn the_unmutated_documents_agree() {
    let (hand, derived) = brookmimir();
    let findings = drift(&hand, &derived);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn operation_missing_on_the_server() {
    let (hand, mut derived) = brookmimir();
    derived["paths"].as_object_mut().unwrap().remove("/credits");
    assert_single(
        &drift(&hand, &derived),
        "GET /credits",
        CREDITS,
        "the server does not expose it",
    );
}

#[test]
fn operation_missing_from_the_document() {
    let (mut hand, derived) = brookmimir();
    hand["paths"].as_object_mut().unwrap().remove("/credits");
    assert_single(
        &drift(&hand, &derived),
        "GET /credits",
        CREDITS,
        "missing from the document",
    );
}

#[test]
fn parameter_added_on_the_server() {
    let (hand, mut derived) = brookmimir();
    derived.pointer_mut(CREDITS).unwrap()["parameters"] = json!([{"in": "query", "name": "verbose", "required": true, "schema": {"type": "boolean"}}]);
    assert_single(
        &drift(&hand, &derived),
        "GET /credits",
        CREDITS,
        "query parameter `verbose` is read by the server but missing",
    );
}

#[test]
fn parameter_removed_on_the_server() {
    let (hand, mut derived) = brookmimir();
    let params = derived
        .pointer_mut(&format!("{DOCUMENT}/parameters"))
        .unwrap()
        .as_array_mut()
        .unwrap();
    params.retain(|p| p["name"] != "bmm-doc-id");
    let findings = drift(&hand, &derived);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(findings[0]
        .message
        .contains("parameter `bmm-doc-id` is in the document but the server does not read it"));
    assert!(findings[0]
        .pointer
        .starts_with(&format!("{DOCUMENT}/parameters/")));
}

#[test]
fn parameter_required_changed() {
    let (hand, mut derived) = brookmimir();
    let params = derived
        .pointer_mut(&format!("{DOCUMENT}/parameters"))
        .unwrap()
        .as_array_mut()
        .unwrap();
    let p = params
        .iter_mut()
        .find(|p| p["name"] == "bmm-doc-id")
        .unwrap();
    p["required"] = json!(false);
    let findings = drift(&hand, &derived);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(findings[0].message.contains("required differs"));
    assert!(findings[0].pointer.ends_with("/required"));
    assert_eq!(findings[0].hand, Some(json!(true)));
    assert_eq!(findings[0].derived, Some(json!(false)));
}

#[test]
fn property_type_changed() {
    let (hand, mut derived) = brookmimir();
    schema_mut(&mut derived, CREDITS_200)["properties"]["current_balance"] =
        json!({"type": "string"});
    let findings = drift(&hand, &derived);
    let type_finding = findings
        .iter()
        .find(|f| f.message == "type differs")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(
        type_finding.pointer,
        format!("{CREDITS_200}/properties/current_balance/type")
    );
    assert_eq!(type_finding.hand, Some(json!("integer")));
    assert_eq!(type_finding.derived, Some(json!("string")));
}

#[test]
fn property_missing_on_the_server() {
    let (hand, mut derived) = brookmimir();
    let schema = schema_mut(&mut derived, CREDITS_200);
    remove_property(schema, "current_balance");
    let findings = drift(&hand, &derived);
    assert!(
        findings.iter().any(
            |f| f.pointer == format!("{CREDITS_200}/properties/current_balance")
                && f.message.contains("in the document but not on the server")
        ),
        "{findings:#?}"
    );
}

#[test]
fn property_missing_from_the_document() {
    let (mut hand, derived) = brookmimir();
    let schema = schema_mut(&mut hand, CREDITS_200);
    remove_property(schema, "current_balance");
    let findings = drift(&hand, &derived);
    assert!(
        findings.iter().any(|f| f
            .message
            .contains("property `current_balance` is on the server but not in the document")),
        "{findings:#?}"
    );
}

#[test]
fn success_status_missing_on_the_server() {
    let (hand, mut derived) = brookmimir();
    let responses = object_at(&mut derived, &format!("{CREDITS}/responses"));
    let ok = responses.remove("200").unwrap();
    responses.insert("201".into(), ok);
    let findings = drift(&hand, &derived);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(findings
        .iter()
        .any(|f| f.message == "status 200 is documented but the server cannot produce it"));
    assert!(
        findings
            .iter()
            .any(|f| f.message
                == "status 201 is produced by the server but missing from the document")
    );
}

#[test]
fn error_status_without_a_server_range() {
    let (hand, mut derived) = brookmimir();
    let responses = object_at(&mut derived, &format!("{CREDITS}/responses"));
    responses.remove("4XX");
    let findings = drift(&hand, &derived);
    assert!(!findings.is_empty());
    assert!(
        findings.iter().all(|f| f
            .message
            .contains("is documented but the server cannot produce it")),
        "{findings:#?}"
    );
}

#[test]
fn media_type_changed() {
    let (hand, mut derived) = brookmimir();
    let content = object_at(&mut derived, &format!("{CREDITS}/responses/200/content"));
    let json = content.remove("application/json").unwrap();
    content.insert("text/plain".into(), json);
    let findings = drift(&hand, &derived);
    assert!(
        findings.iter().any(|f| f.message.contains(
            "media type `application/json` is documented but the server does not use it"
        )),
        "{findings:#?}"
    );
    assert!(
        findings.iter().any(|f| f
            .message
            .contains("media type `text/plain` is used by the server but not documented")),
        "{findings:#?}"
    );
}

#[test]
fn equivalences_are_needed_and_counted() {
    let (hand, derived) = brookmimir();
    let strict = drift::compare(
        "brookmimir",
        &Document::from_value("hand", hand.clone()),
        &Document::from_value("derived", derived.clone()),
        &Equivalences::none(),
    );
    assert!(
        strict
            .iter()
            .any(|f| f.message.contains("no `security` equivalence declared")),
        "{strict:#?}"
    );
    assert!(
        strict.iter().any(|f| f
            .message
            .contains("status 4XX is produced by the server but missing")),
        "{strict:#?}"
    );

    let eq = reviewed_equivalences();
    let findings = drift::compare(
        "brookmimir",
        &Document::from_value("h", hand),
        &Document::from_value("d", derived),
        &eq,
    );
    assert!(findings.is_empty(), "{findings:#?}");
    let applied = eq.applied();
    assert!(applied
        .keys()
        .any(|(k, s)| k.name() == "security" && s == "brookmimir"));
    assert!(applied
        .keys()
        .any(|(k, s)| k.name() == "error-ranges" && s == "brookmimir"));
}

#[test]
fn an_unknown_equivalence_kind_is_rejected() {
    let err =
        Equivalences::parse("[[equivalence]]\nkind = \"whatever\"\nreason = \"x\"\n").unwrap_err();
    assert!(
        err.to_string().contains("unknown equivalence kind"),
        "{err}"
    );
    let err =
        Equivalences::parse("[[equivalence]]\nkind = \"security\"\nreason = \"\"\n").unwrap_err();
    assert!(err.to_string().contains("has no reason"), "{err}");
}

#[test]
fn a_raw_response_needs_its_declaration() {
    let (hand, mut derived) = brookmimir();
    derived.pointer_mut(CREDITS).unwrap()["responses"] =
        json!({"default": {"description": "", "content": {"*/*": {"schema": {}}}}});
    assert_single(
        &drift(&hand, &derived),
        "GET /credits",
        &format!("{CREDITS}/responses"),
        "raw response",
    );
}
