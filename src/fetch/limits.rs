//! Politeness: at most `concurrency` requests in flight overall, at most
//! `per_host_concurrency` to one host, a minimum delay between two requests to the
//! same host, and a pause for a server that answered 429/503 with `Retry-After` (how
//! long is the fetcher's call). Feed and article fetches share these limits. A request
//! first takes its host's slot, then a global one, so a request queued behind a slow
//! host never holds a global slot that another host could use.

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
    /// Per server (`host:port`), set from a `Retry-After`: no request before then.
    paused_until: Mutex<HashMap<String, Instant>>,
}

/// Held while a request runs; dropping it frees both slots.
pub struct Permit {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

impl Limits {
    pub fn new(concurrency: usize, per_host: usize, delay: Duration) -> Limits {
        Limits {
            global: Arc::new(Semaphore::new(concurrency.max(1))),
            per_host: per_host.max(1),
            delay,
            hosts: Mutex::new(HashMap::new()),
            paused_until: Mutex::new(HashMap::new()),
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

    /// The server (`host:port`) asked for a pause (`Retry-After`); later requests to it
    /// wait for the pause. A shorter ask never shortens a pause. True when no pause was
    /// running, so the caller reports each pause once.
    pub fn pause(&self, server: &str, for_how_long: Duration) -> bool {
        let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let new = now
            .checked_add(for_how_long)
            .unwrap_or(now + MAX_RETRY_AFTER);
        let until = paused.entry(server.to_ascii_lowercase()).or_insert(now);
        let started = *until <= now;
        if *until < new {
            *until = new;
        }
        started
    }

    /// How long the server still asked us to stay away, if it did.
    pub fn paused_for(&self, server: &str) -> Option<Duration> {
        let paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        paused
            .get(&server.to_ascii_lowercase())
            .map(|u| u.saturating_duration_since(Instant::now()))
            .filter(|left| !left.is_zero())
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
        let limits = Limits::new(8, 2, Duration::from_millis(500));
        let start = Instant::now();
        let _a = limits.acquire("example.com").await;
        let _b = limits.acquire("example.com").await;
        assert!(start.elapsed() >= Duration::from_millis(500));
        // Another host is not delayed by the first.
        let before = Instant::now();
        let _c = limits.acquire("other.example").await;
        assert!(before.elapsed() < Duration::from_millis(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_paused_host_stays_paused_until_its_time() {
        let limits = Limits::new(8, 2, Duration::ZERO);
        assert_eq!(limits.paused_for("example.com:443"), None);
        assert!(limits.pause("example.com:443", Duration::from_secs(60)));
        // A shorter ask does not shorten it, and is no new pause.
        assert!(!limits.pause("example.com:443", Duration::from_secs(5)));
        assert!(limits.paused_for("example.com:443").unwrap() > Duration::from_secs(59));
        assert_eq!(limits.paused_for("other.example:443"), None);
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(limits.paused_for("example.com:443"), None);
        assert!(
            limits.pause("example.com:443", Duration::from_secs(1)),
            "a new pause"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_past_the_end_of_time_does_not_panic() {
        let limits = Limits::new(8, 2, Duration::ZERO);
        limits.pause("example.com:443", Duration::MAX);
        assert!(limits.paused_for("example.com:443").unwrap() >= MAX_RETRY_AFTER);
    }

    #[tokio::test(start_paused = true)]
    async fn per_host_limit_blocks_until_a_permit_is_freed() {
        let limits = Arc::new(Limits::new(8, 1, Duration::ZERO));
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
