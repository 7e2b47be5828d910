//! What a pass may hold at once, so that its memory and threads follow the configuration
//! and the machine, never the length of the feed list or the size of the corpus:
//!
//! - **feeds**: at most `[http] concurrency` feed jobs run at once; the others wait
//!   before fetching, so parsed feeds are not held while their articles queue.
//! - **articles**: at most `concurrency` + one per core article jobs are in flight across
//!   all feeds (fetching, waiting for a core, or being extracted, matched and stored);
//!   the rest wait before fetching, so no page is read only to wait in memory.
//! - **CPU work** (feed parsing, HTML extraction, matching) runs on at most one thread
//!   per core, so at most that many parsed documents exist at once.
//! - **threads**: the runtime's blocking pool holds the CPU workers plus a few for store
//!   calls and name look-ups, instead of tokio's default ceiling of 512. A thread left
//!   idle for [`BLOCKING_KEEP_ALIVE`] ends, so `watch` gives its stacks and its regex
//!   caches back between passes.

use std::time::Duration;

use tokio::sync::Semaphore;

use crate::config::HttpConfig;

/// How long an idle blocking thread lingers before it ends.
pub const BLOCKING_KEEP_ALIVE: Duration = Duration::from_secs(5);

/// The threads CPU work runs on: one per core.
pub fn cpu_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Blocking threads: the CPU workers, one for the store, and one per four requests in
/// flight for name look-ups (which the resolver runs as blocking calls).
pub fn blocking_threads(http: &HttpConfig) -> usize {
    cpu_workers() + 1 + http.concurrency.div_ceil(4)
}

/// The async runtime passes run on: `run`, `watch` and `demo` build theirs here, and so
/// does the pipeline benchmark, so that what is measured is what ships.
pub fn runtime(http: &HttpConfig) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cpu_workers())
        .max_blocking_threads(blocking_threads(http))
        .thread_keep_alive(BLOCKING_KEEP_ALIVE)
        .enable_all()
        .build()
}

/// The semaphores of one pass.
#[derive(Debug)]
pub(super) struct Budget {
    pub feeds: Semaphore,
    pub articles: Semaphore,
    pub cpu: Semaphore,
}

impl Budget {
    pub fn new(http: &HttpConfig) -> Budget {
        let concurrency = http.concurrency.max(1);
        Budget {
            feeds: Semaphore::new(concurrency),
            articles: Semaphore::new(concurrency + cpu_workers()),
            cpu: Semaphore::new(cpu_workers()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_follow_the_configuration() {
        let http = HttpConfig {
            concurrency: 16,
            ..HttpConfig::default()
        };
        assert_eq!(blocking_threads(&http), cpu_workers() + 5);
        let budget = Budget::new(&http);
        assert_eq!(budget.feeds.available_permits(), 16);
        assert_eq!(budget.articles.available_permits(), 16 + cpu_workers());
        assert_eq!(budget.cpu.available_permits(), cpu_workers());
    }
}
