"""An HMO register of another council's area (Oxford's: OX postcodes, every licence expired) is refused on its
first load as on any later one; a register of expired licences says so when it loads; and a note saying a
wrongly loaded source can be taken out names the command that does it."""
from __future__ import annotations

import pytest

from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import query, scalar, write_text

LOOKUP = "postcode,latitude,longitude\nPE13 1AB,52.66,0.16\nCB1 1AA,52.20,0.13\n"
HEADER = "Licence Number,Address,Postcode,Licence Expiry\n"
# Oxford's register as an analyst met it: OX postcodes, every licence expired.
OXFORD = HEADER + ("X1,1 Cowley Road Oxford,OX4 1AA,2023-03-12\nX2,2 Cowley Road Oxford,OX4 1AB,2022-01-01\n"
                   "X3,3 Iffley Road Oxford,OX4 1AD,2021-02-01\n")
FENLAND = HEADER + "F1,1 Mill Lane Wisbech,PE13 1AB,2031-03-31\n"
REFUSED = ("none of its 3 licences is in the six districts (3 with postcodes in areas the loaded postcode lookup "
           "does not cover: postcode areas OX; it covers CB, PE)")
COUNCILS = "another council's register? Nothing was changed"


@pytest.fixture
def db(tmp_path):
    return tmp_path / "w.duckdb"


def _file(db, name: str, text: str):
    return write_text(db.parent / name, text)


def _with_lookup(db):
    load_file("postcodes", _file(db, "pc.csv", LOOKUP), db=db)


def _refused(db, name: str, text: str, source: str) -> str:
    with pytest.raises(FileProblem) as refusal:
        load_file("hmo", _file(db, name, text), db=db, source=source)
    return str(refusal.value)


def test_another_councils_register_is_refused_on_its_first_load_as_on_any_later_one(db):
    _with_lookup(db)
    first = _refused(db, "oxford.csv", OXFORD, "Oxford City Council")
    assert first.startswith("oxford.csv: ") and f"{REFUSED}: {COUNCILS}" in first
    assert "load a postcode lookup that covers its postcodes (python -m etl load postcodes FILE)" in first
    assert scalar(db, "SELECT count(*) FROM hmo_licence_history") == 0
    load_file("hmo", _file(db, "fenland.csv", FENLAND), db=db, source="Fenland")
    over = _refused(db, "oxford.csv", OXFORD, "Fenland")   # as a second register of a source
    assert (f"{REFUSED}, and loading it as 'Fenland' would end the 1 licence(s) of that source on the map now: "
            f"{COUNCILS}") in over
    assert f"{REFUSED}: {COUNCILS}" in _refused(db, "oxford.csv", OXFORD, "Cherwell")   # under another source
    assert query(db, "SELECT source, licence_ref FROM hmo_licences") == [("Fenland", "F1")]
    assert query(db, "SELECT source, status FROM loads WHERE kind = 'hmo' ORDER BY load_id") == [
        ("Oxford City Council", "failed"), ("Fenland", "loaded"), ("Fenland", "failed"), ("Cherwell", "failed")]


def test_points_outside_the_area_are_refused_and_swapped_ones_are_not(db):
    """With no lookup and no boundaries, a point is judged by the area's box: outside it is elsewhere; a point
    whose latitude and longitude are swapped is this area's, written the other way round, and loads flagged."""
    far = "Licence Number,Address,Latitude,Longitude\nY1,1 High Street Banbury,52.06,-1.34\n"
    said = _refused(db, "cherwell.csv", far, "Cherwell")
    assert "its only licence is not in the six districts (1 with a point outside the six districts): " in said
    assert "correct its points" in said and "postcode lookup" not in said
    swapped = load_file("hmo", _file(db, "swapped.csv", "Licence Number,Address,Latitude,Longitude\n"
                                                        "S1,1 Mill Lane Wisbech,0.16,52.66\n"), db=db, source="Fenland")
    assert swapped.rows_loaded == 1
    assert scalar(db, "SELECT location_flag FROM hmo_licences") == "swapped_lat_lon"


def test_a_register_nothing_can_judge_yet_loads_and_is_refused_once_it_can_be(db):
    """No postcode lookup, no boundaries, no coordinates: its licences are unplaced for want of a lookup, not
    found elsewhere, so it loads. Once a lookup says where it is, the same file is refused, naming the source
    it went in as and the command that takes it out."""
    s = load_file("hmo", _file(db, "oxford.csv", OXFORD), db=db, source="Oxford City Council")
    assert s.rows_loaded == 3
    _with_lookup(db)
    again = _refused(db, "oxford.csv", OXFORD, "Oxford")
    assert f"{REFUSED}: {COUNCILS}" in again
    assert ("3 of these licences are on the register loaded as 'Oxford City Council': if that is this register, "
            "loaded wrongly, `python -m etl remove hmo 'Oxford City Council'` takes that source out") in again
    assert scalar(db, "SELECT count(*) FROM hmo_licences") == 3


