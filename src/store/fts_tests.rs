//! The full-text index stays in step with `articles` whether an article is written inside
//! a write batch (indexed at the batch's commit, see `batch.rs` and migration 009) or
//! outside one (indexed by the insert trigger at once): every test ends with FTS5's own
//! check of the index against the stored texts, which fails on a missing, extra or stale
//! entry.

use std::time::Duration;

use chrono::Utc;

use super::testing::{article, chip_order, spec, temp_store};
use super::{BatchLimits, Store};
use crate::model::Article;

/// Large enough that only the test decides when a batch commits.
const HOLD: BatchLimits = BatchLimits {
    articles: 1000,
    age: Duration::from_secs(3600),
};

fn url(n: u32) -> String {
    format!("https://news.example/story-{n}")
}

/// Story `n`: a title and a text with words of its own (`storyN`, `wordN`), and the words
/// every story shares (`Huawei`, `chips`).
fn story(n: u32) -> Article {
    let mut a = article(&url(n), 9);
    a.title = Some(format!("Story{n} about Huawei"));
    a.text = format!("Word{n} chips. Huawei shipped chips in story number {n}.");
    a
}

fn insert(store: &mut Store, n: u32) -> i64 {
    let url = url(n);
    store
        .insert_article(None, None, &story(n), &[chip_order(&url, 9)])
        .unwrap()
        .0
}

/// The URLs a search finds, from another connection (what `chipwatch articles search`
/// or Datasette sees), sorted.
fn found(store: &Store, query: &str) -> Vec<String> {
    let other = Store::open(store.path()).unwrap();
    let mut urls: Vec<String> = other
        .search_articles(query, 100)
        .unwrap()
        .into_iter()
        .map(|hit| hit.url)
        .collect();
    urls.sort();
    urls
}

fn urls(ns: &[u32]) -> Vec<String> {
    let mut urls: Vec<String> = ns.iter().map(|&n| url(n)).collect();
    urls.sort();
    urls
}

fn pending_rows(store: &Store) -> i64 {
    store
        .conn
        .query_row("SELECT count(*) FROM articles_fts_pending", [], |r| {
            r.get(0)
        })
        .unwrap()
}

/// FTS5's check of the index against `articles`, and no deferred row left behind.
fn assert_in_step(store: &Store) {
    let report = store.check().unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(
        pending_rows(store),
        0,
        "an article still waits to be indexed"
    );
}

#[test]
fn articles_stored_in_a_batch_are_indexed_when_it_commits() {
    let (_dir, mut store) = temp_store();
    store.begin_batching(BatchLimits {
        articles: 3,
        ..HOLD
    });
    for n in 1..=5 {
        insert(&mut store, n);
    }
    // The first three filled a batch and were committed; the last two wait in the open one.
    assert!(store.batch_is_open());
    assert_eq!(
        pending_rows(&store),
        2 + 1,
        "two articles and the batch's marker"
    );
    assert_eq!(found(&store, "Huawei"), urls(&[1, 2, 3]));
    store.end_batching().unwrap();
    assert_eq!(found(&store, "Huawei"), urls(&[1, 2, 3, 4, 5]));
    assert_eq!(found(&store, "word4"), urls(&[4]));
    assert_eq!(
        found(&store, "story5"),
        urls(&[5]),
        "titles are indexed too"
    );
    assert_in_step(&store);
}

#[test]
fn articles_stored_outside_a_batch_are_indexed_at_once() {
    let (_dir, mut store) = temp_store();
    insert(&mut store, 1);
    assert_eq!(pending_rows(&store), 0);
    assert_eq!(found(&store, "word1"), urls(&[1]));
    // Another program writing the table directly (no chipwatch batch) keeps it in step too.
    let other = Store::open(store.path()).unwrap();
    other
        .conn
        .execute(
            "INSERT INTO articles (url, title, text, text_source, fetched_at)
             VALUES ('https://news.example/by-hand', 'By hand', 'Huawei word99.', 'feed',
                     '2023-11-09T00:00:00Z')",
            [],
        )
        .unwrap();
    assert_eq!(found(&store, "word99"), ["https://news.example/by-hand"]);
    assert_in_step(&store);
}

