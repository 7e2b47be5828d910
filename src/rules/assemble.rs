//! Event assembly: one article's mentions become its events (DESIGN.md, "One article, one
//! event per real-world action"). This module owns the merge semantics: authority
//! inheritance between export controls, which mentions may start an event and which may
//! only join one ("bare" mentions), when two mentions agree, anaphoric fill-ins, hedging,
//! evidence, the first rule and the confidence. It sees no text patterns, only mentions.

use crate::model::{
    ChipOrder, ControlAction, Event, EventDetails, EventKind, ExportControl, OrderStatus, Span,
};

use super::matcher::{push_unique, Fields};

/// One rule (or anaphora) firing in one sentence.
#[derive(Debug, Clone)]
pub struct Mention {
    pub kind: EventKind,
    /// Id of the rule; empty for anaphoric fill-ins.
    pub rule: String,
    pub confidence: f64,
    /// Sentence index and byte offset of the match in the typed sentence (for ordering).
    pub sentence: usize,
    pub offset: usize,
    pub hedged: bool,
    /// Qualified as "previous/earlier/prior" rules: a different, older action.
    pub older: bool,
    /// A control named by words of its own ("the AI diffusion rule"): stands alone.
    pub named: bool,
    /// A verb states it ("restricted", "added ... to"), not only a noun ("US curbs on").
    pub verb: bool,
    /// The goods come as a power rating ("1 gigawatt of accelerators").
    pub power: bool,
    /// The buyers are described, not named ("Chinese customers ordered").
    pub described_buyers: bool,
    /// The buyer and seller are both stated by the sentence (see `Hit::sides_stated`).
    pub sides_stated: bool,
    /// Its sentence is a headline or heading (no closing punctuation): terse, so the body's
    /// report of the same event says better whether it is placed, planned or hedged.
    pub heading: bool,
    /// Chips are among its arguments (a product, or a word such as "GPUs"): an order
    /// needs them, or "SoftBank bought $3 billion of shares" would be one.
    pub goods: bool,
    pub status: Option<OrderStatus>,
    pub action: Option<ControlAction>,
    pub fields: Fields,
    /// Other sentences the mention relies on (where "these alternatives" were named).
    pub extra_evidence: Vec<usize>,
    /// For a fill-in ("The order is worth ..."): the index of the mention it refers to.
    pub refers_to: Option<usize>,
}

/// A sentence as assembly needs it.
pub struct SentenceRef<'a> {
    pub text: &'a str,
    pub span: Span,
}

struct Draft {
    kind: EventKind,
    older: bool,
    first: (usize, usize),
    rule: String,
    confidence: f64,
    hedged: bool,
    /// Every mention so far came from a headline or heading.
    from_heading: bool,
    status: Option<OrderStatus>,
    action: Option<ControlAction>,
    fields: Fields,
    sentences: Vec<usize>,
}

/// Whether a mention may start an event, or only join one.
fn is_bare(m: &Mention) -> bool {
    let f = &m.fields;
    match m.kind {
        // A trigger plus buyer or supplier is not enough: it needs a product, quantity or
        // value ("Baidu may no longer be able to purchase from Nvidia" is no order).
        EventKind::ChipOrder => {
            (f.product.is_none() && f.quantity.is_none() && f.value.is_none() && !m.power)
                || (f.product.is_none() && !m.goods)
                // A seller with no buyer is a company's own shipments, not an order, unless
                // described buyers order a model in stated numbers ("Chinese firms ordered
                // $16 billion of H20 chips").
                || f.buyer.is_none()
                    && !(m.described_buyers
                        && f.product.is_some()
                        && (f.quantity.is_some() || f.value.is_some()))
        }
        // "the US export ban", "BIS issued rules on Monday": who, but not what. A control
        // named only by a noun ("amid US curbs on chip exports to China") is background: it
        // completes a control a verb states, and stands alone only when named ("the AI
        // diffusion rule") or dated ("the US curbs that took effect in October").
        EventKind::ExportControl => {
            !m.verb && !m.named && f.effective.is_none()
                || !m.named
                    && f.targets.is_empty()
                    && f.products.is_empty()
                    && f.companies.is_empty()
                    && f.effective.is_none()
        }
    }
}

