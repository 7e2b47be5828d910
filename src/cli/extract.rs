//! `chipwatch extract FILE|-`: text extraction and the rules on one local document, with
//! no database and no network. The JSON output is a contract (DESIGN.md).

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::output::{print_events_text, strip_controls};
use super::{load_rules, ExitCode, UsageError};
use crate::config::Config;
use crate::extract::{dateline, extract_page};
use crate::model::{Article, Event, Published, TextSource};

/// Larger documents are refused rather than read into memory.
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtractFormat {
    Json,
    Text,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The document; `-` reads standard input
    pub file: PathBuf,
    /// The input is plain text, not HTML
    #[arg(long)]
    pub text: bool,
    /// The document's URL (reported as `url`, resolves relative links)
    #[arg(long)]
    pub url: Option<String>,
    /// Publication date, overriding what the document says
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub published: Option<String>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: ExtractFormat,
}

#[derive(Serialize)]
struct ExtractOutput<'a> {
    url: Option<&'a str>,
    title: Option<&'a str>,
    published: Option<String>,
    author: Option<&'a str>,
    site: Option<&'a str>,
    lang: Option<&'a str>,
    text: &'a str,
    text_source: TextSource,
    events: &'a [Event],
}

pub fn run(config: &Config, args: &ExtractArgs) -> anyhow::Result<ExitCode> {
    let published = match &args.published {
        Some(p) => Some(Published::Day(
            NaiveDate::parse_from_str(p, "%Y-%m-%d").map_err(|_| {
                UsageError(format!("--published {p:?}: expected a date as YYYY-MM-DD"))
            })?,
        )),
        None => None,
    };
    let rules = load_rules(config)?;
    let bytes = read_input(&args.file)?;
    let mut article = if args.text {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Article {
            url: args.url.clone(),
            canonical_url: None,
            title: None,
            published: dateline(&text),
            author: None,
            site: None,
            lang: None,
            text,
            text_source: TextSource::Page,
        }
    } else {
        let page = extract_page(&bytes, None, args.url.as_deref());
        Article {
            url: args.url.clone(),
            canonical_url: page.canonical_url,
            title: page.title,
            published: page.published,
            author: page.author,
            site: page.site,
            lang: page.lang,
            text: page.text,
            text_source: TextSource::Page,
        }
    };
    if published.is_some() {
        article.published = published;
    }
    let mut events = rules.extract_events(&article.text, article.published.map(|p| p.date()));
    for event in &mut events {
        event.article_url = article.url.clone();
    }
    match args.format {
        ExtractFormat::Json => {
            let out = ExtractOutput {
                url: article.url.as_deref(),
                title: article.title.as_deref(),
                published: article.published.map(|p| p.to_string()),
                author: article.author.as_deref(),
                site: article.site.as_deref(),
                lang: article.lang.as_deref(),
                text: &article.text,
                text_source: article.text_source,
                events: &events,
            };
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        ExtractFormat::Text => {
            println!(
                "title:     {}",
                strip_controls(article.title.as_deref().unwrap_or("-"))
            );
            println!(
                "published: {}",
                article.published.map_or("-".to_string(), |p| p.to_string())
            );
            println!("text:      {} bytes", article.text.len());
            println!("events:    {}", events.len());
            print_events_text(&events);
        }
    }
    Ok(ExitCode::Success)
}

fn read_input(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        std::fs::File::open(file)
            .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(UsageError(format!(
            "{}: larger than {MAX_INPUT_BYTES} bytes",
            file.display()
        ))
        .into());
    }
    Ok(bytes)
}
