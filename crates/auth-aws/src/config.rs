//! Configuration: read once per cold start from the environment and SSM into one typed struct.
//!
//! Signing keys come from a Secrets Manager secret (`SIGNING_KEYS_SECRET_ID`), an SSM SecureString
//! (`SIGNING_KEYS_PARAM`) or the environment (`SIGNING_KEYS`), as a JWK set; a verifier (the
//! authorizer, [`ConfigLoader::verifier_from_env`]) reads the public keys from the SSM String
//! `SIGNING_KEYS_PUBLIC_PARAM` instead when it is set, refused if they hold a private member (see
//! public_keys.rs); the HS256 secret of the foundation (`JWT_SECRET` / `JWT_SECRET_PARAM`) still
//! works alone, or next to a key set as a verify-only key while tokens it signed expire.
//!
//! Values from SSM and Secrets Manager are cached for `SSM_CACHE_TTL` seconds (default 300); after that the next
//! [`ConfigLoader::current`] call re-reads them, so a changed token time or secret takes effect
//! without a redeploy. When no `*_PARAM` variable is set, no network call is ever made.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::{
    KeySet, LockoutPolicy, LockoutResponse, MAX_LEEWAY_SECS, RouteRules, Secret, ThrottlePolicy,
    TokenIssuer, TokenSettings, TokenSource, Verifier,
};
use aws_config::SdkConfig;

use crate::error::ConfigError;
use crate::public_keys::parse_public_keys;
use crate::remote_values::{Remote, RemoteCache};
use crate::sdk::sdk_config;

const MAX_ACCESS_TTL_SECS: u64 = 86_400;
const MAX_REFRESH_TTL_SECS: u64 = 365 * 86_400;

/// How an HTTP API (payload 2.0) authorizer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// `{"isAuthorized": bool, "context": {...}}` (the default).
    Simple,
    /// An IAM policy, like REST authorizers.
    Iam,
}

/// Which origins may call the token endpoints from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// `*`.
    Any,
    /// Exactly these origins.
    List(Vec<String>),
}

/// CORS settings (`CORS_ALLOWED_ORIGINS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsConfig {
    /// The allowed origins; default any.
    pub allowed: AllowedOrigins,
}

impl CorsConfig {
    /// The `Access-Control-Allow-Origin` value for a request from `origin`, and whether the
    /// answer depends on the origin (then `Vary: Origin` must be sent).
    pub fn allow_origin(&self, origin: Option<&str>) -> (Option<String>, bool) {
        match &self.allowed {
            AllowedOrigins::Any => (Some("*".to_owned()), false),
            AllowedOrigins::List(list) => match (origin, list.as_slice()) {
                (Some(origin), _) if list.iter().any(|allowed| allowed == origin) => {
                    (Some(origin.to_owned()), true)
                }
                // A single allowed origin can be sent whatever the request says.
                (_, [only]) => (Some(only.clone()), true),
                _ => (None, true),
            },
        }
    }
}

/// The whole configuration, with the keys built from it.
pub struct Config {
    /// Issuer, audience, lifetimes, leeway.
    pub tokens: TokenSettings,
    /// Signs tokens (token_generator); `None` when the key set holds public keys only.
    pub issuer: Option<TokenIssuer>,
    /// Verifies tokens (both functions).
    pub verifier: Verifier,
    /// CORS for the token endpoints.
    pub cors: CorsConfig,
    /// `USERS_TABLE`: the DynamoDB table of users and refresh tokens.
    pub users_table: Option<String>,
    /// `AUTHORIZER_RESPONSE`: how HTTP API events are answered.
    pub authorizer_response: ResponseMode,
    /// `TOKEN_SOURCES`: where the authorizer looks for the token, in order.
    pub token_sources: Vec<TokenSource>,
    /// `ROUTE_RULES` / `ROUTE_RULES_PARAM`: scopes per route; none means any valid token.
    pub route_rules: RouteRules,
    /// `CONTEXT_CLAIMS`: claims copied into the authorizer context besides `sub` and `scope`.
    pub context_claims: Vec<String>,
    /// `USAGE_IDENTIFIER_CLAIM`: the claim whose value becomes `usageIdentifierKey`.
    pub usage_identifier_claim: Option<String>,
    /// `PUBLIC_CLIENT_ID`: the `client_id` written into tokens issued to users without client
    /// authentication. Default `public`.
    pub public_client_id: String,
    /// `ROLE_SCOPES`: the scopes each user role grants (`{"admin": ["admin", "read"]}`).
    pub role_scopes: HashMap<String, Vec<String>>,
    /// `DEFAULT_ROLES`: the roles a newly registered user gets. Default `user`.
    pub default_roles: Vec<String>,
    /// `LOCKOUT_*`: brute-force protection.
    pub lockout: LockoutPolicy,
    /// `REGISTER_IP_LIMIT` per `REGISTER_WINDOW_SECONDS`: registrations per source address.
    pub register: ThrottlePolicy,
    /// `TRUSTED_ISSUERS`: other issuers whose tokens the authorizer accepts (JSON, parsed by
    /// the authorizer).
    pub trusted_issuers: Option<String>,
    /// `REVOCATION_CHECK`: whether the authorizer checks the revocation list and logouts.
    pub revocation_check: bool,
    /// `REVOCATION_CACHE_TTL`: how long the authorizer trusts a revocation lookup. Default 5 s.
    pub revocation_cache_ttl: Duration,
    /// `TOKEN_RESOURCES`: the resources (RFC 8707) a token request may name besides the
    /// audience; a token for one carries it as `aud`.
    pub resources: Vec<String>,
}

