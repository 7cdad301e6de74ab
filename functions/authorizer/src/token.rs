//! Finding the token in an event, from the configured sources in order (`TOKEN_SOURCES`).
//!
//! The first source that is present wins; a present but malformed one is a rejection, never a
//! fall-through to the next source (which would let a second, unchecked value in).

use std::borrow::Cow;

use auth_core::{BearerToken, TokenSource, cookie_value};

use crate::error::Denied;
use crate::event::{AuthorizerEvent, Flavour};

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
        .map_err(|_| Denied::new("malformed_event"))?;
        match values.as_slice() {
            [] => continue,
            [value] => return parse(source, value).map(Some),
            _ => return Err(Denied::new("ambiguous_token")),
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
        "missing_token"
    } else {
        "malformed_authorization"
    }))
}

fn parse<'e>(source: &TokenSource, value: &str) -> Result<Cow<'e, str>, Denied> {
    let token = match source {
        TokenSource::Authorization => BearerToken::parse(value)
            .map_err(|_| Denied::new("malformed_authorization"))?
            .as_str(),
        _ => {
            let bare = value.trim();
            if bare.is_empty() || bare.contains([' ', '\t', ',']) {
                return Err(Denied::new("malformed_token"));
            }
            bare
        }
    };
    Ok(Cow::Owned(token.to_owned()))
}

fn cookies<'e>(
    event: &'e AuthorizerEvent,
    name: &str,
) -> Result<Vec<Cow<'e, str>>, crate::event::Malformed> {
    let mut found: Vec<Cow<'e, str>> = Vec::new();
    for pair in event.cookies()? {
        if let Some(value) = cookie_value(&pair, name) {
            found.push(Cow::Owned(value.to_owned()));
        }
    }
    for header in event.header("cookie")? {
        if let Some(value) = cookie_value(&header, name) {
            let value = Cow::Owned(value.to_owned());
            if !found.contains(&value) {
                found.push(value);
            }
        }
    }
    Ok(found)
}
