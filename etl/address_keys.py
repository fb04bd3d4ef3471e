"""The normalised address key and house number that match reports to HMO licences (analysis/addresses.py).

Computed once at load time into `addr_key` and `house_no` on reports and licences (migration 0003),
so the visit list and the map match addresses with hash joins instead of running these regular
expressions over every report and licence on each query. SQL text only: values stay in the tables.
"""
from __future__ import annotations

import re
from functools import cache

import duckdb

from etl import vocab

# A UK postcode at the very end of an address, with what separates it from the rest.
_TRAILING_POSTCODE = r"(^|[^\pL\pN])[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}[^\pL\pN]*$"
_NOT_ALNUM = r"[^\pL\pN]+"
_FULL_POSTCODE = r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}"


@cache
def not_an_address() -> str:
    """A regular expression matching the whole of a normalised address that names no door
    (etl/vocab/addresses.toml: "NO LOCATION", "UNKNOWN", "N A" ..., a street-level "ON OR NEAR ...", or a
    street alone, "MILL ROAD CAMBRIDGE").

    One expression, valid in DuckDB (RE2) and in Python alike: the dashboard keys recorded visits with
    it (operations/vocabulary.py), so a street is no door there either."""
    table = vocab.load("addresses")
    words = sorted(table["not_addresses"], key=len, reverse=True)
    prefixes = sorted(table.get("street_level_prefixes", []), key=len, reverse=True)
    whole = "|".join(re.escape(w) for w in words)
    if prefixes:
        whole += "|(" + "|".join(re.escape(p) for p in prefixes) + ")( .*)?"
    return "^(" + whole + "|" + _street_alone() + ")$"


def _street_alone() -> str:
    """A regular expression for a normalised address that is only a street, then perhaps a locality, a town
    and an outward code: no number, and a street name of one word, or of two after a `street_name_prefixes`
    word ("GREAT NORTH ROAD", "ST MARY S STREET"), before a kind of street. "THE OLD RECTORY MILL ROAD" is
    a house; so is "ROSE COTTAGE" (no kind of street)."""
    table = vocab.load("addresses")
    name_prefixes = "|".join(re.escape(w) for w in sorted(table["street_name_prefixes"], key=len, reverse=True))
    return f"(?:(?:{name_prefixes}) )?{_WORD}(?: S)? (?:{_kinds_pattern()}){_AFTER_STREET}"


_WORD = "[^ 0-9]+"
_AFTER_STREET = f"(?: (?:{_WORD}|[A-Z]{{1,2}}[0-9][A-Z0-9]?))*"        # locality, town, outward code


def named_street(key_sql: str) -> str:
    """SQL: the street of a normalised address that has no number and names a street of two words before its
    kind ("CHERRY HINTON ROAD", "WOODLANDS CHURCH LANE CAMBRIDGE"), in full ("RD" is "ROAD"); else ''.

    Such an address may be a street or a house name and a street. The warehouse tells them apart
    (etl/address_ids.py `learn_streets`): it is a street when a stored address puts a house number before
    the same street (`numbered_street`)."""
    pattern = f"^({_WORD} {_WORD} (?:{_kinds_pattern()})){_AFTER_STREET}$"
    return _in_full(f"regexp_extract({key_sql}, {_literal(pattern)}, 1)")


def numbered_street(key_sql: str) -> str:
    """SQL: the street, in full, that a normalised address puts its house number before ("CHERRY HINTON
    ROAD" of "34 CHERRY HINTON RD CAMBRIDGE"); '' with none, or when that number is a flat's, a room's
    (`flat_words`: "FLAT 2 WOODLANDS CHURCH LANE" is a flat of the house Woodlands)."""
    flats = "|".join(re.escape(w) for w in sorted(vocab.load("addresses")["flat_words"], key=len, reverse=True))
    pattern = f"^(?:|(.*?) ){_NUMBER} ((?:{_NAME} )*?{_NAME} (?:{_kinds_pattern()}))(?: .*)?$"
    parts = f"regexp_extract({key_sql}, {_literal(pattern)}, ['before', 'street'])"
    # A list of one, so the address is matched once for both parts.
    return (f"list_transform([{parts}], lambda p: CASE WHEN regexp_matches(p.before, "
            f"{_literal(f'(?:^| )(?:{flats})$')}) THEN '' ELSE {_in_full('p.street')} END)[1]")


