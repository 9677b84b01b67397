"""The add-in through xlwings' own ``Book`` (its JSON protocol, what Lite's Office.js client
sends), to confirm that the recording stand-in emits the same actions as xlwings itself.

xlwings requires a licence key for ``xw.Book(json=...)``, even offline: this is the one
test that is skipped without ``XLWINGS_LICENSE_KEY`` in the environment. Never commit a key.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

from sofi_bulk import lite
from tests.lite.fake import Excel, col_letter, excel_from_input
from tests.test_plan import faulty

pytestmark = pytest.mark.skipif(
    not os.environ.get("XLWINGS_LICENSE_KEY"),
    reason="xw.Book(json=...) needs an xlwings licence key: set XLWINGS_LICENSE_KEY to run it "
    "(the only test allowed to skip; never commit a key)",
)


def payload(excel: Excel, include: list[str]) -> dict:
    """The book as xlwings Lite's Office.js client sends it."""
    import xlwings as xw

    sheets = []
    for state in excel.sheets:
        rows = state.rows() if state.name in include else [[]]
        sheets.append(
            {
                "name": state.name,
                "visibility": "Visible",
                "values": rows or [[]],
                "pictures": [],
                "shapes": [],
                "charts": [],
                "tables": [],
                "pivot_tables": [],
                "print_area": None,
                "show_gridlines": True,
                "notes": [{"address": f"${col_letter(c)}${r}"} for r, c in state.notes],
            }
        )
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": excel.name, "active_sheet_index": 1, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }


def test_xlwings_own_book_receives_the_actions_the_stand_in_records(book):
    import xlwings as xw

    excel = excel_from_input(faulty(book))
    real = xw.Book(json=payload(excel, lite.SHEETS))
    lite.controler(real)
    actions = real.json()["actions"]
    recorded = excel.run(lite.controler, include=lite.SHEETS)
    assert Counter(a["func"] for a in actions) == Counter(a["func"] for a in recorded)
    colours = [a for a in actions if a["func"] == "setRangeColors"]
    assert all(a["row_count"] * a["column_count"] <= 10_000 for a in colours)
    assert actions[-1]["func"] == "alert"
    assert actions[-1]["args"][0] == excel.alerts[-1][0]
