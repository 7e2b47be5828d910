//! Asking the database questions, through the binary as analysts and scripts do: every
//! `events` format parsed back by a real parser, the filters and `--entity` through
//! aliases, `reprocess` after a rule-pack change, the feeds commands with a real-world
//! OPML export, full-text search and pruning.
//! See: issue 6.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{assert_code, seed_feed, seed_site, text, Setup};

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
    // RFC 4180: every record, the header included, ends with CRLF (and no bare LF ends one).
    assert!(csv_text.ends_with("\r\n"));
    assert_eq!(
        csv_text.matches("\r\n").count(),
        csv_text.matches('\n').count()
    );
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
