"""Where an LHEO element came from: a workbook cell, a JSON path or a profile setting.

Every element the builder creates records its ``Origin``, so that a refusal (by the
pre-checks or by the XSD) names the cell the user must fix, not an XML path.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from sofi_bulk.core.fields import BY_KEY, Field, Kind
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.referentiel import TABLES as REF_TABLES
from sofi_bulk.submission.build import SessionSource

REF_TABLE_OF_KIND = {Kind.SITE: "sites", Kind.CONTACT: "contacts", Kind.ORGANISME: "organismes"}
REF_COLUMN = {
    table: {col.attr: col.name for col in cols} for table, (_, cols) in REF_TABLES.items()
}


class Origin(NamedTuple):
    """The source of an element: a field of a session (row), of one of its child rows, of a
    référentiel object it references (``attr``), or a profile setting. (A named tuple: a
    large offer makes half a million of them.)"""

    session: int
    key: str | None = None
    child: int | None = None  # row index in the session's informations collectives / périodes
    item: int | None = None  # index in a multi-valued field (publics, formacodes...)
    attr: str | None = None  # attribute of the referenced site / contact / organisme
    setting: str | None = None  # profile setting (lheo.*), when the value comes from the profile

    @property
    def field(self) -> Field:
        if self.key is None:
            raise KeyError("a profile setting, not a field")
        return BY_KEY[self.key]


class Locator:
    """Turns an Origin into « Sessions!AC5 (Date début) » or a JSON path, and fetches values."""

    def __init__(
        self, data: dict[str, Any], sources: list[SessionSource] | None, profile: Profile
    ) -> None:
        self.data = data
        self.sources = sources
        self.profile = profile
        self.index: list[tuple[int, int, int]] = [
            (f, a, s)
            for f, formation in enumerate(data["formations"])
            for a, action in enumerate(formation["actions"])
            for s, _ in enumerate(action["sessions"])
        ]
        if sources is not None and len(sources) != len(self.index):
            raise ValueError(f"{len(sources)} sources for {len(self.index)} sessions")

    def json_path(self, o: Origin) -> str:
        f, a, s = self.index[o.session]
        fld = o.field
        group = fld.group
        path = f"formations[{f}]"
        if group != "formation":
            path += f".actions[{a}]"
        if group not in ("formation", "action"):
            path += f".sessions[{s}]"
        if group in ("dispositif", "referents"):
            path += f".{group}"
        elif group == "information_collective":
            path += f".informations_collectives[{o.child}]"
        elif group == "periode_inscription":
            path += f".periodes_inscription[{o.child}]"
        path += f".{o.key}"
        if o.item is not None:
            path += f"[{o.item}]"
        if o.attr:
            path += f".{o.attr}"
        return path

    def where(self, o: Origin) -> str:
        if o.setting is not None:
            return f"Profil de programme « {self.profile.id} », réglage {o.setting}"
        fld = o.field
        if self.sources is None:
            return f"{self.json_path(o)} ({fld.header})"
        src = self.sources[o.session]
        if o.child is not None:
            rows = src.infos if fld.group == "information_collective" else src.periodes
            sheet, row, cells = rows[o.child]
        else:
            sheet, row, cells = src.sheet, src.row, src.cells
        quoted = sheet if re.fullmatch(r"\w+", sheet) else f"'{sheet}'"
        cell = cells.get(o.key or "")
        return (
            f"{quoted}!{cell} ({fld.header})" if cell else f"{quoted}, ligne {row} ({fld.header})"
        )

    def session(self, i: int) -> dict[str, Any]:
        f, a, s = self.index[i]
        return self.data["formations"][f]["actions"][a]["sessions"][s]

    def referenced(self, o: Origin) -> tuple[str, dict[str, Any]] | None:
        """The référentiel table and object behind a site / contact / organisme field."""
        fld = o.field if o.key else None
        if fld is None or fld.kind not in REF_TABLE_OF_KIND:
            return None
        session = self.session(o.session)
        if fld.group == "information_collective":
            holder = session.get("informations_collectives", [])[o.child or 0]
        elif fld.group == "referents":
            holder = session.get("referents", {})
        elif fld.group == "action":
            holder = self._action(o.session)
        else:
            holder = session
        obj = holder.get(o.key)
        return (REF_TABLE_OF_KIND[fld.kind], obj) if isinstance(obj, dict) else None

    def _action(self, i: int) -> dict[str, Any]:
        f, a, _ = self.index[i]
        return self.data["formations"][f]["actions"][a]

    def describe(self, o: Origin, message: str) -> str:
        """The full French problem line for a value coming from ``o``."""
        where = self.where(o)
        ref = self.referenced(o) if o.attr else None
        if ref is None:
            return f"{where} : {message}"
        table, obj = ref
        ident = (
            obj.get("siret")
            if table == "organismes"
            else obj.get("code")
            if table == "sites"
            else obj.get("id")
        )
        name = str(obj.get("nom") or obj.get("libelle") or "")
        name = name if len(name) <= 60 else name[:60] + "…"
        column = REF_COLUMN[table].get(o.attr or "", o.attr or "")
        return (
            f"{where} : valeur venue du référentiel (table « {table} », {_REF_NOUN[table]} {ident}"
            f"{' – ' + name if name else ''}, colonne « {column} ») : {message} Corrigez-la dans "
            "le "
            "référentiel, puis relancez avec --referentiel ou régénérez le modèle de saisie."
        )


_REF_NOUN = {"organismes": "organisme", "sites": "site", "contacts": "contact"}


def with_(origin: Origin, **changes: Any) -> Origin:
    """The same origin, pointing at another attribute (or child, item) of it."""
    return origin._replace(**changes)
