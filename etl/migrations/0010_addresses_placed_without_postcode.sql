-- An address without a postcode is also its place (etl/address_ids.py): the res-7 H3 cell of its
-- reports' point. Before, "12 High Street" reported without a postcode in two towns was one address,
-- one door on the visit list with both towns' reports. `addresses` gains `place`; such an address
-- reported in several places keeps its id for the place with most reports and gets a new id for each
-- other. The licence matches are rebuilt: a key-only match now also needs the two points near each
-- other (etl/address_matches.py). address_match_rows is a table macro defined before the part using it runs.

ALTER TABLE addresses ADD COLUMN place UBIGINT;
-- commit

CREATE TEMP TABLE address_places AS
SELECT r.addr_id, any_value(a.addr_key) AS addr_key, r.h3_7 AS place,
       row_number() OVER (PARTITION BY r.addr_id ORDER BY count(*) DESC, r.h3_7 NULLS LAST) AS nth
FROM reports r JOIN addresses a ON a.addr_id = r.addr_id
WHERE a.postcode IS NULL
GROUP BY r.addr_id, r.h3_7;
UPDATE addresses SET place = p.place FROM address_places p WHERE addresses.addr_id = p.addr_id AND p.nth = 1;
INSERT INTO addresses SELECT nextval('addr_id_seq'), addr_key, NULL, place FROM address_places WHERE nth > 1
ORDER BY addr_id, nth;
UPDATE reports SET addr_id = a.addr_id FROM addresses a
WHERE reports.addr_id IS NOT NULL AND reports.postcode IS NULL AND a.postcode IS NULL
  AND a.addr_key = reports.addr_key AND a.place IS NOT DISTINCT FROM reports.h3_7 AND a.addr_id <> reports.addr_id;
DROP TABLE address_places;
DELETE FROM address_matches;
INSERT INTO address_matches SELECT * FROM address_match_rows(NULL);
