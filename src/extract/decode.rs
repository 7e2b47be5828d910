//! Bytes to text: picks the character encoding of an HTML page and decodes it.
//!
//! The order is: a byte-order mark, then the charset the HTTP `Content-Type` named, then a
//! `<meta charset>` / `<meta http-equiv="Content-Type">` declaration near the top of the
//! document, then UTF-8. A BOM goes first although the caller may have passed an HTTP
//! charset, because a BOM is unambiguous while servers often send a stale default
//! (browsers do the same). Decoding is always lossy: invalid sequences become U+FFFD, so
//! any input yields text.

use std::borrow::Cow;
use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
use regex::bytes::Regex;

/// How far into the document a `<meta>` charset declaration is looked for. The HTML
/// standard says 1024 bytes, but real pages put comments and scripts first, so a few KB.
const META_SCAN_BYTES: usize = 4096;

/// `charset=` inside a `<meta>` tag, which covers both `<meta charset="x">` and
/// `<meta http-equiv="Content-Type" content="text/html; charset=x">`.
static META_CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(r#"(?i-u)<meta\s[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.()+-]+)"#)
});

/// Compiles this module's one byte pattern; see `super::built_in_regex` for why a failure
/// may panic.
fn built_in_regex(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(regex) => regex,
        Err(e) => panic!("built-in pattern {pattern:?} does not compile: {e}"),
    }
}

/// Decodes `bytes` to a string, choosing the encoding as described in the module docs.
pub(crate) fn decode_html<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Cow<'a, str> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return decode_with(encoding, &bytes[bom_len..]);
    }
    let encoding = http_charset
        .and_then(label_to_encoding)
        .or_else(|| meta_charset(bytes))
        .unwrap_or(UTF_8);
    decode_with(encoding, bytes)
}

fn decode_with<'a>(encoding: &'static Encoding, bytes: &'a [u8]) -> Cow<'a, str> {
    encoding.decode_without_bom_handling(bytes).0
}

/// Maps a charset label (`"ISO-8859-1"`, `"\"gbk\""`, `"utf8"`) to an encoding.
fn label_to_encoding(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().trim_matches(|c| c == '"' || c == '\'');
    Encoding::for_label(label.as_bytes())
}

/// The encoding declared by a `<meta>` tag near the start of the document.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(META_SCAN_BYTES)];
    let label = META_CHARSET.captures(head)?.get(1)?.as_bytes();
    let encoding = Encoding::for_label(label)?;
    // A document that could be read far enough to find this ASCII declaration is not
    // UTF-16; the HTML standard says to read it as UTF-8 then (and x-user-defined as 1252).
    Some(if encoding == UTF_16LE || encoding == UTF_16BE {
        UTF_8
    } else if encoding.name() == "x-user-defined" {
        WINDOWS_1252
    } else {
        encoding
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_charset_is_found_in_both_forms() {
        let a = br#"<html><head><meta charset="windows-1252"></head>"#;
        let b = br#"<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">"#;
        assert_eq!(meta_charset(a), Some(WINDOWS_1252));
        assert_eq!(meta_charset(b), Some(WINDOWS_1252));
        assert_eq!(meta_charset(b"<p>charset=gbk</p>"), None);
    }

    #[test]
    fn http_labels_tolerate_quotes_and_space() {
        assert_eq!(label_to_encoding(" \"UTF-8\" "), Some(UTF_8));
        assert_eq!(label_to_encoding("no-such-charset"), None);
    }

    #[test]
    fn a_declared_utf16_meta_means_utf8() {
        assert_eq!(meta_charset(b"<meta charset=utf-16>"), Some(UTF_8));
    }

    #[test]
    fn unknown_http_charset_falls_back_to_meta() {
        let page = "<meta charset=windows-1252><p>caf\u{e9}</p>";
        let bytes = WINDOWS_1252.encode(page).0;
        assert!(decode_html(&bytes, Some("bogus")).contains("café"));
    }
}
