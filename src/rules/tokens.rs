//! Typed tokens. This module owns cutting one annotated sentence (see `annotate`) into the
//! units frames reason over: lower-cased words, entity placeholders (organisations,
//! products, jurisdictions, agencies, numbers, money, dates) and punctuation, plus the
//! closed-class word lists (prepositions, auxiliaries, clause openers) that tell a word's
//! job without a part-of-speech tagger.

use std::ops::Deref;
use std::sync::OnceLock;

use compact_str::CompactString;

use super::annotate::{Annotated, CLOSE, OPEN};
use super::word_table::WordTable;

/// One token of a typed sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A word, lower-cased; `'s` after a name is its own word. Held inline (no allocation)
    /// up to 24 bytes, as nearly every word is.
    Word(CompactString),
    /// An annotation: its index in `Annotated::annotations` and its type letter.
    Ent(usize, char),
    /// Any other character that is not whitespace.
    Punct(char),
}

impl Tok {
    pub fn word(&self) -> Option<&str> {
        match self {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }

    pub fn is_word(&self, w: &str) -> bool {
        self.word() == Some(w)
    }

    pub fn letter(&self) -> Option<char> {
        match self {
            Tok::Ent(_, l) => Some(*l),
            _ => None,
        }
    }

    pub fn is_punct(&self, c: char) -> bool {
        matches!(self, Tok::Punct(p) if *p == c)
    }
}

/// The tokens of an annotated sentence, in order.
pub fn tokenize(ann: &Annotated) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = ann.typed.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == OPEN {
            let mut letter = ' ';
            let mut digits = String::new();
            for (_, d) in chars.by_ref() {
                if d == CLOSE {
                    break;
                }
                if letter == ' ' {
                    letter = d;
                } else {
                    digits.push(d);
                }
            }
            if let Ok(i) = digits.parse::<usize>() {
                out.push(Tok::Ent(i, letter));
            }
        } else if c.is_alphanumeric() {
            // The word is the run of characters taken below, lower-cased.
            let mut end = at + c.len_utf8();
            let mut ascii = c.is_ascii();
            while let Some(&(_, d)) = chars.peek() {
                if d.is_alphanumeric() {
                    end += d.len_utf8();
                    ascii &= d.is_ascii();
                    chars.next();
                } else if d == '\'' || d == '.' {
                    // "don't" and "Inc." stay one word; "Nvidia's" becomes two.
                    let mut ahead = chars.clone();
                    ahead.next();
                    let next = ahead.peek().map(|&(_, n)| n);
                    if d == '\'' && next.is_some_and(|n| n == 's' || n == 'S') {
                        let after = {
                            let mut a = ahead.clone();
                            a.next();
                            a.peek().map(|&(_, n)| n)
                        };
                        if !after.is_some_and(char::is_alphanumeric) {
                            break;
                        }
                    }
                    if next.is_some_and(char::is_alphanumeric) {
                        end += 1;
                        chars.next();
                    } else {
                        break;
                    }
                } else {
                    break;
                }
            }
            let run = ann.typed.get(at..end).unwrap_or_default();
            out.push(Tok::Word(lowercase(run, ascii)));
        } else if c == '\'' {
            // A possessive after a name or placeholder: "Nvidia's", "Nvidia'".
            let next = chars.peek().map(|&(_, n)| n);
            if next.is_some_and(|n| n == 's' || n == 'S') {
                let mut ahead = chars.clone();
                ahead.next();
                if !ahead.peek().is_some_and(|&(_, n)| n.is_alphanumeric()) {
                    chars.next();
                    out.push(Tok::Word(CompactString::const_new("'s")));
                    continue;
                }
            }
            if matches!(out.last(), Some(Tok::Ent(..))) {
                out.push(Tok::Word(CompactString::const_new("'s")));
                continue;
            }
            out.push(Tok::Punct('\''));
        } else if !c.is_whitespace() {
            out.push(Tok::Punct(c));
        }
    }
    out
}

