//! The `feeds` table: which feeds exist (from the config file or `chipwatch feeds add`),
//! when each is due, the validators for its next conditional GET, and its health. Config
//! feeds are synced from the config at every start; their fetch state survives the sync.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

use super::{format_time, is_unique_violation, time_column, Store, StoreError};
use crate::model::{FeedSource, FeedSpec, FeedState};

/// Columns read into a [`FeedState`], in the order `feed_from_row` expects by name.
pub(super) const FEED_COLUMNS: &str =
    "id, name, url, source, interval_mins, fetch_articles, etag, \
     last_modified, next_fetch_at, last_fetch_at, last_success_at, last_status, last_error, \
     consecutive_failures";

impl Store {
    /// Makes the config feeds in the database match `feeds`: new ones are added, existing
    /// ones get the configured url/interval/fetch_articles while keeping their state, and
    /// config feeds no longer configured are deleted (their articles stay, the links go).
    /// A CLI feed whose name now appears in the config is taken over by the config.
    pub fn sync_config_feeds(&mut self, feeds: &[FeedSpec]) -> Result<(), StoreError> {
        let now = format_time(Utc::now());
        let tx = self
            .conn
            .savepoint()
            .map_err(StoreError::sqlite("syncing config feeds"))?;
        for spec in feeds {
            let context = || format!("syncing config feed `{}`", spec.name);
            let previous: Option<String> = tx
                .query_row(
                    "SELECT source FROM feeds WHERE name = ?1",
                    [&spec.name],
                    |r| r.get(0),
                )
                .optional()
                .map_err(StoreError::sqlite(context()))?;
            if previous.as_deref() == Some("cli") {
                tracing::warn!(feed = %spec.name, "feed added with `feeds add` is now in the config; the config takes it over");
            }
            // Validators belong to a URL: when the URL changes they are dropped, and the
            // feed becomes due at once.
            tx.execute(
                "INSERT INTO feeds (name, url, source, interval_mins, fetch_articles, created_at)
                 VALUES (?1, ?2, 'config', ?3, ?4, ?5)
                 ON CONFLICT (name) DO UPDATE SET
                     source = 'config',
                     interval_mins = excluded.interval_mins,
                     fetch_articles = excluded.fetch_articles,
                     etag = iif(url = excluded.url, etag, NULL),
                     last_modified = iif(url = excluded.url, last_modified, NULL),
                     next_fetch_at = iif(url = excluded.url, next_fetch_at, NULL),
                     url = excluded.url",
                params![
                    spec.name,
                    spec.url,
                    spec.interval_mins,
                    spec.fetch_articles,
                    now
                ],
            )
            .map_err(StoreError::sqlite(context()))?;
        }

        let configured: HashSet<&str> = feeds.iter().map(|f| f.name.as_str()).collect();
        let stored: Vec<String> = {
            let mut stmt = tx
                .prepare("SELECT name FROM feeds WHERE source = 'config'")
                .map_err(StoreError::sqlite("listing config feeds"))?;
            let rows = stmt
                .query_map([], |r| r.get(0))
                .map_err(StoreError::sqlite("listing config feeds"))?;
            rows.collect::<Result<_, _>>()
                .map_err(StoreError::sqlite("listing config feeds"))?
        };
        for name in stored.iter().filter(|n| !configured.contains(n.as_str())) {
            tx.execute("DELETE FROM feeds WHERE name = ?1", [name])
                .map_err(StoreError::sqlite(format!(
                    "deleting feed `{name}` (no longer in the config)"
                )))?;
            tracing::info!(feed = %name, "feed removed from the config; deleted (its articles stay)");
        }
        tx.commit()
            .map_err(StoreError::sqlite("committing the config feed sync"))
    }

