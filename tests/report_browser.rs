//! The report in a real browser: headless Chromium, driven over the DevTools protocol,
//! opens the report of `report::two_years_of_stories` at desktop and phone widths and
//! measures it (no console errors, no request to any other host, the timeline drawn with
//! every mark inside the chart area, no sideways scrolling of the page), with scripts
//! disabled and for print too. Screenshots go to
//! `target/tmp/report-browser/` and stay there for a look when something fails.
//!
//! Chromium is found as `$CHIPWATCH_CHROMIUM`, else `chromium`, `chromium-browser`,
//! `google-chrome` on PATH. Without one the test is skipped with a loud message, except
//! when `CHIPWATCH_REQUIRE_BROWSER` is set (`.ci/run` sets it): then it fails. See:
//! issue 13.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::report::{two_years_of_stories, write_report};

/// How long one DevTools call or page load may take on a busy two-core machine.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHIPWATCH_CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// One headless Chromium with a fresh profile, and a DevTools connection to it.
struct Browser {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Events received while waiting for answers, not yet looked at.
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn launch(executable: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(executable)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", executable.display()));
        // Chromium writes its DevTools port and browser path here once it listens.
        let active = profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + CALL_TIMEOUT;
        let (port, path) = loop {
            if let Ok(text) = std::fs::read_to_string(&active) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    break (port.trim().to_string(), path.trim().to_string());
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "{} exited with {status} before listening",
                    executable.display()
                );
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{} did not open its DevTools port", executable.display());
            }
            // A plain test thread, no runtime: polling for Chromium's file.
            #[allow(clippy::disallowed_methods)]
            std::thread::sleep(Duration::from_millis(50));
        };
        let (socket, _) = tungstenite::connect(format!("ws://127.0.0.1:{port}{path}"))
            .unwrap_or_else(|e| panic!("cannot connect to Chromium's DevTools: {e}"));
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
        }
        Browser {
            child,
            socket,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        }
    }

    /// The next message from Chromium, or `None` when none came for a moment.
    fn receive(&mut self) -> Option<Value> {
        match self.socket.read() {
            Ok(Message::Text(text)) => Some(serde_json::from_str(text.as_str()).unwrap()),
            Ok(_) => None,
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                None
            }
            Err(e) => panic!("DevTools connection failed: {e}"),
        }
    }

    /// Sends a command (to a page's session when given) and returns its result.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let reply = self.call_for_reply(session, method, params);
        assert!(reply["error"].is_null(), "{method}: {}", reply["error"]);
        reply["result"].clone()
    }

    /// Sends a command and returns Chromium's whole reply, an error included.
    fn call_for_reply(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::Text(message.to_string().into()))
            .unwrap();
        let deadline = Instant::now() + CALL_TIMEOUT;
        while Instant::now() < deadline {
            let Some(reply) = self.receive() else {
                continue;
            };
            if reply["id"] == json!(id) {
                return reply;
            }
            self.events.push(reply);
        }
        panic!("{method}: no answer within {CALL_TIMEOUT:?}");
    }

    /// Waits for an event of `method` on `session`.
    fn wait_for(&mut self, session: &str, method: &str) -> Value {
        let deadline = Instant::now() + CALL_TIMEOUT;
        loop {
            if let Some(i) = self
                .events
                .iter()
                .position(|e| e["method"] == method && e["sessionId"] == session)
            {
                return self.events.remove(i);
            }
            assert!(
                Instant::now() < deadline,
                "no {method} within {CALL_TIMEOUT:?}"
            );
            if let Some(event) = self.receive() {
                self.events.push(event);
            }
        }
    }

    /// Evaluates `expression` in the page and returns its value.
    fn evaluate(&mut self, session: &str, expression: &str) -> Value {
        let result = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(
            result["exceptionDetails"].is_null(),
            "{expression}: {}",
            result["exceptionDetails"]
        );
        result["result"]["value"].clone()
    }

    /// A new tab with the page events on, sized `width` × `height` CSS pixels.
    fn open(&mut self, width: u32, height: u32, scripts: bool, media: &str) -> String {
        let target = self.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        let session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in ["Page", "Runtime", "Log", "Network"] {
            self.call(Some(&session), &format!("{domain}.enable"), json!({}));
        }
        self.call(
            Some(&session),
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        );
        self.call(
            Some(&session),
            "Emulation.setScriptExecutionDisabled",
            json!({"value": !scripts}),
        );
        self.call(
            Some(&session),
            "Emulation.setEmulatedMedia",
            json!({"media": media}),
        );
        session
    }

    /// Navigates to `url` and waits until that document has loaded. A load event alone
    /// is not proof: the new tab's own about:blank may fire one late, on a slow machine
    /// after `Page.enable`, so the page is asked what it shows.
    fn load(&mut self, session: &str, url: &str) {
        self.call(Some(session), "Page.navigate", json!({"url": url}));
        assert!(url.starts_with("file:"), "{url}");
        let loaded = "document.readyState === 'complete' && location.protocol === 'file:'";
        let deadline = Instant::now() + CALL_TIMEOUT;
        loop {
            self.wait_for(session, "Page.loadEventFired");
            // Asked mid-navigation, the page may answer with an error: not loaded yet.
            let reply = self.call_for_reply(
                Some(session),
                "Runtime.evaluate",
                json!({"expression": loaded, "returnByValue": true}),
            );
            if reply["result"]["result"]["value"] == json!(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{url} did not load within {CALL_TIMEOUT:?}"
            );
        }
    }

    /// What went wrong in the page so far: console errors, uncaught exceptions, log
    /// errors (a blocked script or resource is one), and requests that left the file.
    fn problems(&mut self, session: &str) -> Vec<String> {
        // Let late messages arrive.
        let settle = Instant::now() + Duration::from_millis(500);
        while Instant::now() < settle {
            if let Some(event) = self.receive() {
                self.events.push(event);
            }
        }
        let mut problems = Vec::new();
        for event in self.events.iter().filter(|e| e["sessionId"] == session) {
            let params = &event["params"];
            match event["method"].as_str().unwrap_or_default() {
                "Runtime.consoleAPICalled"
                    if matches!(params["type"].as_str(), Some("error" | "assert")) =>
                {
                    problems.push(format!("console error: {}", params["args"]));
                }
                "Runtime.exceptionThrown" => {
                    problems.push(format!("exception: {}", params["exceptionDetails"]));
                }
                "Log.entryAdded" if params["entry"]["level"] == "error" => {
                    problems.push(format!("log error: {}", params["entry"]));
                }
                "Network.requestWillBeSent" => {
                    let url = params["request"]["url"].as_str().unwrap_or_default();
                    if !(url.starts_with("file:") || url.starts_with("data:")) {
                        problems.push(format!("request to another host: {url}"));
                    }
                }
                _ => {}
            }
        }
        problems
    }

    fn screenshot(&mut self, session: &str, file: &Path) {
        let metrics = self.call(Some(session), "Page.getLayoutMetrics", json!({}));
        let width = metrics["cssContentSize"]["width"]
            .as_f64()
            .unwrap_or(1280.0);
        let height = metrics["cssContentSize"]["height"]
            .as_f64()
            .unwrap_or(900.0)
            .min(6000.0);
        let shot = self.call(
            Some(session),
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
            }),
        );
        let png = decode_base64(shot["data"].as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(file, png).unwrap();
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    digits
        .chunks(4)
        .flat_map(|chunk| {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &d)| n | (u32::from(d) << (18 - 6 * i)));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes.into_iter().take(chunk.len().saturating_sub(1))
        })
        .collect()
}

