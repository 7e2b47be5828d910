//! What `chipwatch reprocess` needs from the store: which articles were matched with other
//! rules, each article read back as the model [`Article`], and an idempotent replacement
//! of an article's events in one transaction. Events found again keep their row and id
//! (matched by fingerprint); events the new rules no longer find are deleted. A page
//! retry that brings an article's page back replaces its events the same way
//! ([`replace_events`], inside the transaction that also replaces the text). `reprocess`
//! marks the stories for regrouping, which it does at its end; a page retry brings them
//! up to date at once (see `pages.rs`).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate};
use rusqlite::{params, Connection, OptionalExtension};

use super::events::{fingerprint, insert_event};
use super::stories::request_rebuild;
use super::{parsed_column, Store, StoreError};
use crate::model::{Article, Event, EventKind, Published, TextSource};

/// What replacing an article's events did.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplacedEvents {
    /// The article's events as now stored, in the order given.
    pub events: Vec<Event>,
    /// How many of them are new rows.
    pub new: usize,
    /// How many old rows were deleted because the rules no longer find them.
    pub removed: usize,
    /// The kinds of the new rows, and of the deleted ones.
    pub added_kinds: Vec<EventKind>,
    pub removed_kinds: Vec<EventKind>,
    /// The new rows as stored (ids set), for reporting them.
    pub added: Vec<Event>,
}

impl Store {
    /// Ids of articles not yet matched with `rules_version` (including those whose
    /// version is unknown), ascending, after `after_id`; page through with the last id.
    pub fn articles_to_reprocess(
        &self,
        rules_version: &str,
        after_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<i64>, StoreError> {
        let context = "listing articles to reprocess";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id FROM articles
                 WHERE (rules_version IS NULL OR rules_version <> ?1) AND text <> '' AND id > ?2
                 ORDER BY id LIMIT ?3",
            )
            .map_err(StoreError::sqlite(context))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![rules_version, after_id.unwrap_or(0), limit], |r| {
                r.get(0)
            })
            .map_err(StoreError::sqlite(context))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::sqlite(context))
    }

    /// One stored article, as the model type the rules take.
    pub fn article(&self, article_id: i64) -> Result<Option<Article>, StoreError> {
        self.conn
            .query_row(
                "SELECT url, canonical_url, title, published, author, site, lang, text,
                        text_source
                 FROM articles WHERE id = ?1",
                [article_id],
                |row| {
                    let source: String = row.get("text_source")?;
                    Ok(Article {
                        url: row.get("url")?,
                        canonical_url: row.get("canonical_url")?,
                        title: row.get("title")?,
                        published: parsed_column(row, "published", parse_published)?,
                        author: row.get("author")?,
                        site: row.get("site")?,
                        lang: row.get("lang")?,
                        text: row.get("text")?,
                        text_source: if source == "feed" {
                            TextSource::Feed
                        } else {
                            TextSource::Page
                        },
                    })
                },
            )
            .optional()
            .map_err(StoreError::sqlite(format!("reading article {article_id}")))
    }

    /// Makes `events` the article's events and records `rules_version` as the rules that
    /// produced them, in one transaction. Running it twice with the same input changes
    /// nothing; an event found again keeps its id, with its provenance (rule, version,
    /// confidence, hedging, evidence) updated.
    pub fn replace_article_events(
        &mut self,
        article_id: i64,
        rules_version: &str,
        events: &[Event],
    ) -> Result<ReplacedEvents, StoreError> {
        let context = || format!("replacing the events of article {article_id}");
        let tx = self
            .conn
            .savepoint()
            .map_err(StoreError::sqlite(context()))?;
        let url: String = tx
            .query_row(
                "SELECT url FROM articles WHERE id = ?1",
                [article_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::sqlite(context()))?
            .ok_or_else(|| StoreError::InvalidValue {
                what: "article id",
                detail: format!("no article {article_id} in the database"),
            })?;
        let replaced = replace_events(&tx, article_id, &url, rules_version, events)?;
        // New, changed and removed events change stories; they are regrouped as a whole
        // once every article is done (`Store::rebuild_stories`), or by the next run.
        request_rebuild(&tx)?;
        tx.commit().map_err(StoreError::sqlite(context()))?;
        Ok(replaced)
    }
}

