-- 002_fetch_state.sql — why a feed last failed, by kind.
--
-- last_error keeps the full message; last_error_class is a short stable name to group
-- and count failures by: 'invalid_url', 'refused', 'timeout', 'rate_limited',
-- 'http_4xx', 'http_5xx', 'too_large', 'redirects', 'network' (fetch) or 'parse' (the
-- body is not a feed chipwatch can read). NULL after a success.
-- Example: SELECT last_error_class, count(*) FROM feeds GROUP BY 1;
ALTER TABLE feeds ADD COLUMN last_error_class TEXT;
