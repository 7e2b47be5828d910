//! The per-sentence pass of extraction. This module owns walking an article's sentences:
//! the per-sentence prefilter (sentences with no frame word, or naming nothing, are never
//! annotated), annotating lazily, running the frames, resolving the references they leave
//! ("the company", "it") to an organisation named earlier in the article, turning hits
//! into mentions (one per
//! named buyer), completing them with the kind's fillers, and turning anaphoric sentences
//! ("The order is worth ...") into fill-ins of the latest mention. The result is the
//! article's mentions in text order, for `assemble`.

use chrono::NaiveDate;
use compact_str::CompactString;

use crate::model::EventKind;
use crate::text::{ends_open, Sentence};

use super::annotate::{annotate, Annotated, Value};
use super::assemble::Mention;
use super::frames::{Hit, Reference};
use super::gazetteer::{EntityRef, Gazetteer};
use super::lexicon::Role;
use super::matcher::{last_product_list, push_unique, Fields};
use super::prefilter::HeadHits;
use super::tokens::{may_hold_word, tokenize, Tok, ORG_NOUNS, ORG_PLURALS, ORG_PRONOUNS};
use super::{kind_index, KindSettings, RuleSet};

/// A sentence annotated, with its tokens and their plain words (placeholders as `<O>`).
struct Typed {
    ann: Annotated,
    toks: Vec<Tok>,
    plain: Vec<CompactString>,
}

fn typed(g: &Gazetteer, text: &str, published: Option<NaiveDate>) -> Typed {
    let ann = annotate(g, text, published);
    let toks = tokenize(&ann);
    let plain = toks
        .iter()
        .map(|t| match t {
            Tok::Word(w) => w.clone(),
            Tok::Ent(a, 'J') if ann.annotations.get(*a).is_some_and(|a| a.government) => {
                CompactString::const_new("<Jg>")
            }
            Tok::Ent(a, 'O')
                if ann
                    .annotations
                    .get(*a)
                    .is_some_and(|a| matches!(a.value, Value::Name(_))) =>
            {
                CompactString::const_new("<On>")
            }
            Tok::Ent(_, l) => {
                let mut p = CompactString::const_new("<");
                p.push(*l);
                p.push('>');
                p
            }
            Tok::Punct(c) => {
                let mut p = CompactString::default();
                p.push(*c);
                p
            }
        })
        .collect();
    Typed { ann, toks, plain }
}

impl RuleSet {
    /// The ids of the frames whose heads occur in `sentence` (for `rules check`).
    pub(super) fn frames_fired(&self, sentence: &str, published: Option<NaiveDate>) -> Vec<String> {
        let t = typed(&self.gazetteer, sentence, published);
        self.lexicon
            .find(&t.toks, &self.kind_words, &t.plain)
            .iter()
            .filter_map(|h| self.lexicon.frames.get(h.frame).map(|f| f.id.clone()))
            .collect()
    }

    /// How the frames read `text`: per sentence its tokens and every hit with its roles,
    /// then the events (for `chipwatch rules explain`).
    pub fn explain(&self, text: &str, published: Option<NaiveDate>) -> Vec<String> {
        let mut out = Vec::new();
        for s in crate::text::split_sentences(text) {
            let t = typed(&self.gazetteer, s.text, published);
            let shown: Vec<String> = t
                .toks
                .iter()
                .map(|tok| match tok {
                    Tok::Ent(a, l) => {
                        let name = match t.ann.annotations.get(*a).map(|a| &a.value) {
                            Some(Value::Entity(e)) => self.gazetteer.name(*e).to_string(),
                            Some(Value::Number(n)) => n.map_or("?".into(), |n| n.to_string()),
                            Some(Value::Money(m)) => m.as_ref().map_or("?".into(), |m| {
                                format!("{} {}", m.money.amount, m.money.currency)
                            }),
                            Some(Value::Date(d)) => d.map_or("?".into(), |d| d.to_string()),
                            Some(Value::Name(n)) => format!("{n}?"),
                            None => "?".into(),
                        };
                        format!("[{l}:{name}]")
                    }
                    Tok::Word(w) => w.to_string(),
                    Tok::Punct(c) => c.to_string(),
                })
                .collect();
            out.push(format!("sentence: {}", shown.join(" ")));
            for hit in self.lexicon.find(&t.toks, &self.kind_words, &t.plain) {
                let id = self
                    .lexicon
                    .frames
                    .get(hit.frame)
                    .map_or("?", |f| f.id.as_str());
                let head = t.plain.get(hit.at).map_or("?", CompactString::as_str);
                let mut roles: Vec<String> = hit
                    .args
                    .iter()
                    .map(|a| {
                        let v = match t.ann.annotations.get(a.ann).map(|x| &x.value) {
                            Some(Value::Entity(e)) => self.gazetteer.name(*e).to_string(),
                            Some(Value::Name(n)) => n.clone(),
                            Some(Value::Number(n)) => n.map_or("?".into(), |n| n.to_string()),
                            Some(Value::Money(m)) => m.as_ref().map_or("?".into(), |m| {
                                format!("{} {}", m.money.amount, m.money.currency)
                            }),
                            _ => "?".into(),
                        };
                        format!("{:?}={v}", a.role)
                    })
                    .collect();
                if let Some(r) = hit.reference {
                    roles.push(format!(
                        "{:?}=<reference at {}>",
                        r.role,
                        t.plain.get(r.at).map_or("?", CompactString::as_str)
                    ));
                }
                let what = hit
                    .status
                    .map(|s| s.as_str())
                    .or(hit.action.map(|a| a.as_str()))
                    .unwrap_or("-");
                out.push(format!(
                    "  {id} at `{head}` ({what}{}): {}",
                    if hit.goods { ", goods" } else { "" },
                    roles.join(", ")
                ));
            }
        }
        for e in self.extract_events(text, published) {
            out.push(format!(
                "event: {}",
                serde_json::to_string(&e).unwrap_or_default()
            ));
        }
        out
    }

