//! Reading the clause around a head: whether a word reads as a verb or a noun, passives,
//! the cue word governing a position, clause and noun-phrase bounds, ranges and unit
//! prices, and the other shallow tests the frames need.

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
    // "chip manufacturing tools": a gerund between a modifier and a noun.
    let gerund_compound = kind == HeadKind::Verb(VerbForm::Ing)
        && prev
            .and_then(Tok::word)
            .is_some_and(|w| NOUN_MODIFIERS.contains(&w));
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

/// The preposition governing the noun phrase that ends at `k`, if any: walks left over
/// determiners, modifiers, names and numbers (at most four tokens).
/// Verbs of trade: in a head's complement ("allowed to ship", "barred from selling")
/// their objects are the head's.
pub(super) fn is_trade_verb(w: &str) -> bool {
    const STEMS: &[&str] = &[
        "sell", "sold", "ship", "export", "suppl", "provid", "deliver", "buy", "bought", "purchas",
        "acquir", "import", "obtain", "receiv", "access", "resum", "send", "sent", "transfer",
        "order", "procur",
    ];
    STEMS.iter().any(|stem| w.starts_with(stem))
}

/// The verb whose object the noun phrase ending at `k` is, if a verb stands right before
/// that phrase ("bought more Nvidia Hopper chips", "to power OpenAI's data centre").
pub(super) fn verb_before(s: &Sent<'_>, k: usize) -> Option<usize> {
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
            // "supply undiced DRAM wafers": a participle no frame knows, right before the
            // name, describes it.
            Tok::Word(w)
                if j + 1 == k
                    && w.ends_with("ed")
                    && !s.verbs.contains(w.as_str())
                    && !s.forms.contains(w.as_str()) => {}
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

pub(super) fn cue_before(s: &Sent<'_>, k: usize) -> Option<String> {
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
                // "said on Monday that the US ...": a complementizer ends the phrase; so
                // does a verb of saying ("after reports said Alibaba plans to").
                if w == "that" || SAYING.contains(&w.as_str()) {
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
                // "as Washington allows Nvidia to": a subordinator opening a clause whose
                // subject the name is, not a preposition governing it.
                if matches!(w.as_str(), "as" | "after" | "before" | "since" | "until")
                    && s.words
                        .get(k + 1)
                        .copied()
                        .flatten()
                        .is_some_and(|v| is_finite_verb_word(s, v))
                {
                    return None;
                }
                if PREPOSITIONS.contains(&w.as_str()) {
                    // Two-word cues: "valued at", "destined for", "on behalf of".
                    if let Some(prev) = j
                        .checked_sub(1)
                        .and_then(|p| s.words.get(p).copied().flatten())
                    {
                        // "firms in India", "entities from Bulgaria": where the listed
                        // entities are, which a control targets.
                        if matches!(w.as_str(), "in" | "from") && ENTITY_NOUNS.contains(&prev) {
                            return Some(format!("entities {w}"));
                        }
                        // "27 companies to the Entity List, mostly in China", "firms based
                        // in Iran": still where the entities are.
                        if w == "in"
                            && matches!(
                                prev,
                                "mostly" | "mainly" | "largely" | "primarily" | "chiefly" | "based"
                            )
                            && (j.saturating_sub(8)..j).any(|q| {
                                s.words
                                    .get(q)
                                    .copied()
                                    .flatten()
                                    .is_some_and(|e| ENTITY_NOUNS.contains(&e))
                            })
                        {
                            return Some("entities in".to_string());
                        }
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
pub(super) fn coordinated_cue(s: &Sent<'_>, k: usize) -> Option<String> {
    coordinated_cue_within(s, k, 12)
}

pub(super) fn coordinated_cue_within(s: &Sent<'_>, k: usize, depth: usize) -> Option<String> {
    let own = cue_before(s, k);
    let letter = s.toks.get(k).and_then(Tok::letter)?;
    // "to China (including Hong Kong)": a name that narrows the one before it shares
    // that name's cue.
    if own.as_deref() == Some("including") && depth > 0 {
        if let Some(outer) = narrowed_name(s, k, letter) {
            return coordinated_cue_within(s, outer, depth - 1);
        }
    }
    if own.is_some() || depth == 0 {
        return own;
    }
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
    // "from Hanmi Semiconductor and Japan's Shinkawa": a country owning the name is no
    // member of the list.
    if letter == 'O'
        && j >= 2
        && s.words.get(j - 1).copied().flatten() == Some("'s")
        && matches!(s.toks.get(j - 2), Some(Tok::Ent(_, 'J')))
    {
        j -= 2;
    }
    while j > 0 {
        match s.toks.get(j - 1)? {
            // "China (including Hong Kong) and Russia": the aside is part of the list.
            Tok::Punct(')') if joined => match open_paren_before(s, j - 1) {
                Some(open) => {
                    j = open;
                    continue;
                }
                None => return None,
            },
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

/// The name that the aside holding `k` narrows: in "China (including Hong Kong)" or
/// "Asia, including Japan", Hong Kong and Japan narrow China and Asia.
fn narrowed_name(s: &Sent<'_>, k: usize, letter: char) -> Option<usize> {
    let including = (0..k)
        .rev()
        .take(4)
        .find(|&j| s.words.get(j).copied().flatten() == Some("including"))?;
    let before = including.checked_sub(1)?;
    if !matches!(s.toks.get(before), Some(Tok::Punct('(' | ','))) {
        return None;
    }
    let outer = before.checked_sub(1)?;
    (s.toks.get(outer).and_then(Tok::letter) == Some(letter)).then_some(outer)
}

/// The `(` that the `)` at `close` ends, within a short aside.
fn open_paren_before(s: &Sent<'_>, close: usize) -> Option<usize> {
    (close.saturating_sub(8)..close)
        .rev()
        .find(|&j| s.toks.get(j).is_some_and(|t| t.is_punct('(')))
}

/// Whether the name at `k` is the maker of the goods it stands before: "Nvidia GPUs",
/// "Nvidia's GPUs", but not a possessor of named goods ("Nvidia's HBM4" is memory made
/// for Nvidia).
pub(super) fn maker_on_goods(s: &Sent<'_>, k: usize, kw: &KindWords) -> bool {
    let possessive = matches!(s.words.get(k + 1).copied().flatten(), Some("'s"));
    let named_goods = matches!(s.toks.get(k + 2), Some(Tok::Ent(_, 'P')));
    modifies_goods(s, k, kw) && !(possessive && named_goods)
}

/// Whether the name at `k` stands in front of goods: "Huawei 910B chips", "Nvidia's
/// H20", "Nvidia GPUs", "of Nvidia's most powerful GB200 chips".
pub(super) fn modifies_goods(s: &Sent<'_>, k: usize, kw: &KindWords) -> bool {
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
pub(super) fn demonym_of_entities(s: &Sent<'_>, k: usize, kw: &KindWords) -> bool {
    (k + 1..(k + 4).min(s.toks.len())).any(|j| {
        s.words
            .get(j)
            .copied()
            .flatten()
            .is_some_and(|w| kw.entity_nouns.iter().any(|e| e == w))
    }) && !matches!(s.toks.get(k + 1), Some(Tok::Ent(..)))
}

/// The token that stands for annotation `ann`.
pub(super) fn token_of(s: &Sent<'_>, ann: usize) -> Option<usize> {
    s.toks
        .iter()
        .position(|t| matches!(t, Tok::Ent(a, _) if *a == ann))
}

/// Drops a country from a control's targets when it only says where a named target is
/// from: "China's blacklisted telecom company Huawei", "Chinese chipmaker SMIC". The
/// named entity is the target; its country is not restricted by that mention.
pub(super) fn drop_nationality_of_named_targets(s: &Sent<'_>, args: &mut Vec<Arg>) {
    let target_at = |k: usize| {
        matches!(s.toks.get(k), Some(Tok::Ent(ann, 'O'))
            if args.iter().any(|a| a.role == Role::Targets && a.ann == *ann))
    };
    let nationality: Vec<usize> = args
        .iter()
        .filter(|a| a.role == Role::Targets)
        .filter_map(|a| {
            let k = token_of(s, a.ann)?;
            if !matches!(s.toks.get(k), Some(Tok::Ent(_, 'J'))) {
                return None;
            }
            let mut j = k + 1;
            if s.words.get(j).copied().flatten() == Some("'s") {
                j += 1;
            }
            // Only descriptive words may stand between: "telecom company", "blacklisted".
            let mut between = 0;
            while let Some(t) = s.toks.get(j) {
                if t.is_punct('-') {
                    j += 1;
                    continue;
                }
                let Tok::Word(w) = t else { break };
                let descriptive = w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                    && !PREPOSITIONS.contains(&w.as_str())
                    && !DETERMINERS.contains(&w.as_str())
                    && !matches!(
                        w.as_str(),
                        "and" | "or" | "such" | "including" | "like" | "other"
                    );
                if !descriptive || between == 4 {
                    return None;
                }
                between += 1;
                j += 1;
            }
            target_at(j).then_some(a.ann)
        })
        .collect();
    args.retain(|a| !(a.role == Role::Targets && nationality.contains(&a.ann)));
}

/// Whether the name at `k` follows "its" or "their" over at most a few adjectives and
/// quotes: it names something the subject owns ("its \"Stargate\" initiative").
pub(super) fn owned_by_pronoun(s: &Sent<'_>, k: usize) -> bool {
    let mut j = k;
    for _ in 0..4 {
        let Some(prev) = j.checked_sub(1) else {
            return false;
        };
        j = prev;
        match s.toks.get(j) {
            Some(Tok::Word(w)) if w == "its" || w == "their" => return true,
            Some(Tok::Punct('"' | '\u{201c}' | '\'' | '\u{2018}')) => {}
            Some(Tok::Word(w))
                if !PREPOSITIONS.contains(&w.as_str())
                    && !DETERMINERS.contains(&w.as_str())
                    && !is_verbish(s, w) => {}
            _ => return false,
        }
    }
    false
}

/// The company a subject has teamed up with between `from` and `to` ("partnered with
/// Samsung to manufacture", "joins hands with TSMC to make"): its annotation.
pub(super) fn partner_named_with(s: &Sent<'_>, from: usize, to: usize) -> Option<usize> {
    let with = (from..to).find(|&k| s.words.get(k).copied().flatten() == Some("with"))?;
    let Some(Tok::Ent(ann, 'O')) = s.toks.get(with + 1) else {
        return None;
    };
    let partnering = (with.saturating_sub(3).max(from)..with).any(|k| {
        s.words.get(k).copied().flatten().is_some_and(|w| {
            w.starts_with("partner")
                || w.starts_with("collaborat")
                || w.starts_with("cooperat")
                || w.starts_with("team")
                || w.starts_with("tie")
                || w == "tied"
                || w == "hands"
        })
    });
    partnering.then_some(*ann)
}

/// Whether a country at `k` describes unnamed buyers: "Chinese customers", "Chinese tech
/// companies".
pub(super) fn describes_buyers(s: &Sent<'_>, k: usize) -> bool {
    if !matches!(s.toks.get(k), Some(Tok::Ent(_, 'J'))) || s.government.get(k) == Some(&true) {
        return false;
    }
    (k + 1..(k + 3).min(s.toks.len())).any(|j| {
        s.words.get(j).copied().flatten().is_some_and(|w| {
            ORG_PLURALS.contains(&w) || matches!(w, "customers" | "clients" | "buyers")
        })
    })
}

/// Whether the name at `k` follows "including" or "such as" right after a noun for
/// parties ("Chinese companies, including YMTC"): it is one of those parties.
pub(super) fn example_of_parties(s: &Sent<'_>, k: usize, kw: &KindWords) -> bool {
    example_of(s, k, |w| kw.entity_nouns.iter().any(|e| e == w))
}

/// Whether the name at `k` follows "including" or "such as" right after a noun that
/// `noun` accepts ("customers including Alibaba").
pub(super) fn example_of(s: &Sent<'_>, k: usize, noun: impl Fn(&str) -> bool) -> bool {
    // Back over the list this name ends ("Intel, TSMC, Samsung and Micron") and at most a
    // few words of description ("chipmaker"), to the cue.
    let mut j = k;
    let mut words = 0;
    let cue = loop {
        let Some(prev) = j.checked_sub(1) else {
            return false;
        };
        j = prev;
        match s.toks.get(j) {
            Some(Tok::Ent(..) | Tok::Punct(',')) => {}
            Some(Tok::Word(w)) => match w.as_str() {
                "including" => break j,
                "as" if j > 0 && s.words.get(j - 1).copied().flatten() == Some("such") => {
                    break j - 1
                }
                "and" | "or" => {}
                _ => {
                    words += 1;
                    if words > 3 {
                        return false;
                    }
                }
            },
            _ => return false,
        }
    };
    let mut before = cue.checked_sub(1);
    while let Some(b) = before.filter(|&b| s.toks.get(b).is_some_and(|t| t.is_punct(','))) {
        before = b.checked_sub(1);
    }
    before
        .and_then(|b| s.words.get(b).copied().flatten())
        .is_some_and(noun)
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
fn is_finite_verb_word(s: &Sent<'_>, w: &str) -> bool {
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
