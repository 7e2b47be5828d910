//! Output formats for stories: the table (with sources and disagreements), JSON, NDJSON,
//! CSV, and the text of `stories show`. Text from fetched articles is stripped of
//! control characters before it reaches a terminal.

use std::io::Write;

use super::output::{
    slot_columns, strip_controls, summary_of, truncate, write_csv_records, EventFormat, TABLE_WIDTH,
};
use crate::model::{EventKind, StoredEvent};
use crate::stories::{disagreement_text, Story, STORY_HEAD_FIELDS, STORY_TAIL_FIELDS};

pub fn write_stories(
    out: &mut dyn Write,
    stories: &[Story],
    format: EventFormat,
    kind: Option<EventKind>,
) -> std::io::Result<()> {
    match format {
        EventFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, stories)?;
            writeln!(out)
        }
        EventFormat::Ndjson => {
            for story in stories {
                serde_json::to_writer(&mut *out, story)?;
                writeln!(out)?;
            }
            Ok(())
        }
        EventFormat::Csv => write_csv_records(out, stories, &story_csv_columns(kind)),
        EventFormat::Table => write_table(out, stories),
    }
}

/// The CSV columns of stories: `id`, `kind`, the slots (`value` split in two), then the
/// story fields (`disagreements` as JSON text).
pub fn story_csv_columns(kind: Option<EventKind>) -> Vec<&'static str> {
    let mut columns = STORY_HEAD_FIELDS.to_vec();
    columns.extend(slot_columns(kind, false));
    columns.extend(STORY_TAIL_FIELDS);
    columns
}

fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// One summary line per story, and under it its articles and what sources disagree on.
fn write_table(out: &mut dyn Write, stories: &[Story]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>6}  {:<14}  {:<10}  {:>5}  {:<4}  SUMMARY",
        "ID", "KIND", "FIRST", "SITES", "CONF"
    )?;
    let room = TABLE_WIDTH - 49;
    for story in stories {
        let r = &story.record;
        writeln!(
            out,
            "{:>6}  {:<14}  {:<10}  {:>5}  {:.2}  {}",
            story.id,
            r.kind().as_str(),
            r.first_reported
                .map_or("-".to_string(), |t| t.date_naive().to_string()),
            r.sites,
            r.confidence,
            truncate(&summary_of(&r.details, &r.inferred, r.hedged), room)
        )?;
        let sources = if r.disagreements.is_empty() {
            format!("{}; the sources agree", plural(r.articles, "article"))
        } else {
            format!(
                "{}; also {}",
                plural(r.articles, "article"),
                disagreement_text(&r.disagreements)
            )
        };
        writeln!(
            out,
            "{:8}{}",
            "",
            truncate(&strip_controls(&sources), TABLE_WIDTH - 8)
        )?;
    }
    Ok(())
}

/// `stories show`: the story, then every article with its event's evidence, untruncated.
pub fn write_story_text(
    out: &mut dyn Write,
    story: &Story,
    events: &[StoredEvent],
) -> std::io::Result<()> {
    let r = &story.record;
    let time = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("-".to_string(), |t| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
    };
    writeln!(
        out,
        "story {} · {} · revision {} · updated {}",
        story.id,
        r.kind(),
        story.revision,
        time(&Some(story.updated_at))
    )?;
    writeln!(out, "{}", summary_of(&r.details, &r.inferred, r.hedged))?;
    writeln!(
        out,
        "reported {} to {} by {} on {}; confidence {:.2}",
        time(&r.first_reported),
        time(&r.last_reported),
        plural(r.articles, "article"),
        plural(r.sites, "site"),
        r.confidence
    )?;
    if !r.disagreements.is_empty() {
        writeln!(
            out,
            "sources also say: {}",
            strip_controls(&disagreement_text(&r.disagreements))
        )?;
    }
    writeln!(out, "\narticles")?;
    for (i, stored) in events.iter().enumerate() {
        let e = &stored.event;
        writeln!(
            out,
            "{}. {}  {}",
            i + 1,
            e.published.map_or("-".to_string(), |d| d.to_string()),
            strip_controls(e.article_url.as_deref().unwrap_or("-"))
        )?;
        writeln!(
            out,
            "   event {} · {} · rule {} · confidence {:.2}",
            e.id.map_or("-".to_string(), |id| id.to_string()),
            summary_of(&e.details, &e.inferred, e.hedged),
            strip_controls(&e.rule),
            e.confidence
        )?;
        for sentence in &e.evidence {
            writeln!(out, "   > {}", strip_controls(sentence))?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::stories::Disagreement;

    #[test]
    fn disagreements_read_as_values_with_article_counts() {
        let text = disagreement_text(&[
            (
                "quantity".into(),
                vec![Disagreement {
                    value: serde_json::json!(1500),
                    articles: 1,
                }],
            ),
            (
                "value".into(),
                vec![Disagreement {
                    value: serde_json::json!({"amount": 450000000, "currency": "CNY"}),
                    articles: 2,
                }],
            ),
            (
                "products".into(),
                vec![Disagreement {
                    value: serde_json::json!(["A800", "H800"]),
                    articles: 1,
                }],
            ),
        ]);
        assert_eq!(
            text,
            "quantity 1500 (1); value 450000000 CNY (2); products A800, H800 (1)"
        );
    }

    #[test]
    fn story_csv_columns_follow_the_contract() {
        let columns = story_csv_columns(Some(EventKind::ChipOrder));
        assert_eq!(columns[..3], ["id", "kind", "buyer"]);
        assert_eq!(columns.iter().filter(|c| **c == "status").count(), 1);
        assert!(columns.contains(&"value_amount") && !columns.contains(&"authority"));
        assert_eq!(columns.last(), Some(&"updated_at"));
    }
}
