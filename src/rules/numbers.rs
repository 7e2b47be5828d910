//! Built-in recognisers for quantities and money. This module owns reading "1,600",
//! "1.6 million", "10k", "$61.83 million", "US$1.2bn" and "450 million yuan" into values.
//! Approximations ("approximately", "more than", ...) are absorbed into the token so rule
//! patterns need not mention them, and the stated number is kept. Arithmetic is exact on
//! integers (no `61.83 * 1e6` rounding noise) and overflow drops the value, never panics.

use std::sync::OnceLock;

use regex::{Captures, Regex};

use crate::model::Money;

use super::matcher::ascii_boundaries;

/// A recognised token: byte range in the sentence and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<T> {
    pub start: usize,
    pub end: usize,
    pub value: T,
}

const APPROX: &str = r"(?:(?:approximately|approx\.|about|around|roughly|nearly|almost|some|over|more\s+than|less\s+than|fewer\s+than|at\s+least|up\s+to|close\s+to|an\s+estimated|as\s+many\s+as|as\s+much\s+as)\s+)?";
// Thousands grouped by commas, or by spaces as in much of the world ("12 000 GPUs").
const NUM: &str = r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]{1,3}(?:[ \u{A0}\u{202F}][0-9]{3})+|[0-9]+(?:\.[0-9]+)?)";
const SCALE_WORD: &str = r"(?:\s+(?P<word>(?i:thousand|million|billion|trillion)))";

fn number_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let p = format!(
            r"(?i:{APPROX})(?:^|\b){NUM}(?:{SCALE_WORD}|(?P<abbr>k|K|mn|bn)\b)?(?:[^\p{{L}}\p{{N}}_]|$)"
        );
        #[allow(clippy::expect_used)] // a constant pattern: tested, cannot fail at run time
        Regex::new(&ascii_boundaries(&p)).expect("number pattern compiles")
    })
}

fn money_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let prefix = r"(?P<pre>US\$|USD\s?|HK\$|NT\$|S\$|A\$|C\$|\$|€|EUR\s?|£|GBP\s?|¥|RMB\s?|CNY\s?|JPY\s?|KRW\s?|₩|₹)";
        let suffix = r"(?P<post>(?:US\s+)?dollars|USD|yuan|renminbi|RMB|CNY|euros?|EUR|yen|JPY|won|KRW|pounds|GBP|rupees)";
        let scale = r"(?:\s*(?P<word>(?i:thousand|million|billion|trillion))|\s?(?P<abbr>k|K|m|M|mn|bn|b|B|tn)\b)";
        let p = format!(
            r"(?i:{APPROX})(?:{prefix}{NUM}{scale}?|\b{NUM2}{scale2}?\s+{suffix}\b)",
            NUM2 = NUM.replace("?P<num>", "?P<num2>"),
            scale2 = scale.replace("?P<word>", "?P<word2>").replace("?P<abbr>", "?P<abbr2>"),
        );
        #[allow(clippy::expect_used)] // a constant pattern: tested, cannot fail at run time
        Regex::new(&ascii_boundaries(&p)).expect("money pattern compiles")
    })
}

/// Every quantity in `text`. Numbers glued to letters ("H100", "910B") are not quantities.
pub fn find_numbers(text: &str) -> Vec<Found<Option<f64>>> {
    let mut out = Vec::new();
    // A number in digits holds an ASCII digit (`NUM`); many sentences have none.
    let in_digits = has_digit(text).then(|| number_regex().captures_iter(text));
    for caps in in_digits.into_iter().flatten() {
        let (Some(all), Some(num)) = (caps.get(0), caps.name("num")) else {
            continue;
        };
        // A digit run preceded by a letter or digit is part of a model name.
        if text[..num.start()]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '$')
        {
            continue;
        }
        let scale = scale_of(caps.name("word").or(caps.name("abbr")).map(|m| m.as_str()));
        let end = caps
            .name("word")
            .or(caps.name("abbr"))
            .map_or(num.end(), |m| m.end());
        // "6 gigawatts", "7 nanometres", "12%", "30 years" measure something else; "RTX
        // 3000 series" names a line of models.
        if unit_regex().is_match(&text[end..]) {
            continue;
        }
        out.push(Found {
            start: all.start(),
            end,
            value: scale.and_then(|s| scaled(num.as_str(), s)),
        });
    }
    // "one million TPUs", "half a million GPUs": a number word before a scale word.
    for caps in number_word_regex().captures_iter(text) {
        let (Some(all), Some(word), Some(scale)) =
            (caps.get(0), caps.name("small"), caps.name("word"))
        else {
            continue;
        };
        if unit_regex().is_match(&text[all.end()..]) {
            continue;
        }
        let small = word.as_str().to_ascii_lowercase();
        // The word as the digits `scaled` reads ("half a" is 0.5).
        let digits = match small.split_whitespace().next().unwrap_or("") {
            "a" | "one" => "1",
            "half" => "0.5",
            "two" => "2",
            "three" => "3",
            "four" => "4",
            "five" => "5",
            "six" => "6",
            "seven" => "7",
            "eight" => "8",
            "nine" => "9",
            "ten" => "10",
            _ => continue,
        };
        let value = scale_of(Some(scale.as_str())).and_then(|e| scaled(digits, e));
        out.push(Found {
            start: all.start(),
            end: all.end(),
            value,
        });
    }
    out
}

