//! robots.txt read as the reference reads it: the cases of RFC 9309 and of the test
//! suite of Google's open-source robots.txt parser, as facts (file, agent, URL, verdict)
//! run through `Robots::parse(..).allows(..)`. Where the two references disagree (an
//! escaped unreserved character), RFC 9309 section 2.2.2 decides; the Google test itself
//! calls that input illegal and not to be relied on.
//! The fetcher's handling around the parser (4xx, 5xx, cache, size) is in `fetch`.

use chipwatch::fetch::Robots;

/// Whether `agent` may fetch `url` under `robots_txt`, as the fetcher asks it: the
/// URL's path and query, percent-encoded as `url` leaves them.
fn allowed(robots_txt: &str, agent: &str, url: &str) -> bool {
    let path = match url::Url::parse(url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => url.to_string(),
    };
    Robots::parse(robots_txt, agent).allows(&path)
}

/// Checks every `(url, verdict)` of one file for one agent.
fn check(robots_txt: &str, agent: &str, cases: &[(&str, bool)]) {
    for (url, verdict) in cases {
        assert_eq!(
            allowed(robots_txt, agent, url),
            *verdict,
            "{agent} {url} under:\n{robots_txt}"
        );
    }
}

const FOO_DISALLOW_ALL: &str = "user-agent: FooBot\ndisallow: /\n";

#[test]
fn empty_files_agents_and_urls() {
    assert!(allowed("", "FooBot", ""), "an empty file allows everything");
    assert!(
        allowed(FOO_DISALLOW_ALL, "", ""),
        "an empty agent matches no group"
    );
    assert!(
        !allowed(FOO_DISALLOW_ALL, "FooBot", ""),
        "an empty path is the root"
    );
    assert!(allowed("", "", ""));
}

#[test]
fn a_missing_colon_may_be_a_space_but_unknown_keys_are_no_rules() {
    let url = "http://foo.bar/x/y";
    assert!(!allowed(FOO_DISALLOW_ALL, "FooBot", url));
    assert!(allowed("foo: FooBot\nbar: /\n", "FooBot", url));
    assert!(!allowed("user-agent FooBot\ndisallow /\n", "FooBot", url));
}

#[test]
fn groups_are_combined_and_rules_outside_groups_ignored() {
    let robots = "allow: /foo/bar/\n\nuser-agent: FooBot\ndisallow: /\nallow: /x/\n\
                  user-agent: BarBot\ndisallow: /\nallow: /y/\n\n\nallow: /w/\n\
                  user-agent: BazBot\n\nuser-agent: FooBot\nallow: /z/\ndisallow: /\n";
    let (w, x, y, z) = (
        "http://foo.bar/w/a",
        "http://foo.bar/x/b",
        "http://foo.bar/y/c",
        "http://foo.bar/z/d",
    );
    let foo = "http://foo.bar/foo/bar/";
    check(
        robots,
        "FooBot",
        &[(x, true), (z, true), (y, false), (foo, false)],
    );
    check(
        robots,
        "BarBot",
        &[(y, true), (w, true), (z, false), (foo, false)],
    );
    check(robots, "BazBot", &[(z, true), (foo, false)]);
}

#[test]
fn directive_names_are_case_insensitive() {
    for robots in [
        "USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n",
        "user-agent: FooBot\nallow: /x/\ndisallow: /\n",
        "uSeR-aGeNt: FooBot\nAlLoW: /x/\ndIsAlLoW: /\n",
    ] {
        check(
            robots,
            "FooBot",
            &[("http://foo.bar/x/y", true), ("http://foo.bar/a/b", false)],
        );
    }
}

#[test]
fn agent_names_are_case_insensitive_and_read_up_to_the_first_space() {
    for robots in [
        "User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n",
        "User-Agent: foo bar\nAllow: /x/\nDisallow: /\n",
        "User-Agent: FoO bAr\nAllow: /x/\nDisallow: /\n",
    ] {
        for agent in ["Foo", "foo"] {
            check(
                robots,
                agent,
                &[("http://foo.bar/x/y", true), ("http://foo.bar/a/b", false)],
            );
        }
    }
    let robots = "User-Agent: *\nDisallow: /\nUser-Agent: Foo Bar\nAllow: /x/\nDisallow: /\n";
    assert!(allowed(robots, "Foo", "http://foo.bar/x/y"));
    // A version after the name does not hide it; our own user agent is read the same way.
    let robots = "User-agent: Googlebot/2.1\nDisallow: /\n";
    assert!(!allowed(robots, "Googlebot", "http://foo.bar/x"));
    assert!(!allowed(
        robots,
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "http://foo.bar/x"
    ));
}

