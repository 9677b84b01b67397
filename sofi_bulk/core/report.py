"""A validation's report as data: how many issues of each code (with the first cell), and
the complete report every face renders the same way (terminal, JSON, web page, add-in).

A workbook with 3,795 identical warnings reads as one line per code, not as 3,795 lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sofi_bulk.core.issues import ISSUE_TYPES, Issue, Severity
from sofi_bulk.core.records import ValidationResult
from sofi_bulk.core.version import __version__

REPORT_FORMAT = "sofi-bulk/rapport"


@dataclass(frozen=True)
class CodeCount:
    """The issues of one code: how many, their severity, and where the first one is."""

    code: str
    severity: Severity
    title: str
    count: int
    sheet: str
    cell: str | None

    @property
    def first(self) -> str:
        """« Sessions!T3 », or the sheet alone for a whole-sheet issue."""
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "title": self.title,
            "count": self.count,
            "first_sheet": self.sheet,
            "first_cell": self.cell,
        }


def code_counts(issues: list[Issue]) -> list[CodeCount]:
    """One line per code: errors first, then the most frequent, then in order of appearance."""
    firsts: dict[tuple[str, Severity], Issue] = {}
    numbers: dict[tuple[str, Severity], int] = {}
    for issue in issues:
        key = (issue.code, issue.severity)
        firsts.setdefault(key, issue)
        numbers[key] = numbers.get(key, 0) + 1
    order = {key: i for i, key in enumerate(firsts)}
    ranked = sorted(firsts, key=lambda k: (k[1] is not Severity.ERROR, -numbers[k], order[k]))
    return [
        CodeCount(
            code,
            severity,
            ISSUE_TYPES[code].title if code in ISSUE_TYPES else code,
            numbers[(code, severity)],
            firsts[(code, severity)].sheet,
            firsts[(code, severity)].cell,
        )
        for code, severity in ranked
    ]


def report_data(result: ValidationResult) -> dict[str, Any]:
    """The complete report: validity, tool version, programme, counts, every issue."""
    return {
        "format": REPORT_FORMAT,
        "valid": result.ok,
        "tool": "sofi-bulk",
        "tool_version": __version__,
        "file": result.book_name,
        "programme": result.profile.id,
        "programme_label": result.profile.label,
        "sessions": len(result.sessions),
        "informations_collectives": len(result.infos),
        "periodes_inscription": len(result.periodes),
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "counts": [c.to_dict() for c in code_counts(result.issues)],
        "issues": [i.to_dict() for i in result.issues],
    }


def refusal_data(file: str, error: str) -> dict[str, Any]:
    """The report of a file that could not be checked at all."""
    return {
        "format": REPORT_FORMAT,
        "valid": False,
        "tool": "sofi-bulk",
        "tool_version": __version__,
        "file": file,
        "error": error,
    }
