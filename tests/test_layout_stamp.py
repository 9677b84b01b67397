"""The layout's stamp is computed from the columns, and a workbook of another layout is read
whenever it can be read right: with a notice for the optional columns it lacks, refused
(one French line) when a required column is absent or a column is read differently.

A workbook of an earlier layout is made as that layout's template would have made it:
today's template without a column, with the signature (and so the stamp) it would have
carried.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sofi_bulk import api
from sofi_bulk.core import layout
from sofi_bulk.core.fields import BY_KEY, FIELDS, SESSIONS_SHEET, Field, Kind, Level
from sofi_bulk.core.layout import (
    HEADER_ROW,
    LEGACY_FORMAT,
    META_SHEET,
    column_signature,
    layout_stamp,
    signature_text,
)
from sofi_bulk.core.profile import load_profile
from sofi_bulk.excel.sample import make_sample
from tests.conftest import run_process
from tests.test_badfiles import assert_refused

OPTIONAL = "Complément intitulé"  # title_complement: optional, not pre-filled
REQUIRED = "Date début"  # start_date: required


@pytest.fixture(scope="module")
def profile():
    return load_profile()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stamp") / "saisie.xlsx"
    make_sample(3, rows=20).save(path)
    return path


def earlier(
    sample: Path,
    target: Path,
    *,
    without: str | None = None,
    removed: tuple[str, ...] = (),
    signature=None,
    meta: dict[str, str | None] | None = None,
) -> Path:
    """The sample as a template of an earlier layout would have made it: the Sessions
    column ``without`` absent from the sheet and from the signature it carries; the user
    then ``removed`` columns of their own workbook."""
    book = load_workbook(sample)
    signature = signature or column_signature(load_profile())
    ws = book[SESSIONS_SHEET]
    for header in (*removed, *([without] if without else [])):
        ws.delete_cols(next(c.column for c in ws[HEADER_ROW] if c.value == header))
    if without is not None:
        signature = {
            sheet: [c for c in columns if not (sheet == SESSIONS_SHEET and c[0] == without)]
            for sheet, columns in signature.items()
        }
    changes = {"format": layout_stamp(signature), "columns": signature_text(signature)}
    changes.update(meta or {})
    for row in book[META_SHEET].iter_rows(min_row=2):
        if row[0].value in changes:
            row[1].value = changes[row[0].value]
            if changes[row[0].value] is None:
                row[0].value = None  # the row is gone
    book.save(target)
    return target


# --- the stamp ----------------------------------------------------------------------------
def stamp_with(monkeypatch, profile, fields) -> str:
    monkeypatch.setattr(layout, "FIELDS", tuple(fields))
    return layout_stamp(column_signature(profile))


def test_the_stamp_changes_with_the_columns_and_only_with_them(monkeypatch, profile):
    today = layout_stamp(column_signature(profile))
    assert today == layout_stamp(column_signature(load_profile()))  # nothing random in it
    assert len(today) == 12 and today != LEGACY_FORMAT
    added = Field("note_interne", "Note interne", Level.SESSION, Kind.TEXT, "Une note.")
    monkeypatch.setitem(BY_KEY, added.key, added)
    i, j = FIELDS.index(BY_KEY["title_complement"]), FIELDS.index(BY_KEY["highlight"])
    moved = list(FIELDS)
    moved[i], moved[j] = moved[j], moved[i]
    retyped = [dataclasses.replace(f, kind=Kind.URL) if f.key == "highlight" else f for f in FIELDS]
    renamed = [dataclasses.replace(f, header="Plus") if f.key == "highlight" else f for f in FIELDS]
    stamps = {
        "added": stamp_with(monkeypatch, profile, [*FIELDS, added]),
        "moved": stamp_with(monkeypatch, profile, moved),
        "retyped": stamp_with(monkeypatch, profile, retyped),
        "renamed": stamp_with(monkeypatch, profile, renamed),
        "same": stamp_with(monkeypatch, profile, FIELDS),
    }
    monkeypatch.setattr(layout, "FIELDS", FIELDS)
    required = dataclasses.replace(profile, required={**profile.required, "highlight": True})
    stamps["required"] = layout_stamp(column_signature(required))
    default = dataclasses.replace(profile, defaults={**profile.defaults, "highlight": "Bien"})
    stamps["pre-filled"] = layout_stamp(column_signature(default))
    assert stamps.pop("same") == today
    assert today not in stamps.values() and len(set(stamps.values())) == len(stamps), stamps


def test_the_template_carries_its_stamp_and_columns(sample, profile):
    meta = api.read(sample).meta
    assert meta["format"] == layout_stamp(column_signature(profile))
    assert meta["columns"] == signature_text(column_signature(profile))


# --- workbooks of another layout ----------------------------------------------------------
def test_an_earlier_workbook_without_an_optional_column_is_read_with_a_notice(sample, tmp_path):
    path = earlier(sample, tmp_path / "ancien.xlsx", without=OPTIONAL)
    result = api.check(path)
    assert len(result.sessions) == 3 and result.ok
    [notice] = result.issues
    assert notice.code == "colonnes-facultatives-absentes" and notice.severity == "avertissement"
    assert notice.sheet == SESSIONS_SHEET and notice.cell is None
    assert notice.message == (
        "Ce classeur vient d'une autre version du modèle, sans la colonne facultative "
        f"« {OPTIONAL} » dans la feuille Sessions : elle est lue comme vide. La copie annotée a "
        "toutes les colonnes du modèle en vigueur."
    )
    done = run_process("validate", path)
    assert done.returncode == 0, done.stderr
    assert "colonnes-facultatives-absentes" in done.stdout and OPTIONAL in done.stdout


def test_the_annotated_copy_of_an_earlier_workbook_is_of_the_current_layout(sample, tmp_path):
    path = earlier(sample, tmp_path / "ancien.xlsx", without=OPTIONAL)
    copy = tmp_path / "copie.xlsx"
    api.write_annotated(api.check(path), copy)
    again = api.check(copy)
    assert again.ok and not again.issues and len(again.sessions) == 3


def test_the_same_workbook_of_the_current_layout_says_nothing_of_it(sample, tmp_path):
    """A column the user deleted from a current template: no notice, as before."""
    book = load_workbook(sample)
    ws = book[SESSIONS_SHEET]
    ws.delete_cols(next(c.column for c in ws[HEADER_ROW] if c.value == OPTIONAL))
    book.save(tmp_path / "courant.xlsx")
    assert not api.check(tmp_path / "courant.xlsx").issues


def test_an_earlier_workbook_without_a_required_column_is_refused(sample, tmp_path):
    path = earlier(sample, tmp_path / "ancien.xlsx", without=REQUIRED)
    with pytest.raises(api.WorkbookError) as info:
        api.check(path)
    message = str(info.value)
    assert message.startswith("ancien.xlsx : ce classeur vient d'une autre version du modèle")
    assert f"sans la colonne obligatoire « {REQUIRED} » (feuille Sessions)" in message
    assert "sofi-bulk template" in message
    line = assert_refused(run_process("validate", path), "ancien.xlsx")
    assert f"« {REQUIRED} »" in line


def test_an_earlier_workbook_whose_column_was_read_otherwise_is_refused(sample, tmp_path):
    signature = column_signature(load_profile())
    for column in signature[SESSIONS_SHEET]:
        if column[0] == OPTIONAL:
            column[1] = "nombre"
    path = earlier(sample, tmp_path / "autrement.xlsx", signature=signature)
    with pytest.raises(api.WorkbookError) as info:
        api.check(path)
    message = str(info.value)
    assert (
        f"où la colonne « {OPTIONAL} » (feuille Sessions) se lisait comme « nombre », elle se "
        "lit aujourd'hui comme « texte » : ses valeurs seraient mal comprises" in message
    )


def test_an_earlier_workbook_with_another_pre_filled_value_is_refused(sample, tmp_path):
    """Its untouched rows hold the old value: they would be read as typed sessions."""
    signature = column_signature(load_profile())
    for column in signature[SESSIONS_SHEET]:
        if column[0] == "Objectifs":  # pre-filled with the programme's sentence
            column[3] = "0" * 8
    path = earlier(sample, tmp_path / "prerempli.xlsx", signature=signature)
    with pytest.raises(
        api.WorkbookError,
        match="pré-remplie de la colonne « Objectifs » \\(feuille Sessions\\) a changé",
    ):
        api.check(path)


def test_only_the_columns_added_since_are_the_layout_s_business(sample, tmp_path):
    """Columns the user removed from their own workbook are the check's, as in a workbook of
    the current layout: silence for an optional one, colonne-manquante for a required one."""
    path = earlier(
        sample, tmp_path / "ancien.xlsx", without=OPTIONAL, removed=("URL vidéo", REQUIRED)
    )
    result = api.check(path)
    codes = [i.code for i in result.issues]
    assert codes == ["colonnes-facultatives-absentes", "colonne-manquante"]
    assert "URL vidéo" not in result.issues[0].message
    assert REQUIRED in result.issues[1].message


def test_a_workbook_of_the_last_hand_numbered_layout_is_read_by_its_headers(sample, tmp_path):
    """Stamped « 2 », before the stamps were computed: read as it always was."""
    legacy = {"format": LEGACY_FORMAT, "columns": None}
    whole = earlier(sample, tmp_path / "format2.xlsx", meta=legacy)
    assert "columns" not in api.read(whole).meta
    assert not api.check(whole).issues
    lacking = earlier(sample, tmp_path / "format2-sans.xlsx", removed=(OPTIONAL,), meta=legacy)
    assert not api.check(lacking).issues
    path = earlier(sample, tmp_path / "format2-sans-date.xlsx", removed=(REQUIRED,), meta=legacy)
    assert [i.code for i in api.check(path).issues] == ["colonne-manquante"]


@pytest.mark.parametrize(
    "meta",
    [
        {"format": "0", "columns": None},  # an unknown layout: nothing to compare it with
        {"columns": "{}"},  # a signature that no longer hashes to its stamp
        {"template_version": "1999.1"},  # another version of the programme itself
    ],
)
def test_what_cannot_be_compared_is_refused_as_before(sample, tmp_path, meta):
    path = earlier(sample, tmp_path / "autre.xlsx", without=OPTIONAL, meta=meta)
    with pytest.raises(api.WorkbookError, match="vient d'une autre version du modèle \\("):
        api.check(path)
