"""The annotation plan: what to mark for a validation result, as plain data.

Every face paints the same plan: the command line into a fresh copy of the template
(openpyxl), the add-in into the open workbook (xlwings Lite), the web page as HTML. The
plan says which cell gets which severity and note, each row's status text, the lines of
the « Erreurs » sheet with their link targets, and which marks of an earlier run to
clear. The painters decide nothing; they only paint.

Cells are given in a layout: ``InPlace`` (the workbook as it was read: the add-in, the
web page) or ``TemplateCopy`` (the rebuilt template of the annotated copy, where columns
take the template's order and the header row is the template's).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

from sofi_bulk.core.cells import column_index, column_letter, split_ref
from sofi_bulk.core.fields import BY_KEY, INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET, Field
from sofi_bulk.core.identity import CREATION, DESACTIVATION, MODIFICATION, operation_of
from sofi_bulk.core.issues import Issue, Severity
from sofi_bulk.core.layout import (
    DATA_SHEETS,
    ERRORS_SHEET,
    HEADER_ROW,
    column_of,
    sheet_columns,
)
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.records import Record, SheetMap, ValidationResult
from sofi_bulk.core.text import counts, fold

# the colours every face uses (RGB hex): the same marks in Excel, LibreOffice and the browser
COLOURS = {
    "erreur": "FFC7CE",
    "avertissement": "FFE0B2",
    "ok": "C6EFCE",
    "fixed": "EDEDED",  # a column whose value the programme fixes
    "status": "F2F2F2",  # the « Contrôle » column of the template
    "header": "D9D9D9",  # the header row of the « Erreurs » sheet
}
SEVERITY_LABELS = {Severity.ERROR: "erreur", Severity.WARNING: "avertissement"}
# the link first, the message right after it (what a user reads), then the rest; the widths
# (characters) keep the whole line on a 1,366 px screen, the message wrapped in its column
ERRORS_HEADERS = ("Cellule", "Message", "Gravité", "Feuille", "Ligne", "Colonne", "Code")
ERRORS_WIDTHS = (10, 80, 13, 20, 7, 24, 24)
ERRORS_MESSAGE_COLUMN = ERRORS_HEADERS.index("Message") + 1
ERRORS_HEADER_ROW = 3  # the title sits in A1, the headers in row 3, issues from row 4
# a row's « Contrôle » cell: a symbol and a short word, in a narrow column; its note says
# the rest (how many issues, what the row does in SOFI)
STATUS_OK = "✔ OK"
STATUS_ERRORS = "✖ à corriger"
STATUS_WARNINGS = "⚠ à vérifier"
STATUS_WIDTH = 12  # characters: the longest status and a margin
OPERATION_NOTES = {
    CREATION: "Dans SOFI, cette ligne crée une session.",
    MODIFICATION: "Dans SOFI, cette ligne modifie une session existante (code FAS complet).",
    DESACTIVATION: "Dans SOFI, cette ligne désactive une session existante (État « Inactif ») : "
    "elle sort de l'offre.",
}


@dataclass(frozen=True)
class Located:
    """Where an issue lands in the layout painted: the template sheet it concerns
    (Sessions, Infos collectives…), the sheet's name there and the cell, when it has one."""

    canonical: str | None
    sheet: str | None
    cell: str | None


@dataclass(frozen=True)
class CellMark:
    """A coloured cell with its note: the worst severity of its issues, their messages."""

    sheet: str
    cell: str
    severity: Severity
    note: str

    @property
    def colour(self) -> str:
        return COLOURS[str(self.severity)]


@dataclass(frozen=True)
class RowStatus:
    """The text of a row's « Contrôle » cell, its colour key (erreur, avertissement, ok) and
    its note (None for a row with nothing more to say)."""

    sheet: str
    row: int
    column: int  # 1-based
    text: str
    state: str
    note: str | None = None

    @property
    def cell(self) -> str:
        return f"{column_letter(self.column)}{self.row}"

    @property
    def colour(self) -> str:
        return COLOURS[self.state]


