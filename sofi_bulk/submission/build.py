"""Build the submission (JSON) from a validated workbook, deterministically.

Sessions are grouped as SOFI groups them, formation → actions → sessions, by their FAS
code, else their « Réf. action », else equal declared values, in the order of first
appearance in the workbook (``sofi_bulk.core.identity``). The document describes itself:
a versioned format, the codes it uses with their labels and LHEO codes, the lots, who
entered it, and fingerprints a receiver can recompute. The pydantic models generated from
the catalogue check the result; ``sofi_bulk.submission.schema`` holds the JSON Schema.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import BY_KEY, FIELDS, Kind
from sofi_bulk.core.identity import fas_of, group_rows, operation_of
from sofi_bulk.core.lots import campaign_year
from sofi_bulk.core.parse import lheo_time
from sofi_bulk.core.records import Record, ValidationResult
from sofi_bulk.core.referentiel import as_record
from sofi_bulk.core.text import fold
from sofi_bulk.core.version import __version__
from sofi_bulk.submission.models import (
    CODED_KEYS,
    FORMAT,
    PARENT_KEYS,
    SCHEMA_REQUIRED,
    Submission,
)


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
    cells: Mapping[str, str]
    infos: list[tuple[str, int, Mapping[str, str]]] = field(default_factory=list)
    periodes: list[tuple[str, int, Mapping[str, str]]] = field(default_factory=list)


def canonical(data: Any) -> bytes:
    """The canonical JSON the fingerprints hash: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def referentiel_used(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The référentiel objects a submission cites, once each, sorted by identifier: what
    ``header.fingerprint.referentiel`` hashes (a receiver can recompute it from the file)."""
    found: dict[str, dict[str, dict[str, Any]]] = {
        "contacts": {},
        "lots": {},
        "organismes": {},
        "sites": {},
    }
    for lot in data["header"]["lots"]:
        found["lots"][lot["numero"]] = lot

    def visit(node: Any) -> None:  # containers only: a large offer holds half a million values
        if node.__class__ is list:
            for item in node:
                if item.__class__ is dict or item.__class__ is list:
                    visit(item)
            return
        for key, value in node.items():
            if value.__class__ is dict:
                kind = KINDS.get(key)
                if kind in REF_KIND:
                    table, ident = REF_KIND[kind]
                    found[table][value[ident]] = value
                elif key == "organisme":
                    found["organismes"][value["siret"]] = value
                else:
                    visit(value)
            elif value.__class__ is list:
                visit(value)

    visit(data["formations"])
    return {table: [objs[k] for k in sorted(objs)] for table, objs in found.items()}


def fingerprint(data: dict[str, Any]) -> dict[str, str]:
    return {
        "algorithm": "sha256",
        "offer": hashlib.sha256(canonical(data["formations"])).hexdigest(),
        "referentiel": hashlib.sha256(canonical(referentiel_used(data))).hexdigest(),
    }


# per group: each field key, and whether its value goes to the JSON as it is
CONVERTED = {Kind.SITE, Kind.CONTACT, Kind.ORGANISME, Kind.DATE, Kind.TIME}
GROUP_PLAN = {
    group: [(key, KINDS[key] not in CONVERTED) for key in keys]
    for group, keys in GROUP_KEYS.items()
}

REF_KIND = {
    Kind.SITE: ("sites", "code"),
    Kind.CONTACT: ("contacts", "id"),
    Kind.ORGANISME: ("organismes", "siret"),
}


class SubmissionBuilder:
    """The JSON submission of a checked workbook, built from its records (``build``)."""

    def __init__(self, result: ValidationResult) -> None:
        self.result = result
        self.ref = result.referentiel
        self.sources: list[SessionSource] = []  # in document order, once build() ran
        self._dumped: dict[tuple[Kind, str], dict[str, Any]] = {}

    def value(self, key: str, value: Any) -> Any:
        if value is None:
            return None
        kind = KINDS[key]
        if kind in REF_KIND:
            return self.referenced(kind, value)
        if kind is Kind.DATE:
            return value.isoformat()
        if kind is Kind.TIME:
            return lheo_time(value)
        return value

    def referenced(self, kind: Kind, key: str) -> dict[str, Any]:
        """A référentiel object as JSON data, dumped once and shared (read, never changed)."""
        dumped = self._dumped.get((kind, key))
        if dumped is None:
            tables: dict[Kind, dict[str, Any]] = {
                Kind.SITE: self.ref.sites,
                Kind.CONTACT: self.ref.contacts,
                Kind.ORGANISME: self.ref.organismes,
            }
            dumped = self._dumped[(kind, key)] = as_record(tables[kind][key])
        return dumped

    def obj(self, group: str, rec: Record) -> dict[str, Any]:
        out = {}
        values = rec.values
        for key, plain in GROUP_PLAN[group]:
            value = values.get(key)
            if value is not None:
                out[key] = value if plain else self.value(key, value)
        return out

    def organisme_of(self, rec: Record) -> str | None:
        site = self.ref.sites.get(rec.get("delivery_site"))
        return site.siret if site else None

    def session(self, rec: Record, infos: list[Record], periodes: list[Record]) -> dict[str, Any]:
        fas = fas_of(rec.values)
        out: dict[str, Any] = {}
        if fas and fas.session:
            out["sofi_code"] = fas.session
        out["operation"] = operation_of(rec.values)
        out.update(self.obj("session", rec))
        out["dispositif"] = self.obj("dispositif", rec)
        out["referents"] = self.obj("referents", rec)
        out["informations_collectives"] = [self.obj("information_collective", r) for r in infos]
        out["periodes_inscription"] = [self.obj("periode_inscription", r) for r in periodes]
        return out

    def formations(self) -> list[dict[str, Any]]:
        """SOFI's tree: formations → actions → sessions, grouped by FAS code, else by
        « Réf. action », else by equal declared values (``sofi_bulk.core.identity``)."""
        result = self.result
        infos: dict[str, list[Record]] = {}
        periodes: dict[str, list[Record]] = {}
        for rec in result.infos:
            infos.setdefault(fold(str(rec.get("ic_session"))), []).append(rec)
        for rec in result.periodes:
            periodes.setdefault(fold(str(rec.get("pi_session"))), []).append(rec)
        formations = []
        self.sources = []
        for rows, action_groups in group_rows(
            result.sessions, lambda r: r.values, self.organisme_of
        ):
            first = rows[0]
            fas = fas_of(first.values)
            formation: dict[str, Any] = {"sofi_code": fas.formation} if fas else {}
            formation.update(self.obj("formation", first))
            siret = self.organisme_of(first)
            if siret in self.ref.organismes:
                formation["organisme"] = as_record(self.ref.organismes[siret])
            formation["actions"] = []
            for members in action_groups:
                head = fas_of(members[0].values)
                action: dict[str, Any] = {"sofi_code": head.action} if head and head.action else {}
                action.update(self.obj("action", members[0]))
                if "realisation_site" not in action and "delivery_site" in action:
                    action["realisation_site"] = action["delivery_site"]  # the documented default
                action["sessions"] = []
                for rec in members:
                    ref = fold(str(rec.get("session_ref")))
                    kids_i, kids_p = infos.get(ref, []), periodes.get(ref, [])
                    action["sessions"].append(self.session(rec, kids_i, kids_p))
                    self.sources.append(
                        SessionSource(
                            rec.sheet,
                            rec.row,
                            rec.cells,
                            [(r.sheet, r.row, r.cells) for r in kids_i],
                            [(r.sheet, r.row, r.cells) for r in kids_p],
                        )
                    )
                formation["actions"].append(action)
            formations.append(formation)
        return formations

    def codes(self) -> dict[str, Any]:
        """Each coded field's codes present in the offer, with label and LHEO code."""
        used: dict[str, set[str]] = {key: set() for key in CODED_KEYS}
        for rec in (*self.result.sessions, *self.result.infos, *self.result.periodes):
            for key in CODED_KEYS:
                value = rec.values.get(key)
                if value is not None:
                    used[key].update(value if isinstance(value, list) else [value])
        out: dict[str, Any] = {}
        for key in CODED_KEYS:
            if not used[key]:
                continue
            table = table_of(BY_KEY[key])
            values = {}
            for option in table.options:
                if option.code in used[key]:
                    info = {"label": option.label}
                    lheo = table.lheo_of(option.code)
                    if lheo is not None:
                        info["lheo"] = lheo
                    values[option.code] = info
            out[key] = {"table": table.title, "source": table.source, "values": values}
        return out

    def lots(self) -> list[dict[str, Any]]:
        numbers = dict.fromkeys(rec.get("lot") for rec in self.result.sessions)
        return [as_record(self.ref.lots[n]) for n in numbers if n in self.ref.lots]

    def campaign_year(self) -> int | None:
        years = {
            campaign_year(self.result.profile, lot)
            for n in dict.fromkeys(rec.get("lot") for rec in self.result.sessions)
            if (lot := self.ref.lots.get(n)) is not None
        }
        return years.pop() if len(years) == 1 else None

    def establishment(self, formations: list[dict[str, Any]], mandataires: list[str]) -> Any:
        """Who entered the offer: the SIRET the template was made for, else the one
        organisme of every formation, else the one mandataire."""
        book = self.result.book
        siret = (book.meta.get("siret") if book is not None else "") or None
        if siret is None:
            owners = {f["organisme"]["siret"] for f in formations if "organisme" in f}
            candidates = owners if len(owners) == 1 else set(mandataires)
            siret = candidates.pop() if len(candidates) == 1 else None
        org = self.ref.organismes.get(siret or "")
        return as_record(org) if org else None

    def build(self, generated_at: dt.datetime | None = None) -> dict[str, Any]:
        result = self.result
        formations = self.formations()
        mandataires = sorted({rec.get("responsible_org") for rec in result.sessions})
        header = {
            "format": FORMAT,
            "programme": result.profile.id,
            "programme_label": result.profile.label,
            "campaign_year": self.campaign_year(),
            "lots": self.lots(),
            "establishment": self.establishment(formations, mandataires),
            "mandataires": mandataires,
            "template_version": result.profile.template_version,
            "source_file": Path(result.book_name).name,
            "generated_at": (generated_at or dt.datetime.now().astimezone())
            .replace(microsecond=0)
            .isoformat(),
            "tool_version": __version__,
            "session_count": len(result.sessions),
        }
        data = {"header": header, "codes": self.codes(), "formations": formations}
        header["fingerprint"] = fingerprint(data)
        return data


def build_submission(
    result: ValidationResult,
    generated_at: dt.datetime | None = None,
    sources: list[SessionSource] | None = None,
) -> dict[str, Any]:
    """The submission as JSON data. Built from checked records, it follows the JSON Schema:
    the tests check every submission they build against it, so the check stays out of the
    export's time. Only a programme that relaxes a field the schema requires is checked
    here, with the models the schema is generated from.

    When ``sources`` is a list, it receives the workbook location of each session, in
    the order sessions appear in the submission (formations → actions → sessions).
    """
    if not result.ok:
        raise ExportRefused(
            f"{result.book_name} : {len(result.errors)} erreur(s) ; corrigez-les avant l'export."
        )
    builder = SubmissionBuilder(result)
    data = builder.build(generated_at)
    if sources is not None:
        sources.extend(builder.sources)
    relaxed = [k for k, needed in result.profile.required.items() if not needed]
    if SCHEMA_REQUIRED.isdisjoint(relaxed):
        return data  # built from checked records: the tests prove every build valid
    try:  # a programme file relaxing a field the schema requires: does a record lack it?
        Submission.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        why = "champ obligatoire absent" if first["type"] == "missing" else "valeur refusée"
        raise UserError(
            f"{result.book_name} : la soumission ne suit pas le schéma sofi-bulk ({where} : "
            f"{why}) ; le profil du programme « {result.profile.id} » n'exige sans doute pas un "
            "champ que le schéma exige."
        ) from exc
    return data
