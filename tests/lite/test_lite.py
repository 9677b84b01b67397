"""The Excel add-in (xlwings Lite) through a recording stand-in for xlwings' Book: it paints
exactly the annotation plan, in few actions, clears an earlier run, refuses what it must
not mark with one French alert and no change, and exports only a workbook without errors."""

from __future__ import annotations

import ast
import datetime as dt
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

import sofi_bulk
from sofi_bulk import lite
from sofi_bulk.core.fields import INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET
from sofi_bulk.core.layout import ERRORS_SHEET, column_of
from sofi_bulk.core.plan import COLOURS, ERRORS_HEADER_ROW, ERRORS_WIDTHS
from sofi_bulk.core.values import FormulaError
from sofi_bulk.lite import painter as painter_module
from sofi_bulk.lite import scripts
from sofi_bulk.lite.painter import KEEP, MAX_COLOUR_CELLS, as_text, colour_batches
from sofi_bulk.lite.reader import cell_value, read_book
from tests.conftest import ROOT
from tests.lite.fake import (
    Excel,
    excel_from_file,
    excel_from_input,
    lite_value,
    parse_address,
)
from tests.test_plan import faulty

WHEN = dt.datetime(2026, 11, 27, 10, 5)
DATA = (SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET)


def control(book):
    return scripts.guarded(lambda b: scripts.control(b, checked_at=WHEN), book)


def expected_plan(excel: Excel):
    """The plan the core makes for the workbook as Lite shows it."""
    return sofi_bulk.plan(sofi_bulk.check(read_book(excel.open(lite.SHEETS))), checked_at=WHEN)


def funcs(actions) -> Counter:
    return Counter(a["func"] for a in actions)


def cell(ref: str) -> tuple[int, int]:
    return parse_address(ref)[0]


def assert_painted(excel: Excel, plan) -> None:
    """The workbook holds exactly the plan: fills, notes, statuses, « Erreurs » and links."""
    marked = {(m.sheet, cell(m.cell)): m for m in plan.marks}
    for name in DATA:
        sheet = excel.sheet(name)
        statuses = {s.row: s for s in plan.statuses if s.sheet == name}
        for (row, column), colour in sheet.colours.items():
            if column == 1 and row in statuses:
                assert colour == f"#{statuses[row].colour}"
            elif (name, (row, column)) in marked:
                assert colour == f"#{marked[(name, (row, column))].colour}"
            else:
                assert colour == f"#{COLOURS['status']}" and column == 1, (name, row, column)
        notes = {c: m.note for (s, c), m in marked.items() if s == name}
        notes.update({(row, 1): s.note for row, s in statuses.items() if s.note})
        assert sheet.notes == notes  # the cells' notes, then the statuses' (issue 29)
        for row, status in statuses.items():
            assert sheet.values[(row, 1)] == status.text
    errors = excel.sheet(ERRORS_SHEET)
    assert errors.rows() == [["" if v is None else v for v in row] for row in plan.rows()]
    assert errors.links == {
        (ERRORS_HEADER_ROW + 1 + i, 1): (
            f"#{line.link}",
            line.cell,
            f"Aller à {line.sheet}!{line.cell}",
        )
        for i, line in enumerate(plan.errors)
        if line.link
    }
    assert errors.colours[(ERRORS_HEADER_ROW, 1)] == f"#{COLOURS['header']}"
    names = [s.name for s in excel.sheets]
    assert names.index(ERRORS_SHEET) == names.index(PERIODES_SHEET) + 1
    assert names.count(ERRORS_SHEET) == 1


# --- reading ------------------------------------------------------------------------------------
def test_cells_arrive_as_lite_sends_them():
    assert cell_value("") is None
    assert cell_value("2025-02-10T00:00:00.000Z") == dt.datetime(2025, 2, 10)
    assert cell_value("2025-02-10T14:30:00Z") == dt.datetime(2025, 2, 10, 14, 30)
    assert cell_value("1899-12-30T09:30:00.000Z") == dt.time(9, 30)  # a time-only cell
    assert cell_value(0.395833) == 0.395833  # a day fraction stays a number: the core reads it
    assert cell_value("#DIV/0!") == FormulaError("#DIV/0!")
    assert cell_value("#N/A") == FormulaError("#N/A")
    assert cell_value("2025-02-30T00:00:00.000Z") == "2025-02-30T00:00:00.000Z"
    assert cell_value("10/02/2025") == "10/02/2025" and cell_value(12.5) == 12.5


