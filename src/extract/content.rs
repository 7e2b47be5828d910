//! Main text: finds the element that holds the article, walks it into text blocks, and
//! keeps the blocks that are article prose.
//!
//! The root is, in this order, the `[itemprop=articleBody]` element, the `<article>` with
//! the most paragraph text, or the container with the best text-density score: every
//! paragraph of at least [`MIN_PARAGRAPH_CHARS`] gives its non-link characters to its
//! parent and half of them to its grandparent (paragraphs that are mostly links give
//! nothing), and the best few candidates are scaled down by their own link density. An
//! `<article>` only wins when it holds a fair share of that text, so pages that use
//! `<article>` for teaser cards still find their story. Siblings of a density root that
//! score well are taken along, for stories split by ad slots.
//!
//! Inside the root, page chrome (see `boilerplate`) is skipped, block elements start new
//! blocks and whitespace collapses. The blocks are then filtered: stock lines, mostly-link
//! blocks, a headline repeated at the top, and datelines, which become metadata.

use scraper::node::Element;
use scraper::{Html, Node};

use super::boilerplate::{is_byline_or_time, is_stock_block, Classifier, Verdict, Verdicts};
use super::dateline::{dateline_block, Dateline};
use super::walk::{attr, key, non_space_chars, text_weight, walk, NodeMap, NodeRef, Step};

/// Paragraphs shorter than this (non-space characters) are too short to vote for a root.
pub(crate) const MIN_PARAGRAPH_CHARS: usize = 25;

/// An `<article>` / `articleBody` with less paragraph text than this is not trusted.
const MIN_ARTICLE_CHARS: f64 = 100.0;

/// When no candidate outside chrome gathers this much paragraph text, the document is
/// scored again with class words ignored.
const RELAX_BELOW: f64 = super::MIN_PAGE_TEXT_CHARS as f64;

/// How many times more text the walk with class words ignored must find to be preferred:
/// it is a rescue for pages where the classes hid the story, not a way to let a short
/// story's comments or related list in.
const RESCUE_FACTOR: usize = 3;

/// How many element levels above a paragraph its score is added to `Scores::totals`.
const TOTAL_LEVELS: usize = 12;

/// `widen`: how far up an ancestor is looked for, how many times, how much more paragraph
/// text it must hold (times the current root's), and the link density it may have.
const WIDEN_LEVELS: usize = 5;
const WIDEN_STEPS: usize = 3;
const WIDEN_GAIN: f64 = 1.3;
const WIDEN_MAX_LINK_DENSITY: f64 = 0.25;

/// Candidates whose link density is measured before the best is chosen.
const TOP_CANDIDATES: usize = 5;

/// Whether an element starts and ends a block of text. A `match` rather than a list:
/// it runs on every element the walks open and close.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "legend"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "tfoot"
            | "thead"
            | "tr"
            | "ul"
    )
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

fn is_article_body(element: &Element) -> bool {
    attr(element, "itemprop")
        .is_some_and(|v| v.split_ascii_whitespace().any(|p| p == "articleBody"))
}

/// One block of text as walked, before filtering.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    /// Whitespace-collapsed text.
    pub text: String,
    pub heading: Option<u8>,
    /// Non-space characters, and how many of them are link text.
    pub chars: usize,
    pub link_chars: usize,
    /// Inside a `<header>`: not article text, but may hold the dateline.
    pub in_header: bool,
}

/// The article text of a document and the dateline found around it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct MainText {
    pub text: String,
    pub dateline: Option<Dateline>,
}

/// The subtrees holding the article, in document order (one, or a root and its siblings).
pub(crate) fn content_roots<'a>(doc: &'a Html, verdicts: &Verdicts) -> Vec<NodeRef<'a>> {
    let strict = score_document(doc, Classifier::Strict(verdicts));
    if strict.best_text() >= RELAX_BELOW {
        return choose_roots(doc, &strict, verdicts);
    }
    // Too little text outside chrome: perhaps a wrapper's class looked like chrome.
    let relaxed = score_document(doc, Classifier::IgnoringClasses);
    if relaxed.best_text() > RESCUE_FACTOR as f64 * strict.best_text() {
        choose_roots(doc, &relaxed, verdicts)
    } else {
        choose_roots(doc, &strict, verdicts)
    }
}

