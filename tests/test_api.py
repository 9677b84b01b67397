"""The front door's functions that the faces use beyond checking: each does what the
command it mirrors does, with paths, bytes or file objects."""

from __future__ import annotations

import io
import json

import pytest

import sofi_bulk
from sofi_bulk import api
from sofi_bulk.api import Origin, UserError, WorkbookError
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "saisie-exemple.xlsx"


@pytest.fixture(scope="module")
def result():
    return api.check(EXAMPLE)


def test_every_function_of_the_front_door_is_exported_by_the_package():
    for name in api.__all__:
        assert getattr(api, name) is not None, name
    functions = [n for n in api.__all__ if n[0].islower()]
    assert set(functions) <= set(sofi_bulk.__all__)
    assert sofi_bulk.origin is api.origin


def test_build_template_says_what_it_holds_and_saves_what_write_template_writes(tmp_path):
    ref = api.load_referentiel()
    builder = api.build_template(referentiel=ref, lots=["PAS2025_1"])
    assert [lot.numero for lot in builder.lots] == ["PAS2025_1"]
    assert builder.profile.id == "prepa-avenir-sup" and builder.rows["Sessions"] == 1000
    builder.save(tmp_path / "a.xlsx")
    api.write_template(tmp_path / "b.xlsx", referentiel=ref, lots=["PAS2025_1"])
    first, second = api.read(tmp_path / "a.xlsx"), api.read(tmp_path / "b.xlsx")
    assert first.sheets == second.sheets and first.meta["lots"] == "PAS2025_1"


def test_select_lots_refuses_in_french_what_a_template_would_refuse():
    ref = api.load_referentiel()
    assert [lot.numero for lot in api.select_lots(ref, lots=["PAS2025_2"])] == ["PAS2025_2"]
    with pytest.raises(UserError, match="un SIRET a 14 chiffres"):
        api.select_lots(ref, programme=api.load_profile("prepa-avenir-sup"), siret="123")
    with pytest.raises(UserError, match="Programme inconnu"):
        api.load_profile("")


def test_submission_written_and_read_back(tmp_path, result):
    data = api.to_submission(result)
    text = api.write_submission(data)
    assert isinstance(text, bytes) and json.loads(text) == json.loads(json.dumps(data))
    assert api.write_submission(result, generated_at=None) is not None
    api.write_submission(data, tmp_path / "soumission.json")
    assert (tmp_path / "soumission.json").read_bytes() == text
    assert api.read_submission(tmp_path / "soumission.json") == json.loads(text)
    assert api.read_submission(text) == api.read_submission(io.BytesIO(text))
    with pytest.raises(UserError, match="notes.json : ce n'est pas un JSON valide"):
        api.read_submission(b"{", name="notes.json")


def test_lheo_written_from_a_result_or_a_submission(tmp_path, result):
    xml = api.to_lheo(result)
    assert api.write_lheo(result) == xml
    out = io.BytesIO()
    assert api.write_lheo(api.to_submission(result), out, profile="prepa-avenir-sup") is None
    assert out.getvalue() == xml
    api.write_lheo(result, tmp_path / "offre.xml")
    assert (tmp_path / "offre.xml").read_bytes() == xml


def test_write_bytes_replaces_a_file_whole(tmp_path):
    target = tmp_path / "x.bin"
    target.write_bytes(b"old")
    api.write_bytes(b"new", target)
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]  # no temporary file left


def test_origin_tells_an_untouched_output_from_the_user_s_work(tmp_path, result):
    template = tmp_path / "modele.xlsx"
    api.write_template(template)
    assert api.origin(template) is Origin.UNTOUCHED
    assert api.origin(EXAMPLE) is Origin.UNTOUCHED  # written by build_example.py, never edited
    corrected = tmp_path / "corrige.xlsx"
    api.write_annotated(result, corrected, in_place=True)
    assert api.origin(corrected) is Origin.CORRECTED
    copy = tmp_path / "copie.xlsx"
    api.write_annotated(result, copy)
    assert api.origin(copy) is Origin.UNTOUCHED
    blank = tmp_path / "referentiel.xlsx"
    api.write_blank_referentiel(blank)
    assert api.origin(blank) is Origin.UNTOUCHED
    api.write_submission(result, tmp_path / "s.json")
    api.write_lheo(result, tmp_path / "o.xml")
    assert api.origin(tmp_path / "s.json") is api.origin(tmp_path / "o.xml") is Origin.UNTOUCHED
    (tmp_path / "notes.json").write_text('{"header": {"format": "autre"}}', encoding="utf-8")
    (tmp_path / "notes.xml").write_text("<notes/>", encoding="utf-8")
    (tmp_path / "abime.xlsx").write_bytes(b"PK\x03\x04 pas un classeur")
    for name in ("notes.json", "notes.xml", "abime.xlsx", "absent.xlsx", "notes.txt"):
        assert api.origin(tmp_path / name) is Origin.OTHER, name


def test_origin_sees_a_filled_template(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "saisie.xlsx"
    api.write_template(path)
    book = load_workbook(path)
    book["Sessions"]["C3"] = "Ma formation"
    book.save(path)
    assert api.origin(path) is Origin.OTHER


def test_from_rows_refuses_a_far_cell_as_the_file_reader_does():
    far = [[None] * 3 for _ in range(3)]
    far[2] = [None] * 200 + ["x"]
    with pytest.raises(WorkbookError) as info:
        api.from_rows({"Sessions": [["a"]], "Infos collectives": far}, name="ouvert.xlsx")
    message = str(info.value)
    assert message.startswith("ouvert.xlsx : feuille « Infos collectives » : ")
    assert "GS3" in message
    book = api.from_rows({"Sessions": [["a"]], "_meta": [["clé", "valeur"], ["format", "x"]]})
    assert book.name == "classeur" and book.meta == {"format": "x"}
    assert list(book.sheets) == ["Sessions"]


def test_made_with_example(tmp_path, result):
    """A workbook made from the example's file, whose lots are the example's; a Région's
    référentiel is not the example, even under the example's file name."""
    from sofi_bulk.excel.sample import make_sample
    from tests.conftest import write_region_extraction

    assert api.made_with_example(result) and api.made_with_example(api.read(EXAMPLE))
    csv = tmp_path / "csv.xlsx"
    api.write_template(csv, referentiel=ROOT / "examples" / "referentiel-csv")
    assert not api.made_with_example(api.read(csv))  # its CSV form: not its file
    region = write_region_extraction(tmp_path / api.example_referentiel().name)
    made = tmp_path / "region.xlsx"
    make_sample(2, referentiel=api.load_referentiel(region)).save(made)
    assert not api.made_with_example(api.read(made))
    assert not api.made_with_example(api.check(made))
    assert not api.made_with_example(api.from_rows({"Sessions": [["Réf. session"]]}))
