-- A report without a reference of its own gets one made from its content (etl/report_refs.py). It was made
-- from the file's cells in column order, so the same rows exported again as XLSX, or with their columns in
-- another order, got new references and were stored twice (police.uk's anti-social behaviour rows, which
-- have no Crime ID). It is now made from the stored values, and the references already stored are rewritten
-- the same way: copies of one report numbered as before (the old copy number, then load and row).
-- report_identity is a macro, defined by etl/report_refs.py before this runs. Their row_hash still holds
-- the old reference: a re-export of those rows loaded later finds them all "updated", once, and stores them
-- under the same references.

UPDATE reports SET report_ref = n.ref
FROM (
    SELECT source, report_ref AS old,
           id || '-' || row_number() OVER (PARTITION BY source, id ORDER BY
               TRY_CAST(regexp_extract(report_ref, '-([0-9]+)$', 1) AS BIGINT), load_id, row_number, report_ref) AS ref
    FROM (SELECT source, report_ref, load_id, row_number,
                 report_identity(received_on, address, postcode,
                                 CASE WHEN postcode IS NULL AND geocode_status = 'coordinates' THEN lat END,
                                 CASE WHEN postcode IS NULL AND geocode_status = 'coordinates' THEN lon END,
                                 indicators_text, people_count, grading, summary) AS id
          FROM reports WHERE report_ref LIKE 'auto-%')
) n
WHERE reports.source = n.source AND reports.report_ref = n.old;
