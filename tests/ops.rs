//! Running chipwatch unattended, through the binary as operators run it: the run lock and
//! its exit code, recovery after SIGKILL, `watch` and `run` under SIGTERM/SIGINT, JSON
//! logs, and the shipped systemd units and cron entry.
//! See: issue 6.

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::common::{
    assert_code, seed_feed, seed_site, seed_site_with_delay, signal, text, wait_exit,
    wait_for_lock, Setup,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_runs_one_proceeds_one_exits_with_the_lock_code() {
    // Long enough for the second process to start (a debug build compiles its rules for
    // most of a second before it asks for the lock) while the first is mid-pass, on a
    // loaded machine too; within the request timeout, so the pages still count.
    let server = seed_site_with_delay(Duration::from_secs(6)).await;
    let setup = seed_setup_with(&server, "timeout_secs = 5\n", "timeout_secs = 20\n");
    let first = setup.spawn(&["run"]);
    wait_for_lock(&setup.db(), first.id()).await;

    let second = setup.run(&["run"]).await;
    assert_code(&second, 3);
    let stderr = text(&second.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("holds the lock") && stderr.contains(&first.id().to_string()),
        "{stderr}"
    );

    let (first, _) = wait_exit(first, Duration::from_secs(60)).await;
    assert_code(&first, 0);
    assert_eq!(setup.count("SELECT count(*) FROM events"), 3);
    // Once the first is done, the lock is free again.
    assert_code(&setup.run(&["run"]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_mid_pass_leaves_no_lock_and_the_next_run_completes_the_work() {
    // Both pages are in flight at once and neither answers before the kill.
    let server = seed_site_with_delay(Duration::from_millis(3000)).await;
    let setup = Setup::new(&seed_feed(&server), "");
    let mut victim = setup.spawn(&["run"]);
    wait_for_lock(&setup.db(), victim.id()).await;
    // Not a fixed delay: a loaded machine may not have started the pass by then.
    wait_for_article_requests(&server, 2).await;
    victim.kill().unwrap(); // SIGKILL
    victim.wait().unwrap();
    assert_eq!(
        setup.count("SELECT count(*) FROM runs WHERE finished_at IS NULL"),
        1,
        "killed mid-pass"
    );
    assert!(
        setup.count("SELECT count(*) FROM articles") < 2,
        "killed mid-pass"
    );

    let check = setup.run(&["db", "check"]).await;
    assert_code(&check, 0);
    assert!(text(&check.stdout).contains("integrity:       ok"));

    let next = setup.run(&["run", "--all"]).await;
    assert_code(&next, 0);
    let again = setup.run(&["run", "--all"]).await;
    assert_code(&again, 0);
    assert_eq!(setup.count("SELECT count(*) FROM articles"), 2);
    assert_eq!(setup.count("SELECT count(*) FROM events"), 3);
    assert_eq!(
        setup.count("SELECT count(*) FROM (SELECT DISTINCT article_id, fingerprint FROM events)"),
        3,
        "no duplicate events"
    );
    assert_eq!(setup.count("SELECT count(*) FROM article_feeds"), 2);
    assert_eq!(
        setup.count("SELECT count(*) FROM runs WHERE finished_at IS NULL"),
        0,
        "the killed pass's run row is closed"
    );
    assert_code(&setup.run(&["db", "check"]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_stops_on_sigterm_with_everything_committed() {
    let server = seed_site_with_delay(Duration::from_millis(800)).await;
    let setup = Setup::new(&seed_feed(&server), "");
    let watch = setup.spawn(&["--log-format", "json", "watch"]);
    wait_for_lock(&setup.db(), watch.id()).await;
    // Mid-pass, both pages on their way. Not a fixed delay: on a loaded machine the
    // signal then came before the feed was read, and the pass stored nothing.
    wait_for_article_requests(&server, 2).await;
    signal(&watch, "TERM");
    let (output, took) = wait_exit(watch, Duration::from_secs(15)).await;
    assert_code(&output, 0);
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(text(&output.stderr).contains("watch stopped"));

    // The articles in flight were finished and committed, and the pass was recorded.
    assert_eq!(setup.count("SELECT count(*) FROM events"), 3);
    assert_eq!(
        setup.count("SELECT count(*) FROM runs WHERE finished_at IS NULL"),
        0
    );
    assert_code(&setup.run(&["db", "check"]).await, 0);

    // Idle between passes, it stops at once; a run can take the lock afterwards.
    let watch = setup.spawn(&["watch"]);
    wait_for_lock(&setup.db(), watch.id()).await;
    // Its first pass (no feed is due) is recorded: now it idles.
    wait_for_finished_runs(&setup, 2).await;
    signal(&watch, "INT");
    let (output, took) = wait_exit(watch, Duration::from_secs(10)).await;
    assert_code(&output, 0);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_code(&setup.run(&["run"]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_watch_at_once() {
    let server = seed_site_with_delay(Duration::from_secs(20)).await;
    let setup = Setup::new(&seed_feed(&server), "");
    let mut watch = setup.spawn(&["watch"]);
    let log = collect_stderr(&mut watch);
    wait_for_lock(&setup.db(), watch.id()).await;
    // Not a fixed delay: under load the first signal then came before any article was
    // in flight, the pass ended at once and the second signal found nothing to cut.
    wait_for_article_requests(&server, 1).await;
    signal(&watch, "TERM");
    // Two signals before the first is handled count as one (signals do not queue), so
    // the second goes once watch says it is stopping, not after a fixed delay.
    wait_for_line(&log, "stopping: finishing the work in flight").await;
    signal(&watch, "TERM");
    let (output, took) = wait_exit(watch, Duration::from_secs(10)).await;
    assert_code(&output, 1);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_code(&setup.run(&["db", "check"]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_log_lines_all_parse_and_name_the_feed() {
    let server = seed_site().await;
    let setup = Setup::new(&seed_feed(&server), "");
    // -v: chipwatch's own debug lines, and no library's.
    let output = setup.run(&["-v", "--log-format", "json", "run"]).await;
    assert_code(&output, 0);
    let lines = json_log_lines(&output);
    assert!(lines.len() >= 4);
    for line in &lines {
        for key in ["timestamp", "level", "message"] {
            assert!(line.get(key).is_some(), "{key} missing: {line}");
        }
        let target = line["target"].as_str().unwrap();
        assert!(
            target.starts_with("chipwatch"),
            "-v let in {target}: {line}"
        );
    }
    let about = |message: &str| -> Vec<&Value> {
        lines.iter().filter(|l| l["message"] == message).collect()
    };
    let stored = about("article stored");
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|l| l["level"] == "DEBUG"));
    let events = about("new event");
    assert_eq!(events.len(), 3, "one line per new event");
    for line in stored.iter().chain(&about("feed fetched")).chain(&events) {
        assert_eq!(line["feed"], "seed", "{line}");
    }
    assert!(stored
        .iter()
        .chain(&events)
        .all(|l| l["url"].as_str().unwrap().starts_with("http")));
    assert_eq!(events[0]["kind"], "chip_order", "{}", events[0]);
    assert_eq!(events[0]["buyer"], "Baidu");
    assert_eq!(events[0]["supplier"], "Huawei");
    let summary = about("pass finished");
    assert_eq!(summary.len(), 1);
    for key in [
        "feeds_fetched",
        "feeds_not_modified",
        "feeds_failed",
        "articles_new",
        "articles_skipped_robots",
        "articles_refused_guard",
        "articles_lang_unmatched",
        "events_new_chip_order",
        "events_new_export_control",
        "duration_ms",
    ] {
        assert!(summary[0][key].is_u64(), "{key} missing: {}", summary[0]);
    }
    assert_eq!(summary[0]["articles_new"], 2);
    assert_eq!(summary[0]["events_new_export_control"], 2);
}

#[test]
fn shipped_systemd_units_verify_and_the_cron_file_is_one_entry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let cron = std::fs::read_to_string(root.join("cron/chipwatch")).unwrap();
    let entries: Vec<&str> = cron
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(entries.len(), 1, "{cron}");
    assert_eq!(entries[0].split_whitespace().count(), 11, "{}", entries[0]);
    assert!(entries[0].ends_with(" run"));

    let service = std::fs::read_to_string(root.join("systemd/chipwatch.service")).unwrap();
    for setting in [
        "Type=oneshot",
        "StateDirectory=chipwatch",
        "ReadOnlyPaths=/etc/chipwatch",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
    ] {
        assert!(service.lines().any(|l| l == setting), "{setting} missing");
    }
    let Ok(probe) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("systemd-analyze not installed; units not verified");
        return;
    };
    assert!(probe.status.success());
    // Verify needs the ExecStart binary to exist: point it at the one just built, and
    // drop the user (it exists only where chipwatch is installed).
    let dir = tempfile::tempdir().unwrap();
    let service = service
        .replace("/usr/local/bin/chipwatch", env!("CARGO_BIN_EXE_chipwatch"))
        .replace("User=chipwatch\nGroup=chipwatch\n", "");
    std::fs::write(dir.path().join("chipwatch.service"), service).unwrap();
    std::fs::copy(
        root.join("systemd/chipwatch.timer"),
        dir.path().join("chipwatch.timer"),
    )
    .unwrap();
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(dir.path().join("chipwatch.service"))
        .arg(dir.path().join("chipwatch.timer"))
        .output()
        .unwrap();
    assert!(
        verify.status.success() && verify.stderr.is_empty(),
        "{}",
        text(&verify.stderr)
    );
}

/// A setup for the seed site with one edit to the shared test config (which must hold
/// `from`: the edit may not silently miss).
fn seed_setup_with(server: &wiremock::MockServer, from: &str, to: &str) -> Setup {
    let setup = Setup::new(&seed_feed(server), "");
    let text = std::fs::read_to_string(&setup.config).unwrap();
    assert!(text.contains(from), "{from:?} not in the test config");
    std::fs::write(&setup.config, text.replacen(from, to, 1)).unwrap();
    setup
}

/// Every stderr line as JSON (each must parse).
fn json_log_lines(output: &std::process::Output) -> Vec<Value> {
    text(&output.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Waits until the server has been asked for `pages` article pages, so a signal or a
/// kill lands while they are in flight however slowly a loaded machine starts the pass.
async fn wait_for_article_requests(server: &wiremock::MockServer, pages: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let requests = server.received_requests().await.unwrap_or_default();
        let asked = requests
            .iter()
            .filter(|r| r.url.path().starts_with("/news/"))
            .count();
        if asked >= pages {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{asked} of {pages} article pages requested"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Collects the child's stderr as it comes (it is then missing from its `Output`).
fn collect_stderr(child: &mut std::process::Child) -> Arc<Mutex<String>> {
    let log = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().unwrap();
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stderr.read(&mut buf) {
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    log
}

/// Waits until the collected stderr holds `line`.
async fn wait_for_line(log: &Mutex<String>, line: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !log.lock().unwrap().contains(line) {
        assert!(
            std::time::Instant::now() < deadline,
            "no {line:?} in stderr: {}",
            log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `runs` passes are recorded as finished.
async fn wait_for_finished_runs(setup: &Setup, runs: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let finished = setup.count("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL");
        if finished >= runs {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{finished} of {runs} passes finished"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn assert_run_interrupted(
    setup: &Setup,
    server: &wiremock::MockServer,
    took_at_most: Duration,
) {
    let run = setup.spawn(&["run"]);
    wait_for_lock(&setup.db(), run.id()).await;
    wait_for_article_requests(server, 1).await;
    signal(&run, "TERM");
    let (output, took) = wait_exit(run, Duration::from_secs(15)).await;
    assert_code(&output, 1);
    assert!(took < took_at_most, "took {took:?}");
    assert_eq!(
        setup
            .count("SELECT count(*) FROM runs WHERE status = 'failed' AND finished_at IS NOT NULL"),
        1,
        "the pass is recorded as interrupted"
    );
    assert_code(&setup.run(&["db", "check"]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_stopped_by_sigterm_drops_what_outlasts_the_grace_period() {
    // Pages slower than the grace period and a timeout longer than it: nothing in flight
    // can finish, so the jobs are dropped when the grace period ends.
    let server = seed_site_with_delay(Duration::from_secs(30)).await;
    let setup = seed_setup_with(&server, "timeout_secs = 5\n", "timeout_secs = 20\n");
    assert_run_interrupted(&setup, &server, Duration::from_secs(9)).await;
    assert_eq!(setup.count("SELECT count(*) FROM articles"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_stopped_by_sigterm_between_items_leaves_the_rest_for_the_next_pass() {
    // One article at a time: the first finishes within the grace period, the second is
    // never started, and the pass says it was cut short.
    let server = seed_site_with_delay(Duration::from_secs(2)).await;
    let setup = seed_setup_with(&server, "[http]\n", "[http]\nper_host_concurrency = 1\n");
    assert_run_interrupted(&setup, &server, Duration::from_secs(5)).await;
    assert_eq!(setup.count("SELECT count(*) FROM articles"), 1);
    // The feed's validators were left alone, so the next pass reads it again in full.
    assert_code(&setup.run(&["run"]).await, 0);
    assert_eq!(setup.count("SELECT count(*) FROM articles"), 2);
    assert_eq!(setup.count("SELECT count(*) FROM events"), 3);
}

#[tokio::test]
async fn a_parser_panic_is_one_log_line_and_the_feed_is_still_read() {
    // feed-rs slices inside the euro sign after the address and panics; the parse stage
    // contains that and retries on a repaired copy.
    let server = wiremock::MockServer::start().await;
    let feed = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title><link>{0}/</link>
<item><title>Chip news</title><link>{0}/story</link>
<author>desk@example.com€staff</author>
<description>TSMC reported quarterly revenue.</description></item>
</channel></rss>"#,
        server.uri()
    );
    wiremock::Mock::given(wiremock::matchers::path("/feed.xml"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_raw(feed, "application/rss+xml"),
        )
        .mount(&server)
        .await;
    let setup = Setup::new(&[("euro", format!("{}/feed.xml", server.uri()))], "");
    let output = setup.run(&["--log-format", "json", "run"]).await;
    assert_code(&output, 0);
    let lines = json_log_lines(&output);
    let panics: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"].as_str().unwrap().starts_with("panic: "))
        .collect();
    assert_eq!(panics.len(), 1, "{lines:?}");
    assert_eq!(panics[0]["level"], "ERROR");
    assert!(panics[0]["location"].as_str().unwrap().contains("feed-rs"));
    assert_eq!(setup.count("SELECT count(*) FROM articles"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_removed_during_a_pass_does_not_fail_it() {
    let server = seed_site_with_delay(Duration::from_millis(2500)).await;
    let setup = Setup::new(&[], "");
    let url = format!("{}/feed.xml", server.uri());
    assert_code(&setup.run(&["feeds", "add", "doomed", &url]).await, 0);
    let run = setup.spawn(&["run"]);
    wait_for_lock(&setup.db(), run.id()).await;
    wait_for_article_requests(&server, 2).await;
    // The pages are still loading when the feed goes.
    assert_code(&setup.run(&["feeds", "remove", "doomed"]).await, 0);
    let (output, _) = wait_exit(run, Duration::from_secs(30)).await;
    assert_code(&output, 0);
    assert!(
        text(&output.stderr).contains("feed was removed during the pass"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(
        setup.count("SELECT count(*) FROM runs WHERE status = 'ok'"),
        1
    );
    assert_code(&setup.run(&["db", "check"]).await, 0);
}

/// See: issue 10 — a pass over 2,000 articles logged a line per article at info. At the
/// default level it now logs at most one line per feed, per new event, per host pause and
/// per page given up, plus the summary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_over_2000_articles_logs_a_line_per_feed_event_and_pause_at_info() {
    use crate::common::fault_server::{rss, FaultServer, Reply};
    use crate::common::read_fixture;

    let server = FaultServer::start().await;
    let filler = "Wafer output rose again this quarter as the plant added a second shift. ";
    let plain = Reply::html(format!(
        "<html><head><title>Plant news</title></head><body><article><p>{}</p></article></body></html>",
        filler.repeat(8)
    ));
    let seed = Reply::html(read_fixture("seed/baidu-huawei-ascend.html"));
    let (feeds, per_feed) = (20, 100);
    let mut config_feeds = Vec::new();
    for f in 0..feeds {
        let mut items = Vec::new();
        for i in 0..per_feed {
            let path = format!("/f{f}/a{i}");
            let reply = match (f, i) {
                (_, 0) => seed.clone(),
                (0..=4, 1) => Reply::Status(404, None),
                (0, 2) => Reply::Status(429, Some("1")),
                (0..=9, 3) => Reply::Status(503, None),
                _ => plain.clone(),
            };
            server.route(&path, vec![reply]);
            items.push((server.url(&path), "Plant news", "Wafer output rose."));
        }
        server.route(&format!("/f{f}.xml"), vec![Reply::rss(rss(&items))]);
        config_feeds.push((format!("feed{f:02}"), server.url(&format!("/f{f}.xml"))));
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chipwatch.db");
    let mut config = format!(
        "[database]\npath = {db:?}\n[http]\nallow_private_addresses = true\nper_host_delay_ms = 0\n\
         retries = 0\nconcurrency = 16\nper_host_concurrency = 16\n"
    );
    for (name, url) in &config_feeds {
        config.push_str(&format!("[[feeds]]\nname = {name:?}\nurl = {url:?}\n"));
    }
    std::fs::write(dir.path().join("chipwatch.toml"), config).unwrap();
    // Created beforehand, so the one-off migration line is not part of the pass.
    drop(chipwatch::store::Store::open(&db).unwrap());
    let setup = Setup {
        config: dir.path().join("chipwatch.toml"),
        dir,
    };

    let output = setup.run(&["--log-format", "json", "run"]).await;
    assert_code(&output, 0);
    let lines = json_log_lines(&output);
    let shown: Vec<&Value> = lines.iter().filter(|l| l["level"] != "DEBUG").collect();
    let count = |message: &str| shown.iter().filter(|l| l["message"] == message).count();
    let articles = setup.count("SELECT count(*) FROM articles");
    let events = setup.count("SELECT count(*) FROM events");
    let given_up = setup.count("SELECT pages_given_up FROM runs");
    assert_eq!(articles, 2000);
    assert_eq!(events, 60, "three in each seed page");
    assert_eq!(given_up, 5, "the 404s");

    let per_feed = count("feed fetched");
    let new_events = count("new event");
    let pauses = count("host asked for a pause (Retry-After); its requests wait");
    let give_ups = count("page given up; the article keeps the feed's text");
    assert_eq!(per_feed, feeds);
    assert_eq!(new_events as i64, events);
    assert_eq!(pauses, 1, "one 429 with Retry-After");
    assert_eq!(give_ups as i64, given_up);
    assert_eq!(count("pass finished"), 1);
    assert_eq!(
        shown.len(),
        per_feed + new_events + pauses + give_ups + 1,
        "unexpected lines: {:#?}",
        shown
            .iter()
            .filter(|l| ![
                "feed fetched",
                "new event",
                "host asked for a pause (Retry-After); its requests wait",
                "page given up; the article keeps the feed's text",
                "pass finished"
            ]
            .contains(&l["message"].as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
    );
    let feeds_named: std::collections::HashSet<&str> = shown
        .iter()
        .filter(|l| l["message"] == "feed fetched")
        .map(|l| l["feed"].as_str().unwrap())
        .collect();
    assert_eq!(feeds_named.len(), feeds, "one line for each feed");
    assert!(
        lines.iter().all(|l| l["message"] != "article stored"),
        "debug is off"
    );
}
