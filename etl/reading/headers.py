"""Find the header row and match its headers to our fields.

Council files often open with a title or a blank line before the header, and name the
same thing a dozen ways ("Licence No.", "Case Number", "Reference"). Matching is
case-, space- and punctuation-insensitive against `vocab/headers.toml`; `--mapping`
covers the rest.
"""
from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Callable

from etl import vocab
from etl.errors import FileProblem

HEADER_SEARCH_ROWS = 30


@dataclass
class HeaderMatch:
    header_row: int
    headers: list[str]
    columns: dict[str, int]                 # our field → column index
    ignored_duplicates: list[str] = field(default_factory=list)
    duplicates: dict[str, list[int]] = field(default_factory=dict)   # field → later columns with its header
    by_keyword: dict[str, str] = field(default_factory=dict)   # field → the header found by a word in it
    ambiguous: dict[str, list[str]] = field(default_factory=dict)   # field → the headers its words fit equally
    other_party: dict[str, str] = field(default_factory=dict)   # header → the location field it was kept from
    hidden: list[int] = field(default_factory=list)   # the columns Excel hides (`ReadNotes.column_hidden`)
    passed_over: dict[int, int] = field(default_factory=dict)   # hidden column → the visible one read for its field
    # The address column holds WKT points or map links ("Location": POINT (-0.24 52.57)), read as coordinates
    # where it does (`StagedFile.column`); set once the rows are read, only for a file without a coordinates column.
    points_in_address: bool = False
    # A header written over two rows (`_two_row_header`): the row of group names above the names row
    # (`header_row`), and each column's group ("Coordinates" over "Lat" and "Long").
    group_row: int | None = None
    groups: dict[int, str] = field(default_factory=dict)
    # Reports only: the unclaimed columns that are a sign's tick box ("Mattresses on floor Y/N") → the sign's words
    # ("Mattresses on floor"), added to a row's indicators where it answers yes (etl/loaders/sign_flags.py).
    sign_flags: dict[int, str] = field(default_factory=dict)

    def rows(self) -> str:
        """The header's row, or rows, as a message names them ("row 1", "rows 3-4")."""
        return f"rows {self.group_row}-{self.header_row}" if self.group_row else f"row {self.header_row}"

    def has(self, name: str) -> bool:
        """Whether the file gives this field; an address may come in parts (`address_parts`), and coordinates
        in its address column (`points_in_address`)."""
        return name in self.columns or (name == "address" and bool(self.address_parts())) \
            or (name == "coordinates" and self.points_in_address)

    def address_continued(self) -> list[int]:
        """The columns without a header right after the address column: a spreadsheet whose "Address" header
        is merged over four cells (or a CSV saved from one) has the flat, street and town in them."""
        i = self.columns.get("address")
        if i is None:
            return []
        more = []
        for j in range(i + 1, len(self.headers)):
            if str(self.headers[j] or "").strip() or j in self.columns.values():
                break
            more.append(j)
        return more

    def address_parts(self) -> list[str]:
        """The address-part fields the file has, in the order they are joined; none when it has a
        whole-address column, or no part that names a door (a town alone is no address)."""
        parts = [p for p in ADDRESS_PARTS if p in self.columns]
        if "address" in self.columns or not set(parts) & {"address_house", "address_street", "address_line1"}:
            return []
        return parts


ADDRESS_PARTS = tuple(vocab.load("headers")["address_parts"])


def field_aliases(kind: str) -> dict[str, dict]:
    """This kind's fields (headers.toml), with the address parts when it has an address."""
    fields = dict(vocab.load("headers")[kind])
    if "address" in fields:
        fields.update(vocab.load("headers")["address_parts"])
    return fields


def field_words(kind: str, name: str) -> str:
    """A field as a summary names it: its first alias ("date received", not received_on)."""
    spec = field_aliases(kind).get(name)
    return spec["aliases"][0] if spec and spec.get("aliases") else name.replace("_", " ")


