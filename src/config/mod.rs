//! Configuration: one TOML file becomes a validated [`Config`].
//!
//! Reading happens in two phases. [`RawConfig`] mirrors the file (every key optional,
//! unknown keys rejected by serde); [`Config::from_raw`] applies the named defaults below
//! and checks every value, so an error names the file, the key and what is wrong. Relative
//! paths inside the file resolve against the file's folder. This module reads only the
//! config file: no network, no database.

mod alerts;
mod raw;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::model::FeedSpec;
pub use alerts::{
    AlertConfig, AlertFormat, AlertTarget, DEFAULT_ALERT_TIMEOUT_SECS, MAX_ALERT_TIMEOUT_SECS,
};
use raw::{RawConfig, RawPrivate};

pub const DEFAULT_DATABASE_PATH: &str = "data/chipwatch.db";
pub const DEFAULT_USER_AGENT: &str = concat!(
    "chipwatch/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/chipwatch/chipwatch)"
);
pub const DEFAULT_TIMEOUT_SECS: u64 = 20;
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
/// A response that sends nothing for this long is cut off (reset by every byte received;
/// a trickling server is bounded by `timeout_secs` instead).
pub const DEFAULT_READ_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_MAX_BODY_BYTES: u64 = 5_000_000;
pub const DEFAULT_CONCURRENCY: usize = 16;
pub const DEFAULT_PER_HOST_CONCURRENCY: usize = 2;
pub const DEFAULT_PER_HOST_DELAY_MS: u64 = 1000;
pub const DEFAULT_RETRIES: u32 = 2;
pub const DEFAULT_MAX_REDIRECTS: usize = 5;
pub const DEFAULT_INTERVAL_MINS: u32 = 30;
pub const DEFAULT_MAX_BACKOFF_HOURS: u32 = 24;
pub const DEFAULT_MAX_ITEMS_PER_FEED: usize = 500;
/// The longest a `Retry-After` on one response pauses every request to its host: enough
/// to stop hammering a host that throttles us, never enough for one header to silence it.
pub const DEFAULT_HOST_PAUSE_MAX_SECS: u64 = 60;
/// Later attempts at an article page that failed for a passing reason.
pub const DEFAULT_PAGE_RETRY_ATTEMPTS: u32 = 4;
/// The window, from the first attempt, within which a page is retried.
pub const DEFAULT_PAGE_RETRY_HOURS: u32 = 24;
/// Where `--config` looks when neither the flag nor `CHIPWATCH_CONFIG` is given.
pub const DEFAULT_CONFIG_PATH: &str = "config/chipwatch.toml";

/// A configuration problem; the message names the file and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

/// Which private, loopback or link-local destinations article fetches may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateAccess {
    Deny,
    AllowAll,
    /// `host` or `host:port` entries allowed despite resolving to a private address.
    AllowList(Vec<String>),
}

/// An `allow_private_addresses` entry as (host, port): `host`, `host:port`, `[v6]`,
/// `[v6]:port` or a bare IPv6 address (colons but no port). `None` when malformed.
pub fn parse_allow_entry(entry: &str) -> Option<(&str, Option<u16>)> {
    let port = |p: &str| p.parse::<u16>().ok();
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (ip, tail) = rest.split_once(']')?;
        match tail {
            "" => (ip, None),
            _ => (ip, Some(port(tail.strip_prefix(':')?)?)),
        }
    } else {
        match entry.split_once(':') {
            Some((h, p)) if !p.contains(':') => (h, Some(port(p)?)),
            _ => (entry, None),
        }
    };
    let valid = !host.trim().is_empty() && !host.contains(['/', ' ', '[', ']']);
    valid.then_some((host, port))
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    pub user_agent: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Longest silence while reading; at most `timeout`.
    pub read_timeout: Duration,
    pub max_body_bytes: u64,
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    pub per_host_delay: Duration,
    pub retries: u32,
    pub max_redirects: usize,
    pub respect_robots_txt: bool,
    pub allow_private_addresses: PrivateAccess,
    /// An http(s) proxy for every request; `None`: direct (the environment's
    /// `HTTP_PROXY` and friends are ignored).
    pub proxy: Option<url::Url>,
    /// The longest pause a `Retry-After` imposes on a whole host; zero: none.
    pub host_pause_max: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            user_agent: DEFAULT_USER_AGENT.to_string(),
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            connect_timeout: Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_SECS),
            read_timeout: Duration::from_secs(DEFAULT_READ_TIMEOUT_SECS),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            concurrency: DEFAULT_CONCURRENCY,
            per_host_concurrency: DEFAULT_PER_HOST_CONCURRENCY,
            per_host_delay: Duration::from_millis(DEFAULT_PER_HOST_DELAY_MS),
            retries: DEFAULT_RETRIES,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            respect_robots_txt: true,
            allow_private_addresses: PrivateAccess::Deny,
            proxy: None,
            host_pause_max: Duration::from_secs(DEFAULT_HOST_PAUSE_MAX_SECS),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleConfig {
    pub default_interval_mins: u32,
    pub max_backoff_hours: u32,
    pub max_items_per_feed: usize,
    /// Retries of an article page after a transient failure (0: none).
    pub page_retry_attempts: u32,
    /// Hours from a page's first attempt within which it is retried.
    pub page_retry_hours: u32,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            default_interval_mins: DEFAULT_INTERVAL_MINS,
            max_backoff_hours: DEFAULT_MAX_BACKOFF_HOURS,
            max_items_per_feed: DEFAULT_MAX_ITEMS_PER_FEED,
            page_retry_attempts: DEFAULT_PAGE_RETRY_ATTEMPTS,
            page_retry_hours: DEFAULT_PAGE_RETRY_HOURS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter directive such as `info` or `chipwatch=debug`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Text,
            level: "info".to_string(),
        }
    }
}

