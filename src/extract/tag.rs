//! Tags read the way html5ever's tokenizer reads them (the attribute states of the HTML
//! standard, §13.2.5.32-42), for the markup pre-scan: where a tag ends, whether it closes
//! itself, and where each attribute of a start tag lies in the source; and which
//! attributes some stage reads, so that the others can be left out before parsing.
//!
//! Attribute names are tokenized character by character, and on real pages most of a start
//! tag is attributes no stage reads (`href` of links, `src`, `srcset`, `data-*`, event
//! handlers): leaving them out saves html5ever most of its work on tags.

use std::ops::Range;

/// One attribute as written: its name, and the whole of it (`name = "value"`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttributeSpan {
    pub name: Range<usize>,
    pub whole: Range<usize>,
}

/// A tag read from its name to its `>`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TagEnd {
    /// Index just past the `>`.
    pub end: usize,
    /// Ends in `/>` (outside an unquoted value).
    pub self_closing: bool,
}

/// HTML whitespace, after the parser's newline normalisation (CR becomes LF).
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Reads a tag's attributes from `from` (just past its name) to its `>`, pushing each
/// attribute's span onto `attributes`. `None` when the input ends inside the tag: the
/// parser then drops the tag.
pub(crate) fn scan_attributes(
    bytes: &[u8],
    from: usize,
    attributes: &mut Vec<AttributeSpan>,
) -> Option<TagEnd> {
    let skip_spaces = |mut i: usize| {
        while bytes.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        i
    };
    let mut i = from;
    loop {
        // Before attribute name.
        i = skip_spaces(i);
        match *bytes.get(i)? {
            b'>' => {
                return Some(TagEnd {
                    end: i + 1,
                    self_closing: false,
                })
            }
            b'/' => {
                // Self-closing start tag state: anything but `>` goes back to the
                // attributes.
                i += 1;
                if *bytes.get(i)? == b'>' {
                    return Some(TagEnd {
                        end: i + 1,
                        self_closing: true,
                    });
                }
                continue;
            }
            _ => {}
        }
        // Attribute name; its first character is part of it even when it is `=`.
        let name_start = i;
        i += 1;
        while bytes
            .get(i)
            .is_some_and(|&b| !is_space(b) && !matches!(b, b'/' | b'>' | b'='))
        {
            i += 1;
        }
        let name = name_start..i;
        // After attribute name.
        let after_name = skip_spaces(i);
        if bytes.get(after_name) != Some(&b'=') {
            attributes.push(AttributeSpan {
                whole: name.clone(),
                name,
            });
            i = after_name;
            continue;
        }
        // Before attribute value.
        i = skip_spaces(after_name + 1);
        match *bytes.get(i)? {
            quote @ (b'"' | b'\'') => {
                let close = memchr::memchr(quote, bytes.get(i + 1..)?)?;
                i += 1 + close + 1;
            }
            // A missing value: the tag ends here.
            b'>' => {}
            _ => {
                while bytes.get(i).is_some_and(|&b| !is_space(b) && b != b'>') {
                    i += 1;
                }
            }
        }
        attributes.push(AttributeSpan {
            name,
            whole: name_start..i,
        });
    }
}

/// Elements whose attributes html5ever itself reads while building the tree (`<input
/// type=hidden>` in tables, `<font color>` and `<annotation-xml encoding>` around foreign
/// content, declarative shadow roots on `<template>`): their tags are left as written.
pub(crate) fn parser_reads_attributes(element: &[u8]) -> bool {
    ["input", "font", "annotation-xml", "template"]
        .iter()
        .any(|name| element.eq_ignore_ascii_case(name.as_bytes()))
}

/// Whether a stage reads the attribute `name` of `element` (see `boilerplate::verdict`,
/// `content` and `metadata`). Both as written in the source, in any letter case.
pub(crate) fn is_read(element: &[u8], name: &[u8]) -> bool {
    let is = |want: &str| name.eq_ignore_ascii_case(want.as_bytes());
    let element_is = |want: &str| element.eq_ignore_ascii_case(want.as_bytes());
    // Chrome verdicts, the article body, dates given on any element.
    [
        "class",
        "id",
        "role",
        "style",
        "hidden",
        "aria-hidden",
        "itemprop",
        "content",
        "datetime",
    ]
    .iter()
    .any(|read| is(read))
        || (element_is("meta") && (is("name") || is("property") || is("http-equiv")))
        || (element_is("link") && (is("rel") || is("href")))
        || (element_is("a") && is("rel"))
        || (element_is("script") && is("type"))
        || (element_is("html") && is("lang"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attributes of `<x ...>` as (name, whole) strings, and the tag's end.
    fn scan(tag: &str) -> Option<(Vec<(&str, &str)>, TagEnd)> {
        let mut spans = Vec::new();
        let end = scan_attributes(tag.as_bytes(), 2, &mut spans)?;
        let texts = spans
            .iter()
            .map(|s| (&tag[s.name.clone()], &tag[s.whole.clone()]))
            .collect();
        Some((texts, end))
    }

    #[test]
    fn attributes_as_the_tokenizer_reads_them() {
        let (attrs, end) = scan(r#"<x a="1>" b='2' c=3 d e = "5"f=6>rest"#).unwrap();
        assert_eq!(
            attrs,
            [
                ("a", r#"a="1>""#),
                ("b", "b='2'"),
                ("c", "c=3"),
                ("d", "d"),
                ("e", r#"e = "5""#),
                ("f", "f=6"),
            ]
        );
        assert_eq!(end.end, r#"<x a="1>" b='2' c=3 d e = "5"f=6>"#.len());
        assert!(!end.self_closing);
    }

    #[test]
    fn quotes_inside_unquoted_values_and_names_are_characters() {
        // The tag ends at the first `>`: the quote belongs to the unquoted value.
        let (attrs, end) = scan(r#"<x a=b"c d"e>f" g>"#).unwrap();
        assert_eq!(attrs, [("a", r#"a=b"c"#), (r#"d"e"#, r#"d"e"#)]);
        assert_eq!(end.end, r#"<x a=b"c d"e>"#.len());
    }

    #[test]
    fn self_closing_and_stray_slashes() {
        let (_, end) = scan("<x a=1 />").unwrap();
        assert!(end.self_closing);
        // An unquoted value takes the slash.
        let (attrs, end) = scan("<x a=1/>").unwrap();
        assert_eq!(attrs, [("a", "a=1/")]);
        assert!(!end.self_closing);
        let (attrs, _) = scan("<x / a/b>").unwrap();
        assert_eq!(attrs, [("a", "a"), ("b", "b")]);
        let (attrs, _) = scan("<x =a=1>").unwrap();
        assert_eq!(attrs, [("=a", "=a=1")]);
        let (attrs, end) = scan("<x a=>b").unwrap();
        assert_eq!((attrs, end.end), (vec![("a", "a=")], 6));
    }

    #[test]
    fn a_tag_cut_off_by_the_end_of_input_is_none() {
        for tag in ["<x a=\"1", "<x a", "<x a=", "<x /"] {
            assert_eq!(scan(tag), None, "{tag}");
        }
    }

    #[test]
    fn attributes_read_by_the_stages() {
        assert!(is_read(b"div", b"CLASS"));
        assert!(is_read(b"META", b"property"));
        assert!(is_read(b"link", b"href"));
        assert!(!is_read(b"a", b"href"));
        assert!(!is_read(b"img", b"srcset"));
        assert!(!is_read(b"div", b"data-id"));
        assert!(parser_reads_attributes(b"INPUT"));
    }
}
