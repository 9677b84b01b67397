"""The table of rules tells the truth: every issue code has exactly one rule, each rule emits
only the codes it declares and reads only the fields it declares, the cell parsers raise only
the codes their kind declares, and docs/regles.md is generated from the table."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from sofi_bulk.core import rules as rules_module
from sofi_bulk.core import validate
from sofi_bulk.core.checking import Rule, Stage
from sofi_bulk.core.fields import BY_KEY, FIELDS, INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET
from sofi_bulk.core.issues import ISSUE_TYPES
from sofi_bulk.core.layout import FIRST_DATA_ROW, column_of
from sofi_bulk.core.parse import EVERY_KIND_CODES, KIND_CODES, CellError, parse_scalar
from sofi_bulk.core.rules import RULE_OF_CODE, RULES
from sofi_bulk.core.validate import validate_book
from sofi_bulk.docs import RULES_DOC, RULES_SECTIONS, render
from tests.conftest import TODAY
from tests.test_properties import cell_values
from tests.test_rules import CELL_CASES, put


def test_every_issue_code_belongs_to_exactly_one_rule():
    owners: dict[str, list[str]] = defaultdict(list)
    for rule in RULES:
        for code in rule.codes:
            owners[code].append(rule.name)
    assert {code: names for code, names in owners.items() if len(names) > 1} == {}
    assert set(owners) == set(ISSUE_TYPES)
    assert set(RULE_OF_CODE) == set(ISSUE_TYPES)


def test_each_rule_is_declared_whole():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    for rule in RULES:
        assert set(rule.reads) <= set(BY_KEY), rule.name
        assert set(rule.refuses) <= set(rule.codes), rule.name
        assert rule.description.endswith(".") and rule.name[0].isupper(), rule.name
        # the rules of the resolution and the checks are run by the table; those of the
        # structure and the cells by the reader, which the rule names (a cell rule may have a
        # part the table runs: the place of an information collective)
        if rule.stage in (Stage.RESOLUTION, Stage.CHECK):
            assert rule.run is not None and not rule.where, rule.name
        else:
            assert rule.where.endswith(".py"), rule.name
            assert rule.run is None or rule.stage is Stage.CELL, rule.name
    stages = [rule.stage for rule in RULES]
    order = [Stage.STRUCTURE, Stage.CELL, Stage.RESOLUTION, Stage.CHECK]
    assert stages == sorted(stages, key=order.index), "the table lists the rules as they run"


def test_the_rules_document_is_fresh():
    text = RULES_DOC.read_text(encoding="utf-8")
    assert render(text, RULES_SECTIONS) == text, "docs/regles.md is stale: python -m sofi_bulk.docs"
    for code in ISSUE_TYPES:
        assert f"| `{code}` |" in text
    row = next(line for line in text.splitlines() if line.startswith("| `places-restantes` |"))
    assert "Places restantes" in row and "`places_remaining`" in row and "`places`" in row


# --- what the parsers raise ----------------------------------------------------------------
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(raw=cell_values)
def test_a_cell_parser_raises_only_the_codes_its_kind_declares(raw):
    for fld in FIELDS:
        try:
            parse_scalar(fld, raw)
        except CellError as err:
            assert err.code in (*KIND_CODES[fld.kind], *EVERY_KIND_CODES), (fld.key, raw)


@pytest.mark.parametrize(
    ("key", "raw", "code"),
    [
        ("places", "3.200", "nombre-ambigu"),
        ("places", "12,5", "entier-attendu"),
        ("places", 0, "nombre-hors-limites"),
        ("end_date", "1/2", "date-incomplete"),
        ("action_url", "https://x.fr/" + "a" * 400, "texte-trop-long"),
        ("video_url", "https://vimeo.com/1", "url-video-invalide"),
        ("fas_code", "1-2-3-4", "code-fas-invalide"),
    ],
)
def test_the_declared_codes_of_a_kind_are_raised(key, raw, code):
    """The declaration is not wider than the parsers: each code named is really raised."""
    fld = BY_KEY[key]
    with pytest.raises(CellError) as caught:
        parse_scalar(fld, raw)
    assert caught.value.code == code and code in KIND_CODES[fld.kind]


# --- what the rules emit and read, on workbooks that break each of them ------------------------
class Reads(dict):
    """A row's values that note every field a rule reads or writes."""

    log: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        Reads.log.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        Reads.log.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: Any) -> bool:
        Reads.log.add(key)
        return super().__contains__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        Reads.log.add(key)
        super().__setitem__(key, value)

    def pop(self, key: Any, *default: Any) -> Any:
        Reads.log.add(key)
        return super().pop(key, *default)


