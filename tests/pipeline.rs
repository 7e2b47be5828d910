//! Whole passes: the seed feed served by a real HTTP server on 127.0.0.1, stored in a real
//! SQLite file.

use std::sync::{Arc, Mutex};

use chipwatch::config::Config;
use chipwatch::model::{ControlAction, Event, EventDetails, Money, OrderStatus, PartialDate};
use chipwatch::pipeline::{run_pass, PassOptions, PassOutcome};
use chipwatch::rules::RuleSet;
use chipwatch::store::{EventFilter, Store};
use chrono::NaiveDate;

use crate::common::{seed_article_text, seed_site, seed_site_with_delay, test_config, SEED_PATH};

/// One pass with the embedded rules over a new database at the config's path.
async fn one_pass(config: &Config) -> (PassOutcome, Arc<Mutex<Store>>) {
    let rules = Arc::new(RuleSet::embedded().unwrap());
    let store = Arc::new(Mutex::new(Store::open(&config.database_path).unwrap()));
    let outcome = run_pass(config, rules, Arc::clone(&store), &PassOptions::default())
        .await
        .unwrap();
    (outcome, store)
}

fn sentence(text: &str, starts_with: &str) -> String {
    // Sentences of the seed text, found by their opening words so the test reads clearly.
    let start = text
        .find(starts_with)
        .unwrap_or_else(|| panic!("no sentence starting {starts_with:?}"));
    let rest = &text[start..];
    let end = rest
        .char_indices()
        .find(|&(i, c)| {
            c == '.' && rest[i + 1..].starts_with([' ', '\n']) || i + c.len_utf8() == rest.len()
        })
        .map(|(i, c)| i + c.len_utf8())
        .unwrap();
    rest[..end].to_string()
}

fn assert_spans_quote_evidence(event: &Event, text: &str) {
    assert_eq!(event.spans.len(), event.evidence.len());
    for (span, quote) in event.spans.iter().zip(&event.evidence) {
        assert_eq!(
            &text[span.start..span.end],
            quote,
            "span {span:?} does not quote its evidence"
        );
    }
}

