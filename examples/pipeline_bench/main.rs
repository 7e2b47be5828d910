//! The pipeline benchmark: a synthetic news corpus served over real HTTP on 127.0.0.1, one
//! real pass into a temporary database, and the figures that matter for a worker on a
//! small server: articles per second, CPU seconds per 1,000 articles, peak RSS, threads
//! and CPU per stage, next to the floor (html5ever parsing plus a text walk over the same
//! pages, one core) measured in the same run; then `watch`'s resident memory once it
//! idles after its pass. `--scaling` instead runs the pass over the first 25, 50, 100 and
//! 200 feeds, each in a fresh process, to show how peak memory follows the feed list.
//!
//! ```sh
//! cargo run --release --example pipeline_bench                     # 200 feeds, 9,000 pages
//! cargo run --release --example pipeline_bench -- --scaling        # peak RSS by feed count
//! cargo run --release --example pipeline_bench -- --feeds 50 --pages 2000 --no-watch
//! ```
//! Options: `--feeds N`, `--pages N`, `--seed N`, `--scaling [25,50,...]`, `--no-floor`,
//! `--no-watch`, `--idle-secs N` (how long `watch` idles before its memory is read),
//! `--keep` (keep the databases and pass logs, and say where).
//!
//! Every pass runs in a child process (this example run again with `--child`), with the
//! shipped defaults except politeness towards the one loopback host (per-host concurrency
//! 16, no per-host delay), so its CPU time, peak RSS and thread count are its own.

mod child;
mod corpus;
mod server;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::Value;

use corpus::Shape;

struct Args {
    shape: Shape,
    scaling: Option<Vec<usize>>,
    floor: bool,
    watch: bool,
    idle_secs: u64,
    keep: bool,
}

fn main() -> anyhow::Result<()> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.first().map(String::as_str) == Some("--child") {
        return child::run(&child_args(&raw[1..])?);
    }
    let args = parse_args(&raw)?;
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("cannot listen on 127.0.0.1")?;
    let base = format!("http://{}", listener.local_addr()?);
    let load_before = load_average();
    let built = Instant::now();
    let site = Arc::new(server::Site::build(args.shape, &base));
    let mut sizes = site.page_bytes.clone();
    sizes.sort_unstable();
    let median_kb = sizes.get(sizes.len() / 2).copied().unwrap_or(0) as f64 / 1000.0;
    let events = (0..args.shape.pages)
        .filter(|&p| args.shape.has_event(p))
        .count();
    println!(
        "corpus: {} feeds (RSS and Atom), {} pages of {:.0}-{:.0} KB (median {median_kb:.0} KB), {:.1}% reporting an event; built and gzipped in {:.1} s",
        args.shape.feeds,
        args.shape.pages,
        sizes.first().copied().unwrap_or(0) as f64 / 1000.0,
        sizes.last().copied().unwrap_or(0) as f64 / 1000.0,
        100.0 * events as f64 / args.shape.pages.max(1) as f64,
        built.elapsed().as_secs_f64()
    );
    println!("served from {base} (HTTP/1.1, gzip, ETag, Last-Modified, 304)");
    println!("load average before: {load_before} on {} cores", cores());

    // The server gets its own runtime and threads; the passes run in child processes.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    listener.set_nonblocking(true)?;
    let listener =
        server_runtime.block_on(async { tokio::net::TcpListener::from_std(listener) })?;
    server_runtime.spawn(server::serve(listener, Arc::clone(&site)));

    let dir = tempfile::tempdir()?;
    if let Some(counts) = &args.scaling {
        scaling(&args, counts, &base, dir.path())?;
    } else {
        full(&args, &base, dir.path())?;
    }
    println!("load average after: {}", load_average());
    if args.keep {
        let kept = dir.keep();
        println!("databases and pass logs kept in {}", kept.display());
    }
    Ok(())
}

