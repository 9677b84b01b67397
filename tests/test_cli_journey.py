"""A newcomer's usual mistakes in the terminal, each met with a French line that points the
right way (issue 29): a workbook still open in LibreOffice or Excel, a misspelt file or
command, an output that is the input, a .xls saved by LibreOffice; and a report that reads
well at 100 columns."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.golden.cases import build

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
EXAMPLE = ROOT / "examples" / "saisie-exemple.xlsx"


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> Path:
    """The golden « erreurs » workbook: 26 errors of 21 codes, and a warning."""
    return build("erreurs", tmp_path_factory.mktemp("faulty"))


@pytest.fixture(scope="module")
def few(tmp_path_factory) -> Path:
    """A report short enough to be listed whole: 6 sessions, 5 wrong e-mails (as many as
    the list shows of one code) and an impossible date."""
    from openpyxl import load_workbook

    from sofi_bulk.excel.sample import make_sample
    from tests.test_terminal import col

    path = tmp_path_factory.mktemp("few") / "six.xlsx"
    make_sample(6, rows=10).save(path)
    book = load_workbook(path)
    ws = book["Sessions"]
    for row in range(3, 8):
        ws[f"{col('liaison_email')}{row}"] = f"pas-un-mail-{row}"
    ws[f"{col('start_date')}8"] = "31/02/2026"
    book.save(path)
    return path


@pytest.fixture
def annotated(faulty, tmp_path, capsys) -> Path:
    """An annotated copy, the file a user corrects and checks again in place."""
    copy = tmp_path / "saisie-annotee.xlsx"
    assert run_cli("validate", str(faulty), "-o", str(copy), "-q") == 1
    capsys.readouterr()
    return copy


# --- lock files: a workbook still open ------------------------------------------------------
def libreoffice_lock(workbook: Path, name: str = "") -> Path:
    """The lock file LibreOffice writes beside a document it opens (as LibreOffice 7.4 wrote
    it in tests/lo/test_lock.py): « name,account,host,date,profile; »."""
    lock = workbook.with_name(f".~lock.{workbook.name}#")
    lock.write_text(
        f"{name},claire,poste-12,07.12.2026 14:34,file:///home/claire/.config/libreoffice/4;",
        encoding="utf-8",
    )
    return lock


def excel_lock(workbook: Path, user: str = "Claire Martin") -> Path:
    """The owner file Excel writes beside a workbook it opens: 165 bytes, the user's name as
    a length byte and ANSI text padded with spaces to 54 bytes, then as a length and UTF-16
    text padded with spaces."""
    ansi = bytes([len(user)]) + user.encode("cp1252")
    wide = bytes([len(user), 0]) + user.encode("utf-16-le")
    data = ansi.ljust(54, b" ") + wide
    data += b" \x00" * ((165 - len(data)) // 2)
    lock = workbook.with_name(f"~${workbook.name}")
    lock.write_bytes(data.ljust(165, b" "))
    return lock


@pytest.mark.parametrize(
    "make, program, who",
    [
        (lambda p: libreoffice_lock(p), "LibreOffice", "par claire"),
        (lambda p: libreoffice_lock(p, "Claire Martin"), "LibreOffice", "par Claire Martin"),
        (lambda p: excel_lock(p), "Excel", "par Claire Martin"),
    ],
)
def test_in_place_refuses_a_workbook_still_open(annotated, capsys, make, program, who):
    """Marks written into a workbook open in a window are lost when the window saves: the
    command says so, names the program and its lock file, writes nothing, exits 2."""
    lock = make(annotated)
    before = annotated.read_bytes()
    assert run_cli("validate", str(annotated), "--en-place") == 2
    err = capsys.readouterr().err
    assert f"ouvert dans {program} {who}" in err and lock.name in err, err
    assert f"fermez-le dans {program}" in err and f"supprimez {lock.name}" in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("Erreur : ")
    assert annotated.read_bytes() == before
    assert sorted(p.name for p in annotated.parent.iterdir()) == sorted(
        [annotated.name, lock.name]
    )  # no backup either
    lock.unlink()
    assert run_cli("validate", str(annotated), "--en-place", "-q") == 1  # closed: it runs


def test_a_copy_of_an_open_workbook_warns_and_an_open_output_is_refused(
    annotated, tmp_path, capsys
):
    lock = libreoffice_lock(annotated)
    copy = tmp_path / "autre-annotee.xlsx"
    assert run_cli("validate", str(annotated), "-o", str(copy)) == 1
    err = capsys.readouterr().err
    assert "ouvert dans LibreOffice" in err and "lit la version enregistrée" in err
    assert copy.exists()
    lock.unlink()
    excel_lock(copy)
    before = copy.read_bytes()
    assert run_cli("validate", str(annotated), "-o", str(copy)) == 2
    err = capsys.readouterr().err
    assert f"{copy} est ouvert dans Excel par Claire Martin" in err
    assert copy.read_bytes() == before


# --- mistakes pointed the right way ---------------------------------------------------------
def test_a_misspelt_input_is_said_missing_with_the_nearest_name(tmp_path, capsys):
    """« saisi.xlsx » for saisie.xlsx, with an output that holds the user's work: the input is
    missing, which is said first, not « the output already exists »."""
    shutil.copy(EXAMPLE, tmp_path / "saisie.xlsx")
    mine = tmp_path / "saisie-annotee.xlsx"
    mine.write_bytes(b"mes notes")
    for command in (
        ["validate", str(tmp_path / "saisi.xlsx"), "-o", str(mine)],
        ["export", str(tmp_path / "saisi.xlsx"), "-o", str(tmp_path / "s.json")],
        ["lheo", str(tmp_path / "Saisie.xlsx"), "-o", str(tmp_path / "o.xml")],
    ):
        assert run_cli(*command) == 2
        err = capsys.readouterr().err
        assert "introuvable" in err and "existe déjà" not in err, err
        assert f"Vouliez-vous dire {tmp_path / 'saisie.xlsx'} ?" in err, err
    assert run_cli("validate", str(tmp_path / "rien-de-proche.xlsx")) == 2
    assert "Vouliez-vous dire" not in capsys.readouterr().err
    assert mine.read_bytes() == b"mes notes"


def test_an_output_that_is_the_input_points_to_en_place(tmp_path, capsys):
    work = tmp_path / "saisie.xlsx"
    shutil.copy(EXAMPLE, work)
    assert run_cli("validate", str(work), "-o", str(work)) == 2
    err = capsys.readouterr().err
    assert "ne peut pas être le fichier d'entrée" in err
    assert "utilisez --en-place" in err and "sofi-bulk validate saisie.xlsx --en-place" in err


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("valider", "validate"),
        ("validat", "validate"),
        ("contrôler", "validate"),
        ("exporter", "export"),
        ("modele", "template"),
        ("lhoe", "lheo"),
    ],
)
def test_a_misspelt_or_french_command_gets_a_suggestion(typed, meant, capsys):
    assert run_cli(typed, "saisie.xlsx") == 2
    err = capsys.readouterr().err
    assert f"commande inconnue « {typed} » ; vouliez-vous dire « {meant} » ?" in err, err


def test_a_misspelt_option_gets_a_suggestion(capsys):
    assert run_cli("validate", "saisie.xlsx", "--ouput", "x.xlsx") == 2
    assert "option inconnue : --ouput ; vouliez-vous dire --output ?" in capsys.readouterr().err


# --- the report -------------------------------------------------------------------------------
def test_a_small_report_is_one_list(few, capsys):
    """Up to SHOWN issues fit in the detail: each is listed once, errors first, with no
    table per code or per sheet repeating them (5 errors took 17 lines)."""
    from sofi_bulk.api import check
    from sofi_bulk.cli.report import SHOWN

    report = check(few)
    errors, warnings = len(report.errors), len(report.warnings)
    assert errors == 6 and errors + warnings <= SHOWN
    assert run_cli("validate", str(few)) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "Par code :" not in lines and "Détail :" not in lines
    assert not any(line.lstrip().startswith("•") for line in lines)
    issues = [line for line in lines if line.startswith(("✖", "⚠"))]
    assert [line[0] for line in issues] == ["✖"] * errors + ["⚠"] * warnings
    assert lines[1].startswith("6 erreurs, ")
    assert len(lines) == 2 + errors + warnings + 1  # heading, counts, issues, what next


def in_a_terminal(*args: str | Path, columns: int = 100) -> str:
    """What ``sofi-bulk`` shows on a terminal ``columns`` wide: its stdout is a pseudo-
    terminal of that size."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import subprocess
    import sys
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sofi_bulk", *map(str, args)],
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env={**env, "TERM": "xterm", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"},
    )
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=60)
    os.close(master)
    return seen.decode("utf-8").replace("\r\n", "\n")