def _all_records(result) -> list:
    return [*result.sessions, *result.infos, *result.periodes]


class Spy:
    """Runs the table's rules one by one, noting what each emits and reads."""

    def __init__(self) -> None:
        self.emitted: dict[str, set[str]] = defaultdict(set)
        self.read: dict[str, set[str]] = defaultdict(set)
        self.outside: set[str] = set()  # codes emitted while the sheets were read

    def wrap(self, rule: Rule) -> Rule:
        if rule.run is None:
            return rule
        run = rule.run

        def spied(checking: Any) -> None:
            before = len(checking.issues)
            Reads.log = set()
            run(checking)
            self.emitted[rule.name] |= {i.code for i in checking.issues[before:]}
            self.read[rule.name] |= Reads.log

        return replace(rule, run=spied)

    def check_rules(self, result) -> None:
        self.outside |= {i.code for i in result.issues}
        for rec in _all_records(result):
            rec.values = Reads(rec.values)
            rec.get = rec.values.get
        rules_module.check_rules(result, tuple(self.wrap(rule) for rule in RULES))


def _sessions_of(book, ref: str) -> None:
    for index, row in enumerate(book.sheets[INFOS_SHEET][FIRST_DATA_ROW - 1 :]):
        if row and row[column_of(INFOS_SHEET, "ic_session").index - 1] == ref:
            book.sheets[INFOS_SHEET][FIRST_DATA_ROW - 1 + index] = [None] * len(row)


def _twice(book) -> None:
    source = book.sheets[SESSIONS_SHEET][FIRST_DATA_ROW - 1]
    book.sheets[SESSIONS_SHEET][FIRST_DATA_ROW - 1 + 6] = list(source)
    put(book, SESSIONS_SHEET, "session_ref", 6, "S007")
    put(book, SESSIONS_SHEET, "fas_code", 6, "19482-89393-143842")
    put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393-143842")


def _lot_places(book) -> None:
    put(book, SESSIONS_SHEET, "places", 0, 40)
    put(book, SESSIONS_SHEET, "simultaneous_capacity", 0, 40)
    put(book, SESSIONS_SHEET, "places", 5, 13)
    put(book, SESSIONS_SHEET, "places_remaining", 5, 0)


def _formations(book) -> None:
    put(book, SESSIONS_SHEET, "fas_code", 0, "19482")
    put(book, SESSIONS_SHEET, "fas_code", 1, "19482")
    put(book, SESSIONS_SHEET, "fas_code", 2, "19483-5")
    put(book, SESSIONS_SHEET, "fas_code", 3, "19483-5")
    put(book, SESSIONS_SHEET, "action_ref", 4, "A-NANTES")
    put(book, SESSIONS_SHEET, "action_ref", 5, "a-nantes")
    put(book, SESSIONS_SHEET, "fas_code", 5, "19482-89393")


def _two_organismes(book) -> None:
    put(book, SESSIONS_SHEET, "lot", 0, "PAS2025_2")
    put(book, SESSIONS_SHEET, "delivery_site", 0, "52019 - Atelier Parcours Emploi - Saint-Nazaire")
    put(book, SESSIONS_SHEET, "site", 0, "52019")
    put(book, SESSIONS_SHEET, "fas_code", 0, "19482")
    put(book, SESSIONS_SHEET, "fas_code", 1, "19482")


def _children(book) -> None:
    put(book, INFOS_SHEET, "ic_date", 0, "31/12/2025")
    put(book, INFOS_SHEET, "ic_start_time", 1, "14h00")
    put(book, INFOS_SHEET, "ic_end_time", 1, "11:30")
    put(book, INFOS_SHEET, "ic_site", 2, None)
    put(book, INFOS_SHEET, "ic_remote", 3, "oui")
    put(book, INFOS_SHEET, "ic_session", 4, "S999")
    put(book, PERIODES_SHEET, "pi_end", 0, "01/01/2024")
    put(book, PERIODES_SHEET, "pi_start", 1, "31/12/2025")
    put(book, PERIODES_SHEET, "pi_end", 1, None)


def _texts(book, profile) -> None:
    put(book, SESSIONS_SHEET, "programme_complement", 0, profile.defaults["programme_complement"])
    put(book, SESSIONS_SHEET, "rhythm", 1, "temps plein")
    put(book, SESSIONS_SHEET, "weekly_hours", 1, "17,5")
    put(book, SESSIONS_SHEET, "prerequisites", 2, "p" * 1600)
    put(book, SESSIONS_SHEET, "prerequisites_comment", 2, "c" * 1600)
    put(book, SESSIONS_SHEET, "session_ref", 3, "s001")
    put(book, SESSIONS_SHEET, "responsible_org", 4, "Institut Inconnu")


