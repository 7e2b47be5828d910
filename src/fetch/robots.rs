//! robots.txt (RFC 9309) for article fetches: the groups for our product token (else `*`),
//! combined when several name it, Allow/Disallow with `*` and `$`, the longest matching
//! rule wins and Allow wins a tie. Paths and rules are compared in one percent-encoded
//! form (section 2.2.2): non-ASCII encoded, escapes of unreserved characters decoded.
//! How the file was obtained (4xx: allow all; 5xx or unreachable: disallow all for the
//! pass) is decided by the fetcher.

/// The rules of one robots.txt that apply to us.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Robots {
    /// (allow, path pattern)
    rules: Vec<(bool, String)>,
}

impl Robots {
    /// Everything allowed (robots.txt missing or 4xx).
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// Everything refused (robots.txt unreachable or 5xx: the site may be struggling).
    pub fn deny_all() -> Robots {
        Robots {
            rules: vec![(false, "/".to_string())],
        }
    }

    /// Parses robots.txt for the product token of `user_agent` ("chipwatch/0.1 (+…)" →
    /// "chipwatch").
    pub fn parse(text: &str, user_agent: &str) -> Robots {
        let token = user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or(user_agent)
            .to_ascii_lowercase();
        let mut ours: Vec<(bool, String)> = Vec::new();
        let mut star: Vec<(bool, String)> = Vec::new();
        let mut found_ours = false;
        let mut found_star = false;
        // Agents of the group being read; a run of user-agent lines opens one group.
        let mut agents: Vec<String> = Vec::new();
        let mut in_rules = false;
        for line in text.lines().take(10_000) {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if in_rules {
                        agents.clear();
                        in_rules = false;
                    }
                    agents.push(value.to_ascii_lowercase());
                }
                "allow" | "disallow" => {
                    in_rules = true;
                    let allow = key == "allow";
                    if value.is_empty() {
                        // "Disallow:" with no path allows everything: no rule.
                        if agents.contains(&token) {
                            found_ours = true;
                        }
                        if agents.iter().any(|a| a == "*") {
                            found_star = true;
                        }
                        continue;
                    }
                    let pattern = normalise_path(value);
                    if agents.contains(&token) {
                        found_ours = true;
                        ours.push((allow, pattern.clone()));
                    }
                    if agents.iter().any(|a| a == "*") {
                        found_star = true;
                        star.push((allow, pattern));
                    }
                }
                _ => {}
            }
        }
        let rules = if found_ours {
            ours
        } else if found_star {
            star
        } else {
            Vec::new()
        };
        Robots { rules }
    }

    /// Whether the path (with its query) may be fetched.
    pub fn allows(&self, path_and_query: &str) -> bool {
        let path = normalise_path(path_and_query);
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, &path) {
                let len = pattern.len();
                best = match best {
                    Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                    _ => Some((len, *allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// One comparable form for paths and rules: non-ASCII bytes percent-encoded, escapes
/// upper-cased, and escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) decoded.
fn normalise_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(decoded) = hex {
                if decoded.is_ascii_alphanumeric() || matches!(decoded, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(decoded));
                } else {
                    out.push_str(&format!("%{decoded:02X}"));
                }
                i += 3;
                continue;
            }
        }
        if b.is_ascii() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
        i += 1;
    }
    out
}

/// `*` matches any run of characters; a trailing `$` anchors the end.
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
        let last = i + 1 == pieces.len();
        if last && anchored {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    !anchored || rest.is_empty() || (pieces.is_empty() && rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const UA: &str = "chipwatch/0.1 (+https://example.com)";

    #[test]
    fn our_group_wins_over_star() {
        let robots = Robots::parse(
            "User-agent: *\nDisallow: /\n\nUser-agent: ChipWatch\nDisallow: /private/\n",
            UA,
        );
        assert!(robots.allows("/news/a"));
        assert!(!robots.allows("/private/x"));
    }

    #[test]
    fn longest_match_wins_and_allow_wins_ties() {
        let robots = Robots::parse(
            "User-agent: *\nDisallow: /news/\nAllow: /news/public/\nAllow: /a\nDisallow: /a\n",
            UA,
        );
        assert!(!robots.allows("/news/secret"));
        assert!(robots.allows("/news/public/x"));
        assert!(robots.allows("/a"));
        assert!(robots.allows("/other"));
    }

    #[test]
    fn wildcards_and_end_anchors() {
        let robots = Robots::parse(
            "User-agent: *\nDisallow: /*.pdf$\nDisallow: /*?print=\n",
            UA,
        );
        assert!(!robots.allows("/files/report.pdf"));
        assert!(robots.allows("/files/report.pdf.html"));
        assert!(!robots.allows("/story?print=1"));
        assert!(robots.allows("/story"));
    }

    #[test]
    fn paths_and_rules_compare_in_one_percent_encoding() {
        let robots = Robots::parse(
            "User-agent: *\nDisallow: /caf%c3%a9/\nDisallow: /%7Euser/\nDisallow: /ü\n",
            UA,
        );
        assert!(!robots.allows("/caf%C3%A9/menu"));
        assert!(!robots.allows("/~user/x"));
        assert!(!robots.allows("/%C3%BCber"));
        assert!(robots.allows("/cafe/"));
    }

    #[test]
    fn groups_naming_us_twice_are_combined() {
        let robots = Robots::parse(
            "User-agent: chipwatch\nDisallow: /a\n\nUser-agent: other\nDisallow: /\n\nUser-agent: chipwatch\nDisallow: /b\n",
            UA,
        );
        assert!(!robots.allows("/a/1"));
        assert!(!robots.allows("/b/1"));
        assert!(robots.allows("/c"));
    }

    #[test]
    fn grouped_agents_share_rules_and_empty_disallow_allows() {
        let robots = Robots::parse(
            "User-agent: other\nUser-agent: chipwatch\nDisallow: /x\n\nUser-agent: *\nDisallow:\n",
            UA,
        );
        assert!(!robots.allows("/x/1"));
        assert!(Robots::parse("User-agent: *\nDisallow:\n", UA).allows("/anything"));
        assert!(!Robots::deny_all().allows("/"));
        assert!(Robots::allow_all().allows("/"));
    }
}
