-- The normalised address key and house number of every report and licence (etl/address_keys.py), stored
-- so that matching reports to licences is a hash join, not regular expressions over every row per query.
-- address_key and house_number are macros defined before the part using them runs; the loaders fill new rows.

ALTER TABLE reports ADD COLUMN addr_key VARCHAR;
ALTER TABLE reports ADD COLUMN house_no VARCHAR;
ALTER TABLE hmo_licence_history ADD COLUMN addr_key VARCHAR;
ALTER TABLE hmo_licence_history ADD COLUMN house_no VARCHAR;
-- commit

UPDATE reports SET addr_key = address_key(address), house_no = house_number(address_key(address));
UPDATE hmo_licence_history SET addr_key = address_key(address), house_no = house_number(address_key(address));

CREATE OR REPLACE VIEW hmo_licences AS
SELECT licence_ref, address, postcode, uprn, lat, lon, geocode_status, location_flag,
       district_code, lsoa_code, max_occupants, households, storeys, licence_type,
       licence_holder, licence_start, licence_expiry, source, load_id, h3_7, h3_8, h3_9, addr_key, house_no
FROM hmo_licence_history
WHERE ended_load_id IS NULL;
