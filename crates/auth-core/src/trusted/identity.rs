//! Who a trusted issuer's token speaks for, in our terms: its principal is namespaced by the
//! issuer, and only the scopes the issuer's entry maps count as ours.
//!
//! - A principal is `<principal_prefix>|<sub>`; the prefix is the issuer's `principal_prefix`,
//!   by default its `issuer` without the scheme and trailing `/`
//!   (`cognito-idp.us-east-1.amazonaws.com/us-east-1_abc|7d1f-...`). Prefixes hold no `|` and
//!   no two issuers share one, so the `sub` is everything after the first `|` and a principal
//!   names exactly one (issuer, sub) pair. Our own tokens keep their bare `sub`; the authorizer
//!   refuses an own `sub` that starts with a trusted prefix and `|`, so no principal of ours can
//!   pass for another issuer's.
//! - `scopes` is either a list of the issuer's scopes accepted under the same name, or a map from
//!   the issuer's scope to ours (`{"orders/read": "orders:read"}`); without it, none of the
//!   token's scopes counts, so a route rule never grants one of our scopes to a foreign token by
//!   accident of naming.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{TrustedIssuer, TrustedIssuerError};

/// What separates a trusted issuer's principal prefix from the token's `sub`.
pub const PRINCIPAL_SEPARATOR: char = '|';
/// A principal prefix is at most this many characters.
pub const MAX_PRINCIPAL_PREFIX_CHARS: usize = 256;

/// Which of a trusted issuer's scopes count, each as which of ours. Default: none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeMap {
    /// The issuer's scope name to ours.
    map: BTreeMap<String, String>,
}

/// `scopes` as written in `TRUSTED_ISSUERS`.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum ScopesSpec {
    /// Accepted under the same name.
    Same(Vec<String>),
    /// The issuer's scope to ours.
    Mapped(BTreeMap<String, String>),
}

impl ScopeMap {
    /// Validates the `scopes` of `issuer`'s entry: every name non-empty, without whitespace or
    /// control characters (a space in a mapped name would smuggle in a second scope).
    pub(super) fn parse(
        issuer: &str,
        spec: Option<ScopesSpec>,
    ) -> Result<Self, TrustedIssuerError> {
        let map: BTreeMap<String, String> = match spec {
            None => BTreeMap::new(),
            Some(ScopesSpec::Same(names)) => names.into_iter().map(|n| (n.clone(), n)).collect(),
            Some(ScopesSpec::Mapped(map)) => map,
        };
        for name in map.iter().flat_map(|(theirs, ours)| [theirs, ours]) {
            if !scope_usable(name) {
                return Err(TrustedIssuerError::BadScope {
                    issuer: issuer.to_owned(),
                    scope: name.clone(),
                });
            }
        }
        Ok(Self { map })
    }

    /// Whether no scope of the issuer counts.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Our scopes for a token's space-delimited `scope` claim, in the token's order and without
    /// repeats; `None` when none of them is mapped.
    pub fn map(&self, scope: Option<&str>) -> Option<String> {
        let mut ours: Vec<&str> = Vec::new();
        for theirs in scope.unwrap_or_default().split_ascii_whitespace() {
            if let Some(mapped) = self.map.get(theirs)
                && !ours.contains(&mapped.as_str())
            {
                ours.push(mapped);
            }
        }
        (!ours.is_empty()).then(|| ours.join(" "))
    }
}

