//! The `alert_outbox` table: deliveries due to `[[alerts]]`, queued in the transaction
//! that created or changed a story (so a crash loses neither the events nor the alert),
//! and what the delivery after the pass made of them.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Row};

use super::stories::StoryChange;
use super::{format_time, time_column, Store, StoreError};
use crate::stories::AlertFilter;

/// One delivery in the outbox.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    /// The `[[alerts]]` name.
    pub alert: String,
    pub story_id: i64,
    pub revision: u32,
    /// False when the story first matched the alert; true for a later revision.
    pub update: bool,
    pub idempotency_key: String,
    /// The story record at this revision, as stored (its fields in contract order).
    pub story: Box<serde_json::value::RawValue>,
    /// Failed attempts so far, and the last one's error.
    pub attempts: u32,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// The key receivers drop duplicates by: a story's id and revision.
pub fn idempotency_key(story_id: i64, revision: u32) -> String {
    format!("story-{story_id}-rev-{revision}")
}

/// Queues a delivery per alert for every changed story that matches the alert's
/// filters and that the alert has not had at this revision: once when the story first
/// matches, and again whenever this write grows its revision. A revision that grew
/// elsewhere, in the regrouping after `reprocess`, was never news: a later write that
/// only adds a source to the story does not send it as an update.
pub(super) fn queue_alerts(
    tx: &Connection,
    changes: &[StoryChange],
    alerts: &[(String, AlertFilter)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for change in changes {
        let story = &change.story;
        for (alert, filter) in alerts {
            if !filter.matches(&story.record) {
                continue;
            }
            let context = || format!("queueing alert `{alert}` for story {}", story.id);
            let last: Option<i64> = tx
                .query_row(
                    "SELECT max(revision) FROM alert_outbox WHERE alert = ?1 AND story_id = ?2",
                    params![alert, story.id],
                    |r| r.get(0),
                )
                .map_err(StoreError::sqlite(context()))?;
            let update = match last {
                None => false,
                Some(sent) if change.revised && i64::from(story.revision) > sent => true,
                Some(_) => continue,
            };
            let body = serde_json::to_string(story).map_err(|e| StoreError::InvalidValue {
                what: "story JSON",
                detail: e.to_string(),
            })?;
            tx.execute(
                "INSERT INTO alert_outbox (alert, story_id, revision, is_update, idempotency_key,
                     story, next_attempt_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
                 ON CONFLICT (alert, story_id, revision) DO NOTHING",
                params![
                    alert,
                    story.id,
                    story.revision,
                    update,
                    idempotency_key(story.id, story.revision),
                    body,
                    format_time(now),
                ],
            )
            .map_err(StoreError::sqlite(context()))?;
        }
    }
    Ok(())
}

fn delivery_from_row(row: &Row<'_>) -> rusqlite::Result<Delivery> {
    let story: String = row.get("story")?;
    // A row edited by hand into invalid JSON still goes out, as a JSON string.
    let story = serde_json::value::RawValue::from_string(story.clone())
        .or_else(|_| serde_json::value::to_raw_value(&story))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        })?;
    let count = |name: &str| -> rusqlite::Result<u32> {
        Ok(u32::try_from(row.get::<_, i64>(name)?).unwrap_or(0))
    };
    Ok(Delivery {
        id: row.get("id")?,
        alert: row.get("alert")?,
        story_id: row.get("story_id")?,
        revision: count("revision")?,
        update: row.get("is_update")?,
        idempotency_key: row.get("idempotency_key")?,
        story,
        attempts: count("attempts")?,
        last_error: row.get("last_error")?,
        last_attempt_at: time_column(row, "last_attempt_at")?,
        next_attempt_at: time_column(row, "next_attempt_at")?.unwrap_or_default(),
        created_at: time_column(row, "created_at")?.unwrap_or_default(),
    })
}

impl Store {
    /// The alerts (name and filters, entities as canonical names) that stories created or
    /// changed from now on are checked against.
    pub fn set_alert_filters(&mut self, alerts: Vec<(String, AlertFilter)>) {
        self.alert_filters = alerts;
    }

