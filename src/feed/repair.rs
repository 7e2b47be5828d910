//! Best-effort fixes to feed text (already UTF-8) so that feed-rs can read what real feeds
//! send. [`normalise`] runs on every feed: `<rss>` without a `version` (read as 2.0) and
//! `<rss>` without a `<channel>` (its children wrapped in one). [`repair`] runs only after
//! feed-rs rejected a feed: bare `&` escaped, `&#X41;` lower-cased, an unclosed CDATA
//! section, comment or tag at the end cut or closed, and every element still open closed
//! — which is what a truncated body needs. [`cut_after_items`] bounds memory: feed-rs
//! builds the whole feed in memory, so a feed is cut after the items we would process.

use std::borrow::Cow;

/// Elements deeper than this are not tracked when closing; real feeds nest a few levels.
const MAX_DEPTH: usize = 256;

/// Fixes applied to every feed before parsing.
pub fn normalise(text: &str) -> Cow<'_, str> {
    let Some(open) = root_rss_tag(text) else {
        return Cow::Borrowed(text);
    };
    let (tag_start, tag_end) = open;
    let tag = &text[tag_start..tag_end];
    // feed-rs knows 0.91, 0.92 and 2.0; the other 0.9x and 2.0.1 are read as 2.0.
    let version = version_span(tag);
    let needs_version =
        version.is_none_or(|(from, to)| !matches!(&tag[from..to], "2.0" | "0.91" | "0.92" | ""));
    let needs_channel = !text[tag_end..].contains("<channel");
    if !needs_version && !needs_channel {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 40);
    match (needs_version, version) {
        (true, Some((from, to))) => {
            out.push_str(&text[..tag_start + from]);
            out.push_str("2.0");
            out.push_str(&text[tag_start + to..tag_end]);
        }
        (true, None) => {
            out.push_str(&text[..tag_start + 4]);
            out.push_str(" version=\"2.0\"");
            out.push_str(&text[tag_start + 4..tag_end]);
        }
        (false, _) => out.push_str(&text[..tag_end]),
    }
    if needs_channel && !tag.ends_with("/>") {
        let close = text.rfind("</rss").filter(|c| *c >= tag_end);
        out.push_str("<channel>");
        match close {
            Some(close) => {
                out.push_str(&text[tag_end..close]);
                out.push_str("</channel>");
                out.push_str(&text[close..]);
            }
            None => {
                out.push_str(&text[tag_end..]);
                out.push_str("</channel>");
            }
        }
    } else {
        out.push_str(&text[tag_end..]);
    }
    Cow::Owned(out)
}

/// Where the value of the `version` attribute of a start tag lies, quotes excluded.
fn version_span(tag: &str) -> Option<(usize, usize)> {
    let at = tag.find("version")?;
    let rest = &tag[at + 7..];
    let eq = rest.find('=')?;
    if !rest[..eq].trim().is_empty() {
        return None;
    }
    let after_eq = &rest[eq + 1..];
    let open = after_eq.len() - after_eq.trim_start().len();
    let quote = after_eq[open..]
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'')?;
    let from = at + 7 + eq + 1 + open + 1;
    let len = tag[from..].find(quote)?;
    Some((from, from + len))
}

/// The span of the root `<rss …>` start tag, when the document's root is `rss`.
fn root_rss_tag(text: &str) -> Option<(usize, usize)> {
    root_tag(text, "rss")
}

/// The span of the root element's start tag, when the root is named `name`.
pub(super) fn root_tag(text: &str, name: &str) -> Option<(usize, usize)> {
    let mut at = 0;
    // Skip the prolog: declarations, comments, processing instructions, whitespace.
    loop {
        let rest = text.get(at..)?;
        let skipped = rest.len() - rest.trim_start().len();
        at += skipped;
        let rest = &text[at..];
        if rest.starts_with("<!--") {
            at += rest.find("-->")? + 3;
        } else if rest.starts_with("<?") {
            at += rest.find("?>")? + 2;
        } else if rest.starts_with("<!") {
            at += rest.find('>')? + 1;
        } else {
            break;
        }
    }
    let rest = &text[at..];
    let after = rest.strip_prefix('<')?.strip_prefix(name)?;
    if !after.starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/') {
        return None;
    }
    let end = tag_end(rest)?;
    Some((at, at + end))
}

/// Index just past the `>` that ends the tag opening `tag`, quotes respected.
pub(super) fn tag_end(tag: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, b) in tag.bytes().enumerate().skip(1) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(i + 1),
            (None, b'<') => return None,
            _ => {}
        }
    }
    None
}

