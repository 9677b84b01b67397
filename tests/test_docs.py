"""The README and CI stay true: generated sections are fresh, commands are the real ones."""

from __future__ import annotations

import os
import re

from sofi_bulk.core.issues import ISSUE_TYPES
from sofi_bulk.docs import README, render
from tests.conftest import ROOT


def readme() -> str:
    return README.read_text(encoding="utf-8")


def bash_blocks() -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", readme(), re.S)]


def test_generated_sections_are_fresh():
    assert render(readme()) == readme(), "README is stale: run python -m sofi_bulk.docs"


def test_every_check_code_is_documented():
    text = readme()
    for code in ISSUE_TYPES:
        assert f"`{code}`" in text


TEST_COMMAND = "tools/run-tests"
QUICK_LOOP = '.venv/bin/python -m pytest -n 2 -m "not lent"'


def section_blocks(title: str) -> list[str]:
    """The bash blocks of one ``## title`` section of the README."""
    text = readme().split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, re.S)]


def test_the_readme_shows_two_commands_and_ci_runs_the_second():
    """« Démarrage » shows the setup command and the test command, « Pour les développeurs »
    the test command with the quick loop beside it; .ci/run installs the Debian packages and
    the project, then runs the test command as written."""
    assert section_blocks("Démarrage sous Linux ou macOS") == [bash_blocks()[0], TEST_COMMAND]
    assert section_blocks("Pour les développeurs") == [TEST_COMMAND]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[0] == "#!/usr/bin/env bash" and os.access(ROOT / ".ci" / "run", os.X_OK)
    commands = [line for line in ci if line.strip() and not line.startswith("#")]
    assert commands == [
        "set -euo pipefail",
        'cd "$(dirname "$0")/.."',
        f"{TEST_COMMAND} --paquets",  # the Debian packages first
        "python3 -m venv .venv",
        '.venv/bin/pip install -q -e ".[test]"',  # the project and its test dependencies
        TEST_COMMAND,
    ]
    assert os.access(ROOT / TEST_COMMAND, os.X_OK)


def test_the_quick_loop_is_documented_beside_the_test_command():
    import tomllib

    developers = readme().split("\n## Pour les développeurs\n", 1)[1].split("\n## ", 1)[0]
    assert f"`{QUICK_LOOP}`" in developers
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    markers = [m.split(":")[0] for m in declared["tool"]["pytest"]["ini_options"]["markers"]]
    assert "lent" in markers
    for marker in markers:
        assert f"`{marker}`" in developers, marker


def test_setup_command_installs_then_runs_the_main_job_on_bundled_data():
    setup = bash_blocks()[0]
    assert "\n" not in setup and "pip install" in setup and "sofi-bulk template" in setup
    for path in re.findall(r"examples/[\w./-]+\.xlsx", setup):
        assert (ROOT / path).exists(), path


def test_bundled_example_workbook_is_current_and_valid():
    from sofi_bulk.excel.reader import read_workbook
    from tests.conftest import run_validation

    result = run_validation(read_workbook(ROOT / "examples" / "saisie-exemple.xlsx"))
    assert result.ok and not result.issues and len(result.sessions) == 6


def test_every_lheo_extras_key_is_listed_in_the_readme():
    from sofi_bulk.lheo.mapping import EXPORTED_FIELDS

    keys = {
        k
        for paths in EXPORTED_FIELDS.values()
        for path in paths
        for k in re.findall(r"@info='([a-z-]+)'", path)
    }
    assert keys, "no extras key found in EXPORTED_FIELDS"
    text = readme()
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert not missing, missing


def test_the_library_example_of_the_readme_runs(tmp_path, monkeypatch):
    """The « Utiliser comme bibliothèque Python » example, run as written, in a fresh folder."""
    import shutil

    blocks = re.findall(r"```python\n(.*?)```", readme(), re.S)
    assert blocks, "no Python example in the README"
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert (tmp_path / "saisie.xlsx").stat().st_size > 10_000


def test_the_question_list_for_the_carif_oref_is_fresh_and_linked():
    from sofi_bulk.core.profile import load_profile
    from sofi_bulk.docs import QUESTIONS, QUESTIONS_SECTIONS

    text = QUESTIONS.read_text(encoding="utf-8")
    assert render(text, QUESTIONS_SECTIONS) == text, "run python -m sofi_bulk.docs"
    assert "(docs/questions-cariforef.md)" in readme()
    for question in load_profile().open_questions:
        assert "### " in text and question.sujet in text and question.choix in text
        for path in question.reglages:
            assert f"`{path}`" in text
    # the points the procedure leaves open, each asked
    for subject in (
        "Périodes de formation",
        "Référent mobilité",
        "Niveau de sortie",
        "Intitulé du lot",
        "Cycle de l'alternance",
        "Formacode",
        "Frais par stagiaire",
        "Format d'import",
        "sites et contacts",
    ):
        assert subject in text, subject


def test_the_lheo_field_table_is_fresh():
    from sofi_bulk.docs import LHEO_DOC, LHEO_SECTIONS

    text = LHEO_DOC.read_text(encoding="utf-8")
    assert render(text, LHEO_SECTIONS) == text, "run python -m sofi_bulk.docs"
    assert "| Réf. action | Identification | `action_ref` |" in text


def test_the_readme_says_why_a_starred_field_is_not_required():
    from sofi_bulk.core.profile import load_profile

    profile = load_profile()
    text = readme()
    for key, reason in profile.required_reasons.items():
        assert reason in text, key
