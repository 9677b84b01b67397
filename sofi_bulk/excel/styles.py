"""Styles every workbook of the tool shares."""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Font


def font(**style: Any) -> Font:
    """A font of the workbook's own family, Calibri 11 unless told: a font without a name is
    drawn by LibreOffice in a serif, and measured with another font's widths."""
    return Font(**{"name": "Calibri", "size": 11, **style})