/// One pass over every feed, the floor on the same pages, and `watch` idling afterwards.
fn full(args: &Args, base: &str, dir: &Path) -> anyhow::Result<()> {
    let feeds = args.shape.feeds;
    let pass = run_child("pass", base, feeds, dir, args.idle_secs)?;
    let articles = num(&pass, "articles");
    let cpu = num(&pass, "cpu_secs");
    let wall = num(&pass, "wall_secs");
    let per_k = |secs: f64| 1000.0 * secs / articles.max(1.0);
    println!("\npass over {feeds} feeds, into a new database");
    println!(
        "  articles stored     {articles:.0} ({:.0} events; {:.0} feeds fetched, {:.0} failed)",
        num(&pass, "events"),
        num(&pass, "feeds_fetched"),
        num(&pass, "feeds_failed")
    );
    println!(
        "  wall                {wall:.2} s  -> {:.0} articles/s",
        articles / wall.max(1e-9)
    );
    println!(
        "  CPU                 {cpu:.2} s  -> {:.2} CPU-s per 1,000 articles",
        per_k(cpu)
    );
    println!(
        "  peak RSS            {:.0} MB (before the first feed: {:.0} MB)",
        num(&pass, "peak_rss_kb") / 1024.0,
        num(&pass, "start_rss_kb") / 1024.0
    );
    println!("  threads (peak)      {:.0}", num(&pass, "peak_threads"));
    let stages = [
        ("feed parsing", num(&pass, "stage_feed_parse")),
        ("extraction", num(&pass, "stage_extract")),
        ("rules", num(&pass, "stage_rules")),
        ("store", num(&pass, "stage_store")),
    ];
    let accounted: f64 = stages.iter().map(|s| s.1).sum();
    println!("  CPU by stage        CPU-s   per 1,000 articles   share");
    let rest = ("fetch+decode (rest)", (cpu - accounted).max(0.0));
    for (name, secs) in std::iter::once(rest).chain(stages) {
        println!(
            "    {name:<20} {secs:>6.2}   {:>8.3}             {:>4.0} %",
            per_k(secs),
            100.0 * secs / cpu.max(1e-9)
        );
    }

    if args.floor {
        let pages = pages_of(&args.shape, feeds);
        let (floor_cpu, floor_wall) = floor(&args.shape, base, &pages);
        let n = pages.len() as f64;
        let floor_per_k = 1000.0 * floor_cpu / n;
        // One core's rate is pages per CPU-second: on a shared machine the wall clock
        // also counts the time other processes held the core.
        let floor_rate = n / floor_cpu.max(1e-9);
        println!(
            "\nfloor: html5ever parse + text walk, one core, the same {} pages",
            pages.len()
        );
        println!(
            "  CPU                 {floor_cpu:.2} s  -> {floor_per_k:.2} CPU-s per 1,000 pages, {floor_rate:.0} pages/s on one core ({:.0} by the wall clock)",
            n / floor_wall.max(1e-9)
        );
        println!(
            "  chipwatch vs floor  {:.2}x the CPU per article, {:.2}x the floor's one-core rate",
            per_k(cpu) / floor_per_k.max(1e-9),
            (articles / wall.max(1e-9)) / floor_rate.max(1e-9)
        );
    }

    if args.watch {
        let watched = run_child("watch", base, feeds, dir, args.idle_secs)?;
        println!(
            "\nwatch: one pass ({:.1} s), then idle",
            num(&watched, "pass_secs")
        );
        println!(
            "  peak RSS            {:.0} MB (before the first feed: {:.0} MB)",
            num(&watched, "peak_rss_kb") / 1024.0,
            num(&watched, "start_rss_kb") / 1024.0
        );
        println!(
            "  RSS after {:.0} s idle  {:.0} MB ({:.0} threads)",
            num(&watched, "idle_secs"),
            num(&watched, "idle_rss_kb") / 1024.0,
            num(&watched, "idle_threads")
        );
    }
    Ok(())
}

/// The pass over the first N feeds for each N, each in a fresh process.
fn scaling(args: &Args, counts: &[usize], base: &str, dir: &Path) -> anyhow::Result<()> {
    println!("\n  feeds  articles  peak RSS  threads  CPU-s/1,000  articles/s");
    let mut peaks = Vec::new();
    for &feeds in counts {
        let feeds = feeds.min(args.shape.feeds);
        let pass = run_child("pass", base, feeds, dir, args.idle_secs)?;
        let articles = num(&pass, "articles");
        let peak = num(&pass, "peak_rss_kb") / 1024.0;
        peaks.push(peak);
        println!(
            "  {feeds:>5}  {articles:>8.0}  {peak:>5.0} MB  {:>7.0}  {:>11.2}  {:>10.0}",
            num(&pass, "peak_threads"),
            1000.0 * num(&pass, "cpu_secs") / articles.max(1.0),
            articles / num(&pass, "wall_secs").max(1e-9)
        );
    }
    let (low, high) = peaks
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), &p| (lo.min(p), hi.max(p)));
    if peaks.len() > 1 {
        println!(
            "  largest peak is {:.0} % above the smallest",
            100.0 * (high / low.max(1e-9) - 1.0)
        );
    }
    Ok(())
}

