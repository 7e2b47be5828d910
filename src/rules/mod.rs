//! Rule packs and the matcher: from an article's text to its events. This module owns the
//! public face of the stage — `RuleSet` (packs loaded, validated and compiled once;
//! `Send + Sync`), `RuleError`, extraction and the self-check of every rule's embedded
//! examples. The work is split by step: `pack` (TOML schema and files), `gazetteer`
//! (names), `numbers` and `dates` (built-in recognisers), `annotate` (typed sentences),
//! `matcher` (the pattern language and slot binding) and `assemble` (mentions → events).
//!
//! Per sentence: a `RegexSet` of the rules' literal triggers decides which rules can fire
//! (most sentences stop there, unannotated); the rest are annotated and their rules run
//! over the typed sentence; per-kind fillers add slots to what fired, anaphora add to the
//! latest event; then the article's mentions are merged into events.

mod annotate;
mod assemble;
mod dates;
mod examples;
mod gazetteer;
mod matcher;
mod numbers;
mod pack;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use chrono::NaiveDate;
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use sha2::{Digest, Sha256};

use crate::model::{ControlAction, Event, EventKind, OrderStatus};
use crate::text::split_sentences;

use annotate::{annotate, Annotated};
use assemble::{assemble, Mention, SentenceRef};
use gazetteer::Gazetteer;
use matcher::{compile, last_product_list, Fields, Pattern};
use pack::{RawExample, RawPack};

/// What went wrong loading rule packs. Every variant names the pack file and, where it
/// applies, the rule or entry, and says what to fix.
#[derive(thiserror::Error, Debug)]
pub enum RuleError {
    #[error("cannot read rule pack {path}: {source} (check the path in [rules] paths)")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no *.toml rule packs in directory {path} (add packs or fix [rules] paths)")]
    Empty { path: String },
    #[error("rule pack {path} is not valid TOML for a pack: {message}")]
    Parse { path: String, message: String },
    #[error("rule pack {path}, rule `{rule}`: {message}")]
    Rule {
        path: String,
        rule: String,
        message: String,
    },
    #[error("rule pack {path}, entry `{entry}`: {message}")]
    Entry {
        path: String,
        entry: String,
        message: String,
    },
    #[error("rule pack {path}, [{section}] {key}: {message}")]
    Setting {
        path: String,
        section: String,
        key: String,
        message: String,
    },
}

struct Rule {
    id: String,
    pack: String,
    kind: EventKind,
    pattern: Pattern,
    status: Option<OrderStatus>,
    action: Option<ControlAction>,
    confidence: f64,
    triggers: Vec<String>,
    examples: Vec<RawExample>,
    near_misses: Vec<String>,
}

#[derive(Default)]
struct KindSettings {
    fillers: Vec<Pattern>,
    anaphora: Vec<Regex>,
    older: Vec<Regex>,
}

/// Compiled rule packs. Build once per process; matching borrows it immutably.
pub struct RuleSet {
    version: String,
    gazetteer: Gazetteer,
    rules: Vec<Rule>,
    prefilter: RegexSet,
    chip_order: KindSettings,
    export_control: KindSettings,
    hedges: Option<Regex>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("version", &self.version)
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

impl RuleSet {
    /// The packs shipped in `config/rules/`, compiled into the binary.
    pub fn embedded() -> Result<RuleSet, RuleError> {
        let packs: Vec<(String, String)> = pack::EMBEDDED
            .iter()
            .map(|(p, t)| ((*p).to_string(), (*t).to_string()))
            .collect();
        Self::from_texts(&packs)
    }

    /// Loads packs from files and directories (a directory contributes its `*.toml`
    /// files, sorted by name).
    pub fn load(paths: &[PathBuf]) -> Result<RuleSet, RuleError> {
        let packs = pack::read_all(paths)?;
        Self::from_texts(&packs)
    }

    /// Short hex hash of the packs' bytes in load order; stored with every event.
    pub fn version(&self) -> &str {
        &self.version
    }

