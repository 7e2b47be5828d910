//! `chipwatch eval DIR`: score the rules on a directory of labelled cases (DESIGN.md case
//! format), or on each part of a split corpus (`dev/`, `sealed/`), and print event-level
//! and slot-level precision, recall and F1, the false-positive rate on negatives and the
//! list of misses.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::output::strip_controls;
use super::{load_rules, ExitCode, UsageError};
use crate::config::Config;
use crate::rules::eval::{evaluate, parts, read_case_set, Counts, EvalError, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Directory of `<name>.json` cases with their `<name>.txt`, or of parts (for example
    /// `dev/` and `sealed/`), each scored and reported on its own
    pub dir: PathBuf,
    /// Where texts that are not beside their labels live (same file names; for parts,
    /// the same part folders)
    #[arg(long, value_name = "DIR")]
    pub texts: Option<PathBuf>,
    /// Score only this part (repeatable); default: every part
    #[arg(long, value_name = "NAME")]
    pub part: Vec<String>,
    /// Leave out the list of misses (to score a sealed part without studying it)
    #[arg(long)]
    pub hide_misses: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: EvalFormat,
}

/// One scored part: its name (`None` for a plain directory), report and missing texts.
struct Scored {
    part: Option<String>,
    report: Report,
    missing_text: Vec<String>,
}

pub fn run(config: &Config, args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let rules = load_rules(config)?;
    // A missing or malformed case set is the user's to fix.
    let usage = |e: EvalError| anyhow::Error::new(UsageError(e.to_string()));
    let mut parts = parts(&args.dir).map_err(usage)?;
    if let Some(unknown) = args.part.iter().find(|p| !parts.contains(p)) {
        let known = if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        };
        return Err(UsageError(format!(
            "{} has no part `{unknown}` (its parts: {known})",
            args.dir.display()
        ))
        .into());
    }
    if !args.part.is_empty() {
        parts.retain(|p| args.part.contains(p));
    }
    let mut scored = Vec::new();
    let targets: Vec<(Option<String>, PathBuf, Option<PathBuf>)> = if parts.is_empty() {
        vec![(None, args.dir.clone(), args.texts.clone())]
    } else {
        parts
            .iter()
            .map(|p| {
                (
                    Some(p.clone()),
                    args.dir.join(p),
                    args.texts.as_ref().map(|t| t.join(p)),
                )
            })
            .collect()
    };
    for (part, dir, texts) in targets {
        let set = read_case_set(&dir, texts.as_deref()).map_err(usage)?;
        if set.cases.is_empty() {
            return Err(UsageError(format!(
                "{}: none of the {} cases has its text (looked beside the labels{}); rebuild the texts first",
                dir.display(),
                set.missing_text.len(),
                texts.map_or(String::new(), |t| format!(" and in {}", t.display()))
            ))
            .into());
        }
        let mut report = evaluate(&rules, &set.cases);
        if args.hide_misses {
            report.misses.clear();
        }
        scored.push(Scored {
            part,
            report,
            missing_text: set.missing_text,
        });
    }
    let out = match args.format {
        EvalFormat::Json => {
            let value = match scored.as_slice() {
                [one] if one.part.is_none() => serde_json::to_value(&one.report),
                _ => serde_json::to_value(
                    scored
                        .iter()
                        .map(|s| (s.part.clone().unwrap_or_default(), &s.report))
                        .collect::<std::collections::BTreeMap<_, _>>(),
                ),
            }
            .context("cannot encode the report")?;
            serde_json::to_string_pretty(&value).context("cannot encode the report")? + "\n"
        }
        // Case names come from file names: no control characters reach the terminal.
        EvalFormat::Text => {
            let mut text = String::new();
            for s in &scored {
                if let Some(part) = &s.part {
                    let _ = writeln!(text, "== {part} ==");
                }
                if !s.missing_text.is_empty() {
                    let _ = writeln!(
                        text,
                        "{} cases not scored: their text is missing ({}{})",
                        s.missing_text.len(),
                        s.missing_text
                            .iter()
                            .take(5)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", "),
                        if s.missing_text.len() > 5 {
                            ", ..."
                        } else {
                            ""
                        }
                    );
                }
                text.push_str(&render(&s.report));
                text.push('\n');
            }
            text.lines().map(|l| strip_controls(l) + "\n").collect()
        }
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // `chipwatch eval DIR | head` is fine.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write the report to standard output")
        }
        _ => Ok(ExitCode::Success),
    }
}

fn row(out: &mut String, name: &str, c: &Counts) {
    let _ = writeln!(
        out,
        "{name:<16} {:>5} {:>5} {:>5} {:>9.3} {:>7.3} {:>6.3}",
        c.tp,
        c.fp,
        c.fn_,
        c.precision(),
        c.recall(),
        c.f1()
    );
}

/// The report as a plain-text table.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} cases ({} negatives), {} language not matched",
        r.cases, r.negatives, r.language_not_matched
    );
    let header = format!(
        "{:<16} {:>5} {:>5} {:>5} {:>9} {:>7} {:>6}",
        "", "tp", "fp", "fn", "precision", "recall", "f1"
    );
    let _ = writeln!(out, "\nevents\n{header}");
    for kind in ["chip_order", "export_control", "all"] {
        if let Some(c) = r.events.get(kind) {
            row(&mut out, kind, c);
        }
    }
    let _ = writeln!(out, "\nslots\n{header}");
    for (field, c) in r.slots.iter().filter(|(f, _)| f.as_str() != "all") {
        row(&mut out, field, c);
    }
    if let Some(c) = r.slots.get("all") {
        row(&mut out, "all", c);
    }
    let _ = writeln!(
        out,
        "\nnegatives: {} of {} produced events ({} events; false-positive rate {:.3})",
        r.negatives_with_events,
        r.negatives,
        r.events_on_negatives,
        r.false_positive_rate()
    );
    if !r.misses.is_empty() {
        let _ = writeln!(out, "\nmisses ({})", r.misses.len());
        for m in &r.misses {
            let _ = writeln!(out, "  {m}");
        }
    }
    out
}
