"""A workbook open in the real LibreOffice: ``validate --en-place`` refuses to write into it
(issue 29). The driver of tests/lo opens documents without lock files; here a plain
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
