//! The `events` table: writing events (one typed column per field, lists and spans as
//! JSON, a content fingerprint that makes re-insertion idempotent) and reading them back
//! as model [`Event`]s, filtered by kind, date, entity and position for `chipwatch events`.

use chrono::{NaiveDate, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, Row};
use sha2::{Digest, Sha256};

use super::{format_time, parsed_column, to_i64, Store, StoreError};
use crate::model::{
    ChipOrder, ControlAction, Event, EventDetails, EventKind, ExportControl, Money, OrderStatus,
    PartialDate, StoredEvent,
};

/// Which events `Store::events` returns. The default is every event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    pub kind: Option<EventKind>,
    /// Article published on or after this day.
    pub since: Option<NaiveDate>,
    /// Article published on or before this day.
    pub until: Option<NaiveDate>,
    /// A name (any case) that is the buyer, supplier, product, authority or agency, or is
    /// among the targets, products or companies.
    pub entity: Option<String>,
    /// Confidence at least this.
    pub min_confidence: Option<f64>,
    /// Only hedged (second-hand) events, or only events stated first-hand.
    pub hedged: Option<bool>,
    pub limit: Option<usize>,
    /// Only events with a larger id, in id order — for scripts that poll for new events.
    pub after_id: Option<i64>,
    /// Only the events of this story.
    pub story_id: Option<i64>,
}

/// Columns read by `event_from_row`.
const EVENT_COLUMNS: &str = "e.id, e.kind, a.url AS article_url, e.published, e.evidence, \
     e.spans, e.rule, e.rules_version, e.confidence, e.hedged, e.inferred, e.buyer, e.supplier, \
     e.product, e.quantity, e.value_amount, e.value_currency, e.value_usd, e.delivery, \
     e.status, e.authority, e.agency, e.targets, e.products, e.companies, e.action, \
     e.effective, e.story_id";

impl Store {
    /// Stored events matching `filter`: newest article first (events of one article in
    /// id order, i.e. text order), or in id order when `after_id` is set.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<Event>, StoreError> {
        Ok(self
            .stored_events(filter)?
            .into_iter()
            .map(|stored| stored.event)
            .collect())
    }

    /// [`Store::events`] with the story each event belongs to: the records
    /// `chipwatch events` prints.
    pub fn stored_events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        let mut conditions = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut bind = |value: Value| {
            values.push(value);
            format!("?{}", values.len())
        };
        if let Some(kind) = filter.kind {
            conditions.push(format!(
                "e.kind = {}",
                bind(kind.as_str().to_string().into())
            ));
        }
        if let Some(since) = filter.since {
            conditions.push(format!("e.published >= {}", bind(day(since).into())));
        }
        if let Some(until) = filter.until {
            conditions.push(format!("e.published <= {}", bind(day(until).into())));
        }
        if let Some(entity) = &filter.entity {
            // lower() folds ASCII only; both sides use it, so other letters must match
            // exactly.
            let p = bind(entity.clone().into());
            let scalar = ["buyer", "supplier", "product", "authority", "agency"]
                .map(|c| format!("lower(e.{c}) = lower({p})"));
            let lists = ["targets", "products", "companies"].map(|c| {
                format!("EXISTS (SELECT 1 FROM json_each(e.{c}) WHERE lower(value) = lower({p}))")
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
        if let Some(min) = filter.min_confidence {
            conditions.push(format!("e.confidence >= {}", bind(min.into())));
        }
        if let Some(hedged) = filter.hedged {
            conditions.push(format!("e.hedged = {}", bind(i64::from(hedged).into())));
        }
        if let Some(after_id) = filter.after_id {
            conditions.push(format!("e.id > {}", bind(after_id.into())));
        }
        if let Some(story_id) = filter.story_id {
            conditions.push(format!("e.story_id = {}", bind(story_id.into())));
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
            "e.id"
        } else {
            "e.published IS NULL, e.published DESC, e.article_id DESC, e.id"
        };
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events e JOIN articles a ON a.id = e.article_id
             {where_clause} ORDER BY {order} LIMIT {limit}"
        );
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(StoreError::sqlite("querying events"))?;
        let rows = stmt
            .query_map(params_from_iter(values), |row| {
                Ok(StoredEvent {
                    event: event_from_row(row)?,
                    story_id: row.get("story_id")?,
                })
            })
            .map_err(StoreError::sqlite("querying events"))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::sqlite("reading events"))
    }
}