/// See: issue 2 — the reference fixture must become exactly three events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_feed_becomes_exactly_the_three_reference_events() {
    let server = seed_site().await;
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(
        dir.path(),
        &[("seed", format!("{}/feed.xml", server.uri()))],
    );
    let rules = Arc::new(RuleSet::embedded().unwrap());
    let store = Arc::new(Mutex::new(Store::open(&config.database_path).unwrap()));

    let first = run_pass(
        &config,
        Arc::clone(&rules),
        Arc::clone(&store),
        &PassOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(first.summary.feeds_fetched, 1);
    assert_eq!(first.summary.feeds_failed, 0);
    assert_eq!(first.summary.articles_new, 2);
    assert_eq!(first.summary.events_new_chip_order, 1);
    assert_eq!(first.summary.events_new_export_control, 2);

    let events = store
        .lock()
        .unwrap()
        .events(&EventFilter::default())
        .unwrap();
    assert_eq!(events.len(), 3, "{events:#?}");
    let canonical = format!("{}{SEED_PATH}", server.uri());
    let text = seed_article_text();
    let s1 = sentence(&text, "Chinese tech giant Baidu");
    let s2 = sentence(&text, "This move comes as a result");
    let s3 = sentence(&text, "Baidu reportedly ordered");
    let s4 = sentence(&text, "The order is worth");
    let s_previous = sentence(&text, "In response to previous regulations");
    let s_new = sentence(&text, "However, with the new regulations");

    for event in &events {
        assert!(event.id.is_some());
        assert_eq!(
            event.article_url.as_deref(),
            Some(canonical.as_str()),
            "article_url must be the normalised link"
        );
        assert_eq!(event.published, NaiveDate::from_ymd_opt(2023, 11, 9));
        assert!(event.confidence > 0.0 && event.confidence <= 1.0);
        assert_eq!(event.rules_version, rules.version());
        assert!(!event.rule.is_empty());
        assert_spans_quote_evidence(event, &text);
    }

    let order = events
        .iter()
        .find_map(|e| match &e.details {
            EventDetails::ChipOrder(o) => Some((e, o)),
            _ => None,
        })
        .unwrap();
    let (event, o) = order;
    assert_eq!(o.buyer.as_deref(), Some("Baidu"));
    assert_eq!(o.supplier.as_deref(), Some("Huawei"));
    assert_eq!(o.product.as_deref(), Some("Ascend 910B"));
    assert_eq!(o.quantity, Some(1600));
    assert_eq!(
        o.value,
        Some(Money {
            amount: 61_830_000.0,
            currency: "USD".into()
        })
    );
    assert_eq!(o.value_usd, Some(61_830_000.0));
    assert_eq!(
        o.delivery,
        Some(PartialDate::Day(
            NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()
        ))
    );
    assert_eq!(o.status, Some(OrderStatus::Placed));
    assert!(event.hedged);
    assert_eq!(event.evidence, vec![s1.clone(), s3, s4]);

    let controls: Vec<(&Event, &chipwatch::model::ExportControl)> = events
        .iter()
        .filter_map(|e| match &e.details {
            EventDetails::ExportControl(c) => Some((e, c)),
            _ => None,
        })
        .collect();
    assert_eq!(controls.len(), 2);
    let october = controls
        .iter()
        .find(|(_, c)| c.products == ["A800", "H800"])
        .expect("the October rules");
    let previous = controls
        .iter()
        .find(|(_, c)| c.products == ["A100", "H100"])
        .expect("the previous rules");
    for (event, c) in [october, previous] {
        assert_eq!(c.authority.as_deref(), Some("United States"));
        assert_eq!(c.agency, None);
        assert_eq!(c.targets, ["China"]);
        assert_eq!(c.companies, ["Nvidia"]);
        assert_eq!(c.action, Some(ControlAction::Restrict));
        assert!(!event.hedged);
    }
    assert_eq!(october.1.effective, Some(PartialDate::Month(2023, 10)));
    assert_eq!(previous.1.effective, None);
    assert_eq!(october.0.evidence, vec![s1, s2, s_previous.clone(), s_new]);
    assert_eq!(previous.0.evidence, vec![s_previous]);

    // The unrelated article was stored and gave nothing.
    let hits = store.lock().unwrap().search_articles("TSMC", 10).unwrap();
    assert_eq!(hits.len(), 1);

    // A second pass over the same feed adds no article and no event.
    let again = run_pass(
        &config,
        rules,
        Arc::clone(&store),
        &PassOptions {
            all: true,
            ..PassOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(again.summary.articles_new, 0);
    assert_eq!(
        again.summary.events_new_chip_order + again.summary.events_new_export_control,
        0
    );
    assert_eq!(
        store
            .lock()
            .unwrap()
            .events(&EventFilter::default())
            .unwrap()
            .len(),
        3
    );
}

/// A feed that cannot be reached is recorded; the pass still completes for the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_feed_is_recorded_and_the_pass_goes_on() {
    let server = seed_site().await;
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: connection refused at once.
    let config = test_config(
        dir.path(),
        &[
            ("dead", "http://127.0.0.1:1/feed.xml".to_string()),
            ("seed", format!("{}/feed.xml", server.uri())),
        ],
    );
    let (outcome, store) = one_pass(&config).await;
    assert_eq!(outcome.summary.feeds_failed, 1);
    assert_eq!(outcome.summary.feeds_fetched, 1);
    assert_eq!(outcome.failed_feeds, ["dead"]);
    assert_eq!(outcome.summary.articles_new, 2);

    let feeds = store.lock().unwrap().feeds().unwrap();
    let dead = feeds.iter().find(|f| f.spec.name == "dead").unwrap();
    assert_eq!(dead.consecutive_failures, 1);
    assert!(
        dead.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("127.0.0.1:1"),
        "{:?}",
        dead.last_error
    );
    assert!(dead.next_fetch_at.is_some());
}

/// Two feeds carrying the same stories, fetched at the same time: both jobs find the
/// articles new, and the second to store one must link it, not fail the pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_feeds_storing_the_same_article_at_once_share_it() {
    let server = seed_site_with_delay(std::time::Duration::from_millis(500)).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/feed.xml", server.uri());
    let config = test_config(dir.path(), &[("one", url.clone()), ("two", url)]);
    let (outcome, store) = one_pass(&config).await;
    assert_eq!(outcome.summary.feeds_fetched, 2);
    assert!(outcome.failed_feeds.is_empty());
    assert_eq!(outcome.summary.articles_new, 2);
    drop(store);
    let db = rusqlite::Connection::open(&config.database_path).unwrap();
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM articles"), 2);
    assert_eq!(
        count("SELECT count(*) FROM article_feeds"),
        4,
        "each feed linked to both"
    );
    assert_eq!(count("SELECT count(*) FROM events"), 3);
    assert_eq!(count("SELECT count(*) FROM runs WHERE status = 'ok'"), 1);
}

/// Without `allow_private_addresses`, article links into loopback are refused and the feed's
/// own text is used instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guard_refuses_private_article_links_and_falls_back_to_feed_text() {
    let server = seed_site().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(
        dir.path(),
        &[("seed", format!("{}/feed.xml", server.uri()))],
    );
    config.http.allow_private_addresses = chipwatch::config::PrivateAccess::Deny;
    let (outcome, _store) = one_pass(&config).await;
    assert_eq!(
        outcome.summary.feeds_fetched, 1,
        "the configured feed itself is trusted"
    );
    assert_eq!(outcome.summary.articles_refused_guard, 2);
    assert_eq!(outcome.summary.articles_new, 2);
    let page_requests = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().starts_with("/news/"))
        .count();
    assert_eq!(page_requests, 0, "no request may reach a refused page");
}
