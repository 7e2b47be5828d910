//! The `articles` and `article_feeds` tables and the `articles_fts` full-text index:
//! dedup look-ups before an article is fetched, the all-or-nothing insert of an article
//! with its feed link and events, and full-text search with safely quoted user queries.

use chrono::Utc;
use rusqlite::{params, OptionalExtension, ToSql};

use super::events::insert_event;
use super::outbox::queue_alerts;
use super::stories::restory;
use super::{format_time, is_unique_violation, Store, StoreError};
use crate::model::{Article, Event, PageStatus, TextSource};

/// The order of full-text search results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchOrder {
    /// Best match first (FTS5 rank, BM25).
    #[default]
    Best,
    /// Newest publication day first (articles without one last).
    Newest,
}

/// One full-text search result.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleHit {
    pub id: i64,
    pub url: String,
    pub title: Option<String>,
    /// As stored: RFC 3339 or `YYYY-MM-DD`.
    pub published: Option<String>,
    /// A few words around the best match, matches in `[brackets]`.
    pub snippet: String,
}

impl Store {
    /// The id of the stored article with this normalised URL or, failing that, this GUID
    /// as carried by this feed (RSS GUIDs are unique only within their channel: another
    /// feed's "12345" is another article). Checked before fetching a page.
    pub fn article_id_by_url_or_guid(
        &self,
        feed_id: i64,
        url: Option<&str>,
        guid: Option<&str>,
    ) -> Result<Option<i64>, StoreError> {
        if url.is_none() && guid.is_none() {
            return Ok(None);
        }
        let context = || format!("looking up article {}", url.or(guid).unwrap_or_default());
        // One statement for both keys (a NULL key matches nothing); the URL wins.
        self.conn
            .prepare_cached(
                "SELECT id FROM (
                     SELECT id, 0 AS key FROM articles WHERE url = ?1
                     UNION ALL
                     SELECT article_id, 1 FROM article_feeds WHERE guid = ?2 AND feed_id = ?3
                 ) ORDER BY key LIMIT 1",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![url, guid, feed_id], |r| r.get(0))
                    .optional()
            })
            .map_err(StoreError::sqlite(context()))
    }

    /// Records that a feed carries an already stored article (idempotent; a GUID given
    /// later fills in a missing one).
    pub fn link_article_to_feed(
        &mut self,
        article_id: i64,
        feed_id: i64,
        guid: Option<&str>,
    ) -> Result<(), StoreError> {
        self.join_batch()?;
        // The WHERE leaves a link that is already as asked alone: a feed read again
        // links every item it still carries, and rewriting an unchanged row is a write.
        self.conn
            .prepare_cached(
                "INSERT INTO article_feeds (article_id, feed_id, guid) VALUES (?1, ?2, ?3)
                 ON CONFLICT (article_id, feed_id) DO UPDATE SET guid = excluded.guid
                 WHERE excluded.guid IS NOT NULL AND guid IS NOT excluded.guid",
            )
            .and_then(|mut stmt| stmt.execute(params![article_id, feed_id, guid]))
            .map_err(StoreError::sqlite(format!(
                "linking article {article_id} to feed {feed_id}"
            )))?;
        Ok(())
    }

    /// Stores a new article, its link to `feed_id` and its events all or nothing, so a
    /// crash leaves either all of them or none; the events join their stories, and the
    /// alerts those stories are due for are queued, in the same step. (While batching,
    /// that step is a savepoint inside the batch's transaction; see `batch.rs`.) The URL
    /// must not be stored yet (callers dedup first); a duplicate gives
    /// [`StoreError::ArticleExists`] and writes nothing.
    /// Returns the article id and the events as stored (ids and `article_url` set); an
    /// event identical to an earlier one in `events` is stored, and returned, once. Its
    /// page counts as fetched once when the text came from it, as never asked for
    /// otherwise (see [`Store::insert_article_with_page`]).
    pub fn insert_article(
        &mut self,
        feed_id: Option<i64>,
        guid: Option<&str>,
        article: &Article,
        events: &[Event],
    ) -> Result<(i64, Vec<Event>), StoreError> {
        let page = (article.text_source == TextSource::Page).then(|| PageStatus::fetched(1));
        self.insert_article_with_page(feed_id, guid, article, events, page.as_ref())
    }

    /// [`Store::insert_article`] with the state of the article's page (`None`: the page
    /// was never asked for), written with it.
    pub fn insert_article_with_page(
        &mut self,
        feed_id: Option<i64>,
        guid: Option<&str>,
        article: &Article,
        events: &[Event],
        page: Option<&PageStatus>,
    ) -> Result<(i64, Vec<Event>), StoreError> {
        let url = article
            .url
            .as_deref()
            .ok_or_else(|| StoreError::ArticleWithoutUrl {
                title: article.title.clone(),
            })?;
        let context = || format!("storing article {url}");
        self.join_batch()?;
        // All events of one pass share the rules version; with no event, the version the
        // caller declared (unknown when it declared none).
        let rules_version = events
            .first()
            .map(|e| e.rules_version.as_str())
            .or(self.rules_version.as_deref());
        let tx = self
            .conn
            .savepoint()
            .map_err(StoreError::sqlite(context()))?;
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO articles (url, guid, canonical_url, title, published, published_date,
                                   author, site, lang, text, text_source, fetched_at,
                                   rules_version, page_state, page_attempts,
                                   page_next_attempt_at, page_error, page_error_class)
             VALUES (:url, :guid, :canonical_url, :title, :published, :published_date,
                     :author, :site, :lang, :text, :text_source, :fetched_at,
                     :rules_version, :page_state, :page_attempts,
                     :page_next_attempt_at, :page_error, :page_error_class)",
            )
            .map_err(StoreError::sqlite(context()))?;
        let content = ArticleColumns::of(article);
        let fetched_at = format_time(Utc::now());
        let page_state = page.map(|p| p.state.as_str());
        let page_attempts = page.map_or(0, |p| p.attempts);
        let page_next_attempt_at = page.and_then(|p| p.next_attempt_at).map(format_time);
        let page_error = page.and_then(|p| p.error.as_deref());
        let page_error_class = page.and_then(|p| p.error_class.as_deref());
        let mut values = content.named();
        values.extend_from_slice(&[
            (":url", &url as &dyn ToSql),
            (":guid", &guid),
            (":fetched_at", &fetched_at),
            (":rules_version", &rules_version),
            (":page_state", &page_state),
            (":page_attempts", &page_attempts),
            (":page_next_attempt_at", &page_next_attempt_at),
            (":page_error", &page_error),
            (":page_error_class", &page_error_class),
        ]);
        let inserted = insert.execute(values.as_slice());
        drop(insert);
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::ArticleExists {
                    url: url.to_string(),
                })
            }
            Err(e) => return Err(StoreError::sqlite(context())(e)),
        }
        let article_id = tx.last_insert_rowid();
        if let Some(feed_id) = feed_id {
            tx.prepare_cached(
                "INSERT INTO article_feeds (article_id, feed_id, guid) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut stmt| stmt.execute(params![article_id, feed_id, guid]))
            .map_err(StoreError::sqlite(format!(
                "linking article {url} to feed {feed_id}"
            )))?;
        }
        let mut stored = Vec::with_capacity(events.len());
        for event in events {
            if let Some(event) = insert_event(&tx, article_id, url, event)? {
                stored.push(event);
            }
        }
        let ids: Vec<i64> = stored.iter().filter_map(|e| e.id).collect();
        let now = Utc::now();
        let changes = restory(&tx, Vec::new(), &ids, now)?;
        queue_alerts(&tx, &changes, &self.alert_filters, now)?;
        tx.commit().map_err(StoreError::sqlite(context()))?;
        self.article_written()?;
        Ok((article_id, stored))
    }

    /// Full-text search over titles and texts, best matches first. The query is taken as
    /// words and `"quoted phrases"`, with `OR`/`NOT` between terms and a trailing `*` for
    /// a prefix; everything else is quoted, so punctuation never makes FTS5 fail.
    pub fn search_articles(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<ArticleHit>, StoreError> {
        self.search_articles_by(query, limit, SearchOrder::Best)
    }

    /// [`Store::search_articles`] in the order asked for: best match or newest first.
    pub fn search_articles_by(
        &self,
        query: &str,
        limit: usize,
        order: SearchOrder,
    ) -> Result<Vec<ArticleHit>, StoreError> {
        let order = match order {
            SearchOrder::Best => "rank",
            SearchOrder::Newest => "a.published_date IS NULL, a.published_date DESC, a.id DESC",
        };
        let Some(fts_query) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let context = || format!("searching articles for {query:?}");
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT a.id, a.url, a.title, a.published,
                        snippet(articles_fts, -1, '[', ']', '…', 16)
                 FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
                 WHERE articles_fts MATCH ?1
                 ORDER BY {order}
                 LIMIT ?2"
            ))
            .map_err(StoreError::sqlite(context()))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![fts_query, limit], |r| {
                Ok(ArticleHit {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    title: r.get(2)?,
                    published: r.get(3)?,
                    snippet: r.get(4)?,
                })
            })
            .map_err(StoreError::sqlite(context()))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::sqlite(context()))
    }
}

