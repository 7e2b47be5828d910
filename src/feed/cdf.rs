//! Microsoft's Channel Definition Format (1997), which feed-rs does not read: a root
//! `<CHANNEL HREF=…>` with `<TITLE>`, `<ABSTRACT>` and `<ITEM HREF=… LASTMOD=…>`
//! children. [`cdf_to_rss`] rewrites it as the RSS 2.0 it is equivalent to.

use super::repair::{root_tag, tag_end};

/// A CDF document (root `<CHANNEL>`, items `<ITEM HREF=…>`, `<TITLE>`, `<ABSTRACT>`,
/// `LASTMOD` attributes) rewritten as the RSS 2.0 it is equivalent to; `None` for
/// anything else.
pub fn cdf_to_rss(text: &str) -> Option<String> {
    let (start, _) = root_tag(text, "CHANNEL")?;
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(&text[..start]);
    let mut rest = &text[start..];
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        let special = ["<!--", "<?", "<!"].iter().find(|p| rest.starts_with(**p));
        let end = match special {
            Some(&"<!--") => rest.find("-->").map(|e| e + 3),
            Some(_) => rest.find('>').map(|e| e + 1),
            None => tag_end(rest),
        };
        let Some(end) = end else {
            out.push_str(rest);
            return Some(out);
        };
        let tag = &rest[..end];
        rest = &rest[end..];
        if special.is_some() {
            out.push_str(tag);
            continue;
        }
        let closing = tag.starts_with("</");
        let name_start = if closing { 2 } else { 1 };
        let name_len = tag[name_start..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(0);
        let name = tag[name_start..name_start + name_len].to_ascii_lowercase();
        let self_closing = tag.ends_with("/>");
        let (open, close) = match name.as_str() {
            "channel" => ("<rss version=\"2.0\"><channel>", "</channel></rss>"),
            "item" => ("<item>", "</item>"),
            "abstract" => ("<description>", "</description>"),
            "title" => ("<title>", "</title>"),
            // Other CDF elements (LOGO, SCHEDULE, USAGE) say nothing a reader needs.
            _ => ("", ""),
        };
        if closing {
            out.push_str(close);
            continue;
        }
        out.push_str(open);
        if matches!(name.as_str(), "channel" | "item") {
            if let Some(href) = cdf_attr(tag, "href") {
                out.push_str("<link>");
                out.push_str(href);
                out.push_str("</link>");
            }
            if let Some(date) = cdf_attr(tag, "lastmod") {
                out.push_str(if name == "item" {
                    "<pubDate>"
                } else {
                    "<lastBuildDate>"
                });
                out.push_str(date);
                out.push_str(if name == "item" {
                    "</pubDate>"
                } else {
                    "</lastBuildDate>"
                });
            }
        }
        if self_closing {
            out.push_str(close);
        }
    }
    out.push_str(rest);
    Some(out)
}

/// An attribute of a CDF tag, by case-insensitive name (CDF writes them in capitals).
fn cdf_attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(name).map(|a| a + from) {
        from = at + name.len();
        let preceded = lower[..at].ends_with(|c: char| c.is_whitespace());
        let rest = lower[from..].trim_start();
        if !preceded || !rest.starts_with('=') {
            continue;
        }
        let value_at = lower.len() - rest[1..].trim_start().len();
        let quote = tag[value_at..]
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')?;
        let value = &tag[value_at + 1..];
        return Some(&value[..value.find(quote)?]);
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cdf_becomes_rss() {
        let cdf = "<!-- c -->\n<CHANNEL HREF=\"http://e.org/\" LASTMOD=\"2004-04-06T23:05:43-05:00\">\
                   <TITLE>T</TITLE><ITEM HREF='/item/1'><ABSTRACT>A</ABSTRACT></ITEM><LOGO HREF=\"x\"/></CHANNEL>";
        assert_eq!(
            cdf_to_rss(cdf).unwrap(),
            "<!-- c -->\n<rss version=\"2.0\"><channel><link>http://e.org/</link>\
             <lastBuildDate>2004-04-06T23:05:43-05:00</lastBuildDate><title>T</title>\
             <item><link>/item/1</link><description>A</description></item></channel></rss>"
        );
        assert_eq!(cdf_to_rss("<rss><channel/></rss>"), None);
    }
}