#[test]
fn the_star_group_applies_only_when_no_group_names_us() {
    let url = "http://foo.bar/x/y";
    let global = "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n";
    let only_specific = "user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\n\
                         user-agent: BazBot\ndisallow: /\n";
    assert!(allowed("", "FooBot", url));
    assert!(!allowed(global, "FooBot", url));
    assert!(allowed(global, "BarBot", url));
    assert!(allowed(only_specific, "QuxBot", url));
    // "* anything" still names everyone.
    assert!(!allowed(
        "User-agent: * sorry\nDisallow: /\n",
        "QuxBot",
        url
    ));
    // A group naming us without rules still hides the `*` group.
    assert!(allowed(
        "User-agent: *\nDisallow: /\n\nUser-agent: FooBot\nSitemap: /s.xml\n",
        "FooBot",
        url
    ));
}

#[test]
fn rule_values_are_case_sensitive() {
    let url = "http://foo.bar/x/y";
    assert!(!allowed(
        "user-agent: FooBot\ndisallow: /x/\n",
        "FooBot",
        url
    ));
    assert!(allowed(
        "user-agent: FooBot\ndisallow: /X/\n",
        "FooBot",
        url
    ));
}

#[test]
fn the_longest_match_wins_and_allow_wins_a_tie() {
    let page = "http://foo.bar/x/page.html";
    let foo = |rules: &str| format!("user-agent: FooBot\n{rules}");
    check(
        &foo("disallow: /x/page.html\nallow: /x/\n"),
        "FooBot",
        &[(page, false)],
    );
    check(
        &foo("allow: /x/page.html\ndisallow: /x/\n"),
        "FooBot",
        &[(page, true), ("http://foo.bar/x/", false)],
    );
    check(&foo("disallow: \nallow: \n"), "FooBot", &[(page, true)]);
    check(&foo("disallow: /\nallow: /\n"), "FooBot", &[(page, true)]);
    check(
        &foo("disallow: /x\nallow: /x/\n"),
        "FooBot",
        &[("http://foo.bar/x", false), ("http://foo.bar/x/", true)],
    );
    check(
        &foo("disallow: /x/page.html\nallow: /x/page.html\n"),
        "FooBot",
        &[(page, true)],
    );
    check(
        &foo("allow: /page\ndisallow: /*.html\n"),
        "FooBot",
        &[
            ("http://foo.bar/page.html", false),
            ("http://foo.bar/page", true),
        ],
    );
    check(
        &foo("allow: /x/page.\ndisallow: /*.html\n"),
        "FooBot",
        &[(page, true), ("http://foo.bar/x/y.html", false)],
    );
    check(
        "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n",
        "FooBot",
        &[
            ("http://foo.bar/x/page", true),
            ("http://foo.bar/y/page", false),
        ],
    );
}

#[test]
fn paths_and_rules_compare_percent_encoded() {
    let allow_only = |rule: &str| format!("User-agent: FooBot\nDisallow: /\nAllow: {rule}\n");
    check(
        &allow_only("/foo/bar?qux=taz&baz=http://foo.bar?tar&par"),
        "FooBot",
        &[(
            "http://foo.bar/foo/bar?qux=taz&baz=http://foo.bar?tar&par",
            true,
        )],
    );
    // A non-ASCII rule is encoded; an encoded one stays; either matches the encoded URL.
    for rule in ["/foo/bar/ツ", "/foo/bar/%E3%83%84", "/foo/bar/%e3%83%84"] {
        check(
            &allow_only(rule),
            "FooBot",
            &[
                ("http://foo.bar/foo/bar/%E3%83%84", true),
                ("http://foo.bar/foo/bar/%e3%83%84", true),
                ("http://foo.bar/foo/bar/", false),
            ],
        );
    }
    // RFC 9309 figure 4: an escaped unreserved character is that character.
    check(
        &allow_only("/foo/bar/%62%61%7A"),
        "FooBot",
        &[
            ("http://foo.bar/foo/bar/%62%61%7A", true),
            ("http://foo.bar/foo/bar/baz", true),
            ("http://foo.bar/foo/bar/qux", false),
        ],
    );
    // ... but a reserved one is not: %2F is not a path separator.
    let robots = "User-agent: *\nDisallow: /a%2fb\n";
    check(
        robots,
        "FooBot",
        &[
            ("http://foo.bar/a%2Fb", false),
            ("http://foo.bar/a/b", true),
        ],
    );
}

