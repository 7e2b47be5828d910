//! End-to-end tests of the rules stage: the seed article (the reference fixture), generic
//! phrasings, negatives, the shipped packs' own examples, pack errors and odd input.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use chrono::NaiveDate;

use super::*;
use crate::model::{
    ChipOrder, ControlAction, EventDetails, ExportControl, Money, OrderStatus, PartialDate,
};

/// A copy of `shared/fixtures/seed/` inside the crate, so the crate tests on its own.
const SEED: &str = include_str!("../../tests/fixtures/seed/baidu-huawei-ascend-2023-11-09.txt");

fn seed_text() -> String {
    SEED.to_string()
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn rules() -> RuleSet {
    RuleSet::embedded().unwrap()
}

fn order(e: &Event) -> &ChipOrder {
    match &e.details {
        EventDetails::ChipOrder(o) => o,
        other => panic!("not a chip order: {other:?}"),
    }
}

fn control(e: &Event) -> &ExportControl {
    match &e.details {
        EventDetails::ExportControl(c) => c,
        other => panic!("not an export control: {other:?}"),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn check_seed_events(text: &str, events: &[Event]) {
    assert_eq!(events.len(), 3, "{events:#?}");
    for e in events {
        for (ev, span) in e.evidence.iter().zip(&e.spans) {
            assert_eq!(&text[span.start..span.end], ev);
        }
        assert!(e.confidence > 0.0 && e.confidence <= 1.0);
        assert_eq!(e.published, day("2023-11-09"));
        assert_eq!(e.id, None);
        assert_eq!(e.article_url, None);
    }

    let o = order(&events[0]);
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
        Some(PartialDate::Day(day("2023-12-31").unwrap()))
    );
    assert_eq!(o.status, Some(OrderStatus::Placed));
    assert!(events[0].hedged);
    assert_eq!(events[0].evidence.len(), 3, "{:#?}", events[0].evidence);
    assert!(events[0].evidence[0].starts_with("Chinese tech giant Baidu"));
    assert!(events[0].evidence[0].ends_with("according to Reuters."));
    assert!(events[0].evidence[1].starts_with("Baidu reportedly ordered 1,600"));
    assert!(events[0].evidence[2].starts_with("The order is worth approximately $61.83 million"));

    let c = control(&events[1]);
    assert_eq!(c.authority.as_deref(), Some("United States"));
    assert_eq!(c.agency, None);
    assert_eq!(c.targets, strings(&["China"]));
    assert_eq!(c.companies, strings(&["Nvidia"]));
    assert_eq!(c.products, strings(&["A800", "H800"]));
    assert_eq!(c.action, Some(ControlAction::Restrict));
    assert_eq!(c.effective, Some(PartialDate::Month(2023, 10)));
    assert!(!events[1].hedged);
    assert!(events[1]
        .evidence
        .iter()
        .any(|s| s.contains("the US export ban")));
    assert!(events[1]
        .evidence
        .iter()
        .any(|s| s.contains("affecting products from Nvidia")));
    assert!(events[1]
        .evidence
        .iter()
        .any(|s| s.contains("even these alternatives")));
    assert!(events[1]
        .evidence
        .iter()
        .any(|s| s.contains("the A800 and H800 chips")));

    let c = control(&events[2]);
    assert_eq!(c.authority.as_deref(), Some("United States"));
    assert_eq!(c.agency, None);
    assert_eq!(c.targets, strings(&["China"]));
    assert_eq!(c.companies, strings(&["Nvidia"]));
    assert_eq!(c.products, strings(&["A100", "H100"]));
    assert_eq!(c.action, Some(ControlAction::Restrict));
    assert_eq!(c.effective, None);
    assert!(!events[2].hedged);
    assert_eq!(events[2].evidence.len(), 1);
    assert!(events[2].evidence[0].starts_with("In response to previous regulations"));

    for e in events {
        assert!(
            !e.evidence.iter().any(|s| s.contains("mitigate risks")),
            "{e:#?}"
        );
        assert!(
            !e.evidence.iter().any(|s| s.contains("relied on Nvidia")),
            "{e:#?}"
        );
    }
}

#[test]
fn seed_article_gives_exactly_the_three_events() {
    let r = rules();
    let text = seed_text();
    let events = r.extract_events(&text, day("2023-11-09"));
    check_seed_events(&text, &events);
    for e in &events {
        assert_eq!(e.rules_version, r.version());
    }
}

#[test]
fn seed_article_without_dateline_and_footer_gives_the_same_events() {
    let r = rules();
    let text = seed_text();
    let full = r.extract_events(&text, day("2023-11-09"));
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("Published on") && !l.starts_with("Comments are closed"))
        .collect::<Vec<_>>()
        .join("\n");
    let stripped = r.extract_events(&body, day("2023-11-09"));
    check_seed_events(&body, &stripped);
    let without_spans = |events: &[Event]| -> Vec<Event> {
        events
            .iter()
            .cloned()
            .map(|mut e| {
                e.spans.clear();
                e
            })
            .collect()
    };
    assert_eq!(without_spans(&full), without_spans(&stripped));
}

#[test]
fn seed_events_serialise_as_the_contract_says() {
    let events = rules().extract_events(&seed_text(), day("2023-11-09"));
    let json = serde_json::to_value(&events).unwrap();
    assert_eq!(json[0]["value"]["amount"], 61_830_000);
    assert_eq!(json[0]["delivery"], "2023-12-31");
    assert_eq!(json[1]["effective"], "2023-10");
    assert_eq!(json[2]["effective"], serde_json::Value::Null);
}

#[test]
fn generic_phrasings() {
    let r = rules();
    let p = day("2025-04-17");

    let e = r.extract_events(
        "Microsoft has ordered 10,000 H100 GPUs from Nvidia for $300 million.",
        p,
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(
        (
            o.buyer.as_deref(),
            o.supplier.as_deref(),
            o.product.as_deref(),
            o.quantity
        ),
        (
            Some("Microsoft"),
            Some("Nvidia"),
            Some("H100"),
            Some(10_000)
        )
    );
    assert_eq!(o.value_usd, Some(300_000_000.0));

    let e = r.extract_events("Nvidia will supply Tencent with 5,000 H20 chips.", p);
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(
        (
            o.buyer.as_deref(),
            o.supplier.as_deref(),
            o.product.as_deref(),
            o.quantity
        ),
        (Some("Tencent"), Some("Nvidia"), Some("H20"), Some(5000))
    );

    let e = r.extract_events(
        "The U.S. Commerce Department on Tuesday barred Nvidia from selling its H20 chips to China.",
        p,
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let c = control(&e[0]);
    assert_eq!(c.authority.as_deref(), Some("United States"));
    assert_eq!(c.agency.as_deref(), Some("Commerce Department"));
    assert_eq!(c.targets, strings(&["China"]));
    assert_eq!(c.products, strings(&["H20"]));
    assert_eq!(c.companies, strings(&["Nvidia"]));

    let e = r.extract_events("Beijing restricted exports of gallium and germanium.", p);
    assert_eq!(e.len(), 1, "{e:#?}");
    let c = control(&e[0]);
    assert_eq!(c.authority.as_deref(), Some("China"));
    assert_eq!(c.products, strings(&["gallium", "germanium"]));
    assert_eq!(c.action, Some(ControlAction::Restrict));
    assert!(c.targets.is_empty());
}

#[test]
fn a_negative_article_has_no_events() {
    let text =
        "Nvidia reported record quarterly revenue on Wednesday, driven by demand for its H100 \
        chips. Analysts at Morgan Stanley said the U.S. economy remains strong.\n\n\
        Huawei unveiled a new smartphone in Beijing. Baidu's shares rose 3% after it launched \
        an upgraded version of its Ernie chatbot. Companies may face risks associated with US \
        export restrictions, the report said.\n\nNvidia said demand for its chips remains strong \
        despite the export restrictions. Apple ordered its suppliers to move production out of \
        China. Nvidia sold 500,000 H100s last quarter. The deal is worth $5 million.";
    let events = rules().extract_events(text, day("2023-11-09"));
    assert!(events.is_empty(), "{events:#?}");
}

#[test]
fn shipped_packs_pass_their_own_examples() {
    let failures = rules().check_examples();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn ruleset_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RuleSet>();
}

/// A directory of packs for one test, removed when the test ends.
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("chipwatch-rules-{name}-"))
        .tempdir()
        .unwrap()
}

#[test]
fn loading_the_shipped_directory_matches_the_embedded_packs() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/rules");
    let loaded = RuleSet::load(&[dir]).unwrap();
    let embedded = rules();
    assert_eq!(loaded.version(), embedded.version());
    assert_eq!(loaded.version().len(), 12);
    let text = seed_text();
    assert_eq!(
        loaded.extract_events(&text, day("2023-11-09")),
        embedded.extract_events(&text, day("2023-11-09"))
    );
}

