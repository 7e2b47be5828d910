//! Plain data shared by every stage: feed items, articles, events and the small value
//! types inside them (partial dates, money, byte spans). This module imports no other
//! module of the crate, so any stage can depend on it without dragging in another stage.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One entry of a feed, converted from feed-rs at the `feed/` boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    /// The feed's own identifier for the entry (GUID / Atom id), when it has one.
    pub guid: Option<String>,
    /// The entry's link, normalised (see `feed::canonical_url`); `None` when the entry
    /// has no usable http(s) link.
    pub url: Option<String>,
    pub title: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    /// The entry's own text (`content:encoded`, Atom content, else summary) as HTML or text.
    pub content: Option<String>,
}

/// Where an article's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextSource {
    /// The article page fetched from its link.
    Page,
    /// The feed item's own content (the page could not be fetched or gave too little).
    Feed,
}

impl TextSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TextSource::Page => "page",
            TextSource::Feed => "feed",
        }
    }
}

/// When an article was published: a full timestamp when the source gives one, else a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    Time(DateTime<FixedOffset>),
    Day(NaiveDate),
}

impl Published {
    pub fn date(&self) -> NaiveDate {
        match self {
            Published::Time(t) => t.date_naive(),
            Published::Day(d) => *d,
        }
    }
}

impl fmt::Display for Published {
    /// RFC 3339 when the time is known, else `YYYY-MM-DD` (the `extract` JSON contract).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Published::Time(t) => f.write_str(&t.to_rfc3339()),
            Published::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

/// The main text and metadata pulled out of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// The normalised feed link (the dedup key); `None` for a local file.
    pub url: Option<String>,
    /// The page's own `<link rel=canonical>`, kept apart from `url`.
    pub canonical_url: Option<String>,
    pub title: Option<String>,
    pub published: Option<Published>,
    pub author: Option<String>,
    pub site: Option<String>,
    pub lang: Option<String>,
    /// Paragraphs separated by blank lines; evidence spans index into this string.
    pub text: String,
    pub text_source: TextSource,
}

/// A `[start, end)` range of UTF-8 byte offsets into an article's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "[usize; 2]", into = "[usize; 2]")]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl From<[usize; 2]> for Span {
    fn from([start, end]: [usize; 2]) -> Self {
        Span { start, end }
    }
}

impl From<Span> for [usize; 2] {
    fn from(span: Span) -> Self {
        [span.start, span.end]
    }
}

/// A date known to a day, a month or a year (DESIGN.md, "Partial dates").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PartialDate {
    Year(i32),
    Month(i32, u32),
    Day(NaiveDate),
}

impl PartialDate {
    /// The first day the partial date covers; used to order and compare dates.
    pub fn first_day(&self) -> Option<NaiveDate> {
        match *self {
            PartialDate::Year(y) => NaiveDate::from_ymd_opt(y, 1, 1),
            PartialDate::Month(y, m) => NaiveDate::from_ymd_opt(y, m, 1),
            PartialDate::Day(d) => Some(d),
        }
    }

