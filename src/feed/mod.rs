//! Feed bytes → [`FeedItem`]s. feed-rs reads RSS 0.9x/1.0/2.0, Atom and JSON Feed; this
//! module gets the bytes into a shape it reads (decoded to UTF-8 in `decode`, CDF
//! rewritten in `cdf`, normalised, cut after the item cap and, when rejected, repaired
//! in `repair`), contains its panics, converts its model into ours at the boundary (no
//! feed-rs type leaves it), normalises links into dedup keys and drops duplicate entries.
//! Pure: it never fetches.

mod canonical;
mod cdf;
mod decode;
mod repair;

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use chrono::{DateTime, FixedOffset};
use url::Url;

pub use canonical::{canonical_url, resolve_link};

use crate::model::FeedItem;

/// A feed that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("feed {feed_url}: not a feed this reader understands: {message}")]
    Unreadable { feed_url: String, message: String },
    #[error("feed {feed_url}: the feed parser failed on this input")]
    ParserPanicked { feed_url: String },
}

/// What one fetch of a feed yielded.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// Entries in feed order, duplicates (same link or same GUID) removed, at most the cap.
    pub items: Vec<FeedItem>,
    /// Entries beyond the cap that were not looked at.
    pub skipped: usize,
    /// The encoding the bytes were read as (`UTF-8`, `windows-1252`, `UTF-16BE`, …).
    pub encoding: &'static str,
    /// The feed was malformed (truncated, bare `&`, …) and was repaired before parsing.
    pub repaired: bool,
    /// How often the feed says it changes, in minutes: RSS `<ttl>` or
    /// `sy:updatePeriod`/`sy:updateFrequency`. Only ever lengthens our own interval.
    pub update_interval_mins: Option<u32>,
}

/// Parses raw feed bytes without HTTP headers: the encoding comes from the bytes.
pub fn parse_feed(bytes: &[u8], feed_url: &str, max_items: usize) -> Result<ParsedFeed, FeedError> {
    parse_feed_with_charset(bytes, None, feed_url, max_items)
}

