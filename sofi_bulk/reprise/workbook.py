"""Take back a filled or annotated workbook, of this template version or an earlier one.

The file is read as ``validate`` reads it (every hostile-file check first), and its columns
are found by their headers, as the check finds them: a workbook whose layout the check would
refuse (a required column added since, a pre-filled value changed) is taken back all the
same, since its cells are only copied, never read against the old layout. A row still holding
nothing but what its template pre-filled (by the signature it carries, else the current
programme's) is a blank row. The cells are taken as typed; the user's own columns and sheets,
which the new template has no place for, are counted in the report.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sofi_bulk.core.context import embedded_referentiel
from sofi_bulk.core.display import prefill_display
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import FIELDS
from sofi_bulk.core.layout import DATA_SHEETS, ERRORS_SHEET, TOOL_SHEETS
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.records import SheetMap
from sofi_bulk.core.text import fold
from sofi_bulk.core.validate import find_sheet, map_sheet
from sofi_bulk.core.values import as_text, is_empty
from sofi_bulk.excel.reprise_sheet import REPRISE_SHEET
from sofi_bulk.reprise.offer import TakenOffer

OURS = {fold(name) for name in (*DATA_SHEETS, *TOOL_SHEETS, ERRORS_SHEET, REPRISE_SHEET)}


def read_workbook_offer(raw: bytes, name: str, profile: Profile) -> TakenOffer:
    from sofi_bulk.excel.reader import read_workbook

    book = read_workbook(raw, name)
    meta = book.meta
    version = meta.get("template_version")
    kind = f"classeur (modèle {version})" if version else "classeur"
    offer = TakenOffer(name, kind)
    offer.establishment = meta.get("siret") or None
    offer.lots = [n for n in meta.get("lots", "").split(";") if n]
    try:
        offer.referentiel = embedded_referentiel(book)
    except UserError:  # damaged or edited: the usual référentiel is used, and it is said
        offer.referentiel = None
        offer.leave("copie du référentiel (feuille _meta) abîmée ou modifiée : non utilisée")
    if find_sheet(book, DATA_SHEETS[0]) is None:
        raise UserError(
            f"{name} : feuille « {DATA_SHEETS[0]} » absente ; ce n'est pas un classeur de saisie "
            "sofi-bulk."
        )
    carried = _carried_digests(meta)
    targets = (offer.sessions, offer.infos, offer.periodes)
    for sheet, target in zip(DATA_SHEETS, targets, strict=True):
        actual = find_sheet(book, sheet)
        if actual is None:
            continue
        rows = book.sheets[actual]
        smap = map_sheet(sheet, rows, [])
        if smap is None:
            if any(any(not is_empty(v) for v in row) for row in rows):
                offer.leave(f"feuille « {actual} » (en-têtes introuvables)", actual)
            continue
        _take_sheet(offer, sheet, smap, rows, profile, carried.get(sheet, {}), target)
    for sheet, rows in book.sheets.items():
        if fold(sheet) in OURS:
            continue
        filled = [row for row in rows if any(not is_empty(v) for v in row)]
        if filled:
            offer.leave(f"feuille « {sheet} »", f"{len(filled)} ligne(s)")
    if not offer.sessions:
        raise UserError(f"{name} : la feuille « {DATA_SHEETS[0]} » ne contient aucune session.")
    return offer


def _take_sheet(
    offer: TakenOffer,
    sheet: str,
    smap: SheetMap,
    rows: list[list[Any]],
    profile: Profile,
    carried: dict[str, str],
    target: list[dict[str, Any]],
) -> None:
    fields = [f for f in FIELDS if f.sheet == sheet]
    columns = dict(smap.columns)
    unknown = list(smap.unknown)
    mapped = set(columns.values()) | {smap.status_column} | {c for c, _ in unknown}
    pristine = _pristine(fields, columns, profile, carried)
    for r in range(smap.header_row, len(rows)):
        row = rows[r]
        if _blank(row, columns, pristine):
            continue
        values: dict[str, Any] = {}
        for fld in fields:
            parts = [columns.get((fld.key, p)) for p in range(fld.columns)]
            present = [c for c in parts if c is not None]
            if not present:
                continue  # a column the workbook lacks: the template's value
            cells = [row[c] if c < len(row) else None for c in present]
            cells = [None if is_empty(v) else v for v in cells]
            if fld.columns > 1:
                values[fld.key] = [v for v in cells if v is not None]
            else:
                values[fld.key] = cells[0]
        target.append(values)
        for c, header in unknown:
            if c < len(row) and not is_empty(row[c]):
                offer.leave(f"{smap.sheet} : colonne « {header} »", row[c])
        for c, value in enumerate(row):
            if c not in mapped and not is_empty(value):
                offer.leave(f"{smap.sheet} : colonne sans en-tête", value)


def _pristine(
    fields: list[Any],
    columns: dict[tuple[str, int], int],
    profile: Profile,
    carried: dict[str, str],
) -> dict[int, set[str]]:
    """By column, the digests of what a template pre-filled there: the current programme's
    value, and the value the workbook's own template wrote (its signature)."""
    out: dict[int, set[str]] = {}
    for fld in fields:
        shown = prefill_display(fld, profile.prefill(fld.key))
        for part, header in enumerate(fld.column_headers()):
            col = columns.get((fld.key, part))
            if col is None:
                continue
            digests = out.setdefault(col, set())
            if part < len(shown):
                digests.add(_digest(shown[part]))
            if carried.get(header):
                digests.add(carried[header])
    return out


def _blank(
    row: list[Any], columns: dict[tuple[str, int], int], pristine: dict[int, set[str]]
) -> bool:
    for col in columns.values():
        if col >= len(row):
            continue
        value = row[col]
        if is_empty(value):
            continue
        if _digest(value) not in pristine.get(col, ()):
            return False
    return True


def _digest(value: Any) -> str:
    """As the layout's signature digests a pre-filled value (``core.layout``)."""
    text = value if isinstance(value, str) else as_text(value)
    return hashlib.sha256(str(text).encode()).hexdigest()[:8]


def _carried_digests(meta: dict[str, str]) -> dict[str, dict[str, str]]:
    """Sheet -> header -> digest of the value the workbook's own template pre-filled."""
    try:
        signature = json.loads(meta.get("columns") or "{}")
    except (ValueError, RecursionError):
        return {}
    out: dict[str, dict[str, str]] = {}
    if not isinstance(signature, dict):
        return {}
    for sheet, columns in signature.items():
        if not isinstance(columns, list):
            continue
        for column in columns:
            if isinstance(column, list) and len(column) == 4 and isinstance(column[0], str):
                out.setdefault(str(sheet), {})[column[0]] = str(column[3] or "")
    return out
