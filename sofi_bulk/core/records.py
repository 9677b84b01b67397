"""What the checks produce: where each column was found, each row's parsed values, and
the result of a whole workbook. Shared by the checks, the rules and every face."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sofi_bulk.core.issues import Issue, Severity
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.referentiel import Referentiel
from sofi_bulk.core.workbook import WorkbookInput


@dataclass
class SheetMap:
    """Where each catalogue column sits in the sheet actually read."""

    sheet: str
    header_row: int  # 1-based
    columns: dict[tuple[str, int], int] = field(
        default_factory=dict
    )  # (key, part) -> 0-based index
    unknown: list[tuple[int, str]] = field(default_factory=list)
    status_column: int | None = None


class RowCells(Mapping[str, str]):
    """Field key -> A1 reference in one row: the sheet's column letters and the row number,
    so that thousands of rows share one letters table instead of a dict of cells each."""

    __slots__ = ("letters", "row")

    def __init__(self, letters: dict[str, str], row: int) -> None:
        self.letters, self.row = letters, row

    def __getitem__(self, key: str) -> str:
        return f"{self.letters[key]}{self.row}"

    def __iter__(self) -> Iterator[str]:
        return iter(self.letters)

    def __len__(self) -> int:
        return len(self.letters)


@dataclass
class Record:
    """One data row: parsed values by field key, and the cell of each value."""

    sheet: str
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    letters: dict[str, str] = field(
        default_factory=dict
    )  # field key -> column letter, shared per sheet
    # fields whose value later rules must not use: its cell failed to parse, or a rule refused
    # the value (an issue already says why)
    unusable: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        # the rules read values hundreds of thousands of times: the dict's own get, no frame
        self.get = self.values.get  # type: ignore[method-assign, assignment]

    def get(self, key: str) -> Any:
        return self.values.get(key)

    @property
    def cells(self) -> RowCells:
        """The A1 reference of each field's (first) cell in this row (computed when asked)."""
        return RowCells(self.letters, self.row)


@dataclass
class ValidationResult:
    book_name: str
    profile: Profile
    referentiel: Referentiel
    issues: list[Issue]
    sessions: list[Record]
    infos: list[Record]
    periodes: list[Record]
    maps: dict[str, SheetMap]
    today: dt.date  # the check's date: what « past » means for the rules that ask
    book: WorkbookInput | None = None  # the rows checked, for the annotated copy

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors
