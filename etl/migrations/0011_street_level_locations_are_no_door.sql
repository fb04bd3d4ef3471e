-- A street-level location ("On or near Parking Area": police.uk's anonymised snap points) names no door
-- (etl/vocab/addresses.toml, street_level_prefixes), as "No location" does (migration 0009): its reports
-- keep their points on the map, but are no longer grouped as doors of the visit list. Their stored keys are
-- cleared, and the address ids and licence matches made for those keys go. names_no_place is a macro,
-- defined from the vocabulary before this runs.

UPDATE reports SET addr_key = '', house_no = NULL, addr_id = NULL WHERE addr_key <> '' AND names_no_place(addr_key);
UPDATE hmo_licence_history SET addr_key = '', house_no = NULL WHERE addr_key <> '' AND names_no_place(addr_key);
DELETE FROM address_matches WHERE names_no_place(addr_key);
DELETE FROM addresses WHERE names_no_place(addr_key);