    pub fn year(&self) -> i32 {
        match *self {
            PartialDate::Year(y) | PartialDate::Month(y, _) => y,
            PartialDate::Day(d) => d.year(),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartialDate::Year(y) => write!(f, "{y:04}"),
            PartialDate::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            PartialDate::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

/// Error for a string that is not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")]
pub struct PartialDateError(pub String);

impl FromStr for PartialDate {
    type Err = PartialDateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || PartialDateError(s.to_string());
        let parts: Vec<&str> = s.split('-').collect();
        let number = |p: &str, len: usize| -> Result<u32, PartialDateError> {
            if p.len() == len && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        match parts.as_slice() {
            [y] => Ok(PartialDate::Year(number(y, 4)? as i32)),
            [y, m] => {
                let (y, m) = (number(y, 4)? as i32, number(m, 2)?);
                if (1..=12).contains(&m) {
                    Ok(PartialDate::Month(y, m))
                } else {
                    Err(bad())
                }
            }
            [y, m, d] => {
                NaiveDate::from_ymd_opt(number(y, 4)? as i32, number(m, 2)?, number(d, 2)?)
                    .map(PartialDate::Day)
                    .ok_or_else(bad)
            }
            _ => Err(bad()),
        }
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An amount of money as first stated, with its ISO 4217 currency code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Money {
    /// Whole units of the currency; fractions only when the text states them.
    #[serde(serialize_with = "serialize_amount")]
    pub amount: f64,
    pub currency: String,
}

/// Writes whole amounts as JSON integers (61830000, not 61830000.0).
pub fn serialize_amount<S: Serializer>(amount: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if amount.fract() == 0.0 && amount.abs() < 9.0e15 {
        serializer.serialize_i64(*amount as i64)
    } else {
        serializer.serialize_f64(*amount)
    }
}

fn serialize_optional_amount<S: Serializer>(
    amount: &Option<f64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match amount {
        Some(a) => serialize_amount(a, serializer),
        None => serializer.serialize_none(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ChipOrder,
    ExportControl,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ChipOrder => "chip_order",
            EventKind::ExportControl => "export_control",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "chip_order" => Ok(EventKind::ChipOrder),
            "export_control" => Ok(EventKind::ExportControl),
            other => Err(format!(
                "unknown event kind `{other}` (expected chip_order or export_control)"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Placed,
    Planned,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "placed",
            OrderStatus::Planned => "planned",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlAction {
    Restrict,
    Relax,
}

impl ControlAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlAction::Restrict => "restrict",
            ControlAction::Relax => "relax",
        }
    }
}

/// The fields of a `chip_order` event (DESIGN.md, "Event records").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChipOrder {
    pub buyer: Option<String>,
    pub supplier: Option<String>,
    pub product: Option<String>,
    pub quantity: Option<u64>,
    pub value: Option<Money>,
    pub value_usd: Option<f64>,
    pub delivery: Option<PartialDate>,
    pub status: Option<OrderStatus>,
}

/// The fields of an `export_control` event (DESIGN.md, "Event records").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportControl {
    pub authority: Option<String>,
    pub agency: Option<String>,
    pub targets: Vec<String>,
    pub products: Vec<String>,
    pub companies: Vec<String>,
    pub action: Option<ControlAction>,
    pub effective: Option<PartialDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventDetails {
    ChipOrder(ChipOrder),
    ExportControl(ExportControl),
}

impl EventDetails {
    pub fn kind(&self) -> EventKind {
        match self {
            EventDetails::ChipOrder(_) => EventKind::ChipOrder,
            EventDetails::ExportControl(_) => EventKind::ExportControl,
        }
    }
}

/// One real-world action found in one article.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Database id; `None` until stored (and always from `extract`).
    pub id: Option<i64>,
    pub article_url: Option<String>,
    /// The article's publication day.
    pub published: Option<NaiveDate>,
    /// The sentences the event came from, verbatim, in text order.
    pub evidence: Vec<String>,
    /// Byte spans of `evidence` in the article text, same order.
    pub spans: Vec<Span>,
    /// Id of the rule that fired first.
    pub rule: String,
    /// Hash of the rule packs in use.
    pub rules_version: String,
    /// In (0, 1].
    pub confidence: f64,
    /// The text reports the event second-hand.
    pub hedged: bool,
    /// Names of the fields inferred rather than stated (`["supplier"]` when an order's
    /// supplier is its product's maker and the text names no seller); empty otherwise.
    pub inferred: Vec<String>,
    pub details: EventDetails,
}

impl Event {
    pub fn kind(&self) -> EventKind {
        self.details.kind()
    }
}

/// Field names of an event record, in contract order (common fields, then chip order
/// fields, then export control fields). CSV headers and JSON key order follow it.
pub const COMMON_FIELDS: &[&str] = &[
    "id",
    "kind",
    "article_url",
    "published",
    "evidence",
    "spans",
    "rule",
    "rules_version",
    "confidence",
    "hedged",
    "inferred",
    "story_id",
];
pub const CHIP_ORDER_FIELDS: &[&str] = &[
    "buyer",
    "supplier",
    "product",
    "quantity",
    "value",
    "value_usd",
    "delivery",
    "status",
];
pub const EXPORT_CONTROL_FIELDS: &[&str] = &[
    "authority",
    "agency",
    "targets",
    "products",
    "companies",
    "action",
    "effective",
];

/// Serialises as one flat record: the common fields, then the fields of its kind.
/// `story_id` is `null`: an event on its own (from `extract`) belongs to no story; stored
/// events are printed through [`StoredEvent`].
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_event(self, None, serializer)
    }
}

/// A stored event with the story it belongs to: the record `chipwatch events` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub event: Event,
    /// `None` only while the stories are being regrouped (see `Store::rebuild_stories`).
    pub story_id: Option<i64>,
}

impl Serialize for StoredEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_event(&self.event, self.story_id, serializer)
    }
}

