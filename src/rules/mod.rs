//! Rule packs and the matcher: from an article's text to its events. This module owns the
//! public face of the stage — `RuleSet` (packs loaded, validated and compiled once;
//! `Send + Sync`), `RuleError`, extraction and the self-check of every rule's embedded
//! examples. The work is split by step: `pack` (TOML schema and files), `gazetteer`
//! (names), `numbers` and `dates` (built-in recognisers), `annotate` (typed sentences),
//! `matcher` (the pattern language and slot binding) and `assemble` (mentions → events).
//!
//! Per article: the frames' head words are found once (`prefilter`); an article with none
//! has no event and is not even split into sentences. Per sentence: one without a head
//! word, or naming nothing, stops there, unannotated; the rest are annotated and the
//! frames run over the typed sentence; per-kind fillers add slots to what fired, anaphora
//! add to the latest event; then the article's mentions are merged into events.

mod annotate;
mod assemble;
mod dates;
pub mod eval;
mod examples;
mod extract;
mod frames;
mod gazetteer;
mod lexicon;
mod matcher;
mod names;
mod numbers;
mod pack;
mod prefilter;
#[cfg(test)]
mod tests;
mod tokens;
mod word_table;

use std::path::PathBuf;

use chrono::NaiveDate;
use regex::{Regex, RegexBuilder};
use sha2::{Digest, Sha256};

use crate::model::{Event, EventDetails, EventKind, PartialDate, Span};
use crate::text::split_sentences;

use assemble::{agree, assemble, SentenceRef};
use frames::KindWords;
use gazetteer::Gazetteer;
use lexicon::Lexicon;
use matcher::{compile, Pattern};
use pack::RawPack;
use prefilter::{AnyOf, HeadWords};

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

#[derive(Default)]
struct KindSettings {
    fillers: Vec<Pattern>,
    /// The fillers' regexes as one set: which of them can match a sentence at all.
    filler_set: Option<regex::RegexSet>,
    anaphora: AnyOf,
    older: AnyOf,
}

/// Compiled rule packs. Build once per process; matching borrows it immutably.
pub struct RuleSet {
    version: String,
    gazetteer: Gazetteer,
    lexicon: Lexicon,
    /// Every head word of every frame: a sentence with none is never annotated.
    head_words: HeadWords,
    /// Fillers, anaphora and older cues, indexed by `kind_index`.
    kinds: [KindSettings; 2],
    /// Negation, intention and speculation cues and word lists, by `kind_index`.
    kind_words: [KindWords; 2],
    /// Phrases standing for the previous sentence's products ("these alternatives").
    product_refs: AnyOf,
    hedges: Option<Regex>,
    /// Primary language subtags the rules cover; empty when no pack says.
    languages: Vec<String>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("version", &self.version)
            .field("frames", &self.lexicon.frames.len())
            .finish_non_exhaustive()
    }
}

/// "AMD had agreed to buy $1.6 billion worth of chips" after an order AMD placed with
/// GlobalFoundries: an order that names no seller and no product (so no maker either)
/// takes the one seller the article names for the same buyer.
fn seller_from_article(events: &mut [Event]) {
    let pairs: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match &e.details {
            EventDetails::ChipOrder(o) => Some((o.buyer.clone()?, o.supplier.clone()?)),
            EventDetails::ExportControl(_) => None,
        })
        .collect();
    for event in events.iter_mut() {
        let EventDetails::ChipOrder(order) = &mut event.details else {
            continue;
        };
        let Some(buyer) = order.buyer.as_deref() else {
            continue;
        };
        if order.supplier.is_some() || order.product.is_some() {
            continue;
        }
        let mut sellers = pairs.iter().filter(|(b, _)| b == buyer).map(|(_, s)| s);
        if let (Some(only), None) = (sellers.next(), sellers.next()) {
            order.supplier = Some(only.clone());
        }
    }
}

/// An order whose buyer and seller one sentence states outright (`Hit::sides_stated`).
struct StatedSides {
    buyer: String,
    supplier: String,
    span: Span,
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