def _kinds_pattern() -> str:
    """The alternation of every kind of street and its abbreviations (etl/vocab/addresses.toml)."""
    names = {w for kind, short in _street_types().items() for w in (kind, *short)}
    return "|".join(re.escape(w) for w in sorted(names, key=len, reverse=True))


def _street_types() -> dict[str, list[str]]:
    return dict(vocab.load("addresses")["street_types"])


def _not_an_address_sql() -> str:
    """`not_an_address()` as an SQL string literal."""
    return "'" + not_an_address().replace("'", "''") + "'"


def address_key(col: str) -> str:
    """SQL: the normalised address used to group reports and match licences; '' (no address) for one
    that names no place."""
    # NFC first: a Mac or a web form may save "Š" as S plus a combining caron, which the punctuation rule
    # below would turn into "S " and a second door.
    return (f"regexp_replace(trim(regexp_replace(regexp_replace(upper(nfc_normalize(coalesce({col}, ''))), "
            f"'{_TRAILING_POSTCODE}', ''),"
            f" '{_NOT_ALNUM}', ' ', 'g')), {_not_an_address_sql()}, '')")


def full_postcode(col: str) -> str:
    """SQL: a stored postcode (`col`) when it is a full one, else NULL.

    The loaders store a full postcode normalised ("PE13 1AB"), and anything else a postcode column
    held upper-cased as given: an outward code ("PE13"), or "N/A", "TBC", "UNKNOWN". Such a value
    names no door: two reports both saying "N/A" are not at the same postcode.
    """
    return f"CASE WHEN regexp_full_match({col}, '{_FULL_POSTCODE}') THEN {col} END"


def house_number(key_sql: str) -> str:
    """SQL: the house number in a normalised address: the number before its street (the words up to the
    first kind of street, `_numbered()`), so a property's details after the street are no house number:
    "12 HIGH STREET 3 BED" and "12 HIGH ST HMO 6 ROOMS" give 12, "FLAT 2 14 MILL LANE" gives 14 and
    "ROOM 1 ABOVE SHOP 40 COMMON VIEW" gives 40 (a number earlier on is a flat's, a room's). With no number
    before its street, one that ends the address ("COMMON VIEW 1" gives 1), never one in the words after it
    ("HIGH STREET 3 BED" has none). With no kind of street, the last number before a word, else the last one:
    "UNIT 1 FENGATE INDUSTRIAL ESTATE" gives 1, "12A MILL FARM" 12A, "MILL FARM" NULL.
    """
    return (f"coalesce(nullif(regexp_extract({key_sql}, {_literal(_numbered())}, 1), ''), "
            f"CASE WHEN regexp_matches({key_sql}, {_literal(_a_street())}) "
            f"THEN nullif(regexp_extract({key_sql}, {_literal(_street_then_number())}, 1), '') "
            f"ELSE coalesce(nullif(regexp_extract({key_sql}, '^.*\\b([0-9]+[A-Z]?) \\pL', 1), ''),"
            f" nullif(regexp_extract({key_sql}, '^.*\\b([0-9]+[A-Z]?)\\b', 1), '')) END)")


# A house number ("12", "12A"), and a word that can name a street: any but a number ("5TH" can).
_NUMBER = "[0-9]+[A-Z]?"
_NAME = "(?:[^ 0-9][^ ]*|[0-9]+[A-Z][^ ]+)"


def _numbered() -> str:
    """A regular expression for a normalised address with a house number before its street: group 1 the
    number, group 2 the street and what follows it. The number is the first one followed by a street, the
    words up to the first kind of street, with no number among them: in "FLAT 2 14 MILL LANE" the 2 is
    followed by 14, so 14; in "12 HIGH STREET 3 BED TERRACE" 12, though "3 BED TERRACE" ends in a kind."""
    return f"^(?:|.*? )({_NUMBER}) ((?:{_NAME} )*?{_NAME} (?:{_kinds_pattern()})(?: .*)?)$"


