//! The database as Datasette sees it: the articles' full-text index declared so that
//! Datasette finds it, and every canned query and table key of `config/datasette.yml`
//! true to a database made by a real pass. See: issue 13.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};
use yaml_rust2::{Yaml, YamlLoader};

use crate::common::{assert_code, seed_site, Setup};

fn metadata() -> Yaml {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/datasette.yml"))
            .unwrap();
    let mut docs = YamlLoader::load_from_str(&text).unwrap();
    assert_eq!(docs.len(), 1, "one YAML document");
    docs.remove(0)
}

/// The FTS table Datasette 0.65 finds for `table` (its `detect_fts_sql`, verbatim in
/// substance): a virtual table whose statement says content="table" or content=[table].
fn datasette_fts_table(conn: &Connection, table: &str) -> Option<String> {
    let escaped = table
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    conn.query_row(
        "SELECT name FROM sqlite_master WHERE rootpage = 0
           AND (sql LIKE ?1 ESCAPE char(92) OR sql LIKE ?2 ESCAPE char(92))",
        [
            format!("%VIRTUAL TABLE%USING FTS%content=\"{escaped}\"%"),
            format!("%VIRTUAL TABLE%USING FTS%content=[{escaped}]%"),
        ],
        |r| r.get(0),
    )
    .optional()
    .unwrap()
}

/// Every column of `table`, generated ones included (Datasette reads `table_xinfo`).
fn columns(conn: &Connection, table: &str) -> BTreeSet<String> {
    let mut stmt = conn
        .prepare(&format!("SELECT name FROM pragma_table_xinfo('{table}')"))
        .unwrap();
    let names = stmt.query_map([], |r| r.get(0)).unwrap();
    names.collect::<Result<_, _>>().unwrap()
}

/// Runs `sql` and returns its column names and rows, every value as JSON.
fn query(conn: &Connection, sql: &str) -> (Vec<String>, Vec<Vec<serde_json::Value>>) {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{e}\n{sql}"));
    let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let width = names.len();
    let rows = stmt
        .query_map([], |row| {
            (0..width)
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => serde_json::Value::Null,
                        rusqlite::types::ValueRef::Integer(n) => n.into(),
                        rusqlite::types::ValueRef::Real(x) => x.into(),
                        rusqlite::types::ValueRef::Text(t) => {
                            String::from_utf8_lossy(t).into_owned().into()
                        }
                        rusqlite::types::ValueRef::Blob(_) => "<blob>".into(),
                    })
                })
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    (names, rows)
}

fn cell<'a>(
    result: &'a (Vec<String>, Vec<Vec<serde_json::Value>>),
    row: usize,
    name: &str,
) -> &'a serde_json::Value {
    let index = result
        .0
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", result.0));
    &result.1[row][index]
}

