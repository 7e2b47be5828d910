//! What counts as page chrome rather than article: elements dropped for their tag, their
//! ARIA role, their class/id words or because they are hidden, and short blocks of stock
//! text ("Comments are closed.", "Share this article").
//!
//! Class and id values are split into words (`post-share-bar` → post, share, bar) and
//! matched word by word, also joining neighbours (`most-read` → mostread), so that
//! `shareholders` or `adventure` never look like a share bar or an ad. An element that also
//! carries a content word (`entry-content has-share-buttons`) is chrome only if it holds
//! a small part of the article; the content walker checks that.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::LazyLock;

use regex::Regex;
use scraper::node::Element;

use super::walk::{key, NodeMap, NodeRef};
use super::{built_in_regex, built_in_regex_with_cache};
use crate::quick_hash::QuickHasher;

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
fn is_noise_tag(name: &str) -> bool {
    matches!(
        name,
        "head"
            | "title"
            | "script"
            | "style"
            | "noscript"
            | "template"
            | "iframe"
            | "object"
            | "embed"
            | "canvas"
            | "svg"
            | "math"
            | "video"
            | "audio"
            | "map"
            | "button"
            | "select"
            | "textarea"
            | "input"
            | "dialog"
    )
}

/// Tags that hold page furniture. `form` is among them although some sites (ASP.NET) wrap
/// the whole page in one: the walker only looks below the chosen content root.
fn is_chrome_tag(name: &str) -> bool {
    matches!(
        name,
        "nav" | "footer" | "aside" | "form" | "figure" | "figcaption" | "menu"
    )
}

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

/// The verdicts of one document's elements, each computed the first time a walk asks:
/// the walks ask for the same elements several times over, and never for most of what
/// lies inside chrome.
#[derive(Default)]
pub(crate) struct Verdicts {
    known: RefCell<NodeMap<Verdict>>,
    /// The signals of every `class` value met so far: pages repeat a few hundred values
    /// over thousands of elements, and splitting one into words costs far more than a
    /// look-up.
    class_values: RefCell<ClassSignals>,
}

impl Verdicts {
    /// The verdict of `element`, which is `node`'s value.
    pub fn of(&self, node: NodeRef<'_>, element: &Element) -> Verdict {
        let key = key(node);
        if let Some(&known) = self.known.borrow().get(&key) {
            return known;
        }
        let found = verdict_with(element, Some(self));
        self.known.borrow_mut().insert(key, found);
        found
    }

    /// [`class_signals`] of one `class` value, remembered.
    fn class_value_signals(&self, value: &str) -> (bool, bool) {
        if let Some(&known) = self.class_values.borrow().get(value) {
            return known;
        }
        let found = class_signals([Some(value), None]);
        self.class_values.borrow_mut().insert(value.into(), found);
        found
    }
}

/// `class` value → whether it carries chrome words and content words (hashed with the
/// crate's [`QuickHasher`]: SipHash would cost as much as the word split the memo saves).
type ClassSignals = HashMap<Box<str>, (bool, bool), BuildHasherDefault<QuickHasher>>;

/// How a walk classifies elements: by the document's verdicts, or by tag, role and
/// visibility alone (see [`verdict_ignoring_classes`]).
#[derive(Clone, Copy)]
pub(crate) enum Classifier<'v> {
    Strict(&'v Verdicts),
    IgnoringClasses,
}

impl Classifier<'_> {
    pub fn of(self, node: NodeRef<'_>, element: &Element) -> Verdict {
        match self {
            Classifier::Strict(verdicts) => verdicts.of(node, element),
            Classifier::IgnoringClasses => verdict_ignoring_classes(element),
        }
    }
}

/// Classifies one element for the content walker.
#[cfg(test)]
pub(crate) fn verdict(element: &Element) -> Verdict {
    verdict_with(element, None)
}

/// Classifies by tag, role and visibility only. Used to find the article again when the
/// class words hid all of it: some sites give their page wrapper a chrome-like class
/// (`Page-ad-margins`, `content paywall`).
pub(crate) fn verdict_ignoring_classes(element: &Element) -> Verdict {
    verdict_of(element, false, None)
}

/// Classifies by tag, role, visibility and class words; `memo` remembers class values.
fn verdict_with(element: &Element, memo: Option<&Verdicts>) -> Verdict {
    verdict_of(element, true, memo)
}

