//! What a name in the clause stands for: the maker or owner of the goods beside it, a
//! demonym of listed entities, an example of buyers or listed parties, a partner, or a
//! nationality that only says where a named target is from.

use super::*;

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
            Some(Tok::Word(w)) if kw.goods.contains(w) => return true,
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

/// Whether the name at `k` follows "including", "such as" or "among them" right after a
/// noun that `noun` accepts ("customers including Alibaba").
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
                // "seven US companies, among them Shield AI and Sierra Nevada".
                "them" if j > 0 && s.words.get(j - 1).copied().flatten() == Some("among") => {
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

/// Whether the name or number at `k` says what goods are made of: "a supercomputer with
/// 6,128 Nvidia H200 GPUs", "rack-scale systems featuring Nvidia GB200", "servers
/// powered by AMD MI300X". Such chips are the order's goods; their maker sells no order.
pub(super) fn in_composition(s: &Sent<'_>, k: usize, kw: &KindWords) -> bool {
    let word = |j: usize| s.words.get(j).copied().flatten();
    let mut j = k;
    let mut steps = 0;
    while j > 0 && steps < 6 {
        j -= 1;
        steps += 1;
        match s.toks.get(j) {
            Some(Tok::Ent(..)) | Some(Tok::Punct('-')) => continue,
            Some(Tok::Word(w))
                if DETERMINERS.contains(&w.as_str()) || NOUN_MODIFIERS.contains(&w.as_str()) =>
            {
                continue
            }
            Some(Tok::Word(w)) => {
                let mut start = match w.as_str() {
                    "with" | "by" | "on" => match j.checked_sub(1).and_then(word) {
                        Some(
                            "equipped" | "powered" | "built" | "based" | "fitted" | "loaded"
                            | "running" | "outfitted",
                        ) => j - 1,
                        _ if w == "with" => j,
                        _ => return false,
                    },
                    "featuring" | "packing" | "containing" | "comprising" | "boasting"
                    | "housing" | "using" => j,
                    _ => return false,
                };
                // The goods word the phrase describes, right before it.
                while start > 0 && s.toks.get(start - 1).is_some_and(|t| t.is_punct(',')) {
                    start -= 1;
                }
                return start
                    .checked_sub(1)
                    .and_then(word)
                    .is_some_and(|g| kw.goods.contains(g));
            }
            _ => return false,
        }
    }
    false
}
