//! The gazetteer: canonical organisations, products, jurisdictions and agencies with their
//! aliases, and the scanner that finds them in a sentence. Matching is case-sensitive (so
//! "US" is not "us"), longest alias first, on word boundaries. Forms the packs should not
//! have to list are generated here: two-word product names in either order ("910B
//! Ascend"), a plural `s` on products ("H100s"), and any run of whitespace inside an alias.
//! A possessive ("Nvidia's") needs nothing: the apostrophe is already a boundary.

use std::collections::HashMap;

use regex::Regex;

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
    pub products: Vec<Product>,
    pub jurisdictions: Vec<String>,
    pub agencies: Vec<Agency>,
    /// Alias (whitespace collapsed to one space) → entity.
    lookup: HashMap<String, EntityRef>,
    /// Where each alias was declared, for duplicate-alias errors.
    origin: HashMap<String, String>,
    scanner: Option<Regex>,
}

impl Gazetteer {
    /// Adds one pack's entries. An entry whose name already exists in the same section
    /// extends it (a later pack may add aliases); an alias already owned by another entity
    /// is an error, because a matcher cannot tell them apart.
    pub fn add_pack(&mut self, path: &str, pack: &RawPack) -> Result<(), RuleError> {
        for org in &pack.organisations {
            let id = index_of(&mut self.orgs, &org.name);
            self.add_aliases(path, &org.name, &org.aliases, EntityRef::Org(id), false)?;
        }
        for product in &pack.products {
            let id = match self.products.iter().position(|p| p.name == product.name) {
                Some(id) => {
                    if product.vendor.is_some() {
                        self.products[id].vendor.clone_from(&product.vendor);
                        self.products[id].declared_in = path.to_string();
                    }
                    id
                }
                None => {
                    self.products.push(Product {
                        name: product.name.clone(),
                        vendor: product.vendor.clone(),
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
        let mut aliases: Vec<(&String, &EntityRef)> = self.lookup.iter().collect();
        // Longest first: the regex alternation is leftmost-first, so this makes it
        // leftmost-longest. Ties sorted by text for a deterministic regex.
        aliases.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
        let alternatives: Vec<String> = aliases
            .iter()
            .map(|(alias, entity)| {
                let body = alias
                    .split(' ')
                    .map(regex::escape)
                    .collect::<Vec<_>>()
                    .join(r"\s+");
                if matches!(entity, EntityRef::Product(_)) {
                    format!("{body}s?")
                } else {
                    body
                }
            })
            .collect();
        // The boundary characters sit outside group `m`; the trailing one is consumed but
        // the scan resumes at the end of `m`, so it can serve as the next leading one.
        let pattern = format!(
            r"(?:\A|[^\p{{L}}\p{{N}}_])(?P<m>{})(?:[^\p{{L}}\p{{N}}_]|\z)",
            alternatives.join("|")
        );
        let scanner = regex::RegexBuilder::new(&pattern)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| RuleError::Entry {
                path: "(all packs)".into(),
                entry: "(all aliases)".into(),
                message: format!("aliases do not compile: {e}"),
            })?;
        self.scanner = Some(scanner);
        Ok(())
    }

    /// All entity mentions in `text`, left to right, not overlapping.
    pub fn scan(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        let Some(scanner) = &self.scanner else {
            return hits;
        };
        let mut pos = 0;
        while pos <= text.len() {
            let Some(caps) = scanner.captures_at(text, pos) else {
                break;
            };
            let Some(m) = caps.name("m") else {
                break;
            };
            if let Some(entity) = self.resolve(m.as_str()) {
                hits.push(Hit {
                    start: m.start(),
                    end: m.end(),
                    entity,
                });
            }
            // Resume right after the alias; an empty match cannot happen (aliases are
            // non-empty) but guard against looping anyway.
            pos = if m.end() > pos { m.end() } else { pos + 1 };
            while pos < text.len() && !text.is_char_boundary(pos) {
                pos += 1;
            }
        }
        hits
    }

    fn resolve(&self, matched: &str) -> Option<EntityRef> {
        let form = matched.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some(e) = self.lookup.get(&form) {
            return Some(*e);
        }
        // The plural form generated for products.
        let singular = form.strip_suffix('s')?;
        match self.lookup.get(singular) {
            Some(e @ EntityRef::Product(_)) => Some(*e),
            _ => None,
        }
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
