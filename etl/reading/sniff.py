"""Guess what kind of file an analyst handed us before trying to parse it.

Real partner files arrive as UTF-8 with or without a BOM, as Windows-1252 from older
systems, as UTF-16 "Unicode text" from Excel, and sometimes as a PDF or an old .xls
renamed to .csv. Each of those deserves a clear answer rather than a traceback.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path
from typing import Iterator

from etl.errors import FileProblem

_MAGIC = [
    (b"%PDF", "a PDF document: ask the sender for CSV or XLSX"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other Office 97) file: open it in Excel and save it as .xlsx or CSV"),
    (b"\x1f\x8b", "a gzip archive: unpack it first"),
    (b"Rar!", "a RAR archive: unpack it first"),
    (b"7z\xbc\xaf", "a 7-Zip archive: unpack it first"),
]

_OLE = b"\xd0\xcf\x11\xe0"
# A workbook saved with a password ("Encrypt with Password", as partners send case and referral files) is no zip but
# an Office 97 container holding the encrypted .xlsx as a stream of this name (MS-OFFCRYPTO). Called an old .xls,
# the analyst was told to save as .xlsx the .xlsx they had.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_ENCRYPTED = ("a password-protected Excel workbook, which can't be read: open it in Excel with its password, "
              "clear the password (File > Info > Protect Workbook > Encrypt with Password), save the copy as .xlsx, "
              "load that copy, then delete it")

_SAVE_AS = "open it in Excel (or LibreOffice) and save it as .xlsx or CSV"
# Excel's "Strict Open XML Spreadsheet" (Save As), an .xlsx whose parts are in namespaces of their own: openpyxl
# finds no sheet in it, and the load failed with "unexpected IndexError". Its workbook part names the namespace.
_STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_STRICT = ("an Excel workbook saved as \"Strict Open XML Spreadsheet\", which is not read: open it in Excel and "
           "save it again as \"Excel Workbook (*.xlsx)\" (File > Save As), or as CSV")
# Files named and opened as Excel ones that are not XLSX: told by what the zip holds, or by the text they start
# with. Read as a CSV, a web page's first line was "the first row" of headers, and the advice was --mapping.
_ZIP_MEMBERS = [
    ("xl/workbook.bin", "an Excel binary workbook (.xlsb), which is not read: open it in Excel and save it as "
                        "an Excel Workbook (.xlsx) or CSV"),
    ("word/document.xml", "a Word document, not a table: ask the sender for CSV or XLSX"),
    ("ppt/presentation.xml", "a PowerPoint presentation, not a table: ask the sender for CSV or XLSX"),
]
_OPENDOCUMENT = (b"application/vnd.oasis.opendocument.spreadsheet",
                 "an OpenDocument spreadsheet (.ods, from LibreOffice or OpenOffice), which is not read: "
                 "open it and save it as .xlsx or CSV")
_MARKUP = [
    (re.compile(r"<\?mso-application\s+progid=\"Excel\.Sheet\"|urn:schemas-microsoft-com:office:spreadsheet"),
     f"an Excel 2003 XML spreadsheet (SpreadsheetML), which is not read: {_SAVE_AS}"),
    (re.compile(r"^(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|table|meta)\b", re.I | re.S),
     f"a web page (an HTML table, as some systems export to \"Excel\"), which is not read: {_SAVE_AS}"),
    (re.compile(r"^<\?xml\b"), "an XML file, not a table: ask the sender for CSV or XLSX"),
]

DELIMITERS = [",", ";", "\t", "|"]


def file_format(path: Path) -> str:
    """'csv' or 'xlsx', by content rather than by name (a renamed XLSX still loads)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
            _refuse_json(path, head + fh.read(4096))
    if not head:
        raise FileProblem(path, "the file is empty")
    if head.startswith(_OLE) and _encrypted_workbook(path):
        raise FileProblem(path, f"this is {_ENCRYPTED}")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise FileProblem(path, f"this is {what}")
    if head.startswith(b"PK\x03\x04"):
        _refuse_other_zips(path)
        return "xlsx"
    _refuse_markup(path)
    return "csv"


def _encrypted_workbook(path: Path) -> bool:
    """Whether an Office 97 container names the stream an encrypted workbook is kept in. Its directory may sit
    anywhere in the file, so the whole file is searched."""
    return _ENCRYPTED_STREAM in path.read_bytes()