    fn deliveries(
        &self,
        condition: &str,
        now: Option<DateTime<Utc>>,
    ) -> Result<Vec<Delivery>, StoreError> {
        let context = "reading the alert outbox";
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT * FROM alert_outbox WHERE status = 'pending' {condition} ORDER BY id"
            ))
            .map_err(StoreError::sqlite(context))?;
        let rows = match now {
            Some(now) => stmt.query_map([format_time(now)], delivery_from_row),
            None => stmt.query_map([], delivery_from_row),
        }
        .map_err(StoreError::sqlite(context))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::sqlite(context))
    }

    /// Deliveries due at `now`, oldest first: every pending delivery of each alert whose
    /// oldest pending one is due. An alert's deliveries go out in order, so while the
    /// oldest waits for its retry the others wait with it (a receiver never gets a
    /// story's revision 2 before its revision 1).
    pub fn due_deliveries(&self, now: DateTime<Utc>) -> Result<Vec<Delivery>, StoreError> {
        self.deliveries(
            "AND (SELECT oldest.next_attempt_at FROM alert_outbox oldest
                  WHERE oldest.alert = alert_outbox.alert AND oldest.status = 'pending'
                  ORDER BY oldest.id LIMIT 1) <= ?1",
            Some(now),
        )
    }

    /// Every delivery not yet accepted by its receiver, oldest first.
    pub fn pending_deliveries(&self) -> Result<Vec<Delivery>, StoreError> {
        self.deliveries("", None)
    }

    /// A receiver accepted the delivery.
    pub fn record_delivered(&mut self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE alert_outbox SET status = 'delivered', delivered_at = ?2,
                     last_attempt_at = ?2
                 WHERE id = ?1",
                params![id, format_time(now)],
            )
            .map_err(StoreError::sqlite(format!("recording delivery {id}")))?;
        Ok(())
    }

    /// An attempt failed with `error`; the next is due at `next_attempt_at`.
    pub fn record_delivery_failure(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?3,
                     last_attempt_at = ?2, next_attempt_at = ?4
                 WHERE id = ?1",
                params![id, format_time(now), error, format_time(next_attempt_at)],
            )
            .map_err(StoreError::sqlite(format!(
                "recording a failed delivery {id}"
            )))?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::testing::{article, chip_order, temp_store};
    use super::*;
    use crate::model::{EventDetails, EventKind};

    fn order_article(store: &mut Store, url: &str, day: u32, quantity: u64) {
        let mut event = chip_order(url, day);
        if let EventDetails::ChipOrder(o) = &mut event.details {
            o.quantity = Some(quantity);
        }
        store
            .insert_article(None, None, &article(url, day), &[event])
            .unwrap();
    }

    fn queued(store: &Store) -> Vec<(String, u32, bool)> {
        store
            .pending_deliveries()
            .unwrap()
            .into_iter()
            .map(|d| (d.alert, d.revision, d.update))
            .collect()
    }

    #[test]
    fn alerts_are_queued_on_first_match_and_on_each_new_revision() {
        let (_dir, mut store) = temp_store();
        store.set_alert_filters(vec![
            ("all".into(), AlertFilter::default()),
            (
                "wide".into(),
                AlertFilter {
                    min_sources: 2,
                    ..AlertFilter::default()
                },
            ),
            (
                "controls".into(),
                AlertFilter {
                    kinds: vec![EventKind::ExportControl],
                    ..AlertFilter::default()
                },
            ),
        ]);
        order_article(&mut store, "https://a.test/1", 9, 1600);
        assert_eq!(queued(&store), [("all".to_string(), 1, false)]);
        // A second site, same figures: `wide` matches for the first time; `all` has it.
        order_article(&mut store, "https://b.test/1", 10, 1600);
        assert_eq!(queued(&store)[1..], [("wide".to_string(), 1, false)]);
        // Two reports of 1500 (the later one more confident) change the quantity.
        order_article(&mut store, "https://c.test/1", 11, 1500);
        let mut event = chip_order("https://d.test/1", 12);
        event.confidence = 0.99;
        if let EventDetails::ChipOrder(o) = &mut event.details {
            o.quantity = Some(1500);
        }
        store
            .insert_article(None, None, &article("https://d.test/1", 12), &[event])
            .unwrap();
        assert_eq!(
            queued(&store)[2..],
            [("all".to_string(), 2, true), ("wide".to_string(), 2, true)]
        );
        let keys: Vec<String> = store
            .pending_deliveries()
            .unwrap()
            .iter()
            .map(|d| d.idempotency_key.clone())
            .collect();
        assert_eq!(keys[2], idempotency_key(1, 2));
        let story: serde_json::Value =
            serde_json::from_str(store.pending_deliveries().unwrap()[2].story.get()).unwrap();
        assert_eq!(
            (story["id"].as_i64(), story["quantity"].as_u64()),
            (Some(1), Some(1500))
        );
    }

    /// See: review of issues 10 and 12, M2 — `reprocess` regroups stories without
    /// alerting; the next report of the story, which changes nothing but its sources,
    /// must not send the regrouping's revision as an update. A real change later does.
    #[test]
    fn a_revision_made_by_regrouping_is_not_sent_by_the_next_repeat_report() {
        let (_dir, mut store) = temp_store();
        store.set_alert_filters(vec![("all".into(), AlertFilter::default())]);
        let first_url = "https://a.test/1";
        let mut event = chip_order(first_url, 9);
        if let EventDetails::ChipOrder(o) = &mut event.details {
            o.quantity = Some(1600);
        }
        let (article_id, _) = store
            .insert_article(None, None, &article(first_url, 9), &[event.clone()])
            .unwrap();
        order_article(&mut store, "https://b.test/1", 10, 1600);
        assert_eq!(queued(&store), [("all".to_string(), 1, false)]);

        // New rules read another quantity in the first article: what `reprocess` does,
        // the article's events replaced, then the stories regrouped. The story survives
        // (the second article's event is still in it), with the first report's figure.
        event.rules_version = "v2".into();
        if let EventDetails::ChipOrder(o) = &mut event.details {
            o.quantity = Some(1650);
        }
        store
            .replace_article_events(article_id, "v2", &[event])
            .unwrap();
        store.rebuild_stories().unwrap();
        let story = store.story(1).unwrap().unwrap();
        assert_eq!(story.revision, 2, "the regrouping revised the story");
        assert_eq!(queued(&store).len(), 1, "and alerted nothing");

        // A third site repeats it: one more source, the same merged slots.
        order_article(&mut store, "https://c.test/1", 11, 1650);
        let story = store.story(1).unwrap().unwrap();
        assert_eq!((story.revision, story.record.sites), (2, 3));
        assert_eq!(queued(&store).len(), 1, "{:?}", queued(&store));

        // Two more reports of 1600 change the quantity: that is an update.
        order_article(&mut store, "https://d.test/1", 12, 1600);
        order_article(&mut store, "https://e.test/1", 13, 1600);
        assert_eq!(queued(&store)[1..], [("all".to_string(), 3, true)]);
    }

    #[test]
    fn an_alerts_deliveries_wait_behind_its_oldest() {
        let (_dir, mut store) = temp_store();
        store.set_alert_filters(vec![("all".into(), AlertFilter::default())]);
        order_article(&mut store, "https://a.test/1", 9, 1600);
        order_article(&mut store, "https://b.test/1", 9, 5000);
        let now = Utc::now();
        let due = store.due_deliveries(now).unwrap();
        assert_eq!(due.len(), 2);
        store
            .record_delivery_failure(
                due[0].id,
                now,
                "HTTP status 500",
                now + chrono::Duration::minutes(5),
            )
            .unwrap();
        assert!(
            store.due_deliveries(now).unwrap().is_empty(),
            "the second waits too"
        );
        let later = now + chrono::Duration::minutes(6);
        let due = store.due_deliveries(later).unwrap();
        assert_eq!(due.len(), 2);
        assert_eq!(
            (due[0].attempts, due[0].last_error.as_deref()),
            (1, Some("HTTP status 500"))
        );
        store.record_delivered(due[0].id, later).unwrap();
        store.record_delivered(due[1].id, later).unwrap();
        assert!(store.pending_deliveries().unwrap().is_empty());
    }
}
