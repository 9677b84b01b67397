"""Realistic filled workbooks: the bundled example, the tests' fixtures, the benchmark.

Values are written the way French users type them into Excel or LibreOffice: text
dates (10/02/2025), decimal commas ("3 200,00"), "code - libellé" picked from lists,
bare codes, numbers where text was expected.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sofi_bulk.core.fields import INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET
from sofi_bulk.core.layout import FIRST_DATA_ROW, column_of
from sofi_bulk.core.lots import select_lots
from sofi_bulk.core.profile import Profile, load_profile
from sofi_bulk.core.referentiel import Referentiel
from sofi_bulk.excel.referentiel import load_referentiel
from sofi_bulk.excel.template import TemplateBuilder


@dataclass
class SampleBook:
    builder: TemplateBuilder
    sessions: int

    def set(self, sheet: str, key: str, row_index: int, value: Any, part: int = 0) -> None:
        """Write a value into the data row ``row_index`` (0-based) of a sheet, by field key."""
        col = column_of(sheet, key, part)
        ws = self.builder.book[sheet]
        self.builder.new_cell(ws, FIRST_DATA_ROW + row_index, col.index).value = value

    def save(self, path: Path) -> None:
        self.builder.save(path)


def _fr(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def make_sample(
    n_sessions: int = 6,
    *,
    profile: Profile | None = None,
    referentiel: Referentiel | None = None,
    seed: int = 7,
    infos_per_session: int = 1,
    periodes_per_session: int = 1,
    rows: int | None = None,
    distinct: bool = False,
) -> SampleBook:
    """A template filled with ``n_sessions`` valid sessions and their child rows; ``rows``
    makes a smaller template (quick tests), at least as many rows as the data needs;
    ``distinct`` gives every session of a lot its own dates (up to 49 500 a lot), so that
    a large sample holds no session entered twice (benchmarks)."""
    profile = profile or load_profile()
    referentiel = referentiel or load_referentiel()
    lots = select_lots(profile, referentiel, None, None)
    builder = TemplateBuilder(
        profile,
        referentiel,
        lots,
        session_rows=max(rows or 1000, n_sessions),
        child_rows=max(rows or 2000, n_sessions * max(infos_per_session, periodes_per_session)),
    )
    book = SampleBook(builder, n_sessions)
    rng = random.Random(seed)
    ref = builder.referentiel
    ic_row = pi_row = 0
    per_lot: dict[str, int] = {}
    # the programme's text asks each action to say its optional modules
    programme = str(profile.prefill("programme_complement") or "")
    for placeholder in profile.placeholders.get("programme_complement", []):
        programme = programme.replace(
            placeholder, "Modules optionnels : anglais professionnel, préparation au TOSA et PIX."
        )
    for i in range(n_sessions):
        lot = lots[i % len(lots)]
        year = builder.year_of(lot)
        sites = ref.sites_for(lot)
        contacts = ref.contacts_for(lot)
        mandataire = ref.organismes[lot.siret_mandataire]
        if distinct:  # k-th session of its lot: its own (start, end) pair for k < 330 × 150
            k = i // len(lots)
            start = dt.date(year, 1, 6) + dt.timedelta(days=k % 330)
            end = start + dt.timedelta(days=56 + (k // 330) % 150)
        else:
            start = dt.date(year, 1, 6) + dt.timedelta(
                days=(i // len(lots)) * 3 % 330 + i % len(lots)
            )
            end = start + dt.timedelta(days=70 + (i % 5) * 7)
        places = 8 + (i % 5)
        per_lot[lot.numero] = per_lot.get(lot.numero, 0) + places
        ref_session = f"S{i + 1:05d}" if n_sessions > 999 else f"S{i + 1:03d}"
        site = sites[i % len(sites)]
        values = {
            "session_ref": ref_session,
            "lot": lot.numero,
            "delivery_site": site.display,
            "site": site.display if i % 3 else site.code,  # a bare code typed by hand
            "start_date": _fr(start) if i % 2 else dt.datetime.combine(start, dt.time()),
            "end_date": _fr(end),
            "pathway_type": "4 - mixte" if i % 4 else "individualisé",
            "centre_hours": 200 + (i % 4) * 10,
            "company_hours": "70" if i % 2 else 35,
            "weekly_hours": "35" if i % 3 else "17,5",
            "rhythm": "temps plein" if i % 3 else "temps partiel",
            "programme_complement": programme,
            "responsible_org": mandataire.display if i % 2 else int(mandataire.siret),
            "pmr_contact": contacts[0].display,
            "mobility_contact": contacts[-1].display if i % 2 else int(contacts[-1].id),
            "liaison_email": f"sessions@{mandataire.email.split('@')[-1]}"
            if mandataire.email
            else None,
            "places": places,
            "places_remaining": str(places - (i % 3)),
            "min_headcount": 6,
            "simultaneous_capacity": places,
            "fee_excl_tax": "3 200,00",
            "vat_rate": "20 %" if i % 2 else 0.2,
            "fee_incl_tax": "3 840,00" if i % 2 else 3840,
            "highlight": "Stages en entreprise dès la 3e semaine, accompagnement individuel chaque "
            "semaine.",
            "action_url": f"https://www.{mandataire.email.split('@')[-1]}/prepa-avenir-sup"
            if mandataire.email
            else None,
        }
        if i % 5 == 0:
            values["video_url"] = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
        for key, value in values.items():
            if value is not None:
                book.set(SESSIONS_SHEET, key, i, value)
        book.set(
            SESSIONS_SHEET, "recruitment_methods", i, "8 - entretien ou RDV individuel", part=1
        )
        for k in range(infos_per_session):
            day = start - dt.timedelta(days=14 + 7 * k)
            book.set(INFOS_SHEET, "ic_session", ic_row, ref_session)
            book.set(INFOS_SHEET, "ic_code", ic_row, f"IC{ic_row + 1}")
            book.set(
                INFOS_SHEET,
                "ic_date",
                ic_row,
                _fr(day) if k % 2 == 0 else dt.datetime.combine(day, dt.time()),
            )
            morning = rng.random() < 0.5
            book.set(INFOS_SHEET, "ic_start_time", ic_row, "9h30" if morning else dt.time(14, 0))
            book.set(INFOS_SHEET, "ic_end_time", ic_row, "11h30" if morning else "16:00")
            if i % 4 == 1 and k == 0:  # an information collective held at a distance
                book.set(INFOS_SHEET, "ic_remote", ic_row, "oui")
                book.set(
                    INFOS_SHEET, "ic_url", ic_row, f"https://visio.exemple.fr/info-{ref_session}"
                )
            else:
                book.set(INFOS_SHEET, "ic_site", ic_row, site.display)
            book.set(
                INFOS_SHEET, "ic_comment", ic_row, "Inscription conseillée auprès de l'accueil."
            )
            ic_row += 1
        for k in range(periodes_per_session):
            book.set(PERIODES_SHEET, "pi_session", pi_row, ref_session)
            book.set(
                PERIODES_SHEET,
                "pi_type",
                pi_row,
                "candidature individuelle" if k == 0 else "inscription",
            )
            book.set(
                PERIODES_SHEET, "pi_start", pi_row, _fr(start - dt.timedelta(days=45 + 10 * k))
            )
            book.set(PERIODES_SHEET, "pi_end", pi_row, _fr(start - dt.timedelta(days=1)))
            pi_row += 1
    return book


def write_example(path: Path, n_sessions: int = 6) -> None:
    make_sample(n_sessions).save(path)


TRIAL_SIRET = "44198765800016"  # the README's trial account: Institut Ligérien de Formation


def write_deposit_example(path: Path, n_sessions: int = 4) -> None:
    """The web service's trial workbook: one organisation's lots only (the template it
    downloads once logged in), so that the README's trial account deposits it as it is; the
    other example spans several organisations' lots, which no single account may deposit."""
    ref = load_referentiel()
    profile = load_profile()
    lots = ref.lots_for(profile.label, TRIAL_SIRET)
    make_sample(n_sessions, referentiel=ref.subset(lots)).save(path)
