"""A case file's optional columns as caseworkers fill them: an NRM answer that is no yes or no, a disputed age, two
exploitation types or two nationalities in one cell. A victim is never lost for an optional column, and what
could not be stored as written is said in the load's summary, counted, without a victim's values."""
from __future__ import annotations

from tests.helpers import load_text, query

# What each NRM answer is stored as: referred (True), not referred (False), or unknown (None).
NRM = {
    # An adult must consent; one who declines gets a Duty to Notify (DtN) to the Home Office, no referral.
    "Declined": False, "No - declined": False, "Refused": False, "DTN": False, "Duty to Notify": False,
    "Did not consent": False, "Adult declined NRM": False, "Declined - did not consent": False,
    "NRM - declined": False,
    # A reasonable (RG) or conclusive grounds decision, positive or negative, is made only on a referral.
    "Y - positive RG": True, "Yes (positive reasonable grounds)": True, "Positive RG": True, "Negative RG": True,
    # Not referred yet, or nothing said: unknown.
    "Not yet": None, "Awaiting consent": None, "N/A": None,
    # Not read: unknown, named in the summary; one with a date in it counted but never shown.
    "Perhaps": None, "03/09": None,
}


def _cases(header: str, rows: list[str]) -> str:
    return f"Case Reference,Date Opened,Postcode,{header}\n" + "".join(
        f"VC{i},01/10/2025,PE13 1AA,{row}\n" for i, row in enumerate(rows, 1))


def _by_row(db, column: str) -> list:
    return [r[0] for r in query(db, f"SELECT {column} FROM cases ORDER BY row_number")]


def test_an_nrm_answer_that_is_no_yes_or_no_never_rejects_the_case(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "cases", _cases("NRM Referral", [f'"{v}"' for v in NRM]))
    assert (s.rows_loaded, s.rows_rejected) == (len(NRM), 0)
    assert dict(zip(NRM, _by_row(db, "nrm_referred"), strict=True)) == NRM
    said = " ".join(s.warnings)
    assert "2 case(s) say the NRM referral is not made yet (awaiting consent, not yet): stored as unknown" in said
    assert "'Perhaps' (1)" in said and "1 with a date, a number or a note in it (not shown)" in said
    assert "03/09" not in said
    notes = load_text(tmp_path / "n.duckdb", "cases", _cases("NRM Referral", ["Spoke to Anna", "Not sure"]))
    said = " ".join(notes.warnings)
    assert "'Not sure' (1)" in said and "1 with a date, a number or a note in it (not shown)" in said
    assert "Anna" not in said


def test_a_disputed_age_is_a_child_and_an_unknown_group_is_read_from_the_age(tmp_path):
    """Statutory guidance presumes a person whose age is disputed a child until assessed, whatever age is written
    beside it; an "Unknown" age group beside an age in years is that age's group."""
    db = tmp_path / "w.duckdb"
    rows = ["Age disputed,17", "disputed age,25", "Age unknown - appears under 18,", "Unknown,15", ",16",
            "Unknown,40", "Adult,17", "Unknown,"]
    s = load_text(db, "cases", _cases("Age Group,Age", rows))
    assert s.rows_loaded == len(rows)
    assert _by_row(db, "age_group") == ["child", "child", "child", "child", "child", "adult", "adult", "unknown"]
    assert not any(w.startswith("age groups not in the vocabulary") for w in s.warnings)


def test_a_case_naming_two_exploitation_types_keeps_the_first_and_says_so(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "cases", _cases("Exploitation Type", ['"Labour, Criminal"', "Labour/Sexual", "Sexual & labour",
                                                             "Criminal (cannabis)", "Labour"]))
    assert _by_row(db, "exploitation_type") == ["labour", "labour", "sexual", "criminal", "labour"]
    assert ("3 row(s) name more than one exploitation type, stored as the first named (counted under that type "
            "only): labour + criminal (1), labour + sexual (1), sexual + labour (1)") in s.warnings
    assert not any(w.startswith("exploitation types not in the vocabulary") for w in s.warnings)


def test_a_report_naming_two_exploitation_types_says_so_too(tmp_path):
    """The same reading serves reports: "Labour/Sexual" kept 'labour' silently."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Reference,Date Received,Address,Postcode,Exploitation Type\n"
                                 "R1,01/10/2025,1 Lincoln Road,PE13 1AA,Labour/Sexual\n"
                                 "R2,01/10/2025,2 Lincoln Road,PE13 1AA,Labour\n")
    assert [r[0] for r in query(db, "SELECT exploitation_type FROM reports ORDER BY report_ref")] == ["labour"] * 2
    assert any(w.startswith("1 row(s) name more than one exploitation type") and "labour + sexual (1)" in w
               for w in s.warnings), s.warnings


def test_a_second_nationality_not_kept_is_counted_never_named(tmp_path):
    """A case stores one nationality (a report keeps them all): the summary counts the cases whose others were
    not kept, and names none of them."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "cases", _cases("Nationality", ["Romanian / Moldovan", "Polish", "Lithuanian and Latvian"]))
    assert _by_row(db, "nationality") == ["Romanian", "Polish", "Lithuanian"]
    said = " ".join(s.warnings)
    assert "2 case(s) give more than one nationality: the first is stored" in said
    assert "Moldovan" not in said and "Latvian" not in said
