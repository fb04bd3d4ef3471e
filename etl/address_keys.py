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
from etl.sql_text import literal

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
    return _in_full(f"regexp_extract({key_sql}, {literal(pattern)}, 1)")


def numbered_street(key_sql: str) -> str:
    """SQL: the street, in full, that a normalised address puts its house number before ("CHERRY HINTON
    ROAD" of "34 CHERRY HINTON RD CAMBRIDGE"); '' with none, or when that number is a flat's, a room's
    (`flat_words`: "FLAT 2 WOODLANDS CHURCH LANE" is a flat of the house Woodlands)."""
    pattern = f"^(?:|(.*?) ){_NUMBER} ((?:{_NAME} )*?{_NAME} (?:{_kinds_pattern()}))(?: .*)?$"
    parts = f"regexp_extract({_without_flat_before_number(key_sql)}, {literal(pattern)}, ['before', 'street'])"
    # A list of one, so the address is matched once for both parts.
    return (f"list_transform([{parts}], lambda p: CASE WHEN regexp_matches(p.before, "
            f"{literal(f'(?:^| )(?:{_flats()})$')}) THEN '' ELSE {_in_full('p.street')} END)[1]")


def _flats() -> str:
    """The alternation of `flat_words` (etl/vocab/addresses.toml): a number after one is a flat's, a room's."""
    return "|".join(re.escape(w) for w in sorted(vocab.load("addresses")["flat_words"], key=len, reverse=True))


def _kinds_pattern() -> str:
    """The alternation of every kind of street and its abbreviations (etl/vocab/addresses.toml)."""
    names = {w for kind, short in _street_types().items() for w in (kind, *short)}
    return "|".join(re.escape(w) for w in sorted(names, key=len, reverse=True))


def _street_types() -> dict[str, list[str]]:
    return dict(vocab.load("addresses")["street_types"])


@cache
def trailing_postcode() -> str:
    """A regular expression for the UK postcode that ends an address, with what separates it from the rest and
    what may follow it yet end the address: a country (`countries_after_postcode`, etl/vocab/addresses.toml:
    "PE1 2NX, UK", "PE1 2NX U.K.") or a note in brackets ("PE1 2NX (rear)", "PE1 2NX [approx]"), in any order,
    with punctuation between. Why: the postcode is the report's postcode already (the loaders read it from the
    address), and left in the words it made "27 Lincoln Road Peterborough PE1 2NX, UK" and "27 Lincoln Road,
    Peterborough" two doors at one postcode, each with its own line on the visit list. Other words after the
    postcode may be the town ("PE1 2NX Peterborough"): the postcode is kept then, as it always was."""
    countries = sorted(vocab.load("addresses")["countries_after_postcode"], key=len, reverse=True)
    country = "|".join(_NOT_ALNUM.join(re.escape(w) for w in c.split()) for c in countries)
    after = f"(?:[^\\pL\\pN]|\\([^()]*\\)?|\\[[^\\[\\]]*\\]?|(?:{country})(?:[^\\pL\\pN]|$))*"
    return f"(^|[^\\pL\\pN]){_POSTCODE_SPACED}{after}$"


# A UK postcode, its space optional: "PE1 2NX", "PE12NX".
_POSTCODE_SPACED = "[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}"


def _not_an_address_sql() -> str:
    """`not_an_address()` as an SQL string literal."""
    return "'" + not_an_address().replace("'", "''") + "'"


def address_key(col: str) -> str:
    """SQL: the normalised address used to group reports and match licences; '' (no address) for one
    that names no place."""
    # NFC first: a Mac or a web form may save "Š" as S plus a combining caron, which the punctuation rule
    # below would turn into "S " and a second door.
    return (f"regexp_replace(trim(regexp_replace(regexp_replace(upper(nfc_normalize(coalesce({col}, ''))), "
            f"{literal(trailing_postcode())}, ''),"
            f" '{_NOT_ALNUM}', ' ', 'g')), {_not_an_address_sql()}, '')")


def full_postcode(col: str) -> str:
    """SQL: a stored postcode (`col`) when it is a full one, else NULL.

    The loaders store a full postcode normalised ("PE13 1AB"), and anything else a postcode column
    held upper-cased as given: an outward code ("PE13"), or "N/A", "TBC", "UNKNOWN". Such a value
    names no door: two reports both saying "N/A" are not at the same postcode.
    """
    return f"CASE WHEN regexp_full_match({col}, '{_FULL_POSTCODE}') THEN {col} END"


