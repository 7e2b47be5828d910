//! Speed of the rule stage (issue 3): compiling the shipped packs, and matching over
//! article text — the evaluation corpus (articles that match) mixed with long articles
//! that mention chips but hold no trigger word, as most of a news feed does. Throughput
//! is reported in bytes of article text per second.

use std::hint::black_box;
use std::path::Path;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use chipwatch::rules::RuleSet;

/// The `.txt` files of the evaluation corpus: real-looking news that does match.
fn matching_articles() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval");
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "txt") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.push(text);
                }
            }
        }
    }
    out.sort();
    out
}

/// A long article about the chip industry with no trigger word in it.
fn quiet_article(seed: usize) -> String {
    let sentences = [
        "Analysts at several brokerages raised their forecasts for the memory market this week.",
        "The company's shares rose 3.2% in Taipei after its quarterly results beat estimates.",
        "Engineers at the Hsinchu campus have been working on a new packaging technology.",
        "Executives said demand from data centres remained strong through the summer.",
        "The chipmaker's chief executive spoke at a conference in San Francisco on Tuesday.",
        "Investors are watching whether smartphone sales recover in the second half.",
        "Nvidia and AMD are both expected to present new products at the trade show.",
        "The industry association published its annual report on research spending.",
    ];
    let mut text = String::new();
    for i in 0..400 {
        text.push_str(sentences[(i * 7 + seed) % sentences.len()]);
        text.push(if i % 5 == 4 { '\n' } else { ' ' });
        if i % 5 == 4 {
            text.push('\n');
        }
    }
    text
}

fn bench(c: &mut Criterion) {
    c.bench_function("compile shipped packs", |b| {
        b.iter(|| black_box(RuleSet::embedded().ok()))
    });

    let rules = match RuleSet::embedded() {
        Ok(r) => r,
        Err(e) => panic!("shipped packs do not compile: {e}"),
    };
    let published = NaiveDate::from_ymd_opt(2024, 6, 1);

    let matching = matching_articles();
    let quiet: Vec<String> = (0..8).map(quiet_article).collect();
    // A feed's mix: every matching article once, the quiet ones making up most bytes.
    let mixed: Vec<&String> = matching.iter().chain(quiet.iter()).collect();

    for (name, set) in [
        ("match: eval corpus", matching.iter().collect::<Vec<_>>()),
        ("match: no trigger words", quiet.iter().collect()),
        ("match: mixed", mixed),
    ] {
        let bytes: usize = set.iter().map(|t| t.len()).sum();
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function("extract_events", |b| {
            b.iter(|| {
                for text in &set {
                    black_box(rules.extract_events(text, published));
                }
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