    /// The mentions of one article's sentences, in text order. `heads` are the article's
    /// head words.
    pub(super) fn mentions(
        &self,
        sentences: &[Sentence<'_>],
        heads: &HeadHits,
        published: Option<NaiveDate>,
    ) -> Vec<Mention> {
        let mut cache: Vec<Option<Typed>> = Vec::new();
        cache.resize_with(sentences.len(), || None);
        let mut mentions: Vec<Mention> = Vec::new();
        // Whether a mention of each kind was seen (anaphora need one to refer to).
        let mut seen = [false, false];
        for (i, s) in sentences.iter().enumerate() {
            // A sentence is read only when it holds a frame's head word (as a whole word)
            // and names something the gazetteer knows: every event needs a party, an
            // authority or a product.
            let has_head = heads.within(s.span.start, s.span.end)
                && (self.gazetteer.names_something(s.text) || refers_to_company(s.text));
            let can_refer = [EventKind::ChipOrder, EventKind::ExportControl]
                .iter()
                .any(|&k| seen[kind_index(k)] && self.settings(k).anaphora.is_match(s.text));
            if !has_head && !can_refer {
                continue;
            }
            let t = match cache.get_mut(i).and_then(Option::take) {
                Some(t) => t,
                None => typed(&self.gazetteer, s.text, published),
            };
            let hedged = self
                .hedges
                .as_ref()
                .is_some_and(|h| h.is_match(&t.ann.typed));
            let hits = if has_head {
                self.lexicon.find(&t.toks, &self.kind_words, &t.plain)
            } else {
                Vec::new()
            };
            for kind in [EventKind::ChipOrder, EventKind::ExportControl] {
                let first_new = mentions.len();
                // Mentions of relaxations whose lifted restriction has its own dates.
                let mut lifting: Vec<usize> = Vec::new();
                let settings = self.settings(kind);
                for hit in hits.iter().filter(|h| h.kind == kind) {
                    let rule = self
                        .lexicon
                        .frames
                        .get(hit.frame)
                        .map_or("", |f| f.id.as_str());
                    // "were placed on the list": the latest mention of the frame naming
                    // parties before, else one named in this sentence ("the list, formally known
                    // as the Entity List"); with neither, "the list" is some other list.
                    let back_to = if hit.back {
                        let before = mentions
                            .iter()
                            .rposition(|m| m.rule == rule && !m.fields.targets.is_empty());
                        let here = hits
                            .iter()
                            .any(|o| o.frame == hit.frame && !o.back && o.at != hit.at);
                        match before {
                            Some(m) => Some(m),
                            None if here => None,
                            None => continue,
                        }
                    } else {
                        None
                    };
                    let context = t
                        .plain
                        .get(..=hit.at)
                        .map(|p| p.join(" "))
                        .unwrap_or_default();
                    let older = hit.prior || settings.older.is_match(&context);
                    let resolved = hit
                        .reference
                        .map(|r| self.resolve(r, &t, &mut cache, sentences, i, published))
                        .unwrap_or_default();
                    let requires = self
                        .lexicon
                        .frames
                        .get(hit.frame)
                        .map_or(&[][..], |f| &f.requires[..]);
                    let all_fields = self.fields_of(hit, &t.ann, resolved);
                    // The buyers sharing the sentence: none of them sells to another.
                    let buyers: Vec<String> =
                        all_fields.iter().filter_map(|f| f.buyer.clone()).collect();
                    for fields in all_fields {
                        if requires.iter().any(|r| !fields.has(r)) {
                            continue;
                        }
                        let mut fields = fields;
                        // "Huawei was added to the Entity List in May 2019": the Entity List
                        // (capitalised, nobody else's) is the US Commerce Department's.
                        if kind == EventKind::ExportControl
                            && fields.authority.is_none()
                            && names_the_us_entity_list(s.text)
                        {
                            fields.authority = Some("United States".to_string());
                        }
                        if kind == EventKind::ChipOrder {
                            self.seller_in_sentence(&t, &mut fields, &buyers);
                        }
                        let mut extra = Vec::new();
                        // "even these alternatives cannot be sold": the products named in
                        // the sentence before, when the reference stands before the verb.
                        if kind == EventKind::ExportControl
                            && fields.products.is_empty()
                            && i > 0
                            && hit.verb
                        {
                            let before_verb = t
                                .plain
                                .get(..hit.at)
                                .map(|p| p.join(" "))
                                .unwrap_or_default();
                            if self.product_refs.is_match(&before_verb) {
                                let named = self
                                    .products_named_before(&mut cache, sentences, i, 1, published);
                                if let Some((at, products)) = named {
                                    fields.products = products;
                                    extra.push(at);
                                }
                            }
                        }
                        // "orders for more than a dozen such systems": the product named
                        // last, in one of the three sentences before; not where a control
                        // governs the sale ("notify ... before they're shipped").
                        if kind == EventKind::ChipOrder
                            && fields.product.is_none()
                            && !hits.iter().any(|h| h.kind == EventKind::ExportControl)
                            && self.product_refs.is_match(&t.plain.join(" "))
                        {
                            let named =
                                self.products_named_before(&mut cache, sentences, i, 3, published);
                            if let Some((at, [one])) =
                                named.as_ref().map(|(at, p)| (*at, p.as_slice()))
                            {
                                fields.product = Some(one.clone());
                                extra.push(at);
                            }
                        }
                        if hit.lifts_prior {
                            lifting.push(mentions.len());
                        }
                        mentions.push(Mention {
                            kind,
                            rule: rule.to_string(),
                            confidence: hit.confidence,
                            sentence: i,
                            offset: hit.start,
                            hedged,
                            older,
                            // "Lam Research received a $500 million order from SMIC": an
                            // order noun whose seller makes chips or tools is for goods.
                            goods: hit.goods
                                || kind == EventKind::ChipOrder
                                    && hit.head_is_noun
                                    && fields
                                        .supplier
                                        .as_deref()
                                        .is_some_and(|s| self.gazetteer.tier(s) < 5),
                            named: hit.named,
                            verb: hit.verb,
                            power: hit.power,
                            described_buyers: hit.described_buyers,
                            sides_stated: hit.sides_stated,
                            heading: ends_open(s.text),
                            status: hit.status,
                            action: hit.action,
                            fields,
                            extra_evidence: extra,
                            refers_to: back_to,
                        });
                    }
                }
                // An order mention naming neither party ("The order is worth $62
                // million") is about an order named before: it becomes a fill-in.
                // Likewise a control named as known with nothing of its own ("The
                // measures cover the NXT:2000i") when an earlier one exists.
                let mut carried = Fields::default();
                let refers_back = match kind {
                    EventKind::ChipOrder => mentions[first_new..].iter().all(|m| {
                        m.fields.buyer.is_none()
                            && m.fields.supplier.is_none()
                            && !m.described_buyers
                    }),
                    EventKind::ExportControl => {
                        seen[1]
                            && hits.iter().filter(|h| h.kind == kind).all(|h| h.definite)
                            && mentions[first_new..].iter().all(|m| {
                                m.fields.authority.is_none() && m.fields.targets.is_empty()
                            })
                    }
                };
                if mentions.len() > first_new && refers_back {
                    for m in mentions.drain(first_new..) {
                        carried.complete_from(&m.fields);
                    }
                }
                seen[kind_index(kind)] |= mentions.len() > first_new;
                if mentions.len() > first_new {
                    // Fillers complete what fired in this sentence (run once per sentence).
                    let mut filled = Fields::default();
                    self.apply_fillers(settings, &t.ann, &mut filled);
                    // Several buyers in the sentence: a figure it states is their total.
                    let mut buyers: Vec<&str> = mentions[first_new..]
                        .iter()
                        .filter_map(|m| m.fields.buyer.as_deref())
                        .collect();
                    buyers.sort_unstable();
                    buyers.dedup();
                    if buyers.len() > 1 {
                        filled.quantity = None;
                        filled.value = None;
                        filled.value_usd = None;
                    }
                    for (n, m) in mentions.iter_mut().enumerate().skip(first_new) {
                        // "suspend the ban that it imposed last December": that date is
                        // the ban's, not the suspension's.
                        let undated;
                        let filled = if lifting.contains(&n) {
                            let mut own = filled.clone();
                            own.effective = None;
                            own.effective_adjunct = None;
                            undated = own;
                            &undated
                        } else {
                            &filled
                        };
                        // A family ("Instinct GPUs") gives way to a model of it the
                        // fillers found ("starting with MI450 chips").
                        if let (Some(have), Some(model)) = (&m.fields.product, &filled.product) {
                            let g = &self.gazetteer;
                            if g.category_of(have) == Some("family")
                                && g.vendor_of(have) == g.vendor_of(model)
                            {
                                m.fields.product = Some(model.clone());
                            }
                        }
                        m.fields.complete_from(filled);
                        for p in &filled.products {
                            push_unique(&mut m.fields.products, p);
                        }
                        for c in &filled.companies {
                            push_unique(&mut m.fields.companies, c);
                        }
                    }
                } else if settings.anaphora.is_match(&t.ann.typed) {
                    // "The order is worth ...": fills the latest event of the kind, when the
                    // sentence adds something.
                    let target = latest(&mentions, kind);
                    let mut fields = Fields::default();
                    let filled = self.apply_fillers(settings, &t.ann, &mut fields);
                    let had = fields.clone();
                    fields.complete_from(&carried);
                    let added = filled || fields != had;
                    if let (Some(target), true) = (target, added) {
                        mentions.push(Mention {
                            kind,
                            rule: String::new(),
                            confidence: 0.0,
                            sentence: i,
                            offset: 0,
                            hedged,
                            older: false,
                            goods: false,
                            named: false,
                            verb: false,
                            power: false,
                            described_buyers: false,
                            sides_stated: false,
                            heading: ends_open(s.text),
                            status: None,
                            action: None,
                            fields,
                            extra_evidence: Vec::new(),
                            refers_to: Some(target),
                        });
                    }
                }
            }
            if let Some(slot) = cache.get_mut(i) {
                *slot = Some(t);
            }
        }
        // Companies of an export control include the vendors of its products.
        for m in mentions
            .iter_mut()
            .filter(|m| m.kind == EventKind::ExportControl)
        {
            let vendors: Vec<&str> = m
                .fields
                .products
                .iter()
                .filter_map(|p| self.gazetteer.vendor_of(p))
                .collect();
            for v in vendors {
                push_unique(&mut m.fields.companies, v);
            }
        }
        mentions
    }

    /// The last product list named in one of the `within` sentences before sentence `i`,
    /// the nearest first, with the index of its sentence ("these alternatives", "such
    /// systems" stand for it).
    fn products_named_before(
        &self,
        cache: &mut [Option<Typed>],
        sentences: &[Sentence<'_>],
        i: usize,
        within: usize,
        published: Option<NaiveDate>,
    ) -> Option<(usize, Vec<String>)> {
        (i.saturating_sub(within)..i).rev().find_map(|back| {
            let text = sentences.get(back).map_or("", |p| p.text);
            let prev = cached(cache, back, &self.gazetteer, text, published);
            let named = last_product_list(&prev.ann, &self.gazetteer);
            (!named.is_empty()).then_some((back, named))
        })
    }

    /// The fields of a hit: one set per named buyer (a sentence naming several buyers
    /// reports one order each; their shared quantity and value are the total, not theirs).
    fn fields_of(&self, hit: &Hit, ann: &Annotated, reference: Vec<String>) -> Vec<Fields> {
        let g = &self.gazetteer;
        let mut f = Fields::default();
        let mut buyers: Vec<String> = Vec::new();
        // Sellers named after the first ("tools from Applied Materials and Tokyo
        // Electron"): one order each, like buyers.
        let mut more_suppliers: Vec<String> = Vec::new();
        let mut parties: Vec<String> = Vec::new();
        if let Some(r) = hit.reference {
            for name in reference {
                match r.role {
                    Role::Buyer => buyers.push(name),
                    Role::Supplier => {
                        f.supplier.get_or_insert(name);
                    }
                    Role::Party => parties.push(name),
                    Role::Companies => push_unique(&mut f.companies, &name),
                    Role::Targets => push_unique(&mut f.targets, &name),
                    _ => {}
                }
            }
        }
        for arg in &hit.args {
            let Some(a) = ann.annotations.get(arg.ann) else {
                continue;
            };
            match (&a.value, arg.role) {
                (Value::Name(n), Role::Targets) => push_unique(&mut f.targets, n),
                // A name the gazetteer lacks, listed with one it knows ("to Audi and
                // Volkswagen").
                (Value::Name(n), Role::Buyer) => push_unique(&mut buyers, n),
                (Value::Name(n), Role::Party) => push_unique(&mut parties, n),
                // A model the gazetteer lacks, named before a chip noun.
                (Value::Name(n), Role::Product) if f.product.is_none() => {
                    f.product = Some(n.clone());
                }
                (Value::Name(n), Role::Companies) => push_unique(&mut f.companies, n),
                (
                    Value::Entity(e @ (EntityRef::Org(_) | EntityRef::Jurisdiction(_))),
                    Role::Buyer,
                ) => push_unique(&mut buyers, g.name(*e)),
                (Value::Entity(e @ EntityRef::Org(_)), Role::Supplier) => {
                    let name = g.name(*e);
                    match &f.supplier {
                        None => f.supplier = Some(name.to_string()),
                        Some(first) if first != name => push_unique(&mut more_suppliers, name),
                        Some(_) => {}
                    }
                }
                (Value::Entity(e @ EntityRef::Org(_)), Role::Party) => {
                    push_unique(&mut parties, g.name(*e))
                }
                (Value::Entity(e @ EntityRef::Product(_)), Role::Product) => {
                    let name = g.name(*e);
                    match (f.product.as_deref(), g.category_of(name)) {
                        // "AI chips" say chips are ordered, not which.
                        (_, Some("class")) => {}
                        (None, _) => f.product = Some(name.to_string()),
                        // "Instinct GPUs, starting with MI450 chips": the model wins.
                        (Some(family), _)
                            if g.category_of(family) == Some("family")
                                && g.vendor_of(family) == g.vendor_of(name) =>
                        {
                            f.product = Some(name.to_string());
                        }
                        _ => {}
                    }
                }
                (Value::Number(Some(n)), Role::Product)
                    if arg.quantity
                        && f.quantity.is_none()
                        && *n >= 1.0
                        && n.fract() == 0.0
                        && *n < 1e12 =>
                {
                    f.quantity = Some(*n as u64);
                }
                (Value::Money(Some(m)), Role::Value) if f.value.is_none() => {
                    f.value = Some(m.money.clone());
                    f.value_usd = m.usd;
                }
                (Value::Entity(e @ EntityRef::Jurisdiction(_)), Role::Authority) => {
                    f.authority.get_or_insert_with(|| g.name(*e).to_string());
                }
                (Value::Entity(e @ EntityRef::Agency(i)), Role::Authority) => {
                    // The most specific body named: a department gives way to its bureau
                    // ("the Commerce Department's BIS"); of two bodies acting together the
                    // first named leads ("MOFCOM and the General Administration of Customs").
                    if f.agency
                        .as_deref()
                        .is_none_or(|a| a.ends_with("Department"))
                    {
                        f.agency = Some(g.name(*e).to_string());
                    }
                    if let Some(j) = g.agency_jurisdiction(*i) {
                        f.authority = Some(j.to_string());
                    }
                }
                (
                    Value::Entity(e @ (EntityRef::Jurisdiction(_) | EntityRef::Org(_))),
                    Role::Targets,
                ) => {
                    push_unique(&mut f.targets, g.name(*e));
                }
                (Value::Entity(e @ EntityRef::Org(_)), Role::Companies) => {
                    push_unique(&mut f.companies, g.name(*e))
                }
                (Value::Date(Some(d)), Role::Delivery) => {
                    f.delivery.get_or_insert(*d);
                }
                (Value::Date(Some(d)), Role::Effective) => {
                    f.effective_adjunct.get_or_insert(*d);
                }
                (Value::Entity(e @ EntityRef::Product(_)), Role::Products) => {
                    push_unique(&mut f.products, g.name(*e))
                }
                _ => {}
            }
        }
        // A counterpart takes the side left open; counterparts alone split by who sells
        // further upstream (TSMC makes Nvidia's chips, ASML sells TSMC its tools).
        parties.retain(|p| !buyers.contains(p) && f.supplier.as_deref() != Some(p.as_str()));
        if !parties.is_empty() {
            if !buyers.is_empty() && f.supplier.is_none() {
                f.supplier = parties.first().cloned();
            } else if buyers.is_empty() && f.supplier.is_some() {
                buyers.extend(parties);
            } else if buyers.is_empty() && f.supplier.is_none() && upstream_sellers(g, &parties) {
                // "OpenAI signed deals with Samsung and SK Hynix": several sellers of the
                // same, most upstream kind each supply the rest.
                let top = parties.iter().map(|p| g.tier(p)).min().unwrap_or(u8::MAX);
                let (sellers, rest): (Vec<String>, Vec<String>) =
                    parties.drain(..).partition(|p| g.tier(p) == top);
                let mut sellers = sellers.into_iter();
                f.supplier = sellers.next();
                more_suppliers.extend(sellers);
                buyers.extend(rest);
            } else if buyers.is_empty() && f.supplier.is_none() {
                // The most upstream seller supplies; on a tie the one named first buys.
                let best = parties
                    .iter()
                    .enumerate()
                    .min_by_key(|(i, p)| (g.tier(p), std::cmp::Reverse(*i)))
                    .map(|(i, _)| i);
                if let Some(i) = best {
                    if parties.len() > 1 || g.tier(&parties[i]) < 5 {
                        f.supplier = Some(parties.remove(i));
                    }
                }
                buyers.extend(parties);
            }
        }
        if let Some(s) = &f.supplier {
            buyers.retain(|b| b != s);
        }
        if hit.kind == EventKind::ExportControl {
            if hit.action.is_none() {
                return Vec::new();
            }
            // A country does not control exports to itself: "US companies", "U.S. chips".
            if let Some(a) = &f.authority {
                f.targets.retain(|t| t != a);
            }
        }
        more_suppliers.retain(|s| !buyers.contains(s));
        let mut sellers: Vec<Option<String>> = vec![f.supplier.clone()];
        sellers.extend(more_suppliers.into_iter().map(Some));
        let shared = buyers.len() > 1 || sellers.len() > 1;
        let buyers: Vec<Option<String>> = if buyers.is_empty() {
            vec![None]
        } else {
            buyers.into_iter().map(Some).collect()
        };
        let mut out = Vec::new();
        for b in &buyers {
            for seller in &sellers {
                let mut one = f.clone();
                one.buyer = b.clone();
                one.supplier = seller.clone();
                // Figures shared by several parties are their total, unless they are
                // "each" one's ("will each install 50,000 GPUs").
                if shared && !hit.each {
                    one.quantity = None;
                    one.value = None;
                    one.value_usd = None;
                }
                out.push(one);
            }
        }
        out
    }

    /// An order with a buyer and no seller, in a sentence that names exactly one other
    /// company that sells chips ("Apple will purchase all the 3nm chips TSMC has to
    /// offer"): that company supplies, unless the product's maker says who does.
    fn seller_in_sentence(&self, t: &Typed, fields: &mut Fields, buyers: &[String]) {
        let g = &self.gazetteer;
        let Some(buyer) = fields.buyer.clone() else {
            return;
        };
        if fields.supplier.is_some()
            || fields
                .product
                .as_deref()
                .and_then(|p| g.vendor_of(p))
                .is_some()
        {
            return;
        }
        let mut sellers: Vec<String> = Vec::new();
        for tok in &t.toks {
            if let Tok::Ent(a, 'O') = tok {
                if let Some(Value::Entity(e @ EntityRef::Org(_))) =
                    t.ann.annotations.get(*a).map(|a| &a.value)
                {
                    let name = g.name(*e);
                    if name != buyer && !buyers.iter().any(|b| b == name) && g.tier(name) < 5 {
                        push_unique(&mut sellers, name);
                    }
                }
            }
        }
        if let [only] = sellers.as_slice() {
            fields.supplier = Some(only.clone());
        }
    }

    /// The organisations a reference stands for: for a plural description ("the two
    /// companies"), the latest list of organisations named together; otherwise one.
    fn resolve(
        &self,
        r: Reference,
        t: &Typed,
        cache: &mut [Option<Typed>],
        sentences: &[Sentence<'_>],
        i: usize,
        published: Option<NaiveDate>,
    ) -> Vec<String> {
        let word = t.toks.get(r.at).and_then(Tok::word);
        // "Alibaba and ByteDance told Nvidia that they ...": "they" stands for the latest
        // names given together, or else for one.
        let they = word == Some("they");
        let plural = word.is_some_and(|w| ORG_PLURALS.contains(&w));
        let g = &self.gazetteer;
        if they {
            if let Some(list) = org_list(t, r.at, g) {
                return list;
            }
        }
        if !plural {
            return self
                .resolve_one(r, t, cache, sentences, i, published)
                .into_iter()
                .collect();
        }
        if let Some(list) = org_list(t, r.at, g) {
            return list;
        }
        for j in (1..=4).filter_map(|b| i.checked_sub(b)) {
            let text = sentences.get(j).map_or("", |s| s.text);
            // Skipped unannotated when it names no organisation (nothing to find).
            if !g.names_org(text) {
                continue;
            }
            let prev = cached(cache, j, g, text, published);
            if let Some(list) = org_list(prev, prev.toks.len(), g) {
                return list;
            }
        }
        Vec::new()
    }

    /// The organisation a singular reference stands for: the nearest one named before it
    /// in its sentence, else the first one named as a subject in the closest earlier
    /// sentence that names one (a maker for "the chipmaker").
    fn resolve_one(
        &self,
        r: Reference,
        t: &Typed,
        cache: &mut [Option<Typed>],
        sentences: &[Sentence<'_>],
        i: usize,
        published: Option<NaiveDate>,
    ) -> Option<String> {
        let g = &self.gazetteer;
        let org_at = |typed: &Typed, k: usize| org_at(typed, k, g);
        let fits = |name: &str| !r.maker || g.is_maker(name);
        // "the French startup" stands for the company the article introduced as a startup
        // ("startup Mistral AI", "Mistral AI, a French startup"), wherever it stands.
        if let Some(noun) = t
            .toks
            .get(r.at)
            .and_then(Tok::word)
            .filter(|w| ORG_NOUNS.contains(w))
        {
            let here = introduced_as(t, noun, r.at, &org_at);
            let earlier = || {
                (1..=8).filter_map(|b| i.checked_sub(b)).find_map(|j| {
                    let text = sentences.get(j).map_or("", |s| s.text);
                    // Skipped unannotated when the noun cannot be one of its words.
                    if !may_hold_word(text, noun) {
                        return None;
                    }
                    let prev = cached(cache, j, g, text, published);
                    introduced_as(prev, noun, prev.toks.len(), &org_at)
                })
            };
            if let Some(name) = here.or_else(earlier).filter(|n| fits(n)) {
                return Some(name);
            }
        }
        // A pronoun stands for a subject, not a name governed by a preposition ("talks
        // with Nvidia on AI-RAN; it intends to buy").
        let pronoun = t
            .toks
            .get(r.at)
            .and_then(Tok::word)
            .is_some_and(|w| ORG_PRONOUNS.contains(&w));
        for k in (0..r.at).rev() {
            // A bracketed gloss ("Amazon Web Services (AWS)") repeats the name before it.
            let governed = pronoun
                && (k > 0 && t.toks.get(k - 1).is_some_and(|t| t.is_punct('('))
                    || after_preposition(t, k));
            if let Some(name) = org_at(t, k).filter(|n| fits(n) && !governed) {
                return Some(name);
            }
        }
        // Earlier sentences, nearest first; a headline-like opening ("The Chinese search
        // giant has bought ...") may name the company only in the next sentence.
        let order = (1..=4)
            .filter_map(|b| i.checked_sub(b))
            .chain(std::iter::once(i + 1).filter(|&n| n < sentences.len()));
        for j in order {
            let text = sentences.get(j).map_or("", |s| s.text);
            // Skipped unannotated when it names no organisation (nothing to find).
            if !g.names_org(text) {
                continue;
            }
            let prev = cached(cache, j, g, text, published);
            let first = (0..prev.toks.len())
                .find_map(|k| org_at(prev, k).filter(|n| fits(n) && !after_preposition(prev, k)));
            if first.is_some() {
                return first;
            }
        }
        None
    }

    fn apply_fillers(&self, settings: &KindSettings, ann: &Annotated, fields: &mut Fields) -> bool {
        let mut changed = false;
        // One set pass first: most fillers do not match, and their search is then skipped.
        let can_match = settings.filler_set.as_ref().map(|s| s.matches(&ann.typed));
        for (n, f) in settings.fillers.iter().enumerate() {
            if can_match.as_ref().is_some_and(|m| !m.matched(n)) {
                continue;
            }
            for caps in f.regex.captures_iter(&ann.typed) {
                changed |= f.bind(&caps, ann, &self.gazetteer, fields);
            }
        }
        changed
    }
}

/// The organisation last introduced with `noun` before token `end`: named right after it
/// ("startup Mistral AI") or followed by an apposition holding it ("Mistral AI, a French
/// startup").
fn introduced_as(
    t: &Typed,
    noun: &str,
    end: usize,
    org_at: &dyn Fn(&Typed, usize) -> Option<String>,
) -> Option<String> {
    let word_at = |k: usize| t.toks.get(k).and_then(Tok::word);
    let mut found = None;
    for k in 0..end.min(t.toks.len()) {
        if word_at(k) == Some(noun) {
            if let Some(name) = org_at(t, k + 1) {
                found = Some(name);
            }
        } else if let Some(name) = org_at(t, k) {
            let apposition = t.toks.get(k + 1).is_some_and(|p| p.is_punct(','))
                && (k + 2..(k + 8).min(end))
                    .take_while(|&j| matches!(t.toks.get(j), Some(Tok::Word(_) | Tok::Ent(_, 'J'))))
                    .any(|j| word_at(j) == Some(noun));
            if apposition {
                found = Some(name);
            }
        }
    }
    found
}

/// Whether a sentence may name its company only by a reference ("It will supply",
/// "the chipmaker has bought").
fn refers_to_company(text: &str) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        let nouns = ORG_NOUNS.join("|");
        regex::RegexBuilder::new(&format!(
            r"(?i)\b(?:it|they|the (?:[a-z-]+ ){{0,3}}(?:{nouns}))\b"
        ))
        .build()
        .ok()
    });
    re.as_ref().is_some_and(|r| r.is_match(text))
}

fn cached<'c>(
    cache: &'c mut [Option<Typed>],
    i: usize,
    g: &Gazetteer,
    text: &str,
    published: Option<NaiveDate>,
) -> &'c Typed {
    let slot = &mut cache[i];
    slot.get_or_insert_with(|| typed(g, text, published))
}

