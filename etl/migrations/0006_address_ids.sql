-- Integer ids for reported addresses (etl/address_ids.py): one per distinct (addr_key, postcode) ever
-- reported, kept in `addresses` and stored on each report as `addr_id`. The dashboard groups and joins
-- hundreds of thousands of reports by address on every visit list and map; on integers rather than
-- two strings that is several times faster.
-- `address_matches` is rebuilt keyed by addr_id, with group_id: the id shared by every address of one
-- licence (the smallest of their addr_ids), so a report's visit-list group is coalesce(group_id, addr_id).
-- address_match_rows is a table macro defined before the part using it runs.

CREATE SEQUENCE addr_id_seq;     -- never reuses an id, even one whose address retention removed
CREATE TABLE addresses (
    addr_id BIGINT NOT NULL,
    addr_key VARCHAR NOT NULL,
    postcode VARCHAR
);
INSERT INTO addresses
SELECT nextval('addr_id_seq'), addr_key, postcode
FROM (SELECT DISTINCT addr_key, postcode FROM reports WHERE addr_key <> '');
ALTER TABLE reports ADD COLUMN addr_id BIGINT;
DROP TABLE address_matches;
CREATE TABLE address_matches (
    addr_id BIGINT NOT NULL,
    addr_key VARCHAR NOT NULL,
    postcode VARCHAR,
    group_id BIGINT NOT NULL,
    licence_source VARCHAR NOT NULL,
    licence_ref VARCHAR NOT NULL,
    licence_expiry DATE,          -- copied from the licence: the visit list scores every address on them
    max_occupants INTEGER
);
-- commit

UPDATE reports SET addr_id = a.addr_id FROM addresses a
WHERE reports.addr_key = a.addr_key AND reports.postcode IS NOT DISTINCT FROM a.postcode;
INSERT INTO address_matches SELECT * FROM address_match_rows(NULL);
