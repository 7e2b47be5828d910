//! Helpers shared by the integration tests: the seed fixture site on a local wiremock
//! server, configs pointing at it, and a temporary database.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chipwatch::config::Config;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const SEED_PATH: &str = "/news/2023/11/09/baidu-huawei-ascend-order";
pub const OTHER_PATH: &str = "/news/2023/11/08/tsmc-capacity";

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read_fixture(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// The seed text as the extractor must return it: without the dateline (first line) and
/// "Comments are closed." (last line), paragraphs separated by one blank line.
pub fn seed_article_text() -> String {
    let seed = read_fixture("seed/baidu-huawei-ascend-2023-11-09.txt");
    let paragraphs: Vec<&str> = seed
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    assert!(paragraphs[0].starts_with("Published on"));
    assert_eq!(*paragraphs.last().unwrap(), "Comments are closed.");
    paragraphs[1..paragraphs.len() - 1].join("\n\n")
}

/// Serves the seed site: the feed at /feed.xml and the two pages it links to.
pub async fn seed_site() -> MockServer {
    seed_site_with_delay(std::time::Duration::ZERO).await
}

/// The seed site with each article page answering after `delay` (for slow passes).
pub async fn seed_site_with_delay(delay: std::time::Duration) -> MockServer {
    let server = MockServer::start().await;
    let feed = read_fixture("seed/feed.xml").replace("{{BASE}}", &server.uri());
    Mock::given(method("GET"))
        .and(path("/feed.xml"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(feed, "application/rss+xml; charset=utf-8"),
        )
        .mount(&server)
        .await;
    for (route, file) in [
        (SEED_PATH, "seed/baidu-huawei-ascend.html"),
        (OTHER_PATH, "seed/tsmc-capacity.html"),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(read_fixture(file), "text/html; charset=utf-8")
                    .set_delay(delay),
            )
            .mount(&server)
            .await;
    }
    server
}

/// A config for tests: loopback allowed (the guard blocks it otherwise), no politeness
/// delay, no retries, the database in `dir`, and the given feeds as (name, url).
pub fn test_config_text(dir: &Path, feeds: &[(&str, String)]) -> String {
    let mut text = format!(
        "[database]\npath = {:?}\n[http]\nallow_private_addresses = true\nper_host_delay_ms = 0\nretries = 0\ntimeout_secs = 5\nconnect_timeout_secs = 2\n",
        dir.join("chipwatch.db")
    );
    for (name, url) in feeds {
        text.push_str(&format!("[[feeds]]\nname = {name:?}\nurl = {url:?}\n"));
    }
    text
}

pub fn test_config(dir: &Path, feeds: &[(&str, String)]) -> Config {
    let path = dir.join("chipwatch.toml");
    std::fs::write(&path, test_config_text(dir, feeds)).unwrap();
    Config::load(&path).unwrap()
}