def test_lite_finds_the_same_issues_as_the_file_reader(tmp_path):
    """The faulty golden workbook, read by calamine from the file or through Lite's values:
    the same issues (codes, sheets, cells)."""
    from tests.golden.cases import build

    path = build("erreurs", tmp_path)
    excel = excel_from_file(path)
    through_lite = sofi_bulk.check(read_book(excel.open(lite.SHEETS)))
    from_file = sofi_bulk.check(path)
    key = [(i.code, i.sheet, i.cell) for i in from_file.issues]
    assert [(i.code, i.sheet, i.cell) for i in through_lite.issues] == key
    assert len(key) > 15


@pytest.mark.parametrize("far, kept", [("EU5", "ET5"), ("B50000", "B49999")])
def test_lite_refuses_a_far_cell_as_the_file_reader_does(tmp_path, far, kept):
    """A note typed past column ET or row 49 999: the same refusal, in the same words, from
    the file and from the open workbook; one just inside the limits is checked by both."""
    from openpyxl import load_workbook

    from sofi_bulk.core.errors import WorkbookError

    book = load_workbook(ROOT / "examples" / "saisie-exemple.xlsx")
    book[SESSIONS_SHEET][far] = "à revoir"
    book.save(tmp_path / "loin.xlsx")
    messages = []
    for read in (
        lambda: sofi_bulk.check(tmp_path / "loin.xlsx"),
        lambda: sofi_bulk.check(
            read_book(excel_from_file(tmp_path / "loin.xlsx").open(lite.SHEETS))
        ),
    ):
        with pytest.raises(WorkbookError, match=f"très loin du tableau \\({far}\\)") as refused:
            read()
        messages.append(str(refused.value).split(" : ", 1)[1])
    assert messages[0] == messages[1]
    book[SESSIONS_SHEET][far] = None
    book[SESSIONS_SHEET][kept] = "à revoir"
    book.save(tmp_path / "proche.xlsx")
    assert sofi_bulk.check(tmp_path / "proche.xlsx").sessions
    assert sofi_bulk.check(read_book(excel_from_file(tmp_path / "proche.xlsx").open(lite.SHEETS)))


def test_only_the_sheets_the_check_needs_are_read(book):
    excel = excel_from_input(book)
    seen = read_book(excel.open(lite.SHEETS))
    assert set(seen.sheets) == {SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET}
    assert [*DATA, "_meta", ERRORS_SHEET] == lite.SHEETS


# --- painting -----------------------------------------------------------------------------------
def test_a_clean_workbook_gets_ok_statuses_an_empty_errors_sheet_and_a_summary(book):
    excel = excel_from_input(book)
    plan = expected_plan(excel)
    actions = excel.run(control)
    assert_painted(excel, plan)
    assert funcs(actions) == {
        "setValues": 4,  # three « Contrôle » columns, the « Erreurs » sheet
        "setRangeColors": 4,  # the three columns' fills, the header of « Erreurs »
        "setColumnWidth": 7,  # the columns of « Erreurs », as wide as in the annotated copy
        "addSheet": 1,
        "activateSheet": 1,
        "alert": 1,
    }
    assert excel.sheet(SESSIONS_SHEET).values[(8, 1)] == "✔ OK"
    assert excel.alerts == [
        (
            "Contrôle terminé : 0 erreur, 0 avertissement.\nVous pouvez exporter la soumission "
            "et le fichier LHEO.",
            "sofi-bulk",
            "ok",
        )
    ]


