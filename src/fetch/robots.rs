//! robots.txt for article fetches, read the way Google's open-source reference parser
//! reads it (RFC 9309 plus the leniencies real files need): a byte-order mark (or the
//! start of one) is skipped; lines end at LF, CR or CRLF and are read up to
//! [`MAX_LINE_BYTES`]; `#` starts a comment; a missing colon may be a space
//! (`disallow /x`); keys are matched by prefix, case-insensitively, including the
//! misspellings the reference accepts (`useragent`, `user agent`, `dissallow`,
//! `disalow`, …). A group is a run of user-agent lines and the rules after it; only an
//! Allow or Disallow line ends the run of user-agent lines. Sitemap, Crawl-delay and
//! unknown lines are outside the protocol's groups (RFC 9309 section 2.1), so they end
//! nothing. The groups naming our product token apply (combined), else those for `*`. The longest matching rule wins, Allow on a tie; `*` matches any
//! run of characters and a final `$` anchors the end.
//!
//! Paths and rules are compared in one percent-encoded form (RFC 9309 section 2.2.2):
//! non-ASCII bytes encoded, escapes upper-cased, escapes of unreserved characters
//! decoded, and a `*` or `$` in a path compared as the literal `%2A` / `%24` a rule
//! must use for them. How the file was obtained (4xx: allow all; 5xx or unreachable:
//! not this pass) is the fetcher's business.

/// Bytes of one line that are read; the rest of a longer line is ignored (the
/// reference parser's bound: eight times the longest URL browsers accept, less one).
pub const MAX_LINE_BYTES: usize = 2083 * 8 - 1;

/// The UTF-8 byte-order mark; the reference skips any prefix of it at the start.
const BYTE_ORDER_MARK: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The rules of one robots.txt that apply to us.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Robots {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    /// In the canonical form of [`canonical_pattern`].
    pattern: String,
}

/// What one line declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directive {
    UserAgent,
    Allow,
    Disallow,
    /// Sitemap, Crawl-delay and every key we do not know: ignored, and no group ends
    /// at it (a `User-agent: a`, `Sitemap: …`, `User-agent: b` run is one group).
    Other,
}

impl Directive {
    fn of(key: &[u8]) -> Directive {
        let starts = |prefix: &str| {
            key.len() >= prefix.len() && key[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        };
        if ["user-agent", "useragent", "user agent"]
            .into_iter()
            .any(starts)
        {
            Directive::UserAgent
        } else if starts("allow") {
            Directive::Allow
        } else if [
            "disallow",
            "dissallow",
            "dissalow",
            "disalow",
            "diasllow",
            "disallaw",
        ]
        .into_iter()
        .any(starts)
        {
            Directive::Disallow
        } else {
            Directive::Other
        }
    }
}

/// The user-agent lines of the group being read.
#[derive(Debug, Default)]
struct Group {
    names_us: bool,
    names_everyone: bool,
    /// An Allow or Disallow line followed the user-agent lines: the next user-agent
    /// line opens a new group.
    closed: bool,
}

impl Robots {
    /// Everything allowed (robots.txt missing or 4xx).
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// Everything refused.
    pub fn deny_all() -> Robots {
        Robots {
            rules: vec![Rule {
                allow: false,
                pattern: "/".to_string(),
            }],
        }
    }

    /// Parses robots.txt for the product token of `user_agent` ("chipwatch/0.1 (+…)" →
    /// "chipwatch").
    pub fn parse(text: &str, user_agent: &str) -> Robots {
        Robots::parse_bytes(text.as_bytes(), user_agent)
    }

