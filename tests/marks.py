"""The tests' markers, given here rather than in each file: a test gets the marker of a real
program it needs (LibreOffice, Chromium, Node for Pyodide, nginx), or « postgresql », or
« lent », from the folder or file it lives in, the fixtures it uses, or its name in the tables
below, so that a new test put in the usual place or using the usual fixtures is marked without
a word. A program's marker implies « lent »: ``pytest -n 2 -m "not lent"`` is the quick loop.

The tables are kept true by the tests themselves: a test that launches one of the programs of
``PROGRAMS`` without carrying its marker fails, with the line to add. Markers are declared,
in French, in pyproject.toml (``--strict-markers`` refuses any other)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable

import pytest

# the markers of a real program the test launches: each makes the test « lent »
PROGRAM_MARKERS = ("libreoffice", "navigateur", "pyodide", "nginx")

# a folder (ending in /), a file, or one test (file::name, every parameter) -> its markers
BY_PLACE: dict[str, tuple[str, ...]] = {
    "tests/lo/": ("libreoffice",),
    "tests/pyodide/": ("pyodide",),
    "tests/web/test_browser.py": ("navigateur",),
    "tests/web/test_production.py": ("nginx",),  # and its own PostgreSQL server
    "tests/test_referentiel_cli.py::test_an_xls_with_a_value_far_away": ("libreoffice",),
    # slow: what takes the quick loop past a minute (pytest -m "not lent" --durations=30).
    # Whole files: the faces end to end, each test a command, a page or a child process
    "tests/golden/": ("lent",),
    "tests/test_cli_errors.py": ("lent",),
    "tests/test_outputs.py": ("lent",),
    "tests/test_robustness.py": ("lent",),
    "tests/test_terminal.py": ("lent",),
    "tests/test_referentiel_cli.py": ("lent",),
    "tests/test_newcomer.py": ("lent",),
    "tests/test_release.py": ("lent",),  # python -m build, twine check
    "tests/test_reprise.py": ("lent",),  # each test writes and reads back whole workbooks
    "tests/test_ooxml.py": ("lent",),  # each test writes whole workbooks and checks every part
    "tests/test_addin_help.py": ("lent",),
    "tests/web/test_reprise.py": ("lent",),
    "tests/web/test_accounts.py": ("lent",),
    "tests/web/test_check.py": ("lent",),
    "tests/web/test_cli_server.py": ("lent",),
    "tests/web/test_deposits.py": ("lent",),
    "tests/web/test_security.py": ("lent",),
    "tests/web/test_processes.py": ("lent",),
    "tests/web/test_referentiels.py": ("lent",),
    # single tests of a few seconds each (every parameter)
    "tests/hostile/test_corpus.py::test_hostile_case": ("lent",),  # 140 cases, in full
    "tests/hostile/test_faces.py::test_two_runs_in_parallel_leave_one_whole_file": ("lent",),
    "tests/lite/test_lite.py::test_lite_refuses_a_far_cell_as_the_file_reader_does": ("lent",),
    "tests/test_api.py::test_origin_tells_an_untouched_output_from_the_user_s_work": ("lent",),
    "tests/test_badfiles.py::test_bad_file_through_the_command": ("lent",),
    "tests/test_lheo_consumer.py::test_the_same_workbook_gives_the_same_numbers": ("lent",),
    "tests/test_badfiles.py::test_bad_file_through_the_library": ("lent",),
    "tests/test_badfiles.py::test_validate_and_export_leave_the_input_unchanged": ("lent",),
    "tests/test_marks.py::test_a_test_launching_a_program_without_its_marker_fails": ("lent",),
    "tests/test_marks.py::test_markers_come_from_folder_file_fixture_and_name": ("lent",),
    "tests/test_parse.py::test_clean_collapses_the_spaces_the_regex_did": ("lent",),
    "tests/test_roundtrip.py::test_full_loop": ("lent",),
    "tests/test_scan_engines.py::test_a_part_the_reader_keeps_whole_is_bounded": ("lent",),
    "tests/test_scan_engines.py::test_hostile_cells_cost_the_scan_linear_time": ("lent",),
    "tests/test_scan_engines.py::test_the_budget_ends_a_workbook_of_junk_within_seconds": ("lent",),
    "tests/test_scan_engines.py::test_two_cells_far_apart_cost_the_reader_a_bounded_rectangle": (
        "lent",
    ),
    "tests/test_template.py::test_filters_by_lot_and_siret": ("lent",),
}

# a fixture the test uses, directly or through another one -> its markers
BY_FIXTURE: dict[str, tuple[str, ...]] = {
    # pytest-django's database: run on SQLite with the suite, then again on PostgreSQL
    "db": ("postgresql",),
    "transactional_db": ("postgresql",),
    "browser": ("navigateur",),  # tests/web/test_browser.py: Chromium through Selenium
    "region": ("libreoffice",),  # tests/test_referentiel_forms.py: the .ods and .xls forms
    "big_workbook": ("lent",),  # 5,000 sessions
    "mixed_offer": ("lent",),  # tests/test_lheo_consumer.py: 2,000 sessions through LHEO
}

# a program's name in the test's file name or in one of its fixtures' names -> its marker (a
# new tests/web/test_nginx.py, or a fixture ``nginx_proxy``, is marked without a word)
BY_WORD = {
    "libreoffice": "libreoffice",
    "chromium": "navigateur",
    "selenium": "navigateur",
    "pyodide": "pyodide",
    "nginx": "nginx",
}

# what a test launches (the command's or the script's file name) -> the marker it must carry
PROGRAMS = {
    "soffice": "libreoffice",
    "soffice.bin": "libreoffice",
    "libreoffice_driver.py": "libreoffice",
    "pdftoppm": "libreoffice",
    "chromedriver": "navigateur",
    "chromium": "navigateur",
    "node": "pyodide",
    "npm": "pyodide",
    "nginx": "nginx",
}


def _at(nodeid: str, place: str) -> bool:
    if place.endswith("/"):
        return nodeid.startswith(place)
    return nodeid == place or nodeid.startswith((place + "::", place + "["))


def markers_of(item: pytest.Item) -> set[str]:
    """The markers the tables give a test, besides those written on it."""
    found = {m for place, marks in BY_PLACE.items() if _at(item.nodeid, place) for m in marks}
    names = getattr(item, "fixturenames", ())
    found.update(m for name, marks in BY_FIXTURE.items() if name in names for m in marks)
    words = [item.path.name, *names]
    found.update(m for word, m in BY_WORD.items() if any(word in w for w in words))
    if item.get_closest_marker("django_db"):  # pytest-django adds ``db`` only when it runs
        found.add("postgresql")
    return found


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        carried = {m.name for m in item.iter_markers()}
        given = markers_of(item)
        if (carried | given) & set(PROGRAM_MARKERS):
            given.add("lent")
        for name in sorted(given - carried):
            item.add_marker(name)


# -- every launched program is declared ------------------------------------------------------

_running: list[pytest.Item] = []
_launched = pytest.StashKey[set[str]]()
_popen_init = subprocess.Popen.__init__


def programs_in(args: str | bytes | os.PathLike | Iterable) -> set[str]:
    """The programs of ``PROGRAMS`` a command line runs (the command, or its script)."""
    if isinstance(args, str | bytes | os.PathLike):  # a shell line, or one program
        args = os.fsdecode(args).split() if isinstance(args, str | bytes) else [args]
    words = [os.path.basename(os.fsdecode(a)) for a in list(args)[:2]]
    return {w for w in words if w in PROGRAMS}


def _watched_init(self, *args, **kwargs):
    command = args[0] if args else kwargs.get("args", ())
    if _running:
        _running[-1].stash.setdefault(_launched, set()).update(programs_in(command))
    _popen_init(self, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    subprocess.Popen.__init__ = _watched_init  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    subprocess.Popen.__init__ = _popen_init  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    carried = {m.name for m in item.iter_markers()}
    missing = sorted(
        f"{program} (marqueur « {PROGRAMS[program]} »)"
        for program in item.stash.get(_launched, set())
        if PROGRAMS[program] not in carried
    )
    if missing:
        pytest.fail(
            f"{item.nodeid} lance {', '.join(missing)} sans le marqueur : ajoutez son dossier,"
            " son fichier, une de ses fixtures ou son nom aux tables de tests/marks.py",
            pytrace=False,
        )
