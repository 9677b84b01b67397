"""What a careless or hostile workbook must not do: crash, lose data or mislead."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sofi_bulk.core.errors import UserError, WorkbookError
from sofi_bulk.core.fields import INFOS_SHEET, SESSIONS_SHEET
from sofi_bulk.core.layout import ERRORS_SHEET, FIRST_DATA_ROW, HEADER_ROW, column_of
from sofi_bulk.core.plan import ERRORS_HEADERS
from sofi_bulk.excel.reader import read_workbook
from tests.conftest import (
    TODAY,
    run_cli,
    run_process,
    run_validation,
    worksheets_scanned_tag_by_tag,
)


def cell(key: str, index: int = 0, sheet: str = SESSIONS_SHEET) -> str:
    return f"{column_of(sheet, key).letter}{FIRST_DATA_ROW + index}"


def edited(sample_path: Path, tmp_path: Path, name: str, edit) -> Path:
    book = load_workbook(sample_path)
    for ws in book.worksheets:
        ws.protection.sheet = False
    edit(book)
    out = tmp_path / name
    book.save(out)
    return out


@pytest.mark.parametrize("ref", ["XFD1048576", "B60000", "ZZZ5"])
def test_a_far_away_cell_is_refused_before_reading(sample_path, tmp_path, ref):
    path = edited(
        sample_path, tmp_path, "loin.xlsx", lambda b: b[SESSIONS_SHEET].__setitem__(ref, "x")
    )
    start = time.perf_counter()
    with pytest.raises(WorkbookError, match="très loin"):
        read_workbook(path)
    assert time.perf_counter() - start < 5
    done = run_process("validate", str(path), "-o", str(tmp_path / "copie.xlsx"))
    assert done.returncode == 2 and "très loin" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "copie.xlsx").exists()


def test_an_openpyxl_file_takes_the_fast_scan(sample_path, monkeypatch):
    assert worksheets_scanned_tag_by_tag(sample_path, monkeypatch) == []


def rewritten(sample_path: Path, tmp_path: Path, edit) -> Path:
    """The sample with its Sessions sheet's XML edited (cells as no program writes them)."""
    import zipfile

    from sofi_bulk.excel.scan import sheet_parts

    with zipfile.ZipFile(sample_path) as archive:
        part = sheet_parts(archive)[SESSIONS_SHEET]
        out = tmp_path / "autrement.xlsx"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in archive.infolist():
                data = archive.read(info)
                target.writestr(info.filename, edit(data) if info.filename == part else data)
    return out


