"""The real thing, as far as it runs without Excel: sofi-bulk's wheel under Pyodide (the
Python of xlwings Lite) in Node, with the Pyodide builds of its core dependencies from
PyPI. It checks the bundled example and a faulty workbook, and marks them through the
add-in, finding exactly what CPython finds.

Needs Node and npm (CI has them); the npm package and the wheels are fetched once into
.cache/pyodide. Without Node the test fails: it is never skipped.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import ROOT
from tests.golden.cases import build
from tests.pyodide import env
from tests.pyodide.smoke import summary


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    assert shutil.which("node") and shutil.which("npm"), (
        "Node.js et npm sont nécessaires (sudo apt-get install nodejs npm)"
    )
    return env.build_site(tmp_path_factory.mktemp("pyodide"))


def test_pyodide_finds_the_same_issues_as_cpython(site, tmp_path):
    shutil.copy(ROOT / "examples" / "saisie-exemple.xlsx", tmp_path / "exemple.xlsx")
    build("erreurs", tmp_path)
    (tmp_path / "input.json").write_text(json.dumps(["exemple.xlsx", "erreurs.xlsx"]))
    out = env.run_python(site, tmp_path, ROOT / "tests" / "pyodide" / "smoke.py")
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    pyodide = json.loads(line[len("RESULT ") :])
    cpython = summary(tmp_path)
    assert pyodide["platform"] == "emscripten" and pyodide["python"].startswith("3.14")
    for name in ("exemple.xlsx", "erreurs.xlsx"):
        ours, theirs = pyodide["files"][name], cpython["files"][name]
        for key in ("issues", "lite_issues", "actions", "alert"):
            assert ours[key] == theirs[key], (name, key)
        assert ours["lite_issues"] == ours["issues"]
    assert pyodide["files"]["exemple.xlsx"]["issues"] == []
    faulty = pyodide["files"]["erreurs.xlsx"]
    assert len(faulty["issues"]) > 15 and faulty["actions"]["addNote"] > 10
    assert faulty["alert"].startswith("Contrôle terminé : ")