fn choose_roots<'a>(doc: &'a Html, scores: &Scores<'a>, verdicts: &Verdicts) -> Vec<NodeRef<'a>> {
    let density_best = scores.best_candidate(verdicts);
    let best_score = density_best.map_or(0.0, |(_, s)| s);
    for candidate in [scores.best_article_body, scores.best_article]
        .into_iter()
        .flatten()
    {
        let (node, total) = candidate;
        if total >= MIN_ARTICLE_CHARS && total * 2.0 >= best_score {
            return vec![node];
        }
    }
    match density_best {
        Some((top, top_score)) => {
            let top = widen(top, scores, verdicts);
            with_good_siblings(top, top_score, scores, verdicts)
        }
        None => vec![body_or_root(doc)],
    }
}

fn body_or_root(doc: &Html) -> NodeRef<'_> {
    let root = doc.root_element();
    root.child_elements()
        .find(|e| e.value().name() == "body")
        .map_or(*root, |body| *body)
}

/// Paragraph-text scores of the candidates of one document.
#[derive(Default)]
struct Scores<'a> {
    /// Container → (node, score from the paragraphs below it).
    candidates: NodeMap<(NodeRef<'a>, f64)>,
    /// Paragraph → its own score, for taking lone sibling paragraphs along.
    paragraphs: NodeMap<f64>,
    /// Element → the scores of the `<p>`s up to [`TOTAL_LEVELS`] levels below it.
    totals: NodeMap<f64>,
    best_article: Option<(NodeRef<'a>, f64)>,
    best_article_body: Option<(NodeRef<'a>, f64)>,
}

impl<'a> Scores<'a> {
    /// The most paragraph text any candidate gathered (its own and half its grandchildren's).
    fn best_text(&self) -> f64 {
        let containers = self.candidates.values().map(|c| c.1);
        let articles = [self.best_article, self.best_article_body]
            .into_iter()
            .flatten()
            .map(|a| a.1);
        containers.chain(articles).fold(0.0, f64::max)
    }

    /// The container with the best score after its link density is taken into account.
    fn best_candidate(&self, verdicts: &Verdicts) -> Option<(NodeRef<'a>, f64)> {
        let mut ranked: Vec<(NodeRef<'a>, f64)> = self.candidates.values().copied().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
            .into_iter()
            .take(TOP_CANDIDATES)
            .map(|(node, score)| {
                let (chars, links) = text_weight(node, |n, e| verdicts.of(n, e) != Verdict::Noise);
                let density = if chars == 0 {
                    0.0
                } else {
                    links as f64 / chars as f64
                };
                (node, score * (1.0 - density))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|(_, score)| *score > 0.0)
    }
}

/// Walks the whole document once and scores containers by the paragraphs below them;
/// `classify` decides which subtrees are chrome and left out.
fn score_document<'a>(doc: &'a Html, classify: Classifier<'_>) -> Scores<'a> {
    struct Open<'a> {
        node: NodeRef<'a>,
        chars: usize,
        link_chars: usize,
        /// Holds block elements of its own: its loose text is a paragraph of its own.
        has_blocks: bool,
    }
    let mut scores = Scores::default();
    let mut blocks: Vec<Open<'_>> = Vec::new();
    let mut articles: Vec<(NodeRef<'_>, bool, f64)> = Vec::new();
    let mut link_depth = 0usize;

    walk(doc.tree.root(), |step| match step {
        Step::Open(node) => match node.value() {
            Node::Element(element) => {
                let name = element.name();
                match classify.of(node, element) {
                    Verdict::Noise | Verdict::Header => return false,
                    Verdict::Chrome if name != "form" => return false,
                    _ => {}
                }
                if is_block(name) {
                    if let Some(parent) = blocks.last_mut() {
                        parent.has_blocks = true;
                    }
                    blocks.push(Open {
                        node,
                        chars: 0,
                        link_chars: 0,
                        has_blocks: false,
                    });
                }
                let body = is_article_body(element);
                if body || name == "article" {
                    articles.push((node, body, 0.0));
                }
                if name == "a" {
                    link_depth += 1;
                }
                true
            }
            Node::Text(text) => {
                if let Some(block) = blocks.last_mut() {
                    let n = non_space_chars(text);
                    block.chars += n;
                    if link_depth > 0 {
                        block.link_chars += n;
                    }
                }
                false
            }
            // The document or fragment node: its children are the page.
            Node::Document | Node::Fragment => true,
            _ => false,
        },
        Step::Close(node) => {
            let Some(element) = node.value().as_element() else {
                return true;
            };
            let name = element.name();
            if name == "a" {
                link_depth = link_depth.saturating_sub(1);
            }
            if is_block(name) {
                if let Some(block) = blocks.pop() {
                    let score = paragraph_score(block.chars, block.link_chars);
                    if score > 0.0 {
                        scores.paragraphs.insert(key(block.node), score);
                        // Loose text next to blocks (a story written as text and `<br>`s
                        // in a `<div>` that also holds its title) is a paragraph whose
                        // container is the element itself.
                        let own = block.has_blocks.then_some(block.node);
                        let mut ancestors = own
                            .into_iter()
                            .chain(block.node.ancestors().filter(|a| a.value().is_element()));
                        for share in [1.0, 0.5] {
                            if let Some(ancestor) = ancestors.next() {
                                let entry = scores
                                    .candidates
                                    .entry(key(ancestor))
                                    .or_insert((ancestor, 0.0));
                                entry.1 += score * share;
                            }
                        }
                        // Only real paragraphs count for widening: list items and
                        // loose text are where teaser lists keep their excerpts.
                        let levels = if name == "p" { TOTAL_LEVELS } else { 0 };
                        for ancestor in block
                            .node
                            .ancestors()
                            .filter(|a| a.value().is_element())
                            .take(levels)
                        {
                            *scores.totals.entry(key(ancestor)).or_insert(0.0) += score;
                        }
                        // Only the innermost article: an article nested in another is
                        // a teaser card or a related story, not the outer one's text.
                        if let Some(article) = articles.last_mut() {
                            article.2 += score;
                        }
                    }
                }
            }
            if is_article_body(element) || name == "article" {
                if let Some((article, body, total)) = articles.pop() {
                    let best = if body {
                        &mut scores.best_article_body
                    } else {
                        &mut scores.best_article
                    };
                    if best.is_none_or(|(_, t)| total > t) {
                        *best = Some((article, total));
                    }
                }
            }
            true
        }
    });
    scores
}

/// A paragraph's vote: its non-link characters, or nothing when it is short or mostly links.
fn paragraph_score(chars: usize, link_chars: usize) -> f64 {
    if chars < MIN_PARAGRAPH_CHARS || link_chars * 2 > chars {
        0.0
    } else {
        (chars - link_chars) as f64
    }
}

/// Moves the root up to an ancestor that holds much more paragraph text, for stories whose
/// paragraphs sit in several sections (split by figures, pull quotes or ad slots) at a
/// depth that siblings of the top candidate do not reach. The ancestor must stay prose:
/// little of its text may be links.
fn widen<'a>(top: NodeRef<'a>, scores: &Scores<'a>, verdicts: &Verdicts) -> NodeRef<'a> {
    let total = |n: NodeRef<'a>| scores.totals.get(&key(n)).copied().unwrap_or(0.0);
    let mut root = top;
    for _ in 0..WIDEN_STEPS {
        let base = total(root);
        let found = root
            .ancestors()
            .filter(|a| a.value().is_element())
            .take(WIDEN_LEVELS)
            .take_while(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|e| !matches!(e.name(), "body" | "html"))
            })
            .find(|a| total(*a) >= base * WIDEN_GAIN + MIN_ARTICLE_CHARS);
        let Some(ancestor) = found else { break };
        let (chars, links) = text_weight(ancestor, |n, e| verdicts.of(n, e) == Verdict::Keep);
        if chars == 0 || links as f64 > WIDEN_MAX_LINK_DENSITY * chars as f64 {
            break;
        }
        root = ancestor;
    }
    root
}

/// The top candidate plus the siblings that hold article text too (a story split in two
/// containers by an ad slot, or loose paragraphs next to it).
fn with_good_siblings<'a>(
    top: NodeRef<'a>,
    top_score: f64,
    scores: &Scores<'a>,
    verdicts: &Verdicts,
) -> Vec<NodeRef<'a>> {
    let Some(parent) = top.parent() else {
        return vec![top];
    };
    let threshold = (top_score * 0.2).max(MIN_ARTICLE_CHARS);
    parent
        .children()
        .filter(|child| {
            if *child == top {
                return true;
            }
            let Some(element) = child.value().as_element() else {
                return false;
            };
            if verdicts.of(*child, element) != Verdict::Keep {
                return false;
            }
            let as_container = scores.candidates.get(&key(*child)).map_or(0.0, |c| c.1);
            let as_paragraph = scores.paragraphs.get(&key(*child)).copied().unwrap_or(0.0);
            as_container >= threshold || (element.name() == "p" && as_paragraph >= 80.0)
        })
        .collect()
}

