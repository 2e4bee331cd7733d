//! The only stage that touches the network: polite, bounded, retrying HTTP GETs.
//!
//! It names no host: the sources hand it their hosts as [`HostPolicy`] data (which hosts serve
//! pages and documents, which serve pictures, what a block looks like on each), and only those are
//! fetched (through `fetch.base_urls` when mapped), plus a discovery source's own host for that one
//! request; each on its default port only (the extra host: or on the port of the request's own URL). Redirects are followed by hand so that each hop is checked and mapped; a host's block
//! (WeChat's anti-crawler check) is a transient failure that is retried with backoff and, if it
//! persists, ends fetching from that host for the run.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use crate::config::Fetch;

mod policy;
mod retry;
#[cfg(test)]
mod tests;
mod urls;

pub use policy::{BodyCheck, HostPolicy, HostRole};
use retry::should_retry;
pub use retry::{MAX_RETRY_AFTER, retry_after};
pub use urls::{from_origin, redact, secrets_of, to_origin};

/// How a fetch ended.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// A 200 answer with its body. `url` is the logical URL (on mp.weixin.qq.com) after redirects.
    Page {
        /// Logical URL after redirects.
        url: Url,
        /// The body (at most `max_body_bytes`).
        body: Vec<u8>,
        /// Validators to send next time.
        validators: Validators,
    },
    /// 304: unchanged since the validators were given.
    NotModified,
    /// The anti-crawler check, still there after the retries; the host is blocked for this run.
    Blocked(String),
    /// A final HTTP status (404, 403, …) after any retries.
    Status(u16),
    /// The body is larger than `max_body_bytes`.
    TooLarge(u64),
    /// The URL may not be fetched (other host, other scheme, redirect elsewhere).
    Refused(String),
    /// A transient failure that outlasted the retries (timeout, connection error, 5xx, 429).
    Failed(String),
}

/// HTTP validators for conditional requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    /// ETag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Last-Modified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// Per-host politeness: a concurrency limit and a minimum interval between request starts.
struct HostGate {
    permits: Semaphore,
    next_start: tokio::sync::Mutex<Instant>,
}

/// The HTTP client with its politeness state.
pub struct Fetcher {
    client: reqwest::Client,
    cfg: Fetch,
    hosts: Vec<HostPolicy>,
    gates: Mutex<HashMap<String, Arc<HostGate>>>,
    blocked: Mutex<HashMap<String, String>>,
    /// Per host, connection-level failures in a row (DNS, refused, TLS), and why the host was
    /// given up for the run once there were [`DOWN_AFTER`] of them.
    unreachable: Mutex<HashMap<String, (u32, Option<String>)>>,
    /// Base wait before the first retry, doubled each time (tests shorten it).
    pub retry_wait: Duration,
}

/// After this many connection-level failures in a row (DNS, refused, TLS), a host is down for the
/// run: its remaining requests are not sent (they fail as transient, to be retried next run).
pub const DOWN_AFTER: u32 = 3;

