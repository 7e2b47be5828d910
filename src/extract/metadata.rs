//! Page metadata: title, publication date, author, site name, language and canonical URL,
//! read from JSON-LD, `<meta>` tags, links and the markup itself (precedence in `super`'s
//! docs). Every source is optional and may lie; dates must be plausible to be kept, and
//! markup inside page chrome (related lists, comments, navigation) is not trusted for the
//! headline, the date or the author.

use std::collections::HashMap;

use scraper::node::Element;
use scraper::{ElementRef, Html};
use serde_json::{Map, Value};
use url::Url;

use super::boilerplate::{Verdict, Verdicts};
use super::dateline::{parse_date_value, plausible};
use super::walk::{attr, walk, NodeRef, Step};
use crate::model::Published;

/// JSON-LD values visited per document; a page's real graph has a few hundred.
const MAX_JSON_LD_VALUES: usize = 10_000;

/// `<meta>` names that carry a publication date, after `article:published_time`,
/// `<time datetime>` and `itemprop=datePublished`.
const DATE_META_NAMES: &[&str] = &[
    "og:published_time",
    "article.published",
    "pubdate",
    "publishdate",
    "publish-date",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "dcterms.issued",
    "sailthru.date",
    "parsely-pub-date",
];

/// The metadata of one page; each field `None` when no source gave a usable value.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Metadata {
    pub title: Option<String>,
    pub published: Option<Published>,
    pub author: Option<String>,
    pub site: Option<String>,
    pub lang: Option<String>,
    pub canonical_url: Option<String>,
}

/// What one walk over the document collects.
#[derive(Default)]
struct Found {
    /// `<meta>` property/name/itemprop/http-equiv (lower-cased) → first content.
    meta: HashMap<String, String>,
    canonical: Option<String>,
    title_tag: Option<String>,
    /// `<h1>` texts outside chrome, with whether they sit in the content root / a header.
    h1: Vec<(String, bool, bool)>,
    times: Vec<String>,
    item_dates: Vec<String>,
    rel_author: Option<String>,
    json_ld: Vec<String>,
}

/// Reads the metadata of `doc`. `content_root` (the article's container) is preferred for
/// the `<h1>`; `page_url` resolves relative canonical links.
pub(crate) fn read_metadata(
    doc: &Html,
    verdicts: &Verdicts,
    content_root: Option<NodeRef<'_>>,
    page_url: Option<&str>,
) -> Metadata {
    let found = collect(doc, verdicts, content_root);
    let ld = json_ld_article(&found.json_ld);
    let meta = |key: &str| {
        found
            .meta
            .get(key)
            .map(|v| clean(v))
            .filter(|v| !v.is_empty())
    };
    let ld_text = |key: &str| {
        ld.as_ref()
            .and_then(|o| o.get(key))
            .and_then(Value::as_str)
            .map(clean_markup)
    };

    let site =
        meta("og:site_name").or_else(|| ld.as_ref().and_then(|o| name_of(o.get("publisher")?)));

    let h1 = || {
        let pick = |want: fn(&(String, bool, bool)) -> bool| {
            found.h1.iter().find(|h| want(h)).map(|h| h.0.clone())
        };
        pick(|h| h.1)
            .or_else(|| pick(|h| !h.2))
            .or_else(|| pick(|_| true))
    };
    let title = ld_text("headline")
        .or_else(|| meta("og:title").map(|t| strip_site(&t, site.as_deref(), false)))
        .or_else(|| meta("twitter:title").map(|t| strip_site(&t, site.as_deref(), false)))
        .or_else(h1)
        .or_else(|| {
            found
                .title_tag
                .as_deref()
                .map(|t| strip_site(t, site.as_deref(), true))
        })
        .filter(|t| !t.is_empty());

    let published = ld_text("datePublished")
        .into_iter()
        .chain(meta("article:published_time"))
        .chain(found.times.iter().cloned())
        .chain(found.item_dates.iter().cloned())
        .chain(DATE_META_NAMES.iter().filter_map(|name| meta(name)))
        .filter_map(|value| parse_date_value(&value))
        .find(plausible);

    let author = ld
        .as_ref()
        .and_then(|o| name_of(o.get("author")?))
        .or_else(|| meta("author"))
        .or_else(|| meta("article:author").filter(|a| !a.starts_with("http")))
        .or_else(|| found.rel_author.clone())
        .map(|a| strip_by(&a))
        .filter(|a| !a.is_empty());

    let lang = doc
        .root_element()
        .attr("lang")
        .map(str::to_string)
        .or_else(|| meta("content-language"))
        .or_else(|| meta("og:locale").map(|l| l.replace('_', "-")))
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty() && l.len() <= 35);

    let canonical_url = found
        .canonical
        .as_deref()
        .and_then(|href| resolve(href, page_url))
        .or_else(|| meta("og:url").and_then(|href| resolve(&href, page_url)));

    Metadata {
        title,
        published,
        author,
        site,
        lang,
        canonical_url,
    }
}

