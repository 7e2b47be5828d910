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

/// Why a delivery failed; every variant names the receiver.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("cannot set up HTTP for alerts: {0}")]
    Setup(String),
    #[error("{target}: no answer within {secs} s")]
    Timeout { target: String, secs: u64 },
    #[error("{url}: HTTP status {status}{detail}")]
    Status {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    #[error("{program}: {message}")]
    Command { program: String, message: String },
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
        match &alert.target {
            AlertTarget::Url(url) => self.post(url, alert.timeout, outgoing, payload).await,
            AlertTarget::Command(argv) => {
                let env = [
                    ("CHIPWATCH_ALERT", outgoing.alert.to_string()),
                    (
                        "CHIPWATCH_IDEMPOTENCY_KEY",
                        outgoing.idempotency_key.to_string(),
                    ),
                    ("CHIPWATCH_UPDATE", outgoing.update.to_string()),
                ];
                command::run(argv, &payload, &env, alert.timeout).await
            }
        }
    }

    async fn post(
        &self,
        url: &url::Url,
        timeout: Duration,
        outgoing: &Outgoing<'_>,
        payload: Vec<u8>,
    ) -> Result<String, NotifyError> {
        let shown = url.to_string();
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
                .map_err(|e| failure(&shown, timeout, &e))?;
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
            Err(NotifyError::Status {
                url: shown.clone(),
                status: status.as_u16(),
                detail: short_detail(&detail),
            })
        };
        // reqwest enforces the timeout; this bounds anything it might not.
        match tokio::time::timeout(timeout + Duration::from_secs(1), exchange).await {
            Ok(result) => result,
            Err(_) => Err(NotifyError::Timeout {
                target: shown,
                secs: timeout.as_secs(),
            }),
        }
    }
}

fn failure(url: &str, timeout: Duration, error: &reqwest::Error) -> NotifyError {
    if error.is_timeout() {
        NotifyError::Timeout {
            target: url.to_string(),
            secs: timeout.as_secs(),
        }
    } else {
        NotifyError::Transport {
            url: url.to_string(),
            message: error_chain(error),
        }
    }
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
