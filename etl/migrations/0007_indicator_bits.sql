-- Each report's indicator codes as a bitmask (etl/indicator_bits.py), so the visit list and the map weigh
-- and test indicators with integer ANDs instead of a lambda over every report's list of strings.
-- `indicator_bits` maps each code to its bit for good; the codes already stored get theirs first.
-- The part after the commit line fills the masks with a macro defined from that table and the vocabulary.

CREATE TABLE indicator_bits (
    code VARCHAR PRIMARY KEY,
    bit INTEGER NOT NULL
);
INSERT INTO indicator_bits
SELECT code, row_number() OVER (ORDER BY code) - 1
FROM (SELECT DISTINCT unnest(indicators) AS code FROM reports);
ALTER TABLE reports ADD COLUMN indicator_bits BIGINT;
-- commit

UPDATE reports SET indicator_bits = indicator_mask(indicators);
