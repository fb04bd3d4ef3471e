-- Reports lose their PRIMARY KEY (source, report_ref). DuckDB keeps a primary key as an ART index that
-- every insert updates: on a 2,000,000-row load that was 3.5 s of a 35 s load, for a uniqueness the
-- reports loader already guarantees itself (one row per reference is kept from a file; a reference the
-- table has is updated, never inserted: etl/loaders/tabular.py `upsert_by_reference`). No query looks a
-- report up by its key: readers scan and hash-join. tests/test_reports_loader.py checks the keys stay unique.
-- DuckDB cannot drop a constraint, so the table is copied, in its stored (date) order.

CREATE TABLE reports_unindexed (
    report_ref               VARCHAR NOT NULL,
    received_on              DATE NOT NULL,
    source_type              VARCHAR NOT NULL,
    address                  VARCHAR,
    postcode                 VARCHAR,
    lat                      DOUBLE,
    lon                      DOUBLE,
    geocode_status           VARCHAR NOT NULL,
    location_flag            VARCHAR,
    district_code            VARCHAR,
    lsoa_code                VARCHAR,
    indicators               VARCHAR[],
    indicators_text          VARCHAR,
    exploitation_type        VARCHAR,
    nationalities            VARCHAR[],
    people_count             INTEGER,
    grading                  VARCHAR,
    source_evaluation        TINYINT,
    intelligence_assessment  VARCHAR,
    handling_code            VARCHAR,
    summary                  VARCHAR,
    source                   VARCHAR NOT NULL,
    load_id                  BIGINT NOT NULL,
    row_number               BIGINT,
    row_hash                 VARCHAR NOT NULL,
    h3_7                     UBIGINT,
    h3_8                     UBIGINT,
    h3_9                     UBIGINT,
    addr_key                 VARCHAR,
    house_no                 VARCHAR,
    addr_id                  BIGINT,
    indicator_bits           BIGINT
);
INSERT INTO reports_unindexed BY NAME SELECT * FROM reports;
-- commit

DROP TABLE reports;
-- commit

ALTER TABLE reports_unindexed RENAME TO reports;
