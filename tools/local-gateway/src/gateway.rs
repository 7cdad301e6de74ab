//! One request through the gateway, in API Gateway's order: route, identity source, cached or
//! fresh authorizer answer, IAM evaluation of its policy against the method ARN, then the
//! integration; one log line per request says what happened and how long it took.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::api::{Api, Authorizer, AuthorizerKind, IdentitySource, Integration};
use crate::cache::{CacheKey, PolicyCache};
use crate::cfn::Identity;
use crate::events::{RequestInfo, Target, method_arn, proxy_event, request_event, token_event};
use crate::invoke::{Invocation, Invoker};
use crate::mapping::TemplateContext;
use crate::mock;
use crate::policy::{Answer, Verdict};
use crate::responses::{Failure, Reply, gateway_response, proxy_response};

/// The gateway: the API, the invoker and the authorizer cache.
pub struct Gateway<I> {
    api: Api,
    identity: Identity,
    invoker: I,
    cache: PolicyCache,
    boot: u64,
    next_id: AtomicU64,
}

/// Whether the authorizer ran for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum AuthorizerUse {
    /// The method has no authorizer.
    #[default]
    None,
    /// Invoked for this request.
    Called,
    /// A cached answer was used.
    Cached,
    /// Not invoked: the identity source was missing or failed validation.
    Skipped,
}

impl fmt::Display for AuthorizerUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::Called => "called",
            Self::Cached => "cached",
            Self::Skipped => "skipped",
        })
    }
}

/// What the log line reports.
#[derive(Debug, Default)]
struct Trace {
    authorizer: AuthorizerUse,
    decision: &'static str,
    auth: Option<Duration>,
    backend: Option<Duration>,
}

fn millis(d: Option<Duration>) -> String {
    d.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.1}", d.as_secs_f64() * 1000.0),
    )
}

impl<I: Invoker> Gateway<I> {
    /// A gateway for `api`, invoking functions through `invoker`.
    pub fn new(api: Api, identity: Identity, invoker: I) -> Self {
        let boot = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self {
            api,
            identity,
            invoker,
            cache: PolicyCache::default(),
            boot,
            next_id: AtomicU64::new(1),
        }
    }

    /// The API served.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// The invoker.
    pub fn invoker(&self) -> &I {
        &self.invoker
    }

    /// The authorizer cache.
    pub fn cache(&self) -> &PolicyCache {
        &self.cache
    }

