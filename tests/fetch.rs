//! The fetch stage against a real HTTP server on 127.0.0.1: caps, timeouts, retries,
//! conditional GET, and the address guard. Behaviour wiremock cannot script (trickling,
//! stalling mid-body, endless bodies) comes from [`RawServer`], a bare TCP server that
//! counts requests per path and the bytes it managed to send.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use chipwatch::config::{HttpConfig, PrivateAccess};
use chipwatch::fetch::{ArticleFetch, FetchError, Fetcher, Validators};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn http_config(allow: PrivateAccess) -> HttpConfig {
    HttpConfig {
        allow_private_addresses: allow,
        per_host_delay: Duration::ZERO,
        retries: 0,
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        max_body_bytes: 10_000,
        ..HttpConfig::default()
    }
}

#[tokio::test]
async fn body_over_the_cap_is_refused() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 20_000]))
        .mount(&server)
        .await;
    let fetcher = Fetcher::new(&http_config(PrivateAccess::AllowAll)).unwrap();
    let err = fetcher
        .fetch_feed(&format!("{}/big", server.uri()), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooLarge { limit: 10_000, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_server_that_stalls_is_cut_off_by_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let fetcher = Fetcher::new(&http_config(PrivateAccess::AllowAll)).unwrap();
    let started = Instant::now();
    let err = fetcher
        .fetch_feed(&format!("{}/slow", server.uri()), &Validators::default())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    // Generous multiple of the 2 s timeout: the point is that it ends.
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn conditional_get_sends_validators_and_reports_not_modified() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .mount(&server)
        .await;
    let fetcher = Fetcher::new(&http_config(PrivateAccess::AllowAll)).unwrap();
    let validators = Validators {
        etag: Some("\"v1\"".into()),
        last_modified: None,
    };
    let fetched = fetcher
        .fetch_feed(&format!("{}/feed", server.uri()), &validators)
        .await
        .unwrap();
    assert!(fetched.not_modified);
    assert!(fetched.body.is_empty());
    assert_eq!(fetched.validators.etag.as_deref(), Some("\"v1\""));
}

#[tokio::test]
async fn transient_errors_are_retried_and_permanent_ones_are_not() {
    let server = MockServer::start().await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    Mock::given(path("/gone"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let config = HttpConfig {
        retries: 2,
        ..http_config(PrivateAccess::AllowAll)
    };
    let fetcher = Fetcher::new(&config).unwrap();
    let fetched = fetcher
        .fetch_feed(&format!("{}/flaky", server.uri()), &Validators::default())
        .await
        .unwrap();
    assert_eq!(fetched.body, b"ok");
    let err = fetcher
        .fetch_feed(&format!("{}/gone", server.uri()), &Validators::default())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Status { status: 404, .. }));
    let gone_requests = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/gone")
        .count();
    assert_eq!(gone_requests, 1, "a 404 is not retried");
}

#[tokio::test]
async fn article_redirect_into_another_private_host_is_refused() {
    let allowed = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(path("/other-secret"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&other)
        .await;
    Mock::given(path("/hop"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/other-secret", other.uri())),
        )
        .mount(&allowed)
        .await;
    let host_port = allowed.address().to_string();
    let fetcher = Fetcher::new(&http_config(PrivateAccess::AllowList(vec![host_port]))).unwrap();
    let err = fetcher
        .fetch_article(&format!("{}/hop", allowed.uri()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("redirect refused"), "{err}");
    assert!(other.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn robots_txt_disallow_is_obeyed() {
    let server = MockServer::start().await;
    Mock::given(path("/robots.txt"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string("User-agent: *\nDisallow: /private/\n"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/private/story"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(path("/public/story"))
        .respond_with(ResponseTemplate::new(200).set_body_string("hi"))
        .mount(&server)
        .await;
    let fetcher = Fetcher::new(&http_config(PrivateAccess::AllowAll)).unwrap();
    assert!(matches!(
        fetcher
            .fetch_article(&format!("{}/private/story", server.uri()))
            .await
            .unwrap(),
        ArticleFetch::DisallowedByRobots
    ));
    assert!(matches!(
        fetcher
            .fetch_article(&format!("{}/public/story", server.uri()))
            .await
            .unwrap(),
        ArticleFetch::Fetched(_)
    ));
    let robots_requests = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/robots.txt")
        .count();
    assert_eq!(
        robots_requests, 1,
        "robots.txt is fetched once per host per pass"
    );
}

/// What the raw server does on one path.
#[derive(Clone)]
enum Script {
    /// Sends the head, then one byte of body every `every`, for ever.
    Trickle { every: Duration },
    /// Sends the head and a few bytes, then nothing (the connection stays open).
    Stall,
    /// Sends the head, then zeros without end (no Content-Length).
    Endless,
}

struct RawServer {
    addr: SocketAddr,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    /// Body bytes written to sockets, all paths together.
    written: Arc<AtomicU64>,
}

impl RawServer {
    async fn start(routes: Vec<(&'static str, Script)>) -> RawServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let written = Arc::new(AtomicU64::new(0));
        let routes: Arc<HashMap<&'static str, Script>> = Arc::new(routes.into_iter().collect());
        let (h, w) = (Arc::clone(&hits), Arc::clone(&written));
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (routes, hits, written) = (Arc::clone(&routes), Arc::clone(&h), Arc::clone(&w));
                tokio::spawn(async move { serve(socket, &routes, &hits, &written).await });
            }
        });
        RawServer {
            addr,
            hits,
            written,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

async fn serve(
    mut socket: tokio::net::TcpStream,
    routes: &HashMap<&'static str, Script>,
    hits: &Mutex<HashMap<String, usize>>,
    written: &AtomicU64,
) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16_384 {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&request);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let Some(script) = routes.get(path.as_str()) else {
        let _ = socket
            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        return;
    };
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\nconnection: close\r\n\r\n";
    if socket.write_all(head).await.is_err() {
        return;
    }
    match script {
        Script::Trickle { every } => loop {
            if socket.write_all(b"<").await.is_err() {
                return;
            }
            written.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(*every).await;
        },
        Script::Stall => {
            let _ = socket.write_all(b"<rss version").await;
            written.fetch_add(12, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Script::Endless => {
            let chunk = vec![b' '; 64 * 1024];
            while socket.write_all(&chunk).await.is_ok() {
                written.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// See: issue 4 — reqwest's read timeout restarts on every byte, so a trickle is bounded
/// by the total timeout only; this proves that bound holds.
#[tokio::test]
async fn a_server_trickling_one_byte_at_a_time_is_cut_off_by_the_total_timeout() {
    let server = RawServer::start(vec![(
        "/trickle",
        Script::Trickle {
            every: Duration::from_millis(200),
        },
    )])
    .await;
    let config = HttpConfig {
        timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(1),
        ..http_config(PrivateAccess::AllowAll)
    };
    let fetcher = Fetcher::new(&config).unwrap();
    let started = Instant::now();
    let err = fetcher
        .fetch_feed(&server.url("/trickle"), &Validators::default())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    // Not cut at the 1 s read timeout (bytes kept coming), but at the 2 s total.
    assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
    assert_eq!(server.hits("/trickle"), 1);
}

#[tokio::test]
async fn a_server_that_goes_silent_mid_body_is_cut_off_by_the_read_timeout() {
    let server = RawServer::start(vec![("/stall", Script::Stall)]).await;
    let config = HttpConfig {
        timeout: Duration::from_secs(60),
        read_timeout: Duration::from_secs(1),
        ..http_config(PrivateAccess::AllowAll)
    };
    let fetcher = Fetcher::new(&config).unwrap();
    let started = Instant::now();
    let err = fetcher
        .fetch_feed(&server.url("/stall"), &Validators::default())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_endless_body_stops_at_the_cap() {
    let server = RawServer::start(vec![("/endless", Script::Endless)]).await;
    let fetcher = Fetcher::new(&http_config(PrivateAccess::AllowAll)).unwrap();
    let err = fetcher
        .fetch_feed(&server.url("/endless"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooLarge { limit: 10_000, .. }),
        "{err}"
    );
    // The client hung up: the server's writes end, bounded by socket buffers.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = server.written.load(Ordering::Relaxed);
    assert!(sent < 32 * 1024 * 1024, "server kept writing: {sent} bytes");
}

/// See: issue 4 — a small gzip that inflates far beyond the cap is cut off at the cap.
#[tokio::test]
async fn a_gzip_bomb_is_cut_off_at_the_cap_after_decompression() {
    let bomb = gzip(&vec![b' '; 16 * 1024 * 1024]);
    assert!(bomb.len() < 100_000, "the bomb is small on the wire");
    let server = MockServer::start().await;
    Mock::given(path("/bomb.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_raw(bomb, "application/rss+xml"),
        )
        .mount(&server)
        .await;
    let config = HttpConfig {
        max_body_bytes: 1_000_000,
        ..http_config(PrivateAccess::AllowAll)
    };
    let fetcher = Fetcher::new(&config).unwrap();
    let started = Instant::now();
    let err = fetcher
        .fetch_feed(
            &format!("{}/bomb.xml", server.uri()),
            &Validators::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::TooLarge {
                limit: 1_000_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn retry_after_seconds_are_waited_for_and_long_ones_end_the_attempts() {
    let server = MockServer::start().await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    Mock::given(path("/limited"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "Fri, 01 Jan 2100 00:00:00 GMT"),
        )
        .mount(&server)
        .await;
    let config = HttpConfig {
        retries: 3,
        ..http_config(PrivateAccess::AllowAll)
    };
    let fetcher = Fetcher::new(&config).unwrap();
    let started = Instant::now();
    let fetched = fetcher
        .fetch_feed(&format!("{}/busy", server.uri()), &Validators::default())
        .await
        .unwrap();
    assert_eq!(fetched.body, b"ok");
    assert!(started.elapsed() >= Duration::from_millis(950));

    let err = fetcher
        .fetch_feed(&format!("{}/limited", server.uri()), &Validators::default())
        .await
        .unwrap_err();
    assert_eq!(err.class(), "rate_limited");
    assert!(err.retry_after().unwrap() > Duration::from_secs(365 * 24 * 3600));
    let requests = server.received_requests().await.unwrap();
    let count = |p: &str| requests.iter().filter(|r| r.url.path() == p).count();
    assert_eq!(count("/busy"), 2);
    assert_eq!(
        count("/limited"),
        1,
        "a wait longer than a pass is left to the schedule"
    );
}

#[tokio::test]
async fn redirect_loops_stop_at_the_limit() {
    let server = MockServer::start().await;
    Mock::given(path("/loop"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/loop"))
        .mount(&server)
        .await;
    let config = HttpConfig {
        max_redirects: 3,
        ..http_config(PrivateAccess::AllowAll)
    };
    let fetcher = Fetcher::new(&config).unwrap();
    let err = fetcher
        .fetch_feed(&format!("{}/loop", server.uri()), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooManyRedirects { limit: 3, .. }),
        "{err}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

/// RFC 9309: robots.txt answering 5xx (or not at all) disallows the host for the pass,
/// and is asked once; a 4xx allows everything.
#[tokio::test]
async fn robots_txt_server_errors_disallow_and_client_errors_allow() {
    let failing = MockServer::start().await;
    Mock::given(path("/robots.txt"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&failing)
        .await;
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(200).set_body_string("page"))
        .mount(&failing)
        .await;
    let missing = MockServer::start().await;
    Mock::given(path("/robots.txt"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&missing)
        .await;
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(200).set_body_string("page"))
        .mount(&missing)
        .await;
    let fetcher = Fetcher::new(&http_config(PrivateAccess::AllowAll)).unwrap();
    for page in ["/a", "/b", "/a"] {
        assert!(matches!(
            fetcher
                .fetch_article(&format!("{}{page}", failing.uri()))
                .await
                .unwrap(),
            ArticleFetch::DisallowedByRobots
        ));
    }
    assert!(matches!(
        fetcher
            .fetch_article(&format!("{}/a", missing.uri()))
            .await
            .unwrap(),
        ArticleFetch::Fetched(_)
    ));
    let paths = |reqs: Vec<wiremock::Request>| -> Vec<String> {
        reqs.iter().map(|r| r.url.path().to_string()).collect()
    };
    assert_eq!(
        paths(failing.received_requests().await.unwrap()),
        ["/robots.txt"]
    );
    assert_eq!(
        paths(missing.received_requests().await.unwrap()),
        ["/robots.txt", "/a"]
    );

    // Unreachable: nothing listens on the port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}/a", closed.local_addr().unwrap());
    drop(closed);
    assert!(matches!(
        fetcher.fetch_article(&closed_url).await.unwrap(),
        ArticleFetch::DisallowedByRobots
    ));
}
