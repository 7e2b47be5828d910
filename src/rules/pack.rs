//! The on-disk shape of a rule pack and how packs are read. This module owns the TOML
//! schema (`deny_unknown_fields` everywhere, so a misspelt key is an error rather than a
//! silently ignored setting), the embedded shipped packs, and turning a list of files or
//! directories into `(path, text)` pairs in a stable order. It compiles nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::{ControlAction, EventKind, Money, OrderStatus};

use super::RuleError;

/// The packs shipped in `config/rules/`, in the order `load` reads that directory (sorted
/// by file name), so the embedded packs and `load(["config/rules"])` share a version.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "config/rules/chip_orders.toml",
        include_str!("../../config/rules/chip_orders.toml"),
    ),
    (
        "config/rules/export_controls.toml",
        include_str!("../../config/rules/export_controls.toml"),
    ),
    (
        "config/rules/gazetteer.toml",
        include_str!("../../config/rules/gazetteer.toml"),
    ),
    (
        "config/rules/hedges.toml",
        include_str!("../../config/rules/hedges.toml"),
    ),
];

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawPack {
    /// Languages (ISO 639-1, e.g. "en") the pack's rules are written for.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Regexes (case-insensitive) marking a sentence as second-hand reporting.
    #[serde(default)]
    pub hedges: Vec<String>,
    #[serde(default)]
    pub organisations: Vec<RawOrganisation>,
    #[serde(default)]
    pub products: Vec<RawProduct>,
    #[serde(default)]
    pub jurisdictions: Vec<RawJurisdiction>,
    #[serde(default)]
    pub agencies: Vec<RawAgency>,
    #[serde(default)]
    pub chip_order: Option<RawKindSettings>,
    #[serde(default)]
    pub export_control: Option<RawKindSettings>,
    #[serde(default)]
    pub frames: Vec<RawFrame>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOrganisation {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The jurisdiction the organisation is based in: a control by that jurisdiction
    /// affects it as a vendor rather than targets it (the US barring Nvidia's sales).
    #[serde(default)]
    pub country: Option<String>,
    /// What the organisation sells, upstream first: `equipment`, `foundry`, `memory`,
    /// `chips`, `systems`. In a deal between two named companies the more upstream one is
    /// the supplier (TSMC makes Nvidia's chips; ASML sells TSMC its tools).
    #[serde(default)]
    pub supplies: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProduct {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Canonical name of an organisation in some loaded pack.
    #[serde(default)]
    pub vendor: Option<String>,
    /// `family` (a product line: a model named with it wins), `class` (generic goods such
    /// as "advanced computing chips": a control's product, never an order's), or any
    /// other word for the kind of chip.
    #[serde(default)]
    pub category: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJurisdiction {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAgency {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Canonical name of a jurisdiction; the authority when a sentence names only the agency.
    #[serde(default)]
    pub jurisdiction: Option<String>,
}

/// Per-kind settings that are not frames of their own: slot fillers, references back to
/// the latest event, and the word lists the frames consult.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawKindSettings {
    /// Slot-filler patterns, e.g. `worth {value:money}`.
    #[serde(default)]
    pub fillers: Vec<String>,
    /// Sentence patterns that refer back to the latest event ("The order ...").
    #[serde(default)]
    pub anaphora: Vec<String>,
    /// Phrases standing for the last product list of the previous sentence
    /// ("these alternatives").
    #[serde(default)]
    pub product_refs: Vec<String>,
    /// Cues marking an older, different action ("previous regulations").
    #[serde(default)]
    pub older: Vec<String>,
    /// Regexes over the clause up to the head word that deny or negate it ("denied that
    /// it had ordered", "has not placed"): such a mention is dropped.
    #[serde(default)]
    pub negations: Vec<String>,
    /// Regexes over the clause up to the head word that make a mention talk rather than
    /// fact ("is considering", "could"): dropped for export controls, `planned` for orders.
    #[serde(default)]
    pub speculative: Vec<String>,
    /// Regexes over the clause up to the head word that mark an intention ("plans to",
    /// "in talks to"): an order becomes `planned`.
    #[serde(default)]
    pub planned: Vec<String>,
    /// Nouns that name the goods generically ("chips", "GPUs"): a number before one is a
    /// quantity, and an organisation before one is the goods' maker.
    #[serde(default)]
    pub goods: Vec<String>,
    /// Regexes over the whole sentence (plain words): when given, a mention counts only in
    /// a sentence matching one, so "travel restrictions" are no export control.
    #[serde(default)]
    pub topic: Vec<String>,
    /// Regexes over the whole sentence (plain words): a sentence matching one yields no
    /// mention of this kind ("a cloud capacity deal" is not an order of chips).
    #[serde(default)]
    pub exclusions: Vec<String>,
    /// Nouns that name listed parties ("entities", "companies"): a jurisdiction's demonym
    /// before one ("Chinese entities") is a target.
    #[serde(default)]
    pub entity_nouns: Vec<String>,
}

/// A frame: the words that evoke one kind of event and the role of each argument.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFrame {
    pub id: String,
    pub kind: EventKind,
    #[serde(default)]
    pub status: Option<OrderStatus>,
    #[serde(default)]
    pub action: Option<ControlAction>,
    #[serde(default = "default_confidence")]
    pub confidence: f64,
    /// Verbs, inflected by the engine: `buy|bought`, `supply`, `snap up|snapped up`.
    #[serde(default)]
    pub verbs: Vec<String>,
    /// Nouns (singular; the plural is derived): `order`, `export control`.
    #[serde(default)]
    pub nouns: Vec<String>,
    /// Nouns that stand for one of the frame's nouns named before ("placed on the list"
    /// after "the Entity List"): heads only after a determiner, taken by a governor, and
    /// only where the article names one of `nouns` in that sentence or before.
    #[serde(default)]
    pub back_nouns: Vec<String>,
    /// Role of the subject of an active verb (or of a governor without its own).
    #[serde(default)]
    pub subject: Option<String>,
    /// Role of a bare noun phrase after the head.
    #[serde(default)]
    pub object: Option<String>,
    /// Role of the subject of a passive verb ("chips were bought by X").
    #[serde(default)]
    pub passive: Option<String>,
    /// Role of a possessor before a noun head ("Baidu's order").
    #[serde(default)]
    pub possessor: Option<String>,
    /// Role of a date among the arguments: `delivery` ("shipped ... in March") or
    /// `effective`.
    #[serde(default)]
    pub dates: Option<String>,
    /// Role of a name in front of the goods ("Tesla's AI4 chips"); by default their maker,
    /// the supplier. A foundry frame sets `buyer`.
    #[serde(default)]
    pub owner: Option<String>,
    /// Role of a noun phrase after each cue word: `{ from = "supplier", to = "buyer" }`.
    #[serde(default)]
    pub cues: BTreeMap<String, String>,
    /// Verbs that take the frame's nouns as object ("place an order").
    #[serde(default)]
    pub governors: Vec<RawGovernor>,
    /// The frame fires only under a negation ("cannot be sold to China", "will not
    /// allow"), which then does not drop it.
    #[serde(default)]
    pub when_negated: bool,
    /// The frame's verbs count only as finite verbs ("will use"), not as gerunds or
    /// infinitives ("using Amazon's Trainium alongside ...").
    #[serde(default)]
    pub finite: bool,
    /// Fields a mention of this frame must state to count (e.g. `["targets"]`).
    #[serde(default)]
    pub requires: Vec<String>,
    /// Capitalised names the gazetteer does not know may fill the roles ("added Sunway
    /// Microelectronics to the Entity List"). Off by default: elsewhere such names are
    /// too often places, outlets or sentence openers.
    #[serde(default)]
    pub unknown_names: bool,
    #[serde(default)]
    pub examples: Vec<RawExample>,
    #[serde(default)]
    pub near_misses: Vec<String>,
}

/// Verbs governing a frame's nouns, the role of their subject and what they change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGovernor {
    pub verbs: Vec<String>,
    #[serde(default)]
    pub subject: Option<String>,
    /// Role of a name between the verb and the noun ("awarded TSMC the contract").
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub cues: BTreeMap<String, String>,
    /// Role of dates, replacing the frame's ("announced on Monday" dates no effect).
    #[serde(default)]
    pub dates: Option<String>,
    #[serde(default)]
    pub status: Option<OrderStatus>,
    #[serde(default)]
    pub action: Option<ControlAction>,
    #[serde(default)]
    pub confidence: Option<f64>,
}

fn default_confidence() -> f64 {
    0.8
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawExample {
    pub text: String,
    /// `YYYY-MM-DD`; dates in the text resolve against it.
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub expect: Expect,
    /// Fields that must be null or empty.
    #[serde(default)]
    pub absent: Vec<String>,
}

/// Expected field values of the event an example must produce; unset keys are not checked.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub buyer: Option<String>,
    pub supplier: Option<String>,
    pub product: Option<String>,
    pub quantity: Option<u64>,
    pub value: Option<Money>,
    pub value_usd: Option<f64>,
    pub delivery: Option<String>,
    pub status: Option<OrderStatus>,
    pub authority: Option<String>,
    pub agency: Option<String>,
    pub targets: Option<Vec<String>>,
    pub products: Option<Vec<String>>,
    pub companies: Option<Vec<String>>,
    pub action: Option<ControlAction>,
    pub effective: Option<String>,
    pub hedged: Option<bool>,
}

/// Field names accepted in an example's `absent` list.
pub const FIELD_NAMES: &[&str] = &[
    "buyer",
    "supplier",
    "product",
    "quantity",
    "value",
    "value_usd",
    "delivery",
    "status",
    "authority",
    "agency",
    "targets",
    "products",
    "companies",
    "action",
    "effective",
];

/// Parses one pack's text; errors name the file and (through toml) the key and line.
pub fn parse(path: &str, text: &str) -> Result<RawPack, RuleError> {
    toml::from_str(text).map_err(|e| RuleError::Parse {
        path: path.to_string(),
        message: e.to_string(),
    })
}

/// The files in `dir` (not below it) whose name ends in `.{extension}`, sorted by name.
pub(crate) fn files_with_extension(dir: &Path, extension: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == extension) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads every pack named by `paths`: a file is read as is, a directory contributes its
/// `*.toml` files sorted by name (so load order, and with it the version hash, is stable).
pub fn read_all(paths: &[PathBuf]) -> Result<Vec<(String, String)>, RuleError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let files = files_with_extension(path, "toml").map_err(|source| RuleError::Read {
                path: path.display().to_string(),
                source,
            })?;
            if files.is_empty() {
                return Err(RuleError::Empty {
                    path: path.display().to_string(),
                });
            }
            for file in files {
                out.push(read_one(&file)?);
            }
        } else {
            out.push(read_one(path)?);
        }
    }
    Ok(out)
}

fn read_one(path: &Path) -> Result<(String, String), RuleError> {
    let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read {
        path: path.display().to_string(),
        source,
    })?;
    Ok((path.display().to_string(), text))
}
