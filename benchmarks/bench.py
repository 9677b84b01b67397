"""Speed measured against the floor: what the libraries themselves cost for the bare job.

For each size, a realistic workbook (distinct sessions, one information collective and
one registration period each) is written by sofi-bulk (openpyxl, its texts then shared as
Excel shares them), re-saved by openpyxl alone (every text inline in its cell, as a script
that filled the template with openpyxl leaves it: the slowest file to read) and, when
LibreOffice is present, by LibreOffice. Each command runs in a fresh process beside its
floor, in pairs, and the table gives CPU seconds, peak memory and the ratio:

    floor A  python-calamine reading every sheet to Python lists          (validate)
    floor B  openpyxl load_workbook + save of the same file                (validate -o)
    floor C  calamine read + one pydantic model per row + json.dumps       (export)
    floor D  lxml build of the same LHEO tree + XSD validation             (lheo)

    python benchmarks/bench.py                  # 1 000, 10 000 and 49 000 sessions
    python benchmarks/bench.py 2000 --runs 1    # chosen sizes, one run each (default: 5, and
                                                # 1 at 49 000 sessions; validate: 3 at least)
    python benchmarks/bench.py --readme         # also rewrite the README's table

Not part of the test suite: it takes a few minutes.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# each snippet runs in a fresh interpreter; it prints the CPU seconds of its own work
PRELUDE = """
import json, resource, sys, time
from pathlib import Path
path = Path(sys.argv[1]); out = Path(sys.argv[2])
start = time.process_time()
"""
REPORT = """
cpu = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"cpu": cpu, "peak_mib": peak}))
"""
COMMANDS = {
    "validate": """
import sofi_bulk
result = sofi_bulk.check(path)
""",
    "validate -o": """
import sofi_bulk
result = sofi_bulk.check(path)
sofi_bulk.write_annotated(result, out / "copie.xlsx")
""",
    "export": """
import sofi_bulk
from sofi_bulk.submission.io import dumps
result = sofi_bulk.check(path)
(out / "soumission.json").write_text(dumps(sofi_bulk.to_submission(result)), encoding="utf-8")
""",
    "lheo": """
import sofi_bulk
result = sofi_bulk.check(path)
(out / "offre.xml").write_bytes(sofi_bulk.to_lheo(result))
""",
    "template": """
import sofi_bulk
sofi_bulk.write_template(out / "modele.xlsx")
""",
}
FLOORS = {
    "A": """
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_path(str(path))
rows = [book.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in book.sheet_names]
""",
    "B": """
from openpyxl import load_workbook
load_workbook(path).save(out / "resave.xlsx")
""",
    "C": """
import datetime as dt
from typing import Any
from pydantic import create_model
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_path(str(path))
records = []
for name in ("Sessions", "Infos collectives", "Périodes inscription"):
    rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    header = [f"c{i}" for i in range(len(rows[1]))]
    Row = create_model("Row", **{h: (Any, None) for h in header})
    for row in rows[2:]:
        if any(v not in (None, "") for v in row[1:3]):
            values = [v.isoformat() if isinstance(v, (dt.date, dt.time)) else v for v in row]
            records.append(Row(**dict(zip(header, values))).model_dump())
