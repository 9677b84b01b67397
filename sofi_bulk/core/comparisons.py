"""Cross-field comparisons of the procedure, declared once as data.

The check's rules (``checks.py``), the template's in-sheet rules (``excel/template.py``)
and the check of a submission read back from JSON (``submission/io.py``) all read this
table, so "end ≥ start" cannot say one thing in the sheet and another in the checker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sofi_bulk.core.text import fr_date, fr_time

Scope = Literal["row", "session"]


@dataclass(frozen=True)
class Comparison:
    """``key`` must be ``op`` ``other``: a field of the same row, or of the row's session.

    The issue ``code`` marks the cell of ``key``. ``sheet_error`` is the alert of the
    template's in-sheet rule (None: no in-sheet rule, e.g. times typed as "9h30" text,
    which a spreadsheet time rule would refuse); ``json_message`` the French problem of a
    submission read back from a file (None: not checked there). ``names`` are the
    message's parameters for the value and the other.
    """

    key: str
    op: Literal["<=", ">="]
    other: str
    scope: Scope
    code: str
    sheet_error: str | None
    json_message: str | None
    names: tuple[str, str] = ("end", "start")

    def holds(self, value: Any, other: Any) -> bool:
        return bool(value >= other) if self.op == ">=" else bool(value <= other)


def shown(value: Any) -> Any:
    """A compared value in a message: a date or a time as the template asks to type it, a
    count as it is."""
    if isinstance(value, dt.time):
        return fr_time(value)
    return fr_date(value) if isinstance(value, dt.date) else value


@dataclass(frozen=True)
class CampaignYear:
    """``key`` (a date) must fall in the campaign year of the session's lot (``code``
    marks it); a lot whose campaign is neither the check's year nor the next is warned
    once (``stale_code``, on the lot's cell)."""

    key: str
    code: str
    stale_code: str


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "end_date",
        ">=",
        "start_date",
        "row",
        "dates-inversees",
        "Date attendue (jj/mm/aaaa), au plus tôt la date de début.",
        "la date de fin précède la date de début.",
    ),
    Comparison(
        "ic_date",
        "<=",
        "start_date",
        "session",
        "date-apres-debut-session",
        "Date attendue (jj/mm/aaaa), au plus tard le jour où la session débute.",
        "après le début de la session.",
        ("value", "start"),
    ),
    Comparison(
        "ic_end_time",
        ">=",
        "ic_start_time",
        "row",
        "heures-inversees",
        None,
        "l'heure de fin précède l'heure de début.",
    ),
    Comparison(
        "pi_start",
        "<=",
        "start_date",
        "session",
        "date-apres-debut-session",
        "Date attendue (jj/mm/aaaa), au plus tard le jour où la session débute.",
        "après le début de la session.",
        ("value", "start"),
    ),
    Comparison(
        "pi_end",
        ">=",
        "pi_start",
        "row",
        "dates-inversees",
        "Date attendue (jj/mm/aaaa), au plus tôt la date de début de la période.",
        "la fin précède le début.",
    ),
    Comparison(
        "places_remaining",
        "<=",
        "places",
        "row",
        "places-restantes",
        None,
        None,
        ("value", "places"),
    ),
    Comparison(
        "min_headcount",
        "<=",
        "simultaneous_capacity",
        "row",
        "effectif-capacite",
        None,
        None,
        ("value", "capacity"),
    ),
)

# the name of the rule that checks each code of the comparisons (docs/regles.md)
COMPARISON_NAMES: dict[str, str] = {
    "dates-inversees": "Fin après le début",
    "date-apres-debut-session": "Avant le début de la session",
    "heures-inversees": "Heure de fin après l'heure de début",
    "places-restantes": "Places restantes",
    "effectif-capacite": "Effectif minimal et capacité",
}

CAMPAIGN = CampaignYear("start_date", "date-hors-campagne", "campagne-a-verifier")


@dataclass(frozen=True)
class Exclusion:
    """Two codes of one row that the procedure forbids together: ``key`` taking one of
    ``values`` while ``other`` takes one of ``others``. The issue ``code`` marks the cell of
    ``key`` and advises ``advice`` (a code of ``other``'s table); ``json_message`` is the
    French problem of a submission read back from a file (its JSON Schema says it too)."""

    name: str
    key: str
    values: tuple[str, ...]
    other: str
    others: tuple[str, ...]
    code: str
    advice: str
    json_message: str


EXCLUSIONS: tuple[Exclusion, ...] = (
    # the procedure: « Modalités pédagogiques » is « en établissement de formation et
    # éventuellement FOAD »; teaching entirely at a distance needs the FOAD
    Exclusion(
        "Enseignement à distance",
        "delivery_mode",
        ("2",),
        "teaching_methods",
        ("etablissement",),
        "enseignement-distance-etablissement",
        "etablissement-foad",
        "une formation entièrement à distance (delivery_mode 2) ne se donne pas en "
        "établissement sans FOAD (teaching_methods « etablissement »).",
    ),
)


@dataclass(frozen=True)
class RhythmHours:
    """The rythme (``rhythm``) and the weekly hours (``key``) must say the same thing:
    « temps plein » from the profile's ``rules.full_time_min_weekly_hours`` up, « temps
    partiel » below. The issue ``code`` marks the weekly hours."""

    key: str
    rhythm: str
    full_time: str
    part_time: str
    code: str

    def contradicts(self, rhythm: str, hours: float, threshold: float) -> bool:
        if rhythm == self.full_time:
            return hours < threshold
        return rhythm == self.part_time and hours >= threshold


RHYTHM_HOURS = RhythmHours(
    "weekly_hours", "rhythm", "temps-plein", "temps-partiel", "rythme-heures"
)


def comparisons_of(key: str) -> list[Comparison]:
    """The comparisons that mark ``key``'s cell."""
    return [c for c in COMPARISONS if c.key == key]


def comparable(value: Any) -> Any:
    """A JSON value in a comparable form: ISO dates as dates, LHEO hours ("9h30") as times."""
    if isinstance(value, str):
        if "h" in value:
            hours, _, minutes = value.partition("h")
            if hours.isdigit() and (minutes.isdigit() or not minutes):
                return dt.time(int(hours), int(minutes or 0))
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value
