//! The `runs` table: one row per pass, opened as `running` when the pass starts and closed
//! with its status and summary counts when it ends. A row left `running` with no
//! `finished_at` marks a pass that was killed.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{format_time, time_column, to_i64, Store, StoreError};
use crate::model::RunSummary;

/// The statuses a finished run may have (the schema's CHECK constraint allows these and
/// `running`).
pub const RUN_STATUSES: &[&str] = &["ok", "feeds_failed", "failed"];

/// One stored run, as read back by [`Store::run`] and [`Store::recent_runs`].
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `ok`, `feeds_failed` or `failed`.
    pub status: String,
    pub summary: RunSummary,
    pub error: Option<String>,
}

impl Store {
    /// Opens a run row (status `running`) and returns its id.
    pub fn start_run(&mut self, now: DateTime<Utc>) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO runs (started_at, status) VALUES (?1, 'running')",
                [format_time(now)],
            )
            .map_err(StoreError::sqlite("starting a run"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Closes a run with its status (`ok`, `feeds_failed` or `failed`), counts and error.
    pub fn finish_run(
        &mut self,
        run_id: i64,
        now: DateTime<Utc>,
        status: &str,
        summary: &RunSummary,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        if !RUN_STATUSES.contains(&status) {
            return Err(StoreError::InvalidValue {
                what: "run status",
                detail: format!("`{status}` (expected one of {})", RUN_STATUSES.join(", ")),
            });
        }
        let s = summary;
        let changed = self
            .conn
            .execute(
                "UPDATE runs SET finished_at = ?2, status = ?3, feeds_fetched = ?4,
                     feeds_not_modified = ?5, feeds_failed = ?6, articles_new = ?7,
                     articles_skipped_robots = ?8, articles_refused_guard = ?9,
                     articles_lang_unmatched = ?10, events_new_chip_order = ?11,
                     events_new_export_control = ?12, error = ?13, pages_retried = ?14,
                     pages_recovered = ?15, pages_given_up = ?16
                 WHERE id = ?1",
                params![
                    run_id,
                    format_time(now),
                    status,
                    to_i64("feeds_fetched", s.feeds_fetched)?,
                    to_i64("feeds_not_modified", s.feeds_not_modified)?,
                    to_i64("feeds_failed", s.feeds_failed)?,
                    to_i64("articles_new", s.articles_new)?,
                    to_i64("articles_skipped_robots", s.articles_skipped_robots)?,
                    to_i64("articles_refused_guard", s.articles_refused_guard)?,
                    to_i64("articles_lang_unmatched", s.articles_lang_unmatched)?,
                    to_i64("events_new_chip_order", s.events_new_chip_order)?,
                    to_i64("events_new_export_control", s.events_new_export_control)?,
                    error,
                    to_i64("pages_retried", s.pages_retried)?,
                    to_i64("pages_recovered", s.pages_recovered)?,
                    to_i64("pages_given_up", s.pages_given_up)?,
                ],
            )
            .map_err(StoreError::sqlite(format!("finishing run {run_id}")))?;
        if changed == 0 {
            return Err(StoreError::InvalidValue {
                what: "run id",
                detail: format!("no run {run_id} in the database"),
            });
        }
        Ok(())
    }

    /// One run by id.
    pub fn run(&self, run_id: i64) -> Result<Option<RunRecord>, StoreError> {
        self.conn
            .query_row("SELECT * FROM runs WHERE id = ?1", [run_id], run_from_row)
            .optional()
            .map_err(StoreError::sqlite(format!("reading run {run_id}")))
    }

    /// The latest `limit` runs, newest first.
    pub fn recent_runs(&self, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare("SELECT * FROM runs ORDER BY id DESC LIMIT ?1")
            .map_err(StoreError::sqlite("listing runs"))?;
        let rows = stmt
            .query_map([limit], run_from_row)
            .map_err(StoreError::sqlite("listing runs"))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::sqlite("reading runs"))
    }
}

fn run_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    // Counts are never negative unless edited by hand; read such a value as 0.
    let count = |name: &str| -> rusqlite::Result<u64> {
        Ok(u64::try_from(row.get::<_, i64>(name)?).unwrap_or(0))
    };
    Ok(RunRecord {
        id: row.get("id")?,
        started_at: time_column(row, "started_at")?.unwrap_or_default(),
        finished_at: time_column(row, "finished_at")?,
        status: row.get("status")?,
        summary: RunSummary {
            feeds_fetched: count("feeds_fetched")?,
            feeds_not_modified: count("feeds_not_modified")?,
            feeds_failed: count("feeds_failed")?,
            articles_new: count("articles_new")?,
            articles_skipped_robots: count("articles_skipped_robots")?,
            articles_refused_guard: count("articles_refused_guard")?,
            articles_lang_unmatched: count("articles_lang_unmatched")?,
            events_new_chip_order: count("events_new_chip_order")?,
            events_new_export_control: count("events_new_export_control")?,
            pages_retried: count("pages_retried")?,
            pages_recovered: count("pages_recovered")?,
            pages_given_up: count("pages_given_up")?,
        },
        error: row.get("error")?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use chrono::TimeZone;

    use super::super::testing::temp_store;
    use super::*;

    #[test]
    fn runs_start_running_and_finish_with_their_summary() {
        let (_dir, mut store) = temp_store();
        let start = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 42).unwrap();
        let id = store.start_run(start).unwrap();
        let open = store.run(id).unwrap().unwrap();
        assert_eq!(open.status, "running");
        assert_eq!(open.started_at, start);
        assert_eq!(open.finished_at, None);
        assert_eq!(open.summary, RunSummary::default());

        let summary = RunSummary {
            feeds_fetched: 3,
            feeds_not_modified: 4,
            feeds_failed: 1,
            articles_new: 12,
            articles_skipped_robots: 2,
            articles_refused_guard: 1,
            articles_lang_unmatched: 5,
            events_new_chip_order: 6,
            events_new_export_control: 7,
            pages_retried: 8,
            pages_recovered: 3,
            pages_given_up: 2,
        };
        store
            .finish_run(id, end, "feeds_failed", &summary, Some("feed x: timeout"))
            .unwrap();
        let done = store.run(id).unwrap().unwrap();
        assert_eq!(
            done,
            RunRecord {
                id,
                started_at: start,
                finished_at: Some(end),
                status: "feeds_failed".into(),
                summary,
                error: Some("feed x: timeout".into()),
            }
        );

        let second = store.start_run(end).unwrap();
        let recent = store.recent_runs(10).unwrap();
        assert_eq!(
            recent.iter().map(|r| r.id).collect::<Vec<_>>(),
            [second, id]
        );
    }

    #[test]
    fn finishing_with_a_bad_status_or_id_is_an_error() {
        let (_dir, mut store) = temp_store();
        let now = Utc::now();
        let id = store.start_run(now).unwrap();
        let err = store
            .finish_run(id, now, "great", &RunSummary::default(), None)
            .unwrap_err();
        assert!(err.to_string().contains("great"), "{err}");
        assert!(store
            .finish_run(id + 1, now, "ok", &RunSummary::default(), None)
            .is_err());
        assert!(store.run(id + 1).unwrap().is_none());
    }
}
