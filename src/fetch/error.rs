//! Why a fetch failed, and the one decision on what is worth another attempt.

use std::time::Duration;

use super::guard;

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
    /// robots.txt could not be read (5xx, 429, timeout, unreachable): the site may be
    /// struggling, so its pages wait for a later pass.
    #[error("{url}: robots.txt of this host is unavailable ({reason}); not fetched in this pass")]
    RobotsUnavailable { url: String, reason: String },
    /// The server kept asking for pauses (`Retry-After`) after its pauses for this pass,
    /// `[http] host_pause_max_secs` in total, were used up: it is not contacted again
    /// in this pass.
    #[error("{url}: not requested: {server} kept asking for pauses (Retry-After) beyond [http] host_pause_max_secs in this pass")]
    HostPaused { url: String, server: String },
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: String, limit: usize },
    /// The HTTP client itself could not be built (a bad proxy setting, a TLS failure).
    #[error("cannot set up HTTP: {message}")]
    Setup { message: String },
    #[error("{url}: {message}")]
    Transport {
        url: String,
        message: String,
        transient: bool,
    },
}

impl FetchError {
    /// The one place that decides what is worth another attempt: timeouts, broken
    /// connections, 5xx, 408, 429, a host given up for the pass and an unavailable
    /// robots.txt. Everything else fails the same way again.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. }
            | FetchError::RobotsUnavailable { .. }
            | FetchError::HostPaused { .. } => true,
            FetchError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            FetchError::Transport { transient, .. } => *transient,
            _ => false,
        }
    }

    /// A short, stable name for the kind of failure, stored per feed and used in logs:
    /// `invalid_url`, `refused`, `timeout`, `rate_limited`, `http_4xx`, `http_5xx`,
    /// `too_large`, `redirects`, `network`, `host_paused` or `robots_unavailable`.
    pub fn class(&self) -> &'static str {
        match self {
            FetchError::InvalidUrl { .. } => "invalid_url",
            FetchError::Refused { .. } => "refused",
            FetchError::Timeout { .. } => "timeout",
            FetchError::Status { status: 429, .. } => "rate_limited",
            FetchError::Status { status, .. } if *status >= 500 => "http_5xx",
            FetchError::Status { .. } => "http_4xx",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::TooManyRedirects { .. } => "redirects",
            FetchError::Transport { .. } => "network",
            FetchError::Setup { .. } => "setup",
            FetchError::RobotsUnavailable { .. } => "robots_unavailable",
            FetchError::HostPaused { .. } => "host_paused",
        }
    }

    /// How long the server asked us to wait (`Retry-After` on a 429 or 503).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status {
                retry_after: Some(secs),
                ..
            } => Some(Duration::from_secs(*secs)),
            _ => None,
        }
    }

    pub(super) fn from_reqwest(url: &str, error: reqwest::Error) -> FetchError {
        if error.is_timeout() {
            return FetchError::Timeout {
                url: url.to_string(),
            };
        }
        // The guard's refusal surfaces as a connect error whose source chain holds our text.
        let message = error_chain(&error);
        if message.contains(guard::REFUSAL) {
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

/// An error and its causes on one line, each cause said once.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
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
