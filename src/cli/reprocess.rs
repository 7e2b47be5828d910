//! `chipwatch reprocess`: run the current rules over the stored articles that other rules
//! (or none on record) produced events for, replacing each article's events atomically.
//! Events found again keep their ids; a second run finds nothing to do. Articles whose
//! text was pruned are left alone, with their events. Then the stories are regrouped,
//! keeping their ids where they survive.

use clap::Args;

use super::{load_rules, lock_database, open_existing_store, ExitCode};
use crate::config::Config;
use crate::logging::Progress;
use crate::model::EventKind;
use crate::pipeline::derive_events;

/// Articles read per page from the store.
const PAGE: usize = 200;

#[derive(Debug, Args)]
pub struct ReprocessArgs {}

/// What a reprocess run changed; per-kind counts are indexed 0: chip orders, 1: export
/// controls.
#[derive(Debug, Default)]
struct Tally {
    articles: u64,
    changed_articles: u64,
    added: [u64; 2],
    removed: [u64; 2],
    kept: u64,
}

fn index(kind: EventKind) -> usize {
    usize::from(kind == EventKind::ExportControl)
}

pub fn run(config: &Config, _args: &ReprocessArgs) -> anyhow::Result<ExitCode> {
    let rules = load_rules(config)?;
    // Opened before the lock, whose file would otherwise create the database's folder.
    let mut store = open_existing_store(config)?;
    let _lock = lock_database(config)?;
    let version = rules.version().to_string();
    let total = store.count_articles_to_reprocess(&version)?;
    tracing::info!(articles = total, rules_version = %version, "reprocessing");
    let progress = Progress::new(total, "articles");
    let mut tally = Tally::default();
    let mut after = None;
    loop {
        let ids = store.articles_to_reprocess(&version, after, PAGE)?;
        let Some(&last) = ids.last() else { break };
        after = Some(last);
        for id in ids {
            let Some(article) = store.article(id)? else {
                continue;
            };
            let (events, _) = derive_events(&rules, &article);
            let done = store.replace_article_events(id, &version, &events)?;
            tally.articles += 1;
            tally.kept += (done.events.len() - done.new) as u64;
            for kind in &done.added_kinds {
                tally.added[index(*kind)] += 1;
            }
            for kind in &done.removed_kinds {
                tally.removed[index(*kind)] += 1;
            }
            if done.new > 0 || done.removed > 0 {
                tally.changed_articles += 1;
                tracing::info!(
                    article_id = id,
                    url = article.url.as_deref().unwrap_or("-"),
                    added = done.new,
                    removed = done.removed,
                    "events replaced"
                );
            }
            progress.inc(1);
        }
    }
    drop(progress);
    // Changed events change stories: regroup them all at once (also finishing the work
    // of a reprocess that was cut short).
    let stories = if store.stories_need_rebuild()? {
        Some(store.rebuild_stories()?)
    } else {
        None
    };
    println!(
        "reprocessed {} articles with rules {version}: {} changed",
        tally.articles, tally.changed_articles
    );
    println!(
        "events added:   {} chip_order, {} export_control",
        tally.added[0], tally.added[1]
    );
    println!(
        "events removed: {} chip_order, {} export_control",
        tally.removed[0], tally.removed[1]
    );
    println!("events kept:    {}", tally.kept);
    match stories {
        Some(s) => println!(
            "stories:        {} ({} new, {} changed, {} gone)",
            s.stories, s.created, s.changed, s.removed
        ),
        None => println!("stories:        unchanged"),
    }
    Ok(ExitCode::Success)
}
