//! Frame matching. This module owns finding, in one typed sentence, the heads of the
//! lexicon's frames ("ordered", "an order", "export controls", "added ... to") and their
//! arguments: the subject found by walking left over auxiliaries, adverbs and
//! parenthetical clauses to the nearest noun phrase not governed by a preposition; the
//! arguments to the right, each typed by the cue word before it (`from`, `to`, `with`,
//! `by`, `on`, ...) or by its position (the object); the possessor or modifier before a
//! noun head ("Baidu's order", "US export controls"). It also reads the clause up to the
//! head for negation, intention and speculation. It knows nothing of articles: references
//! ("the company", "it") come back unresolved.

mod clause;
mod cues;
mod parties;
mod roles;
mod words;

use compact_str::CompactString;
use regex::Regex;

use crate::model::{ControlAction, EventKind, OrderStatus};

use super::lexicon::{Governor, HeadKind, Lexicon, Role, VerbForm};
use super::tokens::{
    Tok, Words, AUXILIARIES, CLAUSE_OPENERS, DETERMINERS, ORG_NOUNS, ORG_PLURALS, ORG_PRONOUNS,
    PASSIVE_AUX, PREPOSITIONS,
};

use clause::*;
use cues::*;
use parties::*;
use roles::*;
use words::*;

/// Word lists and cue regexes of one kind, compiled. Each regex list is only asked whether
/// any of its regexes matches: loading folds it into one alternation (`prefilter::fold_any`).
#[derive(Debug, Default)]
pub struct KindWords {
    pub negations: Vec<Regex>,
    pub speculative: Vec<Regex>,
    pub planned: Vec<Regex>,
    pub topic: Vec<Regex>,
    pub exclusions: Vec<Regex>,
    pub goods: Words,
    pub entity_nouns: Vec<String>,
}

/// An argument: an annotation (by index) and the role it fills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arg {
    pub role: Role,
    pub ann: usize,
    /// A number standing for a quantity of goods.
    pub quantity: bool,
}

/// A reference standing where a name should be ("the company", "it", "the government").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    pub role: Role,
    /// Token index of the reference, to find what precedes it.
    pub at: usize,
    /// The description names a maker ("the chipmaker", "the supplier").
    pub maker: bool,
}

/// One frame head found in a sentence, with what it binds.
#[derive(Debug, Clone)]
pub struct Hit {
    pub frame: usize,
    pub kind: EventKind,
    /// Token index of the head (the governor's, when a verb governs a noun head).
    pub at: usize,
    /// Token index where the mention starts (its subject, else its noun phrase): orders
    /// the events that start in the same sentence.
    pub start: usize,
    pub status: Option<OrderStatus>,
    pub action: Option<ControlAction>,
    pub confidence: f64,
    pub args: Vec<Arg>,
    pub reference: Option<Reference>,
    /// Products or generic goods words are among the arguments.
    pub goods: bool,
    /// The head is a verb, or a verb governs the noun head.
    pub verb: bool,
    /// The head is a noun (governed or not).
    pub head_is_noun: bool,
    /// The goods come as a power rating ("1 gigawatt of AMD accelerators"): a stated
    /// size of the order, though no quantity.
    pub power: bool,
    /// "each" qualifies the figures: several buyers each get them ("will each install").
    pub each: bool,
    /// A noun head with no verb, introduced as known ("the measures", "these rules"):
    /// it may refer back to a control named before.
    pub definite: bool,
    /// A control named by words of its own ("the AI diffusion rule", "the affiliates
    /// rule"), or a governor's object that is one: specific enough to stand alone.
    pub named: bool,
    /// The buyers are described, not named ("orders from Chinese customers", "Chinese
    /// firms ordered"): an order with no named buyer that still reports a purchase.
    pub described_buyers: bool,
    /// The verb (or the verb governing the order noun) states both sides: its subject
    /// and the other side after it ("Samsung will deploy 50,000 Nvidia GPUs", "Foxconn
    /// won an order from Nvidia"), whatever their usual tiers say.
    pub sides_stated: bool,
    /// The head stands for one of the frame's nouns named before ("the list").
    pub back: bool,
    /// A restriction named in the object of a relaxation, by a clause of its own ("will
    /// suspend the ban ... that it imposed last December"): an older, separate measure.
    pub prior: bool,
    /// A relaxation that lifts such a restriction: the dates of the restriction's clause
    /// are not its own.
    pub lifts_prior: bool,
}

/// A sentence as the frame functions read it: its tokens, the word of each token
/// (`None` for placeholders and punctuation) and the base forms of the lexicon's verbs
/// (so "to buy" reads as an infinitive, not as the preposition "to").
struct Sent<'a> {
    toks: &'a [Tok],
    words: Vec<Option<&'a str>>,
    verbs: &'a super::word_table::WordTable,
    /// Every inflected form of the lexicon's verbs ("bought").
    forms: &'a super::word_table::WordTable,
    /// Jurisdictions named as their government ("the UK government").
    government: Vec<bool>,
    /// Organisations the gazetteer does not know (see `names`).
    unknown: Vec<bool>,
}

struct HeadAt {
    frame: usize,
    start: usize,
    end: usize,
    kind: HeadKind,
    back: bool,
}