impl Config {
    /// The audience of a token for the requested `resource` (RFC 8707 §2): the configured
    /// audience when none is named, the resource when it is the audience or one of
    /// `TOKEN_RESOURCES`, else `None` (the request is `invalid_target`).
    pub fn audience_for<'a>(&'a self, resource: Option<&'a str>) -> Option<&'a str> {
        match resource {
            None => Some(&self.tokens.audience),
            Some(r) if r == self.tokens.audience || self.resources.iter().any(|a| a == r) => {
                Some(r)
            }
            Some(_) => None,
        }
    }

    /// The scopes a user with `roles` may have: the union of their roles' scopes, sorted.
    pub fn scopes_for_roles(&self, roles: &[String]) -> Vec<String> {
        let mut scopes: Vec<String> = roles
            .iter()
            .filter_map(|role| self.role_scopes.get(role))
            .flatten()
            .cloned()
            .collect();
        scopes.sort();
        scopes.dedup();
        scopes
    }
}

/// Where the legacy HS256 secret comes from.
enum SecretSource {
    None,
    Inline(Secret),
    Param(String),
}

/// Where the JWK set comes from.
enum KeysSource {
    None,
    Inline(String),
    Remote(Remote),
    /// `SIGNING_KEYS_PUBLIC_PARAM`: an SSM parameter of public keys only (verifiers).
    Public(String),
}

/// What the keys are loaded for: a signer reads the private key set; a verifier (the
/// authorizer) reads `SIGNING_KEYS_PUBLIC_PARAM` instead when it is set, and nothing private.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyUse {
    Sign,
    Verify,
}

/// What the environment says, parsed and validated; SSM values are filled in by [`Spec::build`].
struct Spec {
    keys: KeysSource,
    secret: SecretSource,
    issuer: Setting,
    audience: Setting,
    resources: Vec<String>,
    ttl_param: Option<String>,
    tokens: TokenSettings,
    cors: CorsConfig,
    users_table: Option<String>,
    authorizer_response: ResponseMode,
    token_sources: Vec<TokenSource>,
    rules: RulesSource,
    context_claims: Vec<String>,
    usage_identifier_claim: Option<String>,
    cache_ttl: Duration,
    public_client_id: String,
    role_scopes: HashMap<String, Vec<String>>,
    default_roles: Vec<String>,
    lockout: LockoutPolicy,
    register: ThrottlePolicy,
    trusted_issuers: Option<String>,
    revocation_check: bool,
    revocation_cache_ttl: Duration,
}

/// A setting given inline or by the name of an SSM parameter holding it.
enum Setting {
    Unset,
    Inline(String),
    Param(String),
}

impl Setting {
    fn from(get: &dyn Fn(&str) -> Option<String>, name: &str, param: &str) -> Self {
        match (get(name), get(param)) {
            (Some(value), _) => Self::Inline(value.trim().to_owned()),
            (None, Some(param)) => Self::Param(param),
            (None, None) => Self::Unset,
        }
    }

    fn param(&self) -> Option<Remote> {
        match self {
            Self::Param(name) => Some(Remote::Param(name.clone())),
            _ => None,
        }
    }

    /// The value, with `(name, value)` of where it came from for error messages.
    fn resolve(
        &self,
        name: &str,
        values: &HashMap<Remote, String>,
    ) -> Result<Option<(String, String)>, ConfigError> {
        match self {
            Self::Unset => Ok(None),
            Self::Inline(value) => Ok(Some((name.to_owned(), value.clone()))),
            Self::Param(param) => match values.get(&Remote::Param(param.clone())) {
                Some(value) => Ok(Some((param.clone(), value.trim().to_owned()))),
                None => Err(ConfigError::Remote {
                    name: param.clone(),
                    message: "value not returned".to_owned(),
                }),
            },
        }
    }
}

/// The issuer and the audience, resolved and checked: the audience defaults to the issuer's
/// origin when the issuer is a URL with a path (the template's stage URL), must be set
/// otherwise, and never equals the issuer.
fn issuer_and_audience(
    issuer: Option<(String, String)>,
    audience: Option<(String, String)>,
) -> Result<(String, String), ConfigError> {
    let (issuer_source, issuer) =
        issuer.unwrap_or_else(|| ("TOKEN_ISSUER".to_owned(), TokenSettings::default().issuer));
    if issuer.is_empty() {
        return Err(invalid(&issuer_source, "must not be empty"));
    }
    let (audience_source, audience) = match audience {
        Some(found) => found,
        None => match auth_core::default_audience(&issuer) {
            Some(origin) => ("TOKEN_AUDIENCE".to_owned(), origin.to_owned()),
            None => {
                return Err(invalid(
                    "TOKEN_AUDIENCE",
                    &format!(
                        "is not set, and the issuer {issuer:?} is no URL with a path to derive it \
                         from; set it to the identifier of the API the access tokens are for \
                         (RFC 9068 §2.2 requires `aud`)"
                    ),
                ));
            }
        },
    };
    if audience.is_empty() {
        return Err(invalid(&audience_source, "must not be empty"));
    }
    if audience.trim_end_matches('/') == issuer.trim_end_matches('/') {
        return Err(invalid(
            &audience_source,
            &format!(
                "equals the issuer ({issuer_source}); the audience names the API the access \
                 tokens are for, the issuer this token service: give them different values"
            ),
        ));
    }
    Ok((issuer, audience))
}

