//! Reading the clause around a head: whether a word reads as a verb or a noun, passives,
//! finite verbs, clause and noun-phrase bounds, appositions, ranges and unit prices, and
//! the other shallow tests the frames need.

use super::*;

/// Whether a verb head at `i..i + len` is used as a verb, not as a noun ("the supply
/// chain", "supply-chain") or an adjective ("into restricted countries", "and limited
/// availability").
pub(super) fn reads_as_verb(s: &Sent<'_>, i: usize, len: usize, kind: HeadKind) -> bool {
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
                | "order"
                | "orders"
                | "requirement"
                | "requirements"
        )
    }) {
        return false;
    }
    let determiner = |t: Option<&Tok>| {
        t.and_then(Tok::word).is_some_and(|w| {
            matches!(
                w,
                "a" | "an" | "the" | "its" | "their" | "this" | "these" | "those" | "our"
            )
        })
    };
    // "the order", "the Nvidia order".
    if determiner(prev)
        || matches!(prev, Some(Tok::Ent(_, 'O' | 'P')))
            && matches!(
                kind,
                HeadKind::Verb(VerbForm::Base | VerbForm::Third) | HeadKind::Noun
            )
            && determiner(i.checked_sub(2).and_then(|p| s.toks.get(p)))
    {
        return false;
    }
    if kind == HeadKind::Verb(VerbForm::Third) && plural_opens_clause(s, i) {
        return false;
    }
    // A participle right before a noun, after a preposition, conjunction or comma.
    let participle = matches!(kind, HeadKind::Verb(f) if f.can_be_participle());
    let before_noun = next.and_then(Tok::word).is_some_and(|w| {
        !PREPOSITIONS.contains(&w)
            && !DETERMINERS.contains(&w)
            && !AUXILIARIES.contains(&w)
            && !is_adverb(w)
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
    // "chip manufacturing tools", "a core HBM manufacturing tool": a gerund between a
    // modifier (or a product) and a noun.
    let gerund_compound = kind == HeadKind::Verb(VerbForm::Ing)
        && (prev
            .and_then(Tok::word)
            .is_some_and(|w| NOUN_MODIFIERS.contains(&w))
            || matches!(prev, Some(Tok::Ent(_, 'P'))));
    !(before_noun && (gerund_compound || participle && after_link))
}

/// "Permits will now be required", "Curbs will ...": a plural opening its clause right
/// before an auxiliary is that clause's subject, not a verb.
fn plural_opens_clause(s: &Sent<'_>, i: usize) -> bool {
    let opens = i == 0
        || i.checked_sub(1)
            .and_then(|p| s.toks.get(p))
            .is_some_and(|t| matches!(t, Tok::Punct(c) if *c != '-'));
    let word = |k: usize| s.words.get(k).copied().flatten();
    opens
        && word(i).is_some_and(|w| w.ends_with('s'))
        && word(i + 1).is_some_and(|w| AUXILIARIES.contains(&w) && w != "'s")
}

/// Whether a word that is both a verb and a noun head reads as a noun at `i`.
pub(super) fn looks_like_noun(s: &Sent<'_>, i: usize, kinds: &[KindWords; 2]) -> bool {
    if plural_opens_clause(s, i) {
        return true;
    }
    // "scores order worth 21 billion won": a value right after it.
    if s.words.get(i + 1).copied().flatten() == Some("worth") {
        return true;
    }
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
                // "ASML already has orders for": a plural after "has" is its object.
                || matches!(w.as_str(), "has" | "have" | "had" | "having")
                    && s.words.get(i).copied().flatten().is_some_and(|h| h.ends_with('s'))
        }
        // "$2 billion order", "H20 orders", "a $5 billion Saudi order"; but "Baidu
        // ordered", "China orders".
        Tok::Ent(_, l) => {
            (matches!(l, 'M' | 'N' | 'P')
                || *l == 'J'
                    && i.checked_sub(2).is_some_and(|pp| match s.toks.get(pp) {
                        Some(Tok::Ent(_, 'M' | 'N')) => true,
                        Some(Tok::Word(w)) => DETERMINERS.contains(&w.as_str()),
                        _ => false,
                    }))
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
pub(super) fn is_passive(s: &Sent<'_>, verb_at: usize, form: VerbForm) -> bool {
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
            Some(w) if is_adverb(w) || w == "not" || w == "n't" => {}
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

/// Whether the negation before the verb at `k` bears on it, with only auxiliaries and
/// "able to", "allowed to" between ("cannot be sold", "is no longer allowed to ship"),
/// not on another verb ("does not expect to sell" states no ban).
pub(super) fn negation_governs(s: &Sent<'_>, k: usize) -> bool {
    let mut j = k;
    while let Some(prev) = j.checked_sub(1) {
        j = prev;
        match s.words.get(j).copied().flatten() {
            Some("not" | "never" | "cannot" | "no") => return true,
            Some(w) if w.ends_with("n't") || w.ends_with("n\u{2019}t") => return true,
            Some(w)
                if AUXILIARIES.contains(&w)
                    || is_adverb(w)
                    || matches!(
                        w,
                        "to" | "able" | "allowed" | "permitted" | "longer" | "yet" | "be"
                    ) => {}
            _ => return false,
        }
    }
    false
}

/// Whether token `k` can stand first in a noun phrase before its modifiers: a
/// determiner, a possessive, a name or a figure.
pub(super) fn opens_noun_phrase(s: &Sent<'_>, k: usize) -> bool {
    match s.toks.get(k) {
        Some(Tok::Ent(..)) => true,
        Some(Tok::Word(w)) => DETERMINERS.contains(&w.as_str()) || w == "'s",
        _ => false,
    }
}

/// Whether a word right after a name is a finite verb of its clause ("Washington allows",
/// "the US has"), not a participle modifying it.
pub(super) fn is_finite_verb_word(s: &Sent<'_>, w: &str) -> bool {
    // The auxiliaries that carry tense; "be", "been", "being", "having" and "'s" do not.
    AUXILIARIES.contains(&w) && !matches!(w, "be" | "been" | "being" | "having" | "'s")
        || w.len() > 3 && w.ends_with('s') && s.verbs.contains(&w[..w.len() - 1])
}

/// Whether a word not in any closed list reads as a verb: a verb of the lexicon or a
/// form ending in -ed or -ing (adjectives such as "advanced" are modifiers).
pub(super) fn is_verbish(s: &Sent<'_>, w: &str) -> bool {
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
pub(super) fn is_finite(s: &Sent<'_>, k: usize) -> bool {
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
            Some(a) if is_adverb(a) || a == "not" => continue,
            Some("to") => return false,
            Some(p) if w.ends_with("ing") && !AUXILIARIES.contains(&p) => return false,
            _ => return true,
        }
    }
    !w.ends_with("ing")
}

/// "150-200 thousand", "40,000 to 50,000", "between 300 and 400": a range is no
/// stated quantity.
pub(super) fn in_range(s: &Sent<'_>, k: usize) -> bool {
    let is_number = |i: usize| matches!(s.toks.get(i), Some(Tok::Ent(_, 'N')));
    let joined_to_number = |link: usize, other: usize| {
        s.toks.get(link).is_some_and(|t| {
            t.is_punct('-') || t.is_word("to") || t.is_word("and") || t.is_word("or")
        }) && is_number(other)
    };
    k >= 2 && joined_to_number(k - 1, k - 2) || joined_to_number(k + 1, k + 2)
}

/// A price per unit is not the value of an order.
pub(super) fn is_unit_price(s: &Sent<'_>, k: usize) -> bool {
    let next: Vec<&str> = (k + 1..k + 4)
        .filter_map(|j| s.words.get(j).copied().flatten())
        .collect();
    matches!(next.first(), Some(&("each" | "apiece" | "per")))
        || next.starts_with(&["a", "piece"])
        || next.starts_with(&["a", "unit"])
        || next.starts_with(&["a", "chip"])
}

/// Whether the token after `k` is a name (so a demonym at `k` modifies it).
pub(super) fn next_is_name(s: &Sent<'_>, k: usize) -> bool {
    let end = (k + 4).min(s.toks.len());
    let Some(name) = (k + 1..end).find(|&j| matches!(s.toks.get(j), Some(Tok::Ent(_, 'O')))) else {
        return false;
    };
    // Only nouns and adjectives stand between ("Chinese tech giant Baidu"), not a verb or
    // a conjunction ("Washington allows Nvidia", "China and Huawei").
    !(k + 1..name).any(|j| {
        matches!(s.toks.get(j), Some(Tok::Word(w)) if PREPOSITIONS.contains(&w.as_str())
            || AUXILIARIES.contains(&w.as_str())
            || matches!(w.as_str(), "and" | "or")
            || is_verbish(s, w))
    })
}

/// "the company", "the Chinese search giant": where the description starts, if the noun
/// at `k` heads a definite description.
pub(super) fn definite_description(s: &Sent<'_>, k: usize) -> Option<usize> {
    let mut j = k;
    let mut steps = 0;
    while j > 0 && steps < 5 {
        j -= 1;
        steps += 1;
        match s.toks.get(j)? {
            Tok::Word(w)
                if matches!(
                    w.as_str(),
                    "the" | "this" | "that" | "its" | "their" | "these" | "those" | "both"
                ) =>
            {
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
pub(super) fn parenthetical_start(s: &Sent<'_>, k: usize) -> Option<usize> {
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

/// Whether the subordinator at `j` opens a clause: a name (after an optional determiner)
/// followed by a verb in the past or a finite one ("after the US added", "since China
/// imposes"), not a noun phrase ("after October 1", "since the ban").
fn subordinate_clause(s: &Sent<'_>, j: usize) -> bool {
    let mut k = j + 1;
    if s.words
        .get(k)
        .copied()
        .flatten()
        .is_some_and(|w| DETERMINERS.contains(&w))
    {
        k += 1;
    }
    if !matches!(s.toks.get(k), Some(Tok::Ent(_, 'J' | 'O' | 'A'))) {
        return false;
    }
    s.words.get(k + 1).copied().flatten().is_some_and(|v| {
        is_finite_verb_word(s, v)
            || v.len() > 3 && v.ends_with("ed") && !NOUN_MODIFIERS.contains(&v)
            || matches!(
                v,
                "took"
                    | "made"
                    | "won"
                    | "sold"
                    | "bought"
                    | "began"
                    | "said"
                    | "set"
                    | "put"
                    | "gave"
                    | "got"
            )
    })
}

/// Whether the word at `j` opens a clause: "which", "while", "but" ..., and "as" unless
/// it is part of "such as", "as well as", "as of" or "as part of".
pub(super) fn opens_clause(s: &Sent<'_>, j: usize) -> bool {
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
pub(super) const MAX_WINDOW: usize = 40;

/// The first token of the clause holding `k`.
pub(super) fn clause_start(s: &Sent<'_>, k: usize) -> usize {
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
pub(super) fn clause_end(s: &Sent<'_>, k: usize) -> usize {
    let mut j = k;
    let ceiling = (k + MAX_WINDOW).min(s.toks.len());
    while j < ceiling {
        match s.toks.get(j) {
            Some(Tok::Punct(';')) | Some(Tok::Punct(':')) => return j,
            // "which", "while", and "that" opening a relative or content clause.
            Some(Tok::Word(w)) if opens_clause(s, j) || w == "that" => {
                return j;
            }
            // "curbs imposed after the Dutch government took control of Nexperia": a
            // subordinate clause with a subject and a verb of its own.
            Some(Tok::Word(w))
                if matches!(
                    w.as_str(),
                    "after" | "before" | "since" | "until" | "when" | "once"
                ) && subordinate_clause(s, j) =>
            {
                return j;
            }
            // "orders for H20 chips due to demand for models from DeepSeek": a reason,
            // whose names are none of the clause's parties ("due to be shipped" is a date).
            Some(Tok::Word(w))
                if matches!(
                    (w.as_str(), s.words.get(j + 1).copied().flatten()),
                    ("due" | "owing" | "thanks", Some("to")) | ("because", Some("of"))
                ) && !s
                    .words
                    .get(j + 2)
                    .copied()
                    .flatten()
                    .is_some_and(|v| v == "be" || s.verbs.contains(v)) =>
            {
                return j;
            }
            // "an order for TC bonders, the key equipment for HBM production, from Hanmi":
            // an apposition between commas, after which the clause goes on.
            Some(Tok::Punct(',')) if apposition_end(s, j).is_some() => {
                j = apposition_end(s, j).unwrap_or(j) + 1;
                continue;
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

/// For a comma at `j` opening an apposition (", the key equipment for HBM production,
/// from"), the comma that closes it: a determiner after the first comma, no verb inside,
/// and a preposition right after the second.
pub(super) fn apposition_end(s: &Sent<'_>, j: usize) -> Option<usize> {
    if !s.toks.get(j).is_some_and(|t| t.is_punct(','))
        || !matches!(
            s.words.get(j + 1).copied().flatten(),
            Some("the" | "a" | "an")
        )
    {
        return None;
    }
    let close = (j + 2..(j + 12).min(s.toks.len()))
        .find(|&c| s.toks.get(c).is_some_and(|t| t.is_punct(',')))?;
    let inside_verb = (j + 2..close).any(|c| {
        s.words
            .get(c)
            .copied()
            .flatten()
            .is_some_and(|w| is_verbish(s, w))
    });
    let then_preposition = matches!(
        s.words.get(close + 1).copied().flatten(),
        Some("from" | "to" | "with" | "by" | "for")
    );
    (!inside_verb && then_preposition).then_some(close)
}

/// Where the noun phrase ending at the noun head `k` starts.
pub(super) fn noun_phrase_start(s: &Sent<'_>, k: usize) -> usize {
    let mut j = k;
    let mut steps = 0;
    while j > 0 && steps < 6 {
        let prev = j - 1;
        let ok = match s.toks.get(prev) {
            Some(Tok::Word(w)) => {
                DETERMINERS.contains(&w.as_str())
                    || NOUN_MODIFIERS.contains(&w.as_str())
                    || w == "'s"
                    || is_feature_size(w)
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

/// "3nm", "2-nanometer" (split at the hyphen, its number and unit): a process's feature
/// size, which modifies a noun.
fn is_feature_size(w: &str) -> bool {
    let unit = w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    unit.is_empty()
        || matches!(
            unit.trim_start_matches('-'),
            "nm" | "nanometer" | "nanometre" | "nanometers" | "nanometres"
        )
}

/// Whether the verb at `k` is what someone is required to do: "require X to get",
/// "must obtain", "will need to apply for and receive".
pub(super) fn required_before(s: &Sent<'_>, k: usize) -> bool {
    (k.saturating_sub(8)..k).any(|j| {
        s.words.get(j).copied().flatten().is_some_and(|w| {
            matches!(
                w,
                "require"
                    | "requires"
                    | "required"
                    | "requiring"
                    | "must"
                    | "need"
                    | "needs"
                    | "needed"
                    | "obliged"
                    | "forced"
                    | "mandate"
                    | "mandates"
                    | "mandated"
            )
        })
    })
}

/// Whether the verb at `k` is an infinitive of intent: "plans to install", "agreed to
/// deploy" (the order is planned, and the planned patterns say so).
pub(super) fn planned_infinitive(s: &Sent<'_>, k: usize) -> bool {
    k >= 2
        && s.words.get(k - 1).copied().flatten() == Some("to")
        && s.words.get(k - 2).copied().flatten().is_some_and(|w| {
            matches!(
                w,
                "plans"
                    | "plan"
                    | "planned"
                    | "planning"
                    | "intends"
                    | "intend"
                    | "aims"
                    | "agreed"
                    | "agrees"
                    | "expects"
                    | "expected"
                    | "set"
                    | "going"
            )
        })
}
