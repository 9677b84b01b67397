"""The command's own errors: bad options and inputs of ``template``, usage errors, help.

Every refusal is one French line on stderr, exit status 2, no traceback, and nothing
written: neither the output file nor a temporary file left in its folder.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_process

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CSV = ROOT / "examples" / "referentiel-csv"
EXAMPLE_XLSX = ROOT / "examples" / "referentiel-exemple.xlsx"

ENGLISH = (
    "Traceback",
    "Usage:",
    "Error:",
    "Try '",
    "Show this message",
    "No such",
    "Missing option",
    "requires an argument",
    "Got unexpected",
)


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def assert_one_french_line(proc: subprocess.CompletedProcess) -> str:
    both = proc.stdout + proc.stderr
    for word in ENGLISH:
        assert word not in both, both
    assert proc.returncode == 2, (proc.returncode, both)
    assert proc.stdout.strip() == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("Erreur : "), lines[0]
    return lines[0]


# --- template: bad référentiel, lot, SIRET and output ---------------------------------------
@pytest.fixture
def work(tmp_path) -> Path:
    """A working folder holding a copy of the example référentiel (CSV folder and .xlsx)."""
    shutil.copytree(EXAMPLE_CSV, tmp_path / "ref-csv")
    shutil.copy(EXAMPLE_XLSX, tmp_path / "referentiel.xlsx")
    (tmp_path / "sortie").mkdir()
    return tmp_path


def refused_template(work: Path, *args: str, output: str = "sortie/modele.xlsx") -> str:
    """Run ``template`` expecting a refusal; check nothing at all was written."""
    before = listing(work)
    proc = run_process("template", *args, "-o", output, cwd=work)
    message = assert_one_french_line(proc)
    assert listing(work) == before, "a file was written (output or temporary file)"
    return message


def test_unknown_lot(work):
    message = refused_template(work, "--lot", "PAS2099_9")
    assert "Lot inconnu" in message and "PAS2099_9" in message


def test_lot_of_another_programme(work):
    message = refused_template(work, "--lot", "UEF2025_7")
    assert "UEF2025_7" in message and "1 emploi = 1 formation" in message


def test_one_unknown_lot_among_good_ones(work):
    message = refused_template(work, "--lot", "PAS2025_1", "--lot", "PAS2025_9")
    assert "PAS2025_9" in message


def test_unknown_siret_with_a_valid_key(work):
    message = refused_template(work, "--siret", "73282932000074")
    assert "SIRET inconnu" in message and "73282932000074" in message


def test_malformed_siret(work):
    message = refused_template(work, "--siret", "123")
    assert "SIRET" in message and "123" in message


def test_siret_and_lot_that_do_not_match(work):
    message = refused_template(work, "--siret", "49281345600018", "--lot", "PAS2025_1")
    assert "49281345600018" in message and "PAS2025_1" in message and "PAS2025_3" in message


def test_empty_referentiel(work):
    lots = work / "ref-csv" / "lots.csv"
    lots.write_text(lots.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    message = refused_template(work, "--referentiel", "ref-csv")
    assert "lots.csv" in message and "vide" in message


def test_referentiel_with_empty_lots_file(work):
    (work / "ref-csv" / "lots.csv").write_bytes(b"")
    message = refused_template(work, "--referentiel", "ref-csv")
    assert "lots.csv" in message and "vide" in message


def test_malformed_referentiel_csv_bad_siret(work):
    sites = work / "ref-csv" / "sites.csv"
    lines = sites.read_text(encoding="utf-8").splitlines()
    assert lines[2].startswith("36371;") and ";44198765800016;" in lines[2]
    lines[2] = lines[2].replace(";44198765800016;", ";44198765800017;")
    sites.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = refused_template(work, "--referentiel", "ref-csv")
    assert "sites.csv" in message  # the file
    assert "ligne 3" in message  # the row
    assert "« siret »" in message and "C3" in message  # the column
    assert "44198765800017" in message and "invalide" in message


def test_malformed_referentiel_xlsx_bad_siret(work):
    from openpyxl import load_workbook

    path = work / "referentiel.xlsx"
    book = load_workbook(path)
    ws = book["lots"]
    assert ws["F1"].value == "siret_mandataire"
    ws["F3"] = "4419876580001"  # 13 digits
    book.save(path)
    message = refused_template(work, "--referentiel", "referentiel.xlsx")
    assert "referentiel.xlsx" in message
    assert "feuille « lots »" in message  # the sheet
    assert "ligne 3" in message  # the row
    assert "« siret_mandataire »" in message and "F3" in message  # the column
    assert "4419876580001" in message


def test_referentiel_missing_a_column(work):
    lots = work / "ref-csv" / "lots.csv"
    text = lots.read_text(encoding="utf-8").replace("siret_mandataire", "organisme_pilote", 1)
    lots.write_text(text, encoding="utf-8")
    message = refused_template(work, "--referentiel", "ref-csv")
    assert "lots.csv" in message and "SIRET mandataire" in message and "absente" in message
    assert "siret_mandataire" in message  # the accepted headers are listed


def test_missing_referentiel(work):
    message = refused_template(work, "--referentiel", "pas-la.xlsx")
    assert "introuvable" in message and "pas-la.xlsx" in message


def test_referentiel_that_is_not_a_workbook(work):
    (work / "referentiel.xlsx").write_text("numero_lot;programme\n", encoding="utf-8")
    message = refused_template(work, "--referentiel", "referentiel.xlsx")
    assert "referentiel.xlsx" in message


def test_output_equal_to_the_referentiel(work):
    ref = work / "referentiel.xlsx"
    original = ref.read_bytes()
    message = refused_template(work, "--referentiel", "referentiel.xlsx", output="referentiel.xlsx")
    assert "entrée" in message
    assert ref.read_bytes() == original


def test_output_equal_to_the_referentiel_spelled_differently(work):
    ref = work / "referentiel.xlsx"
    original = ref.read_bytes()
    refused_template(work, "--referentiel", str(ref), output="./sortie/../referentiel.xlsx")
    assert ref.read_bytes() == original


def test_output_in_a_missing_folder(work):
    message = refused_template(work, output="pas-de-dossier/modele.xlsx")
    assert "n'existe pas" in message
    assert not (work / "pas-de-dossier").exists()


@pytest.mark.parametrize(
    "output", ["sortie/modele.xls", "sortie/modele.csv", "sortie/modele", "sortie/modele.ods"]
)
def test_output_not_ending_in_xlsx(work, output):
    message = refused_template(work, output=output)
    assert ".xlsx" in message and Path(output).name in message


def test_output_that_is_a_folder(work):
    (work / "sortie" / "modele.xlsx").mkdir()
    message = refused_template(work, output="sortie/modele.xlsx")
    assert "dossier" in message


def test_good_template_for_comparison(work):
    """Control: the same command with good input writes exactly the output file."""
    proc = run_process(
        "template",
        "--referentiel",
        "ref-csv",
        "--lot",
        "PAS2025_1",
        "-o",
        "sortie/modele.xlsx",
        cwd=work,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (work / "sortie").iterdir()) == ["modele.xlsx"]


# --- usage errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["template"], "-o"),  # missing -o
        (["export", "saisie.xlsx"], "-o"),  # missing -o
        (["validate"], "FICHIER.xlsx"),  # missing file argument
        (["template", "-o", "x.xlsx", "--bogus"], "--bogus"),  # unknown option
        (["validate", "x.xlsx", "--couleur"], "--couleur"),
        (["frobnicate"], "frobnicate"),  # unknown command
        (["template", "-o", "x.xlsx", "en-trop"], "en-trop"),  # extra argument
        (["template", "-o"], "-o"),  # option without its value
        (["validate", "x.xlsx", "--format"], "--format"),
        (["validate", "x.xlsx", "--format", "xml"], "xml"),
    ],
    ids=[
        "template-no-output",
        "export-no-output",
        "validate-no-file",
        "unknown-option",
        "unknown-option-validate",
        "unknown-command",
        "extra-argument",
        "missing-value-o",
        "missing-value-format",
        "bad-format",
    ],
)
def test_usage_error(args, expected, tmp_path):
    message = assert_one_french_line(run_process(*args, cwd=tmp_path))
    assert expected in message, message
    assert listing(tmp_path) == []


# --- help ------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["template", "validate", "export"])
def test_command_help_is_french(command):
    proc = run_process(command, "--help")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert proc.stderr == ""
    assert f"Utilisation : sofi-bulk {command}" in text
    assert "Exemple : sofi-bulk " + command in text
    assert "Affiche cette aide et quitte." in text
    for english in ("Usage:", "Show this message", "[required]", "[default:", "Traceback"):
        assert english not in text, english


@pytest.mark.parametrize(
    "command",
    [
        "",
        "lheo",
        "referentiel",
        "referentiel verifier",
        "serveur",
        "serveur compte",
        "serveur compte organisme",
        "serveur comptes",
        "serveur comptes importer",
    ],
)
def test_every_help_is_french_down_to_its_headings_and_placeholders(command):
    proc = run_process(*command.split(), "--help")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    text = proc.stdout
    assert "Options :" in text and "Options:" not in text
    for english in ("Usage:", "[default:", "TEXT", "INTEGER", "FLOAT", "PATH", "Commands"):
        assert english not in text, (command, english)


def test_short_help_flag_is_the_same():
    assert run_process("validate", "-h").stdout == run_process("validate", "--help").stdout


def test_main_help_is_french():
    proc = run_process("--help")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "Utilisation : sofi-bulk" in text
    assert "Commandes" in text
    for command in ("template", "validate", "export"):
        assert command in text
    assert "Affiche cette aide et quitte." in text
    for english in ("Usage:", "Show this message", "Commands:", "Show the version"):
        assert english not in text, english


def test_version():
    proc = run_process("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("sofi-bulk ")
