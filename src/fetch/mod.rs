//! The only network I/O. [`Fetcher`] GETs a URL within the configured bounds (timeouts, a
//! byte cap enforced while streaming and after decompression, a redirect limit, global and
//! per-host concurrency with a delay), retries transient failures, and hands back bytes
//! and headers. Feed fetches use the operator's URLs as given; article fetches come from
//! untrusted feeds and go through the SSRF guard and robots.txt. It knows nothing of feeds
//! or HTML.

pub mod guard;
mod limits;
mod robots;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{redirect, StatusCode};
use tokio::sync::Mutex;
use url::Url;

use crate::config::HttpConfig;
pub use guard::Guard;
use limits::Limits;
pub use robots::Robots;

/// Longest pause between two attempts at one URL within a pass.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// First pause after a transient failure; doubled for each further attempt.
const FIRST_RETRY_WAIT: Duration = Duration::from_millis(500);
/// robots.txt is small; a bigger one is cut here (RFC 9309 asks parsers for 500 KiB).
const ROBOTS_MAX_BYTES: u64 = 512 * 1024;

/// Why a fetch failed; every variant names the URL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: not a valid http(s) URL")]
    InvalidUrl { url: String },
    #[error("{url}: refused by the address guard: {reason}")]
    Refused { url: String, reason: String },
    #[error("{url}: timed out")]
    Timeout { url: String },
    #[error("{url}: HTTP status {status}")]
    Status {
        url: String,
        status: u16,
        /// Seconds from a `Retry-After` header, when the server sent one.
        retry_after: Option<u64>,
    },
    #[error("{url}: body larger than the {limit}-byte cap")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: {message}")]
    Transport {
        url: String,
        message: String,
        transient: bool,
    },
}

