//! Prepares markup for the HTML parser in one linear pre-scan: leaves out what no stage
//! reads, and keeps hostile markup from making the parser or our tree walks slow.
//!
//! **Unread raw text.** The contents of `<script>` (other than JSON-LD, which the metadata
//! reads), `<style>` and `<noscript>` are never text: the walks skip those elements
//! whole. They are about half the bytes of a typical news page (inline bundles, JSON
//! state, critical CSS), and html5ever tokenizes them character by character into text
//! nodes nobody reads, so they are cut before parsing; the elements stay, empty. A cut is
//! made only where the parser's end of the element is certain: the first `</script`,
//! `</style` or `</noscript` followed by whitespace, `/` or `>`, and for scripts only when
//! the contents hold no `<!--` (which switches the parser to its escaped script states).
//!
//! **Bounds.** The scan estimates element nesting and drops start tags (never text) once a
//! page nests deeper than [`MAX_DEPTH`] or opens more than [`MAX_ELEMENTS`] elements.
//! html5ever has no nesting limit, and some of its steps scan the whole stack of open
//! elements for every new tag (10,000 nested `<div>`s take seconds; a million, hours), and
//! selector matching and ancestor walks are linear in depth too. Browsers cap depth for the
//! same reason. Real article pages nest a few dozen levels and hold a few thousand
//! elements, so on them the bounds never apply.
//!
//! The estimate is deliberately simple: void elements, self-closed tags and elements whose
//! end tag is optional (`p`, `li`, `td`, …) do not count as nesting, and the contents of
//! raw-text elements (`script`, `style`, …) are skipped.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use memchr::memmem::Finder;

use super::tag::{self, AttributeSpan};

/// Deepest estimated nesting kept; start tags below it are dropped.
pub(crate) const MAX_DEPTH: usize = 256;

/// Start tags kept per document; later ones are dropped (their text stays).
pub(crate) const MAX_ELEMENTS: usize = 100_000;

/// Returns `html` with the contents of unread raw-text elements cut, and start tags beyond
/// the nesting or element budget removed together with as many end tags, so the parser's
/// work stays bounded. Borrowed when nothing was cut.
pub(crate) fn bound_markup(html: &str, input: Input) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut edit = Edit::new(html);
    let mut attributes = Vec::new();
    let mut kept = String::new();
    let mut depth = 0usize;
    let mut elements = 0usize;
    let mut dropped = 0usize;
    let mut i = 0;
    // Start of the text before the next tag.
    let mut text_from = 0;
    let mut rest_is_text = true;

    while let Some(offset) = memchr::memchr(b'<', &bytes[i..]) {
        let start = i + offset;
        attributes.clear();
        let Some(tag) = scan_tag(bytes, start, &mut attributes) else {
            i = start + 1;
            continue;
        };
        if input == Input::Page {
            join_lines(bytes, text_from..start, &mut edit);
        }
        i = tag.end;
        match tag.kind {
            TagKind::Start {
                nests,
                raw_text,
                name,
            } => {
                elements += 1;
                if nests {
                    depth += 1;
                }
                if elements > MAX_ELEMENTS || (nests && depth > MAX_DEPTH) {
                    edit.cut(start, tag.end);
                    dropped += 1;
                    if nests {
                        depth -= 1;
                    }
                } else if let Some(rebuilt) =
                    without_unread_attributes(html, name, &attributes, tag.self_closing, &mut kept)
                {
                    edit.replace(start, tag.end, rebuilt);
                }
                if raw_text == Some("plaintext") {
                    // Everything after it is text to the parser; nothing more to scan.
                    rest_is_text = false;
                    break;
                }
                if let Some(raw) = raw_text {
                    let (end, found) = raw_text_end(bytes, i, raw);
                    if found && end > i && is_unread(raw, &bytes[start..tag.end], &bytes[i..end]) {
                        edit.cut(i, end);
                    }
                    // Otherwise the element's text is kept (even when its tag was dropped).
                    i = end;
                }
            }
            TagKind::End { nests } => {
                if dropped > 0 {
                    edit.cut(start, tag.end);
                    dropped -= 1;
                } else if nests {
                    depth = depth.saturating_sub(1);
                }
            }
            TagKind::Other => {}
        }
        text_from = i;
    }
    if input == Input::Page && rest_is_text {
        join_lines(bytes, text_from..bytes.len(), &mut edit);
    }
    edit.finish()
}

