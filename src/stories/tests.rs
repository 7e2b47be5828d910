use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::model::{
    ChipOrder, ControlAction, Event, EventDetails, EventKind, ExportControl, Money, OrderStatus,
    Span,
};

fn day(d: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 11, 1).unwrap() + chrono::Duration::days(d)
}

fn base_event(url: &str, published: i64, details: EventDetails) -> Event {
    Event {
        id: None,
        article_url: Some(url.to_string()),
        published: Some(day(published)),
        evidence: vec!["x".into()],
        spans: vec![Span { start: 0, end: 1 }],
        rule: "r".into(),
        rules_version: "v".into(),
        confidence: 0.8,
        hedged: false,
        inferred: Vec::new(),
        details,
    }
}

fn member(event: Event) -> Member {
    let reported = event
        .published
        .map(|d| Utc.from_utc_datetime(&d.and_hms_opt(8, 0, 0).unwrap()));
    let fingerprint = format!("{:?}", event.details);
    Member {
        event,
        reported,
        fingerprint,
    }
}

fn order(url: &str, published: i64, quantity: Option<u64>, product: Option<&str>) -> Member {
    member(base_event(
        url,
        published,
        EventDetails::ChipOrder(ChipOrder {
            buyer: Some("Baidu".into()),
            supplier: Some("Huawei".into()),
            product: product.map(Into::into),
            quantity,
            status: Some(OrderStatus::Placed),
            ..ChipOrder::default()
        }),
    ))
}

fn control(url: &str, published: i64, products: &[&str], effective: Option<&str>) -> Member {
    member(base_event(
        url,
        published,
        EventDetails::ExportControl(ExportControl {
            authority: Some("United States".into()),
            targets: vec!["China".into()],
            products: products.iter().map(|p| p.to_string()).collect(),
            companies: vec!["Nvidia".into()],
            action: Some(ControlAction::Restrict),
            effective: effective.map(|e| e.parse().unwrap()),
            ..ExportControl::default()
        }),
    ))
}

fn with_order(mut m: Member, edit: impl FnOnce(&mut ChipOrder)) -> Member {
    if let EventDetails::ChipOrder(o) = &mut m.event.details {
        edit(o);
    }
    m.fingerprint = format!("{:?}", m.event.details);
    m
}

fn with_control(mut m: Member, edit: impl FnOnce(&mut ExportControl)) -> Member {
    if let EventDetails::ExportControl(c) = &mut m.event.details {
        edit(c);
    }
    m.fingerprint = format!("{:?}", m.event.details);
    m
}

// --- Matching ---

#[test]
fn orders_match_on_parties_product_family_figures_and_time() {
    let seed = order("https://a.test/1", 8, Some(1600), Some("Ascend 910B"));
    let same = |m: &Member| compatible(&seed, m) && compatible(m, &seed);
    assert!(
        same(&order(
            "https://b.test/1",
            9,
            Some(1500),
            Some("Ascend 910B")
        )),
        "6 % apart"
    );
    assert!(
        !same(&order(
            "https://b.test/1",
            9,
            Some(2000),
            Some("Ascend 910B")
        )),
        "25 % apart"
    );
    assert!(
        same(&order("https://b.test/1", 9, None, None)),
        "unknowns agree"
    );
    assert!(
        same(&order(
            "https://b.test/1",
            9,
            Some(1600),
            Some("Ascend 910C")
        )),
        "one family"
    );
    assert!(
        !same(&order("https://b.test/1", 9, Some(1600), Some("H100"))),
        "other product"
    );
    assert!(
        same(&order("https://b.test/1", 68, Some(1600), None)),
        "60 days"
    );
    assert!(
        !same(&order("https://b.test/1", 69, Some(1600), None)),
        "61 days"
    );
    assert!(
        !same(&order("https://a.test/1", 9, Some(1600), None)),
        "same article"
    );
    let other_buyer = with_order(order("https://b.test/1", 9, None, None), |o| {
        o.buyer = Some("Tencent".into())
    });
    assert!(!same(&other_buyer));
    let no_supplier = with_order(order("https://b.test/1", 9, None, None), |o| {
        o.supplier = None
    });
    assert!(!same(&no_supplier), "an unknown party matches nothing");

    let usd = with_order(seed.clone(), |o| {
        o.value = Some(Money {
            amount: 61_830_000.0,
            currency: "USD".into(),
        });
        o.value_usd = Some(61_830_000.0);
    });
    let yuan = with_order(order("https://b.test/1", 9, None, None), |o| {
        o.value = Some(Money {
            amount: 450_000_000.0,
            currency: "CNY".into(),
        })
    });
    assert!(
        compatible(&usd, &yuan),
        "no exchange rates: other currencies do not contradict"
    );
    let more_usd = with_order(order("https://b.test/1", 9, None, None), |o| {
        o.value_usd = Some(80_000_000.0)
    });
    assert!(!compatible(&usd, &more_usd));
    let close_usd = with_order(order("https://b.test/1", 9, None, None), |o| {
        o.value = Some(Money {
            amount: 60_000_000.0,
            currency: "USD".into(),
        });
        o.value_usd = Some(60_000_000.0);
    });
    assert!(compatible(&usd, &close_usd));
}

