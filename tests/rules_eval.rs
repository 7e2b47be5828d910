//! The rules' measured accuracy and their normalisers, through the public API only.
//! See: issue 3 — "Bar: event F1 ≥ 0.95 and slot F1 ≥ 0.90 on your set, zero events on
//! the negatives, and the seed fixture still exact."

use std::path::Path;

use chipwatch::model::{ChipOrder, ControlAction, Event, EventDetails, ExportControl, OrderStatus};
use chipwatch::rules::eval::{evaluate, parts, read_case_set, read_cases};
use chipwatch::rules::RuleSet;
use chrono::NaiveDate;

fn rules() -> RuleSet {
    RuleSet::embedded().unwrap()
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn orders(text: &str, published: &str) -> Vec<ChipOrder> {
    rules()
        .extract_events(text, day(published))
        .into_iter()
        .filter_map(|e| match e.details {
            EventDetails::ChipOrder(o) => Some(o),
            EventDetails::ExportControl(_) => None,
        })
        .collect()
}

fn controls(text: &str, published: &str) -> Vec<ExportControl> {
    rules()
        .extract_events(text, day(published))
        .into_iter()
        .filter_map(|e| match e.details {
            EventDetails::ExportControl(c) => Some(c),
            EventDetails::ChipOrder(_) => None,
        })
        .collect()
}

fn one_order(text: &str, published: &str) -> ChipOrder {
    let mut found = orders(text, published);
    assert_eq!(found.len(), 1, "{text}: {found:#?}");
    found.remove(0)
}

#[test]
fn eval_corpus_meets_the_bar() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval");
    let cases = read_cases(&dir).unwrap();
    assert!(cases.len() >= 80, "only {} cases", cases.len());
    let report = evaluate(&rules(), &cases);
    assert!(
        report.negatives >= 25,
        "only {} negatives",
        report.negatives
    );
    let misses = report.misses.join("\n");
    assert!(
        report.event_f1() >= 0.95,
        "event F1 {:.3}\n{misses}",
        report.event_f1()
    );
    assert!(
        report.slot_f1() >= 0.90,
        "slot F1 {:.3}\n{misses}",
        report.slot_f1()
    );
    assert_eq!(report.events_on_negatives, 0, "{misses}");
}

#[test]
fn eval_reports_misses_and_false_positives() {
    let dir = tempfile::tempdir().unwrap();
    // A case labelled with the wrong supplier and a negative that is not one.
    std::fs::write(
        dir.path().join("a.txt"),
        "Microsoft has ordered 10,000 H100 GPUs from Nvidia.",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.json"),
        r#"{"published": "2024-01-10", "url": null, "events": [{"kind": "chip_order", "buyer": "Microsoft", "supplier": "AMD", "product": "H100", "quantity": 10000, "value": null, "value_usd": null, "delivery": null, "status": "placed", "hedged": false}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.txt"),
        "Meta bought 5,000 H200 chips from Nvidia.",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.json"),
        r#"{"published": "2024-01-10", "url": null, "events": []}"#,
    )
    .unwrap();
    // Not English: counted apart, not scored.
    std::fs::write(dir.path().join("c.txt"), "Huawei liefert Chips.").unwrap();
    std::fs::write(
        dir.path().join("c.json"),
        r#"{"published": null, "url": null, "lang": "de", "events": []}"#,
    )
    .unwrap();
    let report = evaluate(&rules(), &read_cases(dir.path()).unwrap());
    assert_eq!(report.cases, 3);
    assert_eq!(report.language_not_matched, 1);
    assert_eq!(report.negatives, 1);
    assert_eq!(report.negatives_with_events, 1);
    let all = report.events["all"];
    assert_eq!((all.tp, all.fp, all.fn_), (0, 2, 1), "{:#?}", report.misses);
    assert!(report.misses.iter().any(|m| m.starts_with("a: missed")));
    assert!(report.misses.iter().any(|m| m.starts_with("b: spurious")));
}

#[test]
fn eval_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.json"), r#"{"events": 3}"#).unwrap();
    let err = read_cases(dir.path()).unwrap_err().to_string();
    assert!(err.contains("x.json"), "{err}");
    std::fs::write(
        dir.path().join("x.json"),
        r#"{"published": null, "events": []}"#,
    )
    .unwrap();
    let err = read_cases(dir.path()).unwrap_err().to_string();
    assert!(err.contains("x.json") && err.contains(".txt"), "{err}");
}

