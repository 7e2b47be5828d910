use super::*;

const SHIPPED: &str = include_str!("../../config/chipwatch.toml");

fn shipped_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/chipwatch.toml")
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/etc/chipwatch/chipwatch.toml"))
}

#[test]
fn shipped_config_loads_with_its_feeds() {
    let config = Config::load(&shipped_path()).unwrap();
    assert!(config.feeds.len() >= 5);
    assert!(config
        .feeds
        .iter()
        .any(|f| f.url.contains("federalregister.gov") && f.url.contains("industry-and-security")));
    assert_eq!(config.http.allow_private_addresses, PrivateAccess::Deny);
    assert_eq!(
        config.rules_paths,
        vec![shipped_path().parent().unwrap().join("rules")]
    );
}

/// Every key the loader knows appears in the annotated example, so the example stays
/// the reference for operators.
#[test]
fn shipped_config_shows_every_key() {
    let keys = [
        "[database]",
        "path",
        "[http]",
        "user_agent",
        "timeout_secs",
        "connect_timeout_secs",
        "read_timeout_secs",
        "max_body_bytes",
        "concurrency",
        "per_host_concurrency",
        "per_host_delay_ms",
        "retries",
        "max_redirects",
        "respect_robots_txt",
        "allow_private_addresses",
        "proxy",
        "host_pause_max_secs",
        "[schedule]",
        "default_interval_mins",
        "max_backoff_hours",
        "max_items_per_feed",
        "page_retry_attempts",
        "page_retry_hours",
        "[run]",
        "fail_on_feed_error",
        "[log]",
        "format",
        "level",
        "[rules]",
        "paths",
        "[report]",
        "[[feeds]]",
        "name",
        "url",
        "interval_mins",
        "fetch_articles",
    ];
    for key in keys {
        let as_line = if key.starts_with('[') {
            key.to_string()
        } else {
            format!("\n{key} = ")
        };
        assert!(
            SHIPPED.contains(&as_line),
            "config/chipwatch.toml lacks {key}"
        );
    }
    // And the loader accepts each of them: a key it did not know would fail to parse.
    Config::parse(SHIPPED, &shipped_path()).unwrap();

    // Alerts ship as a commented example (an active one would post to a placeholder).
    assert!(SHIPPED.contains("\n# [[alerts]]\n"));
    for key in [
        "name",
        "url",
        "format",
        "kinds",
        "entities",
        "min_confidence",
        "min_sources",
        "hedged",
        "timeout_secs",
    ] {
        assert!(
            SHIPPED.contains(&format!("\n# {key} = ")),
            "config/chipwatch.toml lacks the alert key {key}"
        );
    }
    assert!(SHIPPED.contains("\n# # command = ["));
}