/// The mention an anaphoric sentence refers to: the latest one that can stand alone,
/// else the latest of the kind.
fn latest(mentions: &[Mention], kind: EventKind) -> Option<usize> {
    let of_kind = || {
        mentions
            .iter()
            .enumerate()
            .filter(|(_, m)| m.kind == kind && m.refers_to.is_none())
    };
    let standalone = of_kind()
        .filter(|(_, m)| {
            m.fields.product.is_some()
                || m.fields.quantity.is_some()
                || m.fields.value.is_some()
                || !m.fields.products.is_empty()
                || !m.fields.targets.is_empty()
        })
        .map(|(i, _)| i)
        .next_back();
    standalone.or_else(|| of_kind().map(|(i, _)| i).next_back())
}

/// The canonical name of the organisation at token `k`, if one the gazetteer knows stands
/// there.
fn org_at(t: &Typed, k: usize, g: &Gazetteer) -> Option<String> {
    match t.toks.get(k) {
        Some(Tok::Ent(a, 'O')) => match t.ann.annotations.get(*a).map(|a| &a.value) {
            Some(Value::Entity(e)) => Some(g.name(*e).to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The last list of two or more organisations named together before token `end` ("Alibaba,
/// Tencent and ByteDance", "Samsung as well as SK Hynix").
fn org_list(t: &Typed, end: usize, g: &Gazetteer) -> Option<Vec<String>> {
    let org = |k: usize| org_at(t, k, g);
    let joiner = |k: usize| match t.toks.get(k) {
        Some(Tok::Punct(',' | '&')) => true,
        Some(Tok::Word(w)) => matches!(w.as_str(), "and" | "as" | "well"),
        _ => false,
    };
    let mut best: Option<Vec<String>> = None;
    let mut k = 0;
    let end = end.min(t.toks.len());
    while k < end {
        let Some(first) = org(k) else {
            k += 1;
            continue;
        };
        let mut list = vec![first];
        let mut j = k + 1;
        loop {
            let mut gap = j;
            while gap < end && joiner(gap) {
                gap += 1;
            }
            match (gap > j, org(gap)) {
                (true, Some(name)) if gap < end => {
                    push_unique(&mut list, &name);
                    j = gap + 1;
                }
                _ => break,
            }
        }
        if list.len() >= 2 {
            best = Some(list);
        }
        k = j;
    }
    best
}

/// Whether a deal's parties hold two or more sellers of the same, most upstream kind
/// beside a party further downstream: those sellers stand on one side of the deal.
fn upstream_sellers(g: &Gazetteer, parties: &[String]) -> bool {
    let Some(top) = parties.iter().map(|p| g.tier(p)).min() else {
        return false;
    };
    let at_top = parties.iter().filter(|p| g.tier(p) == top).count();
    top < 5 && at_top >= 2 && at_top < parties.len()
}

/// Whether `text` names the US Entity List: "the Entity List", capitalised, not
/// another government's ("China's unreliable entity list", "its Entity List").
fn names_the_us_entity_list(text: &str) -> bool {
    text.match_indices("Entity List").any(|(at, _)| {
        let before = text[..at].trim_end();
        !before.ends_with("nreliable")
            && !before.ends_with("its")
            && !before.ends_with("their")
            && !before.ends_with("'s")
            && !before.ends_with("\u{2019}s")
    })
}

/// Whether the token before `k` is a preposition ("with Nvidia", "from SMIC"): a name it
/// governs is no subject, so no antecedent of a reference.
fn after_preposition(t: &Typed, k: usize) -> bool {
    k.checked_sub(1)
        .and_then(|p| t.toks.get(p))
        .and_then(Tok::word)
        .is_some_and(|w| {
            matches!(
                w,
                "from" | "to" | "with" | "by" | "for" | "of" | "on" | "at" | "against"
            )
        })
}
