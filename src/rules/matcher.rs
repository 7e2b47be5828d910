//! Rule patterns. This module owns the pattern language — a regex over the typed sentence
//! with typed slots `{name:type}` (captured), anonymous typed tokens `{type}` and the
//! `{gap}` macro (a few words with no organisation in them) — its compilation into one
//! `Regex` with named groups, done once at load, and reading a match back into slot
//! values (canonical names, numbers, money, dates).

use regex::{Captures, Regex, RegexBuilder};

use crate::model::{EventKind, Money, PartialDate};

use super::annotate::{Annotated, Value};
use super::gazetteer::{EntityRef, Gazetteer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotName {
    Buyer,
    Supplier,
    Product,
    Quantity,
    Value,
    Delivery,
    Authority,
    Agency,
    Targets,
    Products,
    Companies,
    Effective,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotType {
    Org,
    Orgs,
    Product,
    Products,
    ProductsRef,
    Number,
    Money,
    Date,
    Jurisdiction,
    Jurisdictions,
    Agency,
}

impl SlotName {
    fn parse(s: &str, kind: EventKind) -> Option<SlotName> {
        use SlotName::*;
        let name = match (kind, s) {
            (EventKind::ChipOrder, "buyer") => Buyer,
            (EventKind::ChipOrder, "supplier") => Supplier,
            (EventKind::ChipOrder, "product") => Product,
            (EventKind::ChipOrder, "quantity") => Quantity,
            (EventKind::ChipOrder, "value") => Value,
            (EventKind::ChipOrder, "delivery") => Delivery,
            (EventKind::ExportControl, "authority") => Authority,
            (EventKind::ExportControl, "agency") => Agency,
            (EventKind::ExportControl, "targets") => Targets,
            (EventKind::ExportControl, "products") => Products,
            (EventKind::ExportControl, "companies") => Companies,
            (EventKind::ExportControl, "effective") => Effective,
            _ => return None,
        };
        Some(name)
    }

    /// The slot types a slot accepts (a single value fits a list slot).
    fn accepts(self, ty: SlotType) -> bool {
        use SlotType as T;
        match self {
            SlotName::Buyer | SlotName::Supplier => ty == T::Org,
            SlotName::Product => ty == T::Product,
            SlotName::Quantity => ty == T::Number,
            SlotName::Value => ty == T::Money,
            SlotName::Delivery | SlotName::Effective => ty == T::Date,
            SlotName::Authority => ty == T::Jurisdiction,
            SlotName::Agency => ty == T::Agency,
            // A jurisdiction, or entities such as the companies put on the Entity List.
            SlotName::Targets => {
                matches!(ty, T::Jurisdiction | T::Jurisdictions | T::Org | T::Orgs)
            }
            SlotName::Products => matches!(ty, T::Product | T::Products | T::ProductsRef),
            SlotName::Companies => matches!(ty, T::Org | T::Orgs),
        }
    }
}

impl SlotType {
    fn parse(s: &str) -> Option<SlotType> {
        Some(match s {
            "org" => SlotType::Org,
            "orgs" => SlotType::Orgs,
            "product" => SlotType::Product,
            "products" => SlotType::Products,
            "products_ref" => SlotType::ProductsRef,
            "number" => SlotType::Number,
            "money" => SlotType::Money,
            "date" => SlotType::Date,
            "jurisdiction" => SlotType::Jurisdiction,
            "jurisdictions" => SlotType::Jurisdictions,
            "agency" => SlotType::Agency,
            _ => return None,
        })
    }

    /// The letter of the annotations this slot reads from its capture.
    fn letter(self) -> char {
        match self {
            SlotType::Org | SlotType::Orgs => 'O',
            SlotType::Product | SlotType::Products | SlotType::ProductsRef => 'P',
            SlotType::Number => 'N',
            SlotType::Money => 'M',
            SlotType::Date => 'D',
            SlotType::Jurisdiction | SlotType::Jurisdictions => 'J',
            SlotType::Agency => 'A',
        }
    }
}

/// `\b` and `\w` made ASCII-only (`(?-u:\b)`, `[[:word:]]`). Typed sentences always hold
/// non-ASCII placeholder characters, and a Unicode word boundary makes the regex crate's
/// lazy DFA give up on any non-ASCII text, so every pattern would run on the slow
/// engines; a Unicode `\w` is a class of hundreds of ranges that makes every pattern's
/// automaton (and its compile time) several times larger. For English rules the ASCII
/// forms mean the same.
pub fn ascii_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    // Depth of `[...]` classes (they nest in the regex crate's syntax).
    let mut class = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('b') if class == 0 => out.push_str(r"(?-u:\b)"),
                Some('B') if class == 0 => out.push_str(r"(?-u:\B)"),
                Some('w') if class == 0 => out.push_str("[[:word:]]"),
                Some('w') => out.push_str("[:word:]"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' => {
                class += 1;
                out.push(c);
                // `[]...]` and `[^]...]` start with a literal `]`.
                for lead in ['^', ']'] {
                    if chars.as_str().starts_with(lead) {
                        out.push(lead);
                        chars.next();
                    }
                }
            }
            ']' if class > 0 => {
                class -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn ph(letter: char) -> String {
    format!(r"\x{{E000}}{letter}[0-9]+\x{{E001}}")
}

fn list(item: &str) -> String {
    format!(r"{item}(?:(?:,? and |, |,? or |/| & ){item})*")
}

/// A vendor may precede a product ("Nvidia's A800", "Huawei 910B Ascend"), and so may a
/// word that grades it ("HBM2E and newer high-bandwidth memory").
fn product_item() -> String {
    format!(
        r"(?:{}(?:'s)? )?(?:(?:newer|older|earlier|later|advanced|more advanced|high-end|some|certain|its|their) )?{}",
        ph('O'),
        ph('P')
    )
}

/// The regex a typed token stands for. `refs` is the pack's product-reference alternation.
fn fragment(ty: SlotType, refs: &str) -> String {
    match ty {
        SlotType::Org => ph('O'),
        SlotType::Orgs => list(&ph('O')),
        SlotType::Product => product_item(),
        SlotType::Products => list(&product_item()),
        SlotType::ProductsRef => format!("(?:{refs})"),
        SlotType::Number => ph('N'),
        SlotType::Money => ph('M'),
        SlotType::Date => ph('D'),
        SlotType::Jurisdiction => ph('J'),
        // Targets often carry an article: "to the United States".
        SlotType::Jurisdictions => list(&format!("(?:the )?{}", ph('J'))),
        SlotType::Agency => format!(r"(?:(?:the )?{}(?:'s)? )?{}", ph('J'), ph('A')),
    }
}

/// A few words that name no organisation, so a slot before the gap binds the nearest one.
const GAP: &str = r"(?:[^\x{E000}]|\x{E000}[^O]){0,160}?";

/// One compiled pattern and the slots its groups bind.
#[derive(Debug)]
pub struct Pattern {
    pub regex: Regex,
    slots: Vec<(String, SlotName, SlotType)>,
}

/// Compiles `src` for `kind`. Errors say which slot or regex construct to fix.
pub fn compile(src: &str, kind: EventKind, refs: &[String]) -> Result<Pattern, String> {
    let refs_alt = refs.join("|");
    let mut out = String::from("(?i)");
    let mut slots = Vec::new();
    let mut rest = src;
    while let Some(open) = rest.find('{') {
        let escaped = rest[..open].ends_with('\\');
        let close = rest[open..].find('}').map(|c| open + c);
        let inner = close.map(|c| &rest[open + 1..c]);
        let is_slot = !escaped
            && inner.is_some_and(|i| {
                !i.is_empty()
                    && i.chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c == ':')
            });
        let (Some(close), Some(inner), true) = (close, inner, is_slot) else {
            // A regex repetition like `{1,3}` or an escaped brace: copy it through.
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            continue;
        };
        out.push_str(&rest[..open]);
        rest = &rest[close + 1..];
        // Placeholders start and end with non-word characters, so a word boundary right
        // next to one can never match; say so instead of silently never firing.
        if inner != "gap" && (out.ends_with(r"\b") || rest.starts_with(r"\b")) {
            return Err(format!(
                "`\\b` next to `{{{inner}}}` never matches (typed tokens are not words); remove it"
            ));
        }
        if inner == "gap" {
            out.push_str(GAP);
            continue;
        }
        let (name, ty) = match inner.split_once(':') {
            Some((n, t)) => (Some(n), t),
            None => (None, inner),
        };
        let ty = SlotType::parse(ty).ok_or_else(|| {
            format!("unknown slot type `{ty}` in `{{{inner}}}` (use org, orgs, product, products, products_ref, number, money, date, jurisdiction, jurisdictions, agency; or {{gap}})")
        })?;
        if ty == SlotType::ProductsRef && refs.is_empty() {
            return Err(format!(
                "`{{{inner}}}` needs `product_refs` in the [{kind}] section of some pack"
            ));
        }
        let frag = fragment(ty, &refs_alt);
        match name {
            None => out.push_str(&format!("(?:{frag})")),
            Some(n) => {
                let slot = SlotName::parse(n, kind).ok_or_else(|| {
                    format!("unknown slot `{n}` for a {kind} (see the slot list in config/rules/README.md)")
                })?;
                if !slot.accepts(ty) {
                    return Err(format!(
                        "slot `{n}` cannot hold a `{}` value",
                        inner.split(':').nth(1).unwrap_or("")
                    ));
                }
                // Group names must be unique in a regex; a slot may appear in several
                // alternatives, so number each occurrence.
                let group = format!("{n}__{}", slots.len());
                out.push_str(&format!("(?P<{group}>{frag})"));
                slots.push((group, slot, ty));
            }
        }
    }
    out.push_str(rest);
    let regex = RegexBuilder::new(&ascii_boundaries(&out))
        .size_limit(32 << 20)
        .build()
        .map_err(|e| format!("pattern does not compile: {e}"))?;
    Ok(Pattern { regex, slots })
}

/// Slot values of one mention, as canonical names and resolved values. For chip orders
/// only the first block is used, for export controls only the second.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields {
    pub buyer: Option<String>,
    pub supplier: Option<String>,
    pub product: Option<String>,
    pub quantity: Option<u64>,
    pub value: Option<Money>,
    /// The US-dollar figure the text states for `value` (the value itself when in USD).
    pub value_usd: Option<f64>,
    pub delivery: Option<PartialDate>,

    pub authority: Option<String>,
    pub agency: Option<String>,
    pub targets: Vec<String>,
    pub products: Vec<String>,
    pub companies: Vec<String>,
    pub effective: Option<PartialDate>,
    /// A date the control's verb carries ("imposed on December 2"): its effective date
    /// only when nothing says when it takes effect, and no reason to keep two reports
    /// of one control apart.
    pub effective_adjunct: Option<PartialDate>,
    /// The products slot said "these alternatives": resolved from the previous sentence.
    pub products_ref: bool,
}

/// Appends `value` unless present: lists keep first-mention order without duplicates.
pub fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

impl Fields {
    /// Whether the field named `name` (an event field name) holds a value.
    pub fn has(&self, name: &str) -> bool {
        match name {
            "buyer" => self.buyer.is_some(),
            "supplier" => self.supplier.is_some(),
            "product" => self.product.is_some(),
            "quantity" => self.quantity.is_some(),
            "value" => self.value.is_some(),
            "value_usd" => self.value_usd.is_some(),
            "delivery" => self.delivery.is_some(),
            "authority" => self.authority.is_some(),
            "agency" => self.agency.is_some(),
            "targets" => !self.targets.is_empty(),
            "products" => !self.products.is_empty(),
            "companies" => !self.companies.is_empty(),
            "effective" => self.effective.is_some(),
            _ => false,
        }
    }

    /// Sets every field still unset here from `other` (lists only when empty).
    pub fn complete_from(&mut self, other: &Fields) {
        fn opt<T: Clone>(a: &mut Option<T>, b: &Option<T>) {
            if a.is_none() {
                a.clone_from(b);
            }
        }
        fn list(a: &mut Vec<String>, b: &[String]) {
            if a.is_empty() {
                a.extend_from_slice(b);
            }
        }
        opt(&mut self.buyer, &other.buyer);
        opt(&mut self.supplier, &other.supplier);
        opt(&mut self.product, &other.product);
        opt(&mut self.quantity, &other.quantity);
        if self.value.is_none() && other.value.is_some() {
            self.value_usd = other.value_usd;
        }
        opt(&mut self.value, &other.value);
        opt(&mut self.delivery, &other.delivery);
        opt(&mut self.authority, &other.authority);
        opt(&mut self.agency, &other.agency);
        opt(&mut self.effective, &other.effective);
        opt(&mut self.effective_adjunct, &other.effective_adjunct);
        list(&mut self.targets, &other.targets);
        list(&mut self.products, &other.products);
        list(&mut self.companies, &other.companies);
    }
}

impl Pattern {
    /// Binds the captured slots into `fields`; a slot already set is kept (first wins).
    /// Returns whether any slot was newly set.
    pub fn bind(
        &self,
        caps: &Captures<'_>,
        ann: &Annotated,
        g: &Gazetteer,
        fields: &mut Fields,
    ) -> bool {
        let mut changed = false;
        for (group, slot, ty) in &self.slots {
            let Some(m) = caps.name(group) else { continue };
            if *ty == SlotType::ProductsRef {
                if fields.products.is_empty() && !fields.products_ref {
                    fields.products_ref = true;
                    changed = true;
                }
                continue;
            }
            let values: Vec<&Value> = ann
                .placeholders_in(m.start(), m.end())
                .into_iter()
                .map(|a| &a.value)
                .filter(|v| v.letter() == ty.letter())
                .collect();
            changed |= set_slot(*slot, &values, g, fields);
        }
        changed
    }
}

fn set_slot(slot: SlotName, values: &[&Value], g: &Gazetteer, f: &mut Fields) -> bool {
    let names = || -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in values {
            match v {
                Value::Entity(e) => push_unique(&mut out, g.name(*e)),
                Value::Name(n) => push_unique(&mut out, n),
                _ => {}
            }
        }
        out
    };
    // A single party (buyer, supplier, authority) must be a name the packs know.
    let first_name = || {
        values.iter().find_map(|v| match v {
            Value::Entity(e) => Some(g.name(*e).to_string()),
            _ => None,
        })
    };
    fn put<T>(target: &mut Option<T>, value: Option<T>) -> bool {
        if target.is_none() && value.is_some() {
            *target = value;
            true
        } else {
            false
        }
    }
    fn put_list(target: &mut Vec<String>, value: Vec<String>) -> bool {
        if target.is_empty() && !value.is_empty() {
            *target = value;
            true
        } else {
            false
        }
    }
    match slot {
        SlotName::Buyer => put(&mut f.buyer, first_name()),
        SlotName::Supplier => put(&mut f.supplier, first_name()),
        SlotName::Product => put(&mut f.product, first_name()),
        SlotName::Authority => put(&mut f.authority, first_name()),
        SlotName::Targets => put_list(&mut f.targets, names()),
        SlotName::Products => put_list(&mut f.products, names()),
        SlotName::Companies => put_list(&mut f.companies, names()),
        SlotName::Agency => {
            let agency = values.iter().find_map(|v| match v {
                Value::Entity(e @ EntityRef::Agency(_)) => Some(*e),
                _ => None,
            });
            let changed = put(&mut f.agency, agency.map(|a| g.name(a).to_string()));
            if let (Some(EntityRef::Agency(i)), None) = (agency, &f.authority) {
                f.authority = g.agency_jurisdiction(i).map(str::to_string);
            }
            changed
        }
        SlotName::Quantity => {
            let q = values.iter().find_map(|v| match v {
                Value::Number(Some(n)) if *n >= 1.0 && n.fract() == 0.0 => Some(*n as u64),
                _ => None,
            });
            put(&mut f.quantity, q)
        }
        SlotName::Value => {
            let Some(a) = values.iter().find_map(|v| match v {
                Value::Money(Some(a)) => Some(a.clone()),
                _ => None,
            }) else {
                return false;
            };
            if f.value.is_some() {
                return false;
            }
            f.value_usd = a.usd;
            put(&mut f.value, Some(a.money))
        }
        SlotName::Delivery | SlotName::Effective => {
            let d = values.iter().find_map(|v| match v {
                Value::Date(Some(d)) => Some(*d),
                _ => None,
            });
            let target = if slot == SlotName::Delivery {
                &mut f.delivery
            } else {
                &mut f.effective
            };
            put(target, d)
        }
    }
}

