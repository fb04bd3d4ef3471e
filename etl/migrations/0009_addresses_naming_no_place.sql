-- An address that names no place ("No location", "Unknown", "N/A": etl/vocab/addresses.toml) is no
-- address (etl/address_keys.py): such reports keep their points on the map, but are no longer grouped
-- as one door that tops the visit list. Their stored keys are cleared, and the address ids and licence
-- matches made for those keys go. names_no_place is a macro defined before the part using it runs.

UPDATE reports SET addr_key = '', house_no = NULL, addr_id = NULL WHERE names_no_place(addr_key);
UPDATE hmo_licence_history SET addr_key = '', house_no = NULL WHERE names_no_place(addr_key);
DELETE FROM address_matches WHERE names_no_place(addr_key);
DELETE FROM addresses WHERE names_no_place(addr_key);
