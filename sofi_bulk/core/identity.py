"""SOFI identity of a row: its F-A-S code, whether it creates or modifies, and the groups
of rows that make one SOFI formation and one SOFI action.

A FAS code reads Formation-Action-Session (19482-89393-143842). A row gives all three
when it modifies an existing session, ``F-A`` for a new session in an existing action,
``F`` for a new action in an existing formation, nothing for a new formation. The JSON
and the LHEO exports group rows by these codes, and by the optional « Réf. action » or
the declared values when there is no code; the checks (``rules.py``) make sure that rows
sharing a code agree on what that code's fiche holds. One rule, used everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sofi_bulk.core.fields import FIELDS, Level
from sofi_bulk.core.text import fold

CREATION = "creation"
MODIFICATION = "modification"
DESACTIVATION = "desactivation"  # an existing session taken out of the offer (« Inactif »)
OPERATION_LABELS = {
    CREATION: "création",
    MODIFICATION: "modification",
    DESACTIVATION: "désactivation",
}
INACTIVE = "inactif"  # the « État » of a session taken out of the offer

_FAS = re.compile(r"^(\d{1,9})(?:-(\d{1,9}))?(?:-(\d{1,9}))?$", re.ASCII)
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"})

# What rows of one SOFI formation must share: its fiche Formation and the creation screen's
# lot (SOFI creates a formation for a lot). The organisme (the SIRET of the site dispensateur)
# is compared too: a SOFI formation belongs to one organisme.
FORMATION_KEYS: tuple[str, ...] = (
    *(f.key for f in FIELDS if f.level is Level.FORMATION),
    "lot",
)
# What rows of one SOFI action must share: its fiche Action.
ACTION_KEYS: tuple[str, ...] = tuple(f.key for f in FIELDS if f.level is Level.ACTION)


@dataclass(frozen=True)
class FasCode:
    """A SOFI code, complete (F-A-S) or partial (F-A, F)."""

    formation: str
    action: str | None = None
    session: str | None = None

    @classmethod
    def parse(cls, text: str) -> FasCode | None:
        """``19482-89393-143842``, ``19482-89393`` or ``19482``; None for anything else."""
        m = _FAS.match("".join(str(text).translate(_DASHES).split()))
        if m is None or (m[3] and not m[2]):
            return None
        return cls(m[1], m[2], m[3])

    @property
    def operation(self) -> str:
        """A complete code names an existing session: the row modifies it."""
        return MODIFICATION if self.session else CREATION

    def __str__(self) -> str:
        return "-".join(p for p in (self.formation, self.action, self.session) if p)


def fas_of(values: dict[str, Any]) -> FasCode | None:
    """The parsed FAS code of a row's values (None when empty)."""
    text = values.get("fas_code")
    return FasCode.parse(text) if text else None


def operation_of(values: dict[str, Any]) -> str:
    """création or modification, as the row's FAS code says (no code: a creation); an
    existing session whose « État » is Inactif is deactivated (a new session cannot be: the
    check refuses it, and it stays a creation)."""
    fas = fas_of(values)
    if fas is None:
        return CREATION
    if fas.session and values.get("session_state") == INACTIVE:
        return DESACTIVATION
    return fas.operation


def _frozen(value: Any) -> Hashable:
    return tuple(value) if isinstance(value, list) else value


def values_key(values: dict[str, Any], keys: tuple[str, ...]) -> tuple[Hashable, ...]:
    return tuple(_frozen(values.get(k)) for k in keys)


def formation_identity(values: dict[str, Any], organisme: str | None) -> tuple[Hashable, ...]:
    """The SOFI formation a row belongs to: its F code, else its organisme and formation
    values (a new formation)."""
    fas = fas_of(values)
    if fas is not None:
        return ("code", fas.formation)
    return ("nouvelle", organisme, *values_key(values, FORMATION_KEYS))


def action_identity(values: dict[str, Any]) -> tuple[Hashable, ...]:
    """The SOFI action a row belongs to, within its formation: its A code, else its
    « Réf. action », else its action values (a new action)."""
    fas = fas_of(values)
    if fas is not None and fas.action:
        return ("code", fas.action)
    ref = values.get("action_ref")
    if ref:
        return ("reference", fold(str(ref)))
    return ("nouvelle", *values_key(values, ACTION_KEYS))


def group_rows(
    rows: list[Any],
    values: Callable[[Any], dict[str, Any]],
    organisme: Callable[[Any], str | None],
) -> list[tuple[list[Any], list[list[Any]]]]:
    """Rows as formations → actions → rows, in order of first appearance."""
    formations: dict[tuple[Hashable, ...], dict[tuple[Hashable, ...], list[Any]]] = {}
    for row in rows:
        vals = values(row)
        actions = formations.setdefault(formation_identity(vals, organisme(row)), {})
        actions.setdefault(action_identity(vals), []).append(row)
    return [
        ([r for group in actions.values() for r in group], list(actions.values()))
        for actions in formations.values()
    ]