def _a_street() -> str:
    """A regular expression finding a street in a normalised address: a name, then a kind of street."""
    return f"(?:^| ){_NAME} (?:{_kinds_pattern()})(?: |$)"


def _street_then_number() -> str:
    """A regular expression for an address that is a street, then its house number last ("COMMON VIEW 1")."""
    return f"^(?:{_NAME} )*?{_NAME} (?:{_kinds_pattern()}) ({_NUMBER})$"


def street_words(key_sql: str) -> str:
    """SQL: the words of a normalised address from its street on, kinds of street written in full ("RD" is
    "ROAD"): those after its house number (`house_number`), or, with the number last ("COMMON VIEW 1"),
    those before it; '' when there are none. A flat or a room before the number is not the street: "FLAT 2
    1 COMMON VIEW PETERBOROUGH" gives "COMMON VIEW PETERBOROUGH", "12 HIGH STREET 3 BED" "HIGH STREET 3 BED"
    (whose street, `street_of`, is "HIGH STREET")."""
    words = (f"CASE WHEN regexp_matches({key_sql}, {_literal(_numbered())}) "
             f"THEN regexp_extract({key_sql}, {_literal(_numbered())}, 2) "
             f"WHEN regexp_matches({key_sql}, '\\b[0-9]+[A-Z]? \\pL') "
             f"THEN regexp_extract({key_sql}, '^.*\\b[0-9]+[A-Z]? (\\pL.*)$', 1) "
             f"ELSE regexp_extract({key_sql}, '^([^0-9]*[^0-9 ]) [0-9]', 1) END")
    return _in_full(words)


def _in_full(words_sql: str) -> str:
    """SQL: words with each kind of street written in full ("MILL RD" is "MILL ROAD")."""
    # A CASE, not a MAP literal: DuckDB builds the literal again for every row, 12 times slower.
    full = " ".join(f"WHEN {_literal(short)} THEN {_literal(kind)}" for kind, shorts in _street_types().items()
                    for short in shorts)
    return (f"array_to_string(list_transform(string_split({words_sql}, ' '), "
            f"lambda w: CASE w {full} ELSE w END), ' ')")


def street_of(words_sql: str) -> str:
    """SQL: the street in `street_words`: up to the first kind of street that follows a name ("MILL ROAD"
    of "MILL ROAD PETERBOROUGH"; "ST JOHNS ROAD", whose "ST" is a saint), else all the words."""
    kinds = "|".join(re.escape(k) for k in sorted(_street_types(), key=len, reverse=True))
    street = f"regexp_extract({words_sql}, '^([^ ]+(?: [^ ]+)*? (?:{kinds}))(?: |$)', 1)"
    return f"coalesce(nullif({street}, ''), {words_sql})"


def same_street(words_a: str, words_b: str) -> str:
    """SQL: whether two addresses' `street_words` name one street: the street of either starts the words
    of the other, so a town or a locality on one side only does not part them ("COMMON VIEW" and
    "COMMON VIEW PETERBOROUGH"), and "MILL ROAD" is never "COMMON VIEW"."""
    return (f"({words_a} <> '' AND {words_b} <> '' AND "
            f"(starts_with({words_b} || ' ', {street_of(words_a)} || ' ') OR "
            f"starts_with({words_a} || ' ', {street_of(words_b)} || ' ')))")


def _literal(text: str) -> str:
    """An SQL string literal of a vocabulary word."""
    return "'" + str(text).replace("'", "''") + "'"


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Macros address_key(address), house_number(key), names_no_place(key), full_postcode(postcode),
    street_words(key), named_street(key) and numbered_street(key), for migrations and loaders."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO address_key(s) AS {address_key('s')}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO house_number(k) AS {house_number('k')}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO names_no_place(k) AS regexp_full_match(k, {_not_an_address_sql()})")
    con.execute(f"CREATE OR REPLACE TEMP MACRO full_postcode(p) AS {full_postcode('p')}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO street_words(k) AS {street_words('k')}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO named_street(k) AS {named_street('k')}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO numbered_street(k) AS {numbered_street('k')}")
