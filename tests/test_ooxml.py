"""Every workbook we write is one Excel opens without its repair prompt: each XML part valid
against the ECMA-376 Transitional schemas (tests/ooxml), texts kept once in a shared strings
table as Excel keeps them, and read back the same by openpyxl and calamine."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from sofi_bulk import api
from sofi_bulk.core.layout import SESSION_ROWS
from sofi_bulk.excel.package import SHARED_STRINGS
from sofi_bulk.excel.sample import make_sample
from tests.conftest import ROOT
from tests.ooxml import xlsx_errors

GOLDEN = ROOT / "tests" / "golden" / "expected"
# texts a user types or an offer carries, each a trap for a writer that moved them carelessly
TRICKY = {
    "programme_complement": "a & b < c > \"d\" 'e' ]]> &amp;",
    "objectives": "  des espaces autour, une tabulation\tet\nune deuxième ligne\r\net Windows  ",
    "expected_results": '=HYPERLINK("http://exemple.invalid";"x")',
    "highlight": "Émoji 😀, ligature œ, guillemets « », espace insécable\u00a0!",
    "prerequisites_comment": "_x0041_ reste _x0041_, pas A",
    "target_public": "<si><t>pas une balise</t></si>",
}


def _sheet_xml(data: bytes, title: str) -> bytes:
    """The XML of the worksheet named ``title``."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        titles = load_workbook(io.BytesIO(data), read_only=True).sheetnames
        return archive.read(f"xl/worksheets/sheet{titles.index(title) + 1}.xml")


def test_the_validator_finds_what_excel_would_repair():
    """Not a validator that passes everything: a stray element and a misspelt one are
    reported, with the part and the line."""
    data = api.write_template()
    assert data is not None and xlsx_errors(data) == []
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename == "xl/styles.xml":
                part = part.replace(b"<fonts", b"<fontz", 1).replace(b"</fonts>", b"</fontz>")
            if info.filename == SHARED_STRINGS:
                part = part.replace(b"<si>", b"<si><x/>", 1)
            target.writestr(info, part)
    errors = xlsx_errors(out.getvalue())
    assert any(e.startswith("xl/styles.xml, ligne") and "fontz" in e for e in errors)
    assert any(e.startswith(f"{SHARED_STRINGS}, ligne") for e in errors)


def test_every_workbook_we_write_is_valid(tmp_path):
    """The template, the blank référentiel, a filled sample, annotated copies (errors
    marked, « Erreurs » sheet; in place) and a reprise (the bulk writer)."""
    template = api.write_template()
    blank = api.write_blank_referentiel()
    assert template is not None and blank is not None
    sample = tmp_path / "saisie.xlsx"
    make_sample(6).save(sample)
    wrong = load_workbook(sample)
    wrong["Sessions"]["A3"].value = None
    wrong["Sessions"]["B3"].value = "12/13/2025"
    wrong.save(tmp_path / "fausse.xlsx")
    result = api.check(tmp_path / "fausse.xlsx")
    assert not result.ok
    annotated = api.write_annotated(result)
    in_place = api.write_annotated(result, in_place=True)
    reprise = api.write_template(reprendre=GOLDEN / "fas-soumission.json", campaign=2026)
    books = {
        "modèle": template,
        "référentiel vierge": blank,
        "classeur rempli": sample.read_bytes(),
        "copie annotée": annotated,
        "copie en place": in_place,
        "reprise": reprise,
    }
    for label, data in books.items():
        assert data is not None
        assert xlsx_errors(data) == [], label
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert SHARED_STRINGS in archive.namelist(), label


