//! What `chipwatch db` needs: integrity checks (SQLite's own, the foreign keys, the
//! full-text index), dropping the text of old articles while keeping their events and
//! evidence, and closing the `runs` rows of passes that were killed.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{format_time, Store, StoreError};

/// What `db check` found; empty lists mean a healthy database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// `PRAGMA integrity_check` lines other than `ok`.
    pub integrity: Vec<String>,
    /// One line per row whose foreign key points nowhere.
    pub foreign_keys: Vec<String>,
    /// The full-text index disagrees with the articles (empty: it agrees).
    pub fts: Option<String>,
    /// Runs that never finished (the process died); informational, not a fault.
    pub interrupted_runs: u64,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.integrity.is_empty() && self.foreign_keys.is_empty() && self.fts.is_none()
    }
}

/// What `db prune` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Articles whose text was dropped.
    pub articles: u64,
    /// Bytes of text dropped.
    pub bytes: u64,
}

impl Store {
    /// Runs SQLite's integrity check, the foreign key check and the FTS5 index check.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport::default();
        {
            let mut stmt = self
                .conn
                .prepare("PRAGMA integrity_check")
                .map_err(StoreError::sqlite("checking integrity"))?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(StoreError::sqlite("checking integrity"))?;
            for row in rows {
                let line = row.map_err(StoreError::sqlite("checking integrity"))?;
                if line != "ok" {
                    report.integrity.push(line);
                }
            }
        }
        {
            let mut stmt = self
                .conn
                .prepare("PRAGMA foreign_key_check")
                .map_err(StoreError::sqlite("checking foreign keys"))?;
            let rows = stmt
                .query_map([], |r| {
                    let table: String = r.get(0)?;
                    let rowid: Option<i64> = r.get(1)?;
                    let parent: String = r.get(2)?;
                    Ok(format!(
                        "{table} row {} points to a missing {parent} row",
                        rowid.map_or("?".to_string(), |id| id.to_string())
                    ))
                })
                .map_err(StoreError::sqlite("checking foreign keys"))?;
            for row in rows {
                report
                    .foreign_keys
                    .push(row.map_err(StoreError::sqlite("checking foreign keys"))?);
            }
        }
        // FTS5 reports a mismatch between index and content table as an error.
        if let Err(e) = self.conn.execute(
            "INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)",
            [],
        ) {
            report.fts = Some(e.to_string());
        }
        let interrupted: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM runs WHERE finished_at IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(StoreError::sqlite("counting unfinished runs"))?;
        report.interrupted_runs = u64::try_from(interrupted).unwrap_or(0);
        Ok(report)
    }

    /// Empties the text of articles stored before `cutoff` (their events, evidence and
    /// metadata stay; the full-text index forgets them). Pruned articles are skipped by
    /// `reprocess`, which has no text left to match.
    pub fn prune_article_text(&mut self, cutoff: DateTime<Utc>) -> Result<PruneReport, StoreError> {
        let context = "pruning old article text";
        let tx = self.conn.savepoint().map_err(StoreError::sqlite(context))?;
        let cutoff = format_time(cutoff);
        let (articles, bytes): (i64, i64) = tx
            .query_row(
                "SELECT count(*), coalesce(sum(length(CAST(text AS BLOB))), 0) FROM articles
                 WHERE fetched_at < ?1 AND text <> ''",
                [&cutoff],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(StoreError::sqlite(context))?;
        tx.execute(
            "UPDATE articles SET text = '' WHERE fetched_at < ?1 AND text <> ''",
            [&cutoff],
        )
        .map_err(StoreError::sqlite(context))?;
        tx.commit().map_err(StoreError::sqlite(context))?;
        Ok(PruneReport {
            articles: u64::try_from(articles).unwrap_or(0),
            bytes: u64::try_from(bytes).unwrap_or(0),
        })
    }

    /// Marks runs that never finished as failed. Call only while holding the run lock:
    /// then no other pass is running and an open row belongs to a dead process.
    pub fn close_interrupted_runs(&mut self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let closed = self
            .conn
            .execute(
                "UPDATE runs SET finished_at = ?1, status = 'failed',
                     error = 'interrupted: the process stopped before the pass finished'
                 WHERE finished_at IS NULL",
                params![format_time(now)],
            )
            .map_err(StoreError::sqlite("closing interrupted runs"))?;
        Ok(closed as u64)
    }

    /// How many articles [`Store::articles_to_reprocess`] would list in all.
    pub fn count_articles_to_reprocess(&self, rules_version: &str) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM articles
                 WHERE (rules_version IS NULL OR rules_version <> ?1) AND text <> ''",
                [rules_version],
                |r| r.get(0),
            )
            .map_err(StoreError::sqlite("counting articles to reprocess"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::testing::{article, chip_order, temp_store};
    use super::super::EventFilter;
    use super::*;

    #[test]
    fn a_fresh_database_checks_clean() {
        let (_dir, mut store) = temp_store();
        store
            .insert_article(None, None, &article("https://news.example/a", 9), &[])
            .unwrap();
        let report = store.check().unwrap();
        assert!(report.is_clean(), "{report:?}");
    }

    #[test]
    fn a_dangling_foreign_key_is_reported() {
        let (_dir, store) = temp_store();
        store
            .conn
            .pragma_update(None, "foreign_keys", false)
            .unwrap();
        store
            .conn
            .execute(
                "INSERT INTO article_feeds (article_id, feed_id) VALUES (42, 7)",
                [],
            )
            .unwrap();
        let report = store.check().unwrap();
        assert!(!report.is_clean());
        assert_eq!(report.foreign_keys.len(), 2, "{report:?}");
    }

    #[test]
    fn pruning_drops_old_text_and_keeps_events_and_search_of_the_rest() {
        let (_dir, mut store) = temp_store();
        let url = "https://news.example/a";
        store
            .insert_article(None, None, &article(url, 9), &[chip_order(url, 9)])
            .unwrap();
        let before = store.events(&EventFilter::default()).unwrap();
        assert_eq!(store.search_articles("yuan", 5).unwrap().len(), 1);

        let none = store
            .prune_article_text(Utc::now() - chrono::Duration::days(1))
            .unwrap();
        assert_eq!(none.articles, 0);
        let done = store
            .prune_article_text(Utc::now() + chrono::Duration::seconds(5))
            .unwrap();
        assert_eq!(done.articles, 1);
        assert!(done.bytes > 0);
        assert_eq!(store.events(&EventFilter::default()).unwrap(), before);
        assert!(
            store.search_articles("yuan", 5).unwrap().is_empty(),
            "text left the index"
        );
        assert_eq!(
            store.search_articles("Baidu", 5).unwrap().len(),
            1,
            "the title stays"
        );
        assert!(store
            .articles_to_reprocess("new", None, 10)
            .unwrap()
            .is_empty());
        assert_eq!(store.count_articles_to_reprocess("new").unwrap(), 0);
        assert!(store.check().unwrap().is_clean());
        let again = store
            .prune_article_text(Utc::now() + chrono::Duration::seconds(5))
            .unwrap();
        assert_eq!(again.articles, 0, "pruning twice changes nothing");
    }

    #[test]
    fn interrupted_runs_are_counted_then_closed() {
        let (_dir, mut store) = temp_store();
        let id = store.start_run(Utc::now()).unwrap();
        assert_eq!(store.check().unwrap().interrupted_runs, 1);
        assert_eq!(store.close_interrupted_runs(Utc::now()).unwrap(), 1);
        assert_eq!(store.run(id).unwrap().unwrap().status, "failed");
        assert_eq!(store.check().unwrap().interrupted_runs, 0);
    }

    #[test]
    fn articles_without_events_record_the_declared_rules_version() {
        let (_dir, mut store) = temp_store();
        store.set_rules_version("v1");
        store
            .insert_article(None, None, &article("https://news.example/a", 9), &[])
            .unwrap();
        assert!(store
            .articles_to_reprocess("v1", None, 10)
            .unwrap()
            .is_empty());
        assert_eq!(
            store.articles_to_reprocess("v2", None, 10).unwrap().len(),
            1
        );
    }
}
