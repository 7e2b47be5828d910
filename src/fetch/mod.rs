//! The only network I/O. [`Fetcher`] GETs a URL within the configured bounds (connect,
//! idle-read and total timeouts, a byte cap enforced while streaming and after
//! decompression, a redirect limit, global and per-host concurrency with a delay), retries
//! transient failures, and hands back bytes and headers. Redirects are followed here, hop
//! by hop, so the guard sees every hop. Feed fetches use the operator's URLs as given;
//! article fetches come from untrusted feeds and go through the SSRF guard and robots.txt.
//! A proxy is used only when configured. It knows nothing of feeds or HTML.

mod error;
pub mod guard;
mod gzip;
mod limits;
mod response;
mod robots;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderValue};
use reqwest::{redirect, StatusCode};
use tokio::sync::OnceCell;
use url::Url;

use crate::config::HttpConfig;
pub(crate) use error::error_chain;
pub use error::FetchError;
pub use guard::Guard;
use limits::{HostState, Limits, PauseOutcome};
pub use response::parse_retry_after;
use response::{charset_of, header_str, read_capped, read_prefix, validators_of};
pub use robots::{Robots, MAX_LINE_BYTES as ROBOTS_MAX_LINE_BYTES};

/// Longest pause between two attempts at one URL within a pass.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// First pause after a transient failure; doubled for each further attempt.
const FIRST_RETRY_WAIT: Duration = Duration::from_millis(500);
/// robots.txt is small; a bigger one is read up to here (RFC 9309 asks parsers to read
/// at least 500 KiB).
const ROBOTS_MAX_BYTES: u64 = 512 * 1024;

/// Validators from an earlier response, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A response read in full (within the cap).
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Where the body came from, after redirects.
    pub final_url: String,
    pub status: u16,
    /// 304: the body is empty and the caller's copy is current.
    pub not_modified: bool,
    pub content_type: Option<String>,
    pub charset: Option<String>,
    pub validators: Validators,
    pub body: Vec<u8>,
}

/// The outcome of an article fetch that was allowed to happen or not.
#[derive(Debug)]
pub enum ArticleFetch {
    Fetched(Fetched),
    /// robots.txt disallows the page for our user agent.
    DisallowedByRobots,
}

type RobotsVerdict = Result<Arc<Robots>, String>;

pub struct Fetcher {
    feed_client: reqwest::Client,
    article_client: reqwest::Client,
    guard: Arc<Guard>,
    limits: Limits,
    config: HttpConfig,
    /// robots.txt per `scheme://host:port`, fetched once per pass (one `Fetcher` per
    /// pass): its rules, or why it is unavailable.
    robots: std::sync::Mutex<HashMap<String, Arc<OnceCell<RobotsVerdict>>>>,
}

