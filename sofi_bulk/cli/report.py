"""The terminal report of a validation: French, readable, with rich; or JSON for tools.

A thin renderer of ``sofi_bulk.core.report``. A few issues make one list, errors first; more
than fit in it, and the count per code comes first (code, severity, count, first cell),
then the detail, errors first and at most ``PER_CODE`` lines of one code, so that a
thousand identical warnings cannot hide an error. On a terminal, lines break between words.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from sofi_bulk.api import Issue, Severity, ValidationResult
from sofi_bulk.cli.term import wrap_width
from sofi_bulk.core.report import code_counts
from sofi_bulk.core.text import counts, fr_number, plural

SHOWN = 25
PER_CODE = 5
ICONS = {Severity.ERROR: "[bold red]✖[/]", Severity.WARNING: "[bold yellow]⚠[/]"}


def summary_line(result: ValidationResult) -> str:
    return counts(len(result.errors), len(result.warnings))


def print_report(result: ValidationResult, console: Console, *, shown: int = SHOWN) -> None:
    """The report: a heading, the counts, then the issues in one list when they all fit in
    ``shown`` lines; beyond, the sheets and the codes counted first, then a detail of at
    most ``shown`` lines."""
    print_wrapped(
        console,
        f"[bold]Contrôle de {escape(result.book_name)}[/] : "
        f"{plural(len(result.sessions), 'session')}, "
        f"{plural(len(result.infos), 'information collective', 'informations collectives')}, "
        f"{plural(len(result.periodes), 'période')} d'inscription "
        f"(programme {escape(result.profile.label)}).",
    )
    if not result.issues:
        console.print("[bold green]✔ Aucune erreur, aucun avertissement.[/]")
        return
    colour = "red" if result.errors else "yellow"
    console.print(f"[bold {colour}]{summary_line(result)}[/]")
    many = len(result.issues) > shown
    if many:  # the big picture first, so that a thousand warnings cannot hide an error
        per_sheet: Counter[tuple[str, Severity]] = Counter(
            (i.sheet, i.severity) for i in result.issues
        )
        for sheet in dict.fromkeys(i.sheet for i in result.issues):
            e, w = per_sheet[(sheet, Severity.ERROR)], per_sheet[(sheet, Severity.WARNING)]
            console.print(f"  • {escape(sheet)} : {counts(e, w)}")
        print_counts(result, console)
        console.print("Détail :")
    detail = pick_detail(result.issues, shown)
    for issue in detail:
        where = f"{issue.sheet}!{issue.cell}" if issue.cell else issue.sheet
        print_wrapped(
            console,
            f"{ICONS[issue.severity]} [bold]{escape(where)}[/] : {escape(issue.message)} "
            f"[dim]({issue.code})[/]",
            indent=2,
        )
    rest = len(result.issues) - len(detail)
    if rest > 0:
        print_wrapped(
            console,
            f"… et {fr_number(rest)} autre{'s' if rest > 1 else ''} : la copie annotée (-o) "
            "ou --format json les donne toutes.",
        )


def print_wrapped(console: Console, markup: str, *, indent: int = 0) -> None:
    """One paragraph, cut at word boundaries to the terminal's width (its lines after the
    first indented by ``indent``); whole when the width is unknown (a pipe, a file), so that
    a line stays one line for grep."""
    width = wrap_width(console)
    text = Text.from_markup(markup)
    if width is None:
        console.print(text, soft_wrap=True)
        return
    lines = text.wrap(console, width - indent, overflow="fold")
    for number, line in enumerate(lines):
        line.rstrip()
        console.print(Text(" " * indent) + line if number else line, soft_wrap=True)


def print_counts(result: ValidationResult, console: Console) -> None:
    """One line per code: code, severity, count, first cell."""
    lines = code_counts(result.issues)
    width = max(len(c.code) for c in lines)
    console.print("Par code :")
    for c in lines:
        console.print(
            f"  {ICONS[c.severity]} {c.code:<{width}}  {str(c.severity):<13}  "
            f"{fr_number(c.count):>6}  première : {escape(c.first)}"
        )


def pick_detail(issues: list[Issue], shown: int) -> list[Issue]:
    """The issues to list: errors first, at most ``PER_CODE`` of one code, ``shown`` in all."""
    ordered = [i for i in issues if i.severity is Severity.ERROR] + [
        i for i in issues if i.severity is not Severity.ERROR
    ]
    taken: Counter[str] = Counter()
    picked: list[Issue] = []
    for issue in ordered:
        if len(picked) >= shown:
            break
        if taken[issue.code] < PER_CODE:
            taken[issue.code] += 1
            picked.append(issue)
    return picked
