//! Fetch state kept beside the `feeds` columns of the first schema (migration 002): the
//! class of a feed's last failure. Kept apart from `feeds.rs` so the fetch stage's
//! bookkeeping grows here.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

impl Store {
    /// Sets (or, with `None` after a success, clears) the class of the feed's last
    /// failure.
    pub fn set_feed_error_class(
        &mut self,
        feed_id: i64,
        class: Option<&str>,
    ) -> Result<(), StoreError> {
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
}