/// What the markup is: a page, or a feed item's content, whose line breaks can matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    Page,
    Fragment,
}

/// Replaces every run of whitespace with a line break in it, in the text `range`, by one
/// space. html5ever hands each line break to the tree builder as a token of its own (it
/// counts lines), which costs as much as a short tag; the stages only ever see page text
/// with its whitespace collapsed, so for a page a space says the same.
fn join_lines(bytes: &[u8], range: Range<usize>, edit: &mut Edit<'_>) {
    let mut from = range.start;
    while let Some(offset) = bytes
        .get(from..range.end)
        .and_then(|text| memchr::memchr2(b'\n', b'\r', text))
    {
        let at = from + offset;
        let mut run_start = at;
        while run_start > from && tag::is_space(bytes[run_start - 1]) {
            run_start -= 1;
        }
        let mut run_end = at + 1;
        while run_end < range.end && tag::is_space(bytes[run_end]) {
            run_end += 1;
        }
        edit.replace(run_start, run_end, " ");
        from = run_end;
    }
}

/// The input with some ranges cut or replaced, copied only once the first edit is made.
/// Edits come in order; each range starts and ends next to ASCII (a tag's `<` or `>`, a
/// whitespace character), so always at char boundaries.
struct Edit<'a> {
    html: &'a str,
    out: Option<String>,
    /// Start of the input not yet copied to `out`.
    copied: usize,
}

impl<'a> Edit<'a> {
    fn new(html: &'a str) -> Self {
        Edit {
            html,
            out: None,
            copied: 0,
        }
    }

    fn replace(&mut self, from: usize, to: usize, with: &str) {
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(self.html.len()));
        out.push_str(self.html.get(self.copied..from).unwrap_or_default());
        out.push_str(with);
        self.copied = to;
    }

    fn cut(&mut self, from: usize, to: usize) {
        self.replace(from, to, "");
    }

    fn finish(self) -> Cow<'a, str> {
        match self.out {
            None => Cow::Borrowed(self.html),
            Some(mut out) => {
                out.push_str(self.html.get(self.copied..).unwrap_or_default());
                Cow::Owned(out)
            }
        }
    }
}

/// The start tag `<name attributes>` written again with only the attributes some stage
/// reads, in `buffer`; `None` when it has nothing to leave out.
fn without_unread_attributes<'b>(
    html: &str,
    name: Range<usize>,
    attributes: &[AttributeSpan],
    self_closing: bool,
    buffer: &'b mut String,
) -> Option<&'b str> {
    let element = &html.as_bytes()[name.clone()];
    let bytes = html.as_bytes();
    if tag::parser_reads_attributes(element)
        || attributes
            .iter()
            .all(|a| tag::is_read(element, &bytes[a.name.clone()]))
    {
        return None;
    }
    buffer.clear();
    buffer.push('<');
    buffer.push_str(html.get(name.clone())?);
    for attribute in attributes {
        if tag::is_read(element, &bytes[attribute.name.clone()]) {
            buffer.push(' ');
            buffer.push_str(html.get(attribute.whole.clone())?);
        }
    }
    // The space keeps the slash out of an unquoted value before it.
    buffer.push_str(if self_closing { " />" } else { ">" });
    Some(buffer)
}

/// Whether the contents of the raw-text element `name`, opened by `start_tag`, can be left
/// out: no stage reads them, and the parser ends the element where the scan does.
fn is_unread(name: &str, start_tag: &[u8], contents: &[u8]) -> bool {
    match name {
        "style" | "noscript" => true,
        // JSON-LD is metadata. `<!--` inside a script starts the parser's escaped states,
        // where the first `</script>` may not end it.
        "script" => {
            !contains_ignoring_case(start_tag, b"ld+json") && COMMENT_OPEN.find(contents).is_none()
        }
        _ => false,
    }
}