/// Product names of the last product list in a typed sentence ("the A800 and H800 chips").
pub fn last_product_list(ann: &Annotated, g: &Gazetteer) -> Vec<String> {
    static RE: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    let Some(re) = RE.get_or_init(|| Regex::new(&list(&product_item())).ok()) else {
        return Vec::new();
    };
    let Some(m) = re.find_iter(&ann.typed).last() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for a in ann.placeholders_in(m.start(), m.end()) {
        if let Value::Entity(e @ EntityRef::Product(_)) = a.value {
            push_unique(&mut out, g.name(e));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn compile_errors_name_the_problem() {
        let k = EventKind::ChipOrder;
        assert!(compile("{buyer:org} ordered", k, &[]).is_ok());
        assert!(compile("x{1,3} {org}{gap}\\{lit}", k, &[]).is_ok());
        let e = compile("{buyer:widget}", k, &[]).unwrap_err();
        assert!(e.contains("unknown slot type `widget`"), "{e}");
        let e = compile("{authority:jurisdiction}", k, &[]).unwrap_err();
        assert!(e.contains("unknown slot `authority`"), "{e}");
        let e = compile("{buyer:money}", k, &[]).unwrap_err();
        assert!(e.contains("cannot hold"), "{e}");
        let e = compile(r"\b{buyer:org} ordered", k, &[]).unwrap_err();
        assert!(e.contains("never matches"), "{e}");
        let e = compile("{buyer:org} (", k, &[]).unwrap_err();
        assert!(e.contains("does not compile"), "{e}");
        let e = compile("{products:products_ref}", EventKind::ExportControl, &[]).unwrap_err();
        assert!(e.contains("product_refs"), "{e}");
    }

    #[test]
    fn boundaries_and_word_classes_become_ascii() {
        assert_eq!(
            ascii_boundaries(r"\bfoo\w+[\w-]\\b[^\w]"),
            r"(?-u:\b)foo[[:word:]]+[[:word:]-]\\b[^[:word:]]"
        );
        assert!(Regex::new(&ascii_boundaries(r"(?i)\bsold [\w-]+\b")).is_ok());
    }

    #[test]
    fn a_slot_may_appear_in_several_alternatives() {
        let p = compile(
            "(?:{buyer:org} bought|{buyer:org} ordered)",
            EventKind::ChipOrder,
            &[],
        )
        .unwrap();
        assert_eq!(p.slots.len(), 2);
    }
}