def house_number(key_sql: str) -> str:
    """SQL: the house number in a normalised address, read without its property details
    (`_without_details`: "12 THE PADDOCKS 3 BED" is read as "12 THE PADDOCKS"): the number before its street
    (the words up to the first kind of street, `_numbered()`), so a property's details after the street are no
    house number: "12 HIGH STREET 3 BED" and "12 HIGH ST HMO 6 ROOMS" give 12, "FLAT 2 14 MILL LANE" gives 14
    and "ROOM 1 ABOVE SHOP 40 COMMON VIEW" gives 40 (a number earlier on is a flat's, a room's). With no number
    before its street, one that ends the address ("COMMON VIEW 1" gives 1), never one in the words after it
    ("HIGH STREET 3 BED" has none). With no street named by a kind ("THE PADDOCKS", "WESTGATE", "BROADWAY" with
    no name before it), `_unnamed_street_number`: "12 THE PADDOCKS 3 BED" 12, "UNIT 3 BROADWAY 14" 14,
    "UNIT 1 FENGATE INDUSTRIAL ESTATE" 1, "12A MILL FARM" 12A, "MILL FARM" NULL.
    """
    # Written out, not bound by a lambda (list_transform([...], lambda k: ...)[1]): that ran three times slower.
    k = _without_details(key_sql)
    return (f"coalesce(nullif(regexp_extract({_without_flat_before_number(k)}, {literal(_numbered())}, 1), ''), "
            f"CASE WHEN regexp_matches({k}, {literal(_a_street())}) "
            f"THEN nullif(regexp_extract({k}, {literal(_street_then_number())}, 1), '') "
            f"ELSE {_unnamed_street_number(k)} END)")


def _unnamed_street_number(key_sql: str) -> str:
    """SQL: the house number of an address naming no kind of street: the last number followed by a word
    ("3 BED HOUSE AT 12 THE PADDOCKS" 12: details before the address are common, and "CAR WASH 1 BAY 7
    WESTGATE" is 7), else the last one ("WESTGATE 14"), a flat's or a unit's number (`flat_words`) counting
    only when there is no other: "UNIT 3 BROADWAY 14" is 14, the unit's 3 being no house number, but "UNIT 1
    FENGATE INDUSTRIAL ESTATE" is 1, all it has. Details after the address are gone already
    (`_without_details`), which the last number would otherwise take ("12 THE PADDOCKS 3 BED")."""
    before_word, at_all = literal(f"^.*\\b({_NUMBER}) \\pL"), literal(f"^.*\\b({_NUMBER})\\b")

    def last(text: str) -> str:
        return (f"coalesce(nullif(regexp_extract({text}, {before_word}, 1), ''), "
                f"nullif(regexp_extract({text}, {at_all}, 1), ''))")
    # The flats' numbers are taken out only where there are some (a cheap test): few addresses have them.
    return (f"CASE WHEN regexp_matches({key_sql}, {literal(_FLAT_NUMBER.format(flats=_flats()))}) "
            f"THEN coalesce({last(_without_flat_numbers(key_sql))}, {last(key_sql)}) ELSE {last(key_sql)} END")


# A flat's, a room's, a unit's number, after one of `flat_words` ("FLAT 2", "UNIT 3A").
_FLAT_NUMBER = "\\b({flats}) [0-9]+[A-Z]?\\b"


def _without_flat_numbers(key_sql: str) -> str:
    """SQL: a normalised address without the numbers of flats, rooms, units (`flat_words`, etl/vocab/addresses.toml):
    "UNIT 3 BROADWAY 14" is "UNIT BROADWAY 14"."""
    return f"regexp_replace({key_sql}, {literal(_FLAT_NUMBER.format(flats=_flats()))}, '\\1', 'g')"


