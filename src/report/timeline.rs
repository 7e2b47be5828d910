//! The timeline: one inline SVG with time across and two lanes, export controls above
//! and chip orders below, and its legend in HTML under it.
//!
//! A control is a triangle (pointing down: restrict, up: relax; a diamond when the
//! action is not stated) at its effective date, else at its first report, coloured by
//! authority; a month or year effective date also gets a thin bar over the period it
//! names. An order is a circle at its first report, its area proportional to its USD
//! value (a hollow ring of fixed size when no USD value is stated), coloured by
//! supplier. Marks that would overlap are moved apart vertically within their lane; each
//! links to its table row and carries a `<title>` tooltip.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{Datelike, Duration, NaiveDate, Timelike};

use super::escape::escape;
use super::ticks::ticks;
use super::{compact_usd, kind_names, row_id, value_usd, Report, ReportStory};
use crate::model::{ControlAction, EventDetails, EventKind, PartialDate};
use crate::stories::headline;

/// The drawing's coordinate system (the SVG scales to the page; see style.css).
const WIDTH: f64 = 960.0;
const LEFT: f64 = 118.0;
const RIGHT: f64 = 36.0;
const TOP: f64 = 10.0;
/// Room under the plot for two lines of tick labels.
const AXIS: f64 = 44.0;
/// Between the plot's edge and the first or last date, so that no mark is cut.
const INSET: f64 = 28.0;
/// Half the width of a control's triangle.
const CONTROL_SIZE: f64 = 7.0;
/// Circle radii for orders: the largest value, the smallest drawn, and an unknown value.
const MAX_RADIUS: f64 = 22.0;
const MIN_RADIUS: f64 = 2.5;
const UNKNOWN_RADIUS: f64 = 5.0;
/// A lane grows to fit its marks, up to this half-height; beyond it marks overlap.
const MAX_HALF_LANE: f64 = 110.0;
const MIN_HALF_LANE: f64 = 26.0;
/// The shortest time span drawn, in days: a single day of news still gets a week.
const MIN_SPAN_DAYS: f64 = 7.0;

/// Categorical colours, distinguishable with the common colour-vision deficiencies
/// (Okabe and Ito's set without its yellow, plus two darker hues).
const PALETTE: [&str; 8] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c564b", "#6a3d9a",
];
const OTHER_COLOUR: &str = "#8a8a8a";
const UNKNOWN_COLOUR: &str = "#b5b5b5";

/// Colours for the values of one slot: the most frequent values get the palette, the
/// rest share "other", and a missing value is "not stated".
struct Colours {
    named: Vec<(String, &'static str)>,
    others: usize,
    unknown: usize,
}

impl Colours {
    fn new<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Colours {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        let mut unknown = 0;
        for value in values {
            match value {
                Some(v) => *counts.entry(v).or_default() += 1,
                None => unknown += 1,
            }
        }
        let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let others = ranked.iter().skip(PALETTE.len()).map(|(_, n)| n).sum();
        let named = ranked
            .into_iter()
            .zip(PALETTE)
            .map(|((value, _), colour)| (value.to_string(), colour))
            .collect();
        Colours {
            named,
            others,
            unknown,
        }
    }

    fn of(&self, value: Option<&str>) -> &'static str {
        match value {
            None => UNKNOWN_COLOUR,
            Some(v) => self
                .named
                .iter()
                .find(|(name, _)| name == v)
                .map_or(OTHER_COLOUR, |(_, colour)| colour),
        }
    }
}

/// A day, with the time of day as a fraction, as a number (for the x scale).
fn day_number(day: NaiveDate) -> f64 {
    f64::from(day.num_days_from_ce())
}

/// Where a control sits: its effective date's first day, else its first report; and
/// the last day of the month or year an effective date names.
fn control_place(item: &ReportStory) -> Option<(f64, Option<f64>)> {
    let EventDetails::ExportControl(c) = &item.story.record.details else {
        return None;
    };
    match c.effective {
        Some(effective) => {
            let first = effective.first_day()?;
            let last = match effective {
                PartialDate::Day(_) => None,
                PartialDate::Month(y, m) => {
                    let next = if m == 12 {
                        NaiveDate::from_ymd_opt(y + 1, 1, 1)
                    } else {
                        NaiveDate::from_ymd_opt(y, m + 1, 1)
                    };
                    next.map(|d| day_number(d - Duration::days(1)))
                }
                PartialDate::Year(y) => NaiveDate::from_ymd_opt(y, 12, 31).map(day_number),
            };
            Some((day_number(first), last))
        }
        None => first_report(item).map(|x| (x, None)),
    }
}

