"""The validation core: plain rows of cell values in, typed records and issues out.

No file format here: the CLI, the add-in and the web service all feed it a
``WorkbookInput`` (sheet name -> rows of values) and read a ``ValidationResult``. Rules
of the procedure are declared in ``rules.py``; this module finds the columns, skips blank
rows, parses every cell and locates every issue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sofi_bulk.core.cells import column_index, column_letter, split_ref
from sofi_bulk.core.checking import field_issue
from sofi_bulk.core.codes import table_of
from sofi_bulk.core.display import prefill_display
from sofi_bulk.core.errors import WorkbookError
from sofi_bulk.core.fields import (
    BY_KEY,
    FIELDS,
    INFOS_SHEET,
    PERIODES_SHEET,
    SESSIONS_SHEET,
    Field,
    Kind,
)
from sofi_bulk.core.issues import Issue, make_issue
from sofi_bulk.core.layout import STATUS_HEADER
from sofi_bulk.core.memory import collector_paused
from sofi_bulk.core.parse import CellError, parse_scalar, scalar_parser, split_multi
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.records import Record, SheetMap, ValidationResult
from sofi_bulk.core.referentiel import Referentiel
from sofi_bulk.core.rules import check_rules
from sofi_bulk.core.text import fold
from sofi_bulk.core.values import as_text, is_empty
from sofi_bulk.core.workbook import WorkbookInput

HEADER_SCAN_ROWS = 30

REQUIRED_HINTS: dict[Kind, str] = {
    Kind.CODE: "choisissez une valeur dans la liste.",
    Kind.DATE: "saisissez une date au format jj/mm/aaaa.",
    Kind.INT: "saisissez un nombre entier.",
    Kind.DECIMAL: "saisissez un nombre.",
    Kind.LOT: "choisissez le lot dans la liste.",
    Kind.SITE: "choisissez un site dans la liste (elle dépend du lot).",
    Kind.CONTACT: "choisissez un contact dans la liste (elle dépend du lot).",
    Kind.ORGANISME: "choisissez le mandataire du lot dans la liste.",
    Kind.SESSION_REF: "choisissez la Réf. session dans la liste.",
}


# --- finding sheets and columns -----------------------------------------------------------
def _header_key(value: Any) -> str:
    return fold(str(value)).replace("*", "").strip() if value is not None else ""


def _header_index(sheet: str) -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for fld in FIELDS:
        if fld.sheet != sheet:
            continue
        for part, header in enumerate(fld.column_headers()):
            index[_header_key(header)] = (fld.key, part)
        index.setdefault(_header_key(fld.header), (fld.key, 0))
    return index


def map_sheet(sheet: str, rows: list[list[Any]], issues: list[Issue]) -> SheetMap | None:
    index = _header_index(sheet)
    best, best_row = 0, None
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = sum(1 for v in row if _header_key(v) in index)
        if hits > best:
            best, best_row = hits, r
    if best_row is None or best < 2:
        return None
    smap = SheetMap(sheet, best_row + 1)
    for c, value in enumerate(rows[best_row]):
        key = _header_key(value)
        if not key:
            continue
        if key == _header_key(STATUS_HEADER):
            smap.status_column = c
        elif key in index:
            target = index[key]
            if target in smap.columns:
                first = column_letter(smap.columns[target] + 1)
                issues.append(
                    make_issue(
                        "colonne-en-double",
                        sheet,
                        f"{column_letter(c + 1)}{best_row + 1}",
                        row=best_row + 1,
                        field=target[0],
                        col=str(value).strip(),
                        first=first,
                    )
                )
            else:
                smap.columns[target] = c
        else:
            smap.unknown.append((c, str(value)))
    return smap


def find_sheet(book: WorkbookInput, name: str) -> str | None:
    for actual in book.sheets:
        if fold(actual) == fold(name):
            return actual
    return None


# --- parsing rows ---------------------------------------------------------------------------
class RowParser:
    """Parses the rows of one sheet against the catalogue and the profile."""

    def __init__(self, sheet: str, smap: SheetMap, profile: Profile, issues: list[Issue]) -> None:
        self.sheet, self.smap, self.profile, self.issues = sheet, smap, profile, issues
        self.fields = [f for f in FIELDS if f.sheet == sheet]
        self.prefill: dict[int, str] = {}
        self.prefill_raw: dict[int, object] = {}
        for (key, part), col in smap.columns.items():
            shown = prefill_display(BY_KEY[key], profile.prefill(key))
            if part < len(shown):
                self.prefill[col] = fold(str(shown[part]))
                self.prefill_raw[col] = shown[part]
        self.columns = sorted(smap.columns.values())
        self.letters = {
            key: column_letter(col + 1) for (key, part), col in smap.columns.items() if part == 0
        }
        for (key, _part), col in sorted(smap.columns.items()):
            self.letters.setdefault(key, column_letter(col + 1))
        self._memo: dict[tuple[str, type, Any], Any] = {}
        self._values_cache: tuple[list[Record], list[dict[str, Any]]] | None = None
        self.checked = set(profile.fixed) | set(
            profile.allowed
        )  # parsing is pure: values repeat a lot
        self.report_missing_columns()

    def report_missing_columns(self) -> None:
        for fld in self.fields:
            if (fld.key, 0) in self.smap.columns or fld.key in self.profile.fixed:
                continue
            if self.profile.is_required(fld.key):
                self.issues.append(
                    make_issue("colonne-manquante", self.sheet, None, field=fld.key, col=fld.header)
                )

    def filled(self, rows: list[list[Any]], start: int) -> list[tuple[int, list[Any]]]:
        """The rows from ``start`` on that hold something, with their 1-based numbers. A row
        with a value in a column the template leaves empty holds something: that is found
        without looking at its other cells (a filled row mostly has its first column)."""
        plain = next((c for c in self.columns if c not in self.prefill_raw), None)
        data = []
        for r in range(start, len(rows)):
            row = rows[r]
            if plain is not None and plain < len(row):
                value = row[plain]
                if value is not None and value.__class__ is not str:
                    data.append((r + 1, row))
                    continue
                if value and not is_empty(value):
                    data.append((r + 1, row))
                    continue
            if not self.is_blank(row):
                data.append((r + 1, row))
        return data

    def is_blank(self, row: list[Any]) -> bool:
        """True when every cell is empty or still holds the template's pre-filled value."""
        prefill_raw = self.prefill_raw
        size = len(row)
        for col in self.columns:
            if col >= size:
                break
            value = row[col]
            if value is None or value == "" or value == prefill_raw.get(col):
                continue
            if is_empty(value):
                continue
            expected = self.prefill.get(col)
            if expected is None or fold(str(value)) != expected:
                return False
        return True

    def parse_rows(self, rows: list[list[Any]], numbers: list[int]) -> list[Record]:
        """Parse data rows column by column: a column's values repeat a lot (pre-filled
        defaults, a handful of lots and sites), so each distinct value is parsed once and
        the per-cell work is a dictionary lookup."""
        records = [Record(self.sheet, n, letters=self.letters) for n in numbers]
        width = max(self.columns, default=-1) + 1
        for row in rows:  # every column read exists in every row: plain indexing below
            if len(row) < width:
                row.extend([None] * (width - len(row)))
        # the sheet by columns, once (C speed), rather than one pass over the rows per column
        columns = list(zip(*rows, strict=False)) if rows else [()] * width
        self._quiet: list[tuple[str, list[Any]]] = []
        self._shared: dict[str, Any] = {}
        for fld in self.fields:
            if fld.multi:
                self._parse_multi_column(fld, columns, records)
            else:
                self._parse_column(fld, columns, records)
        # the columns with nothing to say, given to each row in one update: the values every
        # row shares (pre-filled, fixed) from one dict, merged at C speed; the others by row
        every_row = self._values_of(records)
        if self._shared:
            for values in every_row:
                values.update(self._shared)
        if self._quiet:
            keys = [key for key, _ in self._quiet]
            by_row = zip(*(outcomes for _, outcomes in self._quiet), strict=True)
            for values, row_values in zip(every_row, by_row, strict=True):
                values.update(zip(keys, row_values, strict=True))
        return records

    def _parse_column(
        self, fld: Field, columns: list[tuple[Any, ...]], records: list[Record]
    ) -> None:
        key = fld.key
        col = self.smap.columns.get((key, 0))
        if col is None:
            if key in self.profile.fixed:
                fixed = self.profile.fixed[key]
                for rec in records:
                    rec.values[key] = fixed
            return
        # the column's cells, each distinct one parsed once
        raws = columns[col]  # rows are padded to the sheet's width
        keys: Sequence[Any] = raws
        first = raws[0] if raws else None
        if first.__class__ is str and raws.count(first) == len(raws):
            # a pre-filled text on every row: comparing each cell to the first costs a
            # fraction of hashing it (the defaults are paragraphs); text equals only text
            distinct: dict[Any, None] = {first: None}
        else:
            distinct = dict.fromkeys(raws)
        if _mixes_types(distinct, raws):  # 1, 1.0 and True are equal keys but not the same input
            keys = [r if r.__class__ is str or r is None else (r.__class__, r) for r in raws]
            distinct = dict.fromkeys(keys)
            tagged = True
        else:
            tagged = False
        memo: dict[Any, Any] = {}
        parse = scalar_parser(fld)
        for memo_key in distinct:
            raw = memo_key[1] if tagged and memo_key.__class__ is tuple else memo_key
            if raw is None or (raw.__class__ is str and is_empty(raw)):
                memo[memo_key] = _EMPTY
                continue
            try:
                memo[memo_key] = parse(raw)
            except CellError as err:
                memo[memo_key] = err.detached()
        if len(memo) == 1:  # a pre-filled or fixed column: one value for every row
            outcomes = list(memo.values()) * len(keys)
        else:
            outcomes = list(map(memo.__getitem__, keys))
        checked = key in self.checked
        # an empty cell of an optional field says nothing
        empty_matters = key in self.profile.fixed or self.profile.is_required(key)
        quiet = True  # nothing to say for any cell of the column: values are assigned in bulk
        for outcome in memo.values():
            if outcome is _EMPTY:
                quiet = quiet and not empty_matters
            elif outcome.__class__ is CellError or (
                checked and not self._passes_profile(fld, outcome)
            ):
                quiet = False
        if quiet:
            filled = [v for v in memo.values() if v is not _EMPTY]
            if len(filled) == len(memo) == 1:
                self._shared[key] = filled[0]
            elif len(filled) == len(memo):
                self._quiet.append((key, outcomes))
            elif filled:  # some cells empty, others not: an empty one says nothing
                for values, outcome in zip(self._values_of(records), outcomes, strict=True):
                    if outcome is not _EMPTY:
                        values[key] = outcome
            return
        plain = {k for k, v in memo.items() if v is not _EMPTY and v.__class__ is not CellError}
        if checked:  # a value the profile refuses is not plain: it gets its issue below
            plain = {k for k in plain if self._passes_profile(fld, memo[k])}
        letter = self.letters[key]
        for rec, outcome, memo_key, raw in zip(records, outcomes, keys, raws, strict=True):
            if memo_key in plain:
                rec.values[key] = outcome
            elif outcome is _EMPTY:
                if empty_matters:
                    self._empty(fld, rec, f"{letter}{rec.row}")
            elif outcome.__class__ is CellError:
                self._cell_error(outcome, fld, rec, f"{letter}{rec.row}", raw)
            else:  # parsed, but the profile has something to say
                rec.values[key] = outcome
                self._check_profile(fld, rec, f"{letter}{rec.row}", outcome, raw)

    def _parse_multi_column(
        self, fld: Field, columns: list[tuple[Any, ...]], records: list[Record]
    ) -> None:
        """A multi-valued field, row by row, each distinct set of cells parsed once."""
        present = [
            c
            for part in range(fld.columns)
            if (c := self.smap.columns.get((fld.key, part))) is not None
        ]
        if not present:  # a column the sheet lacks: only a fixed value says something
            if fld.key in self.profile.fixed:
                fixed = self.profile.fixed[fld.key]
                for rec in records:
                    rec.values[fld.key] = list(fixed) if isinstance(fixed, list) else [fixed]
            return
        key = fld.key
        checked = key in self.checked
        cells: list[tuple[Any, ...]] = list(zip(*(columns[c] for c in present), strict=True))
        if not all(set(map(type, columns[c])) <= _TEXT_OR_NONE for c in present):
            # 1, 1.0 and True are equal keys but not the same input
            cells = [tuple((v.__class__, v) for v in raws) for raws in cells]
            plain = False
        else:
            plain = True
        # distinct cells -> (values, items that failed, the profile's verdict)
        memo: dict[tuple[Any, ...], tuple[list[Any], list[tuple[int, Any, CellError]], bool]] = {}
        first_letter = column_letter(present[0] + 1)
        for rec, raws in zip(records, cells, strict=True):
            parsed = memo.get(raws)
            if parsed is None:
                values, errors = self._parse_parts(
                    fld, list(raws) if plain else [v for _, v in raws]
                )
                ok = not checked or not values or self._passes_profile(fld, values)
                parsed = memo[raws] = (values, errors, ok)
            values, errors, ok = parsed
            for index, item, err in errors:
                self._cell_error(
                    err, fld, rec, f"{column_letter(present[index] + 1)}{rec.row}", item
                )
            if not values:
                if key not in rec.unusable:
                    self._empty(fld, rec, f"{first_letter}{rec.row}")
                continue
            rec.values[key] = list(values)
            if not ok:
                self._check_profile(
                    fld, rec, f"{first_letter}{rec.row}", rec.values[key], rec.values[key]
                )

    def _parse_parts(
        self, fld: Field, raws: list[Any]
    ) -> tuple[list[Any], list[tuple[int, Any, CellError]]]:
        """The distinct values of a multi-valued field's cells, and the items that failed."""
        values: list[Any] = []
        errors: list[tuple[int, Any, CellError]] = []
        for index, raw in enumerate(raws):
            if is_empty(raw):
                continue
            for item in split_multi(raw):
                try:
                    value = self._parse(fld, item)
                except CellError as err:
                    errors.append((index, item, err.detached()))
                    continue
                if value not in values:
                    values.append(value)
        return values, errors

    def _values_of(self, records: list[Record]) -> list[dict[str, Any]]:
        if self._values_cache is None or self._values_cache[0] is not records:
            self._values_cache = (records, [rec.values for rec in records])
        return self._values_cache[1]

    def _passes_profile(self, fld: Field, value: Any) -> bool:
        """True when a parsed value needs no profile issue (fixed value kept, code admitted)."""
        profile = self.profile
        if fld.key in profile.fixed:
            fixed = profile.fixed[fld.key]
            same = set(value) == set(fixed) if isinstance(fixed, list) else str(value) == str(fixed)
            if not same:
                return False
        allowed = profile.allowed.get(fld.key)
        items = value if isinstance(value, list) else [value]
        return not allowed or all(item in allowed for item in items)

    def _parse(self, fld: Field, raw: Any) -> Any:
        key = (fld.key, type(raw), raw)
        try:
            outcome = self._memo[key]
        except KeyError:
            try:
                outcome = parse_scalar(fld, raw)
            except CellError as err:
                outcome = err.detached()
            self._memo[key] = outcome
        if isinstance(outcome, CellError):
            raise outcome
        return outcome

    def flag(self, code: str, fld: Field, rec: Record, cell: str, **params: Any) -> None:
        """Report an issue on ``fld``'s cell of ``rec``."""
        self.issues.append(field_issue(code, rec, fld.key, cell, **params))

    def _empty(self, fld: Field, rec: Record, cell: str) -> None:
        if fld.key in self.profile.fixed:
            expected = _fixed_display(fld, self.profile)
            self.flag("valeur-imposee", fld, rec, cell, expected=expected, value="", shown="(vide)")
            rec.values[fld.key] = self.profile.fixed[fld.key]
        elif self.profile.is_required(fld.key):
            hint = REQUIRED_HINTS.get(fld.kind, "renseignez cette cellule.")
            if fld.key in self.profile.defaults:
                hint += " (Valeur par défaut du programme : voir la feuille Aide.)"
            self.flag("champ-obligatoire", fld, rec, cell, hint=hint)

    def _cell_error(self, err: CellError, fld: Field, rec: Record, cell: str, raw: Any) -> None:
        rec.unusable.add(fld.key)
        params = dict(err.params)
        allowed = self.profile.allowed.get(fld.key)
        if (
            err.code == "code-inconnu" and allowed
        ):  # offer what this programme admits, not the whole table
            params["choices"] = admitted(fld, allowed) + "."
        self.flag(err.code, fld, rec, cell, value=as_text(raw), **params)

    def _check_profile(self, fld: Field, rec: Record, cell: str, value: Any, raw: Any) -> None:
        profile = self.profile
        if fld.key in profile.fixed:
            fixed = profile.fixed[fld.key]
            same = set(value) == set(fixed) if isinstance(fixed, list) else str(value) == str(fixed)
            if not same:
                shown = (
                    " ; ".join(as_text(v) for v in value)
                    if isinstance(value, list)
                    else as_text(raw)
                )
                expected = _fixed_display(fld, profile)
                self.flag("valeur-imposee", fld, rec, cell, expected=expected, value=shown)
                rec.values[fld.key] = fixed
        allowed = profile.allowed.get(fld.key)
        if allowed:
            for item in value if isinstance(value, list) else [value]:
                if item not in allowed:
                    self.flag(
                        "code-non-admis",
                        fld,
                        rec,
                        cell,
                        value=item,
                        shown=table_of(fld).option(item).display,
                        choices=admitted(fld, allowed),
                    )
                    rec.unusable.add(fld.key)