/// One walk over the whole document; chrome is entered (the `<head>` must be read) but
/// nothing inside it counts for the headline, dates or author.
fn collect(doc: &Html, verdicts: &Verdicts, content_root: Option<NodeRef<'_>>) -> Found {
    let mut found = Found::default();
    // Per open element: whether it opened chrome or a header, so closing it needs no
    // second verdict. Inside chrome nothing is classified at all: it cannot matter.
    let mut open: Vec<(bool, bool)> = Vec::new();
    let mut chrome_depth = 0usize;
    let mut header_depth = 0usize;
    walk(doc.tree.root(), |step| {
        let (node, opening) = match step {
            Step::Open(node) => (node, true),
            Step::Close(node) => (node, false),
        };
        let Some(element) = node.value().as_element() else {
            // Enter the document node; text and comments have nothing to enter.
            return node.value().is_document();
        };
        if !opening {
            let (is_chrome, is_header) = open.pop().unwrap_or_default();
            chrome_depth -= usize::from(is_chrome);
            header_depth -= usize::from(is_header);
            return true;
        }
        let (is_chrome, is_header) = if chrome_depth > 0 {
            (false, false)
        } else {
            let v = verdicts.of(node, element);
            (
                matches!(v, Verdict::Chrome) && element.name() != "form",
                matches!(v, Verdict::Header),
            )
        };
        open.push((is_chrome, is_header));
        chrome_depth += usize::from(is_chrome);
        header_depth += usize::from(is_header);
        read_element(
            &mut found,
            node,
            element,
            chrome_depth > 0,
            header_depth > 0,
            content_root,
        );
        true
    });
    found
}

fn read_element(
    found: &mut Found,
    node: NodeRef<'_>,
    element: &Element,
    in_chrome: bool,
    in_header: bool,
    content_root: Option<NodeRef<'_>>,
) {
    let text = || {
        ElementRef::wrap(node)
            .map(|e| clean(&e.text().collect::<String>()))
            .unwrap_or_default()
    };
    match element.name() {
        "meta" => {
            if let Some(content) = attr(element, "content") {
                for key in ["property", "name", "itemprop", "http-equiv"] {
                    if let Some(k) = attr(element, key) {
                        found
                            .meta
                            .entry(k.trim().to_ascii_lowercase())
                            .or_insert_with(|| content.to_string());
                    }
                }
            }
        }
        "link" => {
            let rel = attr(element, "rel")
                .unwrap_or_default()
                .to_ascii_lowercase();
            if found.canonical.is_none() && rel.split_ascii_whitespace().any(|r| r == "canonical") {
                found.canonical = attr(element, "href").map(str::to_string);
            }
        }
        "title" if found.title_tag.is_none() => found.title_tag = Some(text()),
        "script" => {
            let kind = attr(element, "type").unwrap_or_default().trim();
            if kind.eq_ignore_ascii_case("application/ld+json") {
                if let Some(e) = ElementRef::wrap(node) {
                    found.json_ld.push(e.text().collect());
                }
            }
        }
        _ => {}
    }
    if in_chrome {
        return;
    }
    match element.name() {
        "h1" if found.h1.len() < 10 => {
            let in_root = content_root.is_some_and(|root| node.ancestors().any(|a| a == root));
            found.h1.push((text(), in_root, in_header));
        }
        "time" => {
            if let Some(datetime) = attr(element, "datetime") {
                found.times.push(datetime.to_string());
            }
        }
        "a" if found.rel_author.is_none() => {
            let rel = attr(element, "rel")
                .unwrap_or_default()
                .to_ascii_lowercase();
            if rel.split_ascii_whitespace().any(|r| r == "author") {
                found.rel_author = Some(text()).filter(|t| !t.is_empty());
            }
        }
        _ => {}
    }
    let item_date = attr(element, "itemprop")
        .is_some_and(|p| p.split_ascii_whitespace().any(|p| p == "datePublished"));
    if item_date {
        let value = attr(element, "content")
            .or_else(|| attr(element, "datetime"))
            .map(str::to_string);
        found.item_dates.push(value.unwrap_or_else(text));
    }
}

/// The first article object in the page's JSON-LD blocks (following `@graph` and nesting),
/// else the first object with a headline.
fn json_ld_article(blocks: &[String]) -> Option<Map<String, Value>> {
    let mut fallback: Option<&Map<String, Value>> = None;
    let values: Vec<Value> = blocks.iter().filter_map(|b| parse_json_ld(b)).collect();
    let mut stack: Vec<&Value> = values.iter().rev().collect();
    let mut visited = 0;
    while let Some(value) = stack.pop() {
        visited += 1;
        if visited > MAX_JSON_LD_VALUES {
            break;
        }
        match value {
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(object) => {
                if is_article_type(object.get("@type")) {
                    return Some(object.clone());
                }
                if fallback.is_none() && object.get("headline").is_some_and(Value::is_string) {
                    fallback = Some(object);
                }
                stack.extend(
                    object
                        .values()
                        .rev()
                        .filter(|v| v.is_object() || v.is_array()),
                );
            }
            _ => {}
        }
    }
    fallback.cloned()
}

