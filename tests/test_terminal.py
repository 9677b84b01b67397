"""A terminal a Windows user can trust: any console or pipe encoding, progress only on a
terminal's stderr, -q, counts per code, a complete JSON report, and a correction loop that
works in one file (backup beside it) with names that never pile up suffixes."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sofi_bulk.api import annotated_name, base_stem
from sofi_bulk.cli.outputs import backup_path, correction_command
from sofi_bulk.cli.report import pick_detail
from sofi_bulk.cli.term import plain
from sofi_bulk.core.issues import Issue, Severity
from sofi_bulk.core.report import code_counts
from tests.conftest import run_cli
from tests.golden.cases import build

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> Path:
    """The golden « erreurs » workbook: 26 errors of 21 codes, and a warning."""
    return build("erreurs", tmp_path_factory.mktemp("faulty"))


def col(key: str) -> str:
    from sofi_bulk.core.fields import SESSIONS_SHEET
    from sofi_bulk.core.layout import column_of

    return column_of(SESSIONS_SHEET, key).letter


def sofi(
    *args: str | Path, env: dict[str, str] | None = None, **kwargs
) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONIO", "LC_", "LANG"))}
    return subprocess.run(
        [sys.executable, "-m", "sofi_bulk", *map(str, args)],
        env={**base, **(env or {})},
        capture_output=True,
        timeout=180,
        **kwargs,
    )


# --- encodings ---------------------------------------------------------------------------------
def test_a_cp1252_pipe_gets_plain_symbols_and_the_copy_is_written(faulty, tmp_path):
    """validate … > rapport.txt on Windows: cp1252, which has no ✔ ✖ ⚠."""
    copy = tmp_path / "copie.xlsx"
    done = sofi("validate", faulty, "-o", copy, env={"PYTHONIOENCODING": "cp1252"})
    out, err = done.stdout.decode("cp1252"), done.stderr.decode("cp1252")
    assert done.returncode == 1 and "Traceback" not in out + err, err
    assert f"X Sessions!{col('action_url')}3" in out and "Contrôle de" in out and "✖" not in out
    assert "! Référentiel d'exemple" in err  # ⚠ -> !
    assert copy.exists() and "Copie annotée écrite" in out


def test_a_c_locale_gets_ascii_and_exact_json(faulty, tmp_path):
    """A non-UTF-8 locale (C, UTF-8 mode off): stdout is ASCII."""
    env = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}
    done = sofi("validate", faulty, env=env)
    assert done.returncode == 1 and b"Traceback" not in done.stdout + done.stderr
    text = done.stdout.decode("ascii")  # nothing but ASCII
    assert "Controle de" in text and f"X Sessions!{col('start_date')}3" in text
    done = sofi("validate", faulty, "--format", "json", env=env)
    report = json.loads(done.stdout.decode("ascii"))
    assert report["errors"] == 26 and any("Vérifiez" in i["message"] for i in report["issues"])


def test_plain_fallbacks():
    assert plain("✔ Modèle écrit « x » … ⚠") == 'OK Modele ecrit " x " ... !'


# --- progress and quiet --------------------------------------------------------------------------
def test_progress_shows_on_a_terminal_stderr_and_never_in_the_json(faulty):
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sofi_bulk", "validate", str(faulty), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
    )
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    stdout, _ = proc.communicate(timeout=60)
    os.close(master)
    assert proc.returncode == 1
    assert b"Lecture de" in seen and "Contrôle".encode() in seen, seen
    assert json.loads(stdout)["errors"] == 26  # stdout is the JSON alone
    piped = sofi("validate", faulty, "--format", "json")
    assert "Lecture de" not in piped.stderr.decode() and json.loads(piped.stdout)["errors"] == 26


def test_quiet_prints_only_the_summary_line(faulty, capsys):
    assert run_cli("validate", str(faulty), "-q") == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["erreurs.xlsx : 26 erreurs, 1 avertissement"]
    assert captured.err == ""


# --- the report in bulk -------------------------------------------------------------------------
def test_the_text_report_counts_per_code_before_the_detail(many, capsys):
    """More issues than the detail shows: the counts per code come first."""
    assert run_cli("validate", str(many)) == 1
    lines = capsys.readouterr().out.splitlines()
    start, detail = lines.index("Par code :"), lines.index("Détail :")
    counts = lines[start + 1 : detail]
    assert [c.split()[1:4] for c in counts] == [
        ["email-invalide", "erreur", "30"],
        ["date-impossible", "erreur", "1"],
        ["places-lot-depassees", "avertissement", "4"],  # 30 sessions: more than ordered
    ]
    assert counts[0].endswith(f"Sessions!{col('liaison_email')}3") and start < detail


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    """30 sessions, each with a wrong e-mail, and one impossible date: 31 errors (and the
    places of some lots overrun)."""
    from sofi_bulk.excel.sample import make_sample

    path = tmp_path_factory.mktemp("many") / "trente.xlsx"
    make_sample(30, rows=40).save(path)
    book = load_workbook(path)
    ws = book["Sessions"]
    for row in range(3, 33):
        ws[f"{col('liaison_email')}{row}"] = f"pas-un-mail-{row}"
    ws[f"{col('start_date')}3"] = "31/02/2025"
    book.save(path)
    return path


def test_the_json_report_is_complete(faulty, capsys):
    from sofi_bulk.core.version import __version__

    assert run_cli("validate", str(faulty), "--format", "json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["tool_version"] == __version__
    assert report["programme"] == "prepa-avenir-sup" and len(report["issues"]) == 27
    assert sum(c["count"] for c in report["counts"]) == 27
    for count in report["counts"]:
        first = next(i for i in report["issues"] if i["code"] == count["code"])
        assert (count["first_sheet"], count["first_cell"]) == (first["sheet"], first["cell"])


def test_thousands_of_identical_warnings_do_not_hide_an_error():
    def issue(code: str, severity: Severity, row: int) -> Issue:
        return Issue(code, severity, "Sessions", f"A{row}", "…", row)

    issues = [issue("places-lot-depassees", Severity.WARNING, r) for r in range(3, 3798)]
    issues.append(issue("date-impossible", Severity.ERROR, 4000))
    counts = code_counts(issues)
    assert [(c.code, c.count, c.first) for c in counts] == [
        ("date-impossible", 1, "Sessions!A4000"),
        ("places-lot-depassees", 3795, "Sessions!A3"),
    ]
    detail = pick_detail(issues, 25)
    assert detail[0].code == "date-impossible" and len(detail) == 6  # 1 + at most 5 of a code


# --- the correction loop ---------------------------------------------------------------------
def test_names_never_stack_suffixes():
    assert annotated_name(Path("saisie.xlsx")) == "saisie-annotee.xlsx"
    assert annotated_name(Path("saisie-annotee.xlsx")) == "saisie-annotee.xlsx"
    assert annotated_name(Path("saisie-annotee-2.xlsx")) == "saisie-annotee.xlsx"
    assert base_stem(Path("saisie-annotee.sauvegarde.xlsx")) == "saisie"
    assert backup_path(Path("d/saisie-annotee.xlsx")) == Path("d/saisie-annotee.sauvegarde.xlsx")
    assert backup_path(Path("x.sauvegarde.xlsx")) == Path("x.sauvegarde.xlsx")
    assert correction_command(Path("saisie-annotee-2.xlsx")).endswith("--en-place")
    assert correction_command(Path("saisie.xlsx")).endswith("-o saisie-annotee.xlsx")


def test_the_correction_loop_works_in_one_file(faulty, tmp_path, capsys):
    work = tmp_path / "saisie-annotee.xlsx"
    assert run_cli("validate", str(faulty), "-o", str(work)) == 1
    book = load_workbook(work)
    ws = book["Sessions"]
    url = next(c for c in ws[2] if c.value == "URL action").column_letter
    ws[f"{url}3"] = "https://www.exemple.fr"  # one correction, made in the copy
    book.save(work)
    corrected = work.read_bytes()
    capsys.readouterr()
    assert run_cli("validate", str(work), "--en-place") == 1
    out = capsys.readouterr().out
    assert "25 erreurs" in out and "--en-place" in out
    backup = tmp_path / "saisie-annotee.sauvegarde.xlsx"
    assert backup.read_bytes() == corrected  # the file as it was, beside it
    again = load_workbook(work)
    assert again["Sessions"][f"{url}3"].value == "https://www.exemple.fr"
    assert "Erreurs" in again.sheetnames and "25 erreurs" in again["Erreurs"]["A1"].value
    assert sorted(p.name for p in tmp_path.iterdir()) == [backup.name, work.name]
    assert run_cli("validate", str(work), "--en-place", "-q") == 1  # an earlier backup: replaced
    export = run_cli("export", str(work), "-o", str(tmp_path / "s.json"))
    err = capsys.readouterr().err
    assert export == 1 and "saisie-annotee-annotee" not in err and "--en-place" in err
    # the corrected copy is the user's working file now: the first step run again (or a
    # template) must not replace it with the uncorrected workbook
    in_place = work.read_bytes()
    assert run_cli("validate", str(faulty), "-o", str(work)) == 2
    assert "corrigé et contrôlé sur place (--en-place)" in capsys.readouterr().err
    assert run_cli("template", "-o", str(work)) == 2
    assert work.read_bytes() == in_place
    assert run_cli("validate", str(faulty), "-o", str(work), "--ecraser", "-q") == 1
    assert load_workbook(work)["Sessions"][f"{url}3"].value != "https://www.exemple.fr"


def test_in_place_never_touches_a_file_the_tool_did_not_make(faulty, tmp_path, capsys):
    foreign = tmp_path / "classeur.xlsx"
    book = load_workbook(faulty)
    del book["_meta"]
    book.save(foreign)
    before = foreign.read_bytes()
    assert run_cli("validate", str(foreign), "--en-place") == 2
    assert "pas été produit par sofi-bulk" in capsys.readouterr().err
    assert foreign.read_bytes() == before and sorted(tmp_path.iterdir()) == [foreign]
    mine = tmp_path / "saisie.xlsx"
    mine.write_bytes(faulty.read_bytes())
    kept = tmp_path / "saisie.sauvegarde.xlsx"
    kept.write_text("mes notes", encoding="utf-8")  # the user's own file, by chance so named
    assert run_cli("validate", str(mine), "--en-place") == 2
    assert "n'est pas une sauvegarde faite par sofi-bulk" in capsys.readouterr().err
    assert (
        kept.read_text(encoding="utf-8") == "mes notes" and mine.read_bytes() == faulty.read_bytes()
    )
    assert run_cli("validate", str(mine), "--en-place", "-o", str(tmp_path / "x.xlsx")) == 2
