//! Names the gazetteer does not know. This module owns recognising, in a sentence, runs of
//! capitalised words that look like the name of an organisation ("Sunway
//! Microelectronics", "Iris Energy Ltd.", "Pittsburgh Supercomputing Center"), so that a
//! buyer or a listed entity the packs never heard of still fills its slot. It rejects what
//! capitalisation alone would let in: sentence openers and other common words, people
//! (after a title, or a known first name), months and days, news outlets, laws and
//! programmes. The name it returns drops corporate suffixes ("Inc.", "Corp.").

use std::sync::OnceLock;

use regex::Regex;

use super::word_table::WordTable;

/// A name found at `start..end` of the sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub name: String,
}

fn span_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // A capitalised word (letters, digits, "&", "-", "." inside), then more of them,
    // possibly joined by "of", "for", "de" or "&" ("and" lists two names).
    #[allow(clippy::expect_used)] // a constant pattern: tested, cannot fail at run time
    RE.get_or_init(|| {
        Regex::new(r"\b[A-Z][A-Za-z0-9&'.-]*[A-Za-z0-9&]?(?:(?:\s+|\s+(?:of|for|de|&)\s+)[A-Z][A-Za-z0-9&'.-]*[A-Za-z0-9&]?){0,5}")
            .expect("name pattern compiles")
    })
}

/// Capitalised words that are not names on their own.
const COMMON: &str = "\
The A An In On At It Its This That These Those He She They We I You But And Or However
Meanwhile According After Before While As If When Under Over For With By From To Their
Our His Her Some Many Most All Both Each No Not Now Then Also Still Earlier Later Last
Next First Second Third One Two Three Analysts Officials Sources People Shares Investors
Experts Critics Industry Companies There Here What Why How Who Which Where Such Other
Another Despite Although Though Because Since Until Amid Among Without Within During
Through Including Following Separately Additionally Moreover Furthermore Instead Indeed
Yet So Thus Therefore Overall Chief Executive Officer President Vice Secretary Minister
Senator Representative Chairman Chairwoman Chair Director Spokesperson Spokesman
Spokeswoman CEO CFO CTO COO EVP SVP VP Mr Mrs Ms Dr Prof Professor Governor Premier
Prime Ambassador Deputy Assistant General Commerce Department Ministry Government
Administration Congress Senate House Parliament Cabinet Council Committee Court Federal
National State Treasury Trade Reuters Bloomberg AP AFP CNBC Nikkei Xinhua Yonhap Times
Journal News Daily Post Financial Street Wall Information Report Reports AI GPU GPUs CPU
CPUs HBM DRAM NAND EUV DUV IT HPC LLM TV PC PCs Q1 Q2 Q3 Q4 H1 H2 FY Inc Corp Co Ltd
Photo Image Credit Source Read More Related Subscribe Click Update Updated Editor
Editorial Note Advertisement Share Tweet Global Group Technology Technologies
Semiconductor Semiconductors Electronics Systems International Company Corporation
Limited Holdings Partners Capital Fund Bank University Institute Center Centre
Laboratory Lab Labs Cloud Data Networks Energy Power Motor Motors Mobile Telecom
Communications Agency Bureau Office Entity List Act Rule Rules Law Bill Order Program
Programme Initiative Project Summit Conference Forum Agreement Framework Strategy Plan
Policy Regulation Regulations Controls Export Exports Import Imports Sanctions Tariffs
Washington Beijing Tokyo Seoul Taipei Brussels London Paris Berlin Moscow Silicon Valley
Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
May June July August September October November December Jan Feb Mar Apr Jun Jul Aug Sep
Sept Oct Nov Dec Mr. Ms. Dr. Inc. Corp. Co. Ltd. Nasdaq NASDAQ NYSE Stock Exchange Index
Dow Jones Kospi Hang Seng Grace Hopper Blackwell Rubin Ampere Lovelace Ascend Instinct
Xeon EPYC Snapdragon Gaudi Series Model Models Version Generation Gen Ultra Pro Max Plus
Mini Chip Chips Artificial Intelligence Machine Learning Supercomputer Supercomputing
Computing Infrastructure Memory Foundry Market Markets Economy Economic Security Defense
Defence Military Science Research Development Innovation Digital Sovereign Hyperscale
Hyperscalers Top Big New Old Former Current Previous Recent Latest Key Major Leading
Largest Biggest Best Good Bad High Low Yes Alabama Alaska Arizona Arkansas California
Colorado Connecticut Delaware Florida Idaho Illinois Indiana Iowa Kansas Kentucky
Louisiana Maine Maryland Massachusetts Michigan Minnesota Mississippi Missouri Montana
Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont Virginia
Wisconsin Wyoming Carolina Dakota Hampshire Jersey York Mexico Austin Dallas Houston
Phoenix Chicago Seattle Boston Atlanta Denver Abilene Hsinchu Shenzhen Shanghai
Guangzhou Hangzhou Osaka Kyoto Singapore Dubai Riyadh Munich Frankfurt Amsterdam
Eindhoven Veldhoven Tainan Kaohsiung Pyeongtaek Icheon Yongin Johor Penang Telegraph
Guardian Economist Politico Axios Semafor Digitimes DigiTimes TrendForce Counterpoint
Gartner IDC Morgan Stanley Goldman Sachs Bernstein Jefferies Citi Citigroup UBS Barclays
Mizuho Nomura SemiAnalysis Verge Register Wired Fortune Forbes Barron's MarketWatch
Yahoo Benzinga Seeking Alpha Motley Fool Entities Updates Persons Person Nationals
Designated Specially Blocked Items Item Final Interim Section Part Supplement
Clarifications Amendments Revisions Changes Guidance Notice Notices GW MW GWh MWh TWh kW";

