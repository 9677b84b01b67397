"""Run under Pyodide by tests/pyodide/test_pyodide.py (and under CPython for comparison):
check each workbook of input.json (in the working folder) from its file, then through the
add-in on a recording Book; print one JSON line."""

import json
import sys
import time
from collections import Counter
from pathlib import Path

import sofi_bulk
from sofi_bulk import lite
from sofi_bulk.excel import scan
from sofi_bulk.lite.reader import read_book
from tests.lite.fake import excel_from_file


def summary(work: Path) -> dict:
    out = {
        "platform": sys.platform,
        "python": sys.version.split()[0],
        "scan": "re" if scan._ATTENTION is None else "re2",  # the workbook scan's engine
        "files": {},
    }
    for name in json.loads((work / "input.json").read_text(encoding="utf-8")):
        path = work / name
        started = time.perf_counter()
        result = sofi_bulk.check(path)
        checked = time.perf_counter()
        excel = excel_from_file(path)
        through_lite = sofi_bulk.check(read_book(excel.open(lite.SHEETS)))
        actions = excel.run(lite.controler, include=lite.SHEETS)
        out["files"][name] = {
            "issues": [[i.code, i.sheet, i.cell] for i in result.issues],
            "lite_issues": [[i.code, i.sheet, i.cell] for i in through_lite.issues],
            "actions": dict(Counter(a["func"] for a in actions)),
            "alert": excel.alerts[-1][0],
            "check_seconds": checked - started,
        }
    return out


if __name__ == "__main__":
    print("RESULT " + json.dumps(summary(Path(sys.argv[1] if len(sys.argv) > 1 else "."))))