def _alias_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for name, spec in field_aliases(kind).items():
        index.setdefault(vocab.normalise_label(name), name)
        for alias in spec["aliases"]:
            index.setdefault(vocab.normalise_label(alias), name)
    return index


def read_mapping(path: Path, known_fields, what: str) -> dict[str, str]:
    """`--mapping FILE`: TOML of our field = "their header", flat or under [columns]."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FileProblem(path, f"the mapping file can't be read: {exc}")
    data = data.get("columns", data)
    known = list(known_fields)
    for ours, theirs in data.items():
        if ours not in known:
            raise FileProblem(path, f"unknown field {ours!r} for {what}; fields are: {', '.join(known)}")
        if not isinstance(theirs, str):
            raise FileProblem(path, f"{ours} must map to a header name in quotes")
    return dict(data)


def _index(kind: str, mapping: dict[str, str]) -> dict[str, str]:
    """Normalised header → our field, the mapping file's names first."""
    index = {label: name for label, name in _alias_index(kind).items() if name not in mapping}
    index.update({vocab.normalise_label(h): f for f, h in mapping.items()})
    return index


def _best_row(index: dict[str, str], candidates: list[tuple[int, list]]) -> tuple[int, int, list]:
    """(how many headers it names, row number, row) of the likeliest header row."""
    scored = [(_score(index, row), number, row) for number, row in candidates[:HEADER_SEARCH_ROWS]]
    return max(scored, key=lambda s: (s[0], -s[1]), default=(0, 0, []))


def _score(index: dict[str, str], row: list, groups: dict[int, str] | None = None) -> int:
    """How many of the row's cells name a field, by themselves or under their group (`_field_of`)."""
    return sum(1 for i, c in enumerate(row) if _field_of(index, c, (groups or {}).get(i))[0])


def _field_of(index: dict[str, str], header, group: str | None = None) -> tuple[str | None, str]:
    """The field a header names, and the header as it is shown: under a group it is read with the group's
    name before it when it names nothing by itself ("Number" under "Licence" is the "Licence Number")."""
    if header in (None, ""):
        return None, ""
    text = str(header).strip()
    name = _lookup(index, text)
    if name or not group:
        return name, text
    joined = f"{group} {text}"
    name = _lookup(index, joined)
    return (name, joined) if name else (None, text)


def _lookup(index: dict[str, str], header: str) -> str | None:
    """The field a header's name gives, with a datum or unit after it (`header_qualifiers`) taken off when the
    whole names none: "Lat (WGS84)" is "Lat" in any kind of file, without an alias for each name and datum."""
    label = vocab.normalise_label(header)
    if label in index or not label.endswith(_qualifiers()):    # one test for most cells of a wide file's rows
        return index.get(label)
    return next((index[label[:-len(q)]] for q in _qualifiers() if label.endswith(q) and label[:-len(q)] in index),
                None)


@cache
def _qualifiers() -> tuple[str, ...]:
    return tuple(vocab.normalise_label(q) for q in vocab.load("headers").get("header_qualifiers", []))


@dataclass
class _Header:
    """The header found among a file's first rows: its cells, and for a header written over two rows the row
    of group names above them."""

    score: int
    number: int
    cells: list
    group_row: int | None = None
    groups: dict[int, str] = field(default_factory=dict)
    unread: str | None = None   # two rows that look like one header but could not be read as one: why