def test_the_example_is_clean_in_the_add_in_on_any_day(monkeypatch):
    """The add-in checks with the same front door: the bundled example's fictitious lots are
    never of a campaign that is over."""
    for today in ("2026-12-07", "2031-06-01"):
        monkeypatch.setenv("SOFI_BULK_TODAY", today)
        excel = excel_from_file(ROOT / "examples" / "saisie-exemple.xlsx")
        excel.run(control)
        assert excel.alerts[-1][0].startswith("Contrôle terminé : 0 erreur, 0 avertissement.")


def test_a_faulty_workbook_is_marked_in_place_exactly_as_the_plan_says(book):
    excel = excel_from_input(faulty(book))
    plan = expected_plan(excel)
    assert len(plan.marks) == 4 and len(plan.errors) == 6
    actions = excel.run(control)
    assert_painted(excel, plan)
    sessions = excel.sheet(SESSIONS_SHEET)
    assert sessions.colours[(4, 2)] == f"#{COLOURS['erreur']}"
    assert sessions.notes[(4, 2)].startswith("Erreur : « Réf. session » : la Réf. session")
    assert sessions.values[(4, 1)] == "✖ à corriger"
    assert sessions.notes[(4, 1)].startswith("1 erreur, 1 avertissement dans cette ligne")
    errors = excel.sheet(ERRORS_SHEET)
    assert errors.rows()[2][:2] == ["Cellule", "Message"]  # the link, then the message
    assert errors.widths == {c: (w * 7 + 5) * 0.75 for c, w in enumerate(ERRORS_WIDTHS, 1)}
    assert errors.wrapped == {(row, 2) for row in range(4, 4 + len(plan.errors))}
    assert sessions.notes[(4, 2)].endswith("Obligatoire.")  # the column's help after the error
    assert errors.links[(4, 1)] == (
        f"#'{SESSIONS_SHEET}'!B4",
        "B4",
        f"Aller à {SESSIONS_SHEET}!B4",
    )
    assert funcs(actions) == {
        "addNote": 4 + 9,  # 4 cells; 9 statuses: 2 sessions, 1 info, 6 périodes (a column)
        "addHyperlink": 5,  # the missing column's line has no cell
        "setValues": 4,
        "setRangeColors": 5,  # Sessions: its 1,000-row « Contrôle » column takes two
        "setColumnWidth": 7,
        "setWrapText": 1,  # the messages of « Erreurs »
        "addSheet": 1,
        "activateSheet": 1,
        "alert": 1,
    }
    message = excel.alerts[-1][0]
    assert message.startswith("Contrôle terminé : 5 erreurs, 1 avertissement.")
    assert "feuille « Erreurs »" in message


def test_a_second_run_clears_the_first_runs_marks(book):
    original = [list(r) for r in book.sheets[SESSIONS_SHEET]]
    excel = excel_from_input(faulty(book))
    excel.run(control)
    title = f"{column_of(SESSIONS_SHEET, 'title').letter}3"
    # the user fixes the duplicated session (row 4) and breaks a fixed value; row 5 still ends
    # before it starts, the périodes sheet still lacks its « Type » column
    sessions = excel.sheet(SESSIONS_SHEET)
    for c, value in enumerate(original[3][1:], start=2):  # its « Contrôle » cell aside
        sessions.values[(4, c)] = lite_value(value)
    sessions.values[cell(title)] = "Autre intitulé"
    end = f"{column_of(SESSIONS_SHEET, 'end_date').letter}5"
    plan = expected_plan(excel)
    actions = excel.run(control)
    assert_painted(excel, plan)
    assert (4, 2) not in sessions.colours and (4, 2) not in sessions.notes  # fixed: unmarked
    assert sessions.colours[cell(title)] == f"#{COLOURS['erreur']}"
    assert sessions.values[(4, 1)] == "✔ OK" and (4, 1) not in sessions.notes
    assert sessions.colours[cell(end)] == f"#{COLOURS['erreur']}" and cell(end) in sessions.notes
    counted = funcs(actions)
    assert counted["sheetDelete"] == 1 and counted["addSheet"] == 1
    # the three cells fixed with row 4, and the statuses of the rows now without issue (the
    # session of row 4, the information collective that named it)
    assert counted["deleteNote"] == 3 + 2
    # kept and rewritten: row 5's cell and status, the 6 périodes statuses (a column still
    # missing); new: the title's cell and its row's status
    assert counted["setNoteText"] == 1 + 1 + 6 and counted["addNote"] == 1 + 1
    # the marks go away with « effacer_controle », the fixed cell's grey comes back
    excel.run(lite.effacer_controle)
    assert ERRORS_SHEET not in [s.name for s in excel.sheets]
    for name in DATA:
        sheet = excel.sheet(name)
        assert sheet.notes == {}
        assert {c for c, v in sheet.values.items() if c[1] == 1 and c[0] > 2} == set()
        assert set(sheet.colours.values()) <= {f"#{COLOURS['status']}", f"#{COLOURS['fixed']}"}
    assert sessions.colours[cell(title)] == f"#{COLOURS['fixed']}"
    assert excel.alerts[-1][0].startswith("Marques du contrôle effacées")


