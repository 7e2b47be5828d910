//! Alert delivery after a pass's writes: every delivery due in the outbox goes to its
//! alert's receiver, alerts side by side and each alert's deliveries oldest first (so a
//! receiver sees a story's revisions in order). The first failure of an alert ends its
//! turn: the failed delivery is kept for the next run (then backs off), and the rest wait
//! with it until it goes through, so a receiver that is down costs a pass one timeout,
//! not one per story, and never gets a later revision before an earlier one.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;
use tracing::{info, warn};

use super::pass::{PassContext, PassError};
use crate::config::AlertConfig;
use crate::notify::{retry_at, Notifier, Outgoing};
use crate::store::Delivery;

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub delivered: u64,
    /// Attempts that failed (each is kept and retried later).
    pub failed: u64,
    /// Due deliveries left for a later run: behind a failure, for an alert no longer
    /// configured, or cut off by a shutdown.
    pub deferred: u64,
}

impl std::ops::AddAssign for DeliveryCounts {
    fn add_assign(&mut self, other: DeliveryCounts) {
        self.delivered += other.delivered;
        self.failed += other.failed;
        self.deferred += other.deferred;
    }
}

pub(super) async fn deliver_alerts(ctx: &Arc<PassContext>) -> Result<DeliveryCounts, PassError> {
    let now = Utc::now();
    let due = ctx.with_store(move |s| s.due_deliveries(now)).await?;
    let mut counts = DeliveryCounts::default();
    if due.is_empty() {
        return Ok(counts);
    }
    let notifier = match Notifier::new(&ctx.config.http) {
        Ok(n) => Arc::new(n),
        Err(e) => {
            warn!(error = %e, "alerts not delivered; they stay in the outbox");
            counts.deferred = due.len() as u64;
            return Ok(counts);
        }
    };
    let mut by_alert: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
    for delivery in due {
        by_alert
            .entry(delivery.alert.clone())
            .or_default()
            .push(delivery);
    }
    let mut jobs = JoinSet::new();
    for (name, deliveries) in by_alert {
        let Some(alert) = ctx.config.alerts.iter().find(|a| a.name == name).cloned() else {
            warn!(alert = %name, deliveries = deliveries.len(), "deliveries wait for an alert that is no longer in the config");
            counts.deferred += deliveries.len() as u64;
            continue;
        };
        let ctx = Arc::clone(ctx);
        let notifier = Arc::clone(&notifier);
        jobs.spawn(async move { deliver_in_order(&ctx, &notifier, &alert, deliveries).await });
    }
    let mut fatal = None;
    while let Some(joined) = jobs.join_next().await {
        match joined {
            Ok(Ok(done)) => counts += done,
            Ok(Err(e)) => {
                fatal.get_or_insert(e);
            }
            Err(e) => {
                fatal.get_or_insert(PassError::Worker(e.to_string()));
            }
        }
    }
    match fatal {
        Some(e) => Err(e),
        None => Ok(counts),
    }
}

/// One alert's deliveries, oldest first, until the first failure.
async fn deliver_in_order(
    ctx: &Arc<PassContext>,
    notifier: &Notifier,
    alert: &AlertConfig,
    deliveries: Vec<Delivery>,
) -> Result<DeliveryCounts, PassError> {
    let max_backoff = Duration::from_secs(u64::from(ctx.config.schedule.max_backoff_hours) * 3600);
    let mut counts = DeliveryCounts::default();
    let total = deliveries.len() as u64;
    for (done, delivery) in deliveries.into_iter().enumerate() {
        if ctx.stopping() {
            counts.deferred += total - done as u64;
            break;
        }
        let outgoing = Outgoing {
            alert: &alert.name,
            idempotency_key: &delivery.idempotency_key,
            update: delivery.update,
            story: &delivery.story,
        };
        let id = delivery.id;
        match notifier.send(alert, &outgoing).await {
            Ok(answer) => {
                info!(
                    alert = %alert.name,
                    story_id = delivery.story_id,
                    revision = delivery.revision,
                    update = delivery.update,
                    answer,
                    "alert delivered"
                );
                ctx.with_store(move |s| s.record_delivered(id, Utc::now()))
                    .await?;
                counts.delivered += 1;
            }
            Err(e) => {
                let now = Utc::now();
                let attempts = delivery.attempts + 1;
                let next = retry_at(attempts, now, max_backoff);
                warn!(
                    alert = %alert.name,
                    story_id = delivery.story_id,
                    revision = delivery.revision,
                    attempts,
                    next_attempt = %next.format("%Y-%m-%d %H:%M"),
                    error = %e,
                    "alert not delivered; kept for a later run"
                );
                let error = e.to_string();
                ctx.with_store(move |s| s.record_delivery_failure(id, now, &error, next))
                    .await?;
                counts.failed += 1;
                counts.deferred += total - done as u64 - 1;
                break;
            }
        }
    }
    Ok(counts)
}
