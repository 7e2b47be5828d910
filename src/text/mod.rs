//! Sentence splitting with byte spans. This module owns the boundary between article text
//! and the units the rules see: paragraphs are separated by blank lines (each list item is
//! one too), sentences end at `.`, `!`, `?` (plus closing quotes or brackets) followed by
//! whitespace and a capital, digit or opening quote, except after known abbreviations and
//! initials ("U.S.", "Dec.", "Inc.") and inside numbers ("61.83"). Spans are UTF-8 byte
//! offsets into the text as given and every sentence is the verbatim slice `text[span]`;
//! nothing is normalised here (the matcher normalises its own private copy).

use crate::model::Span;

/// One sentence of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence<'a> {
    /// The sentence, verbatim, trimmed of surrounding whitespace.
    pub text: &'a str,
    /// Where `text` sits in the article: `&article[span.start..span.end] == text`.
    pub span: Span,
    /// 0-based index of the paragraph (blank-line separated block) holding the sentence.
    pub paragraph: usize,
}

/// Words that end with a period without ending the sentence. Compared case-sensitively
/// against the word before the period (without the period).
const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "Gen", "Gov", "Sen", "Rep", "Rev",
    "Inc", "Corp", "Co", "Ltd", "Bros", "Dept", "Univ", "Assn", "No", "Nos", "vs", "etc", "approx",
    "est", "Fig", "fig", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct",
    "Nov", "Dec", "Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun", "al",
    "cf", "ca",
];

/// Bytes in the longest of `ABBREVIATIONS`.
const LONGEST_ABBREVIATION: usize = 6;

/// Splits `text` into sentences. Never panics; every returned span lies on char
/// boundaries and round-trips to the sentence text.
pub fn split_sentences(text: &str) -> Vec<Sentence<'_>> {
    let mut out = Vec::new();
    for (paragraph, (start, end)) in paragraphs(text).into_iter().enumerate() {
        split_paragraph(text, start, end, paragraph, &mut out);
    }
    out
}

/// Byte ranges of the blank-line separated blocks that hold some non-whitespace text.
fn paragraphs(text: &str) -> Vec<(usize, usize)> {
    let mut blocks = Vec::new();
    let mut block_start: Option<usize> = None;
    let mut block_end = 0;
    let mut line_start = 0;
    let mut last_was_item = false;
    let mut last_was_heading = false;
    let mut last_closed = false;
    // split_inclusive keeps byte offsets exact whatever the line endings are.
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        if line.trim().is_empty() {
            if let Some(start) = block_start.take() {
                blocks.push((start, block_end));
            }
            last_was_item = false;
            last_was_heading = false;
        } else {
            // A list item is a block of its own: items seldom end with a period, and
            // without this a list would read as one long sentence. So is the line after
            // an item's line, or after a heading's, when it starts anew: a list's last
            // item and a headline run straight into the text after them.
            let starts_anew = line.trim_start().chars().next().is_some_and(|c| {
                c.is_uppercase() || c.is_ascii_digit() || matches!(c, '"' | '“' | '‘')
            });
            let after_item = last_was_item && starts_anew;
            let after_heading = last_was_heading && starts_anew;
            let item = is_list_item(line);
            if item || after_item || after_heading {
                if let Some(start) = block_start.take() {
                    blocks.push((start, block_end));
                }
            }
            last_was_item = item;
            // Inside a hard-wrapped sentence no line is a heading: one must open its block
            // or follow a line that closed a sentence.
            last_was_heading = is_heading(line) && (block_start.is_none() || last_closed);
            last_closed = line
                .trim_end()
                .ends_with(['.', '!', '?', ':', ';', '"', '”', ')', ']']);
            if block_start.is_none() {
                block_start = Some(line_start);
            }
            block_end = line_end;
        }
        line_start = line_end;
    }
    if let Some(start) = block_start {
        blocks.push((start, block_end));
    }
    blocks
}

/// Whether a line reads as a heading, byline or caption ending at its line break: no
/// closing punctuation, at most 20 words, and not cut after a word that needs a next one
/// (a hard-wrapped sentence: "by adding 13 entities to\nthe Entity List").
fn is_heading(line: &str) -> bool {
    const NEEDS_NEXT: &[&str] = &[
        "the", "a", "an", "of", "to", "and", "or", "in", "for", "with", "by", "on", "at", "from",
        "its", "their", "that", "as", "is", "are", "was", "were", "be", "has", "have", "will",
        "would", "this", "these", "but", "than", "which", "who", "said", "says",
    ];
    let line = line.trim_end();
    // A comma or a dash at the end carries on onto the next line.
    if line.is_empty() || !ends_open(line) || line.ends_with([',', '-', '–', '—']) {
        return false;
    }
    let words = line.split_whitespace().count();
    let last_word = line.split_whitespace().last().unwrap_or("").to_lowercase();
    words <= 20 && !NEEDS_NEXT.contains(&last_word.as_str())
}

