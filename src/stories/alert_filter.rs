//! Which stories an alert wants: the filters of an `[[alerts]]` entry, checked against a
//! story's merged record. Pure; the store applies it when a story appears or changes.

use crate::model::{EventDetails, EventKind};

use super::StoryRecord;

/// The filters of one alert. The default wants every story.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertFilter {
    /// Only these kinds; empty: any kind.
    pub kinds: Vec<EventKind>,
    /// Only stories naming one of these (any case) as buyer, supplier, product,
    /// authority, agency, target, product or company; empty: any story. Canonical
    /// names: callers resolve aliases through the gazetteer first.
    pub entities: Vec<String>,
    /// The story's confidence (its most confident report) is at least this.
    pub min_confidence: f64,
    /// Reported by at least this many sites.
    pub min_sources: u32,
    /// Only hedged stories (`Some(true)`) or only stories some source states first-hand
    /// (`Some(false)`); `None`: either.
    pub hedged: Option<bool>,
}

impl AlertFilter {
    pub fn matches(&self, story: &StoryRecord) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&story.kind()))
            && story.confidence >= self.min_confidence
            && story.sites >= self.min_sources
            && self.hedged.is_none_or(|h| h == story.hedged)
            && (self.entities.is_empty() || {
                let named = entities_of(&story.details);
                self.entities
                    .iter()
                    .any(|wanted| named.iter().any(|n| n.eq_ignore_ascii_case(wanted)))
            })
    }
}

/// Every organisation, jurisdiction and product a story's slots name.
pub fn entities_of(details: &EventDetails) -> Vec<&str> {
    match details {
        EventDetails::ChipOrder(o) => [&o.buyer, &o.supplier, &o.product]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect(),
        EventDetails::ExportControl(c) => [&c.authority, &c.agency]
            .into_iter()
            .flatten()
            .chain(&c.targets)
            .chain(&c.products)
            .chain(&c.companies)
            .map(String::as_str)
            .collect(),
    }
}
