"""Where every catalogue field lands in LHEO 2.3: the one mapping table.

``ELEMENTS`` gives the standard LHEO elements a field fills; ``EXTRAS`` the ordered
``<extras>`` blocks that keep SOFI's own values (the builder emits those blocks from this
table, in this order); ``NOT_EXPORTED`` says why a field has no place in the offer. The
export, the README's field table, the Aide sheet and the tests all read these.
Paths are relative to an LHEO ``<formation>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sofi_bulk.core.fields import FIELDS

INFO_COLLECTIVE = "9"  # dict-modalite-recrutement "information collective"

Format = Literal["text", "number", "money", "code", "date", "site"]


@dataclass(frozen=True)
class Extra:
    """One ``<extra info=…>`` holding a value of the submission, written in ``fmt``.

    ``key`` is a catalogue field, or a value the submission derives from one (``origin``,
    the field a problem is reported on: the operation comes from the FAS code)."""

    info: str
    key: str
    fmt: Format = "text"
    note: str = ""  # said in the documentation after the key
    origin: str | None = None

    @property
    def field(self) -> str:
        return self.origin or self.key


@dataclass(frozen=True)
class ExtrasBlock:
    """An ``<extras info=…>`` element and the extras it holds, in document order."""

    path: str
    extras: tuple[Extra, ...]
    where: str = ""  # the element holding it, as the documentation says it

    def path_of(self, extra: Extra) -> str:
        return f"{self.path}/extra[@info='{extra.info}']"


_ACTION = "action/extras[@info='{}']"
_FUNDER = "action/organisme-financeur/extras[@info='{}']"
_SESSION = "action/session/extras[@info='sofi-session']"
_RECRUTEMENT = f"action/session/recrutement[modalite-recrutement='{INFO_COLLECTIVE}']"
_CONTACT = "action/session/contact-session[extras[@info='sofi']/extra[@info='role']='{}']"

EXTRAS: dict[str, ExtrasBlock] = {
    "sofi-action": ExtrasBlock(
        _ACTION.format("sofi-action"),
        (
            Extra("complement-intitule", "title_complement"),
            Extra("le-plus-formation", "highlight"),
            Extra("url-video", "video_url"),
            Extra("url-pdf", "pdf_url"),
            Extra("public-vise", "target_public", note="texte entier"),
            Extra("site-realisation", "realisation_site", "site", note="code du site"),
            Extra("reference-action", "action_ref"),
        ),
        "action",
    ),
    "frais-pedagogiques": ExtrasBlock(
        _ACTION.format("frais-pedagogiques"),
        (
            Extra("frais-ht", "fee_excl_tax", "money"),
            Extra("taux-tva", "vat_rate"),
            Extra("frais-ttc", "fee_incl_tax", "money"),
            Extra("frais-certification-inclus", "certification_fees", "code"),
        ),
        "action",
    ),
    "sofi-formateur": ExtrasBlock(
        "action/organisme-formateur/extras[@info='sofi-formateur']",
        (Extra("site-dispensateur", "delivery_site", "site", note="code du site"),),
        "organisme-formateur",
    ),
    "specificites": ExtrasBlock(
        _FUNDER.format("specificites"),
        (
            Extra("programme-financeur", "dispositif"),
            Extra("ref-action-marche-financeur", "cr_action_id"),
        ),
        "organisme-financeur",
    ),
    "sofi-dispositif": ExtrasBlock(
        _FUNDER.format("sofi-dispositif"),
        (
            Extra("libelle-dispositif", "dispositif"),
            Extra("numero-lot-cr", "lot"),
            Extra("id-action-cr", "cr_action_id"),
            Extra("of-mandataire-cr", "cr_mandataire_id"),
        ),
        "organisme-financeur",
    ),
    "sofi-session": ExtrasBlock(
        _SESSION,
        (
            Extra("reference", "session_ref"),
            Extra("code-fas", "fas_code"),
            Extra(
                "operation",
                "operation",
                origin="fas_code",
                note="`creation`, `modification` ou `desactivation`, d'après le code FAS et l'état",
            ),
            Extra("etat", "session_state", note="`actif` ou `inactif` (colonne « État »)"),
            Extra("esp", "entry_exit_mode"),
            Extra("duree-hebdo", "weekly_hours", "number"),
            Extra("cycle-alternance", "alternance_cycle"),
            Extra("unite-entreprise", "company_unit", "number"),
            Extra("mail-de-liaison", "liaison_email"),
            Extra("nb-places-restantes", "places_remaining", "number"),
            Extra("effectif-minimal", "min_headcount", "number"),
            Extra("capacite-simultanee", "simultaneous_capacity", "number"),
        ),
        "session",
    ),
    # one block per période d'inscription, inside the sofi-session block, numbered by its code
    "periode-inscription": ExtrasBlock(
        f"{_SESSION}/extras[@info='periode-inscription']",
        (
            Extra("type", "pi_type"),
            Extra("debut", "pi_start", "date"),
            Extra("fin", "pi_end", "date"),
        ),
        "dans `sofi-session`, une par période, `@numero` = code SOFI",
    ),
}
# the SOFI role of a référent, kept in its contact-session
CONTACT_ROLE_BLOCK = ("sofi", "contact-session", "role")

LeafFormat = Literal["text", "code", "label", "number", "money", "date"]
Holder = Literal["formation", "action", "session", "recrutement"]


@dataclass(frozen=True)
class Leaf:
    """One LHEO element holding one value, written in ``fmt``: a catalogue field's (``key``)
    or a profile setting's (``setting``, under ``lheo``). The builder writes every leaf from
    this table; an empty value is omitted, unless the XSD requires the element (the pre-checks
    then name the cell). ``only_if`` names a profile flag (``lheo.*``) that must be true."""

    holder: Holder  # the LHEO element it is written in
    path: str  # relative to that element; intermediate elements are shared ("periode/debut")
    key: str = ""
    fmt: LeafFormat = "text"
    setting: str = ""
    only_if: str = ""


# where a holder sits, relative to <formation> (the paths the documentation gives)
HOLDER_PATHS: dict[Holder, str] = {
    "formation": "",
    "action": "action/",
    "session": "action/session/",
    "recrutement": _RECRUTEMENT + "/",
}

LEAVES: tuple[Leaf, ...] = (
    Leaf("formation", "intitule-formation", "title"),
    Leaf("formation", "objectif-formation", "objectives"),
    Leaf("formation", "resultats-attendus", "expected_results"),
    Leaf("formation", "contenu-formation", "programme_complement"),
    Leaf("formation", "certifiante", "certifinfo_reference", "code"),
    Leaf("formation", "parcours-de-formation", "pathway_type", "code"),
    Leaf("formation", "code-niveau-entree", "entry_level", "code"),
    Leaf("formation", "objectif-general-formation", "general_objective", "code"),
    Leaf("formation", "certification/code-CERTIFINFO", "certifinfo_code"),
    Leaf("formation", "code-niveau-sortie", "exit_level", "code", only_if="emit_exit_level"),
    Leaf("action", "niveau-entree-obligatoire", setting="niveau_entree_obligatoire"),
    Leaf("action", "modalites-enseignement", "delivery_mode", "code"),
    Leaf("action", "prise-en-charge-frais-possible", "fees_covered", "code"),
    Leaf("action", "modalites-entrees-sorties", "entry_exit_mode", "code"),
    Leaf("action", "url-action/urlweb", "action_url"),
    Leaf("action", "modalites-pedagogiques", "teaching_methods", "label"),
    Leaf("action", "frais-restants", "extra_fees", "money"),
    Leaf("action", "prix-total-TTC", "fee_incl_tax", "money", only_if="publish_prix_total_ttc"),
    Leaf("action", "duree-indicative", "duration_comment"),
    Leaf("action", "nombre-heures-centre", "centre_hours", "number"),
    Leaf("action", "nombre-heures-entreprise", "company_hours", "number"),
    Leaf(
        "action", "detail-conditions-prise-en-charge", setting="detail_conditions_prise_en_charge"
    ),
    Leaf("action", "conventionnement", setting="conventionnement"),
    Leaf("action", "organisme-financeur/code-financeur", setting="code_financeur"),
    Leaf("action", "organisme-financeur/nb-places-financees", "places", "number"),
    Leaf("session", "periode/debut", "start_date", "date"),
    Leaf("session", "periode/fin", "end_date", "date"),
    Leaf("session", "etat-recrutement", "recruitment_status", "code"),
    Leaf("recrutement", "urlweb", "ic_url"),
    Leaf("recrutement", "periode/debut", "ic_date", "date"),
    Leaf("recrutement", "periode/fin", "ic_date", "date"),
    Leaf("recrutement", "heure-debut", "ic_start_time"),
    Leaf("recrutement", "heure-fin", "ic_end_time"),
    Leaf("recrutement", "commentaire", "ic_comment"),
)

# fields the builder writes by hand, in elements with more than one value (or derived ones)
STRUCTURED: dict[str, tuple[str, ...]] = {
    "fas_code": ("@numero", "action/@numero", "action/session/@numero"),
    "formacodes": ("domaine-formation/code-FORMACODE",),
    "main_formacode": ("domaine-formation/code-FORMACODE[1]",),
    "delivery_site": ("action/organisme-formateur",),
    "equipment_type": ("action/equipement/type-equipement",),
    "equipment_cost": ("action/equipement/cout-indicatif-equipement",),
    "equipment_comment": ("action/equipement/commentaire",),
    "prerequisites": ("action/conditions-specifiques",),
    "prerequisites_comment": ("action/conditions-specifiques",),
    "target_public": ("action/info-public-vise",),
    "site": ("action/lieu-de-formation", "action/session/adresse-inscription/adresse"),
    "rhythm": ("action/rythme-formation",),
    "training_periods": ("action/code-modalite-pedagogique",),
    "teaching_methods": ("action/code-modalite-pedagogique",),
    "centre_hours": ("action/nombre-heures-total",),
    "company_hours": ("action/nombre-heures-total",),
    "weekly_hours": ("action/rythme-formation",),
    "responsible_org": ("organisme-formation-responsable", "contact-formation"),
    "recruitment_methods": ("action/session/recrutement/modalite-recrutement",),
    "pmr_contact": (_CONTACT.format("referent-pmr"),),
    "prf_contact": (_CONTACT.format("referent-prf"),),
    "mobility_contact": (_CONTACT.format("referent-mobilite"),),
    "publics": ("action/code-public-vise",),
    "ic_code": (_RECRUTEMENT + "/@numero",),
    "ic_site": (_RECRUTEMENT + "/adresse",),
    "ic_remote": (_RECRUTEMENT + "/a-distance",),
    "pi_code": (EXTRAS["periode-inscription"].path + "/@numero",),
    "pi_start": ("action/session/periode-inscription/periode/debut",),
    "pi_end": ("action/session/periode-inscription/periode/fin",),
}


def _elements() -> dict[str, tuple[str, ...]]:
    """Every standard LHEO element a field fills: its leaves, then what is built by hand."""
    found: dict[str, tuple[str, ...]] = {}
    for leaf in LEAVES:
        if leaf.key:
            found[leaf.key] = (*found.get(leaf.key, ()), HOLDER_PATHS[leaf.holder] + leaf.path)
    for key, places in STRUCTURED.items():
        found[key] = (*found.get(key, ()), *places)
    return found


ELEMENTS: dict[str, tuple[str, ...]] = _elements()
# where a field's values are gathered from every action of a formation, once each: a summary
# that does not make actions with different values part of different formations
GATHERED: dict[str, tuple[str, ...]] = {"action_url": ("url-formation/urlweb",)}

NOT_EXPORTED: dict[str, str] = {
    "ic_session": "Rattachement de la ligne à sa session : ce n'est pas une donnée de l'offre. "
    "L'information collective est émise à l'intérieur de la session dont elle porte "
    "la référence (élément recrutement).",
    "pi_session": "Rattachement de la ligne à sa session : ce n'est pas une donnée de l'offre. "
    "La période est émise à l'intérieur de la session dont elle porte la référence.",
}

# field key -> SOFI role kept in contact-session extras, and the profile setting of its type
REFERENT_ROLES: dict[str, tuple[str, str]] = {
    "pmr_contact": ("referent-pmr", "pmr_contact_type"),
    "mobility_contact": ("referent-mobilite", "mobility_contact_type"),
    "prf_contact": ("referent-prf", "prf_contact_type"),
}

# how the documentation says it, when the paths alone would not (README, Aide sheet)
_DOCS: dict[str, str] = {
    "fas_code": "formation/@numero (F), action/@numero (A), action/session/@numero (S)",
    "teaching_methods": "action/modalites-pedagogiques + action/code-modalite-pedagogique "
    "(FOAD : Formacode 96129)",
    "main_formacode": "formation/domaine-formation/code-FORMACODE[1]",
    "prerequisites_comment": "action/conditions-specifiques (à la suite des pré-requis)",
    "target_public": "action/info-public-vise (250 car.) + "
    "action/extras[@info='sofi-action']/extra[@info='public-vise']",
    "site": "action/lieu-de-formation",
    "centre_hours": "action/nombre-heures-centre",
    "company_hours": "action/nombre-heures-entreprise",
    "weekly_hours": "action/session/extras[@info='sofi-session']/extra[@info='duree-hebdo']",
    "responsible_org": "formation/organisme-formation-responsable",
    "pmr_contact": "action/session/contact-session (type-contact du profil, rôle referent-pmr)",
    "prf_contact": "action/session/contact-session (type-contact du profil, rôle referent-prf)",
    "mobility_contact": "action/session/contact-session (type-contact du profil, rôle "
    "referent-mobilite)",
    "dispositif": _FUNDER.format("specificites") + "/extra[@info='programme-financeur']",
    "cr_action_id": _FUNDER.format("sofi-dispositif") + "/extra[@info='id-action-cr']",
    "ic_code": "action/session/recrutement/@numero",
    "ic_date": "action/session/recrutement/periode/debut (= fin)",
    "ic_start_time": "action/session/recrutement/heure-debut",
    "ic_end_time": "action/session/recrutement/heure-fin",
    "ic_site": "action/session/recrutement/adresse",
    "ic_remote": "action/session/recrutement/a-distance",
    "ic_url": "action/session/recrutement/urlweb",
    "ic_comment": "action/session/recrutement/commentaire",
    "pi_start": "action/session/periode-inscription/periode/debut",
    "pi_end": "action/session/periode-inscription/periode/fin",
}
_NOT_EXPORTED_DOCS: dict[str, str] = {
    "ic_session": "rattache la ligne à sa session (l'information collective est émise dans cette "
    "session)",
    "pi_session": "rattache la ligne à sa session (la période est émise dans cette session)",
}


def lheo_level(key: str) -> str:
    """The highest LHEO level a field's value lands at: formation, action or session.

    Sessions share an LHEO ``action`` (and actions a ``formation``) only when they agree on
    every field of that level: the builder groups by these."""
    places = paths(key, gathered=False)
    if any(not p.startswith("action") for p in places):
        return "formation"
    if any(not p.startswith("action/session") for p in places):
        return "action"
    return "session"


def extras_of(key: str) -> list[tuple[ExtrasBlock, Extra]]:
    return [
        (block, extra) for block in EXTRAS.values() for extra in block.extras if extra.key == key
    ]


def paths(key: str, *, gathered: bool = True) -> tuple[str, ...]:
    """Every place a field's value lands, relative to <formation>."""
    extras = tuple(block.path_of(extra) for block, extra in extras_of(key))
    return ELEMENTS.get(key, ()) + (GATHERED.get(key, ()) if gathered else ()) + extras


EXPORTED_FIELDS: dict[str, tuple[str, ...]] = {f.key: paths(f.key) for f in FIELDS if paths(f.key)}

# the values one LHEO formation, and one LHEO action, hold once (the FAS code's parts are
# the identity itself, not a value to agree on)
FORMATION_LEVEL: tuple[str, ...] = tuple(
    k for k in EXPORTED_FIELDS if k != "fas_code" and lheo_level(k) == "formation"
)
ACTION_LEVEL: tuple[str, ...] = tuple(
    k for k in EXPORTED_FIELDS if k != "fas_code" and lheo_level(k) == "action"
)


def _shown(path: str) -> str:
    return path if path.startswith("action") else f"formation/{path}"


def lheo_doc(key: str) -> str:
    """Where a field lands, as the README and the Aide sheet say it."""
    if key in NOT_EXPORTED:
        return f"non exporté : {_NOT_EXPORTED_DOCS[key]}"
    if key in _DOCS:
        return _DOCS[key]
    return " + ".join(dict.fromkeys(_shown(p) for p in paths(key)))