impl Lexicon {
    /// Every frame head of the sentence and its arguments.
    pub fn find(&self, toks: &[Tok], kinds: &[KindWords; 2], plain: &[CompactString]) -> Vec<Hit> {
        let sent = Sent {
            toks,
            words: toks.iter().map(Tok::word).collect(),
            verbs: &self.base_verbs,
            forms: &self.verb_forms,
            government: plain.iter().map(|p| p == "<Jg>").collect(),
            unknown: plain.iter().map(|p| p == "<On>").collect(),
        };
        let s = &sent;
        let heads = self.heads(s, kinds);
        // Where each head's subject starts: a later head's subject ends the right window
        // of an earlier one ("Microsoft bought X and Meta bought Y").
        // Only finite verbs start a new clause: "barred Nvidia from selling H20s to China"
        // and "allow Nvidia to ship" keep their complements.
        let subjects: Vec<Option<usize>> = heads
            .iter()
            .map(|h| {
                let (from, finite) = match self.governor_of(h, s) {
                    Some((g, _)) => (g, is_finite(s, g)),
                    None => (h.start, h.kind != HeadKind::Noun && is_finite(s, h.start)),
                };
                if !finite {
                    return None;
                }
                self.subject(s, from, h.frame, &heads).map(|s| s.0)
            })
            .collect();
        // Whether the sentence can hold a mention of each kind at all (its topic words, no
        // exclusion), decided once per sentence.
        let sentence = plain.join(" ");
        let excluded = [0, 1].map(|k| kinds[k].exclusions.iter().any(|r| r.is_match(&sentence)));
        let on_topic = [0, 1].map(|k| {
            let kw = &kinds[k];
            (kw.topic.is_empty() || kw.topic.iter().any(|r| r.is_match(&sentence))) && !excluded[k]
        });
        let mut hits: Vec<Hit> = Vec::new();
        for (n, h) in heads.iter().enumerate() {
            let right_end = heads
                .iter()
                .zip(&subjects)
                .skip(n + 1)
                .filter_map(|(_, s)| *s)
                .find(|&s| s >= h.end)
                .unwrap_or(s.toks.len());
            // "the list" stands for a list the article named, which is on topic.
            let topic = if h.back {
                excluded.map(|x| !x)
            } else {
                on_topic
            };
            if let Some(mut hit) = self.hit(s, h, &heads, right_end, kinds, plain, topic) {
                if let Some(prior) = split_prior_restriction(s, &mut hit, right_end) {
                    hits.push(prior);
                }
                // "licences for ASML to ship ...", "allowed Nvidia to sell ...": a sale in the
                // complement of a control is what the control governs, not an order.
                let in_control = hit.kind == EventKind::ChipOrder
                    && hit.verb
                    && !is_finite(s, hit.at)
                    && hits
                        .iter()
                        .any(|c| c.kind == EventKind::ExportControl && c.verb && c.at < hit.at);
                if !in_control {
                    hits.push(hit);
                }
            }
        }
        describe_by_relative(s, &mut hits);
        // A word read both as a verb of its own and as the governor of a noun head
        // ("received an order from xAI"): the governed reading says more.
        let governed: Vec<(usize, EventKind)> = heads
            .iter()
            .zip(&hits_noun_governors(self, s, &heads))
            .filter_map(|(_, g)| *g)
            .collect();
        hits.retain(|h| h.head_is_noun || !governed.iter().any(|&(at, _)| at == h.at));
        hits
    }

    fn heads(&self, s: &Sent<'_>, kinds: &[KindWords; 2]) -> Vec<HeadAt> {
        let mut out: Vec<HeadAt> = Vec::new();
        let mut i = 0;
        while i < s.toks.len() {
            let candidates = self.heads_at(&s.words, i);
            if candidates.is_empty() {
                i += 1;
                continue;
            }
            let len = candidates[0].words.len();
            let noun_context = looks_like_noun(s, i, kinds);
            let mut any = false;
            for h in candidates.iter().filter(|h| h.words.len() == len) {
                let is_noun = h.kind == HeadKind::Noun;
                // A word that is both ("order", "purchase") reads by its context.
                let both = candidates
                    .iter()
                    .any(|o| o.words.len() == len && (o.kind == HeadKind::Noun) != is_noun);
                if both && is_noun != noun_context {
                    continue;
                }
                // A verb used as a noun or adjective: "a supply deal", "supply-chain",
                // "the supply chain", "restricted countries", "limited availability".
                if !is_noun && !both && !reads_as_verb(s, i, len, h.kind) {
                    continue;
                }
                // "the list", "its list": a stand-in only right after a determiner.
                if h.back
                    && !matches!(
                        i.checked_sub(1)
                            .and_then(|k| s.words.get(k).copied().flatten()),
                        Some("the" | "its" | "their" | "that" | "this")
                    )
                {
                    continue;
                }
                out.push(HeadAt {
                    frame: h.frame,
                    start: i,
                    end: i + len,
                    kind: h.kind,
                    back: h.back,
                });
                any = true;
            }
            i += if any { len } else { 1 };
        }
        out
    }