def _find_header(index: dict[str, str], candidates: list[tuple[int, list]]) -> _Header:
    """The likeliest header row, read with the row above or below it when the two are one header.

    A spreadsheet's header is often two rows: group names merged over several columns ("Location" over
    "Address", "Town", "Postcode"; "Coordinates" over "Lat", "Long"), and the names below them, with a name
    that has no group merged down over both rows ("Ref"). Read alone, the group row named the address and the
    coordinates, the names row was rejected as data, and every "Lat" was read as a whole coordinates pair.
    So a row is read with the one below it when together they name more fields than it does alone, and with
    the one above it for the groups' names. Two rows that look like one header yet can't be read as one are
    kept in `unread`, for `match_headers` to refuse rather than reject the names row as data."""
    score, number, row = _best_row(index, candidates)
    rows = dict(candidates[:HEADER_SEARCH_ROWS])
    if not score:
        return _Header(score, number, row)
    below = rows.get(number + 1)
    if below is not None:
        pair = _two_row_header(index, row, below)
        if pair and _score(index, *pair) > score:
            return _Header(_score(index, *pair), number + 1, pair[0], number, pair[1])
        named = [c for i, c in enumerate(below) if _field_of(index, c)[0] and _blank(_cell(row, i))]
        if len(named) >= 2:
            return _Header(score, number, row, unread=f"rows {number} and {number + 1} look like one header written "
                                                      f"over two rows ({_show(row)} above {_show(below)})")
    above = rows.get(number - 1)
    pair = _two_row_header(index, above, row) if above is not None else None
    if pair:
        return _Header(_score(index, *pair), number, pair[0], number - 1, pair[1])
    return _Header(score, number, row)


def _two_row_header(index: dict[str, str], upper: list, lower: list) -> tuple[list, dict[int, str]] | None:
    """The cells and groups of a header written over two rows, `upper` above `lower`; None if they are not one.

    Each cell of `upper` is a group, over the columns up to its next cell ("Location", merged over three
    columns, or in a CSV followed by two empty cells), or, over an empty cell of `lower`, a name of its own
    merged down over both rows ("Ref"). A cell of `lower` under a name of `upper` with a group of one column
    must name a field itself: under a header, a data row's values name none. A title (one cell, in the first
    column) is no row of groups."""
    filled = [i for i in range(len(upper)) if not _blank(upper[i])]
    if not filled or filled == [0] or not any(not _blank(c) for c in lower):
        return None
    width = max(len(upper), len(lower))
    cells, groups = [], {}
    for start, end in zip(filled, [*filled[1:], width]):
        group = str(upper[start]).strip()
        for i in range(start, end):
            if end - start > 1:
                groups[i] = group
            elif not _blank(_cell(lower, i)) and not _field_of(index, _cell(lower, i))[0]:
                return None
    for i in range(width):
        name = _cell(lower, i)
        if _blank(name):
            name = _cell(upper, i) if i not in groups else None
        cells.append(name)
    return cells, groups


def _cell(row: list, i: int):
    return row[i] if i < len(row) else None


def _blank(cell) -> bool:
    return cell is None or not str(cell).strip()


def header_score(kind: str, candidates: list[tuple[int, list]], mapping: dict[str, str] | None = None) -> int:
    """How many of this kind's headers the likeliest header row among `candidates` names (0: none)."""
    return _find_header(_index(kind, mapping or {}), candidates).score