@dataclass(frozen=True)
class ErrorLine:
    """One line of the « Erreurs » sheet; ``link`` is the in-workbook target of its cell."""

    severity: Severity
    sheet: str
    cell: str | None
    row: int | None
    column: str
    code: str
    message: str

    @property
    def link(self) -> str | None:
        if not self.cell:
            return None
        return "'" + self.sheet.replace("'", "''") + f"'!{self.cell}"

    def values(self) -> list[Any]:
        """The line's cells, in the order of ERRORS_HEADERS."""
        return [
            self.cell or "",
            self.message,
            SEVERITY_LABELS[self.severity],
            self.sheet,
            self.row,
            self.column,
            self.code,
        ]


@dataclass(frozen=True)
class StatusArea:
    """A « Contrôle » column whose earlier texts are cleared before the new ones are written;
    its cells get the template's fill back (``colour``) unless a new status paints them."""

    sheet: str
    column: int  # 1-based
    first_row: int
    last_row: int
    colour: str = COLOURS["status"]


@dataclass(frozen=True)
class Unmark:
    """A cell an earlier run marked: its fill goes back to ``colour`` (None: no fill), its
    note goes away."""

    sheet: str
    cell: str
    colour: str | None


@dataclass
class ClearPlan:
    cells: list[Unmark] = field(default_factory=list)
    statuses: list[StatusArea] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)  # tool sheets to delete (the old « Erreurs »)


@dataclass
class AnnotationPlan:
    marks: list[CellMark]
    statuses: list[RowStatus]
    errors: list[ErrorLine]
    title: str
    error_count: int
    warning_count: int
    clear: ClearPlan = field(default_factory=ClearPlan)
    errors_sheet: str = ERRORS_SHEET
    headers: tuple[str, ...] = ERRORS_HEADERS

    @property
    def summary(self) -> str:
        """« 3 erreurs, 1 avertissement »."""
        return counts(self.error_count, self.warning_count)

    def rows(self) -> list[list[Any]]:
        """The « Erreurs » sheet as a block of values: title, blank row, headers, then one line
        per issue."""
        width = len(self.headers)
        head: list[list[Any]] = [
            [self.title] + [None] * (width - 1),
            [None] * width,
            list(self.headers),
        ]
        return head + [line.values() for line in self.errors]


# --- layouts ------------------------------------------------------------------------------------
class Layout(Protocol):
    def locate(self, issue: Issue) -> Located: ...

    def target_sheet(self, canonical: str) -> str: ...

    def row(self, canonical: str, source_row: int) -> int: ...

    def status_column(self, canonical: str) -> int | None: ...


def canonical_sheet(result: ValidationResult, name: str) -> str | None:
    """The template sheet (Sessions, Infos collectives…) a sheet of the user's file stands for."""
    for canonical, smap in result.maps.items():
        if smap.sheet == name:
            return canonical
    return next((s for s in DATA_SHEETS if fold(s) == fold(name)), None)


class InPlace:
    """The workbook as it was read: issues stay in their own cells."""

    def __init__(self, result: ValidationResult) -> None:
        self.result = result

    def locate(self, issue: Issue) -> Located:
        canonical = canonical_sheet(self.result, issue.sheet)
        mapped = canonical is not None and canonical in self.result.maps
        return Located(canonical, issue.sheet if mapped else None, issue.cell if mapped else None)

    def target_sheet(self, canonical: str) -> str:
        return self.result.maps[canonical].sheet

    def row(self, canonical: str, source_row: int) -> int:
        return source_row

    def status_column(self, canonical: str) -> int | None:
        column = self.result.maps[canonical].status_column
        return None if column is None else column + 1


