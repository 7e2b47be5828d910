-- 004_events_inferred.sql — which fields of an event were inferred rather than stated.
--
-- An order whose text names no seller takes its product's maker as the supplier (an H20
-- comes from Nvidia); the event records that the supplier was inferred, so analysts can
-- tell it from a stated one. JSON array of field names, '[]' when everything is stated.
ALTER TABLE events ADD COLUMN inferred TEXT NOT NULL DEFAULT '[]';
