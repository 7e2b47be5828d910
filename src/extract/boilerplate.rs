//! What counts as page chrome rather than article: elements dropped for their tag, their
//! ARIA role, their class/id words or because they are hidden, and short blocks of stock
//! text ("Comments are closed.", "Share this article").
//!
//! Class and id values are split into words (`post-share-bar` → post, share, bar) and
//! matched word by word, also joining neighbours (`most-read` → mostread), so that
//! `shareholders` or `adventure` never look like a share bar or an ad. An element that also
//! carries a content word (`entry-content has-share-buttons`) is chrome only if it holds
//! a small part of the article; the content walker checks that.

use std::sync::LazyLock;

use regex::Regex;
use scraper::node::Element;

use super::built_in_regex;

/// How the content walker treats an element and everything inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Part of the article (or a container to look into).
    Keep,
    /// Never text: scripts, styles, forms, media, hidden elements.
    Noise,
    /// Page furniture: navigation, footers, share bars, related lists, comments, ads.
    Chrome,
    /// Chrome by its class but also marked as content; dropped only when small.
    MixedChrome,
    /// A header: its text is not article text but may hold the dateline and byline.
    Header,
}

/// Tags whose content is never article text.
const NOISE_TAGS: &[&str] = &[
    "head", "title", "script", "style", "noscript", "template", "iframe", "object", "embed",
    "canvas", "svg", "math", "video", "audio", "map", "button", "select", "textarea", "input",
    "dialog",
];

/// Tags that hold page furniture. `form` is among them although some sites (ASP.NET) wrap
/// the whole page in one: the walker only looks below the chosen content root.
const CHROME_TAGS: &[&str] = &[
    "nav",
    "footer",
    "aside",
    "form",
    "figure",
    "figcaption",
    "menu",
];

/// ARIA landmark roles of page furniture.
const CHROME_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alertdialog",
    "menu",
    "menubar",
    "toolbar",
];

/// Class/id words of page furniture.
const CHROME_WORDS: &[&str] = &[
    // consent and cookie banners
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "cmp",
    // share bars and social widgets
    "share",
    "sharing",
    "sharebar",
    "shares",
    "social",
    "socials",
    "sharethis",
    "addthis",
    // newsletter and subscription boxes, paywalls
    "newsletter",
    "newsletters",
    "subscribe",
    "subscription",
    "signup",
    "promo",
    "promotion",
    // related, most read and recommended lists
    "related",
    "rel",
    "recirc",
    "recirculation",
    "popular",
    "trending",
    "mostread",
    "mostpopular",
    "recommended",
    "recommendations",
    "outbrain",
    "taboola",
    "morestories",
    "readmore",
    "readnext",
    "youmayalsolike",
    // breaking-news tickers above the story (not `ticker`: stock symbols in the text)
    "breakingnews",
    "newsticker",
    // comments
    "comment",
    "comments",
    "disqus",
    "respond",
    "discussion",
    // breadcrumbs and navigation
    "breadcrumb",
    "breadcrumbs",
    "crumbs",
    "nav",
    "navbar",
    "navigation",
    "menu",
    "pagination",
    "pager",
    "masthead",
    "footer",
    "sidebar",
    "widget",
    "widgets",
    "toolbar",
    "skiplink",
    // advertising
    "ad",
    "ads",
    "adslot",
    "adunit",
    "advert",
    "adverts",
    "advertisement",
    "advertising",
    "sponsor",
    "sponsored",
    "dfp",
    "banner",
    // overlays
    "modal",
    "popup",
    "overlay",
    "tags",
    "tagcloud",
    // captions and credits: not prose of the story (bylines stay: they hold the dateline)
    "caption",
    "captions",
    "credit",
    "credits",
    "gallery",
    "slideshow",
    // text for screen readers only
    "sronly",
    "visuallyhidden",
    "screenreader",
];

/// Class/id words of embedded posts that the story quotes.
const EMBED_WORDS: &[&str] = &["embed", "embedded", "tweet", "twittertweet"];

/// Class/id words that mark the article itself.
const CONTENT_WORDS: &[&str] = &[
    "article",
    "articlebody",
    "content",
    "entry",
    "main",
    "story",
    "storybody",
    "post",
    "postbody",
    "text",
    "body",
];

/// Classifies one element for the content walker.
pub(crate) fn verdict(element: &Element) -> Verdict {
    verdict_with(element, true)
}

/// Classifies by tag, role and visibility only. Used to find the article again when the
/// class words hid all of it: some sites give their page wrapper a chrome-like class
/// (`Page-ad-margins`, `content paywall`).
pub(crate) fn verdict_ignoring_classes(element: &Element) -> Verdict {
    verdict_with(element, false)
}

