"""Tests of the LibreOffice helper itself (tests/lo), on small openpyxl workbooks.

One soffice for the whole module (module-scoped fixture). LibreOffice missing is
an error, not a skip: CI installs libreoffice-calc, python3-uno and poppler-utils.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill, Protection
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from tests.lo import LibreOffice, LibreOfficeError, ValidationAlert, pdf_to_png

LOTS = ["Lot A", "Lot B", "Lot C"]
SITES = {
    1: ["PAS2025_1", "PAS2025_2"],
    2: ["Site X1", "Site X2", "Site X3"],
    3: ["Site Z"],
}


def _add_name(wb: openpyxl.Workbook, name: str, ref: str) -> None:
    dn = DefinedName(name, attr_text=ref)
    try:  # openpyxl >= 3.1
        wb.defined_names[name] = dn
    except TypeError:  # older openpyxl
        wb.defined_names.append(dn)


def build_workbook(path: Path) -> Path:
    """Sessions sheet with list / dependent list / whole / date rules, lists on a hidden sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sessions"
    ws.append(["Lot", "Site", "Réponse", "Places", "Début", "Saisie"])

    lists = wb.create_sheet("Listes")
    lists.sheet_state = "hidden"
    lists["A1"] = "Lots"
    for i, lot in enumerate(LOTS, start=2):
        lists.cell(i, 1, lot)
    for n, sites in SITES.items():
        lists.cell(1, 1 + n, f"Sites {n}")
        for i, site in enumerate(sites, start=2):
            lists.cell(i, 1 + n, site)
    # A5, B4.. are empty on purpose: trailing blanks must not be listed.
    lists["F1"] = "Valeurs"
    lists["F2"] = 1
    lists["F3"] = 2.5
    lists["F4"] = datetime.date(2025, 3, 4)
    lists["F4"].number_format = "DD/MM/YYYY"
    _add_name(wb, "ListeLots", "Listes!$A$2:$A$5")
    for n in SITES:
        col = "ABCD"[n]
        _add_name(wb, f"Sites_{n}", f"Listes!${col}$2:${col}$5")

    secret = wb.create_sheet("Secret")
    secret.sheet_state = "veryHidden"
    secret["A1"] = "x"

    dv_lot = DataValidation(type="list", formula1="ListeLots", allow_blank=True)
    dv_site = DataValidation(
        type="list", formula1='INDIRECT("Sites_"&MATCH($A2,ListeLots,0))', allow_blank=True
    )
    dv_inline = DataValidation(type="list", formula1='"oui,non,peut-être"', allow_blank=True)
    dv_whole = DataValidation(
        type="whole", operator="between", formula1="1", formula2="30", allow_blank=True
    )
    # allow_blank=False: LibreOffice circles the EMPTY cells of this range too.
    dv_date = DataValidation(type="date", operator="greaterThan", formula1="DATE(2024,1,1)")
    dv_values = DataValidation(type="list", formula1="Listes!$F$2:$F$4", allow_blank=True)
    dv_column = DataValidation(type="list", formula1="Listes!$A:$A", allow_blank=True)
    dv_numbers = DataValidation(type="list", formula1='"10,20,30"', allow_blank=True)
    dv_stop = DataValidation(
        type="whole",
        operator="between",
        formula1="1",
        formula2="5",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Places",
        error="Entre 1 et 5",
    )
    for dv, rng in [
        (dv_lot, "A2:A20"),
        (dv_site, "B2:B20"),
        (dv_inline, "C2:C20"),
        (dv_whole, "D2:D20"),
        (dv_date, "E2:E6"),
        (dv_values, "G2:G5"),
        (dv_column, "H2:H5"),
        (dv_numbers, "I2:I5"),
        (dv_stop, "J2:J10"),
    ]:
        ws.add_data_validation(dv)
        dv.add(rng)

    # Pre-filled rows for the Detective.
    ws["A3"] = "Lot A"
    ws["D3"] = 12  # valid
    ws["D4"] = 12.5  # not a whole number
    ws["D5"] = 45  # out of range
    ws["E3"] = datetime.date(2025, 3, 1)  # valid
    ws["E4"] = datetime.date(2023, 5, 1)  # too early
    ws["E5"] = "bientôt"  # not a date

    ws["B3"].comment = Comment("Choisir le site du lot", "sofi")
    ws["B3"].fill = PatternFill("solid", fgColor="FFC7CE")

    # A protected sheet: locked cells refuse input, unlocked ones accept it.
    prot = wb.create_sheet("Protégée")
    prot["A1"] = "Lot"
    prot["A2"].protection = Protection(locked=False)
    prot["B2"] = "fixe"
    for i, v in enumerate(["p1", "p2", "p3"], start=2):
        prot.cell(i, 4, v)  # D2:D4
    for c, v in enumerate(["a", "b", "c"], start=6):
        prot.cell(3, c, v)  # F3:H3
    for dv, rng in [
        (DataValidation(type="list", formula1="ListeLots", allow_blank=True), "A2:A10"),
        (DataValidation(type="list", formula1="$D$2:$D$4", allow_blank=True), "C2:C10"),
        # Row-relative 2-D source on the same sheet: row n lists F{n}:H{n}.
        (DataValidation(type="list", formula1="$F2:$H2", allow_blank=True), "E2:E10"),
    ]:
        prot.add_data_validation(dv)
        dv.add(rng)
    prot.protection.sheet = True

    wb.save(path)
    return path


