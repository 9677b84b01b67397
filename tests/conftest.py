"""Shared fixtures: the bundled profile and référentiel, a fresh template, a filled sample."""

from __future__ import annotations

import copy
import datetime as dt
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl.cell.cell import Cell

from sofi_bulk.core.profile import load_profile
from sofi_bulk.core.records import ValidationResult
from sofi_bulk.core.referentiel import Referentiel
from sofi_bulk.core.workbook import WorkbookInput
from sofi_bulk.excel.reader import read_workbook
from sofi_bulk.excel.referentiel import load_referentiel
from sofi_bulk.excel.sample import make_sample
from sofi_bulk.excel.template import write_template

ROOT = Path(__file__).resolve().parent.parent

# The suite's « today »: the rules that depend on the check's date (a modified session that
# has ended, a campaign that is neither this year's nor next year's) judge every check as on
# this day, whatever day the suite runs. Set before anything runs, so that the commands run
# in-process and in child processes (they inherit it) read it too (``api.check_date``);
# tests/test_today.py proves the suite does not depend on the real date.
TODAY = dt.date(2025, 1, 2)
os.environ["SOFI_BULK_TODAY"] = TODAY.isoformat()

pytest_plugins = ["tests.marks"]  # markers by folder, fixture and name; quick loop


def styled(ws, row: int, column: int):
    """What gives a cell of a loaded sheet its style in Excel and LibreOffice: the cell when
    the file holds it, else its column's ``<col style>`` (openpyxl's ``ws.cell`` would make
    a default, locked cell instead)."""
    cell = ws._cells.get((row, column))
    if cell is not None:
        return cell
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= column <= dim.max and dim.has_style:
            return dim
    return Cell(ws, row=row, column=column)  # a default cell, not added to the sheet


def worksheets_scanned_tag_by_tag(path: Path, monkeypatch) -> list[str]:
    """Read a workbook and return its worksheet parts that the far-cell scan had to read tag
    by tag (ten times slower than the regex path); other parts (a theme's r="50000") may."""
    from sofi_bulk.excel import scan

    slow: list[str] = []
    tag_by_tag = scan._scan_tags
    monkeypatch.setattr(
        scan,
        "_scan_tags",
        lambda archive, part, *rest: slow.append(part) or tag_by_tag(archive, part, *rest),
    )
    assert read_workbook(path).sheets
    return [part for part in slow if "worksheets/" in part]


@pytest.fixture(scope="session")
def profile():
    return load_profile()


@pytest.fixture(scope="session")
def referentiel():
    return load_referentiel()


@pytest.fixture(scope="session")
def template_path(tmp_path_factory, profile, referentiel) -> Path:
    path = tmp_path_factory.mktemp("template") / "saisie.xlsx"
    write_template(path, profile, referentiel)
    return path


@pytest.fixture(scope="session")
def sample_path(tmp_path_factory) -> Path:
    """A valid filled workbook: 6 sessions, one information collective and one period each."""
    path = tmp_path_factory.mktemp("sample") / "saisie-remplie.xlsx"
    make_sample(6).save(path)
    return path


@pytest.fixture(scope="session")
def sample_input(sample_path) -> WorkbookInput:
    return read_workbook(sample_path)


@pytest.fixture
def book(sample_input) -> WorkbookInput:
    """A private deep copy of the sample's rows, free to mutate."""
    return copy.deepcopy(sample_input)


def region_extraction(ref: Referentiel) -> Referentiel:
    """The example's lots as a Région's extraction could give them: the same numbers, codes,
    organisations and campaign (2025), each title worded otherwise. Not the bundled example,
    whose fictitious lots alone are spared the warning of a campaign that is over."""
    lots = {n: replace(lot, intitule=f"{lot.intitule} (Région)") for n, lot in ref.lots.items()}
    return replace(ref, lots=lots, source="extraction-region.xlsx")


def write_region_extraction(path: Path) -> Path:
    """``region_extraction`` as a file: the example's workbook, each lot's title worded
    otherwise (whatever the file's name: the example's own name is no exemption)."""
    from openpyxl import load_workbook

    book = load_workbook(ROOT / "examples" / "referentiel-exemple.xlsx")
    lots = book["lots"]
    title = [c.value for c in lots[1]].index("intitule")
    for row in lots.iter_rows(min_row=2):
        row[title].value = f"{row[title].value} (Région)"
    book.save(path)
    return path


@pytest.fixture(scope="session")
def region_sample_input(tmp_path_factory, referentiel) -> WorkbookInput:
    """The sample's six sessions in a workbook made from ``region_extraction``."""
    path = tmp_path_factory.mktemp("region") / "saisie-region.xlsx"
    make_sample(6, referentiel=region_extraction(referentiel)).save(path)
    return read_workbook(path)


@pytest.fixture
def region_book(region_sample_input) -> WorkbookInput:
    return copy.deepcopy(region_sample_input)


def run_validation(book: WorkbookInput) -> ValidationResult:
    from sofi_bulk.api import check

    return check(book)


def run_process(
    *args: str | Path, cwd: Path | None = None, today: str | None = None
) -> subprocess.CompletedProcess:
    """Run ``python -m sofi_bulk`` in a child process, as a user would; its output as text.
    ``today``: the day it checks as (``SOFI_BULK_TODAY``), else the suite's."""
    env = {**os.environ, "SOFI_BULK_TODAY": today} if today else None
    return subprocess.run(
        [sys.executable, "-m", "sofi_bulk", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
    )


def run_cli(*args: str) -> int:
    """Run the sofi-bulk command in-process; its exit status."""
    from sofi_bulk.cli import main

    try:
        main(list(args))
    except SystemExit as exc:
        return exc.code or 0
    return 0


@pytest.fixture(autouse=True, scope="session")
def every_submission_matches_the_published_schema():
    """Every submission any test builds (command, library, add-in, web) is also checked with
    jsonschema against schemas/submission.schema.json: the export itself does not check
    it (issue 13: the schema check may leave the runtime if the tests prove every build)."""
    from pydantic import ValidationError

    from sofi_bulk.submission import build, models, schema

    original = build.SubmissionBuilder.build

    def build_and_check(self, *args, **kwargs):
        data = original(self, *args, **kwargs)
        try:
            models.Submission.model_validate(data)
        except ValidationError:
            return data  # refused by the export itself, in French (see test_submission)
        schema.check_schema(data)
        return data

    build.SubmissionBuilder.build = build_and_check
    yield
    build.SubmissionBuilder.build = original