fn number_word_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let p = format!(
            r"(?i:{APPROX})\b(?P<small>(?i:a|one|two|three|four|five|six|seven|eight|nine|ten|half\s+a))\s+(?P<word>(?i:thousand|million|billion))\b"
        );
        #[allow(clippy::expect_used)] // a constant pattern: tested, cannot fail at run time
        Regex::new(&ascii_boundaries(&p)).expect("number word pattern compiles")
    })
}

fn has_digit(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit())
}

fn unit_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        #[allow(clippy::expect_used)] // a constant pattern: tested, cannot fail at run time
        Regex::new(&ascii_boundaries(
            r"(?i)^(?:\s*(?:%|percent\b|per\s+cent\b)|[\s-]*(?:gigawatts?|GW|megawatts?|MW|kilowatts?|kW|nanomet(?:re|er)s?|nm|years?|months?|weeks?|days?|hours?|minutes?|layers?|times|petaflops|exaflops|teraflops|parameters|people|employees|workers|staff|engineers|companies|firms|entities|countries|nations|series|family|generation)\b)",
        ))
        .expect("unit pattern compiles")
    })
}

/// An amount as stated, with the US-dollar figure the text gives for it: the amount itself
/// when it is in dollars, or a gloss right after it ("450 million yuan ($61.83 million)").
#[derive(Debug, Clone, PartialEq)]
pub struct Amount {
    pub money: Money,
    pub usd: Option<f64>,
}

/// Every amount of money in `text`; a dollar gloss in brackets joins the amount before it.
pub fn find_amounts(text: &str) -> Vec<Found<Option<Amount>>> {
    let found = find_money(text);
    let mut out: Vec<Found<Option<Amount>>> = Vec::with_capacity(found.len());
    let mut i = 0;
    while i < found.len() {
        let f = &found[i];
        let usd_of = |m: &Money| (m.currency == "USD").then_some(m.amount);
        let mut item = Found {
            start: f.start,
            end: f.end,
            value: f.value.as_ref().map(|m| Amount {
                money: m.clone(),
                usd: usd_of(m),
            }),
        };
        if let Some(next) = found.get(i + 1) {
            let between = text.get(f.end..next.start).unwrap_or("x");
            let after = text.get(next.end..).unwrap_or("");
            let closing = after.len() - after.trim_start().len();
            let opens = between.trim().len() == 1 && between.trim().starts_with(['(', '[']);
            let closes = after.trim_start().starts_with([')', ']']);
            let gloss = next.value.as_ref().and_then(usd_of);
            if let (true, true, Some(usd), Some(amount)) = (opens, closes, gloss, &mut item.value) {
                if amount.usd.is_none() {
                    amount.usd = Some(usd);
                }
                item.end = next.end + closing + 1;
                i += 1;
            }
        }
        out.push(item);
        i += 1;
    }
    out
}

/// Every amount of money in `text`, with its ISO 4217 currency.
pub fn find_money(text: &str) -> Vec<Found<Option<Money>>> {
    let mut out = Vec::new();
    // Every amount holds an ASCII digit (`NUM`).
    if !has_digit(text) {
        return out;
    }
    for caps in money_regex().captures_iter(text) {
        let Some(all) = caps.get(0) else { continue };
        let mut value = money_value(&caps);
        // "¥" is written for yen and for yuan; a sentence about Japan means yen.
        let yen_sign = caps.name("pre").is_some_and(|p| p.as_str() == "¥");
        if let (true, Some(v)) = (yen_sign, value.as_mut()) {
            if japanese_context(text) {
                v.currency = "JPY".into();
            }
        }
        out.push(Found {
            start: all.start(),
            end: all.end(),
            value,
        });
    }
    out
}

