//! Per-stage CPU accounting for a pass: the CPU-heavy stages (feed parsing, extraction,
//! rules, store) each run synchronously on one blocking thread, so the thread's own CPU
//! clock read before and after the call is what that stage cost, whatever else the
//! process was doing meanwhile. Two clock reads per stage call, a few microseconds per
//! article; the totals come back in [`super::PassOutcome`]. What the stages do not account
//! for (HTTP, decompression, the async runtime, logging) is the process CPU minus these.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rustix::time::{clock_gettime, ClockId, Timespec};

/// CPU time spent in each stage during one pass, summed over threads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageCpu {
    /// Parsing feed bodies into items.
    pub feed_parse: Duration,
    /// Decoding, parsing and extracting article pages (and feed item content as text).
    pub extract: Duration,
    /// Sentence splitting and rule matching.
    pub rules: Duration,
    /// Every database call: dedup look-ups, inserts, feed state.
    pub store: Duration,
}

impl StageCpu {
    /// The sum of the stages.
    pub fn total(&self) -> Duration {
        self.feed_parse + self.extract + self.rules + self.store
    }
}

/// Which counter a measured call adds to.
#[derive(Debug, Clone, Copy)]
pub(super) enum Stage {
    FeedParse,
    Extract,
    Rules,
    Store,
}

/// The running totals of one pass, shared by its jobs.
#[derive(Debug, Default)]
pub(super) struct StageClock {
    nanos: [AtomicU64; 4],
}

impl StageClock {
    /// Runs `work` on this thread and adds the thread CPU time it took to `stage`.
    pub fn time<T>(&self, stage: Stage, work: impl FnOnce() -> T) -> T {
        let start = thread_cpu_time();
        let result = work();
        let spent = thread_cpu_time().saturating_sub(start);
        let nanos = u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX);
        self.nanos[stage as usize].fetch_add(nanos, Ordering::Relaxed);
        result
    }

    pub fn totals(&self) -> StageCpu {
        let read =
            |stage: Stage| Duration::from_nanos(self.nanos[stage as usize].load(Ordering::Relaxed));
        StageCpu {
            feed_parse: read(Stage::FeedParse),
            extract: read(Stage::Extract),
            rules: read(Stage::Rules),
            store: read(Stage::Store),
        }
    }
}

/// CPU time the calling thread has used so far.
pub fn thread_cpu_time() -> Duration {
    to_duration(clock_gettime(ClockId::ThreadCPUTime))
}

/// CPU time the whole process (every thread, user and system) has used so far.
pub fn process_cpu_time() -> Duration {
    to_duration(clock_gettime(ClockId::ProcessCPUTime))
}

fn to_duration(time: Timespec) -> Duration {
    let secs = u64::try_from(time.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(time.tv_nsec).unwrap_or(0);
    Duration::new(secs, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_work_is_counted_in_its_stage_only() {
        let clock = StageClock::default();
        let sum = clock.time(Stage::Rules, || {
            (0..2_000_000u64).fold(0u64, |a, b| a ^ b.wrapping_mul(31))
        });
        std::hint::black_box(sum);
        let totals = clock.totals();
        assert!(totals.rules > Duration::ZERO);
        assert_eq!(totals.extract, Duration::ZERO);
        assert_eq!(totals.total(), totals.rules);
        assert!(process_cpu_time() >= totals.rules);
    }
}
