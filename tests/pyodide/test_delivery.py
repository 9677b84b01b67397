"""The add-in's delivery path, end to end, as far as it runs without Excel: ``sofi-bulk
serveur`` on the loopback; its page « Contrôler dans Excel » read as a user reads it; Pyodide's
installer (micropip, in Node, from the origin of xlwings Lite's task pane, under a browser's
cross-origin rule) installs the lines of that requirements.txt from the service; the page's
main.py runs « Contrôler » on workbooks through the recording Book; the issues it lists are
those of ``sofi-bulk validate``.

What Lite already holds before requirements.txt is read (micropip, xlwings) and the one
dependency the check needs (python-calamine) come from PyPI's Pyodide builds, cached in
.cache/pyodide; the other dependencies come, in Lite, from Pyodide's repository and PyPI
(test_pyodide.py checks that each has a build there). Needs Node and npm: fails without.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess
import urllib.request
import zipfile

import pytest

from sofi_bulk import __version__, api
from sofi_bulk.core.text import counts
from tests.conftest import ROOT
from tests.golden.cases import build
from tests.pyodide import env
from tests.web.services import SOFI, free_port, start_web

LITE = "https://addin.xlwings.org"  # the origin of xlwings Lite's task pane
WHEEL = f"/complement/sofi_bulk-{__version__}-py3-none-any.whl"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    assert shutil.which("node") and shutil.which("npm"), (
        "Node.js et npm sont nécessaires (sudo apt-get install nodejs npm)"
    )
    folder = tmp_path_factory.mktemp("service")
    port = free_port()
    web = start_web(
        "web", folder, port, "--travailleurs", "0", "--donnees", str(folder / "donnees")
    )
    yield f"http://127.0.0.1:{port}", web
    assert web.stop() == 0, web.log()


def textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea id="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, name
    return html.unescape(found.group(1))


def lite_site(folder):
    """What xlwings Lite holds before it reads requirements.txt, and the check's one
    compiled dependency: unzipped into ``folder``."""
    env.ensure()
    for wheel in [*env.lite_wheels(), *env.WHEELS.glob("*.whl")]:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(folder)
    return folder


def cli_report(path) -> dict:
    done = subprocess.run(
        [SOFI, "validate", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def cli_issues(path) -> list[list[str]]:
    report = cli_report(path)
    return [[i["code"], i["sheet"], i["cell"], i["message"]] for i in report["issues"]]


def test_micropip_installs_from_the_service_and_controler_finds_what_the_cli_finds(
    service, tmp_path
):
    base, web = service
    with urllib.request.urlopen(base + "/complement/", timeout=60) as response:
        page = response.read().decode()
    requirements, main_py = textarea(page, "requirements"), textarea(page, "main-py")
    assert requirements.splitlines()[1] == base + WHEEL
    with urllib.request.urlopen(base + WHEEL, timeout=60) as response:
        served = hashlib.sha256(response.read()).hexdigest()

    work = tmp_path / "travail"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "saisie-exemple.xlsx", work / "exemple.xlsx")
    build("erreurs", work)
    files = ["exemple.xlsx", "erreurs.xlsx"]
    (work / "input.json").write_text(
        json.dumps(
            {
                "requirements": requirements,
                "main_py": main_py,
                "latest_url": base + "/complement/derniere",
                "other_url": base + "/modele/",
                "files": files,
            }
        ),
        encoding="utf-8",
    )
    here = ROOT / "tests" / "pyodide"
    done = subprocess.run(
        ["node", str(here / "install.cjs"), str(env.CACHE), str(lite_site(tmp_path / "site"))]
        + [str(ROOT / "tests"), str(work), str(here / "deliver.py"), LITE],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    fetches = [json.loads(x[len("FETCH ") :]) for x in lines if x.startswith("FETCH ")]
    result = json.loads(next(x for x in lines if x.startswith("RESULT "))[len("RESULT ") :])

    # installed by micropip, from the service's address, the very file the service serves
    assert result["sofi_bulk_from"].startswith("/lib/python3.14/site-packages/sofi_bulk/")
    assert (result["version"], result["installer"]) == (__version__, "micropip")
    assert result["source_url"] == base + WHEEL and result["sha256"] == served
    # what the installer received: one fetch of the wheel, readable from Lite's origin
    wheel_fetches = [f for f in fetches if f["url"] == base + WHEEL]
    assert wheel_fetches[0] == {
        "url": base + WHEEL,
        "status": 200,
        "allowed": "*",
        "location": None,
        "blocked": False,
    }
    assert f'"GET {WHEEL} HTTP/1.1" 200' in web.log()
    # the stable address: a redirect then the wheel, both readable cross-origin
    hops = [f for f in fetches if f["url"] == base + "/complement/derniere"]
    assert hops and hops[0]["status"] == 302 and hops[0]["allowed"] == "*"
    assert hops[0]["location"] == base + WHEEL and result["latest_sha256"] == served
    # and the rule is real: another page of the service is kept from the task pane
    assert result["other_page"].startswith("refusée : ")
    assert [f["blocked"] for f in fetches if f["url"] == base + "/modele/"] == [True]

    # « Contrôler », through the page's main.py, finds what the command finds
    clean, faulty = result["files"]["exemple.xlsx"], result["files"]["erreurs.xlsx"]
    assert clean["erreurs"] == [] == cli_issues(work / "exemple.xlsx")
    assert clean["alert"].startswith("Contrôle terminé : 0 erreur")
    expected = cli_issues(work / "erreurs.xlsx")
    assert len(expected) > 15
    assert sorted(faulty["erreurs"]) == sorted(expected)
    report = cli_report(work / "erreurs.xlsx")
    said = counts(report["errors"], report["warnings"])
    assert faulty["alert"].startswith(f"Contrôle terminé : {said}.")


def test_the_service_wheel_is_the_one_the_pyodide_tests_check(service):
    """test_pyodide.py checks the dependencies of the wheel built from this checkout: it is
    the file the service serves."""
    base, _ = service
    with urllib.request.urlopen(base + WHEEL, timeout=60) as response:
        assert response.read() == api.addin_wheel()
