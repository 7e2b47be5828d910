//! The config file exactly as written: every key optional, unknown keys rejected.
//! Numbers are read as signed integers so that a negative value gets our own message
//! ("must be from 1 to 3600, got -5") instead of a serde type error.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub database: Option<RawDatabase>,
    pub http: Option<RawHttp>,
    pub schedule: Option<RawSchedule>,
    pub run: Option<RawRun>,
    pub log: Option<RawLog>,
    pub rules: Option<RawRules>,
    pub report: Option<RawReport>,
    pub feeds: Option<Vec<RawFeed>>,
    pub alerts: Option<Vec<RawAlert>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    pub path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    pub user_agent: Option<String>,
    pub timeout_secs: Option<i64>,
    pub connect_timeout_secs: Option<i64>,
    pub read_timeout_secs: Option<i64>,
    pub max_body_bytes: Option<i64>,
    pub concurrency: Option<i64>,
    pub per_host_concurrency: Option<i64>,
    pub per_host_delay_ms: Option<i64>,
    pub retries: Option<i64>,
    pub max_redirects: Option<i64>,
    pub respect_robots_txt: Option<bool>,
    pub allow_private_addresses: Option<RawPrivate>,
    pub proxy: Option<String>,
    pub host_pause_max_secs: Option<i64>,
}

/// `allow_private_addresses` is either a switch or a list of allowed `host[:port]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawPrivate {
    Flag(bool),
    Hosts(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    pub default_interval_mins: Option<i64>,
    pub max_backoff_hours: Option<i64>,
    pub max_items_per_feed: Option<i64>,
    pub page_retry_attempts: Option<i64>,
    pub page_retry_hours: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRun {
    pub fail_on_feed_error: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    pub format: Option<String>,
    pub level: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRules {
    pub paths: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReport {
    pub path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    pub name: Option<String>,
    pub url: Option<String>,
    pub interval_mins: Option<i64>,
    pub fetch_articles: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlert {
    pub name: Option<String>,
    pub url: Option<String>,
    pub command: Option<Vec<String>>,
    pub format: Option<String>,
    pub kinds: Option<Vec<String>>,
    pub entities: Option<Vec<String>>,
    pub min_confidence: Option<RawNumber>,
    pub min_sources: Option<i64>,
    pub hedged: Option<bool>,
    pub timeout_secs: Option<i64>,
}

/// A number written with or without a fraction (`min_confidence = 1` or `0.8`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawNumber {
    Int(i64),
    Float(f64),
}
