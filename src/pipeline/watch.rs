//! `watch`: passes on the feeds' own schedules, one at a time. Between passes it sleeps
//! until the next feed or pending article page is due (looking again at least every [`MAX_IDLE`], so feeds added
//! with `chipwatch feeds add` are noticed) and runs a pass only when one is due; a
//! shutdown request ends the sleep at once, or lets the running pass wrap up (see
//! [`super::pass`]) and then ends the loop.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tracing::{debug, info};

use super::pass::{run_pass, PassError, PassOptions, PassOutcome};
use crate::config::Config;
use crate::rules::RuleSet;
use crate::store::Store;

/// The longest sleep before the feeds are looked at again.
pub const MAX_IDLE: Duration = Duration::from_secs(60);
/// The shortest pause after a pass.
pub const MIN_IDLE: Duration = Duration::from_secs(1);
/// The shortest pause after a pass before another one runs for page retries alone. A
/// page that failed in a pass is due again at once, meaning the next run; under `watch`
/// that should be the next look a little later, not the next second.
pub const PAGE_RETRY_IDLE: Duration = Duration::from_secs(30);

/// What a watch did before it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchOutcome {
    pub passes: u64,
}

/// Work done after each pass, on a blocking thread, before the next pass can start
/// (`chipwatch watch` writes the configured report there).
pub type AfterPass = Arc<dyn Fn(&PassOutcome) + Send + Sync>;

/// Runs passes until `shutdown` becomes true. A pass that fails on the database ends the
/// watch with its error (the service manager restarts it); failing feeds do not.
pub async fn watch(
    config: &Config,
    rules: Arc<RuleSet>,
    store: Arc<Mutex<Store>>,
    shutdown: watch::Receiver<bool>,
) -> Result<WatchOutcome, PassError> {
    watch_with(config, rules, store, shutdown, None).await
}

/// [`watch`], calling `after_pass` with the outcome of each pass.
pub async fn watch_with(
    config: &Config,
    rules: Arc<RuleSet>,
    store: Arc<Mutex<Store>>,
    mut shutdown: watch::Receiver<bool>,
    after_pass: Option<AfterPass>,
) -> Result<WatchOutcome, PassError> {
    let mut outcome = WatchOutcome::default();
    // The first pass runs at once: it also syncs the config feeds into the database.
    let mut first = true;
    let mut last_pass_end = tokio::time::Instant::now();
    loop {
        if *shutdown.borrow() {
            break;
        }
        if !first {
            // Nothing due: sleep, and look again (a feed may have been added meanwhile).
            let wait = until_next_due(&store, last_pass_end.elapsed()).await?;
            if !wait.is_zero() {
                debug!(sleep_secs = wait.as_secs(), "no feed or page is due yet");
                sleep_or_stop(wait, &mut shutdown).await;
                continue;
            }
        }
        first = false;
        let options = PassOptions {
            shutdown: Some(shutdown.clone()),
            ..PassOptions::default()
        };
        let pass = run_pass(config, Arc::clone(&rules), Arc::clone(&store), &options).await?;
        outcome.passes += 1;
        if let Some(after_pass) = &after_pass {
            let after_pass = Arc::clone(after_pass);
            let pass = pass.clone();
            tokio::task::spawn_blocking(move || after_pass(&pass))
                .await
                .map_err(|e| PassError::Worker(e.to_string()))?;
        }
        last_pass_end = tokio::time::Instant::now();
        if pass.interrupted || *shutdown.borrow() {
            break;
        }
        // A feed due again at once (clock skew, a tiny interval) must not spin the loop.
        sleep_or_stop(MIN_IDLE, &mut shutdown).await;
    }
    info!(passes = outcome.passes, "watch stopped");
    Ok(outcome)
}

/// Sleeps for `wait`, or until a shutdown is requested.
async fn sleep_or_stop(wait: Duration, shutdown: &mut watch::Receiver<bool>) {
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        changed = shutdown.wait_for(|stop| *stop) => {
            if changed.is_err() {
                // Nobody can ask for a shutdown any more: sleep out the wait.
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// How long until the earliest feed or pending page is due: zero when one is due now,
/// at most [`MAX_IDLE`]; a page counts as due no sooner than [`PAGE_RETRY_IDLE`] after
/// the last pass (`since_pass` ago).
async fn until_next_due(
    store: &Arc<Mutex<Store>>,
    since_pass: Duration,
) -> Result<Duration, PassError> {
    let store = Arc::clone(store);
    let (feeds, next_page) = tokio::task::spawn_blocking(move || {
        let guard = store.lock().unwrap_or_else(|e| e.into_inner());
        Ok::<_, crate::store::StoreError>((guard.feeds()?, guard.next_page_attempt()?))
    })
    .await
    .map_err(|e| PassError::Worker(e.to_string()))??;
    let now = Utc::now();
    let until = |t: chrono::DateTime<Utc>| (t - now).to_std().unwrap_or(Duration::ZERO);
    let feed_wait = feeds
        .iter()
        .map(|f| until(f.next_fetch_at.unwrap_or(now)))
        .min()
        .unwrap_or(MAX_IDLE);
    let page_wait = next_page.map_or(MAX_IDLE, |t| {
        until(t).max(PAGE_RETRY_IDLE.saturating_sub(since_pass))
    });
    Ok(feed_wait.min(page_wait).min(MAX_IDLE))
}
