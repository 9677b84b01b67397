"""The full loop: template → filled as a user would → validate → annotated copy →
corrected in that copy → validate passes → export → JSON valid against the schema."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook

from sofi_bulk.core.fields import INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET
from sofi_bulk.core.layout import ERRORS_SHEET, FIRST_DATA_ROW, column_of
from sofi_bulk.core.resources import submission_schema
from sofi_bulk.submission.models import Submission
from tests.conftest import TODAY, run_cli, styled


def run(*args: str) -> int:
    return run_cli(*args)


def cell(sheet: str, key: str, index: int, part: int = 0) -> str:
    return f"{column_of(sheet, key, part).letter}{FIRST_DATA_ROW + index}"


# the programme's text asks for the optional modules: every filled row says them
PROGRAMME = "Modules du programme. Modules optionnels : anglais professionnel, TOSA."

SESSIONS = [
    {  # valid, typed the French way
        "session_ref": "NANTES-FEV",
        "programme_complement": PROGRAMME,
        "rhythm": "temps partiel",
        "lot": "PAS2025_1",
        "delivery_site": "36364 - ILF Nantes - Principal",
        "site": "36364",
        "start_date": "10/02/2025",
        "end_date": "30 mai 2025",
        "pathway_type": "mixte",
        "centre_hours": "200",
        "company_hours": "70",
        "weekly_hours": "17,5",
        "responsible_org": "44198765800016 - Institut Ligérien de Formation",
        "pmr_contact": "1902 - Claire Martin",
        "mobility_contact": "1907",
        "places": "12",
        "places_remaining": " 12 ",
        "fee_excl_tax": "3\u00a0200,00",
        "vat_rate": "20 %",
        "fee_incl_tax": "3 840,00",
        "liaison_email": "sessions@ilf-formation.fr",
    },
    {  # errors: places missing, TTC inconsistent, start outside the campaign
        "session_ref": "ANGERS-MARS",
        "programme_complement": PROGRAMME,
        "lot": "PAS2025_3",
        "delivery_site": "41210 - Horizons Angers - Principal",
        "site": "41210 - Horizons Angers - Principal",
        "start_date": "03/03/2024",
        "end_date": "06/06/2025",
        "pathway_type": "2 - individualisé",
        "centre_hours": 180,
        "company_hours": 35,
        "responsible_org": 49281345600018,
        "pmr_contact": "2210",
        "mobility_contact": "2214 - Karim Dubois",
        "fee_excl_tax": "1000",
        "vat_rate": "20",
        "fee_incl_tax": "1300",
    },
    {  # error: no information collective
        "session_ref": "LEMANS-AVR",
        "programme_complement": PROGRAMME,
        "lot": "PAS2025_4",
        "delivery_site": "41233",
        "site": "41233",
        "start_date": dt.datetime(2025, 4, 7),
        "end_date": "11/07/2025",
        "pathway_type": "MIXTE",
        "centre_hours": 210,
        "company_hours": 0,
        "responsible_org": "49281345600018",
        "pmr_contact": "2231",
        "mobility_contact": "2231",
        "places": 10,
    },
]
INFOS = [
    {
        "ic_session": "NANTES-FEV",
        "ic_date": "27/01/2025",
        "ic_start_time": "9h30",
        "ic_end_time": "11h30",
        "ic_site": "36364 - ILF Nantes - Principal",
        "ic_comment": "Sur inscription.",
    },
    {
        "ic_session": "ANGERS-MARS",
        "ic_date": "17-02-2025",
        "ic_start_time": "14:00",
        "ic_site": "41210",
    },
]
PERIODES = [
    {
        "pi_session": "NANTES-FEV",
        "pi_type": "candidature individuelle",
        "pi_start": "02/01/2025",
        "pi_end": "07/02/2025",
    },
]
EXPECTED = {
    ("champ-obligatoire", cell(SESSIONS_SHEET, "places", 1)),
    ("frais-ttc", cell(SESSIONS_SHEET, "fee_incl_tax", 1)),
    ("date-hors-campagne", cell(SESSIONS_SHEET, "start_date", 1)),
    ("info-collective-manquante", cell(SESSIONS_SHEET, "session_ref", 2)),
}
FIXES = {
    (SESSIONS_SHEET, cell(SESSIONS_SHEET, "places", 1)): "15",
    (SESSIONS_SHEET, cell(SESSIONS_SHEET, "fee_incl_tax", 1)): "1 200,00",
    (SESSIONS_SHEET, cell(SESSIONS_SHEET, "start_date", 1)): "03/03/2025",
}


@pytest.fixture(scope="module")
def filled(tmp_path_factory, template_path) -> Path:
    """The template filled with openpyxl the way a French user types."""
    book = load_workbook(template_path)
    for sheet, rows in (
        (SESSIONS_SHEET, SESSIONS),
        (INFOS_SHEET, INFOS),
        (PERIODES_SHEET, PERIODES),
    ):
        ws = book[sheet]
        for index, values in enumerate(rows):
            for key, value in values.items():
                ws[cell(sheet, key, index)] = value
    path = tmp_path_factory.mktemp("loop") / "saisie.xlsx"
    book.save(path)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def issues_of(path: Path, capsys) -> tuple[int, dict]:
    capsys.readouterr()
    code = run("validate", str(path), "--format", "json")
    return code, json.loads(capsys.readouterr().out)


def test_full_loop(filled, tmp_path, capsys):
    before = digest(filled)
    code, report = issues_of(filled, capsys)
    assert code == 1
    assert {(i["code"], i["cell"]) for i in report["issues"]} == EXPECTED
    assert report["sessions"] == 3 and report["errors"] == 4

    annotated = tmp_path / "annotee.xlsx"
    assert run("validate", str(filled), "-o", str(annotated)) == 1
    assert digest(filled) == before  # the input is never modified

    book = load_workbook(annotated)
    ws = book[SESSIONS_SHEET]
    for _, ref in EXPECTED:
        assert ws[ref].fill.fgColor.rgb.endswith("FFC7CE"), ref
        assert ws[ref].comment is not None and "Erreur" in ws[ref].comment.text
    assert ws[cell(SESSIONS_SHEET, "start_date", 0)].fill.fgColor.rgb in (
        "00000000",
        None,
    ) or not ws[cell(SESSIONS_SHEET, "start_date", 0)].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws[f"A{FIRST_DATA_ROW}"].value == "✔ OK" and ws[f"A{FIRST_DATA_ROW}"].comment is None
    assert ws[f"A{FIRST_DATA_ROW + 1}"].value == "✖ à corriger"
    assert ws[f"A{FIRST_DATA_ROW + 1}"].comment.text.startswith("3 erreurs, 0 avertissement")
    assert ws[f"A{FIRST_DATA_ROW + 2}"].value == "✖ à corriger"
    assert ws[f"A{FIRST_DATA_ROW + 2}"].comment.text.startswith("1 erreur, 0 avertissement")
    errors = book[ERRORS_SHEET]
    links = [
        (r[0].value, r[0].hyperlink.location) for r in errors.iter_rows(min_row=4) if r[0].value
    ]
    assert sorted(ref for ref, _ in links) == sorted(ref for _, ref in EXPECTED)
    assert all(loc == f"'{SESSIONS_SHEET}'!{ref}" for ref, loc in links)
    assert book.active.title == ERRORS_SHEET

    # every cell written in the data rows (value, mark, status) keeps its column's
    # protection and number format: a cell's own style replaces its column's
    fresh = load_workbook(annotated)
    for sheet in (SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET):
        ws = fresh[sheet]
        written = [(r, c) for (r, c) in ws._cells if r >= FIRST_DATA_ROW]
        assert written, sheet
        for r, c in written:
            column = styled(ws, 1_048_576, c)  # a row without cells: the column's own style
            here = ws._cells[(r, c)]
            assert here.protection.locked == column.protection.locked, (sheet, r, c)
            assert here.number_format == column.number_format, (sheet, r, c)
    status = fresh[SESSIONS_SHEET][f"A{FIRST_DATA_ROW + 1}"]
    assert not status.protection.locked and status.fill.fgColor.rgb.endswith("FFC7CE")

    # every value the user typed is kept exactly
    original = load_workbook(filled)
    for sheet in (SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET):
        for row in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 5):
            for col in range(2, original[sheet].max_column + 1):
                assert book[sheet].cell(row, col).value == original[sheet].cell(row, col).value, (
                    sheet,
                    row,
                    col,
                )
    # still a working template: validations, names, protection, hidden sheets
    for sheet in (SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET):
        rules = book[sheet].data_validations.dataValidation
        # each marked cell has a rule of its own, whose input message is its error (issue 29)
        own = [dv for dv in rules if dv.promptTitle in ("Erreur", "Avertissement")]
        assert all(len(dv.sqref.ranges) == 1 and dv.prompt.startswith(dv.promptTitle) for dv in own)
        assert len(rules) - len(own) == len(original[sheet].data_validations.dataValidation)
        assert book[sheet].protection.sheet
    assert set(book.defined_names) == set(original.defined_names)
    assert book["Listes"].sheet_state == "hidden" and book["_meta"].sheet_state == "veryHidden"

    # correct the flagged cells in the copy itself, add the missing information collective
    for (sheet, ref), value in FIXES.items():
        book[sheet][ref] = value
    infos = book[INFOS_SHEET]
    for key, value in {
        "ic_session": "LEMANS-AVR",
        "ic_date": "24/03/2025",
        "ic_site": "41233",
    }.items():
        infos[cell(INFOS_SHEET, key, 2)] = value
    corrected = tmp_path / "corrigee.xlsx"
    book.save(corrected)
    code, report = issues_of(corrected, capsys)
    assert (code, report["errors"]) == (0, 0), report["issues"]

    # validate the corrected copy again: no stale mark of the first run remains
    again = tmp_path / "annotee-2.xlsx"
    assert run("validate", str(corrected), "-o", str(again)) == 0
    book2 = load_workbook(again)
    for _, ref in EXPECTED:
        assert book2[SESSIONS_SHEET][ref].comment is None
        assert not (book2[SESSIONS_SHEET][ref].fill.fgColor.rgb or "").endswith("FFC7CE")
    assert all(book2[SESSIONS_SHEET][f"A{FIRST_DATA_ROW + i}"].value == "✔ OK" for i in range(3))
    assert [r for r in book2[ERRORS_SHEET].iter_rows(min_row=4) if r[0].value] == []

    # export, then check the JSON against the schema and the models
    out = tmp_path / "soumission.json"
    before = digest(corrected)
    assert run("export", str(corrected), "-o", str(out)) == 0
    assert digest(corrected) == before
    data = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(data, json.loads(submission_schema().read_text(encoding="utf-8")))
    Submission.model_validate(data)
    assert (
        data["header"]["session_count"] == 3 and data["header"]["programme"] == "prepa-avenir-sup"
    )
    sessions = [s for f in data["formations"] for a in f["actions"] for s in a["sessions"]]
    nantes = next(s for s in sessions if s["session_ref"] == "NANTES-FEV")
    assert nantes["start_date"] == "2025-02-10" and nantes["end_date"] == "2025-05-30"
    assert nantes["weekly_hours"] == 17.5 and nantes["dispositif"]["fee_excl_tax"] == 3200.0
    assert (
        nantes["dispositif"]["vat_rate"] == "20" and nantes["dispositif"]["cr_action_id"] == "2868"
    )
    assert nantes["informations_collectives"][0]["ic_start_time"] == "09h30"  # as LHEO writes it
    assert nantes["referents"]["pmr_contact"]["email"] == "c.martin@ilf-formation.fr"
    assert (
        nantes["site"]["ville"] == "Nantes"
        and nantes["responsible_org"]["numero_activite"] == "52440999944"
    )


def test_export_refuses_a_workbook_with_errors(filled, tmp_path, capsys):
    out = tmp_path / "soumission.json"
    assert run("export", str(filled), "-o", str(out)) == 1
    assert not out.exists()
    err = capsys.readouterr().err
    assert "Export refusé" in err and "4 erreurs" in err


def test_export_is_deterministic_but_for_the_generation_time(sample_path, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert run("export", str(sample_path), "-o", str(first)) == 0
    assert run("export", str(sample_path), "-o", str(second)) == 0
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (first, second))
    a["header"].pop("generated_at"), b["header"].pop("generated_at")
    assert a == b


def test_sessions_group_by_identical_action_values(tmp_path):
    from sofi_bulk.core.context import resolve_context
    from sofi_bulk.core.validate import validate_book
    from sofi_bulk.excel.reader import read_workbook
    from sofi_bulk.excel.sample import make_sample
    from sofi_bulk.submission.build import build_submission

    sample = make_sample(6)
    sample.set(SESSIONS_SHEET, "delivery_site", 5, "36364 - ILF Nantes - Principal")  # as row 0
    path = tmp_path / "groupes.xlsx"
    sample.save(path)
    book = read_workbook(path)
    ctx = resolve_context(book)
    result = validate_book(book, ctx.profile, ctx.referentiel, today=TODAY)
    sources: list = []
    data = build_submission(result, sources=sources)
    # one formation per organisme and lot; rows 0 and 5 share lot PAS2025_1 and, now, the
    # same fiche Action: one action, two sessions
    first = data["formations"][0]
    assert first["organisme"]["siret"] == "44198765800016"
    assert [[s["session_ref"] for s in a["sessions"]] for a in first["actions"]] == [
        ["S001", "S006"]
    ]
    actions = [a for f in data["formations"] for a in f["actions"]]
    assert sorted(len(a["sessions"]) for a in actions) == [1, 1, 1, 1, 2]
    assert len(sources) == 6 and all(s.sheet == SESSIONS_SHEET for s in sources)
    order = [s["session_ref"] for a in actions for s in a["sessions"]]
    assert [src.cells["session_ref"] for src in sources] == [
        f"B{FIRST_DATA_ROW + int(ref[1:]) - 1}" for ref in order
    ]


def test_lheo_refuses_a_workbook_with_errors_as_export_does(filled, tmp_path, capsys):
    out = tmp_path / "offre.xml"
    assert run("lheo", str(filled), "-o", str(out)) == 1
    assert not out.exists()
    assert "Export refusé" in capsys.readouterr().err


def test_openpyxl_reads_xml_through_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
