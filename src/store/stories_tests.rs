//! Stories as the store keeps them: the same articles in every arrival order give the
//! same stories, ids survive changes, revisions count changes of substance, and a full
//! regrouping agrees with the incremental one.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::testing::{article, chip_order, export_control, temp_store};
use super::{EventFilter, Store, StoryFilter};
use crate::model::{ChipOrder, Event, EventDetails, ExportControl, Money, Span};

/// One article of the test set: its URL, day in November 2023 (or a later date) and events.
struct Item {
    url: String,
    day: u32,
    month_offset: u32,
    events: Vec<Event>,
}

fn order_event(url: &str, day: u32, edit: impl FnOnce(&mut ChipOrder)) -> Event {
    let mut event = chip_order(url, day);
    event.inferred.clear();
    if let EventDetails::ChipOrder(o) = &mut event.details {
        edit(o);
    }
    event
}

fn control_event(url: &str, day: u32, span: usize, edit: impl FnOnce(&mut ExportControl)) -> Event {
    let mut event = export_control(url, day);
    event.spans = vec![Span {
        start: span,
        end: span + 10,
    }];
    if let EventDetails::ExportControl(c) = &mut event.details {
        edit(c);
    }
    event
}

/// The seed story told by three sites, a vague fourth report, the previous rules, and
/// an unrelated order between the same companies a year later.
fn items() -> Vec<Item> {
    let seed = "https://chipwire.test/baidu";
    let asia = "https://www.asiachips.test/baidu";
    let ledger = "https://ledger.test/baidu";
    let vague = "https://brief.test/baidu";
    let later = "https://chipwire.test/baidu-2024";
    let usd = |o: &mut ChipOrder| {
        o.value = Some(Money {
            amount: 61_830_000.0,
            currency: "USD".into(),
        });
        o.value_usd = Some(61_830_000.0);
    };
    let previous = |c: &mut ExportControl| {
        c.products = vec!["A100".into(), "H100".into()];
        c.effective = None;
    };
    vec![
        Item {
            url: seed.into(),
            day: 9,
            month_offset: 0,
            events: vec![
                order_event(seed, 9, usd),
                control_event(seed, 9, 200, |_| {}),
                control_event(seed, 9, 400, previous),
            ],
        },
        Item {
            url: asia.into(),
            day: 10,
            month_offset: 0,
            events: vec![
                order_event(asia, 10, |o| {
                    o.value = Some(Money {
                        amount: 450_000_000.0,
                        currency: "CNY".into(),
                    });
                    o.value_usd = None;
                }),
                control_event(asia, 10, 200, |_| {}),
                control_event(asia, 10, 400, previous),
            ],
        },
        Item {
            url: ledger.into(),
            day: 13,
            month_offset: 0,
            events: vec![
                order_event(ledger, 13, |o| {
                    usd(o);
                    o.quantity = Some(1500);
                }),
                control_event(ledger, 13, 200, |_| {}),
                control_event(ledger, 13, 400, previous),
            ],
        },
        Item {
            url: vague.into(),
            day: 20,
            month_offset: 0,
            events: vec![order_event(vague, 20, |o| {
                o.quantity = None;
                o.value = None;
                o.value_usd = None;
                o.delivery = None;
            })],
        },
        Item {
            url: later.into(),
            day: 20,
            month_offset: 12,
            events: vec![order_event(later, 20, |o| {
                o.product = Some("Ascend 910C".into());
                o.quantity = Some(5000);
                o.value = None;
                o.value_usd = None;
            })],
        },
    ]
}

fn store_item(store: &mut Store, item: &Item) {
    let mut a = article(&item.url, item.day);
    let mut events = item.events.clone();
    if item.month_offset > 0 {
        let day = NaiveDate::from_ymd_opt(2024, 11, item.day).unwrap();
        a.published = Some(crate::model::Published::Day(day));
        for e in &mut events {
            e.published = Some(day);
        }
    }
    store.insert_article(None, None, &a, &events).unwrap();
}

