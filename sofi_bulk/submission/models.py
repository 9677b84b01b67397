"""Pydantic models of the submission, derived from the field catalogue.

Each FASD object (formation, action, session, dispositif, référents, information
collective, période d'inscription) is built with ``create_model`` from the catalogue's
fields, so a field added there appears in the records, the JSON export and the JSON
Schema at once. Référentiel references are resolved into full objects, so a submission
is self-contained (the LHEO export needs nothing else).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.comparisons import EXCLUSIONS
from sofi_bulk.core.fields import BY_KEY, FIELDS, Kind
from sofi_bulk.core.fields import Field as CatalogueField
from sofi_bulk.core.identity import CREATION, DESACTIVATION, MODIFICATION
from sofi_bulk.core.profile import available_profiles, load_profile
from sofi_bulk.core.referentiel import MODELS
from sofi_bulk.core.referentiel_columns import REFERENTIEL_TABLES

# The submission's format, versioned: a reader checks it before anything else. Bump the
# number when a change would make an older reader misread the document (3: the
# « desactivation » operation, which a reader of 2 would take for a modification).
FORMAT = "sofi-bulk/soumission/3"
SCHEMA_ID = "urn:sofi-bulk:schema:soumission:3"
# the formats this version reads: each is a subset of the current one (2 has no
# desactivation and no session_state), so one schema describes them all
READ_FORMATS = ("sofi-bulk/soumission/2", FORMAT)
SOFI_CODE = r"^\d{1,9}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


SIRET = Annotated[str, Field(pattern=r"^\d{14}$")]


def _reference_model(name: str, table: str, doc: str) -> Any:
    """A référentiel object as the submission carries it: the fields of its class, in its
    columns' order, a SIRET checked by its pattern."""
    cls = MODELS[table]
    hints = get_type_hints(cls)
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    definitions: dict[str, Any] = {}
    for col in REFERENTIEL_TABLES[table].columns:
        typ = {"siret": SIRET, "siret-list": tuple[SIRET, ...]}.get(col.kind, hints[col.attr])
        default = defaults[col.attr]
        definitions[col.attr] = (typ, ... if default is dataclasses.MISSING else default)
    return create_model(name, __base__=_Strict, __doc__=doc, **definitions)


SiteRef = _reference_model(
    "SiteRef",
    "sites",
    "A site of the référentiel (Site lieu, Site dispensateur, Lieu of an information collective).",
)
ContactRef = _reference_model(
    "ContactRef", "contacts", "A contact of the référentiel (référents of the session)."
)
OrganismeRef = _reference_model(
    "OrganismeRef",
    "organismes",
    "An organisme of the référentiel (organisme responsable, organisme of a formation).",
)
LotRef = _reference_model(
    "LotRef", "lots", "A lot of the référentiel: the Région's order the sessions answer."
)


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
        base = Annotated[str, Field(pattern=r"^([01]\d|2[0-3])h[0-5]\d$")]  # LHEO: 09h30
    elif fld.kind in REF_TYPES:
        base = REF_TYPES[fld.kind]
    else:
        base = Annotated[str, Field(min_length=1, max_length=fld.max_length)]
    return list[base] if fld.multi else base


def _relaxed() -> set[str]:
    """Fields the catalogue requires but a bundled programme does not (profile ``required``):
    the schema, shared by every programme, cannot require them."""
    return {
        key
        for name in available_profiles()
        for key, required in load_profile(name).required.items()
        if not required
    }


RELAXED = _relaxed()
# what the schema requires of every submission, whatever its programme
SCHEMA_REQUIRED = frozenset(f.key for f in FIELDS if f.required and f.key not in RELAXED)


def _model(
    name: str, doc: str, fields: list[CatalogueField], extra: dict[str, Any] | None = None
) -> type[BaseModel]:
    definitions: dict[str, Any] = {}
    for fld in fields:
        typ = python_type(fld)
        info = Field(title=fld.header, description=fld.help)
        if fld.required and fld.key not in RELAXED:
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


def _code(what: str) -> Any:
    return (
        str | None,
        Field(
            None,
            pattern=SOFI_CODE,
            title=f"Code SOFI de {what}",
            description=f"Le code SOFI de {what} (partie du code FAS) ; absent pour une création.",
        ),
    )


Session = _model(
    "Session",
    "Fiche Session, avec son dispositif et ses listes.",
    _group("session"),
    {
        "sofi_code": _code("la session"),
        "operation": (
            Literal[CREATION, MODIFICATION, DESACTIVATION],
            Field(
                title="Opération",
                description="creation : une session à créer dans SOFI ; modification : la "
                "session existante de code sofi_code, à modifier (accord préalable de la "
                "Région requis) ; desactivation : la session existante de code sofi_code, "
                "à retirer de l'offre (session_state « inactif », format 3).",
            ),
        ),
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
        "sofi_code": _code("l'action"),
        "sessions": (_list_of(Session), Field(min_length=1)),
    },
)
Formation = _model(
    "Formation",
    "Fiche Formation et ses actions.",
    _group("formation"),
    {
        "sofi_code": _code("la formation"),
        "organisme": (
            OrganismeRef,
            Field(
                title="Organisme",
                description="L'organisme à qui la formation appartient dans SOFI : celui du "
                "site dispensateur de ses actions.",
            ),
        ),
        "actions": (_list_of(Action), Field(min_length=1)),
    },
)

