//! The extract stage from outside: the benchmark subset scored with the benchmark's own
//! metric, and golden pairs (`tests/fixtures/extract/<name>.html` → `<name>.json`, the
//! expected text and metadata) walked by one test, so a new case is two files.

use std::io::Read;
use std::path::Path;

use chipwatch::extract::extract_page;
use serde_json::{json, Value};

#[path = "../examples/extraction_benchmark/metric.rs"]
mod metric;

/// What the subset must score. The full corpus is measured by the example binary
/// (`docs/extraction.md`); the subset keeps a regression visible in `cargo test`.
const SUBSET_MIN_F1: f64 = 0.97;

#[test]
fn benchmark_subset_f1() {
    let dir = Path::new("tests/fixtures/extraction-benchmark");
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ground-truth.json")).unwrap())
            .unwrap();
    let mut scores = Vec::new();
    for (id, entry) in truth.as_object().unwrap() {
        let file = std::fs::File::open(dir.join("html").join(format!("{id}.html.gz"))).unwrap();
        let mut html = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut html)
            .unwrap();
        let url = entry["url"].as_str();
        let page = extract_page(&html, None, url);
        scores.push(metric::score_page(
            entry["articleBody"].as_str().unwrap(),
            &page.text,
        ));
    }
    assert_eq!(scores.len(), 21);
    let summary = metric::summarise(&scores);
    assert!(
        summary.f1 >= SUBSET_MIN_F1,
        "subset F1 {:.3} (P {:.3}, R {:.3}) below {SUBSET_MIN_F1}",
        summary.f1,
        summary.precision,
        summary.recall
    );
}

#[test]
fn metric_matches_the_benchmark_conventions() {
    let same = metric::score_page("one two three four five", "one two three four five");
    assert_eq!((same.precision(), same.recall()), (Some(1.0), Some(1.0)));
    // Two of three truth shingles found, one extra shingle predicted.
    let half = metric::score_page("a b c d e f", "a b c d e x");
    assert_eq!(half.precision(), Some(2.0 / 3.0));
    assert_eq!(half.recall(), Some(2.0 / 3.0));
    // An empty prediction counts for recall only.
    let empty = metric::score_page("a b c d", "");
    assert_eq!((empty.precision(), empty.recall()), (None, Some(0.0)));
    // Punctuation and layout do not matter, case does.
    let layout = metric::score_page("One, two.\nThree four", "One two three four");
    assert_eq!(layout.recall(), Some(0.0));
}

#[test]
fn golden_pages() {
    let dir = Path::new("tests/fixtures/extract");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "golden pages missing");
    let mut failures = Vec::new();
    for html_path in names {
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(html_path.with_extension("json")).unwrap(),
        )
        .unwrap();
        let page = extract_page(
            &std::fs::read(&html_path).unwrap(),
            None,
            expected["url"].as_str(),
        );
        let got = json!({
            "url": expected["url"],
            "title": page.title,
            "published": page.published.map(|p| p.to_string()),
            "author": page.author,
            "site": page.site,
            "lang": page.lang,
            "canonical_url": page.canonical_url,
            "text": page.text,
        });
        // Only the fields a case states are compared.
        for (field, want) in expected.as_object().unwrap() {
            if &got[field] != want {
                failures.push(format!(
                    "{}: {field}: expected {want}, got {}",
                    html_path.display(),
                    got[field]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