/// Whether `haystack` contains `needle` (lower case) in any letter case.
fn contains_ignoring_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

enum TagKind {
    /// `nests`: counts towards depth; `raw_text`: the element's name when its content is
    /// raw text to skip; `name`: where the name is written.
    Start {
        nests: bool,
        raw_text: Option<&'static str>,
        name: Range<usize>,
    },
    End {
        nests: bool,
    },
    /// Comments, doctypes, processing instructions.
    Other,
}

struct Tag {
    kind: TagKind,
    /// Index just past the tag's `>` (or the end of input).
    end: usize,
    self_closing: bool,
}

/// Reads the tag starting at `bytes[start] == b'<'`, and a start tag's attributes into
/// `attributes`; `None` when the `<` starts no tag (the parser treats it as text).
fn scan_tag(bytes: &[u8], start: usize, attributes: &mut Vec<AttributeSpan>) -> Option<Tag> {
    let rest = &bytes[start + 1..];
    let other = |end: usize| {
        Some(Tag {
            kind: TagKind::Other,
            end,
            self_closing: false,
        })
    };
    if rest.starts_with(b"!--") {
        return other(find(bytes, start + 4, &COMMENT_CLOSE).map_or(bytes.len(), |e| e + 3));
    }
    let (is_end, name_start) = match rest.first()? {
        // Doctypes and bogus comments end at the first `>`.
        b'!' | b'?' => {
            return other(memchr::memchr(b'>', rest).map_or(bytes.len(), |e| start + 1 + e + 1))
        }
        b'/' => (true, start + 2),
        _ => (false, start + 1),
    };
    if !bytes.get(name_start)?.is_ascii_alphabetic() {
        return None;
    }
    let name_len = bytes[name_start..]
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>')
        .unwrap_or(bytes.len() - name_start);
    let name = name_start..name_start + name_len;
    let Some(end) = tag::scan_attributes(bytes, name.end, attributes) else {
        // Cut off by the end of input: the parser drops it, nothing follows.
        return other(bytes.len());
    };
    // Lower-cased once: every name the scan looks for fits in the buffer.
    let lowered = lower_name(&bytes[name.clone()]);
    let lowered = lowered.as_ref().map(|(buffer, len)| &buffer[..*len]);
    let nests = !lowered.is_some_and(is_void_or_optional);
    let kind = if is_end {
        TagKind::End { nests }
    } else {
        TagKind::Start {
            nests: nests && !end.self_closing,
            raw_text: lowered.and_then(raw_text_name),
            name,
        }
    };
    Some(Tag {
        kind,
        end: end.end,
        self_closing: end.self_closing,
    })
}

/// Where the contents of a raw-text element `name` that start at `from` end: the index of
/// the first `</name` followed by whitespace, `/` or `>` (an end tag to the parser), with
/// `true`; else the end of input, with `false`.
fn raw_text_end(bytes: &[u8], from: usize, name: &str) -> (usize, bool) {
    let mut i = from;
    while let Some(pos) = find(bytes, i, &END_TAG_OPEN) {
        let after = pos + 2;
        let candidate = bytes.get(after..after + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes()))
            && bytes
                .get(after + name.len())
                .is_some_and(|&b| matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
        {
            return (pos, true);
        }
        i = after;
    }
    (bytes.len(), false)
}

/// Searchers built once: building one costs more than most searches it makes.
static END_TAG_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</"));
static COMMENT_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<!--"));
static COMMENT_CLOSE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"-->"));

fn find(bytes: &[u8], from: usize, needle: &Finder<'_>) -> Option<usize> {
    needle.find(bytes.get(from..)?).map(|p| from + p)
}

/// Elements that never hold others (void) or whose end tag is usually left out, so that
/// counting them would mistake a flat list for deep nesting.
fn is_void_or_optional(lowered: &[u8]) -> bool {
    matches!(
        lowered,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"p"
            | b"li"
            | b"dt"
            | b"dd"
            | b"option"
            | b"optgroup"
            | b"tr"
            | b"td"
            | b"th"
            | b"thead"
            | b"tbody"
            | b"tfoot"
            | b"colgroup"
            | b"rb"
            | b"rt"
            | b"rp"
            | b"a"
    )
}

