"""« Reprendre son offre » against its goal: taking back an offer costs at most twice
``template`` plus ``export`` on the same offer.

The offer is the round-trip tests' (``tests/test_lheo_consumer.write_mixed_offer``):
2 000 sessions of the example référentiel's lots, modifications (one in seven Inactif), new
sessions of existing actions (F-A), new actions (F), new formations, split actions, an
information collective and a période d'inscription each. Its LHEO file and its submission
are written once; then each command runs in a fresh process (CPU seconds of its own work,
imports included, as ``bench.py`` measures), in rounds: template, export, and the reprise
from each source, so that every measure of a round meets the same load.

    python benchmarks/reprise.py                 # 2 000 sessions, 3 rounds
    python benchmarks/reprise.py 5000 --runs 1
    python benchmarks/reprise.py --readme        # also rewrite the README's table

The offer is of the 2025 campaign: every command checks it as on 2 January 2025
(``SOFI_BULK_TODAY``, as the test suite does), when its modifications are still allowed
(on a later day, a reprise leaves the ended sessions aside and measures something else).

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench import README, ROOT, measure  # noqa: E402

SNIPPETS = {
    "template": """
import sofi_bulk
sofi_bulk.write_template(out / "modele.xlsx")
""",
    "export": """
import sofi_bulk
sofi_bulk.write_submission(sofi_bulk.check(path), out / "export.json")
""",
    "reprise LHEO": """
import sofi_bulk
sofi_bulk.write_template(out / "reprise-lheo.xlsx", reprendre=path.with_suffix(".xml"))
""",
    "reprise JSON": """
import sofi_bulk
sofi_bulk.write_template(out / "reprise-json.xlsx", reprendre=path.with_suffix(".json"))
""",
    "reprise classeur": """
import sofi_bulk
sofi_bulk.write_template(out / "reprise-xlsx.xlsx", reprendre=path)
""",
    "reprise LHEO, campagne suivante": """
import sofi_bulk
sofi_bulk.write_template(
    out / "reprise-campagne.xlsx", reprendre=path.with_suffix(".xml"), campaign=True
)
""",
}
REPRISES = [name for name in SNIPPETS if name.startswith("reprise")]


CHECK_DATE = "2025-01-02"  # within the offer's campaign: see the docstring


def make_offer(n: int, folder: Path) -> Path:
    path = folder / f"offre-{n}.xlsx"
    code = (
        "import sys; from pathlib import Path; import sofi_bulk; "
        "from tests.test_lheo_consumer import write_mixed_offer; "
        "p = Path(sys.argv[2]); write_mixed_offer(p, int(sys.argv[1]), inactive_every=7); "
        "r = sofi_bulk.check(p); assert r.ok; "
        "sofi_bulk.write_lheo(r, p.with_suffix('.xml')); "
        "sofi_bulk.write_submission(r, p.with_suffix('.json'))"
    )
    subprocess.run([sys.executable, "-c", code, str(n), str(path)], check=True, cwd=ROOT)
    return path


def _fr(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def run(n: int, runs: int) -> list[dict[str, object]]:
    os.environ["SOFI_BULK_TODAY"] = CHECK_DATE  # every command below runs as on that day
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = make_offer(n, folder)
        cpu: dict[str, list[float]] = {name: [] for name in SNIPPETS}
        peak: dict[str, float] = {name: 0.0 for name in SNIPPETS}
        for _ in range(runs):
            for name, snippet in SNIPPETS.items():
                got = measure(snippet, path, folder)
                cpu[name].append(got["cpu"])
                peak[name] = max(peak[name], got["peak_mib"])
                print(f"  {name:<32} {got['cpu']:6.2f} s  {got['peak_mib']:6.0f} Mio", flush=True)
    budget = [t + e for t, e in zip(cpu["template"], cpu["export"], strict=True)]
    rows: list[dict[str, object]] = []
    for name in SNIPPETS:
        ratios = [c / b for c, b in zip(cpu[name], budget, strict=True)]
        rows.append(
            {
                "n": n,
                "command": name,
                "cpu": statistics.median(cpu[name]),
                "peak": peak[name],
                "ratio": statistics.median(ratios) if name in REPRISES else None,
            }
        )
    return rows


def table(rows: list[dict[str, object]]) -> str:
    when = dt.date.today().strftime("%d/%m/%Y")
    machine = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    lines = [
        f"Mesuré le {when} ({machine}), `python benchmarks/reprise.py` :",
        "",
        "| sessions | commande | CPU | mémoire max | rapport à template + export (objectif ≤ 2) |",
        "|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        ratio = r["ratio"]
        shown = f"**{_fr(float(ratio))}**" if isinstance(ratio, float) else "—"
        lines.append(
            f"| {int(str(r['n'])):,} | {r['command']} | {_fr(float(str(r['cpu'])))} s | "
            f"{float(str(r['peak'])):.0f} Mio | {shown} |".replace(",", " ", 1)
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[2000])
    parser.add_argument("--runs", type=int, default=3, help="rounds (median)")
    parser.add_argument("--readme", action="store_true", help="rewrite the README's table")
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "sofi_bulk", quiet=1)
    rows: list[dict[str, object]] = []
    for n in args.sizes:
        print(f"{n} sessions :")
        rows += run(n, args.runs)
    text = table(rows)
    print(text)
    if args.readme:
        readme = README.read_text(encoding="utf-8")
        markers = r"(<!-- debut:bench-reprise -->\n).*?(<!-- fin:bench-reprise -->)"
        pattern = re.compile(markers, re.S)
        README.write_text(
            pattern.sub(lambda m: m.group(1) + text + "\n" + m.group(2), readme), encoding="utf-8"
        )
        print(f"README mis à jour : {README}")


if __name__ == "__main__":
    main()
