"""An offer taken back, as the rows of a workbook of the current layout: the cells a user
would have picked (a code's dropdown entry, a site's « code - libellé »), the programme's
fixed values in their locked columns, its defaults where the source says nothing.

The check then reads these rows like any workbook (``reprise.take``): a value that no longer
fits the référentiel or the programme is written as the source has it, and marked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from sofi_bulk.core.display import MULTI_SEPARATOR, prefill_display
from sofi_bulk.core.fields import FIELDS, INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET, Field, Kind
from sofi_bulk.core.layout import HEADER_ROW, sheet_columns
from sofi_bulk.core.parse import CellError, code_token, parse_code, split_multi
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.referentiel import Referentiel
from sofi_bulk.core.values import as_text
from sofi_bulk.core.workbook import Rows
from sofi_bulk.reprise.offer import Replaced, TakenOffer


class RowWriter:
    """Turns the taken values into cells, field by field (each distinct value once)."""

    def __init__(self, offer: TakenOffer, profile: Profile, ref: Referentiel) -> None:
        self.offer, self.profile, self.ref = offer, profile, ref
        self.replaced: dict[tuple[str, str], Replaced] = {}
        self._memo: dict[tuple[str, type, Any], Any] = {}
        self._fixed_seen: dict[tuple[str, Any], Any] = {}
        self._finders: dict[Kind, Callable[[str], Any]] = {
            Kind.SITE: ref.find_site,
            Kind.CONTACT: ref.find_contact,
            Kind.ORGANISME: ref.find_organisme,
        }

    def sheets(self) -> dict[str, Rows]:
        offer = self.offer
        return {
            SESSIONS_SHEET: self.sheet(SESSIONS_SHEET, offer.sessions),
            INFOS_SHEET: self.sheet(INFOS_SHEET, offer.infos),
            PERIODES_SHEET: self.sheet(PERIODES_SHEET, offer.periodes),
        }

    def sheet(self, sheet: str, records: list[dict[str, Any]]) -> Rows:
        """The sheet's rows: a row of what the template pre-fills, where each value the
        source gives replaces the template's (only a row's own keys are looked at)."""
        columns = sheet_columns(sheet)
        width = len(columns)
        places: dict[str, list[int]] = {}
        for col in columns:
            if col.field is not None:
                places.setdefault(col.field.key, []).append(col.index - 1)
        fields = {f.key: f for f in FIELDS if f.sheet == sheet}
        base: list[Any] = [None] * width
        for key, fld in fields.items():
            for index, cell in zip(places[key], self.cells(fld, {}), strict=False):
                base[index] = cell
        fixed = self.profile.fixed
        rows: Rows = [[None] * width for _ in range(HEADER_ROW - 1)]
        rows.append([col.header for col in columns])
        for values in records:
            row = base.copy()
            for key, value in values.items():
                found = fields.get(key)
                if found is None:
                    continue
                fld = found
                if key in fixed:
                    if value is not None and value != "" and value != []:
                        self._compare_fixed(fld, value)
                    continue
                slots = places[key]
                cells = self.cells(fld, values)
                for k, index in enumerate(slots):
                    row[index] = cells[k] if k < len(cells) else None
            rows.append(row)
        return rows

    # -- one field of one row --
    def cells(self, fld: Field, values: dict[str, Any]) -> list[Any]:
        key = fld.key
        profile = self.profile
        if key in profile.fixed:
            return prefill_display(fld, profile.fixed[key])
        if key not in values:
            return prefill_display(fld, profile.prefill(key))
        value = values[key]
        if value is None or value == "" or value == []:
            return []
        if fld.multi:
            items = value if isinstance(value, list) else split_multi(value)
            shown = [self.cell(fld, item) for item in items]
            if fld.columns == 1:
                return [MULTI_SEPARATOR.join(as_text(v) for v in shown)]
            if len(shown) > fld.columns:  # the last column holds the rest, as a user would type
                last = fld.columns - 1
                shown = shown[:last] + [MULTI_SEPARATOR.join(as_text(v) for v in shown[last:])]
            return shown
        return [self.cell(fld, value)]

    def cell(self, fld: Field, value: Any) -> Any:
        memo_key = (fld.key, type(value), value)
        try:
            return self._memo[memo_key]
        except (KeyError, TypeError):
            pass
        shown = self._cell(fld, value)
        with contextlib.suppress(TypeError):
            self._memo[memo_key] = shown
        return shown

    def _cell(self, fld: Field, value: Any) -> Any:
        kind = fld.kind
        if kind is Kind.CODE:
            try:
                return _option_display(fld, parse_code(fld, value))
            except CellError:
                return value  # as the source has it: the check marks it
        if kind in self._finders:
            text = code_token(value)
            found = self._finders[kind](text)
            if found is not None:
                return found.display
            name = self.offer.names.get((kind, text))
            return f"{text} - {name}" if name and name != text else text
        return value

    def _compare_fixed(self, fld: Field, value: Any) -> None:
        """Note a source value that differs from the programme's fixed one."""
        try:
            seen = self._fixed_seen.get((fld.key, value))
        except TypeError:  # a list: compared as a tuple
            seen = self._fixed_seen.get((fld.key, tuple(value)))
            value_key: Any = (fld.key, tuple(value))
        else:
            value_key = (fld.key, value)
        if seen is not None:
            if seen is not _SAME:
                seen.count += 1
            return
        entry = self._differs(fld, value)
        self._fixed_seen[value_key] = entry if entry is not None else _SAME

    def _differs(self, fld: Field, value: Any) -> Replaced | None:
        fixed = self.profile.fixed[fld.key]
        items = value if isinstance(value, list) else [value]
        if fld.multi and isinstance(value, str):
            items = split_multi(value)
        if fld.kind is Kind.CODE:
            found = []
            for item in items:
                try:
                    found.append(parse_code(fld, item))
                except CellError:
                    found.append(as_text(item))
        else:
            found = [" ".join(as_text(item).split()) for item in items]
        wanted = fixed if isinstance(fixed, list) else [fixed]
        if set(map(str, found)) == set(map(str, wanted)):
            return None
        old = MULTI_SEPARATOR.join(str(v) for v in found)
        new = MULTI_SEPARATOR.join(str(v) for v in prefill_display(fld, fixed))
        entry = self.replaced.get((fld.key, old))
        if entry is None:
            entry = self.replaced[(fld.key, old)] = Replaced(fld.key, old, new)
        entry.count += 1
        return entry


_SAME = object()  # a fixed value the source holds as the programme does


def _option_display(fld: Field, code: str) -> str:
    return prefill_display(fld, code)[0]


def offer_sheets(
    offer: TakenOffer, profile: Profile, ref: Referentiel
) -> tuple[dict[str, Rows], list[Replaced]]:
    """The three data sheets of the offer, in the current layout, and the fixed values the
    programme's replaced."""
    writer = RowWriter(offer, profile, ref)
    sheets = writer.sheets()
    return sheets, list(writer.replaced.values())