(out / "plancher.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
""",
    "D": """
from lxml import etree
from python_calamine import CalamineWorkbook
from sofi_bulk.core.resources import lheo_xsd
source = etree.parse(str(out / "offre.xml")).getroot()
start = time.process_time()  # the floor is reading, building and checking, not this parse
book = CalamineWorkbook.from_path(str(path))
rows = [book.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in book.sheet_names]
schema = etree.XMLSchema(etree.parse(str(lheo_xsd())))
def copy(node, parent):
    el = etree.Element(node.tag, dict(node.attrib), nsmap=node.nsmap) if parent is None else \\
        etree.SubElement(parent, node.tag, dict(node.attrib))
    el.text = node.text
    for child in node:
        copy(child, el)
    return el
root = copy(source, None)
data = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
assert schema.validate(etree.fromstring(data))
""",
}
FLOOR_OF = {"validate": "A", "validate -o": "B", "export": "C", "lheo": "D"}


def measure(snippet: str, path: Path, out: Path) -> dict[str, float]:
    code = PRELUDE + snippet + REPORT
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=3600,
    )
    if done.returncode != 0:
        raise SystemExit(f"échec de la mesure :\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_workbook(n: int, folder: Path, *, distinct: bool = True) -> Path:
    """A realistic workbook (distinct sessions); with ``distinct=False``, sessions that repeat
    each other, so that the check finds thousands of warnings (the annotated copy's worst
    case: one note per warning)."""
    path = folder / f"bench-{n}{'' if distinct else '-doublons'}.xlsx"
    code = (
        "import sys; from pathlib import Path; from sofi_bulk.excel.sample import make_sample; "
        "make_sample(int(sys.argv[1]), distinct=sys.argv[3] == '1').save(Path(sys.argv[2]))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(n), str(path), "1" if distinct else "0"],
        check=True,
        cwd=ROOT,
    )
    return path


def openpyxl_resave(path: Path, folder: Path) -> Path:
    """The workbook loaded and saved by openpyxl alone: every text inline in its cell."""
    from openpyxl import load_workbook

    target = folder / "openpyxl"
    target.mkdir(exist_ok=True)
    load_workbook(path).save(target / path.name)
    return target / path.name


def libreoffice_resave(path: Path, folder: Path) -> Path | None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    target = folder / "lo"
    target.mkdir(exist_ok=True)
    profile = tempfile.mkdtemp(prefix="bench-lo-")
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(target),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=1800,
    )
    shutil.rmtree(profile, ignore_errors=True)
    saved = target / path.name
    return saved if saved.exists() else None


def run_size(n: int, runs: int, folder: Path, with_lo: bool) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    written = make_workbook(n, folder)
    files = [("sofi-bulk", written), ("openpyxl", openpyxl_resave(written, folder))]
    if with_lo:
        saved = libreoffice_resave(written, folder)
        if saved is not None:
            files.append(("LibreOffice", saved))
    if n <= 10000:
        files.append(("sofi-bulk, doublons", make_workbook(n, folder, distinct=False)))
    for origin, path in files:
        out = folder / f"out-{n}-{origin}"
        out.mkdir(exist_ok=True)
        commands = {
            "sofi-bulk": ["validate", "validate -o", "export", "lheo"],
            "openpyxl": ["validate"],
            "LibreOffice": ["validate"],
        }.get(origin, ["validate -o"])
        for command in commands:
            pairs = []
            # validate takes seconds even at 49 000 sessions: never a single, noisy pair
            for _ in range(max(runs, 3) if command == "validate" else runs):
                # paired: the command and its floor, one after the other
                mine = measure(COMMANDS[command], path, out)
                floor = measure(FLOORS[FLOOR_OF[command]], path, out)
                pairs.append((mine, floor))
            cpu = statistics.median(m["cpu"] for m, _ in pairs)
            floor_cpu = statistics.median(f["cpu"] for _, f in pairs)
            # each pair ran under the same load: the ratio is taken within a pair, then the
            # median of the pairs (a machine busy during one pair moves one ratio, not all)
            ratio = statistics.median(m["cpu"] / f["cpu"] for m, f in pairs if f["cpu"])
            rows.append(
                {
                    "sessions": n,
                    "file": origin,
                    "command": command,
                    "cpu": cpu,
                    "peak": statistics.median(m["peak_mib"] for m, _ in pairs),
                    "floor": FLOOR_OF[command],
                    "floor_cpu": floor_cpu,
                    "floor_peak": statistics.median(f["peak_mib"] for _, f in pairs),
                    "ratio": ratio,
                    "per_session_ms": 1000 * cpu / n,
                }
            )
            print(_line(rows[-1]), flush=True)
    # the template does not depend on the size: always several runs, a single one is noise
    template = [measure(COMMANDS["template"], written, folder) for _ in range(max(runs, 5))]
    rows.append(
        {
            "sessions": n,
            "file": "—",
            "command": "template",
            "cpu": statistics.median(t["cpu"] for t in template),
            "peak": statistics.median(t["peak_mib"] for t in template),
            "floor": "—",
            "floor_cpu": None,
            "floor_peak": None,
            "ratio": None,
            "per_session_ms": None,
        }
    )
    print(_line(rows[-1]), flush=True)
    return rows


def _fr(value: object, digits: int = 2) -> str:
    return "—" if not isinstance(value, int | float) else f"{value:.{digits}f}".replace(".", ",")


def _line(r: dict[str, object]) -> str:
    ratio = "—" if r["ratio"] is None else f"**{_fr(r['ratio'])}×**"
    sessions = f"{r['sessions']:,}".replace(",", " ")
    return (
        f"| {sessions} | {r['file']} | `{r['command']}` | {_fr(r['cpu'])} s "
        f"| {_fr(r['peak'], 0)} Mio "
        f"| {r['floor']} | {_fr(r['floor_cpu'])} s | {_fr(r['floor_peak'], 0)} Mio | {ratio} "
        f"| {_fr(r['per_session_ms'], 3)} ms |"
    )


HEADER = (
    "| sessions | fichier écrit par | commande | CPU | mémoire max | plancher | CPU plancher | "
    "mémoire plancher | rapport | par session |\n|---:|---|---|---:|---:|---|---:|---:|---:|---:|"
)


def table(rows: list[dict[str, object]]) -> str:
    when = dt.date.today().strftime("%d/%m/%Y")
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cœurs, Python "
        f"{platform.python_version()}"
    )
    lines = [f"Mesuré le {when} ({machine}), `python benchmarks/bench.py` :", "", HEADER]
    lines += [_line(r) for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000, 49000])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--sans-libreoffice", action="store_true")
    parser.add_argument("--readme", action="store_true", help="rewrite the README's table")
    args = parser.parse_args()
    # the package's bytecode, as an installation has it (pip compiles what it installs, and
    # the floors' libraries have theirs): without it, where .pyc files are not written
    # (PYTHONDONTWRITEBYTECODE), every measured process would compile our modules again
    compileall.compile_dir(ROOT / "sofi_bulk", quiet=1)
    print(HEADER)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            runs = args.runs if n <= 10000 else 1
            rows += run_size(n, runs, Path(tmp), not args.sans_libreoffice)
    if args.readme:
        text = README.read_text(encoding="utf-8")
        pattern = re.compile(r"(<!-- debut:bench -->\n).*?(<!-- fin:bench -->)", re.S)
        README.write_text(
            pattern.sub(lambda m: m.group(1) + table(rows) + "\n" + m.group(2), text),
            encoding="utf-8",
        )
        print(f"README mis à jour : {README}")


if __name__ == "__main__":
    main()
