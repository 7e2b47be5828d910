//! Unit tests of the report's small helpers: figures for people, the script hash's
//! encoding, and when a feed counts as failed or quiet.

use chrono::{Duration, TimeZone, Utc};

use super::summary::{trouble, FeedTrouble};
use super::*;
use crate::model::{FeedSource, FeedSpec, FeedState};

#[test]
fn money_and_counts_read_at_a_glance() {
    assert_eq!(compact_usd(61_830_000.0), "$61.8M");
    assert_eq!(compact_usd(1_000_000_000.0), "$1B");
    assert_eq!(compact_usd(1_250_000_000.0), "$1.25B");
    assert_eq!(compact_usd(950_000.0), "$950K");
    assert_eq!(compact_usd(800.0), "$800");
    assert_eq!(thousands(1600.0), "1,600");
    assert_eq!(thousands(450_000_000.5), "450,000,000.5");
    assert_eq!(thousands(999.0), "999");
}

#[test]
fn the_script_hash_is_standard_base64() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}

fn feed(status: Option<&str>, fetched: i64, last_article: Option<i64>) -> FeedActivity {
    let at =
        |hours: i64| Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap() + Duration::hours(hours);
    FeedActivity {
        feed: FeedState {
            id: 1,
            spec: FeedSpec {
                name: "wire".into(),
                url: "https://wire.example/feed".into(),
                interval_mins: 60,
                fetch_articles: true,
            },
            source: FeedSource::Config,
            etag: None,
            last_modified: None,
            next_fetch_at: None,
            last_fetch_at: Some(at(fetched)),
            last_success_at: None,
            last_status: status.map(Into::into),
            last_error: Some("HTTP status 503".into()),
            consecutive_failures: 2,
        },
        last_error_class: Some("http_5xx".into()),
        created_at: Some(at(0)),
        last_new_article_at: last_article.map(at),
    }
}

#[test]
fn a_feed_failed_when_its_last_attempt_in_the_period_did_and_is_quiet_after_three_intervals() {
    let at =
        |hours: i64| Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap() + Duration::hours(hours);
    let failing = feed(Some("error"), 10, Some(9));
    assert!(matches!(
        trouble(&failing, Some(at(0)), at(12)),
        Some(FeedTrouble::Failing { failures: 2, .. })
    ));
    // Its failure came after the period: within the period it was fine.
    assert_eq!(trouble(&failing, Some(at(0)), at(9)), None);
    // Quiet: more than three hourly intervals since the last new article.
    let ok = feed(Some("ok"), 10, Some(5));
    assert_eq!(trouble(&ok, None, at(8)), None);
    assert!(matches!(
        trouble(&ok, None, at(9)),
        Some(FeedTrouble::Quiet {
            had_articles: true,
            ..
        })
    ));
    // Never an article: counted from when the feed was added.
    let empty = feed(Some("ok"), 10, None);
    assert!(matches!(
        trouble(&empty, None, at(4)),
        Some(FeedTrouble::Quiet {
            had_articles: false,
            ..
        })
    ));
    // Added after the period: not quiet in it.
    assert_eq!(trouble(&empty, None, at(-1)), None);
}
