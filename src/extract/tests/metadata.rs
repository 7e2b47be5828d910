//! One test per metadata source, and the precedence between them.

use chrono::{DateTime, NaiveDate};

use super::{article_page, page};
use crate::extract::extract_page;
use crate::model::Published;

fn day(y: i32, m: u32, d: u32) -> Option<Published> {
    Some(Published::Day(NaiveDate::from_ymd_opt(y, m, d).unwrap()))
}

fn time(rfc3339: &str) -> Option<Published> {
    Some(Published::Time(
        DateTime::parse_from_rfc3339(rfc3339).unwrap(),
    ))
}

#[test]
fn json_ld_gives_headline_date_author_and_publisher() {
    let html = article_page(
        r#"<title>Other | Site</title><meta property="og:title" content="OG title">
        <script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
          "headline":"Micron opens HBM line in Hiroshima","datePublished":"2023-11-07T05:00:00-05:00",
          "author":[{"@type":"Person","name":"Ana Ruiz"},{"@type":"Person","name":"Tom Oh"}],
          "publisher":{"@type":"Organization","name":"Memory Daily"}}</script>"#,
        "",
    );
    let page = page(&html);
    assert_eq!(
        page.title.as_deref(),
        Some("Micron opens HBM line in Hiroshima")
    );
    assert_eq!(page.published, time("2023-11-07T05:00:00-05:00"));
    assert_eq!(page.author.as_deref(), Some("Ana Ruiz, Tom Oh"));
    assert_eq!(page.site.as_deref(), Some("Memory Daily"));
}

#[test]
fn json_ld_graph_is_searched_for_the_article() {
    let html = article_page(
        r#"<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
          {"@type":"WebSite","name":"Chip Site","url":"https://chips.example/"},
          {"@type":"BreadcrumbList","itemListElement":[]},
          {"@type":["Article","NewsArticle"],"headline":"Intel &amp; UMC team up on 12nm",
           "datePublished":"2024-01-26","author":{"@type":"Person","name":"Li Wei"}}]}</script>"#,
        "",
    );
    let page = page(&html);
    assert_eq!(page.title.as_deref(), Some("Intel & UMC team up on 12nm"));
    assert_eq!(page.published, day(2024, 1, 26));
    assert_eq!(page.author.as_deref(), Some("Li Wei"));
}

#[test]
fn json_ld_with_raw_newlines_in_strings_still_parses() {
    let html = article_page(
        "<script type=\"application/ld+json\">{\"@type\":\"BlogPosting\",\"headline\":\"Line\none\"}</script>",
        "",
    );
    assert_eq!(page(&html).title.as_deref(), Some("Line one"));
}

#[test]
fn broken_json_ld_is_ignored() {
    let html = article_page(
        r#"<script type="application/ld+json">{"@type":"NewsArticle","headline":</script>
        <meta property="og:title" content="From Open Graph">"#,
        "",
    );
    assert_eq!(page(&html).title.as_deref(), Some("From Open Graph"));
}

#[test]
fn og_title_beats_h1_and_title() {
    let html = article_page(
        r#"<title>Title tag | Site</title><meta property="og:title" content="Open Graph title">"#,
        "<h1>Heading</h1>",
    );
    assert_eq!(page(&html).title.as_deref(), Some("Open Graph title"));
}

#[test]
fn og_title_loses_a_site_suffix() {
    let html = article_page(
        r#"<meta property="og:site_name" content="ChipWire">
        <meta property="og:title" content="Rapidus starts 2nm pilot line | ChipWire">"#,
        "",
    );
    assert_eq!(
        page(&html).title.as_deref(),
        Some("Rapidus starts 2nm pilot line")
    );
}

#[test]
fn first_h1_beats_title() {
    let html = "<html><head><title>Title tag | Site</title></head><body>\
        <header><nav><h1>Menu</h1></nav></header>\
        <div><h1>GlobalFoundries wins Pentagon contract</h1><p>Text.</p></div></body></html>";
    assert_eq!(
        page(html).title.as_deref(),
        Some("GlobalFoundries wins Pentagon contract")
    );
}

#[test]
fn title_tag_loses_site_and_section_suffixes() {
    let html = "<html><head><title>ASML ships first High-NA EUV tool - Equipment | ChipWire</title></head>\
        <body><p>Text.</p></body></html>";
    assert_eq!(
        page(html).title.as_deref(),
        Some("ASML ships first High-NA EUV tool")
    );
}

#[test]
fn article_published_time_meta() {
    let html = article_page(
        r#"<meta property="article:published_time" content="2023-11-08T09:30:00Z">"#,
        "",
    );
    assert_eq!(page(&html).published, time("2023-11-08T09:30:00+00:00"));
}

