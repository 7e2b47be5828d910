//! The only module that sees every stage: one pass over the due feeds ([`pass`]), each feed
//! fetched and parsed ([`feed_job`]), each new item turned into an article with its events
//! and stored in one transaction ([`article_job`]), the article pages that failed for a
//! passing reason fetched again when due ([`page_retry`]), and the alerts those writes
//! queued delivered after them ([`deliver`]); [`watch`] runs passes on
//! schedule until asked to stop. CPU-heavy stages (feed parsing, HTML
//! extraction, matching) and SQLite calls run on blocking threads so the async reactor only
//! waits on I/O.

mod article_job;
mod budget;
mod deliver;
mod feed_job;
mod page_retry;
mod pass;
mod stages;
mod watch;

pub use budget::{runtime, BLOCKING_KEEP_ALIVE};
pub use deliver::DeliveryCounts;
pub use pass::{run_pass, PassError, PassOptions, PassOutcome, SHUTDOWN_GRACE};
pub use stages::{process_cpu_time, thread_cpu_time, StageCpu};
pub use watch::{watch, watch_with, AfterPass, WatchOutcome, MAX_IDLE, PAGE_RETRY_IDLE};

use crate::model::{Article, Event, EventDetails};
use crate::rules::RuleSet;

/// The events the rules find in `article`, each naming the article's URL, and whether
/// the article's language is one the rule packs cover (when it is not: no events, never
/// a silent negative). New articles, pages that came back on a retry and `reprocess`
/// all derive their events here.
pub fn derive_events(rules: &RuleSet, article: &Article) -> (Vec<Event>, bool) {
    let language_matched = article
        .lang
        .as_deref()
        .is_none_or(|l| rules.covers_language(l));
    if !language_matched {
        return (Vec::new(), false);
    }
    let mut events = rules.extract_events(&article.text, article.published.map(|p| p.date()));
    for event in &mut events {
        event.article_url = article.url.clone();
    }
    (events, true)
}

/// One info line per new event: what a pass found, with the slots that identify it.
/// The article's URL is the `url` of the article job's span the line is logged in.
fn log_new_events(events: &[Event]) {
    for event in events {
        let id = event.id.unwrap_or_default();
        let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
        match &event.details {
            EventDetails::ChipOrder(o) => tracing::info!(
                kind = "chip_order",
                event_id = id,
                buyer = %or_dash(&o.buyer),
                supplier = %or_dash(&o.supplier),
                product = %or_dash(&o.product),
                "new event"
            ),
            EventDetails::ExportControl(c) => tracing::info!(
                kind = "export_control",
                event_id = id,
                authority = %or_dash(&c.authority),
                action = c.action.map_or("-", |a| a.as_str()),
                targets = %c.targets.join(", "),
                products = %c.products.join(", "),
                "new event"
            ),
        }
    }
}