/// Two optional values agree when either is unknown or both are equal.
pub(super) fn agree<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

fn same_known<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a == b)
}

fn compatible(d: &Draft, m: &Mention) -> bool {
    if d.kind != m.kind {
        return false;
    }
    let (a, b) = (&d.fields, &m.fields);
    match m.kind {
        EventKind::ChipOrder => {
            // A headline rounds what the body states ("$14 billion order" over "a $14.3
            // billion order"): figures within 5 % agree between the two.
            let rounded = d.from_heading != m.heading;
            let value_agrees = agree(&a.value, &b.value)
                || rounded
                    && matches!((&a.value, &b.value), (Some(x), Some(y))
                        if x.currency == y.currency && close(x.amount, y.amount));
            let quantity_agrees = agree(&a.quantity, &b.quantity)
                || rounded
                    && matches!((a.quantity, b.quantity), (Some(x), Some(y))
                        if close(x as f64, y as f64));
            // Two different products are two orders, even between the same companies.
            agree(&a.buyer, &b.buyer)
                && agree(&a.supplier, &b.supplier)
                && agree(&a.product, &b.product)
                && quantity_agrees
                && value_agrees
                && agree(&a.delivery, &b.delivery)
        }
        EventKind::ExportControl => {
            let subset = |x: &[String], y: &[String]| x.iter().all(|t| y.contains(t));
            let targets_agree = a.targets.is_empty()
                || b.targets.is_empty()
                || subset(&a.targets, &b.targets)
                || subset(&b.targets, &a.targets);
            let products_agree = a.products.is_empty()
                || b.products.is_empty()
                || a.products.iter().any(|p| b.products.contains(p));
            d.older == m.older
                && !dated_apart(a, b)
                && agree(&a.authority, &b.authority)
                && agree(&d.action, &m.action)
                && targets_agree
                && agree(&a.effective, &b.effective)
                && products_agree
        }
    }
}

/// Whether two figures differ by at most 5 % of the larger.
fn close(x: f64, y: f64) -> bool {
    (x - y).abs() <= 0.05 * x.abs().max(y.abs())
}

/// Whether two reports of controls are dated so far apart that they are two measures
/// ("in 2010 ... halting exports to Japan", "in April 2025, China expanded controls"):
/// dated in different years, or their verbs dated more than two months apart. A date a
/// verb carries and the date a measure takes effect may differ by weeks ("announced on
/// October 9 ... will take effect on December 1").
fn dated_apart(a: &Fields, b: &Fields) -> bool {
    let when = |f: &Fields| f.effective.or(f.effective_adjunct);
    if let (Some(x), Some(y)) = (when(a), when(b)) {
        if x.year() != y.year() {
            return true;
        }
    }
    match (
        a.effective_adjunct.and_then(|d| d.first_day()),
        b.effective_adjunct.and_then(|d| d.first_day()),
    ) {
        (Some(x), Some(y)) => (x - y).num_days().abs() > 62,
        _ => false,
    }
}

/// A bare mention joins only an event it shares a stated key with.
fn shares_key(d: &Draft, m: &Mention) -> bool {
    let (a, b) = (&d.fields, &m.fields);
    match m.kind {
        EventKind::ChipOrder => {
            same_known(&a.buyer, &b.buyer) || same_known(&a.supplier, &b.supplier)
        }
        EventKind::ExportControl => same_known(&a.authority, &b.authority),
    }
}

/// The article's only order, when it names no seller and `m` names only a seller.
fn sole_order_without_seller(drafts: &[Draft], m: &Mention) -> Option<usize> {
    if m.kind != EventKind::ChipOrder || m.fields.supplier.is_none() || m.fields.buyer.is_some() {
        return None;
    }
    let mut orders = drafts
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind == EventKind::ChipOrder);
    match (orders.next(), orders.next()) {
        (Some((i, d)), None) if d.fields.supplier.is_none() && compatible(d, m) => Some(i),
        _ => None,
    }
}