/// The page's measurements, taken in the page: the timeline's size, its chart area and
/// every mark's box, the page's width against the window's, rows and sort buttons.
const MEASURE: &str = r#"(() => {
  const box = e => { const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height}; };
  const svg = document.querySelector("svg.timeline");
  return {
    svg: box(svg),
    plot: box(svg.querySelector("rect.plot")),
    marks: [...svg.querySelectorAll("a.mark")].map(m => Object.assign(box(m), {id: m.dataset.story})),
    pageWidth: document.documentElement.scrollWidth,
    windowWidth: window.innerWidth,
    rows: document.querySelectorAll("table.stories tbody tr").length,
    sourceLinks: document.querySelectorAll("table.stories a.source").length,
    sortButtons: document.querySelectorAll("table.stories th button").length,
    tableOverflow: Math.max(...[...document.querySelectorAll(".table-wrap")].map(w => w.scrollWidth - w.clientWidth)),
  };
})()"#;

/// Clicks the Value header of the orders table and returns the rows' value keys.
const SORT_BY_VALUE: &str = r##"(() => {
  const table = document.querySelector("#orders-table");
  const column = [...table.tHead.rows[0].cells].findIndex(th => th.textContent.trim() === "Value");
  table.tHead.rows[0].cells[column].querySelector("button").click();
  return [...table.tBodies[0].rows].map(r => r.cells[column].getAttribute("data-key"));
})()"##;