class TemplateCopy:
    """The rebuilt template: each known column in the template's place, the user's other
    columns after them in their order, data from the template's first data row."""

    def __init__(self, result: ValidationResult) -> None:
        self.result = result
        self.extra: dict[
            str, dict[int, int]
        ] = {}  # canonical sheet -> source column -> copy column (0/1-based)
        self.targets: dict[str, dict[int, int]] = {}
        book = result.book
        for canonical, smap in result.maps.items():
            self.targets[canonical] = {
                idx: column_of(canonical, key, part).index
                for (key, part), idx in smap.columns.items()
            }
            rows = book.sheets.get(smap.sheet, []) if book is not None else []
            self.extra[canonical] = dict(extra_columns(canonical, smap, rows))

    def locate(self, issue: Issue) -> Located:
        canonical = canonical_sheet(self.result, issue.sheet)
        if (
            canonical is not None
            and issue.cell is None
            and issue.code == "colonne-manquante"
            and issue.field
        ):
            return Located(
                canonical, canonical, f"{column_of(canonical, issue.field).letter}{HEADER_ROW}"
            )
        if canonical is None or issue.cell is None or canonical not in self.result.maps:
            return Located(canonical, canonical, None)
        letters, row = split_ref(issue.cell)
        idx = column_index(letters) - 1
        target = self.targets[canonical].get(idx, self.extra[canonical].get(idx))
        if target is None:
            return Located(canonical, canonical, None)
        return Located(canonical, canonical, f"{column_letter(target)}{self.row(canonical, row)}")

    def target_sheet(self, canonical: str) -> str:
        return canonical

    def row(self, canonical: str, source_row: int) -> int:
        return source_row - self.result.maps[canonical].header_row + HEADER_ROW

    def status_column(self, canonical: str) -> int | None:
        return 1


def extra_columns(canonical: str, smap: SheetMap, rows: list[list[Any]]) -> list[tuple[int, int]]:
    """Columns of the user's sheet the template does not know (added, duplicated, without a
    header) that hold something: (source index 0-based, copy column 1-based), in order,
    after the template's own columns."""
    known = set(smap.columns.values()) | (
        {smap.status_column} if smap.status_column is not None else set()
    )
    used = sorted(
        {
            c
            for row in rows[smap.header_row - 1 :]
            for c, v in enumerate(row)
            if c not in known and v not in (None, "")
        }
    )
    first = len(sheet_columns(canonical)) + 1
    return [(idx, first + k) for k, idx in enumerate(used)]


# --- the plan -----------------------------------------------------------------------------------
def note_text(issues: list[Issue], profile: Profile | None = None) -> str:
    """A marked cell's note: its issues first, then the help of its column (what the cell
    shows when pointed at, after a link of « Erreurs » led there)."""
    text = "\n".join(f"{SEVERITY_LABELS[i.severity].capitalize()} : {i.message}" for i in issues)
    fld = next((BY_KEY[i.field] for i in issues if i.field in BY_KEY), None)
    if fld is None or profile is None:
        return text
    return f"{text}\n\nAide de la colonne « {fld.header} » : {column_help(fld, profile)}"


def column_help(fld: Field, profile: Profile) -> str:
    """A column's help as the template gives it (header note, input message) and a marked
    cell's note repeats it: the catalogue's help, then what the programme makes of it."""
    parts = [fld.help]
    if fld.key in profile.fixed:
        parts.append("Valeur imposée par le programme : ne pas modifier.")
    elif profile.is_required(fld.key):
        parts.append("Obligatoire.")
    else:
        parts.append("Facultatif.")
    if fld.key in profile.defaults:
        parts.append("Valeur par défaut pré-remplie, modifiable.")
    return " ".join(parts)