    /// [`Robots::parse`] on the raw body, which need not be UTF-8.
    pub fn parse_bytes(body: &[u8], user_agent: &str) -> Robots {
        let token = user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or(user_agent)
            .trim();
        let mut ours = Vec::new();
        let mut everyone = Vec::new();
        // A group naming us, even one without rules, makes the `*` groups irrelevant.
        let mut named_anywhere = false;
        let mut group = Group::default();
        for line in lines(body) {
            let Some((key, value)) = key_and_value(line) else {
                continue;
            };
            let directive = Directive::of(key);
            match directive {
                Directive::UserAgent => {
                    if group.closed {
                        group = Group::default();
                    }
                    if value.first() == Some(&b'*')
                        && value.get(1).is_none_or(u8::is_ascii_whitespace)
                    {
                        group.names_everyone = true;
                    } else {
                        let name = agent_name(value);
                        if !name.is_empty() && name.eq_ignore_ascii_case(token.as_bytes()) {
                            group.names_us = true;
                            named_anywhere = true;
                        }
                    }
                }
                Directive::Allow | Directive::Disallow => {
                    group.closed = true;
                    // Rules of other agents' groups, or before any user-agent line.
                    if !group.names_us && !group.names_everyone {
                        continue;
                    }
                    let target = if group.names_us {
                        &mut ours
                    } else {
                        &mut everyone
                    };
                    add_rules(target, directive == Directive::Allow, value);
                }
                Directive::Other => {}
            }
        }
        Robots {
            rules: if named_anywhere { ours } else { everyone },
        }
    }

    /// Whether the path (with its query) may be fetched.
    pub fn allows(&self, path_and_query: &str) -> bool {
        let path = if path_and_query.starts_with('/') {
            canonical_path(path_and_query)
        } else {
            canonical_path(&format!("/{path_and_query}"))
        };
        // (length of the longest matching rule, whether it allows)
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if !matches(&rule.pattern, &path) {
                continue;
            }
            let len = rule.pattern.len();
            best = match best {
                Some((l, allow)) if l > len || (l == len && allow) => Some((l, allow)),
                _ => Some((len, rule.allow)),
            };
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// An Allow or Disallow line's rules. An empty value matches nothing worth a rule. The
/// reference reads an allowed `…/index.htm[l]` as allowing its folder (`…/`) too.
fn add_rules(rules: &mut Vec<Rule>, allow: bool, value: &[u8]) {
    if value.is_empty() {
        return;
    }
    let pattern = canonical_pattern(value);
    if allow {
        if let Some(slash) = pattern.rfind('/') {
            if pattern[slash..].starts_with("/index.htm") {
                rules.push(Rule {
                    allow,
                    pattern: format!("{}$", &pattern[..=slash]),
                });
            }
        }
    }
    rules.push(Rule { allow, pattern });
}

/// The lines of the body: a leading byte-order mark (or a prefix of one) skipped, split
/// at LF, CR or CRLF, each cut at [`MAX_LINE_BYTES`].
fn lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let bom = body
        .iter()
        .zip(BYTE_ORDER_MARK)
        .take_while(|(byte, mark)| **byte == *mark)
        .count();
    let body = &body[bom..];
    let mut rest = Some(body);
    std::iter::from_fn(move || {
        let text = rest?;
        let (line, next) = match text.iter().position(|b| *b == b'\n' || *b == b'\r') {
            Some(end) => {
                let skip = if text[end] == b'\r' && text.get(end + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                (&text[..end], Some(&text[end + skip..]))
            }
            None => (text, None),
        };
        rest = next;
        Some(&line[..line.len().min(MAX_LINE_BYTES)])
    })
}

/// `key: value` with the comment dropped and both sides trimmed. Without a colon, one
/// run of spaces or tabs may separate exactly two words (`disallow /private`).
fn key_and_value(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let line = match line.iter().position(|b| *b == b'#') {
        Some(comment) => &line[..comment],
        None => line,
    };
    let line = line.trim_ascii();
    let (key, value) = match line.iter().position(|b| *b == b':') {
        Some(colon) => (&line[..colon], &line[colon + 1..]),
        None => {
            let gap = line.iter().position(|b| matches!(b, b' ' | b'\t'))?;
            let value = line[gap..].trim_ascii_start();
            if value.iter().any(|b| matches!(b, b' ' | b'\t')) {
                return None;
            }
            (&line[..gap], value)
        }
    };
    let key = key.trim_ascii();
    (!key.is_empty()).then(|| (key, value.trim_ascii()))
}

/// The name a user-agent line gives: its leading run of letters, `-` and `_`
/// ("Googlebot/2.1" and "Googlebot Images" both name "Googlebot").
fn agent_name(value: &[u8]) -> &[u8] {
    let end = value
        .iter()
        .position(|b| !(b.is_ascii_alphabetic() || *b == b'-' || *b == b'_'))
        .unwrap_or(value.len());
    &value[..end]
}

/// A rule's pattern in the canonical form: `*` and a final `$` keep their meaning,
/// every other byte as in [`canonical_path`].
fn canonical_pattern(value: &[u8]) -> String {
    let (body, anchored) = match value.strip_suffix(b"$") {
        Some(body) => (body, true),
        None => (value, false),
    };
    let mut out = canonical(body, true);
    if anchored {
        out.push('$');
    }
    out
}

/// A URL path (and query) in the canonical form.
fn canonical_path(path: &str) -> String {
    canonical(path.as_bytes(), false)
}

/// Percent-encoding in one form: non-ASCII bytes and control characters encoded,
/// escapes upper-cased, escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`)
/// decoded. A `$` is always the literal `%24`; a `*` is a wildcard in a pattern and the
/// literal `%2A` in a path.
fn canonical(bytes: &[u8], wildcards: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' {
            let escaped = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok());
            if let Some(decoded) = escaped {
                if decoded.is_ascii_alphanumeric() || matches!(decoded, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(decoded));
                } else {
                    push_escape(&mut out, decoded);
                }
                i += 3;
                continue;
            }
        }
        match byte {
            b'*' if wildcards => out.push('*'),
            b'*' | b'$' => push_escape(&mut out, byte),
            _ if byte.is_ascii_graphic() => out.push(char::from(byte)),
            _ => push_escape(&mut out, byte),
        }
        i += 1;
    }
    out
}

