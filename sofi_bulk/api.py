"""The library's front door: the functions the command line, the add-in and the web
service call, and nothing they need is left out (``tests/test_architecture.py``).

Inputs are plain rows, paths, bytes or binary file objects (a web upload and Pyodide
have no paths); outputs are Python data or bytes, written to a path (atomically) or a file
object when one is given. Each command of ``sofi-bulk`` is one or two of these functions:
``template`` is ``build_template`` (or ``write_template``), ``validate`` is ``read`` then
``check`` and ``write_annotated``, ``export`` is ``to_submission`` and
``write_submission``, ``lheo`` is ``write_lheo``, ``referentiel verifier`` is
``load_referentiel`` and ``select_lots``. File formats load only when a function needs
them, so checking rows imports neither openpyxl, python-calamine nor lxml.

Every refusal is a ``UserError`` (``WorkbookError``, ``ReferentielError``…) with one
French message. Protections against overwriting the user's files belong to the command
line, not here: a path given to these functions is written; ``origin`` tells a face what
a file holds before it decides.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sofi_bulk.core.context import resolve_context
from sofi_bulk.core.errors import UserError, WorkbookError
from sofi_bulk.core.issues import Issue, Severity
from sofi_bulk.core.profile import DEFAULT_PROGRAMME, Profile
from sofi_bulk.core.profile import load_profile as _load_profile
from sofi_bulk.core.records import ValidationResult
from sofi_bulk.core.referentiel import Lot, Referentiel, ReferentielError, geography_gaps
from sofi_bulk.core.values import FormulaError
from sofi_bulk.core.workbook import Rows, WorkbookInput, far_cell_message, first_far_cell
from sofi_bulk.distribution import ADDIN_BUTTONS
from sofi_bulk.files import BACKUP_SUFFIX, annotated_name, base_stem, is_annotated

if TYPE_CHECKING:  # loaded by the functions that need them: a template needs neither
    from sofi_bulk.core.plan import AnnotationPlan, ErrorLine
    from sofi_bulk.excel.template import TemplateBuilder
    from sofi_bulk.reprise.take import Reprise

__all__ = [  # the types a caller meets, then the functions
    "ADDIN_BUTTONS",
    "BACKUP_SUFFIX",
    "DEFAULT_PROGRAMME",
    "FormulaError",
    "Issue",
    "Lot",
    "Origin",
    "Profile",
    "Referentiel",
    "ReferentielError",
    "Rows",
    "Severity",
    "UserError",
    "ValidationResult",
    "WorkbookError",
    "WorkbookInput",
    "annotated_name",
    "base_stem",
    "build_template",
    "check",
    "check_date",
    "error_lines",
    "from_rows",
    "geography_gaps",
    "is_annotated",
    "load_profile",
    "load_referentiel",
    "made_with_example",
    "origin",
    "plan",
    "read",
    "read_submission",
    "select_lots",
    "stale_campaigns",
    "take_back",
    "to_lheo",
    "to_submission",
    "write_annotated",
    "write_blank_referentiel",
    "write_bytes",
    "write_lheo",
    "write_submission",
    "write_template",
]

Source = str | Path | bytes | BinaryIO
Target = str | Path | BinaryIO | None
# the check's date when not the real one (aaaa-mm-jj): a test suite that does not age, or a
# check made as on another day
TODAY_VARIABLE = "SOFI_BULK_TODAY"


def check_date() -> dt.date:
    """The date a check is made on: the real date, or the one ``SOFI_BULK_TODAY`` gives.
    The only place the library reads the clock for a check; the core is given the date."""
    text = os.environ.get(TODAY_VARIABLE, "").strip()
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"{TODAY_VARIABLE} : « {text} » n'est pas une date (aaaa-mm-jj attendu, ex. "
            "2025-01-02) ; corrigez ou retirez cette variable d'environnement."
        ) from None


# --- programmes and référentiels ----------------------------------------------------------
def load_profile(programme: str | None = None) -> Profile:
    """A programme's profile: a bundled one by id, or a profile file by path (the default
    programme when None). ``UserError`` for an unknown or invalid one."""
    return _load_profile() if programme is None else _load_profile(programme)


def load_referentiel(path: str | Path | None = None) -> Referentiel:
    """The Région's référentiel from a workbook (.xlsx, .xlsm, .xls, .ods) or a folder of
    CSV files (the bundled example when ``path`` is None). What was read but not used (an
    unknown column…) is listed in its ``warnings``; ``ReferentielError.problems`` lists
    every problem of a refused one."""
    from sofi_bulk.excel.referentiel import load_referentiel as load

    return load(path)


def select_lots(
    referentiel: Referentiel,
    *,
    programme: Profile | str | None = None,
    lots: list[str] | None = None,
    siret: str | None = None,
) -> list[Lot]:
    """The lots a template of the programme would offer (all of them, or those given, or
    an organisation's): ``UserError`` when none, exactly as ``build_template`` refuses."""
    from sofi_bulk.core.lots import select_lots as select

    return select(_profile(programme), referentiel, lots, siret)


def stale_campaigns(
    lots: list[Lot],
    *,
    programme: Profile | str | None = None,
    today: dt.date | None = None,
) -> list[tuple[Lot, int]]:
    """The lots whose campaign (their year, else the programme's) is neither the year of
    ``today`` (``check_date()`` when None) nor the next, with that year: what a face says
    before a user fills a template for a campaign that is over. None when the lots are the
    bundled example's: fictitious, their campaign is the one the procedure's text names."""
    from sofi_bulk.core.lots import stale_lots

    stale = stale_lots(_profile(programme), lots, today if today is not None else check_date())
    return [] if stale and _example_lots(lots) else stale


def _example_lots(lots: Iterable[Lot]) -> bool:
    """Whether ``lots`` (one at least) are all lots of the bundled example référentiel, field
    for field, whatever file or workbook copy they come from: the example's fictitious data.
    A référentiel that merely bears the example's file name, or reuses its lot numbers, is
    not (its lots of a past campaign stay warned)."""
    example = _bundled_lots()
    given = list(lots)
    return bool(given) and all(example.get(lot.numero) == lot for lot in given)


def _submission_lots(data: Mapping[str, Any]) -> list[Lot]:
    """The lots a submission's header describes; none when one cannot be read as a lot."""
    try:
        return [
            Lot(**{**lot, "siret_formateurs": tuple(lot.get("siret_formateurs") or ())})
            for lot in data["header"]["lots"]
        ]
    except (KeyError, TypeError, AttributeError):
        return []


@functools.cache
def _bundled_lots() -> dict[str, Lot]:
    """The bundled example référentiel's lots, read once per process; none where it cannot
    be read (an install without it): the campaign is then warned of, as for any lots."""
    try:
        return dict(load_referentiel().lots)
    except Exception:  # a best-effort exemption never breaks a check
        return {}


def _marked(ref: Referentiel, profile: Profile, today: dt.date) -> Referentiel:
    """``ref``, marked ``example`` when its lots are the bundled example's, for the rule of the
    campaign (``Referentiel.example``). Compared only when a lot's campaign is over on
    ``today``, the only case where the mark counts: checking a current offer never reads the
    example."""
    from sofi_bulk.core.lots import stale_lots

    if ref.example or not stale_lots(profile, list(ref.lots.values()), today):
        return ref
    if not _example_lots(ref.lots.values()):
        return ref
    return dataclasses.replace(ref, example=True)


def write_blank_referentiel(target: Target = None) -> bytes | None:
    """A blank référentiel to send to the Région: one sheet per table with the expected
    headers and an example row, and a help sheet; its bytes when no target is given."""
    from sofi_bulk.excel.referentiel_blank import write_blank_referentiel as write

    return _save(write, target)


# --- reading and checking -----------------------------------------------------------------
def read(source: Source, *, name: str | None = None) -> WorkbookInput:
    """A workbook file (path, bytes or binary file object) as plain rows, after the
    hostile-file checks."""
    from sofi_bulk.excel.reader import read_workbook

    return read_workbook(source, name)


def from_rows(sheets: Mapping[str, Rows], *, name: str = "classeur") -> WorkbookInput:
    """A workbook given as plain rows, one list per sheet anchored at A1 (``_meta``
    included, as an open workbook hands it over), refused like a file when a filled cell
    lies beyond the limits the file reader keeps."""
    for sheet, rows in sheets.items():
        far = first_far_cell(rows)
        if far is not None:
            raise WorkbookError(far_cell_message(name, f"feuille « {sheet} »", far))
    return WorkbookInput.from_sheets(name, dict(sheets))


def check(
    source: Source | WorkbookInput | Mapping[str, Rows],
    *,
    programme: str | None = None,
    referentiel: Referentiel | str | Path | None = None,
    name: str | None = None,
    today: dt.date | None = None,
) -> ValidationResult:
    """Check a workbook: a file, one already read (``read``, ``from_rows``), or plain rows
    (``{"Sessions": [[...], ...], ...}``).

    ``referentiel`` overrides the copy the template carries; ``programme`` the profile it
    was made for; ``today`` is the check's date (``check_date()`` when None), which says whether a
    modified session has ended and whether the campaign is current (the bundled example's
    fictitious lots are never of a campaign that is over). Bad cell values become
    issues; only an unusable workbook raises (``WorkbookError``, with a French message).
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
    date = today if today is not None else check_date()
    checked = _marked(ctx.referentiel, ctx.profile, date)
    return validate_book(book, ctx.profile, checked, ctx.notices, today=date)


def made_with_example(book: WorkbookInput | ValidationResult | Mapping[str, Any]) -> bool:
    """True when the lots are all the bundled example référentiel's, field for field: those
    of the référentiel a check used, of the copy a workbook carries, or of a submission's
    header (``read_submission``). Their organisations, sites and contacts are fictitious,
    which a face should say. The same test as the example's exemption from the campaign
    rule; a workbook is compared only when its template says it was made from the example's
    file (a Région's workbook costs no reading of the example): a Région's référentiel that
    merely bears that name is not the example."""
    from sofi_bulk.core.resources import example_referentiel

    if isinstance(book, Mapping):
        return _example_lots(_submission_lots(book))
    workbook = book.book if isinstance(book, ValidationResult) else book
    meta = workbook.meta if workbook is not None else {}
    if meta.get("referentiel_source") != example_referentiel().name:
        return False
    if isinstance(book, ValidationResult):
        return _example_lots(book.referentiel.lots.values())
    try:
        copy = Referentiel.from_json(book.referentiel_json or "", source=book.name)
    except Exception:  # no copy, or a damaged one: the check says so; here, not the example
        return False
    return _example_lots(copy.lots.values())


def plan(result: ValidationResult, *, checked_at: dt.datetime | None = None) -> AnnotationPlan:
    """What to mark in the checked workbook itself (cells, notes, statuses, « Erreurs »)."""
    from sofi_bulk.core.plan import InPlace, annotation_plan

    return annotation_plan(result, InPlace(result), checked_at=checked_at)


def error_lines(result: ValidationResult) -> list[ErrorLine]:
    """The lines of the plan's « Erreurs » sheet alone (``plan(result).errors``), for a
    report that paints nothing."""
    from sofi_bulk.core.plan import error_lines as lines

    return lines(result)


# --- exports ------------------------------------------------------------------------------
def to_submission(
    result: ValidationResult, *, generated_at: dt.datetime | None = None
) -> dict[str, Any]:
    """The JSON submission (formations → actions → sessions) of a workbook without errors;
    ``ExportRefused`` otherwise."""
    from sofi_bulk.submission.build import build_submission

    return build_submission(result, generated_at)


def write_submission(
    source: ValidationResult | dict[str, Any],
    target: Target = None,
    *,
    generated_at: dt.datetime | None = None,
) -> bytes | None:
    """The submission (given, or built from a checked workbook) as the JSON text
    ``sofi-bulk export`` writes; its bytes when no target is given."""
    from sofi_bulk.submission.io import dumps

    data = source if isinstance(source, dict) else to_submission(source, generated_at=generated_at)
    return _save_bytes(dumps(data).encode("utf-8"), target)


def read_submission(source: Source, *, name: str | None = None) -> dict[str, Any]:
    """A submission written by ``sofi-bulk export`` (path, bytes or binary file object),
    refused in French (``UserError``) when it is not one, or not valid against the
    schema."""
    from sofi_bulk.submission.io import load_submission_json, loads_submission

    if isinstance(source, str | Path):
        return load_submission_json(Path(source))
    raw = source if isinstance(source, bytes) else source.read()
    return loads_submission(raw, name or "soumission.json")


def to_lheo(
    source: ValidationResult | dict[str, Any], *, profile: Profile | str | None = None
) -> bytes:
    """The LHEO 2.3 document, validated by the official XSD, from a checked workbook (its
    refusals then name cells) or from a submission (they name JSON paths). ``profile``
    (a profile, or a programme as ``load_profile`` takes it) overrides the one the source
    names."""
    from sofi_bulk.lheo.convert import submission_to_lheo
    from sofi_bulk.submission.build import SessionSource, build_submission

    chosen = _profile(profile) if profile else None
    if isinstance(source, ValidationResult):
        sources: list[SessionSource] = []
        data = build_submission(source, sources=sources)
        return submission_to_lheo(data, chosen or source.profile, sources)
    return submission_to_lheo(source, chosen or _load_profile(source["header"]["programme"]))


def write_lheo(
    source: ValidationResult | dict[str, Any],
    target: Target = None,
    *,
    profile: Profile | str | None = None,
) -> bytes | None:
    """The LHEO 2.3 document of ``to_lheo``, written to ``target``; its bytes when no
    target is given."""
    return _save_bytes(to_lheo(source, profile=profile), target)


# --- workbooks written --------------------------------------------------------------------
def build_template(
    *,
    programme: Profile | str | None = None,
    referentiel: Referentiel | str | Path | None = None,
    lots: list[str] | None = None,
    siret: str | None = None,
    service: str | None = None,
) -> TemplateBuilder:
    """The entry workbook in memory, for the programme's lots (or those given, or an
    organisation's): its ``profile``, ``lots`` and ``rows`` say what it holds, and
    ``save(path or binary file)`` writes it (atomically to a path). ``service``: the address
    of the service « Déposer son offre » handing it out, whose page « Contrôler dans Excel »
    its Aide sheet names (``UserError`` if it is not an address)."""
    from sofi_bulk.excel.template import build_template as build

    ref = referentiel if isinstance(referentiel, Referentiel) else load_referentiel(referentiel)
    return build(_profile(programme), ref, lots=lots, siret=siret, service=service)


def write_template(
    target: Target = None,
    *,
    programme: str = DEFAULT_PROGRAMME,
    referentiel: Referentiel | str | Path | None = None,
    lots: list[str] | None = None,
    siret: str | None = None,
    service: str | None = None,
    reprendre: Source | None = None,
    campaign: int | bool | None = None,
    dates: bool = True,
) -> bytes | None:
    """The entry workbook of ``build_template``, written to ``target``; its bytes when no
    target is given. With ``reprendre``, the workbook of ``take_back`` (pre-filled from an
    existing offer), ``campaign`` and ``dates`` as it takes them."""
    if reprendre is not None:
        reprise = take_back(
            reprendre,
            programme=programme,
            referentiel=referentiel,
            lots=lots,
            siret=siret,
            campaign=campaign,
            dates=dates,
            service=service,
        )
        return _save(reprise.save, target)
    builder = build_template(
        programme=programme, referentiel=referentiel, lots=lots, siret=siret, service=service
    )
    return _save(builder.save, target)


def take_back(
    source: Source,
    *,
    name: str | None = None,
    programme: Profile | str | None = None,
    referentiel: Referentiel | str | Path | None = None,
    lots: list[str] | None = None,
    siret: str | None = None,
    campaign: int | bool | None = None,
    dates: bool = True,
    today: dt.date | None = None,
    service: str | None = None,
) -> Reprise:
    """« Reprendre son offre »: the entry workbook pre-filled from an existing offer, an
    LHEO 2.3 file (this tool's or a Carif-Oref feed's), a submission JSON (any format this
    version reads) or an earlier workbook, each session a row with its FAS code.

    ``campaign``: None (or False) keeps the rows modifications of the current sessions;
    a year (or True: each lot's campaign year in the référentiel) makes them new sessions of
    the same actions, dates moved by whole years (left empty when ``dates`` is False). Without
    ``referentiel``: the copy an earlier workbook carries, else the bundled example. The rows
    are checked as on ``today`` (``check_date()`` when None). ``service`` as for
    ``build_template``: the Aide sheet names that service's page « Contrôler dans Excel ».

    The rows are checked with the check of ``check``; the ``Reprise`` returned holds the
    ``result``, the report's ``sections()``, and ``save(path or binary file)`` writes the
    workbook, its cells marked as ``write_annotated`` marks them, with a « Reprise » sheet.
    Refusals (an unreadable or hostile source, an unknown lot) are ``UserError``.
    """
    from sofi_bulk.reprise.campaign import NextCampaign
    from sofi_bulk.reprise.take import read_offer
    from sofi_bulk.reprise.take import take_back as take

    raw, label = _source_bytes(source, name)
    profile = _profile(programme)
    offer = read_offer(raw, label, profile)
    if isinstance(referentiel, Referentiel):
        ref = referentiel
    elif referentiel is not None:
        ref = load_referentiel(referentiel)
    else:
        ref = offer.referentiel or load_referentiel()
    moved = None
    if campaign is not None and campaign is not False:
        moved = NextCampaign(None if campaign is True else int(campaign), dates)
    elif not dates:
        raise UserError("sans les dates (--sans-dates), donnez aussi la campagne (--campagne).")
    date = today if today is not None else check_date()
    return take(
        raw,
        label,
        profile,
        _marked(ref, profile, date),
        lots=lots,
        siret=siret,
        campaign=moved,
        offer=offer,
        today=date,
        service=service,
    )


def write_annotated(
    result: ValidationResult,
    target: Target = None,
    *,
    checked_at: dt.datetime | None = None,
    in_place: bool = False,
) -> bytes | None:
    """The annotated copy of a checked workbook: its values in a fresh template, painted
    with the plan; its bytes when no target is given. ``in_place`` when the copy replaces
    the checked file itself: the copy then says it holds the user's corrections
    (``origin`` gives ``CORRECTED``)."""
    from sofi_bulk.excel.copy import write_annotated as write

    return _save(lambda out: write(out, result, checked_at=checked_at, in_place=in_place), target)


def write_bytes(data: bytes, target: str | Path | BinaryIO) -> None:
    """Write bytes the way every function here writes: to a path atomically (a reader
    never sees half a file, a failure leaves the old one), or to a binary file object."""
    from sofi_bulk.files import write_out

    write_out(data, target)


class Origin(StrEnum):
    """What a file holds, as far as sofi-bulk can tell from the file itself."""

    UNTOUCHED = "intact"  # written by sofi-bulk and unchanged since: nothing would be lost
    CORRECTED = "corrigé"  # a workbook checked in place: it holds the user's corrections
    OTHER = "autre"  # the user's work: a filled workbook, another file, an unreadable one


def origin(path: str | Path) -> Origin:
    """Who wrote the file at ``path``: ``UNTOUCHED`` for an output of sofi-bulk unchanged
    since (a template or annotated copy whose values still hash as stamped, a blank
    référentiel, a submission, an LHEO file: those two are written again from the workbook),
    ``CORRECTED`` for a workbook marked in place, ``OTHER`` for anything else."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a pipe or a device: never opened
            return Origin.OTHER
        if suffix == ".xlsx":
            return _workbook_origin(read(path))
        if suffix == ".json":
            import json

            data = json.loads(path.read_text(encoding="utf-8"))
            ours = isinstance(data, dict) and str(
                data.get("header", {}).get("format", "")
            ).startswith("sofi-bulk/soumission")
            return Origin.UNTOUCHED if ours else Origin.OTHER
        if suffix == ".xml":
            from defusedxml.ElementTree import parse

            ours = parse(path).getroot().tag == "{http://lheo.gouv.fr/2.3}lheo"
            return Origin.UNTOUCHED if ours else Origin.OTHER
    except Exception:  # unreadable, or any parser failure: not one of ours
        return Origin.OTHER
    return Origin.OTHER


def _workbook_origin(book: WorkbookInput) -> Origin:
    from sofi_bulk.core.layout import WRITTEN_IN_PLACE
    from sofi_bulk.core.workbook import content_fingerprint

    if book.meta.get(WRITTEN_IN_PLACE):
        return Origin.CORRECTED
    stamped = book.meta.get("content_fingerprint")
    if stamped:
        untouched = stamped == content_fingerprint(book.sheets)
    else:
        from sofi_bulk.excel.referentiel_blank import blank_fingerprint

        untouched = content_fingerprint(book.sheets) == blank_fingerprint()
    return Origin.UNTOUCHED if untouched else Origin.OTHER


# --- helpers ------------------------------------------------------------------------------
def _source_bytes(source: Source, name: str | None) -> tuple[bytes, str]:
    """The bytes of a source and the name its messages give it; a file too large for an
    offer is refused before it is read."""
    from sofi_bulk.core.errors import os_reason
    from sofi_bulk.reprise.take import MAX_SOURCE_BYTES

    if isinstance(source, bytes):
        return source, name or "offre"
    if not isinstance(source, str | Path):
        return source.read(MAX_SOURCE_BYTES + 1), name or "offre"
    path = Path(source)
    label = name or path.name
    try:
        if not path.is_file():
            raise UserError(f"{label} : fichier introuvable.")
        if path.stat().st_size > MAX_SOURCE_BYTES:
            raise UserError(
                f"{label} : fichier trop volumineux pour une offre "
                f"({path.stat().st_size // 2**20} Mio ; {MAX_SOURCE_BYTES // 2**20} Mio au plus)."
            )
        return path.read_bytes(), label
    except OSError as exc:
        raise UserError(f"{label} : fichier illisible ({os_reason(exc)}).") from exc


def _profile(programme: Profile | str | None) -> Profile:
    return programme if isinstance(programme, Profile) else load_profile(programme)


def _save(save: Callable[[Path | BinaryIO], None], target: Target) -> bytes | None:
    if target is None:
        buffer = io.BytesIO()
        save(buffer)
        return buffer.getvalue()
    save(Path(target) if isinstance(target, str | Path) else target)
    return None


def _save_bytes(data: bytes, target: Target) -> bytes | None:
    if target is None:
        return data
    write_bytes(data, target)
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


def referentiel_report(ref: Referentiel, profile: Profile | None = None) -> list[Any]:
    """What ``sofi-bulk referentiel verifier`` says it understood of a référentiel, as lines
    (``.text``; ``.segments``: (text, style) pairs; ``.level``: indentation; ``.long``: not to
    be wrapped); the first line is the summary. The staff of the web service see the same
    report before a référentiel they load takes effect."""
    from sofi_bulk.core.referentiel_report import understanding

    profile = profile or load_profile()
    today = check_date()
    return understanding(_marked(ref, profile, today), profile, today)


def read_csv(path: str | Path) -> list[list[str]]:
    """The rows of a CSV file as a French spreadsheet saves it (UTF-8, UTF-16 or
    Windows-1252; separator ; , or tab), read as the référentiel's CSV files are, with the
    same guards; ``UserError`` naming the file, line and column otherwise. The web service
    reads its lists of accounts with it."""
    from sofi_bulk.excel.referentiel import read_csv as read

    path = Path(path)
    try:
        return read(path, path.parent.name, where=str(path))
    except OSError as exc:
        from sofi_bulk.core.errors import os_reason

        raise UserError(f"{path} : fichier illisible ({os_reason(exc)}).") from exc


# --- the Excel add-in as a user installs it (xlwings Lite) ---------------------------------
def addin_wheel() -> bytes:
    """The wheel (pure Python) of the running sofi-bulk, which xlwings Lite installs: built
    from the code that runs, never from a file left from another version."""
    from sofi_bulk.distribution import build_wheel

    return build_wheel()


def addin_wheel_name() -> str:
    """The wheel's file name (``sofi_bulk-X.Y.Z-py3-none-any.whl``)."""
    from sofi_bulk.distribution import wheel_name

    return wheel_name()


def addin_main() -> str:
    """The text a user pastes into xlwings Lite's ``main.py`` tab."""
    from sofi_bulk.distribution import addin_main as text

    return text()


def addin_requirements(wheel_url: str | None = None) -> str:
    """The text a user pastes into xlwings Lite's ``requirements.txt`` tab: sofi-bulk from
    ``wheel_url``, or from PyPI (``sofi-bulk==X.Y.Z``) when none is given."""
    from sofi_bulk.distribution import addin_requirements as text

    return text(wheel_url)


def addin_page(service: str) -> str:
    """The address of a service's page « Contrôler dans Excel » (``UserError`` for an
    address that is not one)."""
    from sofi_bulk.distribution import page_url

    return page_url(service)
