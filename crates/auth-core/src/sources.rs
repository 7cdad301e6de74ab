//! Where the authorizer looks for the token (`TOKEN_SOURCES`).

use crate::error::SourceError;

/// One place a token can come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// `header:authorization`: the Authorization header with the Bearer scheme (RFC 6750 §2.1).
    Authorization,
    /// `header:<name>`: any other header (name matched case-insensitively), holding the bare token.
    Header(String),
    /// `query:<name>`: a query-string parameter (WebSocket `$connect` cannot send headers).
    Query(String),
    /// `cookie:<name>`: a cookie.
    Cookie(String),
}

impl TokenSource {
    /// Parses a comma-separated list like `header:authorization,cookie:access_token`.
    pub fn parse_list(spec: &str) -> Result<Vec<Self>, SourceError> {
        let mut sources = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (kind, name) = item.split_once(':').ok_or(SourceError::Malformed)?;
            let name = name.trim();
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if !valid {
                return Err(SourceError::Malformed);
            }
            sources.push(match kind.trim().to_ascii_lowercase().as_str() {
                "header" if name.eq_ignore_ascii_case("authorization") => Self::Authorization,
                "header" => Self::Header(name.to_ascii_lowercase()),
                "query" => Self::Query(name.to_owned()),
                "cookie" => Self::Cookie(name.to_owned()),
                _ => return Err(SourceError::Malformed),
            });
        }
        if sources.is_empty() {
            return Err(SourceError::Malformed);
        }
        Ok(sources)
    }
}

/// Every value of cookie `name` in a `Cookie` header (`a=1; b=2`, RFC 6265 §4.2.1), in order.
/// More than one is ambiguous (`at=<attacker>; at=<victim>`: RFC 6265 §5.4 leaves the order to
/// the client and backends pick either), so the caller refuses rather than choosing.
pub fn cookie_values<'a>(header: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> {
    header.split(';').filter_map(move |pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_in_order() {
        let sources = TokenSource::parse_list(
            "header:Authorization, header:X-Access-Token,query:token,cookie:at",
        )
        .unwrap();
        assert_eq!(
            sources,
            vec![
                TokenSource::Authorization,
                TokenSource::Header("x-access-token".into()),
                TokenSource::Query("token".into()),
                TokenSource::Cookie("at".into()),
            ]
        );
    }

    #[test]
    fn bad_specs_are_refused() {
        for spec in ["", "header", "body:token", "query:", "cookie:a b", ","] {
            assert_eq!(
                TokenSource::parse_list(spec),
                Err(SourceError::Malformed),
                "{spec}"
            );
        }
    }

    fn values<'a>(header: &'a str, name: &'a str) -> Vec<&'a str> {
        cookie_values(header, name).collect()
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        assert_eq!(
            values("a=1; access_token=xyz; b=2", "access_token"),
            ["xyz"]
        );
        assert!(values("my_access_token=xyz", "access_token").is_empty());
        assert!(values("", "a").is_empty());
    }

    #[test]
    fn a_repeated_cookie_name_gives_every_value() {
        assert_eq!(
            values("at=attacker; at=victim", "at"),
            ["attacker", "victim"]
        );
        assert_eq!(values("at=same; b=1; at=same", "at"), ["same", "same"]);
    }
}