fn first_report(item: &ReportStory) -> Option<f64> {
    let t = item.story.record.first_reported?;
    let seconds = f64::from(t.time().num_seconds_from_midnight());
    Some(day_number(t.date_naive()) + seconds / 86_400.0)
}

/// One mark before drawing: where, how big, what it looks like.
struct Mark<'a> {
    item: &'a ReportStory,
    day: f64,
    range_end: Option<f64>,
    radius: f64,
    colour: &'static str,
    /// Vertical offset from the lane's middle, set by `spread`.
    offset: f64,
}

/// Moves marks apart vertically: biggest first, each at the offset nearest the lane's
/// middle where it touches no mark placed before it (or the middle, when none is free
/// within the lane's largest size).
fn spread(marks: &mut [Mark<'_>], x: &impl Fn(f64) -> f64) -> f64 {
    let mut order: Vec<usize> = (0..marks.len()).collect();
    order.sort_by(|&a, &b| {
        marks[b]
            .radius
            .total_cmp(&marks[a].radius)
            .then(marks[a].day.total_cmp(&marks[b].day))
    });
    // Placed marks as (x, offset, radius), kept sorted by x to look only at neighbours.
    let mut placed: Vec<(f64, f64, f64)> = Vec::with_capacity(marks.len());
    let mut half = MIN_HALF_LANE;
    for index in order {
        let (cx, r) = (x(marks[index].day), marks[index].radius);
        let reach = r + MAX_RADIUS + 1.0;
        let from = placed.partition_point(|p| p.0 < cx - reach);
        let to = placed.partition_point(|p| p.0 <= cx + reach);
        let free = |offset: f64| {
            placed[from..to].iter().all(|&(px, py, pr)| {
                let (dx, dy) = (px - cx, py - offset);
                dx * dx + dy * dy >= (pr + r + 1.5) * (pr + r + 1.5)
            })
        };
        let step = (r * 0.8).max(3.0);
        let tries = ((MAX_HALF_LANE - 4.0 - r) / step).floor().max(0.0) as u32;
        let offset = if free(0.0) {
            0.0
        } else {
            (1..=tries)
                .flat_map(|k| [f64::from(k) * step, -f64::from(k) * step])
                .find(|&o| free(o))
                .unwrap_or(0.0)
        };
        marks[index].offset = offset;
        half = half.max(offset.abs() + r + 6.0);
        let at = placed.partition_point(|p| p.0 < cx);
        placed.insert(at, (cx, offset, r));
    }
    half
}

/// The mark's tooltip: what it is, its key slots and how many sources report it.
fn tooltip(item: &ReportStory) -> String {
    let record = &item.story.record;
    let (singular, _) = kind_names(record.kind());
    let mut text = format!(
        "{}{}: {}",
        singular[..1].to_uppercase(),
        &singular[1..],
        headline(&record.details, &record.inferred, false)
    );
    if let EventDetails::ChipOrder(o) = &record.details {
        if let Some(v) = value_usd(&item.story) {
            let _ = write!(text, "\nValue: {}", compact_usd(v));
        }
        if let Some(status) = o.status {
            let _ = write!(text, "\nStatus: {}", status.as_str());
        }
    }
    if let EventDetails::ExportControl(c) = &record.details {
        if let Some(agency) = &c.agency {
            let _ = write!(text, "\nAgency: {agency}");
        }
    }
    if let Some(day) = item.first_day() {
        let _ = write!(text, "\nFirst reported {day}");
    }
    let _ = write!(
        text,
        "\n{} {} ({} {}){}",
        record.sites,
        if record.sites == 1 {
            "source"
        } else {
            "sources"
        },
        record.articles,
        if record.articles == 1 {
            "article"
        } else {
            "articles"
        },
        if record.hedged {
            ", all second-hand"
        } else {
            ""
        }
    );
    text
}

/// A triangle (restrict: pointing down, relax: up) or a diamond, centred on (x, y).
fn control_shape(action: Option<ControlAction>, x: f64, y: f64, s: f64) -> String {
    match action {
        Some(ControlAction::Restrict) => format!(
            "M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z",
            x - s,
            y - s * 0.8,
            x + s,
            y - s * 0.8,
            x,
            y + s
        ),
        Some(ControlAction::Relax) => format!(
            "M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z",
            x - s,
            y + s * 0.8,
            x + s,
            y + s * 0.8,
            x,
            y - s
        ),
        None => format!(
            "M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z",
            y - s,
            x + s,
            y + s,
            x - s
        ),
    }
}

/// The radius of an order's circle: area proportional to value, relative to the largest.
fn order_radius(value: Option<f64>, largest: f64) -> f64 {
    match value {
        Some(v) if largest > 0.0 => (MAX_RADIUS * (v / largest).sqrt()).max(MIN_RADIUS),
        _ => UNKNOWN_RADIUS,
    }
}

/// Writes the timeline section: the SVG and its legend.
pub(super) fn render(page: &mut String, report: &Report) {
    let controls: Vec<&ReportStory> = report.stories_of(EventKind::ExportControl).collect();
    let orders: Vec<&ReportStory> = report.stories_of(EventKind::ChipOrder).collect();
    let authorities = Colours::new(controls.iter().map(|s| match &s.story.record.details {
        EventDetails::ExportControl(c) => c.authority.as_deref(),
        EventDetails::ChipOrder(_) => None,
    }));
    let suppliers = Colours::new(orders.iter().map(|s| match &s.story.record.details {
        EventDetails::ChipOrder(o) => o.supplier.as_deref(),
        EventDetails::ExportControl(_) => None,
    }));
    let largest = orders
        .iter()
        .filter_map(|s| value_usd(&s.story))
        .fold(0.0, f64::max);

    let mut control_marks: Vec<Mark<'_>> = Vec::new();
    let mut order_marks: Vec<Mark<'_>> = Vec::new();
    let mut undated = 0;
    for item in &controls {
        let EventDetails::ExportControl(c) = &item.story.record.details else {
            continue;
        };
        match control_place(item) {
            Some((day, range_end)) => control_marks.push(Mark {
                item,
                day,
                range_end,
                radius: CONTROL_SIZE + 0.5,
                colour: authorities.of(c.authority.as_deref()),
                offset: 0.0,
            }),
            None => undated += 1,
        }
    }
    for item in &orders {
        let EventDetails::ChipOrder(o) = &item.story.record.details else {
            continue;
        };
        match first_report(item) {
            Some(day) => order_marks.push(Mark {
                item,
                day,
                range_end: None,
                radius: order_radius(value_usd(&item.story), largest),
                colour: suppliers.of(o.supplier.as_deref()),
                offset: 0.0,
            }),
            None => undated += 1,
        }
    }

    let _ = writeln!(page, "<section id=\"timeline\">\n<h2>Timeline</h2>");
    if control_marks.is_empty() && order_marks.is_empty() {
        page.push_str(
            "<p class=\"empty\">No story in this period has a date to place.</p>\n</section>\n",
        );
        return;
    }

    // The time domain: every mark and the period asked for, at least a week long.
    let mut days: Vec<f64> = control_marks
        .iter()
        .chain(&order_marks)
        .flat_map(|m| [Some(m.day), m.range_end])
        .flatten()
        .collect();
    days.extend(report.since.map(day_number));
    days.extend(report.until.map(|d| day_number(d) + 1.0));
    let mut start = days.iter().copied().fold(f64::INFINITY, f64::min);
    let mut end = days.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if end - start < MIN_SPAN_DAYS {
        let middle = (start + end) / 2.0;
        start = middle - MIN_SPAN_DAYS / 2.0;
        end = middle + MIN_SPAN_DAYS / 2.0;
    }
    let inner = WIDTH - LEFT - RIGHT - 2.0 * INSET;
    let x = |day: f64| LEFT + INSET + (day - start) / (end - start) * inner;
    // The days at the plot's edges, for the ticks.
    let per_px = (end - start) / inner;
    let edge_start = start - INSET * per_px;
    let edge_end = end + INSET * per_px;

    let show_controls = report.shows(EventKind::ExportControl);
    let show_orders = report.shows(EventKind::ChipOrder);
    let control_half = if show_controls {
        spread(&mut control_marks, &x)
    } else {
        0.0
    };
    let order_half = if show_orders {
        spread(&mut order_marks, &x)
    } else {
        0.0
    };
    let plot_bottom = TOP + 2.0 * control_half + 2.0 * order_half;
    let height = plot_bottom + AXIS;
    let (plot_left, plot_right) = (LEFT, WIDTH - RIGHT);

    let _ = write!(
        page,
        "<figure>\n<div class=\"chart\">\n<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {WIDTH} {height:.0}\" aria-labelledby=\"timeline-title\">\n\
         <title id=\"timeline-title\">{} export controls and {} chip orders over time</title>\n\
         <rect class=\"plot\" x=\"{plot_left}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\"/>\n",
        control_marks.len(),
        order_marks.len(),
        plot_right - plot_left,
        plot_bottom - TOP,
    );

    // Ticks and grid lines.
    let first_day = NaiveDate::from_num_days_from_ce_opt(edge_start.ceil() as i32);
    let last_day = NaiveDate::from_num_days_from_ce_opt(edge_end.floor() as i32);
    if let (Some(first_day), Some(last_day)) = (first_day, last_day) {
        page.push_str("<g class=\"axis\">\n");
        for tick in ticks(first_day, last_day, 9) {
            let tx = x(day_number(tick.day));
            let _ = write!(
                page,
                "<line class=\"grid\" x1=\"{tx:.1}\" y1=\"{TOP}\" x2=\"{tx:.1}\" y2=\"{plot_bottom:.1}\"/>\
                 <text x=\"{tx:.1}\" y=\"{:.1}\">{}</text>",
                plot_bottom + 16.0,
                escape(&tick.label)
            );
            if let Some(context) = &tick.context {
                let _ = write!(
                    page,
                    "<text class=\"year\" x=\"{tx:.1}\" y=\"{:.1}\">{}</text>",
                    plot_bottom + 32.0,
                    escape(context)
                );
            }
            page.push('\n');
        }
        page.push_str("</g>\n");
    }

    let mut lane_top = TOP;
    if show_controls {
        lane(
            page,
            "controls",
            "Export controls",
            control_marks.len(),
            lane_top,
            control_half,
        );
        let middle = lane_top + control_half;
        for mark in &control_marks {
            let EventDetails::ExportControl(c) = &mark.item.story.record.details else {
                continue;
            };
            let (cx, cy) = (x(mark.day), middle + mark.offset);
            open_mark(page, mark, "control");
            if let Some(range_end) = mark.range_end {
                let _ = write!(
                    page,
                    "<line class=\"range\" x1=\"{cx:.1}\" y1=\"{cy:.1}\" x2=\"{:.1}\" y2=\"{cy:.1}\" stroke=\"{}\"/>",
                    x(range_end),
                    mark.colour
                );
            }
            let _ = writeln!(
                page,
                "<path d=\"{}\" fill=\"{}\"/></a>",
                control_shape(c.action, cx, cy, CONTROL_SIZE),
                mark.colour
            );
        }
        lane_top += 2.0 * control_half;
    }
    if show_orders {
        lane(
            page,
            "orders",
            "Chip orders",
            order_marks.len(),
            lane_top,
            order_half,
        );
        let middle = lane_top + order_half;
        // Big circles first, so small ones stay visible on top.
        let mut drawing: Vec<&Mark<'_>> = order_marks.iter().collect();
        drawing.sort_by(|a, b| b.radius.total_cmp(&a.radius));
        for mark in drawing {
            let (cx, cy) = (x(mark.day), middle + mark.offset);
            open_mark(page, mark, "order");
            let class = if value_usd(&mark.item.story).is_some() {
                "valued"
            } else {
                "unvalued"
            };
            let _ = writeln!(
                page,
                "<circle class=\"{class}\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{:.1}\" fill=\"{c}\" stroke=\"{c}\"/></a>",
                mark.radius,
                c = mark.colour
            );
        }
    }
    page.push_str("</svg>\n</div>\n");
    legend(page, report, &authorities, &suppliers, largest, undated);
    page.push_str("</figure>\n</section>\n");
}

fn lane(page: &mut String, class: &str, name: &str, count: usize, top: f64, half: f64) {
    let _ = writeln!(
        page,
        "<g class=\"lane {class}\"><rect class=\"band\" x=\"0\" y=\"{top:.1}\" width=\"{LEFT}\" height=\"{:.1}\"/>\
         <text class=\"lane-name\" x=\"10\" y=\"{:.1}\">{name}</text>\
         <text class=\"lane-count\" x=\"10\" y=\"{:.1}\">{count} {}</text>\
         <line class=\"lane-rule\" x1=\"{LEFT}\" y1=\"{top:.1}\" x2=\"{:.1}\" y2=\"{top:.1}\"/></g>",
        2.0 * half,
        top + half - 2.0,
        top + half + 13.0,
        if count == 1 { "story" } else { "stories" },
        WIDTH - RIGHT,
    );
}

fn open_mark(page: &mut String, mark: &Mark<'_>, class: &str) {
    let _ = write!(
        page,
        "<a class=\"mark {class}\" href=\"#{}\" data-story=\"{}\"><title>{}</title>",
        row_id(&mark.item.story),
        mark.item.story.id,
        escape(&tooltip(mark.item))
    );
}

/// A small inline SVG icon for the legend.
fn key_icon(shape: &str) -> String {
    format!(
        "<svg class=\"key\" viewBox=\"-9 -9 18 18\" width=\"16\" height=\"16\" aria-hidden=\"true\">{shape}</svg>"
    )
}

fn legend(
    page: &mut String,
    report: &Report,
    authorities: &Colours,
    suppliers: &Colours,
    largest: f64,
    undated: usize,
) {
    page.push_str("<figcaption class=\"legend\">\n");
    let swatches = |page: &mut String, colours: &Colours, icon: &dyn Fn(&str) -> String| {
        for (name, colour) in &colours.named {
            let _ = write!(page, "<li>{}<bdi>{}</bdi></li>", icon(colour), escape(name));
        }
        if colours.others > 0 {
            let _ = write!(page, "<li>{}others</li>", icon(OTHER_COLOUR));
        }
        if colours.unknown > 0 {
            let _ = write!(page, "<li>{}not stated</li>", icon(UNKNOWN_COLOUR));
        }
    };
    if report.shows(EventKind::ExportControl) {
        page.push_str(
            "<div class=\"legend-group\"><h3>Export controls</h3>\
             <p>Colour: authority. Placed at the date it takes effect, else its first report.</p><ul>",
        );
        swatches(page, authorities, &|c| {
            key_icon(&format!(
                "<path d=\"{}\" fill=\"{c}\"/>",
                control_shape(Some(ControlAction::Restrict), 0.0, 0.0, 7.0)
            ))
        });
        page.push_str("</ul><ul>");
        for (action, name) in [
            (Some(ControlAction::Restrict), "restricts"),
            (Some(ControlAction::Relax), "relaxes"),
            (None, "action not stated"),
        ] {
            let _ = write!(
                page,
                "<li>{}{name}</li>",
                key_icon(&format!(
                    "<path d=\"{}\" class=\"ink\"/>",
                    control_shape(action, 0.0, 0.0, 7.0)
                ))
            );
        }
        let _ = writeln!(
            page,
            "<li>{}bar: the month or year it takes effect in</li></ul></div>",
            key_icon("<line class=\"ink-line\" x1=\"-8\" y1=\"0\" x2=\"8\" y2=\"0\"/>")
        );
    }
    if report.shows(EventKind::ChipOrder) {
        page.push_str(
            "<div class=\"legend-group\"><h3>Chip orders</h3>\
             <p>Colour: supplier. Placed at the first report; area: value in US dollars.</p><ul>",
        );
        swatches(page, suppliers, &|c| {
            key_icon(&format!("<circle r=\"6\" fill=\"{c}\"/>"))
        });
        page.push_str("</ul><ul>");
        for value in reference_values(largest) {
            let r = order_radius(Some(value), largest);
            let box_size = (2.0 * r + 4.0).ceil();
            let _ = write!(
                page,
                "<li><svg class=\"key\" viewBox=\"{:.1} {:.1} {box_size} {box_size}\" width=\"{box_size}\" height=\"{box_size}\" aria-hidden=\"true\">\
                 <circle class=\"ink-ring\" r=\"{r:.1}\"/></svg>{}</li>",
                -box_size / 2.0,
                -box_size / 2.0,
                compact_usd(value)
            );
        }
        let _ = writeln!(
            page,
            "<li>{}no value in US dollars stated</li></ul></div>",
            key_icon(&format!(
                "<circle class=\"ink-ring unvalued\" r=\"{UNKNOWN_RADIUS}\"/>"
            ))
        );
    }
    if undated > 0 {
        let _ = writeln!(
            page,
            "<p class=\"note\">{undated} {} without a date {} not on the timeline; the tables list {}.</p>",
            if undated == 1 { "story" } else { "stories" },
            if undated == 1 { "is" } else { "are" },
            if undated == 1 { "it" } else { "them" },
        );
    }
    page.push_str("</figcaption>\n");
}

/// Round values for the size key: the largest 1, 2 or 5 × 10ⁿ not above the largest
/// order, and one a hundredth of it when that still draws bigger than the smallest mark.
fn reference_values(largest: f64) -> Vec<f64> {
    if largest <= 0.0 || !largest.is_finite() {
        return Vec::new();
    }
    let power = 10f64.powf(largest.log10().floor());
    let top = [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * power)
        .find(|v| *v <= largest)
        .unwrap_or(power);
    let mut values = vec![top];
    let small = top / 100.0;
    if order_radius(Some(small), largest) > MIN_RADIUS {
        values.push(small);
    }
    values
}