/// Whether a sentence whose verbatim text is `text` can have the lower-case ASCII `word`
/// among its word tokens. A word token is a run of the text's own letters lower-cased, so
/// it needs `word` in the text in some ASCII letter case, or one of the two non-ASCII
/// letters whose lower case holds an ASCII one (KELVIN SIGN, U+0130). A necessary test:
/// a sentence failing it need not be annotated to know the word is not there.
pub fn may_hold_word(text: &str, word: &str) -> bool {
    let (hay, needle) = (text.as_bytes(), word.as_bytes());
    let Some(&first) = needle.first() else {
        return true;
    };
    let found = memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), hay)
        .any(|at| {
            hay.get(at..at + needle.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        });
    found || (!text.is_ascii() && text.contains(['\u{212A}', '\u{130}']))
}

/// `run` lower-cased: copied whole and lowered in place when it is ASCII, as nearly every
/// word of news text is, else a character at a time.
fn lowercase(run: &str, ascii: bool) -> CompactString {
    if ascii {
        let mut word = CompactString::new(run);
        word.make_ascii_lowercase();
        return word;
    }
    let mut word = CompactString::default();
    for c in run.chars() {
        push_lowercase(&mut word, c);
    }
    word
}

/// Appends `c` lower-cased; ASCII without the Unicode tables.
fn push_lowercase(word: &mut CompactString, c: char) {
    if c.is_ascii() {
        word.push(c.to_ascii_lowercase());
    } else {
        word.extend(c.to_lowercase());
    }
}

/// A closed list of words, asked whether it holds a word. The frames ask these lists for
/// nearly every token they walk over, so a look-up hashes the word once instead of
/// comparing it with each entry; the list itself stays readable (`Deref` to the slice).
#[derive(Debug)]
pub struct WordSet {
    words: &'static [&'static str],
    index: OnceLock<WordTable>,
}

impl WordSet {
    pub const fn new(words: &'static [&'static str]) -> WordSet {
        WordSet {
            words,
            index: OnceLock::new(),
        }
    }

    /// Whether `word` is one of the list's words (the signature of `<[&str]>::contains`).
    pub fn contains(&self, word: &&str) -> bool {
        self.index
            .get_or_init(|| self.words.iter().copied().collect())
            .contains(word)
    }
}

impl Deref for WordSet {
    type Target = [&'static str];

    fn deref(&self) -> &[&'static str] {
        self.words
    }
}

/// A list of words a rule pack gives (lower-cased), asked whether it holds a word.
#[derive(Debug, Default)]
pub struct Words {
    list: Vec<String>,
    table: WordTable,
}

impl Words {
    pub fn contains(&self, word: &str) -> bool {
        self.table.contains(word)
    }
}

impl Deref for Words {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.list
    }
}

impl Extend<String> for Words {
    fn extend<I: IntoIterator<Item = String>>(&mut self, words: I) {
        for w in words {
            self.table.insert(&w);
            self.list.push(w);
        }
    }
}

/// Prepositions and the pseudo-prepositions that introduce a role ("worth", "valued at").
pub static PREPOSITIONS: WordSet = WordSet::new(&[
    "from",
    "to",
    "with",
    "by",
    "for",
    "of",
    "on",
    "in",
    "into",
    "at",
    "against",
    "under",
    "over",
    "via",
    "through",
    "toward",
    "towards",
    "about",
    "after",
    "before",
    "since",
    "until",
    "within",
    "without",
    "including",
    "between",
    "among",
    "amid",
    "despite",
    "like",
    "worth",
    "than",
    "per",
    "upon",
    "across",
    "behind",
    "beyond",
    "besides",
    "except",
    "excluding",
    "involving",
    "regarding",
    "concerning",
    "targeting",
    "affecting",
    "covering",
    "following",
]);

/// Auxiliaries and modals: skipped between a subject and its verb.
pub static AUXILIARIES: WordSet = WordSet::new(&[
    "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "having", "will",
    "would", "shall", "should", "can", "could", "may", "might", "must", "do", "does", "did", "'s",
]);

/// Forms of "be" (and "get") that make a following participle passive.
pub static PASSIVE_AUX: WordSet = WordSet::new(&[
    "is", "are", "was", "were", "be", "been", "being", "get", "gets", "got", "gotten",
]);

/// Words that open a new clause: arguments are not looked for across them.
pub static CLAUSE_OPENERS: WordSet = WordSet::new(&[
    "which",
    "as",
    "who",
    "whom",
    "whose",
    "while",
    "whereas",
    "although",
    "though",
    "but",
    "because",
    "unless",
    "if",
    "whether",
    "where",
    "when",
    "yet",
    "so",
    "meanwhile",
    "however",
]);

