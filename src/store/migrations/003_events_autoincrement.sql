-- 003_events_autoincrement.sql — event ids are never reused.
--
-- `chipwatch events --after-id N` promises scripts every event with a larger id. With a
-- plain INTEGER PRIMARY KEY, SQLite hands out max(id) + 1, so when `reprocess` deleted
-- the newest events, the next new ones got their ids again and a consumer that had seen
-- them skipped the new events. SQLite cannot add AUTOINCREMENT to a table, so the table is
-- rebuilt with the same columns, rows, ids, constraints and indexes.

CREATE TABLE events_new (
    -- AUTOINCREMENT: an id is never handed out twice, even after `reprocess` deleted
    -- the newest events, so `events --after-id` consumers never miss one.
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO events_new (id, article_id, kind, published, evidence, spans, rule, rules_version, confidence, hedged, buyer, supplier, product, quantity, value_amount, value_currency, value_usd, delivery, status, authority, agency, targets, products, companies, action, effective, fingerprint, created_at)
SELECT id, article_id, kind, published, evidence, spans, rule, rules_version, confidence, hedged, buyer, supplier, product, quantity, value_amount, value_currency, value_usd, delivery, status, authority, agency, targets, products, companies, action, effective, fingerprint, created_at FROM events;

DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_kind_published ON events (kind, published);
CREATE INDEX events_published ON events (published);
