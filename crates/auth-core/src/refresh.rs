//! Refresh tokens: opaque random handles, never JWTs, so no verifier holding the published keys
//! can take one for an access token (RFC 9068 §4 verifiers that skip `aud` included).
//!
//! A handle is 256 random bits, base64url (43 characters). The server keeps only its SHA-256
//! digest, next to the family and generation it belongs to: a leak of the table gives no usable
//! token, and a handle needs no slow hash because it cannot be guessed.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::IssueError;

/// Random bytes in a handle.
const HANDLE_BYTES: usize = 32;
/// Its length in base64url without padding.
pub const REFRESH_TOKEN_CHARS: usize = 43;

/// A refresh token as the client holds it. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken([redacted])")
    }
}

impl RefreshToken {
    /// A new handle from the operating system's random source.
    pub fn generate() -> Result<Self, IssueError> {
        let mut bytes = [0u8; HANDLE_BYTES];
        getrandom::fill(&mut bytes).map_err(|_| IssueError::Random)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A presented string, if it has the shape of a handle (43 base64url characters that decode
    /// to 32 bytes); anything else (a JWT, a truncated handle) is no refresh token of ours.
    pub fn parse(presented: &str) -> Option<Self> {
        let decoded = (presented.len() == REFRESH_TOKEN_CHARS)
            .then(|| URL_SAFE_NO_PAD.decode(presented).ok())
            .flatten()?;
        (decoded.len() == HANDLE_BYTES).then(|| Self(presented.to_owned()))
    }

    /// The token, to hand to the client once.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the server stores and looks the token up by: SHA-256, base64url.
    pub fn digest(&self) -> String {
        URL_SAFE_NO_PAD.encode(digest(&SHA256, self.0.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_handles_parse_and_differ() {
        let a = RefreshToken::generate().unwrap();
        let b = RefreshToken::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), REFRESH_TOKEN_CHARS);
        assert_eq!(RefreshToken::parse(a.as_str()), Some(a));
    }

    #[test]
    fn the_digest_is_sha256_of_the_handle() {
        let token = RefreshToken::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        // python3 -c 'import hashlib,base64; print(base64.urlsafe_b64encode(hashlib.sha256(b"A"*43).digest()).rstrip(b"="))'
        assert_eq!(
            token.digest(),
            "DwBzhbb51LfusnSGBa_hqYSgo7-j8BTQnip4TOnlzRo"
        );
        assert_ne!(token.digest(), token.as_str());
    }

    #[test]
    fn jwts_and_damaged_handles_are_no_refresh_tokens() {
        let good = RefreshToken::generate().unwrap();
        for presented in [
            "",
            "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln",
            &good.as_str()[1..],
            &format!("{}A", good.as_str()),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
        ] {
            assert_eq!(RefreshToken::parse(presented), None, "{presented:?}");
        }
    }

    #[test]
    fn debug_hides_the_token() {
        let token = RefreshToken::generate().unwrap();
        assert!(!format!("{token:?}").contains(token.as_str()));
    }
}
