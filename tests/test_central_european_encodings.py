"""Files in a single-byte code page: Windows-1250 (Central European) told from 1257 (Baltic) and 1252 (Western).

Each file is synthetic text written in one code page and loaded for real; what is stored must be the text
that was written, and the load summary must name the code page it was read as."""
from __future__ import annotations

import pytest

from etl.loading import load_file
from etl.reading import sniff
from tests.helpers import query

HEADER = "Report Ref,Date Received,Address,Postcode,Summary\n"

ROMANIAN = [("RO1", "Strada Ştefan cel Mare 4", "Muncitori în seră, plătiţi puţin, şase bărbaţi"),
            ("RO2", "Ţara Oaşului 2", "Locuiesc în apartament, câte patru într-o cameră")]
POLISH = [("PL1", "ul. Łódzka 3", "Pracownicy śpią w garażu, zapłata żadna"),
          ("PL2", "ul. Źródlana 9", "Mężczyźni pracują nocą, dojazd busem")]
CZECH = [("CZ1", "Dvořákova 12", "Příliš žluťoučký kůň úpěl ďábelské ódy"),
         ("CZ2", "Čeňkova 5", "Dělníci bydlí v garáži, platí se hotově")]
HUNGARIAN = [("HU1", "Kőműves utca 7", "Sok főnök, kevés munkás, fűtés nincs")]
LITHUANIAN = [("LT1", "Šeštokų gatvė 3", "Žmonės gyvena ankštai, moka grynais"),
              ("LT2", "ŠIAULIŲ G. 8", "DARBUOTOJAI DIRBA NAKTĮ, ŽMONĖS PAVARGĘ")]
LATVIAN = [("LV1", "Krišjāņa Valdemāra iela 5", "Ģimene dzīvo šaurībā, ļoti maz naudas"),
           ("LV2", "Rīgas iela 1", "Strādnieki mēnesī saņem ķēķī")]
WESTERN = [("EN1", "1 Café Row", "Rent £450 a week, deposit £500; naïve façade"),
           ("FR1", "2 Rue de l'Église", "Hélène Lefèvre et François Müller, crème brûlée, cœur"),
           ("DE1", "3 Großmann Straße", "Jürgen Schön, Mädchen, Übermut; São João; Søren Ørsted")]


def _load(tmp_path, rows, codec, utf8_rows=()):
    """Load `rows` written in `codec` (after any `utf8_rows` written as UTF-8) as reports; the summary."""
    text = "".join(f"{ref},01/10/2026,{address},PE13 1AB,\"{summary}\"\n" for ref, address, summary in rows)
    head = HEADER + "".join(f"{ref},01/10/2026,{address},PE13 1AB,\"{summary}\"\n"
                            for ref, address, summary in utf8_rows)
    f = tmp_path / f"{codec}.csv"
    f.write_bytes(head.encode("utf-8") + text.encode(codec))
    return load_file("reports", f, db=tmp_path / "w.duckdb")


def _stored(tmp_path):
    return query(tmp_path / "w.duckdb", "SELECT report_ref, address, summary FROM reports ORDER BY report_ref")


@pytest.mark.parametrize("rows", [ROMANIAN, POLISH, CZECH, HUNGARIAN], ids=["romanian", "polish", "czech", "hungarian"])
def test_a_central_european_windows_1250_file_keeps_its_letters(tmp_path, rows):
    """Read as 1257, "plătiţi" was "plćtiži" and "Ştefan" "Ŗtefan"; as 1252, "śpią" was "œpi¹", "Łódzka"
    "£ódzka" and "Dvořák" "Dvoøák"."""
    s = _load(tmp_path, rows, "cp1250")
    assert _stored(tmp_path) == sorted(rows)
    assert f"{len(rows)} line(s) were not UTF-8 and were read as Windows-1250 (Central European)" in s.warnings


@pytest.mark.parametrize("rows", [LITHUANIAN, LATVIAN], ids=["lithuanian", "latvian"])
def test_a_baltic_windows_1257_file_still_reads_as_baltic(tmp_path, rows):
    """Upper and lower case: read as 1250, "Šeštokų" would be "Đeđtokř" and "Ģimene" "Ěimene"."""
    s = _load(tmp_path, rows, "cp1257")
    assert _stored(tmp_path) == sorted(rows)
    assert f"{len(rows)} line(s) were not UTF-8 and were read as Windows-1257 (Baltic)" in s.warnings


def test_a_western_windows_1252_file_still_reads_as_windows_1252(tmp_path):
    """£ is Ł in 1250, and é, ü, ø are letters there too: nothing in English, French or German text is
    better read as Central European or Baltic."""
    s = _load(tmp_path, WESTERN, "cp1252")
    assert _stored(tmp_path) == sorted(WESTERN)
    assert "3 line(s) were not UTF-8 and were read as Windows-1252" in s.warnings


def test_a_stray_windows_1250_line_in_a_utf8_file_costs_that_line_only(tmp_path):
    utf8 = [("U1", "1 Mill Lane", "Şase bărbaţi, Łódź, Šeštokų")]
    s = _load(tmp_path, POLISH[:1], "cp1250", utf8_rows=utf8)
    assert _stored(tmp_path) == sorted(utf8 + POLISH[:1])
    assert "1 line(s) were not UTF-8 and were read as Windows-1250 (Central European)" in s.warnings


def test_a_utf8_file_is_not_recoded(tmp_path):
    rows = ROMANIAN + POLISH + LITHUANIAN + WESTERN
    s = _load(tmp_path, rows, "utf-8")
    assert _stored(tmp_path) == sorted(rows)
    assert not any("not UTF-8" in w for w in s.warnings)


@pytest.mark.parametrize("text, codec", [
    ("Café, Zürich, Perú", "cp1252"),            # the same letters in all three: the tie goes to 1252
    ("£50 a week, £5k", "cp1252"),               # a lone £ (Ł in 1250) tells nothing
    ("¿Qué pasa? ¡Olé! «Bonjour»", "cp1252"),    # punctuation beside a word is no symbol inside it
    ("STRAßE, GRÖßE", "cp1252"),                 # ß has no capital: no small letter among capitals
    ("Şi", "cp1250"),                            # Ŗi in 1257: ŗ is no longer Latvian
    ("Wałęsa", "cp1250"),
    ("Šiauliai", "cp1257"),
])
def test_the_code_page_chosen_for_a_few_words(text, codec):
    assert sniff.single_byte_codec([text.encode(codec)]) == codec
