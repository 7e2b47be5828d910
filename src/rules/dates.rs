//! Built-in date recogniser. This module owns finding date expressions in a sentence and
//! resolving them to partial dates against the article's publication day, following the
//! DESIGN.md table: explicit days, months, years, quarters and halves, "by the end of the
//! year/month/quarter", "effective immediately", "within 30 days", weekdays. A month or
//! weekday without a year takes its year from the publication date and the sentence's
//! tense: past tense with a later month means the previous year, future tense with an
//! earlier month the next year. Without a publication date only absolute dates resolve.

use std::sync::OnceLock;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use regex::{Captures, Regex};

use crate::model::PartialDate;

use super::matcher::ascii_boundaries;
use super::numbers::Found;

/// The tense of a sentence, as far as dates need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tense {
    Past,
    Present,
    Future,
    /// No usable tense: the year that puts the date nearest the publication day.
    Nearest,
    /// "last December": strictly before the publication month.
    StrictPast,
    /// "next March": strictly after the publication month.
    StrictFuture,
}

/// A coarse, sentence-level guess: future cues win, then past cues. Good enough for
/// choosing the year of "in October"; a clause-level reading would be better.
pub fn tense_of(sentence: &str) -> Tense {
    static FUTURE: OnceLock<Regex> = OnceLock::new();
    static PAST: OnceLock<Regex> = OnceLock::new();
    #[allow(clippy::expect_used)] // constant patterns, covered by tests
    let future = FUTURE.get_or_init(|| {
        Regex::new(&ascii_boundaries(r"(?i)\b(?:will|would|shall|is\s+expected|are\s+expected|is\s+set\s+to|are\s+set\s+to|plans?\s+to|planning\s+to|is\s+scheduled|are\s+scheduled|going\s+to|is\s+due|are\s+due|next)\b"))
            .expect("future pattern compiles")
    });
    #[allow(clippy::expect_used)]
    let past = PAST.get_or_init(|| {
        Regex::new(&ascii_boundaries(
            r"(?i)\b(?:was|were|had|did|went|came|took|began|became|made|said|announced|\w+ed)\b",
        ))
        .expect("past pattern compiles")
    });
    if future.is_match(sentence) {
        Tense::Future
    } else if past.is_match(sentence) {
        Tense::Past
    } else {
        Tense::Present
    }
}

/// "effective December 1", "starting in March", "until June" name a date whose tense is
/// not the sentence's ("restricted exports, effective September 1" may be past or coming):
/// in a future-tense sentence it is future, otherwise the nearest such date.
fn local_tense(text: &str, start: usize, sentence: Tense) -> Tense {
    let before = text.get(..start).unwrap_or("");
    let mut words = before.split_whitespace().rev();
    let cue = |w: Option<&str>| {
        w.is_some_and(|w| {
            matches!(
                w.to_ascii_lowercase().as_str(),
                "effective" | "starting" | "beginning" | "until" | "till"
            )
        })
    };
    let last = words.next();
    let second = words.next();
    let third = words.next();
    let preposition =
        last.is_some_and(|w| matches!(w.to_ascii_lowercase().as_str(), "in" | "on" | "from"));
    // "the controls it announced on October 9", "a ban imposed in December": a verb in
    // the past right before the date dates a past act, whatever the sentence's tense;
    // not a participle after a form of "be" ("will be delivered in December").
    let past_verb = |w: Option<&str>, before: Option<&str>| {
        let passive = before.is_some_and(|b| {
            matches!(
                b.to_ascii_lowercase().as_str(),
                "be" | "been" | "being" | "is" | "are" | "to" | "get" | "gets"
            )
        });
        !passive
            && w.is_some_and(|w| {
                let w = w.to_ascii_lowercase();
                w.len() > 4
                    && w.ends_with("ed")
                    && !matches!(w.as_str(), "scheduled" | "planned" | "expected")
                    || matches!(w.as_str(), "took" | "began" | "came")
            })
    };
    if past_verb(last, second) || preposition && past_verb(second, third) {
        return Tense::Past;
    }
    if !(cue(last) || (preposition && cue(second))) {
        sentence
    } else if sentence == Tense::Future {
        Tense::Future
    } else {
        Tense::Nearest
    }
}

