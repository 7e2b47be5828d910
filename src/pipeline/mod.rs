//! The only module that sees every stage: one pass over the due feeds ([`pass`]), each feed
//! fetched and parsed ([`feed_job`]), each new item turned into an article with its events
//! and stored in one transaction ([`article_job`]); [`watch`] runs passes on schedule until
//! asked to stop. CPU-heavy stages (feed parsing, HTML
//! extraction, matching) and SQLite calls run on blocking threads so the async reactor only
//! waits on I/O.

mod article_job;
mod feed_job;
mod pass;
mod stages;
mod watch;

pub use pass::{run_pass, PassError, PassOptions, PassOutcome, SHUTDOWN_GRACE};
pub use stages::{process_cpu_time, thread_cpu_time, StageCpu};
pub use watch::{watch, WatchOutcome, MAX_IDLE};

/// The async runtime passes run on: `run`, `watch` and `demo` build theirs here, and so
/// does the pipeline benchmark, so that what is measured is what ships.
pub fn runtime(_http: &crate::config::HttpConfig) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}
