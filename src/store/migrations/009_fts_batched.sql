-- Schema version 9: a pass indexes the articles of a write batch once, at the batch's
-- commit, instead of one by one.
--
-- FTS5 writes its pending terms out as a new index segment whenever a savepoint opens,
-- and inside a transaction every INSERT INTO articles opens one (its statement journal),
-- as does each article's own savepoint: indexed by the insert trigger, a batch of 64
-- articles became 64 segments, which FTS5 then kept merging. That was about half of the
-- store's work in a pass.
--
-- So while chipwatch holds a write batch open (`src/store/batch.rs`), the insert trigger
-- only notes the new article in `articles_fts_pending`, and the batch indexes all of
-- them with one statement just before it commits. The table is written and emptied
-- inside that one transaction: no other connection ever sees a row in it, a crash rolls
-- it back with the batch, and every other writer (a script, the sqlite3 shell) finds it
-- empty, so its inserts, updates and deletes keep the index in step at once, as before.
-- Search results are the same either way; only the index's segments differ.

-- A row with a NULL article_id: a chipwatch write batch is open on this connection, and
-- new articles wait for its commit to be indexed. Other rows: the articles that wait.
CREATE TABLE articles_fts_pending (
    article_id INTEGER
);

DROP TRIGGER articles_fts_after_insert;
DROP TRIGGER articles_fts_after_delete;
DROP TRIGGER articles_fts_after_update;

-- Outside a batch: index the new article now.
CREATE TRIGGER articles_fts_after_insert AFTER INSERT ON articles
WHEN NOT EXISTS (SELECT 1 FROM articles_fts_pending) BEGIN
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;

-- Inside a batch: note it for the batch's commit.
CREATE TRIGGER articles_fts_pending_after_insert AFTER INSERT ON articles
WHEN EXISTS (SELECT 1 FROM articles_fts_pending) BEGIN
    INSERT INTO articles_fts_pending (article_id) VALUES (new.id);
END;

-- An article still waiting has nothing in the index to remove: it only leaves the list
-- (so that an id used again is not indexed twice). One trigger, so that the index is
-- asked before the list forgets it.
CREATE TRIGGER articles_fts_after_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
    SELECT 'delete', old.id, old.title, old.text
    WHERE NOT EXISTS (SELECT 1 FROM articles_fts_pending WHERE article_id = old.id);
    DELETE FROM articles_fts_pending WHERE article_id = old.id;
END;

-- An article still waiting will be indexed with its text as of the commit.
CREATE TRIGGER articles_fts_after_update AFTER UPDATE OF title, text ON articles
WHEN NOT EXISTS (SELECT 1 FROM articles_fts_pending WHERE article_id = old.id) BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
