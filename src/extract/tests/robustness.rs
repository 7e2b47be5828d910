//! Hostile and broken input: no panic, no stack overflow, bounded time.

use std::time::{Duration, Instant};

use crate::extract::{dateline, extract_page, fragment_to_text};

/// Generous even for an unoptimised test build on a busy machine; without the markup
/// bound some of these inputs take hours.
const TIME_LIMIT: Duration = Duration::from_secs(20);

fn extract_in_time(bytes: &[u8]) -> String {
    let start = Instant::now();
    let page = extract_page(bytes, None, None);
    assert!(start.elapsed() < TIME_LIMIT, "took {:?}", start.elapsed());
    page.text
}

/// A fixed xorshift stream, so failures reproduce.
fn pseudo_random_bytes(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn empty_input() {
    assert_eq!(extract_page(b"", None, None), Default::default());
    assert_eq!(fragment_to_text(""), "");
    assert_eq!(dateline(""), None);
}

#[test]
fn random_bytes() {
    for seed in 1..=4u64 {
        extract_in_time(&pseudo_random_bytes(256 * 1024, seed));
    }
}

#[test]
fn random_markup_soup() {
    const PIECES: &[&str] = &[
        "<div>",
        "</div>",
        "<p>",
        "</p>",
        "<article>",
        "<a href=x>",
        "</a>",
        "<table>",
        "<td>",
        "<b>",
        "</i>",
        "<!--",
        "-->",
        "<script>",
        "</script>",
        "&amp;",
        "&#x",
        "text ",
        "<br>",
        "<h1>",
        "\"",
        "'",
        "<nav>",
        "<time datetime=2023-01-01>",
        "<meta charset=gbk>",
        "\u{fffd}",
    ];
    let noise = pseudo_random_bytes(200_000, 42);
    let soup: String = noise
        .iter()
        .map(|b| PIECES[*b as usize % PIECES.len()])
        .collect();
    extract_in_time(soup.as_bytes());
    fragment_to_text(&soup);
}

#[test]
fn ten_thousand_nested_divs() {
    let html = format!(
        "<html><body>{}<p>Deep inside, a paragraph long enough to be article text.</p>{}</body></html>",
        "<div>".repeat(10_000),
        "</div>".repeat(10_000)
    );
    let text = extract_in_time(html.as_bytes());
    assert_eq!(
        text,
        "Deep inside, a paragraph long enough to be article text."
    );
}

#[test]
fn deep_nesting_of_inline_and_unknown_elements() {
    for tag in ["span", "b", "x-widget", "table", "blockquote"] {
        let html = format!("<p>start{}end", format!("<{tag}>").repeat(50_000));
        let text = extract_in_time(html.as_bytes());
        assert!(
            text.starts_with("start") && text.ends_with("end"),
            "{tag}: {text}"
        );
    }
}

#[test]
fn five_megabytes_of_one_tag() {
    const SIZE: usize = 5 * 1024 * 1024;
    for tag in ["<div>", "<p>", "<a href=/x>", "<td>", "<li>"] {
        let html = tag.repeat(SIZE / tag.len());
        extract_in_time(html.as_bytes());
    }
}

#[test]
fn one_tag_five_megabytes_long() {
    let html = format!(
        "<p>before</p><div class=\"{}\">inside</div>",
        "a".repeat(5 * 1024 * 1024)
    );
    assert_eq!(extract_in_time(html.as_bytes()), "before\n\ninside");
    let unclosed = format!("<p>before</p><div class=\"{}", "a ".repeat(2 * 1024 * 1024));
    extract_in_time(unclosed.as_bytes());
}

#[test]
fn unclosed_comments_scripts_and_huge_json_ld() {
    extract_in_time(format!("<p>x</p><!--{}", "-".repeat(1_000_000)).as_bytes());
    extract_in_time(format!("<p>x</p><script>{}", "<div>".repeat(100_000)).as_bytes());
    let deep_json = format!(
        "<script type=\"application/ld+json\">{}{}</script>",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    extract_in_time(deep_json.as_bytes());
    let wide_json = format!(
        "<script type=\"application/ld+json\">[{}{{}}]</script>",
        "{\"a\":[1,2,{\"b\":{}}]},".repeat(50_000)
    );
    extract_in_time(wide_json.as_bytes());
}

#[test]
fn long_text_without_markup() {
    let text = "chip ".repeat(1_000_000);
    assert_eq!(
        extract_in_time(text.as_bytes()).len(),
        text.trim_end().len()
    );
    assert!(dateline(&text).is_none());
    fragment_to_text(&text);
}

#[test]
fn oversized_input_is_cut() {
    let html = format!("<p>{}</p>", "word ".repeat(3 * 1024 * 1024));
    let text = extract_in_time(html.as_bytes());
    assert!(text.len() <= crate::extract::MAX_PAGE_BYTES);
}
