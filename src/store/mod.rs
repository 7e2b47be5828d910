//! The store: the only module that speaks SQL. It owns the SQLite file — opening it with
//! the pragmas chipwatch relies on (WAL, `synchronous=NORMAL`, foreign keys, a busy
//! handler), bringing its schema up to date with the numbered migrations in
//! `migrations/`, and every query. Callers see model types and [`StoreError`] only; the
//! per-table code lives in `feeds.rs`, `articles.rs`, `events.rs`, `stories.rs` and
//! `runs.rs`, with the article page states and their retry queue in `pages.rs`;
//! `reprocess.rs` serves `chipwatch reprocess`, `report_rows.rs` what `chipwatch report`
//! reads besides the stories, `maintenance.rs` serves `chipwatch db`, `lock.rs` holds
//! the run lock tied to the database file, and `batch.rs` groups a pass's article writes
//! into a few transactions.

mod articles;
mod batch;
mod events;
mod feeds;
mod fetch_state;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod fts_tests;
mod lock;
mod maintenance;
mod outbox;
mod pages;
mod report_rows;
mod reprocess;
mod runs;
mod stories;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod stories_tests;
mod story_queries;
mod story_rows;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod testing;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode};

pub use articles::{ArticleHit, SearchOrder};
pub use batch::{BatchLimits, BATCH_PAUSE};
pub use events::EventFilter;
pub use lock::RunLock;
pub use maintenance::{CheckReport, PruneReport};
pub use outbox::{idempotency_key, Delivery};
pub use pages::{DuePage, PageRow};
pub use reprocess::ReplacedEvents;
pub use runs::RunRecord;
pub use stories::{RebuildSummary, StoryChange};
pub use story_queries::StoryFilter;

/// How long a writer waits for another connection's lock before giving up. Runs and
/// `chipwatch events` may overlap; five seconds covers any one short transaction.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a writer waiting for the lock tries again. SQLite's own handler backs off to
/// 100 ms between tries, too coarse to catch the pauses a batching pass leaves between
/// its batches (see `batch.rs`).
const BUSY_RETRY: Duration = Duration::from_millis(2);

/// The migrations, in order: entry `i` brings the schema from version `i` to `i + 1`.
/// Forward-only: released files are never edited, new ones are appended.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_fetch_state.sql"),
    include_str!("migrations/003_events_autoincrement.sql"),
    include_str!("migrations/004_events_inferred.sql"),
    include_str!("migrations/005_page_retries.sql"),
    include_str!("migrations/006_stories.sql"),
    include_str!("migrations/007_alert_outbox.sql"),
    include_str!("migrations/008_datasette.sql"),
    include_str!("migrations/009_fts_batched.sql"),
];