def test_a_note_the_user_wrote_is_never_replaced(book):
    excel = excel_from_input(faulty(book))
    excel.sheet(SESSIONS_SHEET).notes[(4, 2)] = "Ma remarque"
    actions = excel.run(control)
    assert excel.sheet(SESSIONS_SHEET).notes[(4, 2)] == "Ma remarque"
    assert funcs(actions)["addNote"] == 3 + 9  # the statuses' notes too
    assert "jamais par-dessus une note existante" in excel.alerts[-1][0]


def test_notes_and_links_stop_at_their_caps_the_errors_sheet_lists_everything(book, monkeypatch):
    monkeypatch.setattr(painter_module, "MAX_NOTES", 2)
    monkeypatch.setattr(scripts, "MAX_NOTES", 2)
    monkeypatch.setattr(painter_module, "MAX_LINKS", 3)
    monkeypatch.setattr(scripts, "MAX_LINKS", 3)
    excel = excel_from_input(faulty(book))
    plan = expected_plan(excel)
    actions = excel.run(control)
    assert funcs(actions)["addNote"] == 2 and funcs(actions)["addHyperlink"] == 3
    assert set(excel.sheet(SESSIONS_SHEET).notes) == {cell(m.cell) for m in plan.marks[:2]}
    errors = excel.sheet(ERRORS_SHEET).rows()
    assert len(errors) == 3 + len(plan.errors)
    assert [r[6] for r in errors[3:]] == [line.code for line in plan.errors]
    message = excel.alerts[-1][0]
    assert "Notes posées sur 2 cellules (au plus 2" in message
    assert "Liens vers les 3 premières lignes" in message


def test_without_notes_in_this_excel_the_rest_is_painted_and_the_alert_says_so(book):
    excel = Excel.__new__(Excel)
    excel.__dict__.update(excel_from_input(faulty(book)).__dict__, notes_supported=False)
    actions = excel.run(control)
    assert "addNote" not in funcs(actions)
    assert excel.sheet(SESSIONS_SHEET).colours[(4, 2)] == f"#{COLOURS['erreur']}"
    assert "ne permet pas d'ajouter des notes" in excel.alerts[-1][0]


def test_colours_go_in_batches_of_at_most_10000_cells():
    colours = {(row, 1): "C6EFCE" for row in range(3, 25_003)}  # a long « Contrôle » column
    colours.update({(row, col): "FFC7CE" for row in range(3, 5_003, 7) for col in (2, 40, 66)})
    batches = list(colour_batches(colours))
    painted = {}
    for (top, left), grid in batches:
        assert len(grid) * len(grid[0]) <= MAX_COLOUR_CELLS
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                if value is not KEEP:
                    assert (top + i, left + j) not in painted
                    painted[(top + i, left + j)] = value
    assert painted == {k: f"#{v}" for k, v in colours.items()}
    assert len(batches) < 60  # not one call per cell: 25,000 + 2,142 cells


