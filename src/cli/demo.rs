//! `chipwatch demo`: the newcomer's first command. It serves the bundled fixture feed and
//! pages from a tiny HTTP server on 127.0.0.1, runs one real pass (fetch, parse, extract,
//! match, store) into a temporary database, and prints the events found. No network, no
//! config, no set-up.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::output::{write_events, EventFormat};
use super::{runtime, ExitCode};
use crate::config::{Config, HttpConfig, PrivateAccess};
use crate::model::FeedSpec;
use crate::pipeline::{run_pass, PassOptions};
use crate::rules::RuleSet;
use crate::store::{EventFilter, Store};

const FEED: &str = include_str!("../../tests/fixtures/seed/feed.xml");
const SEED_PAGE: &str = include_str!("../../tests/fixtures/seed/baidu-huawei-ascend.html");
const OTHER_PAGE: &str = include_str!("../../tests/fixtures/seed/tsmc-capacity.html");
const SEED_PATH: &str = "/news/2023/11/09/baidu-huawei-ascend-order";
const OTHER_PATH: &str = "/news/2023/11/08/tsmc-capacity";
/// A request head larger than this is not one of ours.
const MAX_REQUEST_BYTES: usize = 16 * 1024;

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, value_enum, default_value = "json")]
    pub format: EventFormat,
    /// Also write the HTML report of the demo's stories to this file
    #[arg(long, value_name = "FILE")]
    pub report: Option<std::path::PathBuf>,
}

pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let rules = Arc::new(RuleSet::embedded()?);
    let dir =
        tempfile::tempdir().context("cannot create a temporary folder for the demo database")?;
    let db_path = dir.path().join("demo.db");
    let rt = runtime(&crate::config::HttpConfig::default())?;
    let events = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot listen on 127.0.0.1")?;
        let base = format!("http://{}", listener.local_addr()?);
        tokio::spawn(serve(listener, base.clone()));

        let defaults = Config::default();
        let config = Config {
            database_path: db_path.clone(),
            http: HttpConfig {
                // The demo site is on loopback, which the guard refuses by default.
                allow_private_addresses: PrivateAccess::AllowAll,
                per_host_delay: Duration::ZERO,
                retries: 0,
                ..defaults.http
            },
            feeds: vec![FeedSpec {
                name: "demo".into(),
                url: format!("{base}/feed.xml"),
                interval_mins: 30,
                fetch_articles: true,
            }],
            report_path: args.report.clone(),
            ..Config::default()
        };
        let store = Arc::new(Mutex::new(Store::open(&db_path)?));
        let outcome = run_pass(&config, rules, Arc::clone(&store), &PassOptions::default()).await?;
        eprintln!(
            "demo: served a feed of 2 articles on {base}; stored {} articles and {} events in {}",
            outcome.summary.articles_new,
            outcome.summary.events_new_chip_order + outcome.summary.events_new_export_control,
            db_path.display()
        );
        let store = store.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(path) = &config.report_path {
            super::report::refresh(&config, &store, &outcome.summary)?;
            eprintln!("demo: wrote the report {}", path.display());
        }
        anyhow::Ok(store.stored_events(&EventFilter::default())?)
    })?;
    let stdout = std::io::stdout();
    write_events(&mut stdout.lock(), &events, args.format, None)?;
    Ok(ExitCode::Success)
}

async fn serve(listener: TcpListener, base: String) {
    let base = Arc::new(base);
    while let Ok((stream, _)) = listener.accept().await {
        let base = Arc::clone(&base);
        tokio::spawn(async move {
            // A stuck client must not keep the task forever.
            let _ = tokio::time::timeout(Duration::from_secs(10), respond(stream, &base)).await;
        });
    }
}

async fn respond(mut stream: TcpStream, base: &str) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_BYTES {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .split(['?', '#'])
        .next()
        .unwrap_or("/");
    let (status, content_type, body) = match path {
        "/feed.xml" => (
            "200 OK",
            "application/rss+xml; charset=utf-8",
            FEED.replace("{{BASE}}", base),
        ),
        SEED_PATH => ("200 OK", "text/html; charset=utf-8", SEED_PAGE.to_string()),
        OTHER_PATH => ("200 OK", "text/html; charset=utf-8", OTHER_PAGE.to_string()),
        "/robots.txt" => (
            "200 OK",
            "text/plain",
            "User-agent: *\nAllow: /\n".to_string(),
        ),
        _ => ("404 Not Found", "text/plain", "not found\n".to_string()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
