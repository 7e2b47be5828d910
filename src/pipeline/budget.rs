//! What a pass may hold at once, so that its memory and threads follow the configuration
//! and the machine, never the length of the feed list or the size of the corpus:
//!
//! - **feeds**: at most `[http] concurrency` feed jobs run at once; the others wait
//!   before fetching, so parsed feeds are not held while their articles queue. They
//!   start in the order the pass selected them, not in the order the runtime happens to
//!   poll their tasks, so a pass over the same feeds asks the same things in turn.
//! - **articles**: at most `concurrency` + one per core article jobs are in flight across
//!   all feeds (fetching, waiting for a core, or being extracted, matched and stored);
//!   the rest wait before fetching, so no page is read only to wait in memory.
//! - **CPU work** (feed parsing, HTML extraction, matching) runs on one process-wide
//!   pool of one thread per core ([`run_on_cpu_pool`]), so at most that many parsed
//!   documents exist at once. The threads live as long as the process: the regex crate
//!   keeps a matching cache per pattern for every thread that used it, for the life of
//!   the pattern, so short-lived threads would leave ever more caches behind.
//! - **threads**: the runtime's blocking pool, now only for store calls and name
//!   look-ups, holds a few threads instead of tokio's default ceiling of 512; a thread
//!   left idle for [`BLOCKING_KEEP_ALIVE`] ends.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, watch, Semaphore, SemaphorePermit};

use crate::config::HttpConfig;

/// How long an idle blocking thread lingers before it ends.
pub const BLOCKING_KEEP_ALIVE: Duration = Duration::from_secs(5);

/// The threads CPU work runs on: one per core.
pub fn cpu_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Blocking threads: one for the store and one per four requests in flight for name
/// look-ups (which the resolver runs as blocking calls).
pub fn blocking_threads(http: &HttpConfig) -> usize {
    1 + http.concurrency.div_ceil(4)
}

type Job = Box<dyn FnOnce() + Send>;

/// The CPU pool's queue; its threads start with the first job.
static CPU_POOL: LazyLock<Mutex<Sender<Job>>> = LazyLock::new(|| {
    let (jobs, queue) = channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    for n in 0..cpu_workers() {
        let queue = Arc::clone(&queue);
        // A worker that cannot start leaves the others; with none, jobs fail (below).
        let _ = std::thread::Builder::new()
            .name(format!("chipwatch-cpu-{n}"))
            .spawn(move || work_through(&queue));
    }
    Mutex::new(jobs)
});

fn work_through(queue: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for the next job, not while running it.
        let job = match queue.lock().unwrap_or_else(|e| e.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        job();
    }
}

/// Runs `work` on the CPU pool and waits for it without blocking the runtime. A panic in
/// `work` (a bug met by some page) comes back as an error, as from `spawn_blocking`.
pub(super) async fn run_on_cpu_pool<T, F>(work: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (done, result) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(catch_unwind(AssertUnwindSafe(work)));
    });
    CPU_POOL
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job)
        .map_err(|_| "the CPU pool has no thread".to_string())?;
    match result.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(_)) => Err("a CPU job panicked".to_string()),
        Err(_) => Err("the CPU pool has no thread".to_string()),
    }
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
    feeds: Semaphore,
    /// The turn of the next feed job allowed to queue for a slot.
    feed_turn: watch::Sender<usize>,
    pub articles: Semaphore,
}

impl Budget {
    pub fn new(http: &HttpConfig) -> Budget {
        let concurrency = http.concurrency.max(1);
        Budget {
            feeds: Semaphore::new(concurrency),
            feed_turn: watch::Sender::new(0),
            articles: Semaphore::new(concurrency + cpu_workers()),
        }
    }

    /// Waits for a feed slot, after every feed job with an earlier `turn` (0, 1, 2, …
    /// in the order of selection) has got one: the semaphore is first come, first
    /// served, so each job queues only once the one before it has queued and won.
    pub async fn feed_slot(&self, turn: usize) -> Option<SemaphorePermit<'_>> {
        let mut turns = self.feed_turn.subscribe();
        // The sender lives in `self`, so waiting cannot fail while we borrow it.
        let _ = turns.wait_for(|next| *next >= turn).await;
        // The semaphore is never closed; if it were, the job would just run.
        let slot = self.feeds.acquire().await.ok();
        self.feed_turn
            .send_modify(|next| *next = (*next).max(turn + 1));
        slot
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
        assert_eq!(blocking_threads(&http), 5);
        let budget = Budget::new(&http);
        assert_eq!(budget.feeds.available_permits(), 16);
        assert_eq!(budget.articles.available_permits(), 16 + cpu_workers());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn feed_jobs_get_their_slots_in_the_order_of_selection() {
        let http = HttpConfig {
            concurrency: 1,
            ..HttpConfig::default()
        };
        let budget = Arc::new(Budget::new(&http));
        let started = Arc::new(Mutex::new(Vec::new()));
        let mut jobs = tokio::task::JoinSet::new();
        // Spawned last turn first: only the turns can put them back in order.
        for turn in (0..12).rev() {
            let (budget, started) = (Arc::clone(&budget), Arc::clone(&started));
            jobs.spawn(async move {
                let _slot = budget.feed_slot(turn).await;
                started.lock().unwrap().push(turn);
                tokio::task::yield_now().await;
            });
        }
        while jobs.join_next().await.is_some() {}
        assert_eq!(*started.lock().unwrap(), (0..12).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn cpu_jobs_run_on_the_pool_and_panics_come_back_as_errors() {
        let name = run_on_cpu_pool(|| std::thread::current().name().map(str::to_string))
            .await
            .unwrap();
        assert!(name.is_some_and(|n| n.starts_with("chipwatch-cpu-")));
        let failed = run_on_cpu_pool(|| -> u8 { panic!("a page met a bug") }).await;
        assert!(failed.is_err());
        // The pool survives the panic.
        assert_eq!(run_on_cpu_pool(|| 2 + 2).await, Ok(4));
    }
}
