"""Benchmark: validate, annotated copy and export on 100, 1,000 and 10,000 sessions.

Beside them, a bare python-calamine read and a bare openpyxl load+save of the same
files, so the figures read as ratios to what the libraries cost by themselves.

    python benchmarks/bench.py            # 100, 1000, 10000 sessions
    python benchmarks/bench.py 2000       # chosen sizes
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from sofi_bulk.core.context import resolve_context
from sofi_bulk.core.validate import validate_book
from sofi_bulk.excel.copy import AnnotatedCopy
from sofi_bulk.excel.reader import read_workbook
from sofi_bulk.excel.sample import make_sample
from sofi_bulk.submission.build import build_submission
from sofi_bulk.submission.io import dumps


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def bench(n: int, folder: Path) -> dict[str, float]:
    path = folder / f"bench-{n}.xlsx"
    gen, _ = timed(lambda: make_sample(n).save(path))

    def validate():
        book = read_workbook(path)
        ctx = resolve_context(book)
        return book, validate_book(book, ctx.profile, ctx.referentiel, ctx.notices)

    t_validate, (book, result) = timed(validate)
    assert result.ok, result.errors[:3]
    t_annotate, _ = timed(
        lambda: AnnotatedCopy(result).build().save(folder / f"bench-{n}-annotee.xlsx")
    )
    t_export, _ = timed(
        lambda: (folder / f"bench-{n}.json").write_text(dumps(build_submission(result)))
    )

    def calamine():
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()

    t_calamine, _ = timed(calamine)
    t_openpyxl, _ = timed(lambda: load_workbook(path).save(folder / f"bench-{n}-resave.xlsx"))
    return {
        "sessions": n,
        "generate": gen,
        "validate": t_validate,
        "annotate": t_annotate,
        "export": t_export,
        "calamine": t_calamine,
        "openpyxl": t_openpyxl,
        "mib": path.stat().st_size / 2**20,
    }


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000, 10000]
    print(
        "| sessions | fichier | validate | copie annotée | export JSON | lecture calamine seule "
        "| openpyxl chargement+enregistrement seul | validate / calamine | annotée / openpyxl |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            r = bench(n, Path(tmp))
            print(
                f"| {n:,} | {r['mib']:.1f} Mio | {r['validate']:.2f} s | {r['annotate']:.2f} s | "
                f"{r['export']:.2f} s "
                f"| {r['calamine']:.2f} s | {r['openpyxl']:.2f} s | "
                f"{r['validate'] / r['calamine']:.1f}× "
                f"| {r['annotate'] / r['openpyxl']:.1f}× |".replace(",", " "),
                flush=True,
            )


if __name__ == "__main__":
    main()
