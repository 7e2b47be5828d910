//! The gazetteer: canonical organisations, products, jurisdictions and agencies with their
//! aliases, and the scanner that finds them in a sentence. Matching is case-sensitive (so
//! "US" is not "us"), longest alias first, on word boundaries. Forms the packs should not
//! have to list are generated here: two-word product names in either order ("910B
//! Ascend"), a plural `s` on products ("H100s"), and any run of whitespace inside an alias.
//! A possessive ("Nvidia's") needs nothing: the apostrophe is already a boundary.

use crate::quick_hash::QuickMap;

use aho_corasick::{AhoCorasick, Input, MatchKind};

use super::pack::RawPack;
use super::RuleError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityRef {
    Org(usize),
    Product(usize),
    Jurisdiction(usize),
    Agency(usize),
}

#[derive(Debug, Clone)]
pub struct Product {
    pub name: String,
    pub vendor: Option<String>,
    /// `family` (a product line, when no model is named), `class` (a generic class of
    /// goods such as "advanced computing chips"), or a kind of chip.
    pub category: Option<String>,
    /// The pack that set the vendor, for error messages.
    declared_in: String,
}

#[derive(Debug, Clone)]
pub struct Agency {
    pub name: String,
    pub jurisdiction: Option<String>,
    declared_in: String,
}

/// A gazetteer hit: byte range within the scanned text and the entity.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub entity: EntityRef,
}

#[derive(Debug, Default)]
pub struct Gazetteer {
    pub orgs: Vec<String>,
    /// How far upstream each organisation sells (0 equipment .. 4 systems); absent for
    /// buyers. Parallel to `orgs`.
    supplies: QuickMap<String, u8>,
    /// The home jurisdiction of organisations that declare one.
    countries: QuickMap<String, String>,
    pub products: Vec<Product>,
    pub jurisdictions: Vec<String>,
    pub agencies: Vec<Agency>,
    /// Alias (whitespace collapsed to one space) → entity.
    lookup: QuickMap<String, EntityRef>,
    /// Where each alias was declared, for duplicate-alias errors.
    origin: QuickMap<String, String>,
    scanner: Option<Scanner>,
}

/// The compiled aliases: one Aho-Corasick automaton (thousands of literals cost a regex
/// engine far more) and the entity of each pattern.
#[derive(Debug)]
struct Scanner {
    automaton: AhoCorasick,
    entities: Vec<EntityRef>,
}

/// `text` with every whitespace run as one space, and the way back to byte offsets in
/// `text`. Most sentences need no change and borrow the text as it is.
struct Collapsed<'a> {
    text: std::borrow::Cow<'a, str>,
    /// Offset in the original text of each byte of the collapsed one (plus the end);
    /// empty when nothing was collapsed.
    offsets: Vec<usize>,
}

