//! Dates as pages write them: machine dates in metadata (`2023-11-08T09:30:00+00:00`,
//! RFC 2822) and human datelines in the text ("Published on November 9, 2023, 7:11 am",
//! "By Jane Doe | Nov 9, 2023", "Thursday 9 November 2023 07.11 GMT").
//!
//! A date keeps its time as [`Published::Time`] only when the source states a zone; a time
//! without one says nothing about the instant, so the result is the day. Dates before 1990
//! or after tomorrow are rejected as placeholders, typos or build timestamps.

use std::sync::LazyLock;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use regex::Regex;

use super::built_in_regex;
use crate::model::Published;

/// Longest line or block that can be a dateline; a longer one is prose that happens to
/// mention a date.
const MAX_DATELINE_CHARS: usize = 200;

/// How many leading lines of a plain-text document may hold the dateline (a title and a
/// byline may come first).
const DATELINE_SEARCH_LINES: usize = 3;

const MONTH: &str = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";

/// "November 9, 2023", "Nov. 9th 2023".
static MONTH_DAY_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(&format!(
        r"(?i)(?-u:\b){MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d{{2}})(?-u:\b)"
    ))
});

/// "9 November 2023", "9th of Nov, 2023".
static DAY_MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(&format!(
        r"(?i)(?-u:\b)(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH},?\s+(?P<year>(?:19|20)\d{{2}})(?-u:\b)"
    ))
});

/// "2023-11-09", "2023/11/09". Day-first and month-first numeric dates are ambiguous and
/// left alone.
static NUMERIC_DATE: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(
        r"(?-u:\b)(?P<year>(?:19|20)\d{2})[-/.](?P<mon>\d{1,2})[-/.](?P<day>\d{1,2})(?-u:\b)",
    )
});

/// A time right after a date: ", 7:11 am", " at 07:11 GMT", "T09:30:00+00:00", " 07.11 GMT+8".
static TIME_AFTER_DATE: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(
        r"(?ix)^\s*(?:,|(?-u:\b)at(?-u:\b)|@|\||-|–|—|·|t)?\s*
          (?P<h>\d{1,2})[:.](?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?
          \s*(?P<ampm>[ap]\.?\s?m(?-u:\b)\.?)?
          (?:\s*\(?(?:
              (?P<zone>utc|gmt|z|est|edt|cdt|mst|mdt|pst|pdt|bst|cet|cest|eet|eest|jst|kst|hkt|sgt)(?-u:\b)
                  (?:\s*(?P<zoff>[+-]\d{1,2}(?::?\d{2})?))?
            | (?P<off>[+-]\d{2}:?\d{2})(?-u:\b)
            | (?-i:[A-Z]{2,4})(?-u:\b)
          )\)?)?",
    )
});

/// What may stand before the date in a dateline: a keyword, a byline, a time with its zone
/// ("Updated 11:21 pm CST, Tuesday, November 19, 2019"), a weekday.
static DATELINE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(
        r"(?ix)^\s*
          (?P<keyword>
              (?:(?:first|originally|last)\s+)?(?:published|updated|posted|modified|dated?|written)
                  (?:\s+(?:on|at))?\s*:?\s*
            | by\s+(?P<author>[^|·•–—\n]{1,80}?)\s*[|·•–—-]\s*
                  (?:(?:published|updated|posted)(?:\s+on)?\s*:?\s*)?
          )?
          (?P<time>\d{1,2}[:.]\d{2}\s*(?:[ap]\.?\s?m(?-u:\b)\.?)?\s*(?:(?-i:[A-Z]{2,4})(?-u:\b))?\s*,?\s*)?
          (?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?$",
    )
});

/// What may follow a dateline's date and time: another stamp or a byline behind a separator.
static DATELINE_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(r"(?i)^\s*(?:$|[|·•,–—(-]|updated(?-u:\b)|by(?-u:\b)|last(?-u:\b))")
});

/// A dateline found in a block or line of text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Dateline {
    pub published: Published,
    /// The name of a "By NAME | date" byline.
    pub author: Option<String>,
    /// Whether a keyword or byline introduced the date ("Published on …", "By X | …"),
    /// which sets it apart from a bare date that could be part of the story.
    pub keyword: bool,
}

/// Finds the dateline among the first lines of a plain-text document.
pub fn dateline(text: &str) -> Option<Published> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .take(DATELINE_SEARCH_LINES)
        .find_map(dateline_block)
        .map(|d| d.published)
}