def test_at_100_columns_lines_break_between_words(few, capsys):
    """A 100-column terminal: no line longer, no word cut, an issue's next lines indented;
    piped, each issue stays on its line (for grep)."""
    import re

    from sofi_bulk.api import check

    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", in_a_terminal("validate", few))
    lines = out.splitlines()
    assert any(line.startswith("6 erreurs, ") for line in lines), out
    assert max(len(line) for line in lines) <= 100
    assert any(line.startswith("  ") for line in lines)  # an issue on two lines at least
    words = " ".join(" ".join(line.strip() for line in lines).split())
    for issue in check(few).issues:  # every message's words, whole and in order
        assert " ".join(issue.message.split()) in words, issue.message
    assert run_cli("validate", str(few)) == 1  # piped: one issue, one line
    piped = capsys.readouterr().out.splitlines()
    assert len([line for line in piped if line.startswith("✖")]) == 6
    assert not any(line.startswith("  ") for line in piped)
    assert max(len(line) for line in piped) > 100


# --- hostile input ----------------------------------------------------------------------------
ENGLISH = (
    "Errno",
    "codec",
    "Is a directory",
    "can't decode",
    "Exceeds the limit",
    "integer string",
    "Traceback",
)


def one_french_refusal(done) -> str:
    """A refusal as a child process printed it: exit 2, one French line, no Python English."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert not any(word in done.stderr for word in ENGLISH), done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Erreur : "), done.stderr
    return lines[0]


def test_an_integer_of_5000_digits_is_refused_wherever_json_is_read(tmp_path, profile):
    """Python stops reading an integer past 4,300 digits with a bare ValueError, which came
    out as an internal error (exit 3): a programme file and a submission given to lheo."""
    import dataclasses
    import json

    from tests.conftest import run_process

    huge = "9" * 5000
    programme = tmp_path / "programme.json"
    text = json.dumps(dataclasses.asdict(profile), ensure_ascii=False)
    programme.write_text(text.replace('"campaign_year": ', f'"campaign_year": {huge}, "x": ', 1))
    line = one_french_refusal(
        run_process("template", "--programme", programme, "-o", tmp_path / "t.xlsx")
    )
    assert "plus de 4 300 chiffres" in line and str(programme) in line
    shutil.copy(EXAMPLE, tmp_path / "saisie.xlsx")
    assert (
        run_process("export", tmp_path / "saisie.xlsx", "-o", tmp_path / "s.json").returncode == 0
    )
    submission = tmp_path / "s.json"
    raw = submission.read_text(encoding="utf-8")
    submission.write_text(raw.replace('"session_count": 6', f'"session_count": {huge}', 1))
    line = one_french_refusal(run_process("lheo", submission, "-o", tmp_path / "o.xml"))
    assert "s.json" in line and "plus de 4 300 chiffres" in line
    assert not (tmp_path / "o.xml").exists()


def test_pipes_are_never_opened_where_a_file_is_expected(tmp_path):
    """A named pipe as an output (whose content the overwrite check read: forever) or as an
    input (the JSON readers): refused from its stat, in a child process that ends."""
    import os

    from tests.conftest import run_process

    shutil.copy(EXAMPLE, tmp_path / "saisie.xlsx")
    for name in ("tube.json", "tube.xml", "tube.xlsx"):
        os.mkfifo(tmp_path / name)
    source = tmp_path / "saisie.xlsx"
    for args in (
        ("export", source, "-o", tmp_path / "tube.json"),
        ("lheo", source, "-o", tmp_path / "tube.xml"),
        ("validate", source, "-o", tmp_path / "tube.xlsx"),
        ("template", "-o", tmp_path / "tube.xlsx", "--ecraser"),
        ("lheo", tmp_path / "tube.json", "-o", tmp_path / "o.xml"),
        ("validate", source, "--programme", tmp_path / "tube.json"),
        ("validate", tmp_path / "tube.xlsx"),
    ):
        line = one_french_refusal(run_process(*args))  # run_process gives up after 120 s
        assert "c'est un tube nommé, pas un fichier" in line, line


def test_the_in_place_backup_is_never_written_through_a_link_onto_the_input(tmp_path, capsys):
    """saisie.sauvegarde.xlsx a link to saisie.xlsx: the backup would be written onto the
    workbook, then the marks over it, and the original lost. Refused, naming both; so is
    the workbook a link to its backup. A hard link is safe (each is replaced by a new file)."""
    import os

    work = tmp_path / "saisie.xlsx"
    shutil.copy(EXAMPLE, work)
    before = work.read_bytes()
    backup = tmp_path / "saisie.sauvegarde.xlsx"
    os.symlink(work, backup)
    assert run_cli("validate", str(work), "--en-place", "--ecraser") == 2
    err = capsys.readouterr().err
    assert f"{backup} est un lien vers le classeur contrôlé {work} lui-même" in err, err
    assert "son original perdu" in err and work.read_bytes() == before
    backup.unlink()
    elsewhere = tmp_path / "ailleurs.xlsx"
    os.symlink(elsewhere, backup)  # a link to another place: written there otherwise
    assert run_cli("validate", str(work), "--en-place") == 2
    assert f"est un lien vers {elsewhere}" in capsys.readouterr().err
    assert not elsewhere.exists() and work.read_bytes() == before
    backup.unlink()
    os.replace(work, backup)  # the workbook itself a link to the place of its backup
    os.symlink(backup, work)
    assert run_cli("validate", str(work), "--en-place") == 2
    assert "lui-même" in capsys.readouterr().err and backup.read_bytes() == before
    work.unlink()
    os.replace(backup, work)
    os.link(work, backup)  # a hard link: each name gets a new file, nothing is lost
    assert run_cli("validate", str(work), "--en-place", "-q") == 0
    assert backup.read_bytes() == before and work.read_bytes() != before


def test_os_and_decoding_errors_are_said_in_french(tmp_path):
    """A --programme path that is a folder, a profile saved in Windows-1252: French reasons
    only, where Python's English used to sit inside the French line."""
    from tests.conftest import run_process

    shutil.copy(EXAMPLE, tmp_path / "saisie.xlsx")
    folder = tmp_path / "profil.json"
    folder.mkdir()
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"id": "été"}'.encode("cp1252"))
    line = one_french_refusal(
        run_process("validate", tmp_path / "saisie.xlsx", "--programme", folder)
    )
    assert "c'est un dossier" in line
    line = one_french_refusal(
        run_process("validate", tmp_path / "saisie.xlsx", "--programme", latin)
    )
    assert "ce n'est pas un texte UTF-8 (enregistré en Windows-1252 ?)" in line


def test_the_json_reader_refuses_in_french():
    from sofi_bulk.core.jsonfile import JsonUnreadable, parse_json, read_json

    for raw, reason in (
        (b"[" + b"1" * 5000 + b"]", "plus de 4 300 chiffres"),
        ("[été]".encode("cp1252"), "pas un texte UTF-8"),
        (b'{"a": }', "JSON invalide, ligne 1, colonne 7"),
        (b"[" * 100_000, "imbriqué"),
    ):
        with pytest.raises(JsonUnreadable, match=reason):
            parse_json(raw)
    with pytest.raises(JsonUnreadable, match="c'est un dossier"):
        read_json(Path("."))
    with pytest.raises(JsonUnreadable, match="introuvable"):
        read_json(Path("nulle-part.json"))