/// The commented `[[alerts]]` example of the shipped config, with its `# ` removed.
fn shipped_alert_example() -> String {
    let start = SHIPPED.find("\n# [[alerts]]\n").unwrap() + 1;
    SHIPPED[start..]
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.strip_prefix("# ").unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_shipped_alert_example_is_valid_once_uncommented() {
    let config = parse(&shipped_alert_example()).unwrap();
    let alert = &config.alerts[0];
    assert_eq!(alert.name, "chat");
    assert!(
        matches!(&alert.target, AlertTarget::Url(u) if u.host_str() == Some("hooks.slack.com"))
    );
    assert_eq!(alert.format, AlertFormat::Slack);
    assert_eq!(alert.filter.kinds.len(), 2);
    assert_eq!(alert.filter.entities, ["Huawei", "Nvidia", "United States"]);
    assert_eq!(
        (alert.filter.min_sources, alert.filter.hedged),
        (1, Some(false))
    );
    assert_eq!(
        alert.timeout,
        Duration::from_secs(DEFAULT_ALERT_TIMEOUT_SECS)
    );
    // And with the command instead of the URL.
    let command = shipped_alert_example()
        .replace("\nurl = ", "\n# url = ")
        .replace("# command = ", "command = ");
    let config = parse(&command).unwrap();
    assert_eq!(
        config.alerts[0].target,
        AlertTarget::Command(vec![
            "/usr/local/bin/notify-team".into(),
            "--channel".into(),
            "chips".into()
        ])
    );
}

#[test]
fn alerts_default_to_json_every_story_and_ten_seconds() {
    let config = parse(
        "[[alerts]]\nname = \"hook\"\nurl = \"http://10.0.0.7:8080/in\"\nmin_confidence = 1\n",
    )
    .unwrap();
    let alert = &config.alerts[0];
    assert_eq!(alert.format, AlertFormat::Json);
    assert!(alert.filter.kinds.is_empty() && alert.filter.entities.is_empty());
    assert_eq!(alert.filter.min_confidence, 1.0);
    assert_eq!((alert.filter.min_sources, alert.filter.hedged), (1, None));
    assert_eq!(alert.timeout, Duration::from_secs(10));
    assert!(parse("").unwrap().alerts.is_empty());
    // A relative program path is the config folder's; a bare name is PATH's.
    let config = parse("[[alerts]]\nname = \"a\"\ncommand = [\"bin/notify\", \"x\"]\n[[alerts]]\nname = \"b\"\ncommand = [\"notify\"]\n").unwrap();
    assert_eq!(
        config.alerts[0].target,
        AlertTarget::Command(vec!["/etc/chipwatch/bin/notify".into(), "x".into()])
    );
    assert_eq!(
        config.alerts[1].target,
        AlertTarget::Command(vec!["notify".into()])
    );
}

#[test]
fn bad_alerts_are_refused_by_entry_and_key() {
    let alert = |body: &str| format!("[[alerts]]\nname = \"a\"\n{body}\n");
    let cases = [
        (
            "[[alerts]]\nurl = \"http://x.test/\"\n".to_string(),
            "[[alerts]] #1 name",
        ),
        (
            "[[alerts]]\nname = \"a b\"\nurl = \"http://x.test/\"\n".to_string(),
            "[[alerts]] #1 name",
        ),
        (alert(""), "[[alerts]] #1 url"),
        (alert("url = \"ftp://x.test/\""), "[[alerts]] #1 url"),
        (
            alert("url = \"http://x.test/\"\ncommand = [\"x\"]"),
            "[[alerts]] #1 url",
        ),
        (alert("command = []"), "[[alerts]] #1 command"),
        (alert("command = [\" \"]"), "[[alerts]] #1 command"),
        (
            alert("url = \"http://x.test/\"\nformat = \"xml\""),
            "[[alerts]] #1 format",
        ),
        (
            alert("url = \"http://x.test/\"\nkinds = [\"merger\"]"),
            "[[alerts]] #1 kinds",
        ),
        (
            alert("url = \"http://x.test/\"\nentities = [\"\"]"),
            "[[alerts]] #1 entities",
        ),
        (
            alert("url = \"http://x.test/\"\nmin_confidence = 1.5"),
            "[[alerts]] #1 min_confidence",
        ),
        (
            alert("url = \"http://x.test/\"\nmin_sources = 0"),
            "[[alerts]] #1 min_sources",
        ),
        (
            alert("url = \"http://x.test/\"\ntimeout_secs = 0"),
            "[[alerts]] #1 timeout_secs",
        ),
        (
            alert("url = \"http://x.test/\"\ntimeout_secs = 301"),
            "[[alerts]] #1 timeout_secs",
        ),
        (
            format!(
                "{}{}",
                alert("url = \"http://x.test/\""),
                alert("url = \"http://y.test/\"")
            ),
            "[[alerts]] #2 name",
        ),
    ];
    for (text, key) in cases {
        match parse(&text) {
            Err(ConfigError::Invalid { key: k, .. }) => assert_eq!(k, key, "{text}"),
            other => panic!("{text}: expected an error for {key}, got {other:?}"),
        }
    }
    let unknown = parse(&alert("url = \"http://x.test/\"\nchannel = \"#chips\""))
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("unknown field `channel`"), "{unknown}");
}

#[test]
fn empty_file_gives_defaults_relative_to_the_file() {
    let config = parse("").unwrap();
    assert_eq!(
        config.database_path,
        PathBuf::from("/etc/chipwatch/data/chipwatch.db")
    );
    assert_eq!(config.http, HttpConfig::default());
    assert_eq!(config.schedule, ScheduleConfig::default());
    assert!(config.rules_paths.is_empty());
    assert!(config.feeds.is_empty());
}