#[test]
fn controls_match_on_key_targets_dates_and_named_products() {
    let october = control("https://a.test/1", 8, &["A800", "H800"], Some("2023-10"));
    let same = |m: &Member| compatible(&october, m) && compatible(m, &october);
    assert!(
        same(&control("https://b.test/1", 200, &["H800"], Some("2023"))),
        "year covers month"
    );
    assert!(same(&control(
        "https://b.test/1",
        200,
        &["H800"],
        Some("2023-10-17")
    )));
    assert!(!same(&control(
        "https://b.test/1",
        9,
        &["H800"],
        Some("2023-11")
    )));
    assert!(
        same(&control("https://b.test/1", 38, &["H800"], None)),
        "30 days"
    );
    assert!(
        !same(&control("https://b.test/1", 39, &["H800"], None)),
        "31 days"
    );
    assert!(
        !same(&control("https://b.test/1", 9, &["A100", "H100"], None)),
        "disjoint products"
    );
    assert!(
        same(&control("https://b.test/1", 9, &[], None)),
        "no products named"
    );
    let elsewhere = with_control(control("https://b.test/1", 9, &[], None), |c| {
        c.targets = vec!["Russia".into()]
    });
    assert!(!same(&elsewhere));
    let no_targets = with_control(control("https://b.test/1", 9, &[], None), |c| {
        c.targets.clear()
    });
    assert!(!same(&no_targets), "targets must overlap");
    let relaxed = with_control(control("https://b.test/1", 9, &[], None), |c| {
        c.action = Some(ControlAction::Relax)
    });
    assert!(!same(&relaxed));
    let amd = with_control(control("https://b.test/1", 9, &[], None), |c| {
        c.companies = vec!["AMD".into()]
    });
    assert!(!same(&amd), "disjoint companies");
}

#[test]
fn families_name_only_canonical_products_of_the_shipped_gazetteer() {
    let rules = crate::rules::RuleSet::embedded().unwrap();
    let mut seen = BTreeSet::new();
    for (family, members) in FAMILIES {
        for product in *members {
            assert_eq!(
                rules.canonical_entity(product).as_deref(),
                Some(*product),
                "{family}: {product} is not a canonical product name"
            );
            assert!(seen.insert(*product), "{product} is in two families");
        }
    }
    assert_eq!(family_of("H800"), family_of("H100"));
    assert_eq!(family_of("Ascend 910B"), family_of("Ascend 910C"));
    assert_ne!(family_of("H100"), family_of("A100"));
    assert_eq!(family_of("Kunlunxin P800"), None);
}

// --- The merged record ---

#[test]
fn slots_take_the_most_stated_value_and_list_the_others() {
    let seed = with_order(
        order(
            "https://www.chipwire.test/1",
            8,
            Some(1600),
            Some("Ascend 910B"),
        ),
        |o| {
            o.value = Some(Money {
                amount: 61_830_000.0,
                currency: "USD".into(),
            });
            o.value_usd = Some(61_830_000.0);
        },
    );
    let yuan = with_order(
        order("https://asia.test/2", 9, Some(1600), Some("Ascend 910B")),
        |o| {
            o.value = Some(Money {
                amount: 450_000_000.0,
                currency: "CNY".into(),
            });
        },
    );
    let rounded = with_order(
        order("https://ledger.test/3", 12, Some(1500), Some("Ascend 910B")),
        |o| {
            o.value = Some(Money {
                amount: 61_830_000.0,
                currency: "USD".into(),
            });
            o.value_usd = Some(61_830_000.0);
        },
    );
    let record = merge(&[rounded, seed, yuan]).unwrap();
    let EventDetails::ChipOrder(o) = &record.details else {
        panic!()
    };
    assert_eq!(o.quantity, Some(1600));
    assert_eq!(o.value.as_ref().unwrap().currency, "USD");
    assert_eq!(
        o.value_usd,
        Some(61_830_000.0),
        "a missing figure is no vote"
    );
    let disagreements: HashMap<&str, &Vec<Disagreement>> = record
        .disagreements
        .iter()
        .map(|(slot, values)| (slot.as_str(), values))
        .collect();
    assert_eq!(disagreements.len(), 2, "{disagreements:?}");
    assert_eq!(disagreements["quantity"][0].value, serde_json::json!(1500));
    assert_eq!(disagreements["quantity"][0].articles, 1);
    assert_eq!(
        disagreements["value"][0].value,
        serde_json::json!({"amount": 450000000, "currency": "CNY"})
    );
    assert_eq!((record.articles, record.sites), (3, 3));
    assert_eq!(record.first_reported.unwrap().date_naive(), day(8));
    assert_eq!(record.last_reported.unwrap().date_naive(), day(12));
}

