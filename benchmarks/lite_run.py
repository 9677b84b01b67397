"""Run by benchmarks/lite.py, under Pyodide (in Node) and under CPython: the add-in's
« controler » on a 5,000-session workbook with faults, twice (the second run clears the
first run's marks). Prints one JSON line: actions sent to Excel, and seconds."""

import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])] if sys.platform != "emscripten" else []

from sofi_bulk import lite  # noqa: E402
from sofi_bulk.core.layout import column_of  # noqa: E402
from tests.lite.fake import excel_from_file  # noqa: E402


def add_faults(excel) -> None:
    """Every 10th session ends before it starts, every 50th lacks its places, every 20th
    information collective names an unknown session."""
    sessions, infos = excel.sheet("Sessions"), excel.sheet("Infos collectives")
    end = column_of("Sessions", "end_date").index
    places = column_of("Sessions", "places").index
    ref = column_of("Infos collectives", "ic_session").index
    last = max(r for r, _ in sessions.values)
    for row in range(3, last + 1, 10):
        sessions.values[(row, end)] = "2020-01-01T00:00:00.000Z"
    for row in range(3, last + 1, 50):
        sessions.values.pop((row, places), None)
    for row in range(3, max(r for r, _ in infos.values) + 1, 20):
        infos.values[(row, ref)] = "S99999"


def main(path: Path) -> dict:
    excel = excel_from_file(path)
    add_faults(excel)
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        actions = excel.run(lite.controler, include=lite.SHEETS)
        runs.append(
            {
                "seconds": round(time.perf_counter() - started, 2),
                "actions": len(actions),
                "by_kind": dict(Counter(a["func"] for a in actions)),
            }
        )
    return {"platform": sys.platform, "alert": excel.alerts[-1][0], "runs": runs}


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(Path(sys.argv[1] if len(sys.argv) > 1 else "bench.xlsx"))))
