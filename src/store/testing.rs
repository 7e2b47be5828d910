//! Test helpers shared by the store's unit tests: a store in a temporary folder and
//! sample articles and events modelled on the seed fixture (Baidu's Ascend 910B order).

use chrono::{DateTime, NaiveDate};
use tempfile::TempDir;

use super::Store;
use crate::model::{
    Article, ChipOrder, ControlAction, Event, EventDetails, ExportControl, FeedSpec, Money,
    OrderStatus, PartialDate, Published, Span, TextSource,
};

/// A fresh store; keep the `TempDir` alive for as long as the store is used.
pub fn temp_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data/chipwatch.db")).unwrap();
    (dir, store)
}

pub fn spec(name: &str) -> FeedSpec {
    FeedSpec {
        name: name.to_string(),
        url: format!("https://example.com/{name}.rss"),
        interval_mins: 30,
        fetch_articles: true,
    }
}

pub const SEED_TEXT: &str = "Baidu ordered 1,600 Ascend 910B chips from Huawei. \
The order is worth 450 million yuan.\n\nThe United States restricted exports of A800 \
and H800 chips to China in October, hitting Nvidia.";

pub fn article(url: &str, day: u32) -> Article {
    Article {
        url: Some(url.to_string()),
        canonical_url: Some(format!("{url}?canonical")),
        title: Some("Baidu orders Huawei AI chips".to_string()),
        published: Some(Published::Time(
            DateTime::parse_from_rfc3339(&format!("2023-11-{day:02}T08:30:00+08:00")).unwrap(),
        )),
        author: Some("A. Reporter".to_string()),
        site: Some("Example News".to_string()),
        lang: Some("en".to_string()),
        text: SEED_TEXT.to_string(),
        text_source: TextSource::Page,
    }
}

pub fn chip_order(url: &str, day: u32) -> Event {
    Event {
        id: None,
        article_url: Some(url.to_string()),
        published: NaiveDate::from_ymd_opt(2023, 11, day),
        evidence: vec![
            "Baidu ordered 1,600 Ascend 910B chips from Huawei.".to_string(),
            "The order is worth 450 million yuan.".to_string(),
        ],
        spans: vec![Span { start: 0, end: 50 }, Span { start: 51, end: 87 }],
        rule: "chip_order.ordered_from".to_string(),
        rules_version: "abc123".to_string(),
        confidence: 0.85,
        hedged: true,
        inferred: vec!["supplier".into()],
        details: EventDetails::ChipOrder(ChipOrder {
            buyer: Some("Baidu".to_string()),
            supplier: Some("Huawei".to_string()),
            product: Some("Ascend 910B".to_string()),
            quantity: Some(1600),
            value: Some(Money {
                amount: 450_000_000.5,
                currency: "CNY".to_string(),
            }),
            value_usd: Some(61_830_000.0),
            delivery: Some(PartialDate::Day(
                NaiveDate::from_ymd_opt(2023, 12, 31).unwrap(),
            )),
            status: Some(OrderStatus::Placed),
        }),
    }
}

pub fn export_control(url: &str, day: u32) -> Event {
    Event {
        id: None,
        article_url: Some(url.to_string()),
        published: NaiveDate::from_ymd_opt(2023, 11, day),
        evidence: vec!["The United States restricted exports of A800 and H800 chips to China in October, hitting Nvidia.".to_string()],
        spans: vec![Span { start: 89, end: 187 }],
        rule: "export_control.restricted".to_string(),
        rules_version: "abc123".to_string(),
        confidence: 1.0,
        hedged: false,
        inferred: Vec::new(),
        details: EventDetails::ExportControl(ExportControl {
            authority: Some("United States".to_string()),
            agency: None,
            targets: vec!["China".to_string()],
            products: vec!["A800".to_string(), "H800".to_string()],
            companies: vec!["Nvidia".to_string()],
            action: Some(ControlAction::Restrict),
            effective: Some(PartialDate::Month(2023, 10)),
        }),
    }
}
