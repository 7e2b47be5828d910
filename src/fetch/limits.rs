//! Politeness: at most `concurrency` requests in flight overall, at most
//! `per_host_concurrency` to one host, a minimum delay between two requests to the
//! same host, and a pause for a server that answered 429/503 with `Retry-After`. Feed
//! and article fetches share these limits. A request first takes its host's slot, then
//! a global one, so a request queued behind a slow host never holds a global slot that
//! another host could use.
//!
//! Pauses have a budget per server and per pass (one `Limits` per pass): together they
//! last at most `host_pause_max`. A server that asks for another pause once its budget
//! is spent is throttling us for good: it is given up for the rest of the pass, and its
//! requests fail at once instead of each waiting out a pause of its own (which stacked
//! up to hours on a host with many pages).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::response::MAX_RETRY_AFTER;

struct HostSlot {
    permits: Arc<Semaphore>,
    next_start: tokio::sync::Mutex<Instant>,
}

pub struct Limits {
    global: Arc<Semaphore>,
    per_host: usize,
    delay: Duration,
    hosts: Mutex<HashMap<String, Arc<HostSlot>>>,
    /// How long one server may be paused in total in this pass; zero: never.
    pause_budget: Duration,
    /// Per server (`host:port`), from its `Retry-After` answers.
    pauses: Mutex<HashMap<String, ServerPause>>,
}

/// What a server's `Retry-After` answers did to it so far in this pass.
#[derive(Debug, Default)]
struct ServerPause {
    /// No request before then.
    until: Option<Instant>,
    /// Pause time granted so far, at most the budget.
    spent: Duration,
    /// It asked again after its budget was spent: no more requests in this pass.
    given_up: bool,
}

/// Where a server stands for a request about to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostState {
    Open,
    /// Paused for this much longer.
    Paused(Duration),
    /// Given up for the rest of the pass.
    GivenUp,
}

/// What a server's ask for a pause led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseOutcome {
    /// A new pause of this length.
    Started(Duration),
    /// The running pause was lengthened (within the budget), or nothing changed: the
    /// ask came while a pause was running, or pauses are off.
    Unchanged,
    /// The budget was spent: the server is given up for the rest of the pass.
    GaveUp { spent: Duration },
}

