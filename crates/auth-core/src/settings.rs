//! Token settings shared by the issuer and the verifier, and what makes an issuer a URL.

/// Upper bound on the clock-skew leeway, in seconds.
pub const MAX_LEEWAY_SECS: u64 = 60;

/// How tokens are issued and what validation requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// `iss` written on issue and required on validation. Default `lambda-api`.
    pub issuer: String,
    /// `aud` written on every access token and required on validation (RFC 9068 §2.2). Default
    /// `https://api.example.invalid` (configuration always sets it: `TOKEN_AUDIENCE`).
    pub audience: String,
    /// Access-token lifetime in seconds. Default 3600.
    pub access_ttl_secs: u64,
    /// Refresh-token lifetime in seconds. Default 604800 (7 days).
    pub refresh_ttl_secs: u64,
    /// Absolute lifetime of a refresh-token family, in seconds: past it the user logs in again
    /// however often the family was refreshed (RFC 9700 §4.14.2). Default 2592000 (30 days).
    pub refresh_family_ttl_secs: u64,
    /// Clock-skew leeway for `exp`, `nbf` and `iat`, in seconds. Default 30, at most [`MAX_LEEWAY_SECS`].
    pub leeway_secs: u64,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            issuer: "lambda-api".to_owned(),
            audience: "https://api.example.invalid".to_owned(),
            access_ttl_secs: 3600,
            refresh_ttl_secs: 604_800,
            refresh_family_ttl_secs: 2_592_000,
            leeway_secs: 30,
        }
    }
}

/// The issuer as the URL discovery documents are served under (RFC 8414 §2, OpenID Connect
/// Discovery §3), or `None` when it is not one: `https` with a host and no query or fragment,
/// or `http` on a loopback host (127.0.0.1, [::1], localhost: local development, as RFC 8252
/// §7.3 allows for loopback). Returned without a trailing slash.
pub fn issuer_url(issuer: &str) -> Option<&str> {
    let rest = issuer
        .strip_prefix("https://")
        .or_else(|| loopback(issuer.strip_prefix("http://")?))?;
    let host_end = rest.find('/').unwrap_or(rest.len());
    let authority = rest.get(..host_end)?;
    let valid = !authority.is_empty()
        && !authority.contains('@')
        && !issuer.contains(['?', '#'])
        && issuer.bytes().all(|b| b.is_ascii_graphic());
    valid.then(|| issuer.trim_end_matches('/'))
}

/// `rest` (what follows `http://`) when its host is a loopback address.
fn loopback(rest: &str) -> Option<&str> {
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().map(|h| h == "::1")?,
        None => {
            let host = authority.split(':').next().unwrap_or("");
            host == "localhost" || host == "127.0.0.1"
        }
    };
    host.then_some(rest)
}

/// The origin of a URL issuer with a path (`https://host/stage` gives `https://host`): the
/// audience a deployment gets when none is configured. `None` for an issuer without a path or
/// one that is not a URL, whose audience must be configured.
pub fn default_audience(issuer: &str) -> Option<&str> {
    let url = issuer_url(issuer)?;
    let scheme_end = url.find("://")?.checked_add(3)?;
    let path_start = scheme_end.checked_add(url.get(scheme_end..)?.find('/')?)?;
    url.get(..path_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_issuers_are_urls() {
        assert_eq!(
            issuer_url("https://abc.execute-api.eu-west-1.amazonaws.com/prod/"),
            Some("https://abc.execute-api.eu-west-1.amazonaws.com/prod")
        );
        assert_eq!(
            issuer_url("https://auth.example.com"),
            Some("https://auth.example.com")
        );
    }

    #[test]
    fn plain_http_is_a_url_on_loopback_only() {
        assert_eq!(
            issuer_url("http://127.0.0.1:3000/dev"),
            Some("http://127.0.0.1:3000/dev")
        );
        assert!(issuer_url("http://localhost:8080").is_some());
        assert!(issuer_url("http://[::1]:8080/x").is_some());
        assert_eq!(issuer_url("http://auth.example.com/dev"), None);
        assert_eq!(issuer_url("http://127.0.0.1.evil.example/dev"), None);
    }

    #[test]
    fn names_queries_and_fragments_are_not_urls() {
        for issuer in [
            "lambda-api",
            "",
            "https://",
            "https:///path",
            "https://a.example/?x=1",
            "https://a.example/#f",
            "https://user@a.example/",
            "https://a.example/ space",
            "ftp://a.example",
        ] {
            assert_eq!(issuer_url(issuer), None, "{issuer}");
        }
    }

    #[test]
    fn the_default_audience_is_the_origin_of_an_issuer_with_a_path() {
        assert_eq!(
            default_audience("https://abc.execute-api.us-east-1.amazonaws.com/dev"),
            Some("https://abc.execute-api.us-east-1.amazonaws.com")
        );
        assert_eq!(
            default_audience("http://127.0.0.1:3000/dev"),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(default_audience("https://auth.example.com"), None);
        assert_eq!(default_audience("https://auth.example.com/"), None);
        assert_eq!(default_audience("lambda-api"), None);
    }
}
