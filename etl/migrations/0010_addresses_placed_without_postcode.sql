-- An address without a full postcode is also its place (etl/address_ids.py): the res-7 H3 cell of its
-- reports' point. Before, "12 High Street" reported without a postcode (or with "N/A", or "PE13") in
-- two towns was one address: one door on the visit list with both towns' reports. `addresses` gains
-- `place`, and keeps only a full postcode; each address without one is replaced by one address per
-- place, with new ids, and its reports take them. The licence matches are rebuilt: a postcode must be a
-- full one to match, and a key-only match also needs the two points near each other
-- (etl/address_matches.py). full_postcode and address_match_rows are macros defined before the part
-- using them runs.

ALTER TABLE addresses ADD COLUMN place UBIGINT;
-- commit

CREATE TEMP TABLE placed AS
SELECT nextval('addr_id_seq') AS addr_id, addr_key, place
FROM (SELECT DISTINCT addr_key, h3_7 AS place FROM reports
      WHERE addr_id IS NOT NULL AND full_postcode(postcode) IS NULL
      ORDER BY ALL);
DELETE FROM addresses WHERE full_postcode(postcode) IS NULL;
INSERT INTO addresses SELECT addr_id, addr_key, NULL, place FROM placed;
UPDATE reports SET addr_id = p.addr_id FROM placed p
WHERE reports.addr_id IS NOT NULL AND full_postcode(reports.postcode) IS NULL
  AND p.addr_key = reports.addr_key AND p.place IS NOT DISTINCT FROM reports.h3_7;
DROP TABLE placed;
DELETE FROM address_matches;
INSERT INTO address_matches SELECT * FROM address_match_rows(NULL);