fn scope_usable(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The prefix of `issuer`'s principals: `configured`, or the issuer without its scheme and
/// trailing `/`. Refused when empty, too long, or holding `|`, whitespace or control characters.
pub(super) fn principal_prefix(
    issuer: &str,
    configured: Option<String>,
) -> Result<String, TrustedIssuerError> {
    let prefix = configured.unwrap_or_else(|| {
        let bare = issuer
            .strip_prefix("https://")
            .or_else(|| issuer.strip_prefix("http://"))
            .unwrap_or(issuer);
        bare.trim_end_matches('/').to_owned()
    });
    let usable = !prefix.is_empty()
        && prefix.chars().count() <= MAX_PRINCIPAL_PREFIX_CHARS
        && !prefix
            .chars()
            .any(|c| c == PRINCIPAL_SEPARATOR || c.is_whitespace() || c.is_control());
    if usable {
        Ok(prefix)
    } else {
        Err(TrustedIssuerError::BadPrincipalPrefix(issuer.to_owned()))
    }
}

impl TrustedIssuer {
    /// The principal of this issuer's token with `sub`: `<principal_prefix>|<sub>`.
    pub fn principal(&self, sub: &str) -> String {
        let mut principal = String::with_capacity(self.principal_prefix.len() + 1 + sub.len());
        principal.push_str(&self.principal_prefix);
        principal.push(PRINCIPAL_SEPARATOR);
        principal.push_str(sub);
        principal
    }

    /// Whether `principal` lies in this issuer's namespace (`<principal_prefix>|...`): a `sub` of
    /// ours that does is refused, as it would pass for this issuer's user.
    pub fn owns_principal(&self, principal: &str) -> bool {
        principal
            .strip_prefix(self.principal_prefix.as_str())
            .is_some_and(|rest| rest.starts_with(PRINCIPAL_SEPARATOR))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const COGNITO: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc";

    fn parse(entries: Value) -> Result<Vec<TrustedIssuer>, TrustedIssuerError> {
        TrustedIssuer::parse_list(&entries.to_string(), "lambda-api")
    }

    fn entry(issuer: &str, extra: Value) -> Value {
        let mut entry = json!({"issuer": issuer, "jwks_uri": "https://idp/jwks.json",
                               "audience": "api"});
        for (k, v) in extra.as_object().unwrap() {
            entry[k] = v.clone();
        }
        entry
    }

    fn one(extra: Value) -> TrustedIssuer {
        parse(json!([entry(COGNITO, extra)])).unwrap().remove(0)
    }

    #[test]
    fn the_default_prefix_is_the_issuer_without_its_scheme() {
        let issuer = one(json!({}));
        assert_eq!(
            issuer.principal_prefix,
            "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"
        );
        assert_eq!(
            issuer.principal("alice"),
            "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc|alice"
        );
        let auth0 = parse(json!([entry("https://tenant.auth0.com/", json!({}))])).unwrap();
        assert_eq!(auth0[0].principal("x"), "tenant.auth0.com|x");
    }

    #[test]
    fn a_configured_prefix_replaces_the_default() {
        let issuer = one(json!({"principal_prefix": "cognito"}));
        assert_eq!(issuer.principal("alice"), "cognito|alice");
    }

    #[test]
    fn a_foreign_principal_never_equals_one_of_ours_or_another_issuers() {
        let list = parse(json!([
            entry(COGNITO, json!({})),
            entry(
                "https://other.example",
                json!({"principal_prefix": "other"})
            ),
        ]))
        .unwrap();
        let (cognito, other) = (&list[0], &list[1]);
        // The bare sub our own token would have is not the foreign principal.
        assert_ne!(cognito.principal("alice"), "alice");
        assert_ne!(cognito.principal("alice"), other.principal("alice"));
        // An own sub shaped like a foreign principal is recognised (and refused by the
        // authorizer), so the namespaces cannot meet.
        assert!(cognito.owns_principal(&cognito.principal("alice")));
        assert!(!other.owns_principal(&cognito.principal("alice")));
        assert!(!cognito.owns_principal("alice"));
        assert!(!cognito.owns_principal(&cognito.principal_prefix));
        assert!(!other.owns_principal("other-x|alice"));
        // The sub is everything after the first separator, whatever it holds.
        let tricky = other.principal("a|b");
        assert_eq!(tricky.split_once('|'), Some(("other", "a|b")));
    }

    #[test]
    fn unusable_or_shared_prefixes_are_refused() {
        for prefix in ["", "a|b", "a b", "tab\t", &"p".repeat(257)] {
            assert_eq!(
                parse(json!([entry(COGNITO, json!({"principal_prefix": prefix}))])),
                Err(TrustedIssuerError::BadPrincipalPrefix(COGNITO.to_owned())),
                "{prefix:?}"
            );
        }
        // A default that would not be usable asks for a configured one.
        assert_eq!(
            parse(json!([entry("https://idp|x", json!({}))])),
            Err(TrustedIssuerError::BadPrincipalPrefix(
                "https://idp|x".to_owned()
            ))
        );
        // Two issuers whose defaults meet, and two configured alike.
        assert_eq!(
            parse(json!([
                entry("https://idp.example", json!({})),
                entry("idp.example", json!({})),
            ])),
            Err(TrustedIssuerError::DuplicatePrincipalPrefix(
                "idp.example".to_owned()
            ))
        );
        assert_eq!(
            parse(json!([
                entry("https://a", json!({"principal_prefix": "p"})),
                entry("https://b", json!({"principal_prefix": "p"})),
            ])),
            Err(TrustedIssuerError::DuplicatePrincipalPrefix("p".to_owned()))
        );
    }

    #[test]
    fn without_a_scope_mapping_no_foreign_scope_counts() {
        let issuer = one(json!({}));
        assert!(issuer.scopes.is_empty());
        assert_eq!(issuer.scopes.map(Some("admin orders/read")), None);
        assert_eq!(issuer.scopes.map(None), None);
    }

    #[test]
    fn mapped_scopes_become_ours_and_the_others_are_dropped() {
        let issuer = one(json!({"scopes": {"orders/read": "orders:read",
                                           "orders/all": "orders:read"}}));
        assert_eq!(
            issuer.scopes.map(Some(
                "admin orders/all orders/read aws.cognito.signin.user.admin"
            )),
            Some("orders:read".to_owned())
        );
        assert_eq!(issuer.scopes.map(Some("orders:read")), None);
    }

    #[test]
    fn a_list_accepts_scopes_under_their_own_name() {
        let issuer = one(json!({"scopes": ["profile", "orders:read"]}));
        assert_eq!(
            issuer.scopes.map(Some("admin orders:read profile")),
            Some("orders:read profile".to_owned())
        );
    }

    #[test]
    fn scope_names_with_blanks_are_refused() {
        for scopes in [
            json!({"a": "ours admin"}),
            json!({"": "a"}),
            json!({"a": ""}),
            json!(["a b"]),
            json!([""]),
        ] {
            assert!(
                matches!(
                    parse(json!([entry(COGNITO, json!({"scopes": scopes}))])),
                    Err(TrustedIssuerError::BadScope { .. })
                ),
                "{scopes}"
            );
        }
        assert!(matches!(
            parse(json!([entry(COGNITO, json!({"scopes": "admin"}))])),
            Err(TrustedIssuerError::Json(_))
        ));
    }
}
