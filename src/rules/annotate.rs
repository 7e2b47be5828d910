//! Sentence annotation. This module owns turning one verbatim sentence into a *typed*
//! sentence: every gazetteer mention, number, amount of money and date is replaced by a
//! placeholder `\u{E000}` + type letter + index + `\u{E001}`, and quotes, dashes and
//! whitespace are normalised — in this private copy only, so evidence and spans stay
//! verbatim. Rule patterns are regexes over the typed sentence; slot values are read back
//! from the placeholders a capture group contains.

use std::sync::OnceLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::model::PartialDate;

use super::dates::find_dates;
use super::gazetteer::{EntityRef, Gazetteer};
use super::names::find_names;
use super::numbers::{find_amounts, find_numbers, Amount};

pub const OPEN: char = '\u{E000}';
pub const CLOSE: char = '\u{E001}';

/// What an annotation stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Entity(EntityRef),
    /// `None` when the number is too large or malformed to use.
    Number(Option<f64>),
    Money(Option<Amount>),
    /// `None` when the date cannot be resolved (e.g. no publication date).
    Date(Option<PartialDate>),
    /// An organisation the gazetteer does not know, by the name the text gives it.
    Name(String),
}

impl Value {
    /// The type letter used in placeholders and slot patterns.
    pub fn letter(&self) -> char {
        match self {
            Value::Entity(EntityRef::Org(_)) | Value::Name(_) => 'O',
            Value::Entity(EntityRef::Product(_)) => 'P',
            Value::Entity(EntityRef::Jurisdiction(_)) => 'J',
            Value::Entity(EntityRef::Agency(_)) => 'A',
            Value::Number(_) => 'N',
            Value::Money(_) => 'M',
            Value::Date(_) => 'D',
        }
    }
}

#[derive(Debug, Clone)]
pub struct Annotation {
    pub value: Value,
    /// A jurisdiction named as its government ("the UK government", "US officials"),
    /// which can buy chips, unlike the country as a destination.
    pub government: bool,
}

/// A sentence with its annotations and typed copy.
#[derive(Debug, Clone)]
pub struct Annotated {
    pub typed: String,
    pub annotations: Vec<Annotation>,
}

impl Annotated {
    /// The annotations whose placeholders lie inside `typed[start..end]`, in order.
    pub fn placeholders_in(&self, start: usize, end: usize) -> Vec<&Annotation> {
        let Some(part) = self.typed.get(start..end) else {
            return Vec::new();
        };
        placeholder_regex()
            .captures_iter(part)
            .filter_map(|c| c.get(1)?.as_str().parse::<usize>().ok())
            .filter_map(|i| self.annotations.get(i))
            .collect()
    }
}

/// Legal suffixes that may follow a company's name ("Co Ltd", ", Inc.").
fn corporate_suffix() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    #[allow(clippy::expect_used)] // constant pattern
    RE.get_or_init(|| {
        // The rest of a registered name may come first: capitalised words and a place
        // in brackets ("GMC Semiconductor Technology (Wuxi) Co").
        Regex::new(r"^(?:\s+[A-Z][A-Za-z&-]*){0,5}?(?:\s+\([A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)?\))?(?:,?\s+(?:Co\.,?|Co|Ltd\.|Ltd|Inc\.|Inc|Corp\.|Corp|Corporation|Limited|LLC|PLC|plc|AG|N\.V\.|NV|SE|S\.A\.))+\b\.?")
            .expect("suffix regex")
    })
}

pub fn placeholder_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    #[allow(clippy::expect_used)] // constant pattern
    RE.get_or_init(|| Regex::new("\u{E000}[A-Z]([0-9]+)\u{E001}").expect("placeholder regex"))
}