fn push_escape(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0xF)]));
}

/// `*` matches any run of characters; a final `$` anchors the end. Each piece between
/// stars is found leftmost, which leaves the most room for the rest, so one pass over
/// the path decides.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = path.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    for (i, piece) in pieces.iter().enumerate() {
        if anchored && i + 1 == pieces.len() {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    !anchored || rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_at_every_line_end_after_a_partial_byte_order_mark() {
        let split = |body: &[u8]| lines(body).map(<[u8]>::to_vec).collect::<Vec<_>>();
        assert_eq!(split(b"a\nb\r\nc\rd"), [&b"a"[..], b"b", b"c", b"d"]);
        assert_eq!(split(b"\xEF\xBBa\n"), [&b"a"[..], b""]);
        assert_eq!(split(b"\xEF\x11a"), [&b"\x11a"[..]]);
        assert_eq!(split(b"\r\n\r\n"), [&b""[..], b"", b""]);
    }

    #[test]
    fn keys_values_and_separators() {
        let kv = |line: &str| {
            key_and_value(line.as_bytes()).map(|(k, v)| {
                (
                    String::from_utf8_lossy(k).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
        };
        let pair = |k: &str, v: &str| Some((k.to_string(), v.to_string()));
        assert_eq!(kv("  Disallow : /x # no"), pair("Disallow", "/x"));
        assert_eq!(kv("disallow /x"), pair("disallow", "/x"));
        assert_eq!(kv("disallow /x /y"), None);
        assert_eq!(kv("user agent: Bot"), pair("user agent", "Bot"));
        assert_eq!(kv(": /x"), None);
        assert_eq!(kv("# only a comment"), None);
        assert_eq!(kv("nothing"), None);
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical_pattern(b"/a%2fb"), "/a%2Fb");
        assert_eq!(canonical_pattern("/ü".as_bytes()), "/%C3%BC");
        assert_eq!(canonical_pattern(b"/%7Euser/*.pdf$"), "/~user/*.pdf$");
        assert_eq!(canonical_pattern(b"/a$b"), "/a%24b");
        assert_eq!(canonical_pattern(b"/100%"), "/100%");
        assert_eq!(canonical_path("/a*b$"), "/a%2Ab%24");
        assert_eq!(canonical_path("/a b"), "/a%20b");
    }
}