#[test]
fn escaped_star_and_dollar_are_literal_characters() {
    // RFC 9309 figure 6.
    let robots = "User-agent: *\nDisallow: /path/file-with-a-%2A.html\nDisallow: /path/foo-%24\n";
    check(
        robots,
        "FooBot",
        &[
            ("http://foo.bar/path/file-with-a-%2A.html", false),
            ("http://foo.bar/path/file-with-a-*.html", false),
            ("http://foo.bar/path/file-with-a-x.html", true),
            ("http://foo.bar/path/foo-%24", false),
            ("http://foo.bar/path/foo-$", false),
            ("http://foo.bar/path/foo-x", true),
        ],
    );
}

#[test]
fn star_dollar_and_comments() {
    check(
        "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n",
        "FooBot",
        &[
            ("http://foo.bar/foo/bar/quz", false),
            ("http://foo.bar/foo/quz", true),
            ("http://foo.bar/foo//quz", true),
            ("http://foo.bar/foo/bax/quz", true),
        ],
    );
    check(
        "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n",
        "FooBot",
        &[
            ("http://foo.bar/foo/bar", false),
            ("http://foo.bar/foo/bar/qux", true),
            ("http://foo.bar/foo/bar/", true),
            ("http://foo.bar/foo/bar/baz", true),
        ],
    );
    check(
        "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n",
        "FooBot",
        &[
            ("http://foo.bar/foo/bar", true),
            ("http://foo.bar/foo/quz", false),
        ],
    );
}

#[test]
fn an_allowed_index_html_allows_its_folder() {
    check(
        "User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n",
        "foobot",
        &[
            ("http://foo.com/allowed-slash/", true),
            ("http://foo.com/allowed-slash/index.htm", false),
            ("http://foo.com/allowed-slash/index.html", true),
            ("http://foo.com/anyother-url", false),
        ],
    );
}

#[test]
fn a_long_line_is_read_up_to_its_limit() {
    // The reference keeps 2083 × 8 − 1 bytes of a line.
    let keep = 2083 * 8 - 1;
    assert_eq!(chipwatch::fetch::ROBOTS_MAX_LINE_BYTES, keep);
    let disallow = "disallow: ";
    let mut long = String::from("/x/");
    while disallow.len() + long.len() < keep - 1 {
        long.push('a');
    }
    // The line is cut right after "<long>/", so the rule is "<long>/" and "qux" is lost.
    let robots = format!("user-agent: FooBot\n{disallow}{long}/qux\n");
    assert!(allowed(&robots, "FooBot", "http://foo.bar/fux"));
    assert!(!allowed(
        &robots,
        "FooBot",
        &format!("http://foo.bar{long}/fux")
    ));

    let allow = "allow: ";
    let mut long_a = String::from("/x/");
    let mut long_b = String::from("/x/");
    while allow.len() + long_a.len() < keep - 1 {
        long_a.push('a');
        long_b.push('b');
    }
    let robots =
        format!("user-agent: FooBot\ndisallow: /\n{allow}{long_a}/qux\n{allow}{long_b}/qux\n");
    assert!(!allowed(&robots, "FooBot", "http://foo.bar/"));
    assert!(allowed(
        &robots,
        "FooBot",
        &format!("http://foo.bar{long_a}/qux")
    ));
    assert!(allowed(
        &robots,
        "FooBot",
        &format!("http://foo.bar{long_b}/fux")
    ));
}

