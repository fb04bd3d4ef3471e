"""A file whose only location is an area's code or name (police.uk's LSOA columns, a ward) is refused saying an
area places no row: "rename them" had an analyst renaming 'LSOA code' to Address, storing E01… codes as addresses."""
from __future__ import annotations

import pytest

from etl.errors import FileProblem
from tests.helpers import load_text


def test_an_lsoa_code_alone_is_said_to_name_an_area_not_a_place(tmp_path):
    with pytest.raises(FileProblem) as err:
        load_text(tmp_path / "w.duckdb", "reports", "Reference,Date Received,LSOA code,LSOA name,Summary\n"
                                                    "R1,2019-08,E01027952,Ashfield 008A,Robbery\n")
    said = str(err.value)
    assert "'LSOA code' and 'LSOA name' name an area, not a place in it: a row needs an address, a postcode or " \
           "coordinates" in said and "Rename them" not in said


def test_a_file_missing_its_location_without_an_area_column_is_told_to_rename(tmp_path):
    with pytest.raises(FileProblem) as err:
        load_text(tmp_path / "w.duckdb", "reports", "Reference,Date Received,Summary\nR1,2019-08,Robbery\n")
    assert "Rename them, or pass --mapping FILE" in str(err.value) and "an area" not in str(err.value)
