//! Tokens of other issuers (`TRUSTED_ISSUERS`, e.g. a Cognito user pool), verified with the keys
//! of the JWK Set each publishes: the issuer list, JWKS parsing, the per-issuer key cache with its
//! penalty box, and the claim checks. No I/O and no clock: the authorizer fetches the JWKS, hands
//! the bytes in, and passes the time.
//!
//! The same rules as for our own tokens (verify.rs), adapted to keys we do not control:
//! - the key is the one of the issuer's JWKS the token's `kid` names (a `kid` is required); `jku`,
//!   `x5u`, `jwk` and `x5c` headers are never used, nor a JWKS entry carrying private members;
//! - the algorithm is the key's (its `alg`, or inferred from `kty`/`crv`), limited to the
//!   issuer's `algorithms` (RS256, ES256, EdDSA; never HS256: a public key is no HMAC secret);
//! - `exp`, `iss` and `sub` are required, `nbf` is checked, an `iat` in the future is refused,
//!   with the same leeway as our tokens; `crit` headers are refused;
//! - `aud` is required and matched when `audience` is configured; when it is not, `aud` is not
//!   looked at (Cognito access tokens carry none), and `client_id` must then be configured;
//! - `client_id` must be one of `client_ids` when those are configured; `required_claims` are
//!   exact string matches;
//! - the principal is namespaced by the issuer, and only the scopes its `scopes` maps count
//!   (identity.rs).

mod identity;
mod jwks;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Validation;
use serde::Deserialize;
use thiserror::Error;

use crate::claims::Audience;
use crate::error::VerifyError;
use crate::keyset::KeyAlgorithm;
use crate::settings::MAX_LEEWAY_SECS;
use crate::verify::precheck;

pub use identity::{MAX_PRINCIPAL_PREFIX_CHARS, PRINCIPAL_SEPARATOR, ScopeMap};
pub use jwks::{
    JWKS_MIN_REFRESH, JwksCache, JwksError, JwksKey, MAX_JWKS_BYTES, MAX_JWKS_KEYS,
    MAX_UNKNOWN_KIDS, Step, TrustedClaims, UNKNOWN_KID_MEMORY, parse_jwks,
};

/// At most this many trusted issuers.
pub const MAX_TRUSTED_ISSUERS: usize = 16;
const DEFAULT_ALGORITHMS: [KeyAlgorithm; 2] = [KeyAlgorithm::RS256, KeyAlgorithm::ES256];

/// One entry of `TRUSTED_ISSUERS`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuer {
    /// The exact `iss` of its tokens.
    pub issuer: String,
    /// Where its public keys are published (https, or http on 127.0.0.1/localhost for tests).
    pub jwks_uri: String,
    /// `aud` must name one of these; empty: `aud` is not checked.
    pub audience: Vec<String>,
    /// `client_id` must be one of these; empty: `client_id` is not checked.
    pub client_ids: Vec<String>,
    /// Claims that must be present with exactly this string value (`token_use: access`).
    pub required_claims: BTreeMap<String, String>,
    /// The algorithms its keys may have. Default RS256 and ES256.
    pub algorithms: Vec<KeyAlgorithm>,
    /// What its principals start with, before `|` and the `sub`. Default: the issuer without
    /// its scheme and trailing `/`.
    pub principal_prefix: String,
    /// Which of its scopes count, as which of ours. Default: none.
    pub scopes: ScopeMap,
}