def _refuse_other_zips(path: Path) -> None:
    """An OpenDocument spreadsheet, an .xlsb or a Word file is a zip too: say which, and what to do."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            mimetype = b""
            if "mimetype" in names:
                with zf.open("mimetype") as fh:
                    mimetype = fh.read(200)
    except (zipfile.BadZipFile, OSError, KeyError):
        return   # damaged: the workbook reader says so
    if mimetype.startswith(_OPENDOCUMENT[0]):
        raise FileProblem(path, f"this is {_OPENDOCUMENT[1]}")
    if _strict_workbook(path, names):
        raise FileProblem(path, f"this is {_STRICT}")
    if any(n.startswith("xl/worksheets/") and n.endswith(".xml") for n in names):
        return
    for member, what in _ZIP_MEMBERS:
        if member in names:
            raise FileProblem(path, f"this is {what}")


def _strict_workbook(path: Path, names: set[str]) -> bool:
    """Whether the workbook part (its first 4 KB, where the root element declares its namespace) is Strict OOXML."""
    parts = [n for n in names if n.startswith("xl/") and n.endswith("workbook.xml")]
    try:
        with zipfile.ZipFile(path) as zf:
            for part in parts:
                with zf.open(part) as fh:
                    if _STRICT_NAMESPACE in fh.read(4096):
                        return True
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
    return False


def _refuse_markup(path: Path) -> None:
    """A web page or an Excel 2003 XML file saved with an .xls name (as some systems export "Excel") is text,
    and read as a CSV its markup was taken for a header row."""
    with open(path, "rb") as fh:
        sample = fh.read(4096)
    text = sample.decode(text_encoding(sample), errors="replace").lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return
    for pattern, what in _MARKUP:
        if pattern.search(text):
            raise FileProblem(path, f"this is {what}")


def _refuse_json(path: Path, sample: bytes) -> None:
    """A JSON file is no table, but a GeoJSON one may be boundaries given to the wrong loader: say which."""
    if re.search(rb'"type"\s*:\s*"(FeatureCollection|Feature|Polygon|MultiPolygon)"', sample):
        raise FileProblem(path, "this is GeoJSON, not a table: district or LSOA boundaries load with "
                                "`python -m etl load boundaries FILE`")
    if re.match(rb'\s*(\xef\xbb\xbf)?\s*(\{\s*"|\[\s*(\{|\[|"[^"\n]*"\s*[,\]]))', sample):
        raise FileProblem(path, "this is a JSON file, not a table: ask the sender for CSV or XLSX")


def text_encoding(sample: bytes) -> str:
    """The codec for the file; per-line fallback to Windows-1252 happens while reading.

    UTF-16 without a byte-order mark (some exporters write none) is told by its NULs: text in Latin
    letters has a NUL in every other byte, on the odd bytes (little-endian) or the even ones (big-endian).
    Read as UTF-8, it would lose its NULs and keep what is left, garbled ("Šarūnas" as "`\x01ark\x01nas")."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    pairs = len(sample) // 2
    if pairs >= 8:
        odd, even = sample[1:2 * pairs:2].count(0), sample[0:2 * pairs:2].count(0)
        if odd >= 0.9 * pairs and even == 0:
            return "utf-16-le"
        if even >= 0.9 * pairs and odd == 0:
            return "utf-16-be"
    return "utf-8"


def delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most sample lines into the same number of fields."""
    best, best_score = ",", (-1, -1)
    sample = [ln for ln in lines if ln.strip()][:50]
    for delim in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(io.StringIO("\n".join(sample)), delimiter=delim)]
        except csv.Error:  # a huge or broken cell in the sample: the careful reader will name the row
            continue
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        modal = max(set(counts), key=counts.count)
        score = (counts.count(modal), modal)
        if score > best_score:
            best, best_score = delim, score
    return best


# Telling the single-byte code pages apart, for lines that are not UTF-8.
#
# Windows-1252 (Western), 1257 (Baltic) and 1250 (Central European) share most bytes but read many of them
# as different letters: 0xE3 is ã, ć or ă, 0xFE is þ, ž or ţ. So each candidate reads each word, and each
# word it makes is judged as a whole: are its accented letters all from the alphabet of one language the
# code page is made for (+1 a letter), or a mix no language writes (-1), or is there a symbol, an unassigned
# byte or a capital in mid-word, as in "£ódzka", "œpi¹" or "plćtiŽi" (-2)? The best total wins; a tie goes
# to the reading whose words one language explains most of, then to Windows-1252, then 1257 (the choices
# before 1250 was known), so a file that tells nothing apart reads as it always did.
_ALPHABETS = {
    "cp1252": {
        "French": "àâæçéèêëîïôœùûüÿ", "German": "äöüß", "Spanish": "áéíñóúü",
        "Portuguese": "áâãàçéêíóôõú", "Italian": "àèéìíîòóù", "Catalan": "àçèéíïòóúü",
        "Dutch": "áéíóúèëïöü", "Danish/Norwegian": "æøåéó", "Swedish": "åäöé", "Finnish": "äöåšž",
        "Irish": "áéíóú", "Welsh": "âêîôûáéíóúàèìòùäëïöü", "Albanian": "çë",
        # No Icelandic or Faroese (ð þ): read as 1252, the Baltic Š and Ž become Ð and Þ.
    },
    "cp1257": {
        "Lithuanian": "ąčęėįšųūž",
        "Latvian": "āčēģīķļņšūž",   # modern: ō and ŗ left the alphabet in 1946 (Romanian ş ţ read as ŗ ž)
        "Estonian": "äöõüšž",
    },
    "cp1250": {
        "Polish": "ąćęłńóśźż", "Czech": "áčďéěíňóřšťúůýž", "Slovak": "áäčďéíĺľňóôŕšťúýž",
        "Slovene": "čšž", "Croatian": "čćđšž", "Hungarian": "áéíóöőúüű", "Romanian": "ăâîşţșț",
    },
}
# Mac Roman, which Excel for Mac writes as "CSV (Macintosh)", with lines ended by a CR alone: a candidate only in
# such a file (`mac=True`), and first there. Elsewhere it would read Windows-1252's curly apostrophe (0x92, in
# "don’t") as the letter í, and win words it has no business with.
_ALPHABETS["mac_roman"] = _ALPHABETS["cp1252"]
SINGLE_BYTE_CODECS = ("cp1252", "cp1257", "cp1250")   # in the order a tie is given
_LETTER_SETS = {codec: {lang: frozenset(letters) for lang, letters in langs.items()}
                for codec, langs in _ALPHABETS.items()}
_WORD_BYTES = re.compile(rb"[A-Za-z\x80-\xff]*[\x80-\xff][A-Za-z\x80-\xff]*")
_MOST_BYTES, _MOST_WORDS = 1 << 20, 5000   # the most frequent accented words of the first 1 MB of lines
                                           # are judged: plenty of evidence, and quick on any file


def single_byte_codec(lines: list[bytes], mac: bool = False) -> str:
    """The code page, of SINGLE_BYTE_CODECS (and Mac Roman first, for a file whose lines end in a CR alone:
    `mac`), that reads the accented words of `lines` most plausibly."""
    counts: Counter[bytes] = Counter()
    seen = 0
    for raw in lines:
        counts.update(_WORD_BYTES.findall(raw))
        seen += len(raw)
        if seen >= _MOST_BYTES:
            break
    words = counts.most_common(_MOST_WORDS)
    best, best_key = SINGLE_BYTE_CODECS[0], None
    for codec in (("mac_roman",) if mac else ()) + SINGLE_BYTE_CODECS:
        alphabets = _LETTER_SETS[codec]
        total, by_language = 0, dict.fromkeys(alphabets, 0)
        for raw, n in words:
            for word in _words(raw.decode(codec, errors="replace")):
                score, languages = _reading(word, alphabets)
                total += n * score
                for lang in languages:
                    by_language[lang] += n * score
        key = (total, max(by_language.values()))
        if best_key is None or key > best_key:
            best, best_key = codec, key
    return best


def _words(text: str) -> Iterator[str]:
    """The words of `text` that hold a character beyond ASCII, split at spaces, digits and punctuation
    (¿ « ’ …), not at symbols (£ ¹ ¸): a symbol inside a word is what a wrong code page leaves. A character
    alone ("£" in "£50", or "Ł" as 1250 reads it) tells nothing and is left out."""
    word: list[str] = []
    for ch in text + " ":
        if ch.isascii() and not ch.isalpha() or unicodedata.category(ch)[0] in "PZC":
            if len(word) > 1 and not "".join(word).isascii():
                yield "".join(word)
            word = []
        else:
            word.append(ch)


def _reading(word: str, alphabets: dict[str, frozenset[str]]) -> tuple[int, list[str]]:
    """How plausible one decoded word is, and the languages whose alphabet holds all its accented letters."""
    accented = [ch for ch in word if not ch.isascii()]
    if any(not ch.isalpha() or ch in "ªºµ" for ch in accented):
        return -2, []                       # a symbol or an unassigned byte (read as U+FFFD) inside a word
    capitals = sum(c.isupper() for c in word)
    cased = capitals + sum(c.islower() for c in word)
    for i, ch in enumerate(word):
        if ch.isascii() or len(ch.upper()) > 1:
            continue                        # ß has no capital of its own to agree with its neighbours
        if ch.isupper() and i and word[i - 1].islower():
            return -2, []                   # a capital after a small letter: "plćtiŽi"
        if ch.islower() and capitals >= 2 and capitals == cased - 1:
            return -2, []                   # a small letter among capitals: "ŠIAULIų"
    letters = {ch.lower() for ch in accented}
    languages = [lang for lang, alphabet in alphabets.items() if letters <= alphabet]
    return (len(accented), languages) if languages else (-1, [])


# DuckDB reads a path holding one of these as a glob pattern ("reports[1].csv" would read "reports1.csv").
_DUCKDB_GLOB = {"[": "[[]", "*": "[*]", "?": "[?]"}


def duckdb_path(path) -> str:
    """The path as DuckDB's read_csv must be given it to read exactly that file: each glob character written as
    a one-character class matching only itself. A file named "reports[1].csv" beside "reports1.csv" would
    otherwise load the other file, and the loads table name the wrong one."""
    return "".join(_DUCKDB_GLOB.get(ch, ch) for ch in str(path))
