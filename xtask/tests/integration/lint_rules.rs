//! The lint on small documents written for each rule: each one must be caught
//! with a readable finding (and never reach progenitor, which would panic).

use xtask::document::Document;
use xtask::finding::Finding;

const BASE: &str = r##"
openapi: 3.0.3
info: {title: t, version: 1.0.0}
tags: [{name: things, description: Things.}]
components:
  schemas:
    Thing:
      type: object
      required: [id]
      properties:
        id: {type: integer, format: int64}
    Oops:
      type: object
      required: [message]
      properties:
        message: {type: string}
paths:
  /things/{id}:
    get:
      operationId: get_thing
      summary: Get a thing.
      description: Reads one thing.
      tags: [things]
      security: []
      parameters:
        - {in: path, name: id, required: true, schema: {type: integer, format: int64}, example: 7}
      responses:
        "200":
          description: The thing.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
              example: {id: 7}
        "404":
          description: No such thing.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Oops"}
              example: {message: no such thing}
"##;

fn lint(text: &str) -> Vec<Finding> {
    xtask::lint::lint("t", &Document::parse("t", text).unwrap())
}

fn assert_finding(text: &str, fragment: &str) {
    let findings = lint(text);
    assert!(
        findings.iter().any(|f| f.message.contains(fragment)),
        "no finding with {fragment:?} in {findings:#?}"
    );
}

#[test]
fn the_base_document_is_clean() {
    assert!(lint(BASE).is_empty(), "{:#?}", lint(BASE));
}

#[test]
fn an_example_of_the_wrong_type() {
    let findings = lint(&BASE.replace("example: {id: 7}", "example: {id: \"seven\"}"));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0].pointer,
        "/paths/~1things~1{id}/get/responses/200/content/application~1json/example/id"
    );
    assert!(findings[0].message.contains("does not match the schema"));
}

#[test]
fn a_response_without_an_example() {
    assert_finding(
        &BASE.replace("              example: {message: no such thing}\n", ""),
        "no example",
    );
}

#[test]
fn a_parameter_without_an_example() {
    assert_finding(
        &BASE.replace(", example: 7}", "}"),
        "parameter `id` has no example",
    );
}

#[test]
fn a_missing_operation_id() {
    assert_finding(
        &BASE.replace("      operationId: get_thing\n", ""),
        "no operationId",
    );
}

#[test]
fn a_duplicate_operation_id() {
    let twice = BASE.replace("paths:\n", "paths:\n  /other:\n    get:\n      operationId: get_thing\n      summary: s\n      description: d\n      tags: [things]\n      security: []\n      responses:\n        \"204\": {description: nothing}\n");
    assert_finding(&twice, "operationId `get_thing` is also used by");
}

#[test]
fn an_unstated_security() {
    assert_finding(
        &BASE.replace("      security: []\n", ""),
        "does not state `security`",
    );
}

#[test]
fn two_success_schemas_for_progenitor() {
    let text = BASE.replace(
        "        \"404\":",
        "        \"201\":\n          description: Other.\n          content:\n            application/json:\n              schema: {$ref: \"#/components/schemas/Oops\"}\n              example: {message: m}\n        \"404\":",
    );
    assert_finding(
        &text,
        "progenitor accepts one success body type per operation",
    );
}

#[test]
fn two_error_schemas_for_progenitor() {
    let text = BASE.replace(
        "        \"404\":",
        "        \"400\":\n          description: Other.\n          content:\n            application/json:\n              schema: {$ref: \"#/components/schemas/Thing\"}\n              example: {id: 1}\n        \"404\":",
    );
    assert_finding(
        &text,
        "progenitor accepts one error body type per operation",
    );
}

#[test]
fn multipart_and_two_media_types_in_a_request() {
    let text = BASE.replace(
        "      responses:\n        \"200\":",
        "      requestBody:\n        content:\n          multipart/form-data:\n            schema: {type: object}\n            example: {}\n          application/json:\n            schema: {type: object}\n            example: {}\n      responses:\n        \"200\":",
    );
    assert_finding(&text, "exactly one media type");
    assert_finding(
        &text,
        "cannot send request bodies of type `multipart/form-data`",
    );
}

#[test]
fn an_openapi_31_document() {
    assert_finding(
        &BASE.replace("openapi: 3.0.3", "openapi: 3.1.0"),
        "must be an OpenAPI 3.0.x document",
    );
}

#[test]
fn a_dangling_ref() {
    assert_finding(
        &BASE.replace("schemas/Oops\"", "schemas/Gone\""),
        "does not resolve",
    );
}

#[test]
fn an_undeclared_tag() {
    assert_finding(
        &BASE.replace("tags: [things]", "tags: [stuff]"),
        "tag `stuff` is not declared",
    );
}

#[test]
fn nullable_examples_follow_openapi_30() {
    let text = BASE
        .replace(
            "id: {type: integer, format: int64}\n    Oops",
            "id: {type: integer, format: int64, nullable: true}\n    Oops",
        )
        .replace("example: {id: 7}", "example: {id: null}");
    assert!(lint(&text).is_empty(), "{:#?}", lint(&text));
}