/// Words that end a name of a thing that is not an organisation.
const NOT_ORG_HEADS: &str = "\
Province State City County Region Prefecture Island Islands District Peninsula Bay River
Valley Mountain Coast Desert Finance Tribune Herald Gazette Telegraph Guardian Economist
Insider Wire Digest Magazine Radio Television Channel Network Act Rule Rules List Law
Bill Order Program Programme Initiative Summit Conference Forum Agreement Framework
Strategy Plan Policy Regulation Regulations Controls Day Week Year Prize Award Awards
Index Report Street Avenue Road Square Park Zone Chip Chips GPU GPUs Series Platform
Architecture";

/// Titles before a person's name.
const TITLES: &str = "\
CEO chief executive President president Secretary secretary Minister minister Senator
senator Rep. Representative Chairman chairman founder co-founder analyst Analyst Mr. Ms.
Mrs. Dr. Prof. spokesperson spokesman spokeswoman director Director officer head
Governor governor Premier premier Ambassador ambassador lawmaker Commissioner
commissioner CFO CTO COO EVP SVP VP leader Leader adviser advisor czar official partner
researcher economist strategist writer reporter editor professor Professor";

/// First names common in the trade press, so "Jensen Huang said" is a person.
const FIRST_NAMES: &str = "\
Jensen Donald Joe Gina Howard Elon Mark Sam Lisa Pat Tim Satya Sundar Jack Robin
Masayoshi Xi Li Wang Zhang Lee Kim Park Peter John David Michael Chris Christopher
Daniel Jonathan Jake Alan Matthew Thea Kevin Ren Eric Richard Robert William James Paul
Steve Stephen Bill Larry Jeff Andy Brad Dylan Ming-Chi Morris Mukesh Marco Kamala Barack
Antony Janet Katherine Lutnick Jamieson Dario Demis Mustafa Ilya Greg Mira Arvind Ginni
Charles Hock Jay Raimondo Lip-Bu Cristiano Young Yoon Lai Tsai Kishida Shigeru Fumio
Narendra Ursula Thierry Emmanuel Olaf Keir Rishi Mohammed Mohammad Mohamed Sheikh Prince
King Tan Liu Chen Zhao Huang Wu Sun Ma Hu Guo Yang Anna Maria Sarah Emily Jennifer Susan
Karen Nancy Laura Amy Alex Andrew Anthony Brian Colin Dan Dave Frank George Henry Ian
Jason Joseph Josh Justin Ken Martin Matt Mike Nick Patrick Ralph Ray Rob Ryan Scott
Simon Thomas Tom Tony Victor Will Timotheus Jean Pierre Luc Hans Klaus Christophe
Wendell Shou Tae-won Jae-yong Jae Kwak Noh Kyung";

/// Corporate suffixes dropped from a name.
const SUFFIXES: &str = "\
Inc. Inc Corp. Corp Corporation Co. Co Ltd. Ltd Limited LLC L.L.C. PLC plc AG SA S.A. NV
N.V. SE GmbH Pte Pty K.K. Bhd Berhad Co.,";

/// The word lists below as sets, built once.
struct Lists {
    common: WordTable,
    not_org_heads: WordTable,
    titles: WordTable,
    first_names: WordTable,
    suffixes: WordTable,
}

fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| Lists {
        common: COMMON.split_whitespace().collect(),
        not_org_heads: NOT_ORG_HEADS.split_whitespace().collect(),
        titles: TITLES.split_whitespace().collect(),
        first_names: FIRST_NAMES.split_whitespace().collect(),
        suffixes: SUFFIXES.split_whitespace().collect(),
    })
}