/// Walks `roots` into blocks and keeps the article prose; `title` is dropped when a heading
/// repeats it. `blank_lines_break`: a blank line inside a text node ends a block (feed
/// content written as text with a few tags).
pub(crate) fn main_text(
    roots: &[NodeRef<'_>],
    title: Option<&str>,
    blank_lines_break: bool,
    verdicts: &Verdicts,
) -> MainText {
    let collect = |classify: Classifier<'_>| {
        let mut collector = Collector {
            blank_lines_break,
            classify,
            verdicts,
            blocks: Vec::new(),
            current: String::new(),
            chars: 0,
            link_chars: 0,
            heading: None,
            pending_space: false,
            br_run: 0,
            newline_run: 0,
            link_depth: 0,
            header_depth: 0,
        };
        for root in roots {
            collector.walk_root(*root);
        }
        assemble(collector.blocks, title)
    };
    let strict = collect(Classifier::Strict(verdicts));
    if strict.text.chars().count() >= super::MIN_PAGE_TEXT_CHARS {
        return strict;
    }
    // Too little text: perhaps a wrapper inside the root has a chrome-like class
    // (`content-with-sidebar-wrp`). Walk again trusting tags and roles only.
    let relaxed = collect(Classifier::IgnoringClasses);
    if relaxed.text.len() > RESCUE_FACTOR * strict.text.len() {
        relaxed
    } else {
        strict
    }
}