fn serialize_event<S: Serializer>(
    event: &Event,
    story_id: Option<i64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    map.serialize_entry("id", &event.id)?;
    map.serialize_entry("kind", &event.kind())?;
    map.serialize_entry("article_url", &event.article_url)?;
    map.serialize_entry(
        "published",
        &event.published.map(|d| d.format("%Y-%m-%d").to_string()),
    )?;
    map.serialize_entry("evidence", &event.evidence)?;
    map.serialize_entry("spans", &event.spans)?;
    map.serialize_entry("rule", &event.rule)?;
    map.serialize_entry("rules_version", &event.rules_version)?;
    map.serialize_entry("confidence", &event.confidence)?;
    map.serialize_entry("hedged", &event.hedged)?;
    map.serialize_entry("inferred", &event.inferred)?;
    map.serialize_entry("story_id", &story_id)?;
    serialize_slots(&mut map, &event.details, true)?;
    map.end()
}

/// Writes the fields of an event's kind under their record names, in contract order
/// (stories reuse it for their merged slots; they place `status` elsewhere).
pub fn serialize_slots<M: SerializeMap>(
    map: &mut M,
    details: &EventDetails,
    with_status: bool,
) -> Result<(), M::Error> {
    match details {
        EventDetails::ChipOrder(o) => {
            map.serialize_entry("buyer", &o.buyer)?;
            map.serialize_entry("supplier", &o.supplier)?;
            map.serialize_entry("product", &o.product)?;
            map.serialize_entry("quantity", &o.quantity)?;
            map.serialize_entry("value", &o.value)?;
            map.serialize_entry("value_usd", &OptionalAmount(o.value_usd))?;
            map.serialize_entry("delivery", &o.delivery)?;
            if with_status {
                map.serialize_entry("status", &o.status)?;
            }
        }
        EventDetails::ExportControl(c) => {
            map.serialize_entry("authority", &c.authority)?;
            map.serialize_entry("agency", &c.agency)?;
            map.serialize_entry("targets", &c.targets)?;
            map.serialize_entry("products", &c.products)?;
            map.serialize_entry("companies", &c.companies)?;
            map.serialize_entry("action", &c.action)?;
            map.serialize_entry("effective", &c.effective)?;
        }
    }
    Ok(())
}

struct OptionalAmount(Option<f64>);

impl Serialize for OptionalAmount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_optional_amount(&self.0, serializer)
    }
}

/// A feed as configured (config file) or added on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSpec {
    pub name: String,
    pub url: String,
    pub interval_mins: u32,
    pub fetch_articles: bool,
}

/// Who declared a feed: the config file, or `chipwatch feeds add`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedSource {
    Config,
    Cli,
}

impl FeedSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedSource::Config => "config",
            FeedSource::Cli => "cli",
        }
    }
}

/// A feed with its stored health and schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedState {
    pub id: i64,
    pub spec: FeedSpec,
    pub source: FeedSource,
    /// Validators for the next conditional GET.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next_fetch_at: Option<DateTime<chrono::Utc>>,
    pub last_fetch_at: Option<DateTime<chrono::Utc>>,
    pub last_success_at: Option<DateTime<chrono::Utc>>,
    /// `ok`, `not_modified` or `error`; `None` before the first fetch.
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
}

/// A feed's health with what the report needs to tell a failing or quiet feed: the kind
/// of its last failure, when it was added, and when it last brought a new article.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedActivity {
    pub feed: FeedState,
    /// `timeout`, `http_5xx`, `parse`, …; `None` after a success.
    pub last_error_class: Option<String>,
    pub created_at: Option<DateTime<chrono::Utc>>,
    /// When the newest article it carried was stored (within the period asked for).
    pub last_new_article_at: Option<DateTime<chrono::Utc>>,
}

/// One article reporting a story: what a reader needs to follow it to its source.
#[derive(Debug, Clone, PartialEq)]
pub struct StorySource {
    pub story_id: i64,
    /// The article's normalised link.
    pub url: String,
    pub title: Option<String>,
    /// The site name the page states, when it states one.
    pub site_name: Option<String>,
    /// The article's publication day.
    pub published: Option<NaiveDate>,
    /// The article reports the story second-hand.
    pub hedged: bool,
}

