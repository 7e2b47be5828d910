//! The trigger lexicon. This module owns turning the `[[frames]]` of the packs into a
//! lookup from words to frame heads: each frame lists the verbs and nouns that evoke it
//! (verbs are inflected here: "buy|bought" gives buy, buys, buying, bought), the role of
//! each grammatical position and cue word (subject, object, passive subject, possessor,
//! `from`, `to`, `with`, ...), and the governing verbs that take its nouns as object ("place
//! an order", "win a contract", "lift the ban"), each with its own subject role and
//! status or action. It compiles nothing but word lists and validates role names.

use std::collections::BTreeMap;

use crate::model::{ControlAction, EventKind, OrderStatus};
use crate::quick_hash::QuickMap;

use super::pack::{RawExample, RawFrame};
use super::word_table::WordTable;
use super::RuleError;

/// What an argument becomes in the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Buyer,
    Supplier,
    /// The goods of an order: products, quantities, and the maker in front of a product.
    Product,
    Value,
    /// A counterpart whose side only the names tell (a deal "with" someone).
    Party,
    Authority,
    Targets,
    Products,
    Companies,
    /// When an order's goods arrive (dates only).
    Delivery,
    /// When a control takes effect (dates only).
    Effective,
    /// Cue words that end an argument without filling anything ("for" a purpose).
    Ignore,
}

impl Role {
    fn parse(s: &str, kind: EventKind) -> Option<Role> {
        let role = match (kind, s) {
            (_, "ignore") => Role::Ignore,
            (EventKind::ChipOrder, "buyer") => Role::Buyer,
            (EventKind::ChipOrder, "supplier") => Role::Supplier,
            (EventKind::ChipOrder, "product") => Role::Product,
            (EventKind::ChipOrder, "value") => Role::Value,
            (EventKind::ChipOrder, "party") => Role::Party,
            (EventKind::ChipOrder, "delivery") => Role::Delivery,
            (EventKind::ExportControl, "effective") => Role::Effective,
            (EventKind::ExportControl, "authority") => Role::Authority,
            (EventKind::ExportControl, "targets") => Role::Targets,
            (EventKind::ExportControl, "products") => Role::Products,
            (EventKind::ExportControl, "companies") => Role::Companies,
            _ => return None,
        };
        Some(role)
    }
}

/// The roles of a frame's positions and cue words.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    pub subject: Option<Role>,
    pub object: Option<Role>,
    pub passive: Option<Role>,
    pub possessor: Option<Role>,
    /// Role of the dates among the arguments (delivery or effective), if any.
    pub dates: Option<Role>,
    /// Role of a name in front of the goods ("Tesla's chips"): their maker, the supplier,
    /// unless the frame says otherwise (a foundry makes its buyer's chips).
    pub owner: Option<Role>,
    pub cues: QuickMap<String, Role>,
}

impl Roles {
    /// The role of an argument introduced by `cue` (a preposition), if the frame has one.
    pub fn cue(&self, cue: &str) -> Option<Role> {
        self.cues.get(cue).copied()
    }
}

/// A verb that takes one of a frame's nouns as its object.
#[derive(Debug, Clone)]
pub struct Governor {
    pub subject: Option<Role>,
    /// Role of a name between the verb and the noun ("awarded TSMC the contract").
    pub object: Option<Role>,
    /// Cue roles that replace the frame's own ("won an order *from* X": X is the buyer).
    pub cues: QuickMap<String, Role>,
    /// Role of dates, replacing the frame's.
    pub dates: Option<Role>,
    pub status: Option<OrderStatus>,
    pub action: Option<ControlAction>,
    pub confidence: Option<f64>,
}

/// One compiled frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub id: String,
    pub pack: String,
    pub kind: EventKind,
    pub status: Option<OrderStatus>,
    pub action: Option<ControlAction>,
    pub confidence: f64,
    pub roles: Roles,
    pub governors: Vec<Governor>,
    /// Forms of each governor, parallel to `governors`.
    pub governor_forms: Vec<Vec<(Vec<String>, VerbForm)>>,
    pub when_negated: bool,
    pub finite: bool,
    pub requires: Vec<String>,
    /// Names the gazetteer does not know may fill its roles.
    pub names: bool,
    pub examples: Vec<RawExample>,
    pub near_misses: Vec<String>,
}

/// Which form of a verb a text word is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerbForm {
    Base,
    Third,
    Ing,
    Past,
    /// The past participle, when it differs from the past ("given"); a past that doubles
    /// as participle is `Past`.
    Participle,
}

impl VerbForm {
    /// Whether the form can be a past participle (passive "were bought by").
    pub fn can_be_participle(self) -> bool {
        matches!(self, VerbForm::Past | VerbForm::Participle)
    }
}

