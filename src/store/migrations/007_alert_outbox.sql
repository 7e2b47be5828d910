-- 007_alert_outbox.sql — the alerts outbox: one row per delivery due to an `[[alerts]]`.
--
-- A row is written in the same transaction as the events that created or changed the
-- story, so a crash can lose neither; `run` and `watch` deliver the due rows after a
-- pass's writes and keep failed ones for the next run (then with backoff). Delivered rows
-- stay as a log of what was sent.
CREATE TABLE alert_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The [[alerts]] name.
    alert           TEXT NOT NULL,
    -- The story and its revision this delivery reports. No foreign key: a story that
    -- later merges into another is deleted, while what was (to be) sent stays here.
    story_id        INTEGER NOT NULL,
    revision        INTEGER NOT NULL,
    -- 0: the story first matched the alert's filters; 1: a matching story changed.
    is_update       INTEGER NOT NULL CHECK (is_update IN (0, 1)),
    -- Sent with the body so that receivers can drop duplicates: story id and revision.
    idempotency_key TEXT NOT NULL,
    -- The story record (JSON) at this revision.
    story           TEXT NOT NULL,
    -- 'pending' until a receiver accepted it, then 'delivered'.
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    -- Failed attempts so far, the last one's error and time, and when to try again.
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_attempt_at TEXT,
    next_attempt_at TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT,
    UNIQUE (alert, story_id, revision)
);
-- The pending deliveries of each alert, oldest first.
CREATE INDEX alert_outbox_pending ON alert_outbox (status, alert, id);