/// The counts of one pass; logged as the summary line and stored as a `runs` row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub feeds_fetched: u64,
    pub feeds_not_modified: u64,
    pub feeds_failed: u64,
    pub articles_new: u64,
    pub articles_skipped_robots: u64,
    pub articles_refused_guard: u64,
    pub articles_lang_unmatched: u64,
    pub events_new_chip_order: u64,
    pub events_new_export_control: u64,
    /// Pending article pages fetched again.
    pub pages_retried: u64,
    /// Of those, pages that came back.
    pub pages_recovered: u64,
    /// Pages that will not be fetched again after failing in this pass: a permanent
    /// failure, retries used up, or a refusal on retry.
    pub pages_given_up: u64,
}

/// Where an article's page stands. `None` on an article means its page was never asked
/// for (`fetch_articles = false`, or stored before chipwatch kept page states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PageState {
    /// Fetched (its text is the article's unless it was too thin or not HTML).
    Ok,
    /// Failed for a passing reason; retried by later runs.
    Pending,
    /// Failed for good: a permanent failure, or retries used up.
    Failed,
    /// Not fetched: robots.txt disallows it, or the address guard refused it.
    Refused,
}

impl PageState {
    pub fn as_str(self) -> &'static str {
        match self {
            PageState::Ok => "ok",
            PageState::Pending => "pending",
            PageState::Failed => "failed",
            PageState::Refused => "refused",
        }
    }
}

impl FromStr for PageState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ok" => Ok(PageState::Ok),
            "pending" => Ok(PageState::Pending),
            "failed" => Ok(PageState::Failed),
            "refused" => Ok(PageState::Refused),
            other => Err(format!(
                "unknown page state `{other}` (expected ok, pending, failed or refused)"
            )),
        }
    }
}

/// An article page's state as stored with the article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageStatus {
    pub state: PageState,
    /// Attempts made so far, the first fetch included.
    pub attempts: u32,
    /// When a pending page is due again.
    pub next_attempt_at: Option<DateTime<chrono::Utc>>,
    /// Why the last attempt failed (`None` once fetched).
    pub error: Option<String>,
    /// The kind of that failure (`timeout`, `http_5xx`, `rate_limited`, `robots`, …).
    pub error_class: Option<String>,
}

impl PageStatus {
    /// A page fetched after `attempts` attempts.
    pub fn fetched(attempts: u32) -> PageStatus {
        PageStatus {
            state: PageState::Ok,
            attempts,
            next_attempt_at: None,
            error: None,
            error_class: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dates_round_trip_through_text() {
        for text in ["2023", "2023-10", "2023-12-31"] {
            let date: PartialDate = text.parse().unwrap();
            assert_eq!(date.to_string(), text);
        }
    }

    #[test]
    fn malformed_partial_dates_are_rejected() {
        for text in [
            "",
            "23",
            "2023-13",
            "2023-02-30",
            "2023-1",
            "2023-10-01-01",
            "abcd",
        ] {
            assert!(text.parse::<PartialDate>().is_err(), "{text} parsed");
        }
    }

    #[test]
    fn whole_money_amounts_serialise_as_integers() {
        let money = Money {
            amount: 61_830_000.0,
            currency: "USD".into(),
        };
        assert_eq!(
            serde_json::to_string(&money).unwrap(),
            r#"{"amount":61830000,"currency":"USD"}"#
        );
    }

    #[test]
    fn events_serialise_with_common_fields_first() {
        let event = Event {
            id: None,
            article_url: None,
            published: NaiveDate::from_ymd_opt(2023, 11, 9),
            evidence: vec!["x".into()],
            spans: vec![Span { start: 0, end: 1 }],
            rule: "r".into(),
            rules_version: "v".into(),
            confidence: 0.5,
            hedged: false,
            inferred: Vec::new(),
            details: EventDetails::ExportControl(ExportControl::default()),
        };
        let json = serde_json::to_string(&event).unwrap();
        assert!(json.starts_with(r#"{"id":null,"kind":"export_control","article_url":null,"published":"2023-11-09","evidence":["x"],"spans":[[0,1]]"#), "{json}");
        assert!(
            json.contains(r#""inferred":[],"story_id":null,"authority""#),
            "{json}"
        );
        let stored = serde_json::to_string(&StoredEvent {
            event,
            story_id: Some(4),
        })
        .unwrap();
        assert!(stored.contains(r#""story_id":4,"authority""#), "{stored}");
        assert!(
            json.ends_with(r#""action":null,"effective":null}"#),
            "{json}"
        );
    }
}