/// Whether a sentence speaks of Japan (for the currency of "¥").
fn japanese_context(text: &str) -> bool {
    ["Japan", "Tokyo", "yen", "JPY"]
        .iter()
        .any(|w| text.contains(w))
}

fn money_value(caps: &Captures<'_>) -> Option<Money> {
    let (num, scale, currency) = if let Some(num) = caps.name("num") {
        let cur = currency_code(caps.name("pre")?.as_str())?;
        let scale = caps.name("word").or(caps.name("abbr")).map(|m| m.as_str());
        (num.as_str(), scale, cur)
    } else {
        let cur = currency_code(caps.name("post")?.as_str())?;
        let scale = caps
            .name("word2")
            .or(caps.name("abbr2"))
            .map(|m| m.as_str());
        (caps.name("num2")?.as_str(), scale, cur)
    };
    let amount = scaled(num, scale_of(scale)?)?;
    Some(Money {
        amount,
        currency: currency.to_string(),
    })
}

fn currency_code(sym: &str) -> Option<&'static str> {
    let s = sym.trim().to_ascii_lowercase();
    let code = match s.as_str() {
        "us$" | "$" | "usd" | "dollars" => "USD",
        "hk$" => "HKD",
        "nt$" => "TWD",
        "s$" => "SGD",
        "a$" => "AUD",
        "c$" => "CAD",
        "€" | "eur" | "euro" | "euros" => "EUR",
        "£" | "gbp" | "pounds" => "GBP",
        // "¥" is written for both yuan and yen; in chip-trade news it is far more often
        // yuan, and the value is kept as stated either way.
        "¥" | "rmb" | "cny" | "yuan" | "renminbi" => "CNY",
        "jpy" | "yen" => "JPY",
        "krw" | "₩" | "won" => "KRW",
        "₹" | "rupees" => "INR",
        _ if s.starts_with("us") && s.ends_with("dollars") => "USD",
        _ => return None,
    };
    Some(code)
}

/// The power of ten a scale word or abbreviation stands for (`None` input: 1).
fn scale_of(word: Option<&str>) -> Option<u32> {
    let Some(word) = word else { return Some(0) };
    Some(match word.to_ascii_lowercase().as_str() {
        "thousand" | "k" => 3,
        "million" | "m" | "mn" => 6,
        "billion" | "b" | "bn" => 9,
        "trillion" | "tn" => 12,
        _ => return None,
    })
}