impl Fetcher {
    /// Builds the client from the fetch settings and the sources' hosts.
    pub fn new(cfg: &Fetch, hosts: Vec<HostPolicy>) -> crate::Result<Fetcher> {
        let client = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs))
            .timeout(Duration::from_secs(cfg.timeout_secs))
            .redirect(reqwest::redirect::Policy::none())
            .gzip(true)
            .brotli(true)
            .build()
            .map_err(|e| crate::Error::HttpClient { message: e.to_string() })?;
        Ok(Fetcher {
            client,
            cfg: cfg.clone(),
            hosts,
            gates: Mutex::new(HashMap::new()),
            blocked: Mutex::new(HashMap::new()),
            unreachable: Mutex::new(HashMap::new()),
            retry_wait: Duration::from_millis(cfg.retry_wait_ms),
        })
    }

    /// The logical hosts blocked by the anti-crawler check in this run, with the reason.
    pub fn blocked_hosts(&self) -> Vec<(String, String)> {
        let b = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<_> = b.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        v.sort();
        v
    }

    /// The hosts of `role`.
    fn hosts_of(&self, role: HostRole) -> Vec<&'static str> {
        self.hosts.iter().filter(|h| h.role == role).map(|h| h.host).collect()
    }

    /// The policy of `host`, if a source named it.
    fn policy(&self, host: Option<&str>) -> Option<&HostPolicy> {
        self.hosts.iter().find(|h| Some(h.host) == host)
    }

    /// The inverse of [`to_origin`] over the hosts of this fetcher.
    fn logical(&self, url: &Url) -> Url {
        let hosts: Vec<&str> = self.hosts.iter().map(|h| h.host).collect();
        from_origin(url, &self.cfg, &hosts)
    }

    /// The hosts given up this run because they could not be reached, with the last reason.
    pub fn down_hosts(&self) -> Vec<(String, String)> {
        let u = self.unreachable.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<_> = u
            .iter()
            .filter_map(|(h, (_, why))| why.as_ref().map(|w| (h.clone(), w.clone())))
            .collect();
        v.sort();
        v
    }

    /// Counts a connection-level failure of `host`; the reason it is down once it is.
    fn connection_failed(&self, host: &str, reason: &str) -> Option<String> {
        let mut u = self.unreachable.lock().unwrap_or_else(|p| p.into_inner());
        let e = u.entry(host.to_string()).or_insert((0, None));
        e.0 += 1;
        if e.0 >= DOWN_AFTER && e.1.is_none() {
            e.1 = Some(reason.to_string());
        }
        e.1.clone()
    }

    /// Whether `host` is down this run, and why.
    fn is_down(&self, host: &str) -> Option<String> {
        let u = self.unreachable.lock().unwrap_or_else(|p| p.into_inner());
        u.get(host).and_then(|(_, why)| why.clone())
    }

    /// `host` answered: its count of failures in a row starts again.
    fn answered(&self, host: &str) {
        let mut u = self.unreachable.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = u.get_mut(host)
            && e.1.is_none()
        {
            e.0 = 0;
        }
    }

    fn gate(&self, host: &str) -> Arc<HostGate> {
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        gates
            .entry(host.to_string())
            .or_insert_with(|| {
                Arc::new(HostGate {
                    permits: Semaphore::new(self.cfg.concurrency_for(host)),
                    next_start: tokio::sync::Mutex::new(Instant::now()),
                })
            })
            .clone()
    }

    /// Fetches a page or other URL on a host of pages.
    pub async fn get(&self, url: &Url, validators: Option<&Validators>) -> Fetched {
        self.get_allowing(url, validators, None).await
    }

    /// Fetches `url`, allowing `extra_host` (a discovery source's own host) for this request only:
    /// on its default port, or, when `url` is on it with an explicit port, on exactly `url`'s
    /// origin; redirects to another port of it are refused.
    pub async fn get_allowing(&self, url: &Url, validators: Option<&Validators>, extra_host: Option<&str>) -> Fetched {
        self.fetch(url, validators, extra_host, self.cfg.max_body_bytes).await
    }

    /// Fetches a picture from a host of pictures only (WeChat's mmbiz.qpic.cn), up to
    /// `max_bytes` (larger ones come back as [`Fetched::TooLarge`]).
    pub async fn get_image(&self, url: &Url, max_bytes: u64) -> Fetched {
        let hosts = self.hosts_of(HostRole::Pictures);
        let host = url.host_str().filter(|h| hosts.contains(h));
        if !matches!(url.scheme(), "http" | "https") || host.is_none() || url.port().is_some() {
            return Fetched::Refused(format!(
                "{url} is not on {}; pictures are fetched only from there",
                hosts.join(" or ")
            ));
        }
        self.fetch(url, None, host, max_bytes).await
    }

    /// Fetches a document that may be larger than a page (a PDF), up to `max_bytes`.
    pub async fn get_large(&self, url: &Url, max_bytes: u64) -> Fetched {
        self.fetch(url, None, None, max_bytes).await
    }

    async fn fetch(&self, url: &Url, validators: Option<&Validators>, extra_host: Option<&str>, max: u64) -> Fetched {
        let pages = self.hosts_of(HostRole::Pages);
        let extra = extra_host.map(|host| ExtraOrigin::of(host, url));
        let allowed = |u: &Url| {
            let on_pages = u.host_str().is_some_and(|h| pages.contains(&h) && u.port().is_none());
            matches!(u.scheme(), "http" | "https") && (on_pages || extra.as_ref().is_some_and(|e| e.allows(u)))
        };
        if !allowed(url) {
            return Fetched::Refused(format!(
                "{url} is not on {}; other hosts are never fetched",
                pages.join(" or ")
            ));
        }
        let host = url.host_str().unwrap_or_default().to_string();
        if let Some(reason) = self.blocked.lock().unwrap_or_else(|p| p.into_inner()).get(&host) {
            return Fetched::Blocked(format!("not requested: {host} blocked this run earlier ({reason})"));
        }
        if let Some(reason) = self.is_down(&host) {
            return Fetched::Failed(format!(
                "not requested: {host} could not be reached earlier this run ({reason})"
            ));
        }
        let attempts = self.cfg.retries_for(&host) + 1;
        let mut last = String::new();
        // The wait the server asked for (Retry-After), which replaces the backoff once.
        let mut asked: Option<Duration> = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                let wait = asked.take().unwrap_or_else(|| self.backoff(attempt));
                tokio::time::sleep(wait).await;
            }
            match self.once(url, validators, &allowed, max).await {
                Attempt::Done(f) => {
                    self.answered(&host);
                    return f;
                }
                Attempt::Unreachable(reason) => {
                    if self.connection_failed(&host, &reason).is_some() {
                        return Fetched::Failed(format!("{reason} ({host} is given up for this run)"));
                    }
                    last = reason;
                }
                Attempt::Retry { reason, wait } => {
                    self.answered(&host);
                    last = reason;
                    asked = wait;
                }
                Attempt::Captcha(reason) => {
                    last = reason;
                    if attempt + 1 == attempts {
                        self.blocked
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(host.clone(), last.clone());
                        return Fetched::Blocked(last);
                    }
                }
            }
        }
        Fetched::Failed(format!("{last} (after {attempts} attempts)"))
    }

    /// Exponential backoff with jitter: `retry_wait * 2^(attempt-1)` plus up to half of it.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.retry_wait.saturating_mul(1 << (attempt - 1).min(6));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let jitter = base.mul_f64(f64::from(nanos % 1000) / 2000.0);
        base + jitter
    }

    async fn once(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        allowed: &(dyn Fn(&Url) -> bool + Sync),
        max: u64,
    ) -> Attempt {
        let mut current = url.clone();
        for _hop in 0..6 {
            let target = to_origin(&current, &self.cfg);
            let gate = self.gate(current.host_str().unwrap_or_default());
            let _permit = match gate.permits.acquire().await {
                Ok(p) => p,
                Err(_) => return Attempt::Done(Fetched::Failed("the request gate closed".into())),
            };
            {
                let mut next = gate.next_start.lock().await;
                let now = Instant::now();
                if *next > now {
                    tokio::time::sleep_until(*next).await;
                }
                *next =
                    Instant::now() + Duration::from_millis(self.cfg.delay_for(current.host_str().unwrap_or_default()));
            }
            let mut req = self.client.get(target.clone());
            if let Some(v) = validators.filter(|_| current == *url) {
                if let Some(e) = &v.etag {
                    req = req.header(reqwest::header::IF_NONE_MATCH, e);
                }
                if let Some(m) = &v.last_modified {
                    req = req.header(reqwest::header::IF_MODIFIED_SINCE, m);
                }
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    if e.is_connect() {
                        return Attempt::Unreachable(format!("could not connect: {}", error_chain(&e)));
                    }
                    let kind = if e.is_timeout() { "timed out" } else { "request failed" };
                    return Attempt::Retry {
                        reason: format!("{kind}: {}", error_chain(&e)),
                        wait: None,
                    };
                }
            };
            let status = resp.status().as_u16();
            if (300..400).contains(&status) && status != 304 {
                let Some(loc) = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                else {
                    return Attempt::Done(Fetched::Status(status));
                };
                let Ok(next) = target.join(loc) else {
                    return Attempt::Done(Fetched::Refused(format!("redirect to an invalid URL '{loc}'")));
                };
                let logical = self.logical(&next);
                let block_url = self.policy(logical.host_str()).and_then(|p| p.block_url);
                if block_url.is_some_and(|is_block| is_block(&logical)) {
                    return Attempt::Captcha(format!("redirected to the anti-crawler check ({})", logical.path()));
                }
                if !allowed(&logical) {
                    return Attempt::Done(Fetched::Refused(format!(
                        "redirect to {logical} leaves the allowed hosts; not followed"
                    )));
                }
                current = logical;
                continue;
            }
            if status == 304 {
                return Attempt::Done(Fetched::NotModified);
            }
            if should_retry(status) {
                let wait = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry_after(v, chrono::Utc::now()));
                return Attempt::Retry {
                    reason: format!("HTTP {status}"),
                    wait,
                };
            }
            if status != 200 {
                return Attempt::Done(Fetched::Status(status));
            }
            if resp.content_length().is_some_and(|l| l > max) {
                return Attempt::Done(Fetched::TooLarge(max));
            }
            let header = |h: reqwest::header::HeaderName| {
                resp.headers().get(h).and_then(|v| v.to_str().ok()).map(str::to_string)
            };
            let new_validators = Validators {
                etag: header(reqwest::header::ETAG),
                last_modified: header(reqwest::header::LAST_MODIFIED),
            };
            let mut resp = resp;
            let mut body = Vec::new();
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        if body.len() as u64 + chunk.len() as u64 > max {
                            return Attempt::Done(Fetched::TooLarge(max));
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        return Attempt::Retry {
                            reason: format!("reading the body failed: {}", error_chain(&e)),
                            wait: None,
                        };
                    }
                }
            }
            if let Some((is_block, what)) = self.policy(current.host_str()).and_then(|p| p.block_body)
                && is_block(&body)
            {
                return Attempt::Captcha(what.to_string());
            }
            return Attempt::Done(Fetched::Page {
                url: current,
                body,
                validators: new_validators,
            });
        }
        Attempt::Done(Fetched::Refused("more than 5 redirects".to_string()))
    }
}

