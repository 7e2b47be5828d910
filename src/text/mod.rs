//! Sentence splitting with byte spans. This module owns the boundary between article text
//! and the units the rules see: paragraphs are separated by blank lines, sentences end at
//! `.`, `!`, `?` (plus closing quotes or brackets) followed by whitespace and a capital,
//! digit or opening quote, except after known abbreviations and initials ("U.S.", "Dec.",
//! "Inc.") and inside numbers ("61.83"). Spans are UTF-8 byte offsets into the text as
//! given and every sentence is the verbatim slice `text[span]`; nothing is normalised here
//! (the matcher normalises its own private copy).

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
    // split_inclusive keeps byte offsets exact whatever the line endings are.
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        if line.trim().is_empty() {
            if let Some(start) = block_start.take() {
                blocks.push((start, block_end));
            }
        } else {
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
    let chars: Vec<(usize, char)> = block.char_indices().collect();
    let mut sentence_start = 0;
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        if matches!(c, '.' | '!' | '?' | '…') {
            // Take the whole run of terminators and closing quotes/brackets ("?!", ".”").
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
                if ends_sentence(block, &chars, i, c, next) {
                    let boundary = chars.get(j).map_or(block.len(), |&(b, _)| b);
                    push_trimmed(
                        text,
                        start + sentence_start,
                        start + boundary,
                        paragraph,
                        out,
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
    push_trimmed(text, start + sentence_start, end, paragraph, out);
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '…' | '"' | '\'' | '”' | '’' | ')' | ']' | '»'
    )
}

/// Decides whether the terminator at `chars[i]` ends a sentence, given the first
/// non-space character after it.
fn ends_sentence(
    block: &str,
    chars: &[(usize, char)],
    i: usize,
    c: char,
    next: Option<char>,
) -> bool {
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
    let word_end = chars[i].0;
    let word_start = chars[..i]
        .iter()
        .rev()
        .find(|&&(_, ch)| ch.is_whitespace() || matches!(ch, '(' | '"' | '“' | '\''))
        .map_or(0, |&(b, ch)| b + ch.len_utf8());
    let word = block.get(word_start..word_end).unwrap_or("");
    if word.is_empty() {
        return true;
    }
    if ABBREVIATIONS.contains(&word) {
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