const MONTHS: &str = r"January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?";
const FULL_MONTHS: &str =
    r"January|February|March|April|May|June|July|August|September|October|November|December";

/// Resolves one match: `None` = not a date after all; `Some(None)` = a date that cannot
/// be resolved (e.g. no publication day).
type Resolve = fn(&Captures<'_>, &str, Option<NaiveDate>, Tense) -> Option<Option<PartialDate>>;

/// One recogniser: the regex, and how to turn a match into a date. Group `t`, when
/// present, is the token (the rest is context the token must have but not include).
struct Recogniser {
    re: Regex,
    resolve: Resolve,
}

/// All recognisers' patterns as one set, in the same order.
fn recogniser_set() -> &'static regex::RegexSet {
    static SET: OnceLock<regex::RegexSet> = OnceLock::new();
    SET.get_or_init(|| {
        #[allow(clippy::expect_used)] // the same constant patterns as `recognisers`
        regex::RegexSet::new(recognisers().iter().map(|r| r.re.as_str()))
            .expect("date patterns compile")
    })
}

fn recognisers() -> &'static [Recogniser] {
    static ALL: OnceLock<Vec<Recogniser>> = OnceLock::new();
    ALL.get_or_init(|| {
        let specs: Vec<(String, Resolve)> = vec![
            // ISO: 2024-03-01
            (r"\b(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})\b".into(), |c, _, _, _| {
                let y = c.name("y")?.as_str().parse().ok()?;
                let m = c.name("mo")?.as_str().parse().ok()?;
                let d = c.name("d")?.as_str().parse().ok()?;
                Some(NaiveDate::from_ymd_opt(y, m, d).map(PartialDate::Day))
            }),
            // November 9, 2023 / Dec. 31 / March 1st
            (format!(r"\b(?P<m>{MONTHS})\s+(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>[0-9]{{4}})\b)?"), |c, _, p, t| {
                Some(day(c, p, t))
            }),
            // 9 November 2023 / 1st of March
            (format!(r"\b(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{MONTHS})(?:,?\s+(?P<y>[0-9]{{4}})\b)?"), |c, _, p, t| {
                Some(day(c, p, t))
            }),
            // October 2023
            (format!(r"\b(?P<m>{MONTHS})(?:\s+of)?,?\s+(?P<y>[0-9]{{4}})\b"), |c, _, _, _| {
                let m = month_number(c.name("m")?.as_str())?;
                let y = c.name("y")?.as_str().parse().ok()?;
                Some(Some(PartialDate::Month(y, m)))
            }),
            // (the) end of (the|this|next) year/month/quarter; end of 2024; end of March
            (format!(r"(?i:\b(?:the\s+)?end\s+of\s+)(?:(?i:(?P<rel>the|this|next)\s+)?(?P<p>(?i:year|month|quarter))\b|(?P<y>[0-9]{{4}})\b|(?P<m>{FULL_MONTHS})\b)|(?i:\byear[- ]end\b)"), |c, _, p, t| {
                Some(end_of(c, p, t))
            }),
            // Q3 2024, third quarter of 2024, second half of 2026, H2 2026
            (r"(?i:\b(?:the\s+)?)(?:\bQ(?P<q>[1-4])|(?i:(?P<qo>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter)|\bH(?P<h>[12])|(?i:(?P<ho>first|second|1st|2nd)\s+half))\b(?:(?i:\s+(?:of\s+)?)(?P<y>[0-9]{4})\b)?".into(), |c, _, p, _| {
                Some(period(c, p))
            }),
            // next year / this year / last year
            (r"(?i)\b(?P<rel>next|this|last)\s+year\b".into(), |c, _, p, _| {
                let p = p?;
                let y = match c.name("rel")?.as_str().to_ascii_lowercase().as_str() {
                    "next" => p.year() + 1,
                    "last" => p.year() - 1,
                    _ => p.year(),
                };
                Some(Some(PartialDate::Year(y)))
            }),
            // effective immediately; with immediate effect; from today; today
            (r"(?i)\b(?:(?:effective|effect)\s+(?P<t>immediately)|with\s+(?P<t3>immediate\s+effect)|(?P<t2>today))\b".into(), |_, _, p, _| {
                Some(p.map(PartialDate::Day))
            }),
            // within 30 days / in 120 days
            (r"(?i)\b(?:within|in)\s+(?P<n>[0-9]{1,4})\s+days\b".into(), |c, _, p, _| {
                let n: i64 = c.name("n")?.as_str().parse().ok()?;
                Some(p.and_then(|p| p.checked_add_signed(Duration::days(n))).map(PartialDate::Day))
            }),
            // on Monday
            (r"\b(?P<w>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b".into(), |c, _, p, t| {
                let w: Weekday = c.name("w")?.as_str().parse().ok()?;
                Some(p.and_then(|p| weekday(p, w, t)).map(PartialDate::Day))
            }),
            // in October (full month names only; "May" and "March" need a preposition)
            (format!(r"(?i:\b(?P<pre>in|since|from|by|until|till|through|before|after|during|early|mid|late|last|this|next|of)[\s-]+)?\b(?P<m>{FULL_MONTHS})\b"), |c, _, p, t| {
                let m = c.name("m")?.as_str();
                if matches!(m, "May" | "March") && c.name("pre").is_none() {
                    return None;
                }
                let m = month_number(m)?;
                // "last December", "next March": the one before or after publication.
                let t = match c.name("pre").map(|w| w.as_str().to_ascii_lowercase()) {
                    Some(w) if w == "last" => Tense::StrictPast,
                    Some(w) if w == "next" => Tense::StrictFuture,
                    _ => t,
                };
                Some(p.map(|p| PartialDate::Month(month_year(p, m, t), m)))
            }),
            // in 2024 (a bare number is a year only after a preposition)
            (r"(?i:\b(?:in|since|from|by|until|till|through|before|after|during|early|mid|late|of|fiscal|FY)[\s-]+)(?P<t>(?:19|20)[0-9]{2})\b".into(), |c, _, _, _| {
                let y = c.name("t")?.as_str().parse().ok()?;
                Some(Some(PartialDate::Year(y)))
            }),
        ];
        specs
            .into_iter()
            .map(|(p, resolve)| {
                #[allow(clippy::expect_used)] // constant patterns, covered by tests
                let re = Regex::new(&ascii_boundaries(&p)).expect("date pattern compiles");
                Recogniser { re, resolve }
            })
            .collect()
    })
}

