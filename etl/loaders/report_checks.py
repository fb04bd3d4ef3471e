"""Checks of a reports file as a whole, each said in the load summary: columns given the wrong way round, a
postcode column that disagrees with the address, and reports already stored under another source.

Each takes the loader's temp tables (`stage`, `parsed`, `incoming`) as they stand when it runs.
"""
from __future__ import annotations

import shlex
from pathlib import Path

import duckdb

from etl.errors import FileProblem
from etl.reading.stage import StagedFile
from etl.summary import LoadSummary


def swap_address_and_postcode(con: duckdb.DuckDBPyConnection, staged: StagedFile, path: Path) -> str | None:
    """Read the address column as the postcode and the postcode column as the address when the file has them
    the wrong way round, and return the note that says so; None when it does not.

    Read as headed, each report's address would be its postcode and its real address thrown away: the
    postcode column takes only a postcode, and the postcode in the address column fills it. The swap loses
    nothing, and is made only when most of each column is the other's kind: most of the address column's
    values are a postcode and nothing else, and most of the postcode column's hold an address. A file with its
    address in several columns is refused instead, naming the columns to map."""
    columns = staged.match.columns
    if "address" not in columns or "postcode" not in columns:
        return None
    address, postcode = f"c{columns['address']}", f"c{columns['postcode']}"
    first = _kinds_of_values(con, address, postcode, SAMPLE_ROWS)
    if first[1] * 4 <= first[0] or first[3] * 4 <= first[2]:
        return None     # clearly not swapped in the file's first rows: not worth reading every row's two columns
    addresses, postcodes_there, postcodes, addresses_there = _kinds_of_values(con, address, postcode)
    if not (postcodes_there * 2 > addresses and addresses_there * 2 > postcodes):
        return None
    headers = staged.match.headers
    said = (f"{postcodes_there:,} of the {addresses:,} values of {headers[columns['address']]!r} are postcodes, and "
            f"{addresses_there:,} of the {postcodes:,} of {headers[columns['postcode']]!r} are addresses")
    simple = not (staged.match.address_parts() or staged.address_continued() or staged.match.points_in_address
                  or staged.match.duplicates.get("address") or staged.match.duplicates.get("postcode"))
    if not simple:
        raise FileProblem(path, f"{said}: the two columns look swapped. Nothing was loaded. Name the address and "
                                "postcode columns with --mapping FILE, or swap their headers in the file")
    a, p = headers[columns["address"]], headers[columns["postcode"]]
    columns["address"], columns["postcode"] = columns["postcode"], columns["address"]
    staged.define_view(con)    # the address's no-value column (g) is now the other column's
    return (f"{said}: the two columns look swapped, so {p!r} was read as the address and {a!r} as the postcode; "
            "if that is wrong, name the columns with --mapping FILE")


# How many of a file's first rows decide that its address and postcode columns are clearly the right way round.
# Most files are; reading both columns of every row cost 1.6 s of a 31 s load of 2,000,000 rows. A file whose
# first rows are not clearly right (a quarter of either column the other's kind) is counted whole.
SAMPLE_ROWS = 20_000


def _kinds_of_values(con: duckdb.DuckDBPyConnection, address: str, postcode: str,
                     first_rows: int | None = None) -> tuple[int, int, int, int]:
    """(addresses, of them postcodes, postcodes, of them addresses), over the first rows or all."""
    rows = "stage" if first_rows is None else f"(SELECT * FROM stage ORDER BY _row LIMIT {int(first_rows)})"
    return con.execute(f"""
        SELECT count({address}), count(*) FILTER (WHERE postcode_norm({address}) IS NOT NULL),
               count({postcode}), count(*) FILTER (WHERE postcode_norm({postcode}) IS NULL
                                                  AND address_key({postcode}) <> '' AND regexp_matches({postcode}, '[A-Za-z]{{3}}'))
        FROM {rows}""").fetchone()


def postcodes_unlike_the_address(con: duckdb.DuckDBPyConnection, staged: StagedFile, summary: LoadSummary) -> None:
    """A postcode column that disagrees with a full postcode written in the same row's address. The column
    places the report, as it places a licence (the address's postcode stands in only for a blank or unreadable
    one), but one of the two is wrong: say how many, with an example, as HMO registers do. `parsed` holds the
    address's own postcode in `_address_postcode`."""
    if "postcode" not in staged.match.columns:
        return
    n, row, ref, given, written = con.execute("""
        SELECT count(*), min(row_number), arg_min(report_ref, row_number), arg_min(postcode, row_number),
               arg_min(_address_postcode, row_number)
        FROM parsed WHERE reason IS NULL AND _address_postcode <> postcode""").fetchone()
    if n:
        header = staged.match.headers[staged.match.columns["postcode"]]
        which = f"row {row}" if ref is None or ref.startswith("auto-") else f"{ref!r}, row {row}"
        summary.warnings.append(f"{n:,} report(s) have a postcode in {header!r} unlike the one in their address "
                                f"(e.g. {which}: {given!r}, but {written!r} in the address): placed by {header!r}; "
                                "check which is right")


def another_sources_reports(con: duckdb.DuckDBPyConnection, summary: LoadSummary) -> None:
    """Most of the file's reports already stored, with the same reference and content, under another source:
    the same reports loaded again under a new name ('Police UK' after 'police.uk', or the file's own name),
    and each would stand on the map and the visit list twice. Said, with the source they are stored under and
    how to take this load out again, as HMO registers say it. Compared by `row_hash` (the reference as the file
    gives it, and the content): two partners who both number their reports 1, 2, 3 share references, not
    reports, and a report's parts (etl/report_refs.py) are found however the file orders its addresses.
    Run on `incoming` before it is stored, so it can tell whether the source is new."""
    row = con.execute("""
        WITH stored AS (SELECT DISTINCT source, row_hash FROM reports
                        WHERE source <> ? AND row_hash IN (SELECT row_hash FROM incoming))
        SELECT s.source, count(*), (SELECT count(*) FROM incoming)
        FROM incoming i JOIN stored s USING (row_hash)
        GROUP BY s.source ORDER BY 2 DESC, 1 LIMIT 1
    """, [summary.source]).fetchone()
    if not row or row[1] * 2 < row[2]:
        return
    other, shared, total = row
    earlier = con.execute("SELECT count(*) FROM reports WHERE source = ?", [summary.source]).fetchone()[0]
    said = (f"{shared:,} of the {total:,} reports in this file are already stored, with the same reference and content, under source {other!r}: "
            f"the same reports loaded again as {summary.source!r}? Each now stands on the map and the visit list "
            "twice")
    remove = f"python -m etl remove reports {shlex.quote(summary.source)}"
    then = f"load new files of these reports with --source {shlex.quote(other)}"
    if earlier:
        summary.warnings.append(f"{said}. If so, `{remove}` takes this load out, with the {earlier:,} report(s) "
                                f"{summary.source!r} held before it (load their files again after it); {then}")
    else:
        summary.warnings.append(f"{said}. If so, take this load out with `{remove}`; {then}")
