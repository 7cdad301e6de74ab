//! Parsing `Authorization: Bearer <token>` values (RFC 6750 §2.1, RFC 7235 §2.1).

use crate::error::BearerError;

/// The credentials of a `Bearer` authorization value, borrowed from the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BearerToken<'a>(&'a str);

impl<'a> BearerToken<'a> {
    /// Parses `Bearer <b64token>`; the scheme is matched case-insensitively (RFC 7235 §2.1).
    pub fn parse(value: &'a str) -> Result<Self, BearerError> {
        let value = value.trim_matches([' ', '\t']);
        if value.is_empty() {
            return Err(BearerError::Empty);
        }
        let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(BearerError::WrongScheme);
        }
        let token = rest.trim_start_matches([' ', '\t']);
        if token.is_empty() || !is_b64token(token) {
            return Err(BearerError::Malformed);
        }
        Ok(Self(token))
    }

    /// The token itself.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_is_case_insensitive() {
        for value in [
            "Bearer abc.def.ghi",
            "bearer abc.def.ghi",
            "BEARER  abc.def.ghi",
        ] {
            assert_eq!(BearerToken::parse(value).unwrap().as_str(), "abc.def.ghi");
        }
    }

    #[test]
    fn other_schemes_are_refused() {
        assert_eq!(
            BearerToken::parse("Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
            Err(BearerError::WrongScheme)
        );
        assert_eq!(
            BearerToken::parse("Bearerabc.def.ghi"),
            Err(BearerError::WrongScheme)
        );
        assert_eq!(
            BearerToken::parse("abc.def.ghi"),
            Err(BearerError::WrongScheme)
        );
    }

    #[test]
    fn missing_or_odd_credentials_are_malformed() {
        assert_eq!(BearerToken::parse(""), Err(BearerError::Empty));
        assert_eq!(BearerToken::parse("Bearer"), Err(BearerError::Malformed));
        assert_eq!(BearerToken::parse("Bearer   "), Err(BearerError::Malformed));
        assert_eq!(
            BearerToken::parse("Bearer a b"),
            Err(BearerError::Malformed)
        );
        assert_eq!(
            BearerToken::parse("Bearer a,b"),
            Err(BearerError::Malformed)
        );
        assert_eq!(
            BearerToken::parse("Bearer ===="),
            Err(BearerError::Malformed)
        );
    }
}
