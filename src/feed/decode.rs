//! Feed bytes → UTF-8 text before feed-rs sees them. feed-rs reads UTF-8 only (UTF-16BE
//! with a byte-order mark even panics inside its XML reader) and rejects a whole feed for
//! one invalid byte, so the encoding is settled here, with encoding_rs, in the order XML
//! on the web is read: byte-order mark, then the byte pattern of `<?xml` in UTF-16/32,
//! then the HTTP `charset`, then the XML declaration, else UTF-8. Undecodable bytes become
//! U+FFFD instead of failing the feed, and the XML declaration is rewritten to say UTF-8
//! so the parser does not decode a second time.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// The feed as UTF-8 text and the name of the encoding it was read as.
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static str,
}

/// Decodes feed bytes; `http_charset` is the `charset` parameter of the response's
/// Content-Type, when there was one.
pub fn decode_feed<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Decoded<'a> {
    if let Some((unicode, bom_len)) = sniff_unicode(bytes) {
        let body = &bytes[bom_len..];
        let text = match unicode {
            Unicode::Utf8 => String::from_utf8_lossy(body),
            Unicode::Utf16(enc) => Cow::Owned(enc.decode_without_bom_handling(body).0.into_owned()),
            Unicode::Utf32 { big_endian } => Cow::Owned(decode_utf32(body, big_endian)),
        };
        return Decoded {
            text: redeclare_utf8(text),
            encoding: unicode.name(),
        };
    }
    // UTF-16 named by HTTP and not starting with `<` (leading whitespace): trust the
    // label when the bytes hold the NULs that ASCII text in UTF-16 has.
    if let Some(utf16) = http_charset
        .map(|l| l.trim().trim_matches(['"', '\'']))
        .and_then(|l| Encoding::for_label(l.as_bytes()))
        .filter(|e| *e == UTF_16LE || *e == UTF_16BE)
    {
        if bytes.iter().take(64).any(|b| *b == 0) {
            return Decoded {
                text: redeclare_utf8(Cow::Owned(
                    utf16.decode_without_bom_handling(bytes).0.into_owned(),
                )),
                encoding: utf16.name(),
            };
        }
    }
    // An ASCII-compatible body: the HTTP charset wins over the declaration (RFC 7303),
    // but a label that names UTF-16 cannot describe bytes without its pattern, and an
    // unknown label is ignored rather than trusted.
    let label = http_charset
        .and_then(known_ascii_compatible)
        .or_else(|| declared_encoding(bytes).and_then(known_ascii_compatible));
    let encoding = label.unwrap_or_else(|| guess_unlabelled(bytes));
    let text = if encoding == UTF_8 {
        String::from_utf8_lossy(bytes)
    } else {
        Cow::Owned(encoding.decode_without_bom_handling(bytes).0.into_owned())
    };
    Decoded {
        text: redeclare_utf8(text),
        encoding: encoding.name(),
    }
}

/// No label anywhere: UTF-8 (the XML default) unless the bytes hold not one valid
/// multi-byte UTF-8 sequence but do hold invalid ones — then it is a legacy single-byte
/// feed, and windows-1252 (what browsers assume) reads it best.
fn guess_unlabelled(bytes: &[u8]) -> &'static Encoding {
    let mut valid_multibyte = false;
    let mut invalid = false;
    for chunk in bytes.utf8_chunks() {
        valid_multibyte |= !chunk.valid().is_ascii();
        invalid |= !chunk.invalid().is_empty();
        if valid_multibyte {
            return UTF_8;
        }
    }
    if invalid {
        encoding_rs::WINDOWS_1252
    } else {
        UTF_8
    }
}

#[derive(Clone, Copy)]
enum Unicode {
    Utf8,
    Utf16(&'static Encoding),
    Utf32 { big_endian: bool },
}

impl Unicode {
    fn name(self) -> &'static str {
        match self {
            Unicode::Utf8 => "UTF-8",
            Unicode::Utf16(enc) => enc.name(),
            Unicode::Utf32 { big_endian: true } => "UTF-32BE",
            Unicode::Utf32 { big_endian: false } => "UTF-32LE",
        }
    }
}

