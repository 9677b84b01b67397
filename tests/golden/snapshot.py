"""What the user gets from each command, as plain JSON data, for the golden comparisons.

Everything goes through the ``sofi-bulk`` command (in-process), so a move of modules
inside the package cannot change what is compared. Clock-dependent parts are masked.

    SOFI_UPDATE_GOLDEN=1 python -m pytest tests/golden   # rewrite the expected files
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter as column_letter

from tests.conftest import styled
from tests.golden.cases import build

MARK_COLOURS = {"FFC7CE", "FFE0B2", "C6EFCE"}
DATA_SHEETS = ("Sessions", "Infos collectives", "Périodes inscription")
SHOWN_ROWS = 14


def _run(*args: str) -> tuple[int, str, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from sofi_bulk.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code or 0
    return code, out.getvalue(), err.getvalue()


def _value(v: Any) -> Any:
    return v if isinstance(v, str | int | float | bool) or v is None else repr(v)


def _rgb(cell: Any) -> str | None:
    colour = (
        cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type == "solid" else None
    )
    return colour[-6:] if isinstance(colour, str) else None


def workbook_snapshot(path: Path) -> dict[str, Any]:
    book = load_workbook(path)
    shot: dict[str, Any] = {
        "sheets": [(ws.title, ws.sheet_state) for ws in book.worksheets],
        "detail": {},
    }
    for ws in book.worksheets:
        if ws.title == "_meta":
            keys = [r[0] for r in ws.iter_rows(values_only=True)]
            shot["detail"]["_meta"] = {"keys": keys}
            continue
        detail: dict[str, Any] = {"max_row": ws.max_row, "max_column": ws.max_column}
        limit = SHOWN_ROWS if ws.title in DATA_SHEETS else ws.max_row
        # before iter_rows makes a default (locked) cell of every gap
        locked = [
            f"{column_letter(c)}3"
            for c in range(1, ws.max_column + 1)
            if styled(ws, 3, c).protection.locked
        ]
        values, marks, notes, links = {}, {}, {}, {}
        for row in ws.iter_rows(min_row=1, max_row=limit):
            for cell in row:
                if cell.value not in (None, ""):
                    values[cell.coordinate] = _value(cell.value)
                if _rgb(cell) in MARK_COLOURS:
                    marks[cell.coordinate] = _rgb(cell)
                if cell.comment is not None and cell.row > 2:
                    notes[cell.coordinate] = cell.comment.text
                if cell.hyperlink is not None:
                    links[cell.coordinate] = cell.hyperlink.location
        if ws.title == "Erreurs" and "A1" in values:
            values["A1"] = re.sub(r"\d\d/\d\d/\d{4} à \d\d:\d\d", "<date>", values["A1"])
        detail.update(values=values, marks=marks, notes=notes, links=links)
        if ws.title in DATA_SHEETS:
            detail["header_notes"] = {
                c.coordinate: c.comment.text for c in ws[2] if c.comment is not None
            }
            detail["validations"] = sorted(
                (str(dv.sqref), dv.type, dv.formula1, dv.formula2, dv.error)
                for dv in ws.data_validations.dataValidation
            )
            detail["locked"] = locked
            detail["protected"] = bool(ws.protection.sheet)
        shot["detail"][ws.title] = detail
    shot["names"] = sorted((n, d.attr_text) for n, d in book.defined_names.items())
    return shot


def case_snapshot(name: str, folder: Path) -> dict[str, Any]:
    source = build(name, folder)
    shot: dict[str, Any] = {}
    code, out, err = _run("validate", str(source), "--format", "json")
    shot["validate_json"] = {"status": code, "report": json.loads(out)}
    code, out, err = _run("validate", str(source))
    shot["validate_text"] = {"status": code, "stdout": out.splitlines(), "stderr": err.splitlines()}
    copy = folder / f"{name}-annotee.xlsx"
    code, out, err = _run("validate", str(source), "-o", str(copy))
    shot["annotated"] = {
        "status": code,
        "workbook": workbook_snapshot(copy) if copy.exists() else None,
    }
    sub = folder / f"{name}.json"
    code, out, err = _run("export", str(source), "-o", str(sub))
    data = json.loads(sub.read_text(encoding="utf-8")) if sub.exists() else None
    if data:
        data["header"]["generated_at"] = "<date>"
    shot["export"] = {"status": code, "stderr": err.splitlines() if code else [], "json": data}
    xml = folder / f"{name}.xml"
    code, out, err = _run("lheo", str(source), "-o", str(xml))
    shot["lheo"] = {
        "status": code,
        "stderr": err.splitlines() if code else [],
        "xml": xml.read_text(encoding="utf-8").splitlines() if xml.exists() else None,
    }
    if sub.exists():
        xml2 = folder / f"{name}-depuis-json.xml"
        code, _, _ = _run("lheo", str(sub), "-o", str(xml2))
        shot["lheo_from_json_same"] = code == 0 and xml2.read_bytes() == xml.read_bytes()
    return shot


def template_snapshot(folder: Path) -> dict[str, Any]:
    out = folder / "modele.xlsx"
    code, stdout, _ = _run("template", "-o", str(out))
    stdout = stdout.replace(str(folder), "<dossier>")
    return {"status": code, "stdout": stdout.splitlines(), "workbook": workbook_snapshot(out)}
