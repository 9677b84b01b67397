"""The real thing, as far as it runs without Excel: sofi-bulk's wheel under Pyodide (the
Python of xlwings Lite) in Node, with the Pyodide builds of its core dependencies from
PyPI. It checks the bundled example and a faulty workbook, and marks them through the
add-in, finding exactly what CPython finds.

Needs Node and npm (CI has them); the npm package and the wheels are fetched once into
.cache/pyodide. Without Node the test fails: it is never skipped.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from sofi_bulk.api import addin_wheel_name
from sofi_bulk.core.fields import SESSIONS_SHEET
from sofi_bulk.excel.scan import sheet_parts
from tests.conftest import ROOT
from tests.golden.cases import build
from tests.hostile.corpus import cell
from tests.pyodide import env
from tests.pyodide.smoke import summary


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return env.build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def site(tmp_path_factory, wheel):
    assert shutil.which("node") and shutil.which("npm"), (
        "Node.js et npm sont nécessaires (sudo apt-get install nodejs npm)"
    )
    return env.build_site(tmp_path_factory.mktemp("pyodide"), wheel)


def test_the_wheel_is_pure_python_and_its_dependencies_install_under_pyodide(wheel):
    """What Lite's installer does: each dependency is in Pyodide's repository, or on PyPI as
    a wheel for Pyodide (pure or pyemscripten). The file is the one the service serves."""
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        requires = [
            Requirement(line.split(":", 1)[1].strip())
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
        # what Lite's installer keeps: no extra, and markers read as Pyodide's
        pyodide_env = {"sys_platform": "emscripten", "platform_system": "Emscripten", "extra": ""}
        requires = [r for r in requires if r.marker is None or r.marker.evaluate(pyodide_env)]
        assert "google-re2" not in {r.name for r in requires}  # no wheel: the scan uses re
        assert not any(n.endswith((".so", ".pyd")) for n in archive.namelist())
    assert len(requires) >= 8
    env.ensure()
    repository = env.pyodide_packages()
    assert {"lxml", "rpds-py", "jsonschema"} <= set(repository)  # not installable from PyPI
    for requirement in requires:
        if requirement.name.lower() in repository:
            continue
        assert env.download_for_pyodide(f"{requirement.name}{requirement.specifier}"), requirement
    assert wheel.name == addin_wheel_name()  # the file the service serves


def written_otherwise(source: Path, target: Path) -> Path:
    """``source`` with its sessions sheet written as no program writes it (cells without a
    reference, another quote, spaces), and a formula error among them: the scan reads it
    with the XML parser, which Pyodide must have too."""
    with zipfile.ZipFile(source) as archive:
        part = sheet_parts(archive)[SESSIONS_SHEET]
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in archive.infolist():
                data = archive.read(info)
                if info.filename == part:
                    fee = cell("fee_incl_tax", 0).encode()
                    pattern = re.compile(rb'<c r="' + fee + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
                    data, count = pattern.subn(b"<c t='e'><v>#N/A</v></c>", data, count=1)
                    assert count == 1
                    data = data.replace(b'<c r="A1"', b'<c  r = "A1"', 1)
                out.writestr(info, data)
    return target


def test_pyodide_finds_the_same_issues_as_cpython(site, tmp_path):
    shutil.copy(ROOT / "examples" / "saisie-exemple.xlsx", tmp_path / "exemple.xlsx")
    build("erreurs", tmp_path)
    written_otherwise(ROOT / "examples" / "saisie-exemple.xlsx", tmp_path / "autrement.xlsx")
    names = ["exemple.xlsx", "erreurs.xlsx", "autrement.xlsx"]
    (tmp_path / "input.json").write_text(json.dumps(names))
    out = env.run_python(site, tmp_path, ROOT / "tests" / "pyodide" / "smoke.py")
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    pyodide = json.loads(line[len("RESULT ") :])
    cpython = summary(tmp_path)
    assert pyodide["platform"] == "emscripten" and pyodide["python"].startswith("3.14")
    assert (pyodide["scan"], cpython["scan"]) == ("re", "re2")  # both fast scans, same findings
    for name in names:
        ours, theirs = pyodide["files"][name], cpython["files"][name]
        for key in ("issues", "lite_issues", "actions", "alert"):
            assert ours[key] == theirs[key], (name, key)
        assert ours["lite_issues"] == ours["issues"]
    assert pyodide["files"]["exemple.xlsx"]["issues"] == []
    faulty = pyodide["files"]["erreurs.xlsx"]
    assert len(faulty["issues"]) > 15 and faulty["actions"]["addNote"] > 10
    assert faulty["alert"].startswith("Contrôle terminé : ")
    odd = pyodide["files"]["autrement.xlsx"]["issues"]
    assert ["formule-en-erreur", SESSIONS_SHEET, cell("fee_incl_tax", 0)] in odd