#[test]
fn ties_go_to_the_most_confident_then_the_earliest() {
    let a = order("https://a.test/1", 8, Some(1000), None);
    let mut b = order("https://b.test/1", 9, Some(1050), None);
    let record = merge(&[b.clone(), a.clone()]).unwrap();
    let quantity = |r: &StoryRecord| match &r.details {
        EventDetails::ChipOrder(o) => o.quantity,
        _ => None,
    };
    assert_eq!(quantity(&record), Some(1000), "earliest");
    b.event.confidence = 0.9;
    assert_eq!(
        quantity(&merge(&[a, b]).unwrap()),
        Some(1050),
        "more confident"
    );
}

#[test]
fn status_is_the_latest_report_and_hedging_needs_every_source() {
    let mut planned = with_order(order("https://a.test/1", 8, None, None), |o| {
        o.status = Some(OrderStatus::Planned)
    });
    planned.event.hedged = true;
    let mut placed = order("https://b.test/1", 9, None, None);
    placed.event.hedged = true;
    let mut planned_again = with_order(order("https://c.test/1", 7, None, None), |o| {
        o.status = Some(OrderStatus::Planned)
    });
    planned_again.event.hedged = true;
    let record = merge(&[placed.clone(), planned.clone(), planned_again.clone()]).unwrap();
    let EventDetails::ChipOrder(o) = &record.details else {
        panic!()
    };
    assert_eq!(
        o.status,
        Some(OrderStatus::Placed),
        "latest, though outnumbered"
    );
    assert_eq!(record.disagreements[0].0, "status");
    assert!(record.hedged);
    placed.event.hedged = false;
    assert!(!merge(&[placed, planned, planned_again]).unwrap().hedged);
}

#[test]
fn a_slot_is_inferred_only_when_no_article_states_its_value() {
    let mut a = order("https://a.test/1", 8, None, Some("H20"));
    a.event.inferred = vec!["supplier".into()];
    let mut b = order("https://b.test/1", 9, None, Some("H20"));
    b.event.inferred = vec!["supplier".into()];
    assert_eq!(
        merge(&[a.clone(), b.clone()]).unwrap().inferred,
        ["supplier"]
    );
    b.event.inferred.clear();
    assert!(merge(&[a, b]).unwrap().inferred.is_empty());
}

#[test]
fn list_slots_compare_as_sets() {
    let a = control("https://a.test/1", 8, &["H800", "A800"], None);
    let b = control("https://b.test/1", 9, &["A800", "H800"], None);
    let record = merge(&[a, b]).unwrap();
    assert!(
        record.disagreements.is_empty(),
        "{:?}",
        record.disagreements
    );
    let EventDetails::ExportControl(c) = &record.details else {
        panic!()
    };
    assert_eq!(c.products, ["A800", "H800"]);
}

#[test]
fn sites_are_hosts_without_www() {
    assert_eq!(site_of("https://www.Reuters.com/x"), "reuters.com");
    assert_eq!(site_of("http://127.0.0.2:8080/a"), "127.0.0.2");
    assert_eq!(site_of("not a url"), "not a url");
}