@pytest.fixture(scope="module")
def lo():
    with LibreOffice() as office:
        yield office
        if os.environ.get("LO_TIMINGS"):
            print("\nLibreOffice timings:", office.info)
            for op, stats in sorted(office.timing_summary().items()):
                print(
                    f"  {op:14s} n={stats['count']:3d} mean={stats['mean_s'] * 1000:7.1f} ms"
                    f" max={stats['max_s'] * 1000:7.1f} ms"
                )


@pytest.fixture(scope="module")
def book_path(tmp_path_factory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("lo") / "livre.xlsx")


@pytest.fixture
def doc(lo, book_path):
    d = lo.open(book_path)
    yield d
    d.close()


def test_started_with_private_fr_profile(lo):
    assert lo.alive
    assert lo.info["locale"] == "fr-FR"
    assert lo.info["version"].startswith(("7.", "24.", "25."))
    assert os.path.isdir(lo.info["profile"])


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("10/02/2025", "date", "2025-02-10"),
        ("10-02-2025", "date", "2025-02-10"),
        ("10 février 2025", "date", "2025-02-10"),
        ("10.02.2025", "date", "2025-02-10"),
        ("2025-02-10", "date", "2025-02-10"),
        ("12,5", "number", 12.5),
        ("0612345678", "number", 612345678),
        ("1 234,5", "number", 1234.5),
        ("12.5", "text", "12.5"),
        ("'0612345678", "text", "0612345678"),
        ("06 12 34 56 78", "text", "06 12 34 56 78"),
    ],
)
def test_typing_fr_forms(doc, text, kind, expected):
    info = doc.type("Sessions", "F2", text)
    assert info["method"] == "dispatch"
    if kind == "date":
        assert info["type"] == "VALUE"
        assert info["date"] == expected
    elif kind == "number":
        assert info["type"] == "VALUE"
        assert info["value"] == expected
        assert info["date"] is None
    else:
        assert info["type"] == "TEXT"
        assert info["value"] == expected
    assert doc.cell("Sessions", "F2") == {k: v for k, v in info.items() if k != "method"}


def test_typing_formula_and_clear(doc):
    info = doc.type("Sessions", "F3", "=1,5+D3")
    assert info["type"] == "FORMULA"
    assert info["formula"] == "=1.5+D3"  # API (en-US) syntax
    assert info["value"] == 13.5
    assert info["string"] == "13,5"
    assert doc.type("Sessions", "F3", "")["type"] == "EMPTY"


def test_typing_into_hidden_sheet_keeps_it_hidden(doc):
    info = doc.type("Listes", "H2", "12,5")
    assert info["value"] == 12.5
    visible = {s["name"]: s["visible"] for s in doc.sheets()}
    assert visible["Listes"] is False


def test_sheets_hidden_and_very_hidden(doc):
    assert doc.sheets() == [
        {"name": "Sessions", "index": 0, "visible": True, "protected": False},
        {"name": "Listes", "index": 1, "visible": False, "protected": False},
        # LibreOffice has no "veryHidden": it is loaded as hidden.
        {"name": "Secret", "index": 2, "visible": False, "protected": False},
        {"name": "Protégée", "index": 3, "visible": True, "protected": True},
    ]


def test_list_entries_defined_name_on_hidden_sheet(doc):
    assert doc.list_entries("Sessions", "A2") == LOTS
    info = doc.list_info("Sessions", "A7")
    assert info["kind"] == "range"
    assert info["range"] == "Listes.A2:A5"


def test_list_entries_inline(doc):
    assert doc.list_entries("Sessions", "C2") == ["oui", "non", "peut-être"]
    assert doc.list_entries("Sessions", "I2") == ["10", "20", "30"]


def test_list_entries_numbers_dates_and_whole_column(doc):
    # Numbers and dates of a source range are listed in their input-line form.
    assert doc.list_entries("Sessions", "G2") == ["1", "2,5", "04/03/2025"]
    assert doc.pick("Sessions", "G2", "04/03/2025")["date"] == "2025-03-04"
    assert doc.pick("Sessions", "G3", "2,5")["value"] == 2.5
    assert doc.list_entries("Sessions", "H2") == ["Lots", *LOTS]


