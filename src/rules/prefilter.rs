//! The article-level prefilters. This module owns the cheap tests that let extraction skip
//! text: the head words of every frame, found once over the whole article (most articles
//! hold none and are never split into sentences), and regex lists matched as one pattern
//! (`AnyOf`) or screened with one set pass before their captures run (`regex_set`).
//!
//! Both are exact: a sentence holds a head word as a whole word exactly when a whole-word
//! hit of the article lies inside its span, because sentences begin and end at
//! whitespace or at the ends of the article (see `crate::text`), so a boundary seen from
//! the sentence is a boundary seen from the article.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// Every frame's first head word, matched without regard to ASCII case.
#[derive(Debug)]
pub struct HeadWords {
    automaton: AhoCorasick,
}

/// Where an article holds a head word as a whole word: `(start, end)` byte ranges sorted
/// by start.
#[derive(Debug, Default)]
pub struct HeadHits {
    spans: Vec<(usize, usize)>,
}

impl HeadWords {
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Result<HeadWords, String> {
        let mut words: Vec<&str> = words.into_iter().collect();
        words.sort_unstable();
        // Overlapping matches, so a head word inside a longer word ("use" in "because")
        // does not hide the real one after it. A DFA: a few hundred short words make a
        // small one, and it scans several times faster than the NFA.
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&words)
            .map_err(|e| e.to_string())?;
        Ok(HeadWords { automaton })
    }

    /// The whole-word head words of `text` (no ASCII letter or digit on either side).
    pub fn find(&self, text: &str) -> HeadHits {
        let bytes = text.as_bytes();
        let is_word = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_alphanumeric);
        let mut spans: Vec<(usize, usize)> = self
            .automaton
            .find_overlapping_iter(text)
            .filter(|m| !is_word(m.end()) && (m.start() == 0 || !is_word(m.start() - 1)))
            .map(|m| (m.start(), m.end()))
            .collect();
        spans.sort_unstable();
        HeadHits { spans }
    }
}

impl HeadHits {
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Whether a hit lies wholly inside `start..end`.
    pub fn within(&self, start: usize, end: usize) -> bool {
        let first = self.spans.partition_point(|&(s, _)| s < start);
        self.spans
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&(s, _)| s < end)
            .any(|&(_, e)| e <= end)
    }
}

/// A list of regexes asked only whether any of them matches: one alternation, one scan.
#[derive(Debug, Default)]
pub struct AnyOf {
    joined: Option<Regex>,
}

impl AnyOf {
    /// Joins regexes that each compiled alone (so errors name the one at fault). Each
    /// keeps its own group, so its inline flags stay its own.
    pub fn new(parts: &[Regex]) -> Result<AnyOf, regex::Error> {
        if parts.is_empty() {
            return Ok(AnyOf { joined: None });
        }
        let alternation: Vec<String> = parts
            .iter()
            .map(|r| format!("(?:{})", r.as_str()))
            .collect();
        let joined = RegexBuilder::new(&alternation.join("|")).build()?;
        Ok(AnyOf {
            joined: Some(joined),
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.joined.as_ref().is_some_and(|r| r.is_match(text))
    }
}

/// Folds a list of regexes that is only asked whether any of them matches (`is_empty`,
/// `iter().any(|r| r.is_match(..))`) into a list of one: their alternation, which gives
/// the same answers in one scan. The list stays as it is when the alternation does not
/// compile.
pub fn fold_any(list: &mut Vec<Regex>) {
    if list.len() < 2 {
        return;
    }
    if let Ok(AnyOf {
        joined: Some(joined),
    }) = AnyOf::new(list)
    {
        *list = vec![joined];
    }
}

/// A set of `regexes`, in order: one pass tells which of them match at all, so only those
/// run for their captures. `None` when it cannot be built (then every regex runs).
pub fn regex_set<'a>(regexes: impl IntoIterator<Item = &'a Regex>) -> Option<RegexSet> {
    let sources: Vec<&str> = regexes.into_iter().map(Regex::as_str).collect();
    if sources.is_empty() {
        return None;
    }
    RegexSetBuilder::new(sources)
        .size_limit(32 << 20)
        .build()
        .ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::text::split_sentences;

    /// The article-level answer equals the one a per-sentence scan gives.
    #[test]
    fn article_hits_agree_with_sentence_scans() {
        let heads = HeadWords::new(["order", "use", "ban", "re-export", "u.s"]).unwrap();
        let texts = [
            "Because of the ban, orders fell. Order\u{a0}books. Use it.\n\nRe-export: banned? BAN!",
            "An order. Disorder. Border.Order ordering.\n   order\r\n\r\nunused (ban) “ban”",
            "Ünorder éban ban€ US u.s. U.S.-made Mr. Order left. 3.order",
            "",
            "no heads at all here",
        ];
        for text in texts {
            let hits = heads.find(text);
            for s in split_sentences(text) {
                let alone = heads.find(s.text);
                assert_eq!(
                    hits.within(s.span.start, s.span.end),
                    !alone.is_empty(),
                    "{:?} in {text:?}",
                    s.text
                );
            }
        }
        assert!(heads.find("no heads at all here").is_empty());
    }

    #[test]
    fn any_of_keeps_each_pattern_s_flags() {
        let parts = [
            Regex::new("(?i)abc").unwrap(),
            Regex::new("x|(?-i)Y").unwrap(),
        ];
        let any = AnyOf::new(&parts).unwrap();
        for text in ["ABC", "y", "Y", "x", "zzz", ""] {
            assert_eq!(
                any.is_match(text),
                parts.iter().any(|r| r.is_match(text)),
                "{text}"
            );
        }
        assert!(!AnyOf::new(&[]).unwrap().is_match("anything"));
    }

    #[test]
    fn a_folded_list_answers_as_the_list_did() {
        let list = vec![
            Regex::new(r"(?i)\bno plans?\b").unwrap(),
            Regex::new(r"n't\b|(?-i)NOT").unwrap(),
            Regex::new(r"(?i)(?:rumou?rs?) (?:that|of)\b.*\b(?:false)\b").unwrap(),
        ];
        let mut folded = list.clone();
        fold_any(&mut folded);
        assert_eq!(folded.len(), 1);
        for text in [
            "No plan here",
            "it isn't",
            "NOT",
            "not",
            "rumours that it left were FALSE",
            "rumours that it left",
            "",
        ] {
            assert_eq!(
                folded.iter().any(|r| r.is_match(text)),
                list.iter().any(|r| r.is_match(text)),
                "{text}"
            );
        }
        let mut empty: Vec<Regex> = Vec::new();
        fold_any(&mut empty);
        assert!(empty.is_empty());
    }
}