/// Reads `block` (one paragraph, whitespace collapsed) as a dateline: a short line that is
/// a date with at most a keyword, a byline or a weekday before it and another stamp after.
pub(crate) fn dateline_block(block: &str) -> Option<Dateline> {
    let block = block.trim();
    if block.is_empty() || block.chars().count() > MAX_DATELINE_CHARS {
        return None;
    }
    let found = find_date(block)?;
    let prefix = DATELINE_PREFIX.captures(&block[..found.start])?;
    if !DATELINE_SUFFIX.is_match(&block[found.end..]) {
        return None;
    }
    let mut published = found.published;
    // The time written before the date, when none follows it.
    if let (Published::Day(day), Some(time)) = (&published, prefix.name("time")) {
        if let Some(captures) = TIME_AFTER_DATE.captures(time.as_str()) {
            if let (Some(clock), Some(offset)) = (clock_time(&captures), zone_offset(&captures)) {
                if let Some(t) = offset.from_local_datetime(&day.and_time(clock)).single() {
                    published = Published::Time(t);
                }
            }
        }
    }
    if !plausible(&published) {
        return None;
    }
    let author = prefix
        .name("author")
        .map(|m| m.as_str().trim().to_string())
        .filter(|a| !a.is_empty());
    Some(Dateline {
        published,
        author,
        keyword: prefix.name("keyword").is_some(),
    })
}

/// Parses a machine-readable date from metadata (`content`, `datetime`, JSON-LD), falling
/// back to a human date inside the value.
pub(crate) fn parse_date_value(value: &str) -> Option<Published> {
    let value = value.trim();
    if value.is_empty() || value.len() > 100 {
        return None;
    }
    if let Some(time) = parse_timestamp(value) {
        return Some(Published::Time(time));
    }
    // A timestamp without a zone, or a bare day: the day is all it tells.
    if let Some(day) = value
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    {
        return Some(Published::Day(day));
    }
    find_date(value).map(|f| f.published)
}

/// Whether a date can be an article's publication date: not before 1990, not after
/// tomorrow (a day of slack for zones and clock skew).
/// A date in a URL's path: `/2023/11/09/`, `/2023-11-09/`, `/20231109/`. A year and
/// month alone (`/2019/11/`) say too little and are left alone.
static URL_DATE: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(
        r"/(?P<year>(?:19|20)\d{2})(?:/(?P<mon>\d{1,2})/(?P<day>\d{1,2})|-(?P<mon2>\d{2})-(?P<day2>\d{2})|(?P<mon3>\d{2})(?P<day3>\d{2}))(?:[/_-]|$)",
    )
});

/// The publication day a page's URL states, if plausible.
pub(crate) fn url_date(url: &str) -> Option<Published> {
    let path = url::Url::parse(url).ok()?.path().to_string();
    let caps = URL_DATE.captures(&path)?;
    let num = |names: [&str; 3]| {
        names
            .iter()
            .find_map(|n| caps.name(n))
            .and_then(|m| m.as_str().parse::<u32>().ok())
    };
    let year = caps.name("year")?.as_str().parse::<i32>().ok()?;
    let month = num(["mon", "mon2", "mon3"])?;
    let day = num(["day", "day2", "day3"])?;
    let published = Published::Day(NaiveDate::from_ymd_opt(year, month, day)?);
    plausible(&published).then_some(published)
}

pub(crate) fn plausible(published: &Published) -> bool {
    let date = published.date();
    let earliest = NaiveDate::from_ymd_opt(1990, 1, 1);
    let latest = Utc::now().date_naive().checked_add_days(Days::new(1));
    earliest.is_some_and(|e| date >= e) && latest.is_some_and(|l| date <= l)
}

fn parse_timestamp(value: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(value) {
        return Some(t);
    }
    // Near-RFC 3339 forms seen in the wild: a space for the `T`, no seconds, `+0000`.
    let value = value.replacen(' ', "T", 1);
    let value = value
        .strip_suffix('Z')
        .or_else(|| value.strip_suffix('z'))
        .map_or_else(|| value.clone(), |v| format!("{v}+00:00"));
    ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"]
        .iter()
        .find_map(|format| DateTime::parse_from_str(&value, format).ok())
}

/// A date found in text, with the byte range it covers (time and zone included).
struct FoundDate {
    start: usize,
    end: usize,
    published: Published,
}

