//! One table per kind: a row per story (the timeline's marks link here), its key slots,
//! first report, sources, confidence and hedging, and every article that reports it as
//! a link with its site and date. Cells carry `data-label` (the column's name, shown
//! beside each value on narrow screens) and `data-key` where sorting by the text would
//! be wrong (numbers, dates); the headers sort only when scripts run.

use std::fmt::Write;

use super::escape::{escape, safe_href};
use super::{kind_names, row_id, thousands, value_usd, Report, ReportStory};
use crate::model::{EventDetails, EventKind, Money, StorySource};
use crate::stories::{disagreement_text, site_of};

/// How a column sorts: as text, or as a number taken from the cells' `data-key`.
#[derive(Clone, Copy)]
enum Sort {
    Text,
    Number,
}

const ORDER_COLUMNS: &[(&str, Sort)] = &[
    ("Story", Sort::Number),
    ("First report", Sort::Text),
    ("Buyer", Sort::Text),
    ("Supplier", Sort::Text),
    ("Product", Sort::Text),
    ("Quantity", Sort::Number),
    ("Value", Sort::Number),
    ("Delivery", Sort::Text),
    ("Status", Sort::Text),
    ("Sources", Sort::Number),
    ("Confidence", Sort::Number),
    ("Hedged", Sort::Text),
    ("Articles", Sort::Text),
];

const CONTROL_COLUMNS: &[(&str, Sort)] = &[
    ("Story", Sort::Number),
    ("First report", Sort::Text),
    ("Authority", Sort::Text),
    ("Agency", Sort::Text),
    ("Action", Sort::Text),
    ("Targets", Sort::Text),
    ("Products", Sort::Text),
    ("Companies", Sort::Text),
    ("Effective", Sort::Text),
    ("Sources", Sort::Number),
    ("Confidence", Sort::Number),
    ("Hedged", Sort::Text),
    ("Articles", Sort::Text),
];