def status_text(
    errors: int, warnings: int, sheet_error: bool, operation: str | None = None
) -> tuple[str, str, str | None]:
    """A row's « Contrôle » text, colour key and note: « ✖ à corriger » with the count of
    its issues and, for a session row, what it does in SOFI in the note."""
    doing = OPERATION_NOTES.get(operation or "")
    note: str | None
    if errors or warnings:
        text, state = (STATUS_ERRORS, "erreur") if errors else (STATUS_WARNINGS, "avertissement")
        note = (
            f"{counts(errors, warnings)} dans cette ligne : voyez ses cellules colorées (leur "
            "note dit quoi corriger) ou la feuille « Erreurs »."
        )
    elif sheet_error:  # a column the whole sheet lacks
        text, state = STATUS_ERRORS, "erreur"
        note = (
            "Une erreur concerne toute la feuille (une colonne manque) : voyez la feuille "
            "« Erreurs »."
        )
    else:
        text, state = STATUS_OK, "ok"
        note = None if operation in (None, CREATION) else "Aucune erreur."
    if note is not None and doing is not None:
        note += " " + doing
    return text, state, note


def row_operation(rec: Record) -> str | None:
    """What a session row does in SOFI, from its FAS code; None when the code is unreadable."""
    if "fas_code" in rec.unusable and rec.get("fas_code") is None:
        return None
    return operation_of(rec.values)


def annotation_plan(
    result: ValidationResult, layout: Layout | None = None, *, checked_at: dt.datetime | None = None
) -> AnnotationPlan:
    """What to paint for ``result``: in place by default, or in the layout given."""
    layout = layout or InPlace(result)
    located = [(issue, layout.locate(issue)) for issue in result.issues]
    by_cell: dict[tuple[str, str], list[Issue]] = defaultdict(list)
    by_row: dict[tuple[str, int], list[Issue]] = defaultdict(list)
    sheet_errors: set[str] = set()
    for issue, where in located:
        if where.sheet and where.cell:
            by_cell[(where.sheet, where.cell)].append(issue)
        if where.canonical in result.maps and issue.row is not None:
            by_row[(where.canonical, layout.row(where.canonical, issue.row))].append(issue)
        if (
            where.canonical
            and where.sheet
            and issue.row is None
            and issue.severity is Severity.ERROR
        ):
            sheet_errors.add(where.canonical)
    marks = []
    for (sheet, cell), issues in by_cell.items():
        worst = (
            Severity.ERROR
            if any(i.severity is Severity.ERROR for i in issues)
            else Severity.WARNING
        )
        marks.append(CellMark(sheet, cell, worst, note_text(issues, result.profile)))
    statuses = []
    for canonical, records in _records(result).items():
        column = layout.status_column(canonical) if canonical in result.maps else None
        if column is None:
            continue
        target = layout.target_sheet(canonical)
        for rec in records:
            row = layout.row(canonical, rec.row)
            issues = by_row.get((canonical, row), [])
            errors = sum(1 for i in issues if i.severity is Severity.ERROR)
            operation = row_operation(rec) if canonical == SESSIONS_SHEET else None
            text, state, note = status_text(
                errors, len(issues) - errors, canonical in sheet_errors, operation
            )
            statuses.append(RowStatus(target, row, column, text, state, note))
    lines = [_error_line(issue, where) for issue, where in located]
    when = checked_at or dt.datetime.now()
    n_err, n_warn = len(result.errors), len(result.warnings)
    if n_err:
        todo = (
            "Cliquez sur une cellule pour y aller, corrigez, puis relancez le contrôle sur ce "
            "fichier."
        )
    elif n_warn:
        todo = (
            "Aucune erreur : l'offre peut être exportée. Cliquez sur une cellule pour voir un "
            "avertissement."
        )
    else:
        todo = "Aucune erreur : l'offre peut être exportée."
    title = f"Contrôle du {when:%d/%m/%Y à %H:%M} : {counts(n_err, n_warn)}. {todo}"
    clear = previous_marks(result) if isinstance(layout, InPlace) else ClearPlan()
    return AnnotationPlan(marks, statuses, lines, title, n_err, n_warn, clear)


