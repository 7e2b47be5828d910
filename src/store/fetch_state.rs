//! Fetch state kept beside the `feeds` columns of the first schema (migration 002): the
//! class of a feed's last failure. Kept apart from `feeds.rs` so the fetch stage's
//! bookkeeping grows here.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{format_time, Store, StoreError};

impl Store {
    /// Sets (or, with `None` after a success, clears) the class of the feed's last
    /// failure.
    pub fn set_feed_error_class(
        &mut self,
        feed_id: i64,
        class: Option<&str>,
    ) -> Result<(), StoreError> {
        self.join_batch()?;
        let changed = self
            .conn
            .execute(
                "UPDATE feeds SET last_error_class = ?2 WHERE id = ?1",
                params![feed_id, class],
            )
            .map_err(StoreError::sqlite(format!(
                "recording the error class of feed {feed_id}"
            )))?;
        if changed == 0 {
            return Err(StoreError::UnknownFeed { feed_id });
        }
        Ok(())
    }

    /// The class of the feed's last failure, `None` when it last succeeded (or is unknown).
    pub fn feed_error_class(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT last_error_class FROM feeds WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(StoreError::sqlite(format!(
                "reading the error class of feed `{name}`"
            )))
    }
}

impl Store {
    /// Feeds whose last attempt, at or after `since` (a pass's start), failed, counted by
    /// error class, most frequent first: the "failed by class" part of a pass summary.
    pub fn failed_feeds_by_class(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let context = "counting failed feeds by class";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT coalesce(last_error_class, 'unknown'), count(*) FROM feeds
                 WHERE last_status = 'error' AND last_fetch_at >= ?1
                 GROUP BY 1 ORDER BY 2 DESC, 1",
            )
            .map_err(StoreError::sqlite(context))?;
        let rows = stmt
            .query_map([format_time(since)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(StoreError::sqlite(context))?;
        rows.map(|row| row.map(|(class, n)| (class, u64::try_from(n).unwrap_or(0))))
            .collect::<Result<_, _>>()
            .map_err(StoreError::sqlite(context))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::temp_store;
    use crate::model::FeedSpec;

    #[test]
    fn error_class_is_set_and_cleared() {
        let (_dir, mut store) = temp_store();
        let spec = FeedSpec {
            name: "a".into(),
            url: "https://news.example/feed".into(),
            interval_mins: 30,
            fetch_articles: true,
        };
        store.sync_config_feeds(&[spec]).unwrap();
        let id = store.feeds().unwrap()[0].id;
        assert_eq!(store.feed_error_class("a").unwrap(), None);
        store.set_feed_error_class(id, Some("timeout")).unwrap();
        assert_eq!(
            store.feed_error_class("a").unwrap().as_deref(),
            Some("timeout")
        );
        store.set_feed_error_class(id, None).unwrap();
        assert_eq!(store.feed_error_class("a").unwrap(), None);
        assert!(store.set_feed_error_class(id + 100, None).is_err());
    }

    #[test]
    fn failures_since_a_time_are_counted_by_class() {
        use chrono::TimeZone;
        let (_dir, mut store) = temp_store();
        let specs: Vec<FeedSpec> = ["a", "b", "c", "d"]
            .iter()
            .map(|n| FeedSpec {
                name: (*n).into(),
                url: format!("https://news.example/{n}"),
                interval_mins: 30,
                fetch_articles: true,
            })
            .collect();
        store.sync_config_feeds(&specs).unwrap();
        let at = |h| chrono::Utc.with_ymd_and_hms(2024, 1, 1, h, 0, 0).unwrap();
        let feeds = store.feeds().unwrap();
        for (feed, (hour, class)) in
            feeds
                .iter()
                .zip([(2, "timeout"), (2, "timeout"), (2, "parse"), (1, "timeout")])
        {
            store
                .record_feed_failure(feed.id, at(hour), "x", at(hour + 1))
                .unwrap();
            store.set_feed_error_class(feed.id, Some(class)).unwrap();
        }
        assert_eq!(
            store.failed_feeds_by_class(at(2)).unwrap(),
            [("timeout".to_string(), 2), ("parse".to_string(), 1)]
        );
    }
}
