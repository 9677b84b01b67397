"""The annotation plan: exactly what every face paints, for a clean and a faulty workbook,
in place and in the template copy, and what a second run clears; then the openpyxl painter
paints exactly that plan."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from sofi_bulk.core.fields import INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET
from sofi_bulk.core.issues import Severity
from sofi_bulk.core.layout import ERRORS_SHEET, column_of
from sofi_bulk.core.plan import (
    COLOURS,
    ERRORS_HEADERS,
    STATUS_WIDTH,
    InPlace,
    TemplateCopy,
    Unmark,
    annotation_plan,
    error_lines,
)
from sofi_bulk.excel.painter import paint
from tests.conftest import run_validation

WHEN = dt.datetime(2026, 11, 27, 10, 5)
E, W = Severity.ERROR, Severity.WARNING


def col(key: str, sheet: str = SESSIONS_SHEET) -> str:
    return column_of(sheet, key).letter


def faulty(book):
    """Row 4 repeats row 3 (same reference, same session); row 5 ends before it starts; the
    périodes sheet loses its « Type » column (renamed)."""
    sessions = book.sheets[SESSIONS_SHEET]
    sessions[3] = list(sessions[2])
    sessions[4][column_of(SESSIONS_SHEET, "end_date").index - 1] = "01/01/2025"
    periodes = book.sheets[PERIODES_SHEET]
    periodes[1][column_of(PERIODES_SHEET, "pi_type").index - 1] = "Genre"
    return book


def test_a_clean_workbook_plans_only_ok_statuses(book):
    result = run_validation(book)
    plan = annotation_plan(result, InPlace(result), checked_at=WHEN)
    assert plan.marks == [] and plan.errors == []
    # a session row also says what it does in SOFI: the sample's sessions are all new
    assert [(s.sheet, s.cell, s.text, s.state, s.note) for s in plan.statuses] == [
        (sheet, f"A{row}", "✔ OK", "ok", None)  # nothing more to say: no note
        for sheet in (SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET)
        for row in range(3, 9)
    ]
    assert plan.title == (
        "Contrôle du 27/11/2026 à 10:05 : 0 erreur, 0 avertissement. Aucune erreur : l'offre "
        "peut être exportée."
    )
    assert plan.summary == "0 erreur, 0 avertissement"
    assert plan.clear.cells == [] and plan.clear.sheets == []
    assert [(a.sheet, a.column, a.first_row) for a in plan.clear.statuses] == [
        (SESSIONS_SHEET, 1, 3),
        (INFOS_SHEET, 1, 3),
        (PERIODES_SHEET, 1, 3),
    ]
    # painting in place, a cleared « Contrôle » cell gets the template's fill back
    assert {a.colour for a in plan.clear.statuses} == {COLOURS["status"]}


def test_the_errors_lines_alone_are_the_plan_s(book):
    """What the web report keeps (``error_lines``) is the plan's « Erreurs » sheet, line for
    line, for a faulty workbook as for a clean one."""
    for result in (run_validation(faulty(book)), run_validation(book)):
        lines = error_lines(result)
        assert lines == annotation_plan(result, InPlace(result), checked_at=WHEN).errors
    assert len(error_lines(run_validation(faulty(book)))) >= 4


def test_a_faulty_workbook_plans_its_marks_statuses_and_errors_lines(book):
    result = run_validation(faulty(book))
    plan = annotation_plan(result, InPlace(result), checked_at=WHEN)
    assert [(m.sheet, m.cell, m.severity) for m in plan.marks] == [
        (SESSIONS_SHEET, "B4", E),  # reference-en-double and session-en-double share the cell
        (SESSIONS_SHEET, f"{col('end_date')}5", E),
        (INFOS_SHEET, "B4", E),  # their session S002 is now a duplicate reference: unknown
        (PERIODES_SHEET, "B4", E),
    ]
    double = plan.marks[0]
    assert double.note.splitlines() == [
        "Erreur : « Réf. session » : la Réf. session « S001 » est déjà utilisée ligne 3. Donnez à "
        "chaque "
        "session une référence unique.",
        "Avertissement : Cette session semble saisie deux fois (même lot, sites et dates que la "
        "ligne 3).",
        "",  # then the column's help, as its header gives it (issue 29)
        "Aide de la colonne « Réf. session » : Votre repère pour cette session (ex. S01, "
        "NANTES-MARS). Unique dans le classeur ; les feuilles « Infos collectives » et "
        "« Périodes inscription » s'y rattachent. Obligatoire.",
    ]
    assert double.colour == COLOURS["erreur"]
    statuses = {(s.sheet, s.row): (s.text, s.state, s.note) for s in plan.statuses}
    seen = "voyez ses cellules colorées (leur note dit quoi corriger) ou la feuille « Erreurs »."
    assert statuses[(SESSIONS_SHEET, 3)] == ("✔ OK", "ok", None)
    assert statuses[(SESSIONS_SHEET, 4)] == (
        "✖ à corriger",
        "erreur",
        f"1 erreur, 1 avertissement dans cette ligne : {seen} Dans SOFI, cette ligne crée "
        "une session.",
    )
    assert statuses[(SESSIONS_SHEET, 5)][:2] == ("✖ à corriger", "erreur")
    assert statuses[(INFOS_SHEET, 4)] == (
        "✖ à corriger",
        "erreur",
        f"1 erreur, 0 avertissement dans cette ligne : {seen}",
    )
    assert statuses[(INFOS_SHEET, 3)] == ("✔ OK", "ok", None)
    # the périodes sheet lacks a required column: rows without their own errors point to Erreurs
    assert statuses[(PERIODES_SHEET, 4)][:2] == ("✖ à corriger", "erreur")
    assert {statuses[(PERIODES_SHEET, r)] for r in (3, 5, 6, 7, 8)} == {
        (
            "✖ à corriger",
            "erreur",
            "Une erreur concerne toute la feuille (une colonne manque) : voyez la feuille "
            "« Erreurs ».",
        )
    }
    assert max(len(text) for text, _, _ in statuses.values()) <= STATUS_WIDTH
    lines = [
        (line.sheet, line.cell, line.row, line.column, line.code, line.link) for line in plan.errors
    ]
    assert lines == [
        (SESSIONS_SHEET, "B4", 4, "Réf. session", "reference-en-double", f"'{SESSIONS_SHEET}'!B4"),
        (SESSIONS_SHEET, "B4", 4, "Réf. session", "session-en-double", f"'{SESSIONS_SHEET}'!B4"),
        (
            SESSIONS_SHEET,
            f"{col('end_date')}5",
            5,
            "Date fin",
            "dates-inversees",
            f"'{SESSIONS_SHEET}'!{col('end_date')}5",
        ),
        (INFOS_SHEET, "B4", 4, "Réf. session", "session-inconnue", f"'{INFOS_SHEET}'!B4"),
        (PERIODES_SHEET, None, None, "Type", "colonne-manquante", None),
        (PERIODES_SHEET, "B4", 4, "Réf. session", "session-inconnue", f"'{PERIODES_SHEET}'!B4"),
    ]
    # the link first, the message right after it, then the rest (issue 29)
    assert plan.errors[4].values() == [
        "",
        plan.errors[4].message,
        "erreur",
        PERIODES_SHEET,
        None,
        "Type",
        "colonne-manquante",
    ]
    assert ERRORS_HEADERS[:2] == ("Cellule", "Message")
    assert (plan.error_count, plan.warning_count, plan.summary) == (
        5,
        1,
        "5 erreurs, 1 avertissement",
    )
    rows = plan.rows()
    assert rows[0][0] == plan.title and rows[2] == list(ERRORS_HEADERS) and len(rows) == 3 + 6


def test_the_copy_layout_moves_cells_to_the_template_and_re_creates_a_missing_column(book):
    faulty(book)
    for sheet in (SESSIONS_SHEET,):
        book.sheets[sheet].insert(0, ["Saisie de mars"])  # header row now 3, data from row 4
    result = run_validation(book)
    plan = annotation_plan(result, TemplateCopy(result), checked_at=WHEN)
    assert [(m.sheet, m.cell) for m in plan.marks] == [
        (SESSIONS_SHEET, "B4"),
        (SESSIONS_SHEET, f"{col('end_date')}5"),
        (INFOS_SHEET, "B4"),
        (PERIODES_SHEET, f"{col('pi_type', PERIODES_SHEET)}2"),  # the re-created column's header
        (PERIODES_SHEET, "B4"),
    ]
    assert plan.errors[0].cell == "B4" and plan.errors[0].row == 4
    assert plan.clear.cells == [] and plan.clear.statuses == []  # a fresh template has no old marks
    in_place = annotation_plan(result, InPlace(result), checked_at=WHEN)
    assert in_place.marks[0].cell == "B5"  # the user's own rows, one lower


def test_a_second_run_clears_the_marks_the_first_run_listed(book):
    faulty(book)
    result = run_validation(book)
    first = annotation_plan(result, InPlace(result), checked_at=WHEN)
    book.sheets[ERRORS_SHEET] = first.rows()  # what the first run painted in the workbook
    book.sheets[ERRORS_SHEET].append(
        ["pas une cellule", "", "erreur", SESSIONS_SHEET, None, "", ""]
    )
    book.sheets[SESSIONS_SHEET][3] = list(book.sheets[SESSIONS_SHEET][2])
    book.sheets[SESSIONS_SHEET][3][column_of(SESSIONS_SHEET, "session_ref").index - 1] = "S999"
    second = annotation_plan(run_validation(book), checked_at=WHEN)
    assert second.clear.sheets == [ERRORS_SHEET]
    assert second.clear.cells == [
        Unmark(SESSIONS_SHEET, "B4", None),
        Unmark(SESSIONS_SHEET, f"{col('end_date')}5", None),
        Unmark(INFOS_SHEET, "B4", None),
        Unmark(PERIODES_SHEET, "B4", None),
    ]


@pytest.mark.parametrize(
    "headers, line",
    [
        (ERRORS_HEADERS, ["{cell}", "…", "erreur", SESSIONS_SHEET, 3, "", ""]),
        # an « Erreurs » sheet written before issue 29 (message last) is still read
        (
            ("Gravité", "Feuille", "Cellule", "Ligne", "Colonne", "Code", "Message"),
            ["erreur", SESSIONS_SHEET, "{cell}", 3, "", "", "…"],
        ),
    ],
)
def test_a_marked_fixed_cell_gets_its_grey_back(book, headers, line):
    title = f"{col('title')}3"
    book.sheets[ERRORS_SHEET] = [
        ["x"],
        [],
        list(headers),
        [title if v == "{cell}" else v for v in line],
    ]
    plan = annotation_plan(run_validation(book), checked_at=WHEN)
    assert plan.clear.cells == [Unmark(SESSIONS_SHEET, title, COLOURS["fixed"])]


def _rgb(cell) -> str | None:
    colour = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
    return colour[-6:] if isinstance(colour, str) else None


def test_the_painter_paints_the_plan_in_place_then_clears_it(sample_path, book, tmp_path):
    original = [list(row) for row in book.sheets[SESSIONS_SHEET]]
    faulty(book)
    result = run_validation(book)
    plan = annotation_plan(result, InPlace(result), checked_at=WHEN)
    workbook = load_workbook(sample_path)
    paint(workbook, plan)
    for mark in plan.marks:
        cell = workbook[mark.sheet][mark.cell]
        assert _rgb(cell) == mark.colour and cell.comment.text == mark.note
    for status in plan.statuses:
        cell = workbook[status.sheet][status.cell]
        assert cell.value == status.text and _rgb(cell) == status.colour
        assert (cell.comment and cell.comment.text) == status.note
    sheet = workbook[ERRORS_SHEET]
    assert workbook.active.title == ERRORS_SHEET
    painted = [
        [c.value for c in row]
        for row in sheet.iter_rows(min_row=1, max_row=3 + len(plan.errors), max_col=7)
    ]
    assert painted[0][0] == plan.title and painted[2] == list(ERRORS_HEADERS)
    assert painted[3:] == [
        [v if v is not None else None for v in line.values()] for line in plan.errors
    ]
    links = {
        c.coordinate: c.hyperlink.location for row in sheet.iter_rows() for c in row if c.hyperlink
    }
    assert links == {f"A{4 + i}": line.link for i, line in enumerate(plan.errors) if line.link}
    # a second plan clears the first one's marks before painting its own
    workbook.save(tmp_path / "peint.xlsx")
    book.sheets[SESSIONS_SHEET] = original  # corrected, its earlier statuses still there
    for status in plan.statuses:
        if status.sheet == SESSIONS_SHEET:
            original[status.row - 1][status.column - 1] = status.text
    book.sheets[ERRORS_SHEET] = plan.rows()
    again = annotation_plan(run_validation(book), checked_at=WHEN)
    paint(workbook, again)
    assert (
        _rgb(workbook[SESSIONS_SHEET]["B4"]) is None
        and workbook[SESSIONS_SHEET]["B4"].comment is None
    )
    assert workbook[SESSIONS_SHEET]["A4"].value == "✔ OK"
    assert workbook[SESSIONS_SHEET]["A4"].comment is None  # the earlier status's note is gone
    assert workbook.sheetnames.count(ERRORS_SHEET) == 1


@pytest.mark.parametrize("layout", ["in_place", "copy"])
def test_every_issue_has_exactly_one_errors_line(book, layout):
    result = run_validation(faulty(book))
    plan = annotation_plan(
        result, InPlace(result) if layout == "in_place" else TemplateCopy(result)
    )
    assert [(line.code, line.message) for line in plan.errors] == [
        (i.code, i.message) for i in result.issues
    ]


MODIFIES = "Dans SOFI, cette ligne modifie une session existante (code FAS complet)."


@pytest.mark.parametrize(
    "code, text, state, note",
    [
        ("19482-89393-143842", "⚠ à vérifier", "avertissement", MODIFIES),
        ("19482-89393", "✔ OK", "ok", None),  # a creation: what « ✔ OK » means by default
        ("19482", "✔ OK", "ok", None),
        ("19482/89393", "✖ à corriger", "erreur", "erreur"),  # unreadable: operation unknown
    ],
)
def test_a_session_row_says_whether_it_creates_or_modifies(book, code, text, state, note):
    """The operation comes from the FAS code, in the plan every face paints: a short status
    in the narrow « Contrôle » column, the operation in its note."""
    book.sheets[SESSIONS_SHEET][2][column_of(SESSIONS_SHEET, "fas_code").index - 1] = code
    result = run_validation(book)
    plan = annotation_plan(result, InPlace(result), checked_at=WHEN)
    first = next(s for s in plan.statuses if (s.sheet, s.row) == (SESSIONS_SHEET, 3))
    assert (first.text, first.state) == (text, state)
    assert (first.note is None) if note is None else (note in first.note), first.note
    assert "Dans SOFI" not in (first.note or "") or note == MODIFIES  # unknown: not said
    copy_plan = annotation_plan(result, TemplateCopy(result), checked_at=WHEN)
    assert (copy_plan.statuses[0].text, copy_plan.statuses[0].note) == (text, first.note)


def test_in_the_copy_a_marked_cell_prompts_its_own_error(book, tmp_path):
    """Following a link of « Erreurs » selects the cell, and a selected cell shows its rule's
    input message: in the annotated copy, a marked cell's message is its error, then the
    column's help, on a copy of the column's rule; the column's rule skips that cell only."""
    from sofi_bulk import api

    result = run_validation(faulty(book))
    copy = tmp_path / "copie.xlsx"
    api.write_annotated(result, copy)
    ws = load_workbook(copy)[SESSIONS_SHEET]
    end = f"{col('end_date')}5"
    covering = [dv for dv in ws.data_validations.dataValidation if end in dv]
    assert len(covering) == 1
    own = covering[0]
    assert own.promptTitle == "Erreur" and own.prompt.startswith("Erreur : ")
    assert "Aide de la colonne « Date fin »" in own.prompt and len(own.prompt) <= 255
    column = [dv for dv in ws.data_validations.dataValidation if f"{col('end_date')}6" in dv]
    assert column[0] is not own and column[0].type == own.type == "date"
    assert column[0].formula1 == own.formula1 and f"{col('end_date')}4" in column[0]
    assert not column[0].prompt.startswith("Erreur")


def test_cutting_marked_cells_out_of_a_rule_keeps_every_other_cell():
    """The column's rule, cut once for all its marked cells, covers every cell it covered
    but those: random ranges and cells, against the sets of cells themselves."""
    import random

    from openpyxl.worksheet.cell_range import CellRange, MultiCellRange

    from sofi_bulk.excel.painter import _without

    rng = random.Random(7)
    for _ in range(300):
        ranges = []
        for _ in range(rng.randrange(1, 4)):
            a, b = rng.randrange(1, 6), rng.randrange(1, 20)
            c, d = a + rng.randrange(3), b + rng.randrange(9)
            ranges.append(CellRange(min_col=a, min_row=b, max_col=c, max_row=d))
        cells = {(rng.randrange(1, 9), rng.randrange(1, 30)) for _ in range(rng.randrange(1, 12))}
        before = {(c, r) for x in ranges for (r, c) in x.cells}
        kept = _without(MultiCellRange(ranges), cells).ranges
        assert {(c, r) for x in kept for (r, c) in x.cells} == before - cells