CODED_KEYS = tuple(f.key for f in FIELDS if f.kind is Kind.CODE)


class CodeInfo(_Strict):
    """Ce qu'un code veut dire."""

    label: str = Field(title="Libellé")
    lheo: str | None = Field(
        None,
        title="Code LHEO",
        description="Le code LHEO 2.3 ou Formacode ; absent s'il n'y en a pas.",
    )


class CodeList(_Strict):
    """Les codes d'un champ présents dans la soumission."""

    table: str = Field(title="Liste")
    source: str = Field(title="Source de la liste")
    values: dict[str, CodeInfo]


class Fingerprint(_Strict):
    """Empreintes SHA-256 (hexadécimal) du JSON canonique (clés triées, séparateurs « , » et
    « : » sans espace, UTF-8) : de ``formations``, et des objets du référentiel utilisés."""

    algorithm: Literal["sha256"] = "sha256"
    offer: str = Field(pattern=r"^[0-9a-f]{64}$", title="Empreinte de l'offre (formations)")
    referentiel: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        title="Empreinte du référentiel utilisé",
        description='De {"contacts", "lots", "organismes", "sites"} : chaque liste '
        "tient les objets du référentiel cités par la soumission, une fois chacun, triés par "
        "identifiant (id, numero, siret, code).",
    )


class Header(_Strict):
    """En-tête de la soumission : d'où elle vient et ce qu'elle contient."""

    format: Literal[READ_FORMATS] = Field(  # type: ignore[valid-type]
        title="Format et version",
        description="Un lecteur vérifie ce champ avant tout autre. sofi-bulk écrit le format "
        "3 ; un document au format 2 (sans désactivation ni session_state) se lit de même.",
    )
    programme: str
    programme_label: str
    campaign_year: int | None = Field(
        title="Année de campagne",
        description="L'année où les sessions débutent ; absente si les lots en ont plusieurs.",
    )
    lots: list[LotRef] = Field(  # type: ignore[valid-type]  # a model made by create_model
        min_length=1, title="Lots de la Région concernés"
    )
    establishment: OrganismeRef | None = Field(  # type: ignore[valid-type]
        title="Établissement qui saisit",
        description="Le modèle généré pour un SIRET (--siret), sinon l'unique organisme des "
        "formations, sinon l'unique mandataire ; absent quand le classeur en mêle plusieurs.",
    )
    mandataires: list[SIRET]
    template_version: str
    source_file: str
    generated_at: dt.datetime
    tool_version: str
    session_count: int = Field(ge=1)
    fingerprint: Fingerprint


class Submission(_Strict):
    """Soumission sofi-bulk : l'offre d'un classeur, formation → actions → sessions."""

    header: Header
    codes: dict[Literal[CODED_KEYS], CodeList] = Field(  # type: ignore[valid-type]
        title="Codes utilisés",
        description="Pour chaque champ codé, les codes présents avec leur libellé et leur code "
        "LHEO.",
    )
    formations: list[Formation] = Field(min_length=1)  # type: ignore[valid-type]


# the model of each object of the submission, by the catalogue's group
GROUP_MODELS: dict[str, type[BaseModel]] = {
    "formation": Formation,
    "action": Action,
    "session": Session,
    "dispositif": Dispositif,
    "referents": Referents,
    "information_collective": InformationCollective,
    "periode_inscription": PeriodeInscription,
}


def _exclusions(defs: dict[str, Any]) -> None:
    """The codes the procedure forbids together (``comparisons.EXCLUSIONS``), as « if »
    and « then » of the object that holds both; the French reason is the description of
    the refusing branch, which a reader of the schema's errors shows."""
    for ex in EXCLUSIONS:
        group = BY_KEY[ex.key].group
        assert BY_KEY[ex.other].group == group, ex  # one object holds both
        target = defs[GROUP_MODELS[group].__name__]
        target.setdefault("allOf", []).append(
            {
                "if": {"properties": {ex.key: {"enum": list(ex.values)}}, "required": [ex.key]},
                "then": {
                    "properties": {
                        ex.other: {"not": {"enum": list(ex.others)}, "description": ex.json_message}
                    }
                },
            }
        )


def submission_schema() -> dict[str, Any]:
    schema = Submission.model_json_schema()
    _exclusions(schema["$defs"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Soumission sofi-bulk",
        **{k: v for k, v in schema.items() if k != "title"},
    }