fn verdict_of(element: &Element, use_classes: bool, memo: Option<&Verdicts>) -> Verdict {
    let name = element.name();
    if is_noise_tag(name) {
        return Verdict::Noise;
    }
    // One look at the attributes: the walks classify every element several times, and
    // `Element::attr` interns the name it is asked for on every call.
    let mut hidden = false;
    let (mut class, mut id, mut role) = (None, None, None);
    for (key, value) in &element.attrs {
        if !key.ns.is_empty() {
            continue;
        }
        match &*key.local {
            "hidden" => hidden = true,
            "aria-hidden" => hidden |= value.trim().eq_ignore_ascii_case("true"),
            "style" => hidden |= style_hides(value),
            "class" => class = Some(&**value),
            "id" => id = Some(&**value),
            "role" => role = Some(&**value),
            _ => {}
        }
    }
    if hidden {
        return Verdict::Noise;
    }
    if is_chrome_tag(name) {
        return Verdict::Chrome;
    }
    if let Some(role) = role {
        let role = role.trim();
        if CHROME_ROLES.iter().any(|r| r.eq_ignore_ascii_case(role)) {
            return Verdict::Chrome;
        }
    }
    let (chrome, content) = match (use_classes, class, memo) {
        (false, _, _) => (false, false),
        // Signals of separate values combine with `or`, like those of separate tokens.
        (true, Some(class), Some(memo)) => {
            let (class_chrome, class_content) = memo.class_value_signals(class);
            let (id_chrome, id_content) = class_signals([id, None]);
            (class_chrome || id_chrome, class_content || id_content)
        }
        (true, _, _) => class_signals([class, id]),
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

/// Whether the class and id values carry chrome words and content words. A token with
/// both (`article-comments`, `comment-content`) names a part of the article's furniture,
/// so it counts as chrome only; mixed signals come from separate tokens.
fn class_signals(values: [Option<&str>; 2]) -> (bool, bool) {
    let mut chrome = false;
    let mut content = false;
    for value in values.into_iter().flatten() {
        for token in value.split_ascii_whitespace() {
            with_words(token, |words| {
                // An embedded post (`social-media-embed`, `twitter-tweet`) is quoted story.
                if has_word(words, &EMBED_SET) {
                    content = true;
                } else if has_word(words, &CHROME_SET) {
                    chrome = true;
                } else if has_word(words, &CONTENT_SET) {
                    content = true;
                }
            });
        }
    }
    (chrome, content)
}

/// Longest class token split on the stack; longer ones (rare) take the heap.
const TOKEN_BYTES: usize = 128;
/// Most words in a token split on the stack.
const TOKEN_WORDS: usize = 24;

/// Calls `f` with the words of a class token, lower-cased: split at every character that
/// is not an ASCII letter or digit and at camel-case word starts (`newsCaption` → news,
/// caption), so they match like dashed ones. Lower-cased on the stack unless the token is
/// unusually long.
fn with_words(token: &str, f: impl FnOnce(&[&[u8]])) {
    let bytes = token.as_bytes();
    let mut spans = [(0usize, 0usize); TOKEN_WORDS];
    let mut count = 0;
    let fits = bytes.len() <= TOKEN_BYTES
        && word_spans(bytes).all(|span| {
            let room = count < TOKEN_WORDS;
            if room {
                spans[count] = span;
                count += 1;
            }
            room
        });
    if !fits {
        let lowered: Vec<Vec<u8>> = word_spans(bytes)
            .map(|(start, end)| bytes[start..end].to_ascii_lowercase())
            .collect();
        let words: Vec<&[u8]> = lowered.iter().map(Vec::as_slice).collect();
        return f(&words);
    }
    let mut buffer = [0u8; TOKEN_BYTES];
    let lowered = &mut buffer[..bytes.len()];
    lowered.copy_from_slice(bytes);
    lowered.make_ascii_lowercase();
    let mut words: [&[u8]; TOKEN_WORDS] = [&[]; TOKEN_WORDS];
    for (word, &(start, end)) in words.iter_mut().zip(&spans[..count]) {
        *word = &lowered[start..end];
    }
    f(&words[..count])
}

/// The byte ranges of the words of a class token (see [`with_words`]).
fn word_spans(token: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < token.len() && !token[at].is_ascii_alphanumeric() {
            at += 1;
        }
        if at == token.len() {
            return None;
        }
        let start = at;
        at += 1;
        while at < token.len()
            && token[at].is_ascii_alphanumeric()
            && !(token[at].is_ascii_uppercase() && token[at - 1].is_ascii_lowercase())
        {
            at += 1;
        }
        Some((start, at))
    })
}