/// Where the route rules come from.
enum RulesSource {
    Inline(RouteRules),
    Param(String),
}

impl Spec {
    #[cfg(test)]
    fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::parse(lookup, KeyUse::Sign)
    }

    fn parse(
        lookup: &dyn Fn(&str) -> Option<String>,
        key_use: KeyUse,
    ) -> Result<Self, ConfigError> {
        // An empty variable counts as unset: SAM templates cannot easily omit a variable.
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let secret = match (get("JWT_SECRET"), get("JWT_SECRET_PARAM")) {
            (Some(value), _) => SecretSource::Inline(parse_secret("JWT_SECRET", value)?),
            (None, Some(param)) => SecretSource::Param(param),
            (None, None) => SecretSource::None,
        };
        let keys = match (
            get("SIGNING_KEYS_SECRET_ID"),
            get("SIGNING_KEYS_PARAM"),
            get("SIGNING_KEYS"),
        ) {
            (Some(id), _, _) => KeysSource::Remote(Remote::Secret(id)),
            (None, Some(param), _) => KeysSource::Remote(Remote::Param(param)),
            (None, None, Some(json)) => {
                // Checked now so a bad inline set fails at load, naming the variable.
                parse_keys("SIGNING_KEYS", &json)?;
                KeysSource::Inline(json)
            }
            (None, None, None) => KeysSource::None,
        };
        // A verifier given the public keys reads them and nothing else (the environment of
        // `make dev` names the private set too, for token_generator).
        let keys = match (key_use, get("SIGNING_KEYS_PUBLIC_PARAM")) {
            (KeyUse::Verify, Some(param)) => KeysSource::Public(param),
            _ => keys,
        };
        if matches!(keys, KeysSource::None) && matches!(secret, SecretSource::None) {
            return Err(ConfigError::NoSecret);
        }
        let defaults = TokenSettings::default();
        let issuer = Setting::from(&get, "TOKEN_ISSUER", "TOKEN_ISSUER_PARAM");
        let audience = Setting::from(&get, "TOKEN_AUDIENCE", "TOKEN_AUDIENCE_PARAM");
        // Checked now when both are inline, so a bad pair fails at load naming the variable.
        if !matches!(issuer, Setting::Param(_)) && !matches!(audience, Setting::Param(_)) {
            issuer_and_audience(
                issuer.resolve("TOKEN_ISSUER", &HashMap::new())?,
                audience.resolve("TOKEN_AUDIENCE", &HashMap::new())?,
            )?;
        }
        let resources = get("TOKEN_RESOURCES")
            .map(|list| comma_list(&list))
            .unwrap_or_default();
        if let Some(bad) = resources
            .iter()
            .find(|r| !r.contains(':') || r.contains('#') || r.contains(char::is_whitespace))
        {
            return Err(invalid(
                "TOKEN_RESOURCES",
                &format!("{bad:?} is not an absolute URI without a fragment (RFC 8707 §2)"),
            ));
        }
        let tokens = TokenSettings {
            issuer: defaults.issuer,
            audience: defaults.audience,
            access_ttl_secs: parse_secs(
                "ACCESS_TOKEN_TTL",
                get("ACCESS_TOKEN_TTL"),
                defaults.access_ttl_secs,
                1..=MAX_ACCESS_TTL_SECS,
            )?,
            refresh_ttl_secs: parse_secs(
                "REFRESH_TOKEN_TTL",
                get("REFRESH_TOKEN_TTL"),
                defaults.refresh_ttl_secs,
                1..=MAX_REFRESH_TTL_SECS,
            )?,
            refresh_family_ttl_secs: parse_secs(
                "REFRESH_FAMILY_TTL",
                get("REFRESH_FAMILY_TTL"),
                defaults.refresh_family_ttl_secs,
                1..=MAX_REFRESH_TTL_SECS,
            )?,
            leeway_secs: parse_secs(
                "TOKEN_LEEWAY",
                get("TOKEN_LEEWAY"),
                defaults.leeway_secs,
                0..=MAX_LEEWAY_SECS,
            )?,
        };
        let authorizer_response = match get("AUTHORIZER_RESPONSE").as_deref().map(str::trim) {
            None => ResponseMode::Simple,
            Some(v) if v.eq_ignore_ascii_case("simple") => ResponseMode::Simple,
            Some(v) if v.eq_ignore_ascii_case("iam") => ResponseMode::Iam,
            Some(_) => return Err(invalid("AUTHORIZER_RESPONSE", "must be `simple` or `iam`")),
        };
        let token_sources = match get("TOKEN_SOURCES") {
            None => vec![TokenSource::Authorization],
            Some(spec) => TokenSource::parse_list(&spec)
                .map_err(|err| invalid("TOKEN_SOURCES", &err.to_string()))?,
        };
        let rules = match (get("ROUTE_RULES"), get("ROUTE_RULES_PARAM")) {
            (Some(json), _) => RulesSource::Inline(
                RouteRules::parse(&json).map_err(|err| invalid("ROUTE_RULES", &err.to_string()))?,
            ),
            (None, Some(param)) => RulesSource::Param(param),
            (None, None) => RulesSource::Inline(RouteRules::default()),
        };
        let context_claims = get("CONTEXT_CLAIMS")
            .map(|list| comma_list(&list))
            .unwrap_or_default();
        let role_scopes = match get("ROLE_SCOPES") {
            None => HashMap::new(),
            Some(json) => serde_json::from_str(&json).map_err(|_| {
                invalid(
                    "ROLE_SCOPES",
                    r#"must be a JSON object of role to scope list, like {"admin": ["admin"]}"#,
                )
            })?,
        };
        let default_roles = get("DEFAULT_ROLES")
            .map(|list| comma_list(&list))
            .unwrap_or_else(|| vec!["user".to_owned()]);
        let public_client_id = get("PUBLIC_CLIENT_ID").unwrap_or_else(|| "public".to_owned());
        let revocation_check = match get("REVOCATION_CHECK").as_deref().map(str::trim) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => true,
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => false,
            Some(_) => return Err(invalid("REVOCATION_CHECK", "must be `true` or `false`")),
        };
        Ok(Self {
            keys,
            secret,
            issuer,
            audience,
            resources,
            public_client_id,
            role_scopes,
            default_roles,
            lockout: parse_lockout(&get)?,
            register: parse_register(&get)?,
            trusted_issuers: get("TRUSTED_ISSUERS"),
            revocation_check,
            revocation_cache_ttl: Duration::from_secs(parse_secs(
                "REVOCATION_CACHE_TTL",
                get("REVOCATION_CACHE_TTL"),
                5,
                0..=300,
            )?),
            token_sources,
            rules,
            context_claims,
            usage_identifier_claim: get("USAGE_IDENTIFIER_CLAIM"),
            ttl_param: get("ACCESS_TOKEN_TTL_PARAM"),
            tokens,
            cors: parse_cors(get("CORS_ALLOWED_ORIGINS"))?,
            users_table: get("USERS_TABLE"),
            authorizer_response,
            cache_ttl: Duration::from_secs(parse_secs(
                "SSM_CACHE_TTL",
                get("SSM_CACHE_TTL"),
                300,
                0..=86_400,
            )?),
        })
    }

    fn remote_names(&self) -> Vec<Remote> {
        let mut names = Vec::new();
        match &self.keys {
            KeysSource::Remote(remote) => names.push(remote.clone()),
            KeysSource::Public(name) => names.push(Remote::Param(name.clone())),
            KeysSource::None | KeysSource::Inline(_) => {}
        }
        if let SecretSource::Param(name) = &self.secret {
            names.push(Remote::Param(name.clone()));
        }
        names.extend(self.issuer.param());
        names.extend(self.audience.param());
        names.extend(self.ttl_param.iter().cloned().map(Remote::Param));
        if let RulesSource::Param(name) = &self.rules {
            names.push(Remote::Param(name.clone()));
        }
        names
    }

    fn build(&self, values: &HashMap<Remote, String>) -> Result<Config, ConfigError> {
        let value = |name: Remote| {
            values.get(&name).ok_or_else(|| ConfigError::Remote {
                name: name.to_string(),
                message: "value not returned".to_owned(),
            })
        };
        let secret = match &self.secret {
            SecretSource::None => None,
            SecretSource::Inline(secret) => Some(secret.clone()),
            SecretSource::Param(name) => Some(parse_secret(
                name,
                value(Remote::Param(name.clone()))?.clone(),
            )?),
        };
        let keys = match (&self.keys, secret) {
            (KeysSource::Inline(json), secret) => Some((parse_keys("SIGNING_KEYS", json)?, secret)),
            (KeysSource::Public(name), secret) => {
                let remote = Remote::Param(name.clone());
                let text = value(remote.clone())?;
                Some((parse_public_keys(&remote.to_string(), text)?, secret))
            }
            (KeysSource::Remote(remote), secret) => Some((
                parse_keys(&remote.to_string(), value(remote.clone())?)?,
                secret,
            )),
            (KeysSource::None, Some(secret)) => {
                let set = KeySet::from_secret(&secret);
                Some((set, None))
            }
            (KeysSource::None, None) => None,
        };
        let Some((set, legacy)) = keys else {
            return Err(ConfigError::NoSecret);
        };
        let keys = Arc::new(match legacy {
            Some(secret) => set.with_legacy_secret(&secret),
            None => set,
        });
        let mut tokens = self.tokens.clone();
        (tokens.issuer, tokens.audience) = issuer_and_audience(
            self.issuer.resolve("TOKEN_ISSUER", values)?,
            self.audience.resolve("TOKEN_AUDIENCE", values)?,
        )?;
        if let Some(name) = &self.ttl_param {
            let ttl = value(Remote::Param(name.clone()))?;
            tokens.access_ttl_secs =
                parse_secs(name, Some(ttl.clone()), 0, 1..=MAX_ACCESS_TTL_SECS)?;
        }
        let route_rules = match &self.rules {
            RulesSource::Inline(rules) => rules.clone(),
            RulesSource::Param(name) => {
                let json = value(Remote::Param(name.clone()))?;
                RouteRules::parse(json).map_err(|err| invalid(name, &err.to_string()))?
            }
        };
        Ok(Config {
            public_client_id: self.public_client_id.clone(),
            role_scopes: self.role_scopes.clone(),
            default_roles: self.default_roles.clone(),
            lockout: self.lockout,
            register: self.register,
            trusted_issuers: self.trusted_issuers.clone(),
            revocation_check: self.revocation_check,
            revocation_cache_ttl: self.revocation_cache_ttl,
            resources: self.resources.clone(),
            token_sources: self.token_sources.clone(),
            route_rules,
            context_claims: self.context_claims.clone(),
            usage_identifier_claim: self.usage_identifier_claim.clone(),
            issuer: TokenIssuer::new(Arc::clone(&keys), &tokens).ok(),
            verifier: Verifier::new(keys, &tokens),
            tokens,
            cors: self.cors.clone(),
            users_table: self.users_table.clone(),
            authorizer_response: self.authorizer_response,
        })
    }
}

