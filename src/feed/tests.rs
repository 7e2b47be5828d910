use super::*;

const FEED_URL: &str = "https://news.example/feed.xml";

fn items(xml: &str) -> Vec<FeedItem> {
    parse_feed(xml.as_bytes(), FEED_URL, 100).unwrap().items
}

#[test]
fn rss2_items_become_feed_items() {
    let xml = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Chip  News</title>
<item><title>A</title><link>https://news.example/a?utm_source=rss#x</link>
<guid isPermaLink="false">id-a</guid><pubDate>Thu, 09 Nov 2023 07:11:00 GMT</pubDate>
<description>&lt;p&gt;Summary&lt;/p&gt;</description></item>
</channel></rss>"#;
    let parsed = parse_feed(xml.as_bytes(), FEED_URL, 100).unwrap();
    assert_eq!(parsed.title.as_deref(), Some("Chip News"));
    let item = &parsed.items[0];
    assert_eq!(item.url.as_deref(), Some("https://news.example/a"));
    assert_eq!(item.guid.as_deref(), Some("id-a"));
    assert_eq!(item.title.as_deref(), Some("A"));
    assert_eq!(
        item.published.unwrap().to_rfc3339(),
        "2023-11-09T07:11:00+00:00"
    );
    assert_eq!(item.content.as_deref(), Some("<p>Summary</p>"));
}

#[test]
fn atom_rss1_and_json_feed_parse() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:f</id><updated>2023-11-09T00:00:00Z</updated>
<entry><id>urn:e1</id><title>E</title><updated>2023-11-09T07:00:00Z</updated><link rel="alternate" href="/e1"/><content type="html">&lt;p&gt;Body&lt;/p&gt;</content></entry></feed>"#;
    let got = items(atom);
    assert_eq!(got[0].url.as_deref(), Some("https://news.example/e1"));
    assert_eq!(got[0].content.as_deref(), Some("<p>Body</p>"));

    let rss1 = r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://news.example/"><title>T</title><link>https://news.example/</link><description>d</description></channel>
<item rdf:about="https://news.example/r1"><title>R1</title><link>https://news.example/r1</link></item></rdf:RDF>"#;
    assert_eq!(
        items(rss1)[0].url.as_deref(),
        Some("https://news.example/r1")
    );

    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"j1","url":"https://news.example/j1","content_text":"Hello"}]}"#;
    let got = items(json);
    assert_eq!(got[0].url.as_deref(), Some("https://news.example/j1"));
    assert_eq!(got[0].guid.as_deref(), Some("j1"));
}

#[test]
fn rss_without_version_is_read_as_rss2() {
    let xml = "<rss><channel><title>T</title><item><link>https://news.example/v</link></item></channel></rss>";
    assert_eq!(items(xml)[0].url.as_deref(), Some("https://news.example/v"));
}

#[test]
fn duplicate_links_and_guids_are_dropped() {
    let xml = r#"<rss version="2.0"><channel><title>T</title>
<item><link>https://news.example/a?utm_source=x</link><guid>g1</guid></item>
<item><link>https://news.example/a</link><guid>g2</guid></item>
<item><guid>g3</guid><title>no link</title></item>
<item><link>https://news.example/c</link></item>
<item><guid>g3</guid><title>no link, same guid</title></item>
<item><title>no link, no guid</title></item>
</channel></rss>"#;
    let got: Vec<_> = items(xml).into_iter().map(|i| (i.url, i.guid)).collect();
    assert_eq!(
        got,
        vec![
            (Some("https://news.example/a".into()), Some("g1".into())),
            (None, Some("g3".into())),
            (Some("https://news.example/c".into()), None),
        ]
    );
}

#[test]
fn a_guid_shared_by_different_links_identifies_nothing() {
    // Some feeds put one constant GUID in every item: each link is still its own article.
    let xml = r#"<rss version="2.0"><channel><title>T</title>
<item><link>https://news.example/a</link><guid>same</guid></item>
<item><link>https://news.example/b</link><guid>same</guid></item>
<item><link>https://news.example/b?utm_medium=rss</link><guid>same</guid></item>
<item><link>https://news.example/c</link><guid>own</guid></item>
</channel></rss>"#;
    let got: Vec<_> = items(xml)
        .into_iter()
        .map(|i| (i.url.unwrap(), i.guid))
        .collect();
    assert_eq!(
        got,
        vec![
            ("https://news.example/a".to_string(), None),
            ("https://news.example/b".to_string(), None),
            (
                "https://news.example/c".to_string(),
                Some("own".to_string())
            ),
        ]
    );
}

