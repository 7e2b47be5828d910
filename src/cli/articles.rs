//! `chipwatch articles`: full-text search over the stored articles (FTS5), with the
//! matched words highlighted in a snippet; and the articles whose page failed, pending a
//! retry or given up.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use clap::{Subcommand, ValueEnum};

use super::output::strip_controls;
use super::{open_existing_store, ExitCode};
use crate::config::Config;
use crate::model::PageState;
use crate::store::{PageRow, SearchOrder};

/// As the database stores times: RFC 3339, UTC, whole seconds.
fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The pages as a table (one line each, errors cut to fit) or a JSON array.
fn print_pages(pages: &[PageRow], format: PagesFormat) -> anyhow::Result<()> {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        PagesFormat::Json => {
            let rows: Vec<serde_json::Value> = pages
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "article_id": p.article_id,
                        "url": p.url,
                        "title": p.title,
                        "state": p.state.as_str(),
                        "attempts": p.attempts,
                        "next_attempt_at": p.next_attempt_at.map(rfc3339),
                        "error": p.error,
                        "error_class": p.error_class,
                        "stored_at": p.stored_at.map(rfc3339),
                    })
                })
                .collect();
            let text = serde_json::to_string_pretty(&rows).context("cannot format the pages")?;
            writeln!(out, "{text}").context("cannot write to standard output")?;
        }
        PagesFormat::Table => {
            writeln!(
                out,
                "{:>6}  {:<8} {:>5}  {:<16}  {:<40}  URL",
                "ID", "STATE", "TRIES", "NEXT ATTEMPT", "LAST ERROR"
            )
            .context("cannot write to standard output")?;
            for p in pages {
                let error = match (&p.error_class, &p.error) {
                    (Some(class), Some(error)) => format!("{class}: {error}"),
                    (_, Some(error)) => error.clone(),
                    _ => "-".to_string(),
                };
                let mut error = strip_controls(&error);
                if let Some((cut, _)) = error.char_indices().nth(39) {
                    error.truncate(cut);
                    error.push('…');
                }
                writeln!(
                    out,
                    "{:>6}  {:<8} {:>5}  {:<16}  {:<40}  {}",
                    p.article_id,
                    p.state.as_str(),
                    p.attempts,
                    time(p.next_attempt_at).unwrap_or_else(|| "-".to_string()),
                    error,
                    strip_controls(&p.url),
                )
                .context("cannot write to standard output")?;
            }
            if pages.is_empty() {
                eprintln!("no article page in that state");
            }
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum ArticlesCommand {
    /// Full-text search over stored articles: words, "phrases", OR, NOT, prefix*
    Search {
        /// What to look for, e.g. '"Ascend 910B" OR H20'
        query: String,
        /// best (relevance) or newest (publication date)
        #[arg(long, value_enum, default_value = "best")]
        sort: Sort,
        /// At most N results
        #[arg(long, value_name = "N", default_value_t = 20)]
        limit: usize,
    },
    /// Articles whose page failed: pending (retried by later runs) and failed pages
    Pages {
        /// Only pages in this state (repeatable) [default: pending and failed]
        #[arg(long = "state", value_enum, value_name = "STATE")]
        states: Vec<StateArg>,
        /// At most N pages, pending ones first (soonest due), then newest
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: usize,
        /// table for people, json for scripts
        #[arg(long, value_enum, default_value = "table")]
        format: PagesFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    Pending,
    Failed,
    Refused,
    Ok,
}

impl From<StateArg> for PageState {
    fn from(state: StateArg) -> PageState {
        match state {
            StateArg::Pending => PageState::Pending,
            StateArg::Failed => PageState::Failed,
            StateArg::Refused => PageState::Refused,
            StateArg::Ok => PageState::Ok,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PagesFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Sort {
    Best,
    Newest,
}

pub fn run(config: &Config, command: &ArticlesCommand) -> anyhow::Result<ExitCode> {
    match command {
        ArticlesCommand::Pages {
            states,
            limit,
            format,
        } => {
            let store = open_existing_store(config)?;
            let states: Vec<PageState> = if states.is_empty() {
                vec![PageState::Pending, PageState::Failed]
            } else {
                states.iter().map(|s| PageState::from(*s)).collect()
            };
            let pages = store.pages(&states, *limit)?;
            print_pages(&pages, *format)?;
            Ok(ExitCode::Success)
        }
        ArticlesCommand::Search { query, sort, limit } => {
            let store = open_existing_store(config)?;
            let order = match sort {
                Sort::Best => SearchOrder::Best,
                Sort::Newest => SearchOrder::Newest,
            };
            let hits = store.search_articles_by(query, *limit, order)?;
            // Bold matches on a terminal; plain [brackets] for pipes.
            let (open, close) = if std::io::stdout().is_terminal() {
                ("\x1b[1m", "\x1b[0m")
            } else {
                ("[", "]")
            };
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for hit in &hits {
                let day = hit
                    .published
                    .as_deref()
                    .and_then(|p| p.get(..10))
                    .unwrap_or("-");
                let title = strip_controls(hit.title.as_deref().unwrap_or("(no title)"));
                // The store marks matches with [ ]; strip everything else, then style them.
                let snippet = strip_controls(&hit.snippet)
                    .replace('[', open)
                    .replace(']', close);
                writeln!(
                    out,
                    "{day}  {title}\n      {}\n      {snippet}\n",
                    strip_controls(&hit.url)
                )
                .context("cannot write to standard output")?;
            }
            if hits.is_empty() {
                eprintln!("no article matches {:?}", strip_controls(query));
            }
            Ok(ExitCode::Success)
        }
    }
}
