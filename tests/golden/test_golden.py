"""Golden outputs: the same inputs give the same issues, marks, JSON and LHEO as recorded.

The expected files were captured from the command line before a refactoring; a change
of behaviour shows here as a diff. ``SOFI_UPDATE_GOLDEN=1`` rewrites them on purpose.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.golden.cases import CASES
from tests.golden.snapshot import case_snapshot, template_snapshot

EXPECTED = Path(__file__).resolve().parent / "expected"
UPDATE = os.environ.get("SOFI_UPDATE_GOLDEN") == "1"

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _compare(name: str, actual: dict) -> None:
    path = EXPECTED / f"{name}.json"
    text = json.dumps(actual, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if UPDATE:
        EXPECTED.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert json.loads(text) == expected


@pytest.mark.parametrize("name", list(CASES))
def test_case_outputs_are_unchanged(name, tmp_path):
    _compare(name, case_snapshot(name, tmp_path))


def test_template_is_unchanged(tmp_path):
    _compare("modele", template_snapshot(tmp_path))
