//! `chipwatch report`: a database with stories of both kinds across two years (values
//! missing, a hostile article title, a failed feed) written as one HTML file, checked for
//! its structure; and `run` refreshing the configured report. See: issue 13.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use scraper::{Html, Selector};

use crate::common::{assert_code, seed_site, text, Setup};
use chipwatch::model::{
    Article, ChipOrder, ControlAction, Event, EventDetails, ExportControl, FeedSpec, Money,
    OrderStatus, PartialDate, Published, Span, TextSource,
};
use chipwatch::store::{Store, StoryFilter};

/// The title a hostile feed gave one article: markup, a script, and bidi controls that
/// would reverse the text after it.
pub const HOSTILE_TITLE: &str =
    "<script>alert('pwned')</script><b>Nvidia</b> \u{202E}stroper\u{2066} ban \"H20\" & more";

/// A database built through the store as passes build it, and what the report must show.
pub struct Fixture {
    pub setup: Setup,
    /// Story id → the article URLs that report it.
    pub sources: BTreeMap<i64, BTreeSet<String>>,
    pub orders: usize,
    pub controls: usize,
}

fn select(selector: &str) -> Selector {
    Selector::parse(selector).unwrap()
}

fn order(buyer: &str, supplier: &str, product: &str, usd: Option<f64>) -> EventDetails {
    EventDetails::ChipOrder(ChipOrder {
        buyer: Some(buyer.into()),
        supplier: Some(supplier.into()),
        product: Some(product.into()),
        quantity: Some(2_000),
        value: usd.map(|amount| Money {
            amount,
            currency: "USD".into(),
        }),
        value_usd: usd,
        delivery: None,
        status: Some(OrderStatus::Placed),
    })
}

fn control(
    authority: Option<&str>,
    action: Option<ControlAction>,
    products: &[&str],
    effective: Option<PartialDate>,
) -> EventDetails {
    EventDetails::ExportControl(ExportControl {
        authority: authority.map(Into::into),
        agency: None,
        targets: vec!["China".into()],
        products: products.iter().map(|p| p.to_string()).collect(),
        companies: Vec::new(),
        action,
        effective,
    })
}

fn event(url: &str, day: NaiveDate, details: EventDetails, hedged: bool) -> Event {
    Event {
        id: None,
        article_url: Some(url.into()),
        published: Some(day),
        evidence: vec!["A sentence that says so.".into()],
        spans: vec![Span { start: 0, end: 24 }],
        rule: "test.rule".into(),
        rules_version: "test".into(),
        confidence: 0.8,
        hedged,
        inferred: Vec::new(),
        details,
    }
}