/// Makes `events` the events of article `article_id` (whose URL is `url`) within `tx`,
/// recording `rules_version`: an event found again keeps its row and id with its
/// provenance updated, new ones are inserted, and the rest deleted.
pub(super) fn replace_events(
    tx: &Connection,
    article_id: i64,
    url: &str,
    rules_version: &str,
    events: &[Event],
) -> Result<ReplacedEvents, StoreError> {
    let context = || format!("replacing the events of article {article_id}");
    let mut stored = Vec::with_capacity(events.len());
    let mut keep = HashSet::new();
    let mut added = Vec::new();
    for event in events {
        let print = fingerprint(event)?;
        if !keep.insert(print.clone()) {
            continue;
        }
        if let Some(inserted) = insert_event(tx, article_id, url, event)? {
            added.push(inserted.clone());
            stored.push(inserted);
            continue;
        }
        let evidence =
            serde_json::to_string(&event.evidence).map_err(|e| StoreError::InvalidValue {
                what: "event JSON",
                detail: e.to_string(),
            })?;
        let id: i64 = tx
            .query_row(
                "UPDATE events SET rule = ?3, rules_version = ?4, confidence = ?5,
                     hedged = ?6, evidence = ?7,
                     published = ?8, inferred = ?9
                 WHERE article_id = ?1 AND fingerprint = ?2
                 RETURNING id",
                params![
                    article_id,
                    print,
                    event.rule,
                    event.rules_version,
                    event.confidence,
                    event.hedged,
                    evidence,
                    event.published.map(|d| d.format("%Y-%m-%d").to_string()),
                    serde_json::to_string(&event.inferred).map_err(|e| {
                        StoreError::InvalidValue {
                            what: "event JSON",
                            detail: e.to_string(),
                        }
                    })?,
                ],
                |r| r.get(0),
            )
            .map_err(StoreError::sqlite(context()))?;
        let mut kept = event.clone();
        kept.id = Some(id);
        kept.article_url = Some(url.to_string());
        stored.push(kept);
    }

    let keep_json = serde_json::to_string(&keep).map_err(|e| StoreError::InvalidValue {
        what: "fingerprints",
        detail: e.to_string(),
    })?;
    let removed_kinds = {
        let mut stmt = tx
            .prepare(
                "SELECT kind FROM events WHERE article_id = ?1
                 AND fingerprint NOT IN (SELECT value FROM json_each(?2))",
            )
            .map_err(StoreError::sqlite(context()))?;
        let rows = stmt
            .query_map(params![article_id, keep_json], |r| r.get::<_, String>(0))
            .map_err(StoreError::sqlite(context()))?;
        let mut kinds = Vec::new();
        for row in rows {
            let kind = row.map_err(StoreError::sqlite(context()))?;
            kinds.push(if kind == "export_control" {
                EventKind::ExportControl
            } else {
                EventKind::ChipOrder
            });
        }
        kinds
    };
    let removed = tx
        .execute(
            "DELETE FROM events WHERE article_id = ?1
             AND fingerprint NOT IN (SELECT value FROM json_each(?2))",
            params![article_id, keep_json],
        )
        .map_err(StoreError::sqlite(context()))?;
    tx.execute(
        "UPDATE articles SET rules_version = ?2 WHERE id = ?1",
        params![article_id, rules_version],
    )
    .map_err(StoreError::sqlite(context()))?;
    Ok(ReplacedEvents {
        events: stored,
        new: added.len(),
        removed,
        added_kinds: added.iter().map(Event::kind).collect(),
        removed_kinds,
        added,
    })
}

