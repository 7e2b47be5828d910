//! Alerts through the binary, to real HTTP receivers on 127.0.0.1 and to a command: one
//! delivery per new story and per changed story and none for an unchanged one, a failing
//! receiver served again later with the same idempotency key, a process killed between
//! storing and delivering, and a stalled receiver cut off. See: issue 12.

use std::time::{Duration, Instant};

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::fault_server::{FaultServer, Reply};
use crate::common::sites::World;
use crate::common::{assert_code, signal, text, wait_exit, Setup};

/// A receiver answering `status` on `route`, after `delay`.
async fn receive(server: &MockServer, route: &str, status: u16, delay: Duration) {
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(status).set_delay(delay))
        .mount(server)
        .await;
}

/// The JSON bodies a receiver got on `route`, in order.
async fn bodies(server: &MockServer, route: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == route)
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let header = r.headers.get("idempotency-key").unwrap().to_str().unwrap();
            assert_eq!(
                body["idempotency_key"], header,
                "header and body carry one key"
            );
            body
        })
        .collect()
}

fn alert(name: &str, url: &str, extra: &str) -> String {
    format!("[[alerts]]\nname = {name:?}\nurl = {url:?}\n{extra}\n")
}

/// `(story id, revision, update)` of each delivery, and its key checked.
fn deliveries(bodies: &[Value]) -> Vec<(i64, i64, bool)> {
    bodies
        .iter()
        .map(|b| {
            let (id, revision) = (
                b["story"]["id"].as_i64().unwrap(),
                b["story"]["revision"].as_i64().unwrap(),
            );
            assert_eq!(b["idempotency_key"], format!("story-{id}-rev-{revision}"));
            (id, revision, b["update"].as_bool().unwrap())
        })
        .collect()
}

/// See: issue 12 — "one delivery per new story, one per changed story, none for an
/// unchanged one".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_delivery_per_new_story_one_per_change_and_none_when_unchanged() {
    let world = World::new().await;
    let receiver = MockServer::start().await;
    receive(&receiver, "/all", 200, Duration::ZERO).await;
    receive(&receiver, "/orders", 200, Duration::ZERO).await;
    let alerts = format!(
        "{}{}",
        alert("all", &format!("{}/all", receiver.uri()), ""),
        alert(
            "orders",
            &format!("{}/orders", receiver.uri()),
            "kinds = [\"chip_order\"]\nentities = [\"Ascend 910B\"]\nmin_sources = 2"
        )
    );
    let setup = Setup::new(&[("wire", world.feed_url())], &alerts);

    // The seed article: three new stories (an order, two controls), three deliveries.
    world.serve(&[0]);
    assert_code(&setup.run(&["run", "--all"]).await, 0);
    let all = deliveries(&bodies(&receiver, "/all").await);
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all
        .iter()
        .all(|&(_, revision, update)| revision == 1 && !update));
    assert!(
        bodies(&receiver, "/orders").await.is_empty(),
        "one site is not enough"
    );
    let order_id = bodies(&receiver, "/all")
        .await
        .iter()
        .find(|b| b["story"]["kind"] == "chip_order")
        .map(|b| b["story"]["id"].as_i64().unwrap())
        .unwrap();

    // A rewrite on another site: the same substance, so nothing for `all`; the order now
    // has two sites, so `orders` hears of it for the first time.
    world.serve(&[0, 1]);
    assert_code(&setup.run(&["run", "--all"]).await, 0);
    assert_eq!(bodies(&receiver, "/all").await.len(), 3, "nothing changed");
    let orders = bodies(&receiver, "/orders").await;
    assert_eq!(deliveries(&orders), [(order_id, 1, false)]);
    assert_eq!(orders[0]["alert"], "orders");
    assert_eq!(orders[0]["story"]["sites"], 2);

    // The cancellation changes the order's status: one update to each alert.
    world.serve(&[0, 1, 4]);
    assert_code(&setup.run(&["run", "--all"]).await, 0);
    let all = bodies(&receiver, "/all").await;
    assert_eq!(deliveries(&all[3..]), [(order_id, 2, true)]);
    assert_eq!(all[3]["story"]["status"], "cancelled");
    assert_eq!(
        deliveries(&bodies(&receiver, "/orders").await),
        [(order_id, 1, false), (order_id, 2, true)]
    );

    // A run with nothing new sends nothing.
    assert_code(&setup.run(&["run", "--all"]).await, 0);
    assert_eq!(receiver.received_requests().await.unwrap().len(), 6);
    assert_eq!(
        setup.count("SELECT count(*) FROM alert_outbox WHERE status = 'delivered'"),
        6
    );
}