def error_lines(result: ValidationResult) -> list[ErrorLine]:
    """The « Erreurs » lines of ``result`` in its own workbook, as ``annotation_plan`` gives
    them, without the rest of the plan: what a report shows (the web service's)."""
    layout = InPlace(result)
    return [_error_line(issue, layout.locate(issue)) for issue in result.issues]


def _error_line(issue: Issue, where: Located) -> ErrorLine:
    return ErrorLine(
        issue.severity,
        where.sheet or issue.sheet,
        where.cell,
        split_ref(where.cell)[1] if where.cell else None,
        BY_KEY[issue.field].header if issue.field in BY_KEY else "",
        issue.code,
        issue.message,
    )


def _records(result: ValidationResult) -> dict[str, list[Record]]:
    return {
        SESSIONS_SHEET: result.sessions,
        INFOS_SHEET: result.infos,
        PERIODES_SHEET: result.periodes,
    }


def previous_marks(result: ValidationResult) -> ClearPlan:
    """An earlier run's marks in the workbook itself: the cells its « Erreurs » sheet lists,
    every « Contrôle » cell of the data rows (with the note of each one not « ✔ OK »), and
    that « Erreurs » sheet."""
    book = result.book
    plan = ClearPlan()
    if book is None:
        return plan
    for smap in result.maps.values():
        rows = book.sheets.get(smap.sheet, [])
        column = smap.status_column
        if column is not None and len(rows) > smap.header_row:
            plan.statuses.append(StatusArea(smap.sheet, column + 1, smap.header_row + 1, len(rows)))
            letter = column_letter(column + 1)
            plan.cells.extend(  # a status other than « ✔ OK » may carry a note: it goes too
                Unmark(smap.sheet, f"{letter}{number}", COLOURS["status"])
                for number, row in enumerate(rows[smap.header_row :], start=smap.header_row + 1)
                if column < len(row) and row[column] not in (None, "", STATUS_OK)
            )
    old = next((name for name in book.sheets if fold(name) == fold(ERRORS_SHEET)), None)
    if old is None:
        return plan
    plan.sheets.append(old)
    fixed = {
        canonical: {idx for (key, _), idx in smap.columns.items() if key in result.profile.fixed}
        for canonical, smap in result.maps.items()
    }
    seen: set[tuple[str, str]] = set()
    rows = book.sheets[old]
    at_sheet, at_cell = _errors_columns(rows[ERRORS_HEADER_ROW - 1] if len(rows) >= 3 else [])
    for row in rows[ERRORS_HEADER_ROW:]:
        if len(row) <= max(at_sheet, at_cell):
            continue
        sheet, cell = row[at_sheet], row[at_cell]
        if not isinstance(sheet, str) or not isinstance(cell, str):
            continue
        cell = cell.strip().upper()
        canonical = canonical_sheet(result, sheet)
        if canonical not in result.maps or (sheet, cell) in seen:
            continue
        try:
            letters, number = split_ref(cell)
        except ValueError:
            continue  # not a cell reference: text the user typed there
        smap = result.maps[canonical]
        if number <= smap.header_row:
            continue
        seen.add((sheet, cell))
        idx = column_index(letters) - 1
        colour = COLOURS["fixed"] if idx in fixed[canonical] else None
        plan.cells.append(Unmark(result.maps[canonical].sheet, cell, colour))
    return plan


def _errors_columns(headers: list[Any]) -> tuple[int, int]:
    """Where an earlier « Erreurs » sheet holds the sheet and the cell of each line (0-based):
    found by their headers, else where versions before issue 29 put them."""
    found = {fold(str(h)): i for i, h in enumerate(headers) if h not in (None, "")}
    sheet, cell = found.get(fold("Feuille")), found.get(fold("Cellule"))
    return (1, 2) if sheet is None or cell is None else (sheet, cell)
