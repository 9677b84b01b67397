"""The command's own failure paths: an internal error has its own status and a French line
(the trace only on demand), an interruption stays clean, two runs writing one file leave a
whole file, and a folder that cannot be written gives a French line and no debris."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.hostile.test_corpus import run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "saisie-exemple.xlsx"


def test_an_unexpected_error_has_status_3_and_a_french_line(monkeypatch):
    import sofi_bulk.core.validate as validate

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(validate, "check_rules", broken)
    code, out, err = run(["validate", str(EXAMPLE)])
    assert code == 3
    assert "Traceback" not in out + err and "boom" not in err
    assert err.startswith("Erreur interne de sofi-bulk (RuntimeError)") and "--debug" in err
    code, out, err = run(["validate", str(EXAMPLE), "--debug"])
    assert code == 3 and "Traceback" in err and "RuntimeError: boom" in err


def test_the_debug_variable_shows_the_trace_too(monkeypatch):
    import sofi_bulk.core.validate as validate

    monkeypatch.setattr(validate, "check_rules", lambda *a: 1 / 0)
    monkeypatch.setenv("SOFI_BULK_DEBUG", "1")
    code, _, err = run(["validate", str(EXAMPLE)])
    assert code == 3 and "ZeroDivisionError" in err


def test_an_interruption_is_clean(monkeypatch):
    import sofi_bulk.core.validate as validate

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(validate, "check_rules", interrupted)
    code, out, err = run(["validate", str(EXAMPLE)])
    assert code == 130 and err.strip() == "Interrompu." and "Traceback" not in out + err


def test_two_runs_in_parallel_leave_one_whole_file(tmp_path):
    out = tmp_path / "copie.xlsx"
    command = [sys.executable, "-m", "sofi_bulk", "validate", str(EXAMPLE), "-o", str(out)]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert all("Traceback" not in o + e for o, e in results)
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None  # a whole workbook, not two halves
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copie.xlsx"]  # no temporary debris


def test_a_folder_that_cannot_be_written_gives_a_french_line_and_no_debris(tmp_path, monkeypatch):
    folder = tmp_path / "lecture-seule"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
    else:  # root writes anywhere: make the folder refuse the way a read-only one does
        import tempfile

        real = tempfile.mkstemp

        def refused(*args, **kwargs):
            if str(kwargs.get("dir", "")) == str(folder):
                raise PermissionError(errno.EACCES, "Permission denied", str(folder))
            return real(*args, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", refused)
    try:
        code, out, err = run(["validate", str(EXAMPLE), "-o", str(folder / "copie.xlsx")])
    finally:
        folder.chmod(0o700)
    assert code == 2 and "Erreur : " in err and "Permission denied" not in err
    assert "écriture impossible" in err
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("failure", [errno.ENOSPC, errno.EACCES])
def test_a_write_failing_half_way_leaves_the_old_file(tmp_path, monkeypatch, failure):
    import sofi_bulk.files as files

    out = tmp_path / "soumission.json"
    out.write_text('{"header": {"format": "sofi-bulk/soumission"}}', encoding="utf-8")
    before = out.read_bytes()

    def fails(*args, **kwargs):
        raise OSError(failure, os.strerror(failure))

    monkeypatch.setattr(files.os, "replace", fails)
    code, _, err = run(["export", str(EXAMPLE), "-o", str(out)])
    assert code == 2 and "écriture impossible" in err
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["soumission.json"]