fn verdict_with(element: &Element, use_classes: bool) -> Verdict {
    let name = element.name();
    if NOISE_TAGS.contains(&name) || is_hidden(element) {
        return Verdict::Noise;
    }
    if CHROME_TAGS.contains(&name) {
        return Verdict::Chrome;
    }
    if let Some(role) = element.attr("role") {
        let role = role.trim().to_ascii_lowercase();
        if CHROME_ROLES.contains(&role.as_str()) {
            return Verdict::Chrome;
        }
    }
    let (chrome, content) = if use_classes {
        class_signals(element)
    } else {
        (false, false)
    };
    match (chrome, content) {
        (true, false) => return Verdict::Chrome,
        (true, true) => return Verdict::MixedChrome,
        _ => {}
    }
    if name == "header" {
        return Verdict::Header;
    }
    Verdict::Keep
}

/// Whether the element's class and id carry chrome words and content words. A token with
/// both (`article-comments`, `comment-content`) names a part of the article's furniture,
/// so it counts as chrome only; mixed signals come from separate tokens.
pub(crate) fn class_signals(element: &Element) -> (bool, bool) {
    let mut chrome = false;
    let mut content = false;
    for value in [element.attr("class"), element.attr("id")]
        .into_iter()
        .flatten()
    {
        for token in value.split_ascii_whitespace() {
            let token = split_camel_case(token);
            let words: Vec<&str> = token
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            // An embedded post (`social-media-embed`, `twitter-tweet`) is quoted story.
            if has_word(&words, EMBED_WORDS) {
                content = true;
            } else if has_word(&words, CHROME_WORDS) {
                chrome = true;
            } else if has_word(&words, CONTENT_WORDS) {
                content = true;
            }
        }
    }
    (chrome, content)
}

/// Lower-cases a class token, marking camel-case word starts with a dash
/// (`newsCaption` → `news-caption`), so its words match like dashed ones.
fn split_camel_case(token: &str) -> String {
    let mut out = String::with_capacity(token.len() + 4);
    let mut previous_lower = false;
    for c in token.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            out.push('-');
        }
        previous_lower = c.is_ascii_lowercase();
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Whether `words`, a single word, two neighbours joined (`most`+`read`) or all of them
/// joined (`you-may-also-like`), is in `list`.
fn has_word(words: &[&str], list: &[&str]) -> bool {
    words.iter().any(|w| list.contains(w))
        || words
            .windows(2)
            .any(|pair| list.contains(&format!("{}{}", pair[0], pair[1]).as_str()))
        || (words.len() > 2 && list.contains(&words.concat().as_str()))
}

fn is_hidden(element: &Element) -> bool {
    if element.attr("hidden").is_some() {
        return true;
    }
    if element
        .attr("aria-hidden")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        return true;
    }
    element.attr("style").is_some_and(|style| {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        style.contains("display:none") || style.contains("visibility:hidden")
    })
}

/// Whole blocks of stock text that sites put around articles.
static STOCK_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(
        r"(?ix)^(?:
            comments?\s+(?:are|is)\s+closed
          | (?:leave|post|add|write)\s+a\s+(?:comment|reply)
          | \d+\s+comments?
          | (?:no|view|show|read)\s+comments?
          | share(?:\s+(?:this|the)\s+(?:article|story|post|page))?(?:\s+on\s+\w+)?
          | (?:share|tweet|email|print|copy\s+link)(?:\s*[|·•,]?\s*(?:share|tweet|email|print|copy\s+link|facebook|twitter|linkedin|whatsapp|reddit|x))*
          | advertisement|advert|sponsored(?:\s+content)?|ad
          | (?:top|more|latest|breaking|partner|featured)\s+(?:stories|news|headlines|videos)
          | tell\s+us\s+what\s+you\s+think|comments?|don[’']?t\s+miss
          | https?://\S+
          | (?:sign\s+up|subscribe)\b.{0,120}
          | related(?:\s+(?:articles|stories|posts|news|content|coverage|links|topics))?
          | 関連記事|関連ニュース|관련\s*기사|相关文章|相關文章|相关阅读|相關閱讀
          | art[íi]culos\s+relacionados|articles\s+(?:connexes|similaires)|à\s+lire\s+aussi
          | leia\s+tamb[ée]m|veja\s+tamb[ée]m|leggi\s+anche|lesen\s+sie\s+auch|mehr\s+zum\s+thema
          | читайте\s+также|похожие\s+статьи
          | \[\w+\b[^\]]*\].{0,200}\[/\w+\]
          | (?:more|also)\s+(?:from|on|in)\s+.{1,40}
          | you\s+(?:may|might)\s+also\s+like
          | (?:most\s+(?:read|popular|viewed|shared)(?:\s+.{1,30})?|trending(?:\s+now)?|recommended(?:\s+for\s+you)?)
          | read\s+(?:more|next)(?::.{0,120})?
          | click\s+here\b.{0,80}
          | (?:like|enjoy(?:ed)?|love)\s+this\s+(?:story|article|post)\?\s*(?:share|tell|send)\b.{0,60}
          | (?:updated|posted|published)(?:\s+at)?\s+\d{1,2}[:.]\d{2}\s*(?:[ap]\.?\s?m\b\.?)?(?:\s*[A-Z]{2,4})?
          | .{1,200}[.!?]\s+(?:click\s+here|sign\s+up|subscribe)\b.{0,120}
          | (?:follow\s+us|like\s+us)\b.{0,80}
          | (?:we|this\s+(?:web)?site)\s+uses?\s+cookies\b.{0,300}
          | (?:accept|reject|manage)(?:\s+all)?(?:\s+cookies)?
          | all\s+rights\s+reserved.{0,80}
          | (?:copyright\s+(?:©|\(c\)|\d{4})|©).{0,120}
          | the\s+post\s+.{1,300}\s+appeared\s+first\s+on\s+.{1,120}
          | to\s+read\s+the\s+(?:full|rest\s+of\s+the|whole)\s+(?:story|article)
          | text\s+size|caption|close|expand|(?:photo|image|picture|video)s?(?:\s+credit)?\s*:.{0,100}
        )[.!:]?$",
    )
});