/// See: issue 12 — "a receiver that answers 500 gets the alert on a later run, with the
/// same idempotency key".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_the_alert_later_with_the_same_key() {
    let world = World::new().await;
    world.serve(&[0]);
    let receiver = MockServer::start().await;
    receive(&receiver, "/hook", 500, Duration::ZERO).await;
    let setup = Setup::new(
        &[("wire", world.feed_url())],
        &alert("chat", &format!("{}/hook", receiver.uri()), ""),
    );
    let run = setup.run(&["run"]).await;
    assert_code(&run, 0);
    assert!(
        text(&run.stderr).contains("alert not delivered"),
        "{}",
        text(&run.stderr)
    );
    // The first failure ends the alert's turn: one attempt, not one per story.
    let failed = bodies(&receiver, "/hook").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(
        setup.count("SELECT count(*) FROM alert_outbox WHERE status = 'pending'"),
        3
    );
    let list = setup.command(&["alerts", "list"]).output().unwrap();
    assert_code(&list, 0);
    let list = text(&list.stdout);
    assert!(
        list.contains("failed") && list.contains("HTTP status 500"),
        "{list}"
    );

    // Still failing at the next run (the first retry is due at once); then it waits.
    assert_code(&setup.run(&["run"]).await, 0);
    assert_eq!(bodies(&receiver, "/hook").await.len(), 2);
    let minutes_to_wait = setup.count(
        "SELECT CAST(round((julianday(next_attempt_at) - julianday('now')) * 1440) AS INTEGER)
         FROM alert_outbox WHERE attempts = 2",
    );
    assert!((4..=5).contains(&minutes_to_wait), "{minutes_to_wait}");
    receiver.reset().await;
    receive(&receiver, "/hook", 200, Duration::ZERO).await;
    assert_code(&setup.run(&["run"]).await, 0);
    assert!(bodies(&receiver, "/hook").await.is_empty(), "not due yet");

    // Time passes.
    let db = rusqlite::Connection::open(setup.db()).unwrap();
    db.execute(
        "UPDATE alert_outbox SET next_attempt_at = '2000-01-01T00:00:00Z'",
        [],
    )
    .unwrap();
    assert_code(&setup.run(&["run"]).await, 0);
    let delivered = bodies(&receiver, "/hook").await;
    assert_eq!(delivered.len(), 3);
    assert_eq!(
        delivered[0]["idempotency_key"],
        failed[0]["idempotency_key"]
    );
    assert_eq!(delivered[0]["story"], failed[0]["story"]);
    let list = text(&setup.command(&["alerts", "list"]).output().unwrap().stdout);
    assert!(list.contains("nothing waiting"), "{list}");
}

