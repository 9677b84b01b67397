"""Ready for PyPI: ``python -m build`` makes the sdist, then the wheel from the sdist, and
``twine check --strict`` accepts both; the wheel holds what the Excel add-in needs and no
tests, benchmarks or tools; one version number (sofi_bulk/core/version.py) names the package,
the wheel, the template and the add-in's page."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from sofi_bulk import __version__, api
from tests.conftest import ROOT

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The release files, built as for PyPI (with the backend of this environment: the test
    extra installs the one pyproject.toml asks for, and build checks it)."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def only(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


def test_build_makes_the_sdist_and_the_wheel_that_twine_accepts(dist):
    sdist = only(dist, f"sofi_bulk-{__version__}.tar.gz")
    wheel = only(dist, f"sofi_bulk-{__version__}-py3-none-any.whl")
    done = subprocess.run(
        [str(BIN / "twine"), "check", "--strict", str(sdist), str(wheel)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


def wheel_files(dist: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(only(dist, "*.whl")) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_wheel_holds_what_the_add_in_needs_and_nothing_of_the_developers(dist):
    files = wheel_files(dist)
    needed = [
        "sofi_bulk/__init__.py",
        "sofi_bulk/api.py",
        "sofi_bulk/lite/__init__.py",
        "sofi_bulk/lite/scripts.py",
        "sofi_bulk/lite/reader.py",
        "sofi_bulk/lite/painter.py",
        "sofi_bulk/core/validate.py",
        "sofi_bulk/excel/reader.py",  # the template's référentiel copy, read by the check
        "sofi_bulk/lheo/lheo-2.3.xsd",  # the LHEO export validates against it
        "sofi_bulk/profiles/prepa-avenir-sup.json",
        "sofi_bulk/_bundled/schemas/submission.schema.json",
        "sofi_bulk/_bundled/examples/referentiel-exemple.xlsx",
        "sofi_bulk/_bundled/addin/main.py",  # the page « Contrôler dans Excel » shows it
    ]
    for name in needed:
        assert name in files, name
    tops = {name.split("/")[0] for name in files}
    assert tops == {"sofi_bulk", f"sofi_bulk-{__version__}.dist-info"}
    for name in files:
        parts = name.split("/")
        assert not {"tests", "benchmarks", "tools", "__pycache__"} & set(parts), name
        assert not name.endswith((".pyc", ".so", ".pyd")), name  # pure Python, for Pyodide
        assert not (name.startswith("sofi_bulk/_bundled/") and name.endswith(".py")) or (
            name == "sofi_bulk/_bundled/addin/main.py"
        ), name  # no developer script among the examples
    assert files["sofi_bulk/_bundled/addin/main.py"] == (ROOT / "addin" / "main.py").read_bytes()


def test_the_service_serves_the_release_wheel(dist):
    """What the service builds from the running code is the file that would go to PyPI."""
    with zipfile.ZipFile(io.BytesIO(api.addin_wheel())) as archive:
        served = {name: archive.read(name) for name in archive.namelist()}
    assert served == wheel_files(dist)


def test_one_version_number_names_package_wheel_sdist_template_and_page(dist, tmp_path):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "sofi_bulk/core/version.py"
    metadata = wheel_files(dist)[f"sofi_bulk-{__version__}.dist-info/METADATA"].decode()
    assert f"\nVersion: {__version__}\n" in metadata
    assert "Description-Content-Type: text/markdown" in metadata
    with tarfile.open(only(dist, "*.tar.gz")) as sdist:
        info = sdist.extractfile(f"sofi_bulk-{__version__}/PKG-INFO")
        assert info is not None and f"\nVersion: {__version__}\n" in info.read().decode()
    api.write_template(tmp_path / "modele.xlsx")
    assert api.read(tmp_path / "modele.xlsx").meta["tool_version"] == __version__
    assert api.addin_wheel_name() == f"sofi_bulk-{__version__}-py3-none-any.whl"
    assert api.addin_requirements().endswith(f"sofi-bulk=={__version__}\n")
    # written nowhere else in the package: a release changes one line
    literal = re.compile(rf"(?<![\d.]){re.escape(__version__)}(?![\d.])")
    for path in (ROOT / "sofi_bulk").rglob("*"):
        if path.suffix in (".py", ".html", ".json", ".js", ".txt") and path.name != "version.py":
            assert not literal.search(path.read_text(encoding="utf-8")), path


def test_the_readme_names_the_current_version_wherever_it_names_one():
    """README: ``sofi-bulk==X.Y.Z`` and the wheel's file name, as they are today."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"sofi-bulk==([\w.]+)|sofi_bulk-(\d[\w.]*)-py3-none-any\.whl", text)
    assert named
    assert {a or b for a, b in named} == {__version__}
