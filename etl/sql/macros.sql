-- Value-level rules shared by every loader, as DuckDB macros so they run set-wise.

-- Postcodes: 'pe131ab', 'PE13  1AB' and 'Pe13-1ab' are all 'PE13 1AB'. Cyrillic letters that look Latin (typed
-- on a Russian or Ukrainian keyboard, or pasted from such a document: 'PE1 2АА') are read as the Latin ones; dropped
-- as punctuation, they made 'PE1 2АА' the outward code PE12, in Lincolnshire.
CREATE OR REPLACE TEMP MACRO pc_latin(s) AS translate(upper(coalesce(s, '')), 'АВЕКМНОРСТХ', 'ABEKMHOPCTX');
CREATE OR REPLACE TEMP MACRO pc_compact(s) AS regexp_replace(pc_latin(s), '[^A-Z0-9]', '', 'g');
-- A letter typed for a digit where the format needs a digit ('PEl 5AJ', 'CB2 OAB': the outward code's digit after its
-- one or two letters, and the first of the inward code) is that digit: l or I is 1, O is 0. Only those positions, only
-- when the value has a real digit too ('POLICE' is no PO1 1CE) and is otherwise a postcode's shape; so 'OX1 1AA' and
-- 'OL9 6AB' keep their letters, and a letter where a letter may stand ('SW1A', 'PE1O') is never read as a digit. Where
-- two readings fit, two letters then a digit is taken ('BLO 1AB' is BL0 1AB). Tried only on a value that is not a
-- postcode already: national lookups and most cells never reach it.
CREATE OR REPLACE TEMP MACRO _pc_mistyped(c) AS
    regexp_extract(c, '^([A-Z][A-Z]?)([0-9LIO])([A-Z0-9]?)([0-9LIO])([A-Z]{2})$', ['area', 'digit', 'third', 'sector', 'unit']);
CREATE OR REPLACE TEMP MACRO _pc_repaired(c) AS
    CASE WHEN length(c) BETWEEN 5 AND 7 AND regexp_matches(c, '[0-9]') AND _pc_mistyped(c).area <> ''
         THEN _pc_mistyped(c).area || translate(_pc_mistyped(c).digit, 'LIO', '110') || _pc_mistyped(c).third
              || translate(_pc_mistyped(c).sector, 'LIO', '110') || _pc_mistyped(c).unit END;
CREATE OR REPLACE TEMP MACRO _pc_spaced(c) AS left(c, length(c) - 3) || ' ' || right(c, 3);
CREATE OR REPLACE TEMP MACRO postcode_norm(s) AS
    CASE WHEN regexp_full_match(pc_compact(s), '[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}') THEN _pc_spaced(pc_compact(s))
         ELSE _pc_spaced(_pc_repaired(pc_compact(s))) END;
