"""The markers of tests/marks.py: given from a test's folder, file, fixtures or name, a
program's marker making the test « lent », every place of the tables still there, and a test
that launches a program without its marker failing with the line to add."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap

from tests import marks
from tests.conftest import ROOT

SHOW_MARKERS = """
import json, sys, pytest

class Show:
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        found = {i.nodeid: sorted({m.name for m in i.iter_markers()}) for i in items}
        print("MARKERS " + json.dumps(found))

sys.exit(pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", *sys.argv[1:]],
                     plugins=[Show()]))
"""


def collected_markers(*paths: str) -> dict[str, set[str]]:
    """Each collected test of ``paths`` and its markers, as the suite gives them."""
    done = subprocess.run(
        [sys.executable, "-c", SHOW_MARKERS, *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("MARKERS "))
    return {k: set(v) for k, v in json.loads(line.removeprefix("MARKERS ")).items()}


def test_markers_come_from_folder_file_fixture_and_name():
    found = collected_markers(
        "tests/lo/test_driver.py",
        "tests/web/test_browser.py",
        "tests/web/test_check.py",
        "tests/web/test_database.py",
        "tests/web/test_diff.py",
        "tests/test_referentiel_forms.py",
        "tests/test_referentiel_cli.py",
    )

    def of(prefix: str) -> list[set[str]]:
        chosen = [m for nodeid, m in found.items() if nodeid.startswith(prefix)]
        assert chosen, prefix
        return chosen

    assert all(m >= {"libreoffice", "lent"} for m in of("tests/lo/test_driver.py::"))
    assert all(m >= {"navigateur", "lent"} for m in of("tests/web/test_browser.py::"))
    # pytest-django's database: on SQLite in the quick loop, on PostgreSQL in the rerun
    assert all("postgresql" in m for m in of("tests/web/test_check.py::"))
    assert all(m == {"postgresql", "django_db"} for m in of("tests/web/test_database.py::"))
    assert all(not m & {"postgresql", "lent"} for m in of("tests/web/test_diff.py::"))
    # the « region » fixture converts with LibreOffice; the file's other tests need nothing
    assert all(
        m >= {"libreoffice", "lent"} for m in of("tests/test_referentiel_forms.py::test_the_region")
    )
    assert all(
        not m & set(marks.PROGRAM_MARKERS)
        for m in of("tests/test_referentiel_forms.py::test_header")
    )
    (far,) = of("tests/test_referentiel_cli.py::test_an_xls_with_a_value_far_away")
    assert far >= {"libreoffice", "lent"}
    assert of("tests/test_referentiel_cli.py::test_the_blank")[0] == {"lent"}  # the file is


def test_every_place_and_fixture_of_the_tables_exists():
    """A renamed test or fixture would silently lose its marker: the tables follow."""
    for place in marks.BY_PLACE:
        path, _, name = place.partition("::")
        assert (ROOT / path).exists(), place
        if name:
            tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
            assert name in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, place
    defined = {
        node.name
        for path in (ROOT / "tests").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef)
    }
    for fixture in marks.BY_FIXTURE:
        assert fixture in defined or fixture in ("db", "transactional_db"), fixture


def test_a_test_launching_a_program_without_its_marker_fails(tmp_path):
    """Run in a folder of its own, with a stand-in ``nginx`` first on PATH: the unmarked test
    fails at teardown with what to do; the marked one, and the one using a fixture named
    after the program, pass and are out of the quick loop."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nginx").write_text(f"#!{shutil.which('sh')}\nexit 0\n", encoding="utf-8")
    (bin_dir / "nginx").chmod(0o755)
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.marks"]\n', encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\naddopts = --strict-markers -p no:cacheprovider\nmarkers =\n"
        + "".join(f"    {m}: x\n" for m in (*marks.PROGRAM_MARKERS, "postgresql", "lent")),
        encoding="utf-8",
    )
    (tmp_path / "test_launch.py").write_text(
        textwrap.dedent(
            """
            import subprocess, sys
            import pytest

            def test_unmarked():
                subprocess.run(["nginx", "-t"], check=True)

            @pytest.mark.nginx
            def test_marked():
                subprocess.run(["nginx", "-t"], check=True)

            def test_python_only():
                subprocess.run([sys.executable, "-c", "pass"], check=True)

            @pytest.fixture
            def nginx_proxy():  # named after the program: its users get the marker
                subprocess.run(["nginx", "-t"], check=True)

            def test_through_a_fixture_named_after_the_program(nginx_proxy):
                pass
            """
        ),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
    }

    def pytest(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rA", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )

    done = pytest()
    assert done.returncode == 1, done.stdout
    assert "4 passed, 1 error" in done.stdout, done.stdout
    assert "ERROR at teardown of test_unmarked" in done.stdout
    assert (
        "\ntest_launch.py::test_unmarked lance nginx (marqueur « nginx ») sans le marqueur : "
        "ajoutez son dossier, son fichier, une de ses fixtures ou son nom aux tables de "
        "tests/marks.py\n"
    ) in done.stdout, done.stdout
    quick = pytest("-m", "not lent")
    assert quick.returncode == 1 and "2 deselected" in quick.stdout, quick.stdout
    assert "PASSED test_launch.py::test_python_only" in quick.stdout