def test_values_written_back_stay_text():
    assert as_text('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert as_text("+33 6") == "'+33 6" and as_text("-") == "'-" and as_text("'a") == "''a"
    assert as_text("Sessions") == "Sessions" and as_text(None) == "" and as_text(4) == 4


def test_a_value_the_user_typed_is_written_back_as_text_in_the_errors_sheet(book):
    rows = book.sheets[SESSIONS_SHEET]
    rows[2][column_of(SESSIONS_SHEET, "lot").index - 1] = "=1+1"
    excel = excel_from_input(book)
    actions = excel.run(control)
    block = next(a for a in actions if a["func"] == "setValues" and a["sheet"] == ERRORS_SHEET)
    flat = [v for row in block["values"] for v in row if isinstance(v, str)]
    assert not any(v.startswith("=") for v in flat)
    assert any("=1+1" in v for v in flat)  # named in the message, inside « »


# --- refusals -----------------------------------------------------------------------------------
def refused(excel: Excel, script=control) -> str:
    before = {s.name: (dict(s.values), dict(s.colours), dict(s.notes)) for s in excel.sheets}
    actions = excel.run(script)
    assert [a["func"] for a in actions] == ["alert"]  # nothing else reaches Excel
    assert {s.name: (s.values, s.colours, s.notes) for s in excel.sheets} == before
    text, title, _ = excel.alerts[-1]
    assert title == "sofi-bulk" and actions[0]["args"][3] == "critical"
    assert "Traceback" not in text
    return text


def test_a_missing_sheet_is_refused_with_one_alert_and_no_change(book):
    del book.sheets[INFOS_SHEET]
    text = refused(excel_from_input(book))
    assert "la feuille « Infos collectives » est absente" in text


def test_a_workbook_that_is_not_a_template_is_refused(book):
    excel = excel_from_input(book)
    excel.sheets = [s for s in excel.sheets if s.name != "_meta"]
    assert "n'est pas un modèle sofi-bulk" in refused(excel)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("json", "la copie du référentiel de la feuille cachée _meta est illisible"),
        ("fingerprint", "a été modifiée"),
        ("version", "d'une autre version du modèle"),
        ("empty", "la feuille cachée _meta est vide ou abîmée"),
        ("locked", "sa colonne « Contrôle » est verrouillée"),
    ],
)
def test_a_damaged_meta_sheet_is_refused(book, damage, expected):
    excel = excel_from_input(book)
    meta = excel.sheet("_meta")
    keys = {meta.values[(r, 1)]: r for r, c in meta.values if c == 1}
    if damage == "json":
        meta.values[(keys["referentiel_json"], 2)] = '{"lots": ['
    elif damage == "fingerprint":
        meta.values[(keys["referentiel_fingerprint"], 2)] = "0" * 20
    elif damage == "version":
        meta.values[(keys["template_version"], 2)] = "1999.1"
    elif damage == "locked":
        del meta.values[(keys["status_unlocked"], 2)]
    else:
        meta.values.clear()
    assert expected in refused(excel)


def test_an_unexpected_failure_takes_back_what_was_queued(book, monkeypatch):
    def broken(self):
        self.book.sheets[SESSIONS_SHEET].range("A3").value = [["x"]]  # queued, then…
        raise RuntimeError("bug")

    monkeypatch.setattr(painter_module.Painter, "errors_sheet", broken)
    text = refused(excel_from_input(faulty(book)))
    assert text.startswith("sofi-bulk a rencontré une erreur inattendue (RuntimeError)")


# --- exports ------------------------------------------------------------------------------------
def test_exports_write_to_data_what_the_library_writes(book, tmp_path, monkeypatch):
    monkeypatch.setattr(scripts, "DATA_DIR", tmp_path)
    excel = excel_from_input(book)
    excel.run(lite.exporter_soumission)
    excel.run(lite.exporter_lheo)
    result = sofi_bulk.check(book)
    written = json.loads((tmp_path / "soumission.json").read_text(encoding="utf-8"))
    expected = sofi_bulk.to_submission(result)
    written["header"]["generated_at"] = expected["header"]["generated_at"] = "<date>"
    assert written == expected
    assert (tmp_path / "offre.xml").read_bytes() == sofi_bulk.to_lheo(result)
    assert excel.alerts[0][0].startswith(f"Soumission écrite : {tmp_path / 'soumission.json'}")
    assert excel.alerts[1][0].startswith("Fichier LHEO 2.3 écrit et validé")
    assert all(a["func"] == "alert" for run in excel.log for a in run)  # the book is untouched