const MINI: &str = r#"
[[organisations]]
name = "Acme"
[[products]]
name = "X1"
vendor = "Acme"
"#;

fn load_err(file: &str, extra: &str) -> String {
    let tmp = temp_dir(file.trim_end_matches(".toml"));
    let dir = tmp.path().to_path_buf();
    std::fs::write(dir.join("a.toml"), MINI).unwrap();
    std::fs::write(dir.join(file), extra).unwrap();
    match RuleSet::load(&[dir]) {
        Ok(_) => panic!("{file} loaded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn pack_errors_name_the_file_and_the_frame() {
    let e = load_err("unknown_key.toml", "[[frames]]\nid = \"f1\"\nkind = \"chip_order\"\nverbs = [\"buy|bought\"]\ncolour = \"red\"\n");
    assert!(
        e.contains("unknown_key.toml") && e.contains("colour"),
        "{e}"
    );

    let e = load_err("bad_role.toml", "[[frames]]\nid = \"f2\"\nkind = \"chip_order\"\nverbs = [\"buy|bought\"]\nsubject = \"authority\"\n");
    assert!(
        e.contains("bad_role.toml")
            && e.contains("`f2`")
            && e.contains("not a role of a chip_order"),
        "{e}"
    );

    let e = load_err("bad_cue.toml", "[[frames]]\nid = \"f3\"\nkind = \"export_control\"\nnouns = [\"ban\"]\ncues = { to = \"buyer\" }\n");
    assert!(
        e.contains("bad_cue.toml") && e.contains("`f3`") && e.contains("cue `to`"),
        "{e}"
    );

    let e = load_err(
        "no_head.toml",
        "[[frames]]\nid = \"f4\"\nkind = \"chip_order\"\n",
    );
    assert!(e.contains("`f4`") && e.contains("head word"), "{e}");

    let e = load_err(
        "bad_verb.toml",
        "[[frames]]\nid = \"f5\"\nkind = \"chip_order\"\nverbs = [\"a|b|c|d\"]\n",
    );
    assert!(e.contains("`f5`") && e.contains("lemma|past"), "{e}");

    let e = load_err(
        "bad_filler.toml",
        "[chip_order]\nfillers = [\"{buyer:gadget}\"]\n",
    );
    assert!(e.contains("bad_filler.toml") && e.contains("gadget"), "{e}");

    let e = load_err("bad_toml.toml", "[[frames]\n");
    assert!(e.contains("bad_toml.toml"), "{e}");

    let e = load_err(
        "vendor.toml",
        "[[products]]\nname = \"Y\"\nvendor = \"Nobody\"\n",
    );
    assert!(e.contains("vendor.toml") && e.contains("Nobody"), "{e}");

    let missing = RuleSet::load(&[PathBuf::from("/nonexistent/rules.toml")])
        .unwrap_err()
        .to_string();
    assert!(missing.contains("/nonexistent/rules.toml"), "{missing}");
}

/// A pack of one buying frame, as an analyst would add it.
const ACME_FRAME: &str = r#"
[[organisations]]
name = "Zeta"
[[products]]
name = "Z9"
vendor = "Zeta"

[chip_order]
goods = ["chips"]

[[frames]]
id = "acme.buy"
kind = "chip_order"
status = "placed"
verbs = ["buy|bought"]
subject = "buyer"
object = "product"
cues = { from = "supplier" }
examples = [{ text = "Acme bought 5 X1 chips.", expect = { buyer = "Acme", quantity = 5, product = "X1" } }]
"#;

#[test]
fn a_directory_of_packs_loads_in_name_order() {
    let tmp = temp_dir("dir");
    let dir = tmp.path().to_path_buf();
    std::fs::write(dir.join("a.toml"), MINI).unwrap();
    std::fs::write(dir.join("b.toml"), ACME_FRAME).unwrap();
    std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
    let r = RuleSet::load(std::slice::from_ref(&dir)).unwrap();
    assert!(r.check_examples().is_empty(), "{:?}", r.check_examples());
    let e = r.extract_events("Acme bought 5 X1 chips.", None);
    assert_eq!(order(&e[0]).quantity, Some(5));
    // A buyer that makes the product names no other supplier; another maker's product
    // makes its maker the supplier, marked as inferred.
    assert!(e[0].inferred.is_empty());
    let e = r.extract_events("Acme bought 5 Z9 chips.", None);
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("Zeta"));
    assert_eq!(e[0].inferred, vec!["supplier".to_string()]);
    // The same packs named one by one give the same version.
    let r2 = RuleSet::load(&[dir.join("a.toml"), dir.join("b.toml")]).unwrap();
    assert_eq!(r.version(), r2.version());
}

#[test]
fn failing_examples_are_reported_by_pack_and_frame() {
    let tmp = temp_dir("failing");
    let dir = tmp.path().to_path_buf();
    std::fs::write(dir.join("a.toml"), MINI).unwrap();
    let failing = ACME_FRAME.replace(
        r#"examples = [{ text = "Acme bought 5 X1 chips.", expect = { buyer = "Acme", quantity = 5, product = "X1" } }]"#,
        r#"examples = [{ text = "Acme bought 5 X1 chips.", expect = { quantity = 6 } }, { text = "nothing here" }]
near_misses = ["Acme bought 7 X1 chips."]"#,
    );
    std::fs::write(dir.join("b.toml"), failing).unwrap();
    let failures = RuleSet::load(&[dir]).unwrap().check_examples();
    assert_eq!(failures.len(), 3, "{failures:#?}");
    assert!(failures
        .iter()
        .all(|f| f.contains("b.toml") && f.contains("acme.buy")));
}

#[test]
fn weird_input_does_not_panic() {
    let r = rules();
    let long = "Nvidia ordered chips and ".repeat(4_000) + ".";
    let inputs = [
        String::new(),
        "\u{E000}\u{E001}\u{E000}O0\u{E001} ordered \u{E000}N1\u{E001}".to_string(),
        "Baidu ordered 999999999999999999999999999999 Ascend 910B chips for $99999999999999999999999 billion.".to_string(),
        "Baidu ordered 1,600 910B chips by the end of the year.".to_string(),
        "The order is worth $5 million.".to_string(),
        "these alternatives cannot be sold to China.".to_string(),
        "é’–—“”…\u{0}\u{FEFF}".repeat(100),
        long,
        "x".repeat(100_000),
    ];
    for text in &inputs {
        for p in [
            None,
            day("2023-11-09"),
            NaiveDate::from_ymd_opt(9999, 12, 31),
            NaiveDate::from_ymd_opt(-5000, 1, 1),
        ] {
            for e in r.extract_events(text, p) {
                for (ev, span) in e.evidence.iter().zip(&e.spans) {
                    assert_eq!(&text[span.start..span.end], ev);
                }
            }
        }
    }
}
#[test]
fn anaphora_fill_the_latest_event() {
    let r = rules();
    let text = "Washington imposed new curbs on exports of H20 chips to China. \
        The rules take effect on December 1. Nvidia shares fell.";
    let e = r.extract_events(text, day("2024-11-20"));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(control(&e[0]).effective, "2024-12-01".parse().ok());
    assert_eq!(e[0].evidence.len(), 2);

    // Without an earlier order, "the deal" refers to nothing.
    let e = r.extract_events("The deal is worth $5 million.", day("2024-11-20"));
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn a_description_stands_for_the_company_introduced_with_it() {
    let r = rules();
    // The nearest subject is the seller; "the French startup" is the one introduced so.
    let text = "Nvidia will partner with startup Mistral AI on a data centre near Paris. \
        The French startup will buy 18,000 H100 chips for it.";
    let e = r.extract_events(text, day("2025-06-11"));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Mistral AI"));
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("Nvidia"));

    // The same with an apposition: "Mistral AI, a French startup".
    let text = "Nvidia met Mistral AI, a French startup, in Paris. \
        The startup will buy 18,000 H100 chips.";
    let e = r.extract_events(text, day("2025-06-11"));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Mistral AI"));
}

#[test]
fn non_ascii_digits_do_not_panic() {
    let text = "Baidu ordered ١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠.١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠ Ascend 910B chips for $٣ million on ٣ October.";
    let _ = rules().extract_events(text, day("2023-11-09"));
}

/// A small deterministic generator (no proptest dependency): strings built from pieces that
/// stress the splitter, the recognisers and the placeholders.
fn random_texts(count: usize) -> Vec<String> {
    const PIECES: &[&str] = &[
        "Baidu",
        " ordered ",
        "1,600",
        " Huawei ",
        "910B Ascend",
        " chips",
        ". ",
        "U.S.",
        " Dec. 31",
        " $61.83 million",
        " the US export ban",
        " to China",
        " these alternatives",
        " cannot be sold",
        "’",
        "–",
        "\u{E000}",
        "\u{E001}",
        "O1",
        "\n\n",
        "\n",
        "é",
        "日本",
        "?",
        "!",
        "\"",
        " in October",
        " by the end of the year",
        " 99999999999999999999",
        ".",
        " ",
        "Nvidia’s A800 and H800",
        " worth about",
        " The order is worth",
        " within 30 days",
        " Q3 2024",
        " on Tuesday",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let len = (next() % 40) as usize;
            (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect()
        })
        .collect()
}

#[test]
fn random_text_never_panics_and_spans_round_trip() {
    let r = rules();
    for text in random_texts(400) {
        for s in crate::text::split_sentences(&text) {
            assert_eq!(&text[s.span.start..s.span.end], s.text);
        }
        for e in r.extract_events(&text, day("2023-11-09")) {
            assert!(e.confidence > 0.0 && e.confidence <= 1.0);
            for (ev, span) in e.evidence.iter().zip(&e.spans) {
                assert_eq!(&text[span.start..span.end], ev);
            }
        }
    }
}

#[test]
fn a_list_of_targets_goes_on_past_an_aside() {
    let r = rules();
    let text =
        "Washington imposed a licence requirement on exports to Iran (including Kish Island) \
        and Belarus of upcoming MI400 and existing MI300X accelerators.";
    let e = r.extract_events(text, day("2025-03-02"));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(control(&e[0]).targets, strings(&["Iran", "Belarus"]));
    assert_eq!(control(&e[0]).products.len(), 2, "{e:#?}");

    // A country narrowed by "including" shares the cue of the one it narrows.
    let text = "Washington imposed a licence requirement on exports to China (including Macau).";
    let e = r.extract_events(text, day("2025-03-02"));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(control(&e[0]).targets, strings(&["China", "Macau"]));
}

#[test]
fn goods_destined_for_a_country_make_it_the_target() {
    let r = rules();
    let text = "The Commerce Department's new licence requirement for accelerators destined for \
        Belarus takes effect on Monday.";
    let e = r.extract_events(text, day("2025-03-02"));
    assert!(
        e.iter()
            .any(|e| control(e).targets == strings(&["Belarus"])),
        "{e:#?}"
    );
}

#[test]
fn a_date_on_the_verb_that_imposes_a_control_is_when_it_took_effect() {
    let r = rules();
    let effective = |text: &str| {
        let e = r.extract_events(text, day("2024-12-04"));
        assert_eq!(e.len(), 1, "{text}: {e:#?}");
        control(&e[0]).effective.map(|d| d.to_string())
    };
    assert_eq!(
        effective("On December 2, Washington imposed curbs on exports of HBM to China.").as_deref(),
        Some("2024-12-02")
    );
    assert_eq!(
        effective(
            "The Commerce Department on December 2 added 140 Chinese firms to the Entity List."
        )
        .as_deref(),
        Some("2024-12-02")
    );
    // Announcing is not putting in force; and a stated effective date wins.
    assert_eq!(
        effective("On December 2, Washington announced curbs on exports of HBM to China."),
        None
    );
    assert_eq!(
        effective(
            "On December 2, Washington imposed curbs on exports of HBM to China. \
             The curbs take effect on January 15."
        )
        .as_deref(),
        Some("2025-01-15")
    );
}

#[test]
fn delivery_is_read_past_what_is_delivered_and_how() {
    let r = rules();
    for (follow_up, delivery) in [
        ("Deliveries of the accelerators start in late 2025.", "2025"),
        (
            "The accelerators will be installed in stages through 2026.",
            "2026",
        ),
        (
            "Shipment of these GPUs is due to begin in March.",
            "2025-03",
        ),
    ] {
        let text = format!("Baidu ordered 1,600 Ascend 910B chips from Huawei. {follow_up}");
        let e = r.extract_events(&text, day("2024-12-01"));
        assert_eq!(e.len(), 1, "{text}: {e:#?}");
        let got = order(&e[0]).delivery.map(|d| d.to_string());
        assert_eq!(got.as_deref(), Some(delivery), "{text}");
    }
}

#[test]
fn an_adverb_in_ly_does_not_hide_the_subject() {
    let r = rules();
    let text = "Several cloud firms, including Tencent and Baidu, are quietly stockpiling \
        HBM3 chips from SK Hynix.";
    let e = r.extract_events(text, day("2025-02-01"));
    let buyers: Vec<_> = e.iter().filter_map(|e| order(e).buyer.as_deref()).collect();
    assert_eq!(buyers, ["Tencent", "Baidu"], "{e:#?}");
}

#[test]
fn several_sellers_make_one_order_each_and_buyers_do_not_sell_to_each_other() {
    let r = rules();
    let text = "Nvidia bought 300,000 HBM3E stacks from SK Hynix and Micron.";
    let e = r.extract_events(text, day("2024-05-01"));
    let sellers: Vec<_> = e
        .iter()
        .filter_map(|e| order(e).supplier.as_deref())
        .collect();
    assert_eq!(sellers, ["SK Hynix", "Micron"], "{e:#?}");
    // The shared figure is their total, not each one's.
    assert!(e.iter().all(|e| order(e).quantity.is_none()), "{e:#?}");

    // Two buyers and a product whose maker is named elsewhere in the sentence: neither
    // buyer is the other's seller.
    let text = "Hyundai and Samsung will buy 50,000 GPUs each.";
    let e = r.extract_events(text, day("2025-10-31"));
    assert_eq!(e.len(), 2, "{e:#?}");
    for e in &e {
        let o = order(e);
        assert!(
            !matches!(o.supplier.as_deref(), Some("SK Hynix" | "Samsung")),
            "{e:#?}"
        );
    }
}

#[test]
fn the_us_without_its_last_period_is_still_the_us() {
    let e = rules().extract_events(
        "The U.S imposed curbs on exports of HBM chips to China.",
        day("2024-12-03"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(control(&e[0]).authority.as_deref(), Some("United States"));
}

#[test]
fn a_noun_that_is_also_a_trigger_verb_reads_as_a_noun() {
    let r = rules();
    // A plural opening its clause before an auxiliary is a noun, not "permits" granting.
    let e = r.extract_events(
        "Permits will now be needed for shipments of AI chips to Iran, the Malaysian trade \
         ministry said.",
        day("2025-07-14"),
    );
    assert!(!e.is_empty(), "{e:#?}");
    assert!(
        e.iter()
            .all(|e| control(e).action == Some(ControlAction::Restrict)),
        "{e:#?}"
    );
    // "the Nvidia order" is a noun: Micron is no buyer.
    let e = r.extract_events(
        "Micron has won the Nvidia order for HBM3E stacks.",
        day("2025-07-14"),
    );
    assert!(
        e.iter()
            .all(|e| order(e).buyer.as_deref() != Some("Micron")),
        "{e:#?}"
    );
}

#[test]
fn one_deal_read_by_two_frames_is_one_order() {
    let e = rules().extract_events(
        "SK Hynix signed a $4 billion deal with Nvidia to supply HBM4 stacks for use in its \
         Rubin accelerators.",
        day("2025-06-01"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(
        (o.buyer.as_deref(), o.supplier.as_deref()),
        (Some("Nvidia"), Some("SK Hynix"))
    );
}

#[test]
fn a_plural_description_stands_for_the_companies_named_together_before() {
    let r = rules();
    let text = "Kakao, Naver and LG have been racing to secure accelerators. The three \
        companies have ordered 30,000 H200 chips from Nvidia, worth $900 million.";
    let e = r.extract_events(text, day("2025-03-01"));
    let buyers: Vec<_> = e.iter().filter_map(|e| order(e).buyer.as_deref()).collect();
    assert_eq!(buyers, ["Kakao", "Naver", "LG Electronics"], "{e:#?}");
    // The quantity and the value are the three orders' total, not each one's.
    for e in &e {
        let o = order(e);
        assert_eq!((o.quantity, o.value_usd), (None, None), "{e:#?}");
        assert_eq!(o.product.as_deref(), Some("H200"));
    }
}

#[test]
fn where_listed_entities_are_is_what_the_control_targets() {
    let r = rules();
    let e = r.extract_events(
        "The Commerce Department added 40 entities from Belarus, Iran and Pakistan to the Entity List.",
        day("2025-03-25"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(
        control(&e[0]).targets,
        strings(&["Belarus", "Iran", "Pakistan"])
    );
}

#[test]
fn the_government_that_acts_is_found_behind_a_pronoun_a_subordinator_and_a_list() {
    let r = rules();
    let authority = |text: &str| {
        let e = r.extract_events(text, day("2025-07-15"));
        let controls: Vec<_> = e
            .iter()
            .filter(|e| e.kind() == EventKind::ExportControl)
            .collect();
        assert_eq!(controls.len(), 1, "{text}: {e:#?}");
        control(controls[0]).authority.clone()
    };
    // "it" after the government that says so.
    assert_eq!(
        authority("Japan confirmed on Friday it will restrict exports of photoresists to Korea.")
            .as_deref(),
        Some("Japan")
    );
    // A subordinator, and a list of companies after the verb.
    assert_eq!(
        authority(
            "Tencent ordered more H20 chips as Washington allows Nvidia and AMD to resume \
             sales to China."
        )
        .as_deref(),
        Some("United States")
    );
    // "it" that is a company is no government.
    let e = r.extract_events(
        "Nvidia announced on Tuesday it will resume sales of its H20 chips to China.",
        day("2025-07-15"),
    );
    assert!(
        e.iter().all(|e| e.kind() != EventKind::ExportControl
            || control(e).authority.as_deref() != Some("China")),
        "{e:#?}"
    );
}

#[test]
fn a_licence_one_is_required_to_get_is_a_restriction() {
    let e = rules().extract_events(
        "Tokyo will require exporters to obtain a licence before shipping EUV tools to China.",
        day("2023-05-23"),
    );
    assert!(!e.is_empty(), "{e:#?}");
    assert!(
        e.iter()
            .all(|e| control(e).action == Some(ControlAction::Restrict)),
        "{e:#?}"
    );
}

#[test]
fn an_intended_installation_is_a_planned_order() {
    let e = rules().extract_events(
        "Sakura Internet plans to install 2,000 Nvidia H200 GPUs at its Hokkaido campus.",
        day("2024-04-19"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(o.buyer.as_deref(), Some("Sakura Internet"));
    assert_eq!(o.status, Some(OrderStatus::Planned));
    // Used to do something else, it is no order.
    let e = rules().extract_events(
        "Researchers plan to use Nvidia's H100 GPUs to train the model.",
        day("2024-04-19"),
    );
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn a_country_named_only_as_where_a_target_is_from_is_no_target() {
    let targets = |text: &str| {
        let e = rules().extract_events(text, day("2024-05-08"));
        assert_eq!(e.len(), 1, "{text}: {e:#?}");
        control(&e[0]).targets.clone()
    };
    assert_eq!(
        targets("Washington blacklisted China's state-backed memory maker YMTC last week."),
        ["YMTC"]
    );
    assert_eq!(
        targets("The Commerce Department added Chinese chipmaker SMIC to the Entity List."),
        ["SMIC"]
    );
    // Unnamed firms of a country, or a country listed beside a name, stay targets.
    assert_eq!(
        targets("The US added Chinese firms including SMIC to the Entity List."),
        ["China", "SMIC"]
    );
    assert_eq!(
        targets("The US restricted chip exports to Russia and Huawei."),
        ["Russia", "Huawei"]
    );
}

#[test]
fn a_country_a_control_is_put_on_is_its_target() {
    let targets = |text: &str| {
        let e = rules().extract_events(text, day("2024-12-03"));
        e.iter()
            .map(|e| control(e).targets.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        targets("Tokyo imposed fresh export controls on North Korea on Tuesday."),
        [["North Korea"]]
    );
    assert_eq!(
        targets("Washington moved to cut off Russia's access to advanced chips."),
        [["Russia"]]
    );
    // A country that only says where the goods come from, or a purpose, is not.
    assert!(targets("The US tightened its rules on American chips.")
        .iter()
        .all(|t| t.is_empty()));
    assert!(targets("The agency will act to prevent Russia from advancing.").is_empty());
    // A country's industry named as what the curbs are on.
    assert_eq!(
        targets("Tokyo slaps new export curbs on Russia chip sector"),
        [["Russia"]]
    );
}

#[test]
fn a_verb_form_compounded_with_a_deal_noun_does_not_hide_its_governor() {
    let e = rules().extract_events(
        "Apple awarded the packaging contract for its A17 Pro chips to Samsung Foundry.",
        day("2024-08-01"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(o.buyer.as_deref(), Some("Apple"));
    assert_eq!(o.product.as_deref(), Some("A17 Pro"));
    // A company's foundry business is the company.
    assert_eq!(o.supplier.as_deref(), Some("Samsung"));
}

#[test]
fn a_letter_of_intent_with_two_sellers_plans_one_order_with_each() {
    let e = rules().extract_events(
        "Anthropic has signed letters of intent with Micron and SK Hynix to supply \
         unpackaged HBM stacks for its sprawling \"Rainier\" compute project.",
        day("2025-10-20"),
    );
    let mut pairs: Vec<_> = e
        .iter()
        .map(|e| {
            let o = order(e);
            (
                o.buyer.clone(),
                o.supplier.clone(),
                o.product.clone(),
                o.status,
            )
        })
        .collect();
    pairs.sort_by(|a, b| a.1.cmp(&b.1));
    let planned = |s: &str| {
        (
            Some("Anthropic".to_string()),
            Some(s.to_string()),
            Some("HBM".to_string()),
            Some(OrderStatus::Planned),
        )
    };
    assert_eq!(pairs, [planned("Micron"), planned("SK Hynix")], "{e:#?}");
}

#[test]
fn names_added_to_an_export_control_list_are_its_targets() {
    let e = rules().extract_events(
        "Japan added China's CXMT and YMTC to its export control list on Friday.",
        day("2025-01-10"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let c = control(&e[0]);
    assert_eq!(c.targets, ["CXMT", "YMTC"]);
    assert!(c.companies.is_empty(), "{c:#?}");
}

#[test]
fn a_partner_named_with_makes_what_the_subject_owns() {
    let e = rules().extract_events(
        "Apple has teamed up with Intel Foundry to manufacture its A17 Pro chips.",
        day("2025-08-20"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(o.buyer.as_deref(), Some("Apple"));
    assert_eq!(o.supplier.as_deref(), Some("Intel"));
}

#[test]
fn described_buyers_ordering_a_model_in_stated_numbers_make_an_order() {
    let e = rules().extract_events(
        "Japanese cloud operators have placed orders for 40,000 MI355X accelerators.",
        day("2025-09-01"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(o.buyer, None);
    assert_eq!(o.supplier.as_deref(), Some("AMD"));
    assert_eq!(o.quantity, Some(40_000));
    // A seller's sales to them, or buyers with no figure, are no order.
    for text in [
        "AMD sold 40,000 MI355X accelerators to Japanese cloud operators last year.",
        "Japanese cloud operators have placed orders for MI355X accelerators.",
    ] {
        let e = rules().extract_events(text, day("2025-09-01"));
        assert!(e.is_empty(), "{text}: {e:#?}");
    }
}

#[test]
fn a_name_given_as_an_example_of_listed_parties_is_a_target() {
    let e = rules().extract_events(
        "Tokyo blacklisted 12 Chinese firms, including memory maker CXMT.",
        day("2024-03-01"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let c = control(&e[0]);
    assert_eq!(c.targets, ["China", "CXMT"], "{c:#?}");
}

#[test]
fn an_order_noun_with_a_value_and_a_maker_as_seller_is_an_order() {
    let e = rules().extract_events(
        "Tokyo Electron received a $300 million order from Micron.",
        day("2024-06-01"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(o.buyer.as_deref(), Some("Micron"));
    assert_eq!(o.supplier.as_deref(), Some("Tokyo Electron"));
    // A value alone, with a seller that makes nothing, says nothing of goods.
    let e = rules().extract_events(
        "Goldman Sachs received a $300 million order from Micron.",
        day("2024-06-01"),
    );
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn a_systems_maker_selling_servers_with_someone_elses_chips_is_the_seller() {
    let e = rules().extract_events(
        "Quanta will supply Nvidia GB300 racks to Microsoft next year.",
        day("2025-03-01"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(o.buyer.as_deref(), Some("Microsoft"));
    assert_eq!(o.supplier.as_deref(), Some("Quanta"));
    assert_eq!(o.product.as_deref(), Some("GB300"));
}

#[test]
fn a_ban_read_from_a_negation_needs_the_negation_on_its_verb() {
    let found = |text: &str| rules().extract_events(text, day("2025-05-01")).len();
    assert_eq!(found("Micron can no longer ship HBM chips to China."), 1);
    assert_eq!(found("Micron won't be able to ship HBM chips to China."), 1);
    assert_eq!(found("Micron can't ship HBM chips to China."), 1);
    // A negation on another verb states no ban.
    assert_eq!(
        found("Micron does not expect to ship HBM chips to China this quarter."),
        0
    );
    assert_eq!(found("Micron has no plans to ship HBM chips to China."), 0);
}

#[test]
fn a_control_naming_chip_models_lists_the_models_not_the_class() {
    let e = rules().extract_events(
        "Washington banned exports of H20 chips and other advanced AI chips to China.",
        day("2025-04-16"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(control(&e[0]).products, ["H20"]);
    // With no model named, the class is what is controlled.
    let e = rules().extract_events(
        "Washington banned exports of advanced AI chips to China.",
        day("2025-04-16"),
    );
    assert_eq!(control(&e[0]).products, ["advanced computing chips"]);
}

#[test]
fn a_new_measure_named_by_a_noun_with_its_government_and_scope_is_an_event() {
    let e = rules().extract_events(
        "Biren cut a third of its staff after sweeping new U.S. restrictions on selling \
         chips to China.",
        day("2022-10-27"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(control(&e[0]).targets, ["China"]);
    // Without "new" it stays background that only completes a stated control.
    let e = rules().extract_events(
        "Biren cut a third of its staff amid U.S. restrictions on selling chips to China.",
        day("2022-10-27"),
    );
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn a_governing_verb_is_not_looked_for_across_two_prepositions() {
    let e = rules().extract_events(
        "TSMC suspended its work in response to new U.S. restrictions on chip sales to China.",
        day("2022-10-27"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(control(&e[0]).action, Some(ControlAction::Restrict));
}

#[test]
fn a_company_written_with_its_first_word_in_capitals_is_still_known() {
    let e = rules().extract_events(
        "HUMAIN will buy 18,000 GB300 chips from NVIDIA.",
        day("2025-05-13"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Humain"));
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("Nvidia"));
}

#[test]
fn customers_listed_as_examples_are_buyers_of_the_product_named_before() {
    let e = rules().extract_events(
        "ASML shipped its first EXE:5200 scanner to Intel this spring. Each such machine \
         costs about $400 million. The company already has orders for dozens of such \
         scanners, with customers including Rapidus, Kioxia and Micron.",
        day("2025-06-01"),
    );
    let buyers: Vec<_> = e.iter().filter_map(|e| order(e).buyer.clone()).collect();
    assert_eq!(buyers, ["Intel", "Rapidus", "Kioxia", "Micron"], "{e:#?}");
    assert!(e
        .iter()
        .all(|e| order(e).product.as_deref() == Some("EXE:5200")
            && order(e).supplier.as_deref() == Some("ASML")));
}

#[test]
fn an_aside_about_the_subject_names_no_party() {
    let e = rules().extract_events(
        "Humain, which is backed by the Public Investment Fund, will purchase 18,000 of \
         Nvidia's GB300 chips.",
        day("2025-05-13"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Humain"));
}

#[test]
fn the_name_on_an_order_a_seller_wins_is_the_buyer() {
    let e = rules().extract_events("SK Hynix wins Nvidia HBM4 order.", day("2025-03-01"));
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(o.buyer.as_deref(), Some("Nvidia"));
    assert_eq!(o.supplier.as_deref(), Some("SK Hynix"));
}

#[test]
fn a_carmaker_described_after_its_name_is_that_company() {
    let e = rules().extract_events(
        "Tesla is spending heavily on AI hardware. The electric carmaker has bought 35,000 \
         H100 GPUs from Nvidia.",
        day("2024-04-24"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Tesla"));
}

#[test]
fn the_entity_list_named_alone_is_the_us_one() {
    let e = rules().extract_events(
        "YMTC was added to the Entity List in December 2022.",
        day("2023-01-10"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(control(&e[0]).authority.as_deref(), Some("United States"));
    // Another government's list stays that government's.
    let e = rules().extract_events(
        "Beijing put Skydio on its Unreliable Entity List.",
        day("2023-01-10"),
    );
    assert!(
        e.iter()
            .all(|e| control(e).authority.as_deref() != Some("United States")),
        "{e:#?}"
    );
}

#[test]
fn who_chose_the_seller_buys_and_a_company_supplied_is_the_buyer() {
    let e = rules().extract_events(
        "Oracle tapped AMD to supply 50,000 MI450 chips for its cloud.",
        day("2025-10-14"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Oracle"));
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("AMD"));
    let e = rules().extract_events(
        "G42 will be supplied with 4,000 CS-3 systems by Cerebras.",
        day("2025-10-14"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("G42"));
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("Cerebras"));
}

#[test]
fn a_participle_after_a_comma_shares_the_first_clause_subject() {
    let e = rules().extract_events(
        "Meta picked AMD's MI300X accelerators for its new cluster, buying 60,000 units.",
        day("2024-05-01"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Meta"));
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("AMD"));
}

#[test]
fn sides_a_verb_states_are_not_swapped_by_usual_tiers() {
    // A memory maker usually sells to a chip designer; here it is the stated buyer.
    let e = rules().extract_events(
        "SK Hynix will deploy 20,000 Nvidia GPUs in a new AI data centre.",
        day("2025-11-01"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("SK Hynix"));
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("Nvidia"));
    let e = rules().extract_events(
        "Nvidia said it will ship its Blackwell GPUs to Samsung and Hyundai Motor.",
        day("2025-11-01"),
    );
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(
        e.iter()
            .all(|e| order(e).supplier.as_deref() == Some("Nvidia")),
        "{e:#?}"
    );
    // A possessor of named memory is whose it is: the memory maker still supplies.
    let e = rules().extract_events(
        "SK Hynix secured Nvidia's HBM4 supply for next year.",
        day("2025-11-01"),
    );
    assert!(
        e.iter()
            .all(|e| order(e).supplier.as_deref() != Some("Nvidia")),
        "{e:#?}"
    );
}

#[test]
fn the_one_chosen_to_make_the_goods_supplies_them() {
    // "picked" is also a known verb ("picked up"), so the chosen firm is its object.
    let e = rules().extract_events(
        "Qualcomm picked TSMC to manufacture its Snapdragon 8 Gen 2.",
        day("2022-11-01"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Qualcomm"));
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("TSMC"));
}

#[test]
fn a_description_after_a_control_verb_stands_for_its_target() {
    let e = rules().extract_events(
        "Huawei sells phones and network gear. The US added the company to the Entity List \
         in May 2019.",
        day("2021-01-18"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(control(&e[0]).targets, ["Huawei"]);
    // Where the listed entities are, after an adverb of extent.
    let e = rules().extract_events(
        "BIS is adding 27 technology companies to the Entity List, mostly in China.",
        day("2025-01-16"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(control(&e[0]).targets, ["China"]);
}

#[test]
fn a_participle_between_determiner_and_noun_states_no_action() {
    let e = rules().extract_events(
        "The Bureau of Industry and Security added 27 entities to the Entity List for \
         illegally selling technology to China, North Korea and other sanctioned countries.",
        day("2021-11-26"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(control(&e[0]).authority.as_deref(), Some("United States"));
}

#[test]
fn a_relative_that_after_a_noun_names_no_authority() {
    let e = rules().extract_events(
        "Washington targeted Beijing with two rounds of sanctions in October 2022 and \
         October 2023 that specifically limited the AI chips US firms could sell.",
        day("2025-04-16"),
    );
    assert!(
        e.iter()
            .all(|e| control(e).authority.as_deref() != Some("China")),
        "{e:#?}"
    );
}

#[test]
fn a_reason_phrase_ends_the_clause_and_a_hyphenated_descriptor_is_no_buyer() {
    let e = rules().extract_events(
        "Tencent, Alibaba and TikTok-parent ByteDance had been ramping up orders for H20 \
         chips due to booming demand for AI models from startup DeepSeek.",
        day("2025-04-15"),
    );
    let buyers: Vec<_> = e.iter().filter_map(|e| order(e).buyer.as_deref()).collect();
    assert_eq!(buyers, ["Tencent", "Alibaba", "ByteDance"], "{e:#?}");
    assert!(
        e.iter()
            .all(|e| order(e).supplier.as_deref() == Some("Nvidia")),
        "{e:#?}"
    );
}

#[test]
fn the_body_says_better_than_the_headline_whether_an_order_is_placed() {
    let e = rules().extract_events(
        "AMD wins major Alibaba MI308 chip order\nAMD shares rose after reports said Alibaba \
         plans to buy about 40,000 MI308 accelerators.",
        day("2025-12-29"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Alibaba"));
    assert_eq!(order(&e[0]).status, Some(OrderStatus::Planned));
}

#[test]
fn a_seller_urged_to_deliver_supplies_and_data_centre_power_is_no_order_size() {
    let e = rules().extract_events(
        "Samsung Electronics is urging ASML executives to deliver as soon as possible the \
         EUV lithography machines ordered by Samsung this year.",
        day("2020-10-20"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Samsung"));
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("ASML"));
    let e = rules().extract_events(
        "Humain has inked a deal with AMD for 500 MW of data center capacity.",
        day("2025-05-14"),
    );
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn they_stands_for_the_names_given_together_and_it_for_a_subject() {
    let e = rules().extract_events(
        "Alibaba and ByteDance told Nvidia that they were interested in ordering over \
         200,000 units each of the H200.",
        day("2026-01-10"),
    );
    let buyers: Vec<_> = e.iter().filter_map(|e| order(e).buyer.as_deref()).collect();
    assert_eq!(buyers, ["Alibaba", "ByteDance"], "{e:#?}");
    assert!(
        e.iter()
            .all(|e| order(e).status == Some(OrderStatus::Planned)),
        "{e:#?}"
    );
    let e = rules().extract_events(
        "SK Telecom is working with Nvidia on AI-RAN; it intends to buy more than 2,000 \
         Blackwell GPUs.",
        day("2025-11-04"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("SK Telecom"));
}

#[test]
fn controls_dated_years_apart_are_separate_measures_and_keep_their_own_targets() {
    let e = rules().extract_events(
        "In 2010, China halted exports of rare earths to Japan. In April 2025, China \
         expanded export controls to seven heavy rare earths.",
        day("2025-10-15"),
    );
    assert_eq!(e.len(), 2, "{e:#?}");
    assert_eq!(control(&e[0]).targets, ["Japan"]);
    assert!(control(&e[1]).targets.is_empty(), "{e:#?}");
}

#[test]
fn a_headline_rounds_the_body_figure_of_the_same_order() {
    let e = rules().extract_events(
        "Nvidia Secures $14 Billion AI Chip Order from ByteDance\nByteDance has finalized a \
         $14.3 billion order for AI chips from Nvidia.",
        day("2026-01-26"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).value_usd, Some(14_300_000_000.0));
}

#[test]
fn a_seller_winning_an_order_from_a_chip_designer_is_still_the_seller() {
    let e = rules().extract_events(
        "Foxconn won an order from Nvidia for GB200 servers.",
        day("2025-03-01"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Nvidia"));
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("Foxconn"));
    let e = rules().extract_events(
        "Nvidia will supply 260,000 GPUs to South Korea's government and companies.",
        day("2025-10-31"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("South Korea"));
}

#[test]
fn sellers_after_an_apposition_and_a_country_possessor_each_supply() {
    let e = rules().extract_events(
        "Micron has placed a large order for TC bonders, the key equipment for HBM \
         production, from Hanmi Semiconductor and Japan's Shinkawa.",
        day("2025-04-14"),
    );
    let sellers: Vec<_> = e
        .iter()
        .filter_map(|e| order(e).supplier.as_deref())
        .collect();
    assert_eq!(sellers, ["Hanmi Semiconductor", "Shinkawa"], "{e:#?}");
    assert!(
        e.iter()
            .all(|e| order(e).product.as_deref() == Some("TC bonder")),
        "{e:#?}"
    );
}

#[test]
fn an_order_naming_no_seller_takes_the_one_the_article_names_for_its_buyer() {
    let e = rules().extract_events(
        "AMD will acquire about $2.1 billion of silicon wafers from GlobalFoundries. AMD had \
         agreed to buy $1.6 billion worth of chips in May.",
        day("2021-12-23"),
    );
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(
        e.iter()
            .all(|e| order(e).supplier.as_deref() == Some("GlobalFoundries")),
        "{e:#?}"
    );
}

#[test]
fn the_list_named_before_gathers_the_parties_added_to_it_later() {
    let e = rules().extract_events(
        "The Commerce Department added 12 Chinese entities to the Entity List on Tuesday. \
         Two of them, Sugon and Inspur, were placed on the list for supplying Huawei.",
        day("2025-03-26"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let targets = &control(&e[0]).targets;
    for t in ["China", "Sugon", "Inspur"] {
        assert!(targets.iter().any(|x| x == t), "{t} missing: {targets:?}");
    }
    // The reason clause ("for supplying Huawei") names no listed party.
    assert!(!targets.iter().any(|x| x == "Huawei"), "{targets:?}");
    // With no list named, "the list" is some other list.
    let e = rules().extract_events(
        "Nvidia was added to the list of the world's most valuable chip companies.",
        day("2025-03-26"),
    );
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn a_registered_name_keeps_its_place_in_brackets() {
    let e = rules().extract_events(
        "GMC Semiconductor Technology (Wuxi) Co and Jicun Semiconductor Technology were \
         placed on the Entity List.",
        day("2025-09-13"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let targets = &control(&e[0]).targets;
    assert!(
        targets.iter().any(|x| x == "GMC Semiconductor"),
        "{targets:?}"
    );
    assert!(
        targets.iter().any(|x| x == "Jicun Semiconductor"),
        "{targets:?}"
    );
    // "(Wuxi)" is part of the name, not a target of its own.
    assert_eq!(targets.len(), 2, "{targets:?}");
}

#[test]
fn where_listed_entities_are_heads_the_list_of_targets() {
    let e = rules().extract_events(
        "Other entities in China, Singapore and Taiwan were added to the Entity List.",
        day("2025-09-13"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let mut targets = control(&e[0]).targets.clone();
    targets.sort();
    assert_eq!(targets, ["China", "Singapore", "Taiwan"]);
}

#[test]
fn a_gloss_in_brackets_does_not_hide_the_verb_governing_an_order_noun() {
    let e = rules().extract_events(
        "Hanwha Semitech signed a TC bonder (thermal compression bonding equipment) supply \
         contract with SK Hynix worth 21 billion won.",
        day("2025-03-21"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(o.buyer.as_deref(), Some("SK Hynix"));
    assert_eq!(o.supplier.as_deref(), Some("Hanwha Semitech"));
}

#[test]
fn a_product_naming_a_production_line_is_not_the_goods() {
    let e = rules().extract_events(
        "The bonders will be supplied to SK Hynix HBM lines.",
        day("2025-03-21"),
    );
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn a_gerund_after_a_product_is_a_compound_and_a_series_number_no_count() {
    // "a core HBM manufacturing tool" is no verb whose subject cuts the supply short.
    let e = rules().extract_events(
        "Hanmi Semiconductor will supply SK Hynix with the TC bonder, a core HBM \
         manufacturing tool.",
        day("2024-03-01"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("SK Hynix"));
    assert_eq!(
        order(&e[0]).supplier.as_deref(),
        Some("Hanmi Semiconductor")
    );
    let e = rules().extract_events(
        "Samsung will make RTX 3000 series graphics cards for Nvidia.",
        day("2020-09-01"),
    );
    // With no product and no count, there is no order to report.
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn a_designer_using_a_foundry_process_for_named_chips_orders_them() {
    for text in [
        "AMD chose TSMC's 2-nanometer process for its EPYC Venice chips.",
        "Intel will use the 3nm process of TSMC for Lunar Lake.",
    ] {
        let e = rules().extract_events(text, day("2025-04-15"));
        assert_eq!(e.len(), 1, "{text}: {e:#?}");
        assert_eq!(order(&e[0]).supplier.as_deref(), Some("TSMC"), "{text}");
    }
    // A process alone, with no chips named for it, is no order.
    let e = rules().extract_events("AMD chose TSMC's 2-nanometer process.", day("2025-04-15"));
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn a_governor_in_the_passive_after_an_order_noun_gives_its_roles() {
    let e = rules().extract_events(
        "An order for 10,000 H100 GPUs was placed with Nvidia by Meta.",
        day("2024-01-10"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Meta"));
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("Nvidia"));
    let e = rules().extract_events(
        "The order for 5,000 H20 chips from Nvidia was cancelled by Baidu.",
        day("2025-04-20"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).buyer.as_deref(), Some("Baidu"));
    assert_eq!(order(&e[0]).status, Some(OrderStatus::Cancelled));
}

#[test]
fn unknown_names_read_as_models_before_chip_nouns_and_as_buyers_beside_known_ones() {
    let e = rules().extract_events(
        "Samsung previously supplied Exynos processors to Audi and Volkswagen.",
        day("2022-01-10"),
    );
    let mut buyers: Vec<&str> = e.iter().filter_map(|e| order(e).buyer.as_deref()).collect();
    buyers.sort_unstable();
    assert_eq!(buyers, ["Audi", "Volkswagen"], "{e:#?}");
    assert!(
        e.iter()
            .all(|e| order(e).product.as_deref() == Some("Exynos")),
        "{e:#?}"
    );
    // Alone, a name the gazetteer lacks is no party.
    let e = rules().extract_events(
        "Samsung supplied 5,000 HBM3E chips to Zorblax last year.",
        day("2022-01-10"),
    );
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn a_description_before_a_name_does_not_end_a_list_of_buyers() {
    let e = rules().extract_events(
        "Besi received orders for its hybrid bonders from memory maker Micron and back-end \
         subcontractors Amkor and ASE.",
        day("2024-02-22"),
    );
    let mut buyers: Vec<&str> = e.iter().filter_map(|e| order(e).buyer.as_deref()).collect();
    buyers.sort_unstable();
    assert_eq!(buyers, ["ASE", "Amkor", "Micron"], "{e:#?}");
}

#[test]
fn the_seller_after_from_sells_and_the_maker_on_the_goods_does_not() {
    let e = rules().extract_events(
        "IREN said it had agreed to buy Nvidia GB300 systems from Dell Technologies for \
         about $5.8 billion.",
        day("2025-11-03"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("Dell"));
    // With no seller stated, the maker still supplies.
    let e = rules().extract_events(
        "IREN agreed to buy Nvidia GB300 systems for about $5.8 billion.",
        day("2025-11-03"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(order(&e[0]).supplier.as_deref(), Some("Nvidia"));
}

#[test]
fn what_a_system_is_made_of_is_the_goods_of_its_order() {
    let e = rules().extract_events(
        "AIST has selected Hewlett Packard Enterprise to build ABCI 3.0, a supercomputer \
         with 6,128 Nvidia H200 GPUs.",
        day("2024-07-10"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let o = order(&e[0]);
    assert_eq!(o.supplier.as_deref(), Some("Hewlett Packard Enterprise"));
    assert_eq!(o.product.as_deref(), Some("H200"));
    assert_eq!(o.quantity, Some(6128));
    let e = rules().extract_events(
        "KDDI has selected Hewlett Packard Enterprise to supply rack-scale systems featuring \
         Nvidia GB200 NVL72 for its new AI data centre.",
        day("2025-07-08"),
    );
    // Nvidia made the chips inside; HPE sells the systems.
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(
        order(&e[0]).supplier.as_deref(),
        Some("Hewlett Packard Enterprise")
    );
    assert_eq!(order(&e[0]).product.as_deref(), Some("GB200"));
}

#[test]
fn lifting_a_restriction_dated_by_its_own_clause_reports_both_measures() {
    let e = rules().extract_events(
        "China's commerce ministry said on Sunday it would suspend, with immediate effect, \
         the ban on exports of gallium, germanium and antimony to the United States that it \
         imposed last December.",
        day("2025-11-09"),
    );
    assert_eq!(e.len(), 2, "{e:#?}");
    let relax = e
        .iter()
        .map(control)
        .find(|c| c.action == Some(ControlAction::Relax))
        .expect("a relaxation");
    let restrict = e
        .iter()
        .map(control)
        .find(|c| c.action == Some(ControlAction::Restrict))
        .expect("the restriction it lifts");
    assert_eq!(
        relax.effective.map(|d| d.to_string()).as_deref(),
        Some("2025-11-09")
    );
    // "last December" before a November publication is the December before.
    assert_eq!(
        restrict.effective.map(|d| d.to_string()).as_deref(),
        Some("2024-12")
    );
    assert_eq!(restrict.targets, ["United States"]);
    // A saying verb after the sentence is no clause of the measure.
    let e = rules().extract_events(
        "China has approved the first export licences for gallium since controls were \
         introduced on August 1, the Ministry of Commerce announced.",
        day("2023-09-21"),
    );
    assert!(
        e.iter()
            .filter(|e| control(e).action == Some(ControlAction::Restrict))
            .count()
            <= 1,
        "{e:#?}"
    );
}

#[test]
fn where_the_listed_entities_are_located_adds_targets_to_the_listing() {
    let e = rules().extract_events(
        "BIS amends the Export Administration Regulations by adding 12 entities to the \
         Entity List. These entities are located in China and Taiwan.",
        day("2025-03-25"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let mut targets = control(&e[0]).targets.clone();
    targets.sort();
    assert_eq!(targets, ["China", "Taiwan"]);
}

#[test]
fn a_relative_clause_after_licences_says_what_they_covered() {
    let e = rules().extract_events(
        "The US has revoked licences that allowed Intel and Qualcomm to supply chips for \
         Huawei laptops, the Commerce Department confirmed on Tuesday.",
        day("2024-05-08"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let c = control(&e[0]);
    assert_eq!(c.action, Some(ControlAction::Restrict));
    assert_eq!(c.targets, ["Huawei"]);
    let mut companies = c.companies.clone();
    companies.sort();
    assert_eq!(companies, ["Intel", "Qualcomm"]);
}

#[test]
fn a_lifted_measure_dated_by_a_government_or_by_when_it_took_effect_is_reported_too() {
    for (text, published, effective) in [
        (
            "Japan will lift export curbs on three chipmaking materials to South Korea that \
             Tokyo imposed in 2019, the trade ministry said.",
            "2023-03-16",
            "2019",
        ),
        (
            "BIS said it had rescinded the AI Diffusion Rule, which was due to take effect on \
             May 15.",
            "2025-05-13",
            "2025-05-15",
        ),
        (
            "China will grant exemptions for exports of Nexperia chips, easing a ban it \
             imposed on October 4 that disrupted supplies to carmakers.",
            "2025-11-01",
            "2025-10-04",
        ),
    ] {
        let e = rules().extract_events(text, day(published));
        let restrict = e
            .iter()
            .map(control)
            .find(|c| c.action == Some(ControlAction::Restrict))
            .unwrap_or_else(|| panic!("{text}: no restriction in {e:#?}"));
        assert_eq!(
            restrict.effective.map(|d| d.to_string()).as_deref(),
            Some(effective),
            "{text}"
        );
        assert!(
            e.iter()
                .any(|e| control(e).action == Some(ControlAction::Relax)),
            "{text}: {e:#?}"
        );
    }
}

#[test]
fn parties_named_among_a_listing_and_where_most_of_them_are_add_targets() {
    let e = rules().extract_events(
        "Washington added 80 companies and organisations to its Entity List on Tuesday, more \
         than 50 of them in China. Among those named are Inspur and Sugon.",
        day("2025-03-25"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let mut targets = control(&e[0]).targets.clone();
    targets.sort();
    assert_eq!(targets, ["China", "Inspur", "Sugon"]);
}

#[test]
fn a_subordinate_clause_with_its_own_subject_ends_a_controls_arguments() {
    let e = rules().extract_events(
        "China imposed export curbs on chips after the Dutch government took control of \
         Nexperia.",
        day("2025-10-05"),
    );
    assert!(
        e.iter()
            .all(|e| !control(e).targets.iter().any(|t| t == "Nexperia")),
        "{e:#?}"
    );
}

#[test]
fn examples_among_the_listed_parties_are_targets_too() {
    let e = rules().extract_events(
        "MOFCOM put seven US companies, among them Shield AI and Sierra Nevada Corporation, \
         on its export control list on Friday.",
        day("2025-02-21"),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    let mut targets = control(&e[0]).targets.clone();
    targets.sort();
    assert_eq!(
        targets,
        ["Shield AI", "Sierra Nevada Corporation", "United States"]
    );
    assert_eq!(control(&e[0]).authority.as_deref(), Some("China"));
}

#[test]
fn customers_in_a_country_place_the_target() {
    let e = rules().extract_events(
        "BIS issued a rule revising its licence review policy for exports of Nvidia's H200 \
         chips to approved customers in China to case-by-case review.",
        day("2026-01-20"),
    );
    assert!(!e.is_empty(), "{e:#?}");
    assert!(e.iter().all(|e| control(e).targets == ["China"]), "{e:#?}");
}

#[test]
fn not_only_negates_nothing_and_according_to_names_no_party() {
    let e = rules().extract_events(
        "According to Micron, their HBM3E not only provides 50% more memory capacity than \
         competing products but also consumes less power.",
        day("2024-09-09"),
    );
    assert!(e.is_empty(), "{e:#?}");
}
