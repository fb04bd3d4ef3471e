"""Victim cases read nationalities as reports do: one rule, so the dashboard counts a caseworker's "LITH" or
"Lithuanian national" among the Lithuanians, as a report's; a nationality we don't know is named in the summary
when it is kept as written, never when its words may name someone."""
from __future__ import annotations

from etl import vocab
from etl.loaders import vocabularies
from tests.helpers import load_text, query

CELLS = ["Lithuanian national", "possibly Romanian", "Albanian?", "Lithuanian (poss Latvian)", "Vietnamese x2",
         "lit", "LITH", "Lietuva", "România", "ROU", "Lithuanian and Russian"]
EXPECTED = ["Lithuanian", "Romanian", "Albanian", "Lithuanian", "Vietnamese",
            "Lithuanian", "Lithuanian", "Lithuanian", "Romanian", "Romanian", "Lithuanian"]


def _cases(cells: list[str]) -> str:
    rows = "".join(f"VC{i},01/10/2026,PE13 1AA,\"{cell}\",Person {i}\n" for i, cell in enumerate(cells, 1))
    return "Case Reference,Date Opened,Postcode,Nationality,Victim Name\n" + rows


def _reports(cells: list[str]) -> str:
    rows = "".join(f"R{i},01/10/2026,{i} Lincoln Road,PE13 1AA,\"{cell}\"\n" for i, cell in enumerate(cells, 1))
    return "Reference,Date Received,Address,Postcode,Nationality\n" + rows


def _by_row(db, table: str, column: str) -> list:
    return [r[0] for r in query(db, f"SELECT {column} FROM {table} ORDER BY row_number")]


def test_a_case_reads_its_nationality_as_a_report_does(tmp_path):
    """What a caseworker adds ("national", "possibly", "?", "x2", a bracket) is no part of the nationality, and a
    case's nationality is the first of those a report with the same cell gets (a report keeps them all, sorted)."""
    cases, reports = tmp_path / "c.duckdb", tmp_path / "r.duckdb"
    assert load_text(cases, "cases", _cases(CELLS)).rows_loaded == len(CELLS)
    assert load_text(reports, "reports", _reports(CELLS)).rows_loaded == len(CELLS)
    assert _by_row(cases, "cases", "nationality") == EXPECTED
    report_names = _by_row(reports, "reports", "nationalities")
    assert all(case in names for case, names in zip(EXPECTED, report_names, strict=True)), report_names


def test_a_change_to_the_reading_changes_cases_and_reports_alike(tmp_path, monkeypatch):
    """No second copy of the rules: what reports strip from a nationality (NATIONALITY_QUALIFIERS), cases strip."""
    monkeypatch.setattr(vocabularies, "NATIONALITY_QUALIFIERS",
                        vocabularies.NATIONALITY_QUALIFIERS + r"|(^|\s+)citizens?\s*$")
    cases, reports = tmp_path / "c.duckdb", tmp_path / "r.duckdb"
    load_text(cases, "cases", _cases(["Polish citizen"]))
    load_text(reports, "reports", _reports(["Polish citizen"]))
    assert _by_row(cases, "cases", "nationality") == ["Polish"]
    assert _by_row(reports, "reports", "nationalities") == [["Polish"]]


def test_the_probe_file_counts_every_lithuanian_and_names_the_misspelling(tmp_path):
    """/tmp/probe2's cases_nat.csv: seven Lithuanians written seven ways; "Lituanian" is kept as written and the
    summary counts it without naming it (a victim's values never are), with no name or date of birth in it."""
    db = tmp_path / "w.duckdb"
    text = ("Case Reference,Date Opened,Postcode,Nationality,Victim Name,Date of Birth,Age\n"
            "VC1,01/10/2026,PE13 1AA,Lithuanian,Jonas Petraitis,01/01/1990,36\n"
            "VC2,02/10/2026,PE13 1AA,LTU,Ona Kazlauskiene,02/02/1991,35\n"
            "VC3,03/10/2026,PE13 1AA,Lithuania,Tomas Simkus,03/03/1992,34\n"
            "VC4,04/10/2026,PE13 1AA,lit,Ruta Zukauskaite,04/04/2008,18\n"
            "VC5,05/10/2026,PE13 1AA,LITH,Ion Popescu,05/05/1993,33\n"
            "VC6,06/10/2026,PE13 1AA,Lithuanian national,Maria Ionescu,06/06/1994,32\n"
            "VC7,07/10/2026,PE13 1AA,Romania (RO),Andrei Stan,07/07/1995,31\n"
            "VC8,08/10/2026,PE13 1AA,ROU,Elena Dumitru,08/08/1996,30\n"
            "VC9,09/10/2026,PE13 1AA,Lietuva,X Y,09/09/1997,29\n"
            "VC10,10/10/2026,PE13 1AA,Lituanian,X Z,10/10/1997,29\n")
    s = load_text(db, "cases", text)
    assert s.rows_loaded == 10
    assert query(db, "SELECT nationality, count(*) FROM cases GROUP BY 1 ORDER BY 1") == [
        ("Lithuanian", 7), ("Lituanian", 1), ("Romanian", 2)]
    said = "\n".join(s.lines())
    assert ("1 row(s) give a nationality not in the vocabulary (etl/vocab/nationalities.toml), kept as written but "
            "with no language to bring; not shown here") in said
    for secret in ("Jonas", "Petraitis", "1990", "VC1", "Popescu", "Lituanian"):
        assert secret not in said


def test_words_that_may_name_someone_are_counted_never_named(tmp_path):
    """A cell that is no plain nationality is stored as 'other' and only counted; the summary's list of unknown
    nationalities counts what is stored as written, and names none."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "cases", _cases(["lives with cousin Ana at 4 Mill Lane", "Ethiopian national",
                                       "Afghan - brother Reza Karimi also in care"]))
    assert sorted(query(db, "SELECT nationality FROM cases")) == [("Afghan",), ("Ethiopian",), ("other",)]
    said = "\n".join(s.lines())
    assert "1 case(s) give a nationality that is no nationality we know" in said
    assert "1 row(s) give a nationality not in the vocabulary" in said
    for secret in ("Ana", "Mill Lane", "Reza", "Karimi", "'other'", "Ethiopian"):
        assert secret not in said.replace("stored as 'other' (the words", "")


def test_endonyms_and_abbreviations_are_vocabulary_data():
    """The names caseworkers type are in etl/vocab/nationalities.toml, each alias naming one nationality, none
    empty once normalised (a Cyrillic-only alias would match every Cyrillic cell), and never "rom" (the Roma's
    own name: an ethnicity, not Romanian nationality)."""
    aliases = vocab.nationality_aliases()
    for written, nationality in (("LITH", "Lithuanian"), ("lit", "Lithuanian"), ("Lietuva", "Lithuanian"),
                                 ("România", "Romanian"), ("ROU", "Romanian"), ("Polska", "Polish")):
        assert aliases[vocab.normalise_label(written)] == nationality
    assert "rom" not in aliases
    seen: dict[str, str] = {}
    for nationality, entry in vocab.load("nationalities").items():
        for alias in entry["aliases"]:
            key = vocab.normalise_label(alias)
            assert len(key) >= 2, alias
            assert seen.setdefault(key, nationality) == nationality, (alias, seen[key], nationality)