/// A word list for quick look-ups of words and of words written together: an
/// open-addressing table keyed by a hash that runs over the parts in turn, so a joined
/// pair (`most` + `read`) is looked up without being copied.
struct WordSet {
    slots: Vec<Option<&'static str>>,
    longest: usize,
}

impl WordSet {
    fn new(words: &[&'static str]) -> WordSet {
        let size = (words.len() * 4).next_power_of_two();
        let mut slots = vec![None; size];
        for &word in words {
            let mut at = Self::hash(&[word.as_bytes()]) & (size - 1);
            while slots[at].is_some_and(|w| w != word) {
                at = (at + 1) & (size - 1);
            }
            slots[at] = Some(word);
        }
        WordSet {
            slots,
            longest: words.iter().map(|w| w.len()).max().unwrap_or(0),
        }
    }

    /// FNV-1a over the bytes of all parts.
    fn hash(parts: &[&[u8]]) -> usize {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for part in parts {
            for &b in *part {
                hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        (hash ^ (hash >> 32)) as usize
    }

    /// Whether the parts written together are in the set.
    fn contains(&self, parts: &[&[u8]]) -> bool {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > self.longest {
            return false;
        }
        let mask = self.slots.len() - 1;
        let mut at = Self::hash(parts) & mask;
        while let Some(word) = self.slots[at] {
            if word.len() == len && Self::joined_equals(word.as_bytes(), parts) {
                return true;
            }
            at = (at + 1) & mask;
        }
        false
    }

    fn joined_equals(mut word: &[u8], parts: &[&[u8]]) -> bool {
        for part in parts {
            match word.strip_prefix(*part) {
                Some(rest) => word = rest,
                None => return false,
            }
        }
        word.is_empty()
    }
}

static CHROME_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(CHROME_WORDS));
static EMBED_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(EMBED_WORDS));
static CONTENT_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(CONTENT_WORDS));

/// Whether `words`, a single word, two neighbours joined (`most`+`read`) or all of them
/// joined (`you-may-also-like`), is in `set`.
fn has_word(words: &[&[u8]], set: &WordSet) -> bool {
    words.iter().any(|w| set.contains(std::slice::from_ref(w)))
        || words.windows(2).any(|pair| set.contains(pair))
        || (words.len() > 2 && set.contains(words))
}

/// Whether an inline style hides the element (`display: none`, `visibility:hidden`),
/// ignoring case and whitespace.
fn style_hides(style: &str) -> bool {
    if !style.is_ascii() {
        // Unicode spaces count as whitespace too: the simple way.
        let compact: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        return compact.contains("display:none") || compact.contains("visibility:hidden");
    }
    contains_compact(style.as_bytes(), b"display:none")
        || contains_compact(style.as_bytes(), b"visibility:hidden")
}

/// Whether `needle` (lower case, no whitespace) occurs in `haystack` once the haystack's
/// ASCII whitespace is removed and its letters lower-cased.
fn contains_compact(haystack: &[u8], needle: &[u8]) -> bool {
    (0..haystack.len()).any(|start| {
        let mut rest = haystack[start..]
            .iter()
            .filter(|b| !b.is_ascii_whitespace())
            .map(u8::to_ascii_lowercase);
        !haystack[start].is_ascii_whitespace() && needle.iter().all(|&n| rest.next() == Some(n))
    })
}

