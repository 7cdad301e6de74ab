//! Scopes (RFC 6749 §3.3): parsing a requested `scope`, narrowing it to what may be granted,
//! and the scope of a refreshed token.

use crate::error::ScopeError;

const MAX_SCOPE_TOKENS: usize = 64;

/// The scope to grant: the requested scopes that are allowed, or every allowed scope when none
/// was requested. A request that names no allowed scope at all is `invalid_scope`; so is a
/// malformed one. `None`: nothing to grant.
pub fn narrow_scope(
    requested: Option<&str>,
    allowed: &[String],
) -> Result<Option<String>, ScopeError> {
    let Some(requested) = requested else {
        return Ok(join(allowed.iter().map(String::as_str)));
    };
    let tokens = parse_scope(requested)?;
    let granted: Vec<&str> = tokens
        .into_iter()
        .filter(|t| allowed.iter().any(|a| a == t))
        .collect();
    if granted.is_empty() {
        return Err(ScopeError);
    }
    Ok(join(granted.into_iter()))
}

/// The scope of a refreshed access token (RFC 6749 §6): the requested scopes, each of which must
/// have been granted (`allowed`), or all of `allowed` when none is requested. Asking for more is
/// `invalid_scope`, not a silent narrowing: the client learns its grant does not cover it.
pub fn scope_within(
    requested: Option<&str>,
    allowed: &[String],
) -> Result<Option<String>, ScopeError> {
    let Some(requested) = requested else {
        return Ok(join(allowed.iter().map(String::as_str)));
    };
    let tokens = parse_scope(requested)?;
    if tokens.is_empty() || !tokens.iter().all(|t| allowed.iter().any(|a| a == t)) {
        return Err(ScopeError);
    }
    Ok(join(tokens.into_iter()))
}

/// The scope tokens of a `scope` value: space-separated, each of the characters RFC 6749 §3.3
/// allows, no duplicates kept.
pub fn parse_scope(value: &str) -> Result<Vec<&str>, ScopeError> {
    let mut tokens: Vec<&str> = Vec::new();
    for token in value.split(' ').filter(|t| !t.is_empty()) {
        let valid = token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !valid {
            return Err(ScopeError);
        }
        if !tokens.contains(&token) {
            tokens.push(token);
        }
        if tokens.len() > MAX_SCOPE_TOKENS {
            return Err(ScopeError);
        }
    }
    Ok(tokens)
}

/// The scope a refresh may grant (RFC 6749 §6): the family's scope (what sign-in granted, the
/// ceiling) narrowed to what the user's roles allow now, then the request checked within that.
pub fn refresh_scope(
    family_scope: Option<&str>,
    allowed_now: &[String],
    requested: Option<&str>,
) -> Result<Option<String>, ScopeError> {
    let granted: Vec<String> = family_scope
        .unwrap_or("")
        .split(' ')
        .filter(|scope| !scope.is_empty() && allowed_now.iter().any(|a| a == scope))
        .map(str::to_owned)
        .collect();
    scope_within(requested, &granted)
}

fn join<'a>(tokens: impl Iterator<Item = &'a str>) -> Option<String> {
    let joined = tokens.collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        vec!["read".into(), "write".into()]
    }

    #[test]
    fn no_request_grants_everything_allowed() {
        assert_eq!(
            narrow_scope(None, &allowed()).unwrap().as_deref(),
            Some("read write")
        );
        assert_eq!(narrow_scope(None, &[]).unwrap(), None);
    }

    #[test]
    fn a_refresh_may_ask_for_less_but_not_for_more() {
        assert_eq!(
            scope_within(Some("write"), &allowed()).unwrap().as_deref(),
            Some("write")
        );
        assert_eq!(
            scope_within(None, &allowed()).unwrap().as_deref(),
            Some("read write")
        );
        assert!(matches!(
            scope_within(Some("write admin"), &allowed()),
            Err(ScopeError)
        ));
        assert!(matches!(scope_within(Some("read"), &[]), Err(ScopeError)));
    }

    #[test]
    fn a_refresh_is_bounded_by_the_family_and_the_roles_of_now() {
        let family = Some("read write");
        assert_eq!(
            refresh_scope(family, &allowed(), None).unwrap().as_deref(),
            Some("read write")
        );
        // A role taken away since sign-in narrows the grant...
        let read_only = vec!["read".to_owned()];
        assert_eq!(
            refresh_scope(family, &read_only, None).unwrap().as_deref(),
            Some("read")
        );
        assert!(matches!(
            refresh_scope(family, &read_only, Some("write")),
            Err(ScopeError)
        ));
        // ...and a role given since never widens it past sign-in's.
        let more = vec!["read".to_owned(), "write".to_owned(), "admin".to_owned()];
        assert!(matches!(
            refresh_scope(family, &more, Some("admin")),
            Err(ScopeError)
        ));
        assert_eq!(refresh_scope(None, &more, None).unwrap(), None);
    }

    #[test]
    fn requests_are_narrowed() {
        assert_eq!(
            narrow_scope(Some("write admin"), &allowed())
                .unwrap()
                .as_deref(),
            Some("write")
        );
        assert!(matches!(
            narrow_scope(Some("admin"), &allowed()),
            Err(ScopeError)
        ));
        assert!(matches!(
            narrow_scope(Some("re\"ad"), &allowed()),
            Err(ScopeError)
        ));
        assert_eq!(
            narrow_scope(Some(" read  read "), &allowed())
                .unwrap()
                .as_deref(),
            Some("read")
        );
    }
}