#[test]
fn time_element_datetime() {
    let html = article_page(
        "",
        r#"<p class="meta"><time datetime="2023-10-17T16:45:00+08:00">Oct 17</time></p>"#,
    );
    assert_eq!(page(&html).published, time("2023-10-17T16:45:00+08:00"));
}

#[test]
fn a_time_without_a_zone_gives_the_day() {
    let html = article_page("", r#"<time datetime="2023-10-17T16:45">Oct 17</time>"#);
    assert_eq!(page(&html).published, day(2023, 10, 17));
}

#[test]
fn times_in_related_lists_and_comments_are_not_the_date() {
    let html = article_page(
        "",
        r#"<aside><time datetime="2020-01-01">old</time></aside>
        <div class="related"><time datetime="2021-01-01">older</time></div>
        <div id="comments"><time datetime="2023-12-01T10:00:00Z">later</time></div>
        <span itemprop="datePublished" content="2023-09-14">Sep 14</span>"#,
    );
    assert_eq!(page(&html).published, day(2023, 9, 14));
}

#[test]
fn itemprop_date_published_in_content_or_text() {
    let html = article_page(
        "",
        r#"<meta itemprop="datePublished" content="2023-09-14T08:00:00+02:00">"#,
    );
    assert_eq!(page(&html).published, time("2023-09-14T08:00:00+02:00"));
    let html = article_page(
        "",
        r#"<span itemprop="datePublished">September 14, 2023</span>"#,
    );
    assert_eq!(page(&html).published, day(2023, 9, 14));
}

#[test]
fn dateline_is_the_last_resort_and_leaves_the_text() {
    let html = article_page("", "<p>Updated: 14 September 2023 08:00 BST</p>");
    let page = page(&html);
    assert_eq!(page.published, time("2023-09-14T08:00:00+01:00"));
    assert!(!page.text.contains("Updated"), "{}", page.text);
}

#[test]
fn byline_dateline_gives_author_and_day() {
    let html = article_page("", "<div class=\"byline\">By Jane Doe | Nov 9, 2023</div>");
    let page = page(&html);
    assert_eq!(page.published, day(2023, 11, 9));
    assert_eq!(page.author.as_deref(), Some("Jane Doe"));
    assert!(!page.text.contains("Jane"), "{}", page.text);
}

#[test]
fn future_dates_are_rejected_for_the_next_source() {
    let html = article_page(
        r#"<meta property="article:published_time" content="2999-01-01T00:00:00Z">"#,
        r#"<time datetime="2023-05-02">May 2</time>"#,
    );
    assert_eq!(page(&html).published, day(2023, 5, 2));
}

#[test]
fn dates_before_1990_are_rejected() {
    let html = article_page(
        r#"<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"1970-01-01T00:00:00Z"}</script>"#,
        "",
    );
    assert_eq!(page(&html).published, None);
    let html = article_page("", "<p>Published on January 4, 1989</p>");
    assert_eq!(page(&html).published, None);
}

#[test]
fn canonical_link_is_resolved_against_the_page_url() {
    let html = article_page(
        r#"<link rel="canonical" href="../2023/tsmc?ref=x#top">"#,
        "",
    );
    let page = extract_page(
        html.as_bytes(),
        None,
        Some("https://news.example/a/b/page.html"),
    );
    assert_eq!(
        page.canonical_url.as_deref(),
        Some("https://news.example/a/2023/tsmc?ref=x#top")
    );
}

#[test]
fn og_url_is_the_fallback_canonical() {
    let html = article_page(
        r#"<meta property="og:url" content="https://news.example/x">"#,
        "",
    );
    assert_eq!(
        page(&html).canonical_url.as_deref(),
        Some("https://news.example/x")
    );
    // A relative canonical without a page URL cannot be resolved.
    let html = article_page(r#"<link rel="canonical" href="/x">"#, "");
    assert_eq!(page(&html).canonical_url, None);
}

#[test]
fn author_from_meta_and_rel_author() {
    let html = article_page(r#"<meta name="author" content="By Sam Park">"#, "");
    assert_eq!(page(&html).author.as_deref(), Some("Sam Park"));
    let html = article_page(
        "",
        r#"<p>By <a rel="author" href="/staff/lee">Dana Lee</a></p>"#,
    );
    assert_eq!(page(&html).author.as_deref(), Some("Dana Lee"));
}

#[test]
fn lang_from_html_or_locale() {
    let html = "<html lang=\"zh-CN\"><body><p>x</p></body></html>";
    assert_eq!(page(html).lang.as_deref(), Some("zh-CN"));
    let html =
        "<html><head><meta property=\"og:locale\" content=\"de_DE\"></head><body></body></html>";
    assert_eq!(page(html).lang.as_deref(), Some("de-DE"));
}
