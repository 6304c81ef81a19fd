//! How HTTP reads the parts of a contract that the checks match up: which parameter is
//! which (header names are case-insensitive), how a parameter is serialized when `style`
//! and `explode` are left out, and which status codes a range key such as `4XX` covers.
//! The drift check and the diff both read documents through these, so they agree.

use std::collections::BTreeMap;
use std::fmt;

/// Header field names compare without regard to case (RFC 9110 §5.1): the form every
/// header name is matched in.
pub fn header_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// What tells the parameters of one operation apart: their location and name (OpenAPI's
/// "unique parameter"), a header's name folded with [`header_key`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParamKey {
    /// `path`, `query`, `header` or `cookie`.
    pub location: String,
    /// The name; a header's in lower case.
    pub name: String,
}

impl ParamKey {
    /// The key of the parameter `name` in `location`.
    pub fn new(location: &str, name: &str) -> Self {
        let name = if location == "header" {
            header_key(name)
        } else {
            name.to_owned()
        };
        Self {
            location: location.to_owned(),
            name,
        }
    }

    /// The key with the name exactly as written, for a check that must see a difference
    /// in case (the drift check, unless `header-name-case` is declared).
    pub fn exact(location: &str, name: &str) -> Self {
        Self {
            location: location.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// How a parameter (or header) value is serialized: `style` and `explode`, with the
/// location's defaults filled in where the document leaves them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serialization {
    /// `form`, `simple`, `matrix`, `label`, `spaceDelimited`, `pipeDelimited` or `deepObject`.
    pub style: String,
    /// Whether arrays and objects are exploded into separate values.
    pub explode: bool,
}

impl Serialization {
    /// OpenAPI's default for a location: `form` (exploded) for query and cookie
    /// parameters, `simple` (not exploded) for path parameters and headers.
    pub fn default_for(location: &str) -> Self {
        Self::of(location, None, None)
    }

    /// The serialization a parameter in `location` has when it states `style` and
    /// `explode` (either may be absent): `explode` defaults to true for `form` only.
    pub fn of(location: &str, style: Option<&str>, explode: Option<bool>) -> Self {
        let default = match location {
            "query" | "cookie" => "form",
            _ => "simple",
        };
        let style = style.unwrap_or(default).to_owned();
        let explode = explode.unwrap_or(style == "form");
        Self { style, explode }
    }
}

impl fmt::Display for Serialization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "style `{}`, explode `{}`", self.style, self.explode)
    }
}

/// The range key that covers a specific status code: `4XX` for `404`. OpenAPI allows the
/// ranges `1XX` to `5XX`; `None` for anything else (a range, `default`, `600`, `42`).
pub fn range_of(status: &str) -> Option<String> {
    let b = status.as_bytes();
    let specific =
        b.len() == 3 && (b'1'..=b'5').contains(&b[0]) && b.iter().all(u8::is_ascii_digit);
    specific.then(|| format!("{}XX", b[0] as char))
}

/// Whether `key` is a status range, `1XX` to `5XX`. OpenAPI writes the wildcard as an
/// upper-case `X`; a lower-case one is read as the same range rather than as nothing.
pub fn is_range(key: &str) -> bool {
    let b = key.as_bytes();
    b.len() == 3
        && (b'1'..=b'5').contains(&b[0])
        && b[1].eq_ignore_ascii_case(&b'X')
        && b[2].eq_ignore_ascii_case(&b'X')
}

/// Whether two response keys name the same status, range or `default` (`4xx` is `4XX`).
pub fn same_status(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The response written under `key` (or under the same key in another case).
pub fn find_status<'a, V>(responses: &'a BTreeMap<String, V>, key: &str) -> Option<&'a V> {
    responses.get(key).or_else(|| {
        responses
            .iter()
            .find(|(k, _)| same_status(k, key))
            .map(|(_, v)| v)
    })
}

/// The response that describes `status` among `responses`: the one written for it, else
/// the one for its range (`404` is described by `4XX` when there is no `404`).
pub fn covering<'a, V>(responses: &'a BTreeMap<String, V>, status: &str) -> Option<&'a V> {
    find_status(responses, status)
        .or_else(|| range_of(status).and_then(|r| find_status(responses, &r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parameters_match_without_regard_to_case_and_others_exactly() {
        assert_eq!(
            ParamKey::new("header", "X-Trace"),
            ParamKey::new("header", "x-trace")
        );
        assert_ne!(
            ParamKey::new("query", "Limit"),
            ParamKey::new("query", "limit")
        );
        assert_ne!(
            ParamKey::new("cookie", "Session"),
            ParamKey::new("cookie", "session")
        );
        assert_ne!(
            ParamKey::new("header", "limit"),
            ParamKey::new("query", "limit")
        );
        assert_ne!(
            ParamKey::exact("header", "X-Trace"),
            ParamKey::exact("header", "x-trace")
        );
    }

    #[test]
    fn serialization_defaults_follow_the_location() {
        let s = |style: &str, explode| Serialization {
            style: style.to_owned(),
            explode,
        };
        assert_eq!(Serialization::default_for("query"), s("form", true));
        assert_eq!(Serialization::default_for("cookie"), s("form", true));
        assert_eq!(Serialization::default_for("path"), s("simple", false));
        assert_eq!(Serialization::default_for("header"), s("simple", false));
        // `explode` defaults from the written style, not the location's.
        assert_eq!(
            Serialization::of("query", Some("deepObject"), None),
            s("deepObject", false)
        );
        assert_eq!(
            Serialization::of("path", Some("form"), None),
            s("form", true)
        );
        assert_eq!(
            Serialization::of("query", None, Some(false)),
            s("form", false)
        );
        assert_eq!(
            Serialization::default_for("query").to_string(),
            "style `form`, explode `true`"
        );
    }

    #[test]
    fn status_ranges_are_1xx_to_5xx() {
        assert_eq!(range_of("404").as_deref(), Some("4XX"));
        assert_eq!(range_of("502").as_deref(), Some("5XX"));
        assert_eq!(range_of("200").as_deref(), Some("2XX"));
        assert_eq!(range_of("101").as_deref(), Some("1XX"));
        for odd in ["600", "099", "42", "4040", "4XX", "default", "", "40a"] {
            assert_eq!(range_of(odd), None, "{odd}");
        }
        for range in ["1XX", "2XX", "3XX", "4XX", "5XX", "4xx", "5Xx"] {
            assert!(is_range(range), "{range}");
        }
        for not in ["0XX", "6XX", "404", "default", "XXX", "4X", "4XXX"] {
            assert!(!is_range(not), "{not}");
        }
    }

    #[test]
    fn a_status_is_covered_by_itself_or_its_range_in_either_case() {
        let responses: BTreeMap<String, &str> =
            [("200", "ok"), ("4xx", "client"), ("5XX", "server")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
        assert_eq!(covering(&responses, "200"), Some(&"ok"));
        assert_eq!(covering(&responses, "404"), Some(&"client"));
        assert_eq!(covering(&responses, "4XX"), Some(&"client"));
        assert_eq!(covering(&responses, "503"), Some(&"server"));
        assert_eq!(covering(&responses, "201"), None, "no 2XX range");
        assert_eq!(covering(&responses, "default"), None);
        assert!(same_status("4xx", "4XX") && !same_status("404", "4XX"));
    }
}