/// Every date expression in `text` (possibly overlapping; the annotator keeps the longest).
pub fn find_dates(text: &str, published: Option<NaiveDate>) -> Vec<Found<Option<PartialDate>>> {
    // One pass over the text says which recognisers can match; only those run with
    // captures (most sentences hold one date expression or none).
    let candidates = recogniser_set().matches(text);
    if !candidates.matched_any() {
        return Vec::new();
    }
    let tense = tense_of(text);
    let mut out = Vec::new();
    for (i, r) in recognisers().iter().enumerate() {
        if !candidates.matched(i) {
            continue;
        }
        for c in r.re.captures_iter(text) {
            let Some(all) = c.get(0) else { continue };
            let token = c.name("t").or(c.name("t2")).or(c.name("t3"));
            // The token excludes a leading preposition: rules say "in {effective:date}".
            let (start, end) = match (token, c.name("pre"), c.name("m")) {
                (Some(t), _, _) => (t.start(), t.end()),
                (None, Some(_), Some(m)) => (m.start(), all.end()),
                _ => (all.start(), all.end()),
            };
            if let Some(value) =
                (r.resolve)(&c, text, published, local_tense(text, all.start(), tense))
            {
                out.push(Found { start, end, value });
            }
        }
    }
    out
}

fn month_number(name: &str) -> Option<u32> {
    let key: String = name.trim_end_matches('.').chars().take(3).collect();
    let n = match key.as_str() {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    Some(n)
}

/// The year of a month named without one (DESIGN.md: tense decides across a year end).
fn month_year(published: NaiveDate, month: u32, tense: Tense) -> i32 {
    let y = published.year();
    match tense {
        Tense::Past if month > published.month() => y - 1,
        Tense::Future if month < published.month() => y + 1,
        Tense::StrictPast if month >= published.month() => y - 1,
        Tense::StrictFuture if month <= published.month() => y + 1,
        // A present tense ("the curbs take effect on January 15") does not say which
        // side of publication the date falls on: the nearer one.
        Tense::Nearest | Tense::Present => {
            // Months apart, published month 0: pick the year within six months.
            let diff = i64::from(month) - i64::from(published.month());
            if diff > 6 {
                y - 1
            } else if diff < -6 {
                y + 1
            } else {
                y
            }
        }
        _ => y,
    }
}

fn day(c: &Captures<'_>, published: Option<NaiveDate>, tense: Tense) -> Option<PartialDate> {
    let m = month_number(c.name("m")?.as_str())?;
    let d: u32 = c.name("d")?.as_str().parse().ok()?;
    let y = match c.name("y") {
        Some(y) => y.as_str().parse().ok()?,
        None => month_year(published?, m, tense),
    };
    NaiveDate::from_ymd_opt(y, m, d).map(PartialDate::Day)
}

fn last_day_of_month(y: i32, m: u32) -> Option<NaiveDate> {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)?.pred_opt()
}

