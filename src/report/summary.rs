//! The summary at the top of the report: the period and filters, how many stories of
//! each kind, the largest orders by value, the latest controls, and the feeds that
//! failed or went quiet in the period.
//!
//! chipwatch keeps each feed's last outcome, not a history of fetches, so a feed counts
//! as failed when its last attempt, made within the period, failed; and as quiet when,
//! at the end of the period, it had brought no new article for more than
//! [`QUIET_INTERVALS`] times its interval.

use std::fmt::Write;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::escape::escape;
use super::{compact_usd, kind_names, row_id, value_usd, Report, ReportStory};
use crate::model::{EventKind, FeedActivity};
use crate::stories::headline;

/// A feed with no new article for more than this many intervals has gone quiet.
pub const QUIET_INTERVALS: i32 = 3;
/// How many orders and controls the summary lists.
const TOP: usize = 5;
/// The longest error message quoted for a failing feed.
const ERROR_CHARS: usize = 200;

/// Why a feed shows up in the summary.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedTrouble {
    /// Its last attempt, within the period, failed.
    Failing {
        at: DateTime<Utc>,
        failures: u32,
        class: Option<String>,
        error: Option<String>,
    },
    /// No new article since `since` (its last one, else when it was added).
    Quiet {
        since: DateTime<Utc>,
        had_articles: bool,
        silent: Duration,
    },
}

/// Whether `feed` failed or went quiet between `start` (when given) and `end`.
pub fn trouble(
    feed: &FeedActivity,
    start: Option<DateTime<Utc>>,
    end: DateTime<Utc>,
) -> Option<FeedTrouble> {
    let state = &feed.feed;
    if state.last_status.as_deref() == Some("error") {
        if let Some(at) = state.last_fetch_at {
            if at <= end && start.is_none_or(|s| at >= s) {
                return Some(FeedTrouble::Failing {
                    at,
                    failures: state.consecutive_failures,
                    class: feed.last_error_class.clone(),
                    error: state.last_error.clone(),
                });
            }
        }
    }
    let since = feed.last_new_article_at.or(feed.created_at)?;
    if since > end {
        // Added after the period: it could not have been quiet in it.
        return None;
    }
    let silent = end - since;
    let limit = Duration::minutes(i64::from(state.spec.interval_mins) * i64::from(QUIET_INTERVALS));
    (silent > limit).then_some(FeedTrouble::Quiet {
        since,
        had_articles: feed.last_new_article_at.is_some(),
        silent,
    })
}

/// "5 days", "3 hours", "40 minutes".
fn span(duration: Duration) -> String {
    let (n, unit) = if duration.num_days() >= 2 {
        (duration.num_days(), "day")
    } else if duration.num_hours() >= 2 {
        (duration.num_hours(), "hour")
    } else {
        (duration.num_minutes(), "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn interval(minutes: u32) -> String {
    if minutes.is_multiple_of(60) {
        span(Duration::hours(i64::from(minutes / 60)))
    } else {
        span(Duration::minutes(i64::from(minutes)))
    }
}

fn story_link(item: &ReportStory, text: &str) -> String {
    format!("<a href=\"#{}\">{}</a>", row_id(&item.story), escape(text))
}

pub(super) fn render(page: &mut String, report: &Report, start: Option<NaiveDate>, end: NaiveDate) {
    page.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<dl class=\"facts\">\n");
    let period = match start {
        Some(s) => format!("{s} to {end}"),
        None => format!("up to {end}"),
    };
    let _ = writeln!(page, "<dt>Period</dt><dd>{} <span class=\"hint\">(stories by the day of their first report)</span></dd>", escape(&period));
    if !report.filters.is_empty() {
        let _ = writeln!(
            page,
            "<dt>Filters</dt><dd>{}</dd>",
            escape(&report.filters.join("; "))
        );
    }
    for kind in [EventKind::ChipOrder, EventKind::ExportControl] {
        if !report.shows(kind) {
            continue;
        }
        let stories: Vec<&ReportStory> = report.stories_of(kind).collect();
        let articles: u32 = stories.iter().map(|s| s.story.record.articles).sum();
        let (singular, plural) = kind_names(kind);
        let mut name = plural.to_string();
        name[..1].make_ascii_uppercase();
        let anchor = match kind {
            EventKind::ChipOrder => "orders",
            EventKind::ExportControl => "controls",
        };
        let _ = writeln!(
            page,
            "<dt>{name}</dt><dd><a href=\"#{anchor}\">{} {}</a> from {articles} {}</dd>",
            stories.len(),
            if stories.len() == 1 { singular } else { plural },
            if articles == 1 { "article" } else { "articles" },
        );
    }
    page.push_str("</dl>\n<div class=\"columns\">\n");

    if report.shows(EventKind::ChipOrder) {
        let mut valued: Vec<(&ReportStory, f64)> = report
            .stories_of(EventKind::ChipOrder)
            .filter_map(|s| value_usd(&s.story).map(|v| (s, v)))
            .collect();
        valued.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.story.id.cmp(&b.0.story.id)));
        page.push_str("<div><h3>Largest orders</h3>\n");
        if valued.is_empty() {
            page.push_str(
                "<p class=\"empty\">No order in this period states a value in US dollars.</p>\n",
            );
        } else {
            page.push_str("<ol class=\"top\">\n");
            for (item, value) in valued.iter().take(TOP) {
                let record = &item.story.record;
                let _ = write!(
                    page,
                    "<li><strong>{}</strong> {}",
                    compact_usd(*value),
                    story_link(item, &headline(&record.details, &record.inferred, false))
                );
                if let Some(day) = item.first_day() {
                    let _ = write!(page, " <span class=\"hint\">{day}</span>");
                }
                page.push_str("</li>\n");
            }
            page.push_str("</ol>\n");
        }
        page.push_str("</div>\n");
    }
    if report.shows(EventKind::ExportControl) {
        let mut latest: Vec<&ReportStory> = report.stories_of(EventKind::ExportControl).collect();
        latest.sort_by(|a, b| {
            b.story
                .record
                .first_reported
                .cmp(&a.story.record.first_reported)
                .then(b.story.id.cmp(&a.story.id))
        });
        page.push_str("<div><h3>Latest controls</h3>\n");
        if latest.is_empty() {
            page.push_str("<p class=\"empty\">No export control in this period.</p>\n");
        } else {
            page.push_str("<ol class=\"top\">\n");
            for item in latest.iter().take(TOP) {
                let record = &item.story.record;
                let day = item
                    .first_day()
                    .map(|d| format!("<strong>{d}</strong> "))
                    .unwrap_or_default();
                let _ = writeln!(
                    page,
                    "<li>{day}{}</li>",
                    story_link(item, &headline(&record.details, &record.inferred, false))
                );
            }
            page.push_str("</ol>\n");
        }
        page.push_str("</div>\n");
    }
    page.push_str("</div>\n");
    feeds(page, report, start, end);
    page.push_str("</section>\n");
}

