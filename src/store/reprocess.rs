//! What `chipwatch reprocess` needs from the store: which articles were matched with other
//! rules, each article read back as the model [`Article`], and an idempotent replacement
//! of an article's events in one transaction. Events found again keep their row and id
//! (matched by kind and slots, so a sentence that moved is still the same event); events
//! the new rules no longer find are deleted. A page
//! retry that brings an article's page back replaces its events the same way
//! ([`replace_events`], inside the transaction that also replaces the text). `reprocess`
//! marks the stories for regrouping, which it does at its end; a page retry brings them
//! up to date at once (see `pages.rs`).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate};
use rusqlite::{params, Connection, OptionalExtension};

use super::events::{day, details_from_row, fingerprint, insert_event, to_json};
use super::stories::request_rebuild;
use super::{parsed_column, Store, StoreError};
use crate::model::{Article, Event, EventDetails, EventKind, Published, TextSource};

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

/// An event row of the article as stored before a replacement: what matching needs.
struct OldRow {
    id: i64,
    fingerprint: String,
    details: EventDetails,
    /// Claimed by one of the new events.
    matched: bool,
}

fn old_rows(tx: &Connection, article_id: i64) -> Result<Vec<OldRow>, StoreError> {
    let context = || format!("reading the events of article {article_id}");
    let mut stmt = tx
        .prepare(
            "SELECT id, fingerprint, kind, buyer, supplier, product, quantity, value_amount,
                    value_currency, value_usd, delivery, status, authority, agency, targets,
                    products, companies, action, effective
             FROM events WHERE article_id = ?1 ORDER BY id",
        )
        .map_err(StoreError::sqlite(context()))?;
    let rows = stmt
        .query_map([article_id], |row| {
            Ok(OldRow {
                id: row.get("id")?,
                fingerprint: row.get("fingerprint")?,
                details: details_from_row(row)?,
                matched: false,
            })
        })
        .map_err(StoreError::sqlite(context()))?;
    rows.collect::<Result<_, _>>()
        .map_err(StoreError::sqlite(context()))
}

/// Makes `events` the events of article `article_id` (whose URL is `url`) within `tx`,
/// recording `rules_version`: an event found again keeps its row and id with its
/// provenance, spans and evidence updated, new ones are inserted, and the rest deleted.
///
/// "Found again" means the same kind and slots. An exact match (same fingerprint, so the
/// same spans too) is taken first; then an old row with the same slots whose spans moved,
/// which is what a full page does to every sentence of the teaser it replaces. Rows with
/// equal slots pair up in text order, one to one.
pub(super) fn replace_events(
    tx: &Connection,
    article_id: i64,
    url: &str,
    rules_version: &str,
    events: &[Event],
) -> Result<ReplacedEvents, StoreError> {
    let context = || format!("replacing the events of article {article_id}");
    // The new events, once each (the same event twice in one text is one row).
    let mut seen = HashSet::new();
    let mut unique = Vec::with_capacity(events.len());
    for event in events {
        let print = fingerprint(event)?;
        if seen.insert(print.clone()) {
            unique.push((event, print));
        }
    }
    let mut old = old_rows(tx, article_id)?;
    let mut row_of: Vec<Option<usize>> = vec![None; unique.len()];
    for (slot, (_, print)) in row_of.iter_mut().zip(&unique) {
        if let Some(i) = old
            .iter()
            .position(|o| !o.matched && o.fingerprint == *print)
        {
            old[i].matched = true;
            *slot = Some(i);
        }
    }
    for (slot, (event, _)) in row_of.iter_mut().zip(&unique) {
        if slot.is_some() {
            continue;
        }
        if let Some(i) = old
            .iter()
            .position(|o| !o.matched && o.details == event.details)
        {
            old[i].matched = true;
            *slot = Some(i);
        }
    }

    // The rows no new event claims go first, so no fingerprint is briefly held twice.
    let gone: Vec<&OldRow> = old.iter().filter(|o| !o.matched).collect();
    let removed_kinds: Vec<EventKind> = gone.iter().map(|o| o.details.kind()).collect();
    let gone_ids = to_json(&gone.iter().map(|o| o.id).collect::<Vec<_>>())?;
    let removed = tx
        .execute(
            "DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1))",
            [gone_ids],
        )
        .map_err(StoreError::sqlite(context()))?;

    let mut stored = Vec::with_capacity(unique.len());
    let mut added = Vec::new();
    for ((event, print), row) in unique.into_iter().zip(row_of) {
        let Some(row) = row else {
            if let Some(inserted) = insert_event(tx, article_id, url, event)? {
                added.push(inserted.clone());
                stored.push(inserted);
            }
            continue;
        };
        let id = old[row].id;
        tx.execute(
            "UPDATE events SET rule = ?2, rules_version = ?3, confidence = ?4, hedged = ?5,
                 evidence = ?6, spans = ?7, fingerprint = ?8, published = ?9, inferred = ?10
             WHERE id = ?1",
            params![
                id,
                event.rule,
                event.rules_version,
                event.confidence,
                event.hedged,
                to_json(&event.evidence)?,
                to_json(&event.spans)?,
                print,
                event.published.map(day),
                to_json(&event.inferred)?,
            ],
        )
        .map_err(StoreError::sqlite(context()))?;
        let mut kept = event.clone();
        kept.id = Some(id);
        kept.article_url = Some(url.to_string());
        stored.push(kept);
    }

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
    use crate::model::{EventDetails, Span};

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

    /// See: review of issue 10, H2 — the full page moves every sentence of the teaser it
    /// replaces; the events it states again are the same events.
    #[test]
    fn an_event_whose_sentence_moved_keeps_its_id_with_new_spans() {
        let (_dir, mut store) = temp_store();
        let mut twice = chip_order(URL, 9);
        twice.spans = vec![Span {
            start: 300,
            end: 340,
        }];
        let (id, first) = store
            .insert_article(None, None, &article(URL, 9), &[chip_order(URL, 9), twice])
            .unwrap();
        let moved = |start: usize| {
            let mut event = chip_order(URL, 9);
            event.spans = vec![Span {
                start,
                end: start + 40,
            }];
            event.evidence = vec![format!("sentence at {start}")];
            event
        };
        let done = store
            .replace_article_events(id, "v2", &[moved(1000), moved(1500)])
            .unwrap();
        assert_eq!((done.new, done.removed), (0, 0), "{done:?}");
        assert!(done.added.is_empty());
        let ids: Vec<_> = done.events.iter().map(|e| e.id).collect();
        assert_eq!(ids, [first[0].id, first[1].id], "paired in text order");
        let stored = store
            .events(&EventFilter {
                after_id: Some(0),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(stored, done.events);
        assert_eq!(
            stored[1].spans,
            [Span {
                start: 1500,
                end: 1540
            }]
        );
        assert_eq!(stored[1].evidence, ["sentence at 1500"]);

        // The same again changes nothing; one of them gone removes one row only.
        let again = store
            .replace_article_events(id, "v2", &[moved(1000), moved(1500)])
            .unwrap();
        assert_eq!(again.events, done.events);
        let fewer = store
            .replace_article_events(id, "v3", &[moved(20)])
            .unwrap();
        assert_eq!((fewer.new, fewer.removed), (0, 1));
        assert_eq!(fewer.events[0].id, first[0].id);
        assert_eq!(fewer.removed_kinds, [EventKind::ChipOrder]);
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
