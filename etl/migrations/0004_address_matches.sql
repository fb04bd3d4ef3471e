-- Which reported addresses are licensed HMOs (etl/address_matches.py). Kept by every reports and HMO
-- load, so the dashboard joins it instead of matching every address against the register on each query.
-- Migration 0006 gives the table its present columns (integer address and group ids) and fills it.

CREATE TABLE address_matches (
    addr_key VARCHAR NOT NULL,
    postcode VARCHAR,
    licence_source VARCHAR NOT NULL,
    licence_ref VARCHAR NOT NULL
);
