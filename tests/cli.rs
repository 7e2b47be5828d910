//! The `chipwatch` binary as users and scripts run it: exit codes, stdout contracts.

use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;

use crate::common::{chipwatch_binary, fixture, seed_site, test_config_text};

/// Runs chipwatch in `cwd` with no config from the environment.
fn chipwatch(cwd: &Path, args: &[&str]) -> Output {
    chipwatch_binary()
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The event records without the fields that depend on where the text came from.
fn comparable(events: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut e = e.clone();
            let map = e.as_object_mut().unwrap();
            for key in ["id", "article_url", "spans"] {
                map.remove(key);
            }
            e
        })
        .collect();
    out.sort_by_key(|e| e.to_string());
    out
}

/// See: issue 2 — `extract` on the plain seed text, with no config, prints the three events.
#[test]
fn extract_plain_seed_text_without_config_gives_the_page_events() {
    let dir = tempfile::tempdir().unwrap();
    let seed_txt = fixture("seed/baidu-huawei-ascend-2023-11-09.txt");
    let from_text = stdout_json(&chipwatch(
        dir.path(),
        &[
            "extract",
            "--text",
            "--published",
            "2023-11-09",
            seed_txt.to_str().unwrap(),
        ],
    ));
    assert_eq!(from_text["url"], Value::Null);
    assert_eq!(from_text["published"], "2023-11-09");
    assert_eq!(from_text["text_source"], "page");
    let events = &from_text["events"];
    assert_eq!(events.as_array().unwrap().len(), 3, "{events:#}");
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "chip_order").count(), 1);
    let order = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "chip_order")
        .unwrap();
    assert_eq!(
        order["value"],
        serde_json::json!({"amount": 61830000, "currency": "USD"})
    );
    assert_eq!(order["delivery"], "2023-12-31");
    assert_eq!(order["id"], Value::Null);

    let page = fixture("seed/baidu-huawei-ascend.html");
    let from_page = stdout_json(&chipwatch(
        dir.path(),
        &[
            "extract",
            page.to_str().unwrap(),
            "--url",
            "https://chipwire.example/news/x",
        ],
    ));
    assert_eq!(from_page["url"], "https://chipwire.example/news/x");
    assert_eq!(from_page["published"], "2023-11-09");
    assert_eq!(from_page["text"], crate::common::seed_article_text());
    assert_eq!(comparable(&from_page["events"]), comparable(events));
}

#[test]
fn extract_reads_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = chipwatch_binary()
        .args(["extract", "--text", "--published", "2023-11-09", "-"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let seed = std::fs::read(fixture("seed/baidu-huawei-ascend-2023-11-09.txt")).unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &seed).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(stdout_json(&output)["events"].as_array().unwrap().len(), 3);
}