/// The shape of the real-passage corpus: parts, labels with provenance and a checksum,
/// texts kept in another folder.
#[test]
fn a_split_corpus_is_read_part_by_part_with_texts_elsewhere() {
    let labels = tempfile::tempdir().unwrap();
    let texts = tempfile::tempdir().unwrap();
    for part in ["dev", "sealed"] {
        std::fs::create_dir(labels.path().join(part)).unwrap();
        std::fs::create_dir(texts.path().join(part)).unwrap();
    }
    let text = "Microsoft has ordered 10,000 H100 GPUs from Nvidia.";
    let digest = {
        use sha2::{Digest, Sha256};
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let label = |sha: &str| {
        format!(
            r#"{{"published": "2024-01-10", "url": "https://example.com/a", "outlet": "Example", "query": "q", "start": 0, "end": 51, "licence": "other", "sha256": "{sha}", "events": [{{"kind": "chip_order", "buyer": "Microsoft", "supplier": "Nvidia", "product": "H100", "quantity": 10000, "value": null, "value_usd": null, "delivery": null, "status": "placed", "hedged": false}}]}}"#
        )
    };
    std::fs::write(labels.path().join("dev/a.json"), label(&digest)).unwrap();
    std::fs::write(texts.path().join("dev/a.txt"), text).unwrap();
    // A sealed case whose text was never rebuilt: named, not scored.
    std::fs::write(labels.path().join("sealed/b.json"), label(&digest)).unwrap();
    assert_eq!(parts(labels.path()).unwrap(), ["dev", "sealed"]);

    let dev = read_case_set(&labels.path().join("dev"), Some(&texts.path().join("dev"))).unwrap();
    assert_eq!(dev.cases.len(), 1);
    assert!(dev.missing_text.is_empty());
    let report = evaluate(&rules(), &dev.cases);
    assert_eq!(report.events["all"].tp, 1, "{:#?}", report.misses);

    let sealed = read_case_set(
        &labels.path().join("sealed"),
        Some(&texts.path().join("sealed")),
    )
    .unwrap();
    assert!(sealed.cases.is_empty());
    assert_eq!(sealed.missing_text, ["b"]);

    // A text that differs from the labelled one is an error naming both files.
    std::fs::write(texts.path().join("dev/a.txt"), format!("{text} Edited.")).unwrap();
    let err = read_case_set(&labels.path().join("dev"), Some(&texts.path().join("dev")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a.txt") && err.contains("a.json") && err.contains("SHA-256"),
        "{err}"
    );
}

#[test]
fn quantities_as_written() {
    let cases: &[(&str, u64)] = &[
        ("Microsoft has ordered 1,600 H100 GPUs from Nvidia.", 1600),
        (
            "Tencent plans to order 1.6 million H20 units from Nvidia.",
            1_600_000,
        ),
        (
            "China Mobile has awarded an order for 10k Kunlunxin P800 accelerators to Kunlunxin.",
            10_000,
        ),
        (
            "Meta signed a deal to buy 350,000 H100s from Nvidia.",
            350_000,
        ),
        (
            "Oracle ordered about 100,000 GB200 chips from Nvidia.",
            100_000,
        ),
        (
            "ByteDance bought more than 20,000 H20s from Nvidia.",
            20_000,
        ),
    ];
    for (text, quantity) in cases {
        assert_eq!(
            one_order(text, "2024-06-01").quantity,
            Some(*quantity),
            "{text}"
        );
    }
    // Vague amounts and measures are not quantities.
    for text in [
        "Anthropic has agreed to buy hundreds of thousands of Trainium2 chips from Amazon.",
        "OpenAI signed a deal with AMD to buy 6 gigawatts of MI450 chips.",
    ] {
        assert_eq!(one_order(text, "2024-06-01").quantity, None, "{text}");
    }
}

#[test]
fn money_as_first_stated_with_stated_dollars() {
    let cases: &[(&str, f64, &str, Option<f64>)] = &[
        ("Baidu ordered 1,600 Ascend 910B chips from Huawei for $61.83 million.", 61_830_000.0, "USD", Some(61_830_000.0)),
        ("Oracle ordered 30,000 MI355X chips from AMD for US$1.2bn.", 1.2e9, "USD", Some(1.2e9)),
        ("Humain ordered 18,000 GB300 chips from Nvidia for USD 2 billion.", 2e9, "USD", Some(2e9)),
        ("Kuaishou ordered 2,000 Ascend 910B chips from Huawei for 450 million yuan ($61.83 million).", 4.5e8, "CNY", Some(61_830_000.0)),
        ("Mistral AI ordered 18,000 GB200 chips from Nvidia for €1.5 billion.", 1.5e9, "EUR", None),
        ("Nscale purchased 14,000 GB300 chips from Nvidia for £1.3 billion.", 1.3e9, "GBP", None),
        ("Sakura Internet bought 2,000 H100 GPUs from Nvidia for 40 billion yen.", 4e10, "JPY", None),
        ("Naver purchased 1,000 Gaudi 3 chips from Intel for 100 billion won.", 1e11, "KRW", None),
        ("China Mobile ordered 10,000 P800 chips from Kunlunxin for RMB 1.1 billion.", 1.1e9, "CNY", None),
    ];
    for (text, amount, currency, usd) in cases {
        let o = one_order(text, "2024-06-01");
        let value = o.value.unwrap_or_else(|| panic!("no value: {text}"));
        assert_eq!(
            (value.amount, value.currency.as_str()),
            (*amount, *currency),
            "{text}"
        );
        assert_eq!(o.value_usd, *usd, "{text}");
    }
    let vague = one_order(
        "Tencent ordered 5,000 H20 chips from Nvidia worth tens of millions of dollars.",
        "2024-06-01",
    );
    assert_eq!(vague.value, None);
}

#[test]
fn delivery_dates_resolve_against_publication() {
    let cases: &[(&str, &str, &str)] = &[
        ("Baidu ordered 1,600 Ascend 910B chips from Huawei. The order is expected to be delivered by the end of the year.", "2023-11-09", "2023-12-31"),
        ("Kuaishou ordered 2,000 Ascend 910B chips from Huawei. The chips will be delivered in December.", "2023-11-09", "2023-12"),
        ("Lambda ordered 8,000 H200 chips from Nvidia. It expects deliveries in Q3 2024.", "2024-02-27", "2024-07"),
        ("Mistral AI ordered 18,000 GB200 chips from Nvidia. The first systems are due in early 2026.", "2025-02-11", "2026"),
        ("CoreWeave purchased 25,000 B200 GPUs from Nvidia. It expects the chips to arrive from August 1 onwards.", "2025-03-11", "2025-08-01"),
        ("xAI ordered 10,000 H100 chips from Nvidia, to be delivered next year.", "2024-05-25", "2025"),
        ("China Mobile ordered 10,000 P800 chips from Kunlunxin. The units are due to be delivered within 90 days.", "2025-04-03", "2025-07-02"),
    ];
    for (text, published, delivery) in cases {
        let o = one_order(text, published);
        assert_eq!(
            o.delivery.map(|d| d.to_string()).as_deref(),
            Some(*delivery),
            "{text}"
        );
    }
}

#[test]
fn effective_dates_resolve_against_publication() {
    let cases: &[(&str, &str, &str)] = &[
        ("China banned exports of gallium and germanium to the United States. The ban was effective immediately.", "2024-12-03", "2024-12-03"),
        ("The US restricted exports of HBM to China. They take effect within 30 days.", "2024-12-02", "2025-01-01"),
        ("Beijing restricted exports of graphite. Exporters would need licences from August 1.", "2023-07-04", "2023-08-01"),
        ("The US restrictions on chip exports to China went into effect in October.", "2023-11-09", "2023-10"),
    ];
    for (text, published, effective) in cases {
        let found = controls(text, published);
        assert_eq!(found.len(), 1, "{text}: {found:#?}");
        assert_eq!(
            found[0].effective.map(|d| d.to_string()).as_deref(),
            Some(*effective),
            "{text}"
        );
    }
}

#[test]
fn buyer_and_supplier_in_every_voice() {
    let cases: &[&str] = &[
        "Microsoft ordered 10,000 H100 GPUs from Nvidia.",
        "Nvidia will supply Microsoft with 10,000 H100 GPUs.",
        "Some 10,000 H100 GPUs were ordered by Microsoft from Nvidia.",
        "Nvidia won an order from Microsoft for 10,000 H100 GPUs.",
        "Microsoft's order for Nvidia's H100 GPUs covers 10,000 units.",
        "Microsoft placed an order with Nvidia for 10,000 H100 GPUs.",
    ];
    for text in cases {
        let o = one_order(text, "2024-01-10");
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
            ),
            "{text}"
        );
        assert_eq!(o.status, Some(OrderStatus::Placed), "{text}");
    }
}

