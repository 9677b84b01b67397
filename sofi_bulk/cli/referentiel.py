"""What ``sofi-bulk referentiel verifier`` says it understood of a référentiel: the tables
and the column each header became, every lot with its mandataire, formateurs, sites,
contacts, places and year, and the warnings (the lines of ``api.referentiel_report``, which
the web service's staff page shows too). Values from the file are printed as text, never as
markup."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from sofi_bulk.api import Profile, Referentiel, referentiel_report
from sofi_bulk.cli.term import wrap_width


def summary(ref: Referentiel, profile: Profile) -> str:
    return referentiel_report(ref, profile)[0].text


def print_understanding(ref: Referentiel, profile: Profile, console: Console) -> None:
    """The report's lines (``sofi_bulk.core.referentiel_report``), in colour."""
    for line in referentiel_report(ref, profile):
        text = "".join(
            f"[{style}]{escape(part)}[/]" if style else escape(part)
            for part, style in line.segments
        )
        # a pipe or a file: every line whole, as the other commands print them
        console.print("  " * line.level + text, soft_wrap=line.long or wrap_width(console) is None)
