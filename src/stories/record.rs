//! The merged story record (DESIGN.md, "Story records"). Every field is a function of the
//! set of member events, computed afresh from all of them whenever the set changes, so a
//! story reads the same whatever order its articles came in.

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::model::{
    serialize_slots, ChipOrder, EventDetails, EventKind, ExportControl, CHIP_ORDER_FIELDS,
    EXPORT_CONTROL_FIELDS,
};

use super::Member;

/// Another value of a slot than the one shown, and how many articles state it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    pub value: Value,
    pub articles: u32,
}

/// What the member events say together.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryRecord {
    /// The merged slots: per slot the value most articles state (ties: the most
    /// confident, then the earliest report); an order's status is the latest report's.
    pub details: EventDetails,
    /// Per slot (contract order), the other values stated, most stated first.
    pub disagreements: Vec<(String, Vec<Disagreement>)>,
    pub first_reported: Option<DateTime<Utc>>,
    pub last_reported: Option<DateTime<Utc>>,
    /// Number of articles, and of distinct sites (by host) among them.
    pub articles: u32,
    pub sites: u32,
    /// The highest confidence of any member.
    pub confidence: f64,
    /// True while every source reports it second-hand.
    pub hedged: bool,
    /// Slots whose shown value no article states outright (each one inferred it).
    pub inferred: Vec<String>,
}

impl StoryRecord {
    pub fn kind(&self) -> EventKind {
        self.details.kind()
    }
}

/// A stored story: its record, its id and how often its substance changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Story {
    pub id: i64,
    pub record: StoryRecord,
    /// Starts at 1; grows when a merged slot or the status changes.
    pub revision: u32,
    /// When the record last changed in any way.
    pub updated_at: DateTime<Utc>,
}

/// The record of a set of events of one kind; `None` for no events.
pub fn merge(members: &[Member]) -> Option<StoryRecord> {
    let mut ordered: Vec<&Member> = members.iter().collect();
    ordered.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let kind = ordered.first()?.event.kind();
    let members: Vec<&Member> = ordered
        .into_iter()
        .filter(|m| m.event.kind() == kind)
        .collect();
    let fields = match kind {
        EventKind::ChipOrder => CHIP_ORDER_FIELDS,
        EventKind::ExportControl => EXPORT_CONTROL_FIELDS,
    };
    let slots: Vec<Map<String, Value>> =
        members.iter().map(|m| slots_of(&m.event.details)).collect();

    let mut merged = Map::new();
    let mut disagreements = Vec::new();
    let mut inferred = Vec::new();
    for field in fields {
        let mut tallies: Vec<Tally> = Vec::new();
        for (index, (member, values)) in members.iter().zip(&slots).enumerate() {
            let Some(value) = values.get(*field).and_then(stated) else {
                continue;
            };
            let key = value.to_string();
            let from_text = !member.event.inferred.iter().any(|f| f == field);
            match tallies.iter_mut().find(|t| t.key == key) {
                Some(t) => {
                    t.articles += 1;
                    t.confidence = t.confidence.max(member.event.confidence);
                    t.stated |= from_text;
                }
                None => tallies.push(Tally {
                    key,
                    value,
                    articles: 1,
                    confidence: member.event.confidence,
                    first: index,
                    stated: from_text,
                }),
            }
        }
        tallies.sort_by(|a, b| {
            b.articles
                .cmp(&a.articles)
                .then(b.confidence.total_cmp(&a.confidence))
                .then(a.first.cmp(&b.first))
        });
        let winner = if *field == "status" {
            latest_status(&members, &slots)
        } else {
            tallies.first().map(|t| t.key.clone())
        };
        let Some(winner) = winner else { continue };
        let mut others = Vec::new();
        for tally in tallies {
            if tally.key == winner {
                if !tally.stated {
                    inferred.push((*field).to_string());
                }
                merged.insert((*field).to_string(), tally.value);
            } else {
                others.push(Disagreement {
                    value: tally.value,
                    articles: tally.articles,
                });
            }
        }
        if !others.is_empty() {
            disagreements.push(((*field).to_string(), others));
        }
    }

    let reported = members.iter().filter_map(|m| m.reported);
    let articles: HashSet<&str> = members
        .iter()
        .filter_map(|m| m.event.article_url.as_deref())
        .collect();
    let sites: HashSet<String> = articles.iter().map(|url| site_of(url)).collect();
    Some(StoryRecord {
        details: details_from_slots(kind, &merged),
        disagreements,
        first_reported: reported.clone().min(),
        last_reported: reported.max(),
        articles: u32::try_from(articles.len()).unwrap_or(u32::MAX),
        sites: u32::try_from(sites.len()).unwrap_or(u32::MAX),
        confidence: members
            .iter()
            .map(|m| m.event.confidence)
            .fold(0.0, f64::max),
        hedged: members.iter().all(|m| m.event.hedged),
        inferred,
    })
}

/// How many articles state one value of a slot.
struct Tally {
    /// The value as canonical JSON text, for comparison.
    key: String,
    value: Value,
    articles: u32,
    confidence: f64,
    /// Position of its earliest member in the canonical order.
    first: usize,
    /// Some article states it rather than inferring it.
    stated: bool,
}

/// The status of the latest report that states one (the order's state evolves: planned,
/// placed, cancelled), as canonical JSON text.
fn latest_status(members: &[&Member], slots: &[Map<String, Value>]) -> Option<String> {
    members
        .iter()
        .zip(slots)
        .filter_map(|(m, values)| {
            let value = values.get("status").and_then(stated)?;
            Some(((m.reported, m.order_key()), value.to_string()))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, key)| key)
}

