//! Write batches. While a pass runs, the store groups the writes of several articles into
//! one SQLite transaction: FTS5 writes one index segment per transaction and the WAL one
//! commit record, so an article per transaction spent more on those than on the article.
//!
//! What stays as it was: each article's writes (its row, feed link, events, stories,
//! alerts) run inside a savepoint of their own, so an article that fails is rolled back
//! alone and the batch goes on; a reader (another connection) sees a batch whole or not
//! at all; and since every write of the pass goes through the one connection in program
//! order, a crash loses only a tail of them — the open batch — never a write from before
//! one it keeps. A feed's validators are written after its articles, so a feed whose
//! articles were lost is fetched in full again, and the next run picks up exactly what
//! was not stored.
//!
//! A batch opens at the first write after the last commit and is committed after
//! [`BatchLimits::articles`] articles or once [`BatchLimits::age`] old, whichever comes
//! first (the pass calls [`Store::commit_batch_if_due`] on a timer, so a quiet batch is
//! not held). A batch holds SQLite's write lock from its first write to its commit; so
//! that a busy pass does not shut other writers out (`chipwatch feeds add` during a long
//! pass), the next batch opens no sooner than [`BATCH_PAUSE`] after a commit, and every
//! chipwatch connection waiting for the lock tries again more often than that.
//!
//! The full-text index is written once per batch: while a batch is open the insert
//! trigger only lists new articles in `articles_fts_pending` (migration 009 says why),
//! and [`Store::commit_batch`] indexes them all with one statement before it commits.
//! An article rolled back from its savepoint leaves the list with it. Until the commit,
//! a search on this connection does not find the batch's articles (other connections do
//! not see them at all); the pass does not search.

use std::time::{Duration, Instant};

use super::{Store, StoreError};

/// How long the write lock stays free after a batch is committed before the next batch
/// may take it: longer than a waiting chipwatch connection's retry interval
/// (`BUSY_RETRY`), so a writer that waits gets its turn.
pub const BATCH_PAUSE: Duration = Duration::from_millis(5);

/// When an open batch is committed: after this many articles, or once it is this old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub articles: u32,
    pub age: Duration,
}

/// The batching state of a store, while batching is on.
#[derive(Debug)]
pub(super) struct Batching {
    limits: BatchLimits,
    /// The open batch: when it began and how many articles it holds.
    open: Option<(Instant, u32)>,
    /// When the last batch was committed (see [`BATCH_PAUSE`]).
    committed_at: Option<Instant>,
    /// Set when a commit failed. What that batch held is gone, so nothing written after
    /// it may be committed either (it could record a feed as read whose articles were
    /// lost): every write fails until batching ends.
    failed: Option<String>,
}

impl Store {
    /// Groups the writes that follow into batches (see the module documentation) until
    /// [`Store::end_batching`]. Calling it again only changes the limits.
    pub fn begin_batching(&mut self, limits: BatchLimits) {
        match &mut self.batching {
            Some(batching) => batching.limits = limits,
            None => {
                self.batching = Some(Batching {
                    limits,
                    open: None,
                    committed_at: None,
                    failed: None,
                })
            }
        }
    }

    /// Commits the open batch, if any, and writes each call in its own transaction from
    /// now on. An error means the batch (or an earlier one) was lost.
    pub fn end_batching(&mut self) -> Result<(), StoreError> {
        let committed = self.commit_batch();
        let failed = self.batching.take().and_then(|b| b.failed);
        committed?;
        match failed {
            Some(reason) => Err(lost_batch(reason)),
            None => Ok(()),
        }
    }

    /// Commits the open batch once it is as old as its limit allows; the pass calls this
    /// on a timer so that a batch is not held open while the pass waits on the network.
    pub fn commit_batch_if_due(&mut self) -> Result<(), StoreError> {
        let due = self.batching.as_ref().is_some_and(|b| {
            b.open
                .is_some_and(|(since, _)| since.elapsed() >= b.limits.age)
        });
        if due {
            self.commit_batch()?;
        }
        Ok(())
    }