/// Whether `text` ends without closing punctuation, as headlines, headings and captions
/// do (the rules let the body's report of an event outweigh a headline's).
pub fn ends_open(text: &str) -> bool {
    !text
        .trim_end()
        .ends_with(['.', '!', '?', ':', ';', '…', '"', '\'', '”', '’', ')', ']'])
}

/// Whether a line opens a list item: a bullet ("•", "-", "*", ...) and a space.
fn is_list_item(line: &str) -> bool {
    let mut chars = line.trim_start().chars();
    matches!(
        chars.next(),
        Some('•' | '●' | '▪' | '◦' | '·' | '-' | '*' | '–')
    ) && chars.next().is_some_and(char::is_whitespace)
}

fn split_paragraph<'a>(
    text: &'a str,
    start: usize,
    end: usize,
    paragraph: usize,
    out: &mut Vec<Sentence<'a>>,
) {
    let Some(block) = text.get(start..end) else {
        return;
    };
    // Byte offsets throughout: only the few characters around a terminator are decoded.
    let char_at = |at: usize| block.get(at..).and_then(|rest| rest.chars().next());
    let mut terminators = Terminators::new(block);
    let mut sentence_start = 0;
    let mut from = 0;
    while let Some((i, c)) = terminators.next_from(from) {
        // Take the whole run of terminators and closing quotes/brackets ("?!", ".”").
        let mut j = i + c.len_utf8();
        while let Some(ch) = char_at(j).filter(|&ch| is_closer(ch)) {
            j += ch.len_utf8();
        }
        if char_at(j).is_some_and(char::is_whitespace) {
            let mut k = j;
            while let Some(ch) = char_at(k).filter(|ch| ch.is_whitespace()) {
                k += ch.len_utf8();
            }
            if ends_sentence(block, i, c, char_at(k)) {
                push_trimmed(text, start + sentence_start, start + j, paragraph, out);
                sentence_start = k;
                from = k;
                continue;
            }
        }
        from = j;
    }
    push_trimmed(text, start + sentence_start, end, paragraph, out);
}

/// The terminators of a block (`.`, `!`, `?`, `…`) in order, found with two vectorised
/// byte searches: one for the ASCII three, one for the ellipsis.
struct Terminators<'a> {
    bytes: &'a [u8],
    /// The next `.`, `!` or `?` at or after the last position asked for, if any.
    ascii: Option<usize>,
    ellipsis: Option<usize>,
}

impl<'a> Terminators<'a> {
    fn new(block: &'a str) -> Self {
        let bytes = block.as_bytes();
        Terminators {
            bytes,
            ascii: memchr::memchr3(b'.', b'!', b'?', bytes),
            ellipsis: memchr::memmem::find(bytes, "…".as_bytes()),
        }
    }

    /// The first terminator at or after byte `from` and its byte offset; `from` never
    /// decreases from one call to the next.
    fn next_from(&mut self, from: usize) -> Option<(usize, char)> {
        let bytes = self.bytes;
        if self.ascii.is_some_and(|at| at < from) {
            self.ascii = bytes
                .get(from..)
                .and_then(|rest| memchr::memchr3(b'.', b'!', b'?', rest))
                .map(|at| from + at);
        }
        if self.ellipsis.is_some_and(|at| at < from) {
            self.ellipsis = bytes
                .get(from..)
                .and_then(|rest| memchr::memmem::find(rest, "…".as_bytes()))
                .map(|at| from + at);
        }
        match (self.ascii, self.ellipsis) {
            (Some(a), Some(e)) if e < a => Some((e, '…')),
            (Some(a), _) => Some((a, char::from(bytes[a]))),
            (None, Some(e)) => Some((e, '…')),
            (None, None) => None,
        }
    }
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '…' | '"' | '\'' | '”' | '’' | ')' | ']' | '»'
    )
}