/// Parses one JSON-LD block. Many sites leave raw newlines and tabs inside strings, which
/// JSON forbids; outside strings they are whitespace, so replacing them is safe.
fn parse_json_ld(block: &str) -> Option<Value> {
    serde_json::from_str(block).ok().or_else(|| {
        let repaired: String = block
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        serde_json::from_str(&repaired).ok()
    })
}

fn is_article_type(kind: Option<&Value>) -> bool {
    let is_article = |t: &str| t.ends_with("Article") || t.ends_with("Posting") || t == "Report";
    match kind {
        Some(Value::String(t)) => is_article(t),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).any(is_article),
        _ => false,
    }
}

/// A person's or organisation's name: a string, `{"name": …}`, or a list of them joined.
fn name_of(value: &Value) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    let one = |v: &Value| match v {
        Value::String(s) => Some(clean_markup(s)),
        Value::Object(o) => o.get("name").and_then(Value::as_str).map(clean_markup),
        _ => None,
    };
    match value {
        Value::Array(items) => {
            for name in items.iter().filter_map(one) {
                if !name.is_empty() && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        other => names.extend(one(other)),
    }
    Some(names.join(", ")).filter(|n| !n.is_empty())
}

/// Collapses whitespace.
fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Collapses whitespace and decodes the entities some sites leave in JSON-LD strings.
fn clean_markup(text: &str) -> String {
    if text.contains('&') || text.contains('<') {
        let fragment = Html::parse_fragment(text);
        clean(&fragment.root_element().text().collect::<String>())
    } else {
        clean(text)
    }
}

fn strip_by(author: &str) -> String {
    let trimmed = author.trim();
    match trimmed.get(..3) {
        Some(by) if by.eq_ignore_ascii_case("by ") => trimmed[3..].trim().to_string(),
        _ => trimmed.to_string(),
    }
}

/// Removes a site name from a title: "Headline | Site", "Site - Headline". Without a known
/// site name (or when `guess` allows it), a short last segment after a separator is taken
/// for one, repeatedly ("Headline - Section | Site").
fn strip_site(title: &str, site: Option<&str>, guess: bool) -> String {
    const SEPARATORS: &[&str] = &[
        " | ", " - ", " – ", " — ", " :: ", " · ", " • ", " « ", " » ",
    ];
    let mut title = clean(title);
    let is_site = |part: &str| site.is_some_and(|s| s.trim().eq_ignore_ascii_case(part.trim()));
    for _ in 0..3 {
        let last = SEPARATORS
            .iter()
            .filter_map(|sep| title.rfind(sep).map(|i| (i, sep.len())))
            .max();
        let first = SEPARATORS
            .iter()
            .filter_map(|sep| title.find(sep).map(|i| (i, sep.len())))
            .min();
        let (Some((last_at, last_len)), Some((first_at, first_len))) = (last, first) else {
            break;
        };
        let (head, suffix) = (&title[..last_at], &title[last_at + last_len..]);
        let (prefix, tail) = (&title[..first_at], &title[first_at + first_len..]);
        let words = |s: &str| s.split_whitespace().count();
        if is_site(suffix)
            || (guess && words(suffix) <= 4 && words(head) >= 3 && words(head) > words(suffix))
        {
            title = head.trim().to_string();
        } else if is_site(prefix) {
            title = tail.trim().to_string();
        } else {
            break;
        }
    }
    title
}

/// Resolves a link against the page URL; only absolute http(s) results are kept.
fn resolve(href: &str, page_url: Option<&str>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = match page_url.and_then(|base| Url::parse(base).ok()) {
        Some(base) => base.join(href).ok()?,
        None => Url::parse(href).ok()?,
    };
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn site_names_come_off_titles() {
        let site = Some("ChipWire");
        assert_eq!(
            strip_site("Baidu buys chips | ChipWire", site, true),
            "Baidu buys chips"
        );
        assert_eq!(
            strip_site("ChipWire - Baidu buys chips", site, true),
            "Baidu buys chips"
        );
        assert_eq!(
            strip_site("TSMC expands capacity | Foundry | Wire", None, true),
            "TSMC expands capacity"
        );
        // A dash inside a headline is not a site suffix.
        assert_eq!(
            strip_site("Nvidia - AMD rivalry heats up", None, true),
            "Nvidia - AMD rivalry heats up"
        );
        assert_eq!(
            strip_site("TSMC expands - Tech", None, false),
            "TSMC expands - Tech"
        );
    }

    #[test]
    fn links_resolve_against_the_page() {
        let page = Some("http://127.0.0.1:8080/news/a?x=1");
        assert_eq!(
            resolve("/news/b", page).as_deref(),
            Some("http://127.0.0.1:8080/news/b")
        );
        assert_eq!(
            resolve("https://e.com/x", None).as_deref(),
            Some("https://e.com/x")
        );
        assert_eq!(resolve("/relative", None), None);
        assert_eq!(resolve("javascript:void(0)", page), None);
    }

    #[test]
    fn author_lists_are_joined() {
        let value: Value =
            serde_json::from_str(r#"[{"@type":"Person","name":"A B"},"C D",{"name":"A B"}]"#)
                .unwrap();
        assert_eq!(name_of(&value).as_deref(), Some("A B, C D"));
    }
}