/// Writes the section of one kind.
pub(super) fn render(page: &mut String, report: &Report, kind: EventKind) {
    let (id, columns) = match kind {
        EventKind::ChipOrder => ("orders", ORDER_COLUMNS),
        EventKind::ExportControl => ("controls", CONTROL_COLUMNS),
    };
    let (_, plural) = kind_names(kind);
    let stories: Vec<&ReportStory> = report.stories_of(kind).collect();
    let mut title = plural.to_string();
    title[..1].make_ascii_uppercase();
    let _ = writeln!(
        page,
        "<section id=\"{id}\">\n<h2>{title} <span class=\"count\">({})</span></h2>",
        stories.len()
    );
    if stories.is_empty() {
        let _ = writeln!(
            page,
            "<p class=\"empty\">No {plural} in this period.</p>\n</section>"
        );
        return;
    }
    let _ = write!(
        page,
        "<div class=\"table-wrap\"><table class=\"stories sortable\" id=\"{id}-table\">\n<thead><tr>"
    );
    for (name, sort) in columns {
        let sort = match sort {
            Sort::Text => "text",
            Sort::Number => "number",
        };
        let initial = if *name == "First report" {
            " aria-sort=\"descending\""
        } else {
            ""
        };
        let _ = write!(
            page,
            "<th scope=\"col\" data-sort=\"{sort}\"{initial}>{name}</th>"
        );
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for item in stories {
        row(page, item);
    }
    page.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// A cell: its column name (for narrow screens), an optional sort key, escaped text.
fn cell(page: &mut String, label: &str, key: Option<String>, html: &str) {
    let key = key
        .map(|k| format!(" data-key=\"{}\"", escape(&k)))
        .unwrap_or_default();
    // One wrapper, so that on narrow screens (a grid of label and value) the value stays
    // one piece however many nodes it has.
    let _ = write!(
        page,
        "<td data-label=\"{label}\"{key}><div>{html}</div></td>"
    );
}

/// Text for a cell, or an en dash for a missing value (sorted last).
fn text_or_dash(value: Option<&str>) -> (String, Option<String>) {
    match value {
        Some(v) if !v.is_empty() => (format!("<bdi>{}</bdi>", escape(v)), None),
        _ => (
            "<span class=\"none\">–</span>".to_string(),
            Some(String::new()),
        ),
    }
}

fn text_cell(page: &mut String, label: &str, value: Option<&str>) {
    let (html, key) = text_or_dash(value);
    cell(page, label, key, &html);
}

fn list_cell(page: &mut String, label: &str, values: &[String]) {
    let joined = values.join(", ");
    text_cell(page, label, Some(joined.as_str()));
}

fn row(page: &mut String, item: &ReportStory) {
    let story = &item.story;
    let record = &story.record;
    let _ = write!(page, "<tr id=\"{}\">", row_id(story));
    cell(
        page,
        "Story",
        Some(story.id.to_string()),
        &format!("<a href=\"#{}\">{}</a>", row_id(story), story.id),
    );
    match record.first_reported {
        Some(t) => cell(
            page,
            "First report",
            Some(t.to_rfc3339()),
            &format!(
                "<time datetime=\"{}\">{}</time>",
                t.to_rfc3339(),
                t.date_naive()
            ),
        ),
        None => text_cell(page, "First report", None),
    }
    match &record.details {
        EventDetails::ChipOrder(o) => {
            text_cell(page, "Buyer", o.buyer.as_deref());
            let supplier = o.supplier.as_deref().map(|s| {
                if record.inferred.iter().any(|f| f == "supplier") {
                    format!("{s} (inferred)")
                } else {
                    s.to_string()
                }
            });
            text_cell(page, "Supplier", supplier.as_deref());
            text_cell(page, "Product", o.product.as_deref());
            match o.quantity {
                Some(q) => cell(page, "Quantity", Some(q.to_string()), &thousands(q as f64)),
                None => text_cell(page, "Quantity", None),
            }
            value_cell(page, item, o.value.as_ref());
            text_cell(
                page,
                "Delivery",
                o.delivery.map(|d| d.to_string()).as_deref(),
            );
            text_cell(page, "Status", o.status.map(|s| s.as_str()));
        }
        EventDetails::ExportControl(c) => {
            text_cell(page, "Authority", c.authority.as_deref());
            text_cell(page, "Agency", c.agency.as_deref());
            text_cell(page, "Action", c.action.map(|a| a.as_str()));
            list_cell(page, "Targets", &c.targets);
            list_cell(page, "Products", &c.products);
            list_cell(page, "Companies", &c.companies);
            text_cell(
                page,
                "Effective",
                c.effective.map(|d| d.to_string()).as_deref(),
            );
        }
    }
    cell(
        page,
        "Sources",
        Some(format!("{}.{:06}", record.sites, record.articles)),
        &format!(
            "{} {} · {} {}",
            record.sites,
            if record.sites == 1 { "site" } else { "sites" },
            record.articles,
            if record.articles == 1 {
                "article"
            } else {
                "articles"
            }
        ),
    );
    cell(
        page,
        "Confidence",
        Some(record.confidence.to_string()),
        &format!("{:.2}", record.confidence),
    );
    cell(
        page,
        "Hedged",
        None,
        if record.hedged {
            "<span title=\"every source reports it second-hand\">yes</span>"
        } else {
            "no"
        },
    );
    let mut articles = String::from("<ul class=\"sources\">");
    for source in &item.sources {
        source_item(&mut articles, source);
    }
    articles.push_str("</ul>");
    if !record.disagreements.is_empty() {
        let _ = write!(
            articles,
            "<p class=\"note\">Some articles say otherwise: {}</p>",
            escape(&disagreement_text(&record.disagreements))
        );
    }
    cell(page, "Articles", None, &articles);
    page.push_str("</tr>\n");
}

/// The value as stated, with the USD figure when one is stated (sorted by it).
fn value_cell(page: &mut String, item: &ReportStory, value: Option<&Money>) {
    let usd = value_usd(&item.story);
    let html = match (usd, value) {
        (Some(usd), Some(v)) if v.currency != "USD" => format!(
            "${} <span class=\"hint\">({} {})</span>",
            thousands(usd),
            thousands(v.amount),
            escape(&v.currency)
        ),
        (Some(usd), _) => format!("${}", thousands(usd)),
        (None, Some(v)) => format!(
            "{} {} <span class=\"hint\">(no USD figure)</span>",
            thousands(v.amount),
            escape(&v.currency)
        ),
        (None, None) => "<span class=\"none\">–</span>".to_string(),
    };
    cell(
        page,
        "Value",
        Some(usd.map(|v| v.to_string()).unwrap_or_default()),
        &html,
    );
}

/// One source article: its title as a link (when its address is a web address), the
/// site that published it and the day.
fn source_item(out: &mut String, source: &StorySource) {
    let title = source
        .title
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(&source.url);
    let host = site_of(&source.url);
    let site = match source.site_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() && !name.eq_ignore_ascii_case(&host) => {
            format!("<bdi>{}</bdi> ({})", escape(name), escape(&host))
        }
        _ => escape(&host),
    };
    out.push_str("<li>");
    match safe_href(&source.url) {
        Some(href) => {
            let _ = write!(
                out,
                "<a class=\"source\" href=\"{href}\" rel=\"noopener noreferrer nofollow\"><bdi>{}</bdi></a>",
                escape(title)
            );
        }
        None => {
            let _ = write!(out, "<bdi>{}</bdi>", escape(title));
        }
    }
    let _ = write!(out, " <span class=\"meta\">{site}");
    if let Some(day) = source.published {
        let _ = write!(out, " · <time datetime=\"{day}\">{day}</time>");
    }
    if source.hedged {
        out.push_str(" · second-hand");
    }
    out.push_str("</span></li>");
}