/// Decides whether the terminator `c` at byte `word_end` of `block` ends a sentence,
/// given the first non-space character after it.
fn ends_sentence(block: &str, word_end: usize, c: char, next: Option<char>) -> bool {
    let Some(next) = next else {
        return true;
    };
    // A lower-case continuation ("e.g. the", "approx. five") is never a new sentence.
    let starts_new = next.is_uppercase()
        || next.is_ascii_digit()
        || matches!(next, '"' | '\'' | '“' | '‘' | '(' | '[' | '«');
    if !starts_new {
        return false;
    }
    if c != '.' {
        return true;
    }
    // The word right before the period decides: abbreviations and initials keep going.
    let before = block.get(..word_end).unwrap_or("");
    let word_start = before
        .char_indices()
        .rev()
        .find(|&(_, ch)| ch.is_whitespace() || matches!(ch, '(' | '"' | '“' | '\''))
        .map_or(0, |(b, ch)| b + ch.len_utf8());
    let word = block.get(word_start..word_end).unwrap_or("");
    if word.is_empty() {
        return true;
    }
    // (Most words before a period are longer than any abbreviation: no list search.)
    if word.len() <= LONGEST_ABBREVIATION && ABBREVIATIONS.contains(&word) {
        return false;
    }
    // Initials and dotted abbreviations: "J.", "U.S.", "U.K.", "a.m.".
    let letters = word.chars().filter(|ch| ch.is_alphabetic()).count();
    if letters == 1 && word.chars().count() == 1 && word.chars().all(|ch| ch.is_uppercase()) {
        return false;
    }
    if word.contains('.') && word.split('.').all(|part| part.chars().count() <= 2) {
        return false;
    }
    true
}