/// Whole blocks of stock text that sites put around articles.
const STOCK_PATTERN: &str = r"(?ix)^(?:
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
          | (?:sign\s+up|subscribe)(?-u:\b).{0,120}
          | related(?:\s+(?:articles|stories|posts|news|content|coverage|links|topics))?
          | 関連記事|関連ニュース|관련\s*기사|相关文章|相關文章|相关阅读|相關閱讀
          | art[íi]culos\s+relacionados|articles\s+(?:connexes|similaires)|à\s+lire\s+aussi
          | leia\s+tamb[ée]m|veja\s+tamb[ée]m|leggi\s+anche|lesen\s+sie\s+auch|mehr\s+zum\s+thema
          | читайте\s+также|похожие\s+статьи
          | \[\w+(?-u:\b)[^\]]*\].{0,200}\[/\w+\]
          | (?:more|also)\s+(?:from|on|in)\s+.{1,40}
          | you\s+(?:may|might)\s+also\s+like
          | (?:most\s+(?:read|popular|viewed|shared)(?:\s+.{1,30})?|trending(?:\s+now)?|recommended(?:\s+for\s+you)?)
          | read\s+(?:more|next)(?::.{0,120})?
          | click\s+here(?-u:\b).{0,80}
          | (?:like|enjoy(?:ed)?|love)\s+this\s+(?:story|article|post)\?\s*(?:share|tell|send)(?-u:\b).{0,60}
          | (?:updated|posted|published)(?:\s+at)?\s+\d{1,2}[:.]\d{2}\s*(?:[ap]\.?\s?m(?-u:\b)\.?)?(?:\s*[A-Z]{2,4})?
          | .{1,200}[.!?]\s+(?:click\s+here|sign\s+up|subscribe)(?-u:\b).{0,120}
          | (?:follow\s+us|like\s+us)(?-u:\b).{0,80}
          | (?:we|this\s+(?:web)?site)\s+uses?\s+cookies(?-u:\b).{0,300}
          | (?:accept|reject|manage)(?:\s+all)?(?:\s+cookies)?
          | all\s+rights\s+reserved.{0,80}
          | (?:copyright\s+(?:©|\(c\)|\d{4})|©).{0,120}
          | the\s+post\s+.{1,300}\s+appeared\s+first\s+on\s+.{1,120}
          | to\s+read\s+the\s+(?:full|rest\s+of\s+the|whole)\s+(?:story|article)
          | text\s+size|caption|close|expand|(?:photo|image|picture|video)s?(?:\s+credit)?\s*:.{0,100}
        )[.!:]?$";

static STOCK_BLOCK: LazyLock<Regex> =
    LazyLock::new(|| built_in_regex_with_cache(STOCK_PATTERN, STOCK_CACHE_BYTES));

/// The lazy-DFA cache of the two stock-line patterns, per thread: smaller, and the
/// automaton keeps giving up on real pages and falls back to a much slower engine.
const STOCK_CACHE_BYTES: usize = 2 * 1024 * 1024;

/// [`STOCK_PATTERN`] with every bounded `.{m,n}` loosened to `.*`: it matches whatever
/// the exact pattern matches (and a little more), and its lazy DFA stays small, where the
/// counted repetitions of the exact one keep rebuilding states. Prose fails it within a
/// few characters; only what passes is checked exactly.
static STOCK_BLOCK_QUICK: LazyLock<Regex> = LazyLock::new(|| {
    let bounded = built_in_regex(r"\.\{\d+,\d+\}");
    built_in_regex_with_cache(&bounded.replace_all(STOCK_PATTERN, ".*"), STOCK_CACHE_BYTES)
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
    block.chars().count() <= 400 && {
        let block = block.trim();
        STOCK_BLOCK_QUICK.is_match(block) && STOCK_BLOCK.is_match(block)
    }
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
    fn every_listed_word_is_found_alone_and_as_parts() {
        for (words, set) in [
            (CHROME_WORDS, &*CHROME_SET),
            (EMBED_WORDS, &*EMBED_SET),
            (CONTENT_WORDS, &*CONTENT_SET),
        ] {
            for word in words {
                let bytes = word.as_bytes();
                assert!(set.contains(&[bytes]), "{word}");
                let (head, tail) = bytes.split_at(bytes.len() / 2);
                assert!(set.contains(&[head, tail]), "{word}");
                assert!(!set.contains(&[bytes, b"x"]), "{word}x");
            }
        }
        assert!(!CHROME_SET.contains(&[b"shareholders"]));
    }

    #[test]
    fn long_class_tokens_are_read_like_short_ones() {
        // Past the stack buffer: more words than it holds, and more bytes.
        let many_words = format!("{}share", "w-".repeat(40));
        let many_bytes = format!("{}-mostRead", "x".repeat(200));
        for class in [many_words, many_bytes] {
            assert_eq!(
                first_div_verdict(&format!(r#"<div class="{class}">"#)),
                Verdict::Chrome,
                "{class}"
            );
        }
        let plain = format!("{}-shareholders", "y".repeat(200));
        assert_eq!(
            first_div_verdict(&format!(r#"<div class="{plain}">"#)),
            Verdict::Keep
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
    fn the_quick_stock_pattern_has_no_counted_wildcards_left() {
        let quick = STOCK_BLOCK_QUICK.as_str();
        assert!(!quick.contains(".{"), "{quick}");
        assert!(STOCK_PATTERN.contains(".{0,120}"));
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