/// Annotates `sentence`. Candidates from every recogniser compete: the longest span wins,
/// ties go to money, then dates, then the gazetteer, then plain numbers, then names the
/// gazetteer does not know (so "$61.83
/// million" is money, not a number, and "910B Ascend" a product, not 910).
pub fn annotate(gazetteer: &Gazetteer, sentence: &str, published: Option<NaiveDate>) -> Annotated {
    let mut candidates: Vec<(usize, usize, u8, Value)> = Vec::new();
    for f in find_amounts(sentence) {
        candidates.push((f.start, f.end, 0, Value::Money(f.value)));
    }
    for f in find_dates(sentence, published) {
        candidates.push((f.start, f.end, 1, Value::Date(f.value)));
    }
    for h in gazetteer.scan(sentence) {
        candidates.push((h.start, h.end, 2, Value::Entity(h.entity)));
    }
    for f in find_numbers(sentence) {
        candidates.push((f.start, f.end, 3, Value::Number(f.value)));
    }
    // Names the gazetteer does not know, unless they hold one it does ("Huawei
    // Technologies Co" is Huawei).
    for f in find_names(sentence) {
        let holds_known = candidates
            .iter()
            .any(|c| c.2 == 2 && c.0 < f.end && c.1 > f.start);
        if !holds_known {
            candidates.push((f.start, f.end, 4, Value::Name(f.name)));
        }
    }
    candidates.retain(|c| c.1 > c.0);
    // Longest first, then by priority, then leftmost; then keep what does not overlap.
    candidates.sort_by(|a, b| {
        (b.1 - b.0)
            .cmp(&(a.1 - a.0))
            .then(a.2.cmp(&b.2))
            .then(a.0.cmp(&b.0))
    });
    let mut kept: Vec<(usize, usize, Value)> = Vec::new();
    for (start, end, _, value) in candidates {
        if kept.iter().all(|k| end <= k.0 || start >= k.1) {
            kept.push((start, end, value));
        }
    }
    kept.sort_by_key(|k| k.0);
    // "Huawei Technologies Co Ltd": a company's legal suffixes belong to its name.
    // Whatever the suffix covers ("(Wuxi)", "(Beijing)") is part of the name, not a
    // place or a name of its own.
    let mut i = 0;
    while i < kept.len() {
        if matches!(kept[i].2, Value::Entity(EntityRef::Org(_)) | Value::Name(_)) {
            let end = kept[i].1;
            if let Some(m) = sentence
                .get(end..)
                .and_then(|rest| corporate_suffix().find(rest))
            {
                let new_end = end + m.end();
                let swallowed = kept[i + 1..].iter().take_while(|k| k.1 <= new_end).count();
                // A suffix ending inside the next name leaves both as they were.
                if kept.get(i + 1 + swallowed).is_none_or(|k| k.0 >= new_end) {
                    kept.drain(i + 1..i + 1 + swallowed);
                    kept[i].1 = new_end;
                }
            }
        }
        i += 1;
    }

    let mut typed = String::with_capacity(sentence.len() + 16);
    let mut annotations = Vec::with_capacity(kept.len());
    let mut pos = 0;
    for (start, end, value) in kept {
        if let Some(between) = sentence.get(pos..start) {
            push_normalised(&mut typed, between);
        }
        typed.push(OPEN);
        typed.push(value.letter());
        typed.push_str(&annotations.len().to_string());
        typed.push(CLOSE);
        let government = matches!(value, Value::Entity(EntityRef::Jurisdiction(_)))
            && sentence.get(start..end).is_some_and(|t| {
                [
                    "government",
                    "administration",
                    "authorities",
                    "officials",
                    "ministry",
                ]
                .iter()
                .any(|w| t.contains(w))
                    || sentence[end..].trim_start().starts_with("government")
            });
        annotations.push(Annotation { value, government });
        pos = end;
    }
    if let Some(rest) = sentence.get(pos..) {
        push_normalised(&mut typed, rest);
    }
    // Trimmed in place: the copy is kept only for leading whitespace, which the
    // normalisation never writes.
    let end = typed.trim_end().len();
    typed.truncate(end);
    if typed.starts_with(char::is_whitespace) {
        typed = typed.trim_start().to_string();
    }
    Annotated { typed, annotations }
}