/// Whether `text` holds a whitespace run other than a single space, searched on bytes: an
/// ASCII whitespace byte other than the space (9..=13), two spaces in a row, or any
/// non-ASCII whitespace character (a space followed by any other whitespace holds one of
/// these). Non-ASCII whitespace (U+0085, U+00A0, U+1680, U+2000-U+205F, U+3000) starts with
/// one of the bytes 0xC2, 0xE1, 0xE2 or 0xE3, so only characters starting there are
/// decoded; the rest of the text, curly quotes and dashes aside, is never looked at twice.
fn needs_collapsing(text: &str) -> bool {
    let bytes = text.as_bytes();
    if memchr::memchr3(b'\t', b'\n', b'\r', bytes).is_some()
        || memchr::memchr2(0x0B, 0x0C, bytes).is_some()
        || memchr::memmem::find(bytes, b"  ").is_some()
    {
        return true;
    }
    if text.is_ascii() {
        return false;
    }
    let white_at = |at: usize| {
        text.get(at..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(char::is_whitespace)
    };
    memchr::memchr3_iter(0xC2, 0xE2, 0xE3, bytes).any(white_at)
        || memchr::memchr_iter(0xE1, bytes).any(white_at)
}

impl<'a> Collapsed<'a> {
    fn new(text: &'a str) -> Self {
        if !needs_collapsing(text) {
            return Collapsed {
                text: std::borrow::Cow::Borrowed(text),
                offsets: Vec::new(),
            };
        }
        let mut out = String::with_capacity(text.len());
        let mut offsets = Vec::with_capacity(text.len() + 1);
        let mut in_space = false;
        for (i, c) in text.char_indices() {
            if c.is_whitespace() {
                if !in_space {
                    out.push(' ');
                    offsets.push(i);
                }
                in_space = true;
                continue;
            }
            in_space = false;
            out.push(c);
            offsets.extend(std::iter::repeat_n(i, c.len_utf8()));
        }
        offsets.push(text.len());
        Collapsed {
            text: std::borrow::Cow::Owned(out),
            offsets,
        }
    }

    fn text(&self) -> &str {
        &self.text
    }

    /// The original offset where the character at collapsed offset `i` starts.
    fn start(&self, i: usize) -> usize {
        if self.offsets.is_empty() {
            return i;
        }
        self.offsets.get(i).copied().unwrap_or(i)
    }

    /// The original offset just past the character that ends at collapsed offset `i`
    /// (matches never end in a collapsed space: aliases do not end with one).
    fn end(&self, i: usize) -> usize {
        if self.offsets.is_empty() {
            return i;
        }
        let Some(c) = self.text.get(..i).and_then(|t| t.chars().next_back()) else {
            return self.start(i);
        };
        self.start(i - c.len_utf8()) + c.len_utf8()
    }
}

impl Gazetteer {
    /// Adds one pack's entries. An entry whose name already exists in the same section
    /// extends it (a later pack may add aliases); an alias already owned by another entity
    /// is an error, because a matcher cannot tell them apart.
    pub fn add_pack(&mut self, path: &str, pack: &RawPack) -> Result<(), RuleError> {
        for org in &pack.organisations {
            let id = index_of(&mut self.orgs, &org.name);
            if let Some(country) = &org.country {
                self.countries.insert(org.name.clone(), country.clone());
            }
            if let Some(what) = &org.supplies {
                let tier = match what.as_str() {
                    "equipment" => 0,
                    "foundry" => 1,
                    "memory" => 2,
                    "chips" => 3,
                    "systems" => 4,
                    other => {
                        return Err(RuleError::Entry {
                            path: path.to_string(),
                            entry: org.name.clone(),
                            message: format!("`supplies` = `{other}`; use equipment, foundry, memory, chips or systems"),
                        })
                    }
                };
                self.supplies.insert(org.name.clone(), tier);
            }
            self.add_aliases(path, &org.name, &org.aliases, EntityRef::Org(id), false)?;
        }
        for product in &pack.products {
            let id = match self.products.iter().position(|p| p.name == product.name) {
                Some(id) => {
                    if product.vendor.is_some() {
                        self.products[id].vendor.clone_from(&product.vendor);
                        self.products[id].declared_in = path.to_string();
                    }
                    if product.category.is_some() {
                        self.products[id].category.clone_from(&product.category);
                    }
                    id
                }
                None => {
                    self.products.push(Product {
                        name: product.name.clone(),
                        vendor: product.vendor.clone(),
                        category: product.category.clone(),
                        declared_in: path.to_string(),
                    });
                    self.products.len() - 1
                }
            };
            self.add_aliases(
                path,
                &product.name,
                &product.aliases,
                EntityRef::Product(id),
                true,
            )?;
        }
        for j in &pack.jurisdictions {
            let id = index_of(&mut self.jurisdictions, &j.name);
            self.add_aliases(
                path,
                &j.name,
                &j.aliases,
                EntityRef::Jurisdiction(id),
                false,
            )?;
        }
        for agency in &pack.agencies {
            let id = match self.agencies.iter().position(|a| a.name == agency.name) {
                Some(id) => id,
                None => {
                    self.agencies.push(Agency {
                        name: agency.name.clone(),
                        jurisdiction: agency.jurisdiction.clone(),
                        declared_in: path.to_string(),
                    });
                    self.agencies.len() - 1
                }
            };
            self.add_aliases(
                path,
                &agency.name,
                &agency.aliases,
                EntityRef::Agency(id),
                false,
            )?;
        }
        Ok(())
    }

    fn add_aliases(
        &mut self,
        path: &str,
        name: &str,
        aliases: &[String],
        entity: EntityRef,
        product: bool,
    ) -> Result<(), RuleError> {
        let mut forms: Vec<String> = Vec::new();
        for alias in std::iter::once(name).chain(aliases.iter().map(String::as_str)) {
            let words: Vec<&str> = alias.split_whitespace().collect();
            if words.is_empty() {
                return Err(RuleError::Entry {
                    path: path.to_string(),
                    entry: name.to_string(),
                    message: "empty alias; remove it".into(),
                });
            }
            forms.push(words.join(" "));
            // "Ascend 910B" is also written "910B Ascend".
            if product && words.len() == 2 {
                forms.push(format!("{} {}", words[1], words[0]));
            }
        }
        for form in forms {
            match self.lookup.get(&form) {
                Some(existing) if *existing != entity => {
                    let first = self.origin.get(&form).cloned().unwrap_or_default();
                    return Err(RuleError::Entry {
                        path: path.to_string(),
                        entry: name.to_string(),
                        message: format!(
                            "alias `{form}` is already used by {first}; give each alias to one entry"
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    self.origin
                        .insert(form.clone(), format!("`{name}` in {path}"));
                    self.lookup.insert(form, entity);
                }
            }
        }
        Ok(())
    }

    /// Checks cross references and compiles the scanner; call once after every pack.
    pub fn finish(&mut self) -> Result<(), RuleError> {
        for p in &self.products {
            if let Some(v) = &p.vendor {
                if !self.orgs.contains(v) {
                    return Err(RuleError::Entry {
                        path: p.declared_in.clone(),
                        entry: p.name.clone(),
                        message: format!("vendor `{v}` is not an organisation name in any pack"),
                    });
                }
            }
        }
        for a in &self.agencies {
            if let Some(j) = &a.jurisdiction {
                if !self.jurisdictions.contains(j) {
                    return Err(RuleError::Entry {
                        path: a.declared_in.clone(),
                        entry: a.name.clone(),
                        message: format!(
                            "jurisdiction `{j}` is not a jurisdiction name in any pack"
                        ),
                    });
                }
            }
        }
        if self.lookup.is_empty() {
            self.scanner = None;
            return Ok(());
        }
        // Every form the scanner looks for: the aliases, and plural forms of products
        // unless another entry owns that spelling.
        let mut forms: QuickMap<String, EntityRef> = QuickMap::default();
        for (alias, entity) in &self.lookup {
            if matches!(entity, EntityRef::Product(_)) {
                let plural = format!("{alias}s");
                if !self.lookup.contains_key(&plural) {
                    forms.insert(plural, *entity);
                }
            }
            forms.insert(alias.clone(), *entity);
        }
        // Companies written with their first word in capitals ("HANMI Semiconductor",
        // "HUMAIN"), as press releases and headlines do, unless another entry owns that
        // spelling.
        for (alias, entity) in &self.lookup {
            if !matches!(entity, EntityRef::Org(_)) {
                continue;
            }
            let (first, rest) = alias.split_once(' ').unwrap_or((alias.as_str(), ""));
            if first.chars().count() < 3 || !first.chars().any(|c| c.is_lowercase()) {
                continue;
            }
            let shouted = if rest.is_empty() {
                first.to_uppercase()
            } else {
                format!("{} {rest}", first.to_uppercase())
            };
            if !self.lookup.contains_key(&shouted) {
                forms.entry(shouted).or_insert(*entity);
            }
        }
        let mut forms: Vec<(String, EntityRef)> = forms.into_iter().collect();
        // Sorted so the automaton, like the version hash, does not depend on hash order.
        forms.sort_by(|a, b| a.0.cmp(&b.0));
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(forms.iter().map(|(f, _)| f.as_str()))
            .map_err(|e| RuleError::Entry {
                path: "(all packs)".into(),
                entry: "(all aliases)".into(),
                message: format!("aliases do not compile: {e}"),
            })?;
        self.scanner = Some(Scanner {
            automaton,
            entities: forms.into_iter().map(|(_, e)| e).collect(),
        });
        Ok(())
    }

    /// All entity mentions in `text`, left to right, not overlapping: at each position
    /// the longest alias that stands as whole words (no letter, digit or `_` touching it).
    pub fn scan(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.scan_until(text, |hit| {
            hits.push(hit);
            true
        });
        hits
    }

    /// The scan of `scan`, handing each hit to `more` until it returns false.
    fn scan_until(&self, text: &str, mut more: impl FnMut(Hit) -> bool) {
        let Some(scanner) = &self.scanner else {
            return;
        };
        // Aliases are stored with single spaces; any whitespace run in the text matches
        // one, so search a collapsed copy and map offsets back.
        let collapsed = Collapsed::new(text);
        let hay = collapsed.text();
        let mut pos = 0;
        while pos < hay.len() {
            let Some(m) = scanner.automaton.find(Input::new(hay).span(pos..hay.len())) else {
                break;
            };
            let (start, end) = (m.start(), m.end());
            let before = hay[..start].chars().next_back();
            let after = hay[end..].chars().next();
            let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            if is_word(before) || is_word(after) {
                // Not a whole word here; a shorter alias may still start one char later.
                pos = start + hay[start..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            if let Some(entity) = scanner.entities.get(m.pattern().as_usize()) {
                let hit = Hit {
                    start: collapsed.start(start),
                    end: collapsed.end(end),
                    entity: *entity,
                };
                if !more(hit) {
                    return;
                }
            }
            pos = end.max(pos + 1);
            while pos < hay.len() && !hay.is_char_boundary(pos) {
                pos += 1;
            }
        }
    }

    /// Whether `text` names any entity of the gazetteer (the scan stops at the first).
    pub fn names_something(&self, text: &str) -> bool {
        let mut found = false;
        self.scan_until(text, |_| {
            found = true;
            false
        });
        found
    }

    /// Whether `text` names an organisation of the gazetteer (the scan stops at the first):
    /// exactly when annotating it gives an organisation entity, since those come only from
    /// this scan.
    pub fn names_org(&self, text: &str) -> bool {
        let mut found = false;
        self.scan_until(text, |hit| {
            found = matches!(hit.entity, EntityRef::Org(_));
            !found
        });
        found
    }

    pub fn name(&self, entity: EntityRef) -> &str {
        let name = match entity {
            EntityRef::Org(i) => self.orgs.get(i),
            EntityRef::Product(i) => self.products.get(i).map(|p| &p.name),
            EntityRef::Jurisdiction(i) => self.jurisdictions.get(i),
            EntityRef::Agency(i) => self.agencies.get(i).map(|a| &a.name),
        };
        name.map_or("", String::as_str)
    }

    /// The vendor of the product with canonical name `product`.
    pub fn vendor_of(&self, product: &str) -> Option<&str> {
        self.products
            .iter()
            .find(|p| p.name == product)?
            .vendor
            .as_deref()
    }

    /// The jurisdiction an organisation is based in, when the packs say.
    pub fn country_of(&self, org: &str) -> Option<&str> {
        self.countries.get(org).map(String::as_str)
    }

    /// The category of the product with canonical name `product`.
    pub fn category_of(&self, product: &str) -> Option<&str> {
        self.products
            .iter()
            .find(|p| p.name == product)?
            .category
            .as_deref()
    }

    /// Whether the organisation makes some product of the gazetteer (it sells chips), which
    /// decides the side of a counterpart in a deal "between" two companies.
    pub fn is_maker(&self, org: &str) -> bool {
        self.supplies.contains_key(org)
            || self
                .products
                .iter()
                .any(|p| p.vendor.as_deref() == Some(org))
    }

    /// How far upstream an organisation sells: lower is further upstream (equipment 0,
    /// foundry 1, memory 2, chips 3, systems 4); buyers 5.
    pub fn tier(&self, org: &str) -> u8 {
        self.supplies
            .get(org)
            .copied()
            .unwrap_or(if self.is_maker_by_products(org) { 3 } else { 5 })
    }

    /// Whether the tier of `org` is stated (`supplies`), not guessed from its products.
    pub fn tier_is_stated(&self, org: &str) -> bool {
        self.supplies.contains_key(org)
    }

    fn is_maker_by_products(&self, org: &str) -> bool {
        self.products
            .iter()
            .any(|p| p.vendor.as_deref() == Some(org))
    }

    pub fn agency_jurisdiction(&self, agency: usize) -> Option<&str> {
        self.agencies.get(agency)?.jurisdiction.as_deref()
    }
}

/// The index of `name` in `list`, appended when new.
fn index_of(list: &mut Vec<String>, name: &str) -> usize {
    match list.iter().position(|x| x == name) {
        Some(i) => i,
        None => {
            list.push(name.to_string());
            list.len() - 1
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn gazetteer() -> Gazetteer {
        let pack: RawPack = toml::from_str(
            r#"
            [[organisations]]
            name = "Nvidia"
            aliases = ["NVIDIA"]
            [[organisations]]
            name = "Huawei"
            [[products]]
            name = "Ascend 910B"
            aliases = ["910B"]
            vendor = "Huawei"
            [[products]]
            name = "H100"
            vendor = "Nvidia"
            [[jurisdictions]]
            name = "United States"
            aliases = ["US", "U.S."]
            "#,
        )
        .unwrap();
        let mut g = Gazetteer::default();
        g.add_pack("test.toml", &pack).unwrap();
        g.finish().unwrap();
        g
    }

    fn names(g: &Gazetteer, text: &str) -> Vec<String> {
        g.scan(text)
            .iter()
            .map(|h| format!("{}={}", &text[h.start..h.end], g.name(h.entity)))
            .collect()
    }

    #[test]
    fn collapsing_is_needed_exactly_where_the_character_test_says() {
        // The test on characters that the byte searches replace.
        let by_chars = |text: &str| {
            text.char_indices().any(|(i, c)| {
                c.is_whitespace() && (c != ' ' || text[i + 1..].starts_with(char::is_whitespace))
            })
        };
        let pieces = [
            "a",
            "Nvidia",
            " ",
            "  ",
            "\t",
            "\n",
            "\r",
            "\u{b}",
            "\u{c}",
            "\u{85}",
            "\u{a0}",
            "\u{1680}",
            "\u{2000}",
            "\u{2009}",
            "\u{200a}",
            "\u{200b}",
            "\u{2028}",
            "\u{2029}",
            "\u{202f}",
            "\u{205f}",
            "\u{3000}",
            "\u{2019}",
            "\u{201c}",
            "\u{2014}",
            "\u{e9}",
            "\u{c2}",
            "\u{e1}",
            "\u{3001}",
            "\u{1f600}",
            ".",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..5_000 {
            let mut text = String::new();
            for _ in 0..(seed % 12) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            seed = seed.wrapping_add(0x2545_F491);
            assert_eq!(needs_collapsing(&text), by_chars(&text), "{text:?}");
        }
    }

    #[test]
    fn names_org_says_whether_the_scan_holds_an_organisation() {
        let g = gazetteer();
        for text in [
            "H100 chips for the US from Nvidia",
            "H100 chips for the US",
            "NVIDIA",
            "Ünvidia and Huaweis",
            "Huawei\u{a0}910B",
            "",
        ] {
            let orgs = g
                .scan(text)
                .iter()
                .any(|h| matches!(h.entity, EntityRef::Org(_)));
            assert_eq!(g.names_org(text), orgs, "{text}");
        }
        assert!(g.names_org("from Nvidia"));
        assert!(!g.names_org("the US and its H100s"));
    }

    #[test]
    fn ascii_text_is_collapsed_exactly_when_a_run_needs_it() {
        for text in [
            "one two",
            "one  two",
            "one\ttwo",
            "one\ntwo",
            "one \u{b}two",
            "end\u{c}",
            "\r",
            " lead",
            "trail ",
            "a b c",
            "",
            "x",
        ] {
            let needs = text.char_indices().any(|(i, c)| {
                c.is_whitespace() && (c != ' ' || text[i + 1..].starts_with(char::is_whitespace))
            });
            let collapsed = Collapsed::new(text);
            assert_eq!(!collapsed.offsets.is_empty(), needs, "{text:?}");
        }
    }

    #[test]
    fn scans_with_boundaries_case_and_variants() {
        let g = gazetteer();
        let cases: &[(&str, &[&str])] = &[
            (
                "Huawei 910B Ascend chips",
                &["Huawei=Huawei", "910B Ascend=Ascend 910B"],
            ),
            ("the Ascend  910B", &["Ascend  910B=Ascend 910B"]),
            ("Nvidia’s H100s", &["Nvidia=Nvidia", "H100s=H100"]),
            ("let us go to the US.", &["US=United States"]),
            ("the U.S. rules", &["U.S.=United States"]),
            ("AUS and USB and H1000", &[]),
            ("H100,H100", &["H100=H100", "H100=H100"]),
            (
                "Nvidia\u{a0}sells the\n  Ascend\t910B.",
                &["Nvidia=Nvidia", "Ascend\t910B=Ascend 910B"],
            ),
            ("Ünvidia H100x, ÉUS US", &["US=United States"]),
            ("", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(names(&g, text), *expected, "{text}");
        }
    }

    #[test]
    fn duplicate_alias_across_entries_is_an_error() {
        let pack: RawPack = toml::from_str(
            "[[organisations]]\nname = \"A\"\naliases = [\"X\"]\n[[jurisdictions]]\nname = \"X\"\n",
        )
        .unwrap();
        let mut g = Gazetteer::default();
        let err = g.add_pack("dup.toml", &pack).unwrap_err().to_string();
        assert!(err.contains("dup.toml") && err.contains("`X`"), "{err}");
    }
}
