"""What ``sofi-bulk referentiel verifier`` says it understood of a référentiel, as lines of
text: the tables and the column each header became, every lot with its mandataire,
formateurs, sites, contacts, places and year, the sites LHEO cannot place, and the
warnings. The command line prints them in colour; the web service's staff page shows the
same lines before a new référentiel takes effect. Values from the file stay plain text:
each face escapes them its own way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sofi_bulk.core.lots import stale_lots
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.referentiel import Referentiel, geography_gaps
from sofi_bulk.core.text import fr_date, plural

SHOWN = 8  # sites or contacts listed by name per lot

# the styles a segment may carry (rich's names; the web maps them to classes)
BOLD, DIM, WARN, BOLD_WARN = "bold", "dim", "yellow", "bold yellow"


@dataclass(frozen=True)
class Line:
    """One line of the report: text segments with their style, indented by ``level``;
    ``long`` lines are not wrapped by the terminal's width (they hold lists of names)."""

    segments: tuple[tuple[str, str], ...]
    level: int = 0
    long: bool = False

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.segments)


def _line(*segments: tuple[str, str] | str, level: int = 0, long: bool = False) -> Line:
    return Line(
        tuple((s, "") if isinstance(s, str) else s for s in segments), level=level, long=long
    )


def summary(ref: Referentiel) -> str:
    counts = (
        f"{plural(len(ref.lots), 'lot')}, {plural(len(ref.organismes), 'organisme')}, "
        f"{plural(len(ref.sites), 'site')}, {plural(len(ref.contacts), 'contact')}"
    )
    warned = f" ; {plural(len(ref.warnings), 'avertissement')}" if ref.warnings else ""
    return f"Référentiel {ref.source} : {counts}{warned}."


def understanding(ref: Referentiel, profile: Profile, today: dt.date) -> list[Line]:
    """The report's lines, in the order the command prints them; a lot whose campaign is
    over on ``today`` is said so (not the bundled example's, ``ref.example``)."""
    stale = (
        set()  # the bundled example's lots: fictitious, of the campaign the procedure names
        if ref.example
        else {lot.numero for lot, _ in stale_lots(profile, list(ref.lots.values()), today)}
    )
    lines = [_line((summary(ref), BOLD)), _line(("Tables lues", BOLD))]
    for name, reading in ref.readings.items():
        columns = ", ".join(
            f"{letter} « {header} » → {col.name}" for letter, header, col in reading.columns
        )
        lines.append(
            _line(
                f"• {name} : {reading.where}, en-têtes ligne {reading.header_row}, "
                f"{plural(reading.rows, 'ligne')} ; {columns}",
                level=1,
                long=True,
            )
        )
    lines.append(_line(("Lots", BOLD)))
    for lot in ref.lots.values():
        offered = lot.in_programme(profile.referentiel_programme)
        note = [] if offered else [(f" (non proposé dans un modèle {profile.label})", DIM)]
        lines.append(
            _line(
                (lot.numero, BOLD),
                f" : {lot.intitule} (programme {lot.programme})",
                *note,
                level=1,
            )
        )
        mandataire = ref.organismes.get(lot.siret_mandataire)
        lines.append(
            _line(
                f"mandataire : {mandataire.display if mandataire else lot.siret_mandataire}",
                level=2,
            )
        )
        formateurs = [
            ref.organismes[s].display if s in ref.organismes else s
            for s in lot.siret_formateurs
            if s != lot.siret_mandataire
        ]
        lines.append(_line(f"formateurs : {', '.join(formateurs) or 'aucun autre'}", level=2))
        places = "non précisées" if lot.places is None else str(lot.places)
        year = (
            f"{profile.campaign_year} (celle du programme)" if lot.annee is None else str(lot.annee)
        )
        late = (
            [
                (
                    f" ⚠ au {fr_date(today)}, la campagne en cours est {today.year} ou "
                    f"{today.year + 1}",
                    WARN,
                )
            ]
            if lot.numero in stale
            else []
        )
        lines.append(
            _line(f"places commandées : {places} ; année de campagne : {year}", *late, level=2)
        )
        for word, items in (
            ("site", [s.display for s in ref.sites_for(lot)]),
            ("contact", [c.display for c in ref.contacts_for(lot)]),
        ):
            shown = " ; ".join(items[:SHOWN]) + (" ; …" if len(items) > SHOWN else "")
            marker = [] if items else [(" ⚠ le modèle de ce lot serait refusé", WARN)]
            lines.append(
                _line(
                    f"{plural(len(items), word)}{' : ' if items else ''}{shown}",
                    *marker,
                    level=2,
                    long=True,
                )
            )
    lines.extend(geography(ref))
    if ref.warnings:
        lines.append(_line((plural(len(ref.warnings), "avertissement"), BOLD_WARN)))
        lines.extend(_line(("⚠", WARN), f" {warning}", long=True) for warning in ref.warnings)
    return lines


def geography(ref: Referentiel) -> list[Line]:
    """The sites the LHEO file cannot place on a map or in a commune, by code."""
    lines = [_line(("Géographie des sites (fichier LHEO)", BOLD))]
    gaps = geography_gaps(ref)
    if not gaps:
        lines.append(
            _line("tous les sites ont leur code INSEE de commune et leurs coordonnées", level=1)
        )
    for columns, sites in gaps:
        codes = ", ".join(s.code for s in sites[: SHOWN * 3])
        more = " …" if len(sites) > SHOWN * 3 else ""
        lines.append(
            _line(
                ("⚠", WARN),
                f" {plural(len(sites), 'site')} sans {columns} : {codes}{more}",
                level=1,
                long=True,
            )
        )
    return lines