/// The `articles` columns that hold an [`Article`]'s content (all but its URL), as they
/// are stored, for binding as named parameters (`:title`, `:published`, ...). Storing an
/// article and storing its recovered page (`pages.rs`) both bind these, so the two cannot
/// write a column differently.
pub(super) struct ArticleColumns<'a> {
    article: &'a Article,
    published: Option<String>,
    published_date: Option<String>,
    text_source: &'static str,
}

impl<'a> ArticleColumns<'a> {
    pub(super) fn of(article: &'a Article) -> ArticleColumns<'a> {
        ArticleColumns {
            article,
            // As written, offset or date only: RFC 3339 or `YYYY-MM-DD`.
            published: article.published.map(|p| p.to_string()),
            // The day it names, for sorting and filtering by day.
            published_date: article
                .published
                .map(|p| p.date().format("%Y-%m-%d").to_string()),
            text_source: article.text_source.as_str(),
        }
    }

    /// The named parameters, with room for the statement's own.
    pub(super) fn named(&self) -> Vec<(&'static str, &dyn ToSql)> {
        let a = self.article;
        let mut named: Vec<(&'static str, &dyn ToSql)> = Vec::with_capacity(20);
        named.extend_from_slice(&[
            (":canonical_url", &a.canonical_url as &dyn ToSql),
            (":title", &a.title),
            (":published", &self.published),
            (":published_date", &self.published_date),
            (":author", &a.author),
            (":site", &a.site),
            (":lang", &a.lang),
            (":text", &a.text),
            (":text_source", &self.text_source),
        ]);
        named
    }
}

/// One piece of a user's search query.
#[derive(Debug, PartialEq)]
enum Piece {
    Term { text: String, prefix: bool },
    Op(&'static str),
}

/// Turns a user's query into FTS5 syntax that cannot fail to parse: every word and
/// phrase becomes a double-quoted string, operators survive only between two terms,
/// and pieces with no letter or digit (which FTS5 would reject or ignore) are dropped.
/// `None` when nothing searchable is left.
fn fts_query(input: &str) -> Option<String> {
    let mut pieces = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let phrase: String = chars.by_ref().take_while(|&c| c != '"').collect();
            pieces.push(Piece::Term {
                text: phrase,
                prefix: false,
            });
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            pieces.push(match word.as_str() {
                "OR" => Piece::Op("OR"),
                "AND" => Piece::Op("AND"),
                "NOT" => Piece::Op("NOT"),
                _ => {
                    let prefix = word.len() > 1 && word.ends_with('*');
                    Piece::Term {
                        text: word.trim_end_matches('*').to_string(),
                        prefix,
                    }
                }
            });
        }
    }

    let mut out = String::new();
    let mut pending_op = None;
    for piece in pieces {
        match piece {
            Piece::Op(op) => pending_op = Some(op),
            Piece::Term { text, prefix } => {
                if !text.chars().any(char::is_alphanumeric) {
                    continue;
                }
                if !out.is_empty() {
                    out.push(' ');
                    if let Some(op) = pending_op {
                        out.push_str(op);
                        out.push(' ');
                    }
                }
                pending_op = None;
                out.push('"');
                out.push_str(&text.replace('"', "\"\""));
                out.push('"');
                if prefix {
                    out.push('*');
                }
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::testing::{article, chip_order, export_control, spec, temp_store};
    use super::*;

    const URL: &str = "https://news.example/baidu-huawei";

    fn count(store: &Store, table: &str) -> i64 {
        store
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    fn feed_id(store: &mut Store, name: &str) -> i64 {
        store.sync_config_feeds(&[spec(name)]).unwrap();
        store.feeds().unwrap()[0].id
    }

    #[test]
    fn an_article_is_stored_with_its_metadata_link_and_events() {
        let (_dir, mut store) = temp_store();
        let feed = feed_id(&mut store, "ft");
        let events = [chip_order(URL, 9), export_control(URL, 9)];
        let (id, stored) = store
            .insert_article(Some(feed), Some("guid-1"), &article(URL, 9), &events)
            .unwrap();
        assert_eq!(stored.len(), 2);
        assert!(stored.iter().all(|e| e.id.is_some()));

        type Meta = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
            String,
        );
        let (url, guid, published, day, source, rules): Meta = store
            .conn
            .query_row(
                "SELECT url, guid, published, published_date, text_source, rules_version
                 FROM articles WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(url, URL);
        assert_eq!(guid.as_deref(), Some("guid-1"));
        assert_eq!(published.as_deref(), Some("2023-11-09T08:30:00+08:00"));
        assert_eq!(day.as_deref(), Some("2023-11-09"));
        assert_eq!((source.as_str(), rules.as_str()), ("page", "abc123"));
        assert_eq!(count(&store, "article_feeds"), 1);
    }

    #[test]
    fn storing_the_same_url_twice_errors_and_writes_nothing() {
        let (_dir, mut store) = temp_store();
        let feed = feed_id(&mut store, "ft");
        store
            .insert_article(Some(feed), None, &article(URL, 9), &[chip_order(URL, 9)])
            .unwrap();
        let err = store
            .insert_article(
                Some(feed),
                None,
                &article(URL, 10),
                &[export_control(URL, 10)],
            )
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::ArticleExists { url } if url == URL),
            "{err:?}"
        );
        assert!(err.to_string().contains(URL));
        assert_eq!(count(&store, "articles"), 1);
        assert_eq!(count(&store, "events"), 1);
        assert_eq!(count(&store, "article_feeds"), 1);
    }

    #[test]
    fn a_failure_after_the_article_row_rolls_the_whole_article_back() {
        let (_dir, mut store) = temp_store();
        let mut bad = chip_order(URL, 9);
        if let crate::model::EventDetails::ChipOrder(o) = &mut bad.details {
            o.quantity = Some(u64::MAX);
        }
        let err = store
            .insert_article(None, None, &article(URL, 9), &[export_control(URL, 9), bad])
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::InvalidValue {
                    what: "quantity",
                    ..
                }
            ),
            "{err:?}"
        );
        for table in ["articles", "events", "article_feeds"] {
            assert_eq!(count(&store, table), 0, "{table} kept a partial row");
        }
        assert!(store.search_articles("Baidu", 10).unwrap().is_empty());
        // The article can be stored once the problem is gone.
        store
            .insert_article(None, None, &article(URL, 9), &[export_control(URL, 9)])
            .unwrap();
    }

    #[test]
    fn an_article_needs_a_url() {
        let (_dir, mut store) = temp_store();
        let mut no_url = article(URL, 9);
        no_url.url = None;
        assert!(matches!(
            store.insert_article(None, Some("g"), &no_url, &[]),
            Err(StoreError::ArticleWithoutUrl { .. })
        ));
    }

    #[test]
    fn identical_events_in_one_article_are_stored_once() {
        let (_dir, mut store) = temp_store();
        let mut again = chip_order(URL, 9);
        again.rule = "another.rule".into();
        again.confidence = 0.5;
        let (_, stored) = store
            .insert_article(None, None, &article(URL, 9), &[chip_order(URL, 9), again])
            .unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].rule, "chip_order.ordered_from");
        assert_eq!(count(&store, "events"), 1);
    }

    #[test]
    fn articles_are_found_by_url_or_by_the_same_feeds_guid() {
        let (_dir, mut store) = temp_store();
        store.sync_config_feeds(&[spec("a"), spec("b")]).unwrap();
        let ids: Vec<i64> = store.feeds().unwrap().iter().map(|f| f.id).collect();
        let (id, _) = store
            .insert_article(Some(ids[0]), Some("g-a"), &article(URL, 9), &[])
            .unwrap();
        store.link_article_to_feed(id, ids[1], None).unwrap();
        store.link_article_to_feed(id, ids[1], Some("g-b")).unwrap();
        store.link_article_to_feed(id, ids[1], None).unwrap();
        assert_eq!(count(&store, "article_feeds"), 2);

        let find = |feed, url, guid| store.article_id_by_url_or_guid(feed, url, guid).unwrap();
        assert_eq!(find(ids[1], Some(URL), None), Some(id), "a URL is global");
        assert_eq!(
            find(ids[0], Some("https://other.example/"), Some("g-a")),
            Some(id)
        );
        assert_eq!(
            find(ids[1], None, Some("g-b")),
            Some(id),
            "guid kept by the second link"
        );
        assert_eq!(
            find(ids[1], Some("https://other.example/"), Some("g-a")),
            None,
            "feed a's GUID means nothing in feed b"
        );
        assert_eq!(
            find(ids[0], Some("https://other.example/"), Some("nope")),
            None
        );
        assert_eq!(find(ids[0], None, None), None);
    }

    #[test]
    fn deleting_a_feed_keeps_its_articles() {
        let (_dir, mut store) = temp_store();
        let feed = feed_id(&mut store, "ft");
        store
            .insert_article(Some(feed), None, &article(URL, 9), &[chip_order(URL, 9)])
            .unwrap();
        store.sync_config_feeds(&[]).unwrap();
        assert_eq!(count(&store, "article_feeds"), 0);
        assert_eq!(count(&store, "articles"), 1);
        assert_eq!(count(&store, "events"), 1);
    }

    #[test]
    fn deleting_an_article_cascades_to_its_events_links_and_index() {
        let (_dir, mut store) = temp_store();
        let feed = feed_id(&mut store, "ft");
        let (id, _) = store
            .insert_article(
                Some(feed),
                None,
                &article(URL, 9),
                &[chip_order(URL, 9), export_control(URL, 9)],
            )
            .unwrap();
        store
            .conn
            .execute("DELETE FROM articles WHERE id = ?1", [id])
            .unwrap();
        assert_eq!(count(&store, "events"), 0);
        assert_eq!(count(&store, "article_feeds"), 0);
        assert!(store.search_articles("Baidu", 10).unwrap().is_empty());
    }

    #[test]
    fn search_finds_words_in_text_and_title_with_a_snippet() {
        let (_dir, mut store) = temp_store();
        store
            .insert_article(None, None, &article(URL, 9), &[])
            .unwrap();
        let mut other = article("https://news.example/other", 10);
        other.title = Some("Weather".into());
        other.text = "Rain is expected over the weekend.".into();
        store.insert_article(None, None, &other, &[]).unwrap();

        let hits = store.search_articles("nvidia", 10).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].url, URL);
        assert_eq!(
            hits[0].title.as_deref(),
            Some("Baidu orders Huawei AI chips")
        );
        assert_eq!(
            hits[0].published.as_deref(),
            Some("2023-11-09T08:30:00+08:00")
        );
        assert!(hits[0].snippet.contains("[Nvidia]"), "{}", hits[0].snippet);

        assert_eq!(
            store.search_articles("rain OR nvidia", 10).unwrap().len(),
            2
        );
        assert_eq!(store.search_articles("rain OR nvidia", 1).unwrap().len(), 1);
        assert_eq!(store.search_articles("weath*", 10).unwrap().len(), 1);
        assert_eq!(
            store.search_articles("\"Ascend 910B\"", 10).unwrap().len(),
            1
        );
        assert!(store
            .search_articles("\"910B Ascend\"", 10)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn search_survives_punctuation_and_fts_syntax() {
        let (_dir, mut store) = temp_store();
        store
            .insert_article(None, None, &article(URL, 9), &[])
            .unwrap();
        for query in [
            "\"Ascend 910B\" OR -",
            "\"unterminated",
            "-",
            "*",
            "NEAR(a b)",
            "title:Baidu",
            "A800/H800 (chips)",
            "AND OR NOT",
            "^Baidu +Huawei",
            "",
            "\"\"",
            "don't",
        ] {
            let result = store.search_articles(query, 5);
            assert!(result.is_ok(), "{query:?}: {result:?}");
        }
        assert_eq!(
            store
                .search_articles("\"Ascend 910B\" OR -", 5)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(store.search_articles("Ascend/910B", 5).unwrap().len(), 1);
    }

    #[test]
    fn the_index_follows_text_updates() {
        let (_dir, mut store) = temp_store();
        let (id, _) = store
            .insert_article(None, None, &article(URL, 9), &[])
            .unwrap();
        store
            .conn
            .execute("UPDATE articles SET text = '' WHERE id = ?1", [id])
            .unwrap();
        assert!(store.search_articles("Nvidia", 5).unwrap().is_empty());
        assert_eq!(
            store.search_articles("Baidu", 5).unwrap().len(),
            1,
            "title stays"
        );
        store
            .conn
            .execute(
                "INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')",
                [],
            )
            .unwrap();
    }

    #[test]
    fn user_queries_become_quoted_fts_terms() {
        let cases = [
            ("Ascend 910B", Some("\"Ascend\" \"910B\"")),
            ("\"Ascend 910B\" OR -", Some("\"Ascend 910B\"")),
            ("a OR b", Some("\"a\" OR \"b\"")),
            ("OR a NOT", Some("\"a\"")),
            ("a - OR b", Some("\"a\" OR \"b\"")),
            ("chip*", Some("\"chip\"*")),
            ("x\"y", Some("\"x\" \"y\"")),
            ("-- ** !!", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(fts_query(input).as_deref(), expected, "{input:?}");
        }
    }
}
