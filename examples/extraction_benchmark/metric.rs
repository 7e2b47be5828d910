//! The article-extraction benchmark's score (scrapinghub/article-extraction-benchmark,
//! `evaluate.py`), reimplemented so that figures here compare with its published table:
//! texts become `\w+` tokens, tokens become overlapping 4-token shingles (a text of one to
//! three tokens is one short shingle), and each page's shingle multisets give true
//! positives, false positives and false negatives, normalised so that every page weighs
//! the same. Precision is averaged over pages with a non-empty prediction, recall over
//! pages with a non-empty truth, and F1 is the harmonic mean of the two averages.
//!
//! Shared by `examples/extraction_benchmark` and the subset test in `tests/extract.rs`.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

const SHINGLE: usize = 4;

#[allow(clippy::expect_used)] // a constant pattern
static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\w+").expect("valid pattern"));

/// One page's shingle counts, normalised to sum to 1 (all zero when both texts are empty).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageScore {
    pub tp: f64,
    pub fp: f64,
    pub fn_: f64,
}

impl PageScore {
    /// Precision of this page; `None` when the prediction was empty.
    pub fn precision(&self) -> Option<f64> {
        (self.tp + self.fp > 0.0).then(|| ratio(self.tp, self.fp, self.fn_, self.fp))
    }

    /// Recall of this page; `None` when the truth was empty.
    pub fn recall(&self) -> Option<f64> {
        (self.tp + self.fn_ > 0.0).then(|| ratio(self.tp, self.fp, self.fn_, self.fn_))
    }
}

/// tp / (tp + miss), with the benchmark's conventions for the degenerate cases.
fn ratio(tp: f64, fp: f64, fn_: f64, miss: f64) -> f64 {
    if fp == 0.0 && fn_ == 0.0 {
        1.0
    } else if tp == 0.0 && miss == 0.0 {
        0.0
    } else {
        tp / (tp + miss)
    }
}

fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    let tokens: Vec<&str> = TOKEN.find_iter(text).map(|m| m.as_str()).collect();
    let mut counts = HashMap::new();
    if tokens.is_empty() {
        return counts;
    }
    let n = tokens.len().saturating_sub(SHINGLE - 1).max(1);
    for i in 0..n {
        let end = (i + SHINGLE).min(tokens.len());
        *counts.entry(tokens[i..end].to_vec()).or_insert(0) += 1;
    }
    counts
}

/// Scores one predicted text against its annotated truth.
pub fn score_page(truth: &str, predicted: &str) -> PageScore {
    let truth = shingles(truth);
    let predicted = shingles(predicted);
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (shingle, &t) in &truth {
        let p = predicted.get(shingle).copied().unwrap_or(0);
        tp += t.min(p);
        fn_ += t.saturating_sub(p);
    }
    for (shingle, &p) in &predicted {
        let t = truth.get(shingle).copied().unwrap_or(0);
        fp += p.saturating_sub(t);
    }
    let sum = (tp + fp + fn_) as f64;
    if sum == 0.0 {
        return PageScore {
            tp: 0.0,
            fp: 0.0,
            fn_: 0.0,
        };
    }
    PageScore {
        tp: tp as f64 / sum,
        fp: fp as f64 / sum,
        fn_: fn_ as f64 / sum,
    }
}

/// Averaged precision and recall over pages, and their harmonic mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

pub fn summarise(pages: &[PageScore]) -> Summary {
    let mean = |values: Vec<f64>| {
        if values.is_empty() {
            0.0
        } else {
            values.iter().sum::<f64>() / values.len() as f64
        }
    };
    let precision = mean(pages.iter().filter_map(PageScore::precision).collect());
    let recall = mean(pages.iter().filter_map(PageScore::recall).collect());
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Summary {
        precision,
        recall,
        f1,
    }
}
