//! Each family of page chrome is dropped; article blocks survive in order.

use super::{article_page, page, FIRST, LAST};
use crate::extract::fragment_to_text;

/// The text of `article_page` around `body` must be just its two paragraphs.
fn assert_dropped(body: &str) {
    let page = page(&article_page("", body));
    assert_eq!(page.text, format!("{FIRST}\n\n{LAST}"), "from {body}");
}

#[test]
fn navigation() {
    assert_dropped(
        r#"<nav><ul><li><a href="/">Home</a></li><li><a href="/chips">Chips</a></li></ul></nav>"#,
    );
    assert_dropped(
        r#"<div role="navigation"><a href="/">Home</a> Foundry news and analysis</div>"#,
    );
    assert_dropped(r#"<div class="breadcrumbs"><a href="/">Home</a> › Memory</div>"#);
}

#[test]
fn cookie_banners() {
    assert_dropped(
        r#"<div id="cookie-consent"><p>We and our 214 partners store and access information on your device to
        measure audiences and personalise content.</p><button>Accept</button></div>"#,
    );
    assert_dropped("<p>We use cookies to improve your experience on our site.</p>");
}

#[test]
fn share_bars() {
    assert_dropped(
        r#"<div class="post-share-bar"><span>Share this article</span> <a href="/s">Facebook</a></div>"#,
    );
    assert_dropped("<ul class=\"social\"><li>Share</li><li><a href=\"#\">X</a></li></ul>");
    assert_dropped("<p>Share</p>");
}

#[test]
fn newsletter_boxes() {
    assert_dropped(
        r#"<div class="newsletter-signup"><h3>Chip news in your inbox</h3>
        <p>Get the most important semiconductor stories every weekday morning.</p></div>"#,
    );
    assert_dropped("<p>Sign up for our free daily newsletter.</p>");
}

#[test]
fn related_lists() {
    assert_dropped(
        r#"<section class="related-articles"><h2>Related</h2><ul>
        <li>Nvidia readies new chips for China after the latest rules</li>
        <li>Alibaba orders 2,000 AI servers from Inspur</li></ul></section>"#,
    );
    // No telling class: the heading is stock text and the items are all links.
    assert_dropped(
        r#"<h2>Related</h2><ul><li><a href="/a">Nvidia readies new chips for China</a></li>
        <li><a href="/b">Tencent orders 50,000 H20 GPUs for its cloud</a></li></ul>"#,
    );
    assert_dropped(
        r#"<p>Read more: <a href="/x">US tightens rules on AI chip sales to China</a></p>"#,
    );
    // A breaking-news ticker of other stories with their excerpts.
    assert_dropped(
        r#"<div class="breaking-news"><ul><li><a href="/a">Nvidia readies new chips</a>
        <span>WASHINGTON: Nvidia is preparing a version of its flagship chip that meets the latest rules and...</span></li>
        <li><a href="/b">Tencent orders GPUs</a>
        <span>SHENZHEN: Tencent has ordered tens of thousands of accelerators for its cloud business this year...</span></li>
        </ul></div>"#,
    );
}

#[test]
fn comments_and_comments_are_closed() {
    assert_dropped(
        r#"<div id="comments" class="comments-area"><h2>2 comments</h2>
        <div class="comment-body"><p>Huawei will never deliver 1,600 chips by December.</p></div>
        <p>Comments are closed.</p></div>"#,
    );
    assert_dropped("<p>Comments are closed.</p>");
    assert_dropped("<p>Leave a comment</p>");
}

#[test]
fn figures_and_captions() {
    assert_dropped(
        r#"<figure><img src="x.jpg" alt="A wafer"><figcaption>A 300mm wafer at the Tainan fab.
        Photo: Reuters</figcaption></figure>"#,
    );
    assert_dropped(
        "<div class=\"img\"><img src=\"x.jpg\"><figcaption>Caption text here.</figcaption></div>",
    );
}

#[test]
fn ads_and_promos() {
    assert_dropped(r#"<div class="ad-slot"><span>Advertisement</span></div>"#);
    assert_dropped("<p>Advertisement</p>");
    assert_dropped(r#"<div class="inline-promo">Try ChipWire Pro free for 14 days</div>"#);
}

#[test]
fn scripts_styles_forms_and_hidden_elements() {
    assert_dropped(
        "<script>var a = 'text';</script><style>p{}</style><noscript>Enable JavaScript.</noscript>",
    );
    assert_dropped(r#"<form><label>Your email address please</label><input type="email"></form>"#);
    assert_dropped(r#"<div hidden>Hidden text</div><div style="display: none">Also hidden</div>"#);
    assert_dropped(r#"<div aria-hidden="true">Screen readers skip this</div>"#);
}

#[test]
fn article_blocks_are_kept_in_order() {
    let page = page(&article_page(
        "",
        "<h2>Why it matters</h2><ul><li>HBM3E samples ship in Q1.</li><li>Volume follows in Q2.</li></ul>\
         <blockquote><p>Demand is \u{201c}unprecedented\u{201d} &ndash; we are sold out.</p></blockquote>",
    ));
    let blocks: Vec<&str> = page.text.split("\n\n").collect();
    assert_eq!(
        blocks,
        [
            super::FIRST,
            "Why it matters",
            "HBM3E samples ship in Q1.",
            "Volume follows in Q2.",
            "Demand is \u{201c}unprecedented\u{201d} \u{2013} we are sold out.",
            super::LAST,
        ]
    );
}

#[test]
fn whitespace_collapses_inside_blocks_and_entities_decode() {
    let page = page(&article_page(
        "",
        "<p>  Spread\n   over <b>lines</b>,&nbsp;with <a href=\"/x\">a link</a> &amp; <i>more</i>  </p>",
    ));
    assert!(
        page.text
            .contains("\n\nSpread over lines, with a link & more\n\n"),
        "{}",
        page.text
    );
}

#[test]
fn a_content_container_with_a_share_class_is_kept() {
    let html = "<html><body><div class=\"entry-content has-share-buttons\">\
        <p>SK Hynix said its HBM3E output for next year is already fully booked by customers.</p>\
        <p>The memory maker plans to expand its Cheongju packaging plant in the first half.</p>\
        </div></body></html>";
    let page = page(html);
    assert!(page.text.starts_with("SK Hynix said"), "{}", page.text);
    assert_eq!(page.text.split("\n\n").count(), 2);
}

#[test]
fn the_headline_is_not_repeated_in_the_text() {
    let html = "<html><head><meta property=\"og:title\" content=\"Chip stocks rally\"></head><body><article>\
        <h1>Chip stocks rally</h1><p>Semiconductor shares rose across Asia on Thursday morning.</p>\
        <h2>Chip stocks rally</h2></article></body></html>";
    assert_eq!(
        page(html).text,
        "Semiconductor shares rose across Asia on Thursday morning."
    );
}

#[test]
fn the_headline_as_a_plain_block_above_the_story_is_dropped() {
    let html = "<html><head><meta property=\"og:title\" content=\"Chip stocks rally\"></head><body><article>\
        <p class=\"title\">Chip stocks rally</p>\
        <p>Semiconductor shares rose across Asia on Thursday morning.</p>\
        <p>Chip stocks rally</p></article></body></html>";
    assert_eq!(
        page(html).text,
        "Semiconductor shares rose across Asia on Thursday morning.\n\nChip stocks rally"
    );
}

#[test]
fn double_line_breaks_split_blocks() {
    let html = "<html><body><div class=\"story\">First paragraph of a story kept in one div with breaks.\
        <br><br>Second paragraph of the same story, also long enough to count.<br>Still second.</div></body></html>";
    assert_eq!(
        page(html).text,
        "First paragraph of a story kept in one div with breaks.\n\n\
         Second paragraph of the same story, also long enough to count. Still second."
    );
}

#[test]
fn fragments_keep_paragraphs_and_drop_feed_stock_lines() {
    assert_eq!(fragment_to_text("<p>a</p><p>b &amp; c</p>"), "a\n\nb & c");
    assert_eq!(
        fragment_to_text("plain text\n\nsecond   para\nwraps"),
        "plain text\n\nsecond para wraps"
    );
    assert_eq!(
        fragment_to_text("<p>Story.</p><p>The post <a href=\"/x\">Story</a> appeared first on <a href=\"/\">ChipWire</a>.</p>"),
        "Story."
    );
    assert_eq!(fragment_to_text(""), "");
    assert_eq!(fragment_to_text("one<br><br>two"), "one\n\ntwo");
}

#[test]
fn a_page_wrapper_with_a_chrome_like_class_still_yields_the_story() {
    // Seen on a large news site: the wrapper of the whole page is called "Page-ad-margins".
    let html = "<html><body><div class=\"Page-ad-margins\"><main><div class=\"story\">\
        <p class=\"byline-line\">By Meg James</p><p>5:50 PM</p>\
        <p>Walt Disney Co. said demand and a coding glitch caused the launch problems.</p>\
        <p>More than 10 million users activated their accounts on the first day.</p>\
        <p>The company said most of the problems were fixed within a few hours.</p>\
        </div></main></div></body></html>";
    let text = page(html).text;
    assert!(text.starts_with("Walt Disney Co. said"), "{text}");
    assert_eq!(text.split("\n\n").count(), 3);
}

#[test]
fn a_story_wrapper_with_a_chrome_like_class_inside_the_article_is_kept() {
    // Seen on a large news site: `content-with-sidebar-wrp` holds the whole story.
    let html = "<html><body><article><header><h1>Governor doubles down</h1></header>\
        <div class=\"content-with-sidebar-wrp\">\
        <p>The tagline drew a mix of criticism and ridicule across the internet on Monday.</p>\
        <p>The governor cited the backlash as proof that the campaign was working as intended.</p>\
        <p>State officials said the campaign cost less than half a million dollars in total.</p>\
        </div></article></body></html>";
    let text = page(html).text;
    assert!(text.starts_with("The tagline drew"), "{text}");
    assert_eq!(text.split("\n\n").count(), 3);
}

#[test]
fn loose_text_beside_a_title_block_is_the_story_even_next_to_a_link_heavy_sidebar() {
    // A story written as bare text and `<br>`s in the `<div>` that also holds its title,
    // beside an archive sidebar of links and above a longer address footer.
    let archive: String = (1..=40)
        .map(|i| format!("<li><a href=\"/archive?m={i}\">Month number {i} (42)</a></li>"))
        .collect();
    let html = format!(
        "<html><body><div class=\"row\"><div class=\"col-3\"><ul>{archive}</ul></div>\
        <div class=\"col-9\"><p class=\"title\">Two vehicles broken into</p>\
        <small><b>05/10/2018</b> - Category: <a href=\"/c\">Health</a></small><br><br>\
        The home care team reported this morning that two of its five cars were broken into \
        and left without their batteries. A police report was filed and the patients booked \
        for the morning are being rescheduled.<br><br><br>\
        <div class=\"share\"><a href=\"/s\">Facebook</a></div></div></div>\
        <div class=\"bottom\"><div>City Hall - Main Street 1111 - Postal box 421 - Phone 2106-8000 - \
        Open from Monday to Friday, eight to five, closed on public holidays</div></div>\
        </body></html>"
    );
    let text = page(&html).text;
    assert!(
        text.contains("two of its five cars were broken into"),
        "{text}"
    );
    assert!(!text.contains("City Hall"), "{text}");
    assert!(!text.contains("Month number"), "{text}");
}
