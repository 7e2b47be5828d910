//! `chipwatch eval DIR`: score the rules on a directory of labelled cases (DESIGN.md case
//! format) and print event-level and slot-level precision, recall and F1, the
//! false-positive rate on negatives and the list of misses.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::output::strip_controls;
use super::{load_rules, ExitCode, UsageError};
use crate::config::Config;
use crate::rules::eval::{evaluate, read_cases, Counts, EvalError, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Directory of `<name>.txt` + `<name>.json` cases
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: EvalFormat,
}

pub fn run(config: &Config, args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let rules = load_rules(config)?;
    let cases = read_cases(&args.dir).map_err(|e| match e {
        // A missing or malformed case set is the user's to fix.
        EvalError::Read { .. }
        | EvalError::Parse { .. }
        | EvalError::MissingText { .. }
        | EvalError::Empty { .. } => anyhow::Error::new(UsageError(e.to_string())),
    })?;
    let report = evaluate(&rules, &cases);
    let out = match args.format {
        EvalFormat::Json => {
            serde_json::to_string_pretty(&report).context("cannot encode the report")? + "\n"
        }
        // Case names come from file names: no control characters reach the terminal.
        EvalFormat::Text => render(&report)
            .lines()
            .map(|l| strip_controls(l) + "\n")
            .collect(),
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