#[test]
fn the_documented_examples() {
    let under = |rule: &str| format!("user-agent: FooBot\ndisallow: /\nallow: {rule}\n");
    let fish_cases: &[(&str, bool)] = &[
        ("http://foo.bar/bar", false),
        ("http://foo.bar/fish", true),
        ("http://foo.bar/fish.html", true),
        ("http://foo.bar/fish/salmon.html", true),
        ("http://foo.bar/fishheads", true),
        ("http://foo.bar/fishheads/yummy.html", true),
        ("http://foo.bar/fish.html?id=anything", true),
        ("http://foo.bar/Fish.asp", false),
        ("http://foo.bar/catfish", false),
        ("http://foo.bar/?id=fish", false),
    ];
    check(&under("/fish"), "FooBot", fish_cases);
    check(&under("/fish*"), "FooBot", fish_cases);
    check(
        &under("/fish/"),
        "FooBot",
        &[
            ("http://foo.bar/bar", false),
            ("http://foo.bar/fish/", true),
            ("http://foo.bar/fish/salmon", true),
            ("http://foo.bar/fish/?salmon", true),
            ("http://foo.bar/fish/salmon.html", true),
            ("http://foo.bar/fish/?id=anything", true),
            ("http://foo.bar/fish", false),
            ("http://foo.bar/fish.html", false),
            ("http://foo.bar/Fish/Salmon.html", false),
        ],
    );
    check(
        &under("/*.php"),
        "FooBot",
        &[
            ("http://foo.bar/bar", false),
            ("http://foo.bar/filename.php", true),
            ("http://foo.bar/folder/filename.php", true),
            ("http://foo.bar/folder/filename.php?parameters", true),
            ("http://foo.bar//folder/any.php.file.html", true),
            ("http://foo.bar/filename.php/", true),
            ("http://foo.bar/index?f=filename.php/", true),
            ("http://foo.bar/php/", false),
            ("http://foo.bar/index?php", false),
            ("http://foo.bar/windows.PHP", false),
        ],
    );
    check(
        &under("/*.php$"),
        "FooBot",
        &[
            ("http://foo.bar/bar", false),
            ("http://foo.bar/filename.php", true),
            ("http://foo.bar/folder/filename.php", true),
            ("http://foo.bar/filename.php?parameters", false),
            ("http://foo.bar/filename.php/", false),
            ("http://foo.bar/filename.php5", false),
            ("http://foo.bar/php/", false),
            ("http://foo.bar/filename?php", false),
            ("http://foo.bar/aaaphpaaa", false),
            ("http://foo.bar//windows.PHP", false),
        ],
    );
    check(
        &under("/fish*.php"),
        "FooBot",
        &[
            ("http://foo.bar/bar", false),
            ("http://foo.bar/fish.php", true),
            ("http://foo.bar/fishheads/catfish.php?parameters", true),
            ("http://foo.bar/Fish.PHP", false),
        ],
    );
    // Order of precedence.
    let foo = |rules: &str| format!("user-agent: FooBot\n{rules}");
    assert!(allowed(
        &foo("allow: /p\ndisallow: /\n"),
        "FooBot",
        "http://example.com/page"
    ));
    assert!(allowed(
        &foo("allow: /folder\ndisallow: /folder\n"),
        "FooBot",
        "http://example.com/folder/page"
    ));
    assert!(!allowed(
        &foo("allow: /page\ndisallow: /*.htm\n"),
        "FooBot",
        "http://example.com/page.htm"
    ));
    check(
        &foo("allow: /$\ndisallow: /\n"),
        "FooBot",
        &[
            ("http://example.com/", true),
            ("http://example.com/page.html", false),
        ],
    );
}

/// See: issue 10 — a file with CR line ends read as one line lost every rule.
#[test]
fn every_kind_of_line_end_is_a_line_end() {
    for end in ["\n", "\r\n", "\r"] {
        let robots = [
            "User-Agent: foo",
            "Allow: /some/path",
            "User-Agent: bar",
            "",
            "",
            "Disallow: /",
        ]
        .join(end);
        check(
            &robots,
            "bar",
            &[
                ("http://foo.bar/x", false),
                ("http://foo.bar/some/path", false),
            ],
        );
        check(&robots, "foo", &[("http://foo.bar/some/path", true)]);
        check(
            &format!("{robots}{end}"),
            "bar",
            &[("http://foo.bar/x", false)],
        );
    }
    let mixed = "User-Agent: foo\nAllow: /some/path\r\nUser-Agent: bar\n\r\n\nDisallow: /";
    assert!(!allowed(mixed, "bar", "http://foo.bar/x"));
}