def match_headers(path: Path, kind: str, candidates: list[tuple[int, list]],
                  mapping: dict[str, str] | None = None,
                  column_hidden: Callable[[int], bool] | None = None) -> HeaderMatch:
    """Pick the header row among the first records and map its columns to fields.

    Of several columns with a field's header, the first visible one is read (`column_hidden`: Excel hides
    it): a hidden "Postcode" before the visible one is usually a stale copy kept for reference, and read
    first it placed every report at an old postcode. A hidden column is read only when no visible one has
    the header."""
    mapping = mapping or {}
    index = _index(kind, mapping)
    best = _find_header(index, candidates)
    first = next((row for _, row in candidates if any(c not in (None, "") for c in row)), [])
    if kind in VICTIM_FREE_KINDS:
        refuse_victim_file(path, kind, best.cells if best.score else first)
    if best.unread:
        raise FileProblem(path, f"{best.unread}, and they can't be read as one. Make it one header row (a name for "
                                "each column), or name the columns with --mapping FILE")
    if best.score == 0 and mapping:
        raise FileProblem(path, f"none of the first {HEADER_SEARCH_ROWS} rows holds a header --mapping names "
                                f"({', '.join(repr(h) for h in mapping.values())}), nor one we know; the first row "
                                f"is {_show(first)}. If the header row is further down, delete the rows above it")
    if best.score == 0:
        raise FileProblem(path, f"no recognised {kind} headers in the first {HEADER_SEARCH_ROWS} rows; "
                                f"the first row is {_show(first)}. Add --mapping FILE to name them, or if the "
                                "header row is further down, delete the rows above it")
    headers = ["" if c is None else str(c).strip() for c in best.cells]
    match = HeaderMatch(header_row=best.number, headers=headers, columns={}, group_row=best.group_row,
                        groups=best.groups, hidden=[i for i in range(len(headers)) if column_hidden and column_hidden(i)])
    under: dict[str, list[int]] = {}
    for i, header in enumerate(headers):
        name, headers[i] = _field_of(index, header, best.groups.get(i))
        if name:
            under.setdefault(name, []).append(i)
    for name, columns in under.items():
        shown = [i for i in columns if i not in match.hidden]
        if shown and len(shown) < len(columns):
            match.passed_over.update({i: shown[0] for i in columns if i in match.hidden})
            columns = shown
        match.columns[name] = columns[0]
        if columns[1:]:
            match.ignored_duplicates += [headers[i] for i in columns[1:]]
            match.duplicates[name] = columns[1:]
    _match_by_keywords(kind, match, set(mapping))
    _address_with_its_group(kind, match)
    _address_before_its_second_line(match)
    for ours, theirs in mapping.items():
        if ours not in match.columns:
            raise FileProblem(path, f"--mapping says {ours} = {theirs!r}, but there is no such column; "
                                    f"headers found: {_show(headers)}")
    return match


def _address_with_its_group(kind: str, match: HeaderMatch) -> None:
    """Read the address column with the address parts beside it under one group that names a place
    ("Location" over "Address", "Town", "Postcode"): the address is then "14 Cromwell Road, Wisbech", as a
    person reads the group, not "14 Cromwell Road" without its town. The address column becomes the first line
    of the parts joined (`address_parts`), which the load summary names."""
    i = match.columns.get("address")
    group = match.groups.get(i)
    if group is None or "address_line1" in match.columns:
        return
    words = [_words(w) for w in field_aliases(kind)["address"].get("keywords", [])]
    if _alias_index(kind).get(vocab.normalise_label(group)) != "address" and not any(_holds(_words(group), w) for w in words):
        return
    if any(match.groups.get(match.columns.get(p)) == group for p in ADDRESS_PARTS):
        match.columns["address_line1"] = match.columns.pop("address")


def _address_before_its_second_line(match: HeaderMatch) -> None:
    """Read an address column followed by a second address line and no first ("Address", "Address 2", "Town": a
    common council layout) as the first line of the parts joined (`address_parts`). Read as the whole address,
    it stored "Flat 3" alone, and "Address 2" and "Town", claimed as parts, were not even named as not read."""
    if "address" in match.columns and "address_line2" in match.columns and "address_line1" not in match.columns:
        match.columns["address_line1"] = match.columns.pop("address")