/// Repairs a feed feed-rs rejected; returns `None` when nothing was changed.
pub fn repair(text: &str) -> Option<String> {
    let repaired = close_and_escape(text);
    (repaired != text).then_some(repaired)
}

/// Atom text constructs accept only `text`, `html` and `xhtml`; feeds also write MIME
/// types there (`application/xhtml+xml`, base64 `application/octet-stream`). Rewrites
/// `type="mime"` to what feed-rs reads.
pub fn retype(text: &str, mime: &str) -> Option<String> {
    let replacement = match mime {
        "application/xhtml+xml" => "xhtml",
        "text/plain" | "" => "text",
        m if m.contains("html") => "html",
        _ => "text",
    };
    let mut out = text.to_string();
    for quote in ['"', '\''] {
        out = out.replace(
            &format!("type={quote}{mime}{quote}"),
            &format!("type={quote}{replacement}{quote}"),
        );
    }
    (out != text).then_some(out)
}

/// feed-rs 3.0.0 panics when an e-mail address in an author element touches a non-ASCII
/// character (it slices one byte past the address). Puts a space between the two.
pub fn space_out_emails(text: &str) -> Option<String> {
    static EMAIL: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let email = EMAIL
        .get_or_init(|| regex::Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").ok())
        .as_ref()?;
    let mut out = String::with_capacity(text.len() + 16);
    let mut last = 0;
    for found in email.find_iter(text) {
        let before = text[..found.start()].chars().next_back();
        let after = text[found.end()..].chars().next();
        out.push_str(&text[last..found.start()]);
        if before.is_some_and(|c| !c.is_ascii()) {
            out.push(' ');
        }
        out.push_str(found.as_str());
        if after.is_some_and(|c| !c.is_ascii()) {
            out.push(' ');
        }
        last = found.end();
    }
    out.push_str(&text[last..]);
    (out.len() != text.len()).then_some(out)
}

/// Cuts the feed after its `max_items`-th item (`</item>` or `</entry>`) and closes what
/// is open; returns the shortened text and how many items were cut off. JSON feeds and
/// feeds within the cap are left alone.
pub fn cut_after_items(text: &str, max_items: usize) -> Option<(String, usize)> {
    let mut ends = text
        .match_indices("</item>")
        .chain(text.match_indices("</entry>"))
        .map(|(i, m)| i + m.len())
        .collect::<Vec<_>>();
    if ends.len() <= max_items {
        return None;
    }
    ends.sort_unstable();
    let cut = *ends.get(max_items.saturating_sub(1))?;
    let dropped = ends.len() - max_items;
    let head = if max_items == 0 {
        // Keep the feed's own elements up to the first item.
        let first = text
            .find("<item")
            .into_iter()
            .chain(text.find("<entry"))
            .min()?;
        &text[..first]
    } else {
        &text[..cut]
    };
    Some((close_and_escape(head), dropped))
}

/// One pass over the text: escapes what is not well-formed and closes what is open.
fn close_and_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut open: Vec<&str> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            push_escaped(&mut out, rest);
            break;
        };
        push_escaped(&mut out, &rest[..lt]);
        rest = &rest[lt..];
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            match body.find("]]>") {
                Some(end) => {
                    out.push_str(&rest[..9 + end + 3]);
                    rest = &body[end + 3..];
                }
                None => {
                    out.push_str(rest);
                    out.push_str("]]>");
                    rest = "";
                }
            }
        } else if rest.starts_with("<!--") {
            match rest.find("-->") {
                Some(end) => {
                    out.push_str(&rest[..end + 3]);
                    rest = &rest[end + 3..];
                }
                None => rest = "",
            }
        } else if rest.starts_with("<?") {
            match rest.find("?>") {
                Some(end) => {
                    out.push_str(&rest[..end + 2]);
                    rest = &rest[end + 2..];
                }
                None => rest = "",
            }
        } else if rest.starts_with("<!") {
            match rest.find('>') {
                Some(end) => {
                    out.push_str(&rest[..end + 1]);
                    rest = &rest[end + 1..];
                }
                None => rest = "",
            }
        } else if let Some(name_and_more) = rest.strip_prefix("</") {
            match rest.find('>') {
                Some(end) => {
                    let name = name_and_more[..end - 2].trim();
                    if let Some(depth) = open.iter().rposition(|n| *n == name) {
                        // Elements left open inside it are closed first.
                        for unclosed in open.drain(depth..).rev().skip(1) {
                            out.push_str("</");
                            out.push_str(unclosed);
                            out.push('>');
                        }
                        out.push_str(&rest[..end + 1]);
                    }
                    // A stray end tag with no start is dropped.
                    rest = &rest[end + 1..];
                }
                None => rest = "",
            }
        } else {
            let name_len = rest[1..]
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(rest.len() - 1);
            if name_len == 0 {
                // "<" not starting a tag: text.
                out.push_str("&lt;");
                rest = &rest[1..];
                continue;
            }
            match tag_end(rest) {
                Some(end) => {
                    let tag = &rest[..end];
                    push_escaped(&mut out, tag);
                    if !tag.ends_with("/>") && open.len() < MAX_DEPTH {
                        open.push(&rest[1..1 + name_len]);
                    }
                    rest = &rest[end..];
                }
                // Truncated inside a tag: drop the partial tag.
                None => rest = "",
            }
        }
    }
    for name in open.iter().rev() {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    out
}