/// A byte-order mark, or the bytes of `<` / `<?` in UTF-16 or UTF-32 (XML 1.0 appendix F).
/// Returns the encoding and how many leading bytes to drop.
fn sniff_unicode(bytes: &[u8]) -> Option<(Unicode, usize)> {
    let head: [u8; 4] = match bytes.get(..4) {
        Some(h) => [h[0], h[1], h[2], h[3]],
        None => {
            let mut padded = [0xAA; 4];
            padded[..bytes.len()].copy_from_slice(bytes);
            padded
        }
    };
    match head {
        [0x00, 0x00, 0xFE, 0xFF] => Some((Unicode::Utf32 { big_endian: true }, 4)),
        [0xFF, 0xFE, 0x00, 0x00] => Some((Unicode::Utf32 { big_endian: false }, 4)),
        [0xEF, 0xBB, 0xBF, _] => Some((Unicode::Utf8, 3)),
        [0xFE, 0xFF, _, _] => Some((Unicode::Utf16(UTF_16BE), 2)),
        [0xFF, 0xFE, _, _] => Some((Unicode::Utf16(UTF_16LE), 2)),
        [0x00, 0x00, 0x00, b'<'] => Some((Unicode::Utf32 { big_endian: true }, 0)),
        [b'<', 0x00, 0x00, 0x00] => Some((Unicode::Utf32 { big_endian: false }, 0)),
        [0x00, b'<', 0x00, _] => Some((Unicode::Utf16(UTF_16BE), 0)),
        [b'<', 0x00, _, 0x00] => Some((Unicode::Utf16(UTF_16LE), 0)),
        _ => None,
    }
}

/// encoding_rs has no UTF-32 (the web never needs it); XML may still use it.
fn decode_utf32(bytes: &[u8], big_endian: bool) -> String {
    bytes
        .chunks(4)
        .map(|c| {
            if c.len() < 4 {
                return char::REPLACEMENT_CHARACTER;
            }
            let word = [c[0], c[1], c[2], c[3]];
            let n = if big_endian {
                u32::from_be_bytes(word)
            } else {
                u32::from_le_bytes(word)
            };
            char::from_u32(n).unwrap_or(char::REPLACEMENT_CHARACTER)
        })
        .collect()
}

fn known_ascii_compatible(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().trim_matches(['"', '\'']).trim();
    Encoding::for_label(label.as_bytes()).filter(|e| e.is_ascii_compatible())
}

/// The `encoding` of an `<?xml …?>` declaration at the start of an ASCII-compatible body.
fn declared_encoding(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(1024)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = head.get(start..)?;
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    attribute(decl, "encoding")
}

/// The value of `name="…"` or `name='…'` in a tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(name)?;
    let rest = tag[at + name.len()..].trim_start().strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

