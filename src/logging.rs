//! The tracing subscriber: readable text (colour only on a terminal) or one JSON object per
//! line, always on stderr so stdout carries only a command's output. `RUST_LOG`, when set,
//! overrides the configured level and the -v/-q flags.
//!
//! A JSON line is flat: `timestamp`, `level`, `target`, `message`, then the fields of the
//! spans it happened in (outermost first: `feed`, then `url`) and its own fields, so
//! `jq 'select(.feed == "x")'` finds every line about a feed; string fields are cut at
//! [`MAX_FIELD_CHARS`]. This module also owns the
//! progress bar, so log lines can be printed above it instead of through it.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Longest string field a JSON line carries; longer ones (an error quoting a body, say)
/// are cut, so one line never balloons.
pub const MAX_FIELD_CHARS: usize = 2000;

/// The progress bar on screen, if any; log lines suspend it while they print.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Installs the global subscriber. `verbosity` is the count of -v minus the count of -q.
pub fn init(format: LogFormat, level: &str, verbosity: i8) {
    let level = filter_for(level, verbosity);
    let filter = match std::env::var("RUST_LOG") {
        Ok(from_env) if !from_env.trim().is_empty() => {
            EnvFilter::try_new(&from_env).unwrap_or_else(|_| EnvFilter::new(&level))
        }
        _ => EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| StderrAboveBar);
    // try_init: a second call (tests) keeps the first subscriber instead of failing.
    let _ = match format {
        LogFormat::Json => builder
            .fmt_fields(JsonFields::new())
            .event_format(JsonLines)
            .try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .try_init(),
    };
    log_panics();
}

/// The filter for the configured `level` moved by -v/-q: -q and -qq quiet everything;
/// -v and -vv raise only chipwatch's own lines (debug, trace), since the libraries under
/// it trace every HTML token and network packet at those levels.
fn filter_for(level: &str, verbosity: i8) -> String {
    let ours = match verbosity {
        v if v <= -2 => return "error".to_string(),
        -1 => return "warn".to_string(),
        0 => return level.to_string(),
        1 => "debug",
        _ => "trace",
    };
    // Whatever the configured filter said about chipwatch itself gives way to the flag.
    let mut directives: Vec<&str> = level
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .filter(|d| {
            let target = d.split('=').next().unwrap_or_default();
            !(d.contains('=') && (target == "chipwatch" || target.starts_with("chipwatch::")))
        })
        .collect();
    let own = format!("chipwatch={ours}");
    directives.push(&own);
    directives.join(",")
}

/// Routes panic reports through the subscriber. The feed parser's panics are contained
/// (a feed-rs bug must not end the pass) but the default hook would still spill a
/// multi-line report onto stderr, outside the log format journald and `jq` expect.
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        // Captured only when RUST_BACKTRACE asks for it, as with the default hook.
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            tracing::error!(%location, %backtrace, "panic: {message}");
        } else {
            tracing::error!(%location, "panic: {message}");
        }
    }));
}

/// Formats an event as one flat JSON object (see the module docs).
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .into(),
        );
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("target".into(), meta.target().into());
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else {
                    continue;
                };
                // With JsonFields the span's fields are stored as a JSON object.
                if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(fields) {
                    line.extend(map);
                }
            }
        }
        event.record(&mut JsonVisitor(&mut line));
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().into(), capped(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), capped(format!("{value:?}")));
    }
}

fn capped(mut text: String) -> Value {
    if let Some((cut, _)) = text.char_indices().nth(MAX_FIELD_CHARS) {
        text.truncate(cut);
        text.push('…');
    }
    text.into()
}

/// Stderr, printing above the progress bar when one is shown.
struct StderrAboveBar;

impl Write for StderrAboveBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = ACTIVE_BAR.lock().ok().and_then(|b| b.clone());
        match bar {
            // The formatter hands over one whole line per call, so this keeps lines whole.
            Some(bar) => bar
                .suspend(|| std::io::stderr().write_all(buf))
                .map(|()| buf.len()),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// A progress bar on stderr when it is a terminal; nothing otherwise. Cleared on drop.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar counting `len` units of `unit` (e.g. "feeds", "articles").
    pub fn new(len: u64, unit: &str) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::new(len);
        let template = format!("{{spinner}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut active) = ACTIVE_BAR.lock() {
            *active = Some(bar.clone());
        }
        Progress { bar }
    }

    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    pub fn set_message(&self, message: String) {
        self.bar.set_message(message);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Ok(mut active) = ACTIVE_BAR.lock() {
            *active = None;
        }
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_raises_only_our_own_level() {
        assert_eq!(filter_for("info", 0), "info");
        assert_eq!(filter_for("info", 1), "info,chipwatch=debug");
        assert_eq!(filter_for("warn", 2), "warn,chipwatch=trace");
        assert_eq!(
            filter_for("info,chipwatch=warn,hyper=off", 1),
            "info,hyper=off,chipwatch=debug"
        );
        assert_eq!(filter_for("debug", -1), "warn");
        assert_eq!(filter_for("debug", -3), "error");
        for verbosity in [1, 2] {
            let filter = filter_for("info", verbosity);
            assert!(EnvFilter::try_new(&filter).is_ok(), "{filter}");
        }
    }

    #[test]
    fn long_fields_are_cut_on_a_character_boundary() {
        assert_eq!(capped("short".into()), Value::from("short"));
        let long = capped("é".repeat(MAX_FIELD_CHARS + 10));
        let long = long.as_str().unwrap();
        assert_eq!(long.chars().count(), MAX_FIELD_CHARS + 1);
        assert!(long.ends_with('…'));
    }
}
