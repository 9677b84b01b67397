"""How a value shows in a cell: the dropdown entry of a code, the pre-filled text of a
field. The template writes these; the checks recognise them (an untouched pre-filled row
is blank, a fixed value is compared with what the template wrote)."""

from __future__ import annotations

from typing import Any

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.fields import Field, Kind
from sofi_bulk.core.profile import Profile

MULTI_SEPARATOR = " ; "


def prefill_display(fld: Field, value: Any) -> list[Any]:
    """Cell values for a profile value, one per column of the field."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    if fld.kind is Kind.CODE:
        shown = [table_of(fld).option(str(v)).display for v in values]
    else:
        shown = list(values)
    if fld.multi and fld.columns == 1:
        return [MULTI_SEPARATOR.join(str(v) for v in shown)]
    return shown


def field_options(fld: Field, profile: Profile) -> list[str]:
    """Dropdown entries of a code field, restricted to the profile's allowed codes."""
    if fld.key in profile.fixed:
        return prefill_display(fld, profile.fixed[fld.key])
    table = table_of(fld)
    return [o.display for o in table.restricted(profile.allowed.get(fld.key))]