    fn from_texts(packs: &[(String, String)]) -> Result<RuleSet, RuleError> {
        let mut hasher = Sha256::new();
        let mut parsed: Vec<(String, RawPack)> = Vec::new();
        for (path, text) in packs {
            hasher.update(text.as_bytes());
            parsed.push((path.clone(), pack::parse(path, text)?));
        }
        let digest = hasher.finalize();
        let version: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();

        let mut gazetteer = Gazetteer::default();
        for (path, p) in &parsed {
            gazetteer.add_pack(path, p)?;
        }
        gazetteer.finish()?;

        let compile_regexes = |path: &str, section: &str, key: &str, srcs: &[String]| {
            srcs.iter()
                .map(|s| {
                    RegexBuilder::new(&format!("(?i){s}"))
                        .build()
                        .map_err(|e| RuleError::Setting {
                            path: path.to_string(),
                            section: section.to_string(),
                            key: key.to_string(),
                            message: format!("`{s}` does not compile: {e}"),
                        })
                })
                .collect::<Result<Vec<_>, _>>()
        };

        // Product references are needed before any pattern compiles.
        let mut refs: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        for (path, p) in &parsed {
            for (k, s) in [(0, &p.chip_order), (1, &p.export_control)] {
                if let Some(s) = s {
                    compile_regexes(path, kind_name(k), "product_refs", &s.product_refs)?;
                    refs[k].extend(s.product_refs.iter().cloned());
                }
            }
        }

        let mut kinds = [KindSettings::default(), KindSettings::default()];
        let mut hedges: Vec<String> = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        for (path, p) in &parsed {
            compile_regexes(path, "top level", "hedges", &p.hedges)?;
            hedges.extend(p.hedges.iter().cloned());
            for (k, s) in [(0, &p.chip_order), (1, &p.export_control)] {
                let Some(s) = s else { continue };
                let kind = if k == 0 {
                    EventKind::ChipOrder
                } else {
                    EventKind::ExportControl
                };
                for f in &s.fillers {
                    let pattern =
                        compile(f, kind, &refs[k]).map_err(|message| RuleError::Setting {
                            path: path.clone(),
                            section: kind_name(k).into(),
                            key: "fillers".into(),
                            message: format!("`{f}`: {message}"),
                        })?;
                    kinds[k].fillers.push(pattern);
                }
                kinds[k].anaphora.extend(compile_regexes(
                    path,
                    kind_name(k),
                    "anaphora",
                    &s.anaphora,
                )?);
                kinds[k]
                    .older
                    .extend(compile_regexes(path, kind_name(k), "older", &s.older)?);
            }
            for r in &p.rules {
                rules.push(compile_rule(path, r, &refs, &rules)?);
            }
        }
        let triggers: Vec<String> = rules
            .iter()
            .map(|rule| {
                let alts: Vec<String> = rule
                    .triggers
                    .iter()
                    .filter(|t| !t.trim().is_empty())
                    .map(|t| regex::escape(t.trim()))
                    .collect();
                format!("(?i)(?:{})", alts.join("|"))
            })
            .collect();
        let prefilter =
            RegexSetBuilder::new(&triggers)
                .build()
                .map_err(|e| RuleError::Setting {
                    path: "(all packs)".into(),
                    section: "rules".into(),
                    key: "triggers".into(),
                    message: format!("triggers do not compile: {e}"),
                })?;
        let hedges = if hedges.is_empty() {
            None
        } else {
            let joined = format!("(?i)(?:{})", hedges.join("|"));
            Some(
                RegexBuilder::new(&joined)
                    .build()
                    .map_err(|e| RuleError::Setting {
                        path: "(all packs)".into(),
                        section: "top level".into(),
                        key: "hedges".into(),
                        message: e.to_string(),
                    })?,
            )
        };
        let [chip_order, export_control] = kinds;
        Ok(RuleSet {
            version,
            gazetteer,
            rules,
            prefilter,
            chip_order,
            export_control,
            hedges,
        })
    }

    fn settings(&self, kind: EventKind) -> &KindSettings {
        match kind {
            EventKind::ChipOrder => &self.chip_order,
            EventKind::ExportControl => &self.export_control,
        }
    }