/// See: issue 13 — "the articles' FTS index is declared in the form Datasette detects
/// and every canned query in config/datasette.yml runs against a database made by a
/// real pass".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datasette_finds_the_search_index_and_every_canned_query_answers() {
    let server = seed_site().await;
    Mock::given(method("GET"))
        .and(path("/gone.xml"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let setup = Setup::new(
        &[
            ("seed", format!("{}/feed.xml", server.uri())),
            ("gone", format!("{}/gone.xml", server.uri())),
        ],
        "",
    );
    assert_code(&setup.run(&["run"]).await, 0);
    let conn = Connection::open(setup.db()).unwrap();

    // Without any metadata, Datasette offers ?_search= on articles, and its search
    // (rowid IN the FTS match) picks the seed article alone.
    assert_eq!(
        datasette_fts_table(&conn, "articles").as_deref(),
        Some("articles_fts")
    );
    let found = query(
        &conn,
        "SELECT url FROM articles WHERE rowid IN
           (SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'Huawei')",
    );
    assert_eq!(found.1.len(), 1, "{found:?}");
    assert!(found.1[0][0]
        .as_str()
        .unwrap()
        .ends_with(crate::common::SEED_PATH));
    assert_eq!(setup.count("SELECT count(*) FROM articles"), 2);

    let meta = metadata();
    assert!(meta["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(meta["description"].as_str().is_some_and(|d| d.len() > 40));
    let db = &meta["databases"]["chipwatch"];
    let tables = db["tables"].as_hash().expect("databases.chipwatch.tables");

    // Every table, column, FTS and label key names something that exists.
    let articles = &db["tables"]["articles"];
    assert_eq!(articles["fts_table"].as_str(), Some("articles_fts"));
    assert_eq!(articles["fts_pk"].as_str(), Some("id"));
    for (name, table) in tables {
        let name = name.as_str().unwrap();
        let existing = columns(&conn, name);
        assert!(
            !existing.is_empty(),
            "config/datasette.yml names no table {name}"
        );
        if let Some(label) = table["label_column"].as_str() {
            assert!(existing.contains(label), "{name}.label_column {label}");
        }
        for key in ["sort", "sort_desc", "fts_pk"] {
            if let Some(column) = table[key].as_str() {
                assert!(existing.contains(column), "{name}.{key} {column}");
            }
        }
        if let Some(described) = table["columns"].as_hash() {
            let described: BTreeSet<String> = described
                .keys()
                .map(|k| k.as_str().unwrap().to_string())
                .collect();
            let missing: Vec<_> = described.difference(&existing).collect();
            assert!(missing.is_empty(), "{name}: no columns {missing:?}");
        }
    }
    // Events and stories describe every column an analyst reads (all but the ids).
    for name in ["events", "stories"] {
        let described: BTreeSet<String> = db["tables"][name]["columns"]
            .as_hash()
            .unwrap_or_else(|| panic!("{name} has column descriptions"))
            .keys()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        let undocumented: Vec<_> = columns(&conn, name)
            .into_iter()
            .filter(|c| c != "id" && !described.contains(c))
            .collect();
        assert!(undocumented.is_empty(), "{name}: {undocumented:?}");
    }
    // The foreign keys Datasette follows all lead to a table with a label.
    for (table, column, target) in [
        ("events", "article_id", "articles"),
        ("events", "story_id", "stories"),
        ("article_feeds", "feed_id", "feeds"),
        ("article_feeds", "article_id", "articles"),
    ] {
        let fk: Option<String> = conn
            .query_row(
                &format!(
                    "SELECT \"table\" FROM pragma_foreign_key_list('{table}') WHERE \"from\" = ?1"
                ),
                [column],
                |r| r.get(0),
            )
            .optional()
            .unwrap();
        assert_eq!(fk.as_deref(), Some(target), "{table}.{column}");
        assert!(
            db["tables"][target]["label_column"].as_str().is_some(),
            "{target} has a label_column"
        );
    }

    // Every canned query runs, and the ones with an answer here give it.
    let queries = db["queries"]
        .as_hash()
        .expect("databases.chipwatch.queries");
    let names: BTreeSet<&str> = queries.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "controls_by_authority",
            "feeds_failing_or_quiet",
            "largest_orders",
            "most_sourced_stories",
            "orders_by_month",
        ])
    );
    for (name, q) in queries {
        let name = name.as_str().unwrap();
        assert!(q["title"].as_str().is_some(), "{name} has a title");
        assert!(
            q["description"].as_str().is_some(),
            "{name} has a description"
        );
        let sql = q["sql"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has sql"));
        let result = query(&conn, sql);
        match name {
            "orders_by_month" => {
                assert_eq!(result.1.len(), 1, "{result:?}");
                assert_eq!(cell(&result, 0, "month"), "2023-11");
                assert_eq!(cell(&result, 0, "orders"), 1);
                assert_eq!(cell(&result, 0, "total_value_usd"), 61_830_000.0);
            }
            "largest_orders" => {
                assert_eq!(result.1.len(), 1, "{result:?}");
                assert_eq!(
                    cell(&result, 0, "label"),
                    "Baidu orders Ascend 910B from Huawei"
                );
                assert_eq!(cell(&result, 0, "value_usd"), 61_830_000.0);
            }
            "controls_by_authority" => {
                assert_eq!(result.1.len(), 1, "{result:?}");
                assert_eq!(cell(&result, 0, "authority"), "United States");
                assert_eq!(cell(&result, 0, "year"), "2023");
                assert_eq!(cell(&result, 0, "controls"), 2);
                assert_eq!(cell(&result, 0, "restrict"), 2);
                assert_eq!(cell(&result, 0, "relax"), 0);
            }
            "most_sourced_stories" => {
                assert_eq!(result.1.len(), 3, "{result:?}");
                assert_eq!(cell(&result, 0, "sites"), 1);
            }
            "feeds_failing_or_quiet" => {
                // The feed that answered 404 failed; the seed feed just brought articles.
                assert_eq!(result.1.len(), 1, "{result:?}");
                assert_eq!(cell(&result, 0, "name"), "gone");
                assert_eq!(cell(&result, 0, "state"), "failing");
                assert_eq!(cell(&result, 0, "consecutive_failures"), 1);
            }
            other => panic!("no expectation for canned query {other}"),
        }
    }

    // A feed with no new article for over three times its interval counts as quiet.
    conn.execute(
        "UPDATE articles SET fetched_at = '2020-01-01T00:00:00Z'",
        [],
    )
    .unwrap();
    let quiet = query(
        &conn,
        queries[&Yaml::from_str("feeds_failing_or_quiet")]["sql"]
            .as_str()
            .unwrap(),
    );
    let states: BTreeSet<(String, String)> = quiet
        .1
        .iter()
        .map(|row| {
            (
                row[0].as_str().unwrap().into(),
                row[1].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        states,
        BTreeSet::from([
            ("gone".to_string(), "failing".to_string()),
            ("seed".to_string(), "quiet".to_string())
        ])
    );
}
