//! `stories` rows: a story record written as one row (slot columns as in `events`,
//! disagreements and lists as JSON) and read back as the model type.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row};

use super::events::{details_from_row, json_column, slot_row, to_json};
use super::{format_time, time_column, StoreError};
use crate::model::{EventDetails, CHIP_ORDER_FIELDS, EXPORT_CONTROL_FIELDS};
use crate::stories::{Disagreement, DisagreementMap, Story, StoryRecord};

/// The story columns written from a record (slot columns come from `slot_row`).
const STORY_COLUMNS: &str = "kind, buyer, supplier, product, quantity, value_amount, \
     value_currency, value_usd, delivery, status, authority, agency, targets, products, \
     companies, action, effective, disagreements, first_reported, last_reported, articles, \
     sites, confidence, hedged, inferred, revision, updated_at";

fn story_values(story: &Story) -> Result<Vec<rusqlite::types::Value>, StoreError> {
    use rusqlite::types::Value;
    let r = &story.record;
    let row = slot_row(&r.details)?;
    let text = |v: Option<&str>| v.map_or(Value::Null, |s| Value::Text(s.to_string()));
    let owned = |v: Option<String>| v.map_or(Value::Null, Value::Text);
    let real = |v: Option<f64>| v.map_or(Value::Null, Value::Real);
    let time = |t: Option<DateTime<Utc>>| t.map_or(Value::Null, |t| Value::Text(format_time(t)));
    Ok(vec![
        Value::Text(r.kind().as_str().to_string()),
        text(row.buyer),
        text(row.supplier),
        text(row.product),
        row.quantity.map_or(Value::Null, Value::Integer),
        real(row.value_amount),
        text(row.value_currency),
        real(row.value_usd),
        owned(row.delivery),
        text(row.status),
        text(row.authority),
        text(row.agency),
        owned(row.targets),
        owned(row.products),
        owned(row.companies),
        text(row.action),
        owned(row.effective),
        Value::Text(to_json(&DisagreementMap(&r.disagreements))?),
        time(r.first_reported),
        time(r.last_reported),
        Value::Integer(i64::from(r.articles)),
        Value::Integer(i64::from(r.sites)),
        Value::Real(r.confidence),
        Value::Integer(i64::from(r.hedged)),
        Value::Text(to_json(&r.inferred)?),
        Value::Integer(i64::from(story.revision)),
        Value::Text(format_time(story.updated_at)),
    ])
}

pub(super) fn insert_story(
    tx: &Connection,
    record: StoryRecord,
    now: DateTime<Utc>,
) -> Result<Story, StoreError> {
    let mut story = Story {
        id: 0,
        record,
        revision: 1,
        updated_at: now,
    };
    let mut values = story_values(&story)?;
    values.push(rusqlite::types::Value::Text(format_time(now)));
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
    story.id = tx
        .query_row(
            &format!(
                "INSERT INTO stories ({STORY_COLUMNS}, created_at) VALUES ({}) RETURNING id",
                placeholders.join(", ")
            ),
            rusqlite::params_from_iter(values),
            |r| r.get(0),
        )
        .map_err(StoreError::sqlite("creating a story"))?;
    Ok(story)
}

pub(super) fn update_story(tx: &Connection, story: &Story) -> Result<(), StoreError> {
    let mut values = story_values(story)?;
    let assignments: Vec<String> = STORY_COLUMNS
        .split(", ")
        .enumerate()
        .map(|(i, column)| format!("{} = ?{}", column.trim(), i + 1))
        .collect();
    values.push(rusqlite::types::Value::Integer(story.id));
    tx.execute(
        &format!(
            "UPDATE stories SET {} WHERE id = ?{}",
            assignments.join(", "),
            values.len()
        ),
        rusqlite::params_from_iter(values),
    )
    .map_err(StoreError::sqlite(format!("updating story {}", story.id)))?;
    Ok(())
}

/// Stored stories by id.
pub(super) fn read_stories(
    conn: &Connection,
    ids: &BTreeSet<i64>,
) -> Result<HashMap<i64, Story>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let context = "reading stories";
    let mut stmt = conn
        .prepare_cached("SELECT * FROM stories WHERE id IN (SELECT value FROM json_each(?1))")
        .map_err(StoreError::sqlite(context))?;
    let rows = stmt
        .query_map(
            [to_json(&ids.iter().copied().collect::<Vec<i64>>())?],
            story_from_row,
        )
        .map_err(StoreError::sqlite(context))?;
    rows.map(|row| row.map(|story| (story.id, story)))
        .collect::<Result<_, _>>()
        .map_err(StoreError::sqlite(context))
}

/// A `stories` row (all columns) as the model type.
pub(super) fn story_from_row(row: &Row<'_>) -> rusqlite::Result<Story> {
    let details = details_from_row(row)?;
    let fields = match details {
        EventDetails::ChipOrder(_) => CHIP_ORDER_FIELDS,
        EventDetails::ExportControl(_) => EXPORT_CONTROL_FIELDS,
    };
    let by_slot: BTreeMap<String, Vec<Disagreement>> =
        json_column(row, "disagreements")?.unwrap_or_default();
    let mut disagreements: Vec<(String, Vec<Disagreement>)> = by_slot.into_iter().collect();
    disagreements.sort_by_key(|(slot, _)| fields.iter().position(|f| f == slot));
    let count = |name: &str| -> rusqlite::Result<u32> {
        Ok(u32::try_from(row.get::<_, i64>(name)?).unwrap_or(0))
    };
    Ok(Story {
        id: row.get("id")?,
        record: StoryRecord {
            details,
            disagreements,
            first_reported: time_column(row, "first_reported")?,
            last_reported: time_column(row, "last_reported")?,
            articles: count("articles")?,
            sites: count("sites")?,
            confidence: row.get("confidence")?,
            hedged: row.get("hedged")?,
            inferred: json_column(row, "inferred")?.unwrap_or_default(),
        },
        revision: count("revision")?,
        updated_at: time_column(row, "updated_at")?.unwrap_or_default(),
    })
}