/// The first date written out in `text`, with the time and zone that follow it.
fn find_date(text: &str) -> Option<FoundDate> {
    let captures = [&MONTH_DAY_YEAR, &DAY_MONTH_YEAR, &NUMERIC_DATE]
        .into_iter()
        .filter_map(|re| re.captures(text))
        .min_by_key(|c| c.get(0).map_or(usize::MAX, |m| m.start()))?;
    let whole = captures.get(0)?;
    let year: i32 = captures.name("year")?.as_str().parse().ok()?;
    let day: u32 = captures.name("day")?.as_str().parse().ok()?;
    let month = month_number(captures.name("mon")?.as_str())?;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;

    let mut end = whole.end();
    let mut published = Published::Day(date);
    if let Some(time) = TIME_AFTER_DATE.captures(&text[end..]) {
        if let Some(clock) = clock_time(&time) {
            end += time.get(0).map_or(0, |m| m.end());
            if let Some(offset) = zone_offset(&time) {
                if let Some(t) = offset.from_local_datetime(&date.and_time(clock)).single() {
                    published = Published::Time(t);
                }
            }
        }
    }
    Some(FoundDate {
        start: whole.start(),
        end,
        published,
    })
}

fn month_number(name: &str) -> Option<u32> {
    if let Ok(n) = name.parse::<u32>() {
        return (1..=12).contains(&n).then_some(n);
    }
    let prefix = name.get(..3)?.to_ascii_lowercase();
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    MONTHS
        .iter()
        .position(|m| *m == prefix)
        .map(|i| i as u32 + 1)
}

