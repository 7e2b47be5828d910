//! Frame matching. This module owns finding, in one typed sentence, the heads of the
//! lexicon's frames ("ordered", "an order", "export controls", "added ... to") and their
//! arguments: the subject found by walking left over auxiliaries, adverbs and
//! parenthetical clauses to the nearest noun phrase not governed by a preposition; the
//! arguments to the right, each typed by the cue word before it (`from`, `to`, `with`,
//! `by`, `on`, ...) or by its position (the object); the possessor or modifier before a
//! noun head ("Baidu's order", "US export controls"). It also reads the clause up to the
//! head for negation, intention and speculation. It knows nothing of articles: references
//! ("the company", "it") come back unresolved.

use regex::Regex;

use crate::model::{ControlAction, EventKind, OrderStatus};

use super::lexicon::{HeadKind, Lexicon, Role, VerbForm};
use super::tokens::{
    Tok, AUXILIARIES, CLAUSE_OPENERS, DETERMINERS, ORG_NOUNS, ORG_PRONOUNS, PASSIVE_AUX,
    PREPOSITIONS,
};

/// Word lists and cue regexes of one kind, compiled.
#[derive(Debug, Default)]
pub struct KindWords {
    pub negations: Vec<Regex>,
    pub speculative: Vec<Regex>,
    pub planned: Vec<Regex>,
    pub topic: Vec<Regex>,
    pub exclusions: Vec<Regex>,
    pub goods: Vec<String>,
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
}

/// A sentence as the frame functions read it: its tokens, the word of each token
/// (`None` for placeholders and punctuation) and the base forms of the lexicon's verbs
/// (so "to buy" reads as an infinitive, not as the preposition "to").
struct Sent<'a> {
    toks: &'a [Tok],
    words: Vec<Option<&'a str>>,
    verbs: &'a std::collections::HashSet<String>,
    /// Every inflected form of the lexicon's verbs ("bought").
    forms: &'a std::collections::HashSet<String>,
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
}

/// Words that may sit between a determiner and a noun head ("a new $2 billion order").
const NOUN_MODIFIERS: &[&str] = &[
    "so",
    "called",
    "so-called",
    "new",
    "fresh",
    "large",
    "big",
    "bigger",
    "first",
    "initial",
    "additional",
    "massive",
    "huge",
    "bulk",
    "repeat",
    "follow-on",
    "major",
    "multibillion",
    "multi",
    "billion",
    "million",
    "dollar",
    "year",
    "multiyear",
    "long",
    "term",
    "supply",
    "purchase",
    "chip",
    "gpu",
    "export",
    "trade",
    "technology",
    "tech",
    "semiconductor",
    "latest",
    "recent",
    "sweeping",
    "tougher",
    "tighter",
    "stricter",
    "expanded",
    "updated",
    "revised",
    "further",
    "broad",
    "broader",
    "sweeping",
    "current",
    "existing",
    "previous",
    "earlier",
    "prior",
    "former",
    "original",
    "definitive",
    "binding",
    "landmark",
    "record",
    "reported",
    "second",
    "third",
    "final",
    "formal",
    "strategic",
    "procurement",
    "server",
    "hardware",
    "ai",
    "computing",
    "memory",
    "tool",
    "equipment",
    "-",
    "worth",
    "valued",
    "dual",
    "use",
    "advanced",
    "control",
    "controls",
    "licensing",
    "license",
    "licence",
    "blanket",
    "outright",
    "total",
    "near",
    "complete",
    "partial",
    "temporary",
];

/// Adverbs and hedges skipped between an auxiliary and a verb or a subject and a verb.
const ADVERBS: &[&str] = &[
    "reportedly",
    "also",
    "already",
    "now",
    "recently",
    "previously",
    "officially",
    "formally",
    "initially",
    "further",
    "then",
    "finally",
    "jointly",
    "separately",
    "quietly",
    "allegedly",
    "just",
    "still",
    "since",
    "all",
    "effectively",
    "currently",
    "originally",
    "subsequently",
    "later",
    "earlier",
    "once",
    "again",
    "additionally",
    "ultimately",
    "indeed",
    "reportedly",
    "publicly",
    "secretly",
    "partially",
    "partly",
    "largely",
    "mostly",
    "even",
    "only",
    "newly",
    "expressly",
    "explicitly",
    "specifically",
    "abruptly",
    "suddenly",
    "swiftly",
    "quickly",
    "eventually",
    "so",
    "far",
    "first",
    "last",
    "week",
    "month",
    "year",
    "this",
];

/// Words a government reference is made of ("the government", "the ministry").
const GOVERNMENT_NOUNS: &[&str] = &[
    "government",
    "administration",
    "authorities",
    "ministry",
    "department",
    "officials",
    "regulators",
    "regulator",
    "agency",
    "bureau",
    "commission",
    "cabinet",
    "state",
    "council",
];

