//! The seed fixtures: what the integration tests and `chipwatch demo` rely on.

use chrono::{DateTime, NaiveDate};

use super::super::{dateline, extract_page, fragment_to_text, MIN_PAGE_TEXT_CHARS};
use crate::model::Published;

const SEED_TEXT: &str =
    include_str!("../../../tests/fixtures/seed/baidu-huawei-ascend-2023-11-09.txt");
const SEED_PAGE: &[u8] = include_bytes!("../../../tests/fixtures/seed/baidu-huawei-ascend.html");
const TSMC_PAGE: &[u8] = include_bytes!("../../../tests/fixtures/seed/tsmc-capacity.html");

/// The seed article's paragraphs: the text file without its first line (the dateline) and
/// its last ("Comments are closed."), joined by blank lines.
fn seed_paragraphs() -> String {
    let paragraphs: Vec<&str> = SEED_TEXT
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(
        paragraphs.first(),
        Some(&"Published on November 9, 2023, 7:11 am")
    );
    assert_eq!(paragraphs.last(), Some(&"Comments are closed."));
    paragraphs[1..paragraphs.len() - 1].join("\n\n")
}

#[test]
fn seed_page_text_is_exactly_the_six_paragraphs() {
    let page = extract_page(
        SEED_PAGE,
        None,
        Some("http://127.0.0.1:8080/news/2023/11/09/baidu-huawei-ascend-order?utm_source=rss"),
    );
    let expected = seed_paragraphs();
    assert_eq!(expected.split("\n\n").count(), 6);
    assert_eq!(page.text, expected);
    assert!(page.text.chars().count() >= MIN_PAGE_TEXT_CHARS);
}

#[test]
fn seed_page_metadata() {
    let page = extract_page(
        SEED_PAGE,
        None,
        Some("http://127.0.0.1:8080/news/2023/11/09/baidu-huawei-ascend-order?utm_source=rss"),
    );
    assert_eq!(
        page.title.as_deref(),
        Some("Baidu turns to Huawei for AI chips after US export ban")
    );
    assert_eq!(
        page.published,
        Some(Published::Day(
            NaiveDate::from_ymd_opt(2023, 11, 9).unwrap()
        ))
    );
    assert_eq!(page.site.as_deref(), Some("ChipWire"));
    assert_eq!(page.lang.as_deref(), Some("en-GB"));
    assert_eq!(
        page.canonical_url.as_deref(),
        Some("http://127.0.0.1:8080/news/2023/11/09/baidu-huawei-ascend-order")
    );
}

#[test]
fn tsmc_page_text_is_its_paragraphs_only() {
    let page = extract_page(TSMC_PAGE, Some("utf-8"), None);
    let paragraphs: Vec<&str> = page.text.split("\n\n").collect();
    assert_eq!(paragraphs.len(), 4, "{}", page.text);
    assert!(
        paragraphs[0].starts_with("Taiwan Semiconductor Manufacturing Co. plans to roughly double")
    );
    assert!(paragraphs[1].ends_with("how many H100 accelerators reach the market."));
    assert!(paragraphs[3].starts_with("Analysts at TrendForce estimate"));
    assert!(paragraphs[3].contains("TSMC\u{2019}s revenue"));
    assert!(paragraphs[3].ends_with("its October sales on Friday."));
    for chrome in [
        "ChipWire Pro",
        "Samsung wins",
        "Most popular",
        "Mei-Ling",
        "cookies",
        "Copyright",
    ] {
        assert!(
            !page.text.contains(chrome),
            "{chrome} leaked into {}",
            page.text
        );
    }
}

#[test]
fn tsmc_page_metadata() {
    let page = extract_page(TSMC_PAGE, None, None);
    let expected = DateTime::parse_from_rfc3339("2023-11-08T09:30:00+00:00").unwrap();
    assert_eq!(page.published, Some(Published::Time(expected)));
    assert_eq!(
        page.title.as_deref(),
        Some("TSMC to double CoWoS packaging capacity as AI demand outruns supply")
    );
    assert_eq!(page.author.as_deref(), Some("Mei-Ling Chen"));
    assert_eq!(page.lang.as_deref(), Some("en"));
    assert_eq!(
        page.canonical_url.as_deref(),
        Some("https://chipwire.example/news/2023/11/08/tsmc-capacity")
    );
}

#[test]
fn seed_text_dateline_is_the_publication_day() {
    assert_eq!(
        dateline(SEED_TEXT),
        Some(Published::Day(
            NaiveDate::from_ymd_opt(2023, 11, 9).unwrap()
        ))
    );
}

#[test]
fn fragments_become_blocks() {
    assert_eq!(fragment_to_text("<p>a</p><p>b &amp; c</p>"), "a\n\nb & c");
}