def _match_by_keywords(kind: str, match: HeaderMatch, mapped: set[str]) -> None:
    """Give each field no alias matched the one unclaimed header holding one of its `keywords`.

    No list of aliases foresees every export ("Date/Time", "No. People", "Intel Grade"). A word in the
    header names the field as well, provided only one header holds such a word and that header names no
    other field: two candidates ("Date Opened" beside "Date of Birth") are left to the analyst, as is
    a header a word from `keyword_exclusions` ("Email Address") rules out, and so is another party's place
    ("Agent Postcode": `_another_partys_places`). Of two candidates, one holding
    more of the field's words wins: "Date/Time Received" is the date received, not the "Time" beside it.
    A keyword matches whole words from their start ("expir" is in "Expiry Date", "text" is not in
    "Context"). What was found this way is listed in the load summary (`by_keyword`), so a wrong guess is seen.
    """
    table = vocab.load("headers")
    excluded = [_words(w) for w in table.get("keyword_exclusions", [])]
    claimed = set(match.columns.values()) | set(match.passed_over)
    words = {i: _words(h) for i, h in enumerate(match.headers) if h and i not in claimed}
    words = {i: w for i, w in words.items() if not any(_holds(w, x) for x in excluded)}
    words = {i: w for i, w in words.items() if not _numbered_address_line(match.headers[i])}
    words = {i: w for i, w in words.items() if not yes_no_header(match.headers[i])}
    others = _another_partys_places(kind, match, words, table)
    words = {i: w for i, w in words.items() if i not in others}
    found: dict[str, int] = {}
    for name, spec in field_aliases(kind).items():
        keywords = [_words(k) for k in spec.get("keywords", [])]
        if name in match.columns or name in mapped or not keywords:
            continue
        held = {i: sum(_holds(w, k) for k in keywords) for i, w in words.items()}
        hits = [i for i, n in held.items() if n]
        # A time without a date ("Time", "Time reported") is a date's column only when no other header could be:
        # beside "Incident Date" or "Reported" it is the time of day, not the day.
        hits = [i for i in hits if not (_holds(words[i], ["time"]) and not _holds(words[i], ["date"]))] or hits
        best = [i for i in hits if held[i] == max(held[j] for j in hits)]
        if len(best) == 1:
            found[name] = best[0]
        elif hits:
            match.ambiguous[name] = [match.headers[i] for i in hits]
    columns = list(found.values())
    for name, i in found.items():
        if columns.count(i) == 1:
            match.columns[name] = i
            match.by_keyword[name] = match.headers[i]


def yes_no_header(header) -> bool:
    """Whether the header asks a yes/no question (`yes_no_markers`: "Curtains drawn Y/N"): its column holds
    answers, never the count, date or place a keyword in it would make it."""
    words = _words(header)
    return any(words[-len(m):] == m for m in map(_words, vocab.load("headers").get("yes_no_markers", [])) if m)


def yes_no_question(header) -> str:
    """The header without its yes/no marker: "Multiple occupants (Y/N)" is "Multiple occupants"."""
    text = str(header or "").strip()
    if not yes_no_header(text):
        return text
    for marker in sorted(vocab.load("headers").get("yes_no_markers", []), key=len, reverse=True):
        pattern = r"[\s(\[:?-]*" + r"[\s/]*".join(map(re.escape, _words(marker))) + r"\s*[)\]?]*\s*$"
        cut = re.sub(pattern, "", text, flags=re.I)
        if cut != text:
            return cut.strip() or text
    return text


def _numbered_address_line(header: str) -> bool:
    """Whether a header is an address line by its number ("Address Line 7", "Addr 9"), as the address-line
    aliases are with another number. Such a column is one line of the address, never the whole of it: an
    unknown "Address Line 4" taken by its word "address" was read as the address, and lines 1-3 were dropped
    (a licence stored as "Witchford"). So no keyword takes it; the load summary lists it as not read."""
    def numbered(text: str) -> str:
        return re.sub(r"[0-9]+", "#", vocab.normalise_label(text))
    label = numbered(header)
    if "#" not in label:
        return False
    parts = vocab.load("headers")["address_parts"]
    return any(label == numbered(a) for name, spec in parts.items() if name.startswith("address_line")
               for a in spec["aliases"])