/// The one origin a request may reach besides the hosts of pages (a discovery feed's own host,
/// the picture host): its host on its default port, or, when the request's own URL is on that
/// host with an explicit port, exactly that URL's origin (scheme, host and port). The port rule
/// holds for the first URL and for every redirect hop, on the logical URL (before `base_urls`).
struct ExtraOrigin<'a> {
    /// The host allowed for this request.
    host: &'a str,
    /// The origin of the request's URL when it names `host` with an explicit port.
    explicit: Option<url::Origin>,
}

impl<'a> ExtraOrigin<'a> {
    /// The origin `host` stands for in a request for `first`.
    fn of(host: &'a str, first: &Url) -> ExtraOrigin<'a> {
        let explicit = (first.host_str() == Some(host) && first.port().is_some()).then(|| first.origin());
        ExtraOrigin { host, explicit }
    }

    /// Whether `u` is on this origin.
    fn allows(&self, u: &Url) -> bool {
        if u.host_str() != Some(self.host) {
            return false;
        }
        match &self.explicit {
            Some(origin) => u.origin() == *origin,
            None => u.port().is_none(),
        }
    }
}

enum Attempt {
    Done(Fetched),
    /// No connection (DNS, refused, TLS, connect timeout): counts towards the host being down.
    Unreachable(String),
    Retry {
        reason: String,
        wait: Option<Duration>,
    },
    Captcha(String),
}

/// An error with its sources, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}