fn feeds(page: &mut String, report: &Report, start: Option<NaiveDate>, end: NaiveDate) {
    let start = start
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    let end = end
        .and_hms_opt(23, 59, 59)
        .map_or(report.generated_at, |t| t.and_utc())
        .min(report.generated_at);
    let troubled: Vec<(&FeedActivity, FeedTrouble)> = report
        .feeds
        .iter()
        .filter_map(|f| trouble(f, start, end).map(|t| (f, t)))
        .collect();
    page.push_str("<h3>Feeds that failed or went quiet</h3>\n");
    if report.feeds.is_empty() {
        page.push_str("<p class=\"empty\">No feeds are configured.</p>\n");
        return;
    }
    if troubled.is_empty() {
        let feeds = match report.feeds.len() {
            1 => "The feed".to_string(),
            n => format!("All {n} feeds"),
        };
        let _ = writeln!(
            page,
            "<p class=\"ok\">{feeds} answered and brought new articles within {QUIET_INTERVALS} times their interval.</p>"
        );
        return;
    }
    page.push_str("<ul class=\"feeds\">\n");
    for (feed, trouble) in troubled {
        let name = escape(&feed.feed.spec.name);
        match trouble {
            FeedTrouble::Failing {
                at,
                failures,
                class,
                error,
            } => {
                let _ = write!(
                    page,
                    "<li class=\"failing\"><strong>{name}</strong> failed: {failures} {} in a row{}, the last on {}",
                    if failures == 1 { "attempt" } else { "attempts" },
                    class.map(|c| format!(" ({})", escape(&c))).unwrap_or_default(),
                    at.format("%Y-%m-%d %H:%M UTC"),
                );
                if let Some(error) = error {
                    let mut short: String = error.chars().take(ERROR_CHARS).collect();
                    if short.len() < error.len() {
                        short.push('…');
                    }
                    let _ = write!(page, "<br><q><bdi>{}</bdi></q>", escape(&short));
                }
                page.push_str("</li>\n");
            }
            FeedTrouble::Quiet {
                since,
                had_articles,
                silent,
            } => {
                let _ = writeln!(
                    page,
                    "<li class=\"quiet\"><strong>{name}</strong> went quiet: no new article for {} {} {} (it is fetched every {})</li>",
                    span(silent),
                    if had_articles { "after its last one on" } else { "since it was added on" },
                    since.format("%Y-%m-%d"),
                    interval(feed.feed.spec.interval_mins),
                );
            }
        }
    }
    page.push_str("</ul>\n");
}