/// Keeps the blocks that are article prose, in order, joined by blank lines.
fn assemble(blocks: Vec<Block>, title: Option<&str>) -> MainText {
    let mut kept: Vec<(String, bool)> = Vec::new();
    let mut dateline: Option<Dateline> = None;
    let mut body_started = false;
    // Scraps above the story, kept only when nothing else is (a short fragment).
    let mut stubs: Vec<String> = Vec::new();
    for block in blocks {
        if let Some(found) = dateline_block(&block.text) {
            // A bare date in the middle of a story may be part of it; a stamp with a
            // keyword, or any date before the story starts, is the dateline.
            if block.in_header || !body_started || found.keyword {
                dateline.get_or_insert(found);
                continue;
            }
        }
        if block.in_header || is_stock_block(&block.text) || block.link_chars * 2 > block.chars {
            continue;
        }
        if !body_started && is_byline_or_time(&block.text) {
            continue;
        }
        // The headline written as a plain block above the story (`<p class="title">`).
        if !body_started && title.is_some_and(|t| same_words(t, &block.text)) {
            continue;
        }
        if !body_started && is_stub(&block) {
            stubs.push(block.text);
            continue;
        }
        match block.heading {
            Some(level) => {
                let is_headline = (level == 1 && !body_started)
                    || title.is_some_and(|t| same_words(t, &block.text));
                if is_headline {
                    continue;
                }
            }
            None => body_started = true,
        }
        kept.push((block.text, block.heading.is_some()));
    }
    if kept.is_empty() {
        kept = stubs.into_iter().map(|text| (text, false)).collect();
    }
    // A heading with nothing after it titles a list that was dropped ("Related links").
    while kept.last().is_some_and(|(_, heading)| *heading) {
        kept.pop();
    }
    let kept: Vec<String> = kept.into_iter().map(|(text, _)| text).collect();
    MainText {
        text: kept.join("\n\n"),
        dateline,
    }
}

/// A scrap above the story that is no sentence: a bare date ("Nov 8"), a label, a kicker.
fn is_stub(block: &Block) -> bool {
    block.heading.is_none()
        && block.chars < STUB_CHARS
        && !block.text.ends_with(['.', '!', '?', '"', '\u{201d}'])
}

/// Blocks above the story shorter than this (non-space characters) and not ending a
/// sentence are not article text.
const STUB_CHARS: usize = 20;

/// Equal ignoring case, punctuation and spacing. Compared as it goes, without copies:
/// asked of every block before the body starts, it is nearly always false at once.
fn same_words(a: &str, b: &str) -> bool {
    fn letters(s: &str) -> impl Iterator<Item = char> + '_ {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
    }
    letters(a).eq(letters(b))
}

/// Turns a subtree into blocks of collapsed text.
struct Collector<'v> {
    blocks: Vec<Block>,
    current: String,
    chars: usize,
    link_chars: usize,
    heading: Option<u8>,
    pending_space: bool,
    /// Consecutive `<br>`s since the last text: two end a block.
    br_run: usize,
    /// Newlines in the whitespace since the last text.
    newline_run: usize,
    link_depth: usize,
    header_depth: usize,
    blank_lines_break: bool,
    /// How elements are classified for this walk.
    classify: Classifier<'v>,
    /// The document's own verdicts, for measuring mixed-signal elements.
    verdicts: &'v Verdicts,
}

