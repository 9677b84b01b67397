"""What ``sofi-bulk referentiel verifier`` says it understood of a référentiel: the tables
and the column each header became, every lot with its mandataire, formateurs, sites,
contacts, places and year, and the warnings. Values from the file are printed as text,
never as markup."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from sofi_bulk.api import Profile, Referentiel, check_date, geography_gaps, stale_campaigns
from sofi_bulk.core.text import fr_date, plural

SHOWN = 8  # sites or contacts listed by name per lot


def summary(ref: Referentiel) -> str:
    counts = (
        f"{plural(len(ref.lots), 'lot')}, {plural(len(ref.organismes), 'organisme')}, "
        f"{plural(len(ref.sites), 'site')}, {plural(len(ref.contacts), 'contact')}"
    )
    warned = f" ; {plural(len(ref.warnings), 'avertissement')}" if ref.warnings else ""
    return f"Référentiel {ref.source} : {counts}{warned}."


def print_understanding(ref: Referentiel, profile: Profile, console: Console) -> None:
    console.print(f"[bold]{escape(summary(ref))}[/]")
    console.print("[bold]Tables lues[/]")
    for name, reading in ref.readings.items():
        columns = ", ".join(
            f"{letter} « {header} » → {col.name}" for letter, header, col in reading.columns
        )
        console.print(
            f"  • {name} : {escape(reading.where)}, en-têtes ligne {reading.header_row}, "
            f"{plural(reading.rows, 'ligne')} ; {escape(columns)}",
            soft_wrap=True,
        )
    console.print("[bold]Lots[/]")
    today = check_date()
    stale = {lot.numero for lot, _ in stale_campaigns(list(ref.lots.values()), programme=profile)}
    for lot in ref.lots.values():
        offered = lot.in_programme(profile.referentiel_programme)
        note = "" if offered else f" [dim](non proposé dans un modèle {escape(profile.label)})[/]"
        console.print(
            f"  [bold]{escape(lot.numero)}[/] : {escape(lot.intitule)} "
            f"(programme {escape(lot.programme)}){note}"
        )
        mandataire = ref.organismes.get(lot.siret_mandataire)
        console.print(
            f"    mandataire : {escape(mandataire.display if mandataire else lot.siret_mandataire)}"
        )
        formateurs = [
            ref.organismes[s].display if s in ref.organismes else s
            for s in lot.siret_formateurs
            if s != lot.siret_mandataire
        ]
        console.print(f"    formateurs : {escape(', '.join(formateurs) or 'aucun autre')}")
        places = "non précisées" if lot.places is None else str(lot.places)
        year = (
            f"{profile.campaign_year} (celle du programme)" if lot.annee is None else str(lot.annee)
        )
        late = (
            f" [yellow]⚠ au {fr_date(today)}, la campagne en cours est {today.year} ou "
            f"{today.year + 1}[/]"
            if lot.numero in stale
            else ""
        )
        console.print(f"    places commandées : {places} ; année de campagne : {year}{late}")
        for word, items in (
            ("site", [s.display for s in ref.sites_for(lot)]),
            ("contact", [c.display for c in ref.contacts_for(lot)]),
        ):
            shown = " ; ".join(items[:SHOWN]) + (" ; …" if len(items) > SHOWN else "")
            marker = "" if items else " [yellow]⚠ le modèle de ce lot serait refusé[/]"
            console.print(
                f"    {plural(len(items), word)}{' : ' if items else ''}{escape(shown)}{marker}",
                soft_wrap=True,
            )
    print_geography(ref, console)
    if ref.warnings:
        console.print(f"[bold yellow]{plural(len(ref.warnings), 'avertissement')}[/]")
        for warning in ref.warnings:
            console.print(f"[yellow]⚠[/] {escape(warning)}", soft_wrap=True)


def print_geography(ref: Referentiel, console: Console) -> None:
    """The sites the LHEO file cannot place on a map or in a commune, by code."""
    gaps = geography_gaps(ref)
    console.print("[bold]Géographie des sites (fichier LHEO)[/]")
    if not gaps:
        console.print("  tous les sites ont leur code INSEE de commune et leurs coordonnées")
    for columns, sites in gaps:
        codes = ", ".join(s.code for s in sites[: SHOWN * 3])
        more = " …" if len(sites) > SHOWN * 3 else ""
        console.print(
            f"  [yellow]⚠[/] {plural(len(sites), 'site')} sans {escape(columns)} : "
            f"{escape(codes)}{more}",
            soft_wrap=True,
        )
