//! The measured side: one pass (or one `watch` that runs a pass and then idles) in a
//! process of its own, so its CPU time, peak RSS and threads are the pipeline's alone and
//! not the server's or the corpus generator's. It prints one JSON line for the parent.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use chipwatch::config::{Config, HttpConfig, LogFormat, PrivateAccess};
use chipwatch::model::FeedSpec;
use chipwatch::pipeline::{process_cpu_time, run_pass, PassOptions};
use chipwatch::rules::RuleSet;
use chipwatch::store::Store;
use serde_json::json;

/// What the parent asks a child to do.
pub struct ChildArgs {
    pub watch: bool,
    pub base: String,
    pub feeds: usize,
    pub db: PathBuf,
    pub idle_secs: u64,
}

/// The shipped defaults, except the politeness towards one host: every page comes from
/// the one loopback server, so per-host limits would measure the delay, not chipwatch.
fn bench_config(args: &ChildArgs) -> Config {
    let defaults = Config::default();
    Config {
        database_path: args.db.clone(),
        http: HttpConfig {
            allow_private_addresses: PrivateAccess::AllowAll,
            per_host_concurrency: 16,
            per_host_delay: Duration::ZERO,
            ..defaults.http
        },
        feeds: (0..args.feeds)
            .map(|i| FeedSpec {
                name: format!("feed-{i}"),
                url: format!("{}/feeds/{i}.xml", args.base),
                interval_mins: defaults.schedule.default_interval_mins,
                fetch_articles: true,
            })
            .collect(),
        ..defaults
    }
}

pub fn run(args: &ChildArgs) -> anyhow::Result<()> {
    // As `run` logs from cron: text lines at info on stderr (the parent keeps them in a file).
    chipwatch::logging::init(LogFormat::Text, "info", 0);
    let sampler = Sampler::start();
    let config = bench_config(args);
    let runtime = chipwatch::pipeline::runtime(&config.http)?;
    let rules = Arc::new(RuleSet::embedded()?);
    let store = Arc::new(Mutex::new(Store::open(&args.db)?));
    // What the process holds before any feed: code, the compiled rules, the runtime.
    let start_rss_kb = proc_status("VmRSS").unwrap_or(0);
    let cpu_before = process_cpu_time();
    let started = Instant::now();
    let report = if args.watch {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let idle = Duration::from_secs(args.idle_secs);
        runtime.block_on(async {
            // `watch` runs in this task (its future stays on one thread), next to the
            // monitor that waits for the pass to end, lets it idle and then stops it.
            let watcher = chipwatch::pipeline::watch(
                &config,
                Arc::clone(&rules),
                Arc::clone(&store),
                stopped,
            );
            let monitor = async {
                // The pass is over once its runs row is closed; then the process idles.
                let pass_secs = loop {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let done = {
                        let store = store.lock().unwrap_or_else(|e| e.into_inner());
                        store
                            .recent_runs(1)?
                            .first()
                            .is_some_and(|r| r.finished_at.is_some())
                    };
                    if done {
                        break started.elapsed().as_secs_f64();
                    }
                };
                let peak_during_pass =
                    proc_status("VmHWM").unwrap_or_else(|| sampler.peak_rss_kb());
                tokio::time::sleep(idle).await;
                let idle_rss_kb = proc_status("VmRSS").unwrap_or(0);
                let idle_threads = proc_status("Threads").unwrap_or(0);
                let _ = stop.send(true);
                anyhow::Ok(json!({
                    "pass_secs": pass_secs,
                    "peak_rss_kb": peak_during_pass,
                    "idle_rss_kb": idle_rss_kb,
                    "idle_threads": idle_threads,
                    "idle_secs": args.idle_secs,
                    "start_rss_kb": start_rss_kb,
                }))
            };
            let (watched, report) = tokio::join!(watcher, monitor);
            watched.context("the watch failed")?;
            report
        })?
    } else {
        let options = PassOptions {
            all: true,
            ..PassOptions::default()
        };
        let outcome = runtime.block_on(run_pass(&config, rules, store, &options))?;
        let wall = started.elapsed().as_secs_f64();
        let cpu = (process_cpu_time() - cpu_before).as_secs_f64();
        let s = &outcome.summary;
        let stages = outcome.stage_cpu;
        json!({
            "articles": s.articles_new,
            "feeds_fetched": s.feeds_fetched,
            "feeds_failed": s.feeds_failed,
            "events": s.events_new_chip_order + s.events_new_export_control,
            "wall_secs": wall,
            "cpu_secs": cpu,
            "process_cpu_secs": process_cpu_time().as_secs_f64(),
            "stage_feed_parse": stages.feed_parse.as_secs_f64(),
            "stage_extract": stages.extract.as_secs_f64(),
            "stage_rules": stages.rules.as_secs_f64(),
            "stage_store": stages.store.as_secs_f64(),
            "peak_rss_kb": proc_status("VmHWM").unwrap_or(0),
            "peak_threads": sampler.peak_threads(),
            "start_rss_kb": start_rss_kb,
        })
    };
    sampler.stop();
    println!("{report}");
    Ok(())
}

/// A field of /proc/self/status in its own unit (kB for memory).
pub fn proc_status(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Samples the thread count and resident memory every 20 ms while the pass runs.
struct Sampler {
    done: Arc<AtomicBool>,
    threads: Arc<AtomicU64>,
    rss: Arc<AtomicU64>,
}

impl Sampler {
    fn start() -> Sampler {
        let sampler = Sampler {
            done: Arc::new(AtomicBool::new(false)),
            threads: Arc::new(AtomicU64::new(0)),
            rss: Arc::new(AtomicU64::new(0)),
        };
        let (done, threads, rss) = (
            Arc::clone(&sampler.done),
            Arc::clone(&sampler.threads),
            Arc::clone(&sampler.rss),
        );
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                // The sampler itself is one of the threads counted; it is not chipwatch's.
                let now = proc_status("Threads").unwrap_or(1).saturating_sub(1);
                threads.fetch_max(now, Ordering::Relaxed);
                rss.fetch_max(proc_status("VmRSS").unwrap_or(0), Ordering::Relaxed);
                // A plain thread of its own, not a runtime worker: sleeping blocks nothing.
                #[allow(clippy::disallowed_methods)]
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        sampler
    }

    fn peak_threads(&self) -> u64 {
        self.threads.load(Ordering::Relaxed)
    }

    fn peak_rss_kb(&self) -> u64 {
        self.rss.load(Ordering::Relaxed)
    }

    fn stop(&self) {
        self.done.store(true, Ordering::Relaxed);
    }
}
