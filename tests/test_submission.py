"""The JSON submission an integrator can use without our code: SOFI's F-A-S tree, a
versioned format, the codes it uses with their meaning, the lots, who entered it, and
fingerprints recomputed here from the file alone, the way the README says."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace

import pytest

from sofi_bulk.core.codes import TABLES
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import SESSIONS_SHEET
from sofi_bulk.core.resources import submission_schema
from sofi_bulk.docs import README
from sofi_bulk.submission.build import build_submission
from sofi_bulk.submission.io import dumps, loads_submission
from tests.conftest import TODAY, run_validation
from tests.test_rules import put


@pytest.fixture(scope="module")
def fas_submission(tmp_path_factory) -> dict:
    """Two formations, three actions, five sessions (tests/golden/cases.py « fas »)."""
    from sofi_bulk.api import check
    from tests.golden.cases import build

    return build_submission(check(build("fas", tmp_path_factory.mktemp("fas"))))


@pytest.fixture(scope="module")
def sample_submission(sample_input) -> dict:
    return build_submission(run_validation(copy.deepcopy(sample_input)))


def sessions(data: dict) -> list[dict]:
    return [s for f in data["formations"] for a in f["actions"] for s in a["sessions"]]


def test_the_tree_is_sofis_formations_actions_and_sessions(fas_submission):
    shape = [
        (
            f.get("sofi_code"),
            f["organisme"]["siret"],
            [
                (
                    a.get("sofi_code"),
                    a.get("action_ref"),
                    [(s["session_ref"], s.get("sofi_code"), s["operation"]) for s in a["sessions"]],
                )
                for a in f["actions"]
            ],
        )
        for f in fas_submission["formations"]
    ]
    assert shape == [
        (
            "19482",
            "44198765800016",
            [
                (
                    "89393",
                    None,
                    [("S001", "143842", "modification"), ("S002", None, "creation")],
                ),
                ("89400", None, [("S003", "143901", "modification")]),
            ],
        ),
        (
            None,
            "49281345600018",
            [(None, "ANGERS", [("S004", None, "creation"), ("S005", None, "creation")])],
        ),
    ]
    # the site de réalisation is explicit, the site dispensateur when none was given
    for formation in fas_submission["formations"]:
        for action in formation["actions"]:
            assert action["realisation_site"] == action["delivery_site"]


def test_formations_of_two_organismes_are_never_one_formation(sample_submission):
    owners = [f["organisme"]["siret"] for f in sample_submission["formations"]]
    for formation in sample_submission["formations"]:
        for action in formation["actions"]:
            assert action["delivery_site"]["siret"] == formation["organisme"]["siret"]
            mandataires = {s["responsible_org"]["siret"] for s in action["sessions"]}
            assert len(mandataires) == 1
    assert set(owners) == {"44198765800016", "49281345600018", "72312345100012"}


def test_the_format_is_required_and_versioned(sample_submission):
    schema = json.loads(submission_schema().read_text(encoding="utf-8"))
    assert schema["$id"] == "urn:sofi-bulk:schema:soumission:3"
    header = schema["$defs"]["Header"]
    assert "format" in header["required"]
    assert header["properties"]["format"]["enum"] == [
        "sofi-bulk/soumission/2",
        "sofi-bulk/soumission/3",
    ]
    assert sample_submission["header"]["format"] == "sofi-bulk/soumission/3"
    data = copy.deepcopy(sample_submission)
    del data["header"]["format"]
    with pytest.raises(UserError, match=r"header\.format : champ obligatoire absent"):
        loads_submission(dumps(data).encode(), "sans-format.json")
    data["header"]["format"] = "sofi-bulk/soumission"  # version 1: said plainly, first
    with pytest.raises(UserError) as info:
        loads_submission(dumps(data).encode(), "v1.json")
    assert str(info.value).startswith(
        "v1.json : soumission au format « sofi-bulk/soumission », que cette version de "
        "sofi-bulk ne lit pas (elle lit « sofi-bulk/soumission/2 », « sofi-bulk/soumission/3 »)."
    )


def test_every_code_comes_with_its_label_and_lheo_code(sample_submission):
    codes = sample_submission["codes"]
    seen: dict[str, set[str]] = {}

    def visit(node):
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in codes and not isinstance(value, dict):
                    seen.setdefault(key, set()).update(
                        value if isinstance(value, list) else [value]
                    )
                else:
                    visit(value)

    visit(sample_submission["formations"])
    assert {k: set(v["values"]) for k, v in codes.items()} == seen
    assert codes["general_objective"]["values"]["9"] == {
        "label": "(Re)mobilisation, aide à l'élaboration de projet professionnel",
        "lheo": "9",
    }
    assert codes["entry_exit_mode"]["values"]["dates-fixes"]["lheo"] == "0"
    assert codes["certifinfo_reference"]["values"]["non"]["lheo"] == "0"
    assert "lheo" not in codes["rhythm"]["values"]["temps-plein"]  # a text in LHEO
    assert codes["teaching_methods"]["source"] == TABLES["modalites-pedagogiques"].source


def test_the_header_names_the_campaign_the_lots_and_the_organisations(sample_submission):
    header = sample_submission["header"]
    assert header["campaign_year"] == 2025
    assert [lot["numero"] for lot in header["lots"]] == [f"PAS2025_{n}" for n in range(1, 6)]
    assert header["lots"][0]["intitule"] == "PREPA Avenir Sup - Nantes Métropole"
    assert header["mandataires"] == ["44198765800016", "49281345600018"]
    assert header["establishment"] is None  # the example mixes three organismes


def test_the_establishment_is_the_siret_the_template_was_made_for(book):
    book.meta["siret"] = "49281345600018"
    data = build_submission(run_validation(book))
    assert data["header"]["establishment"]["raison_sociale"] == "ASSOCIATION HORIZONS COMPETENCES"


def test_a_single_organisme_is_the_establishment(book):
    rows = book.sheets[SESSIONS_SHEET]
    for index in (1, 2, 3, 4):  # keep the two sessions of lot PAS2025_1, ILF's
        rows[2 + index] = [None] * len(rows[2 + index])
    book.sheets["Infos collectives"] = book.sheets["Infos collectives"][:3] + [
        book.sheets["Infos collectives"][7]
    ]
    book.sheets["Périodes inscription"] = book.sheets["Périodes inscription"][:3] + [
        book.sheets["Périodes inscription"][7]
    ]
    result = run_validation(book)
    assert result.ok, [i.message for i in result.issues]
    header = build_submission(result)["header"]
    assert header["establishment"]["siret"] == "44198765800016"
    assert header["session_count"] == 2


def _readme_fingerprint_code() -> str:
    text = README.read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def empreintes" in b)
    return block


def test_the_fingerprints_are_recomputed_from_the_file_as_the_readme_says(fas_submission):
    scope: dict = {}
    exec(compile(_readme_fingerprint_code(), "README.md", "exec"), scope)
    data = json.loads(dumps(fas_submission))  # the file a receiver reads
    assert scope["empreintes"](data) == {
        "offer": data["header"]["fingerprint"]["offer"],
        "referentiel": data["header"]["fingerprint"]["referentiel"],
    }
    data["formations"][0]["actions"][0]["sessions"][0]["dispositif"]["places"] += 1
    assert scope["empreintes"](data)["offer"] != data["header"]["fingerprint"]["offer"]


def test_the_referentiel_fingerprint_covers_the_objects_used(fas_submission):
    """A receiver whose référentiel gives site 36364 another address finds another value."""
    data = copy.deepcopy(fas_submission)
    before = data["header"]["fingerprint"]["referentiel"]
    scope: dict = {}
    exec(compile(_readme_fingerprint_code(), "README.md", "exec"), scope)
    assert scope["empreintes"](data)["referentiel"] == before

    def move(node):
        if isinstance(node, list):
            for item in node:
                move(item)
        elif isinstance(node, dict):
            if node.get("code") == "36364" and "adresse" in node:
                node["adresse"] = "13 rue de la Fosse"
            for value in node.values():
                move(value)

    move(data["formations"])
    assert scope["empreintes"](data)["referentiel"] != before
    assert scope["empreintes"](data)["offer"] != data["header"]["fingerprint"]["offer"]


def test_a_read_back_submission_with_inconsistent_codes_is_refused(fas_submission):
    data = copy.deepcopy(fas_submission)
    s002 = data["formations"][0]["actions"][0]["sessions"][1]
    s002["operation"] = "modification"
    data["formations"][1]["actions"][0]["sofi_code"] = "90000"
    data["codes"]["rhythm"]["values"].pop("temps-partiel")
    with pytest.raises(UserError) as info:
        loads_submission(dumps(data).encode(), "soumission.json")
    lines = str(info.value).splitlines()
    assert lines[0] == "soumission.json : soumission incohérente :"
    assert (
        "- formations[0].actions[0].sessions[1].operation : « modification » alors que la "
        "session n'a pas de code SOFI." in lines
    )
    assert any(
        line.startswith("- formations[1].actions[0].sessions[0].fas_code : ") for line in lines
    )
    assert any("n'est pas décrit dans codes.rhythm" in line for line in lines)
    loads_submission(dumps(fas_submission).encode(), "soumission.json")  # the original reads


def test_a_read_back_submission_uses_each_sofi_number_for_one_object(fas_submission):
    """SOFI numbers are unique across SOFI: session 143842 moved under action 89400, and
    action 89393 given to the new formation as well, are refused in French."""
    data = copy.deepcopy(fas_submission)
    s003 = data["formations"][0]["actions"][1]["sessions"][0]
    s003.update(sofi_code="143842", fas_code="19482-89400-143842")
    new = data["formations"][1]
    new["sofi_code"], new["actions"][0]["sofi_code"] = "19500", "89393"
    for session in new["actions"][0]["sessions"]:
        session["fas_code"] = "19500-89393"
    with pytest.raises(UserError) as info:
        loads_submission(dumps(data).encode(), "soumission.json")
    assert str(info.value).splitlines()[1:] == [
        "- formations[0].actions[1].sessions[0].sofi_code : la session SOFI 143842 est ici de "
        "l'action 89400, mais de l'action 89393 en formations[0].actions[0].sessions[0] ; un "
        "numéro SOFI désigne un seul objet dans tout SOFI.",
        "- formations[1].actions[0].sofi_code : l'action SOFI 89393 est ici de la formation "
        "19500, mais de la formation 19482 en formations[0].actions[0] ; un numéro SOFI "
        "désigne un seul objet dans tout SOFI.",
    ]


def test_the_schema_refuses_distance_teaching_in_an_establishment(fas_submission):
    """The procedure's pair of codes is in the published schema, with its French reason."""
    data = copy.deepcopy(fas_submission)
    data["formations"][0]["actions"][0]["sessions"][1]["delivery_mode"] = "2"
    with pytest.raises(UserError) as info:
        loads_submission(dumps(data).encode(), "soumission.json")
    assert str(info.value).splitlines()[1] == (
        "- formations[0].actions[0].sessions[1].teaching_methods : une formation entièrement à "
        "distance (delivery_mode 2) ne se donne pas en établissement sans FOAD "
        "(teaching_methods « etablissement »)."
    )
    data["formations"][0]["actions"][0]["sessions"][1]["teaching_methods"] = "etablissement-foad"
    data["codes"]["teaching_methods"]["values"]["etablissement-foad"] = {
        "label": "en établissement de formation et FOAD",
        "lheo": "96129",
    }
    data["codes"]["delivery_mode"]["values"]["2"] = {
        "label": "formation entièrement à distance",
        "lheo": "2",
    }
    loads_submission(dumps(data).encode(), "soumission.json")  # with the FOAD: read


def test_a_session_says_whether_it_creates_or_modifies(book):
    put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393-143842")
    data = build_submission(run_validation(book))
    modified = [s for s in sessions(data) if s["operation"] == "modification"]
    assert [(s["session_ref"], s["sofi_code"]) for s in modified] == [("S001", "143842")]
    assert data["formations"][0]["sofi_code"] == "19482"
    assert data["formations"][0]["actions"][0]["sofi_code"] == "89393"


def test_a_programme_relaxing_a_field_the_schema_requires_is_refused_plainly(book):
    """No traceback: a profile file that no longer requires « Nb places dispositif »."""
    from sofi_bulk.core.validate import validate_book

    result = run_validation(book)
    required = {**result.profile.required, "places": False}
    relaxed = replace(result.profile, required=required)
    put(book, SESSIONS_SHEET, "places", 0, None)
    relaxed_result = validate_book(book, relaxed, result.referentiel, today=TODAY)
    assert relaxed_result.ok
    with pytest.raises(
        UserError, match=r"places : champ obligatoire absent\) ; le profil du programme"
    ):
        build_submission(relaxed_result)
