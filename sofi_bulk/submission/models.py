"""Pydantic models of the submission, derived from the field catalogue.

Each FASD object (formation, action, session, dispositif, référents, information
collective, période d'inscription) is built with ``create_model`` from the catalogue's
fields, so a field added there appears in the records, the JSON export and the JSON
Schema at once. Référentiel references are resolved into full objects, so a submission
is self-contained (the LHEO export needs nothing else).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.fields import FIELDS, Kind
from sofi_bulk.core.fields import Field as CatalogueField
from sofi_bulk.core.referentiel import Contact, Organisme, Site


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteRef(Site):
    """A site of the référentiel (Site lieu, Site dispensateur, Lieu of an information collective)."""  # noqa: E501

    model_config = ConfigDict(extra="forbid", frozen=False)


class ContactRef(Contact):
    """A contact of the référentiel (référents of the session)."""

    model_config = ConfigDict(extra="forbid", frozen=False)


class OrganismeRef(Organisme):
    """An organisme of the référentiel (the organisme responsable)."""

    model_config = ConfigDict(extra="forbid", frozen=False)


REF_TYPES: dict[Kind, type[BaseModel]] = {
    Kind.SITE: SiteRef,
    Kind.CONTACT: ContactRef,
    Kind.ORGANISME: OrganismeRef,
}
PARENT_KEYS = {"ic_session", "pi_session"}  # implied by nesting in the submission


def python_type(fld: CatalogueField) -> Any:
    if fld.kind is Kind.CODE:
        base: Any = Literal[tuple(o.code for o in table_of(fld).options)]
    elif fld.kind is Kind.INT:
        base = Annotated[int, Field(ge=fld.min_value, le=fld.max_value)]
    elif fld.kind is Kind.DECIMAL:
        base = Annotated[float, Field(ge=fld.min_value, le=fld.max_value)]
    elif fld.kind is Kind.DATE:
        base = dt.date
    elif fld.kind is Kind.TIME:
        base = Annotated[str, Field(pattern=r"^([01]?\d|2[0-3])h[0-5]\d$")]
    elif fld.kind in REF_TYPES:
        base = REF_TYPES[fld.kind]
    else:
        base = Annotated[str, Field(min_length=1, max_length=fld.max_length)]
    return list[base] if fld.multi else base


def _model(
    name: str, doc: str, fields: list[CatalogueField], extra: dict[str, Any] | None = None
) -> type[BaseModel]:
    definitions: dict[str, Any] = {}
    for fld in fields:
        typ = python_type(fld)
        info = Field(title=fld.header, description=fld.help)
        if fld.required:
            definitions[fld.key] = (typ, info)
        else:
            definitions[fld.key] = (typ | None, Field(None, title=fld.header, description=fld.help))
    definitions.update(extra or {})
    model = create_model(name, __base__=_Strict, __doc__=doc, **definitions)
    return model


def _list_of(model: type[BaseModel]) -> Any:
    """``list[model]`` for a model made by ``create_model`` (a value, not a static type)."""
    return list[model]  # type: ignore[valid-type]


def _group(group: str) -> list[CatalogueField]:
    return [f for f in FIELDS if f.group == group and f.key not in PARENT_KEYS]


InformationCollective = _model(
    "InformationCollective",
    "Une information collective de la session.",
    _group("information_collective"),
)
PeriodeInscription = _model(
    "PeriodeInscription", "Une période d'inscription de la session.", _group("periode_inscription")
)
Dispositif = _model("Dispositif", "Fiche Dispositif de la session.", _group("dispositif"))
Referents = _model("Referents", "Contacts référents de la session.", _group("referents"))
Session = _model(
    "Session",
    "Fiche Session, avec son dispositif et ses listes.",
    _group("session"),
    {
        "dispositif": (Dispositif, ...),
        "referents": (Referents, ...),
        "informations_collectives": (_list_of(InformationCollective), Field(default_factory=list)),
        "periodes_inscription": (_list_of(PeriodeInscription), Field(default_factory=list)),
    },
)
Action = _model(
    "Action",
    "Fiche Action et ses sessions.",
    _group("action"),
    {
        "sessions": (_list_of(Session), Field(min_length=1)),
    },
)
Formation = _model(
    "Formation",
    "Fiche Formation et ses actions.",
    _group("formation"),
    {
        "actions": (_list_of(Action), Field(min_length=1)),
    },
)


class Header(_Strict):
    """En-tête de la soumission : d'où elle vient et ce qu'elle contient."""

    format: Literal["sofi-bulk/soumission"] = "sofi-bulk/soumission"
    programme: str
    programme_label: str
    organisme_siret: str | None = Field(None, pattern=r"^\d{14}$")
    mandataires: list[Annotated[str, Field(pattern=r"^\d{14}$")]]
    template_version: str
    referentiel_fingerprint: str
    source_file: str
    generated_at: dt.datetime
    tool_version: str
    session_count: int = Field(ge=1)


class Submission(_Strict):
    """Soumission sofi-bulk : l'offre d'un classeur, formation → actions → sessions."""

    header: Header
    formations: list[Formation] = Field(min_length=1)  # type: ignore[valid-type]


SCHEMA_ID = "https://sofi-bulk.example/schemas/submission.schema.json"


def submission_schema() -> dict[str, Any]:
    schema = Submission.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Soumission sofi-bulk",
        **{k: v for k, v in schema.items() if k != "title"},
    }