fn end_of(c: &Captures<'_>, published: Option<NaiveDate>, tense: Tense) -> Option<PartialDate> {
    if let Some(y) = c.name("y") {
        let y = y.as_str().parse().ok()?;
        return NaiveDate::from_ymd_opt(y, 12, 31).map(PartialDate::Day);
    }
    let p = published?;
    if let Some(m) = c.name("m") {
        let m = month_number(m.as_str())?;
        return last_day_of_month(month_year(p, m, tense), m).map(PartialDate::Day);
    }
    let next = c
        .name("rel")
        .is_some_and(|r| r.as_str().eq_ignore_ascii_case("next"));
    let period = c
        .name("p")
        .map_or("year".to_string(), |p| p.as_str().to_ascii_lowercase());
    let date = match period.as_str() {
        "month" => {
            let (y, m) = if next {
                if p.month() == 12 {
                    (p.year() + 1, 1)
                } else {
                    (p.year(), p.month() + 1)
                }
            } else {
                (p.year(), p.month())
            };
            last_day_of_month(y, m)
        }
        "quarter" => {
            let q_end = (p.month0() / 3 + 1) * 3;
            let (y, m) = if next {
                if q_end == 12 {
                    (p.year() + 1, 3)
                } else {
                    (p.year(), q_end + 3)
                }
            } else {
                (p.year(), q_end)
            };
            last_day_of_month(y, m)
        }
        _ => NaiveDate::from_ymd_opt(p.year() + i32::from(next), 12, 31),
    };
    date.map(PartialDate::Day)
}

fn period(c: &Captures<'_>, published: Option<NaiveDate>) -> Option<PartialDate> {
    let ordinal = |s: &str| match s.to_ascii_lowercase().as_str() {
        "first" | "1st" | "1" => Some(1),
        "second" | "2nd" | "2" => Some(2),
        "third" | "3rd" | "3" => Some(3),
        "fourth" | "4th" | "4" => Some(4),
        _ => None,
    };
    let month = if let Some(q) = c.name("q").or(c.name("qo")) {
        (ordinal(q.as_str())? - 1) * 3 + 1
    } else {
        let h = c.name("h").or(c.name("ho"))?;
        (ordinal(h.as_str())? - 1) * 6 + 1
    };
    let y = match c.name("y") {
        Some(y) => y.as_str().parse().ok()?,
        None => published?.year(),
    };
    Some(PartialDate::Month(y, month))
}

