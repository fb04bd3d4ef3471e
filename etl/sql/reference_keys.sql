-- How a load tells a reference it has seen before. Defined on every loader's connection, and on a reader's by
-- analysis/rejects.py, which finds the rejected rows a later load has stored (etl/reference_keys.py).
--
-- A licence number as a register is compared with its earlier export: 'fdc/hmo/0002' and 'FDC / HMO / 0002' are
-- one licence, and so are '000123' and the '123' Excel makes of it.
-- A report's reference as two exports of one system may write it: 'PR-0001', 'pr 0001' and 'PR/0001' are one,
-- and so are '00345' and '345' (Excel drops a number's leading zeros), and '1001.0' and '1001' (a script writes a
-- column of whole numbers with a blank in it as decimals; loads before it was read so stored the decimal).
CREATE OR REPLACE TEMP MACRO ref_key(s) AS
    CASE WHEN regexp_full_match(trim(s), '[0-9]+(\.0+)?') THEN ltrim(split_part(trim(s), '.', 1), '0')
         ELSE upper(regexp_replace(s, '[^A-Za-z0-9]', '', 'g')) END;
CREATE OR REPLACE TEMP MACRO licence_key(s) AS
    CASE WHEN regexp_full_match(trim(s), '[0-9]+(\.0+)?') THEN ltrim(split_part(trim(s), '.', 1), '0')
         ELSE regexp_replace(upper(s), '\s+', '', 'g') END;
