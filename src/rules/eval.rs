//! Measured accuracy (`chipwatch eval DIR`). This module owns the evaluation-case format of
//! DESIGN.md (`<name>.txt` + `<name>.json` with the expected event records), running the
//! rules over each case, and the scoring: events are paired on kind and key (chip orders:
//! buyer and supplier; export controls: authority, targets and action), then every field
//! of a pair is compared. It reads the case files and nothing else; printing is the CLI's.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::{EventKind, CHIP_ORDER_FIELDS, EXPORT_CONTROL_FIELDS};

use super::RuleSet;

/// What went wrong reading a directory of cases; every variant names the file.
#[derive(thiserror::Error, Debug)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message} (expected {{\"published\": \"YYYY-MM-DD\"|null, \"url\": ...|null, \"events\": [...]}})")]
    Parse { path: String, message: String },
    #[error("{path}: no matching .txt file with the article text")]
    MissingText { path: String },
    #[error("no *.json cases in {path}")]
    Empty { path: String },
    #[error("{path}: the text differs from the one labelled in {labels} (its SHA-256 does not match); rebuild it as tests/fixtures/real/README.md says")]
    Checksum { path: String, labels: String },
}

/// The fields compared per kind: DESIGN.md's event tables, plus `hedged` (and, for
/// orders, `inferred`).
fn slots_of(kind: EventKind) -> impl Iterator<Item = &'static str> {
    let (fields, extra): (&[&str], &[&str]) = match kind {
        EventKind::ChipOrder => (CHIP_ORDER_FIELDS, &["hedged", "inferred"]),
        EventKind::ExportControl => (EXPORT_CONTROL_FIELDS, &["hedged"]),
    };
    fields.iter().chain(extra).copied()
}

fn key_of(kind: EventKind) -> &'static [&'static str] {
    match kind {
        EventKind::ChipOrder => &["buyer", "supplier"],
        EventKind::ExportControl => &["authority", "targets", "action"],
    }
}

/// One labelled case.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub published: Option<NaiveDate>,
    /// A language tag; a case in a language the packs do not cover is not scored.
    pub lang: Option<String>,
    pub text: String,
    pub events: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    published: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // part of the case format; scoring does not use it
    url: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    events: Vec<Value>,
    /// SHA-256 of the text: a case whose text differs is an error, not a silent change.
    #[serde(default)]
    sha256: Option<String>,
    /// Where a real published passage came from (kept for rebuilding the text; not
    /// scored): its outlet, the search query that returned it, its character range in
    /// the search result, and its licence.
    #[serde(default)]
    #[allow(dead_code)]
    outlet: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    query: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    start: Option<u64>,
    #[serde(default)]
    #[allow(dead_code)]
    end: Option<u64>,
    #[serde(default)]
    #[allow(dead_code)]
    licence: Option<String>,
}

/// The cases of a directory, and the names of those whose text is not there.
#[derive(Debug, Clone, Default)]
pub struct CaseSet {
    pub cases: Vec<Case>,
    /// Cases whose `.txt` is neither beside the labels nor in the texts directory (text
    /// that may not be committed, not rebuilt yet): named, not scored.
    pub missing_text: Vec<String>,
}

/// Reads every `<name>.json` + `<name>.txt` pair in `dir`, sorted by name.
pub fn read_cases(dir: &Path) -> Result<Vec<Case>, EvalError> {
    let set = read_case_set(dir, None)?;
    match set.missing_text.first() {
        Some(name) => Err(EvalError::MissingText {
            path: dir.join(format!("{name}.json")).display().to_string(),
        }),
        None => Ok(set.cases),
    }
}

