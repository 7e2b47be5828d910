//! `[[alerts]]`: where a story is sent when it first matches an alert's filters and again
//! when it changes — a webhook URL or a command — and the filters. Validated like every
//! other key: errors name the entry and the key.

use std::path::Path;
use std::time::Duration;

use super::raw::{RawAlert, RawNumber};
use super::{valid_feed_name, ConfigError};
use crate::model::EventKind;
use crate::stories::AlertFilter;

/// Longest a delivery may take unless an alert says otherwise.
pub const DEFAULT_ALERT_TIMEOUT_SECS: u64 = 10;
/// The most an alert may allow one delivery (a pass waits for it).
pub const MAX_ALERT_TIMEOUT_SECS: i64 = 300;

/// Where an alert's deliveries go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertTarget {
    /// An HTTP POST to this URL. The operator configured it, so the private-address
    /// guard that article links go through does not apply.
    Url(url::Url),
    /// A program and its arguments, run without a shell, the body on standard input.
    Command(Vec<String>),
}

/// The body an alert sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertFormat {
    /// `{"alert", "idempotency_key", "update", "story"}`.
    #[default]
    Json,
    /// `{"text": …}`, which Slack, Mattermost, Rocket.Chat and others accept.
    Slack,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertConfig {
    pub name: String,
    pub target: AlertTarget,
    pub format: AlertFormat,
    pub filter: AlertFilter,
    /// Longest one delivery may take before it counts as failed.
    pub timeout: Duration,
}

impl AlertConfig {
    /// How messages, logs and the outbox name the receiver: `alert chat
    /// (https://hooks.slack.com)`, or `alert script (/usr/local/bin/notify)`. A webhook
    /// URL's path and query are often its only secret (a token), so of a URL only the
    /// scheme, host and port are ever shown; of a command, only its program.
    pub fn receiver(&self) -> String {
        let target = match &self.target {
            AlertTarget::Url(url) => url_origin(url),
            AlertTarget::Command(argv) => argv.first().cloned().unwrap_or_default(),
        };
        format!("alert {} ({target})", self.name)
    }
}

/// `scheme://host[:port]` of a URL: what may be shown of a webhook URL.
pub fn url_origin(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// Validates the `[[alerts]]` entries of a config file. `base` is the file's folder: a
/// relative command path (one with a `/`) resolves against it; a bare name is looked up
/// on `PATH` when run.
pub(super) fn parse_alerts(
    raw: Vec<RawAlert>,
    base: &Path,
    invalid: impl Fn(&str, String) -> ConfigError,
) -> Result<Vec<AlertConfig>, ConfigError> {
    let mut alerts: Vec<AlertConfig> = Vec::new();
    for (i, a) in raw.into_iter().enumerate() {
        let key = |field: &str| format!("[[alerts]] #{} {field}", i + 1);
        let name = match a.name {
            Some(n) if valid_feed_name(&n) => n,
            Some(n) => {
                return Err(invalid(
                    &key("name"),
                    format!(
                        "{n:?} is not an alert name (letters, digits, '-', '_', '.', at most 64)"
                    ),
                ))
            }
            None => return Err(invalid(&key("name"), "is required".into())),
        };
        if alerts.iter().any(|other| other.name == name) {
            return Err(invalid(
                &key("name"),
                format!("alert name {name:?} appears twice"),
            ));
        }
        let target = match (a.url, a.command) {
            (Some(u), None) => match url::Url::parse(&u) {
                Ok(parsed)
                    if matches!(parsed.scheme(), "http" | "https")
                        && parsed.host_str().is_some() =>
                {
                    AlertTarget::Url(parsed)
                }
                // The URL may hold a token: the message shows what is wrong, not the URL.
                Ok(parsed) => {
                    return Err(invalid(
                        &key("url"),
                        format!(
                            "must be an http(s) URL with a host (this one starts `{}:`)",
                            parsed.scheme()
                        ),
                    ))
                }
                Err(e) => {
                    return Err(invalid(
                        &key("url"),
                        format!("is not a URL ({e}); the value is not shown, it may be a secret"),
                    ))
                }
            },
            (None, Some(argv)) => {
                let Some(program) = argv.first().filter(|p| !p.trim().is_empty()) else {
                    return Err(invalid(
                        &key("command"),
                        "must name a program first, e.g. [\"/usr/local/bin/notify\", \"--chat\"]"
                            .into(),
                    ));
                };
                let mut argv = argv.clone();
                if program.contains('/') && Path::new(program).is_relative() {
                    argv[0] = base.join(program).to_string_lossy().into_owned();
                }
                AlertTarget::Command(argv)
            }
            (Some(_), Some(_)) => {
                return Err(invalid(&key("url"), "give url or command, not both".into()))
            }
            (None, None) => {
                return Err(invalid(
                    &key("url"),
                    format!("url or command is required (alert {name:?})"),
                ))
            }
        };
        let format = match a.format.as_deref() {
            None | Some("json") => AlertFormat::Json,
            Some("slack") => AlertFormat::Slack,
            Some(other) => {
                return Err(invalid(
                    &key("format"),
                    format!("must be \"json\" or \"slack\", got {other:?}"),
                ))
            }
        };
        let mut kinds = Vec::new();
        for kind in a.kinds.unwrap_or_default() {
            match kind.parse::<EventKind>() {
                Ok(k) if !kinds.contains(&k) => kinds.push(k),
                Ok(_) => {}
                Err(e) => return Err(invalid(&key("kinds"), e)),
            }
        }
        let entities = a.entities.unwrap_or_default();
        if entities.iter().any(|e| e.trim().is_empty()) {
            return Err(invalid(
                &key("entities"),
                "entries must not be empty".into(),
            ));
        }
        let min_confidence = match a.min_confidence {
            None => 0.0,
            Some(n) => {
                let value = match n {
                    RawNumber::Int(i) => i as f64,
                    RawNumber::Float(f) => f,
                };
                if !(0.0..=1.0).contains(&value) {
                    return Err(invalid(
                        &key("min_confidence"),
                        format!("must be from 0 to 1, got {value}"),
                    ));
                }
                value
            }
        };
        let min_sources = match a.min_sources {
            None => 1,
            Some(n) if (1..=1000).contains(&n) => n as u32,
            Some(n) => {
                return Err(invalid(
                    &key("min_sources"),
                    format!("must be from 1 to 1000, got {n}"),
                ))
            }
        };
        let timeout = match a.timeout_secs {
            None => Duration::from_secs(DEFAULT_ALERT_TIMEOUT_SECS),
            Some(n) if (1..=MAX_ALERT_TIMEOUT_SECS).contains(&n) => Duration::from_secs(n as u64),
            Some(n) => {
                return Err(invalid(
                    &key("timeout_secs"),
                    format!(
                    "must be a whole number of seconds from 1 to {MAX_ALERT_TIMEOUT_SECS}, got {n}"
                ),
                ))
            }
        };
        alerts.push(AlertConfig {
            name,
            target,
            format,
            filter: AlertFilter {
                kinds,
                entities,
                min_confidence,
                min_sources,
                hedged: a.hedged,
            },
            timeout,
        });
    }
    Ok(alerts)
}
