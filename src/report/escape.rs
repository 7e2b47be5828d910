//! Text from articles and feeds made inert in HTML and SVG: markup characters become
//! entities, and characters that could change how the text around them reads
//! (bidirectional controls, other control characters) are shown as their code point.

use std::fmt::Write;

/// Bidirectional formatting characters: a title carrying U+202E would otherwise display
/// everything after it reversed, including the page's own text.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Escapes `text` for element content and for double- or single-quoted attribute
/// values alike. Newlines and tabs stay (tooltips use them); every other control
/// character, and every bidirectional control, is written out as `[U+XXXX]`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "[U+{:04X}]", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// An article link's address when it is one a reader may follow (http or https),
/// escaped for an attribute; `None` for anything else (`javascript:`, `data:`, junk).
pub fn safe_href(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| escape(parsed.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_become_entities() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn bidi_and_control_characters_are_shown_not_obeyed() {
        assert_eq!(
            escape("abc\u{202E}fed\u{2066}x\u{0007}\nok"),
            "abc[U+202E]fed[U+2066]x[U+0007]\nok"
        );
        assert_eq!(escape("中文 العربية"), "中文 العربية");
    }

    #[test]
    fn only_web_links_are_followed() {
        assert_eq!(
            safe_href("https://a.example/x?a=1&b=\"2\"").as_deref(),
            Some("https://a.example/x?a=1&amp;b=%222%22")
        );
        assert_eq!(safe_href("javascript:alert(1)"), None);
        assert_eq!(safe_href("data:text/html,<b>"), None);
        assert_eq!(safe_href("not a url"), None);
    }
}
