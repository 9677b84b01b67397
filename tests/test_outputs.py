"""Outputs never destroy the user's work: a file is replaced only when it holds nothing
sofi-bulk did not write itself, or when --ecraser says so."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import ROOT, run_cli, run_process

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def run(*args: str) -> int:
    return run_cli(*args)


def test_template_regenerates_over_an_untouched_template_but_not_over_a_filled_one(
    tmp_path, sample_path, capsys
):
    out = tmp_path / "saisie.xlsx"
    assert run("template", "-o", str(out)) == 0
    assert run("template", "-o", str(out)) == 0  # still untouched: replaced
    filled = tmp_path / "remplie.xlsx"
    shutil.copy(sample_path, filled)
    book = load_workbook(filled)
    book["Sessions"]["B3"] = "MA-SESSION"  # typed by the user since the tool wrote it
    book.save(filled)
    before = filled.read_bytes()
    capsys.readouterr()
    assert run("template", "-o", str(filled)) == 2
    assert "existe déjà" in capsys.readouterr().err and filled.read_bytes() == before
    assert run("template", "-o", str(filled), "--ecraser") == 0
    assert filled.read_bytes() != before


def test_validate_output_refuses_to_replace_corrections(tmp_path, sample_path):
    annotated = tmp_path / "annotee.xlsx"
    assert run("validate", str(sample_path), "-o", str(annotated)) == 0
    assert run("validate", str(sample_path), "-o", str(annotated)) == 0  # untouched copy: replaced
    book = load_workbook(annotated)
    book["Sessions"]["BD3"] = 11  # a correction made in the copy
    book.save(annotated)
    assert run("validate", str(sample_path), "-o", str(annotated)) == 2
    assert load_workbook(annotated)["Sessions"]["BD3"].value == 11


def test_export_and_lheo_check_extension_and_kind(tmp_path, sample_path):
    precious = tmp_path / "precieux.xlsx"
    shutil.copy(sample_path, precious)
    assert run("export", str(sample_path), "-o", str(precious)) == 2
    notes = tmp_path / "notes.json"
    notes.write_text('{"mes": "notes"}', encoding="utf-8")
    assert run("export", str(sample_path), "-o", str(notes)) == 2
    assert notes.read_text(encoding="utf-8") == '{"mes": "notes"}'
    out = tmp_path / "soumission.json"
    assert run("export", str(sample_path), "-o", str(out)) == 0
    assert run("export", str(sample_path), "-o", str(out)) == 0  # its own earlier output: replaced
    assert run("lheo", str(sample_path), "-o", str(out)) == 2  # not .xml
    xml = tmp_path / "offre.xml"
    assert run("lheo", str(out), "-o", str(xml)) == 0
    assert run("lheo", str(sample_path), "-o", str(xml)) == 0
    other = tmp_path / "autre.xml"
    other.write_text("<note>à garder</note>", encoding="utf-8")
    assert run("lheo", str(out), "-o", str(other)) == 2


def test_the_example_referentiel_is_never_used_silently(tmp_path):
    out = tmp_path / "saisie.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "sofi_bulk", "template", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0 and "Référentiel d'exemple" in done.stderr
    ref = Path(__file__).resolve().parent.parent / "examples" / "referentiel-csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sofi_bulk",
            "template",
            "--referentiel",
            str(ref),
            "-o",
            str(tmp_path / "vrai.xlsx"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0 and "exemple" not in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "sofi_bulk", "validate", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 2  # an empty template
    example = Path(__file__).resolve().parent.parent / "examples" / "saisie-exemple.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "sofi_bulk", "validate", str(example)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "Référentiel d'exemple" in done.stderr
    for command, name in (("export", "offre.json"), ("lheo", "offre.xml")):
        done = run_process(command, example, "-o", name, cwd=tmp_path)
        assert done.returncode == 0 and "Référentiel d'exemple" in done.stderr, command
    # from the JSON: its lots are the example's, said as from the workbook
    done = run_process("lheo", "offre.json", "-o", "depuis-json.xml", cwd=tmp_path)
    assert done.returncode == 0 and "Référentiel d'exemple" in done.stderr


def test_a_replaced_file_keeps_its_permissions_and_a_read_only_one_is_refused(
    tmp_path, monkeypatch
):
    import os
    import stat

    from sofi_bulk.core.errors import UserError
    from sofi_bulk.files import write_bytes_atomic

    private = tmp_path / "saisie.xlsx"
    private.write_bytes(b"avant")
    private.chmod(0o600)
    write_bytes_atomic(private, b"apres")
    assert private.read_bytes() == b"apres"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600  # not widened to 0644
    link = tmp_path / "raccourci.xlsx"
    link.symlink_to(private)
    write_bytes_atomic(link, b"par le lien")
    assert link.is_symlink() and private.read_bytes() == b"par le lien"
    # a file the user may not write (root may write anything: the system's answer is faked)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(UserError, match="lecture seule"):
        write_bytes_atomic(private, b"encore")
    assert private.read_bytes() == b"par le lien"


def test_the_referentiel_given_is_an_input_never_an_output(tmp_path, sample_path):
    ref = tmp_path / "referentiel.xlsx"
    ref.write_bytes((ROOT / "examples" / "referentiel-exemple.xlsx").read_bytes())
    before = ref.read_bytes()
    for command in ("validate", "export", "lheo"):
        done = run_cli(command, str(sample_path), "-r", str(ref), "-o", str(ref), "--ecraser")
        assert done == 2, command
    assert ref.read_bytes() == before


def test_a_refused_output_is_named_as_the_user_typed_it(tmp_path, sample_path):
    filled = tmp_path / "remplie.xlsx"
    shutil.copy(sample_path, filled)
    book = load_workbook(filled)
    book["Sessions"]["B3"] = "MA-SESSION"
    book.save(filled)
    done = run_process("template", "-o", "remplie.xlsx", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("Erreur : remplie.xlsx existe déjà"), done.stderr
    assert str(tmp_path) not in done.stderr