#[test]
fn item_cap_is_applied_and_reported() {
    let mut xml = String::from(r#"<rss version="2.0"><channel><title>T</title>"#);
    for i in 0..10 {
        xml.push_str(&format!(
            "<item><link>https://news.example/{i}</link></item>"
        ));
    }
    xml.push_str("</channel></rss>");
    let parsed = parse_feed(xml.as_bytes(), FEED_URL, 3).unwrap();
    assert_eq!(parsed.items.len(), 3);
    assert_eq!(parsed.skipped, 7);
}

#[test]
fn garbage_is_an_error_naming_the_feed() {
    for input in [
        &b""[..],
        b"<html><body>not a feed</body></html>",
        b"\xff\xfe\x00<\x00r",
        b"{\"json\": 1}",
    ] {
        let err = parse_feed(input, FEED_URL, 10).unwrap_err();
        assert!(err.to_string().contains(FEED_URL), "{err}");
    }
}

#[test]
fn a_100_000_item_feed_is_cut_at_the_cap_before_parsing() {
    let mut xml = String::from(r#"<rss version="2.0"><channel><title>Huge</title>"#);
    for i in 0..100_000 {
        xml.push_str(&format!(
            "<item><title>Item {i}</title><link>https://news.example/{i}</link></item>"
        ));
    }
    xml.push_str("</channel></rss>");
    let parsed = parse_feed(xml.as_bytes(), FEED_URL, 500).unwrap();
    assert_eq!(parsed.items.len(), 500);
    assert_eq!(parsed.skipped, 99_500);
    assert_eq!(parsed.title.as_deref(), Some("Huge"));
}

#[test]
fn truncated_feeds_keep_their_complete_items() {
    let xml = r#"<rss version="2.0"><channel><title>T</title>
<item><link>https://news.example/a</link></item>
<item><link>https://news.example/b</link><description>cut here &"#;
    let parsed = parse_feed(xml.as_bytes(), FEED_URL, 10).unwrap();
    assert!(parsed.repaired);
    let urls: Vec<_> = parsed
        .items
        .iter()
        .filter_map(|i| i.url.as_deref())
        .collect();
    assert_eq!(urls, ["https://news.example/a", "https://news.example/b"]);
}

#[test]
fn utf16_be_with_bom_parses_instead_of_panicking() {
    let xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel><title>Chips</title><item><link>https://news.example/u</link><title>半导体</title></item></channel></rss>";
    let mut bytes = vec![0xFE, 0xFF];
    for unit in xml.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    let parsed = parse_feed(&bytes, FEED_URL, 10).unwrap();
    assert_eq!(parsed.encoding, "UTF-16BE");
    assert_eq!(parsed.items[0].title.as_deref(), Some("半导体"));
}

#[test]
fn legacy_charsets_from_http_become_correct_text() {
    let (gbk, _, _) = encoding_rs::GB18030
        .encode("<rss version=\"2.0\"><channel><title>芯片新闻</title></channel></rss>");
    let parsed = parse_feed_with_charset(&gbk, Some("gbk"), FEED_URL, 10).unwrap();
    assert_eq!(parsed.title.as_deref(), Some("芯片新闻"));
    let parsed = parse_feed_with_charset(
        b"<rss version=\"2.0\"><channel><title>Caf\xe9</title></channel></rss>",
        Some("windows-1252"),
        FEED_URL,
        10,
    )
    .unwrap();
    assert_eq!(parsed.title.as_deref(), Some("Café"));
}

#[test]
fn ttl_and_syndication_period_are_read() {
    let ttl = r#"<rss version="2.0"><channel><title>T</title><ttl>120</ttl></channel></rss>"#;
    assert_eq!(
        parse_feed(ttl.as_bytes(), FEED_URL, 10)
            .unwrap()
            .update_interval_mins,
        Some(120)
    );
    let sy = r#"<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>T</title><sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency></channel></rss>"#;
    assert_eq!(
        parse_feed(sy.as_bytes(), FEED_URL, 10)
            .unwrap()
            .update_interval_mins,
        Some(720)
    );
}

#[test]
fn entity_expansion_bombs_and_huge_titles_do_not_blow_up() {
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><link>https://news.example/x</link></item></channel></rss>"#;
    // Either outcome is fine; what matters is that it returns quickly and small.
    if let Ok(parsed) = parse_feed(bomb.as_bytes(), FEED_URL, 10) {
        assert!(parsed.title.map_or(0, |t| t.len()) < 10_000);
    }
    let huge_title = format!(
        "<rss version=\"2.0\"><channel><title>T</title><item><title>{}</title><link>https://news.example/h</link></item></channel></rss>",
        "x".repeat(1_000_000)
    );
    let parsed = parse_feed(huge_title.as_bytes(), FEED_URL, 10).unwrap();
    assert_eq!(parsed.items.len(), 1);
}

#[test]
fn cdf_channels_are_read_as_rss() {
    let cdf = r#"<CHANNEL HREF="https://news.example/"><TITLE>Old</TITLE>
<ITEM HREF="/story/1" LASTMOD="2004-04-06T23:05:43-05:00"><TITLE>One</TITLE><ABSTRACT>First.</ABSTRACT></ITEM>
</CHANNEL>"#;
    let parsed = parse_feed(cdf.as_bytes(), FEED_URL, 10).unwrap();
    assert_eq!(parsed.title.as_deref(), Some("Old"));
    let item = &parsed.items[0];
    assert_eq!(item.url.as_deref(), Some("https://news.example/story/1"));
    assert_eq!(item.title.as_deref(), Some("One"));
    assert_eq!(item.content.as_deref(), Some("First."));
}
