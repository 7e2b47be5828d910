//! The one-line summary of an event or a story, for people: the table of `events` and
//! `stories`, and the text of chat alerts.

use serde_json::Value;

use super::Disagreement;
use crate::model::{ControlAction, EventDetails};

/// One line saying what an event or a story is about: "Baidu orders from Huawei: 1600 ×
/// Ascend 910B, 61830000 USD, delivery 2023-12-31", with " [reported]" when hedged.
pub fn headline(details: &EventDetails, inferred: &[String], hedged: bool) -> String {
    let mut text = match details {
        EventDetails::ChipOrder(o) => {
            let inferred = if inferred.iter().any(|f| f == "supplier") {
                " (inferred)"
            } else {
                ""
            };
            let mut s = format!(
                "{} orders from {}{inferred}",
                o.buyer.as_deref().unwrap_or("?"),
                o.supplier.as_deref().unwrap_or("?")
            );
            match (o.quantity, &o.product) {
                (Some(q), Some(p)) => s.push_str(&format!(": {q} × {p}")),
                (None, Some(p)) => s.push_str(&format!(": {p}")),
                (Some(q), None) => s.push_str(&format!(": {q} units")),
                (None, None) => {}
            }
            if let Some(v) = &o.value {
                s.push_str(&format!(", {} {}", format_amount(v.amount), v.currency));
            }
            if let Some(d) = &o.delivery {
                s.push_str(&format!(", delivery {d}"));
            }
            s
        }
        EventDetails::ExportControl(c) => {
            let action = c.action.map_or("controls", |a| match a {
                ControlAction::Restrict => "restricts",
                ControlAction::Relax => "relaxes",
            });
            let mut s = format!("{} {action}", c.authority.as_deref().unwrap_or("?"));
            if !c.products.is_empty() {
                s.push_str(&format!(" {}", c.products.join(", ")));
            }
            if !c.targets.is_empty() {
                s.push_str(&format!(" to {}", c.targets.join(", ")));
            }
            if !c.companies.is_empty() {
                s.push_str(&format!(" ({})", c.companies.join(", ")));
            }
            if let Some(e) = &c.effective {
                s.push_str(&format!(", effective {e}"));
            }
            s
        }
    };
    if hedged {
        text.push_str(" [reported]");
    }
    text
}

/// A whole amount without decimals (61830000), else as written.
pub fn format_amount(amount: f64) -> String {
    if amount.fract() == 0.0 {
        format!("{amount:.0}")
    } else {
        format!("{amount}")
    }
}

/// A disagreeing value for people: money as "450000000 CNY", lists joined.
fn show_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(show_value).collect::<Vec<_>>().join(", "),
        Value::Object(map) => match (
            map.get("amount").and_then(Value::as_f64),
            map.get("currency").and_then(Value::as_str),
        ) {
            (Some(amount), Some(currency)) => format!("{} {currency}", format_amount(amount)),
            _ => value.to_string(),
        },
        other => other.to_string(),
    }
}

/// "quantity 1500 (1); value 450000000 CNY (1)": the other values and their articles.
pub fn disagreement_text(disagreements: &[(String, Vec<Disagreement>)]) -> String {
    disagreements
        .iter()
        .map(|(slot, values)| {
            let values: Vec<String> = values
                .iter()
                .map(|d| format!("{} ({})", show_value(&d.value), d.articles))
                .collect();
            format!("{slot} {}", values.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}