#[test]
fn feed_interval_defaults_to_the_schedule() {
    let config = parse(
        "[schedule]\ndefault_interval_mins = 45\n[[feeds]]\nname = \"a\"\nurl = \"https://example.com/rss\"\n",
    )
    .unwrap();
    assert_eq!(config.feeds[0].interval_mins, 45);
    assert!(config.feeds[0].fetch_articles);
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let err = parse("[http]\ntimeout_secs = 5\ntimeout = 5\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("/etc/chipwatch/chipwatch.toml:3:"), "{err}");
    assert!(err.contains("unknown field `timeout`"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn negative_timeout_is_refused_by_key() {
    let err = parse("[http]\ntimeout_secs = -5\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "/etc/chipwatch/chipwatch.toml: [http] timeout_secs: must be a whole number of seconds from 1 to 3600, got -5"
    );
}

#[test]
fn bad_values_are_refused_by_key() {
    let cases = [
        ("[http]\nconcurrency = 0\n", "[http] concurrency"),
        ("[http]\nallow_private_addresses = [\"\"]\n", "[http] allow_private_addresses"),
        ("[http]\nallow_private_addresses = [\"intranet:http\"]\n", "[http] allow_private_addresses"),
        ("[http]\nallow_private_addresses = [\"[::1\"]\n", "[http] allow_private_addresses"),
        ("[http]\nallow_private_addresses = [\"host:99999\"]\n", "[http] allow_private_addresses"),
        ("[http]\nhost_pause_max_secs = -1\n", "[http] host_pause_max_secs"),
        ("[http]\nhost_pause_max_secs = 3601\n", "[http] host_pause_max_secs"),
        ("[schedule]\npage_retry_attempts = 21\n", "[schedule] page_retry_attempts"),
        ("[schedule]\npage_retry_hours = 0\n", "[schedule] page_retry_hours"),
        ("[log]\nformat = \"xml\"\n", "[log] format"),
        ("[log]\nlevel = \"inof\"\n", "[log] level"),
        ("[log]\nlevel = \"info,chipwatch=loud\"\n", "[log] level"),
        ("[database]\npath = \"\"\n", "[database] path"),
        ("[[feeds]]\nname = \"a b\"\nurl = \"https://x.test/\"\n", "[[feeds]] #1 name"),
        ("[[feeds]]\nname = \"a\"\nurl = \"ftp://x.test/\"\n", "[[feeds]] #1 url"),
        ("[[feeds]]\nname = \"a\"\n", "[[feeds]] #1 url"),
        (
            "[[feeds]]\nname = \"a\"\nurl = \"https://x.test/\"\n[[feeds]]\nname = \"a\"\nurl = \"https://y.test/\"\n",
            "[[feeds]] #2 name",
        ),
        ("[rules]\npaths = [\"no-such-folder\"]\n", "[rules] paths"),
    ];
    for (text, key) in cases {
        match parse(text) {
            Err(ConfigError::Invalid { key: k, .. }) => assert_eq!(k, key, "{text}"),
            other => panic!("{text}: expected an error for {key}, got {other:?}"),
        }
    }
}

#[test]
fn private_address_list_is_kept() {
    let config = parse("[http]\nallow_private_addresses = [\"Intranet.test:8080\"]\n").unwrap();
    assert_eq!(
        config.http.allow_private_addresses,
        PrivateAccess::AllowList(vec!["intranet.test:8080".into()])
    );
}

#[test]
fn unreadable_file_is_a_read_error() {
    let err = Config::load(Path::new("/no/such/chipwatch.toml")).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().contains("/no/such/chipwatch.toml"));
}

#[test]
fn proxy_must_be_an_http_url_and_is_off_by_default() {
    assert_eq!(parse("").unwrap().http.proxy, None);
    let config = parse("[http]\nproxy = \"http://proxy.internal:3128\"\n").unwrap();
    assert_eq!(
        config.http.proxy.map(String::from).as_deref(),
        Some("http://proxy.internal:3128/")
    );
    let err = parse("[http]\nproxy = \"socks5://x:1\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("[http] proxy"), "{err}");
}

#[test]
fn read_timeout_is_at_most_the_total_timeout() {
    let config = parse("[http]\ntimeout_secs = 5\nread_timeout_secs = 30\n").unwrap();
    assert_eq!(config.http.read_timeout, Duration::from_secs(5));
}

#[test]
fn allow_list_entries_parse_with_and_without_ports() {
    assert_eq!(parse_allow_entry("intranet"), Some(("intranet", None)));
    assert_eq!(
        parse_allow_entry("intranet:8080"),
        Some(("intranet", Some(8080)))
    );
    assert_eq!(parse_allow_entry("[::1]:8443"), Some(("::1", Some(8443))));
    assert_eq!(parse_allow_entry("[::1]"), Some(("::1", None)));
    assert_eq!(parse_allow_entry("fd00::7"), Some(("fd00::7", None)));
    for bad in ["", ":80", "a:b", "[::1]x", "[::1]:", "h:70000", "a/b"] {
        assert_eq!(parse_allow_entry(bad), None, "{bad:?}");
    }
}

#[test]
fn log_levels_and_directives_are_accepted() {
    for level in [
        "info",
        "WARN",
        "off",
        "warn,chipwatch=debug",
        "chipwatch::fetch=trace",
    ] {
        assert_eq!(
            parse(&format!("[log]\nlevel = {level:?}\n"))
                .unwrap()
                .log
                .level,
            level
        );
    }
}

#[test]
fn the_report_path_resolves_against_the_config_folder() {
    let path = Path::new("/etc/chipwatch/chipwatch.toml");
    let config = Config::parse("[report]\npath = \"../www/chips.html\"\n", path).unwrap();
    assert_eq!(
        config.report_path,
        Some(PathBuf::from("/etc/chipwatch/../www/chips.html"))
    );
    for off in ["", "[report]\n", "[report]\npath = \"\"\n"] {
        assert_eq!(
            Config::parse(off, path).unwrap().report_path,
            None,
            "{off:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let err = Config::parse(
        "[report]\npath = \".\"\n",
        &dir.path().join("chipwatch.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("[report] path") && err.contains("folder"),
        "{err}"
    );
}
