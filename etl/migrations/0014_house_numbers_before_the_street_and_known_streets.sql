-- Two address rules changed (etl/address_keys.py, etl/address_ids.py), and an older warehouse's stored rows
-- are brought to them:
-- - A house number is the number before the street, the words up to the first kind of street: "12 High Street
--   3 bed" is number 12 (it was 3, of a street "Bed"). Every stored house number is taken again.
-- - An address with no number, two words before a kind of street ("Cherry Hinton Road"), is a street, no door,
--   when a stored report or licence puts a house number before the same street ("34 Cherry Hinton Rd"): its
--   reports lose their address id (they keep their addr_key), and its address goes. Loads learn this from
--   now on (etl/address_ids.py learn_streets); this compares what is stored already.
-- Then the licence matches are rebuilt. house_number, named_street, numbered_street and address_match_rows are
-- macros defined from the vocabulary before this runs.

UPDATE reports SET house_no = house_number(addr_key)
WHERE addr_key <> '' AND house_no IS DISTINCT FROM house_number(addr_key);
UPDATE hmo_licence_history SET house_no = house_number(addr_key)
WHERE addr_key <> '' AND house_no IS DISTINCT FROM house_number(addr_key);
CREATE OR REPLACE TEMP TABLE learnt_streets AS
WITH cand AS (
    SELECT addr_key, street, array_to_string(string_split(street, ' ')[1:2], ' ') AS pair
    FROM (SELECT addr_key, named_street(addr_key) AS street FROM addresses WHERE NOT regexp_matches(addr_key, '[0-9]'))
    WHERE street <> ''
),
evidence AS (
    SELECT DISTINCT addr_key FROM (
        SELECT addr_key, unnest(regexp_extract_all(addr_key, '\b[0-9]+[A-Z]? ([^ 0-9]+ [^ 0-9]+)\b', 1)) AS pair
        FROM (SELECT addr_key FROM addresses UNION ALL SELECT addr_key FROM hmo_licences)
        WHERE regexp_matches(addr_key, '[0-9]'))
    WHERE pair IN (SELECT pair FROM cand)
)
SELECT DISTINCT c.addr_key FROM cand c JOIN (SELECT numbered_street(addr_key) AS street FROM evidence) e USING (street);
UPDATE reports SET addr_id = NULL
WHERE addr_id IN (SELECT addr_id FROM addresses WHERE addr_key IN (SELECT addr_key FROM learnt_streets));
DELETE FROM addresses WHERE addr_key IN (SELECT addr_key FROM learnt_streets);
DROP TABLE learnt_streets;
DELETE FROM address_matches;
INSERT INTO address_matches SELECT * FROM address_match_rows(NULL);
