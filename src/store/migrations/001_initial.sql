-- 001_initial.sql — the first chipwatch schema.
--
-- This schema is a user interface: analysts query it with sqlite3, Datasette and pandas.
-- Conventions used throughout:
--   * timestamps are RFC 3339 UTC text with whole seconds ('2023-11-09T10:00:00Z'), so
--     they sort and compare correctly as plain text;
--   * dates are 'YYYY-MM-DD'; partial dates are 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD';
--   * lists and byte spans are JSON arrays (query them with json_each);
--   * booleans are 0 / 1.
-- Migrations are forward-only: once released this file is never edited; later changes
-- go into 002_*.sql and so on. The applied version is kept in PRAGMA user_version.

-- One row per feed, with its schedule and health.
CREATE TABLE feeds (
    id                   INTEGER PRIMARY KEY,
    -- Short unique name used on the command line and in logs.
    name                 TEXT NOT NULL UNIQUE,
    url                  TEXT NOT NULL,
    -- Who declared the feed: 'config' (the config file, synced at every start) or
    -- 'cli' (`chipwatch feeds add`, stored here only).
    source               TEXT NOT NULL CHECK (source IN ('config', 'cli')),
    -- Minutes between fetches when the feed is healthy.
    interval_mins        INTEGER NOT NULL,
    -- 1: fetch each new item's page for its text; 0: use the feed's own content.
    fetch_articles       INTEGER NOT NULL DEFAULT 1 CHECK (fetch_articles IN (0, 1)),
    -- Validators of the last successful response, sent back in the next conditional GET.
    etag                 TEXT,
    last_modified        TEXT,
    -- When the feed is due next (NULL: due now). Pushed back with backoff after failures.
    next_fetch_at        TEXT,
    -- Last attempt, successful or not.
    last_fetch_at        TEXT,
    -- Last attempt that returned the feed (200) or confirmed it unchanged (304).
    last_success_at      TEXT,
    -- Outcome of the last attempt: 'ok', 'not_modified' or 'error' (NULL: never fetched).
    last_status          TEXT CHECK (last_status IN ('ok', 'not_modified', 'error')),
    -- Error message of the last attempt when it failed, else NULL.
    last_error           TEXT,
    -- Failed attempts in a row; 0 after any success.
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL
);

-- One row per article.
CREATE TABLE articles (
    id             INTEGER PRIMARY KEY,
    -- The feed's link, normalised (scheme and host lower-cased, fragment and tracking
    -- parameters such as utm_* removed). The dedup key: an article is stored once.
    url            TEXT NOT NULL UNIQUE,
    -- The feed's own identifier for the item (RSS guid / Atom id) as first seen;
    -- every feed's guid is kept in article_feeds.
    guid           TEXT,
    -- The page's own <link rel=canonical>, when it names one.
    canonical_url  TEXT,
    title          TEXT,
    -- As the source states it: RFC 3339 when the time is known, else 'YYYY-MM-DD'.
    published      TEXT,
    -- The publication day alone ('YYYY-MM-DD'), for filtering and sorting.
    published_date TEXT,
    author         TEXT,
    -- Site name, as the page states it.
    site           TEXT,
    -- Detected language (ISO 639-1, e.g. 'en').
    lang           TEXT,
    -- Main text: paragraphs separated by blank lines. Event spans are UTF-8 byte
    -- offsets into this text. `chipwatch db prune` may empty it for old articles.
    text           TEXT NOT NULL,
    -- Where the text came from: 'page' (the fetched article page) or 'feed' (the
    -- feed item's own content).
    text_source    TEXT NOT NULL CHECK (text_source IN ('page', 'feed')),
    -- When chipwatch stored the article.
    fetched_at     TEXT NOT NULL,
    -- Hash of the rule packs whose events are stored for this article (NULL: unknown,
    -- e.g. no event was found); `chipwatch reprocess` updates it.
    rules_version  TEXT
);
CREATE INDEX articles_guid ON articles (guid);
CREATE INDEX articles_published_date ON articles (published_date);

-- Which feed(s) carried which article. Deleting a feed drops its links, not its articles.
CREATE TABLE article_feeds (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    feed_id    INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    -- That feed's identifier for the item (RSS guid / Atom id), when it has one.
    guid       TEXT,
    PRIMARY KEY (article_id, feed_id)
) WITHOUT ROWID;
CREATE INDEX article_feeds_guid ON article_feeds (guid);
CREATE INDEX article_feeds_feed ON article_feeds (feed_id);

