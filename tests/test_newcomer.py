"""A newcomer adds an optional text field with a length limit, exported to JSON and LHEO, by
editing two files: the catalogue (core/fields.py) and the LHEO mapping (lheo/mapping.py).

The change is made, as a newcomer would make it, to a copy of the package; the generators
run in the copy (JSON Schema, docs, examples); then the template, the reader, the length
check, the submission and its schema, the JSON read back, the LHEO file, the Aide sheet and
the documentation must all carry the field, and the tests that list every field must pass
there unchanged. Whatever else would need a hand edit makes this test fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

FIELD = """    Field(
        "internal_comment",
        "Commentaire interne",
        Level.ACTION,
        Kind.TEXT,
        max_length=300,
        help="Note de l'organisme sur l'action, transmise au Carif-Oref (300 caractères au plus).",
    ),
"""
EXTRA = '            Extra("commentaire-interne", "internal_comment"),\n'

# what runs in the copy, once its generators have run: the field through every face of data
PROBE = """
import json, sys
from pathlib import Path
from openpyxl import load_workbook
import sofi_bulk
from sofi_bulk.core.fields import SESSIONS_SHEET
from sofi_bulk.core.layout import FIRST_DATA_ROW, HEADER_ROW, column_of
from sofi_bulk.excel.sample import make_sample
from sofi_bulk.submission.schema import check_schema

work = Path(sys.argv[1])
letter = column_of(SESSIONS_SHEET, "internal_comment").letter
out = {}
sofi_bulk.write_template(work / "modele.xlsx")
wb = load_workbook(work / "modele.xlsx")
ws = wb[SESSIONS_SHEET]
out["header"] = ws[f"{letter}{HEADER_ROW}"].value
out["rule"] = [
    [dv.type, dv.formula1]
    for dv in ws.data_validations.dataValidation
    if str(dv.sqref).startswith(f"{letter}{FIRST_DATA_ROW}:")
]
aide = wb["Aide"].iter_rows()
out["aide"] = [[c.value for c in row] for row in aide if row[1].value == "Commentaire interne"]
book = make_sample(2, rows=10)
book.set(SESSIONS_SHEET, "internal_comment", 0, "Salle B à confirmer")
book.save(work / "rempli.xlsx")
result = sofi_bulk.check(work / "rempli.xlsx")
out["issues"] = [i.code for i in result.issues]
out["read"] = result.sessions[0].get("internal_comment")
data = sofi_bulk.to_submission(result)
check_schema(data)
out["json"] = [a.get("internal_comment") for f in data["formations"] for a in f["actions"]]
back = sofi_bulk.read_submission(sofi_bulk.write_submission(data))
extra = '<extra info="commentaire-interne">Salle B à confirmer</extra>'
out["lheo"] = [sofi_bulk.to_lheo(result).decode().count(extra),
               sofi_bulk.to_lheo(back).decode().count(extra)]
book.set(SESSIONS_SHEET, "internal_comment", 1, "x" * 301)
book.save(work / "trop-long.xlsx")
out["too_long"] = [
    [i.code, i.cell] for i in sofi_bulk.check(work / "trop-long.xlsx").issues
    if i.field == "internal_comment"
]
out["letter"] = letter
print("PROBE " + json.dumps(out, ensure_ascii=False))
"""

# the tests that list every field (catalogue, mapping, schema, docs, template), run in the copy
LISTING_TESTS = [
    "tests/test_lheo.py::test_every_catalogue_field_is_exported_or_explained",
    "tests/test_lheo.py::test_every_filled_field_lands_where_exported_fields_says",
    "tests/test_catalogue.py",
    "tests/test_schema.py",
    "tests/test_docs.py",
    "tests/test_rules_registry.py::test_the_rules_document_is_fresh",
    "tests/test_template.py::test_bundled_blank_template_is_current",
]


def _insert_after(path: Path, pattern: str, text: str) -> None:
    source = path.read_text(encoding="utf-8")
    found = re.search(pattern, source, re.DOTALL)
    assert found, f"{path.name}: the place of the newcomer's change moved ({pattern})"
    path.write_text(source[: found.end()] + text + source[found.end() :], encoding="utf-8")


def _run(copy: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(copy)}  # the copy, not the installed package
    done = subprocess.run(
        [sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_a_text_field_is_added_by_editing_the_catalogue_and_the_mapping_only(tmp_path):
    copy = tmp_path / "depot"
    ignore = shutil.ignore_patterns("__pycache__", "node_modules", ".cache")
    parts = ("sofi_bulk", "examples", "schemas", "docs", "tests", "workbook_templates", "tools")
    for part in (*parts, ".ci"):
        shutil.copytree(ROOT / part, copy / part, ignore=ignore)
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, copy / name)
    # the newcomer's two edits: a field after « Commentaire équipement », its extra after
    # « reference-action »
    _insert_after(
        copy / "sofi_bulk" / "core" / "fields.py",
        r'\n    Field\(\n        "equipment_comment",.*?\n    \),\n',
        FIELD,
    )
    _insert_after(
        copy / "sofi_bulk" / "lheo" / "mapping.py",
        r'Extra\("reference-action", "action_ref"\),\n',
        EXTRA,
    )
    # the generators the README names
    _run(copy, "-m", "sofi_bulk.submission.schema")
    _run(copy, "-m", "sofi_bulk.docs")
    _run(copy, "examples/build_example.py")
    work = tmp_path / "travail"
    work.mkdir()
    done = _run(copy, "-c", PROBE, str(work))
    probe = json.loads(next(x for x in done.stdout.splitlines() if x.startswith("PROBE "))[6:])
    letter = probe["letter"]
    assert probe["header"] == "Commentaire interne"
    assert probe["rule"] == [["textLength", "300"]]  # the template's in-sheet length rule
    aide = probe["aide"][0]
    assert "300 caractères au plus" in " ".join(map(str, aide))  # the Aide sheet's dictionary
    assert probe["issues"] == [] and probe["read"] == "Salle B à confirmer"
    assert probe["json"].count("Salle B à confirmer") == 1
    assert probe["lheo"] == [1, 1]  # from the workbook, and from the JSON read back
    assert probe["too_long"] == [["texte-trop-long", f"{letter}{4}"]]
    schema = json.loads((copy / "schemas" / "submission.schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["Action"]["properties"]["internal_comment"]["anyOf"][0] == {
        "maxLength": 300,
        "minLength": 1,
        "type": "string",
    }
    readme = (copy / "README.md").read_text(encoding="utf-8")
    assert "| Sessions | Commentaire interne | Action |" in readme
    lheo_doc = (copy / "docs" / "lheo.md").read_text(encoding="utf-8")
    assert "`internal_comment`" in lheo_doc and "extra[@info='commentaire-interne']" in lheo_doc
    # the tests that list every field pass in the copy as they are
    _run(copy, "-m", "pytest", "-q", "-p", "no:cacheprovider", *LISTING_TESTS, timeout=900)