/// Stories by their members (article URLs) with their records, ids and revisions left
/// out: what must not depend on the arrival order.
fn snapshot(store: &Store) -> BTreeSet<(Vec<String>, String)> {
    let events = store.stored_events(&EventFilter::default()).unwrap();
    store
        .stories(&StoryFilter::default())
        .unwrap()
        .into_iter()
        .map(|story| {
            let mut urls: Vec<String> = events
                .iter()
                .filter(|e| e.story_id == Some(story.id))
                .map(|e| e.event.article_url.clone().unwrap())
                .collect();
            urls.sort();
            let mut record = serde_json::to_value(&story).unwrap();
            let map = record.as_object_mut().unwrap();
            for volatile in ["id", "revision", "updated_at"] {
                map.remove(volatile);
            }
            (urls, record.to_string())
        })
        .collect()
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for rest in permutations(n - 1) {
        for at in 0..=rest.len() {
            let mut p = rest.clone();
            p.insert(at, n - 1);
            out.push(p);
        }
    }
    out
}

#[test]
fn every_arrival_order_gives_the_same_stories() {
    let items = items();
    let mut expected = None;
    for order in permutations(items.len()) {
        let (_dir, mut store) = temp_store();
        for &i in &order {
            store_item(&mut store, &items[i]);
        }
        assert!(!store.stories_need_rebuild().unwrap());
        let got = snapshot(&store);
        match &expected {
            None => {
                // Five stories: the order (four reports), the later order, two controls
                // (three reports each).
                let sizes: Vec<usize> = got.iter().map(|(urls, _)| urls.len()).collect();
                assert_eq!(got.len(), 4, "{got:#?}");
                assert_eq!(sizes.iter().sum::<usize>(), 11, "{got:#?}");
                expected = Some(got);
            }
            Some(expected) => assert_eq!(&got, expected, "arrival order {order:?}"),
        }
    }
}

#[test]
fn the_merged_order_shows_what_most_reports_say() {
    let (_dir, mut store) = temp_store();
    for item in items().iter().rev() {
        store_item(&mut store, item);
    }
    let stories = store
        .stories(&StoryFilter {
            entity: Some("baidu".into()),
            ..StoryFilter::default()
        })
        .unwrap();
    assert_eq!(stories.len(), 2, "{stories:#?}");
    let seed = &stories[1];
    assert_eq!((seed.record.articles, seed.record.sites), (4, 4));
    let json = serde_json::to_value(seed).unwrap();
    assert_eq!(json["quantity"], 1600);
    assert_eq!(
        json["value"],
        serde_json::json!({"amount": 61830000, "currency": "USD"})
    );
    assert_eq!(
        json["disagreements"],
        serde_json::json!({
            "quantity": [{"value": 1500, "articles": 1}],
            "value": [{"value": {"amount": 450000000, "currency": "CNY"}, "articles": 1}],
        })
    );
    assert_eq!(json["first_reported"], "2023-11-09T00:30:00Z");
    assert_eq!(
        stories[0].record.articles, 1,
        "the later order stands alone"
    );
}

#[test]
fn ids_survive_and_revisions_count_changes_of_substance() {
    let (_dir, mut store) = temp_store();
    let items = items();
    store_item(&mut store, &items[0]);
    let order = |store: &Store| {
        store
            .stories(&StoryFilter {
                kind: Some(crate::model::EventKind::ChipOrder),
                ..StoryFilter::default()
            })
            .unwrap()
            .remove(0)
    };
    let first = order(&store);
    assert_eq!(first.revision, 1);

    // Another site with the same figures (the yuan one adds a value nobody else
    // states, but the USD value still wins): more sources, same substance.
    store_item(&mut store, &items[1]);
    let second = order(&store);
    assert_eq!(second.id, first.id);
    assert_eq!(second.revision, 1, "{second:#?}");
    assert_eq!(second.record.articles, 2);

    // Two reports of 1500 against one of 1600 change the shown quantity.
    store_item(&mut store, &items[2]);
    // A fourth report of 1500 ties the count; being the most confident, it decides.
    let url = "https://fourth.test/baidu";
    let mut fourth = order_event(url, 14, |o| o.quantity = Some(1500));
    fourth.confidence = 0.95;
    store
        .insert_article(None, None, &article(url, 14), &[fourth])
        .unwrap();
    let third = order(&store);
    assert_eq!(third.id, first.id);
    assert_eq!(third.revision, 2);
    let EventDetails::ChipOrder(o) = &third.record.details else {
        panic!()
    };
    assert_eq!(o.quantity, Some(1500));
}

