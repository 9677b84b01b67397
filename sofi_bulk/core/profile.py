"""Programme profiles: a programme's fixed values, defaults and rule parameters, as data.

A profile is a JSON file in ``sofi_bulk/profiles/``; adding a programme means adding a
file. It is checked on load against the field catalogue, so a typo in a key or a code
is caught before any workbook is written.

The profile is a plain dataclass. A profile file a user gives is validated by pydantic
(types, choices, unknown keys); the bundled files are package data that the tests validate
the same way, so checking a workbook does not pay for importing pydantic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Literal

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import BY_KEY, Kind
from sofi_bulk.core.issues import ISSUE_TYPES
from sofi_bulk.core.jsonfile import JsonUnreadable, read_json
from sofi_bulk.core.resources import profiles_dir

Severity = Literal["erreur", "avertissement"]
Scalar = str | int | float
# pydantic reads this on a plain dataclass: a key the profile does not know is refused
_STRICT: dict[str, Any] = {"extra": "forbid"}


DEFAULT_PROGRAMME = "prepa-avenir-sup"  # the programme of a command that names none


@dataclass(frozen=True)
class RuleSettings:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    min_info_sessions: int = 1
    # « temps plein » from this many hours a week; a rythme that says otherwise is flagged
    full_time_min_weekly_hours: float | None = None


# the settings a profile of an earlier version named, and the one that replaced each
MOVED_SETTINGS = {
    f"rules.{old}": f"severities.{code}"
    for old, code in {
        "info_sessions_severity": "info-collective-manquante",
        "lot_places_severity": "places-lot-depassees",
        "duplicate_session_severity": "session-en-double",
        "modification_severity": "modification-accord-region",
        "rhythm_hours_severity": "rythme-heures",
    }.items()
}


@dataclass(frozen=True)
class OpenQuestion:
    """A point the procedure leaves open: the choice made today and where it is set."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    sujet: str
    question: str
    choix: str
    reglages: list[str] = field(default_factory=list)  # settings ("lheo.formacode_ref")
    ailleurs: str = ""  # where it is decided when not (only) in the profile


@dataclass(frozen=True)
class LheoSettings:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
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
    detail_conditions_prise_en_charge: str | None = None
    # LHEO's prix-total-TTC is a price per trainee shown to the public: publish the Frais TTC?
    publish_prix_total_ttc: bool = True


@dataclass(frozen=True)
class Profile:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    id: str
    label: str
    referentiel_programme: str
    template_version: str
    campaign_year: int
    procedure: str = ""
    fixed: dict[str, Scalar | list[str]] = field(default_factory=dict)
    defaults: dict[str, Scalar | list[str]] = field(default_factory=dict)
    allowed: dict[str, list[str]] = field(default_factory=dict)
    required: dict[str, bool] = field(default_factory=dict)
    # why a field is not required as SOFI marks it
    required_reasons: dict[str, str] = field(default_factory=dict)
    # default sentences the user must replace, and what each field's sentence asks for (the
    # message's example: « les modules optionnels de votre action »)
    placeholders: dict[str, list[str]] = field(default_factory=dict)
    placeholder_examples: dict[str, str] = field(default_factory=dict)
    # the severity of an issue code, where the programme decides it (issues.py: adjustable)
    severities: dict[str, Severity] = field(default_factory=dict)
    rules: RuleSettings = field(default_factory=RuleSettings)
    lheo: LheoSettings = field(default_factory=LheoSettings)
    open_questions: list[OpenQuestion] = field(default_factory=list)

    def has_setting(self, path: str) -> bool:
        """True when ``path`` (« lheo.formacode_ref », « fixed.exit_level ») names a setting."""
        node: Any = self
        for part in path.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif is_dataclass(node) and part in {f.name for f in fields(node)}:
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


