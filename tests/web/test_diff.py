"""The difference between two deposits: sessions matched by FAS code, else by reference."""

from __future__ import annotations

import copy

from sofi_bulk.web.diff import compare


def submission(*sessions: dict) -> dict:
    return {
        "formations": [
            {
                "title": "PREPA Avenir Sup",
                "actions": [{"objectives": "Réussir", "sessions": list(sessions)}],
            }
        ]
    }


def session(ref: str, fas: str | None = None, **values) -> dict:
    out = {"session_ref": ref, "start_date": "2025-02-10", "dispositif": {"places": 12}}
    if fas:
        out["fas_code"] = fas
    out.update(values)
    return out


def test_matched_by_fas_code_even_when_the_reference_changed():
    before = submission(session("S001", "1-2-3"), session("S002", "1-2-4"))
    after = submission(session("S001-bis", "1-2-3"), session("S002", "1-2-4"))
    diff = compare(before, after)
    assert diff["added"] == diff["removed"] == []
    [changed] = diff["changed"]
    assert changed == {
        "session": "S001-bis (code FAS 1-2-3)",
        "fields": [["Réf. session", "S001", "S001-bis"]],
    }
    assert diff["unchanged"] == 1


def test_matched_by_reference_without_fas_code_field_by_field():
    before = submission(session("S001"), session("S002"))
    after_s = [session("S001", start_date="2025-03-03"), session("S003")]
    after_s[0]["dispositif"]["places"] = 14
    after_s[0]["informations_collectives"] = [{"ic_date": "2025-02-01"}]
    diff = compare(before, submission(*after_s))
    assert diff["added"] == ["S003"] and diff["removed"] == ["S002"]
    [changed] = diff["changed"]
    assert changed["session"] == "S001"
    assert changed["fields"] == [
        ["Date début", "10/02/2025", "03/03/2025"],
        ["Nb places dispositif", "12", "14"],
        ["Information collective 1 : Date", "", "01/02/2025"],
    ]


def test_a_session_that_got_its_fas_code_is_the_same_session():
    before = submission(session("S001"))
    after = submission(session("S001", "9-9-9"))
    diff = compare(before, after)
    assert diff["added"] == diff["removed"] == []
    assert diff["changed"][0]["fields"] == [["Code FAS", "", "9-9-9"]]


def test_two_fas_codes_never_match_by_reference():
    before = submission(session("S001", "1-1-1"))
    after = submission(session("S001", "2-2-2"))
    diff = compare(before, after)
    assert diff["added"] == ["S001 (code FAS 2-2-2)"]
    assert diff["removed"] == ["S001 (code FAS 1-1-1)"]


def test_identical_deposits_have_no_difference():
    data = submission(session("S001"), session("S002", "1-2-3"))
    diff = compare(data, copy.deepcopy(data))
    assert diff == {"added": [], "removed": [], "changed": [], "unchanged": 2}