/// See: issue 12 — "killing the process between the store and the delivery loses
/// nothing (the next run delivers)".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_before_its_deliveries_are_done_loses_none() {
    let world = World::new().await;
    world.serve(&[0]);
    let receiver = MockServer::start().await;
    // It takes the first delivery and sits on it, so the run is caught delivering.
    receive(&receiver, "/hook", 200, Duration::from_secs(60)).await;
    let setup = Setup::new(
        &[("wire", world.feed_url())],
        &alert(
            "chat",
            &format!("{}/hook", receiver.uri()),
            "timeout_secs = 120",
        ),
    );
    let child = setup.spawn(&["run"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.received_requests().await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no delivery started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    signal(&child, "KILL");
    let _ = wait_exit(child, Duration::from_secs(10)).await;
    let in_flight = bodies(&receiver, "/hook").await;
    assert_eq!(setup.count("SELECT count(*) FROM events"), 3, "stored");
    assert_eq!(
        setup.count("SELECT count(*) FROM alert_outbox WHERE status = 'pending' AND attempts = 0"),
        3,
        "queued with the events, none marked sent"
    );

    receiver.reset().await;
    receive(&receiver, "/hook", 200, Duration::ZERO).await;
    assert_code(&setup.run(&["run"]).await, 0);
    let delivered = bodies(&receiver, "/hook").await;
    assert_eq!(delivered.len(), 3);
    assert!(
        delivered
            .iter()
            .any(|b| b["idempotency_key"] == in_flight[0]["idempotency_key"]),
        "the delivery in flight is sent again, with its key"
    );
}

/// See: issue 12 — "a receiver that stalls is cut off by the timeout and the pass still
/// finishes"; the other alert's receiver gets everything in the same pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_receiver_is_cut_off_and_the_pass_finishes() {
    let world = World::new().await;
    world.serve(&[0]);
    let receiver = MockServer::start().await;
    receive(&receiver, "/stalls", 200, Duration::from_secs(60)).await;
    receive(&receiver, "/works", 200, Duration::ZERO).await;
    let alerts = format!(
        "{}{}",
        alert(
            "stalled",
            &format!("{}/stalls", receiver.uri()),
            "timeout_secs = 1"
        ),
        alert("working", &format!("{}/works", receiver.uri()), "")
    );
    let setup = Setup::new(&[("wire", world.feed_url())], &alerts);
    let started = Instant::now();
    let run = setup.run(&["run"]).await;
    let took = started.elapsed();
    assert_code(&run, 0);
    assert!(took < Duration::from_secs(15), "the pass took {took:?}");
    assert_eq!(bodies(&receiver, "/works").await.len(), 3);
    assert_eq!(
        bodies(&receiver, "/stalls").await.len(),
        1,
        "one timeout, not three"
    );
    let db = rusqlite::Connection::open(setup.db()).unwrap();
    let error: String = db
        .query_row(
            "SELECT last_error FROM alert_outbox WHERE alert = 'stalled' AND attempts = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(error.contains("no answer within 1 s"), "{error}");
    assert_eq!(
        setup.count("SELECT count(*) FROM runs WHERE status = 'ok'"),
        1
    );
}

/// A command alert: the program runs without a shell (its arguments reach it verbatim),
/// with the JSON on standard input; a failing or stalling one is recorded like a
/// failing receiver.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_alerts_get_the_story_on_standard_input() {
    let world = World::new().await;
    world.serve(&[0]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let script = dir.path().join("notify.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf '%s' \"$2\" > \"$1/argument\"\ncat > \"$1/$CHIPWATCH_IDEMPOTENCY_KEY.json\"\n",
    )
    .unwrap();
    let fails = dir.path().join("fails.sh");
    std::fs::write(
        &fails,
        "#!/bin/sh\necho 'no route to the chat' >&2\nexit 3\n",
    )
    .unwrap();
    let stalls = dir.path().join("stalls.sh");
    std::fs::write(&stalls, "#!/bin/sh\nexec sleep 60\n").unwrap();
    for file in [&script, &fails, &stalls] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let command = |name: &str, argv: &[&str], extra: &str| {
        format!("[[alerts]]\nname = {name:?}\ncommand = {argv:?}\n{extra}\n")
    };
    let alerts = format!(
        "{}{}{}",
        command(
            "script",
            &[
                script.to_str().unwrap(),
                out.to_str().unwrap(),
                "$HOME; echo `id`"
            ],
            ""
        ),
        command("fails", &[fails.to_str().unwrap()], ""),
        command("stalls", &[stalls.to_str().unwrap()], "timeout_secs = 1"),
    );
    let setup = Setup::new(&[("wire", world.feed_url())], &alerts);
    let started = Instant::now();
    assert_code(&setup.run(&["run"]).await, 0);
    assert!(started.elapsed() < Duration::from_secs(15));

    let argument = std::fs::read_to_string(out.join("argument")).unwrap();
    assert_eq!(
        argument, "$HOME; echo `id`",
        "no shell between us and the program"
    );
    let mut received: Vec<Value> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    received.sort_by_key(|b| b["story"]["id"].as_i64());
    assert_eq!(deliveries(&received).len(), 3);
    assert_eq!(received[0]["alert"], "script");

    let db = rusqlite::Connection::open(setup.db()).unwrap();
    let error = |alert: &str| -> String {
        db.query_row(
            "SELECT last_error FROM alert_outbox WHERE alert = ?1 AND attempts = 1",
            [alert],
            |r| r.get(0),
        )
        .unwrap()
    };
    let failed = error("fails");
    assert!(
        failed.contains("exit status: 3") && failed.contains("no route to the chat"),
        "{failed}"
    );
    assert!(error("stalls").contains("no answer within 1 s"));
}

/// `alerts test NAME` sends a sample now; an unknown name is a usage error; a failing
/// receiver makes it fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_test_sends_a_sample_story() {
    let receiver = MockServer::start().await;
    receive(&receiver, "/chat", 200, Duration::ZERO).await;
    receive(&receiver, "/down", 503, Duration::ZERO).await;
    let alerts = format!(
        "{}{}",
        alert(
            "chat",
            &format!("{}/chat", receiver.uri()),
            "format = \"slack\""
        ),
        alert("down", &format!("{}/down", receiver.uri()), "")
    );
    let setup = Setup::new(&[], &alerts);
    let sent = setup.run(&["alerts", "test", "chat"]).await;
    assert_code(&sent, 0);
    assert_eq!(
        text(&sent.stdout),
        format!(
            "sent a sample story to alert chat ({}): HTTP 200\n",
            receiver.uri()
        )
    );
    let requests = receiver.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    let message = body["text"].as_str().unwrap();
    assert!(
        message.starts_with("New chip order: Baidu orders from Huawei: 1600 × Ascend 910B"),
        "{message}"
    );
    assert_code(&setup.run(&["alerts", "test", "nope"]).await, 2);
    let down = setup.run(&["alerts", "test", "down"]).await;
    assert_code(&down, 1);
    assert!(
        text(&down.stderr).contains("HTTP status 503"),
        "{}",
        text(&down.stderr)
    );
}