fn clock_time(time: &regex::Captures<'_>) -> Option<NaiveTime> {
    let mut hour: u32 = time.name("h")?.as_str().parse().ok()?;
    let minute: u32 = time.name("m")?.as_str().parse().ok()?;
    let second: u32 = time
        .name("s")
        .map_or(Some(0), |s| s.as_str().parse().ok())?;
    if let Some(ampm) = time.name("ampm") {
        if !(1..=12).contains(&hour) {
            return None;
        }
        let pm = ampm.as_str().to_ascii_lowercase().starts_with('p');
        hour = match (hour, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    NaiveTime::from_hms_opt(hour, minute, second)
}

/// The UTC offset a time states, if it states one we can trust. Ambiguous abbreviations
/// (CST, IST, ET) give none, so such a dateline yields only its day.
fn zone_offset(time: &regex::Captures<'_>) -> Option<FixedOffset> {
    if let Some(off) = time.name("off") {
        return parse_offset(off.as_str());
    }
    let zone = time.name("zone")?.as_str().to_ascii_lowercase();
    let hours = match zone.as_str() {
        "utc" | "gmt" | "z" => 0,
        "est" | "cdt" => -5,
        "edt" => -4,
        "mst" | "pdt" => -7,
        "mdt" => -6,
        "pst" => -8,
        "bst" | "cet" => 1,
        "cest" | "eet" => 2,
        "eest" => 3,
        "hkt" | "sgt" => 8,
        "jst" | "kst" => 9,
        _ => return None,
    };
    let base = FixedOffset::east_opt(hours * 3600)?;
    match time.name("zoff") {
        // "GMT+8": an offset from the named zone (only meaningful from UTC/GMT).
        Some(extra) if hours == 0 => parse_offset(extra.as_str()),
        Some(_) => None,
        None => Some(base),
    }
}

/// "+08:00", "-0500", "+8".
fn parse_offset(text: &str) -> Option<FixedOffset> {
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let digits: String = text
        .get(1..)?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let (hours, minutes): (i32, i32) = match digits.len() {
        1 | 2 => (digits.parse().ok()?, 0),
        3 | 4 => {
            let split = digits.len() - 2;
            (digits[..split].parse().ok()?, digits[split..].parse().ok()?)
        }
        _ => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Published {
        Published::Day(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    fn time(rfc3339: &str) -> Published {
        Published::Time(DateTime::parse_from_rfc3339(rfc3339).unwrap())
    }

    #[test]
    fn datelines_in_common_styles() {
        let cases = [
            ("Published on November 9, 2023, 7:11 am", day(2023, 11, 9)),
            ("Published: 9 November 2023", day(2023, 11, 9)),
            (
                "Thursday 9 November 2023 07.11 GMT",
                time("2023-11-09T07:11:00+00:00"),
            ),
            (
                "Posted Nov. 9th, 2023 at 7:11 pm EST",
                time("2023-11-09T19:11:00-05:00"),
            ),
            (
                "Updated 2023-11-09 07:11 +08:00",
                time("2023-11-09T07:11:00+08:00"),
            ),
            ("Nov 9, 2023 7:11 AM ET", day(2023, 11, 9)),
            (
                "November 9, 2023 | Updated November 10, 2023",
                day(2023, 11, 9),
            ),
            (
                "Thu, Nov 9, 2023, 12:05 am GMT+8",
                time("2023-11-09T00:05:00+08:00"),
            ),
            // The time before the date.
            (
                "Updated 1:39 am EST, Wednesday, November 8, 2023",
                time("2023-11-08T01:39:00-05:00"),
            ),
            (
                "Published 11:11 PM PST Nov 9, 2023",
                time("2023-11-09T23:11:00-08:00"),
            ),
            // CST is US Central or China Standard time: the day is kept.
            (
                "Updated 11:21 pm CST, Tuesday, November 7, 2023",
                day(2023, 11, 7),
            ),
        ];
        for (text, expected) in cases {
            let found = dateline_block(text).unwrap_or_else(|| panic!("no dateline in {text:?}"));
            assert_eq!(found.published, expected, "{text}");
        }
    }

    #[test]
    fn bylines_give_the_author() {
        let found = dateline_block("By Jean-Luc Martin | Nov 9, 2023 | 3 min read").unwrap();
        assert_eq!(found.author.as_deref(), Some("Jean-Luc Martin"));
        assert!(found.keyword);
        assert!(!dateline_block("November 9, 2023").unwrap().keyword);
    }

    #[test]
    fn prose_with_a_date_is_not_a_dateline() {
        for text in [
            "The rules published on October 17, 2023 took effect in November.",
            "Updated November 9, 2023: adds comment from Nvidia.",
            "On November 9, 2023, Baidu ordered chips.",
            "Published on Monday, the report says demand is strong.",
            "November 31, 2023",
            "At 7:11 pm the talks ended, on November 9, 2023.",
        ] {
            assert_eq!(dateline_block(text), None, "{text}");
        }
    }

    #[test]
    fn plain_text_dateline_may_follow_a_title() {
        let text = "Baidu orders Huawei chips\n\nPublished on November 9, 2023, 7:11 am\n\nBody.";
        assert_eq!(dateline(text), Some(day(2023, 11, 9)));
        assert_eq!(
            dateline("Body first.\nSecond.\nThird.\nPublished on November 9, 2023"),
            None
        );
    }

    #[test]
    fn machine_dates() {
        assert_eq!(
            parse_date_value("2023-11-08T09:30:00+00:00"),
            Some(time("2023-11-08T09:30:00Z"))
        );
        assert_eq!(
            parse_date_value("2023-11-08T09:30:00.000Z"),
            Some(time("2023-11-08T09:30:00Z"))
        );
        assert_eq!(
            parse_date_value("2023-11-08T09:30:00+0100"),
            Some(time("2023-11-08T09:30:00+01:00"))
        );
        assert_eq!(
            parse_date_value("2023-11-08 09:30+01:00"),
            Some(time("2023-11-08T09:30:00+01:00"))
        );
        assert_eq!(
            parse_date_value("Wed, 08 Nov 2023 09:30:00 GMT"),
            Some(time("2023-11-08T09:30:00Z"))
        );
        assert_eq!(
            parse_date_value("2023-11-08T09:30:00"),
            Some(day(2023, 11, 8))
        );
        assert_eq!(parse_date_value("2023-11-08"), Some(day(2023, 11, 8)));
        assert_eq!(parse_date_value("8 November 2023"), Some(day(2023, 11, 8)));
        assert_eq!(parse_date_value("yesterday"), None);
        assert_eq!(parse_date_value("2023-13-45"), None);
    }

    #[test]
    fn implausible_dates() {
        assert!(!plausible(&day(1989, 12, 31)));
        assert!(plausible(&day(1990, 1, 1)));
        assert!(!plausible(&day(2999, 1, 1)));
        assert!(plausible(&Published::Day(Utc::now().date_naive())));
    }

    #[test]
    fn dates_in_urls() {
        let day = |y, m, d| Some(Published::Day(NaiveDate::from_ymd_opt(y, m, d).unwrap()));
        assert_eq!(
            url_date("https://e.com/2019/11/19/apple-deals/"),
            day(2019, 11, 19)
        );
        assert_eq!(
            url_date("https://e.com/news/2023-11-09-baidu"),
            day(2023, 11, 9)
        );
        assert_eq!(
            url_date("https://e.com/a/20231109/x.html"),
            day(2023, 11, 9)
        );
        assert_eq!(url_date("https://e.com/2019/11/florida-man.html"), None);
        assert_eq!(url_date("https://e.com/1985/01/02/old"), None);
        assert_eq!(url_date("https://e.com/story/12345678"), None);
    }
}