/// Appends `text` with curly quotes straightened, dashes made ASCII, whitespace runs
/// collapsed, and any private-use placeholder characters in the input blanked out (so an
/// article cannot forge a placeholder).
fn push_normalised(out: &mut String, text: &str) {
    let mut rest = text;
    while !rest.is_empty() {
        // Runs of ASCII other than whitespace and '`', most of a sentence, stay as they are.
        let plain = rest
            .bytes()
            .position(|b| !b.is_ascii() || b == b' ' || (b'\t'..=b'\r').contains(&b) || b == b'`')
            .unwrap_or(rest.len());
        out.push_str(&rest[..plain]);
        rest = &rest[plain..];
        let Some(c) = rest.chars().next() else {
            break;
        };
        rest = &rest[c.len_utf8()..];
        push_normal_char(out, c);
    }
}

/// Appends one character as the typed sentence holds it: quotes and dashes made ASCII,
/// placeholder characters and whitespace made a space, no space at the start or twice.
fn push_normal_char(out: &mut String, c: char) {
    let c = match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '`' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => '-',
        OPEN | CLOSE => ' ',
        c if c.is_whitespace() => ' ',
        c => c,
    };
    if c == ' ' && (out.ends_with(' ') || out.is_empty()) {
        return;
    }
    out.push(c);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::rules::pack::RawPack;

    fn gazetteer() -> Gazetteer {
        let pack: RawPack = toml::from_str(
            r#"
            [[organisations]]
            name = "Huawei"
            [[organisations]]
            name = "Baidu"
            [[products]]
            name = "Ascend 910B"
            vendor = "Huawei"
            "#,
        )
        .unwrap();
        let mut g = Gazetteer::default();
        g.add_pack("t.toml", &pack).unwrap();
        g.finish().unwrap();
        g
    }

    #[test]
    fn typed_sentence_replaces_mentions_and_normalises() {
        let g = gazetteer();
        let s = "Baidu reportedly ordered 1,600 Huawei 910B Ascend AI chips – worth $61.83 million, it’s said.";
        let a = annotate(&g, s, NaiveDate::from_ymd_opt(2023, 11, 9));
        assert_eq!(
            a.typed,
            "\u{E000}O0\u{E001} reportedly ordered \u{E000}N1\u{E001} \u{E000}O2\u{E001} \u{E000}P3\u{E001} AI chips - worth \u{E000}M4\u{E001}, it's said."
        );
        assert_eq!(a.annotations[3].value, Value::Entity(EntityRef::Product(0)));
        assert_eq!(a.placeholders_in(0, a.typed.len()).len(), 5);
    }

    /// The normalisation a character at a time: copying plain ASCII runs whole must give
    /// the same string for any text.
    fn reference_normalised(out: &mut String, text: &str) {
        for c in text.chars() {
            push_normal_char(out, c);
        }
    }

    #[test]
    fn normalising_agrees_with_the_character_loop() {
        let pieces = [
            "ab",
            "A.",
            " ",
            "  ",
            "\t",
            "\n",
            "\u{b}",
            "\u{c}",
            "\r",
            "`",
            "'",
            "\u{2019}",
            "\u{201C}",
            "\u{2014}",
            "\u{2212}",
            "\u{a0}",
            "\u{2003}",
            "\u{E000}",
            "\u{E001}",
            "é",
            "€",
            "\u{85}",
            "\u{1F600}",
            "-",
            "\"",
            "$5",
        ];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..3_000 {
            let mut text = String::new();
            let mut prefix = String::new();
            for n in 0..(seed % 24) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let piece = pieces[(seed % pieces.len() as u64) as usize];
                if n == 0 && seed.is_multiple_of(3) {
                    prefix.push_str(piece);
                } else {
                    text.push_str(piece);
                }
            }
            seed = seed.wrapping_add(0x9E37_79B9);
            // Appending to a string that already holds something, as `annotate` does.
            let (mut fast, mut slow) = (prefix.clone(), prefix);
            push_normalised(&mut fast, &text);
            reference_normalised(&mut slow, &text);
            assert_eq!(fast, slow, "{text:?}");
        }
    }

    #[test]
    fn forged_placeholders_are_blanked() {
        let g = gazetteer();
        let a = annotate(&g, "\u{E000}O0\u{E001}\u{E000}\u{E001}", None);
        assert!(a.annotations.is_empty());
        assert!(a.placeholders_in(0, a.typed.len()).is_empty());
    }
}