#[test]
fn a_bare_object_is_a_finding_and_a_free_form_one_is_not() {
    let bare = BASE.replace(
        "        id: {type: integer, format: int64}\n    Oops:",
        "        id: {type: integer, format: int64}\n        extra: {type: object}\n    Oops:",
    );
    let findings = lint(&bare);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0].pointer,
        "/components/schemas/Thing/properties/extra"
    );
    assert!(findings[0].message.contains("bare `type: object`"));
    let free = bare.replace(
        "extra: {type: object}",
        "extra: {type: object, additionalProperties: true}",
    );
    assert!(lint(&free).is_empty(), "{:#?}", lint(&free));
    let one_of_several = bare.replace(
        "extra: {type: object}",
        "extra: {type: object, properties: {a: {type: string}}, anyOf: [{type: object, required: [a]}]}",
    );
    assert!(
        lint(&one_of_several).is_empty(),
        "{:#?}",
        lint(&one_of_several)
    );
    let inline = BASE.replace(
        "schema: {$ref: \"#/components/schemas/Oops\"}",
        "schema: {type: object}",
    );
    assert!(
        lint(&inline)
            .iter()
            .any(|f| f.pointer.ends_with("/404/content/application~1json/schema")),
        "{:#?}",
        lint(&inline)
    );
}

#[test]
fn nullable_without_type_is_a_finding_and_typed_nullable_is_not() {
    let untyped = BASE
        .replace(
            "id: {type: integer, format: int64}\n    Oops",
            "id: {type: integer, format: int64}\n        note: {nullable: true, allOf: [{type: string}]}\n    Oops",
        );
    let findings = lint(&untyped);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0].pointer,
        "/components/schemas/Thing/properties/note"
    );
    assert!(findings[0].message.contains("`nullable` without `type`"));
    assert!(findings[0].message.contains("no effect in OpenAPI 3.0.3"));

    let typed = untyped.replace(
        "note: {nullable: true, allOf: [{type: string}]}",
        "note: {type: string, nullable: true}",
    );
    assert!(lint(&typed).is_empty(), "{:#?}", lint(&typed));
    let null_member = untyped.replace(
        "note: {nullable: true, allOf: [{type: string}]}",
        "note: {oneOf: [{type: integer}, {type: string, nullable: true}]}",
    );
    assert!(lint(&null_member).is_empty(), "{:#?}", lint(&null_member));
}

#[test]
fn nullable_beside_a_ref_and_in_an_inline_schema_is_one_finding_each() {
    let text = BASE
        .replace(
            "id: {type: integer, format: int64}\n    Oops",
            "id: {type: integer, format: int64}\n        oops: {$ref: \"#/components/schemas/Oops\", nullable: true}\n    Oops",
        )
        .replace(
            "schema: {type: integer, format: int64}, example: 7}",
            "schema: {nullable: false, allOf: [{type: integer, format: int64}]}, example: 7}",
        );
    let findings = lint(&text);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let at = |ptr: &str| {
        findings
            .iter()
            .find(|f| f.pointer == ptr)
            .unwrap_or_else(|| panic!("no finding at {ptr} in {findings:#?}"))
    };
    assert!(at("/components/schemas/Thing/properties/oops")
        .message
        .contains("`nullable` beside `$ref`"));
    assert!(at("/paths/~1things~1{id}/get/parameters/0/schema")
        .message
        .contains("`nullable: false` without `type`"));
}

#[test]
fn null_is_valid_only_where_nullable_has_a_type_beside_it() {
    // `nullable` on an `allOf` wrapper does not make the member nullable: the example is
    // wrong as well as the schema.
    let text = BASE
        .replace(
            "id: {type: integer, format: int64}\n    Oops",
            "id: {nullable: true, allOf: [{type: integer, format: int64}]}\n    Oops",
        )
        .replace("example: {id: 7}", "example: {id: null}");
    let findings = lint(&text);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(findings
        .iter()
        .any(|f| f.pointer == "/components/schemas/Thing/properties/id"
            && f.message.contains("`nullable` without `type`")));
    assert!(findings.iter().any(|f| f.pointer
        == "/paths/~1things~1{id}/get/responses/200/content/application~1json/example/id"
        && f.message.contains("does not match the schema")));
    // A typed `nullable` with an `enum` still needs null among the values.
    let enumerated = BASE
        .replace(
            "id: {type: integer, format: int64}\n    Oops",
            "id: {type: integer, format: int64, enum: [7], nullable: true}\n    Oops",
        )
        .replace("example: {id: 7}", "example: {id: null}");
    let findings = lint(&enumerated);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(
        findings[0].pointer.ends_with("/example/id"),
        "{findings:#?}"
    );
    assert!(lint(&enumerated.replace("enum: [7]", "enum: [7, null]")).is_empty());
}
