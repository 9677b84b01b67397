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
    found = list(_differences(expected, json.loads(text), name))
    assert not found, "\n".join(found[:30])


def _differences(expected, actual, where: str):
    """Paths where two JSON values differ, with both sides, for a readable failure."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in actual or key not in expected:
                yield f"{where}.{key}: {'absent' if key not in actual else 'en trop'}"
            else:
                yield from _differences(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (a, b) in enumerate(zip(expected, actual, strict=True)):
            yield from _differences(a, b, f"{where}[{i}]")
    elif expected != actual:
        yield f"{where}: attendu {str(expected)[:300]!r}, obtenu {str(actual)[:300]!r}"


@pytest.mark.parametrize("name", list(CASES))
def test_case_outputs_are_unchanged(name, tmp_path):
    _compare(name, case_snapshot(name, tmp_path))


def test_template_is_unchanged(tmp_path):
    _compare("modele", template_snapshot(tmp_path))


def test_fas_pair_of_json_and_lheo_is_unchanged(tmp_path):
    """The committed example of SOFI's tree: two formations, three actions, five sessions,
    two modifications and a new session in an existing action, as JSON and as LHEO."""
    import datetime as dt

    from sofi_bulk.api import check, to_lheo, to_submission
    from sofi_bulk.submission.io import dumps
    from tests.golden.cases import build
    from tests.golden.snapshot import _run

    result = check(build("fas", tmp_path))
    when = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    text = dumps(to_submission(result, generated_at=when))
    xml = to_lheo(result)
    json_path, xml_path = EXPECTED / "fas-soumission.json", EXPECTED / "fas-offre.xml"
    if UPDATE:
        json_path.write_text(text, encoding="utf-8")
        xml_path.write_bytes(xml)
    assert json.loads(text) == json.loads(json_path.read_text(encoding="utf-8"))
    assert xml == xml_path.read_bytes()
    # the command writes the same LHEO, from the workbook and from the committed JSON
    for source in (tmp_path / "fas.xlsx", json_path):
        out = tmp_path / f"{source.stem}.xml"
        assert _run("lheo", str(source), "-o", str(out))[0] == 0
        assert out.read_bytes() == xml
