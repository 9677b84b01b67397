"""The Excel add-in (xlwings Lite): what the buttons of ``addin/main.py`` run.

A face like the command line: it reads the open workbook (``reader``), runs the same
checks, and paints the same annotation plan in place (``painter``). It never imports
xlwings, openpyxl or click: the ``Book`` it is given is duck-typed.
"""

from __future__ import annotations

from typing import Any

from sofi_bulk.lite.reader import SHEETS
from sofi_bulk.lite.scripts import BUTTONS, control, erase, export_lheo, export_submission, guarded

__all__ = [
    "BUTTONS",
    "SHEETS",
    "controler",
    "effacer_controle",
    "exporter_lheo",
    "exporter_soumission",
]


def controler(book: Any) -> str:
    return guarded(control, book)


def effacer_controle(book: Any) -> str:
    return guarded(erase, book)


def exporter_soumission(book: Any) -> str:
    return guarded(export_submission, book)


def exporter_lheo(book: Any) -> str:
    return guarded(export_lheo, book)
