//! Alert delivery: besides `fetch/`, the one module that talks to the outside, and only to
//! what the operator configured — a webhook URL (an HTTP POST through a client built by
//! `fetch`) or a command run without a shell, the body on its standard input. Every
//! delivery is bounded by its alert's `timeout_secs`, so a stalled receiver costs a pass
//! that long at most. No SQL: the outbox is the store's; the pipeline hands deliveries in
//! and records what came of them. [`retry_at`] is the one retry schedule.

mod command;
mod message;

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderValue, CONTENT_TYPE};

use crate::config::{AlertConfig, AlertTarget, HttpConfig};
use crate::fetch::error_chain;
pub use message::{body, slack_text};

/// The first wait after a delivery failed twice; it doubles with each further failure.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(5 * 60);
/// How much of a failing receiver's answer (or a command's standard error) an error
/// message keeps.
const DETAIL_BYTES: usize = 300;

/// Why a delivery failed; every variant names the receiver as
/// [`AlertConfig::receiver`] does, never by its full URL. The text is what the log, the
/// outbox (`last_error`) and `alerts list` show.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("cannot set up HTTP for alerts: {0}")]
    Setup(String),
    #[error("{receiver}: no answer within {secs} s")]
    Timeout { receiver: String, secs: u64 },
    #[error("{receiver}: HTTP status {status}{detail}")]
    Status {
        receiver: String,
        status: u16,
        detail: String,
    },
    #[error("{receiver}: {message}")]
    Transport { receiver: String, message: String },
    #[error("{receiver}: {message}")]
    Command { receiver: String, message: String },
}

/// One story to send: what goes into the body.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The `[[alerts]]` name.
    pub alert: &'a str,
    pub idempotency_key: &'a str,
    /// False when the story first matched the alert, true for a later revision.
    pub update: bool,
    /// The story record (JSON text, sent as it is).
    pub story: &'a serde_json::value::RawValue,
}

/// Sends deliveries; one per pass (or per `alerts test`).
pub struct Notifier {
    client: reqwest::Client,
}

impl Notifier {
    pub fn new(http: &HttpConfig) -> Result<Notifier, NotifyError> {
        let client =
            crate::fetch::operator_client(http).map_err(|e| NotifyError::Setup(e.to_string()))?;
        Ok(Notifier { client })
    }

    /// Sends one delivery to the alert's receiver within its timeout. Returns what the
    /// receiver answered ("HTTP 200", "exit status 0").
    pub async fn send(
        &self,
        alert: &AlertConfig,
        outgoing: &Outgoing<'_>,
    ) -> Result<String, NotifyError> {
        let payload = body(alert.format, outgoing);
        let receiver = alert.receiver();
        match &alert.target {
            AlertTarget::Url(url) => {
                self.post(url, &receiver, alert.timeout, outgoing, payload)
                    .await
            }
            AlertTarget::Command(argv) => {
                let env = [
                    ("CHIPWATCH_ALERT", outgoing.alert.to_string()),
                    (
                        "CHIPWATCH_IDEMPOTENCY_KEY",
                        outgoing.idempotency_key.to_string(),
                    ),
                    ("CHIPWATCH_UPDATE", outgoing.update.to_string()),
                ];
                command::run(argv, &receiver, &payload, &env, alert.timeout).await
            }
        }
    }

