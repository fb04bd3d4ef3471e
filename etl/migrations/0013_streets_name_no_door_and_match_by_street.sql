-- Two address rules changed (etl/address_keys.py, etl/address_matches.py), and an older warehouse's stored
-- rows are brought to them:
-- - An address that is only a street ("Mill Road Cambridge", "High St, March": etl/vocab/addresses.toml)
--   names no door, as "On or near ..." does (migration 0011): its reports keep their points on the map but
--   lose the key and id that made the street a door of the visit list, and that address and its matches go.
-- - A house number is the last number before a word ("Room 1 above shop, 40 Common View" is number 40, not
--   the room's 1), and a report takes a licence by its postcode and house number only when the street agrees
--   too, or by house number and street with no postcode on one side when the two points are very near. So
--   every stored house number is taken again and the licence matches are rebuilt.
-- names_no_place, house_number and address_match_rows are macros defined from the vocabulary before this runs.

UPDATE reports SET addr_key = '', house_no = NULL, addr_id = NULL WHERE addr_key <> '' AND names_no_place(addr_key);
UPDATE hmo_licence_history SET addr_key = '', house_no = NULL WHERE addr_key <> '' AND names_no_place(addr_key);
DELETE FROM addresses WHERE names_no_place(addr_key);
UPDATE reports SET house_no = house_number(addr_key)
WHERE addr_key <> '' AND house_no IS DISTINCT FROM house_number(addr_key);
UPDATE hmo_licence_history SET house_no = house_number(addr_key)
WHERE addr_key <> '' AND house_no IS DISTINCT FROM house_number(addr_key);
DELETE FROM address_matches;
INSERT INTO address_matches SELECT * FROM address_match_rows(NULL);