#[test]
fn a_late_article_regroups_what_follows_it_and_ids_follow_the_events() {
    let (_dir, mut store) = temp_store();
    let put = |store: &mut Store, url: &str, day: u32, quantity: u64, product: Option<&str>| {
        store
            .insert_article(
                None,
                None,
                &article(url, day),
                &[order_event(url, day, |o| {
                    o.quantity = Some(quantity);
                    o.product = product.map(Into::into);
                    o.value = None;
                    o.value_usd = None;
                })],
            )
            .unwrap();
    };
    let groups = |store: &Store| -> BTreeSet<Vec<String>> {
        snapshot(store).into_iter().map(|(urls, _)| urls).collect()
    };
    let urls = |list: &[&str]| list.iter().map(|u| format!("https://{u}.test/1")).collect();
    // a (1000 units) and c (1180) cannot be one order: 18 % apart. d (1100) fits both
    // and names the product, as c does and a does not: it joins c.
    put(&mut store, "https://a.test/1", 9, 1000, None);
    put(
        &mut store,
        "https://c.test/1",
        12,
        1180,
        Some("Ascend 910B"),
    );
    put(
        &mut store,
        "https://d.test/1",
        13,
        1100,
        Some("Ascend 910B"),
    );
    assert_eq!(
        groups(&store),
        BTreeSet::from([urls(&["a"]), urls(&["c", "d"])])
    );
    let ids_before: BTreeSet<i64> = store
        .stories(&StoryFilter::default())
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();

    // b (day 10, 1090, the product) arrives late: it joins a, whose story now names the
    // product too, so d — placed again after b — goes to the earlier story. The same as
    // if the articles had come in order.
    put(
        &mut store,
        "https://b.test/1",
        10,
        1090,
        Some("Ascend 910B"),
    );
    assert_eq!(
        groups(&store),
        BTreeSet::from([urls(&["a", "b", "d"]), urls(&["c"])])
    );
    let ids_after: BTreeSet<i64> = store
        .stories(&StoryFilter::default())
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        ids_after, ids_before,
        "both stories survive under their ids"
    );

    let (_dir, mut in_order) = temp_store();
    put(&mut in_order, "https://a.test/1", 9, 1000, None);
    put(
        &mut in_order,
        "https://b.test/1",
        10,
        1090,
        Some("Ascend 910B"),
    );
    put(
        &mut in_order,
        "https://c.test/1",
        12,
        1180,
        Some("Ascend 910B"),
    );
    put(
        &mut in_order,
        "https://d.test/1",
        13,
        1100,
        Some("Ascend 910B"),
    );
    assert_eq!(snapshot(&in_order), snapshot(&store));
}

#[test]
fn regrouping_everything_agrees_with_the_incremental_stories_and_keeps_ids() {
    let (_dir, mut store) = temp_store();
    for item in items() {
        store_item(&mut store, &item);
    }
    let incremental = snapshot(&store);
    let ids: BTreeSet<i64> = store
        .stories(&StoryFilter::default())
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    let summary = store.rebuild_stories().unwrap();
    assert_eq!(
        (summary.stories, summary.created, summary.removed),
        (4, 0, 0)
    );
    assert_eq!(summary.changed, 0, "nothing to change");
    assert_eq!(snapshot(&store), incremental);
    let again: BTreeSet<i64> = store
        .stories(&StoryFilter::default())
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(again, ids);
}

