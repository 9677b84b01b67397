"""Benchmark of the Excel add-in: « controler » on a 5,000-session workbook (as many
informations collectives and périodes), under Pyodide in Node (the Python of xlwings Lite)
and under CPython: the actions it sends to Excel and the time its Python takes. Excel's own
time to apply the actions can only be measured in Excel (README, manual checklist).

    python benchmarks/lite.py          # 5000 sessions
    python benchmarks/lite.py 2000
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.lite_run import main as run_cpython  # noqa: E402
from sofi_bulk.excel.sample import make_sample  # noqa: E402
from tests.pyodide import env  # noqa: E402


def result_of(output: str) -> dict:
    return json.loads(next(x for x in output.splitlines() if x.startswith("RESULT "))[7:])


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_sample(n).save(folder / "bench.xlsx")
        site = env.build_site(folder, env.build_wheel(folder / "dist"))
        started = time.perf_counter()
        pyodide = result_of(env.run_python(site, folder, ROOT / "benchmarks" / "lite_run.py"))
        total = time.perf_counter() - started
        cpython = run_cpython(folder / "bench.xlsx")
    print(f"{n} sessions — {pyodide['alert'].splitlines()[0]}")
    for label, out in (("Pyodide (Node)", pyodide), ("CPython", cpython)):
        for i, run in enumerate(out["runs"], start=1):
            seconds, actions, kinds = run["seconds"], run["actions"], run["by_kind"]
            print(f"  {label}, passage {i} : {seconds} s, {actions} actions {kinds}")
    print(f"  Node + Pyodide en tout (démarrage, lecture du fichier comprise) : {total:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
