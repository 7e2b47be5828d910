//! Keeps hostile markup from making the HTML parser or our tree walks slow: a linear
//! pre-scan that estimates element nesting and drops start tags (never text) once a page
//! nests deeper than [`MAX_DEPTH`] or opens more than [`MAX_ELEMENTS`] elements.
//!
//! html5ever has no nesting limit, and some of its steps scan the whole stack of open
//! elements for every new tag (10,000 nested `<div>`s take seconds; a million, hours), and
//! selector matching and ancestor walks are linear in depth too. Browsers cap depth for the
//! same reason. Real article pages nest a few dozen levels and hold a few thousand
//! elements, so on them the scan finds nothing to do and the input is passed on untouched.
//!
//! The estimate is deliberately simple: void elements, self-closed tags and elements whose
//! end tag is optional (`p`, `li`, `td`, …) do not count as nesting, and the contents of
//! raw-text elements (`script`, `style`, …) are skipped.

use std::borrow::Cow;

/// Deepest estimated nesting kept; start tags below it are dropped.
pub(crate) const MAX_DEPTH: usize = 256;

/// Start tags kept per document; later ones are dropped (their text stays).
pub(crate) const MAX_ELEMENTS: usize = 100_000;

/// Returns `html` with start tags beyond the nesting or element budget removed, together
/// with as many end tags, so the parser's work stays bounded. Borrowed when nothing was cut.
pub(crate) fn bound_markup(html: &str) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    // Start of the input not yet copied to `out`.
    let mut copied = 0;
    let mut depth = 0usize;
    let mut elements = 0usize;
    let mut dropped = 0usize;
    let mut i = 0;

    while let Some(offset) = memchr::memchr(b'<', &bytes[i..]) {
        let start = i + offset;
        let Some(tag) = scan_tag(bytes, start) else {
            i = start + 1;
            continue;
        };
        i = tag.end;
        let mut drop = false;
        match tag.kind {
            TagKind::Start { nests, raw_text } => {
                elements += 1;
                if nests {
                    depth += 1;
                }
                if elements > MAX_ELEMENTS || (nests && depth > MAX_DEPTH) {
                    drop = true;
                    dropped += 1;
                    if nests {
                        depth -= 1;
                    }
                }
                if let Some(name) = raw_text {
                    // The element's text is kept; only its tag may have been dropped.
                    i = skip_raw_text(bytes, i, name);
                }
            }
            TagKind::End { nests } => {
                if dropped > 0 {
                    drop = true;
                    dropped -= 1;
                } else if nests {
                    depth = depth.saturating_sub(1);
                }
            }
            TagKind::Other => {}
        }
        if drop {
            let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
            // Tag boundaries are ASCII `<` and `>`, so these are char boundaries.
            out.push_str(html.get(copied..start).unwrap_or_default());
            copied = tag.end;
        }
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut out) => {
            out.push_str(html.get(copied..).unwrap_or_default());
            Cow::Owned(out)
        }
    }
}

enum TagKind {
    /// `nests`: counts towards depth; `raw_text`: the element's name when its content is
    /// raw text to skip.
    Start {
        nests: bool,
        raw_text: Option<&'static str>,
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
}

/// Reads the tag starting at `bytes[start] == b'<'`; `None` when the `<` starts no tag
/// (the parser treats it as text).
fn scan_tag(bytes: &[u8], start: usize) -> Option<Tag> {
    let rest = &bytes[start + 1..];
    if rest.starts_with(b"!--") {
        let end = find(bytes, start + 4, b"-->").map_or(bytes.len(), |e| e + 3);
        return Some(Tag {
            kind: TagKind::Other,
            end,
        });
    }
    let (is_end, name_start) = match rest.first()? {
        b'!' | b'?' => {
            let end = tag_end(bytes, start + 1);
            return Some(Tag {
                kind: TagKind::Other,
                end,
            });
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
    let name = &bytes[name_start..name_start + name_len];
    let end = tag_end(bytes, name_start + name_len);
    let self_closed = end >= 2 && bytes[end - 2] == b'/' && bytes[end - 1] == b'>';
    let nests = !is_void_or_optional(name);
    let kind = if is_end {
        TagKind::End { nests }
    } else {
        TagKind::Start {
            nests: nests && !self_closed,
            raw_text: raw_text_name(name),
        }
    };
    Some(Tag { kind, end })
}

/// Index just past the `>` closing a tag whose attributes start at `from`; quoted
/// attribute values may contain `>`.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(offset) = bytes
        .get(i..)
        .and_then(|rest| memchr::memchr3(b'>', b'"', b'\'', rest))
    {
        let at = i + offset;
        match bytes[at] {
            b'>' => return at + 1,
            quote => match memchr::memchr(quote, &bytes[at + 1..]) {
                Some(close) => i = at + 1 + close + 1,
                None => return bytes.len(),
            },
        }
    }
    bytes.len()
}

/// Index of the `</name` that ends a raw-text element whose content starts at `from`.
fn skip_raw_text(bytes: &[u8], from: usize, name: &str) -> usize {
    let mut i = from;
    while let Some(pos) = find(bytes, i, b"</") {
        let after = pos + 2;
        let candidate = bytes.get(after..after + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return pos;
        }
        i = after;
    }
    bytes.len()
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|p| from + p)
}

/// Elements that never hold others (void) or whose end tag is usually left out, so that
/// counting them would mistake a flat list for deep nesting.
fn is_void_or_optional(name: &[u8]) -> bool {
    matches!(
        lower_name(name)
            .as_ref()
            .map(|(buffer, len)| &buffer[..*len]),
        Some(
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
    )
}

fn raw_text_name(name: &[u8]) -> Option<&'static str> {
    let (buffer, len) = lower_name(name)?;
    Some(match &buffer[..len] {
        b"script" => "script",
        b"style" => "style",
        b"textarea" => "textarea",
        b"title" => "title",
        b"xmp" => "xmp",
        b"iframe" => "iframe",
        b"noembed" => "noembed",
        b"noframes" => "noframes",
        b"noscript" => "noscript",
        _ => return None,
    })
}

/// A tag name lower-cased on the stack; `None` when it is longer than any name the scan
/// looks for.
fn lower_name(name: &[u8]) -> Option<([u8; 8], usize)> {
    let mut buffer = [0u8; 8];
    buffer.get_mut(..name.len())?.copy_from_slice(name);
    buffer.make_ascii_lowercase();
    Some((buffer, name.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_markup_is_passed_through() {
        let html = "<div><p>a<p>b<br><img src=x><script>if (a<b) {}</script></div>";
        assert!(matches!(bound_markup(html), Cow::Borrowed(_)));
    }

    #[test]
    fn deep_nesting_is_cut_but_text_stays() {
        let html = format!("{}text{}", "<div>".repeat(1000), "</div>".repeat(1000));
        let bounded = bound_markup(&html);
        assert_eq!(bounded.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(bounded.matches("</div>").count(), MAX_DEPTH);
        assert!(bounded.contains("text"));
    }

    #[test]
    fn tags_inside_scripts_do_not_count() {
        let html = format!("<script>{}</script><p>x", "<div>".repeat(1000));
        assert!(matches!(bound_markup(&html), Cow::Borrowed(_)));
    }
}
