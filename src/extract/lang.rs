//! A light language guess for pages that do not declare one: the share of very common
//! function words of each language among the first words of the text. It tells the
//! languages the rule packs may cover (and their neighbours) apart on article-length text;
//! it is not a general language identifier, and it answers `None` when unsure.

/// Words looked at; an article's opening is plenty, and the cost stays bounded.
const MAX_WORDS: usize = 400;

/// Fewer words than this say nothing reliable.
const MIN_WORDS: usize = 20;

/// The winner needs this share of the words looked at, and this many times the runner-up's
/// count.
const MIN_SHARE: f64 = 0.08;
const MIN_LEAD: f64 = 1.5;

/// Function words that are common in one language and rare in the others listed.
const STOPWORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "the", "and", "of", "to", "is", "that", "for", "it", "was", "with", "on", "as", "are",
            "this", "by", "be", "from", "have", "has", "said", "which", "will",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "und", "das", "ist", "nicht", "mit", "sich", "auf", "für", "ein", "eine",
            "den", "dem", "von", "zu", "auch", "sie", "es", "wird", "nach",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "et", "des", "est", "une", "du", "que", "qui", "dans", "pour",
            "pas", "sur", "au", "avec", "sont", "ce", "il", "aux", "mais",
        ],
    ),
    (
        "es",
        &[
            "el", "los", "las", "y", "que", "del", "en", "por", "una", "con", "para", "es", "se",
            "su", "al", "lo", "como", "más", "pero", "fue",
        ],
    ),
    (
        "pt",
        &[
            "o", "os", "as", "e", "que", "do", "da", "dos", "das", "em", "um", "uma", "para",
            "com", "não", "no", "na", "por", "mais", "foi", "ao",
        ],
    ),
    (
        "it",
        &[
            "il", "di", "che", "e", "la", "gli", "della", "del", "per", "un", "una", "non", "sono",
            "con", "anche", "nel", "alla", "è", "ha", "delle", "come",
        ],
    ),
    (
        "nl",
        &[
            "de", "het", "een", "en", "van", "is", "dat", "niet", "op", "voor", "met", "zijn",
            "ook", "aan", "er", "wordt", "bij", "naar", "nog", "maar",
        ],
    ),
];

/// The language of `text` as an ISO 639-1 code, when the function words make it clear.
pub(crate) fn detect(text: &str) -> Option<&'static str> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(str::to_lowercase)
        .collect();
    if words.len() < MIN_WORDS {
        return None;
    }
    let mut counts: Vec<(&'static str, usize)> = STOPWORDS
        .iter()
        .map(|(lang, list)| {
            let n = words.iter().filter(|w| list.contains(&w.as_str())).count();
            (*lang, n)
        })
        .collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    let (best, n) = counts[0];
    let runner_up = counts.get(1).map_or(0, |c| c.1);
    let share = n as f64 / words.len() as f64;
    (share >= MIN_SHARE && n as f64 >= MIN_LEAD * runner_up.max(1) as f64).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_languages_are_told_apart() {
        let cases = [
            ("en", "Baidu has ordered 1,600 Ascend 910B chips from Huawei, which the company said would be delivered by the end of the year, as the United States tightened its rules on exports to China."),
            ("de", "Die Bundesregierung hat am Dienstag mitgeteilt, dass sie die Ausfuhr von Maschinen für die Herstellung von Halbleitern nach China nicht mehr ohne Genehmigung erlauben wird, wie ein Sprecher sagte."),
            ("fr", "Le gouvernement a annoncé mardi que les exportations de machines pour la fabrication des semi-conducteurs vers la Chine seront soumises à une licence, selon un porte-parole qui ne veut pas être nommé dans la presse."),
            ("es", "El gobierno anunció el martes que las exportaciones de máquinas para la fabricación de chips a China necesitarán una licencia, según un portavoz que habló con los periodistas en la capital del país."),
            ("pt", "O governo anunciou na terça-feira que as exportações de máquinas para a fabricação de chips para a China vão precisar de uma licença, segundo um porta-voz que falou com os jornalistas na capital do país."),
        ];
        for (lang, text) in cases {
            assert_eq!(detect(text), Some(lang), "{text}");
        }
    }

    #[test]
    fn too_little_text_is_no_guess() {
        assert_eq!(detect("Nvidia H800"), None);
        assert_eq!(detect(""), None);
    }
}