def test_dependent_list_indirect_match(doc):
    # Empty parent: MATCH fails, LibreOffice offers nothing.
    assert doc.list_entries("Sessions", "B2") == []
    doc.type("Sessions", "A2", "Lot B")
    assert doc.list_entries("Sessions", "B2") == SITES[2]
    # Relative row: B3 depends on A3 (pre-filled with Lot A), not A2.
    assert doc.list_entries("Sessions", "B3") == SITES[1]
    doc.pick("Sessions", "A2", "Lot C")
    assert doc.list_entries("Sessions", "B2") == SITES[3]
    assert doc.list_info("Sessions", "B2")["formula"] == (
        'INDIRECT("Sites_"&MATCH($Sessions.$A2;ListeLots;0))'
    )


def test_pick_by_value_and_index(doc):
    info = doc.pick("Sessions", "B3", "PAS2025_1")
    assert info["type"] == "TEXT"
    assert info["value"] == "PAS2025_1"
    assert doc.pick("Sessions", "B3", index=-1)["value"] == "PAS2025_2"
    with pytest.raises(LibreOfficeError, match="not in the list"):
        doc.pick("Sessions", "B3", "Site X1")
    assert doc.value("Sessions", "B3") == "PAS2025_2"


def test_list_entries_without_list_validation_raises(doc):
    with pytest.raises(LibreOfficeError, match="no list validation"):
        doc.list_entries("Sessions", "D3")


def test_scratch_cell_leaves_no_trace(doc):
    doc.list_entries("Sessions", "B3")
    last = doc.cell("Sessions", "AMJ3")
    assert last["type"] == "EMPTY"
    assert doc.invalid_cells("Sessions", include_empty=False) == ["D4", "E4", "D5", "E5"]


def test_invalid_cells_whole_and_date_rules(doc):
    assert doc.invalid_cells("Sessions", include_empty=False) == ["D4", "E4", "D5", "E5"]
    # allow_blank=False on E2:E6: LibreOffice also circles the empty E2 and E6.
    assert doc.invalid_cells("Sessions") == ["E2", "D4", "E4", "D5", "E5", "E6"]
    # Typing goes through without the error alert; the Detective sees the result.
    doc.type("Sessions", "D6", "7,5")
    doc.type("Sessions", "E6", "10/02/2025")
    doc.type("Sessions", "D4", "8")
    assert doc.invalid_cells("Sessions") == ["E2", "E4", "D5", "E5", "D6"]
    # An entry outside a list is invalid too.
    doc.type("Sessions", "C7", "peut-etre")
    assert "C7" in doc.invalid_cells("Sessions")


def test_stop_alert_emulation(doc):
    assert doc.type("Sessions", "J2", "3", alert=True)["value"] == 3
    with pytest.raises(ValidationAlert, match="Entre 1 et 5") as exc:
        doc.type("Sessions", "J2", "9", alert=True)
    assert exc.value.alert == {
        "error_style": "STOP",
        "error_title": "Places",
        "error_message": "Entre 1 et 5",
    }
    assert doc.value("Sessions", "J2") == 3  # the entry was undone
    with pytest.raises(ValidationAlert):
        doc.type("Sessions", "J3", "10/02/2025", alert=True)
    assert doc.cell("Sessions", "J3")["type"] == "EMPTY"
    assert doc.cell("Sessions", "J3")["format"] == "Standard"  # date format undone too
    # Rules without an error message accept anything, as in Calc.
    assert doc.type("Sessions", "D7", "99", alert=True)["value"] == 99
    # Without alert=True the value is stored and only the Detective flags it.
    assert doc.type("Sessions", "J2", "9")["value"] == 9
    assert "J2" in doc.invalid_cells("Sessions")


def test_validation_details(doc):
    v = doc.validation("Sessions", "D10")
    assert v["type"] == "WHOLE"
    assert (v["operator"], v["formula1"], v["formula2"]) == ("BETWEEN", "1", "30")
    assert v["source"] == "D2"
    assert v["allow_blank"] is True
    assert doc.validation("Sessions", "E3")["formula1"] == "DATE(2024;1;1)"


def test_protected_sheet(doc):
    # The list is evaluated on a temporary sheet, removed afterwards.
    assert doc.list_entries("Protégée", "A2") == LOTS
    assert [s["name"] for s in doc.sheets()] == ["Sessions", "Listes", "Secret", "Protégée"]
    assert doc.pick("Protégée", "A2", "Lot B")["value"] == "Lot B"
    # Same-sheet references keep pointing at the protected sheet.
    assert doc.list_entries("Protégée", "C2") == ["p1", "p2", "p3"]
    assert doc.list_entries("Protégée", "E3") == ["a", "b", "c"]
    assert doc.list_entries("Protégée", "E4") == []
    with pytest.raises(LibreOfficeError, match="protected"):
        doc.type("Protégée", "B2", "autre")


