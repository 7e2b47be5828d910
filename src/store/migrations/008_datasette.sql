-- 008_datasette.sql — the article index declared the way Datasette finds it, and a
-- readable label on every story.
--
-- Datasette offers full-text search on a table (`/chipwatch/articles?_search=Huawei`)
-- when an FTS virtual table names it as content in one of two spellings:
-- content="articles" or content=[articles]. 001 wrote content = 'articles', which SQLite
-- reads the same way but Datasette does not recognise, so its search box was missing and
-- ?_search= silently returned every article. The index is declared again with the same
-- columns, tokenizer and triggers (it stays in step with `articles` on every insert,
-- update and delete) and rebuilt from the stored text.

DROP TRIGGER articles_fts_after_insert;
DROP TRIGGER articles_fts_after_delete;
DROP TRIGGER articles_fts_after_update;
DROP TABLE articles_fts;

-- Full-text index over article titles and texts (external content: the text lives in
-- `articles` only). Keep the spelling content="articles": Datasette looks for it.
-- Example: SELECT rowid FROM articles_fts WHERE articles_fts MATCH '"Ascend 910B"';
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title,
    text,
    content="articles",
    content_rowid="id",
    tokenize='unicode61 remove_diacritics 2'
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
INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');

-- One line naming the story, computed from its slots (never stored, never stale):
-- 'Baidu orders Ascend 910B from Huawei', 'United States restricts A800, H800 to China'.
-- Datasette shows it wherever a row points to a story (events.story_id), as the
-- label_column of config/datasette.yml says. Lists are JSON arrays of plain names, so
-- stripping the brackets and quotes reads them out.
ALTER TABLE stories ADD COLUMN label TEXT GENERATED ALWAYS AS (
    CASE kind
        WHEN 'chip_order' THEN
            coalesce(buyer, '?') || ' orders ' || coalesce(product, 'chips')
            || ' from ' || coalesce(supplier, '?')
        ELSE
            coalesce(authority, '?')
            || CASE action WHEN 'restrict' THEN ' restricts' WHEN 'relax' THEN ' relaxes'
                   ELSE ' controls' END
            || CASE WHEN coalesce(products, '[]') = '[]' THEN ''
                   ELSE ' ' || replace(replace(trim(products, '[]'), '","', ', '), '"', '') END
            || CASE WHEN coalesce(targets, '[]') = '[]' THEN ''
                   ELSE ' to ' || replace(replace(trim(targets, '[]'), '","', ', '), '"', '') END
    END
) VIRTUAL;
