//! Stories: one real-world chip order or export control as reported across articles
//! (the wire story, its rewrites, follow-ups). This stage is pure — no SQL, no I/O: given
//! stored events with their articles' dates, it decides which of them report the same
//! thing ([`regroup`]) and computes each story's merged record ([`merge`]). `store/`
//! fetches the candidate events and writes the result inside the article's transaction.
//!
//! The grouping is a function of the set of events, never of the order they arrived in.
//! Events are taken in one canonical order ([`Member::order_key`]: publication day,
//! article URL, position in the article, content fingerprint) and each joins the best
//! story it is compatible with — compatible with every member, so one vague report
//! cannot chain two different deals together — or starts a new one. An event that
//! arrives late therefore changes nothing before it in that order; only the events after
//! it are placed again, which is what the store recomputes.

mod alert_filter;
mod cluster;
mod families;
mod headline;
mod matching;
mod record;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{Event, EventDetails};
pub use alert_filter::AlertFilter;
pub use cluster::{assign_ids, regroup, Regrouped};
pub use families::{family_of, FAMILIES};
pub use headline::{disagreement_text, format_amount, headline};
pub use matching::{compatible, CONTROL_WINDOW_DAYS, FIGURE_TOLERANCE, ORDER_WINDOW_DAYS};
pub use record::{
    headline_of_record, merge, site_of, Disagreement, DisagreementMap, Story, StoryRecord,
    STORY_HEAD_FIELDS, STORY_TAIL_FIELDS,
};

/// One stored event as the grouping sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The event as stored: `id`, `article_url` and `published` are set.
    pub event: Event,
    /// When its article was published (a bare day counts from its midnight, UTC).
    pub reported: Option<DateTime<Utc>>,
    /// The event's content fingerprint (see `store`); the last tie-breaker of the order.
    pub fingerprint: String,
}

impl Member {
    /// The canonical order every decision follows. It starts with the day, so the
    /// store can bound what a late event may change by date.
    pub fn order_key(&self) -> (Option<NaiveDate>, &str, usize, &str) {
        (
            self.event.published,
            self.event.article_url.as_deref().unwrap_or_default(),
            self.event.spans.first().map_or(0, |s| s.start),
            &self.fingerprint,
        )
    }
}

/// The slots that must be equal for two events to be one story. Events in different
/// groups never share a story, so the store looks for candidates within a group only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKey {
    Order { buyer: String, supplier: String },
    Control { authority: String, action: String },
}

/// The group of an event, or `None` when it can share a story with nothing: no
/// publication day (no time window can be checked) or a key slot unknown.
pub fn group_key(event: &Event) -> Option<GroupKey> {
    event.published?;
    match &event.details {
        EventDetails::ChipOrder(o) => Some(GroupKey::Order {
            buyer: o.buyer.clone()?,
            supplier: o.supplier.clone()?,
        }),
        EventDetails::ExportControl(c) => Some(GroupKey::Control {
            authority: c.authority.clone()?,
            action: c.action?.as_str().to_string(),
        }),
    }
}