def test_pre_filled_texts_are_stored_once():
    """A template pre-fills a thousand rows with the same texts: each is stored once, the
    « Sessions » sheet is no bigger than Excel would write it, and no plain text is left
    inline (as openpyxl alone writes every text)."""
    data = api.write_template()
    assert data is not None
    sheet = _sheet_xml(data, "Sessions")
    assert b't="inlineStr"><is><t' not in sheet
    assert len(sheet) < 1_500_000  # 4.7 Mo with every text inline
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        table = archive.read(SHARED_STRINGS)
    count = int(table.split(b'count="', 1)[1].split(b'"', 1)[0])
    unique = int(table.split(b'uniqueCount="', 1)[1].split(b'"', 1)[0])
    assert count >= SESSION_ROWS * 5 and unique * 20 < count
    assert table.count(b"<si>") == unique


@pytest.mark.parametrize("writer", ["reprise", "copie annotée"])
def test_tricky_texts_read_back_the_same(tmp_path, writer):
    """Texts with markup characters, spaces around, a tab, a second line, a formula's look,
    Excel's own escape sequence, characters outside the BMP: read back as they were, by
    openpyxl and by calamine, and no cell is a formula."""
    data = json.loads((GOLDEN / "fas-soumission.json").read_text(encoding="utf-8"))
    data["formations"][0]["actions"][0].update(TRICKY)
    offer = tmp_path / "offre.json"
    offer.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "classeur.xlsx"
    api.write_template(out, reprendre=offer)
    if writer == "copie annotée":
        api.write_annotated(api.check(out), out)
    raw = out.read_bytes()
    assert xlsx_errors(raw) == []
    assert api.formula_cells(raw) == []
    by_openpyxl = {c.value for row in load_workbook(out)["Sessions"].iter_rows() for c in row}
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Sessions")
    by_calamine = {value for row in sheet.to_python() for value in row}
    for text in TRICKY.values():
        assert text in by_openpyxl, text
        assert text in by_calamine, text


def test_a_workbook_without_text_gets_no_table(tmp_path):
    """The table and its declarations are written only when a sheet has text: a part that
    no relationship names, or a relationship to no part, is what Excel repairs."""
    from openpyxl import Workbook

    from sofi_bulk.excel.package import workbook_bytes

    book = Workbook()
    book.active["A1"] = 12
    data = workbook_bytes(book)
    assert xlsx_errors(data) == []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert SHARED_STRINGS not in archive.namelist()
        assert b"sharedStrings" not in archive.read("[Content_Types].xml")
        assert b"sharedStrings" not in archive.read("xl/_rels/workbook.xml.rels")
    book.active["A2"] = "un texte"
    with zipfile.ZipFile(io.BytesIO(workbook_bytes(book))) as archive:
        assert b"/xl/sharedStrings.xml" in archive.read("[Content_Types].xml")
        assert b'Target="sharedStrings.xml"' in archive.read("xl/_rels/workbook.xml.rels")
    assert load_workbook(io.BytesIO(workbook_bytes(book))).active["A2"].value == "un texte"


def test_the_schemas_are_the_published_ones():
    """The bundled schemas are those SOURCE.md names, unmodified (its checksums)."""
    folder = Path(__file__).parent / "ooxml"
    table = re.findall(
        r"^\| (\S+\.xsd) \| ([0-9a-f]{16}) \|$", (folder / "SOURCE.md").read_text(), re.M
    )
    assert len(table) == 28
    for name, digest in table:
        assert hashlib.sha256((folder / "xsd" / name).read_bytes()).hexdigest()[:16] == digest
    assert {name for name, _ in table} == {p.name for p in (folder / "xsd").glob("*.xsd")}


def test_a_path_given_as_text_is_written(tmp_path):
    """``save`` takes a path as text too, as openpyxl's own ``save`` did."""
    from sofi_bulk.excel.referentiel_blank import write_blank_referentiel

    api.build_template().save(str(tmp_path / "modele.xlsx"))
    write_blank_referentiel(str(tmp_path / "vierge.xlsx"))
    for name in ("modele.xlsx", "vierge.xlsx"):
        assert xlsx_errors((tmp_path / name).read_bytes()) == []