fn assert_config_error(config_text: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad-pack.toml"), "this is = = not toml").unwrap();
    let path = dir.path().join("chipwatch.toml");
    std::fs::write(&path, config_text).unwrap();
    let output = chipwatch(dir.path(), &["--config", path.to_str().unwrap(), "run"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    assert!(lines[0].contains(expected), "{stderr}");
    assert!(output.stdout.is_empty());
}

/// See: issue 2 — a bad config stops start-up with one line and exit code 2.
#[test]
fn bad_configs_exit_2_with_one_line_naming_the_problem() {
    assert_config_error("[http]\ntimeout = 5\n", "unknown field `timeout`");
    assert_config_error("[http]\ntimeout_secs = -1\n", "[http] timeout_secs");
    assert_config_error("[rules]\npaths = [\"bad-pack.toml\"]\n", "bad-pack.toml");
    assert_config_error("[rules]\npaths = [\"missing.toml\"]\n", "missing.toml");
}

#[test]
fn missing_explicit_config_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = chipwatch(dir.path(), &["--config", "nope.toml", "run"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nope.toml"));
    // See: issue 10 — the cause was printed twice.
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// `run` prints nothing on stdout; `events` then serves the stored records in every format.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_then_events_in_every_format() {
    let server = seed_site().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("chipwatch.toml");
    std::fs::write(
        &config,
        test_config_text(
            dir.path(),
            &[("seed", format!("{}/feed.xml", server.uri()))],
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap().to_string();
    let cwd = dir.path().to_path_buf();
    let run = {
        let (cwd, cfg) = (cwd.clone(), cfg.clone());
        tokio::task::spawn_blocking(move || chipwatch(&cwd, &["--config", &cfg, "run"]))
            .await
            .unwrap()
    };
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.stdout.is_empty(), "run must print nothing on stdout");
    assert!(String::from_utf8_lossy(&run.stderr).contains("pass finished"));

    let json = stdout_json(&chipwatch(
        &cwd,
        &["--config", &cfg, "events", "--format", "json"],
    ));
    assert_eq!(json.as_array().unwrap().len(), 3);
    let ndjson = chipwatch(
        &cwd,
        &[
            "--config",
            &cfg,
            "events",
            "--format",
            "ndjson",
            "--kind",
            "export_control",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&ndjson.stdout).lines().count(), 2);
    let csv = chipwatch(
        &cwd,
        &[
            "--config",
            &cfg,
            "events",
            "--format",
            "csv",
            "--kind",
            "chip_order",
        ],
    );
    let csv = String::from_utf8_lossy(&csv.stdout).to_string();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,kind,article_url,published,evidence,spans,rule,rules_version,confidence,hedged,inferred,story_id,buyer,supplier,product,quantity,value_amount,value_currency,value_usd,delivery,status"
    );
    let row = lines.next().unwrap();
    let (before, after) = row
        .split_once(",Baidu,Huawei,Ascend 910B,1600,61830000,USD,61830000,2023-12-31,placed")
        .unwrap_or_else(|| panic!("{row}"));
    assert!(after.is_empty(), "{row}");
    let story_id = before.rsplit(',').next().unwrap();
    assert!(
        story_id.parse::<i64>().is_ok(),
        "story_id cell {story_id:?} in {row}"
    );
    let table = chipwatch(&cwd, &["--config", &cfg, "events"]);
    let table = String::from_utf8_lossy(&table.stdout).to_string();
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
    assert!(table.contains("Baidu"));
    let bad_kind = chipwatch(&cwd, &["--config", &cfg, "events", "--kind", "merger"]);
    assert_eq!(bad_kind.status.code(), Some(2));

    let unknown_feed = chipwatch(&cwd, &["--config", &cfg, "run", "--feed", "nope"]);
    assert_eq!(unknown_feed.status.code(), Some(2));
    let db = rusqlite::Connection::open(dir.path().join("chipwatch.db")).unwrap();
    let running: i64 = db
        .query_row(
            "SELECT count(*) FROM runs WHERE status = 'running'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(running, 0, "a usage error leaves no pass behind");
}

#[test]
fn failed_feeds_exit_4_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("chipwatch.toml");
    std::fs::write(
        &config,
        test_config_text(
            dir.path(),
            &[("dead", "http://127.0.0.1:1/feed.xml".into())],
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    assert_eq!(
        chipwatch(dir.path(), &["--config", cfg, "run", "--all"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        chipwatch(
            dir.path(),
            &["--config", cfg, "run", "--all", "--fail-on-feed-error"]
        )
        .status
        .code(),
        Some(4)
    );
}

/// See: issue 2 — the newcomer's first command.
#[test]
fn demo_prints_the_three_events() {
    let dir = tempfile::tempdir().unwrap();
    let events = stdout_json(&chipwatch(dir.path(), &["demo"]));
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert!(events
        .iter()
        .all(|e| e["id"].is_i64() && e["published"] == "2023-11-09"));
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "demo must leave nothing behind"
    );
}

#[test]
fn reading_commands_do_not_create_a_database() {
    // No config here: the default database path is relative to this directory.
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["events"][..],
        &["articles", "search", "nvidia"],
        &["db", "check"],
        &["reprocess"],
    ] {
        let output = chipwatch(dir.path(), args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("no database at"), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    assert!(!dir.path().join("data").exists());
}

/// See: issue 10 — `-v extract page.html` printed the HTML tokenizer's every step: -v and
/// -vv raise chipwatch's own level only.
#[test]
fn verbose_flags_raise_only_chipwatchs_own_lines() {
    let dir = tempfile::tempdir().unwrap();
    let page = fixture("seed/baidu-huawei-ascend.html");
    for flag in ["-v", "-vv"] {
        let output = chipwatch(
            dir.path(),
            &[
                flag,
                "--log-format",
                "json",
                "extract",
                page.to_str().unwrap(),
            ],
        );
        assert!(output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.lines().count() < 50,
            "{flag}: {} lines",
            stderr.lines().count()
        );
        for line in stderr.lines() {
            let line: Value = serde_json::from_str(line).unwrap();
            let target = line["target"].as_str().unwrap_or_default();
            assert!(target.starts_with("chipwatch"), "{flag}: {line}");
        }
    }
}

/// `eval` on a split corpus: one report per part, `--part` picks, `--hide-misses` keeps a
/// sealed part's misses out of sight, an unknown part is a usage error naming the parts.
#[test]
fn eval_scores_parts_apart_and_can_hide_misses() {
    let dir = tempfile::tempdir().unwrap();
    for part in ["dev", "sealed"] {
        let folder = dir.path().join(part);
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(
            folder.join("a.txt"),
            "Meta bought 5,000 H200 chips from Nvidia.",
        )
        .unwrap();
        // Labelled wrong on purpose, so there is a miss to show or hide.
        std::fs::write(
            folder.join("a.json"),
            r#"{"published": "2024-01-10", "url": null, "events": []}"#,
        )
        .unwrap();
    }
    let corpus = dir.path().to_str().unwrap();
    let both = chipwatch(dir.path(), &["eval", corpus]);
    assert!(
        both.status.success(),
        "{}",
        String::from_utf8_lossy(&both.stderr)
    );
    let text = String::from_utf8_lossy(&both.stdout);
    assert!(
        text.contains("== dev ==") && text.contains("== sealed =="),
        "{text}"
    );
    assert!(text.contains("a: spurious chip_order"), "{text}");

    let sealed = chipwatch(
        dir.path(),
        &["eval", corpus, "--part", "sealed", "--hide-misses"],
    );
    let text = String::from_utf8_lossy(&sealed.stdout);
    assert!(
        text.contains("== sealed ==") && !text.contains("== dev =="),
        "{text}"
    );
    assert!(!text.contains("spurious"), "{text}");

    let json = chipwatch(dir.path(), &["eval", corpus, "--format", "json"]);
    let value = stdout_json(&json);
    assert_eq!(value["dev"]["negatives_with_events"], 1);
    assert_eq!(value["sealed"]["negatives_with_events"], 1);

    let wrong = chipwatch(dir.path(), &["eval", corpus, "--part", "test"]);
    assert_eq!(wrong.status.code(), Some(2));
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        err.contains("no part `test`") && err.contains("dev, sealed"),
        "{err}"
    );
}
