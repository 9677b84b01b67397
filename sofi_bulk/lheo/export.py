"""LHEO 2.3 export: a submission (the JSON data) becomes one LHEO document, checked first.

SOFI holds many values at a lower level than LHEO (docs/lheo.md, §1 of the mapping note),
so each SOFI session becomes one LHEO ``action`` (always lossless and valid), and the
sessions of one SOFI action that share LHEO's formation-level values (mandataire, type de
parcours) become one LHEO ``formation``. Every emitted element remembers the workbook cell
(or the JSON path) it came from, so a refusal, by the pre-checks derived from the official
XSD or by the XSD itself, names the cell to fix instead of an XML path.

The output depends on the submission's offer data and the profile only, never on the clock
or on ``header.generated_at``: a workbook and its JSON export give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from lxml import etree

from sofi_bulk.codes import TABLES
from sofi_bulk.errors import UserError
from sofi_bulk.fields import BY_KEY, Kind
from sofi_bulk.profile import Profile
from sofi_bulk.referentiel import TABLES as REF_TABLES
from sofi_bulk.resources import lheo_xsd, submission_schema
from sofi_bulk.safety import write_bytes_atomic
from sofi_bulk.submission import SessionSource

NS = "http://lheo.gouv.fr/2.3"
MAX_JSON_BYTES = 200 * 1024 * 1024
XS = "{http://www.w3.org/2001/XMLSchema}"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
PUBLIC_VISE_MAX = 250  # info-public-vise maxLength in the XSD
ACCUEIL_CONTACT_TYPE = "4"  # dict-type-contact "Accueil", for the required contact-formation
INFO_COLLECTIVE = "9"  # dict-modalite-recrutement "information collective"
UNKNOWN_END = "99999999"  # LHEO: end date not known

# --- where every catalogue field lands (paths relative to an LHEO <formation>) ----------------
_XA = "action/extras[@info='sofi-action']/extra[@info='{}']"
_XS = "action/session/extras[@info='sofi-session']/extra[@info='{}']"
_XD = "action/organisme-financeur/extras[@info='sofi-dispositif']/extra[@info='{}']"
_XF = "action/extras[@info='frais-pedagogiques']/extra[@info='{}']"
_XSPEC = "action/organisme-financeur/extras[@info='specificites']/extra[@info='{}']"
_XP = "action/session/extras[@info='sofi-session']/extras[@info='periode-inscription']"
_REC = f"action/session/recrutement[modalite-recrutement='{INFO_COLLECTIVE}']"
_CONTACT = "action/session/contact-session[extras[@info='sofi']/extra[@info='role']='{}']"

EXPORTED_FIELDS: dict[str, tuple[str, ...]] = {
    "session_ref": (_XS.format("reference"),),
    "fas_code": ("@numero", "action/@numero", "action/session/@numero", _XS.format("code-fas")),
    "lot": (_XD.format("numero-lot-cr"),),
    "title": ("intitule-formation",),
    "general_objective": ("objectif-general-formation",),
    "exit_level": ("code-niveau-sortie",),
    "formacodes": ("domaine-formation/code-FORMACODE",),
    "main_formacode": ("domaine-formation/code-FORMACODE[1]",),
    "certifinfo_reference": ("certifiante",),
    "certifinfo_code": ("certification/code-CERTIFINFO",),
    "delivery_site": ("action/organisme-formateur",),
    "title_complement": (_XA.format("complement-intitule"),),
    "programme_complement": ("contenu-formation",),
    "objectives": ("objectif-formation",),
    "expected_results": ("resultats-attendus",),
    "highlight": (_XA.format("le-plus-formation"),),
    "video_url": (_XA.format("url-video"),),
    "pdf_url": (_XA.format("url-pdf"),),
    "action_url": ("action/url-action/urlweb",),
    "equipment_type": ("action/equipement/type-equipement",),
    "equipment_cost": ("action/equipement/cout-indicatif-equipement",),
    "equipment_comment": ("action/equipement/commentaire",),
    "entry_level": ("code-niveau-entree",),
    "prerequisites": ("action/conditions-specifiques",),
    "prerequisites_comment": ("action/conditions-specifiques",),
    "target_public": ("action/info-public-vise", _XA.format("public-vise")),
    "site": ("action/lieu-de-formation", "action/session/adresse-inscription/adresse"),
    "start_date": ("action/session/periode/debut",),
    "end_date": ("action/session/periode/fin",),
    "entry_exit_mode": ("action/modalites-entrees-sorties", _XS.format("esp")),
    "rhythm": ("action/rythme-formation",),
    "training_periods": ("action/code-modalite-pedagogique",),
    "pathway_type": ("parcours-de-formation",),
    "teaching_methods": ("action/modalites-pedagogiques",),
    "delivery_mode": ("action/modalites-enseignement",),
    "centre_hours": ("action/nombre-heures-centre", "action/nombre-heures-total"),
    "company_hours": ("action/nombre-heures-entreprise", "action/nombre-heures-total"),
    "duration_comment": ("action/duree-indicative",),
    "weekly_hours": (_XS.format("duree-hebdo"), "action/rythme-formation"),
    "alternance_cycle": (_XS.format("cycle-alternance"),),
    "company_unit": (_XS.format("unite-entreprise"),),
    "responsible_org": ("organisme-formation-responsable", "contact-formation"),
    "recruitment_status": ("action/session/etat-recrutement",),
    "recruitment_methods": ("action/session/recrutement/modalite-recrutement",),
    "pmr_contact": (_CONTACT.format("referent-pmr"),),
    "prf_contact": (_CONTACT.format("referent-prf"),),
    "liaison_email": (_XS.format("mail-de-liaison"),),
    "mobility_contact": (_CONTACT.format("referent-mobilite"),),
    "dispositif": (_XSPEC.format("programme-financeur"), _XD.format("libelle-dispositif")),
    "publics": ("action/code-public-vise",),
    "cr_action_id": (_XD.format("id-action-cr"), _XSPEC.format("ref-action-marche-financeur")),
    "cr_mandataire_id": (_XD.format("of-mandataire-cr"),),
    "places": ("action/organisme-financeur/nb-places-financees",),
    "places_remaining": (_XS.format("nb-places-restantes"),),
    "min_headcount": (_XS.format("effectif-minimal"),),
    "simultaneous_capacity": (_XS.format("capacite-simultanee"),),
    "fee_excl_tax": (_XF.format("frais-ht"),),
    "vat_rate": (_XF.format("taux-tva"),),
    "fee_incl_tax": ("action/prix-total-TTC", _XF.format("frais-ttc")),
    "extra_fees": ("action/frais-restants",),
    "certification_fees": (_XF.format("frais-certification-inclus"),),
    "fees_covered": ("action/prise-en-charge-frais-possible",),
    "ic_code": (_REC + "/@numero",),
    "ic_date": (_REC + "/periode/debut", _REC + "/periode/fin"),
    "ic_start_time": (_REC + "/heure-debut",),
    "ic_end_time": (_REC + "/heure-fin",),
    "ic_site": (_REC + "/adresse",),
    "ic_comment": (_REC + "/commentaire",),
    "pi_code": (_XP + "/@numero",),
    "pi_type": (_XP + "/extra[@info='type']",),
    "pi_start": ("action/session/periode-inscription/periode/debut", _XP + "/extra[@info='debut']"),
    "pi_end": ("action/session/periode-inscription/periode/fin", _XP + "/extra[@info='fin']"),
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
_REF_TABLE_OF_KIND = {Kind.SITE: "sites", Kind.CONTACT: "contacts", Kind.ORGANISME: "organismes"}
_REF_COLUMN = {table: {col.attr: col.name for col in cols} for table, (_, cols) in REF_TABLES.items()}
_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_HOUR = re.compile(r"^([01]?\d|2[0-3])h([0-5]\d)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MOBILE = re.compile(r"^(?:0|\+33\s?|0033\s?)[67]")


class LheoError(UserError):
    """The LHEO document was refused before writing; ``problems`` say where, in French."""

    def __init__(self, problems: list[str], intro: str = "Export LHEO 2.3 refusé") -> None:
        self.problems = list(dict.fromkeys(problems))  # de-duplicated, order kept
        n = len(self.problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"{intro} : {n} problème{'s' if n > 1 else ''}, rien n'a été écrit.\n{lines}")


# --- the XSD as data: element types, for ordering and for the pre-checks -------------------------
@dataclass(frozen=True)
class _Simple:
    base: str
    min_length: int | None = None
    max_length: int | None = None
    enumeration: tuple[str, ...] = ()
    pattern: str | None = None


@dataclass(frozen=True)
class _XsdModel:
    simple: dict[str, _Simple]
    sequence: dict[str, tuple[tuple[str, int, float], ...]]  # element -> (child, min, max)

    def order(self, parent: str) -> dict[str, int]:
        return {child: i for i, (child, _, _) in enumerate(self.sequence.get(parent, ()))}


@cache
def _xsd_model() -> _XsdModel:
    """Read element types from the XSD (every element X has type X-type built on X-subtype)."""
    root = etree.parse(str(lheo_xsd())).getroot()
    complex_types = {c.get("name"): c for c in root.findall(f"{XS}complexType")}
    simple_types = {s.get("name"): s for s in root.findall(f"{XS}simpleType")}
    simple: dict[str, _Simple] = {}
    sequence: dict[str, tuple[tuple[str, int, float], ...]] = {}
    for decl in root.findall(f"{XS}element"):
        name = decl.get("name")
        sub = f"{name}-subtype"
        if sub in simple_types:
            restriction = simple_types[sub].find(f"{XS}restriction")
            facets: dict[str, Any] = {"enumeration": []}
            for facet in restriction:
                kind, value = facet.tag.replace(XS, ""), facet.get("value")
                if kind == "enumeration":
                    facets["enumeration"].append(value)
                elif kind == "length":
                    facets["min_length"] = facets["max_length"] = int(value)
                elif kind in ("minLength", "maxLength"):
                    facets["min_length" if kind == "minLength" else "max_length"] = int(value)
                elif kind == "pattern":
                    facets["pattern"] = value
            simple[name] = _Simple(restriction.get("base"), facets.get("min_length"), facets.get("max_length"),
                                   tuple(facets["enumeration"]), facets.get("pattern"))
        elif sub in complex_types and (seq := complex_types[sub].find(f"{XS}sequence")) is not None:
            sequence[name] = tuple(
                (child.get("ref").split(":")[-1], int(child.get("minOccurs", "1")),
                 float("inf") if child.get("maxOccurs") == "unbounded" else int(child.get("maxOccurs", "1")))
                for child in seq)
    return _XsdModel(simple, sequence)


@cache
def _xml_schema() -> etree.XMLSchema:
    """The official XSD, parsed once per process."""
    return etree.XMLSchema(etree.parse(str(lheo_xsd())))


# --- where an element came from -----------------------------------------------------------------
@dataclass(frozen=True)
class Origin:
    """The source of an element: a field of a session (row), of one of its child rows, of a
    référentiel object it references (``attr``), or a profile setting."""

    session: int
    key: str | None = None
    child: int | None = None  # row index in the session's informations collectives / périodes
    item: int | None = None  # index in a multi-valued field (publics, formacodes...)
    attr: str | None = None  # attribute of the referenced site / contact / organisme
    setting: str | None = None  # profile setting (lheo.*), when the value comes from the profile


class _Locator:
    """Turns an Origin into « Sessions!AC5 (Date début) » or a JSON path, and fetches values."""

    def __init__(self, data: dict[str, Any], sources: list[SessionSource] | None, profile: Profile) -> None:
        self.data = data
        self.sources = sources
        self.profile = profile
        self.index: list[tuple[int, int, int]] = [
            (f, a, s)
            for f, formation in enumerate(data["formations"])
            for a, action in enumerate(formation["actions"])
            for s, _ in enumerate(action["sessions"])
        ]
        if sources is not None and len(sources) != len(self.index):
            raise ValueError(f"{len(sources)} sources for {len(self.index)} sessions")

    def json_path(self, o: Origin) -> str:
        f, a, s = self.index[o.session]
        fld = BY_KEY[o.key]
        group = fld.group
        path = f"formations[{f}]"
        if group != "formation":
            path += f".actions[{a}]"
        if group not in ("formation", "action"):
            path += f".sessions[{s}]"
        if group in ("dispositif", "referents"):
            path += f".{group}"
        elif group == "information_collective":
            path += f".informations_collectives[{o.child}]"
        elif group == "periode_inscription":
            path += f".periodes_inscription[{o.child}]"
        path += f".{o.key}"
        if o.item is not None:
            path += f"[{o.item}]"
        if o.attr:
            path += f".{o.attr}"
        return path

    def where(self, o: Origin) -> str:
        if o.setting is not None:
            return f"Profil de programme « {self.profile.id} », réglage {o.setting}"
        fld = BY_KEY[o.key]
        if self.sources is None:
            return f"{self.json_path(o)} ({fld.header})"
        src = self.sources[o.session]
        if o.child is not None:
            rows = src.infos if fld.group == "information_collective" else src.periodes
            sheet, row, cells = rows[o.child]
        else:
            sheet, row, cells = src.sheet, src.row, src.cells
        quoted = sheet if re.fullmatch(r"\w+", sheet) else f"'{sheet}'"
        cell = cells.get(o.key)
        return f"{quoted}!{cell} ({fld.header})" if cell else f"{quoted}, ligne {row} ({fld.header})"

    def session(self, i: int) -> dict[str, Any]:
        f, a, s = self.index[i]
        return self.data["formations"][f]["actions"][a]["sessions"][s]

    def referenced(self, o: Origin) -> tuple[str, dict[str, Any]] | None:
        """The référentiel table and object behind a site / contact / organisme field."""
        fld = BY_KEY[o.key] if o.key else None
        if fld is None or fld.kind not in _REF_TABLE_OF_KIND:
            return None
        session = self.session(o.session)
        if fld.group == "information_collective":
            holder = session.get("informations_collectives", [])[o.child or 0]
        elif fld.group == "referents":
            holder = session.get("referents", {})
        elif fld.group == "action":
            holder = self._action(o.session)
        else:
            holder = session
        obj = holder.get(o.key)
        return (_REF_TABLE_OF_KIND[fld.kind], obj) if isinstance(obj, dict) else None

    def _action(self, i: int) -> dict[str, Any]:
        f, a, _ = self.index[i]
        return self.data["formations"][f]["actions"][a]

    def describe(self, o: Origin, message: str) -> str:
        """The full French problem line for a value coming from ``o``."""
        where = self.where(o)
        ref = self.referenced(o) if o.attr else None
        if ref is None:
            return f"{where} : {message}"
        table, obj = ref
        ident = obj.get("siret") if table == "organismes" else obj.get("code") if table == "sites" else obj.get("id")
        name = str(obj.get("nom") or obj.get("libelle") or "")
        name = name if len(name) <= 60 else name[:60] + "…"
        column = _REF_COLUMN[table].get(o.attr, o.attr)
        return (f"{where} : valeur venue du référentiel (table « {table} », {_REF_NOUN[table]} {ident}"
                f"{' – ' + name if name else ''}, colonne « {column} ») : {message} Corrigez-la dans le "
                "référentiel, puis relancez avec --referentiel ou régénérez le modèle de saisie.")


_REF_NOUN = {"organismes": "organisme", "sites": "site", "contacts": "contact"}


# --- value helpers ------------------------------------------------------------------------------
def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _maybe(value: Any, fmt: Callable[[Any], str]) -> str | None:
    """``fmt(value)``, or None (element omitted) when the value is empty."""
    return None if _blank(value) else fmt(value)


def _lheo_date(value: str) -> str:
    """ISO 2025-02-10 -> LHEO 20250210 (anything else is left for the pre-checks to refuse)."""
    m = _ISO_DATE.match(str(value))
    return f"{m[1]}{m[2]}{m[3]}" if m else str(value)


def _number(value: Any) -> str:
    """Machine form of a number: 35, 17.5 (no trailing .0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _money(value: Any) -> str:
    return f"{float(value):.2f}" if isinstance(value, int | float) else str(value)


def _french_number(value: Any) -> str:
    return _number(value).replace(".", ",")


def _code(key: str, value: Any) -> str:
    """The LHEO code of a coded field's value (SOFI-only codes carry their LHEO code)."""
    table = TABLES[BY_KEY[key].table]
    try:
        return table.option(str(value)).lheo_code
    except KeyError:
        return str(value)  # unknown code: the pre-checks will name it


def _label(key: str, value: Any) -> str:
    table = TABLES[BY_KEY[key].table]
    try:
        return table.option(str(value)).label
    except KeyError:
        return str(value)


def shorten(text: str, limit: int = PUBLIC_VISE_MAX) -> str:
    """Fit ``text`` in ``limit`` characters, cut at a word boundary and ended with « … »."""
    if len(text) <= limit:
        return text
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–") + "…"


def _address_lines(text: str) -> list[str]:
    """An address in LHEO lines of 50 characters at most, cut at word boundaries."""
    lines: list[str] = []
    for part in str(text).splitlines():
        if part.strip():
            lines.extend(textwrap.wrap(part.strip(), 50, break_long_words=False, break_on_hyphens=False))
    return lines


def _fas_parts(session: dict[str, Any]) -> list[str] | None:
    fas = session.get("fas_code")
    parts = str(fas).split("-") if fas else []
    return parts if len(parts) == 3 else None


# --- building the tree --------------------------------------------------------------------------
class _Builder:
    """Builds the LHEO tree and records the Origin of every element it creates."""

    def __init__(self, data: dict[str, Any], profile: Profile, locator: _Locator) -> None:
        self.data = data
        self.profile = profile
        self.loc = locator
        self.origins: dict[etree._Element, Origin] = {}
        self.problems: list[str] = []
        self.raison_sociale: dict[str, str] = {}
        for i in range(len(locator.index)):
            org = locator.session(i).get("responsible_org") or {}
            if org.get("siret") and org.get("raison_sociale"):
                self.raison_sociale.setdefault(org["siret"], org["raison_sociale"])

    # -- primitives --
    def el(self, parent: etree._Element, name: str, text: Any = None, origin: Origin | None = None,
           **attrs: Any) -> etree._Element:
        node = etree.SubElement(parent, f"{{{NS}}}{name}")
        for attr, value in attrs.items():
            if not _blank(value):
                node.set(attr.replace("_", "-"), self.clean(str(value), origin))
        if text is not None:
            node.text = self.clean(str(text), origin)
        if origin is not None:
            self.origins[node] = origin
        return node

    def leaf(self, parent: etree._Element, name: str, value: Any, origin: Origin | None = None,
             **attrs: Any) -> etree._Element | None:
        """An element with text, omitted when the value is empty."""
        if _blank(value):
            return None
        return self.el(parent, name, value, origin, **attrs)

    def clean(self, text: str, origin: Origin | None) -> str:
        """Refuse characters XML 1.0 cannot carry (control characters pasted from elsewhere)."""
        bad = _BAD_XML_CHARS.search(text)
        if bad is None:
            return text
        message = (f"caractère invisible interdit en XML (U+{ord(bad.group()):04X}) : supprimez-le "
                   "(retapez le texte ou collez-le sans mise en forme).")
        self.problems.append(self.loc.describe(origin, message) if origin else message)
        return _BAD_XML_CHARS.sub("", text)

    def extras(self, parent: etree._Element, info: str, items: list[tuple[str, Any, Origin]],
               **attrs: Any) -> etree._Element | None:
        """``<extras info=…>`` with one ``<extra info=…>`` per non-empty value; None if all empty."""
        items = [(k, v, o) for k, v, o in items if not _blank(v)]
        if not items:
            return None
        box = self.el(parent, "extras", info=info, **attrs)
        for key, value, origin in items:
            self.el(box, "extra", value, origin, info=key)
        return box

    def problem(self, origin: Origin, message: str) -> None:
        self.problems.append(self.loc.describe(origin, message))

    # -- document --
    def document(self) -> etree._Element:
        root = etree.Element(f"{{{NS}}}lheo", nsmap={None: NS})
        offres = self.el(root, "offres")
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i, (f, a, _) in enumerate(self.loc.index):
            session = self.loc.session(i)
            org = session.get("responsible_org") or {}
            groups.setdefault((f, a, org.get("siret"), session.get("pathway_type")), []).append(i)
        for (f, a, _, _), members in groups.items():
            self.formation(offres, self.data["formations"][f], self.data["formations"][f]["actions"][a], members)
        return root

    def formation(self, parent: etree._Element, formation: dict[str, Any], action: dict[str, Any],
                  members: list[int]) -> None:
        first = members[0]
        first_session = self.loc.session(first)

        def o(key: str, **kw: Any) -> Origin:
            return Origin(first, key, **kw)

        f_numbers = {p[0] for i in members if (p := _fas_parts(self.loc.session(i)))}
        node = self.el(parent, "formation", numero=f_numbers.pop() if len(f_numbers) == 1 else None)
        domaine = self.el(node, "domaine-formation")
        main = formation.get("main_formacode")
        ref = self.profile.lheo.formacode_ref
        if not _blank(main):
            self.el(domaine, "code-FORMACODE", main, o("main_formacode"), ref=ref)
        for k, code in enumerate(formation.get("formacodes") or []):
            if code != main:
                self.el(domaine, "code-FORMACODE", code, o("formacodes", item=k), ref=ref)
        self.el(node, "intitule-formation", formation.get("title"), o("title"))
        self.el(node, "objectif-formation", action.get("objectives"), o("objectives"))
        self.el(node, "resultats-attendus", action.get("expected_results"), o("expected_results"))
        self.el(node, "contenu-formation", action.get("programme_complement"), o("programme_complement"))
        self.el(node, "certifiante", _code("certifinfo_reference", formation.get("certifinfo_reference")),
                o("certifinfo_reference"))
        org = first_session.get("responsible_org") or {}
        contact = self.el(node, "contact-formation")
        self.el(contact, "type-contact", ACCUEIL_CONTACT_TYPE)
        self.coordonnees_contact(contact, org, o("responsible_org"))
        self.el(node, "parcours-de-formation", _code("pathway_type", first_session.get("pathway_type")),
                o("pathway_type"))
        self.el(node, "code-niveau-entree", _code("entry_level", action.get("entry_level")), o("entry_level"))
        if not _blank(formation.get("general_objective")):
            self.el(node, "objectif-general-formation", _code("general_objective", formation["general_objective"]),
                    o("general_objective"))
        if not _blank(formation.get("certifinfo_code")):
            cert = self.el(node, "certification")
            self.el(cert, "code-CERTIFINFO", formation["certifinfo_code"], o("certifinfo_code"))
        if self.profile.lheo.emit_exit_level and not _blank(formation.get("exit_level")):
            self.el(node, "code-niveau-sortie", _code("exit_level", formation["exit_level"]), o("exit_level"))
        for i in members:
            self.action(node, formation, action, i)
        self.responsible(node, org, o("responsible_org"))

    def responsible(self, parent: etree._Element, org: dict[str, Any], origin: Origin) -> None:
        node = self.el(parent, "organisme-formation-responsable")
        nda = org.get("numero_activite")
        if _blank(nda):
            self.problem(_with(origin, attr="numero_activite"),
                         "numéro de déclaration d'activité (NDA) absent ; LHEO l'exige (11 caractères).")
        else:
            self.el(node, "numero-activite", nda, _with(origin, attr="numero_activite"))
        siret = self.el(node, "SIRET-organisme-formation")
        self.el(siret, "SIRET", org.get("siret", ""), _with(origin, attr="siret"))
        self.el(node, "nom-organisme", org.get("nom", ""), _with(origin, attr="nom"))
        self.el(node, "raison-sociale", org.get("raison_sociale", ""), _with(origin, attr="raison_sociale"))
        box = self.el(node, "coordonnees-organisme")
        coordonnees = self.el(box, "coordonnees")
        self.address(coordonnees, org, origin, required=False)
        self.phone_email(coordonnees, org, origin)
        contact = self.el(node, "contact-organisme")
        self.phone_email(self.el(contact, "coordonnees"), org, origin)

    def coordonnees_contact(self, parent: etree._Element, obj: dict[str, Any], origin: Origin) -> None:
        coordonnees = self.el(parent, "coordonnees")
        self.phone_email(coordonnees, obj, origin)

    def phone_email(self, coordonnees: etree._Element, obj: dict[str, Any], origin: Origin) -> None:
        phone = obj.get("telephone")
        if not _blank(phone):
            box = self.el(coordonnees, "portable" if _MOBILE.match(str(phone)) else "telfixe")
            self.el(box, "numtel", phone, _with(origin, attr="telephone"))
        self.leaf(coordonnees, "courriel", obj.get("email"), _with(origin, attr="email"))

    def address(self, parent: etree._Element, obj: dict[str, Any], origin: Origin, *, required: bool,
                denomination: str | None = None, numero: str | None = None) -> None:
        """An LHEO adresse from a référentiel object; a missing part is a référentiel problem."""
        parts = {"adresse": obj.get("adresse"), "code_postal": obj.get("code_postal"), "ville": obj.get("ville")}
        missing = [k for k, v in parts.items() if _blank(v)]
        if len(missing) == 3 and not required:
            return
        if missing:
            names = ", ".join(f"« {_REF_COLUMN[self._table(origin)].get(k, k)} »" for k in missing)
            need = "LHEO exige une adresse complète ici" if required else "une adresse partielle n'est pas admise par LHEO"
            self.problem(_with(origin, attr=missing[0]), f"adresse incomplète ({names} vide) ; {need}.")
            return
        node = self.el(parent, "adresse", numero=numero)
        self.leaf(node, "denomination", denomination, _with(origin, attr="libelle" if "libelle" in obj else "nom"))
        for line in _address_lines(parts["adresse"]) or [""]:
            self.el(node, "ligne", line, _with(origin, attr="adresse"))
        self.el(node, "codepostal", parts["code_postal"], _with(origin, attr="code_postal"))
        self.el(node, "ville", parts["ville"], _with(origin, attr="ville"))

    def _table(self, origin: Origin) -> str:
        return _REF_TABLE_OF_KIND[BY_KEY[origin.key].kind]

    # -- action (one per SOFI session) --
    def action(self, parent: etree._Element, formation: dict[str, Any], action: dict[str, Any], i: int) -> None:
        session = self.loc.session(i)
        dispositif = session.get("dispositif") or {}

        def o(key: str, **kw: Any) -> Origin:
            return Origin(i, key, **kw)

        fas = _fas_parts(session)
        node = self.el(parent, "action", numero=fas[1] if fas else None)
        self.el(node, "rythme-formation", self.rhythm(session), o("rhythm"))
        for k, code in enumerate(dispositif.get("publics") or []):
            self.el(node, "code-public-vise", code, o("publics", item=k), ref=self.profile.lheo.formacode_ref)
        public = action.get("target_public")
        if not _blank(public):
            self.el(node, "info-public-vise", shorten(public), o("target_public"))
        lheo = self.profile.lheo
        self.el(node, "niveau-entree-obligatoire", lheo.niveau_entree_obligatoire,
                Origin(i, setting="lheo.niveau_entree_obligatoire"))
        self.el(node, "modalites-alternance", self.alternance(session, i),
                Origin(i, setting="lheo.modalites_alternance"))
        self.el(node, "modalites-enseignement", _code("delivery_mode", session.get("delivery_mode")),
                o("delivery_mode"))
        conditions = "\n".join(t for t in (action.get("prerequisites"), action.get("prerequisites_comment"))
                               if not _blank(t))
        self.el(node, "conditions-specifiques", conditions,
                o("prerequisites_comment" if not _blank(action.get("prerequisites_comment")) else "prerequisites"))
        self.el(node, "prise-en-charge-frais-possible", _code("fees_covered", dispositif.get("fees_covered")),
                o("fees_covered"))
        site = session.get("site") or {}
        lieu = self.el(node, "lieu-de-formation", numero=site.get("code"))
        if site.get("siret"):
            box = self.el(lieu, "SIRET-lieu-formation")
            self.el(box, "SIRET", site["siret"], o("site", attr="siret"))
        coordonnees = self.el(lieu, "coordonnees")
        self.address(coordonnees, site, o("site"), required=True, denomination=site.get("libelle"))
        self.el(node, "modalites-entrees-sorties", _code("entry_exit_mode", session.get("entry_exit_mode")),
                o("entry_exit_mode"))
        if not _blank(action.get("action_url")):
            url = self.el(node, "url-action")
            self.el(url, "urlweb", action["action_url"], o("action_url"))
        self.session(node, session, i)
        self.leaf(node, "modalites-pedagogiques", session.get("teaching_methods"), o("teaching_methods"))
        self.leaf(node, "code-modalite-pedagogique", session.get("training_periods"), o("training_periods"),
                  ref=lheo.formacode_ref)
        self.equipment(node, action, i)
        self.leaf(node, "frais-restants", _maybe(dispositif.get("extra_fees"), _money), o("extra_fees"))
        self.leaf(node, "prix-total-TTC", _maybe(dispositif.get("fee_incl_tax"), _money), o("fee_incl_tax"))
        self.leaf(node, "duree-indicative", session.get("duration_comment"), o("duration_comment"))
        centre, company = session.get("centre_hours"), session.get("company_hours")
        self.leaf(node, "nombre-heures-centre", _maybe(centre, _number), o("centre_hours"))
        self.leaf(node, "nombre-heures-entreprise", _maybe(company, _number), o("company_hours"))
        hours = [h for h in (centre, company) if isinstance(h, int | float)]
        if hours:
            self.el(node, "nombre-heures-total", _number(sum(hours)), o("centre_hours"))
        if lheo.conventionnement is not None:  # the programme's funding implies it (profile setting)
            self.el(node, "conventionnement", lheo.conventionnement, Origin(i, setting="lheo.conventionnement"))
        self.trainer(node, action, i)
        self.funder(node, dispositif, i)
        self.extras(node, "frais-pedagogiques", [
            ("frais-ht", _maybe(dispositif.get("fee_excl_tax"), _money), o("fee_excl_tax")),
            ("taux-tva", dispositif.get("vat_rate"), o("vat_rate")),
            ("frais-ttc", _maybe(dispositif.get("fee_incl_tax"), _money), o("fee_incl_tax")),
            ("frais-certification-inclus", _maybe(dispositif.get("certification_fees"),
                                                  lambda v: _code("certification_fees", v)), o("certification_fees")),
        ])
        self.extras(node, "sofi-action", [
            ("complement-intitule", action.get("title_complement"), o("title_complement")),
            ("le-plus-formation", action.get("highlight"), o("highlight")),
            ("url-video", action.get("video_url"), o("video_url")),
            ("url-pdf", action.get("pdf_url"), o("pdf_url")),
            ("public-vise", public, o("target_public")),
        ])

    def rhythm(self, session: dict[str, Any]) -> str:
        """« Temps plein, 35 h par semaine »: the SOFI label, with the weekly hours when known."""
        text = _label("rhythm", session.get("rhythm") or "")
        text = text[:1].upper() + text[1:]
        weekly = session.get("weekly_hours")
        if weekly is not None:
            text = f"{text}, {_french_number(weekly)} h par semaine" if text else f"{_french_number(weekly)} h par semaine"
        return text

    def alternance(self, session: dict[str, Any], i: int) -> str:
        template = self.profile.lheo.modalites_alternance
        try:
            return template.format(centre_hours=_number(session.get("centre_hours", "")),
                                   company_hours=_number(session.get("company_hours", "")))
        except (KeyError, IndexError, ValueError) as exc:
            self.problem(Origin(i, setting="lheo.modalites_alternance"),
                         f"modèle de texte invalide ({exc}) ; seuls {{centre_hours}} et {{company_hours}} sont admis.")
            return template

    def equipment(self, parent: etree._Element, action: dict[str, Any], i: int) -> None:
        keys = ("equipment_type", "equipment_cost", "equipment_comment")
        if all(_blank(action.get(k)) for k in keys):
            return
        node = self.el(parent, "equipement")
        kind = action.get("equipment_type")
        self.el(node, "type-equipement", _code("equipment_type", kind) if not _blank(kind) else "0",
                Origin(i, "equipment_type"))
        cost = action.get("equipment_cost")
        self.leaf(node, "cout-indicatif-equipement", _maybe(cost, _number), Origin(i, "equipment_cost"))
        self.leaf(node, "commentaire", action.get("equipment_comment"), Origin(i, "equipment_comment"))

    def trainer(self, parent: etree._Element, action: dict[str, Any], i: int) -> None:
        site = action.get("delivery_site")
        if not site:
            return
        origin = Origin(i, "delivery_site")
        node = self.el(parent, "organisme-formateur", numero=site.get("code"))
        box = self.el(node, "SIRET-formateur")
        self.el(box, "SIRET", site.get("siret", ""), _with(origin, attr="siret"))
        known = self.raison_sociale.get(site.get("siret", ""))
        self.el(node, "raison-sociale-formateur", known or site.get("libelle", ""),
                origin if known else _with(origin, attr="libelle"))

    def funder(self, parent: etree._Element, dispositif: dict[str, Any], i: int) -> None:
        def o(key: str) -> Origin:
            return Origin(i, key)

        node = self.el(parent, "organisme-financeur")
        self.el(node, "code-financeur", self.profile.lheo.code_financeur, Origin(i, setting="lheo.code_financeur"))
        places = dispositif.get("places")
        self.leaf(node, "nb-places-financees", _maybe(places, _number), o("places"))
        self.extras(node, "specificites", [
            ("programme-financeur", dispositif.get("dispositif"), o("dispositif")),
            ("ref-action-marche-financeur", dispositif.get("cr_action_id"), o("cr_action_id")),
        ])
        self.extras(node, "sofi-dispositif", [
            ("libelle-dispositif", dispositif.get("dispositif"), o("dispositif")),
            ("numero-lot-cr", dispositif.get("lot"), o("lot")),
            ("id-action-cr", dispositif.get("cr_action_id"), o("cr_action_id")),
            ("of-mandataire-cr", dispositif.get("cr_mandataire_id"), o("cr_mandataire_id")),
        ])

    # -- session --
    def session(self, parent: etree._Element, session: dict[str, Any], i: int) -> None:
        def o(key: str, **kw: Any) -> Origin:
            return Origin(i, key, **kw)

        fas = _fas_parts(session)
        node = self.el(parent, "session", numero=fas[2] if fas else None)
        periode = self.el(node, "periode")
        self.el(periode, "debut", _lheo_date(session.get("start_date", "")), o("start_date"))
        self.el(periode, "fin", _lheo_date(session.get("end_date", "")), o("end_date"))
        site = session.get("site") or {}
        inscription = self.el(node, "adresse-inscription")
        self.address(inscription, site, o("site"), required=True, denomination=site.get("libelle"))
        periods = session.get("periodes_inscription") or []
        if periods:
            box = self.el(self.el(node, "periode-inscription"), "periode")
            starts = [(p.get("pi_start"), k) for k, p in enumerate(periods) if not _blank(p.get("pi_start"))]
            ends = [(p.get("pi_end"), k) for k, p in enumerate(periods) if not _blank(p.get("pi_end"))]
            start, k_start = min(starts) if starts else ("", 0)
            self.el(box, "debut", _lheo_date(start), o("pi_start", child=k_start))
            if len(ends) == len(periods):
                end, k_end = max(ends)
                self.el(box, "fin", _lheo_date(end), o("pi_end", child=k_end))
            else:  # an open period: the envelope has no known end
                k_open = next(k for k, p in enumerate(periods) if _blank(p.get("pi_end")))
                self.el(box, "fin", UNKNOWN_END, o("pi_end", child=k_open))
        self.leaf(node, "etat-recrutement", _maybe(session.get("recruitment_status"),
                                                   lambda v: _code("recruitment_status", v)), o("recruitment_status"))
        infos = session.get("informations_collectives") or []
        for k, info in enumerate(infos):
            self.info_collective(node, info, i, k)
        for k, method in enumerate(session.get("recruitment_methods") or []):
            code = _code("recruitment_methods", method)
            if code == INFO_COLLECTIVE and infos:
                continue  # already told by the informations collectives above
            rec = self.el(node, "recrutement")
            self.el(rec, "modalite-recrutement", code, o("recruitment_methods", item=k))
        referents = session.get("referents") or {}
        for key, (role, setting) in REFERENT_ROLES.items():
            contact = referents.get(key)
            if contact:
                self.contact(node, contact, role, getattr(self.profile.lheo, setting), o(key), setting)
        items = [
            ("reference", session.get("session_ref"), o("session_ref")),
            ("code-fas", session.get("fas_code"), o("fas_code")),
            ("esp", session.get("entry_exit_mode"), o("entry_exit_mode")),
            ("duree-hebdo", _maybe(session.get("weekly_hours"), _number), o("weekly_hours")),
            ("cycle-alternance", session.get("alternance_cycle"), o("alternance_cycle")),
            ("unite-entreprise", _maybe(session.get("company_unit"), _number), o("company_unit")),
            ("mail-de-liaison", referents.get("liaison_email"), o("liaison_email")),
        ]
        dispositif = session.get("dispositif") or {}
        for name, key in (("nb-places-restantes", "places_remaining"), ("effectif-minimal", "min_headcount"),
                          ("capacite-simultanee", "simultaneous_capacity")):
            value = dispositif.get(key)
            items.append((name, _maybe(value, _number), o(key)))
        box = self.extras(node, "sofi-session", items)
        if periods:
            if box is None:
                box = self.el(node, "extras", info="sofi-session")
            for k, period in enumerate(periods):
                self.extras(box, "periode-inscription", [
                    ("type", period.get("pi_type"), o("pi_type", child=k)),
                    ("debut", _maybe(period.get("pi_start"), _lheo_date), o("pi_start", child=k)),
                    ("fin", _maybe(period.get("pi_end"), _lheo_date), o("pi_end", child=k)),
                ], numero=period.get("pi_code"))

    def info_collective(self, parent: etree._Element, info: dict[str, Any], i: int, k: int) -> None:
        def o(key: str, **kw: Any) -> Origin:
            return Origin(i, key, child=k, **kw)

        node = self.el(parent, "recrutement", numero=info.get("ic_code"))
        self.el(node, "modalite-recrutement", INFO_COLLECTIVE, o("ic_session"))
        site = info.get("ic_site") or {}
        if site:
            self.address(node, site, o("ic_site"), required=True, denomination=site.get("libelle"),
                         numero=site.get("code"))
        date = _lheo_date(info.get("ic_date", ""))
        periode = self.el(node, "periode")
        self.el(periode, "debut", date, o("ic_date"))
        self.el(periode, "fin", date, o("ic_date"))
        self.leaf(node, "heure-debut", info.get("ic_start_time"), o("ic_start_time"))
        self.leaf(node, "heure-fin", info.get("ic_end_time"), o("ic_end_time"))
        self.leaf(node, "commentaire", info.get("ic_comment"), o("ic_comment"))

    def contact(self, parent: etree._Element, contact: dict[str, Any], role: str, contact_type: str,
                origin: Origin, setting: str) -> None:
        node = self.el(parent, "contact-session", numero=contact.get("id"))
        self.el(node, "type-contact", contact_type, Origin(origin.session, setting=f"lheo.{setting}"))
        coordonnees = self.el(node, "coordonnees")
        self.leaf(coordonnees, "nom", contact.get("nom"), _with(origin, attr="nom"))
        self.leaf(coordonnees, "prenom", contact.get("prenom"), _with(origin, attr="prenom"))
        self.phone_email(coordonnees, contact, origin)
        self.extras(node, "sofi", [("role", role, origin)])


def _with(origin: Origin, **changes: Any) -> Origin:
    return Origin(**{**origin.__dict__, **changes})


# --- checks -------------------------------------------------------------------------------------
_NS_PREFIX = len(NS) + 2  # "{" + NS + "}"


def _local(node: etree._Element) -> str:
    return node.tag[_NS_PREFIX:]


def _sort_children(root: etree._Element, model: _XsdModel) -> None:
    """Put every element's children in the XSD's sequence order (extras last)."""
    for node in root.iter(f"{{{NS}}}*"):
        name = _local(node)
        if name in ("extras", "extra"):
            continue
        order = model.order(name)
        if order and len(node) > 1:
            ranks = [order.get(_local(child), len(order)) for child in node]
            if ranks != sorted(ranks):
                node[:] = [child for _, child in sorted(zip(ranks, node, strict=True), key=lambda p: p[0])]


def _excerpt(text: str) -> str:
    return f"« {text[:60]}{'…' if len(text) > 60 else ''} »"


def _check_simple(name: str, text: str, rule: _Simple) -> str | None:
    """French reason why ``text`` does not fit the XSD type of element ``name``, or None."""
    value = " ".join(text.split()) if rule.base in ("xs:token", "xs:long") else text
    if rule.base == "xs:long":
        if not re.fullmatch(r"[+-]?\d+", value) or not -(2**63) <= int(value) < 2**63:
            return f"{_excerpt(value)} n'est pas un nombre entier (élément LHEO « {name} »)."
        return None
    if rule.pattern:  # the XSD's only patterns are its dates (debut, fin, date)
        if not re.fullmatch(rule.pattern, value):
            return (f"{_excerpt(value)} n'est pas une date (élément LHEO « {name} ») ; saisissez une date "
                    "jj/mm/aaaa dans le classeur, AAAA-MM-JJ dans une soumission JSON.")
        if value not in ("00000000", UNKNOWN_END) and "00" not in (value[4:6], value[6:]):
            try:
                dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
            except ValueError:
                return f"{_excerpt(value)} : cette date n'existe pas dans le calendrier (élément LHEO « {name} »)."
        return None
    if rule.enumeration and value not in rule.enumeration:
        return (f"code {_excerpt(value)} refusé par LHEO pour l'élément « {name} » "
                f"(codes admis : {', '.join(rule.enumeration)}).")
    n = len(value)
    if rule.min_length is not None and rule.min_length == rule.max_length and n != rule.min_length:
        return (f"{_excerpt(value)} compte {n} caractère{'s' if n > 1 else ''} ; LHEO (élément « {name} ») "
                f"en exige exactement {rule.min_length}.")
    if rule.max_length is not None and n > rule.max_length:
        return (f"texte de {n} caractères : LHEO (élément « {name} ») en admet {rule.max_length} au plus ; "
                f"raccourcissez-le de {n - rule.max_length} caractère{'s' if n - rule.max_length > 1 else ''}.")
    if rule.min_length is not None and n < rule.min_length:
        return (f"valeur vide ou trop courte ({n} caractère{'s' if n > 1 else ''}) : LHEO (élément « {name} ») "
                f"en exige au moins {rule.min_length}.")
    return None


def _origin_of(node: etree._Element, origins: dict[etree._Element, Origin]) -> Origin | None:
    while node is not None:
        if node in origins:
            return origins[node]
        node = node.getparent()
    return None


def _precheck(root: etree._Element, origins: dict[etree._Element, Origin], loc: _Locator) -> list[str]:
    """What the XSD enforces, checked element by element so each refusal names its cell."""
    model = _xsd_model()
    problems: list[str] = []

    def say(node: etree._Element, message: str) -> None:
        origin = _origin_of(node, origins)
        problems.append(loc.describe(origin, message) if origin else f"Document LHEO : {message}")

    def walk(node: etree._Element) -> None:
        name = _local(node)
        if name == "extra":
            return  # free content (xs:anyType)
        if name in model.simple:
            reason = _check_simple(name, node.text or "", model.simple[name])
            if reason:
                say(node, reason)
            if name in ("heure-debut", "heure-fin") and node.text and not _HOUR.match(node.text):
                say(node, f"heure {_excerpt(node.text)} : LHEO attend la forme 9h30 ou 14h00.")
        elif name in model.sequence:
            counts = Counter(_local(child) for child in node)
            allowed = {child for child, _, _ in model.sequence[name]}
            for child, low, high in model.sequence[name]:
                n = counts.get(child, 0)
                if n > high:
                    excess = [c for c in node if _local(c) == child][int(high)]
                    say(excess, f"{n} valeurs pour l'élément LHEO « {child} », qui en admet {int(high)} au plus "
                                f"(dans « {name} ») ; retirez-en {n - int(high)}.")
                elif n < low:
                    say(node, f"l'élément LHEO obligatoire « {child} » manque dans « {name} ».")
            for child in sorted(counts.keys() - allowed):
                say(node, f"élément « {child} » inattendu dans « {name} ».")
        for child in node:
            walk(child)

    walk(root)
    return problems


def _xsd_problems(xml: bytes, root: etree._Element, origins: dict[etree._Element, Origin],
                  loc: _Locator) -> list[str]:
    """Validate with the official XSD; map each error back to the cell of its element."""
    schema = _xml_schema()
    parsed = etree.fromstring(xml, etree.XMLParser(huge_tree=True, remove_blank_text=False))
    if schema.validate(parsed):
        return []
    originals = list(root.iter())
    reparsed = list(parsed.iter())
    by_line: dict[int, etree._Element] = {}
    for new, old in zip(reparsed, originals, strict=True):
        by_line.setdefault(new.sourceline, old)
    problems = []
    for entry in schema.error_log:
        old = by_line.get(entry.line)
        origin = _origin_of(old, origins) if old is not None else None
        tag = _local(old) if old is not None else "?"
        message = f"le schéma officiel LHEO 2.3 refuse l'élément « {tag} » (détail technique : {entry.message})."
        problems.append(loc.describe(origin, message) if origin else f"Document LHEO, ligne {entry.line} : {message}")
    return problems


# --- public API ---------------------------------------------------------------------------------
def submission_to_lheo(data: dict[str, Any], profile: Profile,
                       sources: list[SessionSource] | None = None) -> bytes:
    """The LHEO 2.3 document of a submission, pre-checked and validated by the official XSD.

    ``sources`` (from ``build_submission``) lets every refusal name its workbook cell; without
    it (JSON input) refusals name the JSON path. Raises ``LheoError`` and returns nothing when
    any value does not fit LHEO.
    """
    programme = (data.get("header") or {}).get("programme")
    if programme and programme != profile.id:
        raise LheoError([f"header.programme : la soumission est du programme « {programme} », pas « {profile.id} » ; "
                         "relancez avec le bon programme."])
    loc = _Locator(data, sources, profile)
    builder = _Builder(data, profile, loc)
    root = builder.document()
    _sort_children(root, _xsd_model())
    problems = builder.problems + _precheck(root, builder.origins, loc)
    if problems:
        raise LheoError(problems)
    xml = XML_DECLARATION + etree.tostring(root, encoding="UTF-8", pretty_print=True)
    problems = _xsd_problems(xml, root, builder.origins, loc)
    if problems:
        raise LheoError(problems)
    return xml


def validate_lheo(xml: bytes) -> list[str]:
    """XSD errors of an LHEO document (empty when valid), e.g. to check a file made elsewhere."""
    try:
        doc = etree.fromstring(xml, etree.XMLParser(huge_tree=True))
    except etree.XMLSyntaxError as exc:
        return [f"XML illisible : {exc}"]
    schema = _xml_schema()
    return [] if schema.validate(doc) else [f"ligne {e.line} : {e.message}" for e in schema.error_log]


def write_lheo(path: Path, xml: bytes) -> None:
    """Write atomically: a reader never sees half a file, a failure leaves the old one."""
    write_bytes_atomic(path, xml)


# --- reading a submission JSON ------------------------------------------------------------------
@cache
def _submission_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(submission_schema().read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _json_path(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(racine)"


def _schema_problems(error: jsonschema.ValidationError) -> list[tuple[str, str]]:
    """(JSON path, French reason) for a JSON Schema error; nullable fields: the non-null branch."""
    path = _json_path(error.absolute_path)
    if error.validator in ("anyOf", "oneOf") and error.context:
        useful = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
        if useful:
            return _schema_problems(min(useful, key=lambda e: len(list(e.relative_path))))
    v, value, instance = error.validator, error.validator_value, error.instance
    if v == "required":
        name = error.message.split("'")[1] if "'" in error.message else "?"
        return [(_join(path, name), "champ obligatoire absent.")]
    if v == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        return [(_join(path, k), "champ inconnu d'une soumission sofi-bulk ; retirez-le.")
                for k in sorted(set(instance) - known)]
    shown = json.dumps(instance, ensure_ascii=False)
    shown = shown if len(shown) <= 60 else shown[:60] + "…"
    types = {"string": "un texte", "integer": "un nombre entier", "number": "un nombre", "array": "une liste",
             "object": "un objet", "boolean": "vrai/faux", "null": "null"}
    wanted = (types.get(value, value) if isinstance(value, str)
              else " ou ".join(types.get(t, t) for t in value) if isinstance(value, list) else value)
    messages = {
        "type": f"{shown} n'est pas {wanted}.",
        "enum": f"valeur {shown} non admise (valeurs admises : {', '.join(map(str, value or []))})."
        if isinstance(value, list) else "",
        "const": f"valeur {shown} non admise (attendu : {value}).",
        "maxLength": f"texte trop long ({len(instance) if isinstance(instance, str) else '?'} caractères, "
                     f"{value} au plus).",
        "minLength": "texte vide.",
        "minimum": f"{shown} est inférieur au minimum ({value}).",
        "maximum": f"{shown} dépasse le maximum ({value}).",
        "minItems": f"liste vide ou trop courte ({value} élément(s) au moins).",
        "pattern": f"{shown} n'a pas la forme attendue.",
        "format": f"{shown} n'est pas une date valide (AAAA-MM-JJ)." if value == "date"
        else f"{shown} n'est pas au format {value}.",
    }
    return [(path, messages.get(v) or f"valeur {shown} refusée (règle « {v} » du schéma).")]


def _join(path: str, name: str) -> str:
    return name if path == "(racine)" else f"{path}.{name}"


def load_submission_json(path: Path) -> dict[str, Any]:
    """Read a submission JSON written by « sofi-bulk export », refusing anything else plainly."""
    name = path.name
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise UserError(f"{name} : fichier trop volumineux pour une soumission ({path.stat().st_size // 2**20} Mio).")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{name} : fichier introuvable.") from None
    except OSError as exc:
        raise UserError(f"{name} : fichier illisible ({exc.strerror}).") from exc
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UserError(f"{name} : ce n'est pas un fichier JSON (texte UTF-8 attendu) ; donnez la soumission "
                        "écrite par « sofi-bulk export » ou le classeur .xlsx.") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{name} : ce n'est pas un JSON valide (ligne {exc.lineno}, colonne {exc.colno} : "
                        "syntaxe incorrecte) ; donnez la soumission écrite par « sofi-bulk export ».") from None
    except RecursionError:
        raise UserError(f"{name} : JSON imbriqué à l'excès ; ce n'est pas une soumission sofi-bulk.") from None
    errors = sorted(_submission_validator().iter_errors(data), key=lambda e: (list(map(str, e.path)), e.validator))
    if errors:
        found = [f"{where} : {reason}" for e in errors for where, reason in _schema_problems(e)]
        found = list(dict.fromkeys(found))
        lines = "\n".join(f"- {line}" for line in found[:20])
        more = f"\n- … et {len(found) - 20} autre(s)." if len(found) > 20 else ""
        raise UserError(f"{name} : ce n'est pas une soumission sofi-bulk valide ({len(found)} "
                        f"problème{'s' if len(found) > 1 else ''}) :\n{lines}{more}")
    from sofi_bulk.submission import check_submission

    problems = check_submission(data)
    if problems:
        raise UserError(f"{name} : soumission incohérente :\n" + "\n".join(f"- {p}" for p in problems))
    return data