/// `digits` (with thousands commas and an optional decimal part) times 10^`exp`,
/// computed on integers; `None` when it does not fit.
pub fn scaled(digits: &str, exp: u32) -> Option<f64> {
    let clean: String = digits
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '\u{A0}' | '\u{202F}'))
        .collect();
    let (int, frac) = clean.split_once('.').unwrap_or((clean.as_str(), ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let frac = &frac[..frac.len().min(18)];
    let mut mantissa: u128 = 0;
    for c in int.chars().chain(frac.chars()) {
        let d = c.to_digit(10)?;
        mantissa = mantissa.checked_mul(10)?.checked_add(u128::from(d))?;
    }
    let frac_len = u32::try_from(frac.len()).ok()?;
    if exp >= frac_len {
        let factor = 10u128.checked_pow(exp - frac_len)?;
        let v = mantissa.checked_mul(factor)?;
        // Beyond 2^53 an f64 is no longer exact; such "numbers" are noise, not amounts.
        (v <= (1u128 << 53)).then_some(v as f64)
    } else {
        let divisor = 10u128.checked_pow(frac_len - exp)?;
        if mantissa > (1u128 << 53) {
            return None;
        }
        Some(mantissa as f64 / divisor as f64)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_table() {
        let cases: &[(&str, Option<(&str, f64)>)] = &[
            ("ordered 1,600 chips", Some(("1,600", 1600.0))),
            ("1.6 million units", Some(("1.6 million", 1_600_000.0))),
            ("some 10k GPUs", Some(("some 10k", 10_000.0))),
            ("more than 5,000 H20", Some(("more than 5,000", 5000.0))),
            (
                "up to one million TPUs",
                Some(("up to one million", 1_000_000.0)),
            ),
            ("half a million GPUs", Some(("half a million", 500_000.0))),
            (
                "nearly a million chips",
                Some(("nearly a million", 1_000_000.0)),
            ),
            ("two thousand racks", Some(("two thousand", 2_000.0))),
            ("acquired 12 000 Nvidia GPUs", Some(("12 000", 12_000.0))),
            ("1\u{A0}500 accelerators", Some(("1\u{A0}500", 1_500.0))),
            ("in 2019 and 2021", Some(("2019", 2_019.0))),
            ("one million people", None),
            ("the H100 chip", None),
            ("the 910B", None),
            ("v2.5", None),
            ("99999999999999999999999999999999999999999 chips", None),
        ];
        for (text, expected) in cases {
            let found = find_numbers(text);
            match expected {
                Some((token, value)) => {
                    let f = found
                        .first()
                        .unwrap_or_else(|| panic!("no number in {text}"));
                    assert_eq!(&text[f.start..f.end], *token, "{text}");
                    assert_eq!(f.value, Some(*value), "{text}");
                }
                None => assert!(found.iter().all(|f| f.value.is_none()), "{text}: {found:?}"),
            }
        }
    }

    #[test]
    fn money_table() {
        let cases: &[(&str, &str, f64, &str)] = &[
            (
                "worth approximately $61.83 million and",
                "approximately $61.83 million",
                61_830_000.0,
                "USD",
            ),
            ("for US$1.2bn.", "US$1.2bn", 1_200_000_000.0, "USD"),
            (
                "paid 450 million yuan",
                "450 million yuan",
                450_000_000.0,
                "CNY",
            ),
            ("for $300 million.", "$300 million", 300_000_000.0, "USD"),
            (
                "about €2 billion",
                "about €2 billion",
                2_000_000_000.0,
                "EUR",
            ),
            ("cost $1,250", "$1,250", 1250.0, "USD"),
            ("cost $19.99 each", "$19.99", 19.99, "USD"),
            ("5 billion US dollars", "5 billion US dollars", 5e9, "USD"),
            ("a USD 3 Billion agreement", "USD 3 Billion", 3e9, "USD"),
        ];
        for (text, token, amount, currency) in cases {
            let found = find_money(text);
            let f = found
                .first()
                .unwrap_or_else(|| panic!("no money in {text}"));
            assert_eq!(&text[f.start..f.end], *token, "{text}");
            let m = f.value.clone().unwrap();
            assert_eq!(m.amount, *amount, "{text}");
            assert_eq!(m.currency, *currency, "{text}");
        }
        assert!(find_money("no money here, 1,600 chips").is_empty());
    }

    #[test]
    fn a_dollar_gloss_joins_the_amount_it_translates() {
        let text = "worth 450 million yuan ($61.83 million), it said";
        let found = find_amounts(text);
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(&text[f.start..f.end], "450 million yuan ($61.83 million)");
        let a = f.value.clone().unwrap();
        assert_eq!((a.money.amount, a.money.currency.as_str()), (450e6, "CNY"));
        assert_eq!(a.usd, Some(61_830_000.0));
        let plain = find_amounts("for €2 billion and $5 million");
        assert_eq!(plain.len(), 2);
        assert_eq!(plain[0].value.as_ref().unwrap().usd, None);
        assert_eq!(plain[1].value.as_ref().unwrap().usd, Some(5e6));
    }

    #[test]
    fn the_yen_sign_is_yen_in_a_sentence_about_japan() {
        let cny = find_money("Alibaba paid ¥2 billion for the chips.");
        assert_eq!(cny[0].value.as_ref().unwrap().currency, "CNY");
        let jpy = find_money("Japan's Sakura Internet paid ¥40 billion for the GPUs.");
        assert_eq!(jpy[0].value.as_ref().unwrap().currency, "JPY");
    }

    #[test]
    fn measures_are_not_quantities() {
        for text in [
            "6 gigawatts of GPUs",
            "7 nanometres",
            "up 12% on",
            "over 30 years",
            "a 12-layer stack",
            "RTX 3000 series GPUs",
        ] {
            assert!(find_numbers(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn scaled_is_exact_and_overflow_safe() {
        assert_eq!(scaled("61.83", 6), Some(61_830_000.0));
        assert_eq!(scaled("0.1", 0), Some(0.1));
        assert_eq!(scaled("1", 40), None);
        assert_eq!(scaled(".", 0), None);
    }
}
