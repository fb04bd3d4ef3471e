-- H3 cells of every stored point at resolutions 7, 8 and 9 (UBIGINT: h3-py's integer form), so the
-- dashboard counts reports per cell with GROUP BY instead of computing cells in Python per query.
-- Each resolution is computed from the point (H3 is not exactly nested). h3_latlng_to_cell is defined by etl/h3cells.py before the part using it runs. A row without
-- a usable point has NULL cells. The loaders keep the cells in step with lat/lon from here on.

ALTER TABLE reports ADD COLUMN h3_7 UBIGINT;
ALTER TABLE reports ADD COLUMN h3_8 UBIGINT;
ALTER TABLE reports ADD COLUMN h3_9 UBIGINT;
ALTER TABLE cases ADD COLUMN h3_7 UBIGINT;
ALTER TABLE cases ADD COLUMN h3_8 UBIGINT;
ALTER TABLE cases ADD COLUMN h3_9 UBIGINT;
ALTER TABLE hmo_licence_history ADD COLUMN h3_7 UBIGINT;
ALTER TABLE hmo_licence_history ADD COLUMN h3_8 UBIGINT;
ALTER TABLE hmo_licence_history ADD COLUMN h3_9 UBIGINT;
-- commit

UPDATE reports SET h3_7 = h3_latlng_to_cell(lat, lon, 7), h3_8 = h3_latlng_to_cell(lat, lon, 8),
    h3_9 = h3_latlng_to_cell(lat, lon, 9)
WHERE lat IS NOT NULL AND lon IS NOT NULL;
UPDATE cases SET h3_7 = h3_latlng_to_cell(lat, lon, 7), h3_8 = h3_latlng_to_cell(lat, lon, 8),
    h3_9 = h3_latlng_to_cell(lat, lon, 9)
WHERE lat IS NOT NULL AND lon IS NOT NULL;
UPDATE hmo_licence_history SET h3_7 = h3_latlng_to_cell(lat, lon, 7), h3_8 = h3_latlng_to_cell(lat, lon, 8),
    h3_9 = h3_latlng_to_cell(lat, lon, 9)
WHERE lat IS NOT NULL AND lon IS NOT NULL;

CREATE OR REPLACE VIEW hmo_licences AS
SELECT licence_ref, address, postcode, uprn, lat, lon, geocode_status, location_flag,
       district_code, lsoa_code, max_occupants, households, storeys, licence_type,
       licence_holder, licence_start, licence_expiry, source, load_id, h3_7, h3_8, h3_9
FROM hmo_licence_history
WHERE ended_load_id IS NULL;
