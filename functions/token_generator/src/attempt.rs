//! Who is making an attempt, from where, and when: what sign-in and registration attempts are
//! counted against.

use auth_aws::LockKey;
use lambda_http::Request;
use lambda_http::RequestExt as _;
use lambda_http::request::RequestContext;

/// Who is trying, from where, when: what attempts are counted against.
pub struct Attempt {
    pub now: u64,
    /// The caller's address as API Gateway saw it (absent on direct invocations).
    pub ip: Option<String>,
}

impl Attempt {
    pub fn of(request: &Request) -> Self {
        let ip = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.clone(),
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            _ => None,
        };
        Self {
            now: now(),
            ip: ip.filter(|ip| !ip.is_empty() && ip.len() <= 64),
        }
    }

    /// The counters of a sign-in: the source address first (a locked address then never
    /// touches the account's counter), then the account.
    pub fn keys<'a>(&'a self, account: Option<&'a str>) -> Vec<LockKey<'a>> {
        self.ip
            .as_deref()
            .map(LockKey::Ip)
            .into_iter()
            .chain(account.map(LockKey::Account))
            .collect()
    }
}

/// The time now, epoch seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
