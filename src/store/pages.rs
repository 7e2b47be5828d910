//! Article page states and the retry queue (`articles.page_*`): which pending pages are
//! due, what a failed retry leaves behind, and the all-or-nothing step in which a page that
//! came back replaces the article's text and metadata and its events (through the same
//! event replacement as `reprocess`). Also the listing behind `chipwatch articles pages`.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, ToSql};

use super::articles::ArticleColumns;
use super::outbox::queue_alerts;
use super::reprocess::{replace_events, ReplacedEvents};
use super::stories::{article_members, restory};
use super::{format_time, time_column, Store, StoreError};
use crate::model::{Article, Event, PageState, PageStatus};

/// A pending page whose next attempt is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePage {
    pub article_id: i64,
    pub url: String,
    /// Attempts made so far, the first fetch included.
    pub attempts: u32,
    /// When the article was stored, i.e. the page's first attempt: retries stay within
    /// `page_retry_hours` of it.
    pub first_attempt_at: DateTime<Utc>,
}

/// One article's page, as `chipwatch articles pages` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRow {
    pub article_id: i64,
    pub url: String,
    pub title: Option<String>,
    pub state: PageState,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub error_class: Option<String>,
    pub stored_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Pending pages due at `now`, the longest-waiting first; with `feed_ids`, only the
    /// pages of articles those feeds carried.
    pub fn due_pages(
        &self,
        now: DateTime<Utc>,
        feed_ids: Option<&[i64]>,
    ) -> Result<Vec<DuePage>, StoreError> {
        let context = "listing the article pages due for a retry";
        let feeds =
            feed_ids.map(|ids| serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_string()));
        let mut stmt = self
            .conn
            .prepare(
                "SELECT a.id, a.url, a.page_attempts, a.fetched_at FROM articles a
                 WHERE a.page_state = 'pending' AND a.page_next_attempt_at <= ?1
                   AND (?2 IS NULL OR EXISTS (
                        SELECT 1 FROM article_feeds f WHERE f.article_id = a.id
                        AND f.feed_id IN (SELECT value FROM json_each(?2))))
                 ORDER BY a.page_next_attempt_at, a.id",
            )
            .map_err(StoreError::sqlite(context))?;
        let rows = stmt
            .query_map(params![format_time(now), feeds], |row| {
                Ok(DuePage {
                    article_id: row.get(0)?,
                    url: row.get(1)?,
                    attempts: u32::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                    first_attempt_at: time_column(row, "fetched_at")?.unwrap_or(now),
                })
            })
            .map_err(StoreError::sqlite(context))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::sqlite(context))
    }

    /// When the earliest pending page is due (`None`: no page is pending).
    pub fn next_page_attempt(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let context = "looking up the next page retry";
        let next: Option<String> = self
            .conn
            .query_row(
                "SELECT min(page_next_attempt_at) FROM articles WHERE page_state = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(StoreError::sqlite(context))?;
        Ok(next
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    /// Records where an article's page stands after an attempt that did not replace its
    /// text: still pending (with its next attempt), failed, refused, or fetched but no
    /// better than the feed's text.
    pub fn set_page_status(
        &mut self,
        article_id: i64,
        status: &PageStatus,
    ) -> Result<(), StoreError> {
        self.join_batch()?;
        let changed = self
            .conn
            .execute(
                "UPDATE articles SET page_state = ?2, page_attempts = ?3,
                     page_next_attempt_at = ?4, page_error = ?5, page_error_class = ?6
                 WHERE id = ?1",
                params![
                    article_id,
                    status.state.as_str(),
                    status.attempts,
                    status.next_attempt_at.map(format_time),
                    status.error,
                    status.error_class,
                ],
            )
            .map_err(StoreError::sqlite(format!(
                "recording the page state of article {article_id}"
            )))?;
        if changed == 0 {
            return Err(StoreError::InvalidValue {
                what: "article id",
                detail: format!("no article {article_id} in the database"),
            });
        }
        Ok(())
    }

    /// The article's page came back: all at once (one transaction, or one savepoint of a
    /// write batch), its text and metadata become `article`'s (`text_source = 'page'`),
    /// its page state `ok` after `attempts`, and its events `events`, found with
    /// `rules_version` — events found again keep their ids, as in `reprocess` — and the
    /// stories follow. The URL (the dedup key) stays as stored.
    pub fn replace_article_page(
        &mut self,
        article_id: i64,
        article: &Article,
        attempts: u32,
        rules_version: &str,
        events: &[Event],
    ) -> Result<ReplacedEvents, StoreError> {
        let context = || format!("storing the page of article {article_id}");
        self.join_batch()?;
        let tx = self
            .conn
            .savepoint()
            .map_err(StoreError::sqlite(context()))?;
        let content = ArticleColumns::of(article);
        let mut values = content.named();
        values.extend_from_slice(&[(":id", &article_id as &dyn ToSql), (":attempts", &attempts)]);
        let url: String = tx
            .query_row(
                "UPDATE articles SET canonical_url = :canonical_url, title = :title,
                     published = :published, published_date = :published_date,
                     author = :author, site = :site, lang = :lang, text = :text,
                     text_source = :text_source, page_state = 'ok', page_attempts = :attempts,
                     page_next_attempt_at = NULL, page_error = NULL, page_error_class = NULL
                 WHERE id = :id
                 RETURNING url",
                values.as_slice(),
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::sqlite(context()))?
            .ok_or_else(|| StoreError::InvalidValue {
                what: "article id",
                detail: format!("no article {article_id} in the database"),
            })?;
        let before = article_members(&tx, article_id)?;
        let replaced = replace_events(&tx, article_id, &url, rules_version, events)?;
        let ids: Vec<i64> = replaced.events.iter().filter_map(|e| e.id).collect();
        let now = Utc::now();
        let changes = restory(&tx, before, &ids, now)?;
        queue_alerts(&tx, &changes, &self.alert_filters, now)?;
        tx.commit().map_err(StoreError::sqlite(context()))?;
        self.article_written()?;
        Ok(replaced)
    }

    /// Articles whose page is in one of `states`, pending ones by when they are due and
    /// the others newest first, at most `limit`.
    pub fn pages(&self, states: &[PageState], limit: usize) -> Result<Vec<PageRow>, StoreError> {
        let context = "listing article pages";
        let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
        let states = serde_json::to_string(&states).unwrap_or_else(|_| "[]".to_string());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, url, title, page_state, page_attempts, page_next_attempt_at,
                        page_error, page_error_class, fetched_at
                 FROM articles
                 WHERE page_state IN (SELECT value FROM json_each(?1))
                 ORDER BY page_state <> 'pending', page_next_attempt_at, id DESC
                 LIMIT ?2",
            )
            .map_err(StoreError::sqlite(context))?;
        let rows = stmt
            .query_map(params![states, limit], |row| {
                let state: String = row.get("page_state")?;
                Ok(PageRow {
                    article_id: row.get("id")?,
                    url: row.get("url")?,
                    title: row.get("title")?,
                    state: state.parse().unwrap_or(PageState::Failed),
                    attempts: u32::try_from(row.get::<_, i64>("page_attempts")?).unwrap_or(0),
                    next_attempt_at: time_column(row, "page_next_attempt_at")?,
                    error: row.get("page_error")?,
                    error_class: row.get("page_error_class")?,
                    stored_at: time_column(row, "fetched_at")?,
                })
            })
            .map_err(StoreError::sqlite(context))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::sqlite(context))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use chrono::Duration;

    use super::super::testing::{article, chip_order, export_control, spec, temp_store};
    use super::*;
    use crate::model::TextSource;

    const URL: &str = "https://news.example/teaser";

    fn pending(attempts: u32, next: DateTime<Utc>) -> PageStatus {
        PageStatus {
            state: PageState::Pending,
            attempts,
            next_attempt_at: Some(next),
            error: Some("HTTP status 503".into()),
            error_class: Some("http_5xx".into()),
        }
    }

    fn teaser() -> Article {
        let mut teaser = article(URL, 9);
        teaser.text = "Baidu is said to be buying chips.".into();
        teaser.text_source = TextSource::Feed;
        teaser
    }

    #[test]
    fn pending_pages_are_due_at_their_time_and_only_for_their_feeds() {
        let (_dir, mut store) = temp_store();
        store.sync_config_feeds(&[spec("a"), spec("b")]).unwrap();
        let ids: Vec<i64> = store.feeds().unwrap().iter().map(|f| f.id).collect();
        let now = Utc::now();
        let (id, _) = store
            .insert_article_with_page(
                Some(ids[0]),
                None,
                &teaser(),
                &[],
                Some(&pending(1, now + Duration::minutes(5))),
            )
            .unwrap();
        assert!(store.due_pages(now, None).unwrap().is_empty());
        assert_eq!(
            store.next_page_attempt().unwrap().map(format_time),
            Some(format_time(now + Duration::minutes(5)))
        );
        let later = now + Duration::minutes(6);
        let due = store.due_pages(later, None).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].article_id, due[0].attempts), (id, 1));
        assert_eq!(due[0].url, URL);
        assert!((due[0].first_attempt_at - now).num_seconds().abs() <= 1);
        assert_eq!(store.due_pages(later, Some(&ids[..1])).unwrap().len(), 1);
        assert!(store.due_pages(later, Some(&ids[1..])).unwrap().is_empty());

        let mut failed = pending(5, later);
        failed.state = PageState::Failed;
        failed.next_attempt_at = None;
        store.set_page_status(id, &failed).unwrap();
        assert!(store.due_pages(later, None).unwrap().is_empty());
        assert_eq!(store.next_page_attempt().unwrap(), None);
        let listed = store.pages(&[PageState::Failed], 10).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].state, listed[0].attempts),
            (PageState::Failed, 5)
        );
        assert_eq!(listed[0].error_class.as_deref(), Some("http_5xx"));
        assert!(store.pages(&[PageState::Pending], 10).unwrap().is_empty());
        assert!(store.set_page_status(id + 1, &failed).is_err());
    }

    #[test]
    fn a_page_that_comes_back_replaces_text_and_events_in_one_go() {
        let (_dir, mut store) = temp_store();
        let now = Utc::now();
        let (id, first) = store
            .insert_article_with_page(
                None,
                None,
                &teaser(),
                &[chip_order(URL, 9)],
                Some(&pending(1, now)),
            )
            .unwrap();
        let page = article(URL, 9);
        let found = [chip_order(URL, 9), export_control(URL, 9)];
        let done = store
            .replace_article_page(id, &page, 2, "v2", &found)
            .unwrap();
        assert_eq!((done.new, done.removed), (1, 0));
        assert_eq!(
            done.events[0].id, first[0].id,
            "an unchanged event keeps its id"
        );
        assert_eq!(done.added.len(), 1);
        assert_eq!(store.article(id).unwrap(), Some(page));
        let row = &store.pages(&[PageState::Ok], 10).unwrap()[0];
        assert_eq!((row.state, row.attempts), (PageState::Ok, 2));
        assert_eq!((row.next_attempt_at, row.error.as_deref()), (None, None));
        assert!(store
            .articles_to_reprocess("v2", None, 10)
            .unwrap()
            .is_empty());
        assert_eq!(store.search_articles("Nvidia", 5).unwrap().len(), 1);
        assert!(store
            .replace_article_page(id + 1, &teaser(), 2, "v2", &[])
            .is_err());
    }

    /// What a recovered page leaves in the row is what storing that page first would have.
    #[test]
    fn a_recovered_page_is_stored_as_a_page_stored_at_once() {
        let (_dir, mut store) = temp_store();
        let other = "https://news.example/other";
        let (stored, _) = store
            .insert_article(None, None, &article(other, 9), &[])
            .unwrap();
        let (recovered, _) = store
            .insert_article_with_page(None, None, &teaser(), &[], Some(&pending(1, Utc::now())))
            .unwrap();
        let mut page = article(other, 9);
        page.url = Some(URL.to_string());
        store
            .replace_article_page(recovered, &page, 1, "v2", &[])
            .unwrap();
        let content = |id: i64| -> Vec<Option<String>> {
            store
                .conn
                .query_row(
                    "SELECT canonical_url, title, published, published_date, author, site,
                            lang, text, text_source, page_state, CAST(page_attempts AS TEXT)
                     FROM articles WHERE id = ?1",
                    [id],
                    |r| (0..11).map(|i| r.get(i)).collect(),
                )
                .unwrap()
        };
        let row = content(stored);
        assert_eq!(row[3].as_deref(), Some("2023-11-09"), "{row:?}");
        assert_eq!(content(recovered), row);
    }
}
