-- Reports lose their PRIMARY KEY (source, report_ref). DuckDB keeps a primary key as an ART index that
-- every insert updates: on a 2,000,000-row load that was 3.5 s of a 35 s load, for a uniqueness the
-- reports loader already guarantees itself (one row per reference is kept from a file; a reference the
-- table has is updated, never inserted: etl/loaders/tabular.py `upsert_by_reference`). No query looks a
-- report up by its key: readers scan and hash-join. tests/test_reports_loader.py checks the keys stay unique.
-- DuckDB cannot drop a constraint, so the table is copied, in its stored (date) order: same columns and
-- types (CREATE TABLE AS), and the same NOT NULL columns.

CREATE TABLE reports_unindexed AS SELECT * FROM reports LIMIT 0;
-- commit

ALTER TABLE reports_unindexed ALTER COLUMN report_ref SET NOT NULL;
ALTER TABLE reports_unindexed ALTER COLUMN received_on SET NOT NULL;
ALTER TABLE reports_unindexed ALTER COLUMN source_type SET NOT NULL;
ALTER TABLE reports_unindexed ALTER COLUMN geocode_status SET NOT NULL;
ALTER TABLE reports_unindexed ALTER COLUMN source SET NOT NULL;
ALTER TABLE reports_unindexed ALTER COLUMN load_id SET NOT NULL;
ALTER TABLE reports_unindexed ALTER COLUMN row_hash SET NOT NULL;
-- commit

INSERT INTO reports_unindexed SELECT * FROM reports;
-- commit

DROP TABLE reports;
-- commit

ALTER TABLE reports_unindexed RENAME TO reports;
