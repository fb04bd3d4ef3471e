-- Which reported addresses are licensed HMOs (etl/address_matches.py): one row per distinct reported
-- (addr_key, postcode) that matches a current licence. Kept by every reports and HMO load, so the
-- dashboard joins it instead of matching every address against the register on each query.
-- address_match_rows is a table macro defined before migrations run.

CREATE TABLE address_matches (
    addr_key VARCHAR NOT NULL,
    postcode VARCHAR,
    licence_source VARCHAR NOT NULL,
    licence_ref VARCHAR NOT NULL
);
INSERT INTO address_matches SELECT * FROM address_match_rows(NULL);
