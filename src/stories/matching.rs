//! When two events report the same real-world order or control (DESIGN.md, "Story
//! records"). The relation is symmetric and looks at the two events only, so a story —
//! a set of mutually compatible events — does not depend on the order they came in.

use crate::model::{ChipOrder, EventDetails, ExportControl, Money, PartialDate};

use super::families::same_product_or_family;
use super::Member;

/// Reports of one order are first published within this many days of each other.
pub const ORDER_WINDOW_DAYS: i64 = 60;
/// Reports of one control with an unknown effective date are this close.
pub const CONTROL_WINDOW_DAYS: i64 = 30;
/// Figures within this fraction of the larger one do not contradict each other
/// ("about 1,500" against "1,600").
pub const FIGURE_TOLERANCE: f64 = 0.10;

/// Whether two stored events can belong to one story. Events of one article never
/// can: the rules already decided that they are different actions.
pub fn compatible(a: &Member, b: &Member) -> bool {
    if a.event.article_url == b.event.article_url {
        return false;
    }
    let (Some(day_a), Some(day_b)) = (a.event.published, b.event.published) else {
        return false;
    };
    let days_apart = (day_a - day_b).num_days().abs();
    match (&a.event.details, &b.event.details) {
        (EventDetails::ChipOrder(x), EventDetails::ChipOrder(y)) => {
            days_apart <= ORDER_WINDOW_DAYS && orders_compatible(x, y)
        }
        (EventDetails::ExportControl(x), EventDetails::ExportControl(y)) => {
            controls_compatible(x, y, days_apart)
        }
        _ => false,
    }
}

/// Same buyer and supplier (an inferred supplier counts), a compatible product, and
/// figures that do not contradict each other.
fn orders_compatible(x: &ChipOrder, y: &ChipOrder) -> bool {
    known_and_equal(&x.buyer, &y.buyer)
        && known_and_equal(&x.supplier, &y.supplier)
        && match (&x.product, &y.product) {
            (Some(p), Some(q)) => same_product_or_family(p, q),
            _ => true,
        }
        && figures_agree(x.quantity.map(|q| q as f64), y.quantity.map(|q| q as f64))
        && figures_agree(x.value_usd, y.value_usd)
        && money_agrees(&x.value, &y.value)
}

/// Same authority and action, overlapping targets, effective dates that can be the
/// same, and overlapping products and companies where both name some.
fn controls_compatible(x: &ExportControl, y: &ExportControl, days_apart: i64) -> bool {
    known_and_equal(&x.authority, &y.authority)
        && x.action.is_some()
        && x.action == y.action
        && overlap(&x.targets, &y.targets)
        && match (x.effective, y.effective) {
            (Some(a), Some(b)) => contains(a, b) || contains(b, a),
            _ => days_apart <= CONTROL_WINDOW_DAYS,
        }
        && (x.products.is_empty() || y.products.is_empty() || overlap(&x.products, &y.products))
        && (x.companies.is_empty() || y.companies.is_empty() || overlap(&x.companies, &y.companies))
}

fn known_and_equal(a: &Option<String>, b: &Option<String>) -> bool {
    a.is_some() && a == b
}

fn overlap(a: &[String], b: &[String]) -> bool {
    a.iter().any(|x| b.contains(x))
}

/// Within [`FIGURE_TOLERANCE`] of the larger, or one side unknown.
fn figures_agree(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= FIGURE_TOLERANCE * a.abs().max(b.abs()),
        _ => true,
    }
}

/// Amounts in one currency must agree; amounts in two currencies cannot be compared
/// (no exchange rates), so they do not contradict each other.
fn money_agrees(a: &Option<Money>, b: &Option<Money>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) if a.currency == b.currency => {
            figures_agree(Some(a.amount), Some(b.amount))
        }
        _ => true,
    }
}

/// Whether the partial date `outer` covers `inner`: 2023 covers 2023-10, which covers
/// 2023-10-17; every date covers itself.
pub(super) fn contains(outer: PartialDate, inner: PartialDate) -> bool {
    use chrono::Datelike;
    match (outer, inner) {
        (PartialDate::Year(y), other) => other.year() == y,
        (PartialDate::Month(y, m), PartialDate::Month(y2, m2)) => (y, m) == (y2, m2),
        (PartialDate::Month(y, m), PartialDate::Day(d)) => (y, m) == (d.year(), d.month()),
        (PartialDate::Day(a), PartialDate::Day(b)) => a == b,
        _ => false,
    }
}
