//! Feed bytes → [`FeedItem`]s. feed-rs reads RSS 0.9x/1.0/2.0, Atom and JSON Feed; this
//! module converts its model into ours at the boundary (no feed-rs type leaves it),
//! normalises links into dedup keys and drops duplicate entries. Pure: it never fetches.

mod canonical;

use std::collections::HashSet;
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
}

/// Parses raw feed bytes (never decoded text: the XML prolog names the encoding).
pub fn parse_feed(bytes: &[u8], feed_url: &str, max_items: usize) -> Result<ParsedFeed, FeedError> {
    let base = Url::parse(feed_url).ok();
    let parser = feed_rs::parser::Builder::new()
        // An empty id marks "the feed gave none": we dedup by link instead of a made-up hash.
        .id_generator(|_, _, _| String::new())
        .build();
    let input = add_missing_rss_version(bytes);
    // feed-rs has panicked on some inputs (UTF-16 with a BOM); one bad feed must not
    // take the pass down.
    let parsed = catch_unwind(AssertUnwindSafe(|| parser.parse(input.as_ref())))
        .map_err(|_| FeedError::ParserPanicked {
            feed_url: feed_url.to_string(),
        })?
        .map_err(|e| FeedError::Unreadable {
            feed_url: feed_url.to_string(),
            message: e.to_string(),
        })?;

    let title = parsed
        .title
        .map(|t| clean_line(&t.content))
        .filter(|t| !t.is_empty());
    let total = parsed.entries.len();
    let mut items = Vec::new();
    let mut seen_urls = HashSet::new();
    let mut seen_guids = HashSet::new();
    for entry in parsed.entries.into_iter().take(max_items) {
        let url = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or_else(|| entry.links.first())
            .and_then(|l| resolve_link(base.as_ref(), &l.href));
        let guid = Some(entry.id.trim().to_string()).filter(|g| !g.is_empty());
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
        skipped: total.saturating_sub(max_items),
    })
}

/// Many real RSS feeds omit `version` on `<rss>`, which feed-rs rejects; RSS 2.0 is what
/// such feeds mean.
fn add_missing_rss_version(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let head = &bytes[..bytes.len().min(4096)];
    let Some(pos) = find(head, b"<rss") else {
        return bytes.into();
    };
    if !head
        .get(pos + 4)
        .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>')
    {
        return bytes.into();
    }
    let tag_end = find(&head[pos..], b">").map(|e| pos + e);
    let Some(tag_end) = tag_end else {
        return bytes.into();
    };
    if find(&head[pos..tag_end], b"version").is_some() {
        return bytes.into();
    }
    let mut patched = Vec::with_capacity(bytes.len() + 16);
    patched.extend_from_slice(&bytes[..pos + 4]);
    patched.extend_from_slice(b" version=\"2.0\"");
    patched.extend_from_slice(&bytes[pos + 4..]);
    patched.into()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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