/// The validated configuration, every default applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file this came from; `None` for the built-in defaults.
    pub source: Option<PathBuf>,
    pub database_path: PathBuf,
    pub http: HttpConfig,
    pub schedule: ScheduleConfig,
    pub fail_on_feed_error: bool,
    pub log: LogConfig,
    /// Rule pack files or folders; empty means the packs embedded in the binary.
    pub rules_paths: Vec<PathBuf>,
    pub feeds: Vec<FeedSpec>,
    /// Where stories are sent when they break and when they change.
    pub alerts: Vec<AlertConfig>,
    /// The HTML report `run` and `watch` write again after a pass that stored
    /// something; `None`: no report.
    pub report_path: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            source: None,
            database_path: PathBuf::from(DEFAULT_DATABASE_PATH),
            http: HttpConfig::default(),
            schedule: ScheduleConfig::default(),
            fail_on_feed_error: false,
            log: LogConfig::default(),
            rules_paths: Vec::new(),
            feeds: Vec::new(),
            alerts: Vec::new(),
            report_path: None,
        }
    }
}

impl Config {
    /// Reads and validates one config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Validates config text as if it were read from `path` (which names it in errors
    /// and anchors its relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| parse_error(path, text, &e))?;
        Config::from_raw(raw, path)
    }

    fn from_raw(raw: RawConfig, path: &Path) -> Result<Config, ConfigError> {
        let base = path.parent().unwrap_or_else(|| Path::new("")).to_path_buf();
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: key.to_string(),
            message,
        };
        let defaults = Config::default();

        let database_path = match raw.database.and_then(|d| d.path) {
            Some(p) if p.trim().is_empty() => {
                return Err(invalid("[database] path", "must not be empty".into()))
            }
            Some(p) => base.join(p),
            None => base.join(DEFAULT_DATABASE_PATH),
        };

        let h = raw.http.unwrap_or_default();
        let d = defaults.http;
        let secs =
            |key: &str, v: Option<i64>, default: Duration| -> Result<Duration, ConfigError> {
                match v {
                    None => Ok(default),
                    Some(n) if n > 0 && n <= 3600 => Ok(Duration::from_secs(n as u64)),
                    Some(n) => Err(invalid(
                        key,
                        format!("must be a whole number of seconds from 1 to 3600, got {n}"),
                    )),
                }
            };
        let count = |key: &str,
                     v: Option<i64>,
                     min: i64,
                     max: i64,
                     default: i64|
         -> Result<i64, ConfigError> {
            match v {
                None => Ok(default),
                Some(n) if (min..=max).contains(&n) => Ok(n),
                Some(n) => Err(invalid(
                    key,
                    format!("must be from {min} to {max}, got {n}"),
                )),
            }
        };
        let user_agent = match h.user_agent {
            Some(ua) if ua.trim().is_empty() || ua.chars().any(char::is_control) => {
                return Err(invalid(
                    "[http] user_agent",
                    "must be non-empty printable text".into(),
                ))
            }
            Some(ua) => ua,
            None => d.user_agent,
        };
        let concurrency = count(
            "[http] concurrency",
            h.concurrency,
            1,
            1024,
            DEFAULT_CONCURRENCY as i64,
        )? as usize;
        let per_host_concurrency = count(
            "[http] per_host_concurrency",
            h.per_host_concurrency,
            1,
            1024,
            DEFAULT_PER_HOST_CONCURRENCY as i64,
        )? as usize;
        let allow_private_addresses = match h.allow_private_addresses {
            None | Some(RawPrivate::Flag(false)) => PrivateAccess::Deny,
            Some(RawPrivate::Flag(true)) => PrivateAccess::AllowAll,
            Some(RawPrivate::Hosts(hosts)) => {
                if let Some(bad) = hosts.iter().find(|h| parse_allow_entry(h).is_none()) {
                    return Err(invalid(
                        "[http] allow_private_addresses",
                        format!(
                            "entries are \"host\", \"host:port\" or \"[ipv6]:port\", got {bad:?}"
                        ),
                    ));
                }
                PrivateAccess::AllowList(hosts.iter().map(|h| h.to_ascii_lowercase()).collect())
            }
        };
        let proxy = match h.proxy {
            None => None,
            Some(p) if p.trim().is_empty() => None,
            Some(p) => match url::Url::parse(&p) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                    Some(u)
                }
                _ => {
                    return Err(invalid(
                        "[http] proxy",
                        format!(
                        "must be an http(s) URL such as \"http://proxy.internal:3128\", got {p:?}"
                    ),
                    ))
                }
            },
        };
        let timeout = secs("[http] timeout_secs", h.timeout_secs, d.timeout)?;
        let read_timeout = secs(
            "[http] read_timeout_secs",
            h.read_timeout_secs,
            d.read_timeout,
        )?;
        let http = HttpConfig {
            user_agent,
            timeout,
            // Silence longer than the whole-request limit cannot happen anyway.
            read_timeout: read_timeout.min(timeout),
            connect_timeout: secs(
                "[http] connect_timeout_secs",
                h.connect_timeout_secs,
                d.connect_timeout,
            )?,
            max_body_bytes: count(
                "[http] max_body_bytes",
                h.max_body_bytes,
                1024,
                1 << 30,
                DEFAULT_MAX_BODY_BYTES as i64,
            )? as u64,
            concurrency,
            per_host_concurrency: per_host_concurrency.min(concurrency),
            per_host_delay: Duration::from_millis(count(
                "[http] per_host_delay_ms",
                h.per_host_delay_ms,
                0,
                600_000,
                DEFAULT_PER_HOST_DELAY_MS as i64,
            )? as u64),
            retries: count("[http] retries", h.retries, 0, 10, DEFAULT_RETRIES as i64)? as u32,
            max_redirects: count(
                "[http] max_redirects",
                h.max_redirects,
                0,
                20,
                DEFAULT_MAX_REDIRECTS as i64,
            )? as usize,
            respect_robots_txt: h.respect_robots_txt.unwrap_or(true),
            allow_private_addresses,
            proxy,
            host_pause_max: Duration::from_secs(count(
                "[http] host_pause_max_secs",
                h.host_pause_max_secs,
                0,
                3600,
                DEFAULT_HOST_PAUSE_MAX_SECS as i64,
            )? as u64),
        };

        let s = raw.schedule.unwrap_or_default();
        let schedule = ScheduleConfig {
            default_interval_mins: count(
                "[schedule] default_interval_mins",
                s.default_interval_mins,
                1,
                7 * 24 * 60,
                DEFAULT_INTERVAL_MINS as i64,
            )? as u32,
            max_backoff_hours: count(
                "[schedule] max_backoff_hours",
                s.max_backoff_hours,
                1,
                24 * 30,
                DEFAULT_MAX_BACKOFF_HOURS as i64,
            )? as u32,
            max_items_per_feed: count(
                "[schedule] max_items_per_feed",
                s.max_items_per_feed,
                1,
                100_000,
                DEFAULT_MAX_ITEMS_PER_FEED as i64,
            )? as usize,
            page_retry_attempts: count(
                "[schedule] page_retry_attempts",
                s.page_retry_attempts,
                0,
                20,
                DEFAULT_PAGE_RETRY_ATTEMPTS as i64,
            )? as u32,
            page_retry_hours: count(
                "[schedule] page_retry_hours",
                s.page_retry_hours,
                1,
                24 * 7,
                DEFAULT_PAGE_RETRY_HOURS as i64,
            )? as u32,
        };

        let l = raw.log.unwrap_or_default();
        let log = LogConfig {
            format: match l.format.as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(invalid(
                        "[log] format",
                        format!("must be \"text\" or \"json\", got {other:?}"),
                    ))
                }
            },
            level: match l.level {
                Some(level) => {
                    if !valid_log_level(&level)
                        || tracing_subscriber::EnvFilter::try_new(&level).is_err()
                    {
                        return Err(invalid(
                            "[log] level",
                            format!("{level:?} is not a level (error, warn, info, debug, trace) or filter"),
                        ));
                    }
                    level
                }
                None => defaults.log.level,
            },
        };

        let rules_paths = match raw.rules.and_then(|r| r.paths) {
            None => Vec::new(),
            Some(paths) => {
                let mut resolved = Vec::new();
                for p in paths {
                    if p.trim().is_empty() {
                        return Err(invalid("[rules] paths", "entries must not be empty".into()));
                    }
                    let full = base.join(&p);
                    if !full.exists() {
                        return Err(invalid(
                            "[rules] paths",
                            format!("{} does not exist", full.display()),
                        ));
                    }
                    resolved.push(full);
                }
                resolved
            }
        };

        let mut feeds = Vec::new();
        let mut names = HashSet::new();
        for (i, f) in raw.feeds.unwrap_or_default().into_iter().enumerate() {
            let key = |field: &str| format!("[[feeds]] #{} {field}", i + 1);
            let name = match f.name {
                Some(n) if valid_feed_name(&n) => n,
                Some(n) => {
                    return Err(invalid(
                        &key("name"),
                        format!(
                            "{n:?} is not a feed name (letters, digits, '-', '_', '.', at most 64)"
                        ),
                    ))
                }
                None => return Err(invalid(&key("name"), "is required".into())),
            };
            if !names.insert(name.clone()) {
                return Err(invalid(
                    &key("name"),
                    format!("feed name {name:?} appears twice"),
                ));
            }
            let url = match f.url {
                Some(u) => match url::Url::parse(&u) {
                    Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => u,
                    Ok(_) => {
                        return Err(invalid(&key("url"), format!("{u:?} is not an http(s) URL")))
                    }
                    Err(e) => return Err(invalid(&key("url"), format!("{u:?} is not a URL: {e}"))),
                },
                None => return Err(invalid(&key("url"), format!("is required (feed {name:?})"))),
            };
            let interval_mins = count(
                &key("interval_mins"),
                f.interval_mins,
                1,
                7 * 24 * 60,
                schedule.default_interval_mins as i64,
            )? as u32;
            feeds.push(FeedSpec {
                name,
                url,
                interval_mins,
                fetch_articles: f.fetch_articles.unwrap_or(true),
            });
        }

        let report_path = match raw.report.and_then(|r| r.path) {
            None => None,
            Some(p) if p.trim().is_empty() => None,
            Some(p) => {
                let full = base.join(&p);
                if full.is_dir() {
                    return Err(invalid(
                        "[report] path",
                        format!(
                            "{} is a folder; name the HTML file to write",
                            full.display()
                        ),
                    ));
                }
                Some(full)
            }
        };

        let alerts = alerts::parse_alerts(raw.alerts.unwrap_or_default(), &base, invalid)?;

        Ok(Config {
            source: Some(path.to_path_buf()),
            database_path,
            http,
            schedule,
            fail_on_feed_error: raw.run.and_then(|r| r.fail_on_feed_error).unwrap_or(false),
            log,
            rules_paths,
            feeds,
            alerts,
            report_path,
        })
    }
}

/// A level, or `target=level` directives separated by commas. EnvFilter alone takes a
/// bare word as a target name, so a typo such as "inof" would silence every log line.
fn valid_log_level(filter: &str) -> bool {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let is_level = |word: &str| LEVELS.iter().any(|l| l.eq_ignore_ascii_case(word.trim()));
    filter
        .split(',')
        .all(|directive| match directive.rsplit_once('=') {
            Some((target, level)) => !target.trim().is_empty() && is_level(level),
            None => is_level(directive),
        })
}

/// Feed names appear in logs, CLI flags and SQL; keep them to a plain, printable set.
pub fn valid_feed_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Turns toml's multi-line report into one line that names the file and position.
fn parse_error(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
    let (line, column) = match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, column)
        }
        None => (0, 0),
    };
    ConfigError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message: error.message().replace('\n', " "),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