/// Copies text, escaping an `&` that starts no reference and lower-casing `&#X`.
fn push_escaped(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match reference_len(after) {
            Some(len) => {
                if let Some(hex) = after.strip_prefix("#X") {
                    out.push_str("&#x");
                    out.push_str(&hex[..len - 2]);
                } else {
                    out.push('&');
                    out.push_str(&after[..len]);
                }
                rest = &after[len..];
            }
            None => {
                out.push_str("&amp;");
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// Length of a well-formed reference body after `&` (`amp;`, `#38;`, `#x26;`), `;`
/// included.
fn reference_len(after: &str) -> Option<usize> {
    let semi = after.get(..after.len().min(40))?.find(';')?;
    let body = &after[..semi];
    let ok = if let Some(num) = body.strip_prefix('#') {
        match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            None => !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()),
        }
    } else {
        body.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    };
    ok.then_some(semi + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_without_version_or_channel_is_normalised() {
        assert_eq!(
            normalise("<!-- c --><rss>\n<item><link>x</link></item>\n</rss>"),
            "<!-- c --><rss version=\"2.0\"><channel>\n<item><link>x</link></item>\n</channel></rss>"
        );
        assert_eq!(
            normalise("<rss version='0.94'><channel/></rss>"),
            "<rss version='2.0'><channel/></rss>"
        );
        let fine = "<rss version=\"2.0\"><channel></channel></rss>";
        assert!(matches!(normalise(fine), Cow::Borrowed(_)));
        assert!(matches!(
            normalise("<feed><rss></rss></feed>"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn truncated_documents_are_closed() {
        assert_eq!(
            repair("<rss version=\"2.0\"><channel><item><title>A</ti").unwrap(),
            "<rss version=\"2.0\"><channel><item><title>A</title></item></channel></rss>"
        );
        assert_eq!(
            repair("<rss><channel><description><![CDATA[x").unwrap(),
            "<rss><channel><description><![CDATA[x]]></description></channel></rss>"
        );
        assert_eq!(repair("<feed>\n</feed").unwrap(), "<feed>\n</feed>");
    }

    #[test]
    fn bare_ampersands_and_uppercase_hex_references() {
        assert_eq!(
            repair("<a href=\"?a=1&b=2\">x &amp; y & z &#X41; &#65;</a>").unwrap(),
            "<a href=\"?a=1&amp;b=2\">x &amp; y &amp; z &#x41; &#65;</a>"
        );
        assert_eq!(repair("<a>fine &amp;</a>"), None);
    }

    #[test]
    fn feeds_are_cut_after_the_item_cap() {
        let feed = "<rss><channel><title>T</title><item>1</item><item>2</item><item>3</item></channel></rss>";
        let (cut, dropped) = cut_after_items(feed, 2).unwrap();
        assert_eq!(
            cut,
            "<rss><channel><title>T</title><item>1</item><item>2</item></channel></rss>"
        );
        assert_eq!(dropped, 1);
        assert!(cut_after_items(feed, 3).is_none());
        let (none, dropped) = cut_after_items(feed, 0).unwrap();
        assert_eq!(none, "<rss><channel><title>T</title></channel></rss>");
        assert_eq!(dropped, 3);
    }

    #[test]
    fn emails_touching_non_ascii_get_a_space() {
        assert_eq!(
            space_out_emails("<managingEditor>ed@example.com¨</managingEditor>").unwrap(),
            "<managingEditor>ed@example.com ¨</managingEditor>"
        );
        assert_eq!(
            space_out_emails("<author>ed@example.com (Ed)</author>"),
            None
        );
    }

    #[test]
    fn mime_types_in_text_constructs_are_retyped() {
        assert_eq!(
            retype(
                "<title type=\"application/xhtml+xml\">x</title>",
                "application/xhtml+xml"
            )
            .unwrap(),
            "<title type=\"xhtml\">x</title>"
        );
    }
}