/// The slot value as an article states it: `None` for null or an empty list; lists
/// sorted, so that the same names in another order count as the same value.
fn stated(value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => {
            let mut items = items.clone();
            items.sort_by_key(|v| v.to_string());
            items.dedup();
            Some(Value::Array(items))
        }
        other => Some(other.clone()),
    }
}

/// The kind's slots of one event as a JSON object, under the record's names.
fn slots_of(details: &EventDetails) -> Map<String, Value> {
    struct Slots<'a>(&'a EventDetails);
    impl Serialize for Slots<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(None)?;
            serialize_slots(&mut map, self.0, true)?;
            map.end()
        }
    }
    match serde_json::to_value(Slots(details)) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Typed slots back from the chosen JSON values (each was serialised from the same type).
fn details_from_slots(kind: EventKind, slots: &Map<String, Value>) -> EventDetails {
    fn get<T: serde::de::DeserializeOwned>(slots: &Map<String, Value>, name: &str) -> Option<T> {
        slots
            .get(name)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }
    match kind {
        EventKind::ChipOrder => EventDetails::ChipOrder(ChipOrder {
            buyer: get(slots, "buyer"),
            supplier: get(slots, "supplier"),
            product: get(slots, "product"),
            quantity: get(slots, "quantity"),
            value: get(slots, "value"),
            value_usd: get(slots, "value_usd"),
            delivery: get(slots, "delivery"),
            status: get(slots, "status"),
        }),
        EventKind::ExportControl => EventDetails::ExportControl(ExportControl {
            authority: get(slots, "authority"),
            agency: get(slots, "agency"),
            targets: get(slots, "targets").unwrap_or_default(),
            products: get(slots, "products").unwrap_or_default(),
            companies: get(slots, "companies").unwrap_or_default(),
            action: get(slots, "action"),
            effective: get(slots, "effective"),
        }),
    }
}

/// The site of an article: its URL's host, lower-cased, without a leading `www.`.
pub fn site_of(url: &str) -> String {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_else(|| url.to_ascii_lowercase());
    match host.strip_prefix("www.") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => host,
    }
}

fn rfc3339(t: &Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Serialises as one flat record in contract order: `id`, `kind`, the merged slots,
/// `disagreements`, report times and counts, `status`, `inferred`, `revision`,
/// `updated_at`. Controls carry `status: null` (they have none).
impl Serialize for Story {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = &self.record;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("kind", &r.kind())?;
        serialize_slots(&mut map, &r.details, false)?;
        map.serialize_entry("disagreements", &DisagreementMap(&r.disagreements))?;
        map.serialize_entry("first_reported", &rfc3339(&r.first_reported))?;
        map.serialize_entry("last_reported", &rfc3339(&r.last_reported))?;
        map.serialize_entry("articles", &r.articles)?;
        map.serialize_entry("sites", &r.sites)?;
        map.serialize_entry("confidence", &r.confidence)?;
        map.serialize_entry("hedged", &r.hedged)?;
        let status = match &r.details {
            EventDetails::ChipOrder(o) => o.status,
            EventDetails::ExportControl(_) => None,
        };
        map.serialize_entry("status", &status)?;
        map.serialize_entry("inferred", &r.inferred)?;
        map.serialize_entry("revision", &self.revision)?;
        map.serialize_entry("updated_at", &rfc3339(&Some(self.updated_at)))?;
        map.end()
    }
}

/// Disagreements as a JSON object keyed by slot, in contract order.
pub struct DisagreementMap<'a>(pub &'a [(String, Vec<Disagreement>)]);

impl Serialize for DisagreementMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (slot, values) in self.0 {
            map.serialize_entry(slot, values)?;
        }
        map.end()
    }
}

/// Field names of a story record, in contract order (CSV headers follow it): the
/// common head, then the slots of chip orders and export controls (without `status`),
/// then the common tail.
pub const STORY_HEAD_FIELDS: &[&str] = &["id", "kind"];
pub const STORY_TAIL_FIELDS: &[&str] = &[
    "disagreements",
    "first_reported",
    "last_reported",
    "articles",
    "sites",
    "confidence",
    "hedged",
    "status",
    "inferred",
    "revision",
    "updated_at",
];

/// How many slots of an event state the value a story shows: the tie-breaker between
/// stories an event could join.
pub(super) fn agreement(event: &EventDetails, story: &EventDetails) -> usize {
    let mine = slots_of(event);
    let theirs = slots_of(story);
    mine.iter()
        .filter(|(name, value)| {
            let value = stated(value);
            value.is_some() && value == theirs.get(*name).and_then(stated)
        })
        .count()
}

/// The headline of a story record as serialised (the body of an alert), or `None` when
/// the JSON is not a story record.
pub fn headline_of_record(record: &Value) -> Option<String> {
    let map = record.as_object()?;
    let kind: EventKind = map.get("kind")?.as_str()?.parse().ok()?;
    let mut slots = map.clone();
    if kind == EventKind::ExportControl {
        slots.remove("status");
    }
    let details = details_from_slots(kind, &slots);
    let inferred: Vec<String> = map
        .get("inferred")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let hedged = map.get("hedged").and_then(Value::as_bool).unwrap_or(false);
    Some(super::headline(&details, &inferred, hedged))
}
