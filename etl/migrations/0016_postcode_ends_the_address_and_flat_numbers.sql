-- Two address rules changed (etl/address_keys.py), and an older warehouse's stored rows are brought to them:
-- - A postcode written in an address is left out of its key with what follows it when that is only a country or a
--   note in brackets (etl/vocab/addresses.toml countries_after_postcode): "27 Lincoln Road Peterborough PE1 2NX, UK"
--   and "27 Lincoln Road, Peterborough PE1 2NX (rear)" are "27 LINCOLN ROAD PETERBOROUGH", one door with "27
--   Lincoln Road, Peterborough" at PE1 2NX (they were three). Such reports and licences are keyed again; a report
--   that had an address id takes the id of its new address (a new one when none has its key, postcode and place),
--   and an address no report uses any more goes. A key that now names no door ("Mill Road, Cambridge CB1 2AD, UK"
--   is a street) has no id, and a key the warehouse knows for a street keeps none.
-- - A flat's or a room's number that another number follows is no house number: "Flat 2, Fore Hill House, 12 Fore
--   Hill, Ely" is number 12 (it was 2: "Fore Hill House" read as a street). Every stored house number is taken again.
-- Then the numberless streets that stored addresses show to be streets lose their ids (as migration 0014), and the
-- licence matches are rebuilt. address_key, house_number, full_postcode, named_street, numbered_street and
-- address_match_rows are macros defined from the vocabulary before this runs.

CREATE OR REPLACE TEMP TABLE rekeyed AS
SELECT source, report_ref, addr_id AS old_id, address_key(address) AS addr_key FROM reports
WHERE addr_key <> '' AND addr_key <> address_key(address);
-- The keys of the streets learnt before (reports with words and no id), other than the rows keyed again.
CREATE OR REPLACE TEMP TABLE learnt AS
SELECT DISTINCT addr_key FROM reports r
WHERE addr_id IS NULL AND addr_key <> '' AND NOT EXISTS
    (SELECT 1 FROM rekeyed k WHERE k.source = r.source AND k.report_ref = r.report_ref);
UPDATE reports SET addr_key = k.addr_key, house_no = CASE WHEN k.addr_key <> '' THEN house_number(k.addr_key) END,
                   addr_id = NULL
FROM rekeyed k WHERE reports.source = k.source AND reports.report_ref = k.report_ref;
CREATE OR REPLACE TEMP TABLE new_doors AS
SELECT DISTINCT r.addr_key, full_postcode(r.postcode) AS pc,
       CASE WHEN full_postcode(r.postcode) IS NULL THEN r.h3_7 END AS place
FROM reports r JOIN rekeyed k ON k.source = r.source AND k.report_ref = r.report_ref
WHERE k.old_id IS NOT NULL AND r.addr_key <> '' AND r.addr_key NOT IN (SELECT addr_key FROM learnt);
INSERT INTO addresses
SELECT nextval('addr_id_seq'), addr_key, pc, place
FROM (SELECT * FROM new_doors n
      WHERE NOT EXISTS (SELECT 1 FROM addresses a WHERE a.addr_key = n.addr_key AND a.postcode IS NOT DISTINCT FROM n.pc
                                                    AND a.place IS NOT DISTINCT FROM n.place)
      ORDER BY ALL);
UPDATE reports SET addr_id = a.addr_id
FROM rekeyed k, addresses a
WHERE reports.source = k.source AND reports.report_ref = k.report_ref AND k.old_id IS NOT NULL
  AND reports.addr_key <> '' AND reports.addr_key NOT IN (SELECT addr_key FROM learnt)
  AND a.addr_key = reports.addr_key AND a.postcode IS NOT DISTINCT FROM full_postcode(reports.postcode)
  AND a.place IS NOT DISTINCT FROM (CASE WHEN full_postcode(reports.postcode) IS NULL THEN reports.h3_7 END);
DELETE FROM addresses
WHERE addr_id IN (SELECT old_id FROM rekeyed) AND addr_id NOT IN (SELECT addr_id FROM reports WHERE addr_id IS NOT NULL);
DROP TABLE new_doors;
DROP TABLE learnt;
DROP TABLE rekeyed;

UPDATE hmo_licence_history SET addr_key = address_key(address),
                               house_no = CASE WHEN address_key(address) <> '' THEN house_number(address_key(address)) END
WHERE addr_key <> '' AND addr_key <> address_key(address);
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