/// Held while a request runs; dropping it frees both slots.
pub struct Permit {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

impl Limits {
    pub fn new(
        concurrency: usize,
        per_host: usize,
        delay: Duration,
        pause_budget: Duration,
    ) -> Limits {
        Limits {
            global: Arc::new(Semaphore::new(concurrency.max(1))),
            per_host: per_host.max(1),
            delay,
            hosts: Mutex::new(HashMap::new()),
            pause_budget,
            pauses: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, host: &str) -> Arc<HostSlot> {
        // A poisoned lock only means another task panicked mid-insert; the map is still usable.
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(hosts.entry(host.to_ascii_lowercase()).or_insert_with(|| {
            Arc::new(HostSlot {
                permits: Arc::new(Semaphore::new(self.per_host)),
                next_start: tokio::sync::Mutex::new(Instant::now()),
            })
        }))
    }

    /// The server (`host:port`) asked for a pause of `asked` (`Retry-After`). A first
    /// ask pauses it for as long as asked, within what is left of its budget; an ask
    /// while a pause runs (a request already in flight) may lengthen that pause within
    /// the budget; an ask after the pause ended with the budget spent gives the server
    /// up for the rest of the pass. With a zero budget nothing is ever paused or given
    /// up: each request just carries its own `Retry-After`.
    pub fn ask_pause(&self, server: &str, asked: Duration) -> PauseOutcome {
        if self.pause_budget.is_zero() || asked.is_zero() {
            return PauseOutcome::Unchanged;
        }
        let mut pauses = self.pauses.lock().unwrap_or_else(|e| e.into_inner());
        let pause = pauses.entry(server.to_ascii_lowercase()).or_default();
        if pause.given_up {
            return PauseOutcome::Unchanged;
        }
        let now = Instant::now();
        let left = self.pause_budget.saturating_sub(pause.spent);
        match pause.until.filter(|until| *until > now) {
            Some(until) => {
                let wanted = now.checked_add(asked).unwrap_or(now + MAX_RETRY_AFTER);
                let longer = wanted.saturating_duration_since(until).min(left);
                if !longer.is_zero() {
                    pause.until = Some(until + longer);
                    pause.spent += longer;
                }
                PauseOutcome::Unchanged
            }
            None if left.is_zero() => {
                pause.given_up = true;
                PauseOutcome::GaveUp { spent: pause.spent }
            }
            None => {
                let granted = asked.min(left);
                pause.until = Some(now + granted);
                pause.spent += granted;
                PauseOutcome::Started(granted)
            }
        }
    }

    /// Whether a request to the server may go now.
    pub fn state(&self, server: &str) -> HostState {
        let pauses = self.pauses.lock().unwrap_or_else(|e| e.into_inner());
        match pauses.get(&server.to_ascii_lowercase()) {
            None => HostState::Open,
            Some(pause) if pause.given_up => HostState::GivenUp,
            Some(pause) => match pause
                .until
                .map(|u| u.saturating_duration_since(Instant::now()))
                .filter(|left| !left.is_zero())
            {
                Some(left) => HostState::Paused(left),
                None => HostState::Open,
            },
        }
    }

    /// Waits for a slot for `host`, then for the host's delay, then for a global slot.
    pub async fn acquire(&self, host: &str) -> Permit {
        let slot = self.slot(host);
        let host_permit = match Arc::clone(&slot.permits).acquire_owned().await {
            Ok(p) => p,
            // The semaphores are never closed; this arm is unreachable in practice.
            Err(_) => unreachable_permit(),
        };
        {
            let mut next = slot.next_start.lock().await;
            let now = Instant::now();
            if *next > now {
                tokio::time::sleep_until(*next).await;
            }
            *next = Instant::now() + self.delay;
        }
        let global_permit = match Arc::clone(&self.global).acquire_owned().await {
            Ok(p) => p,
            Err(_) => unreachable_permit(),
        };
        Permit {
            _host: host_permit,
            _global: global_permit,
        }
    }
}

#[cold]
fn unreachable_permit() -> ! {
    unreachable!("chipwatch never closes its request semaphores")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn same_host_requests_are_spaced_by_the_delay() {
        let limits = Limits::new(8, 2, Duration::from_millis(500), Duration::ZERO);
        let start = Instant::now();
        let _a = limits.acquire("example.com").await;
        let _b = limits.acquire("example.com").await;
        assert!(start.elapsed() >= Duration::from_millis(500));
        // Another host is not delayed by the first.
        let before = Instant::now();
        let _c = limits.acquire("other.example").await;
        assert!(before.elapsed() < Duration::from_millis(10));
    }

    const SERVER: &str = "example.com:443";

    #[tokio::test(start_paused = true)]
    async fn a_pause_lasts_as_asked_within_the_budget() {
        let limits = Limits::new(8, 2, Duration::ZERO, Duration::from_secs(60));
        assert_eq!(limits.state(SERVER), HostState::Open);
        assert_eq!(
            limits.ask_pause(SERVER, Duration::from_secs(10)),
            PauseOutcome::Started(Duration::from_secs(10))
        );
        // An answer to a request already in flight lengthens the running pause.
        assert_eq!(
            limits.ask_pause(SERVER, Duration::from_secs(20)),
            PauseOutcome::Unchanged
        );
        assert!(
            matches!(limits.state(SERVER), HostState::Paused(left) if left > Duration::from_secs(19))
        );
        assert_eq!(limits.state("other.example:443"), HostState::Open);
        tokio::time::sleep(Duration::from_secs(21)).await;
        assert_eq!(limits.state(SERVER), HostState::Open);
        // 20 s spent, 40 s left: a huge ask gets what is left.
        assert_eq!(
            limits.ask_pause(SERVER, Duration::MAX),
            PauseOutcome::Started(Duration::from_secs(40))
        );
        tokio::time::sleep(Duration::from_secs(41)).await;
        assert_eq!(
            limits.ask_pause(SERVER, Duration::from_secs(1)),
            PauseOutcome::GaveUp {
                spent: Duration::from_secs(60)
            }
        );
        assert_eq!(limits.state(SERVER), HostState::GivenUp);
        assert_eq!(
            limits.ask_pause(SERVER, Duration::from_secs(1)),
            PauseOutcome::Unchanged,
            "given up once"
        );
    }

    /// See: review of issue 10, H1 — pauses used to stack, one per request.
    #[tokio::test(start_paused = true)]
    async fn a_server_that_asks_again_after_its_budget_is_given_up() {
        let limits = Limits::new(8, 2, Duration::ZERO, Duration::from_secs(2));
        assert_eq!(
            limits.ask_pause(SERVER, Duration::from_secs(2)),
            PauseOutcome::Started(Duration::from_secs(2))
        );
        assert_eq!(
            limits.ask_pause(SERVER, Duration::from_secs(2)),
            PauseOutcome::Unchanged,
            "during the pause: the same episode"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(matches!(
            limits.ask_pause(SERVER, Duration::from_secs(2)),
            PauseOutcome::GaveUp { .. }
        ));
        assert_eq!(limits.state(SERVER), HostState::GivenUp);
    }

    #[tokio::test(start_paused = true)]
    async fn with_no_budget_nothing_pauses() {
        let limits = Limits::new(8, 2, Duration::ZERO, Duration::ZERO);
        for _ in 0..3 {
            assert_eq!(
                limits.ask_pause(SERVER, Duration::from_secs(60)),
                PauseOutcome::Unchanged
            );
            assert_eq!(limits.state(SERVER), HostState::Open);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_past_the_end_of_time_does_not_panic() {
        let limits = Limits::new(8, 2, Duration::ZERO, Duration::from_secs(3600));
        limits.ask_pause(SERVER, Duration::from_secs(1));
        limits.ask_pause(SERVER, Duration::MAX);
        assert!(
            matches!(limits.state(SERVER), HostState::Paused(left) if left >= Duration::from_secs(3598))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn per_host_limit_blocks_until_a_permit_is_freed() {
        let limits = Arc::new(Limits::new(8, 1, Duration::ZERO, Duration::ZERO));
        let first = limits.acquire("example.com").await;
        let waiter = {
            let limits = Arc::clone(&limits);
            tokio::spawn(async move { limits.acquire("example.com").await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        drop(first);
        assert!(tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .is_ok());
    }
}