#[test]
fn plans_cancellations_and_denials() {
    let planned = one_order(
        "xAI is in talks to buy 100,000 H100 chips from Nvidia.",
        "2024-05-25",
    );
    assert_eq!(planned.status, Some(OrderStatus::Planned));
    let cancelled = one_order(
        "Microsoft cancelled an order for 5,000 Gaudi 2 chips from Intel.",
        "2023-12-18",
    );
    assert_eq!(cancelled.status, Some(OrderStatus::Cancelled));
    for text in [
        "Tencent denied that it had ordered 50,000 Ascend 910B chips from Huawei.",
        "Alibaba has not placed orders for Nvidia's B20 chips.",
        "Samsung said it has no plans to buy Nvidia GPUs this year.",
        "Chinese firms have long bought Nvidia GPUs.",
        "Baidu relies on the A100 for training.",
    ] {
        assert!(orders(text, "2024-06-01").is_empty(), "{text}");
    }
}

#[test]
fn hedged_reports_are_kept_and_marked() {
    let rules = rules();
    for text in [
        "ByteDance has reportedly ordered 100,000 H20 chips from Nvidia.",
        "Tencent ordered 20,000 H20 chips from Nvidia, according to people familiar with the matter.",
        "DeepSeek is said to have bought 10,000 H800 GPUs from Nvidia.",
    ] {
        let events: Vec<Event> = rules.extract_events(text, day("2024-06-01"));
        assert_eq!(events.len(), 1, "{text}");
        assert!(events[0].hedged, "{text}");
    }
    let plain = rules.extract_events(
        "Meta bought 5,000 H200 chips from Nvidia.",
        day("2024-06-01"),
    );
    assert!(!plain[0].hedged);
}