/// Stored `published` text back to the model: RFC 3339, else a bare day.
fn parse_published(s: &str) -> Result<Published, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s)
        .map(Published::Time)
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Published::Day))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::testing::{article, chip_order, export_control, temp_store};
    use super::super::EventFilter;
    use super::*;
    use crate::model::EventDetails;

    const URL: &str = "https://news.example/a";

    #[test]
    fn articles_read_back_as_stored() {
        let (_dir, mut store) = temp_store();
        let (id, _) = store
            .insert_article(None, None, &article(URL, 9), &[])
            .unwrap();
        assert_eq!(store.article(id).unwrap(), Some(article(URL, 9)));

        let mut by_day = article("https://news.example/b", 9);
        by_day.published = Some(Published::Day(
            NaiveDate::from_ymd_opt(2023, 11, 9).unwrap(),
        ));
        by_day.text_source = TextSource::Feed;
        by_day.title = None;
        let (id, _) = store.insert_article(None, None, &by_day, &[]).unwrap();
        assert_eq!(store.article(id).unwrap(), Some(by_day));
        assert_eq!(store.article(id + 1).unwrap(), None);
    }

    #[test]
    fn articles_to_reprocess_are_those_with_other_or_no_rules() {
        let (_dir, mut store) = temp_store();
        let (a, _) = store
            .insert_article(None, None, &article(URL, 9), &[chip_order(URL, 9)])
            .unwrap();
        let (b, _) = store
            .insert_article(None, None, &article("https://news.example/b", 9), &[])
            .unwrap();
        assert_eq!(
            store.articles_to_reprocess("abc123", None, 10).unwrap(),
            [b]
        );
        assert_eq!(
            store.articles_to_reprocess("new", None, 10).unwrap(),
            [a, b]
        );
        assert_eq!(
            store.articles_to_reprocess("new", Some(a), 10).unwrap(),
            [b]
        );
        assert_eq!(store.articles_to_reprocess("new", None, 1).unwrap(), [a]);
    }

    #[test]
    fn replacing_events_keeps_ids_updates_provenance_and_is_idempotent() {
        let (_dir, mut store) = temp_store();
        let (id, first) = store
            .insert_article(
                None,
                None,
                &article(URL, 9),
                &[chip_order(URL, 9), export_control(URL, 9)],
            )
            .unwrap();

        // New rules: the order is found again (new provenance), the control is gone, and
        // a second order appears.
        let mut again = chip_order(URL, 9);
        again.rules_version = "v2".into();
        again.confidence = 0.6;
        let mut another = chip_order(URL, 9);
        another.rules_version = "v2".into();
        if let EventDetails::ChipOrder(o) = &mut another.details {
            o.buyer = Some("Tencent".into());
        }
        let events = [again.clone(), another];
        let done = store.replace_article_events(id, "v2", &events).unwrap();
        assert_eq!((done.new, done.removed), (1, 1));
        assert_eq!(done.events[0].id, first[0].id, "same event keeps its id");
        assert_eq!(done.events[0].confidence, 0.6);

        let stored = store
            .events(&EventFilter {
                after_id: Some(0),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(stored, done.events);
        assert!(store
            .articles_to_reprocess("v2", None, 10)
            .unwrap()
            .is_empty());

        let twice = store.replace_article_events(id, "v2", &events).unwrap();
        assert_eq!((twice.new, twice.removed), (0, 0));
        assert_eq!(twice.events, done.events);
    }

    /// See: issue 6 — `--after-id` consumers must never see an id twice.
    #[test]
    fn ids_of_deleted_events_are_never_handed_out_again() {
        let (_dir, mut store) = temp_store();
        let (id, first) = store
            .insert_article(
                None,
                None,
                &article(URL, 9),
                &[chip_order(URL, 9), export_control(URL, 9)],
            )
            .unwrap();
        let newest = first[1].id.unwrap();
        store
            .replace_article_events(id, "v2", &[first[0].clone()])
            .unwrap();
        let back = store
            .replace_article_events(id, "v3", &[first[0].clone(), export_control(URL, 9)])
            .unwrap();
        assert!(back.events[1].id.unwrap() > newest, "{:?}", back.events);
    }

    #[test]
    fn replacing_events_of_a_missing_article_is_an_error() {
        let (_dir, mut store) = temp_store();
        assert!(store.replace_article_events(5, "v", &[]).is_err());
    }
}