#[test]
fn events_without_a_story_are_grouped_by_the_next_rebuild() {
    let (_dir, mut store) = temp_store();
    for item in items() {
        store_item(&mut store, &item);
    }
    let expected = snapshot(&store);
    // As a database migrated from before stories: no story at all.
    store
        .conn
        .execute_batch("UPDATE events SET story_id = NULL; DELETE FROM stories;")
        .unwrap();
    assert!(store.stories_need_rebuild().unwrap());
    let summary = store.rebuild_stories().unwrap();
    assert_eq!((summary.stories, summary.created), (4, 4));
    assert!(!store.stories_need_rebuild().unwrap());
    assert_eq!(snapshot(&store), expected);
}

#[test]
fn reprocessing_marks_the_stories_and_the_rebuild_drops_emptied_ones() {
    let (_dir, mut store) = temp_store();
    let items = items();
    for item in &items {
        store_item(&mut store, item);
    }
    let id = store
        .article_id_by_url_or_guid(0, Some(&items[4].url), None)
        .unwrap()
        .unwrap();
    // New rules no longer find the later order.
    store.replace_article_events(id, "v2", &[]).unwrap();
    assert!(store.stories_need_rebuild().unwrap());
    let summary = store.rebuild_stories().unwrap();
    assert_eq!((summary.stories, summary.removed), (3, 1));
    assert!(!store.stories_need_rebuild().unwrap());
}

