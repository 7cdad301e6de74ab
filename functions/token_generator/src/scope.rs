//! Scopes (RFC 6749 §3.3): parsing a requested `scope` and narrowing it to what may be granted.

use crate::error::ApiError;

const MAX_SCOPE_TOKENS: usize = 64;

/// The scope to grant: the requested scopes that are allowed, or every allowed scope when none
/// was requested. A request that names no allowed scope at all is `invalid_scope`; so is a
/// malformed one. `None`: nothing to grant.
pub fn narrow(requested: Option<&str>, allowed: &[String]) -> Result<Option<String>, ApiError> {
    let Some(requested) = requested else {
        return Ok(join(allowed.iter().map(String::as_str)));
    };
    let tokens = parse(requested)?;
    let granted: Vec<&str> = tokens
        .into_iter()
        .filter(|t| allowed.iter().any(|a| a == t))
        .collect();
    if granted.is_empty() {
        return Err(ApiError::InvalidScope);
    }
    Ok(join(granted.into_iter()))
}

/// The scope of a refreshed access token (RFC 6749 §6): the requested scopes, each of which must
/// have been granted (`allowed`), or all of `allowed` when none is requested. Asking for more is
/// `invalid_scope`, not a silent narrowing: the client learns its grant does not cover it.
pub fn within(requested: Option<&str>, allowed: &[String]) -> Result<Option<String>, ApiError> {
    let Some(requested) = requested else {
        return Ok(join(allowed.iter().map(String::as_str)));
    };
    let tokens = parse(requested)?;
    if tokens.is_empty() || !tokens.iter().all(|t| allowed.iter().any(|a| a == t)) {
        return Err(ApiError::InvalidScope);
    }
    Ok(join(tokens.into_iter()))
}

/// The scope tokens of a `scope` value: space-separated, each of the characters RFC 6749 §3.3
/// allows, no duplicates kept.
pub fn parse(value: &str) -> Result<Vec<&str>, ApiError> {
    let mut tokens: Vec<&str> = Vec::new();
    for token in value.split(' ').filter(|t| !t.is_empty()) {
        let valid = token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !valid {
            return Err(ApiError::InvalidScope);
        }
        if !tokens.contains(&token) {
            tokens.push(token);
        }
        if tokens.len() > MAX_SCOPE_TOKENS {
            return Err(ApiError::InvalidScope);
        }
    }
    Ok(tokens)
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
            narrow(None, &allowed()).unwrap().as_deref(),
            Some("read write")
        );
        assert_eq!(narrow(None, &[]).unwrap(), None);
    }

    #[test]
    fn a_refresh_may_ask_for_less_but_not_for_more() {
        assert_eq!(
            within(Some("write"), &allowed()).unwrap().as_deref(),
            Some("write")
        );
        assert_eq!(
            within(None, &allowed()).unwrap().as_deref(),
            Some("read write")
        );
        assert!(matches!(
            within(Some("write admin"), &allowed()),
            Err(ApiError::InvalidScope)
        ));
        assert!(matches!(
            within(Some("read"), &[]),
            Err(ApiError::InvalidScope)
        ));
    }

    #[test]
    fn requests_are_narrowed() {
        assert_eq!(
            narrow(Some("write admin"), &allowed()).unwrap().as_deref(),
            Some("write")
        );
        assert!(matches!(
            narrow(Some("admin"), &allowed()),
            Err(ApiError::InvalidScope)
        ));
        assert!(matches!(
            narrow(Some("re\"ad"), &allowed()),
            Err(ApiError::InvalidScope)
        ));
        assert_eq!(
            narrow(Some(" read  read "), &allowed()).unwrap().as_deref(),
            Some("read")
        );
    }
}