def _another_partys_places(kind: str, match: HeaderMatch, words: dict[int, list[str]], table: dict) -> set[int]:
    """The unclaimed headers that name another party (`other_party_words`) and hold a location field's keyword:
    "Agent Postcode" is the agent's office, and read as the property's postcode it would place every licence
    there. No field takes them by a keyword ("Owner Postcode" is no licence holder either); each is kept in
    `other_party`, with the location field it fits, so the load summary can say why it was not read."""
    others = [_words(w) for w in table.get("other_party_words", [])]
    fields = field_aliases(kind)
    places = {name: [_words(k) for k in fields[name].get("keywords", [])]
              for name in table.get("location_fields", []) if name in fields}
    kept = set()
    for i, w in words.items():
        fits = [name for name, keywords in places.items() if any(_holds(w, k) for k in keywords)]
        if fits and any(_holds(w, o) for o in others):
            match.other_party[match.headers[i]] = fits[0]
            kept.add(i)
    return kept


def holds_any(header, phrases: list[str]) -> bool:
    """Whether the header holds one of `phrases` as whole words from their start, as keywords match."""
    words = _words(header)
    return any(_holds(words, _words(p)) for p in phrases)


def names_a_person(header) -> bool:
    """Whether a header names a person's contact details or identity (headers.toml `personal_words`: "Caller
    Phone"), or a person's home (one of `personal_parties` with one of `personal_places`: "Licence Holder
    Address"). Such a column, when no field reads it, is left out of a rejected row's raw values
    (`StagedFile.personal_columns`). A place's name ("Premises Name", `place_names`) names no person: its words
    are taken out first, so "Premises Name" is no one's name while "Premises Contact Phone" is still a phone."""
    table = vocab.load("headers")
    words = _words(header)
    for phrase in table.get("place_names", []):
        words = _without(words, _words(phrase))
    if any(_holds(words, _words(w)) for w in table.get("personal_words", [])):
        return True
    return any(_holds(words, _words(w)) for w in table.get("personal_parties", [])) and \
        any(_holds(words, _words(w)) for w in table.get("personal_places", []))


def _without(words: list[str], phrase: list[str]) -> list[str]:
    """The header's words with each run of them that holds `phrase` blanked out ("" starts no keyword word)."""
    n, out = len(phrase), list(words)
    for i in range(len(out) - n + 1):
        if all(out[i + j].startswith(phrase[j]) for j in range(n)):
            out[i:i + n] = [""] * n
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", str(text).lower().replace("license", "licence"))


def _holds(header: list[str], keyword: list[str]) -> bool:
    """Whether the header's words hold the keyword's, in a row, each header word starting with its keyword word."""
    n = len(keyword)
    return any(all(header[i + j].startswith(keyword[j]) for j in range(n)) for i in range(len(header) - n + 1))


# The kinds whose files never name a potential victim: one that does is a case file given the wrong kind.
VICTIM_FREE_KINDS = ("reports", "hmo")


def refuse_victim_file(path: Path, kind: str, headers: list) -> None:
    """A reports or HMO file with a potential victim's name or date of birth (`victim_file_headers`), or a column
    headed as a victim and nothing more ("Victim", "PV": `victim_whole_headers`), is a victim case file given the
    wrong kind: refuse it, before anything of it is stored."""
    table = vocab.load("headers")
    markers = [_words(w) for w in table.get("victim_file_headers", [])]
    whole = {tuple(_words(w)) for w in table.get("victim_whole_headers", [])} - _register_headers(kind, headers)
    found = [str(h) for h in headers if h not in (None, "")
             and (tuple(_words(h)) in whole or any(_holds(_words(h), m) for m in markers))]
    if found:
        raise FileProblem(path, f"this looks like a victim case file, not {kind}: it has {_show(found)}. Load victim "
                                "cases with `python -m etl load cases FILE`, which keeps no names, dates of birth or "
                                "addresses; if it is not one, remove those columns and load it again")
    signals = case_file_signals(headers) if kind in CASE_SIGNAL_KINDS else []
    if signals:
        raise FileProblem(path, f"this looks like a victim case file, not {kind}: it has a case's columns "
                                f"({_show(signals)}). Load it with `python -m etl load cases {shlex.quote(str(path))}`, "
                                "which keeps no names, dates of birth or addresses; if it is a file of reports, "
                                "rename or remove those columns and load it again")


