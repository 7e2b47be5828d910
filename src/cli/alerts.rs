//! `chipwatch alerts`: `list` shows the deliveries still in the outbox (waiting for the
//! next run, or failing, with the receiver's last answer); `test NAME` sends one sample
//! story to an alert's receiver at once, outside the outbox, to check the wiring.

use std::io::Write;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clap::{Args, Subcommand};
use serde_json::json;

use super::output::{strip_controls, truncate, TABLE_WIDTH};
use super::{open_existing_store, runtime, ExitCode, UsageError};
use crate::config::{AlertTarget, Config};
use crate::model::{ChipOrder, EventDetails, Money, OrderStatus, PartialDate};
use crate::notify::{redact, Notifier, Outgoing};
use crate::store::Delivery;
use crate::stories::{Disagreement, Story, StoryRecord};

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Deliveries not yet accepted by their receiver: pending, or failed and retried later
    List(ListArgs),
    /// Send a sample story to one alert's receiver now
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The alert's name in the config
    pub name: String,
}

pub fn run(config: &Config, command: &AlertsCommand) -> anyhow::Result<ExitCode> {
    match command {
        AlertsCommand::List(args) => list(config, args),
        AlertsCommand::Test(args) => test(config, args),
    }
}

/// One delivery as `alerts list --format json` prints it.
#[derive(serde::Serialize)]
struct ListedDelivery<'a> {
    id: i64,
    alert: &'a str,
    story_id: i64,
    revision: u32,
    update: bool,
    idempotency_key: &'a str,
    state: &'static str,
    attempts: u32,
    last_error: Option<&'a str>,
    last_attempt_at: Option<String>,
    next_attempt_at: String,
    created_at: String,
    story: &'a serde_json::value::RawValue,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `pending` (not tried yet), `failed` (tried; retried later) or `unconfigured` (its
/// alert is no longer in the config, so it waits).
fn state(config: &Config, delivery: &Delivery) -> &'static str {
    if !config.alerts.iter().any(|a| a.name == delivery.alert) {
        "unconfigured"
    } else if delivery.attempts > 0 {
        "failed"
    } else {
        "pending"
    }
}

/// A stored error with whatever a configured webhook URL's secret part it holds cut out:
/// errors are stored that way, but a row may come from before that was so.
fn shown_error(config: &Config, error: &str) -> String {
    config
        .alerts
        .iter()
        .filter_map(|a| match &a.target {
            AlertTarget::Url(url) => Some(url),
            AlertTarget::Command(_) => None,
        })
        .fold(error.to_string(), |text, url| redact(&text, url))
}

fn list(config: &Config, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let store = open_existing_store(config)?;
    let mut deliveries = store.pending_deliveries()?;
    for delivery in &mut deliveries {
        if let Some(error) = &delivery.last_error {
            delivery.last_error = Some(shown_error(config, error));
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let time = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    match args.format {
        ListFormat::Json => {
            let rows: Vec<ListedDelivery<'_>> = deliveries
                .iter()
                .map(|d| ListedDelivery {
                    id: d.id,
                    alert: &d.alert,
                    story_id: d.story_id,
                    revision: d.revision,
                    update: d.update,
                    idempotency_key: &d.idempotency_key,
                    state: state(config, d),
                    attempts: d.attempts,
                    last_error: d.last_error.as_deref(),
                    last_attempt_at: d.last_attempt_at.map(rfc3339),
                    next_attempt_at: rfc3339(d.next_attempt_at),
                    created_at: rfc3339(d.created_at),
                    story: &d.story,
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        ListFormat::Table => {
            writeln!(
                out,
                "{:>5}  {:<12}  {:>5}  {:>3}  {:<6}  {:<12}  {:>5}  NEXT ATTEMPT (UTC)",
                "ID", "ALERT", "STORY", "REV", "SENDS", "STATE", "TRIES"
            )
            .context("cannot write to standard output")?;
            for d in &deliveries {
                writeln!(
                    out,
                    "{:>5}  {:<12}  {:>5}  {:>3}  {:<6}  {:<12}  {:>5}  {}",
                    d.id,
                    truncate(&strip_controls(&d.alert), 12),
                    d.story_id,
                    d.revision,
                    if d.update { "update" } else { "new" },
                    state(config, d),
                    d.attempts,
                    time(d.next_attempt_at),
                )?;
                if let Some(error) = &d.last_error {
                    let line = format!("last error: {}", strip_controls(error));
                    writeln!(out, "{:7}{}", "", truncate(&line, TABLE_WIDTH - 7))?;
                }
            }
            if deliveries.is_empty() {
                writeln!(out, "(nothing waiting: every alert was delivered)")?;
            }
        }
    }
    Ok(ExitCode::Success)
}

fn test(config: &Config, args: &TestArgs) -> anyhow::Result<ExitCode> {
    let Some(alert) = config.alerts.iter().find(|a| a.name == args.name) else {
        let known: Vec<&str> = config.alerts.iter().map(|a| a.name.as_str()).collect();
        return Err(UsageError(format!(
            "no alert named {:?} in the config (alerts: {})",
            args.name,
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))
        .into());
    };
    let now = Utc::now();
    let story = serde_json::value::to_raw_value(&sample_story(now))?;
    // Receivers that drop duplicates must not drop a second test.
    let key = format!("test-{}", now.timestamp_millis());
    let outgoing = Outgoing {
        alert: &alert.name,
        idempotency_key: &key,
        update: false,
        story: &story,
    };
    let answer = runtime(&config.http)?.block_on(async {
        let notifier = Notifier::new(&config.http)?;
        notifier.send(alert, &outgoing).await
    });
    // The error names the receiver already (without the URL's secret part).
    let answer = answer?;
    println!(
        "sent a sample story to {}: {answer}",
        strip_controls(&alert.receiver())
    );
    Ok(ExitCode::Success)
}

/// The reference story, as an alert would carry it: story 0, the Baidu order of the
/// seed article reported by three sites.
fn sample_story(now: DateTime<Utc>) -> Story {
    let day = |y, m, d| {
        NaiveDate::from_ymd_opt(y, m, d)
            .map(|d| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
    };
    Story {
        id: 0,
        revision: 1,
        updated_at: now,
        record: StoryRecord {
            details: EventDetails::ChipOrder(ChipOrder {
                buyer: Some("Baidu".into()),
                supplier: Some("Huawei".into()),
                product: Some("Ascend 910B".into()),
                quantity: Some(1600),
                value: Some(Money {
                    amount: 61_830_000.0,
                    currency: "USD".into(),
                }),
                value_usd: Some(61_830_000.0),
                delivery: NaiveDate::from_ymd_opt(2023, 12, 31).map(PartialDate::Day),
                status: Some(OrderStatus::Placed),
            }),
            disagreements: vec![(
                "quantity".into(),
                vec![Disagreement {
                    value: json!(1500),
                    articles: 1,
                }],
            )],
            first_reported: day(2023, 11, 9),
            last_reported: day(2023, 11, 13),
            articles: 3,
            sites: 3,
            confidence: 0.85,
            hedged: false,
            inferred: Vec::new(),
        },
    }
}
