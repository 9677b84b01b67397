"""The library's front door: a handful of functions, the same the command line uses.

Inputs are plain rows, paths, bytes or binary file objects (a web upload and Pyodide
have no paths); outputs are Python data or bytes, written to a path or a file object
when one is given. File formats load only when a function needs them, so checking
rows imports neither openpyxl, python-calamine nor lxml.

Protections against overwriting the user's files belong to the command line, not here:
a path given to these functions is written (atomically).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sofi_bulk.core.context import resolve_context
from sofi_bulk.core.profile import Profile, load_profile
from sofi_bulk.core.records import ValidationResult
from sofi_bulk.core.referentiel import Referentiel
from sofi_bulk.core.workbook import Rows, WorkbookInput

if TYPE_CHECKING:  # loaded by the functions that need them: a template needs neither
    from sofi_bulk.core.plan import AnnotationPlan

Source = str | Path | bytes | BinaryIO
Target = str | Path | BinaryIO | None


def load_referentiel(path: str | Path | None = None) -> Referentiel:
    """The Région's référentiel from a workbook (.xlsx, .xlsm, .xls, .ods) or a folder of
    CSV files (the bundled example when ``path`` is None). What was read but not used (an
    unknown column…) is listed in its ``warnings``; ``ReferentielError.problems`` lists
    every problem of a refused one."""
    from sofi_bulk.excel.referentiel import load_referentiel as load

    return load(path)


def read(source: Source, *, name: str | None = None) -> WorkbookInput:
    """A workbook file (path, bytes or binary file object) as plain rows, after the
    hostile-file checks."""
    from sofi_bulk.excel.reader import read_workbook

    return read_workbook(source, name)


def check(
    source: Source | WorkbookInput | Mapping[str, Rows],
    *,
    programme: str | None = None,
    referentiel: Referentiel | str | Path | None = None,
    name: str | None = None,
) -> ValidationResult:
    """Check a workbook: a file, or plain rows (``{"Sessions": [[...], ...], ...}``).

    ``referentiel`` overrides the copy the template carries; ``programme`` the profile it
    was made for. Bad cell values become issues; only an unusable workbook raises
    (``WorkbookError``, with a French message).
    """
    from sofi_bulk.core.validate import validate_book

    if isinstance(source, WorkbookInput):
        book = source
    elif isinstance(source, Mapping):
        book = WorkbookInput.from_sheets(name or "classeur", dict(source))
    else:
        book = read(source, name=name)
    ref = load_referentiel(referentiel) if isinstance(referentiel, str | Path) else referentiel
    ctx = resolve_context(book, programme, ref, fallback=load_referentiel)
    return validate_book(book, ctx.profile, ctx.referentiel, ctx.notices)


def plan(result: ValidationResult, *, checked_at: dt.datetime | None = None) -> AnnotationPlan:
    """What to mark in the checked workbook itself (cells, notes, statuses, « Erreurs »)."""
    from sofi_bulk.core.plan import InPlace, annotation_plan

    return annotation_plan(result, InPlace(result), checked_at=checked_at)


def to_submission(
    result: ValidationResult, *, generated_at: dt.datetime | None = None
) -> dict[str, Any]:
    """The JSON submission (formations → actions → sessions) of a workbook without errors;
    ``ExportRefused`` otherwise."""
    from sofi_bulk.submission.build import build_submission

    return build_submission(result, generated_at)


def to_lheo(source: ValidationResult | dict[str, Any], *, profile: Profile | None = None) -> bytes:
    """The LHEO 2.3 document, validated by the official XSD, from a checked workbook (its
    refusals then name cells) or from a submission (they name JSON paths)."""
    from sofi_bulk.lheo.convert import submission_to_lheo
    from sofi_bulk.submission.build import SessionSource, build_submission

    if isinstance(source, ValidationResult):
        sources: list[SessionSource] = []
        data = build_submission(source, sources=sources)
        return submission_to_lheo(data, profile or source.profile, sources)
    return submission_to_lheo(source, profile or load_profile(source["header"]["programme"]))


def write_template(
    target: Target = None,
    *,
    programme: str = "prepa-avenir-sup",
    referentiel: Referentiel | str | Path | None = None,
    lots: list[str] | None = None,
    siret: str | None = None,
) -> bytes | None:
    """The entry workbook for the programme's lots (or those given, or an organisation's),
    written to ``target``; its bytes when no target is given."""
    from sofi_bulk.excel.template import build_template

    ref = referentiel if isinstance(referentiel, Referentiel) else load_referentiel(referentiel)
    builder = build_template(load_profile(programme), ref, lots=lots, siret=siret)
    return _save(builder.save, target)


def write_annotated(
    result: ValidationResult, target: Target = None, *, checked_at: dt.datetime | None = None
) -> bytes | None:
    """The annotated copy of a checked workbook: its values in a fresh template, painted
    with the plan; its bytes when no target is given."""
    from sofi_bulk.excel.copy import write_annotated as write

    return _save(lambda out: write(out, result, checked_at=checked_at), target)


def _save(save: Any, target: Target) -> bytes | None:
    if target is None:
        buffer = io.BytesIO()
        save(buffer)
        return buffer.getvalue()
    save(Path(target) if isinstance(target, str | Path) else target)
    return None


# --- what the web service needs beyond the commands (added at the end, in their order of use) ---
def siret_is_valid(siret: str) -> bool:
    """A SIRET's check digit (Luhn), La Poste's establishments included."""
    from sofi_bulk.core.values import siret_is_valid as valid

    return valid(siret)


def column_header(key: str) -> str:
    """The template's column header of a catalogue field (or submission key); the key itself
    when it is not a field."""
    from sofi_bulk.core.fields import BY_KEY

    return BY_KEY[key].header if key in BY_KEY else key


def example_referentiel() -> Path:
    """The bundled example référentiel (.xlsx, fictitious data)."""
    from sofi_bulk.core.resources import example_referentiel as bundled

    return bundled()


def example_workbook() -> Path:
    """The bundled example entry workbook (6 sessions, fictitious data)."""
    from sofi_bulk.core.resources import bundled

    return bundled("examples", "saisie-exemple.xlsx")


def formula_cells(data: bytes, limit: int = 5) -> list[str]:
    """Where a workbook already read by ``read`` holds formulas (« Sessions!K4 »), the first
    ``limit``: a file kept for others to open should hold values only."""
    from sofi_bulk.excel.scan import formula_cells as cells

    return cells(data, limit)


def submission_json(submission: dict[str, Any]) -> bytes:
    """A submission as the JSON file ``sofi-bulk export`` writes (UTF-8)."""
    from sofi_bulk.submission.io import dumps

    return dumps(submission).encode("utf-8")


def merge_lheo(documents: list[bytes]) -> bytes:
    """One LHEO 2.3 document holding the offers of every document given (each made by
    ``to_lheo``), validated by the official XSD; ``ValueError`` if the XSD refuses it."""
    from lxml import etree

    from sofi_bulk.lheo.convert import XML_DECLARATION
    from sofi_bulk.lheo.xsd import NS, validate_lheo

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.Element(f"{{{NS}}}lheo", nsmap={None: NS})
    offres = etree.SubElement(root, f"{{{NS}}}offres")
    for document in documents:
        for formation in etree.fromstring(document, parser).find(f"{{{NS}}}offres"):
            offres.append(formation)
    xml = XML_DECLARATION + etree.tostring(root, encoding="UTF-8", pretty_print=True)
    problems = validate_lheo(xml)
    if problems:
        raise ValueError("merged LHEO refused by the XSD: " + "; ".join(problems[:5]))
    return xml
