-- The values the dashboard's filters offer (etl/filter_values.py): one row per (kind, value) held by a
-- report, case or licence. Kept by every load, so the dashboard's sidebar does not scan every row.
-- filter_value_rows is a table macro defined before the part using it runs.

CREATE TABLE filter_values (
    kind VARCHAR NOT NULL,      -- district, exploitation, indicator, source_type, nationality
    value VARCHAR NOT NULL,
    PRIMARY KEY (kind, value)
);
INSERT INTO filter_values SELECT * FROM filter_value_rows(NULL);