    /// A fresh request id, shaped like API Gateway's.
    pub fn request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("{:08x}-0000-4000-8000-{n:012x}", self.boot & 0xffff_ffff)
    }

    /// `/dev/me` -> `/me`: the deployed URL's stage segment is accepted too.
    fn strip_stage(&self, path: &str) -> String {
        let stage = format!("/{}", self.api.stage);
        match path.strip_prefix(&stage) {
            Some("") => "/".to_owned(),
            Some(rest) if rest.starts_with('/') => rest.to_owned(),
            _ => path.to_owned(),
        }
    }

    /// Answers one request and logs it.
    pub async fn handle(&self, mut request: RequestInfo) -> Reply {
        let started = Instant::now();
        request.path = self.strip_stage(&request.path);
        let mut trace = Trace {
            decision: "-",
            ..Trace::default()
        };
        let reply = self.serve(&request, &mut trace).await;
        self.finish(&request, reply, &trace, started)
    }

    /// Answers a request the server could not read (a body over the limit) and logs it.
    pub fn refuse(&self, request: &RequestInfo, failure: Failure) -> Reply {
        let started = Instant::now();
        let reply = self.fail(failure, request, None);
        let trace = Trace {
            decision: "-",
            ..Trace::default()
        };
        self.finish(request, reply, &trace, started)
    }

    fn finish(
        &self,
        request: &RequestInfo,
        mut reply: Reply,
        trace: &Trace,
        started: Instant,
    ) -> Reply {
        reply
            .headers
            .push(("x-amzn-RequestId".to_owned(), request.request_id.clone()));
        tracing::info!(
            method = %request.method,
            path = %request.path,
            status = reply.status,
            authorizer = %trace.authorizer,
            decision = %trace.decision,
            auth_ms = %millis(trace.auth),
            backend_ms = %millis(trace.backend),
            total_ms = %millis(Some(started.elapsed())),
            "request"
        );
        reply
    }

    fn fail(&self, failure: Failure, request: &RequestInfo, target: Option<&Target<'_>>) -> Reply {
        let context = TemplateContext {
            request,
            target,
            authorizer: None,
            error: None,
        };
        gateway_response(&self.api, failure, &context)
    }

    async fn serve(&self, request: &RequestInfo, trace: &mut Trace) -> Reply {
        let Ok(matched) = self.api.route(&request.method, &request.path) else {
            trace.decision = "no_route";
            return self.fail(Failure::MissingAuthenticationToken, request, None);
        };
        let target = Target {
            identity: &self.identity,
            stage: &self.api.stage,
            resource: matched.resource,
            params: &matched.params,
        };
        let mut context = None;
        if let Some(name) = &matched.method.authorizer {
            let Some(authorizer) = self.api.authorizers.get(name) else {
                trace.decision = "error";
                return self.fail(Failure::AuthorizerConfiguration, request, Some(&target));
            };
            let started = Instant::now();
            let result = self.authorize(authorizer, &target, request, trace).await;
            let elapsed = started.elapsed();
            trace.auth = Some(elapsed);
            match result {
                Ok(answer) => {
                    let mut map = answer.backend_context();
                    let latency = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
                    map.insert("integrationLatency".to_owned(), Value::from(latency));
                    context = Some(map);
                }
                Err(failure) => return self.fail(failure, request, Some(&target)),
            }
        }
        let started = Instant::now();
        let reply = self
            .integrate(&matched.method.integration, &target, request, context)
            .await;
        trace.backend = Some(started.elapsed());
        reply
    }

    async fn integrate(
        &self,
        integration: &Integration,
        target: &Target<'_>,
        request: &RequestInfo,
        authorizer: Option<Map<String, Value>>,
    ) -> Reply {
        match integration {
            Integration::Lambda { function } => {
                let event = proxy_event(target, request, authorizer);
                let outcome = self.invoker.invoke(function, event).await;
                match outcome {
                    Ok(Invocation::Response(value)) => proxy_response(&value).unwrap_or_else(|| {
                        tracing::warn!(%function, "malformed Lambda proxy response: API Gateway answers 502");
                        self.fail(Failure::Integration, request, Some(target))
                    }),
                    Ok(Invocation::Error { error_type, .. }) => {
                        tracing::warn!(%function, %error_type, "function error: API Gateway answers 502");
                        self.fail(Failure::Integration, request, Some(target))
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "backend not invoked");
                        self.fail(Failure::Integration, request, Some(target))
                    }
                }
            }
            Integration::Mock(mock) => {
                let context = TemplateContext {
                    request,
                    target: Some(target),
                    authorizer: authorizer.as_ref(),
                    error: None,
                };
                match mock::answer(mock, &context) {
                    Ok(reply) => reply,
                    Err(message) => {
                        tracing::warn!(%message, "MOCK integration failed");
                        self.fail(Failure::Internal, request, Some(target))
                    }
                }
            }
            Integration::Unsupported(kind) => {
                tracing::warn!(%kind, "integration type not emulated by the local gateway");
                self.fail(Failure::Internal, request, Some(target))
            }
        }
    }

    /// The authorizer's answer for this request, from the cache or a fresh invocation, if its
    /// policy allows the method ARN.
    async fn authorize(
        &self,
        authorizer: &Authorizer,
        target: &Target<'_>,
        request: &RequestInfo,
        trace: &mut Trace,
    ) -> Result<Arc<Answer>, Failure> {
        let arn = method_arn(target, request);
        let skipped = |trace: &mut Trace, decision| {
            trace.authorizer = AuthorizerUse::Skipped;
            trace.decision = decision;
            Failure::Unauthorized
        };
        let (identity, event) = match &authorizer.kind {
            AuthorizerKind::Token { header, validation } => {
                // API Gateway answers 401 without invoking the authorizer when the identity
                // source is missing or fails the validation expression.
                let Some(token) = request.header(header).filter(|t| !t.is_empty()) else {
                    return Err(skipped(trace, "missing_identity"));
                };
                if validation.as_ref().is_some_and(|re| !re.is_match(token)) {
                    return Err(skipped(trace, "invalid_identity"));
                }
                (vec![token.to_owned()], token_event(token, &arn))
            }
            AuthorizerKind::Request { sources } => {
                let mut values = Vec::with_capacity(sources.len());
                for source in sources {
                    let value = self.identity_value(source, target, request);
                    match value.filter(|v| !v.is_empty()) {
                        Some(value) => values.push(value),
                        // A REQUEST authorizer's identity sources are only required (and only
                        // form a cache key) when caching is on; without it the function decides.
                        None if authorizer.ttl.is_zero() => values.push(String::new()),
                        None => return Err(skipped(trace, "missing_identity")),
                    }
                }
                (values, request_event(target, request, &arn))
            }
        };
        let key = CacheKey::new(&authorizer.name, identity);
        let answer = match self.cache.get(&key, Instant::now()) {
            Some(answer) => {
                trace.authorizer = AuthorizerUse::Cached;
                answer
            }
            None => {
                trace.authorizer = AuthorizerUse::Called;
                let answer = Arc::new(self.invoke_authorizer(authorizer, event, trace).await?);
                self.cache
                    .put(key, Arc::clone(&answer), authorizer.ttl, Instant::now());
                answer
            }
        };
        match answer.evaluate(&arn) {
            Verdict::Allow => {
                trace.decision = "allow";
                Ok(answer)
            }
            Verdict::ExplicitDeny => {
                trace.decision = "deny";
                Err(Failure::AccessDenied { explicit: true })
            }
            Verdict::ImplicitDeny => {
                trace.decision = "deny";
                Err(Failure::AccessDenied { explicit: false })
            }
        }
    }

    fn identity_value(
        &self,
        source: &IdentitySource,
        target: &Target<'_>,
        request: &RequestInfo,
    ) -> Option<String> {
        match source {
            IdentitySource::Header(name) => request.header(name).map(str::to_owned),
            IdentitySource::QueryString(name) => request.query_param(name).map(str::to_owned),
            // The template declares no stage variables.
            IdentitySource::StageVariable(_) => None,
            IdentitySource::Context(name) => {
                let context = TemplateContext {
                    request,
                    target: Some(target),
                    authorizer: None,
                    error: None,
                };
                Some(context.render(&format!("$context.{name}")))
            }
        }
    }

    async fn invoke_authorizer(
        &self,
        authorizer: &Authorizer,
        event: Value,
        trace: &mut Trace,
    ) -> Result<Answer, Failure> {
        let function = &authorizer.function;
        match self.invoker.invoke(function, event).await {
            Ok(Invocation::Response(value)) => Answer::parse(&value).map_err(|message| {
                tracing::warn!(%function, %message, "authorizer answer refused: API Gateway answers 500");
                trace.decision = "error";
                Failure::AuthorizerFailure
            }),
            // API Gateway maps the error message "Unauthorized" to 401, any other error to 500.
            Ok(Invocation::Error { error_message, .. }) if error_message == "Unauthorized" => {
                trace.decision = "unauthorized";
                Err(Failure::Unauthorized)
            }
            Ok(Invocation::Error { error_type, .. }) => {
                tracing::warn!(%function, %error_type, "authorizer failed: API Gateway answers 500");
                trace.decision = "error";
                Err(Failure::AuthorizerFailure)
            }
            Err(err) => {
                tracing::warn!(error = %err, "authorizer not invoked");
                trace.decision = "error";
                Err(Failure::AuthorizerConfiguration)
            }
        }
    }
}