/// Loads the configuration once and keeps SSM-sourced values fresh.
pub struct ConfigLoader {
    spec: Spec,
    params: Option<RemoteCache>,
    current: Mutex<Arc<Config>>,
}

impl ConfigLoader {
    /// Loads from the process environment; the SDK is only set up when an SSM parameter is named.
    pub async fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok(), None).await
    }

    /// Loads through `lookup` (tests pass a map); `sdk` is used for SSM when given, otherwise
    /// the standard environment configuration is loaded if (and only if) SSM is needed.
    pub async fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        sdk: Option<SdkConfig>,
    ) -> Result<Self, ConfigError> {
        Self::load(Spec::parse(&lookup, KeyUse::Sign)?, sdk).await
    }

    /// [`ConfigLoader::from_env`] for a verifier (the authorizer): with
    /// `SIGNING_KEYS_PUBLIC_PARAM` set, the keys are that parameter's public JWK set, refused if
    /// it holds any private member, and no other key source is read.
    pub async fn verifier_from_env() -> Result<Self, ConfigError> {
        Self::verifier_from_lookup(|name| std::env::var(name).ok(), None).await
    }

    /// [`ConfigLoader::verifier_from_env`] through `lookup`, as [`ConfigLoader::from_lookup`].
    pub async fn verifier_from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        sdk: Option<SdkConfig>,
    ) -> Result<Self, ConfigError> {
        Self::load(Spec::parse(&lookup, KeyUse::Verify)?, sdk).await
    }

    async fn load(spec: Spec, sdk: Option<SdkConfig>) -> Result<Self, ConfigError> {
        let names = spec.remote_names();
        let (params, values) = if names.is_empty() {
            (None, HashMap::new())
        } else {
            let sdk = match sdk {
                Some(sdk) => sdk,
                None => sdk_config().await,
            };
            let cache = RemoteCache::new(&sdk, spec.cache_ttl);
            let values = cache.get_many(&names).await?;
            (Some(cache), values)
        };
        let config = spec.build(&values)?;
        Ok(Self {
            spec,
            params,
            current: Mutex::new(Arc::new(config)),
        })
    }

    /// The configuration as last loaded.
    pub fn config(&self) -> Arc<Config> {
        Arc::clone(
            &self
                .current
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// The configuration, re-reading SSM values older than the cache TTL. A failed refresh keeps
    /// the last good configuration (and logs a warning): a blip in SSM must not stop sign-ins.
    pub async fn current(&self) -> Arc<Config> {
        let Some(cache) = &self.params else {
            return self.config();
        };
        let names = self.spec.remote_names();
        if !cache.is_stale(&names) {
            return self.config();
        }
        match cache
            .get_many(&names)
            .await
            .and_then(|values| self.spec.build(&values))
        {
            Ok(config) => {
                let config = Arc::new(config);
                *self
                    .current
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::clone(&config);
                config
            }
            Err(err) => {
                tracing::warn!(error = %err, "configuration refresh failed; keeping the last one");
                self.config()
            }
        }
    }
}

fn invalid(name: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        reason: reason.to_owned(),
    }
}

