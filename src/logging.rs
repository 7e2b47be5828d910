//! The tracing subscriber: readable text (colour only on a terminal) or one JSON object per
//! line, always on stderr so stdout carries only a command's output. `RUST_LOG`, when set,
//! overrides the configured level and the -v/-q flags.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. `verbosity` is the count of -v minus the count of -q.
pub fn init(format: LogFormat, level: &str, verbosity: i8) {
    let level = match verbosity {
        v if v <= -2 => "error".to_string(),
        -1 => "warn".to_string(),
        0 => level.to_string(),
        1 => "debug".to_string(),
        _ => "trace".to_string(),
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(from_env) if !from_env.trim().is_empty() => {
            EnvFilter::try_new(&from_env).unwrap_or_else(|_| EnvFilter::new(&level))
        }
        _ => EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // try_init: a second call (tests) keeps the first subscriber instead of failing.
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .try_init(),
    };
}