def admitted(fld: Field, codes: list[str]) -> str:
    """The dropdown entries of the codes a programme admits, as the messages list them."""
    return " | ".join(table_of(fld).option(c).display for c in codes)


def _fixed_display(fld: Field, profile: Profile) -> str:
    return " ; ".join(str(v) for v in prefill_display(fld, profile.fixed[fld.key]))


_EMPTY = object()
_TEXT_OR_NONE = {str, type(None)}


def _mixes_types(distinct: dict[Any, None], raws: Sequence[Any]) -> bool:
    """True when a column holds values of two classes besides text, which may be equal keys
    (1, 1.0 and True): they must then be told apart by their class. Text never equals
    another class, so a column whose distinct values are all text is not looked at twice;
    otherwise every cell is, since the distinct values hide classes (1 swallows True)."""
    classes = set(map(type, distinct))
    if not classes <= _TEXT_OR_NONE:
        classes = set(map(type, raws))
    return len(classes - _TEXT_OR_NONE) > 1


# --- the entry point ----------------------------------------------------------------------
def read_records(
    book: WorkbookInput,
    sheet: str,
    profile: Profile,
    issues: list[Issue],
    maps: dict[str, SheetMap],
) -> list[Record]:
    actual = find_sheet(book, sheet)
    if actual is None:
        if sheet == SESSIONS_SHEET:
            raise WorkbookError(
                f"{book.name} : feuille « {SESSIONS_SHEET} » absente ; ce n'est pas un "
                "classeur de saisie sofi-bulk (générez-en un avec « sofi-bulk template »)."
            )
        issues.append(make_issue("feuille-manquante", sheet, None))
        return []
    rows = book.sheets[actual]
    smap = map_sheet(sheet, rows, issues)
    if smap is None:
        if sheet == SESSIONS_SHEET:
            raise WorkbookError(
                f"{book.name} : feuille « {actual} » sans ligne d'en-têtes reconnue "
                "(Réf. session, Numéro lot CR, Date début…)."
            )
        issues.append(make_issue("en-tetes-introuvables", actual, None, rows=HEADER_SCAN_ROWS))
        return []
    smap.sheet = actual
    maps[sheet] = smap
    unmerge(actual, rows, book.merges.get(actual, []), smap.header_row, issues)
    parser = RowParser(actual, smap, profile, issues)
    data = parser.filled(rows, smap.header_row)
    return parser.parse_rows([row for _, row in data], [n for n, _ in data])