/// Inserts one event of a stored article. Returns it as stored (id and `article_url`
/// set), or `None` when the article already has this very event (same fingerprint).
pub(super) fn insert_event(
    tx: &Connection,
    article_id: i64,
    article_url: &str,
    event: &Event,
) -> Result<Option<Event>, StoreError> {
    let err = |source| StoreError::Sqlite {
        context: format!("storing a {} event of article {article_url}", event.kind()),
        source,
    };

    let row = slot_row(&event.details)?;
    let (evidence, spans) = (to_json(&event.evidence)?, to_json(&event.spans)?);
    let (print, inferred) = (fingerprint(event)?, to_json(&event.inferred)?);
    let changed = tx
        .prepare_cached(
            "INSERT INTO events (article_id, kind, published, evidence, spans, rule,
                 rules_version, confidence, hedged, buyer, supplier, product, quantity,
                 value_amount, value_currency, value_usd, delivery, status, authority, agency,
                 targets, products, companies, action, effective, fingerprint, created_at,
                 inferred)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)
             ON CONFLICT (article_id, fingerprint) DO NOTHING",
        )
        .and_then(|mut insert| {
            insert.execute(params![
                article_id,
                event.kind().as_str(),
                event.published.map(day),
                evidence,
                spans,
                event.rule,
                event.rules_version,
                event.confidence,
                event.hedged,
                row.buyer,
                row.supplier,
                row.product,
                row.quantity,
                row.value_amount,
                row.value_currency,
                row.value_usd,
                row.delivery,
                row.status,
                row.authority,
                row.agency,
                row.targets,
                row.products,
                row.companies,
                row.action,
                row.effective,
                print,
                format_time(Utc::now()),
                inferred,
            ])
        })
        .map_err(err)?;
    if changed == 0 {
        return Ok(None);
    }
    let mut stored = event.clone();
    stored.id = Some(tx.last_insert_rowid());
    stored.article_url = Some(article_url.to_string());
    Ok(Some(stored))
}

/// The kind-specific columns of one event or story row (NULL for the other kind).
#[derive(Default)]
pub(super) struct EventRow<'a> {
    pub buyer: Option<&'a str>,
    pub supplier: Option<&'a str>,
    pub product: Option<&'a str>,
    pub quantity: Option<i64>,
    pub value_amount: Option<f64>,
    pub value_currency: Option<&'a str>,
    pub value_usd: Option<f64>,
    pub delivery: Option<String>,
    pub status: Option<&'static str>,
    pub authority: Option<&'a str>,
    pub agency: Option<&'a str>,
    pub targets: Option<String>,
    pub products: Option<String>,
    pub companies: Option<String>,
    pub action: Option<&'static str>,
    pub effective: Option<String>,
}

/// The slot columns of an event's (or a story's merged) fields.
pub(super) fn slot_row(details: &EventDetails) -> Result<EventRow<'_>, StoreError> {
    let mut row = EventRow::default();
    match details {
        EventDetails::ChipOrder(o) => {
            row.buyer = o.buyer.as_deref();
            row.supplier = o.supplier.as_deref();
            row.product = o.product.as_deref();
            row.quantity = o.quantity.map(|q| to_i64("quantity", q)).transpose()?;
            row.value_amount = o.value.as_ref().map(|m| m.amount);
            row.value_currency = o.value.as_ref().map(|m| m.currency.as_str());
            row.value_usd = o.value_usd;
            row.delivery = o.delivery.map(|d| d.to_string());
            row.status = o.status.map(OrderStatus::as_str);
        }
        EventDetails::ExportControl(c) => {
            row.authority = c.authority.as_deref();
            row.agency = c.agency.as_deref();
            row.targets = Some(to_json(&c.targets)?);
            row.products = Some(to_json(&c.products)?);
            row.companies = Some(to_json(&c.companies)?);
            row.action = c.action.map(ControlAction::as_str);
            row.effective = c.effective.map(|d| d.to_string());
        }
    }
    Ok(row)
}