/// Why `TRUSTED_ISSUERS` was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TrustedIssuerError {
    /// Not a JSON array of issuer objects with known fields.
    #[error(
        "must be a JSON array of objects with issuer, jwks_uri and optionally audience, \
         client_ids, required_claims, algorithms, principal_prefix, scopes: {0}"
    )]
    Json(String),
    /// More than [`MAX_TRUSTED_ISSUERS`].
    #[error("lists {0} issuers; at most 16 are allowed")]
    TooMany(usize),
    /// An `issuer` is empty.
    #[error("an issuer is empty")]
    EmptyIssuer,
    /// An `issuer` is our own `TOKEN_ISSUER`.
    #[error("{0:?} is our own TOKEN_ISSUER, whose tokens are verified with our own keys")]
    OwnIssuer(String),
    /// An `issuer` is listed twice.
    #[error("{0:?} is listed twice")]
    Duplicate(String),
    /// A `jwks_uri` is not https (or http on a loopback host).
    #[error(
        "the jwks_uri of {0:?} must be an https:// URL (http:// only on 127.0.0.1 or localhost)"
    )]
    BadJwksUri(String),
    /// An `audience` or `client_ids` list is empty or holds an empty string.
    #[error("the {field} of {issuer:?} is empty or holds an empty value")]
    EmptyList {
        /// The issuer.
        issuer: String,
        /// `audience` or `client_ids`.
        field: &'static str,
    },
    /// Neither `audience` nor `client_ids` is configured.
    #[error(
        "{0:?} names neither audience nor client_ids; set one, so that tokens the issuer made \
         for other applications are refused"
    )]
    NoAudience(String),
    /// An algorithm that is not RS256, ES256 or EdDSA.
    #[error("{issuer:?} lists the algorithm {alg:?}; RS256, ES256 and EdDSA are allowed")]
    BadAlgorithm {
        /// The issuer.
        issuer: String,
        /// The algorithm as written.
        alg: String,
    },
    /// A `principal_prefix` (or the default derived from the issuer) that is empty, too long,
    /// or holds `|`, whitespace or control characters.
    #[error(
        "the principal_prefix of {0:?} (by default the issuer without its scheme) must be 1 to \
         256 characters without '|', whitespace or control characters; set one that is"
    )]
    BadPrincipalPrefix(String),
    /// Two issuers with the same principal prefix: their principals could not be told apart.
    #[error("two issuers have the principal prefix {0:?}; give one a principal_prefix of its own")]
    DuplicatePrincipalPrefix(String),
    /// A name in `scopes` that is empty or holds whitespace or control characters.
    #[error("the scopes of {issuer:?} hold {scope:?}; a scope name is non-empty, without blanks")]
    BadScope {
        /// The issuer.
        issuer: String,
        /// The name as written.
        scope: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    issuer: String,
    jwks_uri: String,
    #[serde(default)]
    audience: Option<Audience>,
    #[serde(default)]
    client_ids: Option<Vec<String>>,
    #[serde(default)]
    required_claims: BTreeMap<String, String>,
    #[serde(default)]
    algorithms: Option<Vec<String>>,
    #[serde(default)]
    principal_prefix: Option<String>,
    #[serde(default)]
    scopes: Option<identity::ScopesSpec>,
}

impl TrustedIssuer {
    /// Parses and validates the `TRUSTED_ISSUERS` JSON; `own_issuer` is our `TOKEN_ISSUER`.
    pub fn parse_list(json: &str, own_issuer: &str) -> Result<Vec<Self>, TrustedIssuerError> {
        let entries: Vec<Entry> =
            serde_json::from_str(json).map_err(|err| TrustedIssuerError::Json(err.to_string()))?;
        if entries.len() > MAX_TRUSTED_ISSUERS {
            return Err(TrustedIssuerError::TooMany(entries.len()));
        }
        let mut list: Vec<Self> = Vec::with_capacity(entries.len());
        for entry in entries {
            let issuer = entry.issuer;
            if issuer.is_empty() {
                return Err(TrustedIssuerError::EmptyIssuer);
            }
            if issuer == own_issuer {
                return Err(TrustedIssuerError::OwnIssuer(issuer));
            }
            if list.iter().any(|known| known.issuer == issuer) {
                return Err(TrustedIssuerError::Duplicate(issuer));
            }
            if !jwks_uri_allowed(&entry.jwks_uri) {
                return Err(TrustedIssuerError::BadJwksUri(issuer));
            }
            let audience = list_field(
                &issuer,
                "audience",
                entry.audience.map(|a| match a {
                    Audience::One(one) => vec![one],
                    Audience::Many(many) => many,
                }),
            )?;
            let client_ids = list_field(&issuer, "client_ids", entry.client_ids)?;
            if audience.is_empty() && client_ids.is_empty() {
                return Err(TrustedIssuerError::NoAudience(issuer));
            }
            let algorithms = match entry.algorithms {
                None => DEFAULT_ALGORITHMS.to_vec(),
                Some(names) if names.is_empty() => {
                    return Err(TrustedIssuerError::BadAlgorithm {
                        issuer,
                        alg: String::new(),
                    });
                }
                Some(names) => {
                    let mut algorithms = Vec::with_capacity(names.len());
                    for name in names {
                        match KeyAlgorithm::parse(&name) {
                            Some(alg) if alg.is_public_key() => algorithms.push(alg),
                            _ => {
                                return Err(TrustedIssuerError::BadAlgorithm { issuer, alg: name });
                            }
                        }
                    }
                    algorithms
                }
            };
            let principal_prefix = identity::principal_prefix(&issuer, entry.principal_prefix)?;
            if list
                .iter()
                .any(|known| known.principal_prefix == principal_prefix)
            {
                return Err(TrustedIssuerError::DuplicatePrincipalPrefix(
                    principal_prefix,
                ));
            }
            let scopes = ScopeMap::parse(&issuer, entry.scopes)?;
            list.push(Self {
                issuer,
                jwks_uri: entry.jwks_uri,
                audience,
                client_ids,
                required_claims: entry.required_claims,
                algorithms,
                principal_prefix,
                scopes,
            });
        }
        Ok(list)
    }

