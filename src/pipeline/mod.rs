//! The only module that sees every stage: one pass over the due feeds ([`pass`]), each feed
//! fetched and parsed ([`feed_job`]), each new item turned into an article with its events
//! and stored in one transaction ([`article_job`]); [`watch`] runs passes on schedule until
//! asked to stop. CPU-heavy stages (feed parsing, HTML
//! extraction, matching) and SQLite calls run on blocking threads so the async reactor only
//! waits on I/O.

mod article_job;
mod feed_job;
mod pass;
mod watch;

pub use pass::{run_pass, PassError, PassOptions, PassOutcome, SHUTDOWN_GRACE};
pub use watch::{watch, WatchOutcome, MAX_IDLE};