/// A word joining the parts of one name ("Bank of China"), as the span pattern allows.
fn is_joiner(word: &str) -> bool {
    matches!(word, "of" | "for" | "de" | "&")
}

/// The unknown organisation names in `sentence`, left to right.
pub fn find_names(sentence: &str) -> Vec<Found> {
    let l = lists();
    let mut out = Vec::new();
    for m in span_regex().find_iter(sentence) {
        let mut words: Vec<&str> = m.as_str().split_whitespace().collect();
        // Trailing joiners and punctuation are not part of the name.
        while words.last().is_some_and(|w| is_joiner(w) || *w == "and") {
            words.pop();
        }
        // A sentence opener glued to a name: "The Pittsburgh Supercomputing Center"; but
        // not the head of a name joined to the rest ("Texas Institute for Electronics",
        // "Bank of China").
        while words.len() > 1
            && words
                .first()
                .is_some_and(|w| l.common.contains(w) && !w.contains('&'))
            && !words.get(1).is_some_and(|w| is_joiner(w))
            && !words.get(2).is_some_and(|w| is_joiner(w))
        {
            words.remove(0);
        }
        let Some(first) = words.first() else { continue };
        let last = words.last().copied().unwrap_or("");
        let bare_last = last.trim_end_matches(['.', ',', '\'']);
        if words.len() == 1
            && (l.common.contains(first)
                || l.common.contains(first.trim_end_matches(['.', ',']))
                || first.len() < 2)
        {
            continue;
        }
        if words
            .iter()
            .all(|w| l.common.contains(w) || l.suffixes.contains(w))
        {
            continue;
        }
        if l.not_org_heads.contains(bare_last) {
            continue;
        }
        // Numbers and model codes ("H100", "Q3") are not organisations.
        if words.len() == 1 && first.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let Some(start_in_match) = m.as_str().find(first) else {
            continue;
        };
        let start = m.start() + start_in_match;
        // A single word opening the sentence is capitalised for that reason alone, and
        // an all-capitals word in brackets or after an exchange is a ticker.
        let before_text = sentence[..start].trim_end();
        let sentence_start =
            before_text.is_empty() || before_text.ends_with(['.', '"', '“', ':', '\n']);
        if words.len() == 1 && sentence_start && !first.chars().skip(1).any(|c| c.is_uppercase()) {
            continue;
        }
        if words.len() == 1
            && (before_text.ends_with('(') || before_text.ends_with(':'))
            && first.chars().all(|c| c.is_ascii_uppercase())
        {
            continue;
        }
        let text_end = {
            let Some(at) = m.as_str().rfind(last) else {
                continue;
            };
            m.start() + at + last.len()
        };
        // A person: "Jensen Huang", "CEO Lisa Su", "Commerce Secretary Howard Lutnick".
        let before = sentence[..start]
            .split_whitespace()
            .next_back()
            .unwrap_or("");
        if l.titles.contains(before) || l.first_names.contains(first) && words.len() <= 3 {
            continue;
        }
        // Possessive persons and outlets: "Huang's", handled by the first-name list; a
        // name in quotes is a product or a nickname more often than a company.
        let mut name_words: Vec<&str> = words.clone();
        while name_words.len() > 1 && name_words.last().is_some_and(|w| l.suffixes.contains(w)) {
            name_words.pop();
        }
        let name = name_words
            .join(" ")
            .trim_end_matches([',', '.'])
            .to_string();
        if name.len() < 2 {
            continue;
        }
        out.push(Found {
            start,
            end: text_end,
            name,
        });
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        find_names(s).into_iter().map(|f| f.name).collect()
    }

    #[test]
    fn a_name_joined_by_of_or_for_keeps_its_head() {
        assert_eq!(
            names("Canon will ship a system to the Texas Institute for Electronics."),
            ["Texas Institute for Electronics"]
        );
    }

    #[test]
    fn organisations_are_found_and_people_and_openers_are_not() {
        assert_eq!(
            names("The Pittsburgh Supercomputing Center purchased two CS-1 systems last year."),
            ["Pittsburgh Supercomputing Center"]
        );
        assert_eq!(
            names("BIS added Sunway Microelectronics and Phytium to the list."),
            ["BIS", "Sunway Microelectronics", "Phytium"]
        );
        assert_eq!(
            names("Iris Energy Ltd. said on Monday it had bought GPUs."),
            ["Iris Energy"]
        );
        assert!(names("CEO Jensen Huang said demand was strong.").is_empty());
        assert!(names("However, the Entity List now covers them.").is_empty());
        assert!(names("In March, analysts said H100 prices fell.").is_empty());
        assert!(names("The GAIN AI Act was dropped.").is_empty());
    }
}