@pytest.mark.parametrize("script", [lite.exporter_soumission, lite.exporter_lheo])
def test_exports_are_refused_while_errors_remain(book, tmp_path, monkeypatch, script):
    monkeypatch.setattr(scripts, "DATA_DIR", tmp_path)
    text = refused(excel_from_input(faulty(book)), script)
    assert text.startswith("Export refusé : 5 erreurs, 1 avertissement.")
    assert list(tmp_path.iterdir()) == []


# --- the files a user pastes into Lite ----------------------------------------------------------
MAIN_PY = ROOT / "addin" / "main.py"


def load_main(name: str = "lite_main"):
    spec = importlib.util.spec_from_file_location(name, MAIN_PY)
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)  # @script does nothing outside Lite
    return main


def test_main_py_is_tiny_imports_as_plain_python_and_runs_the_buttons(book):
    assert len(MAIN_PY.read_text(encoding="utf-8").splitlines()) < 45
    main = load_main()
    for name in lite.BUTTONS:
        assert callable(getattr(main, name))
    excel = excel_from_input(faulty(book))
    excel.run(main.controler, include=lite.SHEETS)
    assert excel.alerts[-1][0].startswith("Contrôle terminé : 5 erreurs, 1 avertissement.")


def script_calls(source: str) -> dict[str, dict[str, str]]:
    """Each function of main.py decorated with ``@script(...)``: its keyword arguments, as
    written."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "script":
                    found[node.name] = {k.arg: ast.unparse(k.value) for k in deco.keywords}
    return found


def test_each_button_carries_its_french_label_and_reads_only_the_data_sheets():
    """xlwings Lite shows ``name=`` on the button: a French label, never the function's name."""
    calls = script_calls(MAIN_PY.read_text(encoding="utf-8"))
    assert list(calls) == list(lite.BUTTONS)
    for function, keywords in calls.items():
        assert keywords == {"name": f"lite.BUTTONS[{function!r}]", "include": "lite.SHEETS"}
        label = lite.BUTTONS[function]
        assert label[0].isupper() and "_" not in label and label != function
    assert lite.BUTTONS["controler"] == "Contrôler"


def test_xlwings_lite_script_decorator_takes_a_name_and_the_sheets_to_send():
    """The keywords main.py gives ``@script`` are those of Lite's own decorator in the
    installed xlwings (read from its source: importing it needs a licence key)."""
    import xlwings

    source = (Path(xlwings.__file__).parent / "pro" / "udfs_officejs.py").read_text("utf-8")
    defined = [
        n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "script"
    ]
    assert defined  # its typing overloads, then the function itself
    assert {"name", "include"} <= {a.arg for a in defined[-1].args.args}


def test_main_py_says_in_french_when_sofi_bulk_is_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "sofi_bulk.lite", None)  # as if requirements.txt were empty
    monkeypatch.delattr(sofi_bulk, "lite")
    with pytest.raises(ImportError, match="sofi-bulk n'est pas installé : collez dans l'onglet"):
        load_main("lite_main_without_sofi_bulk")


def test_the_add_in_loads_no_file_format_library_nor_the_command_line():
    """Lite has no use for openpyxl or click: importing the face and checking rows loads
    neither (nor xlwings: the Book is duck-typed)."""
    import subprocess

    code = (
        "import sys; from sofi_bulk import lite; "
        "print(sorted(m for m in ('openpyxl', 'click', 'rich', 'xlwings', 'python_calamine', "
        "'lxml', 'jsonschema') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_an_excel_error_cell_reaches_the_checks_as_a_formula_error(book):
    excel = excel_from_input(book)
    places = f"{column_of(SESSIONS_SHEET, 'places').letter}4"
    excel.sheet(SESSIONS_SHEET).values[cell(places)] = "#DIV/0!"  # what Lite sends
    result = sofi_bulk.check(read_book(excel.open(lite.SHEETS)))
    assert [(i.code, i.cell) for i in result.issues] == [("formule-en-erreur", places)]
