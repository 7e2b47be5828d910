//! The fetch stage against a real HTTP server on 127.0.0.1: caps, timeouts, retries,
//! conditional GET, and the address guard.

use std::time::{Duration, Instant};

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