impl Lexicon {
    /// Every frame head of the sentence and its arguments.
    pub fn find(&self, toks: &[Tok], kinds: &[KindWords; 2], plain: &[String]) -> Vec<Hit> {
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
        let on_topic = [0, 1].map(|k| {
            let kw = &kinds[k];
            (kw.topic.is_empty() || kw.topic.iter().any(|r| r.is_match(&sentence)))
                && !kw.exclusions.iter().any(|r| r.is_match(&sentence))
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
            if let Some(hit) = self.hit(s, h, &heads, right_end, kinds, plain, on_topic) {
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
                out.push(HeadAt {
                    frame: h.frame,
                    start: i,
                    end: i + len,
                    kind: h.kind,
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
        while k > 0 && steps < 14 {
            k -= 1;
            steps += 1;
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
                // "added Huawei to the Entity List", "placed 27 Chinese entities on".
                Some("to" | "on" | "onto" | "in" | "into" | "from" | "and" | "or") => {}
                Some(w)
                    if unknown_words < 3
                        && !is_verbish(s, w)
                        && !CLAUSE_OPENERS.contains(&w)
                        && !AUXILIARIES.contains(&w) =>
                {
                    unknown_words += 1;
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
        plain: &[String],
        on_topic: [bool; 2],
    ) -> Option<Hit> {
        let frame = self.frames.get(h.frame)?;
        let kw = &kinds[usize::from(frame.kind == EventKind::ExportControl)];
        let governor = self.governor_of(h, s);
        let gov = governor.and_then(|(_, gi)| frame.governors.get(gi));
        let verb_at = governor.map_or(h.start, |g| g.0);
        let mut status = gov.and_then(|g| g.status).or(frame.status);
        let mut action = gov.and_then(|g| g.action).or(frame.action);
        let confidence = gov.and_then(|g| g.confidence).unwrap_or(frame.confidence);
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
        let passive = verb_form.is_some_and(|f| is_passive(s, verb_at, f));
        if frame.finite && !is_finite(s, verb_at) {
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
        // "cannot be sold"), not anywhere before it in the clause.
        let negated = if frame.when_negated {
            let near = plain
                .get(verb_at.saturating_sub(4)..verb_at)
                .map(|p| p.join(" "))
                .unwrap_or_default();
            kw.negations.iter().any(|r| r.is_match(&near))
        } else {
            kw.negations.iter().any(|r| r.is_match(&context))
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
                Subject::Government => {}
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
        // Between subject and head: cue-marked arguments ("signed a deal with AMD to buy").
        for k in left_start..verb_at {
            if let Some(arg) = self.argument(
                s,
                k,
                &cue_role,
                None,
                None,
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
                    frame.roles.dates,
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
                            // "Nvidia H200 buys": the maker named with the goods sells them.
                            'O' if frame.kind == EventKind::ChipOrder
                                && frame.roles.owner != Some(Role::Buyer)
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
        let mut stated_by_participle = false;
        if h.kind == HeadKind::Noun && governor.is_none() {
            let verb_form = |w: &str| {
                AUXILIARIES.contains(&w) && w != "'s"
                    || w.len() > 4
                        && (w.ends_with("ed") || w.ends_with("ing"))
                        && !NOUN_MODIFIERS.contains(&w)
                        && !PREPOSITIONS.contains(&w)
            };
            if let Some(v) =
                (h.end..end).find(|&k| s.words.get(k).copied().flatten().is_some_and(verb_form))
            {
                // "export restrictions imposed by the US last year": a governor's
                // participle states the measure and brings its agent and date.
                let participle = s.words.get(v).copied().flatten().and_then(|w| {
                    frame.governor_forms.iter().position(|forms| {
                        forms
                            .iter()
                            .any(|(f, form)| f.len() == 1 && f[0] == w && form.can_be_participle())
                    })
                });
                match participle {
                    Some(gi) => {
                        stated_by_participle = true;
                        if let Some(a) = frame.governors.get(gi).and_then(|g| g.action) {
                            action = Some(a);
                        }
                    }
                    None => end = v,
                }
            }
        }
        for k in h.end..end {
            if let Some((arg, keep, g)) = self.argument(
                s,
                k,
                &cue_role,
                frame.roles.object,
                frame.roles.dates,
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
                .is_some_and(|w| kw.goods.iter().any(|g| g == w))
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
                        && !ADVERBS.contains(&w)
                        && !PREPOSITIONS.contains(&w)
                        && !is_verbish(s, w)
                        && !kw.goods.iter().any(|g| g == w)
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
        let start = subject
            .as_ref()
            .map_or(verb_at.min(np_start), |(at, _)| (*at).min(verb_at));
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
            power: (start..end.min(s.toks.len())).any(|k| {
                s.words.get(k).copied().flatten().is_some_and(|w| {
                    matches!(
                        w,
                        "gigawatt" | "gigawatts" | "gw" | "megawatt" | "megawatts" | "mw"
                    )
                })
            }),
            each: (start..end.min(s.toks.len()))
                .any(|k| s.words.get(k).copied().flatten() == Some("each")),
            definite,
            named,
        })
    }

    /// The argument at token `k`, if it is an entity: `(arg, keep, goods)`.
    #[allow(clippy::too_many_arguments)]
    fn argument(
        &self,
        s: &Sent<'_>,
        k: usize,
        cue_role: &dyn Fn(&str) -> Option<Role>,
        object: Option<Role>,
        dates: Option<Role>,
        kind: EventKind,
        kw: &KindWords,
        names: bool,
        head_end: usize,
        owner: Option<Role>,
    ) -> Option<(Option<Arg>, bool, bool)> {
        let Some(Tok::Ent(ann, letter)) = s.toks.get(k) else {
            return None;
        };
        let (ann, letter) = (*ann, *letter);
        if s.unknown.get(k).copied().unwrap_or(false) && !names {
            return None;
        }
        let cue = coordinated_cue(s, k);
        // "to power OpenAI's data centre": the object of another verb, not of the head.
        // A trade verb in the head's complement keeps it ("allow Nvidia to ship its H200").
        if cue.is_none()
            && verb_before(s, k).is_some_and(|v| {
                v >= head_end && !s.words.get(v).copied().flatten().is_some_and(is_trade_verb)
            })
        {
            return None;
        }
        let modifies_goods = modifies_goods(s, k, kw);
        let role = match cue.as_deref() {
            Some(c) => cue_role(c),
            None => object,
        };
        let goods = letter == 'P';
        let arg = |role: Role, quantity: bool| {
            Some((
                Some(Arg {
                    role,
                    ann,
                    quantity,
                }),
                true,
                goods,
            ))
        };
        match (kind, letter) {
            (_, 'D') => match (dates, cue.as_deref()) {
                (
                    Some(r),
                    None
                    | Some(
                        "by" | "in" | "from" | "on" | "before" | "until" | "starting" | "during"
                        | "within" | "beginning" | "around" | "at" | "as",
                    ),
                ) => Some((
                    Some(Arg {
                        role: r,
                        ann,
                        quantity: false,
                    }),
                    true,
                    false,
                )),
                _ => None,
            },
            (EventKind::ChipOrder, 'P') => match role {
                Some(Role::Ignore) => None,
                _ => arg(Role::Product, false),
            },
            (EventKind::ChipOrder, 'N') => {
                if role == Some(Role::Ignore) || !modifies_goods || in_range(s, k) {
                    return None;
                }
                arg(Role::Product, true)
            }
            (EventKind::ChipOrder, 'M') => {
                if role == Some(Role::Ignore) || is_unit_price(s, k) {
                    return None;
                }
                arg(Role::Value, false)
            }
            (EventKind::ChipOrder, 'O') => {
                // "Samsung makes Tesla's AI4 chip": for a foundry the name in front of the
                // goods is whose chips they are, the buyer.
                if modifies_goods && owner == Some(Role::Buyer) {
                    return arg(Role::Buyer, false);
                }
                if modifies_goods
                    && matches!(
                        cue.as_deref(),
                        None | Some("of") | Some("from") | Some("for") | Some("on")
                    )
                {
                    return arg(Role::Supplier, false);
                }
                match role {
                    Some(r @ (Role::Buyer | Role::Supplier | Role::Party)) => arg(r, false),
                    _ => None,
                }
            }
            // "to the South Korean government": a government buys too.
            (EventKind::ChipOrder, 'J') => match role {
                Some(Role::Buyer) if s.government.get(k).copied().unwrap_or(false) => {
                    arg(Role::Buyer, false)
                }
                _ => None,
            },
            (EventKind::ChipOrder, _) => None,
            (EventKind::ExportControl, 'P') => match role {
                Some(Role::Ignore) => None,
                _ => arg(Role::Products, false),
            },
            (EventKind::ExportControl, 'O') => {
                if modifies_goods {
                    return arg(Role::Companies, false);
                }
                if let Some(r) = actor_role(s, k) {
                    return arg(r, false);
                }
                if matches!(cue.as_deref(), Some("such as" | "including"))
                    && role != Some(Role::Companies)
                    && role != Some(Role::Targets)
                {
                    return None;
                }
                match role {
                    Some(Role::Products | Role::Targets) => arg(Role::Targets, false),
                    Some(Role::Companies) => arg(Role::Companies, false),
                    Some(Role::Authority) => None,
                    _ => None,
                }
            }
            (EventKind::ExportControl, 'J') => {
                if demonym_of_entities(s, k, kw) {
                    return arg(Role::Targets, false);
                }
                // "US technology", "American chips": a jurisdiction qualifying a noun.
                if matches!(s.toks.get(k + 1), Some(Tok::Word(w)) if QUALIFIED_NOUNS.contains(&w.as_str()))
                {
                    return None;
                }
                match role {
                    Some(Role::Targets) => arg(Role::Targets, false),
                    Some(Role::Authority) => arg(Role::Authority, false),
                    _ => None,
                }
            }
            (EventKind::ExportControl, 'A') => match role {
                Some(Role::Authority) => arg(Role::Authority, false),
                _ => None,
            },
            (EventKind::ExportControl, _) => None,
        }
    }

    /// The subject of the verb at `verb_at`: walking left over adverbs, auxiliaries,
    /// modality ("plans to", "agreed to") and parenthetical clauses to the nearest name or
    /// reference not governed by a preposition. Returns where it starts and what it is.
    fn subject(
        &self,
        s: &Sent<'_>,
        verb_at: usize,
        frame: usize,
        heads: &[HeadAt],
    ) -> Option<(usize, Subject)> {
        let kind = self.frames.get(frame)?.kind;
        // "regulations banning sales": a participle after a noun describes that noun,
        // which is its subject.
        let after_noun = verb_at
            .checked_sub(1)
            .and_then(|p| s.words.get(p).copied().flatten())
            .is_some_and(|w| {
                !AUXILIARIES.contains(&w)
                    && !PREPOSITIONS.contains(&w)
                    && !ADVERBS.contains(&w)
                    && !DETERMINERS.contains(&w)
                    && !matches!(w, "and" | "or" | "to" | "not")
                    && !is_verbish(s, w)
            });
        if after_noun
            && s.words
                .get(verb_at)
                .copied()
                .flatten()
                .is_some_and(|w| w.ends_with("ing"))
        {
            return None;
        }
        // "with Intel buying the system": a name right before a gerund is its subject,
        // whatever governs the name.
        if s.words
            .get(verb_at)
            .copied()
            .flatten()
            .is_some_and(|w| w.ends_with("ing"))
        {
            if let Some(Tok::Ent(a, l)) = verb_at.checked_sub(1).and_then(|p| s.toks.get(p)) {
                let wanted = match kind {
                    EventKind::ChipOrder => *l == 'O',
                    EventKind::ExportControl => matches!(l, 'J' | 'A'),
                };
                if wanted {
                    return Some((verb_at - 1, Subject::Ents(vec![(verb_at - 1, *a)])));
                }
            }
        }
        let mut k = verb_at;
        let mut steps = 0;
        while k > 0 && steps < 30 {
            k -= 1;
            steps += 1;
            match s.toks.get(k)? {
                Tok::Punct(';') | Tok::Punct(':') => return None,
                Tok::Punct(',') => {
                    if let Some(open) = parenthetical_start(s, k) {
                        k = open;
                    }
                }
                // "Taiwan Semiconductor Manufacturing Company (TSMC)": a bracketed gloss
                // repeats what stands before it.
                Tok::Punct(')') => {
                    if let Some(open) = (k.saturating_sub(12)..k)
                        .rev()
                        .find(|&j| s.toks.get(j).is_some_and(|t| t.is_punct('(')))
                    {
                        k = open;
                    }
                }
                Tok::Punct(_) => {}
                // "manufactured by Nvidia, which will deliver the machine": a relative
                // pronoun stands for the name right before it.
                Tok::Word(w) if matches!(w.as_str(), "which" | "who") => {
                    let before = k
                        .checked_sub(1)
                        .filter(|&p| !s.toks.get(p).is_some_and(|t| t.is_punct(',')))
                        .or_else(|| k.checked_sub(2));
                    return match before.and_then(|p| s.toks.get(p).map(|t| (p, t))) {
                        Some((p, Tok::Ent(a, 'O'))) if kind == EventKind::ChipOrder => {
                            Some((p, Subject::Ents(vec![(p, *a)])))
                        }
                        _ => None,
                    };
                }
                Tok::Word(_) if opens_clause(s, k) => return None,
                Tok::Word(w) => {
                    if ORG_PRONOUNS.contains(&w.as_str()) && cue_before(s, k).is_none() {
                        return Some(match kind {
                            EventKind::ChipOrder => (k, Subject::Reference(k, false)),
                            // "it will not allow": the authority the article names.
                            EventKind::ExportControl => (k, Subject::Government),
                        });
                    }
                    if kind == EventKind::ChipOrder && ORG_NOUNS.contains(&w.as_str()) {
                        if let Some(start) = definite_description(s, k) {
                            if cue_before(s, start).is_none() {
                                let maker = matches!(
                                    w.as_str(),
                                    "chipmaker"
                                        | "maker"
                                        | "designer"
                                        | "manufacturer"
                                        | "supplier"
                                        | "vendor"
                                        | "foundry"
                                );
                                return Some((start, Subject::Reference(k, maker)));
                            }
                        }
                    }
                    if kind == EventKind::ExportControl && GOVERNMENT_NOUNS.contains(&w.as_str()) {
                        if let Some(start) = definite_description(s, k) {
                            if cue_before(s, start).is_none() {
                                return Some((start, Subject::Government));
                            }
                        }
                    }
                    // Walking past another verb head of the same kind: its subject is not ours
                    // unless the two verbs are coordinated; stop at a finite verb head.
                    let _ = heads;
                }
                Tok::Ent(_, _)
                    if s.unknown.get(k).copied().unwrap_or(false)
                        && !self.frames.get(frame).is_some_and(|f| f.names) => {}
                Tok::Ent(ann, letter) => {
                    let wanted = match kind {
                        // A government buys too: "the UK government has ordered".
                        EventKind::ChipOrder => {
                            *letter == 'O'
                                || *letter == 'J' && s.government.get(k).copied().unwrap_or(false)
                        }
                        EventKind::ExportControl => matches!(letter, 'J' | 'A' | 'O'),
                    };
                    if !wanted || cue_before(s, k).is_some() || verb_before(s, k).is_some() {
                        continue;
                    }
                    // A demonym modifying a name ("Chinese tech giant Baidu") is not it.
                    if *letter == 'J' && next_is_name(s, k) {
                        continue;
                    }
                    let mut list = vec![(k, *ann)];
                    let mut start = k;
                    // Coordinated names: "Microsoft, Meta and Google", "BIS and Commerce",
                    // "Chinese companies including ByteDance, Alibaba and Tencent".
                    let mut p = k;
                    loop {
                        let mut q = p;
                        let mut joined = false;
                        while q > 0 {
                            match s.toks.get(q - 1) {
                                Some(Tok::Punct(',' | '&')) => joined = true,
                                Some(Tok::Word(w))
                                    if matches!(
                                        w.as_str(),
                                        "and" | "as" | "well" | "both" | "or"
                                    ) =>
                                {
                                    joined = true
                                }
                                _ => break,
                            }
                            q -= 1;
                        }
                        let Some(Tok::Ent(a, l)) = q.checked_sub(1).and_then(|i| s.toks.get(i))
                        else {
                            break;
                        };
                        if !joined || l != letter {
                            break;
                        }
                        let cue = cue_before(s, q - 1);
                        let example =
                            matches!(cue.as_deref(), Some("including" | "such as" | "like"));
                        if cue.is_some() && !example {
                            break;
                        }
                        list.insert(0, (q - 1, *a));
                        start = q - 1;
                        p = q - 1;
                        if example {
                            break;
                        }
                    }
                    return Some((start, Subject::Ents(list)));
                }
            }
        }
        None
    }
}

/// What stands in subject position.
#[derive(Debug, Clone)]
enum Subject {
    /// Names: `(token, annotation)` pairs, several when coordinated.
    Ents(Vec<(usize, usize)>),
    /// A reference at a token; `true` when it describes a maker.
    Reference(usize, bool),
    /// "the government", "authorities": an authority the article names elsewhere.
    Government,
}

impl Subject {
    fn covers(&self, k: usize) -> bool {
        match self {
            Subject::Ents(list) => list.iter().any(|&(t, _)| t == k),
            _ => false,
        }
    }
}

/// A role as it applies to a value of type `letter`.
fn typed_role(role: Role, letter: char, kind: EventKind, _maker: bool) -> Option<Role> {
    match (kind, role, letter) {
        (EventKind::ChipOrder, Role::Buyer | Role::Supplier | Role::Party, 'O') => Some(role),
        (EventKind::ChipOrder, Role::Buyer, 'J') => Some(role),
        (EventKind::ChipOrder, Role::Product, 'P' | 'N') => Some(Role::Product),
        (EventKind::ExportControl, Role::Authority, 'J' | 'A') => Some(Role::Authority),
        (EventKind::ExportControl, Role::Targets, 'J' | 'O') => Some(Role::Targets),
        (EventKind::ExportControl, Role::Companies, 'O') => Some(Role::Companies),
        (EventKind::ExportControl, Role::Products, 'P') => Some(Role::Products),
        (EventKind::ExportControl, Role::Products, 'O') => Some(Role::Targets),
        _ => None,
    }
}

/// Whether a verb head at `i..i + len` is used as a verb, not as a noun ("the supply
/// chain", "supply-chain") or an adjective ("into restricted countries", "and limited
/// availability").
fn reads_as_verb(s: &Sent<'_>, i: usize, len: usize, kind: HeadKind) -> bool {
    let prev = i.checked_sub(1).and_then(|p| s.toks.get(p));
    let next = s.toks.get(i + len);
    if next.is_some_and(|t| t.is_punct('-')) {
        return false;
    }
    if next.and_then(Tok::word).is_some_and(|w| {
        matches!(
            w,
            "chain"
                | "chains"
                | "agreement"
                | "agreements"
                | "deal"
                | "deals"
                | "contract"
                | "contracts"
                | "shortage"
                | "shortages"
                | "constraints"
                | "crunch"
                | "glut"
                | "side"
                | "base"
                | "book"
                | "books"
                | "pact"
                | "pacts"
                | "volumes"
                | "volume"
                | "capacity"
                | "prices"
                | "price"
                | "data"
                | "figures"
                | "growth"
                | "curbs"
                | "controls"
                | "rules"
                | "ban"
                | "licences"
                | "licenses"
                | "licence"
                | "license"
        )
    }) {
        return false;
    }
    let after_determiner = prev.and_then(Tok::word).is_some_and(|w| {
        matches!(
            w,
            "a" | "an" | "the" | "its" | "their" | "this" | "these" | "those" | "our"
        )
    });
    if after_determiner {
        return false;
    }
    // A participle right before a noun, after a preposition, conjunction or comma.
    let participle = matches!(kind, HeadKind::Verb(f) if f.can_be_participle());
    let before_noun = next.and_then(Tok::word).is_some_and(|w| {
        !PREPOSITIONS.contains(&w)
            && !DETERMINERS.contains(&w)
            && !AUXILIARIES.contains(&w)
            && !ADVERBS.contains(&w)
            && !CLAUSE_OPENERS.contains(&w)
            && !matches!(
                w,
                "and" | "or" | "by" | "that" | "it" | "them" | "him" | "her"
            )
    });
    let after_link = match prev {
        None => true,
        Some(Tok::Punct(_)) => true,
        Some(Tok::Word(w)) => {
            PREPOSITIONS.contains(&w.as_str())
                || matches!(
                    w.as_str(),
                    "and"
                        | "or"
                        | "more"
                        | "most"
                        | "less"
                        | "heavily"
                        | "highly"
                        | "tightly"
                        | "strictly"
                        | "export"
                )
        }
        Some(Tok::Ent(..)) => false,
    };
    !(participle && before_noun && after_link)
}

/// Whether a word that is both a verb and a noun head reads as a noun at `i`.
fn looks_like_noun(s: &Sent<'_>, i: usize, kinds: &[KindWords; 2]) -> bool {
    let Some(prev) = i.checked_sub(1).and_then(|p| s.toks.get(p)) else {
        return false;
    };
    match prev {
        Tok::Word(w) => {
            // Right after a verb it is that verb's object: "will require permits".
            is_verbish(s, w) && !PREPOSITIONS.contains(&w.as_str())
                || DETERMINERS.contains(&w.as_str())
                || NOUN_MODIFIERS.contains(&w.as_str())
                || w == "'s"
                || PREPOSITIONS.contains(&w.as_str()) && w != "to"
                || kinds.iter().any(|k| k.goods.contains(w))
        }
        // "$2 billion order", "H20 orders"; but "Baidu ordered".
        Tok::Ent(_, l) => {
            matches!(l, 'M' | 'N' | 'P')
                && !s
                    .words
                    .get(i)
                    .copied()
                    .flatten()
                    .is_some_and(|w| w.ends_with("ed"))
        }
        Tok::Punct('-') => true,
        Tok::Punct(_) => false,
    }
}

/// Passive voice at a verb: "were ordered by", "has been awarded", "chips bought by X".
fn is_passive(s: &Sent<'_>, verb_at: usize, form: VerbForm) -> bool {
    if !form.can_be_participle() {
        return false;
    }
    let mut k = verb_at;
    let mut steps = 0;
    while k > 0 && steps < 3 {
        k -= 1;
        steps += 1;
        match s.words.get(k).copied().flatten() {
            Some(w) if PASSIVE_AUX.contains(&w) => return true,
            Some(w) if ADVERBS.contains(&w) || w == "not" || w == "n't" => {}
            _ => break,
        }
    }
    // A reduced passive: "1,600 chips bought by Baidu".
    let next_by = s.words.get(verb_at + 1).copied().flatten() == Some("by");
    let prev_is_goods = verb_at
        .checked_sub(1)
        .and_then(|p| s.toks.get(p))
        .is_some_and(|t| {
            matches!(t, Tok::Ent(_, 'P' | 'N'))
                || t.word()
                    .is_some_and(|w| w.ends_with('s') && !AUXILIARIES.contains(&w))
        });
    next_by && prev_is_goods
}

/// The preposition governing the noun phrase that ends at `k`, if any: walks left over
/// determiners, modifiers, names and numbers (at most four tokens).
/// Verbs of trade: in a head's complement ("allowed to ship", "barred from selling")
/// their objects are the head's.
fn is_trade_verb(w: &str) -> bool {
    const STEMS: &[&str] = &[
        "sell", "sold", "ship", "export", "suppl", "provid", "deliver", "buy", "bought", "purchas",
        "acquir", "import", "obtain", "receiv", "access", "resum", "send", "sent", "transfer",
        "order", "procur",
    ];
    STEMS.iter().any(|stem| w.starts_with(stem))
}

/// The verb whose object the noun phrase ending at `k` is, if a verb stands right before
/// that phrase ("bought more Nvidia Hopper chips", "to power OpenAI's data centre").
fn verb_before(s: &Sent<'_>, k: usize) -> Option<usize> {
    let mut j = k;
    let mut steps = 0;
    while j > 0 && steps < 5 {
        j -= 1;
        steps += 1;
        match s.toks.get(j)? {
            Tok::Word(w)
                if DETERMINERS.contains(&w.as_str())
                    || w == "'s"
                    || NOUN_MODIFIERS.contains(&w.as_str()) => {}
            // "Abu Dhabi-based", "US-backed", "cutting-edge": a word joined by a hyphen is
            // part of an adjective.
            Tok::Word(w)
                if is_verbish(s, w)
                    && !(j > 0 && s.toks.get(j - 1).is_some_and(|t| t.is_punct('-')))
                    && !s.toks.get(j + 1).is_some_and(|t| t.is_punct('-')) =>
            {
                return Some(j)
            }
            Tok::Word(_) if j > 0 && s.toks.get(j - 1).is_some_and(|t| t.is_punct('-')) => {}
            Tok::Ent(..) | Tok::Punct('-') => {}
            _ => return None,
        }
    }
    None
}

fn cue_before(s: &Sent<'_>, k: usize) -> Option<String> {
    let mut j = k;
    let mut steps = 0;
    let mut unknown = 0;
    while j > 0 && steps < 7 {
        j -= 1;
        steps += 1;
        match s.toks.get(j)? {
            Tok::Word(w) => {
                // "to buy 350,000 GPUs": an infinitive, not the preposition.
                if w == "to"
                    && s.words
                        .get(j + 1)
                        .copied()
                        .flatten()
                        .is_some_and(|v| s.verbs.contains(v))
                {
                    return None;
                }
                // "said on Monday that the US ...": a complementizer ends the phrase.
                if w == "that" {
                    return None;
                }
                // "300 to 400 Supermicro racks": a range, not the preposition.
                if w == "to"
                    && j > 0
                    && matches!(s.toks.get(j - 1), Some(Tok::Ent(_, 'N' | 'M')))
                    && matches!(s.toks.get(j + 1), Some(Tok::Ent(_, 'N' | 'M')))
                {
                    continue;
                }
                if PREPOSITIONS.contains(&w.as_str()) {
                    // Two-word cues: "valued at", "destined for", "on behalf of".
                    if let Some(prev) = j
                        .checked_sub(1)
                        .and_then(|p| s.words.get(p).copied().flatten())
                    {
                        if matches!(
                            (prev, w.as_str()),
                            ("valued", "at")
                                | ("destined", "for")
                                | ("bound", "for")
                                | ("on", "behalf")
                                | ("such", "as")
                                | ("as", "well")
                        ) {
                            return Some(format!("{prev} {w}"));
                        }
                    }
                    return Some(w.clone());
                }
                if w == "as" && j > 0 && s.words.get(j - 1).copied().flatten() == Some("such") {
                    return Some("such as".to_string());
                }
                if DETERMINERS.contains(&w.as_str())
                    || w == "'s"
                    || NOUN_MODIFIERS.contains(&w.as_str())
                {
                    continue;
                }
                if AUXILIARIES.contains(&w.as_str())
                    || CLAUSE_OPENERS.contains(&w.as_str())
                    || w == "and"
                    || w == "or"
                    || w == "that"
                {
                    return None;
                }
                // An unknown word: a modifier ("French artificial intelligence startup
                // Mistral AI") unless it reads as a verb ("barred Nvidia", "selling its
                // H20").
                if is_verbish(s, w) {
                    return None;
                }
                unknown += 1;
                if unknown > 4 {
                    return None;
                }
            }
            Tok::Ent(_, _) => continue,
            Tok::Punct('-') | Tok::Punct('\'') => continue,
            Tok::Punct(_) => return None,
        }
    }
    None
}

/// The cue of the name at `k`, or of the list it ends: "to China, Hong Kong and Macau"
/// gives all three the cue `to`.
fn coordinated_cue(s: &Sent<'_>, k: usize) -> Option<String> {
    coordinated_cue_within(s, k, 12)
}

fn coordinated_cue_within(s: &Sent<'_>, k: usize, depth: usize) -> Option<String> {
    let own = cue_before(s, k);
    if own.is_some() || depth == 0 {
        return own;
    }
    let letter = s.toks.get(k).and_then(Tok::letter)?;
    // A comma alone joins a list only when the list goes on after this name ("to China,
    // Hong Kong and Macau"); "according to a report, SK Hynix has" is no list.
    let list_goes_on = || {
        let mut j = k + 1;
        while let Some(t) = s.toks.get(j) {
            match t {
                Tok::Punct(',') => {}
                Tok::Word(w) if matches!(w.as_str(), "and" | "or") => {}
                Tok::Ent(_, l) => return *l == letter && j > k + 1,
                _ => return false,
            }
            j += 1;
        }
        false
    };
    let mut j = k;
    let mut joined = false;
    let mut conjunction = false;
    while j > 0 {
        match s.toks.get(j - 1)? {
            Tok::Punct(',') => joined = true,
            Tok::Punct('&') => {
                joined = true;
                conjunction = true;
            }
            Tok::Word(w) if matches!(w.as_str(), "and" | "or" | "as" | "well") => {
                joined = true;
                conjunction = true;
            }
            Tok::Ent(_, l)
                if joined
                    && *l == letter
                    && !s.unknown.get(j - 1).copied().unwrap_or(false)
                    && (conjunction || list_goes_on()) =>
            {
                return coordinated_cue_within(s, j - 1, depth - 1)
            }
            _ => return None,
        }
        j -= 1;
    }
    None
}

/// Whether the name at `k` stands in front of goods: "Huawei 910B chips", "Nvidia's
/// H20", "Nvidia GPUs", "of Nvidia's most powerful GB200 chips".
fn modifies_goods(s: &Sent<'_>, k: usize, kw: &KindWords) -> bool {
    let mut j = k + 1;
    let mut steps = 0;
    while steps < 7 {
        // A hyphenated adjective ("cutting-edge") counts as one word.
        let joined = s.toks.get(j).is_some_and(|t| t.is_punct('-'))
            || j > 0 && s.toks.get(j - 1).is_some_and(|t| t.is_punct('-'));
        if !joined {
            steps += 1;
        }
        match s.toks.get(j) {
            Some(Tok::Ent(_, 'P')) => return s.toks.get(k).and_then(Tok::letter) != Some('P'),
            Some(Tok::Ent(_, 'O')) if s.toks.get(k).and_then(Tok::letter) == Some('N') => {}
            Some(Tok::Word(w)) if kw.goods.iter().any(|g| g == w) => return true,
            Some(Tok::Word(w))
                if w == "'s"
                    || w == "of"
                    || DETERMINERS.contains(&w.as_str())
                    || NOUN_MODIFIERS.contains(&w.as_str()) => {}
            Some(Tok::Word(w))
                if !PREPOSITIONS.contains(&w.as_str())
                    && !AUXILIARIES.contains(&w.as_str())
                    && w != "and"
                    && steps <= 5 => {}
            Some(Tok::Punct('-')) => {}
            _ => return false,
        }
        j += 1;
        let _ = s.words;
    }
    false
}

/// "Chinese entities", "27 Chinese companies": a demonym before a listed-party noun.
fn demonym_of_entities(s: &Sent<'_>, k: usize, kw: &KindWords) -> bool {
    (k + 1..(k + 4).min(s.toks.len())).any(|j| {
        s.words
            .get(j)
            .copied()
            .flatten()
            .is_some_and(|w| kw.entity_nouns.iter().any(|e| e == w))
    }) && !matches!(s.toks.get(k + 1), Some(Tok::Ent(..)))
}

/// Whether a word not in any closed list reads as a verb: a verb of the lexicon or a
/// form ending in -ed or -ing (adjectives such as "advanced" are modifiers).
fn is_verbish(s: &Sent<'_>, w: &str) -> bool {
    if NOUN_MODIFIERS.contains(&w) || PREPOSITIONS.contains(&w) {
        return false;
    }
    s.verbs.contains(w)
        || s.forms.contains(w)
        || w.len() > 4 && (w.ends_with("ed") || w.ends_with("ing"))
        || w.strip_suffix('s')
            .is_some_and(|stem| s.verbs.contains(stem))
}

/// Whether the verb at `k` is finite: not an infinitive ("to ship") and not a gerund or
/// participle after a preposition or noun ("from selling", "a rule requiring").
fn is_finite(s: &Sent<'_>, k: usize) -> bool {
    let Some(w) = s.words.get(k).copied().flatten() else {
        return true;
    };
    // "let Nvidia sell", "help Huawei build": a bare infinitive after its own subject.
    if k >= 2
        && matches!(s.toks.get(k - 1), Some(Tok::Ent(..)))
        && s.words.get(k - 2).copied().flatten().is_some_and(|v| {
            matches!(
                v,
                "let"
                    | "lets"
                    | "letting"
                    | "help"
                    | "helps"
                    | "helped"
                    | "helping"
                    | "make"
                    | "makes"
                    | "made"
                    | "making"
            )
        })
    {
        return false;
    }
    let mut j = k;
    while j > 0 {
        j -= 1;
        match s.words.get(j).copied().flatten() {
            Some(a) if ADVERBS.contains(&a) || a == "not" => continue,
            Some("to") => return false,
            Some(p) if w.ends_with("ing") && !AUXILIARIES.contains(&p) => return false,
            _ => return true,
        }
    }
    !w.ends_with("ing")
}

/// Nouns a jurisdiction qualifies without being a destination: "US technology",
/// "American chipmakers", "Chinese-made".
const QUALIFIED_NOUNS: &[&str] = &[
    "technology",
    "technologies",
    "tech",
    "chip",
    "chips",
    "company",
    "companies",
    "firm",
    "firms",
    "supplier",
    "suppliers",
    "product",
    "products",
    "goods",
    "items",
    "item",
    "components",
    "component",
    "software",
    "equipment",
    "tools",
    "tool",
    "chipmaker",
    "chipmakers",
    "maker",
    "makers",
    "manufacturers",
    "semiconductors",
    "semiconductor",
    "designs",
    "design",
    "origin",
    "content",
    "persons",
    "person",
    "exporters",
    "exports",
    "industry",
    "businesses",
    "vendors",
    "-",
    "made",
    "based",
    "developed",
    "designed",
];

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

/// Verbs that make their object the doer of the next verb: "ordered TSMC to halt".
const CAUSATIVES: &[&str] = &[
    "mandated",
    "mandating",
    "mandate",
    "mandates",
    "directs",
    "instructs",
    "compel",
    "compels",
    "ordered",
    "told",
    "required",
    "forced",
    "asked",
    "instructed",
    "directed",
    "pushed",
    "pressed",
    "compelled",
    "requiring",
    "ordering",
    "forcing",
    "telling",
    "instructing",
    "directing",
    "order",
    "orders",
    "tell",
    "tells",
    "require",
    "requires",
    "force",
    "forces",
];

/// The role of a company by what a control does to it: barred from or allowed to
/// *selling* makes it an affected vendor, barred from *buying* a listed party.
fn actor_role(s: &Sent<'_>, k: usize) -> Option<Role> {
    let mut j = k + 1;
    // "Nvidia was barred", "Nvidia and AMD were told": skip the verb group to the cue.
    while let Some(w) = s.words.get(j).copied().flatten() {
        if AUXILIARIES.contains(&w)
            || ADVERBS.contains(&w)
            || matches!(
                w,
                "barred"
                    | "banned"
                    | "blocked"
                    | "prohibited"
                    | "allowed"
                    | "permitted"
                    | "cleared"
                    | "told"
                    | "ordered"
                    | "required"
                    | "forced"
                    | "stopped"
                    | "restricted"
                    | "effectively"
            )
        {
            j += 1;
            continue;
        }
        break;
    }
    let cue = s.words.get(j).copied().flatten()?;
    let verb = s.words.get(j + 1).copied().flatten()?;
    const SELL: &[&str] = &[
        "sell", "ship", "export", "supply", "provide", "deliver", "resume", "apply", "obtain",
        "seek", "halt", "stop", "cease", "send", "offer", "license", "transfer",
    ];
    const BUY: &[&str] = &[
        "buy", "acquire", "access", "receive", "obtain", "use", "purchase", "import", "get",
        "procure",
    ];
    let stem = |w: &str| -> String {
        w.strip_suffix("ing").map_or_else(
            || w.to_string(),
            |s| {
                // "shipping" -> "ship", "selling" -> "sell", "exporting" -> "export"
                let b = s.as_bytes();
                if b.len() > 2
                    && b[b.len() - 1] == b[b.len() - 2]
                    && !matches!(b[b.len() - 1], b'l' | b's')
                {
                    s[..s.len() - 1].to_string()
                } else {
                    s.to_string()
                }
            },
        )
    };
    match cue {
        "to" if SELL.contains(&verb) => Some(Role::Companies),
        "to" if BUY.contains(&verb) => Some(Role::Targets),
        "from" => {
            let v = stem(verb);
            if SELL.contains(&v.as_str()) {
                Some(Role::Companies)
            } else if BUY.contains(&v.as_str())
                || BUY
                    .iter()
                    .any(|b| v == format!("{b}e") || format!("{v}e") == *b)
            {
                Some(Role::Targets)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// "150-200 thousand", "40,000 to 50,000", "between 300 and 400": a range is no
/// stated quantity.
fn in_range(s: &Sent<'_>, k: usize) -> bool {
    let is_number = |i: usize| matches!(s.toks.get(i), Some(Tok::Ent(_, 'N')));
    let joined_to_number = |link: usize, other: usize| {
        s.toks.get(link).is_some_and(|t| {
            t.is_punct('-') || t.is_word("to") || t.is_word("and") || t.is_word("or")
        }) && is_number(other)
    };
    k >= 2 && joined_to_number(k - 1, k - 2) || joined_to_number(k + 1, k + 2)
}

/// A price per unit is not the value of an order.
fn is_unit_price(s: &Sent<'_>, k: usize) -> bool {
    let next: Vec<&str> = (k + 1..k + 4)
        .filter_map(|j| s.words.get(j).copied().flatten())
        .collect();
    matches!(next.first(), Some(&("each" | "apiece" | "per")))
        || next.starts_with(&["a", "piece"])
        || next.starts_with(&["a", "unit"])
        || next.starts_with(&["a", "chip"])
}

/// Whether the token after `k` is a name (so a demonym at `k` modifies it).
fn next_is_name(s: &Sent<'_>, k: usize) -> bool {
    (k + 1..(k + 4).min(s.toks.len())).any(|j| matches!(s.toks.get(j), Some(Tok::Ent(_, 'O'))))
        && !(k + 1..(k + 4).min(s.toks.len())).any(|j| matches!(s.toks.get(j), Some(Tok::Word(w)) if PREPOSITIONS.contains(&w.as_str()) || AUXILIARIES.contains(&w.as_str())))
}

/// "the company", "the Chinese search giant": where the description starts, if the noun
/// at `k` heads a definite description.
fn definite_description(s: &Sent<'_>, k: usize) -> Option<usize> {
    let mut j = k;
    let mut steps = 0;
    while j > 0 && steps < 5 {
        j -= 1;
        steps += 1;
        match s.toks.get(j)? {
            Tok::Word(w) if matches!(w.as_str(), "the" | "this" | "that" | "its" | "their") => {
                return Some(j)
            }
            Tok::Word(w)
                if PREPOSITIONS.contains(&w.as_str())
                    || AUXILIARIES.contains(&w.as_str())
                    || CLAUSE_OPENERS.contains(&w.as_str()) =>
            {
                return None
            }
            Tok::Word(_) | Tok::Ent(_, 'J') | Tok::Punct('-') => {}
            _ => return None,
        }
    }
    let _ = s.words;
    None
}

/// Where a comma-enclosed insertion that ends at the comma `k` starts (the comma before
/// it), when it is one: ", which runs Ernie,", ", the GPU cloud provider,".
fn parenthetical_start(s: &Sent<'_>, k: usize) -> Option<usize> {
    let mut j = k;
    while j > 0 && k - j < 16 {
        j -= 1;
        match s.toks.get(j)? {
            Tok::Punct(',') => {
                let first = s.words.get(j + 1).copied().flatten();
                let opens = first.is_some_and(|w| {
                    matches!(
                        w,
                        "which"
                            | "who"
                            | "whose"
                            | "the"
                            | "a"
                            | "an"
                            | "its"
                            | "one"
                            | "based"
                            | "headquartered"
                            | "backed"
                            | "owned"
                            | "led"
                            | "known"
                            | "formerly"
                            | "founded"
                            | "according"
                            | "itself"
                            | "in"
                            | "on"
                            | "as"
                            | "after"
                            | "citing"
                    )
                });
                return opens.then_some(j);
            }
            Tok::Punct(';') | Tok::Punct(':') => return None,
            _ => {}
        }
    }
    None
}

/// Whether the word at `j` opens a clause: "which", "while", "but" ..., and "as" unless
/// it is part of "such as", "as well as", "as of" or "as part of".
fn opens_clause(s: &Sent<'_>, j: usize) -> bool {
    let Some(w) = s.words.get(j).copied().flatten() else {
        return false;
    };
    if w != "as" {
        return CLAUSE_OPENERS.contains(&w);
    }
    let prev = j
        .checked_sub(1)
        .and_then(|p| s.words.get(p).copied().flatten());
    let next = s.words.get(j + 1).copied().flatten();
    !matches!(
        prev,
        Some("such" | "well" | "known" | "same" | "much" | "many" | "soon" | "far" | "long")
    ) && !matches!(
        next,
        Some(
            "well"
                | "of"
                | "part"
                | "a"
                | "an"
                | "much"
                | "many"
                | "soon"
                | "long"
                | "far"
                | "early"
                | "late"
                | "such"
        )
    )
}

/// The most tokens an argument may sit from its head, either side.
const MAX_WINDOW: usize = 40;

/// The first token of the clause holding `k`.
fn clause_start(s: &Sent<'_>, k: usize) -> usize {
    let mut j = k;
    // Clauses are short; a run-on "sentence" (a list, a table) is read in pieces.
    let floor = k.saturating_sub(MAX_WINDOW);
    while j > floor {
        j -= 1;
        match s.toks.get(j) {
            Some(Tok::Punct(';')) | Some(Tok::Punct(':')) => return j + 1,
            Some(Tok::Word(_)) if opens_clause(s, j) => return j,
            _ => {}
        }
    }
    floor
}

/// One past the last token of the clause that starts the arguments at `k`.
fn clause_end(s: &Sent<'_>, k: usize) -> usize {
    let mut j = k;
    let ceiling = (k + MAX_WINDOW).min(s.toks.len());
    while j < ceiling {
        match s.toks.get(j) {
            Some(Tok::Punct(';')) | Some(Tok::Punct(':')) => return j,
            // "which", "while", and "that" opening a relative or content clause.
            Some(Tok::Word(w)) if opens_clause(s, j) || w == "that" => {
                return j;
            }
            Some(Tok::Punct(',')) => {
                // ", Nvidia introduced ...": a new clause with its own subject.
                if matches!(s.toks.get(j + 1), Some(Tok::Ent(_, 'O' | 'J' | 'A')))
                    && s.words.get(j + 2).copied().flatten().is_some_and(|w| {
                        is_verbish(s, w) || AUXILIARIES.contains(&w) || w == "said"
                    })
                {
                    return j;
                }
                // ", restricting ...", ", adding that ...": a new predicate.
                if s.words
                    .get(j + 1)
                    .copied()
                    .flatten()
                    .is_some_and(|w| is_verbish(s, w))
                {
                    return j;
                }
                // ", according to", ", the company said", ", people familiar said": stop.
                let next = s.words.get(j + 1).copied().flatten();
                if next.is_some_and(|w| {
                    matches!(
                        w,
                        "according"
                            | "said"
                            | "says"
                            | "sources"
                            | "people"
                            | "the"
                            | "it"
                            | "he"
                            | "she"
                            | "they"
                            | "citing"
                            | "as"
                            | "in"
                            | "after"
                            | "amid"
                            | "adding"
                            | "marking"
                            | "making"
                            | "bringing"
                            | "up"
                            | "a"
                            | "an"
                    )
                }) {
                    return j;
                }
            }
            _ => {}
        }
        j += 1;
    }
    ceiling
}

/// Where the noun phrase ending at the noun head `k` starts.
fn noun_phrase_start(s: &Sent<'_>, k: usize) -> usize {
    let mut j = k;
    let mut steps = 0;
    while j > 0 && steps < 6 {
        let prev = j - 1;
        let ok = match s.toks.get(prev) {
            Some(Tok::Word(w)) => {
                DETERMINERS.contains(&w.as_str())
                    || NOUN_MODIFIERS.contains(&w.as_str())
                    || w == "'s"
            }
            Some(Tok::Ent(..)) | Some(Tok::Punct('-')) => true,
            _ => false,
        };
        if !ok {
            break;
        }
        j = prev;
        steps += 1;
    }
    let _ = s.words;
    j
}