    /// Stores a feed declared on the command line. Any existing feed of that name, from
    /// the config or the command line, is an error.
    pub fn add_cli_feed(&mut self, spec: &FeedSpec) -> Result<(), StoreError> {
        let result = self.conn.execute(
            "INSERT INTO feeds (name, url, source, interval_mins, fetch_articles, created_at)
             VALUES (?1, ?2, 'cli', ?3, ?4, ?5)",
            params![
                spec.name,
                spec.url,
                spec.interval_mins,
                spec.fetch_articles,
                format_time(Utc::now())
            ],
        );
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => {
                let source_name = self
                    .feed_source(&spec.name)?
                    .map_or("unknown", FeedSource::as_str)
                    .to_string();
                Err(StoreError::FeedExists {
                    name: spec.name.clone(),
                    source_name,
                })
            }
            Err(e) => Err(StoreError::sqlite(format!("adding feed `{}`", spec.name))(
                e,
            )),
        }
    }

    /// Deletes a feed added on the command line; `Ok(false)` when no feed has that name.
    /// Config feeds are refused: they would come back at the next start.
    pub fn remove_cli_feed(&mut self, name: &str) -> Result<bool, StoreError> {
        match self.feed_source(name)? {
            None => Ok(false),
            Some(FeedSource::Config) => Err(StoreError::ConfigFeedNotRemovable {
                name: name.to_string(),
            }),
            Some(FeedSource::Cli) => {
                self.conn
                    .execute(
                        "DELETE FROM feeds WHERE name = ?1 AND source = 'cli'",
                        [name],
                    )
                    .map_err(StoreError::sqlite(format!("removing feed `{name}`")))?;
                Ok(true)
            }
        }
    }

    /// Every feed, by name.
    pub fn feeds(&self) -> Result<Vec<FeedState>, StoreError> {
        self.query_feeds(
            &format!("SELECT {FEED_COLUMNS} FROM feeds ORDER BY name"),
            params![],
        )
    }

    /// Feeds due at `now` (never fetched, or `next_fetch_at` reached), longest-waiting
    /// first.
    pub fn due_feeds(&self, now: DateTime<Utc>) -> Result<Vec<FeedState>, StoreError> {
        self.query_feeds(
            &format!(
                "SELECT {FEED_COLUMNS} FROM feeds
                 WHERE next_fetch_at IS NULL OR next_fetch_at <= ?1
                 ORDER BY next_fetch_at NULLS FIRST, name"
            ),
            params![format_time(now)],
        )
    }

    /// Records a successful fetch (200, or 304 when `not_modified`) and resets the failure
    /// count. On a 304 the validators given replace the stored ones only when present,
    /// since servers need not repeat them; on a 200 they are replaced as given.
    pub fn record_feed_fetched(
        &mut self,
        feed_id: i64,
        now: DateTime<Utc>,
        not_modified: bool,
        etag: Option<&str>,
        last_modified: Option<&str>,
        next_fetch_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // In the pass's batch, after the feed's articles: a crash that loses them loses
        // the new validators too, so the feed is fetched in full again.
        self.join_batch()?;
        let changed = self
            .conn
            .execute(
                "UPDATE feeds SET
                     last_fetch_at = ?2,
                     last_success_at = ?2,
                     last_status = iif(?3, 'not_modified', 'ok'),
                     etag = iif(?3, coalesce(?4, etag), ?4),
                     last_modified = iif(?3, coalesce(?5, last_modified), ?5),
                     next_fetch_at = ?6,
                     last_error = NULL,
                     consecutive_failures = 0
                 WHERE id = ?1",
                params![
                    feed_id,
                    format_time(now),
                    not_modified,
                    etag,
                    last_modified,
                    format_time(next_fetch_at)
                ],
            )
            .map_err(StoreError::sqlite(format!(
                "recording a fetch of feed {feed_id}"
            )))?;
        if changed == 0 {
            return Err(StoreError::UnknownFeed { feed_id });
        }
        Ok(())
    }

    /// Records a failed fetch and returns the new count of failures in a row (the caller
    /// derives the backoff from it and passes the resulting `next_fetch_at`).
    pub fn record_feed_failure(
        &mut self,
        feed_id: i64,
        now: DateTime<Utc>,
        error: &str,
        next_fetch_at: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.join_batch()?;
        self.conn
            .query_row(
                "UPDATE feeds SET
                     last_fetch_at = ?2,
                     last_status = 'error',
                     last_error = ?3,
                     next_fetch_at = ?4,
                     consecutive_failures = consecutive_failures + 1
                 WHERE id = ?1
                 RETURNING consecutive_failures",
                params![feed_id, format_time(now), error, format_time(next_fetch_at)],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::sqlite(format!(
                "recording a failure of feed {feed_id}"
            )))?
            .ok_or(StoreError::UnknownFeed { feed_id })
    }

    /// Articles stored per feed id (an article carried by two feeds counts for both).
    pub fn article_counts_by_feed(&self) -> Result<HashMap<i64, u64>, StoreError> {
        let context = "counting articles per feed";
        let mut stmt = self
            .conn
            .prepare("SELECT feed_id, count(*) FROM article_feeds GROUP BY feed_id")
            .map_err(StoreError::sqlite(context))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
            .map_err(StoreError::sqlite(context))?;
        let mut counts = HashMap::new();
        for row in rows {
            let (feed, n) = row.map_err(StoreError::sqlite(context))?;
            counts.insert(feed, u64::try_from(n).unwrap_or(0));
        }
        Ok(counts)
    }

    fn feed_source(&self, name: &str) -> Result<Option<FeedSource>, StoreError> {
        let source: Option<String> = self
            .conn
            .query_row("SELECT source FROM feeds WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(StoreError::sqlite(format!("looking up feed `{name}`")))?;
        Ok(source.map(|s| {
            if s == "cli" {
                FeedSource::Cli
            } else {
                FeedSource::Config
            }
        }))
    }

    fn query_feeds(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<FeedState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(sql)
            .map_err(StoreError::sqlite("listing feeds"))?;
        let rows = stmt
            .query_map(params, feed_from_row)
            .map_err(StoreError::sqlite("listing feeds"))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::sqlite("reading feeds"))
    }
}

