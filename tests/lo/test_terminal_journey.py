"""The command line meets what the real LibreOffice makes (issue 29): a workbook it holds
open, which ``validate --en-place`` refuses to write into, and a .xls it saved, for which
the command says what to do in LibreOffice.

The driver of tests/lo opens documents without lock files; for the lock, a plain
LibreOffice process opens the workbook as a user's would, with its own profile, and keeps
its lock file beside it until it is stopped."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.conftest import run_cli
from tests.golden.cases import build


def soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        raise RuntimeError(
            "LibreOffice is not installed (no 'soffice'): apt-get install -y libreoffice-calc"
        )
    return found


@pytest.fixture
def opened_in_libreoffice(tmp_path):
    """A workbook that a LibreOffice process has open: (path, lock file)."""
    folder = tmp_path / "dossier"
    folder.mkdir()
    source = build("erreurs", tmp_path)
    copy = folder / "saisie-annotee.xlsx"
    assert run_cli("validate", str(source), "-o", str(copy), "-q") == 1
    lock = folder / f".~lock.{copy.name}#"
    profile = tmp_path / "profil"
    process = subprocess.Popen(
        [
            soffice(),
            "--headless",
            "--norestore",
            "--nologo",
            f"-env:UserInstallation={profile.as_uri()}",
            str(copy),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group: stopped with its children, and nothing else
    )
    try:
        deadline = time.monotonic() + 120
        while not lock.exists():
            assert process.poll() is None, "LibreOffice stopped before opening the workbook"
            assert time.monotonic() < deadline, "LibreOffice wrote no lock file in 120 s"
            time.sleep(0.5)
        yield copy, lock
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)


def test_in_place_refuses_a_workbook_libreoffice_has_open(opened_in_libreoffice, capsys):
    copy, lock = opened_in_libreoffice
    account = lock.read_text(encoding="utf-8").split(",")[1]  # as LibreOffice wrote it
    before = copy.read_bytes()
    assert run_cli("validate", str(copy), "--en-place") == 2
    err = capsys.readouterr().err
    assert f"ouvert dans LibreOffice par {account} (fichier verrou {lock.name})" in err, err
    assert "fermez-le dans LibreOffice" in err
    assert copy.read_bytes() == before
    assert not copy.with_name("saisie-annotee.sauvegarde.xlsx").exists()


def test_a_xls_saved_by_libreoffice_is_met_with_what_to_do_in_libreoffice(tmp_path, capsys):
    """LibreOffice saves a workbook as .xls (« Excel 97-2003 »): the command names the
    format, says LibreOffice saved it, and gives LibreOffice's menu path, not Excel's."""
    from tests.lo import LibreOffice

    source = build("erreurs", tmp_path)
    xls = tmp_path / "saisie.xls"
    with LibreOffice() as lo, lo.open(source) as doc:
        lo.call("save", doc=doc.handle, path=str(xls), filter="MS Excel 97")
    assert xls.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    assert run_cli("validate", str(xls)) == 2
    err = capsys.readouterr().err
    assert "format Excel 97-2003 (.xls), enregistré par LibreOffice" in err, err
    assert "Dans LibreOffice, faites Fichier > Enregistrer sous" in err
    assert "« Classeur Excel 2007-365 (.xlsx) »" in err and "mot de passe" not in err