def unmerge(
    sheet: str,
    rows: list[list[Any]],
    merges: list[tuple[int, int, int, int]],
    header_row: int,
    issues: list[Issue],
) -> None:
    """Give every cell of a merged range in the data area the value of its top-left cell."""
    for r0, c0, r1, c1 in merges:
        if r0 < header_row or r0 >= len(rows):
            continue  # the coloured band and headers: not data
        value = rows[r0][c0] if c0 < len(rows[r0]) else None
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            row.extend([None] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value
        if value not in (None, ""):
            area = f"{column_letter(c0 + 1)}{r0 + 1}:{column_letter(c1 + 1)}{r1 + 1}"
            issues.append(
                make_issue(
                    "cellules-fusionnees",
                    sheet,
                    f"{column_letter(c0 + 1)}{r0 + 1}",
                    row=r0 + 1,
                    value=value,
                    range=area,
                )
            )


def validate_book(
    book: WorkbookInput,
    profile: Profile,
    referentiel: Referentiel,
    notices: list[Issue] | None = None,
    *,
    today: dt.date,
) -> ValidationResult:
    """Check every row of a workbook as on ``today`` (the core never reads the clock: the
    faces give the date); never raises for bad cell values, only for unusable books (the
    garbage collector paused meanwhile: see ``sofi_bulk.core.memory``)."""
    with collector_paused():
        return _validate(book, profile, referentiel, notices, today)


def _validate(
    book: WorkbookInput,
    profile: Profile,
    referentiel: Referentiel,
    notices: list[Issue] | None,
    today: dt.date,
) -> ValidationResult:
    issues: list[Issue] = list(notices or [])
    maps: dict[str, SheetMap] = {}
    sessions = read_records(book, SESSIONS_SHEET, profile, issues, maps)
    if not sessions:
        raise WorkbookError(
            f"{book.name} : la feuille « {SESSIONS_SHEET} » ne contient aucune session. "
            "Remplissez au moins une ligne (Réf. session, lot, dates…)."
        )
    infos = read_records(book, INFOS_SHEET, profile, issues, maps)
    periodes = read_records(book, PERIODES_SHEET, profile, issues, maps)
    result = ValidationResult(
        book.name, profile, referentiel, issues, sessions, infos, periodes, maps, today, book
    )
    check_rules(result)
    result.issues.sort(key=_issue_order)
    return result


SHEET_ORDER = {fold(SESSIONS_SHEET): 0, fold(INFOS_SHEET): 1, fold(PERIODES_SHEET): 2}


def _issue_order(issue: Issue) -> tuple:
    col = 0
    if issue.cell:
        letters, _ = split_ref(issue.cell)
        col = column_index(letters)
    return (SHEET_ORDER.get(fold(issue.sheet), 3), issue.row or 0, col)