/// Determiners and quantifier words that may sit inside a noun phrase.
pub static DETERMINERS: WordSet = WordSet::new(&[
    "a", "an", "the", "this", "that", "these", "those", "its", "their", "his", "her", "our", "my",
    "your", "some", "any", "all", "each", "every", "another", "other", "more", "most", "several",
    "many", "few", "both", "such", "no",
]);

/// Pronouns and descriptions that refer back to an organisation named earlier.
pub static ORG_PRONOUNS: WordSet = WordSet::new(&["it", "they"]);

/// Head nouns of descriptions that refer back to an organisation ("the company", "the
/// Chinese search giant", "the chipmaker").
pub static ORG_NOUNS: WordSet = WordSet::new(&[
    "company",
    "firm",
    "group",
    "giant",
    "chipmaker",
    "maker",
    "startup",
    "start-up",
    "designer",
    "provider",
    "operator",
    "developer",
    "manufacturer",
    "supplier",
    "vendor",
    "conglomerate",
    "carrier",
    "lab",
    "laboratory",
    "hyperscaler",
    "corporation",
    "unit",
    "subsidiary",
    "business",
    "player",
    "titan",
    "behemoth",
    "powerhouse",
    "foundry",
    "venture",
    "outfit",
    "carmaker",
    "automaker",
    "retailer",
    "bank",
]);

/// Plural descriptions that refer back to several organisations named together ("the
/// two companies", "the Chinese groups").
pub static ORG_PLURALS: WordSet = WordSet::new(&[
    "companies",
    "firms",
    "groups",
    "giants",
    "chipmakers",
    "makers",
    "startups",
    "operators",
    "hyperscalers",
    "players",
    "conglomerates",
    "carriers",
    "labs",
    "laboratories",
]);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::rules::annotate::Annotation;

    fn toks(typed: &str) -> Vec<Tok> {
        tokenize(&Annotated {
            typed: typed.to_string(),
            annotations: Vec::<Annotation>::new(),
        })
    }

    #[test]
    fn a_word_among_the_tokens_is_in_the_text() {
        let texts = [
            "The Company said the chipmaker's unit, a startup, grew.",
            "the CHIPMAKER\u{2019}s firm",
            "a chipma\u{212A}er",
            "start-up firms and vendors",
            "no such nouns here",
            "",
        ];
        for text in texts {
            for word in [
                "company",
                "chipmaker",
                "firm",
                "startup",
                "start-up",
                "unit",
                "vendor",
            ] {
                if toks(text).iter().any(|t| t.is_word(word)) {
                    assert!(may_hold_word(text, word), "{word} in {text:?}");
                }
            }
        }
        assert!(!may_hold_word("The firm said", "company"));
        assert!(may_hold_word("a chipma\u{212A}er", "chipmaker"));
        assert!(toks("a chipma\u{212A}er")
            .iter()
            .any(|t| t.is_word("chipmaker")));
        assert!(may_hold_word("the COMPANY", "company"));
    }

    #[test]
    fn words_placeholders_and_possessives() {
        let t = toks("\u{E000}O0\u{E001}'s order for \u{E000}N12\u{E001} chips, it's said.");
        assert_eq!(
            t,
            vec![
                Tok::Ent(0, 'O'),
                Tok::Word("'s".into()),
                Tok::Word("order".into()),
                Tok::Word("for".into()),
                Tok::Ent(12, 'N'),
                Tok::Word("chips".into()),
                Tok::Punct(','),
                // "it's" is "it is": the contraction reads like a possessive "'s".
                Tok::Word("it".into()),
                Tok::Word("'s".into()),
                Tok::Word("said".into()),
                Tok::Punct('.'),
            ]
        );
    }

    #[test]
    fn hyphens_and_dots() {
        let t = toks("U.S.-based high-end chips Inc. don't");
        let words: Vec<String> = t
            .iter()
            .map(|t| match t {
                Tok::Word(w) => w.to_string(),
                Tok::Punct(c) => c.to_string(),
                Tok::Ent(..) => "E".into(),
            })
            .collect();
        assert_eq!(
            words,
            ["u.s", ".", "-", "based", "high", "-", "end", "chips", "inc", ".", "don't"]
        );
    }
}
