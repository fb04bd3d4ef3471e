-- The public schema: analysts and BI tools query these names. Document any change in the README.

CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE SEQUENCE load_id_seq START 1;

CREATE TABLE loads (
    load_id          BIGINT PRIMARY KEY,
    kind             VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    file_name        VARCHAR NOT NULL,
    file_sha256      VARCHAR,
    load_options     VARCHAR,            -- sheet and mapping used: the same file read differently is a different load
    started_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP,
    status           VARCHAR NOT NULL,   -- loaded | already_loaded | failed
    rows_read        BIGINT DEFAULT 0,
    rows_loaded      BIGINT DEFAULT 0,
    rows_updated     BIGINT DEFAULT 0,
    rows_unchanged   BIGINT DEFAULT 0,
    rows_rejected    BIGINT DEFAULT 0,
    rows_ungeocoded  BIGINT DEFAULT 0,
    rows_ended       BIGINT DEFAULT 0,
    rows_collapsed   BIGINT DEFAULT 0,
    dropped_columns  VARCHAR[],
    message          VARCHAR
);

CREATE TABLE rejects (
    load_id     BIGINT NOT NULL,
    row_number  BIGINT NOT NULL,
    reason      VARCHAR NOT NULL,
    raw         JSON
);

CREATE TABLE boundaries (
    level     VARCHAR NOT NULL,          -- district | lsoa | msoa
    code      VARCHAR NOT NULL,
    name      VARCHAR,
    geometry  GEOMETRY NOT NULL,
    source    VARCHAR,
    load_id   BIGINT,
    PRIMARY KEY (level, code)
);

CREATE TABLE postcodes (
    postcode       VARCHAR PRIMARY KEY,  -- normalised, e.g. 'PE13 1AB'
    lat            DOUBLE NOT NULL,
    lon            DOUBLE NOT NULL,
    district_code  VARCHAR,
    lsoa_code      VARCHAR,
    source         VARCHAR,
    load_id        BIGINT
);

-- Every version of every licence. A register is a snapshot of one source: a licence that
-- changes or disappears from the next file gets ended_load_id/ended_on here.
CREATE TABLE hmo_licence_history (
    licence_ref     VARCHAR NOT NULL,
    address         VARCHAR,
    postcode        VARCHAR,
    uprn            VARCHAR,
    lat             DOUBLE,
    lon             DOUBLE,
    geocode_status  VARCHAR NOT NULL,
    location_flag   VARCHAR,
    district_code   VARCHAR,
    lsoa_code       VARCHAR,
    max_occupants   INTEGER,
    households      INTEGER,
    storeys         INTEGER,
    licence_type    VARCHAR,
    licence_holder  VARCHAR,
    licence_start   DATE,
    licence_expiry  DATE,
    source          VARCHAR NOT NULL,
    load_id         BIGINT NOT NULL,
    row_number      BIGINT,
    row_hash        VARCHAR NOT NULL,
    ended_load_id   BIGINT,
    ended_on        DATE
);

CREATE VIEW hmo_licences AS
SELECT licence_ref, address, postcode, uprn, lat, lon, geocode_status, location_flag,
       district_code, lsoa_code, max_occupants, households, storeys, licence_type,
       licence_holder, licence_start, licence_expiry, source, load_id
FROM hmo_licence_history
WHERE ended_load_id IS NULL;

CREATE TABLE reports (
    report_ref               VARCHAR NOT NULL,
    received_on              DATE NOT NULL,
    source_type              VARCHAR NOT NULL,  -- public | police | council | GLAA | NCA | helpline | other
    address                  VARCHAR,
    postcode                 VARCHAR,
    lat                      DOUBLE,
    lon                      DOUBLE,
    geocode_status           VARCHAR NOT NULL,
    location_flag            VARCHAR,
    district_code            VARCHAR,
    lsoa_code                VARCHAR,
    indicators               VARCHAR[],
    indicators_text          VARCHAR,
    exploitation_type        VARCHAR,
    nationalities            VARCHAR[],
    people_count             INTEGER,
    grading                  VARCHAR,          -- 3x5x2, e.g. '1-B-P'
    source_evaluation        TINYINT,
    intelligence_assessment  VARCHAR,
    handling_code            VARCHAR,
    summary                  VARCHAR,
    source                   VARCHAR NOT NULL,
    load_id                  BIGINT NOT NULL,
    row_number               BIGINT,
    row_hash                 VARCHAR NOT NULL,
    PRIMARY KEY (source, report_ref)
);

CREATE TABLE cases (
    case_key           VARCHAR NOT NULL,      -- keyed hash of the case reference; never the reference
    opened_on          DATE NOT NULL,
    lat                DOUBLE,
    lon                DOUBLE,
    geocode_status     VARCHAR NOT NULL,
    location_flag      VARCHAR,
    district_code      VARCHAR,
    lsoa_code          VARCHAR,
    exploitation_type  VARCHAR NOT NULL,      -- labour | sexual | criminal | domestic servitude | organ harvesting | unknown
    nationality        VARCHAR,
    age_group          VARCHAR,               -- adult | child | unknown
    nrm_referred       BOOLEAN,
    language_needs     VARCHAR[],
    source             VARCHAR NOT NULL,
    load_id            BIGINT NOT NULL,
    row_number         BIGINT,
    row_hash           VARCHAR NOT NULL,
    PRIMARY KEY (source, case_key)
);
