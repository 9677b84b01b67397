"""The report of a check as the web page shows it: the same heading, counts and French
messages as the command line (``sofi-bulk validate``), taken from the annotation plan."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sofi_bulk.core.issues import Severity
from sofi_bulk.core.plan import SEVERITY_LABELS, AnnotationPlan
from sofi_bulk.core.records import ValidationResult
from sofi_bulk.core.report import CodeCount, code_counts
from sofi_bulk.core.resources import example_referentiel
from sofi_bulk.core.text import counts, plural


@dataclass(frozen=True)
class Line:
    severity: str  # "erreur" or "avertissement"
    sheet: str
    cell: str
    code: str
    message: str

    @property
    def where(self) -> str:
        """« Sessions!K4 », as the command line writes it."""
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet


@dataclass
class Report:
    file_name: str
    heading: str
    summary: str
    error_count: int
    warning_count: int
    session_count: int
    per_sheet: list[tuple[str, str]] = field(default_factory=list)
    per_code: list[CodeCount] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    example: bool = False
    referentiel_source: str = ""

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def heading(result: ValidationResult) -> str:
    """The first line of ``sofi-bulk validate``."""
    return (
        f"Contrôle de {result.book_name} : "
        f"{plural(len(result.sessions), 'session')}, "
        f"{plural(len(result.infos), 'information collective', 'informations collectives')}, "
        f"{plural(len(result.periodes), 'période')} d'inscription "
        f"(programme {result.profile.label})."
    )


def build_report(result: ValidationResult, plan: AnnotationPlan) -> Report:
    """Everything the page shows, as plain data: the result itself can then be let go."""
    lines = [
        Line(
            SEVERITY_LABELS[line.severity],
            line.sheet,
            line.cell or "",
            line.code,
            line.message,
        )
        for line in plan.errors
    ]
    per_sheet: Counter[tuple[str, Severity]] = Counter((i.sheet, i.severity) for i in result.issues)
    sheets = [
        (
            sheet,
            counts(per_sheet[(sheet, Severity.ERROR)], per_sheet[(sheet, Severity.WARNING)]),
        )
        for sheet in dict.fromkeys(i.sheet for i in result.issues)
    ]
    per_code = code_counts(result.issues)  # as the command's report counts them
    meta = result.book.meta if result.book is not None else {}
    return Report(
        file_name=result.book_name,
        heading=heading(result),
        summary=counts(len(result.errors), len(result.warnings)),
        error_count=len(result.errors),
        warning_count=len(result.warnings),
        session_count=len(result.sessions),
        per_sheet=sheets,
        per_code=per_code,
        lines=lines,
        example=meta.get("referentiel_source") == example_referentiel().name,
        referentiel_source=meta.get("referentiel_source") or Path(result.referentiel.source).name,
    )