    /// The governor of a noun head: `(token index, governor index)`.
    fn governor_of(&self, h: &HeadAt, s: &Sent<'_>) -> Option<(usize, usize)> {
        if h.kind != HeadKind::Noun {
            return None;
        }
        let frame = self.frames.get(h.frame)?;
        let mut k = h.start;
        let mut steps = 0;
        let mut unknown_words = 0;
        let mut after_preposition = false;
        let mut word_since_preposition = false;
        while k > 0 && steps < 14 {
            k -= 1;
            steps += 1;
            // "put seven US companies, among them Shield AI and Sierra Nevada, on its
            // export control list": examples of listed parties between commas are stepped
            // over whole.
            if frame.kind == EventKind::ExportControl
                && s.toks.get(k).is_some_and(|t| t.is_punct(','))
            {
                if let Some(open) = (k.saturating_sub(10)..k).rev().find(|&j| {
                    s.toks.get(j).is_some_and(|t| t.is_punct(','))
                        && matches!(
                            s.words.get(j + 1).copied().flatten(),
                            Some("among" | "including" | "such" | "notably" | "mostly" | "mainly")
                        )
                }) {
                    k = open;
                    continue;
                }
            }
            // "a TC bonder (thermal compression bonding equipment) supply contract": a
            // gloss in brackets is stepped over whole.
            if s.toks.get(k).is_some_and(|t| t.is_punct(')')) {
                if let Some(open) = open_paren_before(s, k, 10) {
                    k = open;
                    continue;
                }
            }
            for (gi, forms) in frame.governor_forms.iter().enumerate() {
                for (form, _) in forms {
                    let n = form.len();
                    if k + 1 >= n {
                        let at = k + 1 - n;
                        if form.iter().enumerate().all(|(j, w)| {
                            s.words.get(at + j).copied().flatten() == Some(w.as_str())
                        }) {
                            return Some((at, gi));
                        }
                    }
                }
            }
            match s.words.get(k).copied().flatten() {
                Some(w)
                    if DETERMINERS.contains(&w)
                        || NOUN_MODIFIERS.contains(&w)
                        || w == "'s"
                        || w.chars().all(|c| c.is_ascii_digit()) => {}
                Some(w)
                    if w.ends_with("-year")
                        || w.ends_with("-billion")
                        || w.ends_with("-million") => {}
                Some("and" | "or") => {}
                // "added Huawei to the Entity List", "placed 27 Chinese entities from Iran
                // on"; but a preposition, a noun and another preposition are a phrase of
                // their own ("suspended its work in response to new curbs" does not
                // suspend the curbs).
                Some("to" | "on" | "onto" | "in" | "into" | "from") => {
                    if word_since_preposition {
                        return None;
                    }
                    after_preposition = true;
                }
                // "awarded the manufacturing contract", "signed a supply deal": a verb
                // form right before the noun, after a determiner or a name, is a compound.
                Some(_) if k + 1 == h.start && opens_noun_phrase(s, k.wrapping_sub(1)) => {}
                Some(w)
                    if unknown_words < 3
                        && !is_verbish(s, w)
                        && !CLAUSE_OPENERS.contains(&w)
                        && !AUXILIARIES.contains(&w) =>
                {
                    unknown_words += 1;
                    word_since_preposition |= after_preposition;
                }
                // Placeholders (money, numbers, names) and hyphens may sit in between.
                None => {}
                _ => return None,
            }
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn hit(
        &self,
        s: &Sent<'_>,
        h: &HeadAt,
        heads: &[HeadAt],
        right_end: usize,
        kinds: &[KindWords; 2],
        plain: &[CompactString],
        on_topic: [bool; 2],
    ) -> Option<Hit> {
        let frame = self.frames.get(h.frame)?;
        let kw = &kinds[usize::from(frame.kind == EventKind::ExportControl)];
        let governor = self.governor_of(h, s);
        if h.back && governor.is_none() {
            return None;
        }
        let gov = governor.and_then(|(_, gi)| frame.governors.get(gi));
        let verb_at = governor.map_or(h.start, |g| g.0);
        let mut status = gov.and_then(|g| g.status).or(frame.status);
        let mut action = gov.and_then(|g| g.action).or(frame.action);
        // "require chipmakers to get a licence", "must obtain a permit": getting a licence
        // one is made to get is the requirement, not its relaxation.
        if frame.kind == EventKind::ExportControl
            && action == Some(ControlAction::Relax)
            && governor.is_some_and(|(g, _)| required_before(s, g))
        {
            action = Some(ControlAction::Restrict);
        }
        let confidence = gov.and_then(|g| g.confidence).unwrap_or(frame.confidence);
        let dates = gov.and_then(|g| g.dates).or(frame.roles.dates);
        let cue_role = |cue: &str| -> Option<Role> {
            gov.and_then(|g| g.cues.get(cue).copied())
                .or_else(|| frame.roles.cue(cue))
        };
        let verb_form = match (governor, h.kind) {
            (Some((g, gi)), _) => frame
                .governor_forms
                .get(gi)
                .and_then(|forms| {
                    forms.iter().find(|(f, _)| {
                        f.first().map(String::as_str) == s.words.get(g).copied().flatten()
                    })
                })
                .map(|(_, f)| *f),
            (None, HeadKind::Verb(f)) => Some(f),
            (None, HeadKind::Noun) => None,
        };
        // "other sanctioned countries", "the restricted chips": a participle between a
        // determiner and a noun describes the noun and states no action.
        if governor.is_none()
            && matches!(
                h.kind,
                HeadKind::Verb(VerbForm::Past | VerbForm::Participle)
            )
            && verb_at
                .checked_sub(1)
                .and_then(|p| s.words.get(p).copied().flatten())
                .is_some_and(|w| {
                    matches!(
                        w,
                        "the" | "a" | "an" | "other" | "these" | "those" | "its" | "their" | "such"
                    )
                })
            && s.words.get(h.end).copied().flatten().is_some_and(|w| {
                !PREPOSITIONS.contains(&w)
                    && !DETERMINERS.contains(&w)
                    && !AUXILIARIES.contains(&w)
                    && !matches!(w, "and" | "or" | "to" | "by")
                    && !is_verbish(s, w)
            })
        {
            return None;
        }
        let passive = verb_form.is_some_and(|f| is_passive(s, verb_at, f));
        if frame.finite && !is_finite(s, verb_at) && !planned_infinitive(s, verb_at) {
            return None;
        }
        let active_subject = gov.and_then(|g| g.subject).or(frame.roles.subject);
        let subject_role = if passive {
            match (gov, h.kind) {
                // "SMIC was added to the Entity List": the frame's passive role; "X was
                // awarded a contract": else the role the `to` cue gives.
                (Some(_), _) => frame.roles.passive.or_else(|| cue_role("to")),
                _ => frame.roles.passive,
            }
        } else if verb_form.is_some() {
            active_subject
        } else {
            None
        };

        let mut args: Vec<Arg> = Vec::new();
        let mut reference = None;
        let mut goods = false;

        // Left: subject and the clause up to the head (a noun with no verb has none).
        let mut subject = if verb_form.is_some() {
            self.subject(s, verb_at, h.frame, heads)
        } else {
            None
        };
        // A control verb with a company as subject: "Washington ordered TSMC to halt" (the
        // company is the one made to act), else a company's own decision ("Nvidia halted
        // sales"), which is no control.
        let mut made_to_act: Vec<usize> = Vec::new();
        if frame.kind == EventKind::ExportControl && verb_form.is_some() && !passive {
            if let Some((start, Subject::Ents(list))) = subject.clone() {
                if list
                    .iter()
                    .all(|&(t, _)| s.toks.get(t).and_then(Tok::letter) == Some('O'))
                {
                    let before = start
                        .checked_sub(1)
                        .and_then(|p| s.words.get(p).copied().flatten());
                    if before.is_some_and(|w| CAUSATIVES.contains(&w)) {
                        made_to_act = list.iter().map(|&(_, a)| a).collect();
                        subject = self.subject(s, start - 1, h.frame, heads);
                    } else if active_subject == Some(Role::Authority) {
                        return None;
                    }
                }
            }
        }
        let left_start = match (&subject, verb_form) {
            (Some(found), _) => found.0,
            (None, Some(_)) => clause_start(s, verb_at),
            (None, None) => verb_at,
        };
        let context = plain
            .get(clause_start(s, verb_at)..h.end)
            .map(|p| p.join(" "))
            .unwrap_or_default();
        if !on_topic[usize::from(frame.kind == EventKind::ExportControl)] {
            return None;
        }
        // A noun head's predicate may follow it: "the measure would have required".
        let context = if h.kind == HeadKind::Noun && governor.is_none() {
            let after = plain
                .get(h.end..(h.end + 4).min(plain.len()))
                .map(|p| p.join(" "))
                .unwrap_or_default();
            format!("{context} {after}")
        } else {
            context
        };
        // A frame that needs a negation needs it on its own verb ("will not allow",
        // "cannot be sold"), not anywhere before it in the clause. "not only ... but also"
        // negates nothing.
        let negates = |text: &str| {
            let matches = |t: &str| kw.negations.iter().any(|r| r.is_match(t));
            if text.contains("not only") {
                matches(&text.replace("not only", "only"))
            } else {
                matches(text)
            }
        };
        let negated = if frame.when_negated {
            let near = plain
                .get(verb_at.saturating_sub(4)..verb_at)
                .map(|p| p.join(" "))
                .unwrap_or_default();
            negates(&near) && negation_governs(s, verb_at)
        } else {
            negates(&context)
        };
        if negated != frame.when_negated {
            return None;
        }
        let speculative = kw.speculative.iter().any(|r| r.is_match(&context));
        if frame.kind == EventKind::ExportControl && speculative {
            return None;
        }
        if frame.kind == EventKind::ChipOrder
            && status == Some(OrderStatus::Placed)
            && (speculative || kw.planned.iter().any(|r| r.is_match(&context)))
        {
            status = Some(OrderStatus::Planned);
        }
        if let (Some((_, subj)), Some(role)) = (&subject, subject_role) {
            match subj {
                Subject::Ents(list) => {
                    for &(tok, ann) in list {
                        let letter = s.toks.get(tok).and_then(Tok::letter).unwrap_or(' ');
                        // "Humain will be supplied with 18,000 chips by Nvidia": a company
                        // that is supplied is the buyer.
                        let role = if passive
                            && letter == 'O'
                            && !modifies_goods(s, tok, kw)
                            && role == Role::Product
                            && frame.roles.object == Some(Role::Buyer)
                        {
                            Role::Buyer
                        } else {
                            role
                        };
                        let actor = (frame.kind == EventKind::ExportControl && letter == 'O')
                            .then(|| actor_role(s, tok))
                            .flatten();
                        if let Some(r) =
                            actor.or_else(|| typed_role(role, letter, frame.kind, false))
                        {
                            args.push(Arg {
                                role: r,
                                ann,
                                quantity: false,
                            });
                            goods |= letter == 'P';
                        }
                    }
                }
                Subject::Reference(at, maker) => {
                    reference = Some(Reference {
                        role,
                        at: *at,
                        maker: *maker,
                    });
                }
                // "The Netherlands confirms it will restrict": the government named
                // earlier in the sentence as a subject.
                Subject::Government if frame.kind == EventKind::ExportControl => {
                    let start = subject.as_ref().map_or(verb_at, |(start, _)| *start);
                    // The nearest name standing as a subject; a company there means "it"
                    // is the company ("Nvidia announced it will resume sales").
                    let named = (0..start).rev().find(|&k| {
                        matches!(s.toks.get(k), Some(Tok::Ent(_, 'J' | 'A' | 'O')))
                            && cue_before(s, k).is_none()
                            && !next_is_name(s, k)
                    });
                    if let Some(Tok::Ent(ann, 'J' | 'A')) = named.and_then(|k| s.toks.get(k)) {
                        args.push(Arg {
                            role: Role::Authority,
                            ann: *ann,
                            quantity: false,
                        });
                    }
                }
                Subject::Government => {}
            }
            // "OpenAI tapped Broadcom to supply custom chips": who chose the seller buys.
            if subject_role == Some(Role::Supplier) && frame.kind == EventKind::ChipOrder {
                if let Some((start, Subject::Ents(_))) = &subject {
                    let chooser = start.checked_sub(1).filter(|&b| {
                        s.words
                            .get(b)
                            .copied()
                            .flatten()
                            .is_some_and(|w| SELECTORS.contains(&w))
                    });
                    if let Some(Some((_, Subject::Ents(buyers)))) =
                        chooser.map(|b| self.subject(s, b, h.frame, heads))
                    {
                        for (tok, ann) in buyers {
                            if s.toks.get(tok).and_then(Tok::letter) == Some('O')
                                || s.government.get(tok) == Some(&true)
                            {
                                args.push(Arg {
                                    role: Role::Buyer,
                                    ann,
                                    quantity: false,
                                });
                            }
                        }
                    }
                }
            }
            // "Baidu joins hands with Samsung to produce the Kunlun chip": the partner
            // makes it, the subject owns it.
            if subject_role == Some(Role::Supplier) && frame.roles.owner == Some(Role::Buyer) {
                let from = subject.as_ref().map_or(verb_at, |(at, _)| *at);
                if let Some(maker) = partner_named_with(s, from, verb_at) {
                    for a in args.iter_mut().filter(|a| a.role == Role::Supplier) {
                        a.role = Role::Buyer;
                    }
                    if let Some(r) = reference.as_mut().filter(|r| r.role == Role::Supplier) {
                        r.role = Role::Buyer;
                    }
                    args.push(Arg {
                        role: Role::Supplier,
                        ann: maker,
                        quantity: false,
                    });
                }
            }
        } else if let (Some((_, Subject::Ents(list))), None) = (&subject, subject_role) {
            // A control noun with no verb: "the US export ban" has its authority in front.
            let _ = list;
        }
        for ann in made_to_act {
            args.push(Arg {
                role: Role::Companies,
                ann,
                quantity: false,
            });
        }
        // A control's date may open its clause or follow its subject ("On December 2,
        // the US imposed", "BIS on May 16 added"); an order's date there is when it was
        // placed, not when the goods arrive.
        let left_dates = (frame.kind == EventKind::ExportControl && verb_form.is_some())
            .then_some(dates)
            .flatten();
        if left_dates.is_some() {
            for k in clause_start(s, left_start)..left_start {
                // "The administration on Friday published rules, including a measure
                // to cut China off": that date belongs to another verb.
                let another_verb = || {
                    (k + 1..left_start).any(|j| {
                        s.words
                            .get(j)
                            .copied()
                            .flatten()
                            .is_some_and(|w| is_verbish(s, w) || AUXILIARIES.contains(&w))
                    })
                };
                if !matches!(s.toks.get(k), Some(Tok::Ent(_, 'D'))) || another_verb() {
                    continue;
                }
                if let Some((Some(a), true, _)) = self.argument(
                    s,
                    k,
                    &cue_role,
                    None,
                    left_dates,
                    frame.kind,
                    kw,
                    frame.names,
                    h.end,
                    None,
                ) {
                    args.push(a);
                }
            }
        }
        // Between subject and head: cue-marked arguments ("signed a deal with AMD to buy"),
        // outside asides ("Humain, which is backed by the PIF, will buy").
        let asides: Vec<(usize, usize)> = (left_start..verb_at)
            .filter(|&c| s.toks.get(c).is_some_and(|t| t.is_punct(',')))
            .filter_map(|c| parenthetical_start(s, c).map(|open| (open, c)))
            .filter(|&(open, _)| open >= left_start)
            .collect();
        let aside = |k: usize| asides.iter().any(|&(open, close)| open < k && k < close);
        for k in left_start..verb_at {
            if aside(k) {
                continue;
            }
            if let Some(arg) = self.argument(
                s,
                k,
                &cue_role,
                None,
                left_dates,
                frame.kind,
                kw,
                frame.names,
                h.end,
                frame.roles.owner,
            ) {
                if subject.as_ref().is_some_and(|(_, s)| s.covers(k)) {
                    continue;
                }
                goods |= arg.2;
                if let Some(a) = arg.0 {
                    if arg.1 {
                        args.push(a);
                    }
                }
            }
        }
        // Between a governor and its noun: the governor's object ("placed a $2 billion
        // order", "added Huawei to the Entity List").
        let np_start = noun_phrase_start(s, h.start);
        if let Some((g, _)) = governor {
            let object = gov.and_then(|g| g.object).or(frame.roles.object);
            for k in g + 1..np_start.max(g + 1) {
                if let Some((arg, keep, gd)) = self.argument(
                    s,
                    k,
                    &cue_role,
                    object,
                    dates,
                    frame.kind,
                    kw,
                    frame.names,
                    h.end,
                    frame.roles.owner,
                ) {
                    goods |= gd;
                    if let (Some(a), true) = (arg, keep) {
                        args.push(a);
                    }
                }
            }
        }
        // The noun phrase of a noun head: a possessor or modifier ("Baidu's order", "US
        // export controls") and figures ("a $2 billion order", "a 10,000-GPU order").
        if h.kind == HeadKind::Noun {
            for k in np_start..h.start {
                match s.toks.get(k) {
                    Some(Tok::Ent(ann, letter)) => {
                        let possessor = frame.roles.possessor;
                        let role = match letter {
                            'M' if frame.kind == EventKind::ChipOrder => Some(Role::Value),
                            'N' if frame.kind == EventKind::ChipOrder
                                && modifies_goods(s, k, kw) =>
                            {
                                Some(Role::Product)
                            }
                            'P' => Some(if frame.kind == EventKind::ChipOrder {
                                Role::Product
                            } else {
                                Role::Products
                            }),
                            // "Nvidia H200 buys": the maker named with the goods sells them;
                            // not when the governor's subject sells ("Micron wins Nvidia HBM
                            // order": Nvidia buys).
                            'O' if frame.kind == EventKind::ChipOrder
                                && frame.roles.owner != Some(Role::Buyer)
                                && gov.and_then(|g| g.subject) != Some(Role::Supplier)
                                && matches!(s.toks.get(k + 1), Some(Tok::Ent(_, 'P'))) =>
                            {
                                Some(Role::Supplier)
                            }
                            // "Baidu's order", "won Meta's order", "US export controls".
                            'O' | 'J' | 'A'
                                if governor.is_none()
                                    || frame.kind == EventKind::ExportControl
                                    || s.words.get(k + 1).copied().flatten() == Some("'s") =>
                            {
                                possessor.and_then(|p| typed_role(p, *letter, frame.kind, false))
                            }
                            // "AMD wins a major Alibaba chip order": the other side of the
                            // governor's subject.
                            'O' if frame.kind == EventKind::ChipOrder
                                && !s.unknown.get(k).copied().unwrap_or(false) =>
                            {
                                match gov.and_then(|g| g.subject).or(frame.roles.subject) {
                                    Some(Role::Supplier) => Some(Role::Buyer),
                                    Some(Role::Buyer) => Some(Role::Supplier),
                                    _ => None,
                                }
                            }
                            _ => None,
                        };
                        if let Some(role) = role {
                            let quantity = *letter == 'N';
                            args.push(Arg {
                                role,
                                ann: *ann,
                                quantity,
                            });
                            goods |= *letter == 'P';
                        }
                    }
                    Some(Tok::Word(w)) if kw.goods.contains(w) => goods = true,
                    _ => {}
                }
            }
        }
        // Right of the head, up to the end of its clause; a noun's own arguments end at
        // the next verb ("the US export ban by placing an order for AI chips").
        let mut end = clause_end(s, h.end).min(right_end);
        // "to build ABCI 3.0, a supercomputer with 6,128 Nvidia H200 GPUs": an apposition
        // that says what the goods are made of belongs to the order.
        if frame.kind == EventKind::ChipOrder
            && s.toks.get(end).is_some_and(|t| t.is_punct(','))
            && matches!(s.words.get(end + 1).copied().flatten(), Some("a" | "an"))
        {
            let limit = (end + 14).min(right_end).min(s.toks.len());
            if let Some(k) = (end + 2..limit).find(|&k| in_composition(s, k, kw)) {
                end = (k..limit)
                    .find(|&j| matches!(s.toks.get(j), Some(Tok::Punct(',' | ';' | '.'))))
                    .unwrap_or(limit);
            }
        }
        // "placed on the list for supplying Huawei": a "for" the governed frame ignores,
        // before a verb in -ing, opens a clause of its own (a reason, a purpose); nothing
        // after it is the frame's.
        if let Some(k) = (h.end..end).find(|&k| {
            s.words.get(k).copied().flatten().is_some_and(|c| {
                c == "for"
                    && governor.is_some()
                    && cue_role(c) == Some(Role::Ignore)
                    && s.words
                        .get(k + 1)
                        .copied()
                        .flatten()
                        .is_some_and(|v| v.len() > 5 && v.ends_with("ing") && is_verbish(s, v))
            })
        }) {
            end = k;
        }
        let mut stated_by_participle = false;
        // A governor stated in the passive after the noun: its cues, and its subject as
        // the agent after "by", hold right of its participle.
        let mut passive_governor: Option<(usize, &Governor)> = None;
        if h.kind == HeadKind::Noun && governor.is_none() {
            let verb_form = |w: &str| {
                AUXILIARIES.contains(&w) && w != "'s"
                    || w.len() > 4
                        && (w.ends_with("ed") || w.ends_with("ing"))
                        && !NOUN_MODIFIERS.contains(&w)
                        && !PREPOSITIONS.contains(&w)
                        // "chips destined for China": a destination, not a new verb.
                        && !matches!(w, "destined" | "headed")
            };
            // "restrictions on selling chips to China": a gerund of trade after a
            // preposition says what the measure covers; its arguments are the measure's.
            let trade_gerund = |k: usize| {
                s.words
                    .get(k)
                    .copied()
                    .flatten()
                    .is_some_and(|w| w.ends_with("ing") && is_trade_verb(w))
                    && k.checked_sub(1)
                        .and_then(|p| s.words.get(p).copied().flatten())
                        .is_some_and(|p| matches!(p, "on" | "against" | "from" | "for" | "of"))
            };
            if let Some(v) = (h.end..end).find(|&k| {
                s.words.get(k).copied().flatten().is_some_and(verb_form) && !trade_gerund(k)
            }) {
                // "the order for the Snapdragon 8+ Gen 1 was awarded to TSMC": a passive
                // governor after the noun; its participle comes after the auxiliaries.
                let mut p = v;
                while s
                    .words
                    .get(p)
                    .copied()
                    .flatten()
                    .is_some_and(|w| PASSIVE_AUX.contains(&w) || w == "been" || is_adverb(w))
                    && p + 1 < end
                {
                    p += 1;
                }
                let passive = p > v;
                // "export restrictions imposed by the US last year": a governor's
                // participle states the measure and brings its agent and date.
                let participle = s.words.get(p).copied().flatten().and_then(|w| {
                    frame.governor_forms.iter().position(|forms| {
                        forms
                            .iter()
                            .any(|(f, form)| f.len() == 1 && f[0] == w && form.can_be_participle())
                    })
                });
                match participle.and_then(|gi| frame.governors.get(gi)) {
                    Some(g) => {
                        stated_by_participle = true;
                        if let Some(a) = g.action {
                            action = Some(a);
                        }
                        if passive {
                            if let Some(st) = g.status {
                                status = Some(st);
                            }
                            passive_governor = Some((p, g));
                        }
                    }
                    None => end = v,
                }
            }
        }
        // Appositions between commas describe a word before them; their names are no
        // arguments ("TC bonders, the key equipment for HBM production, from Hanmi").
        let appositions: Vec<(usize, usize)> = (h.end..end)
            .filter_map(|c| apposition_end(s, c).map(|close| (c, close)))
            .collect();
        for k in h.end..end {
            if appositions
                .iter()
                .any(|&(open, close)| open < k && k < close)
                && !(frame.kind == EventKind::ChipOrder && in_composition(s, k, kw))
            {
                continue;
            }
            let after_passive = |cue: &str| -> Option<Role> {
                let g = passive_governor.map(|(_, g)| g);
                match cue {
                    "by" => g.and_then(|g| g.subject).or_else(|| cue_role(cue)),
                    _ => g
                        .and_then(|g| g.cues.get(cue).copied())
                        .or_else(|| cue_role(cue)),
                }
            };
            let cues: &dyn Fn(&str) -> Option<Role> = match passive_governor {
                Some((p, _)) if k > p => &after_passive,
                _ => &cue_role,
            };
            if let Some((arg, keep, g)) = self.argument(
                s,
                k,
                cues,
                frame.roles.object,
                dates,
                frame.kind,
                kw,
                frame.names,
                h.end,
                frame.roles.owner,
            ) {
                goods |= g;
                if let (Some(a), true) = (arg, keep) {
                    args.push(a);
                }
            }
            if s.toks
                .get(k)
                .and_then(Tok::word)
                .is_some_and(|w| kw.goods.contains(w))
            {
                goods = true;
            }
        }
        let definite = h.kind == HeadKind::Noun
            && governor.is_none()
            && s.words.get(np_start).copied().flatten().is_some_and(|w| {
                matches!(
                    w,
                    "the" | "these" | "those" | "this" | "such" | "its" | "their"
                )
            })
            && !args.iter().any(|a| a.role == Role::Authority);
        let named_phrase = |from: usize, to: usize| {
            (from..to).any(|k| {
                s.words.get(k).copied().flatten().is_some_and(|w| {
                    w.len() > 2
                        && !DETERMINERS.contains(&w)
                        && !NOUN_MODIFIERS.contains(&w)
                        && !is_adverb(w)
                        && !PREPOSITIONS.contains(&w)
                        && !is_verbish(s, w)
                        && !kw.goods.contains(w)
                        && !matches!(
                            w,
                            "and"
                                | "its"
                                | "the"
                                | "their"
                                | "new"
                                | "us"
                                | "export"
                                | "exports"
                                | "sales"
                        )
                })
            })
        };
        let named = frame.kind == EventKind::ExportControl
            && match (h.kind, governor) {
                (HeadKind::Noun, None) => named_phrase(np_start, h.start),
                (HeadKind::Noun, Some((g, _))) => named_phrase(g + 1, h.start),
                // "rescinded the AI diffusion rule": the object names the rule.
                (HeadKind::Verb(_), _) => {
                    let end = (h.end + 6).min(s.toks.len());
                    (h.end..end)
                        .position(|k| {
                            s.words.get(k).copied().flatten().is_some_and(|w| {
                                matches!(
                                    w,
                                    "rule"
                                        | "rules"
                                        | "regulation"
                                        | "framework"
                                        | "order"
                                        | "directive"
                                        | "policy"
                                )
                            })
                        })
                        .is_some_and(|at| named_phrase(h.end, h.end + at))
                }
            };
        if frame.kind == EventKind::ExportControl {
            drop_nationality_of_named_targets(s, &mut args);
        }
        // "sweeping new U.S. restrictions on selling chips to China": a new measure with
        // its government and what or whom it covers is a specific one, not background.
        let new_measure = frame.kind == EventKind::ExportControl
            && h.kind == HeadKind::Noun
            && governor.is_none()
            && (np_start..h.start)
                .any(|k| matches!(s.words.get(k).copied().flatten(), Some("new" | "latest")))
            && args.iter().any(|a| a.role == Role::Authority)
            && args
                .iter()
                .any(|a| matches!(a.role, Role::Targets | Role::Products));
        let named = named || new_measure;
        // "Foxconn will supply Nvidia GB200 servers": the seller is the subject; the name
        // on the goods is only whose chips they carry.
        if frame.kind == EventKind::ChipOrder && subject_role == Some(Role::Supplier) {
            if let Some((_, Subject::Ents(list))) = &subject {
                let seller_named = list.iter().any(|&(_, ann)| {
                    args.iter()
                        .any(|a| a.role == Role::Supplier && a.ann == ann)
                });
                if seller_named {
                    args.retain(|a| {
                        a.role != Role::Supplier
                            || list.iter().any(|&(_, ann)| ann == a.ann)
                            || !token_of(s, a.ann).is_some_and(|k| {
                                s.toks.get(k).and_then(Tok::letter) == Some('O')
                                    && modifies_goods(s, k, kw)
                            })
                    });
                }
            }
        }
        let start = subject
            .as_ref()
            .map_or(verb_at.min(np_start), |(at, _)| (*at).min(verb_at));
        // Only where the buying is stated: "sold 500,000 chips to Chinese customers" is a
        // seller's total sales.
        let described_buyers = frame.kind == EventKind::ChipOrder
            && (h.kind == HeadKind::Noun || subject_role == Some(Role::Buyer))
            && (clause_start(s, left_start)..end.min(s.toks.len())).any(|k| {
                let role = match cue_before(s, k) {
                    Some(c) => cue_role(&c),
                    None if k < verb_at => subject_role,
                    None => frame.roles.object,
                };
                role == Some(Role::Buyer) && describes_buyers(s, k)
            });
        // "months after adding the company to a trade blacklist": a description after the
        // verb stands for the party a control aims at, named before.
        if reference.is_none()
            && frame.kind == EventKind::ExportControl
            && !args.iter().any(|a| a.role == Role::Targets)
        {
            let from = governor.map_or(verb_at, |(g, _)| g) + 1;
            let object = gov.and_then(|g| g.object).or(frame.roles.object);
            reference = (from..end.min(s.toks.len())).find_map(|k| {
                let w = s.words.get(k).copied().flatten()?;
                if !ORG_NOUNS.contains(&w) && !ORG_PLURALS.contains(&w) {
                    return None;
                }
                let start = definite_description(s, k)?;
                let role = match cue_before(s, start) {
                    Some(c) => cue_role(&c),
                    None => object,
                };
                (role == Some(Role::Targets)).then_some(Reference {
                    role: Role::Targets,
                    at: k,
                    maker: false,
                })
            });
        }
        // "buy Nvidia GB300 systems from Dell": the seller named after "from" sells; the
        // maker on the goods only made them.
        if frame.kind == EventKind::ChipOrder {
            let seller_at = |a: &Arg| {
                (a.role == Role::Supplier)
                    .then(|| token_of(s, a.ann))
                    .flatten()
            };
            let stated = args.iter().filter_map(seller_at).any(|k| {
                matches!(
                    coordinated_cue(s, k).as_deref(),
                    Some("from" | "through" | "via")
                )
            });
            if stated {
                args.retain(|a| {
                    seller_at(a).is_none_or(|k| {
                        coordinated_cue(s, k).is_some() || !maker_on_goods(s, k, kw)
                    })
                });
            }
        }
        // Both sides of an order stated by a verb: its subject, and the other side after it
        // as the maker on the goods ("Samsung will deploy 50,000 Nvidia GPUs", "install
        // 50,000 of Nvidia's GPUs"), the seller after "from" or "with", or the buyer after
        // "to" or "from" or as the object ("it will supply Blackwell GPUs to Samsung",
        // "Foxconn won an order from Nvidia").
        let other_side_after_verb = |role: Role| {
            args.iter().any(|a| {
                a.role == role
                    && token_of(s, a.ann).is_some_and(|k| {
                        let cue = cue_before(s, k);
                        k > verb_at
                            && s.toks.get(k).and_then(Tok::letter) == Some('O')
                            && match role {
                                Role::Supplier => {
                                    matches!(cue.as_deref(), Some("from" | "with"))
                                        || matches!(cue.as_deref(), None | Some("of"))
                                            && maker_on_goods(s, k, kw)
                                }
                                // "won an order from Nvidia": the buyer after "from".
                                _ => matches!(cue.as_deref(), None | Some("to" | "from")),
                            }
                    })
            })
        };
        let sides_stated = frame.kind == EventKind::ChipOrder
            && (matches!(h.kind, HeadKind::Verb(_)) || governor.is_some())
            && matches!(
                &subject,
                Some((_, Subject::Ents(_) | Subject::Reference(..)))
            )
            && match subject_role {
                Some(Role::Buyer) => other_side_after_verb(Role::Supplier),
                Some(Role::Supplier) => other_side_after_verb(Role::Buyer),
                _ => false,
            };
        Some(Hit {
            frame: h.frame,
            kind: frame.kind,
            at: verb_at,
            start,
            status,
            action,
            confidence,
            args,
            reference,
            goods,
            verb: verb_form.is_some() || stated_by_participle,
            head_is_noun: h.kind == HeadKind::Noun,
            back: h.back,
            prior: false,
            lifts_prior: false,
            // "6 gigawatts of AMD GPUs", not "500 MW of data center capacity": the rating
            // is of chips when goods follow it before anything else that takes power.
            power: (start..end.min(s.toks.len())).any(|k| {
                s.words.get(k).copied().flatten().is_some_and(|w| {
                    matches!(
                        w,
                        "gigawatt" | "gigawatts" | "gw" | "megawatt" | "megawatts" | "mw"
                    )
                }) && (k + 1..(k + 6).min(end.min(s.toks.len())))
                    .map_while(|j| {
                        let w = s.words.get(j).copied().flatten();
                        (!matches!(
                            w,
                            Some("data" | "capacity" | "power" | "electricity" | "energy")
                        ))
                        .then_some(j)
                    })
                    .any(|j| match s.toks.get(j) {
                        Some(Tok::Ent(_, 'P')) => true,
                        Some(Tok::Word(w)) => kw.goods.contains(w),
                        _ => false,
                    })
            }),
            each: (start..end.min(s.toks.len()))
                .any(|k| s.words.get(k).copied().flatten() == Some("each")),
            definite,
            named,
            described_buyers,
            sides_stated,
        })
    }
}

/// For each head, the governor position and kind of a noun head (`None` for verbs).
fn hits_noun_governors(
    lex: &Lexicon,
    s: &Sent<'_>,
    heads: &[HeadAt],
) -> Vec<Option<(usize, EventKind)>> {
    heads
        .iter()
        .map(|h| {
            let kind = lex.frames.get(h.frame)?.kind;
            lex.governor_of(h, s).map(|(g, _)| (g, kind))
        })
        .collect()
}

/// "will suspend the ban on gallium exports to the US that it imposed last December": a
/// relaxation whose object is a restriction with a clause of its own, stating when it
/// was imposed. The relaxation keeps what comes before that clause; the restriction,
/// returned as an older mention of its own, shares it and takes the clause's dates (not
/// those of an announcement, which is no effective date).
fn split_prior_restriction(s: &Sent<'_>, hit: &mut Hit, right_end: usize) -> Option<Hit> {
    if hit.kind != EventKind::ExportControl || hit.action != Some(ControlAction::Relax) || !hit.verb
    {
        return None;
    }
    let word = |k: usize| s.words.get(k).copied().flatten();
    // The clause's own subject ("it imposed") may cut the window of the relaxation short,
    // so look a little past it.
    let end = right_end.max(hit.at + 15).min(s.toks.len());
    let verb = (hit.at + 1..end).find(|&k| {
        let Some(w) = word(k) else { return false };
        let imposing = matches!(
            w,
            "imposed" | "introduced" | "adopted" | "enacted" | "announced" | "unveiled"
        );
        // Its subject a pronoun or a relative ("that it imposed", "which had imposed",
        // "that Tokyo imposed"): a clause about the measure, not a sentence's saying verb
        // ("the ministry announced").
        let relative = |p: usize| matches!(word(p), Some("it" | "they" | "that" | "which"));
        let government = |p: usize| {
            matches!(s.toks.get(p), Some(Tok::Ent(_, 'J' | 'A')))
                && p.checked_sub(1)
                    .is_some_and(|q| matches!(word(q), Some("that" | "which")))
        };
        let by = k.checked_sub(1).is_some_and(|p| {
            relative(p)
                || government(p)
                || matches!(word(p), Some("had" | "has")) && p.checked_sub(1).is_some_and(relative)
        });
        // "the AI Diffusion Rule, which was due to take effect on May 15": when the
        // measure would have taken effect.
        let taking_effect = matches!(w, "take" | "takes" | "took" | "taken")
            && word(k + 1) == Some("effect")
            && (k.saturating_sub(5)..k).any(|p| matches!(word(p), Some("which" | "that")));
        let imposing = imposing || taking_effect;
        let by = by || taking_effect;
        // ... right after the measure it names ("the ban ... that it imposed").
        let measure = (hit.at + 1..k).any(|j| {
            matches!(
                word(j),
                Some(
                    "ban"
                        | "bans"
                        | "controls"
                        | "restrictions"
                        | "restriction"
                        | "curbs"
                        | "rule"
                        | "rules"
                        | "measures"
                        | "measure"
                        | "embargo"
                        | "limits"
                        | "requirement"
                        | "requirements"
                )
            )
        });
        imposing && by && measure
    })?;
    let announced = matches!(word(verb), Some("announced" | "unveiled"));
    let at = |a: &Arg| token_of(s, a.ann).unwrap_or(0);
    let mut prior = hit.clone();
    prior.action = Some(ControlAction::Restrict);
    prior.prior = true;
    prior.at = verb;
    prior.start = verb;
    prior.args.retain(|a| {
        let date = a.role == Role::Effective;
        if at(a) > verb {
            !(date && announced)
        } else {
            !date
        }
    });
    hit.args.retain(|a| at(a) < verb);
    hit.lifts_prior = true;
    Some(prior)
}

/// "revoked licences that allowed Intel and Qualcomm to supply chips for Huawei": a
/// relative clause right after a control's noun says what the measure covers. Its verb
/// ("allowed") is no measure of its own; its parties and goods are the measure's.
fn describe_by_relative(s: &Sent<'_>, hits: &mut Vec<Hit>) {
    let word = |k: usize| s.words.get(k).copied().flatten();
    let mut n = 0;
    while n < hits.len() {
        let h = &hits[n];
        let relative = h.kind == EventKind::ExportControl
            && h.verb
            && !h.head_is_noun
            && h.at >= 2
            && matches!(word(h.at - 1), Some("that" | "which"))
            && matches!(
                word(h.at - 2),
                Some(
                    "licences"
                        | "licenses"
                        | "licence"
                        | "license"
                        | "permits"
                        | "permit"
                        | "exemptions"
                        | "exemption"
                        | "waivers"
                        | "waiver"
                )
            );
        let owner = relative
            .then(|| {
                hits[..n]
                    .iter()
                    .rposition(|o| o.kind == EventKind::ExportControl && o.at < h.at)
            })
            .flatten();
        match owner {
            Some(o) => {
                let inner = hits.remove(n);
                let args: Vec<Arg> = inner
                    .args
                    .into_iter()
                    .filter(|a| matches!(a.role, Role::Companies | Role::Targets | Role::Products))
                    .collect();
                hits[o].args.extend(args);
                hits[o].goods |= inner.goods;
            }
            None => n += 1,
        }
    }
}
