"""Where things sit in a sofi-bulk workbook: sheets, rows, columns and list names, and the
layout's stamp.

The template writer, the annotated copy and the reader's fallbacks all take positions
from here, so a column moved in the catalogue moves everywhere at once. The stamp the
template writes in ``_meta`` is computed from the columns themselves (``layout_stamp``):
nobody has to remember to change it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sofi_bulk.core.cells import column_letter
from sofi_bulk.core.display import prefill_display
from sofi_bulk.core.fields import (
    FIELDS,
    INFOS_SHEET,
    PERIODES_SHEET,
    SESSIONS_SHEET,
    Field,
    Level,
)
from sofi_bulk.core.profile import Profile

BAND_ROW = 1
HEADER_ROW = 2
FIRST_DATA_ROW = 3
SESSION_ROWS = 1000
CHILD_ROWS = 2000

STATUS_HEADER = "Contrôle"
# _meta key of templates whose « Contrôle » column is unlocked (the Excel add-in writes it on
# the protected sheet; older templates lock it)
STATUS_UNLOCKED = "status_unlocked"
# _meta key of an annotated copy written by ``validate --en-place``: the user's working file
WRITTEN_IN_PLACE = "written_in_place"
# _meta key: the address of the service that handed the template out (its Aide names the
# add-in's page there; the annotated copy keeps it)
SERVICE = "service"
HELP_SHEET = "Aide"
LISTS_SHEET = "Listes"
META_SHEET = "_meta"
ERRORS_SHEET = "Erreurs"
DATA_SHEETS = (SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET)
TOOL_SHEETS = (HELP_SHEET, LISTS_SHEET, META_SHEET, ERRORS_SHEET)

LEVEL_COLOURS: dict[Level, tuple[str, str]] = {  # (band, header) fills
    Level.IDENT: ("44546A", "D6DCE4"),
    Level.FORMATION: ("2F5597", "D9E2F3"),
    Level.ACTION: ("548235", "E2EFDA"),
    Level.SESSION: ("BF8F00", "FFF2CC"),
    Level.DISPOSITIF: ("7030A0", "E4D7F0"),
    Level.INFO_COLLECTIVE: ("BF8F00", "FFF2CC"),
    Level.PERIODE_INSCRIPTION: ("BF8F00", "FFF2CC"),
}


@dataclass(frozen=True)
class Column:
    field: Field | None  # None: the status column written by validate
    part: int  # index within a multi-column field
    header: str
    index: int  # 1-based

    @property
    def letter(self) -> str:
        return column_letter(self.index)


def sheet_columns(sheet: str) -> list[Column]:
    """The template's columns for a data sheet, status column first."""
    cols = [Column(None, 0, STATUS_HEADER, 1)]
    for fld in FIELDS:
        if fld.sheet != sheet:
            continue
        for part, header in enumerate(fld.column_headers()):
            cols.append(Column(fld, part, header, len(cols) + 1))
    return cols


def column_of(sheet: str, key: str, part: int = 0) -> Column:
    for col in sheet_columns(sheet):
        if col.field is not None and col.field.key == key and col.part == part:
            return col
    raise KeyError(key)


def list_name(key: str) -> str:
    """Defined name of the dropdown list of a field (never a direct cross-sheet reference)."""
    return f"L_{key}"


LOT_LIST = list_name("lot")
LOT_YEAR_LIST = "L_lot_annee"
SESSION_REF_LIST = "L_sessions"
SESSION_START_LIST = "L_sessions_debut"
SESSION_LOT_LIST = "L_sessions_lot"
SESSION_FIELD_LISTS = {"start_date": SESSION_START_LIST}  # session fields a child row compares with

# per-lot dependent lists: prefix + the lot's position in LOT_LIST (names cannot hold
# arbitrary lot numbers, and MATCH gives the position in both Excel and LibreOffice)
DEPENDENT_PREFIX = {
    "site": "Sites_",
    "contact": "Contacts_",
    "organisme": "Mandataire_",
    "cr_action_id": "IdActionCR_",
    "cr_mandataire_id": "OfMandataireCR_",
}


# --- the layout's stamp -------------------------------------------------------------------
# The last layout numbered by hand: its workbooks carry no column signature and are read by
# their headers alone (the first computed stamp has the same columns).
LEGACY_FORMAT = "2"

Signature = dict[str, list[list[Any]]]  # sheet -> [header, meaning, required, pre-filled]


def meaning(fld: Field) -> str:
    """How a column's cells are read: its kind, and its code table for a coded one."""
    return f"{fld.kind.value}:{fld.table}" if fld.table else fld.kind.value


def column_signature(profile: Profile) -> Signature:
    """The template's data columns, sheet by sheet and in order: header, meaning, whether
    the programme requires it, and a digest of the value the template pre-fills (by which
    a row left untouched is told from a typed one)."""
    signature: Signature = {}
    for sheet in DATA_SHEETS:
        columns: list[list[Any]] = []
        for fld in FIELDS:
            if fld.sheet != sheet:
                continue
            shown = prefill_display(fld, profile.prefill(fld.key))
            required = profile.is_required(fld.key)
            for part, header in enumerate(fld.column_headers()):
                prefill = shown[part] if part < len(shown) else None
                columns.append([header, meaning(fld), required, _digest(prefill)])
        signature[sheet] = columns
    return signature


def signature_text(signature: Signature) -> str:
    """The signature as the template's ``_meta`` keeps it (``columns``)."""
    return json.dumps(signature, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def layout_stamp(signature: Signature) -> str:
    """The layout's version (``format`` in ``_meta``): a digest of its column signature, so
    that adding, moving, re-reading or requiring a column changes it."""
    return hashlib.sha256(signature_text(signature).encode()).hexdigest()[:12]


def _digest(value: Any) -> str:
    return "" if value is None else hashlib.sha256(str(value).encode()).hexdigest()[:8]