/// Serialises a list, spans or a whole event to JSON text.
pub(super) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::InvalidValue {
        what: "event JSON",
        detail: e.to_string(),
    })
}

/// SHA-256 of what makes an event this event within its article's text: its kind, spans
/// and fields. Provenance (rule, rules version, confidence, hedging, which fields were
/// inferred) and what follows from the article (URL, date, evidence text) are left out,
/// so storing the same text twice adds nothing. Replacing an article's events matches
/// by kind and fields too, so an event whose sentence moved keeps its row (see
/// `reprocess.rs`).
pub(super) fn fingerprint(event: &Event) -> Result<String, StoreError> {
    let mut identity = event.clone();
    identity.id = None;
    identity.article_url = None;
    identity.published = None;
    identity.evidence.clear();
    identity.rule.clear();
    identity.rules_version.clear();
    identity.confidence = 1.0;
    identity.hedged = false;
    identity.inferred.clear();
    let digest = Sha256::digest(to_json(&identity)?.as_bytes());
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

pub(super) fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub(super) fn json_column<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    name: &str,
) -> rusqlite::Result<Option<T>> {
    parsed_column(row, name, |s| serde_json::from_str::<T>(s))
}

fn enum_column<T>(row: &Row<'_>, name: &str, values: &[(&str, T)]) -> rusqlite::Result<Option<T>>
where
    T: Copy,
{
    parsed_column(row, name, |s| {
        values
            .iter()
            .find(|(text, _)| *text == s)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("unknown value `{s}` in column {name}"))
    })
}

fn partial_date_column(row: &Row<'_>, name: &str) -> rusqlite::Result<Option<PartialDate>> {
    parsed_column(row, name, str::parse::<PartialDate>)
}

/// The slot columns of an event or story row, read back as the fields of its kind.
pub(super) fn details_from_row(row: &Row<'_>) -> rusqlite::Result<EventDetails> {
    let kind = enum_column(
        row,
        "kind",
        &[
            ("chip_order", EventKind::ChipOrder),
            ("export_control", EventKind::ExportControl),
        ],
    )?;
    Ok(match kind {
        Some(EventKind::ChipOrder) | None => {
            let amount: Option<f64> = row.get("value_amount")?;
            let currency: Option<String> = row.get("value_currency")?;
            let quantity: Option<i64> = row.get("quantity")?;
            EventDetails::ChipOrder(ChipOrder {
                buyer: row.get("buyer")?,
                supplier: row.get("supplier")?,
                product: row.get("product")?,
                // A negative quantity can only come from a hand edit; read it as unknown.
                quantity: quantity.and_then(|q| u64::try_from(q).ok()),
                value: amount
                    .zip(currency)
                    .map(|(amount, currency)| Money { amount, currency }),
                value_usd: row.get("value_usd")?,
                delivery: partial_date_column(row, "delivery")?,
                status: enum_column(
                    row,
                    "status",
                    &[
                        ("placed", OrderStatus::Placed),
                        ("planned", OrderStatus::Planned),
                        ("cancelled", OrderStatus::Cancelled),
                    ],
                )?,
            })
        }
        Some(EventKind::ExportControl) => EventDetails::ExportControl(ExportControl {
            authority: row.get("authority")?,
            agency: row.get("agency")?,
            targets: json_column(row, "targets")?.unwrap_or_default(),
            products: json_column(row, "products")?.unwrap_or_default(),
            companies: json_column(row, "companies")?.unwrap_or_default(),
            action: enum_column(
                row,
                "action",
                &[
                    ("restrict", ControlAction::Restrict),
                    ("relax", ControlAction::Relax),
                ],
            )?,
            effective: partial_date_column(row, "effective")?,
        }),
    })
}

