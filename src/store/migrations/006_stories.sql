-- 006_stories.sql — stories: one real-world order or control as reported across articles.
--
-- Every event belongs to one story (events.story_id). chipwatch assigns it when the
-- event is stored, in the same transaction, and regroups everything after `reprocess`
-- (DESIGN.md, "Story records"; README, "Stories"). Story ids only grow: a story that
-- merges into another or loses all its events is deleted and its id never handed out
-- again.

CREATE TABLE stories (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'chip_order' or 'export_control'.
    kind           TEXT NOT NULL CHECK (kind IN ('chip_order', 'export_control')),
    -- The merged slots, same columns and formats as in `events`: per slot the value most
    -- articles state (ties: the most confident report, then the earliest); an order's
    -- status is the one of the latest report that states one.
    buyer          TEXT,
    supplier       TEXT,
    product        TEXT,
    quantity       INTEGER,
    value_amount   REAL,
    value_currency TEXT,
    value_usd      REAL,
    delivery       TEXT,
    status         TEXT CHECK (status IN ('placed', 'planned', 'cancelled')),
    authority      TEXT,
    agency         TEXT,
    targets        TEXT,
    products       TEXT,
    companies      TEXT,
    action         TEXT CHECK (action IN ('restrict', 'relax')),
    effective      TEXT,
    -- JSON object: per slot, the other values articles state with their article counts,
    -- e.g. {"quantity": [{"value": 1500, "articles": 1}]}; '{}' when all agree.
    disagreements  TEXT NOT NULL DEFAULT '{}',
    -- Publication times of the earliest and latest article (RFC 3339, UTC).
    first_reported TEXT,
    last_reported  TEXT,
    -- Number of articles, and of distinct sites (hosts without 'www.') among them.
    articles       INTEGER NOT NULL,
    sites          INTEGER NOT NULL,
    -- The highest confidence of its events.
    confidence     REAL NOT NULL,
    -- 1 while every article reports it second-hand.
    hedged         INTEGER NOT NULL CHECK (hedged IN (0, 1)),
    -- JSON array of the slots whose shown value every article stating it inferred.
    inferred       TEXT NOT NULL DEFAULT '[]',
    -- Starts at 1; grows when a merged slot or the status changes.
    revision       INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    -- When anything in the row last changed (a new article, a new figure, ...).
    updated_at     TEXT NOT NULL,
    CHECK ((value_amount IS NULL) = (value_currency IS NULL))
);
CREATE INDEX stories_first_reported ON stories (first_reported);

-- The story the event belongs to (NULL only until the stories are regrouped, e.g.
-- right after this migration: the next `run` or `reprocess` does it).
ALTER TABLE events ADD COLUMN story_id INTEGER REFERENCES stories (id);
CREATE INDEX events_story ON events (story_id);
-- Where a new event looks for the stories it may join.
CREATE INDEX events_order_parties ON events (buyer, supplier, published)
    WHERE kind = 'chip_order';
CREATE INDEX events_control_key ON events (authority, action, published)
    WHERE kind = 'export_control';

-- Internal: a row while every story must be regrouped (set by `reprocess` before it
-- changes events, removed in the transaction that regroups them), so that a reprocess
-- killed half-way is finished by the next `run` or `reprocess`.
CREATE TABLE story_rebuilds (
    requested_at TEXT NOT NULL
);