/// DESIGN.md: the nearest such day on or after publication for future tense, before it
/// otherwise (news mostly reports what happened).
fn weekday(published: NaiveDate, w: Weekday, tense: Tense) -> Option<NaiveDate> {
    let mut d = published;
    if tense == Tense::Future {
        for _ in 0..7 {
            if d.weekday() == w {
                return Some(d);
            }
            d = d.succ_opt()?;
        }
    } else {
        // "China on Tuesday banned ...", published that Tuesday: the same day.
        for _ in 0..7 {
            if d.weekday() == w {
                return Some(d);
            }
            d = d.pred_opt()?;
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The longest date found in `text`, as text and value.
    fn longest(text: &str, published: &str) -> Option<(String, String)> {
        let p = NaiveDate::parse_from_str(published, "%Y-%m-%d").ok();
        let found = find_dates(text, p);
        let best = found
            .iter()
            .max_by_key(|f| (f.end - f.start, usize::MAX - f.start))?;
        Some((
            text[best.start..best.end].to_string(),
            best.value.map_or("null".into(), |d| d.to_string()),
        ))
    }

    #[test]
    fn dates_table() {
        let pub_day = "2023-11-09";
        let cases: &[(&str, &str, &str)] = &[
            (
                "It was published on November 9, 2023.",
                "November 9, 2023",
                "2023-11-09",
            ),
            ("Delivery is expected by Dec. 31.", "Dec. 31", "2023-12-31"),
            (
                "The rules went into effect in October.",
                "October",
                "2023-10",
            ),
            ("The rules took effect in December.", "December", "2022-12"),
            ("Shipments will start in February.", "February", "2024-02"),
            (
                "It is expected to be delivered by the end of the year.",
                "the end of the year",
                "2023-12-31",
            ),
            (
                "by the end of the quarter it will ship",
                "the end of the quarter",
                "2023-12-31",
            ),
            (
                "by the end of next month it will ship",
                "the end of next month",
                "2023-12-31",
            ),
            ("by the end of 2024.", "the end of 2024", "2024-12-31"),
            ("deliveries in Q3 2024", "Q3 2024", "2024-07"),
            (
                "in the second half of 2026",
                "the second half of 2026",
                "2026-07",
            ),
            ("sales will rise next year", "next year", "2024"),
            ("since 2020", "2020", "2020"),
            (
                "The ban is effective immediately.",
                "immediately",
                "2023-11-09",
            ),
            (
                "Firms must comply within 30 days.",
                "within 30 days",
                "2023-12-09",
            ),
            (
                "The department on Tuesday barred sales.",
                "Tuesday",
                "2023-11-07",
            ),
            ("The deal will close on Monday.", "Monday", "2023-11-13"),
            ("In March 2024 it changed.", "March 2024", "2024-03"),
            ("released 2024-03-01", "2024-03-01", "2024-03-01"),
            (
                "It imposed controls, effective December 1.",
                "December 1",
                "2023-12-01",
            ),
            (
                "It imposed controls, effective February 1.",
                "February 1",
                "2024-02-01",
            ),
            (
                "It will suspend the controls it announced on October 9.",
                "October 9",
                "2023-10-09",
            ),
            ("the ban it imposed last December", "December", "2022-12"),
            (
                "China on Thursday banned exports.",
                "Thursday",
                "2023-11-09",
            ),
            ("a review due next March", "March", "2024-03"),
            (
                "It suspended the ban with immediate effect.",
                "immediate effect",
                "2023-11-09",
            ),
        ];
        for (text, token, value) in cases {
            let got = longest(text, pub_day);
            assert_eq!(got, Some((token.to_string(), value.to_string())), "{text}");
        }
    }

    #[test]
    fn not_dates() {
        for text in [
            "Nvidia may sell more.",
            "The March of progress",
            "ordered 2000 chips",
            "Feb 30",
        ] {
            let found = find_dates(text, NaiveDate::from_ymd_opt(2023, 11, 9));
            assert!(found.iter().all(|f| f.value.is_none()), "{text}: {found:?}");
        }
    }

    #[test]
    fn relative_dates_need_a_publication_day() {
        let f = find_dates("delivered by the end of the year", None);
        assert!(f.iter().all(|f| f.value.is_none()));
        let f = find_dates("on November 9, 2023", None);
        assert!(f.iter().any(|f| f.value == "2023-11-09".parse().ok()));
    }
}