def test_postcodes_of_an_area_the_lookup_covers_but_lacks_are_no_sign_of_elsewhere(db):
    """A partial lookup (PE13 only) leaves a Fenland register of PE15 unplaced: it is this area's, and loads."""
    _with_lookup(db)
    s = load_file("hmo", _file(db, "march.csv", HEADER + "M1,1 Station Road March,PE15 8AA,2031-03-31\n"),
                  db=db, source="Fenland")
    assert (s.rows_loaded, s.rows_ungeocoded) == (1, 1)


def test_a_register_of_expired_licences_loads_on_a_first_load_and_says_so(db):
    """A first load ends nothing, so the expired-licences guard does not refuse it: its summary says it."""
    _with_lookup(db)
    old = HEADER + "".join(f"E{i},{i} Mill Lane Wisbech,PE13 1AB,{2020 + i % 3}-03-12\n" for i in range(12))
    s = load_file("hmo", _file(db, "old.csv", old), db=db, source="Fenland")
    assert s.rows_loaded == 12
    assert ("all 12 licences expired before today (the newest expiry 12 Mar 2022): an old export? the dashboard "
            "counts expired licences as a licence issue at each address") in s.warnings
    most = HEADER + "L1,1 Quay Way Wisbech,PE13 1AB,2020-01-01\nL2,2 Quay Way Wisbech,PE13 1AB,2020-01-01\n" \
                    "L3,3 Quay Way Wisbech,PE13 1AB,2031-01-01\n"
    s = load_file("hmo", _file(db, "most.csv", most), db=db, source="Fenland quay")
    assert any(w.startswith("2 of the 3 licences expired before today: an old export?") for w in s.warnings)
    live = load_file("hmo", _file(db, "live.csv", FENLAND), db=db, source="Fenland live")
    assert not any("expired before today" in w for w in live.warnings)


def test_a_repeat_load_names_the_command_that_takes_a_wrong_source_out(db):
    _with_lookup(db)
    f = _file(db, "fenland.csv", FENLAND)
    load_file("hmo", f, db=db, source="Fenland District Council")
    again = load_file("hmo", f, db=db, source="Fenland District Council")
    assert again.status == "already_loaded"
    assert again.lines() == [
        "fenland.csv: already loaded (same content as load 2, source 'Fenland District Council'; if that source was "
        "loaded wrongly, `python -m etl remove hmo 'Fenland District Council'` takes it out); nothing changed."]


def test_another_sources_register_under_a_named_source_names_the_command_that_takes_it_out(db):
    _with_lookup(db)
    load_file("hmo", _file(db, "october.csv", FENLAND), db=db, source="Fenland")
    november = FENLAND.replace("2031-03-31", "2032-03-31")
    s = load_file("hmo", _file(db, "november.csv", november), db=db, source="Fenland DC")
    assert any("each of those licences now stands on both registers. If this is a newer export of 'Fenland' loaded "
               "under the wrong --source, `python -m etl remove hmo 'Fenland DC'` takes this load out; load the file "
               "with --source Fenland" in w for w in s.warnings)


def test_a_register_outside_the_loaded_districts_but_inside_the_area_loads(db):
    """With boundaries loaded for Fenland alone (a sample, a partial file), a Cambridge register's points lie in
    no loaded district and are flagged outside it; yet they are in the force area's box, unlike Oxford's, so
    the register loads (the crash-safety fixture, with the sample boundaries, met this)."""
    square = "[[0.10, 52.60], [0.22, 52.60], [0.22, 52.72], [0.10, 52.72], [0.10, 52.60]]"
    load_file("boundaries", _file(db, "fenland.geojson", '{"type": "FeatureCollection", "features": [{"type": '
              '"Feature", "properties": {"LAD24CD": "E07000010", "LAD24NM": "Fenland"}, "geometry": {"type": '
              f'"Polygon", "coordinates": [{square}]}}}}]}}'), db=db)
    s = load_file("hmo", _file(db, "cambridge.csv", "Licence Number,Address,Latitude,Longitude\n"
                                                     "C1,1 Mill Road Cambridge,52.20,0.13\n"), db=db, source="Cambridge")
    assert s.rows_loaded == 1
    assert query(db, "SELECT location_flag FROM hmo_licences") == [("outside_area",)]
    oxford = "Licence Number,Address,Latitude,Longitude\nX1,1 Cowley Road Oxford,51.75,-1.24\n"
    assert COUNCILS in _refused(db, "oxford.csv", oxford, "Oxford")