def _without_flat_before_number(key_sql: str) -> str:
    """SQL: a normalised address without the number of a flat, a room, a unit (`flat_words`) that another number
    follows: "FLAT 2 FORE HILL HOUSE 12 FORE HILL ELY" is "FLAT FORE HILL HOUSE 12 FORE HILL ELY", so its house
    number is 12. Why: the house number is the first number before a street, and a building named with a kind of
    street ("Fore Hill House": HILL) put a street after the flat's number, which was taken for the house's; "Flat 2,
    Mill House, 12 Church Street" was 12 only because MILL HOUSE names no street. A flat's number with no other
    after it stays ("FLAT 2 WOODLANDS CHURCH LANE", "UNIT 1 FENGATE INDUSTRIAL ESTATE"): it is all there is.
    Only for the number before a street (`_numbered`): an address with none keeps its rules, which know flats
    already ("UNIT 3 BROADWAY 14" is 14 of BROADWAY). One expression, no CASE: the first such flat's number only,
    and only where a digit follows it."""
    pattern = f"\\b({_flats()}) [0-9]+[A-Z]?( .*[0-9])"
    return f"regexp_replace({key_sql}, {literal(pattern)}, '\\1\\2')"


def _without_details(key_sql: str) -> str:
    """SQL: a normalised address without the property's details that end it: a number, a `detail_words` word
    (etl/vocab/addresses.toml) and any words after it, once or more ("12 THE PADDOCKS 3 BED HMO", "12 WESTGATE
    HMO 6 ROOMS", "12 HIGH STREET 3 BED 2 BATH" lose "3 BED HMO", "6 ROOMS", "3 BED 2 BATH").

    Why: a street named by no kind of street ("The Paddocks", "Westgate", "Broadway") shows no end, so the
    house number is the last number before a word, and a partner's "3 bed" after the address took it (12 The
    Paddocks was number 3). The detail words say which numbers count things rather than name doors, so the
    rule holds whatever the street is called; and a detail before the address ("3 bed house at 12 The
    Paddocks") is followed by the door's own number anyway. Taken off only when a number that is not a flat's
    is left before them, so a street named by such a word stays whole ("FLAT 2 12 PEOPLE S PARK ROAD" is 12
    People's Park Road), and "COMMON VIEW 1 3 BED" keeps its 1. So a number-less "THE PADDOCKS 3 BED" keeps
    its details, and is number 3 of a street "BED", which no licence's street agrees with."""
    details = "|".join(re.escape(w) for w in sorted(vocab.load("addresses")["detail_words"], key=len, reverse=True))
    pattern = f"^(.*?)(?: [0-9]+ (?:{details})(?: {_NAME})*)+$"
    before = f"regexp_extract({key_sql}, {literal(pattern)}, 1)"
    # Most addresses have no details: a cheap test first, the extraction only for the few that may.
    return (f"CASE WHEN regexp_matches({key_sql}, {literal(f' [0-9]+ (?:{details})(?: |$)')}) "
            f"AND regexp_matches({_without_flat_numbers(before)}, '[0-9]') THEN {before} ELSE {key_sql} END")


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
    "ROAD"), its details left out as `house_number` leaves them (`_without_details`): those after its house
    number, or, with the number last ("COMMON VIEW 1"), those before it; '' when there are none. A flat or a
    room before the number is not the street: "FLAT 2 1 COMMON VIEW PETERBOROUGH" gives "COMMON VIEW
    PETERBOROUGH", "12 HIGH STREET 3 BED" "HIGH STREET" and "12 THE PADDOCKS 3 BED" "THE PADDOCKS" (whose
    street, `street_of`, is all of it: no kind of street ends it)."""
    k = "street_key"     # the lambda's name for the address without its details
    door = _without_flat_before_number(k)
    words = (f"CASE WHEN regexp_matches({door}, {literal(_numbered())}) "
             f"THEN regexp_extract({door}, {literal(_numbered())}, 2) "
             f"WHEN regexp_matches({k}, '\\b[0-9]+[A-Z]? \\pL') "
             f"THEN regexp_extract({k}, '^.*\\b[0-9]+[A-Z]? (\\pL.*)$', 1) "
             f"ELSE regexp_extract({k}, '^([^0-9]*[^0-9 ]) [0-9]', 1) END")
    # Bound by a lambda, not written out as in `house_number`: the licence match repeats these words, and
    # written out they took DuckDB ten times as long to plan.
    return _in_full(f"list_transform([{_without_details(key_sql)}], lambda {k}: {words})[1]")


def _in_full(words_sql: str) -> str:
    """SQL: words with each kind of street written in full ("MILL RD" is "MILL ROAD")."""
    # A CASE, not a MAP literal: DuckDB builds the literal again for every row, 12 times slower.
    full = " ".join(f"WHEN {literal(short)} THEN {literal(kind)}" for kind, shorts in _street_types().items()
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