fn push_trimmed<'a>(
    text: &'a str,
    start: usize,
    end: usize,
    paragraph: usize,
    out: &mut Vec<Sentence<'a>>,
) {
    let Some(raw) = text.get(start..end) else {
        return;
    };
    let lead = raw.len() - raw.trim_start().len();
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return;
    }
    let s = start + lead;
    out.push(Sentence {
        text: trimmed,
        span: Span {
            start: s,
            end: s + trimmed.len(),
        },
        paragraph,
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        split_sentences(text).iter().map(|s| s.text).collect()
    }

    #[test]
    fn splits_table() {
        let cases: &[(&str, &[&str])] = &[
            ("One. Two.", &["One.", "Two."]),
            ("Is it? Yes! Done.", &["Is it?", "Yes!", "Done."]),
            (
                "The U.S. Commerce Department acted. Then more.",
                &["The U.S. Commerce Department acted.", "Then more."],
            ),
            (
                "Delivery by Dec. 31 is planned. Fine.",
                &["Delivery by Dec. 31 is planned.", "Fine."],
            ),
            (
                "Nvidia Corp. and Apple Inc. signed. Ok.",
                &["Nvidia Corp. and Apple Inc. signed.", "Ok."],
            ),
            (
                "It is worth $61.83 million. Next.",
                &["It is worth $61.83 million.", "Next."],
            ),
            (
                "He said \"stop.\" Then left.",
                &["He said \"stop.\"", "Then left."],
            ),
            (
                "e.g. this is one. And two",
                &["e.g. this is one.", "And two"],
            ),
            ("No terminator", &["No terminator"]),
            ("", &[]),
            ("   \n\n  ", &[]),
            (
                "Sales rose 5.5 percent. Good.",
                &["Sales rose 5.5 percent.", "Good."],
            ),
            (
                "Mr. Smith left. 2024 came.",
                &["Mr. Smith left.", "2024 came."],
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(texts(input), *expected, "input: {input:?}");
        }
    }

    #[test]
    fn list_items_are_sentences_of_their_own() {
        let text = "Highlights\n  • Commerce declined to comment\n  • The US put Huawei on \
                    the entity list in May 2019\n- Sales rose\ncontinued here.\nA-1 stays.\n- Last item\nAccordingly, the \
                    paragraph goes on.";
        assert_eq!(
            texts(text),
            [
                "Highlights",
                "• Commerce declined to comment",
                "• The US put Huawei on the entity list in May 2019",
                "- Sales rose\ncontinued here.",
                "A-1 stays.",
                "- Last item",
                "Accordingly, the paragraph goes on."
            ]
        );
    }

    #[test]
    fn a_heading_line_is_a_sentence_of_its_own_but_a_wrapped_line_is_not() {
        let text = "Samsung wins a big order\nSamsung said on Monday it won. It will ship\n\
                    next year.\nIn this rule, BIS adds 13 entities to\nthe Entity List under \
                    China\n(China). These entities\nAct.";
        assert_eq!(
            texts(text),
            [
                "Samsung wins a big order",
                "Samsung said on Monday it won.",
                "It will ship\nnext year.",
                "In this rule, BIS adds 13 entities to\nthe Entity List under China\n(China).",
                "These entities\nAct."
            ]
        );
    }

    #[test]
    fn paragraphs_are_counted_and_spans_round_trip() {
        let text = "Dateline here\n\nFirst one. Second one.\r\n\r\n  Third – with ’quotes’.  \n";
        let sentences = split_sentences(text);
        let paragraphs: Vec<usize> = sentences.iter().map(|s| s.paragraph).collect();
        assert_eq!(paragraphs, vec![0, 1, 1, 2]);
        for s in &sentences {
            assert_eq!(&text[s.span.start..s.span.end], s.text);
            assert_eq!(s.text, s.text.trim());
        }
    }

    /// The splitter as it was before it worked on bytes (a vector of every character):
    /// the byte-offset version must split every text the same way.
    fn reference_split(text: &str) -> Vec<Sentence<'_>> {
        let mut out = Vec::new();
        for (paragraph, (start, end)) in paragraphs(text).into_iter().enumerate() {
            let block = &text[start..end];
            let chars: Vec<(usize, char)> = block.char_indices().collect();
            let mut sentence_start = 0;
            let mut i = 0;
            while i < chars.len() {
                let (_, c) = chars[i];
                if matches!(c, '.' | '!' | '?' | '…') {
                    let mut j = i + 1;
                    while j < chars.len() && is_closer(chars[j].1) {
                        j += 1;
                    }
                    if j < chars.len() && chars[j].1.is_whitespace() {
                        let mut k = j;
                        while k < chars.len() && chars[k].1.is_whitespace() {
                            k += 1;
                        }
                        let next = chars.get(k).map(|&(_, ch)| ch);
                        if ends_sentence(block, chars[i].0, c, next) {
                            let boundary = chars.get(j).map_or(block.len(), |&(b, _)| b);
                            push_trimmed(
                                text,
                                start + sentence_start,
                                start + boundary,
                                paragraph,
                                &mut out,
                            );
                            sentence_start = chars.get(k).map_or(block.len(), |&(b, _)| b);
                            i = k;
                            continue;
                        }
                    }
                    i = j;
                    continue;
                }
                i += 1;
            }
            push_trimmed(text, start + sentence_start, end, paragraph, &mut out);
        }
        out
    }

    #[test]
    fn no_abbreviation_is_longer_than_the_bound() {
        assert!(ABBREVIATIONS
            .iter()
            .all(|a| a.len() <= LONGEST_ABBREVIATION));
        assert!(ABBREVIATIONS
            .iter()
            .any(|a| a.len() == LONGEST_ABBREVIATION));
    }

    #[test]
    fn byte_splitter_agrees_with_the_character_splitter() {
        let pieces = [
            "Word",
            "word",
            " ",
            "  ",
            "\n",
            "\n\n",
            "\r\n",
            "\t",
            "\u{a0}",
            "\u{2003}",
            "\u{3000}",
            ".",
            ". ",
            "! ",
            "? ",
            "?!",
            "…",
            "… ",
            "...",
            "\"",
            "'",
            "”",
            "’",
            ")",
            "]",
            "»",
            "(",
            "[",
            "«",
            "“",
            "‘",
            "U.S.",
            "Dr.",
            "Inc.",
            "e.g.",
            "J.",
            "a.m.",
            "61.83",
            "2024",
            "É",
            "é",
            "ü",
            "Ü",
            "\u{E000}",
            "—",
            "–",
            "\u{2026}x",
            "\u{e2}",
            "Σ",
            "ß",
            "İ",
            "\u{212A}",
            "x.Y",
            ".\u{a0}A",
            "No.",
            "1.",
            "a",
            "A",
            "7",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..4_000 {
            let len = (next() % 40) as usize;
            let text: String = (0..len)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            assert_eq!(split_sentences(&text), reference_split(&text), "{text:?}");
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/eval");
        let mut read = 0;
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "txt") {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                assert_eq!(split_sentences(&text), reference_split(&text));
                read += 1;
            }
        }
        assert!(read > 50, "only {read} texts read from {dir}");
    }

    #[test]
    fn odd_input_does_not_panic() {
        let long = "word ".repeat(20_000);
        for text in [
            ".",
            "...",
            "?!",
            "\u{E000}\u{E001}. \u{E000}",
            "é. É. ü",
            "a.\n\n\n.b",
            long.as_str(),
        ] {
            for s in split_sentences(text) {
                assert_eq!(&text[s.span.start..s.span.end], s.text);
            }
        }
    }
}
