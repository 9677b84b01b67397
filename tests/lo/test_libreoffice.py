"""The product in a real spreadsheet program: LibreOffice Calc, fr-FR, headless.

(1) the generated template opens, every dropdown offers the expected values (dependent
lists included) and LibreOffice itself flags values that break the in-sheet rules;
(2) a workbook filled in LibreOffice the way a French user types validates with exactly
the expected issues, then exports; (3) the annotated copy opens with its fills, notes
and Erreurs sheet, survives a LibreOffice re-save and validates the same afterwards;
(4) the annotated copy renders to PDF and PNG (the README's picture).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sofi_bulk.core.cells import column_letter
from sofi_bulk.core.context import resolve_context
from sofi_bulk.core.display import field_options
from sofi_bulk.core.fields import FIELDS, INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET, Kind
from sofi_bulk.core.layout import (
    ERRORS_SHEET,
    FIRST_DATA_ROW,
    SESSION_ROWS,
    column_of,
    sheet_columns,
)
from sofi_bulk.core.validate import validate_book
from sofi_bulk.excel.copy import write_annotated
from sofi_bulk.excel.reader import read_workbook
from sofi_bulk.excel.template import write_template
from sofi_bulk.lheo.convert import submission_to_lheo, validate_lheo
from sofi_bulk.submission.build import build_submission
from tests.conftest import ROOT, TODAY, worksheets_scanned_tag_by_tag
from tests.lo import LibreOffice, LibreOfficeError, ValidationAlert, pdf_to_png

DOCS = ROOT / "docs"


def ref(sheet: str, key: str, index: int = 0, part: int = 0) -> str:
    return f"{column_of(sheet, key, part).letter}{FIRST_DATA_ROW + index}"


def check(path: Path):
    book = read_workbook(path)
    ctx = resolve_context(book)
    return book, validate_book(book, ctx.profile, ctx.referentiel, ctx.notices, today=TODAY)


@pytest.fixture(scope="module")
def lo():
    with LibreOffice() as office:
        yield office


@pytest.fixture(scope="module")
def template(tmp_path_factory, profile, referentiel) -> Path:
    path = tmp_path_factory.mktemp("lo") / "saisie.xlsx"
    write_template(path, profile, referentiel)
    return path


# --- (1) the template in LibreOffice ----------------------------------------------------
def test_template_opens_with_its_sheets(lo, template):
    with lo.open(template) as doc:
        sheets = {s["name"]: s for s in doc.sheets()}
        assert [n for n, s in sheets.items() if s["visible"]] == [
            "Aide",
            SESSIONS_SHEET,
            INFOS_SHEET,
            PERIODES_SHEET,
        ]
        assert not sheets["Listes"]["visible"] and not sheets["_meta"]["visible"]
        assert sheets[SESSIONS_SHEET]["protected"]
        assert doc.value(SESSIONS_SHEET, ref(SESSIONS_SHEET, "title")) == "PREPA Avenir Sup"


def test_blank_rows_take_their_columns_style_in_libreoffice(lo, template):
    """The template writes no cell for a blank row: Calc must give it the column's style,
    so a typed date is a date, a typed code stays text, and only the right cells are locked."""
    row = SESSION_ROWS - 10  # far from any written cell of these columns
    with lo.open(template) as doc:
        for sheet, key in ((SESSIONS_SHEET, "start_date"), (INFOS_SHEET, "ic_date")):
            typed = doc.type(sheet, ref(sheet, key, row), "03/02/2025")
            assert typed["date"] == "2025-02-03", (sheet, typed)
        siret = doc.type(SESSIONS_SHEET, ref(SESSIONS_SHEET, "responsible_org", row), "0123")
        assert siret["type"] == "TEXT" and siret["value"] == "0123"  # « @ »: zeros kept
        status = doc.type(SESSIONS_SHEET, f"A{FIRST_DATA_ROW + row}", "note")  # unlocked too
        assert status["value"] == "note"
        with pytest.raises(LibreOfficeError, match="protected"):  # a fixed value
            doc.type(SESSIONS_SHEET, ref(SESSIONS_SHEET, "title", row), "autre")
        beyond = column_letter(len(sheet_columns(SESSIONS_SHEET)) + 1)
        with pytest.raises(LibreOfficeError, match="protected"):  # past the last column
            doc.type(SESSIONS_SHEET, f"{beyond}{FIRST_DATA_ROW}", "x")


def test_every_dropdown_offers_the_expected_values(lo, template, profile):
    with lo.open(template) as doc:
        for fld in FIELDS:
            if fld.kind is Kind.CODE:
                expected = field_options(fld, profile)
                assert doc.list_entries(fld.sheet, ref(fld.sheet, fld.key)) == expected, fld.key
        assert doc.list_entries(SESSIONS_SHEET, ref(SESSIONS_SHEET, "lot")) == [
            "PAS2025_1",
            "PAS2025_2",
            "PAS2025_3",
            "PAS2025_4",
            "PAS2025_5",
        ]


def test_dependent_lists_follow_the_lot_of_each_row(lo, template, referentiel):
    with lo.open(template) as doc:
        numbers = doc.list_entries(SESSIONS_SHEET, ref(SESSIONS_SHEET, "lot"))
        for index, numero in enumerate(numbers):
            doc.pick(SESSIONS_SHEET, ref(SESSIONS_SHEET, "lot", index), numero)
        for index, numero in enumerate(numbers):
            lot = referentiel.find_lot(numero)
            sites = [s.display for s in referentiel.sites_for(lot)]
            contacts = [c.display for c in referentiel.contacts_for(lot)]
            mandataire = referentiel.organismes[lot.siret_mandataire].display
            assert doc.list_entries(SESSIONS_SHEET, ref(SESSIONS_SHEET, "site", index)) == sites, (
                numero
            )
            assert (
                doc.list_entries(SESSIONS_SHEET, ref(SESSIONS_SHEET, "delivery_site", index))
                == sites
            )
            assert (
                doc.list_entries(SESSIONS_SHEET, ref(SESSIONS_SHEET, "pmr_contact", index))
                == contacts
            )
            assert doc.list_entries(
                SESSIONS_SHEET, ref(SESSIONS_SHEET, "responsible_org", index)
            ) == [mandataire]
            assert doc.list_entries(SESSIONS_SHEET, ref(SESSIONS_SHEET, "cr_action_id", index)) == [
                lot.id_action_cr
            ]
        # a row without a lot offers no site yet, but says what to do (issue 29)
        assert doc.list_entries(SESSIONS_SHEET, ref(SESSIONS_SHEET, "site", 10)) == [
            "(choisissez d'abord le Numéro lot CR)"
        ]
        # the child sheets list the sessions' references as they are typed
        doc.type(SESSIONS_SHEET, ref(SESSIONS_SHEET, "session_ref", 0), "NANTES-1")
        doc.type(SESSIONS_SHEET, ref(SESSIONS_SHEET, "session_ref", 1), "STNAZAIRE-1")
        assert doc.list_entries(INFOS_SHEET, ref(INFOS_SHEET, "ic_session")) == [
            "NANTES-1",
            "STNAZAIRE-1",
        ]
        assert doc.list_entries(PERIODES_SHEET, ref(PERIODES_SHEET, "pi_session", 5)) == [
            "NANTES-1",
            "STNAZAIRE-1",
        ]
        # the place of an information collective is offered among the sites of its session's lot
        doc.pick(INFOS_SHEET, ref(INFOS_SHEET, "ic_session", 0), "STNAZAIRE-1")
        lot2 = referentiel.find_lot(numbers[1])
        assert doc.list_entries(INFOS_SHEET, ref(INFOS_SHEET, "ic_site", 0)) == [
            s.display for s in referentiel.sites_for(lot2)
        ]
        assert doc.list_entries(INFOS_SHEET, ref(INFOS_SHEET, "ic_site", 1)) == [
            "(choisissez d'abord la Réf. session)"
        ]  # no session chosen yet


def test_libreoffice_flags_values_that_break_the_sheet_rules(lo, template):
    bad = {
        "start_date": "10/02/2024",  # outside the 2025 campaign
        "places": "0",
        "centre_hours": "12,5",
        "highlight": "x" * 260,
        "liaison_email": "sessions.ilf-formation.fr",
        "action_url": "www.ilf-formation.fr",
    }
    good = {
        "session_ref": "S1",
        "end_date": "30/05/2025",
        "company_hours": "70",
        "weekly_hours": "17,5",
        "fee_excl_tax": "3 200,00",
    }
    with lo.open(template) as doc:
        doc.pick(SESSIONS_SHEET, ref(SESSIONS_SHEET, "lot"), "PAS2025_1")
        for key, text in {**bad, **good}.items():
            doc.type(SESSIONS_SHEET, ref(SESSIONS_SHEET, key), text)
        doc.type(SESSIONS_SHEET, ref(SESSIONS_SHEET, "end_date", 1), "01/01/2025")
        doc.type(SESSIONS_SHEET, ref(SESSIONS_SHEET, "start_date", 1), "10/02/2025")
        doc.type(SESSIONS_SHEET, ref(SESSIONS_SHEET, "rhythm", 2), "mi-temps")
        expected = {ref(SESSIONS_SHEET, k) for k in bad} | {
            ref(SESSIONS_SHEET, "end_date", 1),
            ref(SESSIONS_SHEET, "rhythm", 2),
        }
        assert set(doc.invalid_cells(SESSIONS_SHEET, include_empty=False)) == expected
        # an information collective dated after its session's start
        doc.type(INFOS_SHEET, ref(INFOS_SHEET, "ic_session"), "S1")
        doc.type(INFOS_SHEET, ref(INFOS_SHEET, "ic_date"), "15/03/2024")
        doc.type(SESSIONS_SHEET, ref(SESSIONS_SHEET, "start_date"), "10/02/2025")
        doc.type(INFOS_SHEET, ref(INFOS_SHEET, "ic_date", 1), "15/03/2025")
        doc.type(INFOS_SHEET, ref(INFOS_SHEET, "ic_session", 1), "S1")
        assert doc.invalid_cells(INFOS_SHEET, include_empty=False) == [
            ref(INFOS_SHEET, "ic_date", 1)
        ]
        # and Calc's "Stop" alert refuses the entry
        with pytest.raises(ValidationAlert):
            doc.type(SESSIONS_SHEET, ref(SESSIONS_SHEET, "places", 3), "-4", alert=True)
        assert doc.value(SESSIONS_SHEET, ref(SESSIONS_SHEET, "places", 3)) in (None, "")


# --- (2) filled in LibreOffice as a French user would -------------------------------------
# the programme's text asks for the optional modules: each session says them
PROGRAMME = "Modules du programme. Modules optionnels : anglais professionnel, TOSA."
SESSIONS = [
    {
        "session_ref": "NANTES-FEV",
        "programme_complement": PROGRAMME,
        "rhythm": "temps partiel",  # 17,5 h a week
        "lot": "PAS2025_1",
        "delivery_site": "36364 - ILF Nantes - Principal",
        "site": "36371 - ILF Nantes - Île de Nantes",
        "start_date": "10/02/2025",
        "end_date": "30 mai 2025",
        "pathway_type": "4 - mixte",
        "centre_hours": "200",
        "company_hours": "70",
        "weekly_hours": "17,5",
        "responsible_org": "44198765800016 - Institut Ligérien de Formation",
        "pmr_contact": "1902 - Claire Martin",
        "mobility_contact": "1907 - Yann Le Goff",
        "places": "12",
        "places_remaining": "12",
        "fee_excl_tax": "3 200,00",
        "vat_rate": "20 %",
        "fee_incl_tax": "3 840,00",
        "liaison_email": "sessions@ilf-formation.fr",
    },
    {
        "session_ref": "ANGERS-MARS",
        "programme_complement": PROGRAMME,
        "lot": "PAS2025_3",
        "delivery_site": "41210 - Horizons Angers - Principal",
        "site": "41210",
        "start_date": "03-03-2025",
        "end_date": "06.06.2025",
        "pathway_type": "2 - individualisé",
        "centre_hours": "180",
        "company_hours": "35",
        "responsible_org": "49281345600018 - Horizons Compétences",
        "pmr_contact": "2210 - Sophie Bernard",
        "mobility_contact": "2214 - Karim Dubois",
        "places": "10",
        "fee_excl_tax": "1 000",
        "vat_rate": "20 %",
        "fee_incl_tax": "1 300",
    },  # TTC wrong
    {
        "session_ref": "LEMANS-AVR",
        "programme_complement": PROGRAMME,
        "fas_code": "19482-89400",  # a new session in an existing action
        "lot": "PAS2025_4",
        "delivery_site": "41233 - Horizons Le Mans",
        "site": "41233 - Horizons Le Mans",
        "start_date": "07/04/2025",
        "end_date": "11/07/2025",
        "pathway_type": "4 - mixte",
        "centre_hours": "210",
        "company_hours": "0",
        "responsible_org": "49281345600018 - Horizons Compétences",
        "pmr_contact": "2231 - Julie Moreau",
        "mobility_contact": "2231 - Julie Moreau",
        "places": "8",
    },  # no information collective
]
INFOS = [
    {
        "ic_session": "NANTES-FEV",
        "ic_date": "27/01/2025",
        "ic_start_time": "9h30",
        "ic_end_time": "11h30",
        "ic_site": "36364 - ILF Nantes - Principal",
        "ic_comment": "Sur inscription : 02 40 00 12 34",
    },
    {
        "ic_session": "ANGERS-MARS",
        "ic_date": "17 février 2025",
        "ic_start_time": "14:00",
        "ic_site": "41210 - Horizons Angers - Principal",
    },
]
PERIODES = [
    {
        "pi_session": "NANTES-FEV",
        "pi_type": "candidature individuelle",
        "pi_start": "02/01/2025",
        "pi_end": "07/02/2025",
    }
]
LISTED = {Kind.CODE, Kind.LOT, Kind.SITE, Kind.CONTACT, Kind.ORGANISME, Kind.SESSION_REF}
KINDS = {f.key: f.kind for f in FIELDS}


def fill(doc, sheet: str, rows: list[dict]) -> None:
    for index, values in enumerate(rows):
        for key, text in values.items():
            cell = ref(sheet, key, index)
            if KINDS[key] in LISTED and (" - " in text or key in ("pi_type", "vat_rate")):
                doc.pick(sheet, cell, text)  # chosen in the dropdown, as LibreOffice computes it
            else:
                doc.type(sheet, cell, text)


@pytest.fixture(scope="module")
def filled_in_lo(lo, template, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lo-filled") / "saisie-libreoffice.xlsx"
    with lo.open(template) as doc:
        fill(doc, SESSIONS_SHEET, SESSIONS)
        fill(doc, INFOS_SHEET, INFOS)
        fill(doc, PERIODES_SHEET, PERIODES)
        assert doc.cell(SESSIONS_SHEET, ref(SESSIONS_SHEET, "start_date"))["date"] == "2025-02-10"
        assert doc.value(SESSIONS_SHEET, ref(SESSIONS_SHEET, "fee_excl_tax")) == 3200
        doc.save_xlsx(out)
    return out


EXPECTED = {
    ("frais-ttc", ref(SESSIONS_SHEET, "fee_incl_tax", 1)),
    ("info-collective-manquante", ref(SESSIONS_SHEET, "session_ref", 2)),
}


def test_workbook_filled_in_libreoffice_validates_with_exactly_the_expected_issues(filled_in_lo):
    _, result = check(filled_in_lo)
    assert {(i.code, i.cell) for i in result.issues} == EXPECTED, [i.message for i in result.issues]
    nantes = result.sessions[0]
    assert str(nantes.get("end_date")) == "2025-05-30" and nantes.get("weekly_hours") == 17.5
    assert nantes.get("site") == "36371" and nantes.get("vat_rate") == "20"
    assert str(result.sessions[1].get("start_date")) == "2025-03-03"
    assert [str(r.get("ic_date")) for r in result.infos] == ["2025-01-27", "2025-02-17"]
    assert result.infos[0].get("ic_comment").endswith("02 40 00 12 34")


def test_a_libreoffice_file_takes_the_fast_scan(filled_in_lo, monkeypatch):
    """Every cell LibreOffice writes is <c r="B12" …>: no sheet of its files needs the
    tag-by-tag scan kept for cells written otherwise (ten times slower)."""
    assert worksheets_scanned_tag_by_tag(filled_in_lo, monkeypatch) == []


def test_corrected_in_libreoffice_then_exported(lo, filled_in_lo, tmp_path):
    fixed = tmp_path / "corrigee.xlsx"
    with lo.open(filled_in_lo) as doc:
        doc.type(SESSIONS_SHEET, ref(SESSIONS_SHEET, "fee_incl_tax", 1), "1 200,00")
        fill(
            doc,
            INFOS_SHEET,
            [
                {},
                {},
                {
                    "ic_session": "LEMANS-AVR",
                    "ic_date": "24/03/2025",
                    "ic_site": "41233 - Horizons Le Mans",
                },
            ],
        )
        doc.save_xlsx(fixed)
    _, result = check(fixed)
    assert result.issues == [], [i.message for i in result.issues]
    sources: list = []
    data = build_submission(result, sources=sources)
    assert data["header"]["session_count"] == 3
    # « 19482-89400 » typed in Calc: a new session of the existing action 89400
    coded = next(f for f in data["formations"] if f.get("sofi_code") == "19482")
    assert coded["actions"][0]["sofi_code"] == "89400"
    assert coded["actions"][0]["sessions"][0]["operation"] == "creation"
    assert json.loads(json.dumps(data))["formations"][0]["title"] == "PREPA Avenir Sup"
    xml = submission_to_lheo(data, result.profile, sources)
    assert validate_lheo(xml) == []


# --- (3) the annotated copy in LibreOffice -------------------------------------------------
@pytest.fixture(scope="module")
def annotated(filled_in_lo, tmp_path_factory) -> Path:
    book, result = check(filled_in_lo)
    out = tmp_path_factory.mktemp("lo-annotated") / "saisie-annotee.xlsx"
    write_annotated(out, result)
    return out


def test_annotated_copy_opens_with_fills_notes_and_errors_sheet(lo, annotated):
    with lo.open(annotated) as doc:
        for _code, cell in EXPECTED:
            assert doc.background(SESSIONS_SHEET, cell).upper() == "#FFC7CE"
            assert doc.note(SESSIONS_SHEET, cell).startswith("Erreur : ")
        assert doc.value(SESSIONS_SHEET, f"A{FIRST_DATA_ROW}") == "✔ OK"
        assert doc.value(SESSIONS_SHEET, f"A{FIRST_DATA_ROW + 1}") == "✖ à corriger"
        assert doc.note(SESSIONS_SHEET, f"A{FIRST_DATA_ROW + 1}").startswith("1 erreur")
        sheets = {s["name"]: s["visible"] for s in doc.sheets()}
        assert sheets[ERRORS_SHEET] and not sheets["_meta"]
        assert doc.value(ERRORS_SHEET, "A4") in {cell for _, cell in EXPECTED}  # the link first
        assert doc.value(ERRORS_SHEET, "B3") == "Message"
        # the copy is still a working template: lists and dependent lists still answer
        assert doc.list_entries(SESSIONS_SHEET, ref(SESSIONS_SHEET, "site", 1)) == [
            "41210 - Horizons Angers - Principal",
            "41233 - Horizons Le Mans",
            "41250 - Horizons La Roche-sur-Yon",
        ]


def test_annotated_copy_survives_a_libreoffice_resave(lo, annotated, tmp_path):
    resaved = tmp_path / "reenregistree.xlsx"
    with lo.open(annotated) as doc:
        doc.save_xlsx(resaved)
    _, before = check(annotated)
    _, after = check(resaved)
    assert (
        {(i.code, i.cell) for i in after.issues}
        == {(i.code, i.cell) for i in before.issues}
        == EXPECTED
    )
    book = load_workbook(resaved)
    assert book[SESSIONS_SHEET][ref(SESSIONS_SHEET, "fee_incl_tax", 1)].comment is not None
    assert len(book[SESSIONS_SHEET].data_validations.dataValidation) > 40


# --- (4) rendering -------------------------------------------------------------------------
PICTURE_COLUMNS = [
    "session_ref",
    "lot",
    "site",
    "start_date",
    "end_date",
    "places",
    "fee_excl_tax",
    "vat_rate",
    "fee_incl_tax",
]


def display_copy(annotated: Path, out: Path) -> Path:
    """A copy for the picture: the Sessions sheet, a few telling columns, one page."""
    book = load_workbook(annotated)
    keep = {"A"} | {column_of(SESSIONS_SHEET, k).letter for k in PICTURE_COLUMNS}
    ws = book[SESSIONS_SHEET]
    for col in range(1, ws.max_column + 1):
        letter = ws.cell(row=2, column=col).column_letter
        ws.column_dimensions[letter].hidden = letter not in keep
    ws.print_area = f"A1:{column_of(SESSIONS_SHEET, 'fee_incl_tax').letter}{FIRST_DATA_ROW + 3}"
    errors = book[ERRORS_SHEET]
    errors.print_area = "A1:G6"
    for sheet in (ws, errors):
        sheet.page_setup.orientation = "landscape"
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 1
    book.save(out)
    return out


def ppm_pixels(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P6"
    return int(parts[1]), int(parts[2]), parts[4]


def test_annotated_copy_renders_to_pdf_and_png(lo, annotated, tmp_path):
    view = display_copy(annotated, tmp_path / "vue.xlsx")
    with lo.open(view) as doc:
        pdf = doc.export_pdf(tmp_path / "sessions.pdf", sheet=SESSIONS_SHEET)
        errors_pdf = doc.export_pdf(tmp_path / "erreurs.pdf", sheet=ERRORS_SHEET)
    pngs = pdf_to_png(pdf, tmp_path / "sessions", dpi=110)
    assert len(pngs) == 1 and pngs[0].stat().st_size > 10_000
    errors_png = pdf_to_png(errors_pdf, tmp_path / "erreurs", dpi=110)
    assert errors_png and errors_png[0].stat().st_size > 10_000
    # the red fill of the faulty cells is really drawn
    subprocess.run(
        ["pdftoppm", "-r", "40", "-singlefile", str(pdf), str(tmp_path / "raster")], check=True
    )
    width, height, pixels = ppm_pixels(tmp_path / "raster.ppm")
    reds = sum(
        1 for i in range(0, len(pixels) - 2, 3) if pixels[i : i + 3] == bytes((0xFF, 0xC7, 0xCE))
    )
    assert reds > 20, "no red cell in the rendering"
    if os.environ.get("SOFI_UPDATE_DOCS"):  # the README's pictures: cropped, without note icons
        for source, name, box in (
            (pdf, "copie-annotee", (70, 100, 1100, 152)),
            (errors_pdf, "feuille-erreurs", (70, 100, 1060, 100)),
        ):
            x, y, w, h = (str(v) for v in box)
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    "110",
                    "-png",
                    "-singlefile",
                    "-hide-annotations",
                    "-x",
                    x,
                    "-y",
                    y,
                    "-W",
                    w,
                    "-H",
                    h,
                    str(source),
                    str(DOCS / name),
                ],
                check=True,
            )
    assert (DOCS / "copie-annotee.png").exists() and (DOCS / "feuille-erreurs.png").exists()


# --- (5) outside values stay data in a real spreadsheet -------------------------------------
def test_hostile_text_opens_as_text_in_libreoffice(lo, tmp_path):
    """Formula-looking text, Excel's own escapes and control characters, written back by the
    annotated copy, open in LibreOffice as the same text: no formula runs, nothing changes."""
    from openpyxl import load_workbook

    from sofi_bulk.excel.copy import write_annotated as write_copy
    from sofi_bulk.excel.sample import make_sample

    source = tmp_path / "hostile.xlsx"
    make_sample(2, rows=10).save(source)
    book = load_workbook(source)
    values = {
        ref(SESSIONS_SHEET, "title_complement", 0): '=HYPERLINK("http://exemple.invalid";"clic")',
        ref(SESSIONS_SHEET, "highlight", 0): "+1+1",
        ref(SESSIONS_SHEET, "duration_comment", 0): "@SUM(1;1)",
        ref(SESSIONS_SHEET, "title_complement", 1): "_x005F_x0041_ reste _x005F_x0041_",
        ref(SESSIONS_SHEET, "highlight", 1): "Nan_x0001_tes",
    }
    for where, value in values.items():
        book[SESSIONS_SHEET][where].value = value
        book[SESSIONS_SHEET][where].data_type = "s"
    book.save(source)
    copy = tmp_path / "copie.xlsx"
    result = check(source)[1]
    write_copy(copy, result)
    expected = {
        ref(SESSIONS_SHEET, "title_complement", 0): '=HYPERLINK("http://exemple.invalid";"clic")',
        ref(SESSIONS_SHEET, "highlight", 0): "+1+1",
        ref(SESSIONS_SHEET, "duration_comment", 0): "@SUM(1;1)",
        ref(SESSIONS_SHEET, "title_complement", 1): "_x0041_ reste _x0041_",
        ref(SESSIONS_SHEET, "highlight", 1): "Nan\x01tes",
    }
    with lo.open(copy) as doc:
        for where, text in expected.items():
            info = doc.cell(SESSIONS_SHEET, where)
            assert info["type"] == "TEXT" and info["formula"] is None, (where, info)
            assert info["string"] == text, (where, info["string"])
