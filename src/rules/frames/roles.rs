//! Who fills which role: the argument an entity makes at its position and cue word, the
//! subject found by walking left from the head, and the roles a causative or a possessor
//! gives.

use super::*;

impl Lexicon {
    /// The argument at token `k`, if it is an entity: `(arg, keep, goods)`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn argument(
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
        let unknown = s.unknown.get(k).copied().unwrap_or(false);
        // "supplied Exynos processors to Audi": a name the gazetteer lacks before a chip
        // noun is the model ordered.
        if unknown
            && kind == EventKind::ChipOrder
            && s.words
                .get(k + 1)
                .copied()
                .flatten()
                .is_some_and(|w| CHIP_NOUNS.contains(&w))
        {
            let role = match coordinated_cue(s, k).as_deref() {
                Some(c) => cue_role(c),
                None => object,
            };
            return match role {
                Some(Role::Ignore) => None,
                _ => Some((
                    Some(Arg {
                        role: Role::Product,
                        ann,
                        quantity: false,
                    }),
                    true,
                    true,
                )),
            };
        }
        if unknown && !names && !listed_with_known(s, k) {
            return None;
        }
        // "a supercomputer with 6,128 Nvidia H200 GPUs": what the goods are made of is
        // the goods, whatever verb or cue stands before it; the chips' maker sells no
        // order there.
        if kind == EventKind::ChipOrder && in_composition(s, k, kw) {
            let quantity = letter == 'N';
            if goods || quantity && modifies_goods(s, k, kw) && !in_range(s, k) {
                return arg(Role::Product, quantity);
            }
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
        match (kind, letter) {
            (_, 'D') => match (dates, cue.as_deref()) {
                (
                    Some(r),
                    None
                    | Some(
                        "by" | "in" | "from" | "on" | "before" | "until" | "starting" | "during"
                        | "within" | "beginning" | "around" | "at" | "as" | "with",
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
            // "supplied to SK Hynix HBM lines": a product naming a place or a trade is
            // not the goods.
            (EventKind::ChipOrder, 'P')
                if matches!(
                    s.words.get(k + 1).copied().flatten(),
                    Some(
                        "line"
                            | "lines"
                            | "plant"
                            | "plants"
                            | "fab"
                            | "fabs"
                            | "factory"
                            | "factories"
                            | "business"
                            | "market"
                            | "division"
                            | "unit"
                    )
                ) =>
            {
                None
            }
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
                // "for its ambitious Stargate initiative": a project of the subject's own,
                // no party.
                if owned_by_pronoun(s, k) {
                    return None;
                }
                // "orders ..., with clients including Intel and TSMC": the buyers.
                if example_of(s, k, |w| matches!(w, "customers" | "clients" | "buyers")) {
                    return arg(Role::Buyer, false);
                }
                // "Samsung makes Tesla's AI4 chip": for a foundry the name in front of the
                // goods is whose chips they are, the buyer.
                if modifies_goods && owner == Some(Role::Buyer) {
                    // "build the system with 1,528 Nvidia H100 GPUs": parts it is made of.
                    if cue.as_deref() == Some("with") {
                        return None;
                    }
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
            (EventKind::ChipOrder, 'J') => {
                // "South Korea's government" as well as "the South Korean government".
                let government = s.government.get(k).copied().unwrap_or(false)
                    || s.words.get(k + 1).copied().flatten() == Some("'s")
                        && matches!(
                            s.words.get(k + 2).copied().flatten(),
                            Some("government" | "administration")
                        );
                match role {
                    Some(Role::Buyer) if government => arg(Role::Buyer, false),
                    _ => None,
                }
            }
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
                if matches!(cue.as_deref(), Some("such as" | "including" | "among"))
                    && role != Some(Role::Companies)
                    && role != Some(Role::Targets)
                {
                    // "dozens of Chinese companies, including YMTC": names of the
                    // listed parties.
                    if example_of_parties(s, k, kw) {
                        return arg(Role::Targets, false);
                    }
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
                // "curbs on China chip sector": the country's industry is what is aimed at.
                let industry = matches!(
                    s.words.get(k + 1).copied().flatten(),
                    Some("chip" | "chips" | "semiconductor" | "tech" | "technology" | "ai")
                ) && matches!(
                    s.words.get(k + 2).copied().flatten(),
                    Some("sector" | "sectors" | "industry" | "industries" | "makers" | "firms")
                );
                if industry && matches!(cue.as_deref(), Some("on" | "against" | "targeting")) {
                    return arg(Role::Targets, false);
                }
                // "US technology", "American chips": a jurisdiction qualifying a noun.
                if matches!(s.toks.get(k + 1), Some(Tok::Word(w)) if QUALIFIED_NOUNS.contains(&w.as_str()))
                {
                    return None;
                }
                // "controls on China", "cut off China's access to chips": a country where
                // goods are looked for is what the control is aimed at, unless it only says
                // where the goods come from ("on American chips"). A bare object is not
                // ("prevent China from advancing" states a purpose, not a measure).
                let possessor = s.words.get(k + 1).copied().flatten() == Some("'s");
                match role {
                    Some(Role::Targets) => arg(Role::Targets, false),
                    Some(Role::Products)
                        if possessor
                            || matches!(cue.as_deref(), Some("on" | "against"))
                                && !modifies_goods =>
                    {
                        arg(Role::Targets, false)
                    }
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
    pub(super) fn subject(
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
                    && !is_adverb(w)
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
        // "Microsoft chose AMD's accelerators for Azure, buying 100,000 units": a
        // participle after a comma shares the subject of the sentence's first clause.
        let participle_after_comma = s
            .words
            .get(verb_at)
            .copied()
            .flatten()
            .is_some_and(|w| w.ends_with("ing"))
            && verb_at
                .checked_sub(1)
                .is_some_and(|p| s.toks.get(p).is_some_and(|t| t.is_punct(',')));
        if participle_after_comma && kind == EventKind::ChipOrder {
            let first_verb = (0..verb_at).find(|&j| {
                s.words
                    .get(j)
                    .copied()
                    .flatten()
                    .is_some_and(|w| is_verbish(s, w) || AUXILIARIES.contains(&w))
            });
            let opener = first_verb
                .and_then(|v| (0..v).find(|&j| matches!(s.toks.get(j), Some(Tok::Ent(_, 'O')))));
            if let Some(j) = opener.filter(|&j| cue_before(s, j).is_none()) {
                if let Some(Tok::Ent(a, _)) = s.toks.get(j) {
                    return Some((j, Subject::Ents(vec![(j, *a)])));
                }
            }
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
                    if let Some(open) = open_paren_before(s, k, 12) {
                        k = open;
                    }
                }
                Tok::Punct(_) => {}
                // "two rounds of sanctions in October 2022 that limited": a relative
                // "that" after a noun or date stands for it, no name of ours.
                Tok::Word(w)
                    if w == "that"
                        && (k + 1..verb_at)
                            .all(|j| s.words.get(j).copied().flatten().is_some_and(is_adverb))
                        && k.checked_sub(1).is_some_and(|p| {
                            matches!(s.toks.get(p), Some(Tok::Ent(_, 'D')))
                                || s.words.get(p).copied().flatten().is_some_and(|w| {
                                    w.len() > 3
                                        && w.ends_with('s')
                                        && !is_verbish(s, w)
                                        && !AUXILIARIES.contains(&w)
                                })
                        }) =>
                {
                    return None;
                }
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
                    // "the two companies", "the Chinese groups": several buyers named before.
                    if kind == EventKind::ChipOrder && ORG_PLURALS.contains(&w.as_str()) {
                        if let Some(start) = definite_description(s, k) {
                            if cue_before(s, start).is_none() {
                                return Some((start, Subject::Reference(k, false)));
                            }
                        }
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
                    // "Qualcomm picked TSMC to make its chips": the one chosen does the
                    // infinitive, though it is the chooser's object.
                    // So is a seller urged to deliver ("urging ASML executives to deliver").
                    let chosen = verb_before(s, k).is_some_and(|v| {
                        s.words.get(v).copied().flatten().is_some_and(|w| {
                            SELECTORS.contains(&w)
                                || kind == EventKind::ChipOrder && CAUSATIVES.contains(&w)
                        })
                    }) && (s.words.get(k + 1).copied().flatten() == Some("to")
                        || matches!(
                            s.words.get(k + 1).copied().flatten(),
                            Some("executives" | "officials" | "management")
                        ) && s.words.get(k + 2).copied().flatten() == Some("to"));
                    // "reports said Alibaba plans to buy": a name right after a verb of
                    // saying opens the reported clause; it is that clause's subject.
                    let reported = k.checked_sub(1).is_some_and(|v| {
                        s.words
                            .get(v)
                            .copied()
                            .flatten()
                            .is_some_and(|w| SAYING.contains(&w))
                    });
                    if !wanted
                        || cue_before(s, k).is_some()
                        || verb_before(s, k).is_some() && !chosen && !reported
                    {
                        continue;
                    }
                    // A demonym modifying a name ("Chinese tech giant Baidu") is not it.
                    if *letter == 'J' && next_is_name(s, k) {
                        continue;
                    }
                    let mut list = vec![(k, *ann)];
                    let mut start = k;
                    // Coordinated names: "Microsoft, Meta and Google", "BIS and Commerce",
                    // "Chinese companies including ByteDance, Alibaba and Tencent"; a
                    // hyphenated descriptor is no member ("Alibaba and TikTok-parent
                    // ByteDance").
                    let mut p = k;
                    if k >= 3
                        && s.toks.get(k - 2).is_some_and(|t| t.is_punct('-'))
                        && matches!(s.toks.get(k - 3), Some(Tok::Ent(_, 'O')))
                        && s.words.get(k - 1).copied().flatten().is_some_and(|w| {
                            matches!(w, "parent" | "owner" | "backed" | "owned" | "affiliate")
                        })
                    {
                        p = k - 3;
                        start = k - 3;
                    }
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
                        // "other entities in China, Singapore and Taiwan were added": where
                        // the listed parties are heads the list of a control's targets.
                        let example =
                            matches!(cue.as_deref(), Some("including" | "such as" | "like"))
                                || kind == EventKind::ExportControl
                                    && matches!(
                                        cue.as_deref(),
                                        Some("entities in" | "entities from")
                                    );
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
pub(super) enum Subject {
    /// Names: `(token, annotation)` pairs, several when coordinated.
    Ents(Vec<(usize, usize)>),
    /// A reference at a token; `true` when it describes a maker.
    Reference(usize, bool),
    /// "the government", "authorities": an authority the article names elsewhere.
    Government,
}

impl Subject {
    pub(super) fn covers(&self, k: usize) -> bool {
        match self {
            Subject::Ents(list) => list.iter().any(|&(t, _)| t == k),
            _ => false,
        }
    }
}

/// A role as it applies to a value of type `letter`.
pub(super) fn typed_role(role: Role, letter: char, kind: EventKind, _maker: bool) -> Option<Role> {
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

/// The role of a company by what a control does to it: barred from or allowed to
/// *selling* makes it an affected vendor, barred from *buying* a listed party.
pub(super) fn actor_role(s: &Sent<'_>, k: usize) -> Option<Role> {
    let mut j = k + 1;
    // "allows both Nvidia and AMD to resume": a name shares the role of the list it opens.
    while matches!(s.words.get(j).copied().flatten(), Some("and" | "or"))
        || s.toks.get(j).is_some_and(|t| t.is_punct(','))
    {
        match s.toks.get(j + 1) {
            Some(Tok::Ent(_, 'O')) => j += 2,
            _ => break,
        }
    }
    // "Nvidia was barred", "Nvidia and AMD were told": skip the verb group to the cue.
    while let Some(w) = s.words.get(j).copied().flatten() {
        if AUXILIARIES.contains(&w)
            || is_adverb(w)
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
    // "added Huawei to the export control list": "export" modifies a noun there.
    if matches!(
        s.words.get(j + 2).copied().flatten(),
        Some(
            "control"
                | "controls"
                | "list"
                | "ban"
                | "bans"
                | "restrictions"
                | "curbs"
                | "regime"
                | "rules"
                | "blacklist"
        )
    ) {
        return None;
    }
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

/// "to Audi and Volkswagen": a name the gazetteer lacks, coordinated right next to one it
/// knows, is an organisation like it.
fn listed_with_known(s: &Sent<'_>, k: usize) -> bool {
    let known_org = |j: usize| {
        matches!(s.toks.get(j), Some(Tok::Ent(_, 'O')))
            && !s.unknown.get(j).copied().unwrap_or(true)
    };
    let joins = |j: usize| {
        s.toks.get(j).is_some_and(|t| t.is_punct(','))
            || matches!(s.words.get(j).copied().flatten(), Some("and" | "or"))
    };
    k.checked_sub(2)
        .is_some_and(|p| joins(p + 1) && known_org(p))
        || joins(k + 1) && known_org(k + 2)
}
