//! The HTML report: stories and feed health in, one self-contained HTML page out. Pure
//! rendering, no I/O: `cli/report.rs` reads the rows from `store/` and writes the file.
//!
//! The page has a summary ([`summary`]), a timeline drawn as inline SVG with its legend
//! ([`timeline`], axis from [`ticks`]) and one table per kind ([`tables`]). Everything is
//! inline (CSS, SVG, one small sorting script whose hash the page's Content Security
//! Policy names), so the file opens anywhere and asks no other host for anything; every
//! piece of text from an article or a feed goes through [`escape`]. Without scripts the
//! page reads the same, only the tables do not sort.

mod escape;
mod summary;
mod tables;
mod ticks;
mod timeline;

use std::fmt::Write;

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::model::{EventDetails, EventKind, FeedActivity, StorySource};
use crate::stories::Story;

pub use escape::escape;
pub use ticks::{ticks, Tick};

const STYLE: &str = include_str!("style.css");
const SORT_SCRIPT: &str = include_str!("sort.js");

/// One story with the articles that report it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportStory {
    pub story: Story,
    pub sources: Vec<StorySource>,
}

impl ReportStory {
    fn kind(&self) -> EventKind {
        self.story.record.kind()
    }

    /// The day of its first report.
    fn first_day(&self) -> Option<NaiveDate> {
        self.story.record.first_reported.map(|t| t.date_naive())
    }
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub generated_at: DateTime<Utc>,
    /// The period asked for: stories first reported on or after / on or before these days.
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    /// The filters besides the period, for people ("kind chip_order", "entity Huawei").
    pub filters: Vec<String>,
    /// Only this kind was asked for (the other lane and table are left out).
    pub kind: Option<EventKind>,
    pub stories: Vec<ReportStory>,
    pub feeds: Vec<FeedActivity>,
}

impl Report {
    fn stories_of(&self, kind: EventKind) -> impl Iterator<Item = &ReportStory> {
        self.stories.iter().filter(move |s| s.kind() == kind)
    }

    fn shows(&self, kind: EventKind) -> bool {
        self.kind.is_none_or(|k| k == kind)
    }

    /// The period shown: from the day asked for (else the earliest first report) to the
    /// day asked for (else the day the report was made).
    fn period(&self) -> (Option<NaiveDate>, NaiveDate) {
        let start = self
            .since
            .or_else(|| self.stories.iter().filter_map(ReportStory::first_day).min());
        let end = self.until.unwrap_or_else(|| self.generated_at.date_naive());
        (start, end)
    }
}

/// The whole page.
pub fn render(report: &Report) -> String {
    let script_hash = {
        let digest = Sha256::digest(SORT_SCRIPT.as_bytes());
        base64(&digest)
    };
    let (start, end) = report.period();
    let period = match start {
        Some(start) => format!("{} – {}", long_day(start), long_day(end)),
        None => format!("up to {}", long_day(end)),
    };
    let mut page = String::with_capacity(64 * 1024 + report.stories.len() * 2048);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{script_hash}'; \
         base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"generator\" content=\"chipwatch {version}\">\n\
         <title>Chip trade report, {period}</title>\n\
         <link rel=\"icon\" href=\"data:,\">\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        version = env!("CARGO_PKG_VERSION"),
        period = escape(&period),
    );
    let _ = writeln!(
        page,
        "<header>\n<h1>Chip orders and export controls</h1>\n<p class=\"period\">{}</p>\n</header>\n<main>",
        escape(&period)
    );
    summary::render(&mut page, report, start, end);
    timeline::render(&mut page, report);
    if report.shows(EventKind::ChipOrder) {
        tables::render(&mut page, report, EventKind::ChipOrder);
    }
    if report.shows(EventKind::ExportControl) {
        tables::render(&mut page, report, EventKind::ExportControl);
    }
    let _ = write!(
        page,
        "</main>\n<footer>Made by chipwatch {} on {} UTC. Each story is one order or control \
         as reported across articles; its figures are the ones most of its articles state. \
         Source articles are linked as the feeds gave them.</footer>\n<script>{SORT_SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        report.generated_at.format("%Y-%m-%d %H:%M"),
    );
    page
}

/// "9 Nov 2023".
fn long_day(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

/// The kind's name for people, singular and plural.
fn kind_names(kind: EventKind) -> (&'static str, &'static str) {
    match kind {
        EventKind::ChipOrder => ("chip order", "chip orders"),
        EventKind::ExportControl => ("export control", "export controls"),
    }
}

/// The anchor of a story's table row.
fn row_id(story: &Story) -> String {
    format!("story-{}", story.id)
}

/// An order's stated USD value.
fn value_usd(story: &Story) -> Option<f64> {
    match &story.record.details {
        EventDetails::ChipOrder(o) => o.value_usd.filter(|v| v.is_finite() && *v > 0.0),
        EventDetails::ExportControl(_) => None,
    }
}

/// A USD amount for a glance: "$61.8M", "$1.25B", "$950K", "$800".
fn compact_usd(value: f64) -> String {
    let (scaled, suffix) = if value >= 1e12 {
        (value / 1e12, "T")
    } else if value >= 1e9 {
        (value / 1e9, "B")
    } else if value >= 1e6 {
        (value / 1e6, "M")
    } else if value >= 1e3 {
        (value / 1e3, "K")
    } else {
        (value, "")
    };
    let digits = if scaled >= 100.0 || suffix.is_empty() {
        0
    } else if scaled >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{scaled:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("${text}{suffix}")
}

/// A whole number with thousands separators: 1,600.
fn thousands(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let whole = format!("{:.0}", value.abs().trunc());
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    let fraction = value.abs().fract();
    if fraction > 0.0 {
        let digits = format!("{fraction:.2}");
        out.push_str(digits.trim_start_matches('0').trim_end_matches('0'));
    }
    if value < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// Standard base64, for the script hash in the Content Security Policy.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