/// The schema version this binary writes (the `PRAGMA user_version` after migrating).
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Everything that can go wrong in the store, with the path, feed or article involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the database folder {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot open the database {}: {source} (is it a SQLite file, and writable?)", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error("cannot migrate the database {} to schema version {version}: {source}", path.display())]
    Migrate {
        path: PathBuf,
        version: u32,
        #[source]
        source: rusqlite::Error,
    },

    #[error(
        "the database {} has schema version {found}, but this chipwatch knows only up to \
         version {known}; upgrade chipwatch, or point [database] path at another file",
        path.display()
    )]
    SchemaTooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },

    #[error(
        "another chipwatch{} holds the lock {}; it is still working on this database, so \
         this one exits",
        holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default(),
        path.display()
    )]
    LockHeld { path: PathBuf, holder: Option<u32> },

    #[error("cannot take the run lock {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("a feed named `{name}` already exists (source: {source_name}); pick another name")]
    FeedExists { name: String, source_name: String },

    #[error("feed `{name}` comes from the config file; remove it there instead")]
    ConfigFeedNotRemovable { name: String },

    #[error("no feed with id {feed_id} in the database")]
    UnknownFeed { feed_id: i64 },

    #[error("article {url} is already stored (look it up before inserting)")]
    ArticleExists { url: String },

    #[error("cannot store an article without a URL (title: {title:?})")]
    ArticleWithoutUrl { title: Option<String> },

    #[error("invalid value for {what}: {detail}")]
    InvalidValue { what: &'static str, detail: String },

    #[error("{reason}; nothing more is written in this pass (the next run redoes it)")]
    BatchLost { reason: String },

    #[error("database error while {context}: {source}")]
    Sqlite {
        context: String,
        #[source]
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Wraps a SQLite error with what the store was doing (and for whom).
    fn sqlite(context: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> StoreError {
        let context = context.into();
        move |source| StoreError::Sqlite { context, source }
    }
}

/// An open chipwatch database. One `Store` is one connection; writers should share one.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The rules version recorded on articles stored with no event (see
    /// [`Store::set_rules_version`]).
    rules_version: Option<String>,
    /// The alerts changed stories are queued for (see [`Store::set_alert_filters`]).
    alert_filters: Vec<(String, crate::stories::AlertFilter)>,
    /// Set while a pass groups its writes (see [`Store::begin_batching`]).
    batching: Option<batch::Batching>,
}

impl Drop for Store {
    /// A batch still open holds whole articles only (each is released from its savepoint
    /// when complete), so committing it keeps the database consistent and saves the work.
    fn drop(&mut self) {
        if let Err(e) = self.commit_batch() {
            tracing::warn!(error = %e, "the last write batch was lost; the next run redoes it");
        }
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it to
    /// [`SCHEMA_VERSION`]. A database written by a newer chipwatch is refused untouched.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_handler(Some(retry_while_busy))
            .map_err(open_err)?;

        // Check the version before touching anything, so a newer database stays as it is.
        let found = user_version(&conn).map_err(open_err)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                path: path.to_path_buf(),
                found,
                known: SCHEMA_VERSION,
            });
        }

        // WAL lets `chipwatch events` read while a run writes; NORMAL is durable enough
        // in WAL mode (a power cut may lose the last transaction, never corrupt the file).
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode, "SQLite refused WAL mode");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        // The pass's statements (article look-up and insert, events, stories) are cached;
        // rusqlite keeps 16 by default, fewer than they are, so they would evict each other.
        conn.set_prepared_statement_cache_capacity(32);

        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            rules_version: None,
            alert_filters: Vec::new(),
            batching: None,
        };
        store.migrate(found)?;
        Ok(store)
    }

    /// The file this store was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Names the rule packs that match the articles this store will insert. An article
    /// with events records its events' version anyway; one with none records this, so
    /// that `reprocess` knows the current rules already saw it and leaves it alone.
    pub fn set_rules_version(&mut self, version: &str) {
        self.rules_version = Some(version.to_string());
    }

    /// Applies the migrations after `from`, each in its own transaction together with
    /// its `user_version` bump, so a crash leaves the schema at a whole version.
    fn migrate(&mut self, from: u32) -> Result<(), StoreError> {
        if from >= SCHEMA_VERSION {
            return Ok(());
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            let version = index as u32 + 1;
            let migrate_err = |source| StoreError::Migrate {
                path: self.path.clone(),
                version,
                source,
            };
            let tx = self.conn.transaction().map_err(migrate_err)?;
            tx.execute_batch(sql).map_err(migrate_err)?;
            tx.pragma_update(None, "user_version", version)
                .map_err(migrate_err)?;
            tx.commit().map_err(migrate_err)?;
        }
        tracing::info!(path = %self.path.display(), from, to = SCHEMA_VERSION, "migrated database schema");
        Ok(())
    }
}

/// SQLite's busy handler: `tries` earlier attempts failed; wait [`BUSY_RETRY`] and try
/// again, until [`BUSY_TIMEOUT`] has passed.
fn retry_while_busy(tries: i32) -> bool {
    let waited = BUSY_RETRY.saturating_mul(u32::try_from(tries).unwrap_or(u32::MAX));
    if waited >= BUSY_TIMEOUT {
        return false;
    }
    // Store calls run on blocking threads (or in a synchronous command), never on a
    // runtime worker.
    #[allow(clippy::disallowed_methods)]
    std::thread::sleep(BUSY_RETRY);
    true
}

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Formats a timestamp the way every table stores them: RFC 3339, UTC, whole seconds,
/// fixed width — so that text comparison in SQL is time comparison.
fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Reads a stored timestamp column back (NULL → `None`).
fn time_column(row: &rusqlite::Row<'_>, name: &str) -> rusqlite::Result<Option<DateTime<Utc>>> {
    parsed_column(row, name, |s| {
        DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
    })
}