impl Collector<'_> {
    fn walk_root(&mut self, root: NodeRef<'_>) {
        // Measured only when a mixed-signal element needs comparing with its root.
        let mut root_chars: Option<usize> = None;
        walk(root, |step| match step {
            Step::Open(node) => match node.value() {
                Node::Element(element) => {
                    if node != root && !self.enter(node, element, root, &mut root_chars) {
                        return false;
                    }
                    self.open_element(element);
                    true
                }
                Node::Text(text) => {
                    self.push_text(text);
                    false
                }
                Node::Document | Node::Fragment => true,
                _ => false,
            },
            Step::Close(node) => {
                if let Some(element) = node.value().as_element() {
                    self.close_element(node, element);
                }
                true
            }
        });
        self.flush();
    }

    /// Whether to walk into an element below the root.
    fn enter(
        &mut self,
        node: NodeRef<'_>,
        element: &Element,
        root: NodeRef<'_>,
        root_chars: &mut Option<usize>,
    ) -> bool {
        // An article inside the article root is a teaser card or a related story.
        if element.name() == "article"
            && root
                .value()
                .as_element()
                .is_some_and(|r| r.name() == "article")
        {
            return false;
        }
        match self.classify.of(node, element) {
            Verdict::Keep => true,
            Verdict::Noise | Verdict::Chrome => false,
            Verdict::Header => {
                self.flush();
                self.header_depth += 1;
                true
            }
            Verdict::MixedChrome => {
                let verdicts = self.verdicts;
                let keep_text = |n: NodeRef<'_>, e: &Element| verdicts.of(n, e) != Verdict::Noise;
                let total = *root_chars.get_or_insert_with(|| text_weight(root, keep_text).0);
                // Chrome by one class and content by another: keep it if it is most of
                // the article (`entry-content has-share-buttons`).
                text_weight(node, keep_text).0 * 2 >= total
            }
        }
    }

    fn open_element(&mut self, element: &Element) {
        let name = element.name();
        match name {
            "br" => {
                self.br_run += 1;
                self.pending_space = true;
            }
            "td" | "th" => self.pending_space = true,
            "a" => self.link_depth += 1,
            _ if is_block(name) => {
                self.flush();
                self.heading = heading_level(name);
            }
            _ => {}
        }
    }

    fn close_element(&mut self, node: NodeRef<'_>, element: &Element) {
        let name = element.name();
        if name == "a" {
            self.link_depth = self.link_depth.saturating_sub(1);
        } else if is_block(name) {
            self.flush();
            self.heading = None;
            if name == "header" && self.classify.of(node, element) == Verdict::Header {
                self.header_depth = self.header_depth.saturating_sub(1);
            }
        }
    }

    fn push_text(&mut self, text: &str) {
        // Word by word: a break or a pending space can only happen before a word's first
        // character, so the rest of the word is copied in one go.
        let mut rest = text;
        loop {
            let word_start = rest
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len());
            if word_start > 0 {
                self.newline_run +=
                    memchr::memchr_iter(b'\n', &rest.as_bytes()[..word_start]).count();
                self.pending_space = true;
                rest = &rest[word_start..];
            }
            if rest.is_empty() {
                return;
            }
            let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let (word, after) = rest.split_at(word_end);
            if self.br_run >= 2 || (self.blank_lines_break && self.newline_run >= 2) {
                self.flush();
            }
            self.br_run = 0;
            self.newline_run = 0;
            if self.pending_space && !self.current.is_empty() {
                self.current.push(' ');
            }
            self.pending_space = false;
            self.current.push_str(word);
            let chars = if word.is_ascii() {
                word.len()
            } else {
                word.chars().count()
            };
            self.chars += chars;
            if self.link_depth > 0 {
                self.link_chars += chars;
            }
            rest = after;
        }
    }

    fn flush(&mut self) {
        if !self.current.is_empty() {
            self.blocks.push(Block {
                text: std::mem::take(&mut self.current),
                heading: self.heading,
                chars: self.chars,
                link_chars: self.link_chars,
                in_header: self.header_depth > 0,
            });
        }
        self.chars = 0;
        self.link_chars = 0;
        self.pending_space = false;
        self.br_run = 0;
        self.newline_run = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::same_words;

    #[test]
    fn same_words_ignores_case_punctuation_and_spacing_only() {
        assert!(same_words("Chip stocks rally", "CHIP STOCKS, rally!"));
        assert!(same_words("Élan's 3nm   chips", "élans 3NM chips"));
        // Lower-casing may add characters (İ is i and a combining dot), compared in full.
        assert!(same_words("İstanbul", "İSTANBUL"));
        assert!(!same_words("İstanbul", "istanbul"));
        assert!(!same_words("Chip stocks rally", "Chip stocks rally again"));
        assert!(!same_words("Chip stocks", "Chip stock"));
        assert!(same_words("", "--"));
        assert!(!same_words("", "a"));
    }
}
