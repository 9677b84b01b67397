"""Build the submission (JSON) from a validated workbook, deterministically.

Sessions are grouped formation → actions → sessions by equality of their formation-
and action-level values, in the order of first appearance in the workbook. The pydantic
models generated from the catalogue check the result; ``sofi_bulk.submission.schema``
holds the JSON Schema and its check.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import FIELDS, Kind
from sofi_bulk.core.parse import lheo_time
from sofi_bulk.core.records import Record, ValidationResult
from sofi_bulk.core.text import fold
from sofi_bulk.core.version import __version__
from sofi_bulk.submission.models import PARENT_KEYS, Submission


class ExportRefused(UserError):
    """The workbook still has errors: nothing is exported."""


def _keys(group: str) -> list[str]:
    return [f.key for f in FIELDS if f.group == group and f.key not in PARENT_KEYS]


GROUP_KEYS = {
    g: _keys(g)
    for g in (
        "formation",
        "action",
        "session",
        "dispositif",
        "referents",
        "information_collective",
        "periode_inscription",
    )
}
KINDS = {f.key: f.kind for f in FIELDS}


@dataclass
class SessionSource:
    """Where a session of the submission came from: sheet, row and the cell of each field."""

    sheet: str
    row: int
    cells: dict[str, str]
    infos: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)
    periodes: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)


class Builder:
    def __init__(self, result: ValidationResult) -> None:
        self.result = result
        self.ref = result.referentiel
        self.sources: list[SessionSource] = []  # in document order, once build() ran

    def value(self, key: str, value: Any) -> Any:
        if value is None:
            return None
        kind = KINDS[key]
        if kind is Kind.SITE:
            return self.ref.sites[value].model_dump()
        if kind is Kind.CONTACT:
            return self.ref.contacts[value].model_dump()
        if kind is Kind.ORGANISME:
            return self.ref.organismes[value].model_dump()
        if kind is Kind.DATE:
            return value.isoformat()
        if kind is Kind.TIME:
            return lheo_time(value)
        return value

    def obj(self, group: str, rec: Record) -> dict[str, Any]:
        out = {}
        for key in GROUP_KEYS[group]:
            value = self.value(key, rec.get(key))
            if value is not None:
                out[key] = value
        return out

    def session(self, rec: Record, infos: list[Record], periodes: list[Record]) -> dict[str, Any]:
        out = self.obj("session", rec)
        out["dispositif"] = self.obj("dispositif", rec)
        out["referents"] = self.obj("referents", rec)
        out["informations_collectives"] = [self.obj("information_collective", r) for r in infos]
        out["periodes_inscription"] = [self.obj("periode_inscription", r) for r in periodes]
        return out

    def build(self, generated_at: dt.datetime | None = None) -> dict[str, Any]:
        result = self.result
        infos: dict[str, list[Record]] = {}
        periodes: dict[str, list[Record]] = {}
        for rec in result.infos:
            infos.setdefault(fold(str(rec.get("ic_session"))), []).append(rec)
        for rec in result.periodes:
            periodes.setdefault(fold(str(rec.get("pi_session"))), []).append(rec)
        formations: dict[str, dict[str, Any]] = {}
        actions: dict[tuple[str, str], dict[str, Any]] = {}
        by_session: dict[int, SessionSource] = {}
        for rec in result.sessions:
            formation = self.obj("formation", rec)
            action = self.obj("action", rec)
            f_key = json.dumps(formation, sort_keys=True, ensure_ascii=False)
            a_key = (f_key, json.dumps(action, sort_keys=True, ensure_ascii=False))
            if f_key not in formations:
                formations[f_key] = {**formation, "actions": []}
            if a_key not in actions:
                actions[a_key] = {**action, "sessions": []}
                formations[f_key]["actions"].append(actions[a_key])
            ref = fold(str(rec.get("session_ref")))
            kids_i, kids_p = infos.get(ref, []), periodes.get(ref, [])
            actions[a_key]["sessions"].append(self.session(rec, kids_i, kids_p))
            by_session[id(actions[a_key]["sessions"][-1])] = SessionSource(
                rec.sheet,
                rec.row,
                dict(rec.cells),
                [(r.sheet, r.row, dict(r.cells)) for r in kids_i],
                [(r.sheet, r.row, dict(r.cells)) for r in kids_p],
            )
        meta_siret = None
        mandataires = sorted({rec.get("responsible_org") for rec in result.sessions})
        if len(mandataires) == 1:
            meta_siret = mandataires[0]
        header = {
            "format": "sofi-bulk/soumission",
            "programme": result.profile.id,
            "programme_label": result.profile.label,
            "organisme_siret": meta_siret,
            "mandataires": mandataires,
            "template_version": result.profile.template_version,
            "referentiel_fingerprint": self.ref.fingerprint(),
            "source_file": Path(result.book_name).name,
            "generated_at": (generated_at or dt.datetime.now().astimezone())
            .replace(microsecond=0)
            .isoformat(),
            "tool_version": __version__,
            "session_count": len(result.sessions),
        }
        self.sources = [
            by_session[id(s)]
            for f in formations.values()
            for a in f["actions"]
            for s in a["sessions"]
        ]
        return {"header": header, "formations": list(formations.values())}


def build_submission(
    result: ValidationResult,
    generated_at: dt.datetime | None = None,
    sources: list[SessionSource] | None = None,
) -> dict[str, Any]:
    """The submission as JSON data, checked against the models generated from the catalogue.

    When ``sources`` is a list, it receives the workbook location of each session, in
    the order sessions appear in the submission (formations → actions → sessions).
    """
    if not result.ok:
        raise ExportRefused(
            f"{result.book_name} : {len(result.errors)} erreur(s) ; corrigez-les avant l'export."
        )
    builder = Builder(result)
    data = builder.build(generated_at)
    if sources is not None:
        sources.extend(builder.sources)
    Submission.model_validate(data)  # the models generated from the catalogue accept it
    return data
