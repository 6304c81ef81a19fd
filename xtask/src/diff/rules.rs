//! The rule catalogue: every kind of change the diff reports, with a stable id, a
//! severity and the side of the contract it concerns. Ids follow oasdiff's where one
//! exists, so reviewers can read both.

use std::fmt;

use serde::Serialize;

/// How much a change matters to existing clients. Ordered: `Info < Warning < Breaking`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Compatible; worth a line in the changelog.
    Info,
    /// Compatible on the wire, but some clients may notice (renamed client method, new
    /// enum value in a response).
    Warning,
    /// An existing client that follows the old contract can fail.
    Breaking,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Breaking => "breaking",
        }
    }

    /// Every severity, most serious first.
    pub const DESCENDING: [Severity; 3] = [Severity::Breaking, Severity::Warning, Severity::Info];
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which half of an exchange a change concerns: what clients send, or what they read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The request: servers, paths, methods, security, parameters, request bodies.
    Request,
    /// The response: status codes, response headers and bodies.
    Response,
}

impl Side {
    /// `request` or `response`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Request => "request",
            Side::Response => "response",
        }
    }
}

macro_rules! catalogue {
    ($( $variant:ident = $id:literal, $severity:ident, $side:tt, $summary:literal; )*) => {
        /// A rule of the catalogue. [`Rule::id`] is stable: acknowledgement files and the
        /// JSON output name rules by it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $( #[doc = $summary] $variant, )*
        }

        impl Rule {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )* ];

            /// The stable id, e.g. `response-property-removed`.
            pub fn id(self) -> &'static str {
                match self { $( Rule::$variant => $id, )* }
            }

            /// How much a change of this kind matters.
            pub fn severity(self) -> Severity {
                match self { $( Rule::$variant => Severity::$severity, )* }
            }

            /// The side this rule concerns; `None` for documentation rules, which apply to both.
            pub fn side(self) -> Option<Side> {
                match self { $( Rule::$variant => catalogue!(@side $side), )* }
            }

            /// One sentence saying what the rule reports.
            pub fn summary(self) -> &'static str {
                match self { $( Rule::$variant => $summary, )* }
            }
        }
    };
    (@side request) => { Some(Side::Request) };
    (@side response) => { Some(Side::Response) };
    (@side any) => { None };
}

