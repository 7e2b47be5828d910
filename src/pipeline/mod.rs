//! The only module that sees every stage: one pass over the due feeds ([`pass`]), each feed
//! fetched and parsed ([`feed_job`]), each new item turned into an article with its events
//! and stored in one transaction ([`article_job`]); [`watch`] runs passes on schedule until
//! asked to stop. CPU-heavy stages (feed parsing, HTML
//! extraction, matching) and SQLite calls run on blocking threads so the async reactor only
//! waits on I/O.

mod article_job;
mod budget;
mod feed_job;
mod pass;
mod stages;
mod watch;

pub use budget::{runtime, BLOCKING_KEEP_ALIVE};
pub use pass::{run_pass, PassError, PassOptions, PassOutcome, SHUTDOWN_GRACE};
pub use stages::{process_cpu_time, thread_cpu_time, StageCpu};
pub use watch::{watch, WatchOutcome, MAX_IDLE};

use crate::model::{Event, EventDetails};

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