pub(super) fn event_from_row(row: &Row<'_>) -> rusqlite::Result<Event> {
    let details = details_from_row(row)?;
    Ok(Event {
        id: row.get("id")?,
        article_url: row.get("article_url")?,
        published: parsed_column(row, "published", |s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
        })?,
        evidence: json_column(row, "evidence")?.unwrap_or_default(),
        spans: json_column(row, "spans")?.unwrap_or_default(),
        rule: row.get("rule")?,
        rules_version: row.get("rules_version")?,
        confidence: row.get("confidence")?,
        hedged: row.get("hedged")?,
        inferred: json_column(row, "inferred")?.unwrap_or_default(),
        details,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::testing::{article, chip_order, export_control, temp_store};
    use super::*;

    fn url(n: u32) -> String {
        format!("https://news.example/{n}")
    }

    /// Three articles (Nov 8, 9, 10) with a chip order and an export control each.
    fn seeded() -> (tempfile::TempDir, Store, Vec<Event>) {
        let (dir, mut store) = temp_store();
        let mut all = Vec::new();
        for day in [9, 8, 10] {
            let u = url(day);
            let mut control = export_control(&u, day);
            if day == 8 {
                if let EventDetails::ExportControl(c) = &mut control.details {
                    c.authority = Some("China".into());
                    c.agency = Some("MOFCOM".into());
                    c.targets = vec!["United States".into()];
                    c.products = vec!["Gallium".into()];
                    c.companies.clear();
                    c.action = Some(ControlAction::Relax);
                    c.effective = None;
                }
            }
            let (_, stored) = store
                .insert_article(
                    None,
                    None,
                    &article(&u, day),
                    &[chip_order(&u, day), control],
                )
                .unwrap();
            all.extend(stored);
        }
        (dir, store, all)
    }

    fn ids(events: &[Event]) -> Vec<i64> {
        events.iter().map(|e| e.id.unwrap()).collect()
    }

    #[test]
    fn events_round_trip_field_by_field() {
        let (_dir, mut store) = temp_store();
        let u = url(1);
        let mut sparse = chip_order(&u, 9);
        sparse.published = None;
        sparse.spans = vec![crate::model::Span { start: 0, end: 5 }];
        sparse.details = EventDetails::ChipOrder(ChipOrder::default());
        let mut empty_control = export_control(&u, 9);
        empty_control.spans = vec![crate::model::Span { start: 6, end: 9 }];
        empty_control.details = EventDetails::ExportControl(ExportControl::default());
        let inputs = [
            chip_order(&u, 9),
            export_control(&u, 9),
            sparse,
            empty_control,
        ];
        let (_, stored) = store
            .insert_article(None, None, &article(&u, 9), &inputs)
            .unwrap();
        let read = store
            .events(&EventFilter {
                after_id: Some(0),
                ..EventFilter::default()
            })
            .unwrap();
        assert_eq!(read, stored);
        for (input, back) in inputs.iter().zip(&read) {
            let mut expected = input.clone();
            expected.id = back.id;
            assert_eq!(back, &expected);
        }
        // Spot-check the columns analysts see.
        let (value, currency, targets, delivery): (f64, String, Option<String>, String) = store
            .conn
            .query_row(
                "SELECT value_amount, value_currency, targets, delivery FROM events WHERE id = ?1",
                [read[0].id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!((value, currency.as_str()), (450_000_000.5, "CNY"));
        assert_eq!((targets, delivery.as_str()), (None, "2023-12-31"));
        let (targets, effective): (String, String) = store
            .conn
            .query_row(
                "SELECT targets, effective FROM events WHERE id = ?1",
                [read[1].id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            (targets.as_str(), effective.as_str()),
            ("[\"China\"]", "2023-10")
        );
    }

    #[test]
    fn events_come_newest_article_first_in_text_order() {
        let (_dir, store, all) = seeded();
        let events = store.events(&EventFilter::default()).unwrap();
        let days: Vec<_> = events
            .iter()
            .map(|e| e.published.unwrap().to_string())
            .collect();
        assert_eq!(
            days,
            [
                "2023-11-10",
                "2023-11-10",
                "2023-11-09",
                "2023-11-09",
                "2023-11-08",
                "2023-11-08"
            ]
        );
        assert_eq!(events[0].kind(), EventKind::ChipOrder);
        assert_eq!(events[1].kind(), EventKind::ExportControl);
        assert_eq!(events.len(), all.len());
    }

    #[test]
    fn events_filter_by_kind_and_dates() {
        let (_dir, store, _) = seeded();
        let query = |filter: EventFilter| store.events(&filter).unwrap();
        let controls = query(EventFilter {
            kind: Some(EventKind::ExportControl),
            ..Default::default()
        });
        assert_eq!(controls.len(), 3);
        assert!(controls
            .iter()
            .all(|e| e.kind() == EventKind::ExportControl));

        let day = |d| NaiveDate::from_ymd_opt(2023, 11, d);
        let window = query(EventFilter {
            since: day(9),
            until: day(9),
            ..Default::default()
        });
        assert_eq!(window.len(), 2, "since and until are inclusive");
        assert!(window.iter().all(|e| e.published == day(9)));
        assert_eq!(
            query(EventFilter {
                since: day(10),
                ..Default::default()
            })
            .len(),
            2
        );
        assert_eq!(
            query(EventFilter {
                until: day(8),
                ..Default::default()
            })
            .len(),
            2
        );
        assert!(query(EventFilter {
            since: day(11),
            ..Default::default()
        })
        .is_empty());
    }

    #[test]
    fn events_filter_by_entity_in_any_role_or_list_ignoring_case() {
        let (_dir, store, _) = seeded();
        let by = |entity: &str| {
            store
                .events(&EventFilter {
                    entity: Some(entity.into()),
                    ..Default::default()
                })
                .unwrap()
        };
        assert_eq!(by("huawei").len(), 3, "supplier");
        assert_eq!(by("ASCEND 910B").len(), 3, "product");
        assert_eq!(by("mofcom").len(), 1, "agency");
        assert_eq!(by("united states").len(), 3, "authority twice, target once");
        assert_eq!(by("nvidia").len(), 2, "companies list");
        assert_eq!(by("h800").len(), 2, "products list");
        assert_eq!(by("gallium").len(), 1);
        assert!(by("Huawe").is_empty(), "exact match only");
        assert!(by("%").is_empty());
    }

    #[test]
    fn events_limit_and_after_id_page_in_id_order() {
        let (_dir, store, all) = seeded();
        let limited = store
            .events(&EventFilter {
                limit: Some(3),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(limited.len(), 3);
        assert_eq!(limited[0].published, NaiveDate::from_ymd_opt(2023, 11, 10));

        let mut all_ids = ids(&all);
        all_ids.sort();
        let page = store
            .events(&EventFilter {
                after_id: Some(all_ids[1]),
                limit: Some(2),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(ids(&page), &all_ids[2..4]);
        let rest = store
            .events(&EventFilter {
                after_id: Some(all_ids[3]),
                kind: Some(EventKind::ChipOrder),
                ..Default::default()
            })
            .unwrap();
        assert!(rest.iter().all(|e| e.id.unwrap() > all_ids[3]));
        assert_eq!(rest.len(), 1);
    }

    #[test]
    fn the_fingerprint_ignores_provenance_but_not_content() {
        let base = chip_order(&url(1), 9);
        let mut rerun = base.clone();
        rerun.rules_version = "new".into();
        rerun.confidence = 0.4;
        rerun.id = Some(7);
        assert_eq!(fingerprint(&base).unwrap(), fingerprint(&rerun).unwrap());
        let mut other = base.clone();
        if let EventDetails::ChipOrder(o) = &mut other.details {
            o.buyer = Some("Tencent".into());
        }
        assert_ne!(fingerprint(&base).unwrap(), fingerprint(&other).unwrap());
        assert_eq!(fingerprint(&base).unwrap().len(), 64);
    }
}
