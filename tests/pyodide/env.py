"""Pyodide in Node for the tests and the benchmark: the npm ``pyodide`` package, the wheels of
sofi-bulk's core dependencies built for Pyodide (``pyemscripten``, from PyPI), and the
sofi-bulk wheel built from this checkout, unzipped into one folder put on ``sys.path``; and
what xlwings Lite holds before it installs sofi-bulk (micropip, xlwings), for the delivery test.

Downloads are cached in ``.cache/pyodide`` (ignored by git); ``tools/run-tests`` fills it with
``python -m tests.pyodide.env``, and the test fills it itself when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CACHE = ROOT / ".cache" / "pyodide"
WHEELS = CACHE / "wheels"
# the npm package's Python (3.14) and platform tag (PEP 783)
PLATFORM = "pyemscripten_2026_0_wasm32"
PYTHON_VERSION = "3.14"
# what checking a workbook imports besides the core: the file reader. pydantic is left out on
# purpose: the check must not need it (it validates profile files and submissions only)
CORE_DEPENDENCIES = ("python-calamine",)


def requirements() -> list[str]:
    """The core dependencies with the lower bounds pyproject.toml gives them."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = [
        req
        for req in declared["project"]["dependencies"]
        if req.split(">")[0].split("=")[0].strip() in CORE_DEPENDENCIES
    ]
    assert len(found) == len(CORE_DEPENDENCIES), found
    return found


def run(cmd: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} a échoué :\n{done.stdout}\n{done.stderr}")


def ensure() -> Path:
    """Install the npm package and download the wheels unless cached; the cache folder."""
    CACHE.mkdir(parents=True, exist_ok=True)
    lock = json.loads((HERE / "package-lock.json").read_text(encoding="utf-8"))
    wanted = lock["packages"]["node_modules/pyodide"]["version"]
    installed = CACHE / "node_modules" / "pyodide" / "package.json"
    if (
        not installed.exists()
        or json.loads(installed.read_text(encoding="utf-8"))["version"] != wanted
    ):
        for name in ("package.json", "package-lock.json"):
            shutil.copy(HERE / name, CACHE / name)
        run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CACHE)
    stamp = WHEELS / "requirements.txt"
    reqs = "\n".join(requirements())
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != reqs:
        shutil.rmtree(WHEELS, ignore_errors=True)
        WHEELS.mkdir(parents=True)
        run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:"]
            + ["--platform", PLATFORM, "--python-version", PYTHON_VERSION]
            + ["--implementation", "cp", "-d", str(WHEELS), *requirements()]
        )
        stamp.write_text(reqs, encoding="utf-8")
    return CACHE


def build_wheel(folder: Path) -> Path:
    """sofi-bulk's wheel, built from this checkout: the file the service hands out (and,
    tests/test_release.py checks, the one ``python -m build`` makes)."""
    from sofi_bulk import api

    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / api.addin_wheel_name()
    wheel.write_bytes(api.addin_wheel())
    return wheel


def build_site(folder: Path, wheel: Path) -> Path:
    """The sofi-bulk wheel and the cached dependency wheels, unzipped into ``folder/site``."""
    ensure()
    site = folder / "site"
    for path in [wheel, *WHEELS.glob("*.whl")]:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(site)
    return site


def pyodide_packages() -> dict[str, str]:
    """What Pyodide's own repository carries (name -> version), from the npm package's lock."""
    lock = json.loads((CACHE / "node_modules" / "pyodide" / "pyodide-lock.json").read_text())
    return {name: info["version"] for name, info in lock["packages"].items()}


def download_for_pyodide(requirement: str) -> list[str]:
    """A requirement's wheel that installs under Pyodide (pure, or built for it), from PyPI;
    its file name (cached)."""
    target = CACHE / "resolved" / requirement.replace(" ", "").replace("/", "_")
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--no-deps"]
            + ["--platform", PLATFORM, "--python-version", PYTHON_VERSION]
            + ["--implementation", "cp", "-d", str(tmp), requirement]
        )
        tmp.rename(target)
    return sorted(p.name for p in target.glob("*.whl"))


def lite_wheels() -> list[Path]:
    """What xlwings Lite brings before it reads requirements.txt: Pyodide's installer
    (micropip, at the version Pyodide's repository holds) and xlwings (the series
    requirements.txt names), built for Pyodide, from PyPI (cached)."""
    from sofi_bulk.distribution import XLWINGS_REQUIREMENT

    ensure()
    micropip = f"micropip=={pyodide_packages()['micropip']}"
    found = []
    for requirement in (micropip, XLWINGS_REQUIREMENT):
        (name,) = download_for_pyodide(requirement)
        found.append(CACHE / "resolved" / requirement.replace(" ", "").replace("/", "_") / name)
    return found


def run_python(site: Path, work: Path, script: Path) -> str:
    """Run a Python file under Pyodide in Node (the repository mounted at /src, ``work`` as
    the working folder); its stdout."""
    done = subprocess.run(
        ["node", str(HERE / "run.cjs"), str(CACHE), str(site), str(ROOT), str(work), str(script)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"Pyodide a échoué :\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


if __name__ == "__main__":
    print(ensure())
    lite_wheels()