fn check_layout(measured: &Value, stories: usize, shot: &Path) {
    let at = format!("(screenshot: {})", shot.display());
    let svg = &measured["svg"];
    assert!(
        svg["width"].as_f64().unwrap() > 100.0 && svg["height"].as_f64().unwrap() > 50.0,
        "the timeline has a size: {svg} {at}"
    );
    let plot = &measured["plot"];
    let marks = measured["marks"].as_array().unwrap();
    assert_eq!(marks.len(), stories, "{at}");
    // Half a pixel for anti-aliased edges.
    let slack = 0.5;
    for mark in marks {
        let inside = mark["left"].as_f64().unwrap() >= plot["left"].as_f64().unwrap() - slack
            && mark["right"].as_f64().unwrap() <= plot["right"].as_f64().unwrap() + slack
            && mark["top"].as_f64().unwrap() >= plot["top"].as_f64().unwrap() - slack
            && mark["bottom"].as_f64().unwrap() <= plot["bottom"].as_f64().unwrap() + slack;
        assert!(inside, "mark {mark} outside the chart area {plot} {at}");
        assert!(
            mark["width"].as_f64().unwrap() > 2.0,
            "mark {mark} drawn {at}"
        );
    }
    assert!(
        measured["pageWidth"].as_f64().unwrap() <= measured["windowWidth"].as_f64().unwrap(),
        "the page scrolls sideways: {} > {} {at}",
        measured["pageWidth"],
        measured["windowWidth"]
    );
    assert_eq!(measured["rows"].as_u64(), Some(stories as u64), "{at}");
    assert!(
        measured["tableOverflow"].as_f64().unwrap() <= 0.0,
        "a table is wider than the page by {}px {at}",
        measured["tableOverflow"]
    );
}

/// See: issue 13 — "rendered in a real headless browser at 1280 and 390 pixels wide:
/// no console errors, the SVG has a non-zero size, every mark is inside the chart area,
/// and a screenshot is written where the test can keep it on failure".
#[test]
fn the_report_renders_in_chromium_at_desktop_and_phone_widths() {
    let Some(chromium) = find_chromium() else {
        let required = std::env::var_os("CHIPWATCH_REQUIRE_BROWSER").is_some();
        assert!(
            !required,
            "CHIPWATCH_REQUIRE_BROWSER is set but no Chromium was found (install Debian's \
             chromium, or set CHIPWATCH_CHROMIUM)"
        );
        eprintln!(
            "\n\n*** SKIPPED the_report_renders_in_chromium_at_desktop_and_phone_widths: no \
             Chromium found (apt-get install chromium, or set CHIPWATCH_CHROMIUM) ***\n\n"
        );
        return;
    };
    let fixture = two_years_of_stories();
    let report = fixture.setup.dir.path().join("report.html");
    write_report(&fixture, &report);
    let url = format!("file://{}", report.display());
    let stories = fixture.sources.len();
    let sources: usize = fixture.sources.values().map(|s| s.len()).sum();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    std::fs::create_dir_all(&shots).unwrap();

    let mut browser = Browser::launch(&chromium);
    for (width, height) in [(1280, 900), (1024, 768), (390, 844)] {
        let session = browser.open(width, height, true, "screen");
        browser.load(&session, &url);
        let shot = shots.join(format!("report-{width}.png"));
        browser.screenshot(&session, &shot);
        let measured = browser.evaluate(&session, MEASURE);
        check_layout(&measured, stories, &shot);
        assert_eq!(measured["sourceLinks"].as_u64(), Some(sources as u64));
        // The sorting script ran (the page's policy allows it by its hash) and sorts.
        assert_eq!(
            measured["sortButtons"].as_u64(),
            Some(26),
            "{}",
            shot.display()
        );
        let keys = browser.evaluate(&session, SORT_BY_VALUE);
        let keys: Vec<&str> = keys
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            ["61830000", "1000000000", "", ""],
            "ascending, unknown last"
        );
        let problems = browser.problems(&session);
        assert!(
            problems.is_empty(),
            "at {width}px: {problems:#?} (screenshot: {})",
            shot.display()
        );
    }

    // Without scripts the page reads the same; the headers just do not sort.
    let session = browser.open(1280, 900, false, "screen");
    browser.load(&session, &url);
    let shot = shots.join("report-no-script.png");
    browser.screenshot(&session, &shot);
    let measured = browser.evaluate(&session, MEASURE);
    check_layout(&measured, stories, &shot);
    assert_eq!(measured["sourceLinks"].as_u64(), Some(sources as u64));
    assert_eq!(measured["sortButtons"].as_u64(), Some(0));
    let problems = browser.problems(&session);
    assert!(problems.is_empty(), "without scripts: {problems:#?}");

    // In print, on an A4 page's width, the timeline fits the page instead of scrolling.
    let session = browser.open(794, 1123, true, "print");
    browser.load(&session, &url);
    let shot = shots.join("report-print.png");
    browser.screenshot(&session, &shot);
    let measured = browser.evaluate(&session, MEASURE);
    check_layout(&measured, stories, &shot);
    assert!(
        measured["svg"]["right"].as_f64().unwrap() <= 794.0,
        "the printed timeline fits the page: {} (screenshot: {})",
        measured["svg"],
        shot.display()
    );
    let pdf = browser.call(
        Some(&session),
        "Page.printToPDF",
        json!({"printBackground": true}),
    );
    assert!(decode_base64(pdf["data"].as_str().unwrap()).starts_with(b"%PDF"));
    let problems = browser.problems(&session);
    assert!(problems.is_empty(), "in print: {problems:#?}");
}