fn parse_secret(name: &str, value: String) -> Result<Secret, ConfigError> {
    let actual = value.len();
    Secret::new(value).map_err(|err| match err {
        auth_core::KeyError::TooShort { required, .. } => ConfigError::SecretTooShort {
            source_name: name.to_owned(),
            actual,
            required,
        },
        other => ConfigError::KeySet {
            source_name: name.to_owned(),
            reason: other.to_string(),
        },
    })
}

fn parse_keys(name: &str, json: &str) -> Result<KeySet, ConfigError> {
    KeySet::from_json(json).map_err(|err| ConfigError::KeySet {
        source_name: name.to_owned(),
        reason: err.to_string(),
    })
}

fn comma_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_lockout(get: &dyn Fn(&str) -> Option<String>) -> Result<LockoutPolicy, ConfigError> {
    let defaults = LockoutPolicy::default();
    let response = match get("LOCKOUT_RESPONSE").as_deref().map(str::trim) {
        None | Some("429") => LockoutResponse::TooManyRequests,
        Some(v) if v.eq_ignore_ascii_case("too_many_requests") => LockoutResponse::TooManyRequests,
        Some(v) if v.eq_ignore_ascii_case("invalid_grant") => LockoutResponse::InvalidGrant,
        Some(_) => {
            return Err(invalid(
                "LOCKOUT_RESPONSE",
                "must be `too_many_requests` (429) or `invalid_grant`",
            ));
        }
    };
    let policy = LockoutPolicy {
        account_threshold: parse_secs(
            "LOCKOUT_THRESHOLD",
            get("LOCKOUT_THRESHOLD"),
            defaults.account_threshold,
            0..=1000,
        )?,
        ip_threshold: parse_secs(
            "LOCKOUT_IP_THRESHOLD",
            get("LOCKOUT_IP_THRESHOLD"),
            defaults.ip_threshold,
            0..=100_000,
        )?,
        base_secs: parse_secs(
            "LOCKOUT_BASE_SECONDS",
            get("LOCKOUT_BASE_SECONDS"),
            defaults.base_secs,
            1..=3600,
        )?,
        max_secs: parse_secs(
            "LOCKOUT_MAX_SECONDS",
            get("LOCKOUT_MAX_SECONDS"),
            defaults.max_secs,
            1..=86_400,
        )?,
        window_secs: parse_secs(
            "LOCKOUT_WINDOW_SECONDS",
            get("LOCKOUT_WINDOW_SECONDS"),
            defaults.window_secs,
            1..=604_800,
        )?,
        response,
    };
    if policy.max_secs < policy.base_secs {
        return Err(invalid(
            "LOCKOUT_MAX_SECONDS",
            "must be at least LOCKOUT_BASE_SECONDS",
        ));
    }
    // A counter forgotten before its lock ends would start again at one after every lock: the
    // locks would never grow and each cycle would grant `threshold` fresh guesses.
    if policy.window_secs < policy.max_secs {
        return Err(invalid(
            "LOCKOUT_WINDOW_SECONDS",
            "must be at least LOCKOUT_MAX_SECONDS",
        ));
    }
    Ok(policy)
}