impl FetchError {
    /// The one place that decides what is worth another attempt: timeouts, broken
    /// connections, 5xx, 408 and 429. Everything else fails the same way again.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } => true,
            FetchError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            FetchError::Transport { transient, .. } => *transient,
            _ => false,
        }
    }

    fn from_reqwest(url: &str, error: reqwest::Error) -> FetchError {
        if error.is_timeout() {
            return FetchError::Timeout {
                url: url.to_string(),
            };
        }
        // The guard's refusal surfaces as a connect error whose source chain holds our text.
        let message = error_chain(&error);
        if message.contains("private, loopback or link-local") {
            return FetchError::Refused {
                url: url.to_string(),
                reason: message,
            };
        }
        FetchError::Transport {
            url: url.to_string(),
            transient: error.is_connect()
                || error.is_request()
                || error.is_body()
                || error.is_decode(),
            message,
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

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

pub struct Fetcher {
    feed_client: reqwest::Client,
    article_client: reqwest::Client,
    guard: Arc<Guard>,
    limits: Limits,
    config: HttpConfig,
    /// robots.txt per `scheme://host:port`, fetched once per pass (one `Fetcher` per pass).
    robots: Mutex<HashMap<String, Arc<Robots>>>,
}

impl Fetcher {
    pub fn new(config: &HttpConfig) -> Result<Fetcher, FetchError> {
        // reqwest is built without a bundled crypto provider; ring needs only a C compiler.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let guard = Arc::new(Guard::new(config.allow_private_addresses.clone()));
        let feed_client = base_client(config, None)
            .build()
            .map_err(|e| FetchError::Transport {
                url: String::new(),
                message: format!("cannot build the HTTP client: {e}"),
                transient: false,
            })?;
        let article_client = base_client(config, Some(Arc::clone(&guard)))
            .dns_resolver(guard.resolver())
            .build()
            .map_err(|e| FetchError::Transport {
                url: String::new(),
                message: format!("cannot build the HTTP client: {e}"),
                transient: false,
            })?;
        Ok(Fetcher {
            feed_client,
            article_client,
            guard,
            limits: Limits::new(
                config.concurrency,
                config.per_host_concurrency,
                config.per_host_delay,
            ),
            config: config.clone(),
            robots: Mutex::new(HashMap::new()),
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
            &self.feed_client,
            &parsed,
            validators,
            self.config.max_body_bytes,
        )
        .await
    }

    /// Fetches an article page named by a feed: guard, then robots.txt, then the page.
    pub async fn fetch_article(&self, url: &str) -> Result<ArticleFetch, FetchError> {
        let parsed = parse_http_url(url)?;
        self.guard
            .check_url(&parsed)
            .map_err(|reason| FetchError::Refused {
                url: url.to_string(),
                reason,
            })?;
        if self.config.respect_robots_txt {
            let robots = self.robots_for(&parsed).await;
            let path = match parsed.query() {
                Some(q) => format!("{}?{q}", parsed.path()),
                None => parsed.path().to_string(),
            };
            if !robots.allows(&path) {
                return Ok(ArticleFetch::DisallowedByRobots);
            }
        }
        self.get_with_retries(
            &self.article_client,
            &parsed,
            &Validators::default(),
            self.config.max_body_bytes,
        )
        .await
        .map(ArticleFetch::Fetched)
    }

    async fn robots_for(&self, page: &Url) -> Arc<Robots> {
        let origin = page.origin().ascii_serialization();
        // Holding the lock across the fetch makes concurrent articles of one host wait for
        // a single robots.txt request instead of each sending their own.
        let mut cache = self.robots.lock().await;
        if let Some(found) = cache.get(&origin) {
            return Arc::clone(found);
        }
        let robots = match page.join("/robots.txt") {
            Ok(robots_url) => match self
                .get_once(
                    &self.article_client,
                    &robots_url,
                    &Validators::default(),
                    ROBOTS_MAX_BYTES,
                )
                .await
            {
                Ok(fetched) => Robots::parse(
                    &String::from_utf8_lossy(&fetched.body),
                    &self.config.user_agent,
                ),
                Err(FetchError::Status { status, .. }) if (400..500).contains(&status) => {
                    Robots::allow_all()
                }
                Err(FetchError::TooLarge { .. }) => Robots::allow_all(),
                Err(e) => {
                    tracing::warn!(url = %robots_url, error = %e, "robots.txt unreachable; not fetching pages of this host in this pass");
                    Robots::deny_all()
                }
            },
            Err(_) => Robots::allow_all(),
        };
        let robots = Arc::new(robots);
        cache.insert(origin, Arc::clone(&robots));
        robots
    }

    async fn get_with_retries(
        &self,
        client: &reqwest::Client,
        url: &Url,
        validators: &Validators,
        cap: u64,
    ) -> Result<Fetched, FetchError> {
        let mut attempt = 0;
        loop {
            match self.get_once(client, url, validators, cap).await {
                Err(e) if e.is_transient() && attempt < self.config.retries => {
                    let retry_after = match &e {
                        FetchError::Status { retry_after, .. } => {
                            retry_after.map(Duration::from_secs)
                        }
                        _ => None,
                    };
                    let wait = retry_after
                        .unwrap_or_else(|| backoff(attempt))
                        .min(MAX_RETRY_WAIT);
                    tracing::debug!(url = %url, error = %e, wait_ms = wait.as_millis() as u64, "transient failure; retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn get_once(
        &self,
        client: &reqwest::Client,
        url: &Url,
        validators: &Validators,
        cap: u64,
    ) -> Result<Fetched, FetchError> {
        let shown = url.as_str();
        let host = url.host_str().unwrap_or_default().to_string();
        let _permit = self.limits.acquire(&host).await;
        let mut request = client.get(url.clone());
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
        let final_url = response.url().to_string();
        let headers = response.headers().clone();
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
            return Err(FetchError::Status {
                url: shown.to_string(),
                status: status.as_u16(),
                retry_after: header_str(&headers, header::RETRY_AFTER)
                    .and_then(|v| v.trim().parse().ok()),
            });
        }
        if response.content_length().is_some_and(|len| len > cap) {
            return Err(FetchError::TooLarge {
                url: shown.to_string(),
                limit: cap,
            });
        }
        // Counted on the decompressed stream, so a small gzip bomb stops at the cap too.
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| FetchError::from_reqwest(shown, e))?
        {
            if body.len() as u64 + chunk.len() as u64 > cap {
                return Err(FetchError::TooLarge {
                    url: shown.to_string(),
                    limit: cap,
                });
            }
            body.extend_from_slice(&chunk);
        }
        let content_type = header_str(&headers, header::CONTENT_TYPE);
        let charset = content_type.as_deref().and_then(charset_of);
        Ok(Fetched {
            final_url,
            status: status.as_u16(),
            not_modified: false,
            content_type,
            charset,
            validators: validators_of(&headers, &Validators::default()),
            body,
        })
    }
}

fn base_client(config: &HttpConfig, guard: Option<Arc<Guard>>) -> reqwest::ClientBuilder {
    let max_redirects = config.max_redirects;
    let policy = redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max_redirects {
            return attempt.error(format!("more than {max_redirects} redirects"));
        }
        if let Some(guard) = &guard {
            if let Err(reason) = guard.check_url(attempt.url()) {
                return attempt.error(format!("redirect refused: {reason}"));
            }
        }
        attempt.follow()
    });
    reqwest::Client::builder()
        .user_agent(config.user_agent.clone())
        .timeout(config.timeout)
        .connect_timeout(config.connect_timeout)
        // reqwest's read timeout restarts on every chunk: it cuts off a server that stops
        // sending, while `timeout` bounds one that trickles.
        .read_timeout(config.timeout.min(Duration::from_secs(10)))
        .redirect(policy)
        .gzip(true)
        // A proxy is used only when configured, never picked up from the environment.
        .no_proxy()
}

fn parse_http_url(url: &str) -> Result<Url, FetchError> {
    match Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(u),
        _ => Err(FetchError::InvalidUrl {
            url: url.to_string(),
        }),
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn validators_of(headers: &HeaderMap, fallback: &Validators) -> Validators {
    Validators {
        etag: header_str(headers, header::ETAG).or_else(|| fallback.etag.clone()),
        last_modified: header_str(headers, header::LAST_MODIFIED)
            .or_else(|| fallback.last_modified.clone()),
    }
}

/// `text/html; charset="ISO-8859-1"` → `ISO-8859-1`.
fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_string())
            .filter(|v| !v.is_empty())
    })
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
    fn charset_comes_from_the_content_type() {
        assert_eq!(
            charset_of("text/html; charset=\"ISO-8859-1\"").as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(
            charset_of("text/html;Charset=utf-8").as_deref(),
            Some("utf-8")
        );
        assert_eq!(charset_of("text/html"), None);
    }

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
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        assert!(backoff(0) >= FIRST_RETRY_WAIT && backoff(0) < FIRST_RETRY_WAIT * 2);
        assert!(backoff(3) >= FIRST_RETRY_WAIT * 8);
        assert!(backoff(40) < Duration::from_secs(1000));
    }
}
