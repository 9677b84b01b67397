"""The next campaign: the sessions of an offer become new sessions of the same actions.

Each session keeps its formation and action (its FAS code loses the session's part:
``19482-89393-143842`` becomes ``19482-89393``), its dates move by whole years into the
campaign's year (or are left empty), its informations collectives and périodes
d'inscription move with it and lose their SOFI codes, its places restantes become its
places. A session the source marks Inactif was taken out of the offer: it is not renewed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sofi_bulk.core.fields import BY_KEY
from sofi_bulk.core.identity import INACTIVE, FasCode
from sofi_bulk.core.lots import campaign_year
from sofi_bulk.core.parse import CellError, code_token, parse_code, parse_date
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.referentiel import Lot, Referentiel
from sofi_bulk.core.text import fold
from sofi_bulk.reprise.offer import TakenOffer

SESSION_DATES = ("start_date", "end_date")
CHILD_DATES = {"ic_date": "ic_session", "pi_start": "pi_session", "pi_end": "pi_session"}
CHILD_CODES = ("ic_code", "pi_code")  # the SOFI codes of the old campaign's objects


@dataclass(frozen=True)
class NextCampaign:
    """What ``--campagne`` asks: the year (None: the campaign year of each session's lot in
    the référentiel) and whether dates move (``--sans-dates``: they are left empty)."""

    year: int | None = None
    dates: bool = True


@dataclass
class Moved:
    """What the move did, for the report."""

    year: int | None
    dates: bool
    renewed: int = 0
    dropped_inactive: int = 0
    shifts: Counter[int] = field(default_factory=Counter)  # years moved -> sessions
    years: Counter[int] = field(default_factory=Counter)  # campaign year -> sessions
    unmoved: int = 0  # sessions whose start date could not be read: left as they were


def shift_year(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes the 28th in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return parse_date(value)
    except CellError:
        return None


def _inactive(values: dict[str, Any]) -> bool:
    value = values.get("session_state")
    if value in (None, ""):
        return False
    try:
        return parse_code(BY_KEY["session_state"], value) == INACTIVE
    except CellError:
        return False


def next_campaign(
    offer: TakenOffer,
    campaign: NextCampaign,
    profile: Profile,
    ref: Referentiel,
    lots: list[Lot],
) -> Moved:
    """Move ``offer`` to the next campaign, in place; what was done."""
    moved = Moved(campaign.year, campaign.dates)
    years = {campaign_year(profile, lot) for lot in lots}
    default_year = campaign.year or (years.pop() if len(years) == 1 else profile.campaign_year)
    kept: list[dict[str, Any]] = []
    delta_of: dict[str, int | None] = {}  # folded Réf. session -> years moved (None: unknown)
    dropped: set[str] = set()
    for values in offer.sessions:
        ref_key = fold(code_token(values.get("session_ref") or ""))
        if _inactive(values):
            moved.dropped_inactive += 1
            dropped.add(ref_key)
            continue
        kept.append(values)
        moved.renewed += 1
        fas = FasCode.parse(code_token(values.get("fas_code") or ""))
        if fas is not None and fas.session:
            values["fas_code"] = f"{fas.formation}-{fas.action}"
        if "session_state" in values:
            values["session_state"] = None  # a new session is Actif
        if "places" in values:
            values["places_remaining"] = values["places"]
        lot = ref.find_lot(str(values.get("lot") or ""))
        year = campaign.year or (campaign_year(profile, lot) if lot else default_year)
        moved.years[year] += 1
        start = _date(values.get("start_date"))
        delta = year - start.year if start is not None else None
        delta_of[ref_key] = delta
        if not campaign.dates:
            for key in SESSION_DATES:
                values[key] = None
        elif delta is None:
            moved.unmoved += 1
        else:
            moved.shifts[delta] += 1
            for key in SESSION_DATES:
                day = _date(values.get(key))
                if day is not None:
                    values[key] = shift_year(day, delta)
    offer.sessions = kept
    for rows in (offer.infos, offer.periodes):
        rows[:] = [r for r in rows if _parent(r) not in dropped]
        for values in rows:
            for key in CHILD_CODES:
                if key in values:
                    values[key] = None
            delta = delta_of.get(_parent(values))
            for key, _ in CHILD_DATES.items():
                if key not in values:
                    continue
                if not campaign.dates:
                    values[key] = None
                elif delta is not None:
                    day = _date(values[key])
                    if day is not None:
                        values[key] = shift_year(day, delta)
    return moved


def _parent(values: dict[str, Any]) -> str:
    ref = values.get("ic_session", values.get("pi_session"))
    return fold(code_token(ref or ""))
