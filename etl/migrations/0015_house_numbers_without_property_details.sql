-- The house number rule changed (etl/address_keys.py), and an older warehouse's stored rows are brought to it:
-- - A property's details that end an address ("3 bed", "(HMO, 6 rooms)", "- 5 occupants": a number and one of
--   etl/vocab/addresses.toml `detail_words`) are no house number: "12 The Paddocks 3 bed", whose street has no
--   kind of street, is number 12 (it was 3).
-- - With no kind of street, a flat's or a unit's number counts only when there is no other: "Unit 3 Broadway 14"
--   is number 14 (it was 3).
-- Every stored house number is taken again, and the licence matches are rebuilt (they compare house numbers, and
-- the street words after them, which leave the details out too). house_number and address_match_rows are macros
-- defined from the vocabulary before this runs.

UPDATE reports SET house_no = house_number(addr_key)
WHERE addr_key <> '' AND house_no IS DISTINCT FROM house_number(addr_key);
UPDATE hmo_licence_history SET house_no = house_number(addr_key)
WHERE addr_key <> '' AND house_no IS DISTINCT FROM house_number(addr_key);
DELETE FROM address_matches;
INSERT INTO address_matches SELECT * FROM address_match_rows(NULL);