-- Full-text index over article titles and texts (external content: the text lives in
-- `articles` only; the triggers below keep the index in step).
-- Example: SELECT rowid FROM articles_fts WHERE articles_fts MATCH '"Ascend 910B"';
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title,
    text,
    content = 'articles',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_after_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER articles_fts_after_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER articles_fts_after_update AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;

-- One row per event (DESIGN.md, "Event records"). Columns of the other kind are NULL.
CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    article_id     INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- 'chip_order' or 'export_control'.
    kind           TEXT NOT NULL CHECK (kind IN ('chip_order', 'export_control')),
    -- The article's publication day ('YYYY-MM-DD'); NULL when the article has none.
    published      TEXT,
    -- JSON array of the sentences the event came from, verbatim, in text order.
    evidence       TEXT NOT NULL,
    -- JSON array of [start, end] UTF-8 byte offsets of those sentences in articles.text.
    spans          TEXT NOT NULL,
    -- Id of the rule that fired first, and the hash of the rule packs in use.
    rule           TEXT NOT NULL,
    rules_version  TEXT NOT NULL,
    -- In (0, 1].
    confidence     REAL NOT NULL,
    -- 1 when the text reports the event second-hand ("reportedly", "sources said").
    hedged         INTEGER NOT NULL CHECK (hedged IN (0, 1)),
    -- chip_order: canonical organisations and product.
    buyer          TEXT,
    supplier       TEXT,
    product        TEXT,
    -- chip_order: units ordered.
    quantity       INTEGER,
    -- chip_order: value as first stated, with its ISO 4217 currency (both or neither).
    value_amount   REAL,
    value_currency TEXT,
    -- chip_order: the USD value, only when the text states one (no FX conversion).
    value_usd      REAL,
    -- chip_order: partial date of delivery.
    delivery       TEXT,
    -- chip_order: 'placed', 'planned' or 'cancelled'.
    status         TEXT CHECK (status IN ('placed', 'planned', 'cancelled')),
    -- export_control: jurisdiction imposing it, and the body when named.
    authority      TEXT,
    agency         TEXT,
    -- export_control: JSON arrays of restricted jurisdictions/entities, products and
    -- affected companies ('[]' when none is stated; NULL on chip orders).
    targets        TEXT,
    products       TEXT,
    companies      TEXT,
    -- export_control: 'restrict' or 'relax'.
    action         TEXT CHECK (action IN ('restrict', 'relax')),
    -- export_control: partial date it takes effect.
    effective      TEXT,
    -- SHA-256 (hex) of the event's kind, spans and fields: the same event found again
    -- (a re-run, `reprocess`) maps to the same row instead of a duplicate.
    fingerprint    TEXT NOT NULL,
    -- When chipwatch stored the event.
    created_at     TEXT NOT NULL,
    CHECK ((value_amount IS NULL) = (value_currency IS NULL)),
    UNIQUE (article_id, fingerprint)
);
CREATE INDEX events_kind_published ON events (kind, published);
CREATE INDEX events_published ON events (published);

-- One row per pass (`chipwatch run`, or one pass of `chipwatch watch`).
CREATE TABLE runs (
    id                        INTEGER PRIMARY KEY,
    started_at                TEXT NOT NULL,
    -- NULL while running (or when the process died mid-pass).
    finished_at               TEXT,
    -- 'running', 'ok', 'feeds_failed' (the pass completed, some feeds failed) or
    -- 'failed' (the pass itself failed; see error).
    status                    TEXT NOT NULL DEFAULT 'running'
                              CHECK (status IN ('running', 'ok', 'feeds_failed', 'failed')),
    -- The pass summary counts.
    feeds_fetched             INTEGER NOT NULL DEFAULT 0,
    feeds_not_modified        INTEGER NOT NULL DEFAULT 0,
    feeds_failed              INTEGER NOT NULL DEFAULT 0,
    articles_new              INTEGER NOT NULL DEFAULT 0,
    articles_skipped_robots   INTEGER NOT NULL DEFAULT 0,
    articles_refused_guard    INTEGER NOT NULL DEFAULT 0,
    articles_lang_unmatched   INTEGER NOT NULL DEFAULT 0,
    events_new_chip_order     INTEGER NOT NULL DEFAULT 0,
    events_new_export_control INTEGER NOT NULL DEFAULT 0,
    error                     TEXT
);
CREATE INDEX runs_started_at ON runs (started_at);
