//! Output formats for events (table, JSON, NDJSON, CSV) and the control-character
//! stripping applied to anything from fetched data that reaches a terminal.

use std::io::Write;

use serde_json::Value;

use crate::model::{
    Event, EventDetails, EventKind, StoredEvent, CHIP_ORDER_FIELDS, COMMON_FIELDS,
    EXPORT_CONTROL_FIELDS,
};
pub use crate::stories::format_amount;
use crate::stories::headline;

/// Width the table aims to fit.
pub const TABLE_WIDTH: usize = 100;

/// Drops control characters (escape sequences from a hostile feed must not reach the
/// terminal); tabs and newlines become spaces.
pub fn strip_controls(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            // Bidi overrides can disguise text on a terminal too.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => None,
            c => Some(c),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    Table,
    Json,
    Ndjson,
    Csv,
}

pub fn write_events(
    out: &mut dyn Write,
    events: &[StoredEvent],
    format: EventFormat,
    kind: Option<EventKind>,
) -> std::io::Result<()> {
    match format {
        EventFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, events)?;
            writeln!(out)
        }
        EventFormat::Ndjson => {
            for event in events {
                serde_json::to_writer(&mut *out, event)?;
                writeln!(out)?;
            }
            Ok(())
        }
        EventFormat::Csv => write_csv(out, events, kind),
        EventFormat::Table => write_table(out, events),
    }
}

/// The CSV columns: the record fields in contract order, `value` split in two.
pub fn csv_columns(kind: Option<EventKind>) -> Vec<&'static str> {
    let mut columns: Vec<&str> = COMMON_FIELDS.to_vec();
    columns.extend(slot_columns(kind, true));
    columns
}

/// The slot columns of a kind (or both kinds) in contract order, `value` split in two.
pub fn slot_columns(kind: Option<EventKind>, with_status: bool) -> Vec<&'static str> {
    let mut columns = Vec::new();
    if kind != Some(EventKind::ExportControl) {
        for field in CHIP_ORDER_FIELDS {
            match *field {
                "value" => columns.extend(["value_amount", "value_currency"]),
                "status" if !with_status => {}
                other => columns.push(other),
            }
        }
    }
    if kind != Some(EventKind::ChipOrder) {
        columns.extend(EXPORT_CONTROL_FIELDS);
    }
    columns
}

fn write_csv(
    out: &mut dyn Write,
    events: &[StoredEvent],
    kind: Option<EventKind>,
) -> std::io::Result<()> {
    write_csv_records(out, events, &csv_columns(kind))
}

/// CSV (RFC 4180) of serialisable records: a header of `columns`, then one row per
/// record from its JSON fields (`value_amount`/`value_currency` from `value`).
pub fn write_csv_records<T: serde::Serialize>(
    out: &mut dyn Write,
    records: &[T],
    columns: &[&str],
) -> std::io::Result<()> {
    write!(out, "{}\r\n", columns.join(","))?;
    for item in records {
        let record = serde_json::to_value(item).map_err(std::io::Error::other)?;
        let cells: Vec<String> = columns
            .iter()
            .map(|column| {
                let value = match *column {
                    "value_amount" => record.get("value").and_then(|v| v.get("amount")),
                    "value_currency" => record.get("value").and_then(|v| v.get("currency")),
                    name => record.get(name),
                };
                csv_cell(value)
            })
            .collect();
        // RFC 4180 ends records with CRLF.
        write!(out, "{}\r\n", cells.join(","))?;
    }
    Ok(())
}

fn csv_cell(value: Option<&Value>) -> String {
    let text = match value {
        None | Some(Value::Null) => return String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// One line a summary of what the event says, for people.
pub fn summary(event: &Event) -> String {
    summary_of(&event.details, &event.inferred, event.hedged)
}

/// The summary line of an event's or a story's slots, safe for a terminal.
pub fn summary_of(details: &EventDetails, inferred: &[String], hedged: bool) -> String {
    strip_controls(&headline(details, inferred, hedged))
}

pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The table: one summary line per event and its first evidence sentence under it, both
/// cut to fit [`TABLE_WIDTH`] columns.
fn write_table(out: &mut dyn Write, events: &[StoredEvent]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>6}  {:<14}  {:<10}  {:<4}  SUMMARY",
        "ID", "KIND", "PUBLISHED", "CONF"
    )?;
    let room = TABLE_WIDTH - 44;
    for event in events.iter().map(|e| &e.event) {
        writeln!(
            out,
            "{:>6}  {:<14}  {:<10}  {:.2}  {}",
            event.id.map_or("-".to_string(), |id| id.to_string()),
            event.kind().as_str(),
            event.published.map_or("-".to_string(), |d| d.to_string()),
            event.confidence,
            truncate(&summary(event), room)
        )?;
        if let Some(sentence) = event.evidence.first() {
            let quoted = format!("“{}”", strip_controls(sentence));
            writeln!(out, "{:8}{}", "", truncate(&quoted, TABLE_WIDTH - 8))?;
        }
    }
    Ok(())
}

/// Events for `extract --format text`: the summary and the evidence, untruncated.
pub fn print_events_text(events: &[Event]) {
    for (i, event) in events.iter().enumerate() {
        println!("\n{}. {} — {}", i + 1, event.kind(), summary(event));
        println!(
            "   rule {} · confidence {:.2}",
            strip_controls(&event.rule),
            event.confidence
        );
        for sentence in &event.evidence {
            println!("   > {}", strip_controls(sentence));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_stripped() {
        assert_eq!(strip_controls("a\u{1b}[31mb\tc\u{202E}d\u{7}"), "a[31mb cd");
    }

    #[test]
    fn csv_cells_are_quoted_per_rfc4180() {
        assert_eq!(csv_cell(Some(&Value::String("a,b".into()))), "\"a,b\"");
        assert_eq!(
            csv_cell(Some(&Value::String("say \"hi\"".into()))),
            "\"say \"\"hi\"\"\""
        );
        assert_eq!(csv_cell(Some(&Value::Null)), "");
        assert_eq!(
            csv_cell(Some(&serde_json::json!(["China"]))),
            "\"[\"\"China\"\"]\""
        );
    }

    #[test]
    fn csv_columns_follow_the_contract() {
        let columns = csv_columns(Some(EventKind::ChipOrder));
        assert_eq!(columns[..2], ["id", "kind"]);
        assert!(columns.contains(&"value_amount") && columns.contains(&"value_currency"));
        assert!(!columns.contains(&"authority"));
        assert_eq!(
            csv_columns(None).len(),
            COMMON_FIELDS.len() + CHIP_ORDER_FIELDS.len() + 1 + EXPORT_CONTROL_FIELDS.len()
        );
    }

    #[test]
    fn long_summaries_are_truncated_by_characters() {
        assert_eq!(truncate("ééééé", 3), "éé…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