#[test]
fn story_records_serialise_in_contract_order() {
    let record = merge(&[order("https://a.test/1", 8, Some(10), None)]).unwrap();
    let story = Story {
        id: 3,
        record,
        revision: 1,
        updated_at: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
    };
    let json = serde_json::to_string(&story).unwrap();
    assert!(
        json.starts_with(r#"{"id":3,"kind":"chip_order","buyer":"Baidu""#),
        "{json}"
    );
    assert!(
        json.contains(
            r#""delivery":null,"disagreements":{},"first_reported":"2023-11-09T08:00:00Z""#
        ),
        "{json}"
    );
    assert!(json.ends_with(r#""hedged":false,"status":"placed","inferred":[],"revision":1,"updated_at":"2024-01-02T03:04:05Z"}"#), "{json}");
    let control = Story {
        record: merge(&[control("https://a.test/1", 8, &[], None)]).unwrap(),
        ..story
    };
    let json = serde_json::to_value(&control).unwrap();
    assert_eq!(json["status"], serde_json::Value::Null);
    assert_eq!(json["targets"], serde_json::json!(["China"]));
}

// --- Grouping ---

fn grouping(stories: &[Regrouped]) -> BTreeSet<BTreeSet<String>> {
    stories
        .iter()
        .map(|s| s.members.iter().map(|m| m.fingerprint_label()).collect())
        .collect()
}

impl Member {
    fn fingerprint_label(&self) -> String {
        format!(
            "{}#{}",
            self.event.article_url.as_deref().unwrap(),
            self.fingerprint
        )
    }
}

/// What the store does for one arriving article: keep the stories as they are for
/// events before the new one in the canonical order, and place the new one and every
/// later event again.
fn arrive(stories: Vec<Regrouped>, new: Vec<Member>) -> Vec<Regrouped> {
    let first = new.iter().map(|m| m.order_key()).min().unwrap();
    let first = (first.0, first.1.to_string(), first.2, first.3.to_string());
    let is_before = |m: &Member| {
        let k = m.order_key();
        (k.0, k.1.to_string(), k.2, k.3.to_string()) < first
    };
    let mut settled = Vec::new();
    let mut pending = new;
    for story in stories {
        let (before, after): (Vec<Member>, Vec<Member>) =
            story.members.into_iter().partition(|m| is_before(m));
        settled.push(before);
        pending.extend(after);
    }
    regroup(settled, pending)
}

/// A small deterministic generator, so the property test needs no extra crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random articles about two companies and one control authority, with vague reports,
/// figures near the 10 % line and dates near the windows.
fn random_articles(rng: &mut Rng, count: usize) -> Vec<Vec<Member>> {
    (0..count)
        .map(|i| {
            let url = format!("https://site{}.test/{i}", rng.below(4));
            let published = rng.below(120) as i64;
            let mut events = Vec::new();
            if rng.below(3) > 0 {
                let quantity =
                    [None, Some(1000), Some(1080), Some(1160), Some(5000)][rng.below(5) as usize];
                let product = [None, Some("Ascend 910B"), Some("Ascend 910C"), Some("H100")]
                    [rng.below(4) as usize];
                let mut m = order(&url, published, quantity, product);
                m.event.confidence = [0.6, 0.8, 0.9][rng.below(3) as usize];
                events.push(m);
            }
            if rng.below(2) > 0 {
                let products: &[&str] =
                    [&[][..], &["A800", "H800"], &["A100"], &["H800"]][rng.below(4) as usize];
                let effective =
                    [None, Some("2023"), Some("2023-10"), Some("2023-11")][rng.below(4) as usize];
                let mut m = control(&url, published, products, effective);
                m.event.spans = vec![Span { start: 10, end: 20 }];
                events.push(m);
            }
            events
        })
        .collect()
}

#[test]
fn any_arrival_order_gives_the_same_stories() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..60 {
        let articles = random_articles(&mut rng, 12);
        let all: Vec<Member> = articles.iter().flatten().cloned().collect();
        let expected = grouping(&regroup(Vec::new(), all));
        for trial in 0..6 {
            let mut order: Vec<usize> = (0..articles.len()).collect();
            match trial {
                0 => {}
                1 => order.reverse(),
                _ => {
                    for i in (1..order.len()).rev() {
                        order.swap(i, rng.below(i as u64 + 1) as usize);
                    }
                }
            }
            let mut stories = Vec::new();
            for &i in &order {
                if !articles[i].is_empty() {
                    stories = arrive(stories, articles[i].clone());
                }
            }
            assert_eq!(grouping(&stories), expected, "round {round}, trial {trial}");
        }
    }
}

#[test]
fn a_vague_report_joins_one_order_instead_of_chaining_two() {
    let small = order("https://a.test/1", 8, Some(1000), Some("Ascend 910B"));
    let large = order("https://b.test/1", 10, Some(5000), Some("Ascend 910B"));
    let vague = order("https://c.test/1", 12, None, Some("Ascend 910B"));
    for arrival in [
        [&small, &large, &vague],
        [&vague, &large, &small],
        [&large, &vague, &small],
    ] {
        let mut stories = Vec::new();
        for m in arrival {
            stories = arrive(stories, vec![m.clone()]);
        }
        assert_eq!(stories.len(), 2);
        // The vague report agrees equally with both (product); the earlier story wins.
        let with_vague = stories
            .iter()
            .find(|s| {
                s.members
                    .iter()
                    .any(|m| m.event.article_url.as_deref() == Some("https://c.test/1"))
            })
            .unwrap();
        assert_eq!(with_vague.members.len(), 2);
        assert!(with_vague
            .members
            .iter()
            .any(|m| m.event.article_url.as_deref() == Some("https://a.test/1")));
    }
}

#[test]
fn an_event_joins_the_story_whose_record_it_agrees_with_most() {
    // a and c cannot be one order (1000 against 1200 is 17 % apart); x fits either.
    let a = order("https://a.test/1", 8, Some(1000), None);
    let c = order("https://c.test/1", 9, Some(1200), Some("Ascend 910B"));
    let x = order("https://x.test/1", 10, Some(1100), Some("Ascend 910B"));
    assert!(compatible(&a, &x) && compatible(&c, &x) && !compatible(&a, &c));
    let stories = regroup(Vec::new(), vec![a, c, x]);
    assert_eq!(stories.len(), 2);
    let urls: BTreeSet<&str> = stories[1]
        .members
        .iter()
        .map(|m| m.event.article_url.as_deref().unwrap())
        .collect();
    // c's story names the product x names; a's story, though earlier, does not.
    assert_eq!(
        urls,
        BTreeSet::from(["https://c.test/1", "https://x.test/1"])
    );
}

#[test]
fn undated_or_keyless_events_stand_alone() {
    let mut undated = order("https://a.test/1", 8, Some(10), None);
    undated.event.published = None;
    let twin = order("https://b.test/1", 8, Some(10), None);
    let keyless = with_order(order("https://c.test/1", 8, Some(10), None), |o| {
        o.buyer = None
    });
    assert_eq!(regroup(Vec::new(), vec![undated, twin, keyless]).len(), 3);
}

#[test]
fn ids_follow_the_largest_share_of_events() {
    let mut events: Vec<Member> = (0..5)
        .map(|i| {
            let mut m = order(&format!("https://s{i}.test/"), i, None, None);
            m.event.id = Some(100 + i);
            m
        })
        .collect();
    events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let stories = vec![
        Regrouped {
            members: events[..2].to_vec(),
        },
        Regrouped {
            members: events[2..].to_vec(),
        },
        Regrouped { members: vec![] },
    ];
    // Old: story 7 held 100, 102, 103; story 8 held 101 and 104.
    let old: HashMap<i64, i64> = [(100, 7), (101, 8), (102, 7), (103, 7), (104, 8)].into();
    assert_eq!(assign_ids(&stories, &old), [Some(8), Some(7), None]);
}

// --- Alert filters ---

#[test]
fn alert_filters_check_kind_entity_confidence_sources_and_hedging() {
    let record = merge(&[
        order("https://a.test/1", 8, Some(10), Some("Ascend 910B")),
        order("https://b.test/1", 9, Some(10), Some("Ascend 910B")),
    ])
    .unwrap();
    let all = AlertFilter::default();
    assert!(all.matches(&record));
    let only = |f: AlertFilter| f.matches(&record);
    assert!(!only(AlertFilter {
        kinds: vec![EventKind::ExportControl],
        ..all.clone()
    }));
    assert!(only(AlertFilter {
        entities: vec!["ascend 910b".into()],
        ..all.clone()
    }));
    assert!(!only(AlertFilter {
        entities: vec!["Nvidia".into()],
        ..all.clone()
    }));
    assert!(!only(AlertFilter {
        min_confidence: 0.9,
        ..all.clone()
    }));
    assert!(only(AlertFilter {
        min_sources: 2,
        ..all.clone()
    }));
    assert!(!only(AlertFilter {
        min_sources: 3,
        ..all.clone()
    }));
    assert!(only(AlertFilter {
        hedged: Some(false),
        ..all.clone()
    }));
    assert!(!only(AlertFilter {
        hedged: Some(true),
        ..all
    }));
}