def profile_problems(profile: Profile) -> list[str]:
    """What the catalogue and the settings' bounds say against a profile, in French."""
    problems: list[str] = []
    say = problems.append
    if not re.fullmatch(r"[a-z0-9-]+", profile.id):
        say(f"id : « {profile.id} » : minuscules, chiffres et tirets seulement")
    if not 2000 <= profile.campaign_year <= 2100:
        say(f"campaign_year : {profile.campaign_year} : une année de 2000 à 2100 attendue")
    if profile.rules.min_info_sessions < 0:
        say("rules.min_info_sessions : nombre positif ou nul attendu")
    hours = profile.rules.full_time_min_weekly_hours
    if hours is not None and not 0 < hours <= 70:
        say("rules.full_time_min_weekly_hours : entre 0 (exclu) et 70 heures")
    detail = profile.lheo.detail_conditions_prise_en_charge
    if detail is not None and not 1 <= len(detail) <= 600:
        say("lheo.detail_conditions_prise_en_charge : de 1 à 600 caractères")
    for section in ("fixed", "defaults", "allowed", "required", "placeholders"):
        for key in getattr(profile, section):
            if key not in BY_KEY:
                say(f"{section} : champ inconnu « {key} »")
    for key in profile.placeholder_examples:
        if key not in profile.placeholders:
            say(f"placeholder_examples.{key} : aucun réglage placeholders.{key}")
    adjustable = [code for code, kind in ISSUE_TYPES.items() if kind.adjustable]
    for code in profile.severities:
        if code not in adjustable:
            say(
                f"severities.{code} : "
                + ("code inconnu" if code not in ISSUE_TYPES else "gravité non réglable")
                + f" ; réglables : {', '.join(adjustable)}"
            )
    if problems:
        return problems  # the checks below look fields up in the catalogue
    for key, required in profile.required.items():
        if required != BY_KEY[key].required and not profile.required_reasons.get(key):
            say(
                f"required.{key} : SOFI le marque autrement ; donnez la raison dans "
                f"required_reasons.{key}"
            )
    for key in profile.required_reasons:
        if key not in profile.required:
            say(f"required_reasons.{key} : aucun réglage required.{key}")
    for key, texts in profile.placeholders.items():
        if not texts or not all(t.strip() for t in texts):
            say(f"placeholders.{key} : texte vide")
    for question in profile.open_questions:
        if not question.reglages and not question.ailleurs:
            say(f"open_questions « {question.sujet} » : ni réglage ni « ailleurs »")
        for path in question.reglages:
            if not profile.has_setting(path):
                say(f"open_questions « {question.sujet} » : réglage inconnu « {path} »")
    for key in sorted(set(profile.fixed) & set(profile.defaults)):
        say(f"« {key} » est à la fois fixé et valeur par défaut")
    for section in ("fixed", "defaults"):
        for key, value in getattr(profile, section).items():
            fld = BY_KEY[key]
            values = value if isinstance(value, list) else [value]
            if isinstance(value, list) and not fld.multi:
                say(f"{section}.{key} : une seule valeur attendue")
            for item in values:
                if fld.kind is Kind.CODE and str(item) not in {
                    o.code for o in table_of(fld).options
                }:
                    say(f"{section}.{key} : code « {item} » absent de la table {fld.table}")
                if fld.max_length and isinstance(item, str) and len(item) > fld.max_length:
                    say(f"{section}.{key} : plus de {fld.max_length} caractères")
    for key, codes in profile.allowed.items():
        fld = BY_KEY[key]
        known = {o.code for o in table_of(fld).options} if fld.table else set()
        if fld.kind is not Kind.CODE or not set(codes) <= known:
            say(f"allowed.{key} : codes inconnus {sorted(set(codes) - known)}")
    return problems