    /// Whether the rules are written for a document in `lang` (a BCP 47 tag such as
    /// "en-GB"). With no pack declaring languages, every language counts as covered.
    pub fn covers_language(&self, lang: &str) -> bool {
        let primary = lang
            .split(['-', '_'])
            .next()
            .unwrap_or(lang)
            .trim()
            .to_ascii_lowercase();
        self.languages.is_empty() || self.languages.contains(&primary)
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
                    RegexBuilder::new(&matcher::ascii_boundaries(&format!("(?i){s}")))
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

        let mut kinds = [KindSettings::default(), KindSettings::default()];
        // Compiled one by one, so an error names its pack; joined once all are read.
        let mut anaphora: [Vec<Regex>; 2] = [Vec::new(), Vec::new()];
        let mut older: [Vec<Regex>; 2] = [Vec::new(), Vec::new()];
        let mut kind_words = [KindWords::default(), KindWords::default()];
        let mut product_refs: Vec<Regex> = Vec::new();
        let mut hedges: Vec<String> = Vec::new();
        let mut languages: Vec<String> = Vec::new();
        let mut lexicon = Lexicon::default();
        for (path, p) in &parsed {
            for lang in &p.languages {
                let lang = lang.trim().to_ascii_lowercase();
                if lang.len() != 2 || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
                    return Err(RuleError::Setting {
                        path: path.clone(),
                        section: "top level".into(),
                        key: "languages".into(),
                        message: format!("{lang:?} is not a two-letter ISO 639-1 code"),
                    });
                }
                if !languages.contains(&lang) {
                    languages.push(lang);
                }
            }
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
                    let pattern = compile(f, kind, &[]).map_err(|message| RuleError::Setting {
                        path: path.clone(),
                        section: kind_name(k).into(),
                        key: "fillers".into(),
                        message: format!("`{f}`: {message}"),
                    })?;
                    kinds[k].fillers.push(pattern);
                }
                anaphora[k].extend(compile_regexes(
                    path,
                    kind_name(k),
                    "anaphora",
                    &s.anaphora,
                )?);
                older[k].extend(compile_regexes(path, kind_name(k), "older", &s.older)?);
                product_refs.extend(compile_regexes(
                    path,
                    kind_name(k),
                    "product_refs",
                    &s.product_refs,
                )?);
                let words = &mut kind_words[k];
                words.negations.extend(compile_regexes(
                    path,
                    kind_name(k),
                    "negations",
                    &s.negations,
                )?);
                words.speculative.extend(compile_regexes(
                    path,
                    kind_name(k),
                    "speculative",
                    &s.speculative,
                )?);
                words
                    .planned
                    .extend(compile_regexes(path, kind_name(k), "planned", &s.planned)?);
                words
                    .topic
                    .extend(compile_regexes(path, kind_name(k), "topic", &s.topic)?);
                words.exclusions.extend(compile_regexes(
                    path,
                    kind_name(k),
                    "exclusions",
                    &s.exclusions,
                )?);
                words.goods.extend(s.goods.iter().map(|g| g.to_lowercase()));
                words
                    .entity_nouns
                    .extend(s.entity_nouns.iter().map(|g| g.to_lowercase()));
            }
            lexicon.add(path, &p.frames)?;
            for f in &p.frames {
                for (n, ex) in f.examples.iter().enumerate() {
                    check_example(path, &f.id, n, ex)?;
                }
            }
        }
        let head_words = HeadWords::new(lexicon.first_words()).map_err(|e| RuleError::Setting {
            path: "(all packs)".into(),
            section: "frames".into(),
            key: "verbs".into(),
            message: format!("head words do not compile: {e}"),
        })?;
        let joined = |key: &str, regexes: &[Regex]| {
            AnyOf::new(regexes).map_err(|e| RuleError::Setting {
                path: "(all packs)".into(),
                section: "chip_order, export_control".into(),
                key: key.into(),
                message: format!("the patterns do not compile together: {e}"),
            })
        };
        // The frames only ask whether any of a kind's cue regexes matches.
        for words in &mut kind_words {
            for list in [
                &mut words.negations,
                &mut words.speculative,
                &mut words.planned,
                &mut words.topic,
                &mut words.exclusions,
            ] {
                prefilter::fold_any(list);
            }
        }
        for (k, settings) in kinds.iter_mut().enumerate() {
            settings.anaphora = joined("anaphora", &anaphora[k])?;
            settings.older = joined("older", &older[k])?;
            settings.filler_set = prefilter::regex_set(settings.fillers.iter().map(|f| &f.regex));
        }
        let product_refs = joined("product_refs", &product_refs)?;
        let hedges = if hedges.is_empty() {
            None
        } else {
            let joined = format!("(?i)(?:{})", hedges.join("|"));
            Some(
                RegexBuilder::new(&matcher::ascii_boundaries(&joined))
                    .build()
                    .map_err(|e| RuleError::Setting {
                        path: "(all packs)".into(),
                        section: "top level".into(),
                        key: "hedges".into(),
                        message: e.to_string(),
                    })?,
            )
        };
        Ok(RuleSet {
            version,
            gazetteer,
            lexicon,
            head_words,
            kinds,
            kind_words,
            product_refs,
            hedges,
            languages,
        })
    }

    fn settings(&self, kind: EventKind) -> &KindSettings {
        &self.kinds[kind_index(kind)]
    }

    /// Events of one article, ordered by first span. `published` resolves relative dates.
    pub fn extract_events(&self, text: &str, published: Option<NaiveDate>) -> Vec<Event> {
        // Every mention needs a sentence with a head word (an anaphoric sentence needs an
        // earlier mention), so an article without one has no event.
        let heads = self.head_words.find(text);
        if heads.is_empty() {
            return Vec::new();
        }
        let sentences = split_sentences(text);
        let mentions = self.mentions(&sentences, &heads, published);
        let refs: Vec<SentenceRef<'_>> = sentences
            .iter()
            .map(|s| SentenceRef {
                text: s.text,
                span: s.span,
            })
            .collect();
        let stated: Vec<StatedSides> = mentions
            .iter()
            .filter(|m| m.sides_stated)
            .filter_map(|m| {
                Some(StatedSides {
                    buyer: m.fields.buyer.clone()?,
                    supplier: m.fields.supplier.clone()?,
                    span: refs.get(m.sentence)?.span,
                })
            })
            .collect();
        let mut events = assemble(mentions, &refs, published, &self.version);
        for event in &mut events {
            self.upstream_sells(event, &stated);
            self.infer_supplier(event);
            self.home_vendors(event);
            self.models_over_chip_class(event);
        }
        // A company does not order from itself: one side was misread.
        events.retain(|e| match &e.details {
            EventDetails::ChipOrder(o) => o.buyer.is_none() || o.buyer != o.supplier,
            EventDetails::ExportControl(_) => true,
        });
        seller_from_article(&mut events);
        merge_repeated_orders(&mut events);
        self.destinations_from_passage(&mut events);
        events
    }

    /// A control whose own sentences name no destination ("the latest round of US export
    /// restrictions took effect in October 2023") is about the destinations the article
    /// gives a control of the same authority: the nearest earlier one, else the first
    /// later one. Only countries carry over; listed companies belong to their own control.
    fn destinations_from_passage(&self, events: &mut [Event]) {
        let year = |d: Option<PartialDate>| d.map(|d| d.year());
        let countries_of = |e: &Event| -> Option<(String, Vec<String>, Option<i32>)> {
            let EventDetails::ExportControl(c) = &e.details else {
                return None;
            };
            let countries: Vec<String> = c
                .targets
                .iter()
                .filter(|t| self.gazetteer.jurisdictions.contains(t))
                .cloned()
                .collect();
            Some((c.authority.clone()?, countries, year(c.effective)))
        };
        let stated: Vec<_> = events.iter().map(countries_of).collect();
        for (i, event) in events.iter_mut().enumerate() {
            let EventDetails::ExportControl(control) = &mut event.details else {
                continue;
            };
            let Some(authority) = control.authority.as_deref() else {
                continue;
            };
            if !control.targets.is_empty() {
                continue;
            }
            // Not from a measure of another year ("in 2010 ... to Japan").
            let own_year = year(control.effective);
            let given = |j: usize| {
                stated
                    .get(j)
                    .and_then(Option::as_ref)
                    .filter(|(a, countries, when)| {
                        a == authority
                            && !countries.is_empty()
                            && (own_year.is_none() || when.is_none() || *when == own_year)
                    })
                    .map(|(_, countries, _)| countries.clone())
            };
            let found = (0..i)
                .rev()
                .find_map(given)
                .or_else(|| (i + 1..stated.len()).find_map(given));
            if let Some(countries) = found {
                control.targets = countries;
            }
        }
    }

    /// A control does not target a company of its own jurisdiction: "the US restricted
    /// AMD's sales to China" affects AMD as a vendor, so it moves to `companies`.
    fn home_vendors(&self, event: &mut Event) {
        let EventDetails::ExportControl(control) = &mut event.details else {
            return;
        };
        let Some(authority) = control.authority.clone() else {
            return;
        };
        let (home, targets): (Vec<String>, Vec<String>) = control
            .targets
            .drain(..)
            .partition(|t| self.gazetteer.country_of(t) == Some(authority.as_str()));
        control.targets = targets;
        for vendor in home {
            if !control.companies.contains(&vendor) {
                control.companies.push(vendor);
            }
        }
    }

    /// "H20 chips and other advanced AI chips": a control that names chip models is about
    /// those models; the class named beside them adds nothing specific.
    fn models_over_chip_class(&self, event: &mut Event) {
        const CHIP_CLASS: &str = "advanced computing chips";
        let EventDetails::ExportControl(control) = &mut event.details else {
            return;
        };
        let g = &self.gazetteer;
        let names_a_chip_model = control.products.iter().any(|p| {
            g.category_of(p) != Some("class") && g.vendor_of(p).is_some_and(|v| g.tier(v) >= 3)
        });
        if names_a_chip_model {
            control.products.retain(|p| p != CHIP_CLASS);
        }
    }

    /// Chips flow downstream: a memory maker or a foundry does not buy from the chip
    /// designer it makes parts for ("Samsung ... Nvidia's HBM4"), nor a chip designer from
    /// its cloud customer. When the sides read that way round, they are swapped, unless a
    /// sentence states them so (`stated`: "Samsung will deploy 50,000 Nvidia GPUs").
    fn upstream_sells(&self, event: &mut Event, stated: &[StatedSides]) {
        let EventDetails::ChipOrder(order) = &mut event.details else {
            return;
        };
        if let (Some(buyer), Some(supplier)) = (&order.buyer, &order.supplier) {
            if stated.iter().any(|s| {
                &s.buyer == buyer && &s.supplier == supplier && event.spans.contains(&s.span)
            }) {
                return;
            }
            let g = &self.gazetteer;
            // A cloud that designs chips of its own (Microsoft's Maia) still buys servers
            // from a stated systems maker: a guessed tier does not overrule a stated one.
            let guess_against_fact = !g.tier_is_stated(buyer) && g.tier_is_stated(supplier);
            if g.tier(buyer) < g.tier(supplier) && !guess_against_fact {
                std::mem::swap(&mut order.buyer, &mut order.supplier);
            }
        }
    }

    /// An order that names no seller takes its product's maker as supplier (DESIGN.md:
    /// the one inference allowed), and says so in `inferred`.
    fn infer_supplier(&self, event: &mut Event) {
        let EventDetails::ChipOrder(order) = &mut event.details else {
            return;
        };
        if order.supplier.is_some() {
            return;
        }
        // A maker further downstream than the buyer is the buyer's customer ("Samsung ...
        // Tesla's AI6"), not its supplier: nothing is inferred then.
        let maker = order
            .product
            .as_deref()
            .and_then(|p| self.gazetteer.vendor_of(p))
            .filter(|v| order.buyer.as_deref() != Some(*v))
            .filter(|v| {
                order
                    .buyer
                    .as_deref()
                    .is_none_or(|b| self.gazetteer.tier(b) >= self.gazetteer.tier(v))
            });
        if let Some(maker) = maker {
            order.supplier = Some(maker.to_string());
            event.inferred = vec!["supplier".to_string()];
        }
    }

    /// Runs every rule's examples and near misses; one message per failure naming the
    /// pack, the rule and the example (empty: all good).
    pub fn check_examples(&self) -> Vec<String> {
        examples::check(self)
    }

    /// The canonical name of the organisation, product, jurisdiction or agency that `name`
    /// denotes: an alias as the packs write it ("U.S." → "United States"), else a
    /// canonical name in any letter case. `None` when the gazetteer does not know it.
    pub fn canonical_entity(&self, name: &str) -> Option<String> {
        let name = name.trim();
        let hits = self.gazetteer.scan(name);
        if let [hit] = hits.as_slice() {
            if hit.start == 0 && hit.end == name.len() {
                return Some(self.gazetteer.name(hit.entity).to_string());
            }
        }
        let g = &self.gazetteer;
        g.orgs
            .iter()
            .chain(g.products.iter().map(|p| &p.name))
            .chain(&g.jurisdictions)
            .chain(g.agencies.iter().map(|a| &a.name))
            .find(|canonical| canonical.to_lowercase() == name.to_lowercase())
            .cloned()
    }
}

/// Index of a kind in per-kind arrays.
fn kind_index(kind: EventKind) -> usize {
    usize::from(kind == EventKind::ExportControl)
}

fn kind_name(k: usize) -> &'static str {
    if k == 0 {
        "chip_order"
    } else {
        "export_control"
    }
}

/// An example's own settings must be valid whatever the frame does with it.
fn check_example(
    path: &str,
    frame: &str,
    n: usize,
    ex: &pack::RawExample,
) -> Result<(), RuleError> {
    let err = |message: String| RuleError::Rule {
        path: path.to_string(),
        rule: frame.to_string(),
        message,
    };
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
    Ok(())
}

/// Two orders that only the sides' reading kept apart (one frame read the buyer as the
/// seller until chips were set flowing downstream) are one: the same parties and
/// product, and figures that do not differ. The later one's evidence joins the first.
fn merge_repeated_orders(events: &mut Vec<Event>) {
    let mut i = 0;
    while i < events.len() {
        let twin = events.iter().take(i).position(|earlier| {
            let (EventDetails::ChipOrder(a), EventDetails::ChipOrder(b)) =
                (&earlier.details, &events[i].details)
            else {
                return false;
            };
            a.buyer.is_some()
                && a.supplier.is_some()
                && a.product.is_some()
                && (&a.buyer, &a.supplier, &a.product) == (&b.buyer, &b.supplier, &b.product)
                && agree(&a.quantity, &b.quantity)
                && agree(&a.value, &b.value)
                && agree(&a.delivery, &b.delivery)
                && a.status == b.status
        });
        let Some(first) = twin else {
            i += 1;
            continue;
        };
        let later = events.remove(i);
        let EventDetails::ChipOrder(b) = later.details else {
            continue;
        };
        let target = &mut events[first];
        if let EventDetails::ChipOrder(a) = &mut target.details {
            a.quantity = a.quantity.or(b.quantity);
            if a.value.is_none() {
                a.value = b.value;
                a.value_usd = b.value_usd;
            }
            a.delivery = a.delivery.or(b.delivery);
        }
        let mut evidence: Vec<(Span, String)> = target
            .spans
            .drain(..)
            .zip(target.evidence.drain(..))
            .collect();
        for (span, sentence) in later.spans.into_iter().zip(later.evidence) {
            if !evidence.iter().any(|(s, _)| *s == span) {
                evidence.push((span, sentence));
            }
        }
        evidence.sort_by_key(|(span, _)| *span);
        (target.spans, target.evidence) = evidence.into_iter().unzip();
        target.hedged &= later.hedged;
        target.confidence = target.confidence.max(later.confidence);
    }
}