pub(super) fn feed_from_row(row: &Row<'_>) -> rusqlite::Result<FeedState> {
    let source: String = row.get("source")?;
    Ok(FeedState {
        id: row.get("id")?,
        spec: FeedSpec {
            name: row.get("name")?,
            url: row.get("url")?,
            interval_mins: row.get("interval_mins")?,
            fetch_articles: row.get("fetch_articles")?,
        },
        source: if source == "cli" {
            FeedSource::Cli
        } else {
            FeedSource::Config
        },
        etag: row.get("etag")?,
        last_modified: row.get("last_modified")?,
        next_fetch_at: time_column(row, "next_fetch_at")?,
        last_fetch_at: time_column(row, "last_fetch_at")?,
        last_success_at: time_column(row, "last_success_at")?,
        last_status: row.get("last_status")?,
        last_error: row.get("last_error")?,
        consecutive_failures: row.get("consecutive_failures")?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::super::testing::{spec, temp_store};
    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, hour, 0, 0).unwrap()
    }

    fn by_name(store: &Store, name: &str) -> FeedState {
        store
            .feeds()
            .unwrap()
            .into_iter()
            .find(|f| f.spec.name == name)
            .unwrap()
    }

    #[test]
    fn config_sync_adds_updates_and_removes_while_keeping_state() {
        let (_dir, mut store) = temp_store();
        store.sync_config_feeds(&[spec("a"), spec("b")]).unwrap();
        let feeds = store.feeds().unwrap();
        assert_eq!(feeds.len(), 2);
        assert!(feeds.iter().all(|f| f.source == FeedSource::Config));
        assert_eq!(feeds[0].spec, spec("a"));
        assert_eq!(feeds[0].last_status, None);

        let a = by_name(&store, "a");
        store
            .record_feed_fetched(a.id, at(1), false, Some("\"v1\""), Some("Fri"), at(2))
            .unwrap();

        // Same URL, new interval: state kept.
        let mut a2 = spec("a");
        a2.interval_mins = 90;
        a2.fetch_articles = false;
        store.sync_config_feeds(&[a2.clone()]).unwrap();
        let a_after = by_name(&store, "a");
        assert_eq!(a_after.id, a.id);
        assert_eq!(a_after.spec, a2);
        assert_eq!(a_after.etag.as_deref(), Some("\"v1\""));
        assert_eq!(a_after.next_fetch_at, Some(at(2)));
        assert_eq!(a_after.last_success_at, Some(at(1)));
        assert_eq!(store.feeds().unwrap().len(), 1, "b left the config");

        // New URL: validators dropped and due now, history kept.
        let mut a3 = a2.clone();
        a3.url = "https://elsewhere.example/feed".into();
        store.sync_config_feeds(&[a3.clone()]).unwrap();
        let a_moved = by_name(&store, "a");
        assert_eq!(a_moved.spec.url, a3.url);
        assert_eq!(a_moved.etag, None);
        assert_eq!(a_moved.last_modified, None);
        assert_eq!(a_moved.next_fetch_at, None);
        assert_eq!(a_moved.last_success_at, Some(at(1)));
    }

    #[test]
    fn config_sync_leaves_cli_feeds_alone() {
        let (_dir, mut store) = temp_store();
        store.add_cli_feed(&spec("mine")).unwrap();
        store.sync_config_feeds(&[spec("a")]).unwrap();
        store.sync_config_feeds(&[]).unwrap();
        let feeds = store.feeds().unwrap();
        assert_eq!(feeds.len(), 1);
        assert_eq!(feeds[0].spec.name, "mine");
        assert_eq!(feeds[0].source, FeedSource::Cli);
    }

    #[test]
    fn cli_feed_clashing_with_any_feed_name_is_an_error() {
        let (_dir, mut store) = temp_store();
        store.sync_config_feeds(&[spec("a")]).unwrap();
        let err = store.add_cli_feed(&spec("a")).unwrap_err();
        assert!(
            matches!(&err, StoreError::FeedExists { name, source_name } if name == "a" && source_name == "config"),
            "{err:?}"
        );
        store.add_cli_feed(&spec("b")).unwrap();
        let err = store.add_cli_feed(&spec("b")).unwrap_err();
        assert!(err.to_string().contains("`b`"), "{err}");
    }

    #[test]
    fn only_cli_feeds_can_be_removed() {
        let (_dir, mut store) = temp_store();
        store.sync_config_feeds(&[spec("a")]).unwrap();
        store.add_cli_feed(&spec("b")).unwrap();
        assert!(matches!(
            store.remove_cli_feed("a"),
            Err(StoreError::ConfigFeedNotRemovable { .. })
        ));
        assert!(store.remove_cli_feed("b").unwrap());
        assert!(!store.remove_cli_feed("b").unwrap());
        assert_eq!(store.feeds().unwrap().len(), 1);
    }

    #[test]
    fn due_feeds_respect_next_fetch_at() {
        let (_dir, mut store) = temp_store();
        store
            .sync_config_feeds(&[spec("never"), spec("later"), spec("earlier")])
            .unwrap();
        let id = |name| by_name(&store, name).id;
        let (later, earlier) = (id("later"), id("earlier"));
        store
            .record_feed_fetched(later, at(1), false, None, None, at(5))
            .unwrap();
        store
            .record_feed_failure(earlier, at(1), "timeout", at(3))
            .unwrap();

        let names = |now| -> Vec<String> {
            store
                .due_feeds(now)
                .unwrap()
                .into_iter()
                .map(|f| f.spec.name)
                .collect()
        };
        assert_eq!(names(at(2)), ["never"]);
        assert_eq!(
            names(at(3)),
            ["never", "earlier"],
            "due exactly at next_fetch_at"
        );
        assert_eq!(names(at(6)), ["never", "earlier", "later"]);
        assert_eq!(names(at(4) + Duration::minutes(59)), ["never", "earlier"]);
    }

    #[test]
    fn failures_count_up_and_a_success_resets_them() {
        let (_dir, mut store) = temp_store();
        store.sync_config_feeds(&[spec("a")]).unwrap();
        let id = by_name(&store, "a").id;
        store
            .record_feed_fetched(id, at(1), false, Some("e1"), Some("lm1"), at(2))
            .unwrap();
        assert_eq!(
            store
                .record_feed_failure(id, at(2), "HTTP 503", at(3))
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .record_feed_failure(id, at(3), "timeout", at(5))
                .unwrap(),
            2
        );
        let failed = by_name(&store, "a");
        assert_eq!(failed.consecutive_failures, 2);
        assert_eq!(failed.last_status.as_deref(), Some("error"));
        assert_eq!(failed.last_error.as_deref(), Some("timeout"));
        assert_eq!(failed.last_fetch_at, Some(at(3)));
        assert_eq!(failed.last_success_at, Some(at(1)));
        assert_eq!(
            failed.etag.as_deref(),
            Some("e1"),
            "a failure keeps validators"
        );

        // 304 without validators keeps the stored ones.
        store
            .record_feed_fetched(id, at(5), true, None, None, at(6))
            .unwrap();
        let ok = by_name(&store, "a");
        assert_eq!(ok.consecutive_failures, 0);
        assert_eq!(ok.last_status.as_deref(), Some("not_modified"));
        assert_eq!(ok.last_error, None);
        assert_eq!(ok.etag.as_deref(), Some("e1"));
        assert_eq!(ok.last_modified.as_deref(), Some("lm1"));
        assert_eq!(ok.last_success_at, Some(at(5)));

        // 200 without validators clears them: the new content has none.
        store
            .record_feed_fetched(id, at(6), false, None, None, at(7))
            .unwrap();
        let fresh = by_name(&store, "a");
        assert_eq!(fresh.last_status.as_deref(), Some("ok"));
        assert_eq!(fresh.etag, None);
        assert_eq!(fresh.next_fetch_at, Some(at(7)));
    }

    #[test]
    fn recording_for_an_unknown_feed_is_an_error() {
        let (_dir, mut store) = temp_store();
        assert!(matches!(
            store.record_feed_failure(42, at(1), "x", at(2)),
            Err(StoreError::UnknownFeed { feed_id: 42 })
        ));
        assert!(matches!(
            store.record_feed_fetched(42, at(1), false, None, None, at(2)),
            Err(StoreError::UnknownFeed { feed_id: 42 })
        ));
    }
}