# pydantic's error types, in the words of the profile's readers
_TYPE_WORDS = {
    "missing": "réglage obligatoire absent",
    "missing_argument": "réglage obligatoire absent",
    "unexpected_keyword_argument": "réglage inconnu",
    "extra_forbidden": "réglage inconnu",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_type": "nombre attendu",
    "float_parsing": "nombre attendu",
    "string_type": "texte attendu",
    "bool_type": "true ou false attendu",
    "bool_parsing": "true ou false attendu",
    "dict_type": "objet JSON attendu ({…})",
    "dataclass_type": "objet JSON attendu ({…})",
    "dataclass_args_type": "objet JSON attendu ({…})",
    "list_type": "liste attendue ([…])",
}
_UNKNOWN = {"unexpected_keyword_argument", "extra_forbidden"}
# the branches of a union (a fixed value: text, number or list of texts), named in a location
_BRANCHES = {"str", "int", "float", "bool", "list[str]"}


def type_problems(errors: list[Any]) -> list[str]:
    """pydantic's errors as French lines, one per setting (a union's branches as one)."""
    by_place: dict[str, list[Any]] = {}
    for error in errors:
        parts = [p for p in error["loc"] if p not in _BRANCHES]
        place = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
        by_place.setdefault(place or "(profil)", []).append(error)
    lines = []
    for place, found in by_place.items():
        first = found[0]
        if place in MOVED_SETTINGS and first["type"] in _UNKNOWN:
            new = MOVED_SETTINGS[place]
            words = f'réglage remplacé par {new} (« "severities": {{"{new[11:]}": …}} »)'
        elif len(found) > 1:
            words = "texte, nombre ou liste de textes attendu"
        elif first["type"] == "literal_error":
            words = "valeur admise : " + first["ctx"]["expected"].replace(" or ", " ou ")
        else:
            words = _TYPE_WORDS.get(first["type"], first["msg"])
        lines.append(f"{place} : {words}")
    return lines


def validated(data: Any) -> Profile:
    """A profile from JSON data, its types checked by pydantic (``pydantic.ValidationError``)."""
    return _adapter().validate_python(data)


@cache
def _adapter() -> Any:  # a TypeAdapter[Profile], pydantic imported when a file needs it
    from pydantic import TypeAdapter

    return TypeAdapter(Profile)


def built(data: dict[str, Any]) -> Profile:
    """A profile from the JSON of a bundled file, whose types the tests check (see
    ``validated``): the same object, without importing pydantic."""
    return Profile(
        **{
            **data,
            "rules": RuleSettings(**data.get("rules", {})),
            "lheo": LheoSettings(**data.get("lheo", {})),
            "open_questions": [OpenQuestion(**q) for q in data.get("open_questions", [])],
        }
    )


def available_profiles() -> list[str]:
    return sorted(p.stem for p in profiles_dir().glob("*.json"))


def load_profile_file(path: Path, *, bundled: bool = False) -> Profile:
    try:
        data = read_json(path)  # every reason in French, a pipe never opened
    except JsonUnreadable as exc:
        raise UserError(f"Profil de programme illisible : {path} ({exc})") from exc
    if bundled:
        profile = built(data)
    else:
        from pydantic import ValidationError

        try:
            profile = validated(data)
        except ValidationError as exc:
            raise UserError(
                "\n".join(
                    f"Profil de programme invalide : {path} : {p}"
                    for p in type_problems(exc.errors())
                )
            ) from exc
    problems = profile_problems(profile)
    if problems:
        raise UserError("\n".join(f"Profil de programme invalide : {path} : {p}" for p in problems))
    return profile


@cache
def load_profile(name: str = DEFAULT_PROGRAMME) -> Profile:
    """Load a bundled profile by id, or a profile file by path."""
    candidate = Path(name)
    if candidate.suffix == ".json" and candidate.exists():
        return load_profile_file(candidate)
    if name not in available_profiles():
        known = ", ".join(available_profiles())
        raise UserError(f"Programme inconnu : « {name} ». Programmes disponibles : {known}.")
    return load_profile_file(profiles_dir() / f"{name}.json", bundled=True)
