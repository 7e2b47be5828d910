//! Tests of the extract stage as a whole: the seed pages, one test per metadata source and
//! per boilerplate family, legacy encodings and hostile input. Unit tests of a single
//! helper live next to it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod boilerplate;
mod encoding;
mod metadata;
mod robustness;
mod seed;

use super::{extract_page, ExtractedPage};

/// Extracts a page given as a string, without HTTP charset or URL.
fn page(html: &str) -> ExtractedPage {
    extract_page(html.as_bytes(), None, None)
}

/// Wraps article paragraphs in a minimal page so a test can add one piece of markup.
fn article_page(head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head>{head}</head><body><article>\
         <p>Samsung Electronics said on Tuesday it would raise output of high-bandwidth memory next year.</p>\
         {body}\
         <p>The company did not say how much it would spend on the new lines in Pyeongtaek.</p>\
         </article></body></html>"
    )
}

const FIRST: &str =
    "Samsung Electronics said on Tuesday it would raise output of high-bandwidth memory next year.";
const LAST: &str =
    "The company did not say how much it would spend on the new lines in Pyeongtaek.";
