//! `chipwatch run`: one pass over the due feeds, for cron and systemd timers, under the
//! run lock of the database (a second `run` exits at once with code 3). Prints nothing on
//! stdout; the pass summary goes to the log, and the `[report]` file is written again
//! when the pass stored something. SIGTERM or SIGINT lets the work in flight
//! finish (see `watch`).

use std::sync::{Arc, Mutex};

use clap::Args;

use super::watch::shutdown_on_signals;
use super::{load_rules, lock_database, open_store, runtime, ExitCode};
use crate::config::Config;
use crate::pipeline::{run_pass, PassOptions};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Ignore schedules and fetch every feed
    #[arg(long)]
    pub all: bool,
    /// Only this feed (repeatable)
    #[arg(long = "feed", value_name = "NAME")]
    pub feeds: Vec<String>,
    /// Exit with code 4 when some feeds failed
    #[arg(long)]
    pub fail_on_feed_error: bool,
}

pub fn run(config: Config, args: &RunArgs) -> anyhow::Result<ExitCode> {
    let runtime = runtime(&config.http)?;
    // Signals are caught from the start: SIGTERM (systemd stopping the unit) while the
    // rules compile ends the run through the pass's shutdown path, as in watch, not by
    // the default action.
    let shutdown = runtime.block_on(async { shutdown_on_signals() })?;
    let rules = Arc::new(load_rules(&config)?);
    // The lock comes before anything is written, and is held until the pass is recorded.
    let _lock = lock_database(&config)?;
    let mut store = open_store(&config)?;
    let closed = store.close_interrupted_runs(chrono::Utc::now())?;
    if closed > 0 {
        tracing::warn!(
            runs = closed,
            "earlier passes were interrupted; the work they left is picked up now"
        );
    }
    let store = Arc::new(Mutex::new(store));
    let outcome = runtime.block_on(async {
        let options = PassOptions {
            all: args.all,
            feeds: args.feeds.clone(),
            shutdown: Some(shutdown),
        };
        anyhow::Ok(run_pass(&config, rules, Arc::clone(&store), &options).await?)
    })?;
    // Under the run lock still, so two runs never write the report at once.
    super::report::refresh_after_pass(
        &config,
        &store.lock().unwrap_or_else(|e| e.into_inner()),
        &outcome.summary,
    );
    if outcome.interrupted {
        tracing::warn!("the pass was stopped before every feed was done; the next one goes on");
        return Ok(ExitCode::Fatal);
    }
    let fail_on_feed_error = args.fail_on_feed_error || config.fail_on_feed_error;
    if fail_on_feed_error && !outcome.failed_feeds.is_empty() {
        tracing::warn!(failed = %outcome.failed_feeds.join(", "), "some feeds failed");
        return Ok(ExitCode::FeedsFailed);
    }
    Ok(ExitCode::Success)
}
