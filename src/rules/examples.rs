//! The self-check of rule packs (`chipwatch rules check`). This module owns the meaning of
//! a rule's `examples` and `near_misses`: an example must make the rule fire and yield an
//! event of the rule's kind whose fields equal every key set in `expect` (dates compared
//! as text, "2023-10") and are null/empty for every field named in `absent`; a near miss
//! must yield no event that the frame started.

use chrono::NaiveDate;

use crate::model::{Event, EventDetails};
use crate::text::split_sentences;

use super::pack::RawExample;
use super::RuleSet;

/// Runs every frame's examples and near misses; one message per failure.
pub fn check(rules: &RuleSet) -> Vec<String> {
    let mut failures = Vec::new();
    for frame in &rules.lexicon.frames {
        let at = |what: String| format!("{} frame `{}` {what}", frame.pack, frame.id);
        for (n, ex) in frame.examples.iter().enumerate() {
            let published = ex
                .published
                .as_deref()
                .and_then(|p| NaiveDate::parse_from_str(p, "%Y-%m-%d").ok());
            let events = rules.extract_events(&ex.text, published);
            if !events.iter().any(|e| e.rule == frame.id)
                && !fires(rules, &frame.id, &ex.text, published)
            {
                failures.push(format!(
                    "{}: frame did not fire on `{}`",
                    at(format!("example {}", n + 1)),
                    ex.text
                ));
                continue;
            }
            let problems: Vec<Vec<String>> = events
                .iter()
                .filter(|e| e.kind() == frame.kind)
                .map(|e| mismatches(e, ex))
                .collect();
            if !problems.iter().any(Vec::is_empty) {
                let detail = problems
                    .into_iter()
                    .next()
                    .map_or("no event of this kind".to_string(), |p| p.join("; "));
                failures.push(format!(
                    "{}: `{}`: {detail}",
                    at(format!("example {}", n + 1)),
                    ex.text
                ));
            }
        }
        for (n, text) in frame.near_misses.iter().enumerate() {
            let events = rules.extract_events(text, NaiveDate::from_ymd_opt(2024, 1, 1));
            if let Some(e) = events.iter().find(|e| e.rule == frame.id) {
                failures.push(format!(
                    "{}: `{text}` produced a {} event",
                    at(format!("near miss {}", n + 1)),
                    e.kind()
                ));
            }
        }
    }
    failures
}

/// Whether the frame `id` fires in some sentence of `text` (an example may fire a frame
/// whose mention then joins an event another frame started).
fn fires(rules: &RuleSet, id: &str, text: &str, published: Option<NaiveDate>) -> bool {
    split_sentences(text).iter().any(|s| {
        rules
            .frames_fired(s.text, published)
            .iter()
            .any(|f| f == id)
    })
}

/// What differs between `event` and the example's expectations (empty: it matches).
pub fn mismatches(event: &Event, ex: &RawExample) -> Vec<String> {
    let mut out = Vec::new();
    let e = &ex.expect;
    let mut check = |field: &str, want: Option<String>, got: Option<String>| {
        if let Some(want) = want {
            if got.as_deref() != Some(want.as_str()) {
                out.push(format!(
                    "{field}: expected {want}, got {}",
                    got.unwrap_or_else(|| "null".into())
                ));
            }
        }
    };
    // Lists compare as sets, as `chipwatch eval` compares them.
    let list = |v: &Vec<String>| {
        let mut sorted = v.clone();
        sorted.sort();
        Some(format!("{sorted:?}"))
    };
    let text = |v: &Option<String>| v.clone();
    check(
        "hedged",
        e.hedged.map(|h| h.to_string()),
        Some(event.hedged.to_string()),
    );
    let mut present: Vec<(&str, bool)> = Vec::new();
    match &event.details {
        EventDetails::ChipOrder(o) => {
            check("buyer", text(&e.buyer), text(&o.buyer));
            check("supplier", text(&e.supplier), text(&o.supplier));
            check("product", text(&e.product), text(&o.product));
            check(
                "quantity",
                e.quantity.map(|q| q.to_string()),
                o.quantity.map(|q| q.to_string()),
            );
            check(
                "value",
                e.value
                    .as_ref()
                    .map(|m| format!("{} {}", m.amount, m.currency)),
                o.value
                    .as_ref()
                    .map(|m| format!("{} {}", m.amount, m.currency)),
            );
            check(
                "value_usd",
                e.value_usd.map(|v| v.to_string()),
                o.value_usd.map(|v| v.to_string()),
            );
            check(
                "delivery",
                text(&e.delivery),
                o.delivery.map(|d| d.to_string()),
            );
            check(
                "status",
                e.status.map(|s| s.as_str().to_string()),
                o.status.map(|s| s.as_str().to_string()),
            );
            for key in crate::model::EXPORT_CONTROL_FIELDS {
                wrong_kind(&mut out, key, ex);
            }
            present.extend([
                ("buyer", o.buyer.is_some()),
                ("supplier", o.supplier.is_some()),
                ("product", o.product.is_some()),
                ("quantity", o.quantity.is_some()),
                ("value", o.value.is_some()),
                ("value_usd", o.value_usd.is_some()),
                ("delivery", o.delivery.is_some()),
                ("status", o.status.is_some()),
            ]);
        }
        EventDetails::ExportControl(c) => {
            check("authority", text(&e.authority), text(&c.authority));
            check("agency", text(&e.agency), text(&c.agency));
            check(
                "targets",
                e.targets.as_ref().and_then(list),
                list(&c.targets),
            );
            check(
                "products",
                e.products.as_ref().and_then(list),
                list(&c.products),
            );
            check(
                "companies",
                e.companies.as_ref().and_then(list),
                list(&c.companies),
            );
            check(
                "action",
                e.action.map(|a| a.as_str().to_string()),
                c.action.map(|a| a.as_str().to_string()),
            );
            check(
                "effective",
                text(&e.effective),
                c.effective.map(|d| d.to_string()),
            );
            for key in crate::model::CHIP_ORDER_FIELDS {
                wrong_kind(&mut out, key, ex);
            }
            present.extend([
                ("authority", c.authority.is_some()),
                ("agency", c.agency.is_some()),
                ("targets", !c.targets.is_empty()),
                ("products", !c.products.is_empty()),
                ("companies", !c.companies.is_empty()),
                ("action", c.action.is_some()),
                ("effective", c.effective.is_some()),
            ]);
        }
    }
    for field in &ex.absent {
        if present.iter().any(|(name, set)| name == field && *set) {
            out.push(format!("{field}: expected null, got a value"));
        }
    }
    out
}

/// An `expect` key that belongs to the other kind can never match.
fn wrong_kind(out: &mut Vec<String>, key: &str, ex: &RawExample) {
    let e = &ex.expect;
    let set = match key {
        "buyer" => e.buyer.is_some(),
        "supplier" => e.supplier.is_some(),
        "product" => e.product.is_some(),
        "quantity" => e.quantity.is_some(),
        "value" => e.value.is_some(),
        "value_usd" => e.value_usd.is_some(),
        "delivery" => e.delivery.is_some(),
        "status" => e.status.is_some(),
        "authority" => e.authority.is_some(),
        "agency" => e.agency.is_some(),
        "targets" => e.targets.is_some(),
        "products" => e.products.is_some(),
        "companies" => e.companies.is_some(),
        "action" => e.action.is_some(),
        "effective" => e.effective.is_some(),
        _ => false,
    };
    if set {
        out.push(format!("{key}: not a field of this event kind"));
    }
}
