"""The bundled example référentiel is fictitious, and its campaign (2025) is the one the
procedure's text names: a newcomer's first commands never say that it is over, whatever the
day, on any face. A Région's référentiel of a past campaign is still warned, the same lots
worded otherwise included, and whatever its file is named."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import pytest

from sofi_bulk import api
from sofi_bulk.excel.sample import make_sample
from tests.conftest import ROOT, region_extraction, run_process, write_region_extraction

EXAMPLE = ROOT / "examples" / "saisie-exemple.xlsx"
GOLDEN = ROOT / "tests" / "golden" / "expected"
DAYS = ["2026-12-07", "2031-06-01"]  # the day the issue was seen, and years later
LATER = dt.date(2026, 12, 7)


@pytest.fixture(scope="module")
def region_file(tmp_path_factory) -> Path:
    """A Région's référentiel of campaign 2025 that bears the example's own file name."""
    folder = tmp_path_factory.mktemp("region")
    return write_region_extraction(folder / api.example_referentiel().name)


@pytest.mark.parametrize("today", DAYS)
def test_the_first_commands_on_the_example_say_nothing_of_its_campaign(tmp_path, today):
    made = run_process("template", "-o", "saisie.xlsx", today=today, cwd=tmp_path)
    said = made.stdout + made.stderr
    assert made.returncode == 0 and "Modèle écrit" in made.stdout, said
    assert "Référentiel d'exemple" in said and "Campagne" not in said

    checked = run_process("validate", EXAMPLE, today=today, cwd=tmp_path)
    said = checked.stdout + checked.stderr
    assert checked.returncode == 0, said
    assert "Aucune erreur, aucun avertissement" in checked.stdout
    assert "campagne" not in said.lower()

    for command, out in (("export", "offre.json"), ("lheo", "offre.xml")):
        done = run_process(command, EXAMPLE, "-o", out, today=today, cwd=tmp_path)
        said = done.stdout + done.stderr
        assert done.returncode == 0 and (tmp_path / out).exists(), said
        assert "avertissement" not in said and "campagne" not in said.lower()

    taken = run_process(
        "template", "--reprendre", "offre.xml", "-o", "reprise.xlsx", today=today, cwd=tmp_path
    )
    said = taken.stdout + taken.stderr
    assert taken.returncode == 0, said
    assert "0 erreur, 0 avertissement" in taken.stdout and "campagne-a-verifier" not in said


def test_a_region_referentiel_of_a_past_campaign_is_still_warned(tmp_path, region_file):
    """The same lots, each title worded otherwise, in a file named as the example: the
    template and the check both say the campaign is over."""
    made = run_process(
        "template", "--referentiel", region_file, "-o", "s.xlsx", today=DAYS[0], cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    assert (
        "⚠ Campagne 2025 (lots PAS2025_1, PAS2025_2, PAS2025_3, PAS2025_4, PAS2025_5) : au "
        "07/12/2026, la campagne en cours est 2026 ou 2027."
    ) in " ".join(made.stderr.split())

    filled = tmp_path / "saisie-remplie.xlsx"
    make_sample(6, referentiel=api.load_referentiel(region_file)).save(filled)
    checked = run_process("validate", filled, today=DAYS[0], cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr  # warnings only
    assert "0 erreur, 5 avertissements" in checked.stdout
    assert "campagne-a-verifier" in checked.stdout
    current = run_process("validate", filled, today="2025-06-01", cwd=tmp_path)
    assert "Aucune erreur, aucun avertissement" in current.stdout  # in its own campaign


def test_the_example_s_lots_are_spared_whatever_copy_they_come_from(tmp_path, region_file):
    """The library says it once (``api``), from the lots themselves: the workbook's copy,
    the file, a copy of the file under another name and the web service's stored copy are
    the example; a Région's lots are not, even in a file named as the example, nor a
    référentiel of which one lot only differs."""
    example = api.load_referentiel()
    assert api.stale_campaigns(api.select_lots(example), today=LATER) == []
    region = api.load_referentiel(region_file)
    assert region.lots == region_extraction(example).lots  # the file and the helper agree
    stale = api.stale_campaigns(api.select_lots(region), today=LATER)
    assert [(lot.numero, year) for lot, year in stale] == [
        (f"PAS2025_{i}", 2025) for i in range(1, 6)
    ]

    renamed = tmp_path / "mon-referentiel.xlsx"
    shutil.copyfile(api.example_referentiel(), renamed)
    stored = api.Referentiel.from_json(example.to_json(), source="exemple")  # the service's
    for ref in (None, api.example_referentiel(), renamed, stored):
        assert api.check(EXAMPLE, referentiel=ref, today=LATER).issues == [], ref

    one = region_extraction(example)
    one.lots = {**example.lots, "PAS2025_1": one.lots["PAS2025_1"]}
    for ref in (region, region_file, one):
        codes = Counter(i.code for i in api.check(EXAMPLE, referentiel=ref, today=LATER).issues)
        assert codes == {"campagne-a-verifier": 5, "referentiel-different": 1}, ref


def test_the_reprise_of_the_example_s_offer_is_not_warned(region_file):
    offer = GOLDEN / "fas-offre.xml"
    spared = api.take_back(offer, today=LATER).result
    assert "campagne-a-verifier" not in {i.code for i in spared.issues}
    warned = api.take_back(offer, referentiel=region_file, today=LATER).result
    assert "campagne-a-verifier" in {i.code for i in warned.issues}


def test_an_example_that_cannot_be_read_exempts_nothing(monkeypatch):
    """An install without the bundled example (or one that cannot read it): the example's
    own lots are warned of as any others, and nothing breaks."""

    def missing(*args, **kwargs):
        raise FileNotFoundError("referentiel-exemple.xlsx")

    lots = list(api.load_referentiel().lots.values())
    monkeypatch.setattr(api, "load_referentiel", missing)
    api._bundled_lots.cache_clear()
    try:
        stale = api.stale_campaigns(lots, today=LATER)
        assert [lot.numero for lot, _ in stale] == [lot.numero for lot in lots]
    finally:
        api._bundled_lots.cache_clear()


def test_lheo_from_a_submission_says_when_its_lots_are_the_examples(tmp_path, region_file):
    """The LHEO file made from a submission JSON names the example as the one made from its
    workbook does; a Région's lots, even under the example's file name, are not it."""
    filled = tmp_path / "region.xlsx"
    make_sample(3, referentiel=api.load_referentiel(region_file)).save(filled)
    for workbook, example in ((EXAMPLE, True), (filled, False)):
        json_path = tmp_path / f"{Path(workbook).stem}.json"
        done = run_process("export", workbook, "-o", json_path, today=DAYS[0], cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        done = run_process("lheo", json_path, "-o", json_path.with_suffix(".xml"), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert ("Référentiel d'exemple" in done.stderr) is example, done.stderr
        assert api.made_with_example(api.read_submission(json_path)) is example
    done = run_process(  # a référentiel given for a JSON: said to be without effect
        "lheo", json_path, "-o", "r.xml", "--referentiel", region_file, cwd=tmp_path
    )
    assert done.returncode == 0 and "--referentiel est sans effet" in done.stderr, done.stderr
    assert not api.made_with_example({"header": {"lots": [{"numero": "PAS2025_1"}]}})
    assert not api.made_with_example({"header": {}})


def test_referentiel_verifier_says_nothing_of_the_examples_campaign(tmp_path, region_file):
    example = ROOT / "examples" / "referentiel-exemple.xlsx"
    done = run_process("referentiel", "verifier", example, today=DAYS[0], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "campagne en cours" not in " ".join(done.stdout.split())
    done = run_process("referentiel", "verifier", region_file, today=DAYS[0], cwd=tmp_path)
    assert "la campagne en cours est 2026 ou 2027" in " ".join(done.stdout.split())