/// The name of a raw-text element, given lower-cased.
fn raw_text_name(lowered: &[u8]) -> Option<&'static str> {
    Some(match lowered {
        b"script" => "script",
        b"style" => "style",
        b"textarea" => "textarea",
        b"title" => "title",
        b"xmp" => "xmp",
        b"iframe" => "iframe",
        b"noembed" => "noembed",
        b"noframes" => "noframes",
        b"noscript" => "noscript",
        b"plaintext" => "plaintext",
        _ => return None,
    })
}

/// A tag name lower-cased on the stack; `None` when it is longer than any name the scan
/// looks for.
fn lower_name(name: &[u8]) -> Option<([u8; 9], usize)> {
    let mut buffer = [0u8; 9];
    buffer.get_mut(..name.len())?.copy_from_slice(name);
    buffer.make_ascii_lowercase();
    Some((buffer, name.len()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use scraper::{Html, Node};
    use std::io::Read;

    #[test]
    fn ordinary_markup_is_passed_through() {
        let html = "<div><p>a<p class=x>b<br><img><script type=module></script></div>";
        assert!(matches!(
            bound_markup(html, Input::Fragment),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn scripts_styles_and_noscripts_are_emptied_but_json_ld_stays() {
        let html = "<head><script>if (a<b) {}</script><style>p{}</style>\
            <SCRIPT type=module>x()</SCRIPT >\
            <script type=\"application/ld+json\">{\"a\":1}</script></head>\
            <body><noscript><img src=x></noscript><p>x</p>";
        assert_eq!(
            bound_markup(html, Input::Fragment),
            "<head><script></script><style></style><SCRIPT type=module></SCRIPT >\
            <script type=\"application/ld+json\">{\"a\":1}</script></head>\
            <body><noscript></noscript><p>x</p>"
        );
    }

    #[test]
    fn attributes_no_stage_reads_are_left_out() {
        assert_eq!(
            bound_markup(
                "<a href=/x rel=author data-id=1>A</a><img src=a.png class=x/>\
                 <link rel=canonical href=/c><input type=text data-x=1><br data-y />",
                Input::Fragment
            ),
            "<a rel=author>A</a><img class=x/><link rel=canonical href=/c>\
             <input type=text data-x=1><br />"
        );
    }

    #[test]
    fn line_breaks_in_page_text_become_spaces() {
        let html = "<p>a\n    b</p>\n<p class='x\ny'>c\r\n</p><pre>\nd\n\ne</pre>";
        assert_eq!(
            bound_markup(html, Input::Page),
            "<p>a b</p> <p class='x\ny'>c </p><pre> d e</pre>"
        );
        // In feed content a blank line ends a paragraph.
        assert!(matches!(
            bound_markup(html, Input::Fragment),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn contents_are_cut_only_where_the_parser_ends_them() {
        // `</scripts` is no end tag: the script goes on to the real one.
        assert_eq!(
            bound_markup(
                "<script>a = '</scripts>'; b()</script><p>x",
                Input::Fragment
            ),
            "<script></script><p>x"
        );
        for kept in [
            // Escaped script states: the first `</script>` does not end this one.
            "<script><!-- document.write('<script></script>') --></script><p>x",
            // Unclosed: the parser's text runs to the end.
            "<p>x<script>var a = 1",
            // After `<plaintext>` everything is text.
            "<plaintext><script>x</script>",
        ] {
            assert!(
                matches!(bound_markup(kept, Input::Fragment), Cow::Borrowed(_)),
                "{kept}"
            );
        }
    }

    #[test]
    fn tags_inside_scripts_do_not_count() {
        let divs = "<div>".repeat(1000);
        let html = format!("<script><!--{divs}--></script><p>x");
        assert!(matches!(
            bound_markup(&html, Input::Fragment),
            Cow::Borrowed(_)
        ));
        let html = format!("<script>'{divs}'</script><p>x");
        assert_eq!(
            bound_markup(&html, Input::Fragment),
            "<script></script><p>x"
        );
    }

    #[test]
    fn deep_nesting_is_cut_but_text_stays() {
        let html = format!("{}text{}", "<div>".repeat(1000), "</div>".repeat(1000));
        let bounded = bound_markup(&html, Input::Fragment);
        assert_eq!(bounded.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(bounded.matches("</div>").count(), MAX_DEPTH);
        assert!(bounded.contains("text"));
    }

    /// The parsed tree as text, without the children of the elements whose contents
    /// the scan may cut.
    fn tree_without_raw_text(html: &str) -> String {
        let doc = Html::parse_document(html);
        let mut out = String::new();
        for node in doc.tree.root().descendants() {
            let in_cut = node
                .parent()
                .and_then(|p| p.value().as_element())
                .is_some_and(|e| {
                    matches!(e.name(), "script" | "style" | "noscript")
                        && !e.attr("type").is_some_and(|t| t.contains("ld+json"))
                });
            match node.value() {
                _ if in_cut => {}
                Node::Element(e) => {
                    let name = e.name().as_bytes();
                    let read: Vec<_> = e
                        .attrs
                        .iter()
                        .filter(|(key, _)| {
                            tag::parser_reads_attributes(name)
                                || tag::is_read(name, key.local.as_bytes())
                        })
                        .collect();
                    out.push_str(&format!("<{} {read:?}>", e.name()));
                }
                Node::Text(t) => {
                    // Line breaks become spaces; the parser drops a first line break
                    // in a `<pre>`, not a first space.
                    let first_in_pre = node.prev_sibling().is_none()
                        && node
                            .parent()
                            .and_then(|p| p.value().as_element())
                            .is_some_and(|e| matches!(e.name(), "pre" | "listing"));
                    let text: &str = t;
                    let text = if first_in_pre {
                        text.trim_start()
                    } else {
                        text
                    };
                    let mut collapsed = String::new();
                    for c in text.chars() {
                        let space = c.is_ascii() && tag::is_space(c as u8);
                        if !(space && collapsed.ends_with(' ')) {
                            collapsed.push(if space { ' ' } else { c });
                        }
                    }
                    out.push_str(&format!("{collapsed:?}"));
                }
                Node::Comment(c) => out.push_str(&format!("<!--{:?}-->", &**c)),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn cutting_changes_nothing_the_stages_read() {
        let mut pages: Vec<String> = [
            "<p>a<script>x<y</script>b<style>p>a{}</style>c<noscript><p>n</p></noscript>d",
            "<table><script>t()</script><tr><td>x</td></tr></table>",
            "<svg><style>.a{}</style><script>s()</script></svg><p>after",
            "<select><script>s()</script><option>o</select>",
            "<script>a</script\n><p>x</p><script>b</script/><p>y",
            "<a href=x/><p class=a data-x='>'id=b>t<br/ data-y><img src=a.png alt=x />",
            "<table><input type=hidden data-x=1><tr><td>x</table>",
            "<svg><font color=red data-x=1>t</font></svg><math><annotation-xml encoding=text/html data-x=1><p>m</math>",
            "<html lang=en data-x=1><body class=b onload=x()><body data-y=2 id=c><p>z",
            "<div a=b\"c d\"e>f\" g><p>h",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let dir = std::path::Path::new("tests/fixtures/extraction-benchmark/html");
        for entry in std::fs::read_dir(dir).unwrap() {
            let mut html = Vec::new();
            flate2::read::GzDecoder::new(std::fs::File::open(entry.unwrap().path()).unwrap())
                .read_to_end(&mut html)
                .unwrap();
            pages.push(String::from_utf8_lossy(&html).into_owned());
        }
        assert!(pages.len() > 20);
        for page in &pages {
            let cut = bound_markup(page, Input::Page);
            assert!(cut.len() <= page.len());
            assert_eq!(
                tree_without_raw_text(&cut),
                tree_without_raw_text(page),
                "{}",
                &page[..page.len().min(80)]
            );
        }
    }
}