#[test]
fn stories_filter_by_kind_day_entity_and_sources() {
    let (_dir, mut store) = temp_store();
    for item in items() {
        store_item(&mut store, &item);
    }
    let count = |filter: StoryFilter| store.stories(&filter).unwrap().len();
    assert_eq!(count(StoryFilter::default()), 4);
    assert_eq!(
        count(StoryFilter {
            kind: Some(crate::model::EventKind::ExportControl),
            ..Default::default()
        }),
        2
    );
    assert_eq!(
        count(StoryFilter {
            since: NaiveDate::from_ymd_opt(2024, 1, 1),
            ..Default::default()
        }),
        1
    );
    // The articles appeared at 08:30 in UTC+8: 00:30 UTC on the same day.
    assert_eq!(
        count(StoryFilter {
            until: NaiveDate::from_ymd_opt(2023, 11, 9),
            ..Default::default()
        }),
        3
    );
    assert_eq!(
        count(StoryFilter {
            until: NaiveDate::from_ymd_opt(2023, 11, 8),
            ..Default::default()
        }),
        0
    );
    assert_eq!(
        count(StoryFilter {
            entity: Some("H800".into()),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        count(StoryFilter {
            min_sources: Some(3),
            ..Default::default()
        }),
        3
    );
    let after = store
        .stories(&StoryFilter {
            after_id: Some(0),
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert!(after[0].id < after[1].id);
}

/// A small deterministic generator, so the property test needs no extra crate.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Random articles over four months about one pair of companies and one authority:
/// figures near the 10 % line, vague reports, effective dates of every precision, and
/// days near the 30- and 60-day windows, so that the candidate search of the store is
/// tested along with the grouping.
fn random_items(rng: &mut Rng, count: usize) -> Vec<(crate::model::Article, Vec<Event>)> {
    let start = NaiveDate::from_ymd_opt(2023, 9, 1).unwrap();
    (0..count)
        .map(|i| {
            let url = format!("https://site{}.test/{i}", rng.below(5));
            let day = start + chrono::Duration::days(rng.below(130) as i64);
            let mut a = article(&url, 9);
            a.published = Some(crate::model::Published::Day(day));
            let mut events = Vec::new();
            if rng.below(3) > 0 {
                let quantity =
                    [None, Some(1000), Some(1090), Some(1180), Some(5000)][rng.below(5) as usize];
                let product = [None, Some("Ascend 910B"), Some("Ascend 910C"), Some("H100")]
                    [rng.below(4) as usize];
                let mut e = order_event(&url, 9, |o| {
                    o.quantity = quantity;
                    o.product = product.map(Into::into);
                    o.value = None;
                    o.value_usd = None;
                });
                e.confidence = [0.6, 0.8, 0.9][rng.below(3) as usize];
                events.push(e);
            }
            if rng.below(2) > 0 {
                let products: &[&str] =
                    [&[][..], &["A800", "H800"], &["A100"], &["H800"]][rng.below(4) as usize];
                let effective = [
                    None,
                    Some("2023"),
                    Some("2023-10"),
                    Some("2023-10-17"),
                    Some("2023-11"),
                ][rng.below(5) as usize];
                events.push(control_event(&url, 9, 200, |c| {
                    c.products = products.iter().map(|p| p.to_string()).collect();
                    c.effective = effective.map(|e| e.parse().unwrap());
                }));
            }
            for e in &mut events {
                e.published = Some(day);
            }
            (a, events)
        })
        .collect()
}

#[test]
fn random_articles_in_random_orders_give_the_stories_of_a_full_regrouping() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..12 {
        let items = random_items(&mut rng, 12);
        let mut reference: Option<BTreeSet<(Vec<String>, String)>> = None;
        for trial in 0..4 {
            let mut order: Vec<usize> = (0..items.len()).collect();
            match trial {
                0 => {}
                1 => order.reverse(),
                _ => {
                    for i in (1..order.len()).rev() {
                        order.swap(i, rng.below(i as u64 + 1) as usize);
                    }
                }
            }
            let (_dir, mut store) = temp_store();
            for &i in &order {
                let (a, events) = &items[i];
                store.insert_article(None, None, a, events).unwrap();
            }
            let incremental = snapshot(&store);
            let summary = store.rebuild_stories().unwrap();
            assert_eq!(
                (summary.created, summary.changed, summary.removed),
                (0, 0, 0),
                "round {round}, order {order:?}: the incremental stories were not canonical"
            );
            assert_eq!(snapshot(&store), incremental);
            match &reference {
                None => reference = Some(incremental),
                Some(r) => assert_eq!(&incremental, r, "round {round}, order {order:?}"),
            }
        }
    }
}

/// A page retry replaces an article's events in the middle of a pass: the stories follow
/// in the same transaction, with no regrouping left for later.
#[test]
fn a_page_that_comes_back_moves_its_events_into_their_stories_at_once() {
    let (_dir, mut store) = temp_store();
    let items = items();
    store_item(&mut store, &items[0]);
    store_item(&mut store, &items[2]);
    // The yuan rewrite was first stored from its feed teaser, with no event.
    let asia = &items[1];
    let (id, _) = store
        .insert_article(None, None, &article(&asia.url, asia.day), &[])
        .unwrap();
    let order_articles = |store: &Store| {
        store
            .stories(&StoryFilter {
                kind: Some(crate::model::EventKind::ChipOrder),
                ..StoryFilter::default()
            })
            .unwrap()[0]
            .record
            .articles
    };
    assert_eq!(order_articles(&store), 2);
    store
        .replace_article_page(id, &article(&asia.url, asia.day), 2, "abc123", &asia.events)
        .unwrap();
    assert!(!store.stories_need_rebuild().unwrap());
    assert_eq!(order_articles(&store), 3);
    let incremental = snapshot(&store);
    store.rebuild_stories().unwrap();
    assert_eq!(
        snapshot(&store),
        incremental,
        "as canonical as a regrouping"
    );

    // The page changes again and no longer reports the order: the story shrinks.
    store
        .replace_article_page(
            id,
            &article(&asia.url, asia.day),
            3,
            "abc123",
            &asia.events[1..],
        )
        .unwrap();
    assert_eq!(order_articles(&store), 2);
    let incremental = snapshot(&store);
    let summary = store.rebuild_stories().unwrap();
    assert_eq!(
        (summary.created, summary.changed, summary.removed),
        (0, 0, 0)
    );
    assert_eq!(snapshot(&store), incremental);
}
