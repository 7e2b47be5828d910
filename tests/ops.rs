//! Running chipwatch unattended and asking its database questions, through the binary as
//! operators and scripts use it: the run lock and its exit code, recovery after SIGKILL,
//! `watch` under SIGTERM, JSON logs, every `events` format parsed back, `--entity`
//! through aliases, `reprocess` after a rule-pack change, feeds commands and OPML import.
//! See: issue 6.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{seed_site, seed_site_with_delay, test_config_text};

/// A temporary folder with a config watching `feeds`; the database lives beside it.
struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Setup {
    fn new(feeds: &[(&str, String)], extra: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("chipwatch.toml");
        let text = format!("{}{extra}", test_config_text(dir.path(), feeds));
        std::fs::write(&config, text).unwrap();
        Setup { dir, config }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("chipwatch.db")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chipwatch"));
        command
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("CHIPWATCH_CONFIG")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        command
    }

    /// Runs to completion on a blocking thread (the mock server keeps serving meanwhile).
    async fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

fn seed_feed(server: &wiremock::MockServer) -> Vec<(&'static str, String)> {
    vec![("seed", format!("{}/feed.xml", server.uri()))]
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// Waits until the process `pid` holds the run lock of `db` (its pid is in the lock file).
async fn wait_for_lock(db: &Path, pid: u32) {
    let mut lock = db.as_os_str().to_owned();
    lock.push(".lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(holder) = std::fs::read_to_string(&lock) {
            if holder.trim() == pid.to_string() {
                return;
            }
        }
        assert!(Instant::now() < deadline, "pid {pid} never took the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for a child with a deadline; kills it and fails when it does not exit in time.
async fn wait_exit(mut child: Child, within: Duration) -> (Output, Duration) {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
                .await
                .unwrap();
            return (output, started.elapsed());
        }
        if started.elapsed() > within {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "process did not exit within {within:?}; stderr: {}",
                text(&output.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_runs_one_proceeds_one_exits_with_the_lock_code() {
    let server = seed_site_with_delay(Duration::from_millis(1500)).await;
    let setup = Setup::new(&seed_feed(&server), "");
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
    let server = seed_site_with_delay(Duration::from_millis(1200)).await;
    let setup = Setup::new(&seed_feed(&server), "");
    let mut victim = setup.spawn(&["run"]);
    wait_for_lock(&setup.db(), victim.id()).await;
    tokio::time::sleep(Duration::from_millis(1800)).await;
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
    // Mid-pass: the first page is still on its way.
    tokio::time::sleep(Duration::from_millis(600)).await;
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
    tokio::time::sleep(Duration::from_millis(500)).await;
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
    let watch = setup.spawn(&["watch"]);
    wait_for_lock(&setup.db(), watch.id()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(&watch, "TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
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
    let output = setup.run(&["--log-format", "json", "run"]).await;
    assert_code(&output, 0);
    let lines: Vec<Value> = text(&output.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() >= 4);
    for line in &lines {
        for key in ["timestamp", "level", "message"] {
            assert!(line.get(key).is_some(), "{key} missing: {line}");
        }
    }
    let about = |message: &str| -> Vec<&Value> {
        lines.iter().filter(|l| l["message"] == message).collect()
    };
    let stored = about("article stored");
    assert_eq!(stored.len(), 2);
    for line in stored.iter().chain(&about("feed fetched")) {
        assert_eq!(line["feed"], "seed", "{line}");
    }
    assert!(stored
        .iter()
        .all(|l| l["url"].as_str().unwrap().starts_with("http")));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_events_format_parses_back_and_entity_goes_through_aliases() {
    let server = seed_site().await;
    let setup = Setup::new(&seed_feed(&server), "");
    assert_code(&setup.run(&["run"]).await, 0);
    let events = |args: &[&str]| {
        let mut all = vec!["events"];
        all.extend_from_slice(args);
        let setup = &setup;
        let all: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        async move {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            let output = setup.run(&refs).await;
            assert_code(&output, 0);
            text(&output.stdout)
        }
    };

    let json: Vec<Value> = serde_json::from_str(&events(&["--format", "json"]).await).unwrap();
    assert_eq!(json.len(), 3);
    let ndjson: Vec<Value> = events(&["--format", "ndjson"])
        .await
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ndjson, json);

    let csv_text = events(&["--format", "csv"]).await;
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "id");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    for (row, record) in rows.iter().zip(&json) {
        let cell = |name: &str| &row[header.iter().position(|h| h == name).unwrap()];
        assert_eq!(cell("id"), record["id"].to_string());
        assert_eq!(cell("kind"), record["kind"].as_str().unwrap());
        let evidence: Value = serde_json::from_str(cell("evidence")).unwrap();
        assert_eq!(
            evidence, record["evidence"],
            "evidence survives CSV quoting"
        );
    }

    let table = events(&[]).await;
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
    assert_eq!(
        table.lines().count(),
        7,
        "a header, then two lines per event"
    );

    // "U.S." is an alias of United States: the export controls name it as authority.
    let ids = |out: String| -> Vec<i64> {
        out.lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect()
    };
    let by_alias = ids(events(&["--format", "ndjson", "--entity", "U.S."]).await);
    let by_name = ids(events(&["--format", "ndjson", "--entity", "United States"]).await);
    assert!(!by_alias.is_empty());
    assert_eq!(by_alias, by_name);
    assert_eq!(
        ids(events(&["--format", "ndjson", "--entity", "united states"]).await),
        by_name
    );
    assert!(ids(events(&["--format", "ndjson", "--entity", "Atlantis"]).await).is_empty());
    assert_eq!(
        ids(events(&["--format", "ndjson", "--entity", "Ascend 910B"]).await).len(),
        1
    );

    // The other filters.
    let all: Vec<i64> = json.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    let mut ascending = all.clone();
    ascending.sort();
    assert_eq!(
        ids(events(&["--format", "ndjson", "--after-id", "0"]).await),
        ascending
    );
    assert_eq!(
        ids(events(&[
            "--format",
            "ndjson",
            "--after-id",
            &ascending[0].to_string()
        ])
        .await),
        ascending[1..]
    );
    assert_eq!(
        ids(events(&["--format", "ndjson", "--limit", "1"]).await).len(),
        1
    );
    let hedged = ids(events(&["--format", "ndjson", "--hedged"]).await);
    let plain = ids(events(&["--format", "ndjson", "--no-hedged"]).await);
    assert_eq!(hedged.len() + plain.len(), 3);
    assert!(ids(events(&["--format", "ndjson", "--min-confidence", "1.0"]).await).len() <= 3);
    let min = json
        .iter()
        .map(|e| e["confidence"].as_f64().unwrap())
        .fold(1.0, f64::min);
    assert_eq!(
        ids(events(&["--format", "ndjson", "--min-confidence", &min.to_string()]).await).len(),
        3
    );
    let bad = setup.run(&["events", "--min-confidence", "2"]).await;
    assert_code(&bad, 2);
}

/// Copies the shipped rule packs into `dir/rules` and points the config at them.
fn own_rules(dir: &Path) -> String {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/rules");
    for entry in std::fs::read_dir(shipped).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, rules.join(path.file_name().unwrap())).unwrap();
        }
    }
    format!("[rules]\npaths = [{:?}]\n", rules)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprocess_after_a_rule_pack_change_is_idempotent() {
    let server = seed_site().await;
    let dir = tempfile::tempdir().unwrap();
    let rules_config = own_rules(dir.path());
    let setup = Setup::new(&seed_feed(&server), &rules_config);
    let rules = PathBuf::from(rules_config.split('"').nth(1).unwrap());
    assert_code(&setup.run(&["run"]).await, 0);
    let ids_before = setup.count("SELECT sum(id) FROM events");

    // Same rules: both articles (one without events) were matched by them already.
    let same = setup.run(&["reprocess"]).await;
    assert_code(&same, 0);
    assert!(
        text(&same.stdout).starts_with("reprocessed 0 articles"),
        "{}",
        text(&same.stdout)
    );

    // A pack without the export-control rules: those events go, the order stays.
    let controls = rules.join("export_controls.toml");
    let saved = std::fs::read_to_string(&controls).unwrap();
    std::fs::remove_file(&controls).unwrap();
    let fewer = setup.run(&["reprocess"]).await;
    assert_code(&fewer, 0);
    let out = text(&fewer.stdout);
    assert!(out.starts_with("reprocessed 2 articles"), "{out}");
    assert!(
        out.contains("events removed: 0 chip_order, 2 export_control"),
        "{out}"
    );
    assert_eq!(setup.count("SELECT count(*) FROM events"), 1);
    let again = setup.run(&["reprocess"]).await;
    assert!(text(&again.stdout).starts_with("reprocessed 0 articles"));

    // The packs back, plus a harmless edit (a new version): the controls come back, the
    // order keeps its row; a second run changes nothing.
    std::fs::write(&controls, format!("{saved}\n# edited\n")).unwrap();
    let back = setup.run(&["reprocess"]).await;
    let out = text(&back.stdout);
    assert!(
        out.contains("events added:   0 chip_order, 2 export_control"),
        "{out}"
    );
    assert!(out.contains("events kept:    1"), "{out}");
    let snapshot = |setup: &Setup| {
        let conn = rusqlite::Connection::open(setup.db()).unwrap();
        let mut stmt = conn
            .prepare("SELECT id, fingerprint, rules_version FROM events ORDER BY id")
            .unwrap();
        let rows: Vec<(i64, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows
    };
    let first = snapshot(&setup);
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|(_, _, v)| *v == first[0].2));
    let twice = setup.run(&["reprocess"]).await;
    assert!(text(&twice.stdout).starts_with("reprocessed 0 articles"));
    assert_eq!(snapshot(&setup), first);
    assert!(setup.count("SELECT sum(id) FROM events") >= ids_before);
    assert_code(&setup.run(&["db", "check"]).await, 0);
}

/// An export in the shape feed readers write: a head, folders nesting feeds, `type`,
/// `htmlUrl`, escaped ampersands, the same feed in two folders, and a feed the config
/// already watches.
const OPML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
    <head>
        <title>Subscriptions from Reader</title>
        <dateCreated>Mon, 06 Nov 2023 10:12:31 +0000</dateCreated>
    </head>
    <body>
        <outline text="Semiconductors" title="Semiconductors">
            <outline type="rss" text="EE Times" title="EE Times" xmlUrl="https://www.eetimes.com/feed/" htmlUrl="https://www.eetimes.com"/>
            <outline type="rss" text="Tom's Hardware" title="Tom's Hardware" xmlUrl="https://www.tomshardware.com/feeds/all" htmlUrl="https://www.tomshardware.com"/>
            <outline text="Policy">
                <outline type="rss" text="BIS Press" title="BIS Press" xmlUrl="https://www.bis.doc.gov/index.php?format=feed&amp;type=rss" htmlUrl="https://www.bis.doc.gov"/>
            </outline>
        </outline>
        <outline text="Tech" title="Tech">
            <outline type="rss" text="EE Times" title="EE Times" xmlUrl="https://www.eetimes.com/feed/" htmlUrl="https://www.eetimes.com"/>
            <outline type="rss" text="The Register" title="The Register" xmlUrl="https://www.theregister.com/headlines.atom"/>
            <outline type="rss" text="Not a feed" title="Broken" xmlUrl="ftp://example.com/feed"/>
        </outline>
        <outline type="rss" text="Already" xmlUrl="https://config.example/rss"/>
    </body>
</opml>
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_commands_and_opml_import_of_a_real_world_shaped_file() {
    let setup = Setup::new(&[("configured", "https://config.example/rss".into())], "");
    let opml = setup.dir.path().join("subscriptions.opml");
    std::fs::write(&opml, OPML).unwrap();
    let import = setup
        .run(&["feeds", "import-opml", opml.to_str().unwrap()])
        .await;
    assert_code(&import, 0);
    let out = text(&import.stdout);
    assert!(
        out.contains("imported 4 feeds; skipped 2 already watched, 1 invalid"),
        "{out}"
    );
    let list = setup.run(&["feeds", "list"]).await;
    let list = text(&list.stdout);
    for name in [
        "ee-times",
        "tom-s-hardware",
        "bis-press",
        "the-register",
        "configured",
    ] {
        assert!(list.contains(name), "{name} missing from\n{list}");
    }
    assert!(list.contains("https://www.bis.doc.gov/index.php?format=feed&type=rss"));
    assert_eq!(
        setup.count("SELECT count(*) FROM feeds WHERE source = 'cli'"),
        4
    );

    // Importing again adds nothing.
    let again = setup
        .run(&["feeds", "import-opml", opml.to_str().unwrap()])
        .await;
    assert!(text(&again.stdout).contains("imported 0 feeds; skipped 6 already watched"));

    // add / remove, and what belongs to the config file.
    assert_code(
        &setup
            .run(&["feeds", "add", "extra", "https://extra.example/rss"])
            .await,
        0,
    );
    assert_code(
        &setup
            .run(&["feeds", "add", "configured", "https://other.example/rss"])
            .await,
        2,
    );
    assert_code(
        &setup
            .run(&["feeds", "add", "dup", "https://extra.example/rss"])
            .await,
        2,
    );
    assert_code(
        &setup
            .run(&["feeds", "add", "bad name", "https://x.example/"])
            .await,
        2,
    );
    assert_code(&setup.run(&["feeds", "remove", "configured"]).await, 2);
    assert_code(&setup.run(&["feeds", "remove", "extra"]).await, 0);
    assert_code(&setup.run(&["feeds", "remove", "extra"]).await, 2);
    assert_eq!(setup.count("SELECT count(*) FROM feeds"), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn articles_search_and_db_prune() {
    let server = seed_site().await;
    let setup = Setup::new(&seed_feed(&server), "");
    assert_code(&setup.run(&["run"]).await, 0);
    let search = setup.run(&["articles", "search", "Ascend"]).await;
    assert_code(&search, 0);
    let out = text(&search.stdout);
    assert!(out.contains("[Ascend]"), "{out}");
    assert!(out.contains("2023-11-09"), "{out}");
    let newest = setup
        .run(&[
            "articles",
            "search",
            "--sort",
            "newest",
            "chips OR capacity",
        ])
        .await;
    let out = text(&newest.stdout);
    let first = out.find("2023-11-09").unwrap();
    let second = out.find("2023-11-08").unwrap();
    assert!(first < second, "{out}");

    let keep = setup.run(&["db", "prune", "--older-than", "30d"]).await;
    assert_code(&keep, 0);
    assert!(text(&keep.stdout).starts_with("dropped the text of 0 articles"));
    assert_code(
        &setup.run(&["db", "prune", "--older-than", "soon"]).await,
        2,
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_stopped_by_sigterm_finishes_in_flight_work_or_records_the_interruption() {
    // Pages slower than the grace period: the pass cannot finish, so it is cut short.
    let server = seed_site_with_delay(Duration::from_secs(30)).await;
    let setup = Setup::new(&seed_feed(&server), "");
    let run = setup.spawn(&["run"]);
    wait_for_lock(&setup.db(), run.id()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(&run, "TERM");
    let (output, took) = wait_exit(run, Duration::from_secs(15)).await;
    assert_code(&output, 1);
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_eq!(
        setup
            .count("SELECT count(*) FROM runs WHERE status = 'failed' AND finished_at IS NOT NULL"),
        1,
        "the pass is recorded as interrupted"
    );
    assert_code(&setup.run(&["db", "check"]).await, 0);
}
