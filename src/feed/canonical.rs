//! The dedup key of an article: its link with the parts that do not change the page
//! removed (fragment, tracking parameters), scheme and host lower-cased.

use url::Url;

/// Query parameters added by mailers, ad networks and feed services to trace a click.
const TRACKING_PREFIXES: &[&str] = &["utm_", "mtm_", "pk_"];
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "cmpid",
    "ocid",
    "smid",
    "ref_src",
];

fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    TRACKING_PREFIXES.iter().any(|p| lower.starts_with(p))
        || TRACKING_PARAMS.contains(&lower.as_str())
}

/// Normalises an http(s) link; `None` for anything else (mailto:, javascript:, garbage).
pub fn canonical_url(link: &str) -> Option<String> {
    let mut url = Url::parse(link.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| !is_tracking(name))
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Some(url.into())
}

/// Resolves a possibly relative link against the feed's own URL, then normalises it.
pub fn resolve_link(base: Option<&Url>, link: &str) -> Option<String> {
    match Url::parse(link.trim()) {
        Ok(absolute) => canonical_url(absolute.as_str()),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            canonical_url(base?.join(link.trim()).ok()?.as_str())
        }
        Err(_) => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_and_fragments_go() {
        let cases = [
            (
                "https://Example.COM/a?utm_source=rss",
                "https://example.com/a",
            ),
            ("HTTP://example.com:80/a#top", "http://example.com/a"),
            (
                "https://example.com/a?id=7&utm_medium=feed&UTM_campaign=x",
                "https://example.com/a?id=7",
            ),
            (
                "https://example.com/a?fbclid=abc&page=2",
                "https://example.com/a?page=2",
            ),
            ("https://example.com/path/../b", "https://example.com/b"),
        ];
        for (input, expected) in cases {
            assert_eq!(canonical_url(input).as_deref(), Some(expected), "{input}");
        }
    }

    #[test]
    fn only_http_links_are_kept() {
        for link in [
            "mailto:a@b.c",
            "javascript:alert(1)",
            "ftp://x/y",
            "",
            "not a url",
            "file:///etc/passwd",
        ] {
            assert_eq!(canonical_url(link), None, "{link}");
        }
    }

    #[test]
    fn relative_links_resolve_against_the_feed() {
        let base = Url::parse("https://news.example/feeds/rss.xml").unwrap();
        assert_eq!(
            resolve_link(Some(&base), "/2023/11/story?utm_source=rss").as_deref(),
            Some("https://news.example/2023/11/story")
        );
        assert_eq!(resolve_link(None, "/2023/11/story"), None);
    }
}