/// Parses raw feed bytes (never text decoded elsewhere: the byte-order mark, the HTTP
/// `charset` and the XML declaration decide the encoding, in `decode`). At most
/// `max_items` entries are processed; the feed is cut after them before feed-rs builds
/// its model, which keeps memory bounded on huge feeds.
pub fn parse_feed_with_charset(
    bytes: &[u8],
    http_charset: Option<&str>,
    feed_url: &str,
    max_items: usize,
) -> Result<ParsedFeed, FeedError> {
    let base = Url::parse(feed_url).ok();
    let decoded = decode::decode_feed(bytes, http_charset);
    let is_json = decoded.text.trim_start().starts_with('{');
    // The cut works on borrowed text, so a huge feed is never copied whole.
    let (mut text, cut_off): (String, usize) = if is_json {
        (decoded.text.into_owned(), 0)
    } else {
        let normalised = match cdf::cdf_to_rss(&decoded.text) {
            Some(rss) => std::borrow::Cow::Owned(rss),
            None => repair::normalise(&decoded.text),
        };
        match repair::cut_after_items(&normalised, max_items) {
            Some(cut) => cut,
            None => (normalised.into_owned(), 0),
        }
    };
    let update_interval_mins = if is_json {
        None
    } else {
        update_interval_mins(&text)
    };
    let mut repaired = false;
    let mut attempt = match parse_contained(&text, feed_url) {
        Err(panicked) => {
            // The one panic known to survive decoding; any other stays an error.
            let fixed = repair::space_out_emails(&text).ok_or(panicked)?;
            text = fixed;
            repaired = true;
            parse_contained(&text, feed_url)?
        }
        Ok(attempt) => attempt,
    };
    if attempt.is_err() && !is_json {
        if let Some(fixed) = repair::repair(&text) {
            text = fixed;
            repaired = true;
            attempt = parse_contained(&text, feed_url)?;
        }
    }
    // Each retype handles one MIME type; a feed rarely uses more than a couple.
    for _ in 0..4 {
        let mime = match &attempt {
            Err(feed_rs::parser::ParseFeedError::ParseError(
                feed_rs::parser::ParseErrorKind::UnknownMimeType { mime, .. },
            )) => mime.clone(),
            _ => break,
        };
        let Some(fixed) = repair::retype(&text, &mime) else {
            break;
        };
        text = fixed;
        repaired = true;
        attempt = parse_contained(&text, feed_url)?;
    }
    let parsed = attempt.map_err(|e| FeedError::Unreadable {
        feed_url: feed_url.to_string(),
        message: e.to_string(),
    })?;
    drop(text);

    let title = parsed
        .title
        .map(|t| clean_line(&t.content))
        .filter(|t| !t.is_empty());
    let total = parsed.entries.len();
    let mut items = Vec::new();
    let mut seen_urls = HashSet::new();
    let mut seen_guids = HashSet::new();
    let link_of = |entry: &feed_rs::model::Entry| {
        entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or_else(|| entry.links.first())
            .and_then(|l| resolve_link(base.as_ref(), &l.href))
    };
    // A GUID the feed gives to several different links identifies nothing (some feeds
    // put one constant in every item): such items are told apart by their links alone.
    let mut links_by_guid: HashMap<&str, HashSet<Option<String>>> = HashMap::new();
    for entry in parsed.entries.iter().take(max_items) {
        let guid = entry.id.trim();
        if !guid.is_empty() {
            links_by_guid
                .entry(guid)
                .or_default()
                .insert(link_of(entry));
        }
    }
    let ambiguous_guids: HashSet<String> = links_by_guid
        .into_iter()
        .filter(|(_, links)| links.len() > 1)
        .map(|(guid, _)| guid.to_string())
        .collect();
    for entry in parsed.entries.into_iter().take(max_items) {
        let url = link_of(&entry);
        let guid = Some(entry.id.trim().to_string())
            .filter(|g| !g.is_empty() && !ambiguous_guids.contains(g));
        if url.is_none() && guid.is_none() {
            continue;
        }
        if url.as_ref().is_some_and(|u| !seen_urls.insert(u.clone()))
            || guid.as_ref().is_some_and(|g| !seen_guids.insert(g.clone()))
        {
            continue;
        }
        let content = entry
            .content
            .and_then(|c| c.body)
            .or_else(|| entry.summary.map(|s| s.content))
            .filter(|c| !c.trim().is_empty());
        let published: Option<DateTime<FixedOffset>> =
            entry.published.or(entry.updated).map(|t| t.fixed_offset());
        items.push(FeedItem {
            guid,
            url,
            title: entry
                .title
                .map(|t| clean_line(&t.content))
                .filter(|t| !t.is_empty()),
            published,
            author: entry
                .authors
                .iter()
                .filter_map(|p| p.name.as_deref())
                .map(clean_line)
                .next()
                .filter(|a| !a.is_empty()),
            content,
        });
    }
    Ok(ParsedFeed {
        title,
        items,
        skipped: total.saturating_sub(max_items) + cut_off,
        encoding: decoded.encoding,
        repaired,
        update_interval_mins: parsed.ttl.filter(|t| *t > 0).or(update_interval_mins),
    })
}

/// feed-rs has panicked on some inputs (UTF-16 with a BOM, before decoding moved here);
/// one bad feed must not take the pass down. The outer error is the contained panic, the
/// inner one feed-rs's own verdict.
fn parse_contained(
    text: &str,
    feed_url: &str,
) -> Result<Result<feed_rs::model::Feed, feed_rs::parser::ParseFeedError>, FeedError> {
    let parser = feed_rs::parser::Builder::new()
        // An empty id marks "the feed gave none": we dedup by link instead of a made-up hash.
        .id_generator(|_, _, _| String::new())
        .build();
    catch_unwind(AssertUnwindSafe(|| parser.parse(text.as_bytes()))).map_err(|_| {
        FeedError::ParserPanicked {
            feed_url: feed_url.to_string(),
        }
    })
}

/// `sy:updatePeriod` (hourly, daily, weekly, monthly, yearly) divided by
/// `sy:updateFrequency` (default 1), in minutes. RSS `<ttl>` is read by feed-rs.
fn update_interval_mins(text: &str) -> Option<u32> {
    let head = &text[..floor_char_boundary(text, 64 * 1024)];
    let period = element_text(head, "sy:updatePeriod")?;
    let minutes: u32 = match period.trim().to_ascii_lowercase().as_str() {
        "hourly" => 60,
        "daily" => 24 * 60,
        "weekly" => 7 * 24 * 60,
        "monthly" => 30 * 24 * 60,
        "yearly" => 365 * 24 * 60,
        _ => return None,
    };
    let frequency = element_text(head, "sy:updateFrequency")
        .and_then(|f| f.trim().parse::<u32>().ok())
        .filter(|f| *f > 0)
        .unwrap_or(1);
    Some((minutes / frequency).max(1))
}

fn element_text<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find('<')? + start;
    Some(&text[start..end])
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Titles and names go into logs and one-line output: collapse whitespace, drop controls.
fn clean_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