/// Reads a nullable text column and parses it, reporting a bad value as a conversion
/// failure of that column (so the error names the column rather than panicking).
fn parsed_column<T, E>(
    row: &rusqlite::Row<'_>,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<Option<T>>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let index = row.as_ref().column_index(name)?;
    let value: Option<String> = row.get(index)?;
    match value {
        None => Ok(None),
        Some(s) => parse(&s).map(Some).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
        }),
    }
}

/// True when `err` is a UNIQUE or PRIMARY KEY constraint violation.
fn is_unique_violation(err: &rusqlite::Error) -> bool {
    match err {
        rusqlite::Error::SqliteFailure(e, _) => {
            e.code == ErrorCode::ConstraintViolation
                && (e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
        }
        _ => false,
    }
}

/// Converts a count or quantity for an INTEGER column (SQLite integers are signed).
fn to_i64(what: &'static str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::InvalidValue {
        what,
        detail: format!("{value} is larger than SQLite can store"),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::testing::temp_store;
    use super::*;
    use rusqlite::OptionalExtension;

    #[test]
    fn a_new_database_is_migrated_to_the_current_version() {
        let (_dir, store) = temp_store();
        assert_eq!(user_version(&store.conn).unwrap(), SCHEMA_VERSION);
        for table in [
            "feeds",
            "articles",
            "article_feeds",
            "articles_fts",
            "events",
            "runs",
            "stories",
        ] {
            let n: i64 = store
                .conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "table {table} missing");
        }
    }

    #[test]
    fn open_creates_the_parent_folder_and_reopening_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/deeper/chipwatch.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.path(), path);
        store
            .conn
            .execute(
                "INSERT INTO runs (started_at) VALUES ('2024-01-01T00:00:00Z')",
                [],
            )
            .unwrap();
        drop(store);

        let again = Store::open(&path).unwrap();
        assert_eq!(user_version(&again.conn).unwrap(), SCHEMA_VERSION);
        let runs: i64 = again
            .conn
            .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(runs, 1, "reopening must keep the data");
    }

    #[test]
    fn pragmas_are_set_at_open() {
        let (_dir, store) = temp_store();
        let pragma = |name: &str| -> String {
            store
                .conn
                .pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| match v {
                    rusqlite::types::Value::Text(s) => s,
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    other => format!("{other:?}"),
                })
                .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "wal");
        assert_eq!(pragma("foreign_keys"), "1");
        assert_eq!(pragma("synchronous"), "1", "NORMAL is 1");
        // No `busy_timeout`: a handler of our own waits for the lock instead (see
        // `retry_while_busy`; tested in `batch.rs`).
    }

    #[test]
    fn a_database_from_a_newer_chipwatch_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("future.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let err = Store::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::SchemaTooNew { found, known, .. }
                if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("future.db") && message.contains("upgrade"),
            "{message}"
        );
        let conn = Connection::open(&path).unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_ne!(mode, "wal", "a refused database must not be modified");
    }

    #[test]
    fn a_file_that_is_not_a_database_gives_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.db");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
        assert!(err.to_string().contains("junk.db"), "{err}");
    }

    #[test]
    fn readers_are_not_blocked_by_an_open_write_transaction() {
        let (_dir, mut writer) = temp_store();
        let reader = Store::open(writer.path()).unwrap();
        writer.start_run(Utc::now()).unwrap();
        let tx = writer.conn.transaction().unwrap();
        tx.execute(
            "INSERT INTO runs (started_at) VALUES ('2024-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
        // WAL: the reader sees the last commit at once, without waiting for the writer.
        assert_eq!(reader.recent_runs(10).unwrap().len(), 1);
        tx.commit().unwrap();
        assert_eq!(reader.recent_runs(10).unwrap().len(), 2);
    }

    /// Datasette's own test for a table's full-text index (datasette/utils, 0.65):
    /// an FTS virtual table whose statement names the table as content="…" or
    /// content=[…], with LIKE's `_` and `%` escaped in the name.
    fn datasette_fts_table(conn: &Connection, table: &str) -> Option<String> {
        let escaped = table
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        conn.query_row(
            "SELECT name FROM sqlite_master WHERE rootpage = 0
               AND (sql LIKE ?1 ESCAPE char(92) OR sql LIKE ?2 ESCAPE char(92))",
            [
                format!("%VIRTUAL TABLE%USING FTS%content=\"{escaped}\"%"),
                format!("%VIRTUAL TABLE%USING FTS%content=[{escaped}]%"),
            ],
            |r| r.get(0),
        )
        .optional()
        .unwrap()
    }

    fn search(conn: &Connection, query: &str) -> Vec<i64> {
        let mut stmt = conn
            .prepare("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1 ORDER BY rowid")
            .unwrap();
        let ids = stmt.query_map([query], |r| r.get(0)).unwrap();
        ids.collect::<Result<_, _>>().unwrap()
    }

    /// See: issue 13 — "/chipwatch/articles?_search=Huawei silently returns every
    /// article": Datasette did not recognise `content = 'articles'`.
    #[test]
    fn an_older_database_gets_the_index_datasette_finds_and_keeps_it_in_step() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v7.db");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..7] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 7).unwrap();
            assert_eq!(datasette_fts_table(&conn, "articles"), None);
            conn.execute(
                "INSERT INTO articles (url, title, text, text_source, fetched_at)
                 VALUES ('https://a.example/1', 'Baidu turns to Huawei', 'Ascend chips.', 'page',
                         '2023-11-09T00:00:00Z')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let conn = &store.conn;
        assert_eq!(
            datasette_fts_table(conn, "articles").as_deref(),
            Some("articles_fts")
        );
        // What was indexed before the migration is still found.
        assert_eq!(search(conn, "Huawei"), [1]);
        // The triggers keep the new index in step with inserts, updates and deletes.
        conn.execute(
            "INSERT INTO articles (url, title, text, text_source, fetched_at)
             VALUES ('https://b.example/2', 'Nvidia H20', 'Huawei again.', 'feed',
                     '2023-11-10T00:00:00Z')",
            [],
        )
        .unwrap();
        assert_eq!(search(conn, "Huawei"), [1, 2]);
        conn.execute(
            "UPDATE articles SET title = 'Baidu', text = '' WHERE id = 1",
            [],
        )
        .unwrap();
        assert_eq!(search(conn, "Huawei"), [2]);
        conn.execute("DELETE FROM articles WHERE id = 2", [])
            .unwrap();
        assert!(search(conn, "Huawei").is_empty());
        assert_eq!(search(conn, "Baidu"), [1]);
        assert!(store.check().unwrap().is_clean());
    }

    #[test]
    fn every_story_has_a_label_naming_it() {
        use super::testing::{article, chip_order, export_control};
        let (_dir, mut store) = temp_store();
        let url = "https://news.example/a";
        store
            .insert_article(
                None,
                None,
                &article(url, 9),
                &[chip_order(url, 9), export_control(url, 9)],
            )
            .unwrap();
        let mut stmt = store
            .conn
            .prepare("SELECT label FROM stories ORDER BY kind")
            .unwrap();
        let labels: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            labels,
            [
                "Baidu orders Ascend 910B from Huawei",
                "United States restricts A800, H800 to China"
            ]
        );
        store
            .conn
            .execute(
                "UPDATE stories SET products = '[]', action = NULL, authority = NULL
                 WHERE kind = 'export_control'",
                [],
            )
            .unwrap();
        let label: String = store
            .conn
            .query_row(
                "SELECT label FROM stories WHERE kind = 'export_control'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(label, "? controls to China");
    }

    #[test]
    fn timestamps_are_fixed_width_utc() {
        let t = DateTime::parse_from_rfc3339("2023-11-09T10:00:00.123+02:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_time(t), "2023-11-09T08:00:00Z");
    }
}