fn absorb(d: &mut Draft, m: &Mention, trigger: bool) {
    // Values first stated win; lists grow in first-mention order.
    d.fields.complete_from(&m.fields);
    for v in &m.fields.targets {
        push_unique(&mut d.fields.targets, v);
    }
    for v in &m.fields.products {
        push_unique(&mut d.fields.products, v);
    }
    for v in &m.fields.companies {
        push_unique(&mut d.fields.companies, v);
    }
    // "AMD wins major Alibaba MI308 chip order" over "Alibaba plans to buy ..., reports
    // said": the body's status and hedge replace a headline's.
    let body_over_heading = trigger && d.from_heading && !m.heading;
    if d.status.is_none() || body_over_heading && m.status.is_some() {
        d.status = m.status;
    }
    if d.action.is_none() {
        d.action = m.action;
    }
    d.sentences.push(m.sentence);
    d.sentences.extend(&m.extra_evidence);
    if body_over_heading {
        d.hedged = m.hedged;
        d.from_heading = false;
        // The body's exact figures over the headline's rounded ones.
        if m.fields.quantity.is_some() {
            d.fields.quantity = m.fields.quantity;
        }
        if m.fields.value.is_some() {
            d.fields.value.clone_from(&m.fields.value);
            d.fields.value_usd = m.fields.value_usd;
        }
    } else if trigger {
        d.hedged &= m.hedged;
    }
    if trigger {
        // The best rule vouches for the event; a weak bare mention should not lower it.
        d.confidence = d.confidence.max(m.confidence);
        if (m.sentence, m.offset) < d.first {
            d.first = (m.sentence, m.offset);
            d.rule.clone_from(&m.rule);
        }
    }
}

fn draft_from(m: &Mention) -> Draft {
    let mut d = Draft {
        kind: m.kind,
        older: m.older,
        first: (m.sentence, m.offset),
        rule: m.rule.clone(),
        confidence: m.confidence,
        hedged: m.hedged,
        from_heading: m.heading,
        status: None,
        action: None,
        fields: Fields::default(),
        sentences: Vec::new(),
    };
    absorb(&mut d, m, true);
    d
}