fn parse_register(get: &dyn Fn(&str) -> Option<String>) -> Result<ThrottlePolicy, ConfigError> {
    let defaults = ThrottlePolicy::default();
    let limit = match get("REGISTER_IP_LIMIT") {
        None => defaults.limit,
        Some(value) => value
            .trim()
            .parse()
            .ok()
            .filter(|limit| *limit <= 1_000_000)
            .ok_or_else(|| {
                invalid(
                    "REGISTER_IP_LIMIT",
                    "must be a whole number of registrations from 0 (no limit) to 1000000",
                )
            })?,
    };
    Ok(ThrottlePolicy {
        limit,
        window_secs: parse_secs(
            "REGISTER_WINDOW_SECONDS",
            get("REGISTER_WINDOW_SECONDS"),
            defaults.window_secs,
            1..=604_800,
        )?,
    })
}

fn parse_secs(
    name: &str,
    value: Option<String>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    let secs: u64 = value
        .trim()
        .parse()
        .map_err(|_| invalid(name, "must be a whole number of seconds"))?;
    if !range.contains(&secs) {
        return Err(invalid(
            name,
            &format!(
                "must be between {} and {} seconds",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(secs)
}

fn parse_cors(value: Option<String>) -> Result<CorsConfig, ConfigError> {
    let Some(value) = value else {
        return Ok(CorsConfig {
            allowed: AllowedOrigins::Any,
        });
    };
    let origins: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    if origins.iter().any(|o| o == "*") {
        return Ok(CorsConfig {
            allowed: AllowedOrigins::Any,
        });
    }
    for origin in &origins {
        let scheme_ok = origin.starts_with("https://") || origin.starts_with("http://");
        if !scheme_ok || origin.ends_with('/') || origin.contains(char::is_whitespace) {
            return Err(invalid(
                "CORS_ALLOWED_ORIGINS",
                "each entry must be `*` or an origin like https://app.example.com",
            ));
        }
    }
    Ok(CorsConfig {
        allowed: AllowedOrigins::List(origins),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "config-test-secret-0123456789abcdef";

    /// The spec of `vars`, with a URL issuer (whose origin is the audience) unless they say
    /// otherwise.
    fn spec(vars: &[(&str, &str)]) -> Result<Spec, ConfigError> {
        let mut map = HashMap::from([(
            "TOKEN_ISSUER".to_owned(),
            "https://auth.example.com/dev".to_owned(),
        )]);
        map.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        Spec::from_lookup(&|key| map.get(key).cloned())
    }

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        spec(vars)?.build(&HashMap::new())
    }

    #[test]
    fn the_audience_defaults_to_the_origin_of_the_issuer() {
        let config = config(&[("JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(config.tokens.issuer, "https://auth.example.com/dev");
        assert_eq!(config.tokens.audience, "https://auth.example.com");
    }

    #[test]
    fn an_issuer_without_a_path_needs_an_audience() {
        for issuer in ["lambda-api", "https://auth.example.com"] {
            let err = spec(&[("JWT_SECRET", SECRET), ("TOKEN_ISSUER", issuer)])
                .err()
                .unwrap();
            assert!(
                matches!(&err, ConfigError::Invalid { name, .. } if name == "TOKEN_AUDIENCE"),
                "{err}"
            );
        }
        let config = config(&[
            ("JWT_SECRET", SECRET),
            ("TOKEN_ISSUER", "lambda-api"),
            ("TOKEN_AUDIENCE", "orders"),
        ])
        .unwrap();
        assert_eq!(config.tokens.issuer, "lambda-api");
        assert_eq!(config.tokens.audience, "orders");
    }

    #[test]
    fn an_audience_equal_to_the_issuer_is_refused() {
        for audience in [
            "https://auth.example.com/dev",
            "https://auth.example.com/dev/",
        ] {
            let err = spec(&[("JWT_SECRET", SECRET), ("TOKEN_AUDIENCE", audience)])
                .err()
                .unwrap();
            assert!(
                matches!(&err, ConfigError::Invalid { name, .. } if name == "TOKEN_AUDIENCE"),
                "{err}"
            );
        }
    }

    #[test]
    fn issuer_and_audience_can_come_from_ssm() {
        let spec = Spec::from_lookup(&|key| match key {
            "JWT_SECRET" => Some(SECRET.to_owned()),
            "TOKEN_ISSUER_PARAM" => Some("/app/auth/issuer".to_owned()),
            "TOKEN_AUDIENCE_PARAM" => Some("/app/auth/audience".to_owned()),
            _ => None,
        })
        .unwrap();
        let names = spec.remote_names();
        assert!(names.contains(&Remote::Param("/app/auth/issuer".into())));
        assert!(names.contains(&Remote::Param("/app/auth/audience".into())));
        let values = HashMap::from([
            (
                Remote::Param("/app/auth/issuer".into()),
                "https://abc.execute-api.us-east-1.amazonaws.com/prod".to_owned(),
            ),
            (
                Remote::Param("/app/auth/audience".into()),
                "https://abc.execute-api.us-east-1.amazonaws.com/prod".to_owned(),
            ),
        ]);
        let err = spec.build(&values).err().unwrap();
        assert!(
            matches!(&err, ConfigError::Invalid { name, .. } if name == "/app/auth/audience"),
            "{err}"
        );
        let mut values = values;
        values.insert(
            Remote::Param("/app/auth/audience".into()),
            "https://abc.execute-api.us-east-1.amazonaws.com".to_owned(),
        );
        let config = spec.build(&values).unwrap();
        assert_eq!(
            config.tokens.issuer,
            "https://abc.execute-api.us-east-1.amazonaws.com/prod"
        );
    }

    #[test]
    fn requested_resources_come_from_the_allow_list() {
        let config = config(&[
            ("JWT_SECRET", SECRET),
            ("TOKEN_RESOURCES", "https://orders.example.com, urn:billing"),
        ])
        .unwrap();
        assert_eq!(config.audience_for(None), Some("https://auth.example.com"));
        assert_eq!(
            config.audience_for(Some("https://auth.example.com")),
            Some("https://auth.example.com")
        );
        assert_eq!(
            config.audience_for(Some("urn:billing")),
            Some("urn:billing")
        );
        assert_eq!(config.audience_for(Some("https://evil.example")), None);
        assert!(spec(&[("JWT_SECRET", SECRET), ("TOKEN_RESOURCES", "orders")]).is_err());
        assert!(
            spec(&[
                ("JWT_SECRET", SECRET),
                ("TOKEN_RESOURCES", "https://a.example/#x")
            ])
            .is_err()
        );
    }

    #[test]
    fn defaults_apply() {
        let spec = spec(&[("JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(spec.tokens, TokenSettings::default());
        assert_eq!(spec.cors.allowed, AllowedOrigins::Any);
        assert_eq!(spec.authorizer_response, ResponseMode::Simple);
        assert_eq!(spec.cache_ttl, Duration::from_secs(300));
        assert!(spec.remote_names().is_empty());
    }

    #[test]
    fn short_secret_names_the_variable() {
        let err = spec(&[("JWT_SECRET", "too-short")]).err().unwrap();
        assert!(matches!(
            err,
            ConfigError::SecretTooShort {
                actual: 9,
                required: 32,
                ..
            }
        ));
        assert!(err.to_string().starts_with("JWT_SECRET is 9 bytes"));
    }

    #[test]
    fn missing_secret_is_an_error() {
        assert!(matches!(spec(&[]).err().unwrap(), ConfigError::NoSecret));
    }

    #[test]
    fn parameters_are_named_when_no_inline_secret() {
        let spec = spec(&[
            ("JWT_SECRET_PARAM", "/app/dev/auth/secret"),
            ("ACCESS_TOKEN_TTL_PARAM", "/app/dev/auth/token/time"),
        ])
        .unwrap();
        assert_eq!(
            spec.remote_names(),
            [
                Remote::Param("/app/dev/auth/secret".into()),
                Remote::Param("/app/dev/auth/token/time".into())
            ]
        );
    }

    #[test]
    fn ssm_ttl_overrides_the_environment() {
        let spec = spec(&[
            ("JWT_SECRET", SECRET),
            ("ACCESS_TOKEN_TTL", "100"),
            ("ACCESS_TOKEN_TTL_PARAM", "/p"),
        ])
        .unwrap();
        let params = HashMap::from([(Remote::Param("/p".to_owned()), "900".to_owned())]);
        assert_eq!(spec.build(&params).unwrap().tokens.access_ttl_secs, 900);
    }

    #[test]
    fn bad_numbers_name_the_variable() {
        for (name, value) in [
            ("ACCESS_TOKEN_TTL", "soon"),
            ("ACCESS_TOKEN_TTL", "0"),
            ("REFRESH_TOKEN_TTL", "-5"),
            ("TOKEN_LEEWAY", "61"),
        ] {
            let err = spec(&[("JWT_SECRET", SECRET), (name, value)])
                .err()
                .unwrap();
            assert!(
                matches!(&err, ConfigError::Invalid { name: n, .. } if n == name),
                "{name}"
            );
        }
    }

    #[test]
    fn registrations_are_limited_per_address_by_default_and_zero_turns_it_off() {
        let parsed = spec(&[("JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(
            (parsed.register.limit, parsed.register.window_secs),
            (10, 3_600)
        );
        let parsed = spec(&[
            ("JWT_SECRET", SECRET),
            ("REGISTER_IP_LIMIT", "0"),
            ("REGISTER_WINDOW_SECONDS", "60"),
        ])
        .unwrap();
        assert!(!parsed.register.is_enabled());
        assert_eq!(parsed.register.window_secs, 60);
        for (name, value) in [
            ("REGISTER_IP_LIMIT", "-1"),
            ("REGISTER_IP_LIMIT", "ten"),
            ("REGISTER_WINDOW_SECONDS", "0"),
        ] {
            let err = spec(&[("JWT_SECRET", SECRET), (name, value)])
                .err()
                .unwrap();
            assert!(
                matches!(&err, ConfigError::Invalid { name: n, .. } if n == name),
                "{name}={value}: {err}"
            );
        }
    }

    #[test]
    fn a_lockout_window_shorter_than_the_longest_lock_is_refused() {
        let err = spec(&[
            ("JWT_SECRET", SECRET),
            ("LOCKOUT_MAX_SECONDS", "900"),
            ("LOCKOUT_WINDOW_SECONDS", "600"),
        ])
        .err()
        .unwrap();
        assert!(matches!(
            &err,
            ConfigError::Invalid { name, .. } if name == "LOCKOUT_WINDOW_SECONDS"
        ));
        let spec = spec(&[("JWT_SECRET", SECRET), ("LOCKOUT_MAX_SECONDS", "900")]).unwrap();
        assert_eq!(spec.lockout.window_secs, 86_400);
    }

    #[test]
    fn response_mode_and_audience_parse() {
        let config = config(&[
            ("JWT_SECRET", SECRET),
            ("AUTHORIZER_RESPONSE", "IAM"),
            ("TOKEN_AUDIENCE", "orders"),
            ("TOKEN_ISSUER", "https://auth.example.com"),
        ])
        .unwrap();
        assert_eq!(config.authorizer_response, ResponseMode::Iam);
        assert_eq!(config.tokens.audience, "orders");
        assert_eq!(config.tokens.issuer, "https://auth.example.com");
    }

    #[test]
    fn authorizer_settings_parse() {
        let spec = spec(&[
            ("JWT_SECRET", SECRET),
            ("TOKEN_SOURCES", "query:token,header:authorization"),
            (
                "ROUTE_RULES",
                r#"{"rules": [{"route": "$connect", "any_of": ["chat"]}]}"#,
            ),
            ("CONTEXT_CLAIMS", "email, groups"),
            ("USAGE_IDENTIFIER_CLAIM", "api_key"),
        ])
        .unwrap();
        assert_eq!(
            spec.token_sources,
            vec![
                TokenSource::Query("token".into()),
                TokenSource::Authorization
            ]
        );
        assert_eq!(spec.context_claims, vec!["email", "groups"]);
        assert_eq!(spec.usage_identifier_claim.as_deref(), Some("api_key"));
        assert!(matches!(spec.rules, RulesSource::Inline(_)));
        assert!(spec_err("ROUTE_RULES", "{not json"));
        assert!(spec_err("TOKEN_SOURCES", "body:token"));
    }

    #[test]
    fn route_rules_can_come_from_ssm() {
        let spec = spec(&[("JWT_SECRET", SECRET), ("ROUTE_RULES_PARAM", "/app/rules")]).unwrap();
        let rules = Remote::Param("/app/rules".into());
        assert_eq!(spec.remote_names(), std::slice::from_ref(&rules));
        let params = HashMap::from([(rules.clone(), r#"{"rules": []}"#.to_owned())]);
        assert!(spec.build(&params).is_ok());
        let params = HashMap::from([(rules, "nope".to_owned())]);
        assert!(
            matches!(spec.build(&params), Err(ConfigError::Invalid { name, .. }) if name == "/app/rules")
        );
    }

    #[test]
    fn cors_list_is_parsed_and_matched() {
        let spec = spec(&[
            ("JWT_SECRET", SECRET),
            (
                "CORS_ALLOWED_ORIGINS",
                "https://a.example.com, https://b.example.com",
            ),
        ])
        .unwrap();
        let cors = spec.cors;
        assert_eq!(
            cors.allow_origin(Some("https://b.example.com")),
            (Some("https://b.example.com".to_owned()), true)
        );
        assert_eq!(
            cors.allow_origin(Some("https://evil.example.com")),
            (None, true)
        );
        assert!(spec_err("CORS_ALLOWED_ORIGINS", "a.example.com"));
    }

    fn spec_err(name: &str, value: &str) -> bool {
        spec(&[("JWT_SECRET", SECRET), (name, value)]).is_err()
    }
}
