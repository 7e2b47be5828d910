//! `chipwatch articles search`: full-text search over the stored articles (FTS5), with
//! the matched words highlighted in a snippet.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use clap::{Subcommand, ValueEnum};

use super::output::strip_controls;
use super::{open_existing_store, ExitCode};
use crate::config::Config;
use crate::store::SearchOrder;

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Sort {
    Best,
    Newest,
}

pub fn run(config: &Config, command: &ArticlesCommand) -> anyhow::Result<ExitCode> {
    match command {
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