    async fn post(
        &self,
        url: &url::Url,
        receiver: &str,
        timeout: Duration,
        outgoing: &Outgoing<'_>,
        payload: Vec<u8>,
    ) -> Result<String, NotifyError> {
        let mut request = self
            .client
            .post(url.clone())
            .timeout(timeout)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(payload);
        if let Ok(key) = HeaderValue::from_str(outgoing.idempotency_key) {
            request = request.header("Idempotency-Key", key);
        }
        let exchange = async {
            let mut response = request
                .send()
                .await
                .map_err(|e| failure(url, receiver, timeout, e))?;
            let status = response.status();
            if status.is_success() {
                return Ok(format!("HTTP {}", status.as_u16()));
            }
            // A little of the answer says why; the rest is not worth reading.
            let mut detail = Vec::new();
            while detail.len() < DETAIL_BYTES {
                match response.chunk().await {
                    Ok(Some(chunk)) => detail.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            // A receiver may echo the request line back: its answer is scrubbed too.
            Err(NotifyError::Status {
                receiver: receiver.to_string(),
                status: status.as_u16(),
                detail: redact(&short_detail(&detail), url),
            })
        };
        // reqwest enforces the timeout; this bounds anything it might not.
        match tokio::time::timeout(timeout + Duration::from_secs(1), exchange).await {
            Ok(result) => result,
            Err(_) => Err(NotifyError::Timeout {
                receiver: receiver.to_string(),
                secs: timeout.as_secs(),
            }),
        }
    }
}

fn failure(
    url: &url::Url,
    receiver: &str,
    timeout: Duration,
    error: reqwest::Error,
) -> NotifyError {
    if error.is_timeout() {
        NotifyError::Timeout {
            receiver: receiver.to_string(),
            secs: timeout.as_secs(),
        }
    } else {
        // reqwest names the URL in its message; the receiver is named already.
        NotifyError::Transport {
            receiver: receiver.to_string(),
            message: redact(&error_chain(&error.without_url()), url),
        }
    }
}

/// `text` with every piece of `url` that may be secret replaced by `…`: the URL itself,
/// its path and query (as written and percent-decoded), and any path segment, query
/// value or user info of 6 characters or more. For text a webhook receiver or a library
/// produced, before it is logged, stored or shown.
pub fn redact(text: &str, url: &url::Url) -> String {
    let mut secrets: Vec<String> = vec![url.as_str().to_string()];
    let path = url.path();
    let path_and_query = &url[url::Position::BeforePath..url::Position::AfterQuery];
    secrets.extend([path_and_query.to_string(), path.to_string()]);
    secrets.extend(url.query().map(str::to_string));
    secrets.extend(
        url.path_segments()
            .into_iter()
            .flatten()
            .map(str::to_string),
    );
    secrets.extend(url.query_pairs().map(|(_, value)| value.into_owned()));
    secrets.push(url.username().to_string());
    secrets.extend(url.password().map(str::to_string));
    let decoded: Vec<String> = secrets.iter().filter_map(|s| percent_decode(s)).collect();
    secrets.extend(decoded);
    // A bare "/" or a short word would blank out ordinary text.
    secrets.retain(|s| s.len() >= 6 || (s.len() > 1 && s.starts_with('/')));
    // Longest first, so a URL goes as a whole before its parts.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    let mut text = text.to_string();
    for secret in &secrets {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "…");
        }
    }
    text
}

/// `text` percent-decoded, when that changes it and gives UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let decoded = url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    (decoded != text).then_some(decoded)
}

/// ": <the first line of what came back>", cut short and stripped of control characters.
fn short_detail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(DETAIL_BYTES)]);
    let line: String = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if line.is_empty() {
        String::new()
    } else {
        format!(": {line}")
    }
}

/// When a delivery that has failed `attempts` times is due again: at once after the
/// first failure (the next run or pass picks it up), then after 5, 10, 20, … minutes,
/// never more than `max` apart.
pub fn retry_at(attempts: u32, now: DateTime<Utc>, max: Duration) -> DateTime<Utc> {
    if attempts <= 1 {
        return now;
    }
    let doublings = (attempts - 2).min(20);
    let wait = FIRST_BACKOFF.saturating_mul(1 << doublings).min(max);
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn retries_come_at_the_next_run_then_back_off_up_to_the_cap() {
        let now = Utc::now();
        let max = Duration::from_secs(24 * 3600);
        let wait = |attempts| (retry_at(attempts, now, max) - now).num_minutes();
        assert_eq!(wait(1), 0);
        assert_eq!(wait(2), 5);
        assert_eq!(wait(3), 10);
        assert_eq!(wait(4), 20);
        assert_eq!(wait(12), 24 * 60);
        assert_eq!(wait(u32::MAX), 24 * 60);
    }

    #[test]
    fn receiver_answers_are_cut_to_one_clean_line() {
        assert_eq!(
            short_detail(b"\n  upstream \x1b[31mdown\n<html>"),
            ": upstream [31mdown"
        );
        assert_eq!(short_detail(b""), "");
        assert!(short_detail(&[b'x'; 5000]).len() < 210);
    }
}