/// What a head word is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadKind {
    Verb(VerbForm),
    Noun,
}

/// A word sequence that evokes a frame.
#[derive(Debug, Clone)]
pub struct Head {
    pub words: Vec<String>,
    pub frame: usize,
    pub kind: HeadKind,
    /// A noun standing for one of the frame's nouns named before (`back_nouns`).
    pub back: bool,
}

/// Every frame and the index from first words to heads.
#[derive(Debug, Default)]
pub struct Lexicon {
    pub frames: Vec<Frame>,
    by_first: QuickMap<String, Vec<Head>>,
    /// Base forms of every verb and governor ("buy", "place"): after "to" they make an
    /// infinitive, not a cue.
    pub base_verbs: WordTable,
    /// Every inflected form of every verb and governor ("bought", "placed"): words that
    /// read as verbs.
    pub verb_forms: WordTable,
}

impl Lexicon {
    /// Adds one pack's frames.
    pub fn add(&mut self, path: &str, raw: &[RawFrame]) -> Result<(), RuleError> {
        for r in raw {
            let err = |message: String| RuleError::Rule {
                path: path.to_string(),
                rule: r.id.clone(),
                message,
            };
            if r.id.trim().is_empty() {
                return Err(err("empty `id`; give every frame a unique id".into()));
            }
            if let Some(other) = self.frames.iter().find(|f| f.id == r.id) {
                return Err(err(format!(
                    "duplicate id (also in {}); frame ids must be unique",
                    other.pack
                )));
            }
            if r.verbs.is_empty() && r.nouns.is_empty() {
                return Err(err(
                    "lists no `verbs` and no `nouns`; a frame needs a head word".into(),
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
                        "`action` is for export_control frames; use `status`".into()
                    ))
                }
                EventKind::ExportControl if r.status.is_some() => {
                    return Err(err("`status` is for chip_order frames; use `action`".into()))
                }
                _ => {}
            }
            let role = |key: &str, value: &Option<String>| -> Result<Option<Role>, RuleError> {
                value
                    .as_deref()
                    .map(|v| {
                        Role::parse(v, r.kind).ok_or_else(|| {
                            err(format!(
                                "`{key}` = `{v}` is not a role of a {} ({})",
                                r.kind,
                                role_list(r.kind)
                            ))
                        })
                    })
                    .transpose()
            };
            let cues = |map: &BTreeMap<String, String>,
                        what: &str|
             -> Result<QuickMap<String, Role>, RuleError> {
                let mut out = QuickMap::default();
                for (cue, v) in map {
                    let parsed = Role::parse(v, r.kind).ok_or_else(|| {
                        err(format!(
                            "{what} `{cue}` = `{v}` is not a role of a {} ({})",
                            r.kind,
                            role_list(r.kind)
                        ))
                    })?;
                    out.insert(cue.to_lowercase(), parsed);
                }
                Ok(out)
            };
            let roles = Roles {
                subject: role("subject", &r.subject)?,
                object: role("object", &r.object)?,
                passive: role("passive", &r.passive)?,
                possessor: role("possessor", &r.possessor)?,
                dates: role("dates", &r.dates)?,
                owner: role("owner", &r.owner)?,
                cues: cues(&r.cues, "cue")?,
            };
            if let Some(bad) = r
                .requires
                .iter()
                .find(|f| !super::pack::FIELD_NAMES.contains(&f.as_str()))
            {
                return Err(err(format!("`requires` names unknown field `{bad}`")));
            }
            if !r.back_nouns.is_empty() && (r.nouns.is_empty() || r.governors.is_empty()) {
                return Err(err(
                    "has `back_nouns` but no `nouns` to stand for or no `governors` to take them"
                        .into(),
                ));
            }
            let mut governors = Vec::new();
            let mut governor_forms = Vec::new();
            for g in &r.governors {
                if r.nouns.is_empty() {
                    return Err(err(
                        "has `governors` but no `nouns` for them to govern".into()
                    ));
                }
                if r.kind == EventKind::ChipOrder && g.action.is_some()
                    || r.kind == EventKind::ExportControl && g.status.is_some()
                {
                    return Err(err(
                        "a governor sets `status` (chip_order) or `action` (export_control)".into(),
                    ));
                }
                let mut forms = Vec::new();
                for spec in &g.verbs {
                    forms.extend(
                        verb_forms(spec).map_err(|m| err(format!("governor `{spec}`: {m}")))?,
                    );
                }
                for (words, form) in &forms {
                    if let Some(w) = words.first() {
                        if *form == VerbForm::Base {
                            self.base_verbs.insert(w);
                        }
                        self.verb_forms.insert(w);
                    }
                }
                governors.push(Governor {
                    subject: role("governor subject", &g.subject)?,
                    object: role("governor object", &g.object)?,
                    cues: cues(&g.cues, "governor cue")?,
                    dates: role("governor dates", &g.dates)?,
                    status: g.status,
                    action: g.action,
                    confidence: g.confidence,
                });
                governor_forms.push(forms);
            }
            let index = self.frames.len();
            for spec in &r.verbs {
                for (words, form) in
                    verb_forms(spec).map_err(|m| err(format!("verb `{spec}`: {m}")))?
                {
                    if let Some(w) = words.first() {
                        if form == VerbForm::Base {
                            self.base_verbs.insert(w);
                        }
                        self.verb_forms.insert(w);
                    }
                    self.insert(Head {
                        words,
                        frame: index,
                        kind: HeadKind::Verb(form),
                        back: false,
                    });
                }
            }
            let nouns = r.nouns.iter().map(|n| (n, false));
            for (spec, back) in nouns.chain(r.back_nouns.iter().map(|n| (n, true))) {
                for words in noun_forms(spec).map_err(|m| err(format!("noun `{spec}`: {m}")))? {
                    self.insert(Head {
                        words,
                        frame: index,
                        kind: HeadKind::Noun,
                        back,
                    });
                }
            }
            self.frames.push(Frame {
                id: r.id.clone(),
                pack: path.to_string(),
                kind: r.kind,
                status: r.status,
                action: r.action,
                confidence: r.confidence,
                roles,
                governors,
                governor_forms,
                when_negated: r.when_negated,
                finite: r.finite,
                names: r.unknown_names,
                requires: r.requires.clone(),
                examples: r.examples.clone(),
                near_misses: r.near_misses.clone(),
            });
        }
        Ok(())
    }

    fn insert(&mut self, head: Head) {
        let Some(first) = head.words.first().cloned() else {
            return;
        };
        let list = self.by_first.entry(first).or_default();
        if !list
            .iter()
            .any(|h| h.words == head.words && h.frame == head.frame)
        {
            list.push(head);
        }
    }

    /// Every head word (first words), for the prefilter that skips sentences with none.
    pub fn first_words(&self) -> impl Iterator<Item = &str> {
        self.by_first.keys().map(String::as_str)
    }

    /// The heads starting at token `i` of `words` (`None` for tokens that are not
    /// words), longest first.
    pub fn heads_at<'a>(&'a self, words: &[Option<&str>], i: usize) -> Vec<&'a Head> {
        let Some(Some(first)) = words.get(i) else {
            return Vec::new();
        };
        let Some(candidates) = self.by_first.get(*first) else {
            return Vec::new();
        };
        let mut out: Vec<&Head> = candidates
            .iter()
            .filter(|h| {
                h.words
                    .iter()
                    .enumerate()
                    .all(|(k, w)| words.get(i + k).copied().flatten() == Some(w.as_str()))
            })
            .collect();
        out.sort_by_key(|h| std::cmp::Reverse(h.words.len()));
        out
    }
}

