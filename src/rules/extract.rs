//! The per-sentence pass of extraction. This module owns walking an article's sentences:
//! the trigger prefilter (sentences with no trigger word are never annotated), annotating
//! lazily (the previous sentence only when "these alternatives" needs its products),
//! running the rules that can fire, completing their mentions with the kind's fillers,
//! and turning anaphoric sentences ("The order is worth ...") into fill-ins of the
//! latest mention. The result is the article's mentions in text order, for `assemble`.

use chrono::NaiveDate;

use crate::model::EventKind;
use crate::text::Sentence;

use super::annotate::{annotate, Annotated};
use super::assemble::Mention;
use super::gazetteer::Gazetteer;
use super::matcher::{last_product_list, push_unique, Fields};
use super::{kind_index, KindSettings, RuleSet};

impl RuleSet {
    /// The mentions of one article's sentences, in text order.
    pub(super) fn mentions(
        &self,
        sentences: &[Sentence<'_>],
        published: Option<NaiveDate>,
    ) -> Vec<Mention> {
        let mut cache: Vec<Option<Annotated>> = vec![None; sentences.len()];
        let mut mentions: Vec<Mention> = Vec::new();
        // Whether a mention of each kind was seen (anaphora need one to refer to).
        let mut seen = [false, false];
        for (i, s) in sentences.iter().enumerate() {
            let fired: Vec<usize> = self.prefilter.matches(s.text).into_iter().collect();
            // Anaphora are plain words, so the raw text decides whether annotating is needed.
            let can_refer = [EventKind::ChipOrder, EventKind::ExportControl]
                .iter()
                .any(|&k| {
                    seen[kind_index(k)]
                        && self.settings(k).anaphora.iter().any(|a| a.is_match(s.text))
                });
            if fired.is_empty() && !can_refer {
                continue;
            }
            // Taken out of the cache while in use (the previous sentence may be annotated
            // meanwhile) and put back for the next sentence's "these alternatives".
            let ann = cache
                .get_mut(i)
                .and_then(Option::take)
                .unwrap_or_else(|| annotate(&self.gazetteer, s.text, published));
            let hedged = self.hedges.as_ref().is_some_and(|h| h.is_match(&ann.typed));
            for kind in [EventKind::ChipOrder, EventKind::ExportControl] {
                let first_new = mentions.len();
                for &r in &fired {
                    let Some(rule) = self.rules.get(r).filter(|r| r.kind == kind) else {
                        continue;
                    };
                    for caps in rule.pattern.regex.captures_iter(&ann.typed) {
                        let Some(all) = caps.get(0) else { continue };
                        let negations = &self.settings(kind).negations;
                        if negations.iter().any(|n| n.is_match(all.as_str())) {
                            continue;
                        }
                        let mut fields = Fields::default();
                        rule.pattern.bind(&caps, &ann, &self.gazetteer, &mut fields);
                        let mut extra = Vec::new();
                        if fields.products_ref && i > 0 {
                            let prev = sentences.get(i - 1).map_or("", |p| p.text);
                            let prev_ann =
                                annotated(&mut cache, i - 1, &self.gazetteer, prev, published);
                            fields.products = last_product_list(prev_ann, &self.gazetteer);
                            if !fields.products.is_empty() {
                                extra.push(i - 1);
                            }
                        }
                        let older = self
                            .settings(kind)
                            .older
                            .iter()
                            .any(|o| o.is_match(all.as_str()));
                        mentions.push(Mention {
                            kind,
                            rule: rule.id.clone(),
                            confidence: rule.confidence,
                            sentence: i,
                            offset: all.start(),
                            hedged,
                            older,
                            status: rule.status,
                            action: rule.action,
                            fields,
                            extra_evidence: extra,
                            refers_to: None,
                        });
                    }
                }
                let settings = self.settings(kind);
                seen[kind_index(kind)] |= mentions.len() > first_new;
                if mentions.len() > first_new {
                    // Fillers complete what fired in this sentence (run once per sentence,
                    // not once per mention: a long sentence may hold many mentions).
                    let mut filled = Fields::default();
                    self.apply_fillers(settings, &ann, &mut filled);
                    for m in &mut mentions[first_new..] {
                        m.fields.complete_from(&filled);
                        // "..., including EUV systems": lists grow rather than stay as bound.
                        for p in &filled.products {
                            push_unique(&mut m.fields.products, p);
                        }
                        for c in &filled.companies {
                            push_unique(&mut m.fields.companies, c);
                        }
                    }
                } else if settings.anaphora.iter().any(|a| a.is_match(&ann.typed)) {
                    // "The order is worth ...": fills the latest event of the kind, when
                    // the sentence adds something.
                    let target = latest(&mentions, kind);
                    let mut fields = Fields::default();
                    if let (Some(target), true) =
                        (target, self.apply_fillers(settings, &ann, &mut fields))
                    {
                        mentions.push(Mention {
                            kind,
                            rule: String::new(),
                            confidence: 0.0,
                            sentence: i,
                            offset: 0,
                            hedged,
                            older: false,
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
                *slot = Some(ann);
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

    fn apply_fillers(&self, settings: &KindSettings, ann: &Annotated, fields: &mut Fields) -> bool {
        let mut changed = false;
        for f in &settings.fillers {
            for caps in f.regex.captures_iter(&ann.typed) {
                changed |= f.bind(&caps, ann, &self.gazetteer, fields);
            }
        }
        changed
    }
}

fn annotated<'c>(
    cache: &'c mut [Option<Annotated>],
    i: usize,
    g: &Gazetteer,
    text: &str,
    published: Option<NaiveDate>,
) -> &'c Annotated {
    let slot = &mut cache[i];
    slot.get_or_insert_with(|| annotate(g, text, published))
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
