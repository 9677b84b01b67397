"""``sofi-bulk template --reprendre FICHIER``: the entry workbook pre-filled from an existing
offer (``api.take_back``), and the terminal's report of what was taken and what was not."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from sofi_bulk import api
from sofi_bulk.cli.report import ICONS
from sofi_bulk.cli.term import Steps, console, err_console
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.report import code_counts
from sofi_bulk.core.text import fr_number

LEFT_SHOWN = 10  # lines of « non repris » in the terminal; the sheet lists them all


def campaign_value(campagne: str | None) -> int | bool | None:
    """``--campagne`` as ``api.take_back`` takes it: a year, True (each lot's), or None."""
    if campagne is None:
        return None
    if campagne == "lots":
        return True
    text = campagne.strip()
    if not (text.isdigit() and len(text) == 4):
        raise UserError(f"--campagne « {campagne} » : donnez une année (ex. --campagne 2026).")
    return int(text)


def take_back(
    source: Path,
    out: Path,
    *,
    referentiel: str | None,
    programme: str,
    lots: list[str] | None,
    siret: str | None,
    campagne: str | None,
    sans_dates: bool,
    steps: Steps,
    quiet: bool,
    service: str | None = None,
) -> None:
    campaign = campaign_value(campagne)
    if sans_dates and campaign is None:
        raise UserError("--sans-dates va avec --campagne (la campagne suivante).")
    ref = None
    if referentiel is not None:
        with steps.step("Lecture du référentiel"):
            ref = api.load_referentiel(referentiel)
        if not quiet:
            for warning in ref.warnings:
                err_console.print(f"[yellow]⚠[/] {escape(warning)}", soft_wrap=True)
    with steps.step(f"Reprise de {source.name}"):
        reprise = api.take_back(
            source,
            programme=programme,
            referentiel=ref,
            lots=lots,
            siret=siret,
            campaign=campaign,
            dates=not sans_dates,
            service=service,
        )
    with steps.step(f"Écriture de {out.name}"):
        reprise.save(out)
    result = reprise.result
    lots_text = ", ".join(lot.numero for lot in reprise.lots)
    console.print(
        f"[green]✔[/] Offre reprise : [bold]{escape(str(out))}[/] "
        f"({escape(reprise.profile.label)} ; lots {escape(lots_text)}) — "
        f"{escape(reprise.taken())}"
    )
    if quiet:
        return
    taken, *others = reprise.sections()
    for note in taken.notes[1:]:  # the first, what was taken, ends the line above
        console.print(escape(note), soft_wrap=True)
    for section in others:
        console.print(f"[bold]{escape(section.heading)}[/] :")
        for note in section.notes:
            console.print(f"  {escape(note)}", soft_wrap=True)
        if section.heading == "À vérifier":
            for c in code_counts(result.issues):
                console.print(
                    f"  {ICONS[c.severity]} {c.code}  {fr_number(c.count)}  "
                    f"première : {escape(c.first)}"
                )
            continue
        shown = section.rows[:LEFT_SHOWN]
        for row in shown:
            console.print("  • " + escape(" — ".join(str(v) for v in row if v != "")))
        if len(section.rows) > len(shown):
            console.print(
                f"  … et {fr_number(len(section.rows) - len(shown))} autres : feuille « Reprise »."
            )
    if api.made_with_example(result):
        err_console.print(
            "[yellow]⚠ Référentiel d'exemple (lots, organismes, sites et contacts fictifs).[/] "
            "Pour vos vrais lots, reprenez l'offre avec --referentiel <extraction de la Région>."
        )
    console.print(
        f"Vérifiez les cellules marquées (feuilles « Reprise » et « Erreurs »), complétez, puis "
        f"contrôlez : sofi-bulk validate {escape(out.name)} --en-place"
    )