    /// Events of one article, ordered by first span. `published` resolves relative dates.
    pub fn extract_events(&self, text: &str, published: Option<NaiveDate>) -> Vec<Event> {
        let sentences = split_sentences(text);
        let mut cache: Vec<Option<Annotated>> = vec![None; sentences.len()];
        let mut mentions: Vec<Mention> = Vec::new();
        // Whether a mention of each kind was seen (anaphora need one to refer to).
        let mut seen = [false, false];
        for (i, s) in sentences.iter().enumerate() {
            let fired: Vec<usize> = self.prefilter.matches(s.text).into_iter().collect();
            // Anaphora are plain words, so the raw text decides whether annotating is needed.
            let can_refer = [EventKind::ChipOrder, EventKind::ExportControl]
                .iter()
                .any(|&k| {
                    seen[usize::from(k == EventKind::ExportControl)]
                        && self.settings(k).anaphora.iter().any(|a| a.is_match(s.text))
                });
            if fired.is_empty() && !can_refer {
                continue;
            }
            let ann = annotated(&mut cache, i, &self.gazetteer, s.text, published).clone();
            let hedged = self.hedges.as_ref().is_some_and(|h| h.is_match(&ann.typed));
            for kind in [EventKind::ChipOrder, EventKind::ExportControl] {
                let first_new = mentions.len();
                for &r in &fired {
                    let Some(rule) = self.rules.get(r).filter(|r| r.kind == kind) else {
                        continue;
                    };
                    for caps in rule.pattern.regex.captures_iter(&ann.typed) {
                        let Some(all) = caps.get(0) else { continue };
                        let mut fields = Fields::default();
                        rule.pattern.bind(&caps, &ann, &self.gazetteer, &mut fields);
                        let mut extra = Vec::new();
                        if fields.products_ref && i > 0 {
                            let prev = sentences.get(i - 1).map_or("", |p| p.text);
                            let prev_ann =
                                annotated(&mut cache, i - 1, &self.gazetteer, prev, published);
                            fields.products = last_product_list(prev_ann, &self.gazetteer);
                            if !fields.products.is_empty() {
                                extra.push(i - 1);
                            }
                        }
                        let older = self
                            .settings(kind)
                            .older
                            .iter()
                            .any(|o| o.is_match(all.as_str()));
                        mentions.push(Mention {
                            kind,
                            rule: rule.id.clone(),
                            confidence: rule.confidence,
                            sentence: i,
                            offset: all.start(),
                            hedged,
                            older,
                            status: rule.status,
                            action: rule.action,
                            fields,
                            extra_evidence: extra,
                            refers_to: None,
                        });
                    }
                }
                let settings = self.settings(kind);
                seen[usize::from(kind == EventKind::ExportControl)] |= mentions.len() > first_new;
                if mentions.len() > first_new {
                    // Fillers complete what fired in this sentence (run once per sentence,
                    // not once per mention: a long sentence may hold many mentions).
                    let mut filled = Fields::default();
                    self.apply_fillers(settings, &ann, &mut filled);
                    for m in &mut mentions[first_new..] {
                        m.fields.complete_from(&filled);
                    }
                } else if settings.anaphora.iter().any(|a| a.is_match(&ann.typed)) {
                    // "The order is worth ...": fills the latest event of the kind, when
                    // the sentence adds something.
                    let target = latest(&mentions, kind);
                    let mut fields = Fields::default();
                    if let (Some(target), true) =
                        (target, self.apply_fillers(settings, &ann, &mut fields))
                    {
                        mentions.push(Mention {
                            kind,
                            rule: String::new(),
                            confidence: 0.0,
                            sentence: i,
                            offset: 0,
                            hedged,
                            older: false,
                            status: None,
                            action: None,
                            fields,
                            extra_evidence: Vec::new(),
                            refers_to: Some(target),
                        });
                    }
                }
            }
        }
        // Companies of an export control include the vendors of its products.
        for m in mentions
            .iter_mut()
            .filter(|m| m.kind == EventKind::ExportControl)
        {
            let vendors: Vec<String> = m
                .fields
                .products
                .iter()
                .filter_map(|p| self.gazetteer.vendor_of(p))
                .map(str::to_string)
                .collect();
            for v in vendors {
                if !m.fields.companies.contains(&v) {
                    m.fields.companies.push(v);
                }
            }
        }
        let refs: Vec<SentenceRef<'_>> = sentences
            .iter()
            .map(|s| SentenceRef {
                text: s.text,
                span: s.span,
            })
            .collect();
        assemble(mentions, &refs, published, &self.version)
    }

    fn apply_fillers(&self, settings: &KindSettings, ann: &Annotated, fields: &mut Fields) -> bool {
        let mut changed = false;
        for f in &settings.fillers {
            for caps in f.regex.captures_iter(&ann.typed) {
                changed |= f.bind(&caps, ann, &self.gazetteer, fields);
            }
        }
        changed
    }

    /// Runs every rule's examples and near misses; one message per failure.
    pub fn check_examples(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for rule in &self.rules {
            let at = |what: &str| format!("{} rule `{}` {what}", rule.pack, rule.id);
            for (n, ex) in rule.examples.iter().enumerate() {
                let published = ex
                    .published
                    .as_deref()
                    .and_then(|p| NaiveDate::parse_from_str(p, "%Y-%m-%d").ok());
                let events = self.extract_events(&ex.text, published);
                let fired = events.iter().any(|e| e.rule == rule.id)
                    || self.fires(rule, &ex.text, published);
                if !fired {
                    failures.push(format!(
                        "{}: rule did not fire on `{}`",
                        at(&format!("example {}", n + 1)),
                        ex.text
                    ));
                    continue;
                }
                let of_kind: Vec<&Event> =
                    events.iter().filter(|e| e.kind() == rule.kind).collect();
                let problems: Vec<Vec<String>> = of_kind
                    .iter()
                    .map(|e| examples::mismatches(e, ex))
                    .collect();
                if !problems.iter().any(Vec::is_empty) {
                    let detail = problems
                        .into_iter()
                        .next()
                        .map_or("no event of this kind".to_string(), |p| p.join("; "));
                    failures.push(format!(
                        "{}: `{}`: {detail}",
                        at(&format!("example {}", n + 1)),
                        ex.text
                    ));
                }
            }
            for (n, text) in rule.near_misses.iter().enumerate() {
                let events = self.extract_events(text, NaiveDate::from_ymd_opt(2024, 1, 1));
                if events.iter().any(|e| e.kind() == rule.kind) {
                    failures.push(format!(
                        "{}: `{text}` produced a {} event",
                        at(&format!("near miss {}", n + 1)),
                        rule.kind
                    ));
                }
            }
        }
        failures
    }

