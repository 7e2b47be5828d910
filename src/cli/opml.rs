//! OPML reading for `chipwatch feeds import-opml`: every `<outline>` with an `xmlUrl`, at
//! any depth (feed readers nest feeds in folders), becomes a candidate feed with a name
//! made from its title. Parsing is bounded by the file size cap; a malformed file is an
//! error naming where it broke.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::config::valid_feed_name;

/// Largest OPML file read (exports of thousands of feeds are well under this).
pub const MAX_OPML_BYTES: u64 = 10_000_000;

/// One feed found in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// The outline's `title`, else its `text`, else empty.
    pub title: String,
    pub url: String,
}

/// Every outline with an `xmlUrl`, in document order.
pub fn parse_opml(text: &str) -> Result<Vec<OpmlFeed>, String> {
    let mut reader = Reader::from_str(text);
    let mut feeds = Vec::new();
    loop {
        let position = reader.buffer_position();
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                if e.local_name().as_ref().eq_ignore_ascii_case("outline") {
                    if let Some(feed) = outline(&e)? {
                        feeds.push(feed);
                    }
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("not valid XML near byte {position}: {e}")),
        }
    }
    Ok(feeds)
}

fn outline(element: &BytesStart<'_>) -> Result<Option<OpmlFeed>, String> {
    let (mut url, mut title, mut text) = (None, None, None);
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| format!("bad outline attribute: {e}"))?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("bad outline attribute value: {e}"))?
            .trim()
            .to_string();
        // Exporters disagree on case ("xmlUrl", "xmlurl").
        match attribute
            .key
            .local_name()
            .as_ref()
            .to_ascii_lowercase()
            .as_str()
        {
            "xmlurl" => url = Some(value),
            "title" => title = Some(value),
            "text" => text = Some(value),
            _ => {}
        }
    }
    Ok(url.filter(|u| !u.is_empty()).map(|url| OpmlFeed {
        title: title.filter(|t| !t.is_empty()).or(text).unwrap_or_default(),
        url,
    }))
}

/// A feed name from a title: lower-case letters and digits, runs of anything else as one
/// '-', at most 48 characters; falls back to the URL's host when the title gives nothing.
pub fn feed_name(title: &str, url: &str) -> String {
    let slug = |s: &str| {
        let mut out = String::new();
        for c in s.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let mut out: String = out.chars().take(48).collect();
        while out.ends_with('-') {
            out.pop();
        }
        out
    };
    let name = slug(title);
    if valid_feed_name(&name) {
        return name;
    }
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let name = slug(&host);
    if valid_feed_name(&name) {
        name
    } else {
        "feed".to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nested_outlines_and_entities_are_read() {
        let feeds = parse_opml(
            r#"<?xml version="1.0"?><opml version="2.0"><body>
            <outline text="Chips"><outline text="A &amp; B" type="rss" xmlUrl="https://a.example/rss?x=1&amp;y=2"/>
            <outline title="Deep"><outline text="t" title="Tea" xmlurl="https://t.example/feed"></outline></outline></outline>
            <outline text="no url"/></body></opml>"#,
        )
        .unwrap();
        assert_eq!(
            feeds,
            [
                OpmlFeed {
                    title: "A & B".into(),
                    url: "https://a.example/rss?x=1&y=2".into()
                },
                OpmlFeed {
                    title: "Tea".into(),
                    url: "https://t.example/feed".into()
                },
            ]
        );
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(parse_opml("<opml><body><outline xmlUrl='x'></body>").is_err());
    }

    #[test]
    fn names_are_slugs_of_titles_or_hosts() {
        assert_eq!(
            feed_name("Tom's Hardware: News!", "x"),
            "tom-s-hardware-news"
        );
        assert_eq!(
            feed_name("日本語", "https://www.Example.com/rss"),
            "www-example-com"
        );
        assert_eq!(feed_name("", "not a url"), "feed");
        assert!(feed_name(&"x".repeat(300), "").len() <= 48);
    }
}