/// Reads every `<name>.json` in `dir` with its text: `<name>.txt` beside it, else in
/// `texts`. A text whose SHA-256 differs from the case's `sha256` is an error.
pub fn read_case_set(dir: &Path, texts: Option<&Path>) -> Result<CaseSet, EvalError> {
    let read_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| EvalError::Read { path, source }
    };
    let files = super::pack::files_with_extension(dir, "json").map_err(read_err(dir))?;
    if files.is_empty() {
        return Err(EvalError::Empty {
            path: dir.display().to_string(),
        });
    }
    let mut set = CaseSet::default();
    for json_path in files {
        let shown = json_path.display().to_string();
        let parse = |message: String| EvalError::Parse {
            path: shown.clone(),
            message,
        };
        let raw = std::fs::read_to_string(&json_path).map_err(read_err(&json_path))?;
        let raw: RawCase = serde_json::from_str(&raw).map_err(|e| parse(e.to_string()))?;
        let published = match raw.published.as_deref() {
            Some(p) => Some(
                NaiveDate::parse_from_str(p, "%Y-%m-%d")
                    .map_err(|_| parse(format!("`published` = `{p}` is not YYYY-MM-DD")))?,
            ),
            None => None,
        };
        for (n, e) in raw.events.iter().enumerate() {
            if kind_of(e).is_none() {
                return Err(parse(format!(
                    "event {}: `kind` must be chip_order or export_control",
                    n + 1
                )));
            }
        }
        let name = json_path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let beside = json_path.with_extension("txt");
        let elsewhere = texts.map(|t| t.join(format!("{name}.txt")));
        let Some(txt_path) = std::iter::once(beside)
            .chain(elsewhere)
            .find(|p| p.is_file())
        else {
            set.missing_text.push(name);
            continue;
        };
        let text = std::fs::read_to_string(&txt_path).map_err(read_err(&txt_path))?;
        if let Some(want) = &raw.sha256 {
            let got: String = Sha256::digest(text.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            if !got.eq_ignore_ascii_case(want) {
                return Err(EvalError::Checksum {
                    path: txt_path.display().to_string(),
                    labels: shown,
                });
            }
        }
        set.cases.push(Case {
            name,
            published,
            lang: raw.lang,
            text,
            events: raw.events,
        });
    }
    Ok(set)
}

/// The parts of a labelled corpus: the subdirectories of `dir` that hold cases, by
/// name (e.g. `dev` and `sealed`); empty when `dir` holds cases itself.
pub fn parts(dir: &Path) -> Result<Vec<String>, EvalError> {
    let read_err = |source| EvalError::Read {
        path: dir.display().to_string(),
        source,
    };
    if !super::pack::files_with_extension(dir, "json")
        .map_err(read_err)?
        .is_empty()
    {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let has_cases = path.is_dir()
            && super::pack::files_with_extension(&path, "json").is_ok_and(|f| !f.is_empty());
        if has_cases {
            if let Some(name) = path.file_name() {
                out.push(name.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    Ok(out)
}

fn kind_of(event: &Value) -> Option<EventKind> {
    event.get("kind")?.as_str()?.parse().ok()
}

/// A field as compared: `None` for null or empty; lists order-insensitive; numbers by
/// value (61830000 and 61830000.0 are equal).
fn slot(event: &Value, field: &str) -> Option<String> {
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::Null => None,
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => n.as_f64().map(|f| f.to_string()),
            Value::String(s) => Some(s.clone()),
            Value::Array(items) => {
                let mut parts: Vec<String> = items.iter().filter_map(text).collect();
                parts.sort();
                parts.dedup();
                (!parts.is_empty()).then(|| parts.join(" | "))
            }
            Value::Object(map) => {
                let amount = map.get("amount").and_then(text)?;
                let currency = map.get("currency").and_then(text).unwrap_or_default();
                Some(format!("{amount} {currency}"))
            }
        }
    }
    text(event.get(field)?)
}

/// True positives, false positives and false negatives.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Counts {
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn add(&mut self, other: Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }
}

/// 1.0 when nothing was expected and nothing found: no error was made.
fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

/// The scores of one run over a set of cases.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub cases: usize,
    pub negatives: usize,
    /// Cases in a language the packs do not cover: counted, not scored.
    pub language_not_matched: usize,
    /// Per kind (`chip_order`, `export_control`) and `all`.
    pub events: BTreeMap<String, Counts>,
    /// Per field and `all`.
    pub slots: BTreeMap<String, Counts>,
    /// Negatives on which some event was found, and how many events that was.
    pub negatives_with_events: usize,
    pub events_on_negatives: usize,
    pub misses: Vec<String>,
}

impl Report {
    pub fn false_positive_rate(&self) -> f64 {
        if self.negatives == 0 {
            0.0
        } else {
            self.negatives_with_events as f64 / self.negatives as f64
        }
    }

    pub fn event_f1(&self) -> f64 {
        self.events.get("all").map_or(0.0, Counts::f1)
    }

    pub fn slot_f1(&self) -> f64 {
        self.slots.get("all").map_or(0.0, Counts::f1)
    }
}