#[test]
fn a_recovered_page_replaces_the_old_terms_inside_a_batch() {
    let (_dir, mut store) = temp_store();
    let earlier = insert(&mut store, 1);
    store.begin_batching(HOLD);
    // An article indexed before the batch, and one stored in the same batch (still
    // waiting to be indexed), both get their page's text.
    let same_batch = insert(&mut store, 2);
    for (id, n) in [(earlier, 1), (same_batch, 2)] {
        let mut page = story(n);
        page.text = format!("Recovered{n} text about memory.");
        store.replace_article_page(id, &page, 2, "v2", &[]).unwrap();
    }
    store.end_batching().unwrap();
    assert!(found(&store, "word1 OR word2").is_empty(), "old terms stay");
    assert_eq!(found(&store, "recovered1"), urls(&[1]));
    assert_eq!(found(&store, "recovered2"), urls(&[2]));
    assert_eq!(found(&store, "memory"), urls(&[1, 2]));
    assert_in_step(&store);
}

#[test]
fn deleted_and_pruned_articles_leave_the_index() {
    let (_dir, mut store) = temp_store();
    store.begin_batching(HOLD);
    for n in 1..=3 {
        insert(&mut store, n);
    }
    store.commit_batch().unwrap();
    // Deleted while it waits to be indexed, in the batch that stored it.
    let waiting = insert(&mut store, 4);
    store
        .conn
        .execute("DELETE FROM articles WHERE id = ?1", [waiting])
        .unwrap();
    // The id is free again: the next article takes it, and must be indexed once.
    assert_eq!(insert(&mut store, 5), waiting);
    store.end_batching().unwrap();
    assert!(found(&store, "word4").is_empty());
    assert_eq!(found(&store, "word5"), urls(&[5]));
    // Deleted after it was indexed (as a script would).
    store
        .conn
        .execute("DELETE FROM articles WHERE url = ?1", [url(1)])
        .unwrap();
    assert!(found(&store, "word1").is_empty());
    assert_eq!(found(&store, "Huawei"), urls(&[2, 3, 5]));
    assert_in_step(&store);
    // `db prune` empties the texts: only the titles are left to find.
    let pruned = store
        .prune_article_text(Utc::now() + chrono::Duration::seconds(5))
        .unwrap();
    assert_eq!(pruned.articles, 3);
    assert!(found(&store, "chips").is_empty());
    assert_eq!(found(&store, "Huawei"), urls(&[2, 3, 5]), "the titles stay");
    assert_in_step(&store);
}

#[test]
fn a_batch_rolled_back_leaves_nothing_to_find() {
    let (_dir, mut store) = temp_store();
    store.sync_config_feeds(&[spec("wire")]).unwrap();
    let feed = store.feeds().unwrap()[0].id;
    store.begin_batching(HOLD);
    insert(&mut store, 1);
    // An article that fails after its row was written (its feed does not exist) is rolled
    // back from its savepoint, its place in the list with it.
    let failed = store.insert_article(Some(feed + 100), None, &story(2), &[]);
    assert!(failed.is_err(), "{failed:?}");
    insert(&mut store, 3);
    store.end_batching().unwrap();
    assert_eq!(found(&store, "Huawei"), urls(&[1, 3]));
    assert_in_step(&store);

    // SQLite rolls a whole batch back by itself on some I/O errors and on a full disk.
    store.begin_batching(HOLD);
    insert(&mut store, 4);
    store.conn.execute_batch("ROLLBACK").unwrap();
    assert!(store.end_batching().is_err());
    assert!(found(&store, "word4").is_empty());
    assert_in_step(&store);

    // A crash in the middle of a batch: nothing of it is found, and nothing waits.
    let path = store.path().to_path_buf();
    store.begin_batching(HOLD);
    insert(&mut store, 5);
    std::mem::forget(store);
    let after = Store::open(&path).unwrap();
    assert!(found(&after, "word5").is_empty());
    assert_eq!(found(&after, "Huawei"), urls(&[1, 3]));
    // (The forgotten connection still holds the write lock, which FTS5's check needs.)
    assert_eq!(pending_rows(&after), 0);
}