fn role_list(kind: EventKind) -> &'static str {
    match kind {
        EventKind::ChipOrder => "buyer, supplier, product, value, party, delivery or ignore",
        EventKind::ExportControl => "authority, targets, products, companies, effective or ignore",
    }
}

/// The forms of a verb spec: `lemma`, `lemma|past` or `lemma|past|participle`; only the
/// first word of a multi-word verb inflects ("snap up|snapped up").
pub fn verb_forms(spec: &str) -> Result<Vec<(Vec<String>, VerbForm)>, String> {
    let parts: Vec<Vec<String>> = spec
        .split('|')
        .map(|p| p.split_whitespace().map(str::to_lowercase).collect())
        .collect();
    let Some(lemma_words) = parts.first().filter(|w| !w.is_empty()) else {
        return Err("empty verb".into());
    };
    if parts.len() > 3 || parts.iter().any(Vec::is_empty) {
        return Err("write `lemma`, `lemma|past` or `lemma|past|participle`".into());
    }
    let lemma = &lemma_words[0];
    let rest = &lemma_words[1..];
    let past = parts
        .get(1)
        .map_or_else(|| regular_past(lemma), |p| p[0].clone());
    let participle = parts.get(2).map(|p| p[0].clone());
    let ing = if past.ends_with("ed") && doubled(&past) {
        format!("{}ing", &past[..past.len() - 2])
    } else {
        ing_form(lemma)
    };
    let mut forms = vec![
        (lemma.clone(), VerbForm::Base),
        (third_person(lemma), VerbForm::Third),
        (ing, VerbForm::Ing),
        (past, VerbForm::Past),
    ];
    if let Some(p) = participle {
        forms.push((p, VerbForm::Participle));
    }
    Ok(forms
        .into_iter()
        .map(|(first, form)| {
            let mut words = vec![first];
            words.extend(rest.iter().cloned());
            (words, form)
        })
        .collect())
}

