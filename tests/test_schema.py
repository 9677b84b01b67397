"""schemas/submission.schema.json is generated from the models, and both agree."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from pydantic import ValidationError

from sofi_bulk.core.resources import submission_schema
from sofi_bulk.submission.build import build_submission
from sofi_bulk.submission.models import Submission
from sofi_bulk.submission.schema import schema_text
from tests.conftest import run_validation


def test_committed_schema_is_the_generated_one():
    assert submission_schema().read_text(encoding="utf-8") == schema_text(), (
        "schemas/submission.schema.json is stale: run python -m sofi_bulk.submission.schema"
    )


@pytest.fixture(scope="module")
def schema():
    data = json.loads(submission_schema().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(data)
    return data


@pytest.fixture(scope="module")
def submission(sample_input):
    return build_submission(run_validation(copy.deepcopy(sample_input)))


def _first_session(doc):
    return doc["formations"][0]["actions"][0]["sessions"][0]


MUTATIONS = {
    "valid": lambda d: None,
    "unknown code": lambda d: _first_session(d).update(rhythm="mi-temps"),
    "bad date": lambda d: _first_session(d).update(start_date="10/02/2025"),
    "negative hours": lambda d: _first_session(d).update(centre_hours=-1),
    "missing required": lambda d: _first_session(d).pop("end_date"),
    "extra field": lambda d: _first_session(d).update(couleur="bleu"),
    "too long": lambda d: d["formations"][0]["actions"][0].update(highlight="x" * 251),
    "bad siret": lambda d: _first_session(d)["responsible_org"].update(siret="123"),
    "bad time": lambda d: _first_session(d)["informations_collectives"][0].update(
        ic_start_time="9:30"
    ),
    "no session": lambda d: d["formations"][0]["actions"][0].update(sessions=[]),
    "places zero": lambda d: _first_session(d)["dispositif"].update(places=0),
    "publics not a list": lambda d: _first_session(d)["dispositif"].update(publics="80006"),
    "header count": lambda d: d["header"].update(session_count=0),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_schema_and_models_accept_and_reject_the_same_documents(submission, schema, name):
    doc = copy.deepcopy(json.loads(json.dumps(submission)))
    MUTATIONS[name](doc)
    schema_ok = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.FormatChecker()
    ).is_valid(doc)
    try:
        Submission.model_validate(doc)
        model_ok = True
    except ValidationError:
        model_ok = False
    assert schema_ok == model_ok
    assert schema_ok == (name == "valid")


def test_export_matches_the_schema(submission, schema):
    jsonschema.validate(submission, schema)
    assert submission["header"]["format"] == "sofi-bulk/soumission/3"


def test_the_schema_guard_of_the_tests_refuses_a_submission_the_schema_does_not_allow():
    """The autouse guard in conftest.py is not a formality: a submission the published
    schema refuses fails the test that built it."""
    from sofi_bulk.excel.reader import read_workbook
    from sofi_bulk.submission.build import SubmissionBuilder
    from sofi_bulk.submission.schema import check_schema
    from tests.conftest import ROOT, run_validation

    result = run_validation(read_workbook(ROOT / "examples" / "saisie-exemple.xlsx"))
    data = SubmissionBuilder(result).build()  # the guarded build: it passed the schema
    broken = copy.deepcopy(data)
    broken["header"]["session_count"] = "six"
    with pytest.raises(AssertionError, match="JSON Schema"):
        check_schema(broken)
