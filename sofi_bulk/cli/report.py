"""The terminal report of a validation: French, readable, with rich; or JSON for tools."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape

from sofi_bulk.core.issues import Severity
from sofi_bulk.core.records import ValidationResult
from sofi_bulk.core.text import counts, plural

SHOWN = 25
ICONS = {Severity.ERROR: "[bold red]✖[/]", Severity.WARNING: "[bold yellow]⚠[/]"}


def summary_line(result: ValidationResult) -> str:
    return counts(len(result.errors), len(result.warnings))


def print_report(result: ValidationResult, console: Console, *, shown: int = SHOWN) -> None:
    console.print(
        f"[bold]Contrôle de {escape(result.book_name)}[/] : "
        f"{plural(len(result.sessions), 'session')}, "
        f"{plural(len(result.infos), 'information collective', 'informations collectives')}, "
        f"{plural(len(result.periodes), 'période')} d'inscription "
        f"(programme {result.profile.label})."
    )
    if not result.issues:
        console.print("[bold green]✔ Aucune erreur, aucun avertissement.[/]")
        return
    colour = "red" if result.errors else "yellow"
    console.print(f"[bold {colour}]{summary_line(result)}[/]")
    per_sheet: Counter[tuple[str, Severity]] = Counter((i.sheet, i.severity) for i in result.issues)
    for sheet in dict.fromkeys(i.sheet for i in result.issues):
        e, w = per_sheet[(sheet, Severity.ERROR)], per_sheet[(sheet, Severity.WARNING)]
        console.print(f"  • {escape(sheet)} : {counts(e, w)}")
    for issue in result.issues[:shown]:
        where = f"{issue.sheet}!{issue.cell}" if issue.cell else issue.sheet
        console.print(
            f"{ICONS[issue.severity]} [bold]{escape(where)}[/] : {escape(issue.message)} "
            f"[dim]({issue.code})[/]",
            soft_wrap=True,
        )
    rest = len(result.issues) - shown
    if rest > 0:
        console.print(
            f"… et {rest} autre(s) : la copie annotée (-o) ou --format json les donne toutes."
        )


def issues_json(result: ValidationResult) -> str:
    data: dict[str, Any] = {
        "file": result.book_name,
        "programme": result.profile.id,
        "sessions": len(result.sessions),
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "issues": [i.to_dict() for i in result.issues],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)