/// A noun and its plural (the last word is pluralised: "export control(s)").
pub fn noun_forms(spec: &str) -> Result<Vec<Vec<String>>, String> {
    let words: Vec<String> = spec.split_whitespace().map(str::to_lowercase).collect();
    let Some(last) = words.last() else {
        return Err("empty noun".into());
    };
    // A noun listed in the plural ("sales", "controls") has no other form.
    if last.ends_with('s') {
        return Ok(vec![words]);
    }
    let mut plural = words.clone();
    let n = plural.len() - 1;
    plural[n] = third_person(last);
    Ok(if plural == words {
        vec![words]
    } else {
        vec![words, plural]
    })
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')
}

fn third_person(w: &str) -> String {
    if w.ends_with('s')
        || w.ends_with('x')
        || w.ends_with('z')
        || w.ends_with("ch")
        || w.ends_with("sh")
    {
        format!("{w}es")
    } else if w.len() > 1 && w.ends_with('y') && !w[..w.len() - 1].ends_with(is_vowel) {
        format!("{}ies", &w[..w.len() - 1])
    } else {
        format!("{w}s")
    }
}

fn regular_past(w: &str) -> String {
    if w.ends_with('e') {
        format!("{w}d")
    } else if w.len() > 1 && w.ends_with('y') && !w[..w.len() - 1].ends_with(is_vowel) {
        format!("{}ied", &w[..w.len() - 1])
    } else {
        format!("{w}ed")
    }
}

fn ing_form(w: &str) -> String {
    if let Some(stem) = w.strip_suffix("ie") {
        format!("{stem}ying")
    } else if w.len() > 2
        && w.ends_with('e')
        && !w.ends_with("ee")
        && !w.ends_with("ye")
        && !w.ends_with("oe")
    {
        format!("{}ing", &w[..w.len() - 1])
    } else {
        format!("{w}ing")
    }
}

/// "shipped", "added": the consonant before "ed" is doubled, so "-ing" keeps it.
fn doubled(past: &str) -> bool {
    let b = past.as_bytes();
    b.len() >= 5 && b[b.len() - 3] == b[b.len() - 4] && !is_vowel(char::from(b[b.len() - 3]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn forms(spec: &str) -> Vec<String> {
        verb_forms(spec)
            .unwrap()
            .into_iter()
            .map(|(w, _)| w.join(" "))
            .collect()
    }

    #[test]
    fn verbs_inflect_regularly_unless_told() {
        assert_eq!(forms("buy|bought"), ["buy", "buys", "buying", "bought"]);
        assert_eq!(
            forms("purchase"),
            ["purchase", "purchases", "purchasing", "purchased"]
        );
        assert_eq!(
            forms("supply"),
            ["supply", "supplies", "supplying", "supplied"]
        );
        assert_eq!(
            forms("ship|shipped"),
            ["ship", "ships", "shipping", "shipped"]
        );
        assert_eq!(
            forms("snap up|snapped up"),
            ["snap up", "snaps up", "snapping up", "snapped up"]
        );
        assert_eq!(
            forms("give|gave|given"),
            ["give", "gives", "giving", "gave", "given"]
        );
        assert_eq!(
            forms("finalize"),
            ["finalize", "finalizes", "finalizing", "finalized"]
        );
        assert!(verb_forms("").is_err());
        assert!(verb_forms("a|b|c|d").is_err());
    }

    #[test]
    fn back_nouns_need_nouns_to_stand_for_and_governors() {
        let frame = |extra: &str| -> Vec<RawFrame> {
            let text = format!(
                "id = \"x.list\"\nkind = \"export_control\"\naction = \"restrict\"\n\
                 back_nouns = [\"list\"]\n{extra}"
            );
            vec![toml::from_str(&text).unwrap()]
        };
        let no_governor = Lexicon::default().add("p.toml", &frame("nouns = [\"blacklist\"]"));
        assert!(
            no_governor.is_err_and(|e| e.to_string().contains("back_nouns")),
            "a back noun nothing governs was accepted"
        );
        let with_both = Lexicon::default().add(
            "p.toml",
            &frame("nouns = [\"blacklist\"]\n[[governors]]\nverbs = [\"add\"]"),
        );
        assert!(with_both.is_ok(), "{with_both:?}");
    }

    #[test]
    fn nouns_pluralise_their_last_word() {
        assert_eq!(
            noun_forms("export control").unwrap(),
            vec![
                vec!["export".to_string(), "control".into()],
                vec!["export".into(), "controls".into()]
            ]
        );
        assert_eq!(noun_forms("curbs").unwrap().len(), 1);
    }
}