/// See: issue 10 — a byte-order mark hid the first user-agent line, and with it the group.
#[test]
fn a_byte_order_mark_is_skipped_even_when_cut_short() {
    let parse = |body: &[u8]| Robots::parse_bytes(body, "foo");
    let rules = b"User-Agent: foo\nDisallow: /\n";
    for mark in [&b"\xEF\xBB\xBF"[..], b"\xEF\xBB", b"\xEF", b""] {
        let body = [mark, &rules[..]].concat();
        assert!(!parse(&body).allows("/x"), "{mark:x?}");
    }
    assert!(!Robots::parse("\u{feff}User-agent: foo\nDisallow: /\n", "foo").allows("/x"));
    // A broken mark makes the first line garbage, which is skipped with its group.
    assert!(parse(b"\xEF\x11\xBFUser-Agent: foo\nDisallow: /\n").allows("/x"));
    // A mark is only skipped at the very start.
    assert!(parse(b"User-Agent: foo\n\xEF\xBB\xBFDisallow: /\n").allows("/x"));
}

/// See: issue 10 — the reference accepts these spellings; so must we.
#[test]
fn the_misspellings_the_reference_accepts() {
    for agent_key in ["user-agent", "useragent", "user agent", "User-Agents"] {
        for disallow_key in [
            "disallow",
            "dissallow",
            "dissalow",
            "disalow",
            "diasllow",
            "disallaw",
        ] {
            let robots = format!("{agent_key}: FooBot\n{disallow_key}: /private\n");
            check(
                &robots,
                "FooBot",
                &[
                    ("http://foo.bar/private/x", false),
                    ("http://foo.bar/public", true),
                ],
            );
        }
    }
    // "user agent FooBot" has three words and no colon: not a line the reference reads.
    assert!(allowed(
        "user agent FooBot\ndisallow: /\n",
        "FooBot",
        "http://foo.bar/x"
    ));
}

/// Google's ID_LineSyntax_Groups_OtherRules (RFC 9309 section 2.1): lines the protocol
/// does not define (Sitemap, unknown keys; Crawl-delay is one of them for the reference)
/// do not end a run of user-agent lines, so the agents before and after share a group.
#[test]
fn only_rules_end_a_group() {
    let cases = [
        ("BarBot", "Sitemap: https://foo.bar/sitemap"),
        ("FooBot", "Invalid-Unknown-Line: unknown"),
        ("FooBot", "Crawl-delay: 5"),
    ];
    for (named, between) in cases {
        let robots = format!("User-agent: {named}\n{between}\nUser-agent: *\nDisallow: /\n");
        // The agent named before the line is in the `*` group, and so is everyone else.
        for agent in [named, "OtherBot"] {
            assert!(
                !allowed(&robots, agent, "http://foo.bar/"),
                "{agent} after {between}"
            );
        }
    }
    for between in ["Sitemap: http://foo.bar/sitemap.xml", "Crawl-delay: 5"] {
        let robots = format!("User-agent: a\n{between}\nUser-agent: b\nDisallow: /\n");
        assert!(!allowed(&robots, "a", "http://foo.bar/x"), "{between}");
        assert!(!allowed(&robots, "b", "http://foo.bar/x"), "{between}");
        assert!(allowed(&robots, "c", "http://foo.bar/x"), "{between}");
    }
    // Blank lines and comments do not end a group either; a rule does.
    let robots = "User-agent: a\n\n# note\nUser-agent: b\nDisallow: /\n";
    assert!(!allowed(robots, "a", "http://foo.bar/x"));
    let robots = "User-agent: a\nAllow: /x\nUser-agent: b\nDisallow: /\n";
    assert!(allowed(robots, "a", "http://foo.bar/y"));
    assert!(!allowed(robots, "b", "http://foo.bar/y"));
    // A Sitemap line inside a group does not end it: its later rules still apply.
    let robots = "User-agent: a\nDisallow: /x\nSitemap: http://foo.bar/s.xml\nDisallow: /y\n";
    assert!(!allowed(robots, "a", "http://foo.bar/y"));
}