    /// Whether `rule` matches some sentence of `text` (it may still not make an event).
    fn fires(&self, rule: &Rule, text: &str, published: Option<NaiveDate>) -> bool {
        split_sentences(text).iter().any(|s| {
            let ann = annotate(&self.gazetteer, s.text, published);
            rule.pattern.regex.is_match(&ann.typed)
        })
    }
}

fn kind_name(k: usize) -> &'static str {
    if k == 0 {
        "chip_order"
    } else {
        "export_control"
    }
}

fn annotated<'c>(
    cache: &'c mut [Option<Annotated>],
    i: usize,
    g: &Gazetteer,
    text: &str,
    published: Option<NaiveDate>,
) -> &'c Annotated {
    let slot = &mut cache[i];
    slot.get_or_insert_with(|| annotate(g, text, published))
}

/// The mention an anaphoric sentence refers to: the latest one that can stand alone,
/// else the latest of the kind.
fn latest(mentions: &[Mention], kind: EventKind) -> Option<usize> {
    let of_kind = || {
        mentions
            .iter()
            .enumerate()
            .filter(|(_, m)| m.kind == kind && m.refers_to.is_none())
    };
    let standalone = of_kind()
        .filter(|(_, m)| {
            m.fields.product.is_some()
                || m.fields.quantity.is_some()
                || m.fields.value.is_some()
                || !m.fields.products.is_empty()
                || !m.fields.targets.is_empty()
        })
        .map(|(i, _)| i)
        .next_back();
    standalone.or_else(|| of_kind().map(|(i, _)| i).next_back())
}

fn compile_rule(
    path: &str,
    r: &pack::RawRule,
    refs: &[Vec<String>; 2],
    earlier: &[Rule],
) -> Result<Rule, RuleError> {
    let err = |message: String| RuleError::Rule {
        path: path.to_string(),
        rule: r.id.clone(),
        message,
    };
    if r.id.trim().is_empty() {
        return Err(err("empty `id`; give every rule a unique id".into()));
    }
    if let Some(other) = earlier.iter().find(|o| o.id == r.id) {
        return Err(err(format!(
            "duplicate id (also in {}); rule ids must be unique",
            other.pack
        )));
    }
    if r.triggers.iter().all(|t| t.trim().is_empty()) {
        return Err(err(
            "`triggers` is empty; list the literal words the rule needs (e.g. [\"order\"])".into(),
        ));
    }
    if !(r.confidence > 0.0 && r.confidence <= 1.0) {
        return Err(err(format!(
            "`confidence` = {} must be in (0, 1]",
            r.confidence
        )));
    }
    match r.kind {
        EventKind::ChipOrder if r.action.is_some() => {
            return Err(err(
                "`action` is for export_control rules; use `status`".into()
            ))
        }
        EventKind::ExportControl if r.status.is_some() => {
            return Err(err("`status` is for chip_order rules; use `action`".into()))
        }
        _ => {}
    }
    for (n, ex) in r.examples.iter().enumerate() {
        if let Some(p) = &ex.published {
            if NaiveDate::parse_from_str(p, "%Y-%m-%d").is_err() {
                return Err(err(format!(
                    "example {}: `published` = `{p}` is not YYYY-MM-DD",
                    n + 1
                )));
            }
        }
        if let Some(bad) = ex
            .absent
            .iter()
            .find(|f| !pack::FIELD_NAMES.contains(&f.as_str()))
        {
            return Err(err(format!(
                "example {}: `absent` names unknown field `{bad}`",
                n + 1
            )));
        }
    }
    let k = usize::from(r.kind == EventKind::ExportControl);
    let pattern =
        compile(&r.pattern, r.kind, &refs[k]).map_err(|m| err(format!("`pattern`: {m}")))?;
    Ok(Rule {
        id: r.id.clone(),
        pack: path.to_string(),
        kind: r.kind,
        pattern,
        status: r.status,
        action: r.action,
        confidence: r.confidence,
        triggers: r.triggers.clone(),
        examples: r.examples.clone(),
        near_misses: r.near_misses.clone(),
    })
}
