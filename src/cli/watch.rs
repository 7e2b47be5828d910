//! `chipwatch watch`: stay up and run passes on the feeds' schedules, holding the run lock
//! for the whole time (a `run` from cron meanwhile exits with code 3). The first SIGTERM
//! or SIGINT lets the jobs in flight finish and commit, then exits 0; a second one exits
//! at once with code 1 (each article is one transaction, so even that is safe).

use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::Args;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

use super::{load_rules, lock_database, open_store, runtime, ExitCode};
use crate::config::Config;
use crate::pipeline::SHUTDOWN_GRACE;

#[derive(Debug, Args)]
pub struct WatchArgs {}

pub fn run(config: Config, _args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let runtime = runtime(&config.http)?;
    // Caught from the start, so a signal during start-up is a clean stop, not a kill.
    let stop = runtime.block_on(async { shutdown_on_signals() })?;
    let rules = Arc::new(load_rules(&config)?);
    let _lock = lock_database(&config)?;
    let mut store = open_store(&config)?;
    store.close_interrupted_runs(chrono::Utc::now())?;
    let store = Arc::new(Mutex::new(store));
    // After each pass, the `[report]` file (when configured) is written again from the
    // same store, as `run` does.
    let report_config = config.clone();
    let report_store = Arc::clone(&store);
    let after_pass: crate::pipeline::AfterPass = Arc::new(move |outcome| {
        let store = report_store.lock().unwrap_or_else(|e| e.into_inner());
        super::report::refresh_after_pass(&report_config, &store, &outcome.summary);
    });
    runtime.block_on(async move {
        crate::pipeline::watch_with(&config, rules, store, stop, Some(after_pass)).await?;
        anyhow::Ok(ExitCode::Success)
    })
}

/// Listens for SIGTERM and SIGINT (call inside the runtime): the first sets the returned
/// flag, so the work in flight can finish; the second exits the process at once with
/// code 1.
pub(crate) fn shutdown_on_signals() -> anyhow::Result<watch::Receiver<bool>> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    tokio::spawn(async move {
        let first = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!(
            signal = first,
            grace_secs = SHUTDOWN_GRACE.as_secs(),
            "stopping: finishing the work in flight (a second signal exits at once)"
        );
        let _ = stop_tx.send(true);
        let second = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::warn!(signal = second, "second signal: exiting now");
        std::process::exit(ExitCode::Fatal as i32);
    });
    Ok(stop_rx)
}