#[test]
fn authorities_by_metonym_and_agency() {
    let cases: &[(&str, &str, Option<&str>, ControlAction)] = &[
        ("Washington barred Nvidia from selling its H20 chips to China.", "United States", None, ControlAction::Restrict),
        ("Beijing restricted exports of gallium and germanium.", "China", None, ControlAction::Restrict),
        ("MOFCOM banned exports of antimony to the United States.", "China", Some("Ministry of Commerce"), ControlAction::Restrict),
        ("The Hague has revoked licences for ASML to ship NXT:2050i systems to China.", "Netherlands", None, ControlAction::Restrict),
        ("The US government has granted licences for Nvidia to resume sales of its H20 chip to China.", "United States", None, ControlAction::Relax),
        ("China paused its ban on exports of gallium to the United States.", "China", None, ControlAction::Relax),
    ];
    for (text, authority, agency, action) in cases {
        let found = controls(text, "2025-01-15");
        assert_eq!(found.len(), 1, "{text}: {found:#?}");
        let c = &found[0];
        assert_eq!(c.authority.as_deref(), Some(*authority), "{text}");
        assert_eq!(c.agency.as_deref(), *agency, "{text}");
        assert_eq!(c.action, Some(*action), "{text}");
    }
}

#[test]
fn distinct_controls_stay_apart_and_adjacent_products_join() {
    let text = "In response to previous regulations banning Nvidia's A100 and H100 chips sales in China, Nvidia introduced the A800 and H800. However, with the new regulations implemented in October, even these alternatives cannot be sold to China.";
    let found = controls(text, "2023-11-09");
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].products, ["A100", "H100"]);
    assert_eq!(found[1].products, ["A800", "H800"]);
    assert_eq!(
        found[1].effective.map(|d| d.to_string()).as_deref(),
        Some("2023-10")
    );

    let adjacent = controls(
        "The US on Monday restricted exports of advanced memory chips to China. The curbs cover HBM2E and newer high-bandwidth memory made by Samsung and SK Hynix.",
        "2024-12-02",
    );
    assert_eq!(adjacent.len(), 1, "{adjacent:#?}");
    assert_eq!(adjacent[0].products, ["HBM2E", "HBM"]);
    assert_eq!(adjacent[0].companies, ["Samsung", "SK Hynix"]);
}

#[test]
fn two_products_between_the_same_companies_are_two_orders() {
    let found = orders(
        "Microsoft ordered 10,000 H100 GPUs from Nvidia. Microsoft also ordered 2,000 GB200 chips from Nvidia.",
        "2024-06-01",
    );
    let products: Vec<Option<&str>> = found.iter().map(|o| o.product.as_deref()).collect();
    assert_eq!(products, [Some("H100"), Some("GB200")]);
}

#[test]
fn evidence_sentences_survive_abbreviations_decimals_and_quotes() {
    let text = "Microsoft Corp. ordered 2,500 H100 GPUs from Nvidia Inc., the No. 1 chipmaker, on Jan. 5 for $61.5 million. \"It is a big order,\" a U.S. analyst said.";
    let events = rules().extract_events(text, day("2024-06-01"));
    assert_eq!(events.len(), 1, "{events:#?}");
    let e = &events[0];
    assert!(
        e.evidence[0].starts_with("Microsoft Corp. ordered")
            && e.evidence[0].ends_with("$61.5 million."),
        "{:?}",
        e.evidence
    );
    for (sentence, span) in e.evidence.iter().zip(&e.spans) {
        assert_eq!(&text[span.start..span.end], sentence);
    }
    match &e.details {
        EventDetails::ChipOrder(o) => {
            assert_eq!(o.quantity, Some(2500));
            assert_eq!(o.value.as_ref().map(|v| v.amount), Some(61_500_000.0));
            assert_eq!(o.delivery, None);
        }
        EventDetails::ExportControl(_) => panic!("not an order"),
    }
}
