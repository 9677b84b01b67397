"""Take back a submission (``soumission.json``, any format this version reads): each session
becomes a row, with its formation's and action's values, its informations collectives and
its périodes d'inscription.

The submission is read as ``sofi-bulk lheo`` reads it (size bound, JSON Schema, coherence
of its SOFI codes): a hostile or foreign file is refused before anything is taken.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sofi_bulk.core.fields import FIELDS, Kind
from sofi_bulk.reprise.offer import TakenOffer
from sofi_bulk.submission.build import GROUP_KEYS, REF_KIND
from sofi_bulk.submission.io import CHILD_LISTS, loads_submission

KINDS = {f.key: f.kind for f in FIELDS}
# where a session's own values sit in the submission
SESSION_GROUPS = ("session", "dispositif", "referents")


def read_submission(raw: bytes, name: str) -> TakenOffer:
    data = loads_submission(raw, name, fast=True)
    header = data["header"]
    version = str(header["format"]).rpartition("/")[2]
    offer = TakenOffer(name, f"soumission JSON (format {version})")
    establishment = header.get("establishment") or {}
    offer.establishment = establishment.get("siret") or None
    offer.lots = [lot["numero"] for lot in header.get("lots", [])]
    for formation in data["formations"]:
        common = _values(offer, formation, "formation")
        for action in formation["actions"]:
            shared = {**common, **_values(offer, action, "action")}
            for session in action["sessions"]:
                row = dict(shared)
                row.update(_values(offer, session, "session"))
                row.update(_values(offer, session.get("dispositif") or {}, "dispositif"))
                row.update(_values(offer, session.get("referents") or {}, "referents"))
                if "realisation_site" in row and row["realisation_site"] == row.get(
                    "delivery_site"
                ):
                    row["realisation_site"] = None  # the export's default: left empty
                offer.sessions.append(row)
                ref = row.get("session_ref")
                for group, listed in CHILD_LISTS.items():
                    target = offer.infos if group == "information_collective" else offer.periodes
                    parent = "ic_session" if group == "information_collective" else "pi_session"
                    for child in session.get(listed, []):
                        values = _values(offer, child, group)
                        values[parent] = ref
                        target.append(values)
    return offer


def _values(offer: TakenOffer, obj: dict[str, Any], group: str) -> dict[str, Any]:
    """The catalogue's values of one submission object, as the workbook takes them."""
    out: dict[str, Any] = {}
    for key in GROUP_KEYS[group]:
        value = obj.get(key)
        if value is None:
            continue
        kind = KINDS[key]
        if kind in REF_KIND and isinstance(value, dict):
            _, ident = REF_KIND[kind]
            code = str(value.get(ident, ""))
            name = value.get("libelle") or " ".join(
                p for p in (value.get("prenom"), value.get("nom")) if p
            )
            if name:
                offer.names[(kind, code)] = str(name)
            value = code
        elif kind is Kind.DATE and isinstance(value, str):
            value = dt.date.fromisoformat(value)  # the schema has checked it
        out[key] = value
    return out
