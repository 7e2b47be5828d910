//! The extract stage: an HTML page (bytes) becomes its main text plus metadata; feed
//! content and plain-text documents become text the same way. Pure: no I/O, no rules.
//!
//! Pipeline of [`extract_page`]: decode the bytes (`decode`: BOM, HTTP charset, `<meta>`
//! charset, UTF-8), bound the markup so hostile nesting cannot make parsing slow (`bound`),
//! parse with scraper, choose the article's container (`content`), read the metadata
//! (`metadata`), walk the container into text blocks and drop the chrome (`content`,
//! `boilerplate`). Every tree walk is iterative (`walk`), so no input can overflow the
//! stack, and no input can make it panic.
//!
//! `text` holds the article's blocks (paragraphs, headings, list items, block quotes) in
//! reading order, separated by `"\n\n"`, whitespace inside a block collapsed to single
//! spaces, entities decoded and all other characters (curly quotes, dashes) as written.
//!
//! Metadata precedence, first usable source wins:
//! - **title**: JSON-LD `headline`; `og:title`, then `twitter:title` (a trailing " | Site"
//!   removed when it names the site); the first `<h1>` (preferring one inside the article's
//!   container, then one outside any `<header>`); `<title>` without its " | Site" /
//!   " - Section" suffix.
//! - **published**: JSON-LD `datePublished`; `article:published_time`; the first
//!   `<time datetime>`; `itemprop=datePublished`; other date `<meta>` names (`pubdate`,
//!   `date`, `dc.date`, …); the dateline in the text ("Published on November 9, 2023,
//!   7:11 am", "By X | Nov 9, 2023"), which is then removed from `text`; the date in the
//!   page URL's path (`/2023/11/09/`); the caller then falls back to the feed item's date. A timestamp keeps
//!   its zone as [`Published::Time`]; a time without a zone gives [`Published::Day`].
//!   Dates before 1990 or after tomorrow are skipped in favour of the next source.
//! - **author**: JSON-LD `author` (names joined by ", "); `<meta name=author>`;
//!   `article:author` unless it is a URL; the text of `<a rel=author>`; a "By X |" dateline.
//! - **site**: `og:site_name`; JSON-LD `publisher`.
//! - **lang**: `<html lang>`; `<meta http-equiv=content-language>`; `og:locale`; else a
//!   guess from the text's function words (`lang`), or none when unsure.
//! - **canonical_url**: `<link rel=canonical>`; `og:url`; resolved against `page_url`,
//!   kept only when absolute http(s).
//!
//! Dates, headlines and authors inside page chrome (navigation, related lists, comments)
//! are ignored.

mod boilerplate;
mod bound;
mod content;
mod dateline;
mod decode;
mod lang;
mod metadata;
mod tag;
mod walk;

#[cfg(test)]
mod tests;

use regex::Regex;
use scraper::Html;

use crate::model::Published;

pub use dateline::dateline;

/// Minimum length of a page's `text`, in characters, below which the caller falls back to
/// the feed item's own content: less than this is a teaser, a paywall stub or a page the
/// extractor misread, not an article.
pub const MIN_PAGE_TEXT_CHARS: usize = 200;

/// Bytes of a page looked at; the rest is ignored. The fetch stage caps bodies lower, this
/// only keeps the work bounded for callers that do not.
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// The main text and metadata of one HTML page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtractedPage {
    pub title: Option<String>,
    pub published: Option<Published>,
    pub author: Option<String>,
    pub site: Option<String>,
    pub lang: Option<String>,
    pub canonical_url: Option<String>,
    /// Main text: blocks in reading order separated by `"\n\n"`.
    pub text: String,
}

/// Extracts the main text and metadata of an HTML page. `charset` is the HTTP
/// `Content-Type` charset, if any; `page_url` resolves a relative canonical link.
pub fn extract_page(bytes: &[u8], charset: Option<&str>, page_url: Option<&str>) -> ExtractedPage {
    let bytes = &bytes[..bytes.len().min(MAX_PAGE_BYTES)];
    let html = decode::decode_html(bytes, charset);
    let html = bound::bound_markup(&html, bound::Input::Page);
    let doc = Html::parse_document(&html);

    let verdicts = boilerplate::Verdicts::default();
    let roots = content::content_roots(&doc, &verdicts);
    let meta = metadata::read_metadata(&doc, &verdicts, roots.first().copied(), page_url);
    let main = content::main_text(&roots, meta.title.as_deref(), false, &verdicts);
    let (dated, byline) = match main.dateline {
        Some(d) => (Some(d.published), d.author),
        None => (None, None),
    };
    ExtractedPage {
        title: meta.title,
        published: meta
            .published
            .or(dated)
            .or_else(|| page_url.and_then(dateline::url_date)),
        author: meta.author.or(byline),
        site: meta.site,
        lang: meta
            .lang
            .or_else(|| lang::detect(&main.text).map(str::to_string)),
        canonical_url: meta.canonical_url,
        text: main.text,
    }
}

/// Turns a feed item's content, an HTML fragment or plain text, into text blocks separated
/// by `"\n\n"`, with the same cleaning as page text. In plain text (and in loose text of
/// a fragment) a blank line separates blocks.
pub fn fragment_to_text(html_or_text: &str) -> String {
    let input = &html_or_text[..floor_char_boundary(html_or_text, MAX_PAGE_BYTES)];
    let html = bound::bound_markup(input, bound::Input::Fragment);
    let doc = Html::parse_fragment(&html);
    let verdicts = boilerplate::Verdicts::default();
    content::main_text(&[doc.tree.root()], None, true, &verdicts).text
}

/// The largest char boundary at or below `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    (0..=index)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// The lazy-DFA cache each of this module's patterns may grow per thread that uses it
/// (the regex crate keeps one per thread for the life of the pattern, 2 MB by default).
/// The patterns match short blocks and metadata values, which need few states.
const REGEX_CACHE_BYTES: usize = 256 * 1024;

/// Compiles one of this module's regex literals. The patterns are constants that the unit
/// tests exercise, so a failure is a bug found before release, never something an input
/// can cause; that is why this may panic.
fn built_in_regex(pattern: &str) -> Regex {
    built_in_regex_with_cache(pattern, REGEX_CACHE_BYTES)
}

/// [`built_in_regex`] with a lazy-DFA cache of `cache_bytes` per thread: for the large
/// stock-line alternation, whose automaton needs room to stay fast.
fn built_in_regex_with_cache(pattern: &str, cache_bytes: usize) -> Regex {
    match regex::RegexBuilder::new(pattern)
        .dfa_size_limit(cache_bytes)
        .build()
    {
        Ok(regex) => regex,
        Err(e) => panic!("built-in pattern {pattern:?} does not compile: {e}"),
    }
}
