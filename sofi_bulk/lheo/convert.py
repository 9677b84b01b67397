"""LHEO 2.3 export: a submission (the JSON data) becomes one LHEO document, checked first.

Every emitted element remembers the workbook cell (or the JSON path) it came from, so a
refusal, by the pre-checks derived from the official XSD or by the XSD itself, names the
cell to fix instead of an XML path. The output depends on the submission's offer data and
the profile only, never on the clock or on ``header.generated_at``: a workbook and its
JSON export give the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from sofi_bulk.core.errors import UserError
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.text import plural
from sofi_bulk.files import write_bytes_atomic
from sofi_bulk.lheo.build import LheoBuilder
from sofi_bulk.lheo.origins import Locator
from sofi_bulk.lheo.xsd import (
    calendar_ok,
    precheck,
    sort_children,
    validate_lheo,
    xml_schema,
    xsd_model,
    xsd_problems,
)
from sofi_bulk.submission.build import SessionSource

__all__ = ["LheoError", "submission_to_lheo", "validate_lheo", "write_lheo"]

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class LheoError(UserError):
    """The LHEO document was refused before writing; ``problems`` say where, in French."""

    def __init__(self, problems: list[str], intro: str = "Export LHEO 2.3 refusé") -> None:
        self.problems = list(dict.fromkeys(problems))  # de-duplicated, order kept
        n = len(self.problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"{intro} : {plural(n, 'problème')}, rien n'a été écrit.\n{lines}")


def submission_to_lheo(
    data: dict[str, Any], profile: Profile, sources: list[SessionSource] | None = None
) -> bytes:
    """The LHEO 2.3 document of a submission, pre-checked and validated by the official XSD.

    ``sources`` (from ``build_submission``) lets every refusal name its workbook cell; without
    it (JSON input) refusals name the JSON path. Raises ``LheoError`` and returns nothing when
    any value does not fit LHEO.
    """
    programme = (data.get("header") or {}).get("programme")
    if programme and programme != profile.id:
        raise LheoError(
            [
                f"header.programme : la soumission est du programme « {programme} », pas « "
                f"{profile.id} » ; "
                "relancez avec le bon programme."
            ]
        )
    loc = Locator(data, sources, profile)
    # first without tracking where elements come from: most offers are valid, and our
    # checks and the official XSD say so on the tree in memory. The builder writes every
    # child in the XSD's order, so this tree is not reordered: were it not in order, the XSD
    # would refuse it and the tracked build below, which orders its tree, would write it.
    builder = LheoBuilder(data, profile, loc, track=False)
    root = builder.document()
    if not builder.problems and calendar_ok(root) and xml_schema().validate(root):
        return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", pretty_print=True)
    # something to say: build again, tracking origins, so that each refusal names its cell
    del root
    builder = LheoBuilder(data, profile, loc)
    root = builder.document()
    sort_children(root, xsd_model())
    problems = builder.problems + precheck(root, builder.origins, loc)
    if problems:
        raise LheoError(problems)
    xml = XML_DECLARATION + etree.tostring(root, encoding="UTF-8", pretty_print=True)
    problems = xsd_problems(xml, root, builder.origins, loc)
    if problems:
        raise LheoError(problems)
    return xml


def write_lheo(path: Path, xml: bytes) -> None:
    """Write atomically: a reader never sees half a file, a failure leaves the old one."""
    write_bytes_atomic(path, xml)
