//! Reading stories back for `chipwatch stories`: filtered by kind, first report, entity,
//! sources, confidence and hedging, newest first or by id for incremental consumers.

use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::{params_from_iter, OptionalExtension};

use super::events::day;
use super::story_rows::story_from_row;
use super::{Store, StoreError};
use crate::model::EventKind;
use crate::stories::Story;

/// Which stories `Store::stories` returns. The default is every story.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoryFilter {
    pub kind: Option<EventKind>,
    /// First reported on or after this day (UTC).
    pub since: Option<NaiveDate>,
    /// First reported on or before this day (UTC).
    pub until: Option<NaiveDate>,
    /// A name (any case) among the merged slots: buyer, supplier, product, authority,
    /// agency, or one of the targets, products or companies.
    pub entity: Option<String>,
    /// Reported by at least this many sites.
    pub min_sources: Option<u32>,
    /// Confidence (the most confident report's) at least this.
    pub min_confidence: Option<f64>,
    /// Only stories every source hedges, or only stories some source states first-hand.
    pub hedged: Option<bool>,
    pub limit: Option<usize>,
    /// Only stories with a larger id, in id order.
    pub after_id: Option<i64>,
}

impl Store {
    /// Stories matching `filter`: latest first report first, or in id order when
    /// `after_id` is set.
    pub fn stories(&self, filter: &StoryFilter) -> Result<Vec<Story>, StoreError> {
        let mut conditions = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut bind = |value: Value| {
            values.push(value);
            format!("?{}", values.len())
        };
        if let Some(kind) = filter.kind {
            conditions.push(format!("kind = {}", bind(kind.as_str().to_string().into())));
        }
        if let Some(since) = filter.since {
            conditions.push(format!(
                "substr(first_reported, 1, 10) >= {}",
                bind(day(since).into())
            ));
        }
        if let Some(until) = filter.until {
            conditions.push(format!(
                "substr(first_reported, 1, 10) <= {}",
                bind(day(until).into())
            ));
        }
        if let Some(entity) = &filter.entity {
            let p = bind(entity.clone().into());
            let scalar = ["buyer", "supplier", "product", "authority", "agency"]
                .map(|c| format!("lower({c}) = lower({p})"));
            let lists = ["targets", "products", "companies"].map(|c| {
                format!(
                    "EXISTS (SELECT 1 FROM json_each(stories.{c}) WHERE lower(value) = lower({p}))"
                )
            });
            conditions.push(format!(
                "({})",
                scalar
                    .iter()
                    .chain(&lists)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" OR ")
            ));
        }
        if let Some(min) = filter.min_sources {
            conditions.push(format!("sites >= {}", bind(i64::from(min).into())));
        }
        if let Some(min) = filter.min_confidence {
            conditions.push(format!("confidence >= {}", bind(min.into())));
        }
        if let Some(hedged) = filter.hedged {
            conditions.push(format!("hedged = {}", bind(i64::from(hedged).into())));
        }
        if let Some(after_id) = filter.after_id {
            conditions.push(format!("id > {}", bind(after_id.into())));
        }
        let limit = filter
            .limit
            .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let limit = bind(limit.into());
        let where_clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let order = if filter.after_id.is_some() {
            "id"
        } else {
            "first_reported IS NULL, first_reported DESC, id DESC"
        };
        let sql = format!("SELECT * FROM stories {where_clause} ORDER BY {order} LIMIT {limit}");
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(StoreError::sqlite("querying stories"))?;
        let rows = stmt
            .query_map(params_from_iter(values), story_from_row)
            .map_err(StoreError::sqlite("querying stories"))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::sqlite("reading stories"))
    }

    /// One story by id.
    pub fn story(&self, id: i64) -> Result<Option<Story>, StoreError> {
        self.conn
            .query_row("SELECT * FROM stories WHERE id = ?1", [id], story_from_row)
            .optional()
            .map_err(StoreError::sqlite(format!("reading story {id}")))
    }
}
