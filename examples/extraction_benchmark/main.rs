//! Runs the extractor over an article-extraction benchmark directory (`ground-truth.json`
//! and `html/<id>.html.gz`, the layout of scrapinghub/article-extraction-benchmark) and
//! prints precision, recall and F1 with the benchmark's metric, and the median time per
//! page (decoding, parsing and extraction; not reading or gunzipping the file).
//!
//! ```sh
//! cargo run --release --example extraction_benchmark                 # the bundled subset
//! cargo run --release --example extraction_benchmark -- /path/to/article-extraction-benchmark
//! cargo run --release --example extraction_benchmark -- DIR --worst 10 --dump out/
//! ```
//! `--worst N` lists the N lowest-scoring pages; `--dump DIR` writes each prediction to
//! `DIR/<id>.txt` and its metadata to `DIR/<id>.meta` (for comparing two versions); `--floor` also times html5ever parsing alone on the same pages (the
//! part of the work no scraper-based extractor can avoid) and prints its median.

mod metric;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::Value;

const DEFAULT_DIR: &str = "tests/fixtures/extraction-benchmark";

fn main() -> anyhow::Result<()> {
    let mut dir = PathBuf::from(DEFAULT_DIR);
    let mut worst = 0usize;
    let mut dump: Option<PathBuf> = None;
    let mut floor = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--worst" => worst = args.next().context("--worst N")?.parse()?,
            "--dump" => dump = Some(args.next().context("--dump DIR")?.into()),
            "--floor" => floor = true,
            _ if arg.starts_with("--") => bail!("unknown option {arg}"),
            _ => dir = arg.into(),
        }
    }
    let truth = load_truth(&dir)?;
    if let Some(d) = &dump {
        std::fs::create_dir_all(d)?;
    }
    let mut scores = Vec::new();
    let mut times = Vec::new();
    let mut rows = Vec::new();
    let mut parse_times = Vec::new();
    for (id, body, url) in &truth {
        let html = read_page(&dir, id)?;
        if floor {
            let start = Instant::now();
            let text = String::from_utf8_lossy(&html);
            let doc = scraper::Html::parse_document(&text);
            std::hint::black_box(&doc);
            drop(doc);
            parse_times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        let start = Instant::now();
        let page = chipwatch::extract::extract_page(&html, None, Some(url));
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        let score = metric::score_page(body, &page.text);
        if let Some(d) = &dump {
            std::fs::write(d.join(format!("{id}.txt")), &page.text)?;
            let meta = chipwatch::extract::ExtractedPage {
                text: String::new(),
                ..page.clone()
            };
            std::fs::write(d.join(format!("{id}.meta")), format!("{meta:#?}\n"))?;
        }
        rows.push((score, id.clone(), url.clone()));
        scores.push(score);
    }
    let summary = metric::summarise(&scores);
    let median = median_of(&mut times);
    rows.sort_by(|a, b| f1_of(&a.0).total_cmp(&f1_of(&b.0)));
    for (score, id, url) in rows.iter().take(worst) {
        println!(
            "{:.3} P {:.3} R {:.3} {} {}",
            f1_of(score),
            score.precision().unwrap_or(0.0),
            score.recall().unwrap_or(0.0),
            &id[..12],
            url
        );
    }
    println!(
        "pages {}  precision {:.3}  recall {:.3}  F1 {:.3}  median {:.2} ms/page",
        scores.len(),
        summary.precision,
        summary.recall,
        summary.f1,
        median
    );
    if floor {
        println!(
            "html5ever parse alone: median {:.2} ms/page",
            median_of(&mut parse_times)
        );
    }
    Ok(())
}

fn median_of(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(0.0)
}

fn f1_of(score: &metric::PageScore) -> f64 {
    let p = score.precision().unwrap_or(0.0);
    let r = score.recall().unwrap_or(0.0);
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

/// (id, article body, url) for every page, sorted by id.
fn load_truth(dir: &Path) -> anyhow::Result<Vec<(String, String, String)>> {
    let path = dir.join("ground-truth.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let json: Value = serde_json::from_str(&text)?;
    let Value::Object(map) = json else {
        bail!("{}: not a JSON object", path.display());
    };
    let mut pages: Vec<(String, String, String)> = map
        .into_iter()
        .map(|(id, v)| {
            let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            (id, field("articleBody"), field("url"))
        })
        .collect();
    pages.sort();
    Ok(pages)
}

fn read_page(dir: &Path, id: &str) -> anyhow::Result<Vec<u8>> {
    let path = dir.join("html").join(format!("{id}.html.gz"));
    let file =
        std::fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut html = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut html)?;
    Ok(html)
}