/// See: review of issues 10 and 12, H2 — a page retry that replaces the feed's teaser
/// with the full page moves the sentence the event came from, but the event is the same:
/// it keeps its id and its story, is not counted or logged as new, and the story is not
/// alerted a second time (under another key).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_comes_back_keeps_the_event_and_story_and_alerts_nothing_new() {
    let server = FaultServer::start().await;
    let sentence = "Baidu ordered 1,600 Ascend 910B chips from Huawei.";
    let filler = "Wafer output rose again this quarter as the plant added a second shift. ";
    let page = format!(
        "<html><head><title>Chips</title></head><body><article><p>{}</p><p>{sentence}</p>\
         <p>{}</p></article></body></html>",
        filler.repeat(3),
        filler.repeat(3)
    );
    server.route("/p/a", vec![Reply::Status(503, None), Reply::html(page)]);
    let feed = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>\
         <item><title>Chips</title><link>{}</link>\
         <pubDate>Thu, 09 Nov 2023 08:00:00 GMT</pubDate>\
         <description>{sentence}</description></item></channel></rss>",
        server.url("/p/a")
    );
    server.route("/feed.xml", vec![Reply::rss(feed)]);
    let receiver = MockServer::start().await;
    receive(&receiver, "/hook", 200, Duration::ZERO).await;
    let setup = Setup::new(
        &[("wire", server.url("/feed.xml"))],
        &alert("chat", &format!("{}/hook", receiver.uri()), ""),
    );
    let event = |setup: &Setup| -> (i64, i64, String) {
        let db = rusqlite::Connection::open(setup.db()).unwrap();
        db.query_row("SELECT id, story_id, spans FROM events", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap()
    };

    // Pass 1: the page answers 503; the feed's text states the order.
    assert_code(&setup.run(&["run"]).await, 0);
    assert_eq!(setup.count("SELECT count(*) FROM events"), 1);
    let (event_id, story_id, teaser_spans) = event(&setup);
    assert_eq!(
        setup.count("SELECT count(*) FROM articles WHERE page_state = 'pending'"),
        1
    );
    assert_eq!(
        deliveries(&bodies(&receiver, "/hook").await),
        [(story_id, 1, false)]
    );

    // Pass 2: the page comes back with the same sentence inside a longer article.
    let second = setup.run(&["run"]).await;
    assert_code(&second, 0);
    let log = text(&second.stderr);
    assert_eq!(server.hits("/p/a"), 2);
    assert_eq!(
        setup.count("SELECT count(*) FROM articles WHERE text_source = 'page'"),
        1,
        "{log}"
    );
    assert_eq!(setup.count("SELECT count(*) FROM events"), 1);
    let (id, story, spans) = event(&setup);
    assert_ne!(spans, teaser_spans, "the spans follow the page's text");
    assert_eq!((id, story), (event_id, story_id), "same event, same story");
    assert_eq!(setup.count("SELECT count(*) FROM stories"), 1);
    assert_eq!(
        setup.count(
            "SELECT events_new_chip_order + events_new_export_control FROM runs
             ORDER BY id DESC LIMIT 1"
        ),
        0
    );
    assert!(
        log.contains("pages_recovered=1") && !log.contains("new event"),
        "{log}"
    );
    assert_eq!(setup.count("SELECT count(*) FROM alert_outbox"), 1);
    assert_eq!(bodies(&receiver, "/hook").await.len(), 1, "no second alert");
}