def _register_headers(kind: str, headers: list) -> set[tuple[str, ...]]:
    """The whole headers that name a building's feature, not a victim, in this file (`register_whole_headers`):
    an HMO register's "PV" is its solar panels, and refused as a victim case file, a council's register with
    them did not load. Only in a file given as a register whose headers clearly make it one: the guess that
    names a file's likelier kind (kind_guess) must find it a register rather than a case file."""
    if kind != "hmo":
        return set()
    from etl.loaders import kind_guess   # it reads this module's header scores: imported when first needed

    if kind_guess.likelier_kind("cases", headers) != "hmo":
        return set()
    return {tuple(_words(w)) for w in vocab.load("headers").get("register_whole_headers", [])}


# The kinds judged by `case_file_signals` as well: a register's "Age" or "Case Number" is its building's or licence's.
CASE_SIGNAL_KINDS = ("reports",)


def case_file_signals(headers: list) -> list[str]:
    """The headers that together make a file a victim case file though it names no victim (headers.toml
    `case_only_headers`, `case_reference_headers`): two of a case's own columns, or one with a case's reference
    ("Age" beside "Case Number"); none when they do not add up to one.

    A case export stripped of names and dates of birth, with a plain "Age", loaded as reports: its victims'
    postcodes went on the reports map. One signal alone proves nothing (a partner's "Case Ref", a report's
    "Age"), so no single one refuses a file; whole headers are compared, so "Caller age" is no victim's."""
    table = vocab.load("headers")
    own_labels = {vocab.normalise_label(h) for h in table.get("case_only_headers", [])}
    ref_labels = {vocab.normalise_label(h) for h in table.get("case_reference_headers", [])}
    labels = [(str(h).strip(), vocab.normalise_label(h)) for h in headers if h not in (None, "")]
    own = {label for _, label in labels if label in own_labels}
    refs = {label for _, label in labels if label in ref_labels}
    if len(own) >= 2 or (own and refs):
        return [h for h, label in labels if label in own | refs]
    return []


def require(path: Path, kind: str, match: HeaderMatch, groups: list[tuple[str, ...]]) -> None:
    """Each group needs at least one of its fields; name what is missing, in words and by the name --mapping
    takes, what was found, and which headers could each have been the field."""
    missing = [g for g in groups if not any(match.has(f) for f in g)]
    if missing:
        fields = field_aliases(kind)
        named = "; ".join(" or ".join(f"{fields[f]['aliases'][0]} ({f})" for f in g) for g in missing)
        unsure = [f"{' and '.join(repr(h) for h in match.ambiguous[f])} could each be the {fields[f]['aliases'][0]}"
                  for g in missing for f in g if f in match.ambiguous]
        table = vocab.load("headers")
        areas = [h for h in match.headers if h and holds_any(h, table.get("area_only_words", []))]
        if areas and any(set(g) & set(table.get("location_fields", [])) for g in missing):
            hint = (f"{' and '.join(repr(h) for h in areas[:3])} name{'s' if len(areas) == 1 else ''} an area, not a "
                    "place in it: a row needs an address, a postcode or coordinates (its area is worked out from "
                    "them). Add one, or pass --mapping FILE if the file has it under another name")
        else:
            hint = (f"{'; '.join(unsure)}: say which with --mapping FILE" if unsure else
                    "Rename them, or pass --mapping FILE")
        raise FileProblem(path, f"required column(s) missing: {named}. "
                                f"Headers found ({match.rows()}): {_show(match.headers)}. " + hint)


def _show(headers: list) -> str:
    shown = [str(h) for h in headers if h not in (None, "")][:25]
    more = len([h for h in headers if h not in (None, "")]) - len(shown)
    text = ", ".join(repr(h) for h in shown) or "(none)"
    return text + (f" and {more} more" if more > 0 else "")
