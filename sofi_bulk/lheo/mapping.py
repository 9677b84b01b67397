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
                note="`creation` ou `modification`, d'après le code FAS",
            ),
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

ELEMENTS: dict[str, tuple[str, ...]] = {
    "fas_code": ("@numero", "action/@numero", "action/session/@numero"),
    "title": ("intitule-formation",),
    "general_objective": ("objectif-general-formation",),
    "exit_level": ("code-niveau-sortie",),
    "formacodes": ("domaine-formation/code-FORMACODE",),
    "main_formacode": ("domaine-formation/code-FORMACODE[1]",),
    "certifinfo_reference": ("certifiante",),
    "certifinfo_code": ("certification/code-CERTIFINFO",),
    "delivery_site": ("action/organisme-formateur",),
    "programme_complement": ("contenu-formation",),
    "objectives": ("objectif-formation",),
    "expected_results": ("resultats-attendus",),
    "action_url": ("action/url-action/urlweb",),
    "equipment_type": ("action/equipement/type-equipement",),
    "equipment_cost": ("action/equipement/cout-indicatif-equipement",),
    "equipment_comment": ("action/equipement/commentaire",),
    "entry_level": ("code-niveau-entree",),
    "prerequisites": ("action/conditions-specifiques",),
    "prerequisites_comment": ("action/conditions-specifiques",),
    "target_public": ("action/info-public-vise",),
    "site": ("action/lieu-de-formation", "action/session/adresse-inscription/adresse"),
    "start_date": ("action/session/periode/debut",),
    "end_date": ("action/session/periode/fin",),
    "entry_exit_mode": ("action/modalites-entrees-sorties",),
    "rhythm": ("action/rythme-formation",),
    "training_periods": ("action/code-modalite-pedagogique",),
    "pathway_type": ("parcours-de-formation",),
    "teaching_methods": ("action/modalites-pedagogiques", "action/code-modalite-pedagogique"),
    "delivery_mode": ("action/modalites-enseignement",),
    "centre_hours": ("action/nombre-heures-centre", "action/nombre-heures-total"),
    "company_hours": ("action/nombre-heures-entreprise", "action/nombre-heures-total"),
    "duration_comment": ("action/duree-indicative",),
    "weekly_hours": ("action/rythme-formation",),
    "responsible_org": ("organisme-formation-responsable", "contact-formation"),
    "recruitment_status": ("action/session/etat-recrutement",),
    "recruitment_methods": ("action/session/recrutement/modalite-recrutement",),
    "pmr_contact": (_CONTACT.format("referent-pmr"),),
    "prf_contact": (_CONTACT.format("referent-prf"),),
    "mobility_contact": (_CONTACT.format("referent-mobilite"),),
    "publics": ("action/code-public-vise",),
    "places": ("action/organisme-financeur/nb-places-financees",),
    "fee_incl_tax": ("action/prix-total-TTC",),
    "extra_fees": ("action/frais-restants",),
    "fees_covered": ("action/prise-en-charge-frais-possible",),
    "ic_code": (_RECRUTEMENT + "/@numero",),
    "ic_date": (_RECRUTEMENT + "/periode/debut", _RECRUTEMENT + "/periode/fin"),
    "ic_start_time": (_RECRUTEMENT + "/heure-debut",),
    "ic_end_time": (_RECRUTEMENT + "/heure-fin",),
    "ic_site": (_RECRUTEMENT + "/adresse",),
    "ic_remote": (_RECRUTEMENT + "/a-distance",),
    "ic_url": (_RECRUTEMENT + "/urlweb",),
    "ic_comment": (_RECRUTEMENT + "/commentaire",),
    "pi_code": (EXTRAS["periode-inscription"].path + "/@numero",),
    "pi_start": ("action/session/periode-inscription/periode/debut",),
    "pi_end": ("action/session/periode-inscription/periode/fin",),
}

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
    places = paths(key)
    if any(not p.startswith("action") for p in places):
        return "formation"
    if any(not p.startswith("action/session") for p in places):
        return "action"
    return "session"


def extras_of(key: str) -> list[tuple[ExtrasBlock, Extra]]:
    return [
        (block, extra) for block in EXTRAS.values() for extra in block.extras if extra.key == key
    ]


def paths(key: str) -> tuple[str, ...]:
    """Every place a field's value lands, relative to <formation>."""
    return ELEMENTS.get(key, ()) + tuple(block.path_of(extra) for block, extra in extras_of(key))


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