/// Stores one article with its events, as a feed job would.
fn store_article(
    store: &mut Store,
    feed: i64,
    url: &str,
    title: &str,
    day: NaiveDate,
    events: Vec<EventDetails>,
    hedged: bool,
) {
    let article = Article {
        url: Some(url.into()),
        canonical_url: None,
        title: Some(title.into()),
        published: Some(Published::Time(
            day.and_hms_opt(9, 30, 0).unwrap().and_utc().fixed_offset(),
        )),
        author: None,
        site: None,
        lang: Some("en".into()),
        text: "A sentence that says so.".into(),
        text_source: TextSource::Page,
    };
    let events: Vec<Event> = events
        .into_iter()
        .map(|d| event(url, day, d, hedged))
        .collect();
    store
        .insert_article(Some(feed), None, &article, &events)
        .unwrap();
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Two years of stories: orders with and without a USD value, one reported by two
/// sites; controls restricting and relaxing, with a day, a month or no effective date;
/// one article with a hostile title; a feed whose last fetch failed.
pub fn two_years_of_stories() -> Fixture {
    let setup = Setup::new(&[], "");
    let mut store = Store::open(&setup.db()).unwrap();
    let spec = |name: &str| FeedSpec {
        name: name.into(),
        url: format!("https://{name}.example/feed.xml"),
        interval_mins: 30,
        fetch_articles: true,
    };
    store
        .sync_config_feeds(&[spec("wire"), spec("broken")])
        .unwrap();
    let feeds = store.feeds().unwrap();
    let id = |name: &str| feeds.iter().find(|f| f.spec.name == name).unwrap().id;
    let (wire, broken) = (id("wire"), id("broken"));
    let now = Utc::now();
    store
        .record_feed_failure(
            broken,
            now,
            "https://broken.example/feed.xml: HTTP status 503",
            now,
        )
        .unwrap();

    let s = &mut store;
    store_article(
        s,
        wire,
        "https://wire.example/2023/03/baidu",
        "Baidu buys Ascend chips",
        d(2023, 3, 14),
        vec![order("Baidu", "Huawei", "Ascend 910B", Some(61_830_000.0))],
        false,
    );
    store_article(
        s,
        wire,
        "https://asia.example/2023/03/baidu-huawei",
        "Baidu and Huawei in $62m deal",
        d(2023, 3, 16),
        vec![order("Baidu", "Huawei", "Ascend 910B", Some(62_000_000.0))],
        true,
    );
    store_article(
        s,
        wire,
        "https://wire.example/2023/08/tencent",
        "Tencent orders H20",
        d(2023, 8, 2),
        vec![order("Tencent", "Nvidia", "H20", None)],
        true,
    );
    store_article(
        s,
        wire,
        "https://wire.example/2024/06/bytedance",
        "ByteDance places a $1bn order",
        d(2024, 6, 20),
        vec![order("ByteDance", "Nvidia", "H20", Some(1_000_000_000.0))],
        false,
    );
    store_article(
        s,
        wire,
        "https://wire.example/2025/01/alibaba",
        "Alibaba orders chips",
        d(2025, 1, 8),
        vec![order("Alibaba", "Cambricon", "MLU370", None)],
        false,
    );
    store_article(
        s,
        wire,
        "https://wire.example/2023/10/rules",
        "US tightens chip rules",
        d(2023, 10, 17),
        vec![control(
            Some("United States"),
            Some(ControlAction::Restrict),
            &["A800", "H800"],
            Some(PartialDate::Month(2023, 11)),
        )],
        false,
    );
    store_article(
        s,
        wire,
        "https://wire.example/2024/03/hostile",
        HOSTILE_TITLE,
        d(2024, 3, 5),
        vec![control(
            Some("Netherlands"),
            Some(ControlAction::Restrict),
            &["DUV lithography"],
            None,
        )],
        false,
    );
    store_article(
        s,
        wire,
        "https://wire.example/2024/12/relax",
        "Japan eases rules",
        d(2024, 12, 2),
        vec![control(
            Some("Japan"),
            Some(ControlAction::Relax),
            &["photoresist"],
            Some(PartialDate::Day(d(2025, 1, 1))),
        )],
        false,
    );
    store_article(
        s,
        wire,
        "https://wire.example/2025/02/unknown",
        "Curbs on HBM",
        d(2025, 2, 11),
        vec![control(None, None, &["HBM"], Some(PartialDate::Year(2025)))],
        true,
    );

    let stories = store.stories(&StoryFilter::default()).unwrap();
    let ids: Vec<i64> = stories.iter().map(|s| s.id).collect();
    let sources = store
        .story_sources(&ids)
        .unwrap()
        .into_iter()
        .map(|(id, list)| (id, list.into_iter().map(|s| s.url).collect()))
        .collect();
    let count = |kind: &str| {
        stories
            .iter()
            .filter(|s| s.record.kind().as_str() == kind)
            .count()
    };
    let (orders, controls) = (count("chip_order"), count("export_control"));
    Fixture {
        setup,
        sources,
        orders,
        controls,
    }
}

/// Writes the report of `fixture` through the binary into `out`.
pub fn write_report(fixture: &Fixture, out: &Path) {
    let output = fixture
        .setup
        .command(&["report", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_code(&output, 0);
    assert!(
        text(&output.stdout).starts_with("wrote "),
        "{}",
        text(&output.stdout)
    );
}

/// Every address in the page that a browser could load or follow, with the element and
/// attribute it sits on.
fn addresses(page: &Html) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for element in page
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        for (name, value) in element.value().attrs() {
            if matches!(
                name,
                "href"
                    | "src"
                    | "srcset"
                    | "xlink:href"
                    | "action"
                    | "formaction"
                    | "poster"
                    | "data"
                    | "background"
                    | "ping"
            ) {
                found.push((
                    element.value().name().to_string(),
                    name.to_string(),
                    value.to_string(),
                ));
            }
        }
    }
    found
}

/// See: issue 13 — "one SVG mark per story, lanes, legend, the tables with every source
/// link, the escaped title, no reference to another host".
#[test]
fn the_report_shows_every_story_once_escapes_titles_and_loads_nothing() {
    let fixture = two_years_of_stories();
    assert_eq!(
        (fixture.orders, fixture.controls),
        (4, 4),
        "{:?}",
        fixture.sources
    );
    let out = fixture.setup.dir.path().join("reports/chips.html");
    write_report(&fixture, &out);
    let html = std::fs::read_to_string(&out).unwrap();
    let page = Html::parse_document(&html);
    let story_ids: BTreeSet<i64> = fixture.sources.keys().copied().collect();

    // One mark per story, in its lane, each linking to its row with a tooltip.
    let marks: Vec<_> = page.select(&select("svg.timeline a.mark")).collect();
    assert_eq!(marks.len(), story_ids.len());
    let marked: BTreeSet<i64> = marks
        .iter()
        .map(|m| m.value().attr("data-story").unwrap().parse().unwrap())
        .collect();
    assert_eq!(marked, story_ids);
    for mark in &marks {
        let id = mark.value().attr("data-story").unwrap();
        assert_eq!(
            mark.value().attr("href"),
            Some(format!("#story-{id}").as_str())
        );
        let tooltip: String = mark
            .select(&select("title"))
            .next()
            .unwrap()
            .text()
            .collect();
        assert!(tooltip.contains("source"), "{tooltip}");
        assert!(page
            .select(&select(&format!("tr#story-{id}")))
            .next()
            .is_some());
    }
    assert_eq!(
        page.select(&select("svg.timeline a.mark.order circle"))
            .count(),
        4
    );
    assert_eq!(
        page.select(&select("svg.timeline a.mark.control path"))
            .count(),
        4
    );
    assert_eq!(
        page.select(&select("svg.timeline circle.unvalued")).count(),
        2,
        "the two orders with no USD value are hollow rings"
    );
    // Month and year effective dates get a bar over the period they name.
    assert_eq!(page.select(&select("svg.timeline line.range")).count(), 2);
    for lane in ["g.lane.controls", "g.lane.orders"] {
        assert_eq!(
            page.select(&select(&format!("svg.timeline {lane}")))
                .count(),
            1,
            "{lane}"
        );
    }
    let axis: String = page
        .select(&select("svg.timeline .axis"))
        .next()
        .unwrap()
        .text()
        .collect();
    for year in ["2023", "2024", "2025"] {
        assert!(axis.contains(year), "axis labels {axis:?} lack {year}");
    }

    // The legend names every authority and supplier, the shapes and the sizes.
    let legend: String = page
        .select(&select("figcaption.legend"))
        .next()
        .unwrap()
        .text()
        .collect();
    for name in [
        "United States",
        "Netherlands",
        "Japan",
        "not stated",
        "Huawei",
        "Nvidia",
        "Cambricon",
        "restricts",
        "relaxes",
        "$1B",
        "no value in US dollars stated",
    ] {
        assert!(legend.contains(name), "legend {legend:?} lacks {name}");
    }

    // A table per kind, a row per story, every source article linked.
    for (table, count) in [("#orders-table", 4), ("#controls-table", 4)] {
        assert_eq!(
            page.select(&select(&format!("{table} tbody tr"))).count(),
            count,
            "{table}"
        );
    }
    for (id, urls) in &fixture.sources {
        let row = page
            .select(&select(&format!("tr#story-{id}")))
            .next()
            .unwrap();
        let links: BTreeSet<String> = row
            .select(&select("a.source"))
            .map(|a| a.value().attr("href").unwrap().to_string())
            .collect();
        assert_eq!(&links, urls, "story {id}");
    }
    let two_sites = page
        .select(&select("#orders-table tbody tr"))
        .find(|r| r.select(&select("a.source")).count() == 2);
    let two_sites: String = two_sites
        .expect("the Baidu order has two sources")
        .text()
        .collect();
    assert!(
        two_sites.contains("2 sites · 2 articles") && two_sites.contains("asia.example"),
        "{two_sites}"
    );
    assert!(
        two_sites.contains("value 62000000 USD (1)"),
        "the other figure is shown: {two_sites}"
    );

    // The hostile title is text: no markup from it, its bidi controls shown as code points.
    assert!(!html.contains("alert('pwned')</script>"));
    assert!(!html.contains("<b>Nvidia</b>"));
    assert!(!html.contains('\u{202E}') && !html.contains('\u{2066}'));
    assert!(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;&lt;b&gt;Nvidia&lt;/b&gt; [U+202E]stroper[U+2066] ban &quot;H20&quot; &amp; more"));
    let hostile = page
        .select(&select("a.source"))
        .find(|a| a.value().attr("href") == Some("https://wire.example/2024/03/hostile"))
        .unwrap();
    assert_eq!(
        hostile.text().collect::<String>(),
        "<script>alert('pwned')</script><b>Nvidia</b> [U+202E]stroper[U+2066] ban \"H20\" & more"
    );
    assert_eq!(
        page.select(&select("script")).count(),
        1,
        "only the sorting script"
    );
    assert_eq!(page.select(&select("b")).count(), 0);

    // Nothing to load from anywhere: the only addresses that leave the page are the
    // source articles' links, which a reader may follow.
    let article_urls: BTreeSet<&String> = fixture.sources.values().flatten().collect();
    for (element, attribute, value) in addresses(&page) {
        let inline = value.starts_with('#') || value.starts_with("data:");
        let source_link = element == "a" && attribute == "href" && article_urls.contains(&value);
        assert!(
            inline || source_link,
            "<{element} {attribute}={value:?}> refers elsewhere"
        );
    }
    let style: String = page
        .select(&select("style"))
        .flat_map(|s| s.text())
        .collect();
    assert!(!style.contains("url(") && !style.contains("@import"));
    let policy = page
        .select(&select("meta[http-equiv=Content-Security-Policy]"))
        .next()
        .unwrap();
    assert!(policy
        .value()
        .attr("content")
        .unwrap()
        .starts_with("default-src 'none';"));

    // The summary: the period, counts per kind, largest orders, latest controls, and
    // the failed feed.
    let summary: String = page
        .select(&select("#summary"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(summary.contains("2023-03-14 to "), "{summary}");
    assert!(
        summary.contains("4 chip orders from 5 articles"),
        "{summary}"
    );
    assert!(
        summary.contains("4 export controls from 4 articles"),
        "{summary}"
    );
    let largest: Vec<String> = page
        .select(&select("#summary ol.top"))
        .next()
        .unwrap()
        .select(&select("li"))
        .map(|li| li.text().collect())
        .collect();
    assert_eq!(
        largest.len(),
        2,
        "only orders with a USD value: {largest:?}"
    );
    assert!(
        largest[0].starts_with("$1B ByteDance orders from Nvidia"),
        "{largest:?}"
    );
    assert!(
        largest[1].starts_with("$61.8M Baidu orders from Huawei"),
        "{largest:?}"
    );
    let failing: String = page
        .select(&select("ul.feeds li.failing"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(
        failing.starts_with("broken failed: 1 attempt in a row")
            && failing.contains("HTTP status 503"),
        "{failing}"
    );
}

/// `--kind`, `--since` and `--until` narrow what the report shows; `--out -` prints it.
#[test]
fn filters_narrow_the_report_and_out_dash_prints_it() {
    let fixture = two_years_of_stories();
    let output = fixture
        .setup
        .command(&[
            "report",
            "--kind",
            "export_control",
            "--since",
            "2024-01-01",
            "--until",
            "2024-12-31",
            "--out",
            "-",
        ])
        .output()
        .unwrap();
    assert_code(&output, 0);
    let page = Html::parse_document(&text(&output.stdout));
    assert_eq!(page.select(&select("svg.timeline a.mark")).count(), 2);
    assert_eq!(
        page.select(&select("svg.timeline g.lane.orders")).count(),
        0
    );
    assert_eq!(page.select(&select("#orders-table")).count(), 0);
    let summary: String = page
        .select(&select("#summary"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(
        summary.contains("2024-01-01 to 2024-12-31") && summary.contains("only export_control"),
        "{summary}"
    );

    let bad = fixture
        .setup
        .command(&["report", "--since", "2025-01-01", "--until", "2024-01-01"])
        .output()
        .unwrap();
    assert_code(&bad, 2);
}

fn modified(path: &PathBuf) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// See: issue 13 — "a `[report]` config section can name a path that `run` and `watch`
/// refresh after each pass that stored something".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_refreshes_the_configured_report_when_a_pass_stored_something() {
    let server = seed_site().await;
    let setup = Setup::new(
        &[("seed", format!("{}/feed.xml", server.uri()))],
        "[report]\npath = \"site/chips.html\"\n",
    );
    let report = setup.dir.path().join("site/chips.html");
    assert_code(&setup.run(&["run"]).await, 0);
    let html = std::fs::read_to_string(&report).unwrap();
    assert_eq!(
        Html::parse_document(&html)
            .select(&select("svg.timeline a.mark"))
            .count(),
        3
    );
    let leftovers: Vec<_> = std::fs::read_dir(report.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        ["chips.html"],
        "no temporary file is left behind"
    );

    // A pass that stores nothing leaves the report alone; a missing report is written.
    let written = modified(&report);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_code(&setup.run(&["run", "--all"]).await, 0);
    assert_eq!(modified(&report), written);
    std::fs::remove_file(&report).unwrap();
    assert_code(&setup.run(&["run", "--all"]).await, 0);
    assert!(report.exists());
}

/// `watch` writes the configured report after its first pass, as `run` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_writes_the_configured_report_after_a_pass() {
    let server = seed_site().await;
    let setup = Setup::new(
        &[("seed", format!("{}/feed.xml", server.uri()))],
        "[report]\npath = \"chips.html\"\n",
    );
    let report = setup.dir.path().join("chips.html");
    let child = setup.spawn(&["watch"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !report.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "watch wrote no report"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    crate::common::signal(&child, "TERM");
    let (output, _) = crate::common::wait_exit(child, std::time::Duration::from_secs(20)).await;
    assert_code(&output, 0);
    let html = std::fs::read_to_string(&report).unwrap();
    assert_eq!(
        Html::parse_document(&html)
            .select(&select("svg.timeline a.mark"))
            .count(),
        3
    );
    assert!(
        text(&output.stderr).contains("report written"),
        "{}",
        text(&output.stderr)
    );
}
