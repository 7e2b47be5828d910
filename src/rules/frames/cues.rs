//! Cue words: the preposition that governs a name ("from", "to", "entities in"), the
//! cue a name shares with the list it stands in, and the verb whose object a noun phrase
//! is.

use super::*;

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

/// The preposition governing the noun phrase that ends at `k`, if any: walks left over
/// determiners, modifiers, names and numbers (at most four tokens).
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
                        // "more than 50 of them in China": "them" stands for the entities.
                        if matches!(w.as_str(), "in" | "from")
                            && (ENTITY_NOUNS.contains(&prev) || prev == "them")
                        {
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
                                | ("according", "to")
                        ) {
                            return Some(format!("{prev} {w}"));
                        }
                    }
                    return Some(w.to_string());
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
    // "from memory maker Micron and back-end subcontractors Amkor": a short description
    // before the name is no end of the list.
    let mut described = 0;
    while j > 0 {
        match s.toks.get(j - 1)? {
            Tok::Word(w)
                if !joined
                    && described < 4
                    && !PREPOSITIONS.contains(&w.as_str())
                    && !AUXILIARIES.contains(&w.as_str())
                    && !CLAUSE_OPENERS.contains(&w.as_str())
                    && !matches!(w.as_str(), "and" | "or" | "as" | "well" | "that")
                    // "back-end": a hyphenated word modifies, whatever else it can be.
                    && (!is_verbish(s, w)
                        || s.toks.get(j).is_some_and(|t| t.is_punct('-'))
                        || j >= 2 && s.toks.get(j - 2).is_some_and(|t| t.is_punct('-'))) =>
            {
                described += 1;
            }
            Tok::Punct('-') if !joined && described > 0 => {}
            // "China (including Hong Kong) and Russia": the aside is part of the list.
            Tok::Punct(')') if joined => match open_paren_before(s, j - 1, 8) {
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

/// The `(` that the `)` at `close` ends, at most `within` tokens before it.
pub(super) fn open_paren_before(s: &Sent<'_>, close: usize, within: usize) -> Option<usize> {
    (close.saturating_sub(within)..close)
        .rev()
        .find(|&j| s.toks.get(j).is_some_and(|t| t.is_punct('(')))
}