    /// The jsonwebtoken validation for a key of this issuer with algorithm `alg`.
    pub(crate) fn validation(&self, alg: KeyAlgorithm, leeway_secs: u64) -> Validation {
        // RFC 8725 §3.1: the algorithm comes from the key, never from the token.
        let mut validation = Validation::new(alg.jwt());
        validation.leeway = leeway_secs.min(MAX_LEEWAY_SECS);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        let mut required = vec!["exp", "iss", "sub"];
        if self.audience.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&self.audience);
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        validation
    }
}

fn list_field(
    issuer: &str,
    field: &'static str,
    values: Option<Vec<String>>,
) -> Result<Vec<String>, TrustedIssuerError> {
    match values {
        None => Ok(Vec::new()),
        Some(values) if values.is_empty() || values.iter().any(String::is_empty) => {
            Err(TrustedIssuerError::EmptyList {
                issuer: issuer.to_owned(),
                field,
            })
        }
        Some(values) => Ok(values),
    }
}

/// `https://host/...`, or `http://` on 127.0.0.1, `[::1]` or localhost (tests, local runs).
fn jwks_uri_allowed(uri: &str) -> bool {
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let authority = |rest: &str| -> String {
        rest.split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    if let Some(rest) = uri.strip_prefix("https://") {
        let authority = authority(rest);
        return !authority.is_empty() && !authority.contains('@');
    }
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = authority(rest);
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority.as_str(),
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// The `iss` of a token, read from its payload **without verifying anything**: only to choose
/// whose keys verify it. `None` when the payload has no `iss`.
pub fn unverified_issuer(token: &str) -> Result<Option<String>, VerifyError> {
    #[derive(Deserialize)]
    struct Peek {
        #[serde(default)]
        iss: Option<String>,
    }
    precheck(token)?;
    let payload = token.split('.').nth(1).ok_or(VerifyError::Malformed)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| VerifyError::Malformed)?;
    // A repeated `iss` is an error here, so the routing and the verification cannot disagree.
    let peek: Peek = serde_json::from_slice(&bytes).map_err(|_| VerifyError::Malformed)?;
    Ok(peek.iss)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn parse(json: Value) -> Result<Vec<TrustedIssuer>, TrustedIssuerError> {
        TrustedIssuer::parse_list(&json.to_string(), "lambda-api")
    }

    #[test]
    fn a_cognito_entry_parses_with_default_algorithms() {
        let issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc";
        let list = parse(json!([{
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
            "client_ids": ["client-1"],
            "required_claims": {"token_use": "access"}
        }]))
        .unwrap();
        let [issuer] = list.as_slice() else {
            panic!("one issuer expected");
        };
        assert_eq!(
            issuer.jwks_uri,
            format!("{}/.well-known/jwks.json", issuer.issuer)
        );
        assert!(issuer.audience.is_empty());
        assert_eq!(issuer.client_ids, ["client-1"]);
        assert_eq!(issuer.required_claims["token_use"], "access");
        assert_eq!(
            issuer.algorithms,
            [KeyAlgorithm::RS256, KeyAlgorithm::ES256]
        );
    }

    #[test]
    fn audience_may_be_one_string_or_a_list() {
        let one = parse(json!([{"issuer": "a", "jwks_uri": "https://a/j", "audience": "api"}]));
        assert_eq!(one.unwrap()[0].audience, ["api"]);
        let many = parse(json!([{"issuer": "a", "jwks_uri": "https://a/j",
                                 "audience": ["api", "web"], "algorithms": ["EdDSA"]}]))
        .unwrap();
        assert_eq!(many[0].audience, ["api", "web"]);
        assert_eq!(many[0].algorithms, [KeyAlgorithm::EdDSA]);
    }

    #[test]
    fn bad_issuer_lists_are_refused() {
        let entry = |extra: Value| {
            let mut e = json!({"issuer": "https://idp", "jwks_uri": "https://idp/jwks.json",
                               "audience": ["api"]});
            for (k, v) in extra.as_object().unwrap() {
                e[k] = v.clone();
            }
            e
        };
        assert!(matches!(
            TrustedIssuer::parse_list("{", "x"),
            Err(TrustedIssuerError::Json(_))
        ));
        assert!(matches!(
            parse(json!({"issuer": "a"})),
            Err(TrustedIssuerError::Json(_))
        ));
        assert!(matches!(
            parse(json!([entry(json!({"audiences": ["typo"]}))])),
            Err(TrustedIssuerError::Json(_))
        ));
        assert_eq!(
            parse(json!([entry(json!({"issuer": "lambda-api"}))])),
            Err(TrustedIssuerError::OwnIssuer("lambda-api".into()))
        );
        assert_eq!(
            parse(json!([entry(json!({})), entry(json!({}))])),
            Err(TrustedIssuerError::Duplicate("https://idp".into()))
        );
        assert_eq!(
            parse(json!([entry(json!({"issuer": ""}))])),
            Err(TrustedIssuerError::EmptyIssuer)
        );
        for uri in [
            "http://idp.example/jwks.json",
            "http://127.0.0.1.evil.example/jwks.json",
            "http://localhost@evil.example/jwks.json",
            "ftp://idp/jwks.json",
            "https://",
            "https://user@idp/jwks.json",
            "https://idp/jwks.json ",
            "/jwks.json",
        ] {
            assert_eq!(
                parse(json!([entry(json!({"jwks_uri": uri}))])),
                Err(TrustedIssuerError::BadJwksUri("https://idp".into())),
                "{uri}"
            );
        }
        assert!(matches!(
            parse(json!([entry(json!({"algorithms": ["HS256"]}))])),
            Err(TrustedIssuerError::BadAlgorithm { .. })
        ));
        assert!(matches!(
            parse(json!([entry(json!({"algorithms": ["none"]}))])),
            Err(TrustedIssuerError::BadAlgorithm { .. })
        ));
        assert!(matches!(
            parse(json!([entry(json!({"algorithms": []}))])),
            Err(TrustedIssuerError::BadAlgorithm { .. })
        ));
        assert!(matches!(
            parse(json!([entry(json!({"audience": []}))])),
            Err(TrustedIssuerError::EmptyList { .. })
        ));
        assert!(matches!(
            parse(json!([entry(json!({"client_ids": [""]}))])),
            Err(TrustedIssuerError::EmptyList { .. })
        ));
        let mut bare = entry(json!({}));
        bare.as_object_mut().unwrap().remove("audience");
        assert_eq!(
            parse(json!([bare])),
            Err(TrustedIssuerError::NoAudience("https://idp".into()))
        );
        let many: Vec<Value> = (0..17)
            .map(|i| entry(json!({"issuer": format!("i{i}")})))
            .collect();
        assert_eq!(parse(json!(many)), Err(TrustedIssuerError::TooMany(17)));
    }

    #[test]
    fn loopback_http_is_allowed_for_tests() {
        for uri in [
            "http://127.0.0.1:8080/jwks.json",
            "http://127.0.0.1/jwks.json",
            "http://localhost:3000/.well-known/jwks.json",
            "http://[::1]:9/jwks.json",
        ] {
            assert!(jwks_uri_allowed(uri), "{uri}");
        }
    }

    #[test]
    fn the_issuer_is_read_without_verifying() {
        let token = |payload: &str| {
            format!(
                "eyJhbGciOiJFUzI1NiJ9.{}.c2ln",
                URL_SAFE_NO_PAD.encode(payload)
            )
        };
        assert_eq!(
            unverified_issuer(&token(r#"{"iss":"https://idp","sub":"a"}"#)),
            Ok(Some("https://idp".to_owned()))
        );
        assert_eq!(unverified_issuer(&token(r#"{"sub":"a"}"#)), Ok(None));
        assert_eq!(unverified_issuer("a.b"), Err(VerifyError::Malformed));
        assert_eq!(
            unverified_issuer(&token("[1]")),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            unverified_issuer(&token(r#"{"iss":7}"#)),
            Err(VerifyError::Malformed)
        );
        // Two issuers: refused rather than routed by one and verified by the other.
        assert_eq!(
            unverified_issuer(&token(r#"{"iss":"a","iss":"b"}"#)),
            Err(VerifyError::Malformed)
        );
    }
}