/// Turns the mentions of one article (in text order) into events ordered by first span.
pub fn assemble(
    mut mentions: Vec<Mention>,
    sentences: &[SentenceRef<'_>],
    published: Option<chrono::NaiveDate>,
    rules_version: &str,
) -> Vec<Event> {
    // An export control whose own sentence names no authority takes the authority of the
    // nearest earlier export control of the article.
    // Before any control names one, the first authority named later in the article
    // ("Nvidia will resume sales to China after Washington pledged to remove the curbs").
    let first_named = mentions
        .iter()
        .filter(|m| m.kind == EventKind::ExportControl && !m.rule.is_empty())
        .find_map(|m| m.fields.authority.clone());
    let mut last_authority: Option<String> = None;
    for m in mentions
        .iter_mut()
        .filter(|m| m.kind == EventKind::ExportControl && !m.rule.is_empty())
    {
        if m.fields.authority.is_none() {
            m.fields.authority = last_authority.clone().or_else(|| first_named.clone());
        }
        if m.fields.authority.is_some() {
            last_authority.clone_from(&m.fields.authority);
        }
    }

    let mut drafts: Vec<Draft> = Vec::new();
    let mut home: Vec<Option<usize>> = vec![None; mentions.len()];
    // Pass 1: mentions that can stand alone start or join events; fill-ins follow the
    // mention they refer to.
    for (i, m) in mentions.iter().enumerate() {
        if let Some(target) = m.refers_to {
            if let Some(Some(d)) = home.get(target) {
                let d = *d;
                if let Some(draft) = drafts.get_mut(d) {
                    absorb(draft, m, false);
                    home[i] = Some(d);
                }
            }
            // A fill-in has nothing of its own; a frame's mention referring back ("placed
            // on the list") stands alone when what it refers to did not.
            if m.rule.is_empty() || home[i].is_some() {
                continue;
            }
        }
        if is_bare(m) {
            continue;
        }
        match drafts.iter().position(|d| compatible(d, m)) {
            Some(d) => {
                absorb(&mut drafts[d], m, true);
                home[i] = Some(d);
            }
            None => {
                drafts.push(draft_from(m));
                home[i] = Some(drafts.len() - 1);
            }
        }
    }
    // Pass 2: bare mentions join the first compatible event that shares a stated key,
    // wherever it is in the article ("the US export ban" often comes first).
    for m in mentions
        .iter()
        .filter(|m| m.refers_to.is_none() && is_bare(m))
    {
        if let Some(d) = drafts
            .iter()
            .position(|d| compatible(d, m) && shares_key(d, m))
        {
            absorb(&mut drafts[d], m, true);
        } else if let Some(d) = sole_order_without_seller(&drafts, m) {
            // "The supercomputer is manufactured by Nvidia, which will deliver the machine
            // in early 2025": the seller of the one order the article reports.
            absorb(&mut drafts[d], m, true);
        }
    }

    // A control with no authority, even inherited, is talk of controls in general unless
    // it says what and for whom ("regulations banning A100 sales in China").
    drafts.retain(|d| {
        d.kind != EventKind::ExportControl
            || d.fields.authority.is_some()
            || !d.fields.products.is_empty() && !d.fields.targets.is_empty()
    });
    // Ordered by first span; events starting in the same sentence by where their first
    // mention starts in it.
    let mut events: Vec<((usize, usize), Event)> = drafts
        .into_iter()
        .map(|d| {
            let first = d.first;
            let event = finish(d, sentences, published, rules_version);
            (first, event)
        })
        .collect();
    events.sort_by_key(|(first, e)| (e.spans.first().map(|s| (s.start, s.end)), *first));
    events.into_iter().map(|(_, e)| e).collect()
}

fn finish(
    mut d: Draft,
    sentences: &[SentenceRef<'_>],
    published: Option<chrono::NaiveDate>,
    version: &str,
) -> Event {
    d.sentences.sort_unstable();
    d.sentences.dedup();
    let picked: Vec<&SentenceRef<'_>> = d
        .sentences
        .iter()
        .filter_map(|&i| sentences.get(i))
        .collect();
    let f = d.fields;
    let (details, filled, total) = match d.kind {
        EventKind::ChipOrder => {
            let filled = [
                f.buyer.is_some(),
                f.supplier.is_some(),
                f.product.is_some(),
                f.quantity.is_some(),
                f.value.is_some(),
                f.delivery.is_some(),
            ];
            let value_usd = f.value_usd;
            let order = ChipOrder {
                buyer: f.buyer,
                supplier: f.supplier,
                product: f.product,
                quantity: f.quantity,
                value: f.value,
                value_usd,
                delivery: f.delivery,
                status: d.status,
            };
            (
                EventDetails::ChipOrder(order),
                filled.iter().filter(|x| **x).count(),
                filled.len(),
            )
        }
        EventKind::ExportControl => {
            let filled = [
                f.authority.is_some(),
                !f.targets.is_empty(),
                !f.products.is_empty(),
                !f.companies.is_empty(),
                d.action.is_some(),
                f.effective.or(f.effective_adjunct).is_some(),
            ];
            // A country does not control exports to itself, even when the authority came
            // from an earlier control of the article.
            let mut f = f;
            if let Some(a) = &f.authority {
                f.targets.retain(|t| t != a);
            }
            let control = ExportControl {
                authority: f.authority,
                agency: f.agency,
                targets: f.targets,
                products: f.products,
                companies: f.companies,
                action: d.action,
                effective: f.effective.or(f.effective_adjunct),
            };
            (
                EventDetails::ExportControl(control),
                filled.iter().filter(|x| **x).count(),
                filled.len(),
            )
        }
    };
    // Rule confidence, discounted when few fields are stated.
    let share = filled as f64 / total.max(1) as f64;
    let confidence = (d.confidence * (0.6 + 0.4 * share)).clamp(0.01, 1.0);
    Event {
        id: None,
        article_url: None,
        published,
        evidence: picked.iter().map(|s| s.text.to_string()).collect(),
        spans: picked.iter().map(|s| s.span).collect(),
        rule: d.rule,
        rules_version: version.to_string(),
        confidence: (confidence * 1000.0).round() / 1000.0,
        hedged: d.hedged,
        inferred: Vec::new(),
        details,
    }
}