    /// Whether a batch is open (for tests and the pass's accounting).
    pub fn batch_is_open(&self) -> bool {
        self.batching.as_ref().is_some_and(|b| b.open.is_some())
    }

    /// Called before every write of a pass: fails when an earlier commit failed, and
    /// opens a batch when batching is on and none is open, once the pause after the last
    /// commit is over. `BEGIN IMMEDIATE` takes the write lock now (waiting for it as any
    /// write does), so reads inside the batch can never meet a newer snapshot.
    pub(super) fn join_batch(&mut self) -> Result<(), StoreError> {
        let Some(batching) = &mut self.batching else {
            return Ok(());
        };
        if let Some(reason) = &batching.failed {
            return Err(lost_batch(reason.clone()));
        }
        if batching.open.is_some() {
            if self.conn.is_autocommit() {
                // SQLite rolled the whole batch back (it does on some I/O errors and on
                // a full disk): what it held is gone, so nothing after it may be kept.
                batching.open = None;
                let reason = "a write batch was rolled back by SQLite after an error".to_string();
                batching.failed = Some(reason.clone());
                return Err(lost_batch(reason));
            }
            return Ok(());
        }
        if let Some(rest) = batching
            .committed_at
            .and_then(|at| BATCH_PAUSE.checked_sub(at.elapsed()))
        {
            // Store calls run on blocking threads, never on a runtime worker.
            #[allow(clippy::disallowed_methods)]
            std::thread::sleep(rest);
        }
        let opened = self.conn.execute_batch(OPEN_BATCH);
        if let Err(source) = opened {
            // BEGIN may have succeeded and the marker failed: leave no half-open batch.
            if !self.conn.is_autocommit() {
                if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                    tracing::warn!(error = %e, "cannot roll back a write batch that failed to open");
                }
            }
            return Err(StoreError::sqlite("opening a write batch")(source));
        }
        batching.open = Some((Instant::now(), 0));
        Ok(())
    }

    /// Counts an article written into the open batch and commits the batch when it is
    /// full or old enough.
    pub(super) fn article_written(&mut self) -> Result<(), StoreError> {
        let Some(batching) = &mut self.batching else {
            return Ok(());
        };
        let Some((since, articles)) = &mut batching.open else {
            return Ok(());
        };
        *articles += 1;
        let full = *articles >= batching.limits.articles || since.elapsed() >= batching.limits.age;
        if full {
            self.commit_batch()?;
        }
        Ok(())
    }

    /// Commits the open batch, if any. On failure the batch is rolled back and batching
    /// is marked failed (see [`Batching::failed`]).
    pub(super) fn commit_batch(&mut self) -> Result<(), StoreError> {
        let Some(batching) = &mut self.batching else {
            return Ok(());
        };
        let Some((_, articles)) = batching.open.take() else {
            return Ok(());
        };
        // With no transaction left (SQLite rolled it back), there is nothing to index or
        // commit: COMMIT fails and the batch counts as lost.
        let committed = if self.conn.is_autocommit() {
            self.conn.execute_batch("COMMIT")
        } else {
            self.conn.execute_batch(COMMIT_BATCH)
        };
        batching.committed_at = Some(Instant::now());
        let Err(source) = committed else {
            return Ok(());
        };
        // SQLite may have rolled back already (an I/O error does); if not, do it now so
        // the connection is usable for the run's record.
        if !self.conn.is_autocommit() {
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::warn!(error = %e, "cannot roll back a write batch whose commit failed");
            }
        }
        let reason =
            format!("a write batch of {articles} articles could not be committed: {source}");
        batching.failed = Some(reason.clone());
        Err(StoreError::Sqlite {
            context: "committing a write batch".to_string(),
            source,
        })
    }
}

/// Opens a batch; the marker row (a NULL article id) tells the insert trigger to leave
/// indexing to the commit.
const OPEN_BATCH: &str = "BEGIN IMMEDIATE;
    INSERT INTO articles_fts_pending (article_id) VALUES (NULL);";