impl Fetcher {
    pub fn new(config: &HttpConfig) -> Result<Fetcher, FetchError> {
        // reqwest is built without a bundled crypto provider; ring needs only a C compiler.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let guard = Arc::new(Guard::new(config.allow_private_addresses.clone()));
        let build_error = |e: reqwest::Error| FetchError::Setup {
            message: format!("cannot build the HTTP client: {}", error_chain(&e)),
        };
        let feed_client = fetcher_client(config)?.build().map_err(build_error)?;
        let mut article_client = fetcher_client(config)?;
        // Without a proxy we connect to the target ourselves, and the guarded resolver sees
        // the very addresses connected to. With one, the proxy connects (and may itself be
        // on a private address): the target is checked by `check_destination` instead.
        if config.proxy.is_none() {
            article_client = article_client.dns_resolver(guard.resolver());
        }
        let article_client = article_client.build().map_err(build_error)?;
        Ok(Fetcher {
            feed_client,
            article_client,
            guard,
            limits: Limits::new(
                config.concurrency,
                config.per_host_concurrency,
                config.per_host_delay,
                config.host_pause_max,
            ),
            config: config.clone(),
            robots: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// Fetches a feed the operator configured, conditionally when validators are known.
    pub async fn fetch_feed(
        &self,
        url: &str,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let parsed = parse_http_url(url)?;
        self.get_with_retries(
            Target::Feed,
            &parsed,
            validators,
            self.config.max_body_bytes,
        )
        .await
    }

    /// Fetches an article page named by a feed: guard, then robots.txt, then the page.
    pub async fn fetch_article(&self, url: &str) -> Result<ArticleFetch, FetchError> {
        let parsed = parse_http_url(url)?;
        self.check_destination(&parsed, url, false).await?;
        // Before robots.txt: a host given up for the pass is not asked for it either.
        let server = server_of(&parsed);
        if self.limits.state(&server) == HostState::GivenUp {
            return Err(FetchError::HostPaused {
                url: url.to_string(),
                server,
            });
        }
        if self.config.respect_robots_txt {
            let robots =
                self.robots_for(&parsed)
                    .await
                    .map_err(|reason| FetchError::RobotsUnavailable {
                        url: url.to_string(),
                        reason,
                    })?;
            let path = match parsed.query() {
                Some(q) => format!("{}?{q}", parsed.path()),
                None => parsed.path().to_string(),
            };
            if !robots.allows(&path) {
                return Ok(ArticleFetch::DisallowedByRobots);
            }
        }
        self.get_with_retries(
            Target::Article,
            &parsed,
            &Validators::default(),
            self.config.max_body_bytes,
        )
        .await
        .map(ArticleFetch::Fetched)
    }

    /// The guard's verdict on one hop of an article fetch. `shown` is the URL the
    /// caller asked for, which the error names.
    async fn check_destination(
        &self,
        url: &Url,
        shown: &str,
        redirected: bool,
    ) -> Result<(), FetchError> {
        let verdict = if self.config.proxy.is_some() {
            self.guard.check_resolved(url).await
        } else {
            self.guard.check_url(url)
        };
        verdict.map_err(|reason| {
            let reason = if redirected {
                format!("redirect refused: {url}: {reason}")
            } else {
                reason
            };
            tracing::debug!(url = %shown, reason = %reason, "refused by the address guard");
            FetchError::Refused {
                url: shown.to_string(),
                reason,
            }
        })
    }

    /// robots.txt of the page's origin, fetched once per pass (RFC 9309): a 4xx means no
    /// rules; a 5xx, 429, timeout or unreachable host means none of the host's pages are
    /// fetched in this pass, since the site may be struggling; more than the allowed
    /// redirects is read as unavailable (allowed).
    async fn robots_for(&self, page: &Url) -> RobotsVerdict {
        let origin = page.origin().ascii_serialization();
        // One cell per origin: concurrent articles of one host wait for a single
        // robots.txt request, while other hosts go on without waiting for it.
        let cell = {
            let mut cache = self.robots.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(cache.entry(origin).or_default())
        };
        cell.get_or_init(|| self.fetch_robots(page)).await.clone()
    }

    async fn fetch_robots(&self, page: &Url) -> RobotsVerdict {
        let robots = match page.join("/robots.txt") {
            Ok(robots_url) => match self
                .get_once(
                    Target::Robots,
                    &robots_url,
                    &Validators::default(),
                    ROBOTS_MAX_BYTES,
                )
                .await
            {
                Ok(fetched) => Robots::parse_bytes(&fetched.body, &self.config.user_agent),
                Err(FetchError::Status { status, .. })
                    if (400..500).contains(&status) && status != 429 =>
                {
                    Robots::allow_all()
                }
                // RFC 9309: more than five redirects may be read as "unavailable" (4xx).
                Err(FetchError::TooManyRedirects { .. } | FetchError::InvalidUrl { .. }) => {
                    Robots::allow_all()
                }
                Err(e @ FetchError::HostPaused { .. }) => return Err(e.to_string()),
                Err(e) => {
                    tracing::warn!(url = %robots_url, error = %e, "robots.txt unavailable; the host's pages wait for a later pass");
                    return Err(e.to_string());
                }
            },
            Err(_) => Robots::allow_all(),
        };
        Ok(Arc::new(robots))
    }

    async fn get_with_retries(
        &self,
        target: Target,
        url: &Url,
        validators: &Validators,
        cap: u64,
    ) -> Result<Fetched, FetchError> {
        let mut attempt = 0;
        loop {
            match self.get_once(target, url, validators, cap).await {
                // Given up for the pass: trying again in it would only fail the same way.
                Err(e @ FetchError::HostPaused { .. }) => return Err(e),
                Err(e) if e.is_transient() && attempt < self.config.retries => {
                    let wait = match e.retry_after() {
                        // A server asking for more than we would wait within a pass gets
                        // its wish through the feed's schedule instead; so does one given
                        // up for the pass meanwhile.
                        Some(asked)
                            if asked > MAX_RETRY_WAIT
                                || self.limits.state(&server_of(url)) == HostState::GivenUp =>
                        {
                            return Err(e)
                        }
                        Some(asked) => asked,
                        None => backoff(attempt).min(MAX_RETRY_WAIT),
                    };
                    tracing::debug!(url = %url, error = %e, wait_ms = wait.as_millis() as u64, "transient failure; retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A request slot for `host`, once any pause its server asked for is over: requests
    /// queue behind a pause (at most `host_pause_max` in a pass) rather than fail. A
    /// server given up for the pass fails them at once.
    async fn slot_after_pause(
        &self,
        host: &str,
        server: &str,
        url: &str,
    ) -> Result<limits::Permit, FetchError> {
        let given_up = || FetchError::HostPaused {
            url: url.to_string(),
            server: server.to_string(),
        };
        loop {
            match self.limits.state(server) {
                HostState::GivenUp => return Err(given_up()),
                HostState::Paused(left) => tokio::time::sleep(left).await,
                HostState::Open => {}
            }
            let permit = self.limits.acquire(host).await;
            // A pause asked for while this request waited for its slot applies to it too.
            match self.limits.state(server) {
                HostState::Open => return Ok(permit),
                HostState::GivenUp => return Err(given_up()),
                HostState::Paused(_) => {}
            }
        }
    }

    /// A `Retry-After` delays what asked for it (the caller reschedules that feed or
    /// page); the whole server pauses for at most `host_pause_max` in a pass, so one
    /// header, however large, cannot silence every feed and page of a host, and a host
    /// that throttles every request cannot hold the pass for long.
    fn pause_host(&self, server: &str, url: &str, asked: Duration) {
        match self.limits.ask_pause(server, asked) {
            PauseOutcome::Started(pause) => tracing::info!(
                host = server,
                pause_secs = pause.as_secs(),
                asked_secs = asked.as_secs(),
                by = url,
                "host asked for a pause (Retry-After); its requests wait"
            ),
            PauseOutcome::GaveUp { spent } => tracing::info!(
                host = server,
                paused_secs = spent.as_secs(),
                asked_secs = asked.as_secs(),
                by = url,
                "host asked for another pause after its pauses for this pass were used up; its other requests wait for a later pass"
            ),
            PauseOutcome::Unchanged => {}
        }
    }

    /// One attempt: follows redirects hop by hop (the guard checks each hop of an article
    /// fetch), then reads the body under the cap.
    async fn get_once(
        &self,
        target: Target,
        url: &Url,
        validators: &Validators,
        cap: u64,
    ) -> Result<Fetched, FetchError> {
        let shown = url.as_str();
        let client = match target {
            Target::Feed => &self.feed_client,
            Target::Article | Target::Robots => &self.article_client,
        };
        let mut current = url.clone();
        let mut hops = 0;
        loop {
            if target != Target::Feed && hops > 0 {
                self.check_destination(&current, shown, true).await?;
            }
            let host = current.host_str().unwrap_or_default().to_string();
            let server = server_of(&current);
            let _permit = self.slot_after_pause(&host, &server, shown).await?;
            let mut request = client.get(current.clone());
            if let Some(etag) = validators
                .etag
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = validators
                .last_modified
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                request = request.header(header::IF_MODIFIED_SINCE, lm);
            }
            let mut response = request
                .send()
                .await
                .map_err(|e| FetchError::from_reqwest(shown, e))?;
            let status = response.status();
            let headers = response.headers().clone();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let next = header_str(&headers, header::LOCATION)
                    .and_then(|location| current.join(location.trim()).ok())
                    .filter(|next| matches!(next.scheme(), "http" | "https"))
                    .ok_or_else(|| FetchError::InvalidUrl {
                        url: format!("{shown} (redirect without a usable Location)"),
                    })?;
                hops += 1;
                if hops > self.config.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        url: shown.to_string(),
                        limit: self.config.max_redirects,
                    });
                }
                current = next;
                continue;
            }
            let final_url = current.to_string();
            if status == StatusCode::NOT_MODIFIED {
                return Ok(Fetched {
                    final_url,
                    status: status.as_u16(),
                    not_modified: true,
                    content_type: None,
                    charset: None,
                    validators: validators_of(&headers, validators),
                    body: Vec::new(),
                });
            }
            if !status.is_success() {
                let retry_after = header_str(&headers, header::RETRY_AFTER)
                    .and_then(|v| parse_retry_after(&v, std::time::SystemTime::now()));
                if let Some(asked) = retry_after.filter(|_| {
                    matches!(
                        status,
                        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                    )
                }) {
                    self.pause_host(&server, shown, asked);
                }
                return Err(FetchError::Status {
                    url: shown.to_string(),
                    status: status.as_u16(),
                    retry_after: retry_after.map(|d| d.as_secs()),
                });
            }
            let body = if target == Target::Robots {
                read_prefix(&mut response, shown, cap).await?
            } else {
                read_capped(&mut response, shown, cap).await?
            };
            let content_type = header_str(&headers, header::CONTENT_TYPE);
            let charset = content_type.as_deref().and_then(charset_of);
            return Ok(Fetched {
                final_url,
                status: status.as_u16(),
                not_modified: false,
                content_type,
                charset,
                validators: validators_of(&headers, &Validators::default()),
                body,
            });
        }
    }
}

/// Which client and which checks a request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A feed the operator configured: no guard.
    Feed,
    /// A link from a feed: guarded.
    Article,
    /// A robots.txt: guarded, and read up to its cap instead of failing past it.
    Robots,
}

/// A client for URLs the operator configured outside `[[feeds]]` (alert webhooks): the
/// same user agent, timeouts, proxy setting and redirect policy (none followed) as every
/// other request, without the private-address guard that article links go through.
/// `notify/` builds its client here, so only this module decides how chipwatch talks
/// HTTP.
pub fn operator_client(config: &HttpConfig) -> Result<reqwest::Client, FetchError> {
    // reqwest is built without a bundled crypto provider; ring needs only a C compiler.
    let _ = rustls::crypto::ring::default_provider().install_default();
    base_client(config)?.build().map_err(|e| FetchError::Setup {
        message: format!("cannot build the HTTP client: {}", error_chain(&e)),
    })
}

fn base_client(config: &HttpConfig) -> Result<reqwest::ClientBuilder, FetchError> {
    let builder = reqwest::Client::builder()
        .user_agent(config.user_agent.clone())
        // The whole request, body included: bounds a server that trickles bytes, which
        // the read timeout (restarted by every byte received) cannot.
        .timeout(config.timeout)
        .connect_timeout(config.connect_timeout)
        // Cuts off a server that stops sending mid-response long before `timeout`.
        .read_timeout(config.read_timeout)
        // Redirects are followed in `get_once`, where the guard sees every hop.
        .redirect(redirect::Policy::none());
    // A proxy is used only when configured, never picked up from the environment.
    Ok(match &config.proxy {
        None => builder.no_proxy(),
        Some(proxy) => {
            builder.proxy(
                reqwest::Proxy::all(proxy.as_str()).map_err(|e| FetchError::Setup {
                    message: format!("cannot use the configured proxy {proxy}: {e}"),
                })?,
            )
        }
    })
}

/// The clients of [`Fetcher`]: they ask for gzip, and the body readers inflate it
/// (`response.rs`, `gzip.rs`); reqwest's own decoder inflated a few kilobytes at a time.
fn fetcher_client(config: &HttpConfig) -> Result<reqwest::ClientBuilder, FetchError> {
    let mut headers = header::HeaderMap::new();
    headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    Ok(base_client(config)?.default_headers(headers))
}

/// The `host:port` that pauses apply to.
fn server_of(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(0)
    )
}

fn parse_http_url(url: &str) -> Result<Url, FetchError> {
    match Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(u),
        _ => Err(FetchError::InvalidUrl {
            url: url.to_string(),
        }),
    }
}

/// Exponential backoff with jitter, so many feeds failing together do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let base = FIRST_RETRY_WAIT.saturating_mul(1 << attempt.min(10));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let jitter = base.mul_f64(f64::from(nanos % 1000) / 2000.0);
    base + jitter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_decision() {
        let status = |s| FetchError::Status {
            url: "u".into(),
            status: s,
            retry_after: None,
        };
        assert!(status(503).is_transient());
        assert!(status(429).is_transient());
        assert!(status(408).is_transient());
        assert!(!status(404).is_transient());
        assert!(!status(403).is_transient());
        assert!(FetchError::Timeout { url: "u".into() }.is_transient());
        assert!(!FetchError::TooLarge {
            url: "u".into(),
            limit: 1
        }
        .is_transient());
        assert_eq!(status(429).class(), "rate_limited");
        assert_eq!(status(503).class(), "http_5xx");
        assert_eq!(status(404).class(), "http_4xx");
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        assert!(backoff(0) >= FIRST_RETRY_WAIT && backoff(0) < FIRST_RETRY_WAIT * 2);
        assert!(backoff(3) >= FIRST_RETRY_WAIT * 8);
        assert!(backoff(40) < Duration::from_secs(1000));
    }
}