def test_note_and_background(doc):
    assert doc.note("Sessions", "B3") == "Choisir le site du lot"
    assert doc.note("Sessions", "B4") is None
    assert doc.background("Sessions", "B3") == "#FFC7CE"
    assert doc.background("Sessions", "B4") is None


def test_defined_names(doc):
    names = doc.defined_names()
    assert names["ListeLots"] == "$Listes.$A$2:$A$5"
    assert set(names) == {"ListeLots", "Sites_1", "Sites_2", "Sites_3"}


def test_save_xlsx_roundtrip(doc, tmp_path):
    doc.type("Sessions", "A4", "Lot B")
    doc.pick("Sessions", "B4", "Site X2")
    doc.type("Sessions", "E6", "10/02/2025")
    doc.list_entries("Sessions", "B4")  # must not leave anything in the file
    out = doc.save_xlsx(tmp_path / "sortie.xlsx")
    assert out.is_file()

    wb = openpyxl.load_workbook(out)
    assert [ws.title for ws in wb.worksheets] == ["Sessions", "Listes", "Secret", "Protégée"]
    states = {ws.title: ws.sheet_state for ws in wb.worksheets}
    # Hidden stays hidden; veryHidden comes back as plain hidden.
    assert states == {
        "Sessions": "visible",
        "Listes": "hidden",
        "Secret": "hidden",
        "Protégée": "visible",
    }
    assert wb.defined_names["ListeLots"].attr_text == "Listes!$A$2:$A$5"
    assert wb.defined_names["Sites_2"].attr_text == "Listes!$C$2:$C$5"

    ws = wb["Sessions"]
    assert ws.max_column <= 10  # no scratch column left behind
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert set(rules) == {
        "A2:A20",
        "B2:B20",
        "C2:C20",
        "D2:D20",
        "E2:E6",
        "G2:G5",
        "H2:H5",
        "I2:I5",
        "J2:J10",
    }
    assert rules["A2:A20"].type == "list"
    assert rules["A2:A20"].formula1 == "ListeLots"
    assert rules["B2:B20"].formula1 == 'INDIRECT("Sites_"&MATCH($A2,ListeLots,0))'
    assert rules["C2:C20"].formula1 == '"oui,non,peut-être"'
    assert (rules["D2:D20"].type, rules["D2:D20"].formula1, rules["D2:D20"].formula2) == (
        "whole",
        "1",
        "30",
    )
    assert rules["E2:E6"].type == "date"
    assert rules["E2:E6"].formula1 == "DATE(2024,1,1)"
    assert rules["E2:E6"].allow_blank in (False, None)

    assert ws["A4"].value == "Lot B"
    assert ws["B4"].value == "Site X2"
    assert ws["E6"].value == datetime.datetime(2025, 2, 10)
    assert ws["E6"].is_date
    assert ws["B3"].comment is not None and "Choisir le site" in ws["B3"].comment.text
    assert wb["Protégée"].protection.sheet

    # LibreOffice can read its own output again.
    with doc.lo.open(out) as again:
        assert again.list_entries("Sessions", "B4") == SITES[2]
        assert again.cell("Sessions", "E6")["date"] == "2025-02-10"


def test_export_pdf_then_png(doc, tmp_path):
    pdf = doc.export_pdf(tmp_path / "sessions.pdf", sheet="Sessions")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    pngs = pdf_to_png(pdf, tmp_path / "png" / "sessions", dpi=40)
    assert len(pngs) >= 1
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    whole = doc.export_pdf(tmp_path / "tout.pdf")
    assert whole.stat().st_size > 0


def test_errors_come_back_as_exceptions(lo, doc, tmp_path):
    with pytest.raises(LibreOfficeError, match="no sheet named 'Nope'"):
        doc.cell("Nope", "A1")
    with pytest.raises(LibreOfficeError, match="cell reference"):
        doc.cell("Sessions", "not a cell")
    with pytest.raises(LibreOfficeError, match="no such file"):
        lo.open(tmp_path / "absent.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 definitely not a workbook")
    with pytest.raises(LibreOfficeError):
        lo.open(bad)
    # Still usable afterwards.
    assert doc.cell("Sessions", "A1")["value"] == "Lot"


def test_missing_python_is_a_clear_error():
    with pytest.raises(RuntimeError, match="python3-uno"):
        LibreOffice(python="/nonexistent/python3").start()