/// Rewrites the XML declaration's `encoding` to UTF-8 (the text is UTF-8 now); drops a
/// leading byte-order mark that a lossy decode may have kept.
fn redeclare_utf8(text: Cow<'_, str>) -> Cow<'_, str> {
    let trimmed = text.trim_start_matches('\u{feff}');
    let lead = text.len() - trimmed.len();
    let decl_start = trimmed.len() - trimmed.trim_start().len();
    let decl = &trimmed[decl_start..];
    let encoding_span = if decl.starts_with("<?xml") {
        decl.find("?>").and_then(|end| {
            let at = decl[..end].find("encoding")?;
            let rest = &decl[at..end];
            let open = rest.find(['"', '\''])?;
            let quote = rest[open..].chars().next()?;
            let close = rest[open + 1..].find(quote)? + open + 1;
            Some((at + open + 1, at + close))
        })
    } else {
        None
    };
    match (lead, encoding_span) {
        (0, None) => text,
        (_, None) => Cow::Owned(trimmed.to_string()),
        (_, Some((from, to))) => {
            let base = lead + decl_start;
            let mut out = String::with_capacity(text.len());
            out.push_str(&text[lead..base + from]);
            out.push_str("utf-8");
            out.push_str(&text[base + to..]);
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if big_endian {
                &[0xFE, 0xFF]
            } else {
                &[0xFF, 0xFE]
            });
        }
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_and_utf32_with_and_without_bom() {
        let xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>é</rss>";
        for be in [true, false] {
            for bom in [true, false] {
                let bytes = utf16(xml, be, bom);
                let decoded = decode_feed(&bytes, None);
                assert_eq!(
                    decoded.text,
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss>é</rss>"
                );
            }
        }
        let mut utf32: Vec<u8> = vec![0, 0, 0xFE, 0xFF];
        for c in "<rss>€</rss>".chars() {
            utf32.extend_from_slice(&(c as u32).to_be_bytes());
        }
        assert_eq!(decode_feed(&utf32, None).text, "<rss>€</rss>");
    }

    #[test]
    fn legacy_encodings_by_declaration_and_http_charset() {
        let (gb, _, _) = encoding_rs::GB18030.encode("<rss><title>芯片</title></rss>");
        let mut doc = b"<?xml version='1.0' encoding='gb2312'?>".to_vec();
        doc.extend_from_slice(&gb);
        let decoded = decode_feed(&doc, None);
        assert!(decoded.text.contains("芯片"), "{}", decoded.text);
        assert!(decoded
            .text
            .starts_with("<?xml version='1.0' encoding='utf-8'?>"));

        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("<rss>半導体</rss>");
        assert_eq!(
            decode_feed(&sjis, Some("Shift_JIS")).text,
            "<rss>半導体</rss>"
        );
        let (big5, _, _) = encoding_rs::BIG5.encode("<rss>晶片</rss>");
        assert_eq!(decode_feed(&big5, Some("big5")).text, "<rss>晶片</rss>");
        let (kr, _, _) = encoding_rs::EUC_KR.encode("<rss>반도체</rss>");
        assert_eq!(decode_feed(&kr, Some("euc-kr")).text, "<rss>반도체</rss>");
        assert_eq!(
            decode_feed(b"<rss>caf\xe9 \x93q\x94</rss>", Some("windows-1252")).text,
            "<rss>café “q”</rss>"
        );
    }

    #[test]
    fn http_charset_wins_and_bogus_labels_are_ignored() {
        let doc = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss>\xe9</rss>";
        assert!(decode_feed(doc, Some("iso-8859-1")).text.contains('é'));
        let ok = "<rss>é</rss>".as_bytes();
        assert_eq!(
            decode_feed(ok, Some("no-such-charset")).text,
            "<rss>é</rss>"
        );
        // A UTF-16 label on ASCII bytes cannot be right.
        assert_eq!(decode_feed(ok, Some("utf-16")).text, "<rss>é</rss>");
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters_not_a_failure() {
        let decoded = decode_feed(b"\xef\xbb\xbf<rss>ok \xff ok</rss>", None);
        assert_eq!(decoded.text, "<rss>ok \u{fffd} ok</rss>");
        // Real UTF-8 elsewhere: one stray byte does not make it a legacy feed.
        let mixed = decode_feed("<rss>é \u{2014} </rss>\u{0}".as_bytes(), None);
        assert!(mixed.text.contains('é'));
        let mut stray = "<rss>é ".as_bytes().to_vec();
        stray.extend_from_slice(b"\xff</rss>");
        assert_eq!(decode_feed(&stray, None).text, "<rss>é \u{fffd}</rss>");
    }

    #[test]
    fn unlabelled_legacy_bytes_are_read_as_windows_1252() {
        let decoded = decode_feed(b"<rss>Caf\xe9 \x96 d\xe9j\xe0 vu</rss>", None);
        assert_eq!(decoded.text, "<rss>Café – déjà vu</rss>");
        assert_eq!(decoded.encoding, "windows-1252");
    }

    #[test]
    fn utf16_named_by_http_with_leading_whitespace() {
        let bytes = utf16("\n<rss>x</rss>", false, false);
        assert_eq!(decode_feed(&bytes, Some("utf-16")).text, "\n<rss>x</rss>");
    }
}