/// A byline ("By Meg James, Staff Writer") or a bare time ("5:50 PM") standing alone.
static BYLINE_OR_TIME: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(
        r"^(?:(?i:by)\s+\p{Lu}[^.!?]{0,80}|\d{1,2}[:.]\d{2}\s*(?i:[ap]\.?\s?m\.?)?(?:\s+[A-Z]{2,5})?)$",
    )
});

/// Whether a block is a byline or a bare time; above the story they are metadata.
pub(crate) fn is_byline_or_time(block: &str) -> bool {
    BYLINE_OR_TIME.is_match(block.trim())
}

/// Whether a block is stock site text rather than article prose.
pub(crate) fn is_stock_block(block: &str) -> bool {
    block.chars().count() <= 400 && STOCK_BLOCK.is_match(block.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    fn first_div_verdict(html: &str) -> Verdict {
        let doc = Html::parse_fragment(html);
        let div = doc.root_element().child_elements().next();
        div.map_or(Verdict::Keep, |d| verdict(d.value()))
    }

    #[test]
    fn class_words_match_whole_words_only() {
        assert_eq!(
            first_div_verdict(r#"<div class="post-share-bar">"#),
            Verdict::Chrome
        );
        assert_eq!(
            first_div_verdict(r#"<div class="most-read">"#),
            Verdict::Chrome
        );
        assert_eq!(
            first_div_verdict(r#"<div class="you-may-also-like">"#),
            Verdict::Chrome
        );
        assert_eq!(
            first_div_verdict(r#"<div class="newsCaption">"#),
            Verdict::Chrome
        );
        assert_eq!(
            first_div_verdict(r#"<div class="shareholders adventure">"#),
            Verdict::Keep
        );
        assert_eq!(
            first_div_verdict(r#"<div id="article-comments">"#),
            Verdict::Chrome
        );
        assert_eq!(
            first_div_verdict(r#"<div class="entry-content has-share">"#),
            Verdict::MixedChrome
        );
    }

    #[test]
    fn roles_hidden_and_tags() {
        assert_eq!(
            first_div_verdict(r#"<div role="navigation">"#),
            Verdict::Chrome
        );
        assert_eq!(
            first_div_verdict(r#"<div style="DISPLAY: None">"#),
            Verdict::Noise
        );
        assert_eq!(first_div_verdict("<header>"), Verdict::Header);
        assert_eq!(first_div_verdict("<aside>"), Verdict::Chrome);
    }

    #[test]
    fn stock_lines_but_not_prose() {
        for line in [
            "Comments are closed.",
            "Leave a Reply",
            "Share this story",
            "Advertisement",
            "Related Articles",
            "Read more: US rules",
            "関連記事",
            "Like this story? Share it with a friend!",
            "Updated at 1:23 p.m.",
            "Get the magazine every month. 12 issues for £11.99. Click here for more information.",
            "There's plenty more where that came from. Sign up for the free daily newsletter today.",
            "Leia também",
            "Lesen Sie auch:",
            "Artículos relacionados",
            "[button link=\"/submit\" type=\"big\"] Send us your review[/button]",
        ] {
            assert!(is_stock_block(line), "{line}");
        }
        for line in [
            "Share prices of Nvidia rose 3% on Thursday.",
            "Related party transactions were disclosed in the filing.",
            "Copyright disputes over chip designs are rising.",
            "[1] The filing is dated May 3, and [2] the appeal followed.",
            "Subscribers to the service rose 12%. The company said sign-ups doubled in May.",
        ] {
            assert!(!is_stock_block(line), "{line}");
        }
    }
}
