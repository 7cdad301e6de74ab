//! Finding the token in an event, from the configured sources in order (`TOKEN_SOURCES`).
//!
//! The first source that is present wins; a present but malformed one is a rejection, never a
//! fall-through to the next source (which would let a second, unchecked value in).

use std::borrow::Cow;

use auth_core::{BearerToken, TokenSource, cookie_values};

use crate::error::Denied;
use crate::event::{AuthorizerEvent, Flavour};
use crate::reason::DenyReason;

/// The token, or `None` when no configured source is present.
pub fn find<'e>(
    sources: &[TokenSource],
    event: &'e AuthorizerEvent,
) -> Result<Option<Cow<'e, str>>, Denied> {
    if event.flavour() == Flavour::RestToken {
        return from_token_event(sources, event).map(|t| t.map(Cow::Borrowed));
    }
    for source in sources {
        let values = match source {
            TokenSource::Authorization => event.header("authorization"),
            TokenSource::Header(name) => event.header(name),
            TokenSource::Query(name) => event.query(name),
            TokenSource::Cookie(name) => cookies(event, name),
        }
        .map_err(|_| Denied::new(DenyReason::MalformedEvent))?;
        match values.as_slice() {
            [] => continue,
            [value] => return parse(source, value).map(Some),
            _ => return Err(Denied::new(DenyReason::AmbiguousToken)),
        }
    }
    Ok(None)
}

/// A TOKEN event carries only the value of its identity source (a header chosen in API
/// Gateway): `Bearer <token>` for the Authorization header, or the bare token when a named
/// header is configured.
fn from_token_event<'e>(
    sources: &[TokenSource],
    event: &'e AuthorizerEvent,
) -> Result<Option<&'e str>, Denied> {
    let Some(value) = event.authorization_token() else {
        return Ok(None);
    };
    if let Ok(bearer) = BearerToken::parse(value) {
        return Ok(Some(bearer.as_str()));
    }
    let bare_allowed = sources.iter().any(|s| matches!(s, TokenSource::Header(_)));
    if bare_allowed && !value.is_empty() && !value.contains([' ', '\t']) {
        return Ok(Some(value));
    }
    Err(Denied::new(if value.trim().is_empty() {
        DenyReason::MissingToken
    } else {
        DenyReason::MalformedAuthorization
    }))
}

fn parse<'e>(source: &TokenSource, value: &str) -> Result<Cow<'e, str>, Denied> {
    let token = match source {
        TokenSource::Authorization => BearerToken::parse(value)
            .map_err(|_| Denied::new(DenyReason::MalformedAuthorization))?
            .as_str(),
        _ => {
            let bare = value.trim();
            if bare.is_empty() || bare.contains([' ', '\t', ',']) {
                return Err(Denied::new(DenyReason::MalformedToken));
            }
            bare
        }
    };
    Ok(Cow::Owned(token.to_owned()))
}

/// Every value of cookie `name`: each occurrence in payload 2.0's `cookies` array and in one
/// `Cookie` header counts (two are refused as ambiguous), while a header repeating what the
/// array already holds (payload 2.0 carries both) adds nothing.
fn cookies<'e>(
    event: &'e AuthorizerEvent,
    name: &str,
) -> Result<Vec<Cow<'e, str>>, crate::event::Malformed> {
    let mut found: Vec<Cow<'e, str>> = Vec::new();
    for pair in event.cookies()? {
        found.extend(cookie_values(&pair, name).map(|v| Cow::Owned(v.to_owned())));
    }
    for header in event.header("cookie")? {
        let in_header: Vec<&str> = cookie_values(&header, name).collect();
        if let [value] = in_header.as_slice() {
            let value = Cow::Owned((*value).to_owned());
            if !found.contains(&value) {
                found.push(value);
            }
        } else {
            found.extend(in_header.iter().map(|v| Cow::Owned((*v).to_owned())));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn find_cookie(event: Value) -> Result<Option<String>, &'static str> {
        let event = AuthorizerEvent::from_slice(event.to_string().as_bytes());
        find(&[TokenSource::Cookie("at".to_owned())], &event)
            .map(|token| token.map(Cow::into_owned))
            .map_err(|denied| denied.reason.code())
    }

    fn rest(cookie: &str) -> Value {
        json!({"type": "REQUEST", "methodArn": "arn", "headers": {"Cookie": cookie},
               "multiValueHeaders": {"Cookie": [cookie]}})
    }

    fn http(cookies: &[&str], header: &str) -> Value {
        json!({"version": "2.0", "type": "REQUEST", "routeArn": "arn", "cookies": cookies,
               "headers": {"cookie": header}})
    }

    #[test]
    fn one_cookie_of_the_name_is_the_token() {
        assert_eq!(find_cookie(rest("a=1; at=tok")), Ok(Some("tok".to_owned())));
        // Payload 2.0 carries the cookie both in `cookies` and in the header: one token.
        assert_eq!(
            find_cookie(http(&["a=1", "at=tok"], "a=1; at=tok")),
            Ok(Some("tok".to_owned()))
        );
    }

    #[test]
    fn a_cookie_name_repeated_in_one_header_is_ambiguous() {
        for value in ["at=attacker; at=victim", "at=same; at=same"] {
            assert_eq!(find_cookie(rest(value)), Err("ambiguous_token"), "{value}");
            // The header alone, and the header next to an array that names the cookie once.
            let alone = json!({"version": "2.0", "type": "REQUEST", "routeArn": "arn",
                               "headers": {"cookie": value}});
            assert_eq!(find_cookie(alone), Err("ambiguous_token"), "{value}");
            assert_eq!(
                find_cookie(http(&["at=same"], value)),
                Err("ambiguous_token"),
                "{value}"
            );
        }
    }

    #[test]
    fn a_cookie_name_repeated_in_the_cookies_array_is_ambiguous() {
        assert_eq!(
            find_cookie(http(&["at=attacker", "at=victim"], "a=1")),
            Err("ambiguous_token")
        );
        assert_eq!(
            find_cookie(http(&["at=one"], "at=other")),
            Err("ambiguous_token")
        );
    }
}