/// Runs `rules` over every case and scores what it finds.
pub fn evaluate(rules: &RuleSet, cases: &[Case]) -> Report {
    let mut report = Report {
        cases: cases.len(),
        ..Report::default()
    };
    for kind in ["chip_order", "export_control", "all"] {
        report.events.insert(kind.into(), Counts::default());
    }
    for case in cases {
        if case
            .lang
            .as_deref()
            .is_some_and(|l| !rules.covers_language(l))
        {
            report.language_not_matched += 1;
            continue;
        }
        let found: Vec<Value> = rules
            .extract_events(&case.text, case.published)
            .iter()
            .filter_map(|e| serde_json::to_value(e).ok())
            .collect();
        if case.events.is_empty() {
            report.negatives += 1;
            if !found.is_empty() {
                report.negatives_with_events += 1;
                report.events_on_negatives += found.len();
            }
        }
        score_case(case, &found, &mut report);
    }
    let total = report.slots.values().fold(Counts::default(), |mut acc, c| {
        acc.add(*c);
        acc
    });
    report.slots.insert("all".into(), total);
    report
}

fn describe(event: &Value) -> String {
    let kind = kind_of(event).unwrap_or(EventKind::ChipOrder);
    let key: Vec<String> = key_of(kind)
        .iter()
        .map(|f| format!("{f}={}", slot(event, f).unwrap_or_else(|| "null".into())))
        .collect();
    format!("{kind} {}", key.join(", "))
}

fn score_case(case: &Case, found: &[Value], report: &mut Report) {
    let mut used = vec![false; found.len()];
    let bump = |report: &mut Report, kind: EventKind, c: Counts| {
        for k in [kind.as_str(), "all"] {
            if let Some(entry) = report.events.get_mut(k) {
                entry.add(c);
            }
        }
    };
    for gold in &case.events {
        let Some(kind) = kind_of(gold) else { continue };
        let same_key = |e: &Value| {
            kind_of(e) == Some(kind) && key_of(kind).iter().all(|f| slot(e, f) == slot(gold, f))
        };
        // Among found events with the same key, the one agreeing on most fields.
        let best = found
            .iter()
            .enumerate()
            .filter(|(i, e)| !used[*i] && same_key(e))
            .max_by_key(|(i, e)| {
                let agree = slots_of(kind)
                    .filter(|f| slot(e, f) == slot(gold, f))
                    .count();
                (agree, usize::MAX - i)
            })
            .map(|(i, _)| i);
        match best {
            Some(i) => {
                used[i] = true;
                bump(
                    report,
                    kind,
                    Counts {
                        tp: 1,
                        fp: 0,
                        fn_: 0,
                    },
                );
                compare_slots(case, kind, gold, Some(&found[i]), report);
            }
            None => {
                bump(
                    report,
                    kind,
                    Counts {
                        tp: 0,
                        fp: 0,
                        fn_: 1,
                    },
                );
                report
                    .misses
                    .push(format!("{}: missed {}", case.name, describe(gold)));
                compare_slots(case, kind, gold, None, report);
            }
        }
    }
    for (i, e) in found.iter().enumerate() {
        if used[i] {
            continue;
        }
        let Some(kind) = kind_of(e) else { continue };
        bump(
            report,
            kind,
            Counts {
                tp: 0,
                fp: 1,
                fn_: 0,
            },
        );
        report
            .misses
            .push(format!("{}: spurious {}", case.name, describe(e)));
        for field in slots_of(kind) {
            if slot(e, field).is_some() {
                report.slots.entry(field.into()).or_default().fp += 1;
            }
        }
    }
}

/// Scores the fields of a gold event against its paired found event (or none).
fn compare_slots(
    case: &Case,
    kind: EventKind,
    gold: &Value,
    found: Option<&Value>,
    r: &mut Report,
) {
    for field in slots_of(kind) {
        let want = slot(gold, field);
        let got = found.and_then(|f| slot(f, field));
        let counts = r.slots.entry(field.into()).or_default();
        if want == got {
            counts.tp += u64::from(want.is_some());
            continue;
        }
        if got.is_some() {
            counts.fp += 1;
        }
        if want.is_some() {
            counts.fn_ += 1;
        }
        if found.is_some() {
            r.misses.push(format!(
                "{}: {kind} {field}: expected {}, got {}",
                case.name,
                want.unwrap_or_else(|| "null".into()),
                got.unwrap_or_else(|| "null".into())
            ));
        }
    }
}