/// Runs this example again as a child that measures one pass (or one watch).
fn run_child(
    mode: &str,
    base: &str,
    feeds: usize,
    dir: &Path,
    idle_secs: u64,
) -> anyhow::Result<Value> {
    let db = dir.join(format!("{mode}-{feeds}.db"));
    let log_path = dir.join(format!("{mode}-{feeds}.log"));
    let log = std::fs::File::create(&log_path)?;
    let exe = std::env::current_exe()?;
    let output = Command::new(exe)
        .args([
            "--child",
            mode,
            "--base",
            base,
            "--feeds",
            &feeds.to_string(),
            "--idle-secs",
            &idle_secs.to_string(),
            "--db",
        ])
        .arg(&db)
        .stdin(Stdio::null())
        .stderr(log)
        .output()
        .context("cannot start the measured child process")?;
    if !output.status.success() {
        bail!(
            "the {mode} child failed ({}); its log: {}",
            output.status,
            log_path.display()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().context("the child printed nothing")?;
    Ok(serde_json::from_str(line)?)
}

/// CPU and wall seconds to parse the pages with html5ever and walk their text, on this
/// thread (the pages are rebuilt first, outside the measurement).
fn floor(shape: &Shape, base: &str, pages: &[usize]) -> (f64, f64) {
    let mut cpu = 0.0;
    let mut wall = 0.0;
    let mut total_text = 0usize;
    for &page in pages {
        let bytes = shape.page_html(page, base).into_bytes();
        let started = Instant::now();
        let cpu_started = chipwatch::pipeline::thread_cpu_time();
        let html = String::from_utf8_lossy(&bytes);
        let doc = scraper::Html::parse_document(&html);
        let mut text = String::new();
        for node in doc.tree.root().descendants() {
            let Some(t) = node.value().as_text() else {
                continue;
            };
            let in_code = node
                .parent()
                .and_then(|p| {
                    p.value()
                        .as_element()
                        .map(|e| matches!(e.name(), "script" | "style" | "noscript"))
                })
                .unwrap_or(false);
            if !in_code {
                text.push_str(t);
                text.push(' ');
            }
        }
        total_text += std::hint::black_box(text.len());
        drop(doc);
        cpu += (chipwatch::pipeline::thread_cpu_time() - cpu_started).as_secs_f64();
        wall += started.elapsed().as_secs_f64();
    }
    std::hint::black_box(total_text);
    (cpu, wall)
}

/// The distinct pages the first `feeds` feeds list.
fn pages_of(shape: &Shape, feeds: usize) -> Vec<usize> {
    let mut pages: Vec<usize> = (0..feeds)
        .flat_map(|f| shape.feed_items(f))
        .map(|(p, _)| p)
        .collect();
    pages.sort_unstable();
    pages.dedup();
    pages
}

fn num(value: &Value, key: &str) -> f64 {
    value.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn parse_args(raw: &[String]) -> anyhow::Result<Args> {
    let mut args = Args {
        shape: Shape {
            feeds: 200,
            pages: 9_000,
            seed: 11,
        },
        scaling: None,
        floor: true,
        watch: true,
        idle_secs: 10,
        keep: false,
    };
    let mut it = raw.iter().peekable();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> anyhow::Result<usize> {
            it.next()
                .with_context(|| format!("{name} needs a number"))?
                .parse()
                .with_context(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--feeds" => args.shape.feeds = value("--feeds")?.max(1),
            "--pages" => args.shape.pages = value("--pages")?.max(1),
            "--seed" => args.shape.seed = value("--seed")? as u64,
            "--idle-secs" => args.idle_secs = value("--idle-secs")? as u64,
            "--no-floor" => args.floor = false,
            "--no-watch" => args.watch = false,
            "--keep" => args.keep = true,
            "--scaling" => {
                let list = match it.peek() {
                    Some(next) if !next.starts_with("--") => it.next().cloned().unwrap_or_default(),
                    _ => "25,50,100,200".to_string(),
                };
                let counts = list
                    .split(',')
                    .map(|n| n.trim().parse::<usize>())
                    .collect::<Result<Vec<_>, _>>()
                    .context("--scaling takes a list of feed counts such as 25,50,100,200")?;
                args.scaling = Some(counts);
            }
            other => {
                bail!("unknown option {other} (see the top of examples/pipeline_bench/main.rs)")
            }
        }
    }
    Ok(args)
}

fn child_args(raw: &[String]) -> anyhow::Result<child::ChildArgs> {
    let mut args = child::ChildArgs {
        watch: raw.first().map(String::as_str) == Some("watch"),
        base: String::new(),
        feeds: 0,
        db: Default::default(),
        idle_secs: 10,
    };
    let mut it = raw.iter().skip(1);
    while let Some(arg) = it.next() {
        let value = it.next().with_context(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--base" => args.base = value.clone(),
            "--feeds" => args.feeds = value.parse()?,
            "--db" => args.db = value.into(),
            "--idle-secs" => args.idle_secs = value.parse()?,
            other => bail!("unknown child option {other}"),
        }
    }
    Ok(args)
}
