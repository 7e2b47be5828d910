//! Pages in legacy encodings decode by the HTTP charset, a BOM or a `<meta>` declaration.

use encoding_rs::{GBK, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::extract::extract_page;

const EURO_TEXT: &str = "Infineon\u{2019}s new fab in Dresden will cost \u{20ac}5 billion \u{2013} \u{201c}the largest single investment\u{201d} in the company\u{2019}s history, Caf\u{e9} Talk reported.";
const CHINESE_TEXT: &str = "华为昇腾910B芯片的订单数量为1600颗，预计将于年底前交付给百度公司。";

fn page_with(meta: &str, text: &str) -> String {
    format!("<!DOCTYPE html><html><head>{meta}<title>T</title></head><body><article><p>{text}</p></article></body></html>")
}

fn encoded(encoding: &'static encoding_rs::Encoding, html: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding.encode(html);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn windows_1252_by_meta_charset() {
    let bytes = encoded(
        WINDOWS_1252,
        &page_with("<meta charset=\"windows-1252\">", EURO_TEXT),
    );
    assert_eq!(extract_page(&bytes, None, None).text, EURO_TEXT);
}

#[test]
fn windows_1252_by_http_equiv() {
    let meta = "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">";
    let bytes = encoded(WINDOWS_1252, &page_with(meta, EURO_TEXT));
    assert_eq!(extract_page(&bytes, None, None).text, EURO_TEXT);
}

#[test]
fn windows_1252_by_http_charset() {
    let bytes = encoded(WINDOWS_1252, &page_with("", EURO_TEXT));
    assert_eq!(
        extract_page(&bytes, Some("Windows-1252"), None).text,
        EURO_TEXT
    );
    // The HTTP charset wins over a contradicting meta declaration.
    let bytes = encoded(
        WINDOWS_1252,
        &page_with("<meta charset=\"utf-8\">", EURO_TEXT),
    );
    assert_eq!(
        extract_page(&bytes, Some("iso-8859-1"), None).text,
        EURO_TEXT
    );
}

#[test]
fn gbk_by_meta_charset() {
    let bytes = encoded(GBK, &page_with("<meta charset=\"gb2312\">", CHINESE_TEXT));
    assert_eq!(extract_page(&bytes, None, None).text, CHINESE_TEXT);
    let bytes = encoded(GBK, &page_with("", CHINESE_TEXT));
    assert_eq!(extract_page(&bytes, Some("GBK"), None).text, CHINESE_TEXT);
}

/// encoding_rs only encodes to UTF-8 and legacy encodings, so UTF-16 is built by hand.
fn utf16(html: &str, little_endian: bool) -> Vec<u8> {
    let mut bytes = if little_endian {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for unit in html.encode_utf16() {
        let pair = if little_endian {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        };
        bytes.extend_from_slice(&pair);
    }
    bytes
}

#[test]
fn utf16_with_a_bom() {
    let html = page_with("", CHINESE_TEXT);
    assert_eq!(
        extract_page(&utf16(&html, true), None, None).text,
        CHINESE_TEXT
    );
    assert_eq!(
        extract_page(&utf16(&html, false), None, None).text,
        CHINESE_TEXT
    );
    // A BOM is certain; a stale HTTP charset is not.
    assert_eq!(
        extract_page(&utf16(&html, true), Some("iso-8859-1"), None).text,
        CHINESE_TEXT
    );
    let _ = (UTF_16LE, UTF_16BE);
}

#[test]
fn utf8_is_the_default_and_invalid_bytes_are_replaced() {
    let mut bytes = page_with("", "caf\u{e9} ").into_bytes();
    let at = bytes.len() - "</p></article></body></html>".len();
    bytes.splice(at..at, [0xFF, b'x']);
    assert_eq!(extract_page(&bytes, None, None).text, "caf\u{e9} \u{fffd}x");
}