/// See: review of issues 10 and 12, M1 — a webhook URL's path and query are its secret
/// (Slack's are a token): a failing receiver is named by scheme and host alone in the
/// log, the outbox and `alerts list`, even when its answer echoes the URL back, and so
/// is one that cannot be reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receivers_url_secret_appears_nowhere() {
    let world = World::new().await;
    world.serve(&[0]);
    let receiver = MockServer::start().await;
    let secret_path = "/services/T0SECRET/B0SECRET/xoxb1234token";
    let secret_query = "signature=s3cr3tsig";
    // It echoes the request line, as some error pages do.
    Mock::given(method("POST"))
        .and(path(secret_path))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_string(format!("no route for POST {secret_path}?{secret_query}")),
        )
        .mount(&receiver)
        .await;
    // A port nothing listens on: reqwest's own error names the URL.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let alerts = format!(
        "{}{}",
        alert(
            "echoes",
            &format!("{}{secret_path}?{secret_query}", receiver.uri()),
            ""
        ),
        alert(
            "unreachable",
            &format!("http://127.0.0.1:{closed_port}{secret_path}?{secret_query}"),
            ""
        ),
    );
    let setup = Setup::new(&[("wire", world.feed_url())], &alerts);
    let secrets = [
        "T0SECRET",
        "B0SECRET",
        "xoxb1234token",
        "s3cr3tsig",
        "services/",
    ];
    let assert_clean = |what: &str, text: &str| {
        for secret in secrets {
            assert!(!text.contains(secret), "{what} shows `{secret}`: {text}");
        }
    };

    let run = setup.run(&["-v", "run"]).await;
    assert_code(&run, 0);
    assert_eq!(
        bodies(&receiver, secret_path).await.len(),
        1,
        "it was tried"
    );
    let log = text(&run.stderr);
    assert!(
        log.contains("alert not delivered")
            && log.contains(&format!("alert echoes ({})", receiver.uri()))
            && log.contains(&format!(
                "alert unreachable (http://127.0.0.1:{closed_port})"
            )),
        "{log}"
    );
    assert_clean("the log", &log);
    let json_log = setup.run(&["--log-format", "json", "run"]).await;
    assert_code(&json_log, 0);
    assert_clean("the JSON log", &text(&json_log.stderr));

    let db = rusqlite::Connection::open(setup.db()).unwrap();
    let mut rows = db
        .prepare("SELECT alert, coalesce(last_error, ''), story FROM alert_outbox")
        .unwrap();
    let rows: Vec<(String, String, String)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 6, "three stories, two alerts");
    let tried: Vec<_> = rows.iter().filter(|r| !r.1.is_empty()).collect();
    assert_eq!(
        tried.len(),
        2,
        "one failure per alert ends its turn: {rows:?}"
    );
    for (alert, error, story) in &rows {
        assert_clean("the outbox", &format!("{alert} {error} {story}"));
    }
    let echoes = &tried.iter().find(|r| r.0 == "echoes").unwrap().1;
    assert_eq!(
        echoes,
        &format!(
            "alert echoes ({}): HTTP status 500: no route for POST …",
            receiver.uri()
        )
    );

    for format in ["table", "json"] {
        let list = setup.run(&["alerts", "list", "--format", format]).await;
        assert_code(&list, 0);
        let shown = text(&list.stdout);
        assert!(shown.contains("HTTP status 500"), "{shown}");
        assert_clean("alerts list", &shown);
    }
    for name in ["echoes", "unreachable"] {
        let test = setup.run(&["alerts", "test", name]).await;
        assert_code(&test, 1);
        let said = format!("{}{}", text(&test.stdout), text(&test.stderr));
        assert!(
            said.contains(&format!("alert {name} (http://127.0.0.1:")),
            "{said}"
        );
        assert_clean("alerts test", &said);
    }
}
