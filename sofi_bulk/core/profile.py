"""Programme profiles: a programme's fixed values, defaults and rule parameters, as data.

A profile is a JSON file in ``sofi_bulk/profiles/``; adding a programme means adding a
file. It is validated on load against the field catalogue, so a typo in a key or a code
is caught before any workbook is written.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal

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
    rules: RuleSettings = RuleSettings()
    lheo: LheoSettings = LheoSettings()
    open_questions: dict[str, str] = {}

    @model_validator(mode="after")
    def _check_against_catalogue(self) -> Profile:
        for section in ("fixed", "defaults", "allowed", "required"):
            for key in getattr(self, section):
                if key not in BY_KEY:
                    raise ValueError(f"{section} : champ inconnu « {key} »")
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
