//! `chipwatch feeds`: list the feeds with their health, add and remove feeds on the
//! command line, import an OPML file.
//!
//! The config file stays the source of truth: its `[[feeds]]` are synced into the database
//! at every start (added, updated, or deleted when no longer listed). `feeds add` and
//! `import-opml` store feeds in the database only, with source `cli`; a name that a config
//! feed uses is refused, and a CLI feed whose name later appears in the config is taken over
//! by the config. `feeds remove` removes CLI feeds only; a config feed is removed by editing
//! the file.

use std::collections::HashSet;
use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::opml::{feed_name, parse_opml, MAX_OPML_BYTES};
use super::output::strip_controls;
use super::{open_store, ExitCode, UsageError};
use crate::config::{valid_feed_name, Config};
use crate::model::FeedSpec;
use crate::store::{Store, StoreError};

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Every feed with its health: last status, failures in a row, last success, next fetch
    List,
    /// Watch a feed (stored in the database with source `cli`; the config file is untouched)
    Add {
        /// Letters, digits, '-', '_', '.'
        name: String,
        /// http(s) URL of an RSS, Atom or JSON feed
        url: String,
        /// Minutes between fetches [default: [schedule] default_interval_mins]
        #[arg(long, value_name = "MINS")]
        interval_mins: Option<u32>,
        /// Use the feed's own text instead of fetching each article page
        #[arg(long)]
        no_fetch_articles: bool,
    },
    /// Stop watching a feed added with `feeds add` or `import-opml` (its articles stay)
    Remove { name: String },
    /// Add every feed of an OPML export (folders included); known URLs are skipped
    ImportOpml {
        /// The OPML file, or - for standard input
        file: PathBuf,
    },
}

pub fn run(config: &Config, command: &FeedsCommand) -> anyhow::Result<ExitCode> {
    let mut store = open_store(config)?;
    // Config feeds first, so that names and URLs they use are known to every subcommand.
    // Without a config file there is nothing to sync (and syncing an empty list would
    // delete the config feeds recorded by the last run).
    if config.source.is_some() {
        store.sync_config_feeds(&config.feeds)?;
    }
    match command {
        FeedsCommand::List => list(&store),
        FeedsCommand::Add {
            name,
            url,
            interval_mins,
            no_fetch_articles,
        } => {
            let spec = spec(config, name, url, *interval_mins, !*no_fetch_articles)?;
            if let Some(existing) = store.feeds()?.into_iter().find(|f| f.spec.url == spec.url) {
                return Err(UsageError(format!(
                    "{} is already watched as feed `{}`",
                    spec.url, existing.spec.name
                ))
                .into());
            }
            store.add_cli_feed(&spec)?;
            println!("added feed `{}` ({}); it is due now", spec.name, spec.url);
            Ok(ExitCode::Success)
        }
        FeedsCommand::Remove { name } => {
            if store.remove_cli_feed(name)? {
                println!("removed feed `{name}` (its articles and events stay)");
                Ok(ExitCode::Success)
            } else {
                Err(UsageError(format!(
                    "no feed named `{name}` (see `chipwatch feeds list`)"
                ))
                .into())
            }
        }
        FeedsCommand::ImportOpml { file } => import(config, &mut store, file),
    }
}

fn spec(
    config: &Config,
    name: &str,
    url: &str,
    interval_mins: Option<u32>,
    fetch_articles: bool,
) -> Result<FeedSpec, UsageError> {
    if !valid_feed_name(name) {
        return Err(UsageError(format!(
            "{name:?} is not a feed name (letters, digits, '-', '_', '.', at most 64)"
        )));
    }
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => return Err(UsageError(format!("{url:?} is not an http(s) URL"))),
    }
    let interval_mins = interval_mins.unwrap_or(config.schedule.default_interval_mins);
    if !(1..=7 * 24 * 60).contains(&interval_mins) {
        return Err(UsageError(format!(
            "--interval-mins {interval_mins}: expected 1 to 10080"
        )));
    }
    Ok(FeedSpec {
        name: name.to_string(),
        url: url.to_string(),
        interval_mins,
        fetch_articles,
    })
}

fn list(store: &Store) -> anyhow::Result<ExitCode> {
    let counts = store.article_counts_by_feed()?;
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(
            || "-".to_string(),
            |t| t.format("%Y-%m-%d %H:%M").to_string(),
        )
    };
    println!(
        "{:<24} {:<6} {:<12} {:>5} {:<16} {:<16} {:>8}  URL",
        "NAME", "SOURCE", "STATUS", "FAILS", "LAST SUCCESS", "NEXT FETCH", "ARTICLES"
    );
    for feed in store.feeds()? {
        println!(
            "{:<24} {:<6} {:<12} {:>5} {:<16} {:<16} {:>8}  {}",
            feed.spec.name,
            feed.source.as_str(),
            feed.last_status.as_deref().unwrap_or("new"),
            feed.consecutive_failures,
            time(feed.last_success_at),
            time(feed.next_fetch_at),
            counts.get(&feed.id).copied().unwrap_or(0),
            strip_controls(&feed.spec.url),
        );
    }
    Ok(ExitCode::Success)
}

fn import(config: &Config, store: &mut Store, file: &PathBuf) -> anyhow::Result<ExitCode> {
    let mut bytes = Vec::new();
    let shown = file.display().to_string();
    if shown == "-" {
        std::io::stdin()
            .take(MAX_OPML_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("cannot read the OPML from standard input")?;
    } else {
        std::fs::File::open(file)
            .and_then(|f| f.take(MAX_OPML_BYTES + 1).read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {shown}"))?;
    }
    if bytes.len() as u64 > MAX_OPML_BYTES {
        return Err(UsageError(format!("{shown}: larger than {MAX_OPML_BYTES} bytes")).into());
    }
    let text = String::from_utf8_lossy(&bytes);
    let found = parse_opml(&text).map_err(|e| UsageError(format!("{shown}: {e}")))?;

    let existing = store.feeds()?;
    let mut urls: HashSet<String> = existing.iter().map(|f| f.spec.url.clone()).collect();
    let mut names: HashSet<String> = existing.iter().map(|f| f.spec.name.clone()).collect();
    let (mut added, mut duplicates, mut invalid) = (0, 0, 0);
    for feed in found {
        if urls.contains(&feed.url) {
            duplicates += 1;
            continue;
        }
        let base = feed_name(&feed.title, &feed.url);
        let name = (1..)
            .map(|i| {
                if i == 1 {
                    base.clone()
                } else {
                    format!("{base}-{i}")
                }
            })
            .find(|n| !names.contains(n))
            .unwrap_or(base);
        let spec = match spec(config, &name, &feed.url, None, true) {
            Ok(spec) => spec,
            Err(e) => {
                tracing::warn!(url = %strip_controls(&feed.url), error = %e, "OPML entry skipped");
                invalid += 1;
                continue;
            }
        };
        match store.add_cli_feed(&spec) {
            Ok(()) => {}
            Err(StoreError::FeedExists { .. }) => {
                duplicates += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        println!("added `{}` {}", spec.name, strip_controls(&spec.url));
        urls.insert(spec.url);
        names.insert(spec.name);
        added += 1;
    }
    println!("imported {added} feeds; skipped {duplicates} already watched, {invalid} invalid");
    Ok(ExitCode::Success)
}