/// Commits a batch: indexes the articles it stored (one FTS5 segment for all of them)
/// and empties the list, marker included, so that the committed database never holds a
/// row there.
const COMMIT_BATCH: &str = "INSERT INTO articles_fts (rowid, title, text)
        SELECT id, title, text FROM articles
        WHERE id IN (SELECT article_id FROM articles_fts_pending);
    DELETE FROM articles_fts_pending;
    COMMIT;";

fn lost_batch(reason: String) -> StoreError {
    StoreError::BatchLost { reason }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;

    use super::super::testing::{article, chip_order, export_control, spec, temp_store};
    use super::*;

    const HOLD: BatchLimits = BatchLimits {
        articles: 3,
        age: Duration::from_secs(3600),
    };

    fn url(n: u32) -> String {
        format!("https://news.example/story-{n}")
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    fn feed_id(store: &mut Store) -> i64 {
        store.sync_config_feeds(&[spec("wire")]).unwrap();
        store.feeds().unwrap()[0].id
    }

    /// Stores story `n` with its two events.
    fn store_story(store: &mut Store, feed: i64, n: u32) -> Result<i64, StoreError> {
        let url = url(n);
        let events = [chip_order(&url, 9), export_control(&url, 9)];
        store
            .insert_article(
                Some(feed),
                Some(&format!("guid-{n}")),
                &article(&url, 9),
                &events,
            )
            .map(|(id, _)| id)
    }

    /// Another connection's view, as `chipwatch events` or a later run would have it.
    fn seen_from_outside(store: &Store) -> (i64, i64) {
        let other = Store::open(store.path()).unwrap();
        (
            count(&other, "SELECT count(*) FROM articles"),
            count(&other, "SELECT count(*) FROM events"),
        )
    }

    #[test]
    fn a_batch_is_seen_by_other_connections_whole_once_full() {
        let (_dir, mut store) = temp_store();
        let feed = feed_id(&mut store);
        store.begin_batching(HOLD);
        store_story(&mut store, feed, 1).unwrap();
        store_story(&mut store, feed, 2).unwrap();
        assert!(store.batch_is_open());
        assert_eq!(
            seen_from_outside(&store),
            (0, 0),
            "an open batch is not visible"
        );
        store_story(&mut store, feed, 3).unwrap();
        assert!(!store.batch_is_open(), "the third article fills the batch");
        assert_eq!(seen_from_outside(&store), (3, 6));
        store.end_batching().unwrap();
    }

    #[test]
    fn a_crash_loses_the_open_batch_whole_and_nothing_written_after_it() {
        let (dir, mut store) = temp_store();
        let feed = feed_id(&mut store);
        let path = store.path().to_path_buf();
        store.begin_batching(BatchLimits {
            articles: 2,
            ..HOLD
        });
        store_story(&mut store, feed, 1).unwrap();
        store_story(&mut store, feed, 2).unwrap();
        // The next batch: an article, then the feed's new validators, as a pass writes them.
        store_story(&mut store, feed, 3).unwrap();
        let now = Utc::now();
        store
            .record_feed_fetched(feed, now, false, Some("\"v2\""), None, now)
            .unwrap();
        // The process dies here: no commit, no destructor.
        std::mem::forget(store);

        let after = Store::open(&path).unwrap();
        let stored: Vec<String> = after
            .conn
            .prepare("SELECT url FROM articles ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored, [url(1), url(2)]);
        assert_eq!(
            count(
                &after,
                "SELECT count(*) FROM articles a
                 WHERE (SELECT count(*) FROM events e WHERE e.article_id = a.id) != 2"
            ),
            0,
            "every article kept has its events"
        );
        assert_eq!(count(&after, "SELECT count(*) FROM events"), 4);
        assert_eq!(
            after.feeds().unwrap()[0].etag,
            None,
            "the feed's validators went with its lost article, so it is fetched in full again"
        );
        drop(dir);
    }

    #[test]
    fn an_article_that_fails_inside_a_batch_is_undone_alone() {
        let (_dir, mut store) = temp_store();
        let feed = feed_id(&mut store);
        store.begin_batching(HOLD);
        store_story(&mut store, feed, 1).unwrap();
        assert!(matches!(
            store_story(&mut store, feed, 1),
            Err(StoreError::ArticleExists { .. })
        ));
        // Fails after its article row is written: the link names a feed that does not exist.
        let failed = store.insert_article(
            Some(feed + 100),
            None,
            &article(&url(2), 9),
            &[chip_order(&url(2), 9)],
        );
        assert!(failed.is_err(), "{failed:?}");
        store_story(&mut store, feed, 3).unwrap();
        assert!(store.batch_is_open());
        store.end_batching().unwrap();
        assert_eq!(seen_from_outside(&store), (2, 4));
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM articles WHERE url = 'https://news.example/story-2'"
            ),
            0
        );
    }

    #[test]
    fn a_batch_rolled_back_under_the_store_fails_every_later_write_of_the_pass() {
        let (_dir, mut store) = temp_store();
        let feed = feed_id(&mut store);
        store.begin_batching(HOLD);
        store_story(&mut store, feed, 1).unwrap();
        // What SQLite does by itself on some I/O errors and on a full disk.
        store.conn.execute_batch("ROLLBACK").unwrap();
        assert!(matches!(
            store_story(&mut store, feed, 2),
            Err(StoreError::BatchLost { .. })
        ));
        let now = Utc::now();
        assert!(matches!(
            store.record_feed_fetched(feed, now, false, Some("\"v2\""), None, now),
            Err(StoreError::BatchLost { .. })
        ));
        assert!(
            store.end_batching().is_err(),
            "the pass learns its writes were lost"
        );
        assert_eq!(seen_from_outside(&store), (0, 0));
        assert_eq!(store.feeds().unwrap()[0].etag, None);
        // The next pass (or command) writes again.
        store_story(&mut store, feed, 2).unwrap();
        assert_eq!(seen_from_outside(&store), (1, 2));
    }

    #[test]
    fn dropping_the_store_commits_its_open_batch() {
        let (_dir, mut store) = temp_store();
        let feed = feed_id(&mut store);
        let path = store.path().to_path_buf();
        store.begin_batching(HOLD);
        store_story(&mut store, feed, 1).unwrap();
        drop(store);
        let after = Store::open(&path).unwrap();
        assert_eq!(seen_from_outside(&after), (1, 2));
    }

    #[test]
    fn an_old_batch_is_committed_by_the_timer_call() {
        let (_dir, mut store) = temp_store();
        let feed = feed_id(&mut store);
        // Long enough that a loaded machine's debug build stores an article well within it.
        store.begin_batching(BatchLimits {
            articles: 100,
            age: Duration::from_secs(2),
        });
        store_story(&mut store, feed, 1).unwrap();
        store.commit_batch_if_due().unwrap();
        assert!(store.batch_is_open(), "not due yet");
        std::thread::sleep(Duration::from_millis(2100));
        store.commit_batch_if_due().unwrap();
        assert!(!store.batch_is_open());
        assert_eq!(seen_from_outside(&store), (1, 2));
        store.end_batching().unwrap();
    }

    /// `chipwatch feeds add` while a long pass batches: it waits for a batch at most,
    /// then gets the lock in a pause between two batches.
    #[test]
    fn another_writer_gets_in_between_batches() {
        let (_dir, mut store) = temp_store();
        let feed = feed_id(&mut store);
        let path = store.path().to_path_buf();
        let pass = std::thread::spawn(move || {
            store.begin_batching(BatchLimits {
                articles: 1000,
                age: Duration::from_millis(100),
            });
            let until = Instant::now() + Duration::from_secs(3);
            let mut n = 0;
            while Instant::now() < until {
                n += 1;
                store_story(&mut store, feed, n).unwrap();
            }
            store.end_batching().unwrap();
            n
        });
        std::thread::sleep(Duration::from_millis(300));
        let mut other = Store::open(&path).unwrap();
        for name in ["second", "third"] {
            other.add_cli_feed(&spec(name)).unwrap();
        }
        let written = pass.join().unwrap();
        assert!(written > 10, "the pass kept writing ({written} articles)");
        assert_eq!(other.feeds().unwrap().len(), 3);
    }
}