def test_cells_written_otherwise_are_placed_as_the_reader_places_them(sample_path, tmp_path):
    """Quotes, spaces, cells without a reference: the careful scan still finds the formula
    errors, at the cell the reader puts them in, and accepts what is near."""
    fee = cell("fee_incl_tax", 1)

    def edit(data: bytes) -> bytes:
        import re

        # the fee cell loses its reference (so it is the column after the previous cell,
        # which openpyxl writes, styled) and holds an error written with apostrophes
        pattern = re.compile(rb'<c r="' + fee.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
        data, count = pattern.subn(b"<c t='e'><v>#N/A</v></c>", data, count=1)
        assert count == 1
        return data.replace(b'<c r="A1"', b'<c  r = "A1"', 1)

    path = rewritten(sample_path, tmp_path, edit)
    result = run_validation(read_workbook(path))
    assert ("formule-en-erreur", fee) in [(i.code, i.cell) for i in result.issues]


def test_a_far_cell_whose_end_is_out_of_sight_counts_as_filled(sample_path, tmp_path, monkeypatch):
    """Read in chunks, a far cell opened just before a chunk's end, its value further than
    the overlap kept: the scan cannot see whether it is empty, so it assumes it is not."""
    from sofi_bulk.excel import scan

    monkeypatch.setattr(scan, "CHUNK", 16384)

    def edit(data: bytes) -> bytes:
        head, mark, tail = data.partition(b"<sheetData>")
        row = b'<row r="7">'
        pad = scan.CHUNK - scan.KEEP - 8 - len(head + mark + row)  # <c starts before the limit
        far = row + b" " * pad + b'<c r="A60000">' + b" " * 6000 + b"<v>1</v></c></row>"
        return head + mark + far + tail

    path = rewritten(sample_path, tmp_path, edit)
    with pytest.raises(WorkbookError, match="très loin"):
        read_workbook(path)


def test_formula_errors_are_reported_not_read_as_empty(sample_path, tmp_path):
    def edit(book):
        book[SESSIONS_SHEET][cell("fee_incl_tax", 1)] = (
            "#DIV/0!"  # stored as an error value (t="e")
        )

    path = edited(sample_path, tmp_path, "erreur.xlsx", edit)
    result = run_validation(read_workbook(path))
    assert [(i.code, i.cell) for i in result.issues] == [
        ("formule-en-erreur", cell("fee_incl_tax", 1))
    ]
    assert "#DIV/0!" in result.issues[0].message


def test_merged_cells_give_their_value_to_each_row(sample_path, tmp_path):
    def edit(book):
        ws = book[SESSIONS_SHEET]
        ws[cell("places", 1)] = ws[cell("places", 0)].value
        ws.merge_cells(f"{cell('places', 0)}:{cell('places', 1)}")

    result = run_validation(read_workbook(edited(sample_path, tmp_path, "fusion.xlsx", edit)))
    assert [(i.code, i.cell) for i in result.issues] == [("cellules-fusionnees", cell("places", 0))]
    assert result.sessions[1].get("places") == result.sessions[0].get("places")


def test_the_annotated_copy_keeps_everything_the_user_typed(sample_path, tmp_path):
    def edit(book):
        ws = book[SESSIONS_SHEET]
        ws[cell("title_complement", 0)] = "=Nantes"
        ws[cell("title_complement", 0)].data_type = "s"  # text typed with a leading '='
        ws["CB3"] = "note sans en-tête"
        ws.insert_rows(1)
        ws["A1"] = "Saisie de mars, à relire"
        notes = book.create_sheet("Budget", 0)
        notes["A1"] = "à garder"

    path = edited(sample_path, tmp_path, "notes.xlsx", edit)
    copy = tmp_path / "copie.xlsx"
    assert run_cli("validate", str(path), "-o", str(copy)) == 0
    book = load_workbook(copy)
    ws = book[SESSIONS_SHEET]
    target = ws[cell("title_complement", 0)]
    assert target.value == "=Nantes" and target.data_type == "s"
    kept = [
        c.value
        for row in ws.iter_rows(min_row=HEADER_ROW)
        for c in row
        if c.value == "note sans en-tête"
    ]
    assert kept == ["note sans en-tête"]
    assert [r[2].value for r in book["Hors modèle"].iter_rows(min_row=2)] == [
        "Saisie de mars, à relire"
    ]
    names = book.sheetnames
    assert (
        names.index("Budget") < names.index("Listes") and book["Budget"]["A1"].value == "à garder"
    )
    assert run_validation(read_workbook(copy)).issues == []


def test_duplicate_header_column_is_kept(sample_path, tmp_path):
    def edit(book):
        ws = book[SESSIONS_SHEET]
        ws["CC2"] = "Commentaire durée"
        ws["CC3"] = "deuxième commentaire"

    path = edited(sample_path, tmp_path, "doublon.xlsx", edit)
    result = run_validation(read_workbook(path))
    assert [(i.code, i.cell) for i in result.issues] == [("colonne-en-double", "CC2")]
    assert f"({column_of(SESSIONS_SHEET, 'duration_comment').letter})" in result.issues[0].message
    copy = tmp_path / "copie.xlsx"
    assert run_cli("validate", str(path), "-o", str(copy)) == 0  # a warning only
    values = [c.value for row in load_workbook(copy)[SESSIONS_SHEET].iter_rows() for c in row]
    assert "deuxième commentaire" in values


def test_child_sheet_header_further_down_and_unreadable(sample_path, tmp_path):
    path = edited(sample_path, tmp_path, "bas.xlsx", lambda b: b[INFOS_SHEET].insert_rows(1, 9))
    assert run_validation(read_workbook(path)).issues == []

    def rename(book):
        for c in book[INFOS_SHEET][HEADER_ROW]:
            c.value = f"colonne {c.column}"

    path = edited(sample_path, tmp_path, "illisible.xlsx", rename)
    result = run_validation(read_workbook(path))
    assert "en-tetes-introuvables" in {i.code for i in result.issues}
    copy = tmp_path / "copie.xlsx"
    assert run_cli("validate", str(path), "-o", str(copy)) == 1
    kept = load_workbook(copy)[f"{INFOS_SHEET} (copie)"]
    assert kept.cell(row=FIRST_DATA_ROW, column=2).value == "S001"


def test_missing_column_is_marked_on_its_header_in_the_copy(sample_path, tmp_path):
    def edit(book):
        book[SESSIONS_SHEET].delete_cols(column_of(SESSIONS_SHEET, "end_date").index)

    copy = tmp_path / "copie.xlsx"
    assert (
        run_cli(
            "validate", str(edited(sample_path, tmp_path, "sans-fin.xlsx", edit)), "-o", str(copy)
        )
        == 1
    )
    ws = load_workbook(copy)[SESSIONS_SHEET]
    header = ws[f"{column_of(SESSIONS_SHEET, 'end_date').letter}{HEADER_ROW}"]
    assert "absente" in header.comment.text and header.fill.fgColor.rgb.endswith("FFC7CE")
    status = ws[f"A{FIRST_DATA_ROW}"]
    assert status.value == "✖ à corriger" and "toute la feuille" in status.comment.text
    assert ws[cell("end_date")].value is None  # re-created, empty


def test_damaged_metadata_can_be_worked_around_with_the_referentiel(sample_path, tmp_path):
    def edit(book):
        for row in book["_meta"].iter_rows(min_row=2):
            if row[0].value == "referentiel_json":
                row[1].value = row[1].value[:100]
                break

    path = edited(sample_path, tmp_path, "meta.xlsx", edit)
    done = run_process("validate", str(path))
    assert done.returncode == 2 and "--referentiel" in done.stderr
    ref = Path(__file__).resolve().parent.parent / "examples" / "referentiel-csv"
    done = run_process("validate", str(path), "--referentiel", str(ref))
    assert done.returncode == 0, done.stderr


def test_a_programme_given_as_a_profile_file(tmp_path, profile):
    data = asdict(profile)
    data.update(id="mon-programme", label="Mon programme")
    path = tmp_path / "mon-programme.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    template = tmp_path / "mp.xlsx"
    assert run_cli("template", "--programme", str(path), "-o", str(template)) == 0
    assert run_cli("validate", str(template)) == 2  # unknown without its profile file
    done = run_process("validate", str(template), "--programme", str(path))
    assert done.returncode == 2 and "aucune session" in done.stderr  # the profile is accepted


def test_a_programme_file_s_words_are_shown_and_written_as_data(tmp_path, profile):
    """A label with terminal markup, a procedure with a control character: printed and
    written as they are, never a crash (exit 3) nor a formula."""
    data = asdict(profile)
    data.update(id="mon-programme", label="Mon [/] programme [bold]", procedure="=1+1\u0001 x")
    path = tmp_path / "mon-programme.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    template = tmp_path / "mp.xlsx"
    done = run_process("template", "--programme", str(path), "-o", str(template))
    assert done.returncode == 0, done.stderr
    assert "Mon [/] programme [bold]" in done.stdout
    help_sheet = load_workbook(template)["Aide"]
    assert help_sheet["A1"].value == "Saisie SOFI en masse : Mon [/] programme [bold]"
    assert help_sheet["A2"].data_type == "s" and help_sheet["A2"].value.startswith("=1+1")
    done = run_process("validate", str(template), "--programme", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr and "interne" not in done.stderr


def test_dot_thousands_are_ambiguous(book):
    from tests.test_rules import assert_only, put

    ref = put(book, SESSIONS_SHEET, "fee_excl_tax", 0, "3.200")
    result = run_validation(book)
    assert_only(result, "nombre-ambigu", ref)
    assert "3200" in result.issues[0].message and "3,200" in result.issues[0].message


def test_unwritable_output_and_odd_names(sample_path, tmp_path):
    done = run_process("export", str(sample_path), "-o", "/proc/soumission.json")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "impossible" in done.stderr
    odd = tmp_path / "offre [final].xlsx"
    shutil.copy(sample_path, odd)
    done = run_process("validate", str(odd))
    assert done.returncode == 0 and "offre [final].xlsx" in done.stdout
    folder = tmp_path / "a["
    folder.mkdir()
    done = run_process("export", str(odd), "-o", str(folder / "b].json"))
    assert done.returncode == 0 and "b].json" in done.stdout


def test_lheo_from_json_checks_what_the_schema_cannot(sample_path, tmp_path):
    out = tmp_path / "soumission.json"
    assert run_cli("export", str(sample_path), "-o", str(out)) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    data["header"]["session_count"] = 99
    first = data["formations"][0]["actions"][0]["sessions"][0]
    first["end_date"] = "2024-01-01"
    bad = tmp_path / "incoherente.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    done = run_process("lheo", str(bad), "-o", str(tmp_path / "offre.xml"))
    assert done.returncode == 2 and "session_count" in done.stderr and "end_date" in done.stderr
    deep = tmp_path / "profond.json"
    deep.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    done = run_process("lheo", str(deep), "-o", str(tmp_path / "offre.xml"))
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_a_lot_without_contacts_gives_no_template(tmp_path, profile):
    from sofi_bulk.excel.referentiel import load_referentiel
    from sofi_bulk.excel.template import write_template

    folder = tmp_path / "ref"
    shutil.copytree(Path(__file__).resolve().parent.parent / "examples" / "referentiel-csv", folder)
    contacts = folder / "contacts.csv"
    contacts.write_text(
        contacts.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8"
    )
    with pytest.raises(UserError, match="aucun contact"):
        write_template(tmp_path / "x.xlsx", profile, load_referentiel(folder))
    assert not (tmp_path / "x.xlsx").exists()


def test_errors_sheet_lists_a_missing_column_with_its_header_link(sample_path, tmp_path):
    def edit(book):
        book[SESSIONS_SHEET].delete_cols(column_of(SESSIONS_SHEET, "places").index)

    copy = tmp_path / "copie.xlsx"
    run_cli(
        "validate", str(edited(sample_path, tmp_path, "sans-places.xlsx", edit)), "-o", str(copy)
    )
    rows = [
        r
        for r in load_workbook(copy)[ERRORS_SHEET].iter_rows(min_row=4)
        if r[ERRORS_HEADERS.index("Code")].value == "colonne-manquante"
    ]
    assert rows and rows[0][ERRORS_HEADERS.index("Cellule")].hyperlink.location.endswith(
        f"{column_of(SESSIONS_SHEET, 'places').letter}{HEADER_ROW}"
    )


def test_a_missing_child_sheet_is_said(sample_path, tmp_path):
    path = edited(
        sample_path, tmp_path, "sans-periodes.xlsx", lambda b: b.remove(b["Périodes inscription"])
    )
    result = run_validation(read_workbook(path))
    assert [(i.code, i.sheet) for i in result.issues] == [
        ("feuille-manquante", "Périodes inscription")
    ]
    assert result.ok  # a warning: periods are optional


def test_a_workbook_without_metadata_is_checked_with_a_warning(sample_path, tmp_path):
    path = edited(sample_path, tmp_path, "sans-meta.xlsx", lambda b: b.remove(b["_meta"]))
    result = run_validation(read_workbook(path))
    assert [i.code for i in result.issues] == ["metadonnees-absentes"]
    assert "PREPA Avenir Sup" in result.issues[0].message


def test_another_referentiel_than_the_templates_is_said(sample_path, tmp_path, referentiel):
    from sofi_bulk.core.context import resolve_context
    from sofi_bulk.core.validate import validate_book

    book = read_workbook(sample_path)
    site = replace(referentiel.sites["36364"], ville="Nantes Cedex")
    other = type(referentiel)(
        **{**referentiel.__dict__, "sites": {**referentiel.sites, "36364": site}}
    )
    ctx = resolve_context(book, referentiel=other)
    result = validate_book(book, ctx.profile, ctx.referentiel, ctx.notices, today=TODAY)
    assert [i.code for i in result.issues] == ["referentiel-different"]
    ctx = resolve_context(book, referentiel=referentiel)  # the same data: nothing to say
    assert ctx.notices == []


def test_the_garbage_collector_runs_again_after_a_check_even_a_refused_one(sample_path):
    """Reading and checking pause the collector (sofi_bulk.core.memory); a long-lived
    process (the web service) must get it back, whatever happened, and a caller that paused
    it keeps it paused."""
    import gc

    import sofi_bulk
    from sofi_bulk.core.errors import WorkbookError
    from sofi_bulk.core.memory import collector_paused

    assert gc.isenabled()
    inside = []
    with collector_paused():
        inside.append(gc.isenabled())
        with collector_paused():
            pass
        inside.append(gc.isenabled())
    assert inside == [False, False] and gc.isenabled()
    assert len(sofi_bulk.check(sample_path).sessions) == 6 and gc.isenabled()
    with pytest.raises(WorkbookError, match="Sessions"):  # refused within the check
        sofi_bulk.check({"Autre": [["x"]]})
    assert gc.isenabled()
    gc.disable()
    try:
        sofi_bulk.check(sample_path)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_a_check_allocated_is_not_walked_again_as_the_collector_resumes(sample_path):
    """The objects of a check join the oldest generation: no young collection walks them
    (cell by cell) on the way out; a caller's frozen objects stay frozen."""
    import gc

    import sofi_bulk

    gc.collect()
    result = sofi_bulk.check(sample_path)
    assert gc.isenabled()
    first = result.sessions[0]
    assert any(o is first for o in gc.get_objects(2))  # the oldest generation
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        sofi_bulk.check(sample_path)
        assert gc.get_freeze_count() == frozen  # not thawed by the check
    finally:
        gc.unfreeze()


def test_a_check_with_bad_cells_leaves_nothing_for_the_collector(sample_path, tmp_path):
    """A check's objects join the oldest generation (sofi_bulk.core.memory), which is
    collected rarely: the check must leave no cycle behind, or a long-lived process (the web
    service, the add-in) would keep each checked workbook. Bad cells keep their CellError in
    memos: without its traceback, which would hold the frames holding the memo."""
    import gc

    import sofi_bulk

    def edit(book):
        ws = book[SESSIONS_SHEET]
        ws[cell("start_date", 0)] = "pas une date"
        ws[cell("formacodes", 1)] = "99999 ; abc"
        ws[cell("places", 2)] = "beaucoup"

    path = edited(sample_path, tmp_path, "erreurs.xlsx", edit)
    first = sofi_bulk.check(path)
    assert len(first.errors) >= 3
    del first
    gc.collect()
    result = sofi_bulk.check(path)
    assert len(result.errors) >= 3
    del result
    assert gc.collect() == 0