def _numbers(book) -> None:
    """Two SOFI numbers used twice, and a modified session that ended before the check."""
    put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393-143842")
    put(book, SESSIONS_SHEET, "fas_code", 1, "19483-89393-143842")  # action under another F
    put(book, SESSIONS_SHEET, "fas_code", 2, "19482-89400-143842")  # session under another A
    put(book, SESSIONS_SHEET, "fas_code", 3, "19484-89500-143900")
    put(book, SESSIONS_SHEET, "end_date", 3, "31/12/2024")  # before the suite's « today »
    put(book, SESSIONS_SHEET, "delivery_mode", 4, "formation entièrement à distance")


def _incomplete(referentiel):
    """A référentiel with gaps: a site without its address, a mandataire without its number,
    a lot left from an earlier campaign."""
    site = replace(referentiel.sites["36364"], adresse="")
    org = replace(referentiel.organismes["44198765800016"], numero_activite="")
    lot = replace(referentiel.lots["PAS2025_3"], annee=2023)
    return type(referentiel)(
        **{
            **referentiel.__dict__,
            "sites": {**referentiel.sites, "36364": site},
            "organismes": {**referentiel.organismes, "44198765800016": org},
            "lots": {**referentiel.lots, "PAS2025_3": lot},
        }
    )


def _cell_case(key: str, value: Any) -> Callable[..., None]:
    def mutate(book, profile) -> None:
        if key == "start_date" and value.strip():
            put(book, SESSIONS_SHEET, "end_date", 0, "30/06/2026")
        put(book, SESSIONS_SHEET, key, 0, value)

    return mutate


SCENARIOS: list[tuple[Callable[..., None], bool]] = [  # (mutation, référentiel incomplete)
    *((_cell_case(key, value), False) for _, key, value, _ in CELL_CASES),
    (lambda book, profile: put(book, SESSIONS_SHEET, "lot", 0, "UEF2025_7"), False),
    (lambda book, profile: put(book, SESSIONS_SHEET, "session_state", 0, "Inactif"), False),
    (lambda book, profile: _sessions_of(book, "S002"), False),
    (lambda book, profile: _twice(book), False),
    (lambda book, profile: _lot_places(book), False),
    (lambda book, profile: _formations(book), False),
    (lambda book, profile: _two_organismes(book), False),
    (lambda book, profile: _children(book), False),
    (_texts, False),
    (lambda book, profile: _numbers(book), False),
    (lambda book, profile: None, True),
]


def test_each_rule_emits_only_its_codes_and_reads_only_its_fields(
    sample_input, profile, referentiel, monkeypatch
):
    """Every rule of the table runs under a spy on workbooks that break every rule run by
    the table; all the codes of those rules are seen, so none is left untested."""
    spy = Spy()
    monkeypatch.setattr(validate, "check_rules", spy.check_rules)
    for mutate, incomplete in SCENARIOS:
        book = copy.deepcopy(sample_input)
        mutate(book, profile)
        validate_book(
            book, profile, _incomplete(referentiel) if incomplete else referentiel, today=TODAY
        )
    by_name = {rule.name: rule for rule in RULES}
    for name, codes in spy.emitted.items():
        assert codes <= set(by_name[name].codes), name
    for name, keys in spy.read.items():
        rule = by_name[name]
        allowed = set(rule.reads)
        if rule.profile_reads:
            allowed |= set(getattr(profile, rule.profile_reads))
        assert keys <= allowed, (name, keys - allowed)
    for code in spy.outside:
        assert RULE_OF_CODE[code].stage in (Stage.STRUCTURE, Stage.CELL), code
    run_by_table = {code for rule in RULES if rule.run is not None for code in rule.codes}
    seen = set().union(*spy.emitted.values())
    assert run_by_table - seen == set()


def test_a_submission_read_back_is_compared_as_before(sample_input):
    """The two comparisons moved into the table (places, capacity) have no JSON message: a
    submission read back from a file is checked as before, its dates only."""
    from sofi_bulk.submission.build import build_submission
    from sofi_bulk.submission.io import check_submission
    from tests.conftest import run_validation

    data = build_submission(run_validation(copy.deepcopy(sample_input)))
    session = data["formations"][0]["actions"][0]["sessions"][0]
    assert check_submission(data) == []
    dispositif = session["dispositif"]
    dispositif.update(places_remaining=dispositif["places"] + 5)
    assert check_submission(data) == []
    session.update(end_date="2000-01-01")
    assert [p.rsplit(" : ", 1)[1] for p in check_submission(data)] == [
        "la date de fin précède la date de début."
    ]