catalogue! {
    // Operations.
    PathRemoved = "path-removed", Breaking, request,
        "A path and every operation on it were removed.";
    OperationRemoved = "operation-removed", Breaking, request,
        "An operation was removed while its path remains.";
    OperationAdded = "operation-added", Info, request,
        "A new operation (or a whole new document).";
    OperationIdChanged = "operation-id-changed", Warning, request,
        "The operationId changed: the generated client's method is renamed.";
    TagsChanged = "operation-tags-changed", Info, request,
        "The operation's tags changed.";
    // Security.
    SecurityRequirementAdded = "security-requirement-added", Breaking, request,
        "An operation that accepted anonymous calls now requires credentials.";
    SecurityRequirementChanged = "security-requirement-changed", Breaking, request,
        "A way of authenticating that used to be accepted no longer is (scheme or scopes changed or removed).";
    SecurityRequirementRemoved = "security-requirement-removed", Info, request,
        "An operation that required credentials now accepts anonymous calls.";
    SecurityAlternativeAdded = "security-alternative-added", Info, request,
        "A new way of authenticating is accepted besides the old ones.";
    // Security schemes (document-level, with the operations that require them).
    SecuritySchemeAdded = "api-security-component-added", Info, request,
        "A new security scheme.";
    SecuritySchemeRemoved = "api-security-component-removed", Breaking, request,
        "A security scheme was removed while operations still require it: the document no longer says how to authenticate them.";
    SecuritySchemeRenamed = "api-security-component-renamed", Info, request,
        "A security scheme was renamed: the same definition under another name, and the requirements follow it, so nothing changes on the wire.";
    SecuritySchemeTypeChanged = "api-security-component-type-changed", Breaking, request,
        "A security scheme's `type` changed (`apiKey`, `http`, `oauth2`, `openIdConnect`): clients send a credential the server no longer reads.";
    SecuritySchemeApiKeyChanged = "api-security-component-api-key-changed", Breaking, request,
        "An API key's `in` or `name` changed: clients send the key where the server no longer looks (header names compare without case).";
    SecuritySchemeHttpSchemeChanged = "api-security-component-http-scheme-changed", Breaking, request,
        "An HTTP scheme's `scheme` changed (`basic` → `bearer`, compared without case): clients send the wrong kind of credential.";
    SecuritySchemeBearerFormatChanged = "api-security-component-bearer-format-changed", Warning, request,
        "A bearer scheme's `bearerFormat` changed: documentation only, but it announces another kind of token, which clients that inspect or mint tokens notice.";
    OAuthFlowRemoved = "api-security-component-oauth-flow-removed", Breaking, request,
        "An OAuth flow was removed: clients that obtain tokens through it no longer can.";
    OAuthFlowAdded = "api-security-component-oauth-flow-added", Info, request,
        "A new OAuth flow.";
    OAuthAuthorizationUrlChanged = "api-security-component-oauth-url-changed", Warning, request,
        "An OAuth flow's `authorizationUrl` changed: clients that send users to the old one must move before it stops answering. Like a server URL, a deployment change the document cannot prove breaking.";
    OAuthTokenUrlChanged = "api-security-component-oauth-token-url-changed", Warning, request,
        "An OAuth flow's `tokenUrl` changed: clients configured with the old one must move before it stops answering. Like a server URL, a deployment change the document cannot prove breaking (a token endpoint among the document's own paths that moves is `path-removed`).";
    OAuthRefreshUrlChanged = "api-security-component-oauth-refresh-url-changed", Warning, request,
        "An OAuth flow's `refreshUrl` changed (or appeared, or went): clients that refresh tokens at the old one must move.";
    OAuthScopeRemoved = "api-security-component-oauth-scope-removed", Breaking, request,
        "A scope was removed from an OAuth flow: clients that request it are refused (`invalid_scope`).";
    OAuthScopeAdded = "api-security-component-oauth-scope-added", Info, request,
        "A new scope in an OAuth flow.";
    OpenIdConnectUrlChanged = "api-security-component-openid-connect-url-changed", Warning, request,
        "An OpenID Connect scheme's `openIdConnectUrl` changed: clients discover the provider at the old one until they are reconfigured.";
    SecuritySchemeUnusedChanged = "api-security-component-unused-changed", Info, request,
        "A security scheme that no operation requires changed or was removed: no client authenticates with it, so it is reported once, used by no operation.";
    // Servers (document-level when inherited, with the operations they serve).
    ServerUrlChanged = "server-url-changed", Warning, request,
        "A server URL (host or base path) changed: clients configured with the old one must move; paths below it are unchanged.";
    ServerRemoved = "server-removed", Warning, request,
        "A server is no longer listed: clients configured with it must move.";
    ServerAdded = "server-added", Info, request,
        "A new server.";
    // Parameters.
    NewRequiredParameter = "new-required-request-parameter", Breaking, request,
        "A new required parameter (path, query, header or cookie).";
    NewOptionalParameter = "new-optional-request-parameter", Info, request,
        "A new optional parameter.";
    ParameterRemoved = "request-parameter-removed", Warning, request,
        "A parameter was removed: clients still sending it are ignored or rejected.";
    ParameterBecameRequired = "request-parameter-became-required", Breaking, request,
        "An optional parameter became required.";
    ParameterBecameOptional = "request-parameter-became-optional", Info, request,
        "A required parameter became optional.";
    ParameterTypeChanged = "request-parameter-type-changed", Breaking, request,
        "A parameter's type or format changed (or a schema inside it).";
    ParameterStyleChanged = "request-parameter-style-changed", Breaking, request,
        "A parameter's serialization (`style`/`explode`) changed.";
    PathParameterRenamed = "request-path-parameter-renamed", Warning, request,
        "A path parameter was renamed: same wire format, renamed client argument.";
    // Request bodies.
    NewRequiredRequestBody = "new-required-request-body", Breaking, request,
        "An operation without a request body now requires one.";
    NewOptionalRequestBody = "new-optional-request-body", Info, request,
        "An operation without a request body now accepts an optional one.";
    RequestBodyRemoved = "request-body-removed", Warning, request,
        "The request body was removed: clients still sending one may be rejected.";
    RequestBodyBecameRequired = "request-body-became-required", Breaking, request,
        "An optional request body became required.";
    RequestBodyBecameOptional = "request-body-became-optional", Info, request,
        "A required request body became optional.";
    RequestMediaTypeRemoved = "request-media-type-removed", Breaking, request,
        "A request media type is no longer accepted.";
    RequestMediaTypeAdded = "request-media-type-added", Info, request,
        "A new request media type is accepted.";
    // Request schemas.
    NewRequiredRequestProperty = "new-required-request-property", Breaking, request,
        "A new required request property (breaking even with a default).";
    NewOptionalRequestProperty = "new-optional-request-property", Info, request,
        "A new optional request property.";
    RequestPropertyRemoved = "request-property-removed", Warning, request,
        "A request property was removed: clients still sending it are ignored or rejected.";
    RequestPropertyBecameRequired = "request-property-became-required", Breaking, request,
        "An optional request property became required.";
    RequestPropertyBecameOptional = "request-property-became-optional", Info, request,
        "A required request property became optional.";
    RequestPropertyTypeChanged = "request-property-type-changed", Breaking, request,
        "A request body (or property) type or format changed.";
    RequestEnumValueRemoved = "request-enum-value-removed", Breaking, request,
        "An enum value clients could send is no longer accepted.";
    RequestEnumValueAdded = "request-enum-value-added", Info, request,
        "A new enum value is accepted in requests.";
    RequestConstraintTightened = "request-constraint-tightened", Breaking, request,
        "A request bound became stricter (min/max, length, items, pattern, enum introduced, additionalProperties: false).";
    RequestConstraintLoosened = "request-constraint-loosened", Info, request,
        "A request bound became looser.";
    RequestNullableRemoved = "request-nullable-removed", Breaking, request,
        "A request value no longer accepts `null`.";
    RequestNullableAdded = "request-nullable-added", Info, request,
        "A request value now accepts `null`.";
    RequestVariantRemoved = "request-variant-removed", Breaking, request,
        "A `oneOf`/`anyOf` member clients could send is gone.";
    RequestVariantAdded = "request-variant-added", Info, request,
        "A new `oneOf`/`anyOf` member is accepted in requests.";
    RequestDefaultChanged = "request-default-changed", Warning, request,
        "A request default changed: clients omitting the value get a different behaviour.";
    // Responses.
    SuccessStatusRemoved = "response-success-status-removed", Breaking, response,
        "A 2xx status was removed.";
    SuccessStatusAdded = "response-success-status-added", Info, response,
        "A new 2xx status.";
    NonSuccessStatusRemoved = "response-non-success-status-removed", Info, response,
        "A non-2xx status (error, redirect, `default`) was removed.";
    NonSuccessStatusAdded = "response-non-success-status-added", Info, response,
        "A new non-2xx status (error, redirect, `default`).";
    ResponseMediaTypeRemoved = "response-media-type-removed", Breaking, response,
        "A response media type was removed.";
    ResponseMediaTypeAdded = "response-media-type-added", Info, response,
        "A new response media type.";
    // Response headers (names compare without case; `Content-Type` is not a header here).
    RequiredResponseHeaderRemoved = "required-response-header-removed", Breaking, response,
        "A required response header was removed.";
    OptionalResponseHeaderRemoved = "optional-response-header-removed", Breaking, response,
        "An optional response header was removed: clients read it when it is there (a redirect's `Location` is seldom marked required), and the server may now stop sending it.";
    ResponseHeaderBecameOptional = "response-header-became-optional", Breaking, response,
        "A required response header became optional.";
    ResponseHeaderBecameRequired = "response-header-became-required", Info, response,
        "An optional response header became required.";
    ResponseHeaderTypeChanged = "response-header-type-changed", Breaking, response,
        "A response header's type, format or serialization (`explode`) changed (or a schema inside it).";
    ResponseHeaderAdded = "response-header-added", Info, response,
        "A new response header.";
    // Response schemas.
    ResponsePropertyRemoved = "response-property-removed", Breaking, response,
        "A response property was removed (required or optional).";
    ResponsePropertyBecameOptional = "response-property-became-optional", Breaking, response,
        "A required response property became optional.";
    ResponsePropertyBecameRequired = "response-property-became-required", Info, response,
        "An optional response property became required.";
    NewRequiredResponseProperty = "new-required-response-property", Info, response,
        "A new required response property.";
    NewOptionalResponseProperty = "new-optional-response-property", Info, response,
        "A new optional response property.";
    ResponsePropertyTypeChanged = "response-property-type-changed", Breaking, response,
        "A response body (or property) type or format changed.";
    ResponseEnumValueAdded = "response-enum-value-added", Warning, response,
        "A new enum value in a response: clients may not know it.";
    ResponseEnumValueRemoved = "response-enum-value-removed", Info, response,
        "An enum value is no longer sent.";
    ResponseConstraintLoosened = "response-constraint-loosened", Warning, response,
        "A response bound became looser: clients relying on it may be surprised.";
    ResponseConstraintTightened = "response-constraint-tightened", Info, response,
        "A response bound became stricter.";
    ResponseNullableAdded = "response-nullable-added", Breaking, response,
        "A response value may now be `null`.";
    ResponseNullableRemoved = "response-nullable-removed", Info, response,
        "A response value is never `null` any more.";
    ResponseVariantAdded = "response-variant-added", Warning, response,
        "A new `oneOf`/`anyOf` member in a response: clients may not know it.";
    ResponseVariantRemoved = "response-variant-removed", Info, response,
        "A `oneOf`/`anyOf` member is no longer sent.";
    // Documentation, either side.
    DescriptionChanged = "description-changed", Info, any,
        "A summary or description changed.";
    ExampleChanged = "example-changed", Info, any,
        "An example changed, appeared or disappeared.";
    DeprecationChanged = "deprecation-changed", Info, any,
        "An operation, parameter or property was marked (or unmarked) `deprecated`.";
    AnnotationChanged = "annotation-changed", Info, any,
        "Another annotation changed (`title`, a response `default`, `x-*` extensions, `externalDocs`, `xml`).";
    SchemaKeywordChanged = "schema-keyword-changed", Warning, any,
        "A keyword the diff does not classify changed (in a schema `not`, `discriminator`, `oneOf` ↔ `anyOf` or an unknown keyword; an unknown key of a security scheme): review it by hand.";
}

impl Rule {
    /// The rule with this id, if any.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for r in Rule::ALL {
            assert!(seen.insert(r.id()), "duplicate id {}", r.id());
            assert!(
                r.id().chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                r.id()
            );
            assert_eq!(Rule::from_id(r.id()), Some(*r));
        }
    }

    #[test]
    fn severities_order_from_info_to_breaking() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Breaking);
    }
}
