"""Programme profiles: a programme's fixed values, defaults and rule parameters, as data.

A profile is a JSON file in ``sofi_bulk/profiles/``; adding a programme means adding a
file. It is validated on load against the field catalogue, so a typo in a key or a code
is caught before any workbook is written.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import BY_KEY, Kind
from sofi_bulk.core.resources import profiles_dir

Severity = Literal["erreur", "avertissement"]
Scalar = str | int | float


class RuleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_info_sessions: int = Field(1, ge=0)
    info_sessions_severity: Severity = "erreur"
    lot_places_severity: Severity = "avertissement"
    duplicate_session_severity: Severity = "avertissement"
    # a row that modifies an existing SOFI session (complete FAS code): the Région's prior
    # agreement is required
    modification_severity: Severity = "avertissement"
    # « temps plein » from this many hours a week; a rythme that says otherwise is flagged
    full_time_min_weekly_hours: float | None = Field(None, gt=0, le=70)
    rhythm_hours_severity: Severity = "avertissement"


class OpenQuestion(BaseModel):
    """A point the procedure leaves open: the choice made today and where it is set."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sujet: str
    question: str
    choix: str
    reglages: list[str] = []  # profile settings ("lheo.formacode_ref"), checked on load
    ailleurs: str = ""  # where it is decided when not (only) in the profile


class LheoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    formacode_ref: str = "V14"
    code_financeur: str = "2"
    niveau_entree_obligatoire: Literal["0", "1"] = "1"
    conventionnement: Literal["0", "1"] | None = None  # a Région-funded (conventionné) action: "1"
    emit_exit_level: bool = True
    pmr_contact_type: str = "1"
    mobility_contact_type: str = "2"
    prf_contact_type: str = "0"
    modalites_alternance: str = "Sans objet"
    # the programme's funding conditions, emitted as detail-conditions-prise-en-charge
    detail_conditions_prise_en_charge: str | None = Field(None, min_length=1, max_length=600)
    # LHEO's prix-total-TTC is a price per trainee shown to the public: publish the Frais TTC?
    publish_prix_total_ttc: bool = True


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    label: str
    referentiel_programme: str
    template_version: str
    procedure: str = ""
    campaign_year: int = Field(ge=2000, le=2100)
    fixed: dict[str, Scalar | list[str]] = {}
    defaults: dict[str, Scalar | list[str]] = {}
    allowed: dict[str, list[str]] = {}
    required: dict[str, bool] = {}
    required_reasons: dict[str, str] = {}  # why a field is not required as SOFI marks it
    placeholders: dict[str, list[str]] = {}  # default sentences the user must replace
    rules: RuleSettings = RuleSettings()
    lheo: LheoSettings = LheoSettings()
    open_questions: list[OpenQuestion] = []

    @model_validator(mode="after")
    def _check_against_catalogue(self) -> Profile:
        for section in ("fixed", "defaults", "allowed", "required", "placeholders"):
            for key in getattr(self, section):
                if key not in BY_KEY:
                    raise ValueError(f"{section} : champ inconnu « {key} »")
        for key, required in self.required.items():
            if required != BY_KEY[key].required and not self.required_reasons.get(key):
                raise ValueError(
                    f"required.{key} : SOFI le marque autrement ; donnez la raison dans "
                    f"required_reasons.{key}"
                )
        for key in self.required_reasons:
            if key not in self.required:
                raise ValueError(f"required_reasons.{key} : aucun réglage required.{key}")
        for key, texts in self.placeholders.items():
            if not texts or not all(t.strip() for t in texts):
                raise ValueError(f"placeholders.{key} : texte vide")
        for question in self.open_questions:
            if not question.reglages and not question.ailleurs:
                raise ValueError(
                    f"open_questions « {question.sujet} » : ni réglage ni « ailleurs »"
                )
            for path in question.reglages:
                if not self.has_setting(path):
                    raise ValueError(
                        f"open_questions « {question.sujet} » : réglage inconnu « {path} »"
                    )
        for key in set(self.fixed) & set(self.defaults):
            raise ValueError(f"« {key} » est à la fois fixé et valeur par défaut")
        for section in ("fixed", "defaults"):
            for key, value in getattr(self, section).items():
                fld = BY_KEY[key]
                values = value if isinstance(value, list) else [value]
                if isinstance(value, list) and not fld.multi:
                    raise ValueError(f"{section}.{key} : une seule valeur attendue")
                for item in values:
                    if fld.kind is Kind.CODE and str(item) not in {
                        o.code for o in table_of(fld).options
                    }:
                        raise ValueError(
                            f"{section}.{key} : code « {item} » absent de la table {fld.table}"
                        )
                    if fld.max_length and isinstance(item, str) and len(item) > fld.max_length:
                        raise ValueError(f"{section}.{key} : plus de {fld.max_length} caractères")
        for key, codes in self.allowed.items():
            fld = BY_KEY[key]
            known = {o.code for o in table_of(fld).options} if fld.table else set()
            if fld.kind is not Kind.CODE or not set(codes) <= known:
                raise ValueError(f"allowed.{key} : codes inconnus {sorted(set(codes) - known)}")
        return self

    def has_setting(self, path: str) -> bool:
        """True when ``path`` (« lheo.formacode_ref », « fixed.exit_level ») names a setting."""
        node: Any = self
        for part in path.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, BaseModel) and part in type(node).model_fields:
                node = getattr(node, part)
            else:
                return False
        return True

    def is_required(self, key: str) -> bool:
        return self.required.get(key, BY_KEY[key].required)

    def prefill(self, key: str) -> Scalar | list[str] | None:
        """The value the template writes in an empty row: fixed value, else default."""
        if key in self.fixed:
            return self.fixed[key]
        return self.defaults.get(key)


def available_profiles() -> list[str]:
    return sorted(p.stem for p in profiles_dir().glob("*.json"))


def load_profile_file(path: Path) -> Profile:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Profile.model_validate(data)
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"Profil de programme illisible : {path} ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(
            f"Profil de programme invalide : {path} : {where} : {first['msg']}"
        ) from exc


@cache
def load_profile(name: str = "prepa-avenir-sup") -> Profile:
    """Load a bundled profile by id, or a profile file by path."""
    candidate = Path(name)
    if candidate.suffix == ".json" and candidate.exists():
        return load_profile_file(candidate)
    path = profiles_dir() / f"{name}.json"
    if not path.exists():
        known = ", ".join(available_profiles())
        raise UserError(f"Programme inconnu : « {name} ». Programmes disponibles : {known}.")
    return load_profile_file(path)
