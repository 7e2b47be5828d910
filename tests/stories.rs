//! Stories across articles: the seed article and two rewrites of it on two other sites
//! (one giving the value only in yuan, one rounding the quantity), plus an unrelated
//! order between the same companies a year later, each site a real HTTP server on its
//! own loopback address. See: issue 12.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::common::sites::{World, ASIA_PATH};
use crate::common::{assert_code, test_config, text, Setup};
use chipwatch::pipeline::{run_pass, PassOptions};
use chipwatch::rules::RuleSet;
use chipwatch::store::{Store, StoryFilter};

fn stories_json(setup: &Setup, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["stories", "--format", "json"];
    all.extend_from_slice(args);
    let output = setup.command(&all).output().unwrap();
    assert_code(&output, 0);
    serde_json::from_slice(&output.stdout).unwrap()
}

/// See: issue 12 — "stories shows one Baidu–Huawei story with 3 articles and 3 sites and
/// the right merged slots, and a separate story for the later order; the export controls
/// of the three articles merge into two stories."
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_sites_make_one_story_and_the_later_order_another() {
    let world = World::new().await;
    world.serve(&[0, 1, 2, 3]);
    let setup = Setup::new(&[("wire", world.feed_url())], "");
    assert_code(&setup.run(&["run"]).await, 0);
    assert_eq!(setup.count("SELECT count(*) FROM articles"), 4);
    assert_eq!(setup.count("SELECT count(*) FROM events"), 10);

    let orders = stories_json(&setup, &["--kind", "chip_order", "--entity", "Baidu"]);
    assert_eq!(orders.len(), 2, "{orders:#?}");
    // Newest first report first: the 2024 order, then the November 2023 one.
    let (later, seed) = (&orders[0], &orders[1]);
    let expected_seed = json!({
        "kind": "chip_order",
        "buyer": "Baidu",
        "supplier": "Huawei",
        "product": "Ascend 910B",
        "quantity": 1600,
        "value": {"amount": 61830000, "currency": "USD"},
        "value_usd": 61830000,
        "delivery": "2023-12-31",
        "disagreements": {
            "quantity": [{"value": 1500, "articles": 1}],
            "value": [{"value": {"amount": 450000000, "currency": "CNY"}, "articles": 1}],
        },
        // The seed page's dateline gives a day and no time zone: its midnight, UTC.
        "first_reported": "2023-11-09T00:00:00Z",
        "last_reported": "2023-11-13T14:05:00Z",
        "articles": 3,
        "sites": 3,
        "confidence": 0.85,
        "hedged": false,
        "status": "placed",
        "inferred": [],
    });
    for (key, value) in expected_seed.as_object().unwrap() {
        assert_eq!(&seed[key], value, "story field {key}: {seed:#}");
    }
    assert!(seed["revision"].as_u64().unwrap() >= 1);
    assert_eq!(later["articles"], 1);
    assert_eq!(later["product"], "Ascend 910C");
    assert_eq!(later["quantity"], 5000);
    assert_eq!(later["first_reported"], "2024-11-20T08:45:00Z");

    let controls = stories_json(&setup, &["--kind", "export_control"]);
    assert_eq!(controls.len(), 2, "{controls:#?}");
    let mut products: Vec<Value> = controls.iter().map(|c| c["products"].clone()).collect();
    products.sort_by_key(|p| p.to_string());
    assert_eq!(products, [json!(["A100", "H100"]), json!(["A800", "H800"])]);
    for control in &controls {
        assert_eq!(
            (control["articles"].as_u64(), control["sites"].as_u64()),
            (Some(3), Some(3))
        );
        assert_eq!(control["authority"], "United States");
        assert_eq!(control["targets"], json!(["China"]));
        assert_eq!(control["status"], Value::Null);
    }
    let october = controls
        .iter()
        .find(|c| c["products"] == json!(["A800", "H800"]))
        .unwrap();
    assert_eq!(october["effective"], "2023-10");

    // Every event points to its story, and the story to its events.
    let events: Vec<Value> = {
        let output = setup
            .command(&["events", "--format", "json"])
            .output()
            .unwrap();
        serde_json::from_slice(&output.stdout).unwrap()
    };
    for story in orders.iter().chain(&controls) {
        let members = events
            .iter()
            .filter(|e| e["story_id"] == story["id"])
            .count() as u64;
        assert_eq!(Some(members), story["articles"].as_u64(), "{story:#}");
    }

    // Filters, and what people read.
    assert_eq!(stories_json(&setup, &["--min-sources", "3"]).len(), 3);
    assert_eq!(stories_json(&setup, &["--min-sources", "2"]).len(), 3);
    assert_eq!(stories_json(&setup, &["--since", "2024-01-01"]).len(), 1);
    assert_eq!(
        stories_json(&setup, &["--entity", "U.S."]).len(),
        2,
        "aliases work"
    );
    // One rewrite states the order first-hand, so no story is hedged throughout.
    assert_eq!(stories_json(&setup, &["--hedged"]).len(), 0);
    assert_eq!(stories_json(&setup, &["--no-hedged"]).len(), 4);
    let table = text(&setup.command(&["stories"]).output().unwrap().stdout);
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
    assert!(
        table.contains("3 articles; also quantity 1500 (1); value 450000000 CNY (1)"),
        "{table}"
    );
    let id = seed["id"].to_string();
    let show = setup.command(&["stories", "show", &id]).output().unwrap();
    assert_code(&show, 0);
    let show = text(&show.stdout);
    for needle in [
        "Baidu orders from Huawei: 1600 × Ascend 910B",
        "3 articles on 3 sites",
        "> Baidu reportedly ordered 1,600 Huawei 910B Ascend AI chips",
        "> The order is worth about 450 million yuan",
        "> Chinese search giant Baidu has placed an order for about 1,500 Ascend 910B AI chips from Huawei.",
        ASIA_PATH,
    ] {
        assert!(show.contains(needle), "`stories show` lacks {needle:?}:\n{show}");
    }
    let shown: Value = serde_json::from_slice(
        &setup
            .command(&["stories", "show", &id, "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(shown["story"], *seed);
    assert_eq!(shown["events"].as_array().unwrap().len(), 3);
    let missing = setup.command(&["stories", "show", "999"]).output().unwrap();
    assert_code(&missing, 2);

    // CSV parses back, one row per story.
    let csv_text = text(
        &setup
            .command(&["stories", "--format", "csv"])
            .output()
            .unwrap()
            .stdout,
    );
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(&reader.headers().unwrap()[0], "id");
    assert_eq!(reader.records().count(), 4);
}

/// Normalised stories of a database: records without id, revision and update time,
/// each with the URLs of its articles.
fn story_set(store: &Store) -> Vec<String> {
    let events = store
        .stored_events(&chipwatch::store::EventFilter::default())
        .unwrap();
    let mut set: Vec<String> = store
        .stories(&StoryFilter::default())
        .unwrap()
        .iter()
        .map(|story| {
            let mut record = serde_json::to_value(story).unwrap();
            for key in ["id", "revision", "updated_at"] {
                record.as_object_mut().unwrap().remove(key);
            }
            let mut urls: Vec<&str> = events
                .iter()
                .filter(|e| e.story_id == Some(story.id))
                .map(|e| e.event.article_url.as_deref().unwrap())
                .collect();
            urls.sort();
            format!("{record} {urls:?}")
        })
        .collect();
    set.sort();
    set
}

/// See: issue 12 — "the same articles in reverse order give the same stories". One pass
/// per article, the feed growing by one item each time, in order, in reverse order and
/// shuffled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_articles_in_any_order_give_the_same_stories() {
    let world = World::new().await;
    let rules = Arc::new(RuleSet::embedded().unwrap());
    let mut results = Vec::new();
    // The seed, two rewrites, the later order and the cancellation (the latest report,
    // whose status the story shows).
    for order in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 4, 0, 3, 1]] {
        let dir = tempfile::tempdir().unwrap();
        let config = test_config(dir.path(), &[("wire", world.feed_url())]);
        let store = Arc::new(Mutex::new(Store::open(&config.database_path).unwrap()));
        for step in 1..=order.len() {
            world.serve(&order[..step]);
            let options = PassOptions {
                all: true,
                ..PassOptions::default()
            };
            let outcome = run_pass(&config, Arc::clone(&rules), Arc::clone(&store), &options)
                .await
                .unwrap();
            assert_eq!(
                outcome.summary.articles_new, 1,
                "order {order:?}, step {step}"
            );
        }
        let set = story_set(&store.lock().unwrap());
        assert_eq!(set.len(), 4, "{set:#?}");
        assert!(
            set.iter().any(|s| s.contains(r#""status":"cancelled""#)),
            "{set:#?}"
        );
        results.push((order, set));
    }
    let (first_order, first) = &results[0];
    for (order, set) in &results[1..] {
        assert_eq!(set, first, "order {order:?} against {first_order:?}");
    }
}

/// See: issue 12 — "`reprocess` rebuilds stories and keeps story ids where the story
/// survives". A rule pack removed and restored: the order stories keep their ids and
/// records throughout; the control stories go, then come back as new ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprocess_regroups_stories_and_keeps_the_ids_of_those_that_survive() {
    let world = World::new().await;
    world.serve(&[0, 1, 2, 3]);
    let setup = Setup::new(
        &[("wire", world.feed_url())],
        "[rules]\npaths = [\"rules\"]\n",
    );
    let rules = setup.dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/rules");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), rules.join(entry.file_name())).unwrap();
    }
    assert_code(&setup.run(&["run"]).await, 0);
    let orders = |setup: &Setup| {
        let mut orders = stories_json(setup, &["--kind", "chip_order"]);
        for o in &mut orders {
            o.as_object_mut().unwrap().remove("updated_at");
        }
        orders
    };
    let before = orders(&setup);
    assert_eq!(before.len(), 2);
    let control_ids: Vec<Value> = stories_json(&setup, &["--kind", "export_control"])
        .iter()
        .map(|c| c["id"].clone())
        .collect();

    let pack = rules.join("export_controls.toml");
    let saved = std::fs::read(&pack).unwrap();
    std::fs::remove_file(&pack).unwrap();
    let removed = setup.run(&["reprocess"]).await;
    assert_code(&removed, 0);
    assert!(
        text(&removed.stdout).contains("stories:        2 (0 new, 0 changed, 2 gone)"),
        "{}",
        text(&removed.stdout)
    );
    assert_eq!(
        orders(&setup),
        before,
        "the orders are untouched, ids included"
    );
    assert!(stories_json(&setup, &["--kind", "export_control"]).is_empty());

    std::fs::write(&pack, saved).unwrap();
    let restored = setup.run(&["reprocess"]).await;
    assert_code(&restored, 0);
    assert!(
        text(&restored.stdout).contains("stories:        4 (2 new, 0 changed, 0 gone)"),
        "{}",
        text(&restored.stdout)
    );
    assert_eq!(orders(&setup), before);
    let controls = stories_json(&setup, &["--kind", "export_control"]);
    assert_eq!(controls.len(), 2);
    assert!(controls.iter().all(|c| c["articles"] == 3));
    assert!(
        controls.iter().all(|c| !control_ids.contains(&c["id"])),
        "ids are never handed out twice"
    );
    let again = setup.run(&["reprocess"]).await;
    assert!(text(&again.stdout).contains("stories:        unchanged"));
}
