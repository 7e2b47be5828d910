//! Ticks for a time axis that stays readable from one week to decades: the finest step
//! (days, weeks, months, quarters, years) that gives at most a given number of ticks,
//! labelled "Nov 9" or "Nov" with the year under the first tick and at each new year.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// One tick: its day, its label, and the year under it when the year changes there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    pub day: NaiveDate,
    pub label: String,
    pub context: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Days(u32),
    Weeks(u32),
    Months(u32),
    Years(i32),
}

const STEPS: [Step; 15] = [
    Step::Days(1),
    Step::Days(2),
    Step::Weeks(1),
    Step::Weeks(2),
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Years(1),
    Step::Years(2),
    Step::Years(5),
    Step::Years(10),
    Step::Years(25),
    Step::Years(50),
    Step::Years(100),
];

/// The ticks between `start` and `end` (inclusive) at the finest step giving at most
/// `max_ticks` of them (at least one step is always taken, however long the range).
pub fn ticks(start: NaiveDate, end: NaiveDate, max_ticks: usize) -> Vec<Tick> {
    let (start, end) = if start <= end {
        (start, end)
    } else {
        (end, start)
    };
    let mut chosen = Vec::new();
    for step in STEPS {
        chosen = days_of(step, start, end, max_ticks.max(1) + 1);
        if chosen.len() <= max_ticks.max(1) {
            return label(step, chosen);
        }
    }
    chosen.truncate(max_ticks.max(1));
    label(Step::Years(100), chosen)
}

/// The tick days of `step` in the range; stops after `limit` of them.
fn days_of(step: Step, start: NaiveDate, end: NaiveDate, limit: usize) -> Vec<NaiveDate> {
    let mut days = Vec::new();
    let mut push = |day: NaiveDate| {
        if day >= start && day <= end && days.len() < limit {
            days.push(day);
            true
        } else {
            day <= end && days.len() < limit
        }
    };
    match step {
        Step::Days(n) | Step::Weeks(n) => {
            let n = i64::from(n);
            let mut day = start;
            if let Step::Weeks(_) = step {
                while day.weekday() != Weekday::Mon {
                    day += Duration::days(1);
                }
            }
            let stride = if matches!(step, Step::Weeks(_)) { 7 } else { 1 };
            // Aligned to a fixed calendar grid, so the ticks do not move with the data.
            while (i64::from(day.num_days_from_ce()) / stride) % n != 0 {
                day += Duration::days(stride);
            }
            while push(day) {
                day += Duration::days(stride * n);
            }
        }
        Step::Months(n) => {
            let (mut year, mut month) = (start.year(), start.month());
            if start.day() != 1 {
                (year, month) = next_month(year, month);
            }
            while (month - 1) % n != 0 {
                (year, month) = next_month(year, month);
            }
            while let Some(day) = NaiveDate::from_ymd_opt(year, month, 1) {
                if !push(day) {
                    break;
                }
                for _ in 0..n {
                    (year, month) = next_month(year, month);
                }
            }
        }
        Step::Years(n) => {
            let mut year = start.year() + i32::from(start.ordinal() != 1);
            year += (n - year.rem_euclid(n)) % n;
            while let Some(day) = NaiveDate::from_ymd_opt(year, 1, 1) {
                if !push(day) {
                    break;
                }
                year += n;
            }
        }
    }
    days
}

fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

fn label(step: Step, days: Vec<NaiveDate>) -> Vec<Tick> {
    let mut previous_year = None;
    days.into_iter()
        .map(|day| {
            let month = MONTHS[day.month0() as usize];
            let new_year = previous_year != Some(day.year());
            previous_year = Some(day.year());
            let year = new_year.then(|| day.year().to_string());
            match step {
                Step::Days(_) | Step::Weeks(_) => Tick {
                    day,
                    label: format!("{month} {}", day.day()),
                    context: year,
                },
                Step::Months(_) => Tick {
                    day,
                    label: month.to_string(),
                    context: year,
                },
                Step::Years(_) => Tick {
                    day,
                    label: day.year().to_string(),
                    context: None,
                },
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn labels(ticks: &[Tick]) -> Vec<String> {
        ticks
            .iter()
            .map(|t| match &t.context {
                Some(c) => format!("{}/{c}", t.label),
                None => t.label.clone(),
            })
            .collect()
    }

    #[test]
    fn one_week_has_daily_ticks_with_the_year_once() {
        let t = ticks(d(2023, 11, 6), d(2023, 11, 12), 10);
        assert_eq!(
            labels(&t),
            [
                "Nov 6/2023",
                "Nov 7",
                "Nov 8",
                "Nov 9",
                "Nov 10",
                "Nov 11",
                "Nov 12"
            ]
        );
    }

    #[test]
    fn a_quarter_has_weekly_ticks_on_mondays() {
        let t = ticks(d(2023, 10, 1), d(2023, 12, 31), 14);
        assert!(t.iter().all(|t| t.day.weekday() == Weekday::Mon), "{t:?}");
        assert_eq!(t.len(), 13);
        assert_eq!(t[0].label, "Oct 2");
    }

    #[test]
    fn two_years_have_quarterly_ticks_with_the_year_at_january() {
        let t = ticks(d(2023, 3, 15), d(2025, 2, 1), 10);
        assert_eq!(
            labels(&t),
            ["Apr/2023", "Jul", "Oct", "Jan/2024", "Apr", "Jul", "Oct", "Jan/2025"]
        );
    }

    #[test]
    fn five_years_have_at_most_the_ticks_asked_for() {
        let t = ticks(d(2020, 1, 1), d(2024, 12, 31), 10);
        assert_eq!(
            labels(&t),
            [
                "Jan/2020", "Jul", "Jan/2021", "Jul", "Jan/2022", "Jul", "Jan/2023", "Jul",
                "Jan/2024", "Jul"
            ]
        );
        let t = ticks(d(2020, 1, 1), d(2024, 12, 31), 6);
        assert_eq!(labels(&t), ["2020", "2021", "2022", "2023", "2024"]);
        let t = ticks(d(1900, 1, 1), d(2024, 12, 31), 3);
        assert_eq!(labels(&t), ["1900", "1950", "2000"]);
    }

    #[test]
    fn reversed_and_single_day_ranges_still_give_ticks() {
        assert_eq!(
            labels(&ticks(d(2024, 2, 29), d(2024, 2, 29), 5)),
            ["Feb 29/2024"]
        );
        assert_eq!(ticks(d(2024, 3, 2), d(2024, 3, 1), 5).len(), 2);
    }
}
