"""The report of a check as the web page shows it: the same heading, counts and French
messages as the command line (``sofi-bulk validate``), taken from the annotation plan. It is
plain data, kept as JSON with the job: the worker that checked builds it, any web process
shows it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sofi_bulk.core.report import code_counts
from sofi_bulk.core.text import counts, plural

if TYPE_CHECKING:
    from sofi_bulk.api import ValidationResult
    from sofi_bulk.core.plan import ErrorLine

# the values of the core's severities, as the plan and the command write them
ERROR, WARNING = "erreur", "avertissement"


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


@dataclass(frozen=True)
class CodeLine:
    """One line of the table of codes: the command's count of one code."""

    code: str
    title: str
    severity: str
    count: int


@dataclass
class Report:
    file_name: str
    heading: str
    summary: str
    error_count: int
    warning_count: int
    session_count: int
    per_sheet: list[tuple[str, str]] = field(default_factory=list)
    per_code: list[CodeLine] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    example: bool = False
    referentiel_source: str = ""

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def to_json(self) -> dict[str, Any]:
        """As ``dataclasses.asdict`` would, field by field: asdict's deep copy cost a worker
        a fifth of a big report's time."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["per_sheet"] = [list(pair) for pair in self.per_sheet]
        data["per_code"] = [vars(c).copy() for c in self.per_code]
        data["lines"] = [vars(line).copy() for line in self.lines]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        values = dict(data)
        values["per_sheet"] = [tuple(pair) for pair in data["per_sheet"]]
        values["per_code"] = [CodeLine(**c) for c in data["per_code"]]
        values["lines"] = [Line(**line) for line in data["lines"]]
        return cls(**values)


def heading(result: ValidationResult) -> str:
    """The first line of ``sofi-bulk validate``."""
    return (
        f"Contrôle de {result.book_name} : "
        f"{plural(len(result.sessions), 'session')}, "
        f"{plural(len(result.infos), 'information collective', 'informations collectives')}, "
        f"{plural(len(result.periodes), 'période')} d'inscription "
        f"(programme {result.profile.label})."
    )


def build_report(result: ValidationResult, errors: list[ErrorLine]) -> Report:
    """Everything the page shows, as plain data: the result itself can then be let go.
    ``errors``: ``api.error_lines(result)``, the lines of the annotated copy's « Erreurs »."""
    from sofi_bulk import api

    lines = [
        Line(str(line.severity), line.sheet, line.cell or "", line.code, line.message)
        for line in errors
    ]
    per_sheet: Counter[tuple[str, str]] = Counter((i.sheet, str(i.severity)) for i in result.issues)
    sheets = [
        (sheet, counts(per_sheet[(sheet, ERROR)], per_sheet[(sheet, WARNING)]))
        for sheet in dict.fromkeys(i.sheet for i in result.issues)
    ]
    per_code = [  # as the command's report counts them
        CodeLine(c.code, c.title, str(c.severity), c.count) for c in code_counts(result.issues)
    ]
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
        example=api.made_with_example(result),
        referentiel_source=meta.get("referentiel_source") or Path(result.referentiel.source).name,
    )
