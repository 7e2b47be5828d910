-- 005_page_retries.sql — article pages that failed for a passing reason are retried.
--
-- An article whose page failed (timeout, reset, 5xx, 429, a paused host, robots.txt
-- unavailable) is stored with its feed's text, as before, and now marked `pending`:
-- later runs fetch the page again, with backoff, within [schedule] page_retry_attempts
-- and page_retry_hours. When it comes back, the article takes the page's text
-- (text_source = 'page') and its events are derived again in the same transaction.
-- Example: SELECT url, page_attempts, page_next_attempt_at, page_error
--          FROM articles WHERE page_state = 'pending' ORDER BY page_next_attempt_at;

-- 'ok' (fetched), 'pending' (retried by later runs), 'failed' (a permanent failure such
-- as 404, 410, another 4xx or a page too large, or retries used up) or 'refused'
-- (robots.txt or the address guard). NULL: the page was never asked for
-- (fetch_articles = false), or the article predates page states.
ALTER TABLE articles ADD COLUMN page_state TEXT
    CHECK (page_state IN ('ok', 'pending', 'failed', 'refused'));
-- Attempts at the page so far, the first fetch included.
ALTER TABLE articles ADD COLUMN page_attempts INTEGER NOT NULL DEFAULT 0;
-- When a pending page is due again (RFC 3339 UTC); NULL in every other state.
ALTER TABLE articles ADD COLUMN page_next_attempt_at TEXT;
-- Why the last attempt failed, and the kind of failure ('timeout', 'http_5xx',
-- 'rate_limited', 'network', 'robots_unavailable', 'http_4xx', 'too_large', 'robots',
-- 'refused', …); NULL once the page was fetched.
ALTER TABLE articles ADD COLUMN page_error TEXT;
ALTER TABLE articles ADD COLUMN page_error_class TEXT;

-- Pages stored from their page before this version were fetched once.
UPDATE articles SET page_state = 'ok', page_attempts = 1 WHERE text_source = 'page';

-- The retry queue: pending pages by when they are due.
CREATE INDEX articles_page_due ON articles (page_next_attempt_at)
    WHERE page_state = 'pending';

-- The pass summary counts page retries: pending pages fetched again, those that came
-- back, and pages given up in the pass (a permanent failure, retries used up, or a
-- refusal on retry).
ALTER TABLE runs ADD COLUMN pages_retried INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN pages_recovered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN pages_given_up INTEGER NOT NULL DEFAULT 0;
