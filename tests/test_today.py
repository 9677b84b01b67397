"""The check's date: given to the core, pinned for the whole suite, so that it does not age.

Two rules depend on the day a workbook is checked: a modified session that has ended, and a
campaign that is neither this year's nor next year's. The core never reads the clock:
``api.check`` gives it ``api.check_date()``, the real date or the one ``SOFI_BULK_TODAY``
says, which tests/conftest.py pins for every test and every child process.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import subprocess
import sys
from collections import Counter

import pytest

from sofi_bulk import api
from tests.conftest import ROOT, TODAY, region_extraction
from tests.golden.cases import build

# the codes whose issues depend on the check's date (a modification is either still allowed,
# with its warning, or refused once the session has ended)
DATE_CODES = {"campagne-a-verifier", "modification-accord-region", "modification-session-terminee"}


def test_the_suite_checks_as_on_its_own_today():
    assert api.check_date() == TODAY
    code = "import sofi_bulk; print(sofi_bulk.check_date())"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == TODAY.isoformat()  # a command run by a test: the same day


def test_without_the_variable_the_check_date_is_the_real_date(monkeypatch):
    monkeypatch.delenv("SOFI_BULK_TODAY")
    before = dt.date.today()
    assert api.check_date() in (before, dt.date.today())  # midnight may pass in between
    monkeypatch.setenv("SOFI_BULK_TODAY", " ")
    assert api.check_date() in (before, dt.date.today())
    monkeypatch.setenv("SOFI_BULK_TODAY", "07/12/2026")
    with pytest.raises(api.UserError, match=r"SOFI_BULK_TODAY : « 07/12/2026 » n'est pas une date"):
        api.check_date()


def _rest(result) -> list[tuple[str, str | None, str]]:
    return [(i.code, i.cell, i.message) for i in result.issues if i.code not in DATE_CODES]


@pytest.mark.parametrize("region", [False, True], ids=["exemple", "region"])
def test_a_check_depends_on_its_date_only_through_the_date_rules(tmp_path, referentiel, region):
    """The golden « fas » workbook (two modified sessions, lots of the 2025 campaign) checked
    as on the suite's day, as on the real day and years later: only the issues of the date
    rules differ; every other issue, and every value read, is the same. Checked with its own
    copy of the example référentiel, whose fictitious lots are never of a campaign that is
    over; or with a Région's (the same lots, not the example's), whose are."""
    book = api.read(build("fas", tmp_path))
    ref = region_extraction(referentiel) if region else None
    pinned = api.check(copy.deepcopy(book), referentiel=ref, today=TODAY)
    other_copy = {"referentiel-different": 1} if region else {}  # not the workbook's copy
    assert Counter(i.code for i in pinned.issues) == {
        "modification-accord-region": 2,
        **other_copy,
    }
    for today in (dt.date.today(), dt.date(2031, 6, 1)):
        other = api.check(copy.deepcopy(book), referentiel=ref, today=today)
        assert _rest(other) == _rest(pinned)
        assert [s.values for s in other.sessions] == [s.values for s in pinned.sessions]
    later = api.check(copy.deepcopy(book), referentiel=ref, today=dt.date(2031, 6, 1))
    stale = {"campagne-a-verifier": 2} if region else {}  # lots PAS2025_1 and PAS2025_3
    assert Counter(i.code for i in later.issues) == {
        **stale,
        "modification-session-terminee": 2,  # S001 and S003 ended in 2025
        **other_copy,
    }


CLOCK = re.compile(r"\b(?:date\.today|datetime\.now|datetime\.today|datetime\.utcnow|time\.time)\(")


def test_no_rule_reads_the_clock():
    """In the core, the only clock read is the annotated copy's stamp (« Contrôle du … à
    … », plan.py), shown to the reader and judged by no rule; the check's date comes from
    the front door, once (``api.check_date``)."""
    reads = {
        path.name: len(CLOCK.findall(path.read_text(encoding="utf-8")))
        for path in (ROOT / "sofi_bulk" / "core").glob("*.py")
    }
    assert {name: n for name, n in reads.items() if n} == {"plan.py": 1}
    api_text = (ROOT / "sofi_bulk" / "api.py").read_text(encoding="utf-8")
    assert len(CLOCK.findall(api_text)) == 1 and "def check_date()" in api_text