-- The outward code of a full postcode, or of a value that is only an outward code ('PE13') or a postcode sector
-- ('PE15 8', 'PE15 8A': a partner's half-remembered or redacted postcode), which names no more than its outward
-- code's area to a lookup of full postcodes. A sector needs its space: 'PE158' could be 'PE1 58'.
-- The sector is tried before the outward code alone, which reads the value without its spaces: 'PE1 2' is PE1's
-- sector 2, never PE12 (Spalding), and 'CB2 1' never CB21.
CREATE OR REPLACE TEMP MACRO outward_code(s) AS
    CASE WHEN postcode_norm(s) IS NOT NULL THEN split_part(postcode_norm(s), ' ', 1)
         WHEN regexp_full_match(trim(pc_latin(s)), '[A-Z]{1,2}[0-9][A-Z0-9]?\s+[0-9][A-Z]?')
         THEN regexp_extract(trim(pc_latin(s)), '^[A-Z]{1,2}[0-9][A-Z0-9]?')
         WHEN regexp_full_match(pc_compact(s), '[A-Z]{1,2}[0-9][A-Z0-9]?') THEN pc_compact(s) END;
-- A postcode written inside other text: the first one standing alone, with a space in it ('CB1 2AD (rear)',
-- '12 Mill Road, CB1 2AD, Cambridge'); without the space, 'AB12CD' inside words is too often something else.
CREATE OR REPLACE TEMP MACRO postcode_within(s) AS
    postcode_norm(nullif(regexp_extract(upper(coalesce(s, '')),
        '(^|[^A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]? +[0-9][A-Z]{2})([^A-Z0-9]|$)', 2), ''));
-- A postcode in a postcode column: the whole cell, or one written with a note beside it ('CB1 2AD (rear)'), or
-- before a note in brackets ('CB12AD (approx)': in a postcode column, no space is needed).
CREATE OR REPLACE TEMP MACRO postcode_in_cell(s) AS
    coalesce(postcode_norm(s), postcode_within(s), postcode_norm(regexp_replace(s, '\s*[(\[].*$', '')));
-- A postcode in an address: at its end ('18 Abbey Road Oxford OX2 0AE', '..., PE13 1AB, UK'), or inside it.
CREATE OR REPLACE TEMP MACRO postcode_in_text(s) AS
    coalesce(postcode_norm(nullif(regexp_extract(upper(coalesce(s, '')),
        '([A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2})[^A-Z0-9]*((UK|UNITED KINGDOM|ENGLAND)[^A-Z0-9]*)?$', 1), '')),
             postcode_within(s));

-- A cell without the apostrophe a system or a typist puts before a number, a code or a date to keep a spreadsheet
-- from reading it as one ("'00123", "'01/06/2024"): Excel shows no apostrophe, but a CSV written by another
-- program keeps it. Only the first character is tested on most cells.
CREATE OR REPLACE TEMP MACRO without_text_mark(s) AS
    CASE WHEN starts_with(s, '''') AND NOT contains(substr(s, 2), '''') THEN nullif(trim(substr(s, 2)), '') ELSE s END;
-- A whole number a script wrote as a decimal ("1001.0", "1001.00": pandas writes a column of whole numbers with a
-- blank in it so) as its digits. Read as written, a reference would be another report than the plain export's
-- "1001", counted twice. Only a cell with a full stop meets the regular expression.
CREATE OR REPLACE TEMP MACRO whole_number_text(s) AS
    CASE WHEN contains(s, '.') AND regexp_full_match(s, '[0-9]+\.0+') THEN split_part(s, '.', 1) ELSE s END;
-- A reference, a licence number or a UPRN as the system that issued it wrote it (etl/reading/stage.py
-- TEXT_MARKED_FIELDS): without a text mark, and a whole number as its digits.
CREATE OR REPLACE TEMP MACRO reference_text(s) AS whole_number_text(without_text_mark(s));

-- Dates: ISO, dd/mm/yyyy (mm/dd only in a file whose dates are all month-first: the variable month_first,
-- set per load by etl/loaders/checks.py date_order), d Mon yyyy (or Mon d, yyyy: a month's name is never
-- ambiguous), Excel serials. A trailing time ("14:22", "14.22", "at 2:22 p.m.", "- 14:22", "11pm"), a
-- time zone's name after the time ("10:15:00 GMT", "10:15 (BST)"), ISO's basic form ("20261103T142200"; a time
-- with its offset from UTC, "Z" or "+01:00", dates its moment in the UK instead: _uk_date_of_moment), an apostrophe before it ("'01/06/2024"), a leading weekday ("Tuesday 3 November 2026"), ordinal suffixes ("5th of September") and commas are ignored, and so is a full stop after a month's
-- short name ("31 Mar. 2025"); "Sept" is "Sep". A month alone ("2019-08", "Aug-19", "August 2019", "08/2019") is
-- dated the 1st (month_alone below tells it). An Excel serial counts days from 30 December 1899, or in a
-- workbook saved with the 1904 date system (Excel for Mac's) from 1 January 1904: the variable excel_epoch, set per load by etl/loaders/tabular.py stage.
-- A two-digit year after an apostrophe, as people write one ("01 June '26", "3 Nov '26", "01/06/'26"): the year
-- without it, read as any two-digit year is. Only a cell with an apostrophe meets the regular expression.
CREATE OR REPLACE TEMP MACRO _year_mark(s) AS
    CASE WHEN contains(s, '''') OR contains(s, '’') THEN regexp_replace(s, '([\s/.-])[''’](\d{2})$', '\1\2') ELSE s END;
CREATE OR REPLACE TEMP MACRO date_text(s) AS
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        regexp_replace(
            regexp_replace(regexp_replace(regexp_replace(regexp_replace(_year_mark(without_text_mark(trim(s))),
                '^(\d{8})T\d{4}(\d{2}(\.\d+)?)?([zZ]|[+-]\d{2}:?\d{2})?$', '\1'),
                '\s+(at\s+)?\d{1,2}\s*[aApP]\.?[mM]\.?$', ''), '(\d)[zZ]$', '\1'),
                '(\s+(at|@|-))?[ T]\d{1,2}[:.]\d{2}([:.]\d{2}(\.\d+)?)?\s*([zZ]|[+-]\d{2}:?\d{2}|[aApP]\.?[mM]\.?)?(\s*hrs)?(\s*\(?(GMT|BST|UTC|CET|CEST)([+-]\d{1,2}(:?\d{2})?)?\)?)?$', ''),
            '(\d)(st|nd|rd|th)(\s+of)?\b', '\1', 'g'),
        '^(monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun)\.?,?\s+', '', 'i'),
        '\s*,\s*|\s+', ' ', 'g'),
        '\b([Ss]ept)\b', 'Sep'), '\b([A-Za-z]{3})\.', '\1', 'g'), '^\s+|\s+$', '', 'g');
-- A date-time with its offset from UTC ("2026-07-15T23:30:00Z", "2026-07-16T00:30:00+01:00", "…+0100", ISO's basic
-- "20260715T233000Z") names a moment: its date is the UK's at that moment (Europe/London, BST in summer), so 23:30
-- UTC on 15 July is 16 July. A numeric offset is read after a "T" or after seconds only: "14:00-16:00" after a date
-- is a time range, not 14:00 at UTC-16. Seconds are dropped (an offset is whole minutes, so they never change the
-- day), and an offset no zone has (past 14 hours, an impossible date) falls to the rules below. A time without an offset, or with a zone's name ("10:15
-- GMT": often written for UK time whatever the season), is the UK's already: its date is as written (date_text).
CREATE OR REPLACE TEMP MACRO _zoned_time(t) AS
    regexp_full_match(t, '\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}([.,]\d+)?)?\s*([zZ]|[+-](0\d|1[0-4])(:?\d{2})?)'
                         '|[T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?\s*[zZ]|[T ]\d{2}:\d{2}:\d{2}([.,]\d+)?\s*[+-](0\d|1[0-4])(:?\d{2})?)'
                         '|\d{8}T\d{4}(\d{2}([.,]\d+)?)?([zZ]|[+-](0\d|1[0-4])(:?\d{2})?)');
CREATE OR REPLACE TEMP MACRO _uk_date_of_moment(t) AS
    CAST(timezone('Europe/London', try_cast(regexp_replace(upper(t),
        '^(\d{4})-?(\d{2})-?(\d{2})[T ](\d{2}):?(\d{2})(:?\d{2}([.,]\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$',
        '\1-\2-\3 \4:\5:00\8') AS TIMESTAMPTZ)) AS DATE);
-- One date as written; parse_date (etl/date_spans.py) also reads the first date of a span ("01/02/2026 - 03/02/2026").
CREATE OR REPLACE TEMP MACRO one_date(s) AS
    CASE
        WHEN s IS NULL THEN NULL
        WHEN _zoned_time(without_text_mark(trim(s))) AND _uk_date_of_moment(without_text_mark(trim(s))) IS NOT NULL
            THEN _uk_date_of_moment(without_text_mark(trim(s)))
        WHEN regexp_full_match(trim(s), '[0-9]{5}(\.[0-9]+)?')
            THEN coalesce(getvariable('excel_epoch'), DATE '1899-12-30') + CAST(floor(CAST(trim(s) AS DOUBLE)) AS INTEGER)
        WHEN coalesce(getvariable('month_first'), false) AND regexp_full_match(date_text(s), '\d{1,2}[/.-]\d{1,2}[/.-]\d{4}')
            THEN CAST(try_strptime(date_text(s), ['%m/%d/%Y', '%m-%d-%Y', '%m.%d.%Y']) AS DATE)
        WHEN coalesce(getvariable('month_first'), false) AND regexp_full_match(date_text(s), '\d{1,2}[/.-]\d{1,2}[/.-]\d{2}')
            THEN CAST(try_strptime(date_text(s), ['%m/%d/%y', '%m-%d-%y', '%m.%d.%y']) AS DATE)
        WHEN regexp_full_match(date_text(s), '\d{1,2}[/.-]\d{1,2}[/.-]\d{2}')
            THEN CAST(try_strptime(date_text(s), ['%d/%m/%y', '%d-%m-%y', '%d.%m.%y']) AS DATE)
        WHEN regexp_full_match(date_text(s), '\d{1,2}[ -][A-Za-z]+[ -]\d{2}')      -- "3 Nov 26": not the year 26
            THEN CAST(try_strptime(date_text(s), ['%d %b %y', '%d-%b-%y', '%d %B %y', '%d-%B-%y']) AS DATE)
        -- A month alone, dated the 1st: "Aug-19" is how Excel shows police.uk's Month "2019-08" once it has
        -- saved the file; "Aug-2019" and "201908" are other exports' months. "March 24" and "Mar 05" have
        -- no year: no date.
        WHEN regexp_full_match(date_text(s), '[A-Za-z]{3}-\d{2}')     -- Excel's mmm-yy, never "March 24" (a day)
            THEN CAST(try_strptime(date_text(s), '%b-%y') AS DATE)
        WHEN regexp_full_match(date_text(s), '(19|20)\d{2}(0[1-9]|1[0-2])')
            THEN CAST(try_strptime(date_text(s), '%Y%m') AS DATE)
        WHEN regexp_full_match(date_text(s), '[A-Za-z]+ \d{1,2}')        -- '%b %Y' would make it the year 24
            THEN NULL
        WHEN regexp_full_match(date_text(s), '(0?[1-9]|1[0-2])[/.-]\d{4}')     -- "11/2026": a month, never a day
            THEN CAST(try_strptime(regexp_replace(date_text(s), '[.-]', '/'), '%m/%Y') AS DATE)
        ELSE CAST(try_strptime(date_text(s), ['%Y-%m-%d', '%d/%m/%Y', '%d-%m-%Y', '%d.%m.%Y', '%Y/%m/%d', '%Y.%m.%d',
                                              '%d %b %Y', '%d %B %Y', '%d-%b-%Y', '%d-%B-%Y', '%b %d %Y',
                                              '%B %d %Y', '%Y%m%d', '%Y-%m', '%b %Y', '%B %Y', '%b-%Y', '%B-%Y']) AS DATE)
    END;
-- Whether parse_date dates a value the 1st because it gives a month alone ("Nov-26", "Nov 2026", "2026-11",
-- "November 2026", "11/2026", "202611"): a count by day or week then puts all its rows on the 1st, which the
-- analyst is told (etl/loaders/checks.py date_order). Read from the value as written, not date_text: it runs
-- on every row of a file's date columns, and a police.uk download's every date is a month. A month's name is
-- one parse_date reads, and the year 19xx or 20xx (tests/test_probe_dec2_etl.py holds it to parse_date).
CREATE OR REPLACE TEMP MACRO month_alone(s) AS
    regexp_full_match(s, '\s*''?\s*(?:(?:19|20)\d{2}(?:-(?:0?[1-9]|1[0-2])|0[1-9]|1[0-2])|(?:0?[1-9]|1[0-2])[/.-](?:19|20)\d{2}'
                         '|(?i:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)\.?(?:-\d{2}|,?[ -]+(?:19|20)\d{2})'
                         '|(?i:january|february|march|april|june|july|august|september|october|november|december),?[ -]+(?:19|20)\d{2})\s*');

-- Numbers as people type them: '1,200', '1 200', ' 6 ', '6.0', '£1,200.50'. A comma is a thousands separator
-- only before groups of three digits ('1,200', '546,182'), and never after a lone 0; otherwise it is a decimal
-- comma, as a continental spreadsheet writes it ('5,0' is 5, '1,5' is 1.5, '0,151' is 0.151 and '546182,5' is
-- 546182.5, never 50, 15, 151 or 5461825). '3, 4' and '3 4' are two numbers, so no number. A count too big for
-- an integer is no count (NULL), so the row is rejected rather than the whole file. Most values are plain
-- numbers already: the regular expressions run only on those that are not (tests/test_sql_macros.py).
-- A minus sign as word processors write it ('−0.241', U+2212, or an en dash) or spaced from its number ('- 0.119').
CREATE OR REPLACE TEMP MACRO _minus(s) AS regexp_replace(s, '^\s*[-−–]\s*', '-');
CREATE OR REPLACE TEMP MACRO _number_text(s) AS regexp_replace(_minus(s), '^\s*£?\s*|\s+$', '', 'g');
CREATE OR REPLACE TEMP MACRO parse_number(s) AS
    coalesce(try_cast(s AS DOUBLE),
             CASE WHEN regexp_full_match(_number_text(s), '[-+]?[0-9]+,[0-9]+')
                   AND NOT regexp_full_match(_number_text(s), '[-+]?[1-9][0-9]{0,2}(,[0-9]{3})+')
                  THEN try_cast(replace(_number_text(s), ',', '.') AS DOUBLE) END,
             -- separators only where they group thousands: '3, 4' or '3 4' is two numbers, never 34
             CASE WHEN regexp_full_match(_number_text(s), '[-+]?[1-9][0-9]{0,2}((,[0-9]{3})+|( [0-9]{3})+)(\.[0-9]+)?')
                  THEN try_cast(regexp_replace(s, '[,\s£]', '', 'g') AS DOUBLE) END,
             try_cast(_number_text(s) AS DOUBLE));
-- An easting or northing with its axis letter or unit, as GIS tools and forms write them: 'E 521000',
-- 'E: 521000', '521000E', '298500 N', '521000 m'. Only the column's own letter is taken off: an 'N' in an
-- easting column is no easting (and 'N/A' stays no number). Plain numbers never reach the expression.
CREATE OR REPLACE TEMP MACRO parse_easting(s) AS
    coalesce(try_cast(s AS DOUBLE), parse_number(regexp_replace(s, '^\s*E\s*[:=]?\s*|\s*m?\s*E?\s*$', '', 'gi')));
CREATE OR REPLACE TEMP MACRO parse_northing(s) AS
    coalesce(try_cast(s AS DOUBLE), parse_number(regexp_replace(s, '^\s*N\s*[:=]?\s*|\s*m?\s*N?\s*$', '', 'gi')));
-- Degrees as people and devices write them: '52.574', '52.574° N', 'N52.574', '0.241W' (S and W are negative),
-- '52,574' (a decimal comma: no latitude or longitude needs a thousands separator), and degrees, minutes and
-- seconds: 52°34'26.4"N, '52 34 26.4 N'.
CREATE OR REPLACE TEMP MACRO _deg_sign(s) AS
    CASE WHEN regexp_matches(upper(s), '^\s*[SW]|[SW]\s*$') THEN -1 ELSE 1 END;
CREATE OR REPLACE TEMP MACRO _deg_body(s) AS
    regexp_replace(_minus(trim(regexp_replace(upper(s), '^\s*[NSEW]\s*|\s*[NSEW]\s*$', '', 'g'))), '^(-?\d+),(\d+)$', '\1.\2');
CREATE OR REPLACE TEMP MACRO _dms(s) AS
    regexp_extract(_deg_body(s), '^(-?)(\d{1,3})\s*(?:°|º|\s|:|d)\s*(\d{1,2}(?:\.\d+)?)\s*(?:''|′|m|\s|:)?\s*(?:(\d{1,2}(?:\.\d+)?)\s*(?:"|″|''''|s)?)?$',
                   ['minus', 'd', 'm', 's']);
CREATE OR REPLACE TEMP MACRO parse_degrees(s) AS
    coalesce(try_cast(s AS DOUBLE),
             _deg_sign(s) * try_cast(regexp_replace(_deg_body(s), '\s*[°º]$', '') AS DOUBLE),
             CASE WHEN _dms(s).d <> '' THEN _deg_sign(s) * CASE WHEN _dms(s).minus = '-' THEN -1 ELSE 1 END
                  * (CAST(_dms(s).d AS DOUBLE) + CAST(_dms(s).m AS DOUBLE) / 60
                     + coalesce(try_cast(_dms(s).s AS DOUBLE), 0) / 3600) END);
-- Two numbers in one cell, '52.574, -0.241' or '(545123 265432)': a coordinates column's first and second value.
-- One comma or semicolon splits them; with decimal commas ('52,574, 0,241') a separator followed by a space
-- does; else a space. Each value may carry its hemisphere ('52.574 N, 0.241 W').
CREATE OR REPLACE TEMP MACRO _pair_one_separator(s) AS
    regexp_extract(trim(s), '^[(\[]?\s*([^,;]+?)\s*[,;]\s*([^,;]+?)\s*[)\]]?$', ['first', 'second']);
CREATE OR REPLACE TEMP MACRO _pair_separator_space(s) AS
    regexp_extract(trim(s), '^[(\[]?\s*(\S+?)[,;]\s+(\S+?)\s*[)\]]?$', ['first', 'second']);
CREATE OR REPLACE TEMP MACRO _pair_space(s) AS
    regexp_extract(trim(s), '^[(\[]?\s*(\S+)\s+(\S+?)\s*[)\]]?$', ['first', 'second']);
CREATE OR REPLACE TEMP MACRO coordinate_pair(s) AS
    CASE WHEN _pair_one_separator(s).first <> '' THEN _pair_one_separator(s)
         WHEN _pair_separator_space(s).first <> '' THEN _pair_separator_space(s)
         ELSE _pair_space(s) END;
-- A point written as GIS software and map sites write one, as text (x, y): x the longitude or easting, y the
-- latitude or northing. WKT, as a GIS or a force system exports a geometry: 'POINT (-0.2412 52.5741)',
-- 'POINT(546182 257043)', 'SRID=27700;POINT(546182 257043)', 'POINT Z (546182 257043 0)' (x before y, so a
-- longitude before its latitude). A map link, as a caller or an officer pastes one: Google's
-- '…/maps/@52.5741,-0.2412,17z', '?q=52.5741,-0.2412', '?api=1&query=52.5741%2C-0.2412', OpenStreetMap's
-- '#map=17/52.5741/-0.2412' and '?mlat=…&mlon=…', Bing's 'cp=52.5741~-0.2412' (latitude first in all of them).
-- NULL for any other text, which is tested by its start only, so a plain pair of numbers costs nothing more.
CREATE OR REPLACE TEMP MACRO _wkt_point(s) AS
    regexp_extract(s, '^\s*(?:SRID=\d+\s*;\s*)?POINT\s*(?:ZM|Z|M)?\s*\(\s*(\S+?)[\s,]+(\S+?)(?:\s+\S+)*\s*\)\s*$',
                   ['x', 'y'], 'i');
CREATE OR REPLACE TEMP MACRO _link_lat_lon(s) AS
    coalesce(nullif(regexp_extract(s, '[?&](?:q|query|ll|sll|center|daddr|destination|cp)=(?:loc:)?\s*(-?\d{1,2}\.\d+)\s*(?:,|%2C|~|\+)\s*(?:\+|%2B)?(-?\d{1,3}\.\d+)',
                                   ['lat', 'lon'], 'i'), {'lat': '', 'lon': ''}),
             nullif(regexp_extract(s, '@(-?\d{1,2}\.\d+),\s*(-?\d{1,3}\.\d+)', ['lat', 'lon']), {'lat': '', 'lon': ''}),
             nullif(regexp_extract(s, '#map=\d+(?:\.\d+)?/(-?\d{1,2}\.\d+)/(-?\d{1,3}\.\d+)', ['lat', 'lon']), {'lat': '', 'lon': ''}),
             nullif(regexp_extract(s, '[?&]mlat=(-?\d{1,2}\.\d+)&mlon=(-?\d{1,3}\.\d+)', ['lat', 'lon']), {'lat': '', 'lon': ''}));
-- Whether text starts as a WKT point or a link does: the cheap test before the expressions above. Its first
-- letter is tested first: on 2,000,000 addresses the expression alone took 0.1 s, the letter 0.03.
CREATE OR REPLACE TEMP MACRO looks_like_point_text(s) AS
    CASE WHEN ascii(s) IN (80, 112, 83, 115, 72, 104, 87, 119, 77, 109, 71, 103)
         THEN regexp_matches(s, '^\s*(?:(?:SRID=\d+\s*;\s*)?POINT\b|https?://|www\.|maps\.|goo\.gl/)', 'i') ELSE false END;
CREATE OR REPLACE TEMP MACRO point_in_text(s) AS
    CASE WHEN looks_like_point_text(s) THEN
        CASE WHEN regexp_matches(s, '^\s*(SRID=\d+\s*;\s*)?POINT\b', 'i')
             THEN struct_pack(x := try_cast(_wkt_point(s).x AS DOUBLE), y := try_cast(_wkt_point(s).y AS DOUBLE))
             ELSE struct_pack(x := try_cast(_link_lat_lon(s).lon AS DOUBLE), y := try_cast(_link_lat_lon(s).lat AS DOUBLE))
        END END;
-- The latitude and longitude of a WKT point or a map link as written, text, to tell one rounded to a km or more
-- (etl/loaders/checks.py rounded_degrees): a link copied from a zoomed-out map can hold '@52.57,-0.24'.
CREATE OR REPLACE TEMP MACRO point_text_degrees(s) AS
    CASE WHEN looks_like_point_text(s) THEN
        CASE WHEN regexp_matches(s, '^\s*(SRID=\d+\s*;\s*)?POINT\b', 'i')
             THEN struct_pack(lat := _wkt_point(s).y, lon := _wkt_point(s).x)
             ELSE struct_pack(lat := _link_lat_lon(s).lat, lon := _link_lat_lon(s).lon) END END;
-- A what3words address ('///filled.count.soap', 'w3w: filled.count.soap'): three words no lookup of ours can place.
-- (A CASE, not AND: in a SELECT list DuckDB evaluates both sides of an AND on every row, and the expression on
-- every address of a big file cost a second a 500,000 rows.)
CREATE OR REPLACE TEMP MACRO is_what3words(s) AS
    CASE WHEN contains(s, '///') OR contains(s, '3w') OR contains(s, '3W')
         THEN regexp_full_match(trim(s), '(?i)(what3words|w3w)?\s*:?\s*(///|(what3words|w3w)\s*:?\s*/{0,3})\s*\pL+\.\pL+\.\pL+') ELSE false END;

-- An OS grid reference, 'TL 45123 58123', 'TL4512358123' or 'TF461097', as (easting, northing) in metres: the
-- centre of the square it names. Letters: the 500 km and 100 km squares (no I); then equal halves of digits.
-- A note after it ('TL 451 583 (approx)', 'TL4558 [field gate]', 'TL 451 583 approx.') is not part of it. A
-- comma between the easting's figures and the northing's is a space ('TL 45123, 58234', 'TL45123,58234'), only
-- when the two are as long as each other: 'TL 45, 1234' says another split than the one its figures would be
-- read by, and stays no reference.
CREATE OR REPLACE TEMP MACRO _gr_note_off(s) AS
    regexp_replace(coalesce(s, ''), '\s*(\(.*\)|\[.*\]|\s(approx\.?|approximately|circa))\s*$', '', 'i');
CREATE OR REPLACE TEMP MACRO _gr_comma_off(s) AS
    CASE WHEN contains(s, ',') AND regexp_full_match(s, '\s*[A-Za-z]{2}\s*(\d\s*,\s*\d|\d{2}\s*,\s*\d{2}|\d{3}\s*,\s*\d{3}'
                                                      '|\d{4}\s*,\s*\d{4}|\d{5}\s*,\s*\d{5})\s*')
         THEN replace(s, ',', ' ') ELSE s END;
CREATE OR REPLACE TEMP MACRO _gr(s) AS
    regexp_replace(upper(_gr_comma_off(_gr_note_off(s))), '[\s]', '', 'g');
CREATE OR REPLACE TEMP MACRO _gr_index(ch) AS ascii(ch) - 65 - CASE WHEN ascii(ch) > 73 THEN 1 ELSE 0 END;
CREATE OR REPLACE TEMP MACRO _gr_half(s) AS (length(_gr(s)) - 2) // 2;
-- How many figures a grid reference has (4: a 1 km square, 2: a 10 km one); NULL when it is not one.
CREATE OR REPLACE TEMP MACRO grid_ref_figures(s) AS
    CASE WHEN regexp_full_match(_gr(s), '[HNOST][A-HJ-Z](\d\d){1,5}') THEN length(_gr(s)) - 2 END;
CREATE OR REPLACE TEMP MACRO grid_ref_point(s) AS
    CASE WHEN grid_ref_figures(s) IS NOT NULL THEN struct_pack(
        easting := ((_gr_index(_gr(s)[1]) - 2) % 5 * 5 + _gr_index(_gr(s)[2]) % 5) * 100000
                   + (CAST(substr(_gr(s), 3, _gr_half(s)) AS BIGINT) + 0.5) * pow(10, 5 - _gr_half(s)),
        northing := ((19 - _gr_index(_gr(s)[1]) // 5 * 5) - _gr_index(_gr(s)[2]) // 5) * 100000
                   + (CAST(substr(_gr(s), 3 + _gr_half(s)) AS BIGINT) + 0.5) * pow(10, 5 - _gr_half(s))) END;
-- parse_count(s), a whole number as partners write one ("6 persons", "Six"), is defined by etl/counts.py.
-- A count typed with a letter for a digit: 'O' or 'o' for 0, 'I' or 'l' for 1, touching a digit in a run of
-- digits and such letters ('1O', 'l0', '2O people', '1,O00'). '1O' is most likely 10: no rule may read it as 1 (a
-- number found among words) nor guess 10, so a count column's check rejects the row naming the value. A run
-- inside a word ('2lads') is not one.
CREATE OR REPLACE TEMP MACRO letter_for_digit(s) AS
    regexp_matches(s, '(^|[^A-Za-z])[0-9OoIl]*([0-9][OoIl]|[OoIl][0-9])[0-9OoIl]*($|[^A-Za-z])');

-- A value quoted for a reject reason, cut short so one huge cell can't flood the message.
CREATE OR REPLACE TEMP MACRO shown(s) AS '''' || left(s, 60) || CASE WHEN length(s) > 60 THEN '…' ELSE '' END || '''';

-- Category matching ignores case, spaces and punctuation, like header matching.
CREATE OR REPLACE TEMP MACRO label_key(s) AS regexp_replace(replace(lower(coalesce(s, '')), 'license', 'licence'), '[^a-z0-9]+', '', 'g');

-- A category as written before a note: "Criminal (cannabis)", "Criminal Exploitation - County Lines",
-- "County Lines / CCE" and "Sexual exploitation [adult]" are "Criminal", "Criminal Exploitation", "County Lines"
-- and "Sexual exploitation". A hyphen inside a word ("Labour-exploitation") is no note.
CREATE OR REPLACE TEMP MACRO leading_label(s) AS trim(regexp_replace(s, '\s*(\(|\[|/|\s[-–—:]\s).*$', ''));
-- "N/A" or "N/K" in a list ("Polish / N/A"), taken out before the list is split on its slashes into "N" and "A".
CREATE OR REPLACE TEMP MACRO without_n_a(s) AS regexp_replace(s, '(?i)(^|[^a-z])n\s*/\s*[ak]($|[^a-z])', '\1\2', 'g');
