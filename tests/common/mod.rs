//! Helpers shared by the integration tests: the seed fixture site on a local wiremock
//! server, configs pointing at it, and a temporary database.

#![allow(dead_code)]

pub mod sites;

pub mod fault_server;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

// --- The `chipwatch` binary against a temporary config and database (ops, queries). ---

/// The `chipwatch` binary without what the caller's environment could change in what it
/// reads or prints: a config path, a log filter, or forced colour (clap's help and errors
/// honour `CLICOLOR_FORCE` even on a pipe).
pub fn chipwatch_binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chipwatch"));
    command
        .env_remove("CHIPWATCH_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("CLICOLOR_FORCE");
    command
}

/// A temporary folder with a config watching `feeds`; the database lives beside it.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Setup {
    pub fn new(feeds: &[(&str, String)], extra: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("chipwatch.toml");
        let text = format!("{}{extra}", test_config_text(dir.path(), feeds));
        std::fs::write(&config, text).unwrap();
        Setup { dir, config }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("chipwatch.db")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = chipwatch_binary();
        command
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        command
    }

    /// Runs to completion on a blocking thread (the mock server keeps serving meanwhile).
    pub async fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    pub fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

pub fn seed_feed(server: &wiremock::MockServer) -> Vec<(&'static str, String)> {
    vec![("seed", format!("{}/feed.xml", server.uri()))]
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn assert_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// Waits until the process `pid` holds the run lock of `db` (its pid is in the lock file).
pub async fn wait_for_lock(db: &Path, pid: u32) {
    let mut lock = db.as_os_str().to_owned();
    lock.push(".lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(holder) = std::fs::read_to_string(&lock) {
            if holder.trim() == pid.to_string() {
                return;
            }
        }
        assert!(Instant::now() < deadline, "pid {pid} never took the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for a child with a deadline; kills it and fails when it does not exit in time.
pub async fn wait_exit(mut child: Child, within: Duration) -> (Output, Duration) {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
                .await
                .unwrap();
            return (output, started.elapsed());
        }
        if started.elapsed() > within {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "process did not exit within {within:?}; stderr: {}",
                text(&output.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
