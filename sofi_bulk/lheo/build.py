"""Build the LHEO 2.3 tree of a submission, recording where every element came from.

The tree is SOFI's: one LHEO ``formation`` per SOFI formation (``@numero`` = F), one
``action`` per SOFI action (A), one ``session`` per SOFI session (S). LHEO holds some values
higher than SOFI does (docs/lheo.md §1): a formation has one contenu, one organisme
responsable; an action one lieu, one rythme, one financeur. Sessions of a SOFI action that
differ on such a value are therefore split over several LHEO actions, each in its own LHEO
formation (same F), so that sibling actions never share an ``@numero``. SOFI's own values
go to the ``<extras>`` blocks that ``sofi_bulk.lheo.mapping`` declares.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import textwrap
from collections.abc import Callable
from typing import Any

from lxml import etree

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.fields import BY_KEY
from sofi_bulk.core.profile import Profile
from sofi_bulk.lheo.mapping import (
    ACTION_LEVEL,
    EXTRAS,
    FORMATION_LEVEL,
    INFO_COLLECTIVE,
    REFERENT_ROLES,
    Extra,
    Format,
)
from sofi_bulk.lheo.origins import REF_COLUMN, REF_TABLE_OF_KIND, Locator, Origin, with_
from sofi_bulk.lheo.xsd import NS, UNKNOWN_END

PUBLIC_VISE_MAX = 250  # info-public-vise maxLength in the XSD
ACCUEIL_CONTACT_TYPE = "4"  # dict-type-contact "Accueil", for the required contact-formation
_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MOBILE = re.compile(r"^(?:0|\+33\s?|0033\s?)[67]")


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
    table = table_of(BY_KEY[key])
    try:
        return table.option(str(value)).lheo_code
    except KeyError:
        return str(value)  # unknown code: the pre-checks will name it


def _lheo_code(key: str, value: Any) -> str | None:
    """The LHEO code of a coded value, None when it has none (nothing is emitted)."""
    try:
        return table_of(BY_KEY[key]).lheo_of(str(value))
    except KeyError:
        return str(value)  # unknown code: the pre-checks will name it


def _label(key: str, value: Any) -> str:
    table = table_of(BY_KEY[key])
    try:
        return table.option(str(value)).label
    except KeyError:
        return str(value)


def _format(extra: Extra, value: Any) -> Any:
    """An extra's value in its declared form; None (omitted) when empty."""
    fmt: Format = extra.fmt
    if fmt == "site":
        return value.get("code") if isinstance(value, dict) else None
    if fmt == "number":
        return _maybe(value, _number)
    if fmt == "money":
        return _maybe(value, _money)
    if fmt == "date":
        return _maybe(value, _lheo_date)
    if fmt == "code":
        return _maybe(value, lambda v: _code(extra.key, v))
    return value


def _values(
    formation: dict[str, Any], action: dict[str, Any], session: dict[str, Any]
) -> dict[str, Any]:
    """Every field of a session's row by key: its own, its dispositif's, referents', action's."""
    return {
        **formation,
        **action,
        **session,
        **(session.get("dispositif") or {}),
        **(session.get("referents") or {}),
    }


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
            lines.extend(
                textwrap.wrap(part.strip(), 50, break_long_words=False, break_on_hyphens=False)
            )
    return lines


_TAGS: dict[str, str] = {}  # element name -> its namespaced tag


def _tag(name: str) -> str:
    tag = _TAGS[name] = f"{{{NS}}}{name}"
    return tag


def _key(values: dict[str, Any], keys: tuple[str, ...]) -> str:
    return json.dumps([values.get(k) for k in keys], sort_keys=True, ensure_ascii=False)


class Builder:
    """Builds the LHEO tree. Tracking, it records the Origin of every element it creates (to
    name the cell behind a refusal); untracked, it copies repeated sites and contacts."""

    def __init__(
        self, data: dict[str, Any], profile: Profile, locator: Locator, *, track: bool = True
    ) -> None:
        self.data = data
        self.profile = profile
        self.loc = locator
        self.track = track  # record each element's origin (to name cells in a refusal)
        self.origins: dict[etree._Element, Origin] = {}
        self.subtrees: dict[tuple[Any, ...], etree._Element] = {}  # untracked: reused parts
        self.problems: list[str] = []
        # the legal name of every organisme the submission carries, for organisme-formateur
        self.raison_sociale: dict[str, str] = {}
        for formation in data["formations"]:
            org = formation.get("organisme") or {}
            if org.get("siret") and org.get("raison_sociale"):
                self.raison_sociale.setdefault(org["siret"], org["raison_sociale"])
        for i in range(len(locator.index)):
            org = locator.session(i).get("responsible_org") or {}
            if org.get("siret") and org.get("raison_sociale"):
                self.raison_sociale.setdefault(org["siret"], org["raison_sociale"])

    # -- primitives --
    def el(
        self,
        parent: etree._Element,
        name: str,
        text: Any = None,
        origin: Origin | None = None,
        **attrs: Any,
    ) -> etree._Element:
        node = etree.SubElement(parent, _TAGS.get(name) or _tag(name))
        for attr, value in attrs.items():
            if not _blank(value):
                node.set(attr.replace("_", "-"), self.clean(str(value), origin))
        if text is not None:
            node.text = self.clean(str(text), origin)
        if origin is not None and self.track:
            self.origins[node] = origin
        return node

    def _built_once(
        self, parent: etree._Element, key: tuple[Any, ...], build: Callable[[], None]
    ) -> None:
        """Untracked, a subtree already built for the same référentiel values (sites and
        contacts recur across sessions) is copied, by lxml in C, instead of built again."""
        if self.track:
            build()
            return
        try:
            done = self.subtrees.get(key)
        except TypeError:  # an unhashable value: built each time
            build()
            return
        if done is not None:
            parent.append(copy.deepcopy(done))
            return
        before = len(parent)
        build()
        if len(parent) == before + 1:  # one element added (none when a part is missing)
            self.subtrees[key] = parent[-1]

    def leaf(
        self,
        parent: etree._Element,
        name: str,
        value: Any,
        origin: Origin | None = None,
        **attrs: Any,
    ) -> etree._Element | None:
        """An element with text, omitted when the value is empty."""
        if _blank(value):
            return None
        return self.el(parent, name, value, origin, **attrs)

    def clean(self, text: str, origin: Origin | None) -> str:
        """Refuse characters XML 1.0 cannot carry (control characters pasted from elsewhere)."""
        bad = _BAD_XML_CHARS.search(text)
        if bad is None:
            return text
        message = (
            f"caractère invisible interdit en XML (U+{ord(bad.group()):04X}) : supprimez-le "
            "(retapez le texte ou collez-le sans mise en forme)."
        )
        self.problems.append(self.loc.describe(origin, message) if origin else message)
        return _BAD_XML_CHARS.sub("", text)

    def extras(
        self, parent: etree._Element, info: str, items: list[tuple[str, Any, Origin]], **attrs: Any
    ) -> etree._Element | None:
        """``<extras info=…>`` with one ``<extra info=…>`` per non-empty value; None when all
        are empty."""
        items = [(k, v, o) for k, v, o in items if not _blank(v)]
        if not items:
            return None
        box = self.el(parent, "extras", info=info, **attrs)
        for key, value, origin in items:
            self.el(box, "extra", value, origin, info=key)
        return box

    def block(
        self,
        parent: etree._Element,
        name: str,
        values: dict[str, Any],
        origin: Callable[[str], Origin],
        **attrs: Any,
    ) -> etree._Element | None:
        """The ``<extras>`` block ``name`` of the mapping, filled from ``values`` by field key."""
        items = [
            (extra.info, _format(extra, values.get(extra.key)), origin(extra.field))
            for extra in EXTRAS[name].extras
        ]
        return self.extras(parent, name, items, **attrs)

    def problem(self, origin: Origin, message: str) -> None:
        self.problems.append(self.loc.describe(origin, message))

    # -- document --
    def values(self, i: int) -> dict[str, Any]:
        f, a, _ = self.loc.index[i]
        formation = self.data["formations"][f]
        return _values(formation, formation["actions"][a], self.loc.session(i))

    def document(self) -> etree._Element:
        root = etree.Element(f"{{{NS}}}lheo", nsmap={None: NS})
        offres = self.el(root, "offres")
        for f, elements in self.layout().items():
            for members in elements:
                self.formation(offres, self.data["formations"][f], members)
        return root

    def layout(self) -> dict[int, list[list[tuple[int, list[int]]]]]:
        """For each SOFI formation, its LHEO formation elements; each holds at most one LHEO
        action per SOFI action: (action index, its sessions). One element and one action per
        SOFI object unless sessions differ on a value LHEO holds higher than SOFI."""
        pieces: dict[int, dict[tuple[str, int, str], list[int]]] = {}
        for i, (f, a, _) in enumerate(self.loc.index):
            values = self.values(i)
            key = (_key(values, FORMATION_LEVEL), a, _key(values, ACTION_LEVEL))
            pieces.setdefault(f, {}).setdefault(key, []).append(i)
        layout: dict[int, list[list[tuple[int, list[int]]]]] = {}
        for f, by_piece in pieces.items():
            groups: dict[str, list[list[tuple[int, list[int]]]]] = {}
            used: dict[tuple[str, int], int] = {}  # (group, action) -> elements holding it
            for (f_key, a, _), members in by_piece.items():
                elements = groups.setdefault(f_key, [])
                k = used.get((f_key, a), 0)  # the n-th piece of an action: the n-th element
                used[(f_key, a)] = k + 1
                if k == len(elements):
                    elements.append([])
                elements[k].append((a, members))
            layout[f] = [e for elements in groups.values() for e in elements]
        return layout

    def formation(
        self,
        parent: etree._Element,
        formation: dict[str, Any],
        members: list[tuple[int, list[int]]],
    ) -> None:
        first = members[0][1][0]
        first_session = self.loc.session(first)
        action = formation["actions"][members[0][0]]

        def o(key: str, **kw: Any) -> Origin:
            return Origin(first, key, **kw)

        node = self.el(parent, "formation", numero=formation.get("sofi_code"))
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
        self.el(
            node, "contenu-formation", action.get("programme_complement"), o("programme_complement")
        )
        self.el(
            node,
            "certifiante",
            _code("certifinfo_reference", formation.get("certifinfo_reference")),
            o("certifinfo_reference"),
        )
        org = first_session.get("responsible_org") or {}
        contact = self.el(node, "contact-formation")
        self.el(contact, "type-contact", ACCUEIL_CONTACT_TYPE)
        self.coordonnees_contact(contact, org, o("responsible_org"))
        self.el(
            node,
            "parcours-de-formation",
            _code("pathway_type", first_session.get("pathway_type")),
            o("pathway_type"),
        )
        self.el(
            node,
            "code-niveau-entree",
            _code("entry_level", action.get("entry_level")),
            o("entry_level"),
        )
        if not _blank(formation.get("general_objective")):
            self.el(
                node,
                "objectif-general-formation",
                _code("general_objective", formation["general_objective"]),
                o("general_objective"),
            )
        if not _blank(formation.get("certifinfo_code")):
            cert = self.el(node, "certification")
            self.el(cert, "code-CERTIFINFO", formation["certifinfo_code"], o("certifinfo_code"))
        if self.profile.lheo.emit_exit_level and not _blank(formation.get("exit_level")):
            self.el(
                node,
                "code-niveau-sortie",
                _code("exit_level", formation["exit_level"]),
                o("exit_level"),
            )
        for a, sessions in members:
            self.action(node, formation, formation["actions"][a], sessions)
        self.responsible(node, org, o("responsible_org"))

    def responsible(self, parent: etree._Element, org: dict[str, Any], origin: Origin) -> None:
        node = self.el(parent, "organisme-formation-responsable")
        nda = org.get("numero_activite")
        if _blank(nda):
            self.problem(
                with_(origin, attr="numero_activite"),
                "numéro de déclaration d'activité (NDA) absent ; LHEO l'exige (11 caractères).",
            )
        else:
            self.el(node, "numero-activite", nda, with_(origin, attr="numero_activite"))
        siret = self.el(node, "SIRET-organisme-formation")
        self.el(siret, "SIRET", org.get("siret", ""), with_(origin, attr="siret"))
        self.el(node, "nom-organisme", org.get("nom", ""), with_(origin, attr="nom"))
        self.el(
            node,
            "raison-sociale",
            org.get("raison_sociale", ""),
            with_(origin, attr="raison_sociale"),
        )
        box = self.el(node, "coordonnees-organisme")
        coordonnees = self.el(box, "coordonnees")
        self.address(coordonnees, org, origin, required=False)
        self.phone_email(coordonnees, org, origin)
        contact = self.el(node, "contact-organisme")
        self.phone_email(self.el(contact, "coordonnees"), org, origin)

    def coordonnees_contact(
        self, parent: etree._Element, obj: dict[str, Any], origin: Origin
    ) -> None:
        coordonnees = self.el(parent, "coordonnees")
        self.phone_email(coordonnees, obj, origin)

    def phone_email(self, coordonnees: etree._Element, obj: dict[str, Any], origin: Origin) -> None:
        phone = obj.get("telephone")
        if not _blank(phone):
            box = self.el(coordonnees, "portable" if _MOBILE.match(str(phone)) else "telfixe")
            self.el(box, "numtel", phone, with_(origin, attr="telephone"))
        self.leaf(coordonnees, "courriel", obj.get("email"), with_(origin, attr="email"))

    def address(
        self,
        parent: etree._Element,
        obj: dict[str, Any],
        origin: Origin,
        *,
        required: bool,
        denomination: str | None = None,
        numero: str | None = None,
    ) -> None:
        """An LHEO adresse from a référentiel object; a missing part is a référentiel problem."""
        parts = {
            "adresse": obj.get("adresse"),
            "code_postal": obj.get("code_postal"),
            "ville": obj.get("ville"),
        }
        key = ("adresse", *parts.values(), required, denomination, numero, "libelle" in obj)
        self._built_once(
            parent,
            key,
            lambda: self._address(parent, obj, origin, parts, required, denomination, numero),
        )

    def _address(
        self,
        parent: etree._Element,
        obj: dict[str, Any],
        origin: Origin,
        parts: dict[str, Any],
        required: bool,
        denomination: str | None,
        numero: str | None,
    ) -> None:
        missing = [k for k, v in parts.items() if _blank(v)]
        if len(missing) == 3 and not required:
            return
        if missing:
            names = ", ".join(f"« {REF_COLUMN[self._table(origin)].get(k, k)} »" for k in missing)
            need = (
                "LHEO exige une adresse complète ici"
                if required
                else "une adresse partielle n'est pas admise par LHEO"
            )
            self.problem(
                with_(origin, attr=missing[0]), f"adresse incomplète ({names} vide) ; {need}."
            )
            return
        node = self.el(parent, "adresse", numero=numero)
        self.leaf(
            node,
            "denomination",
            denomination,
            with_(origin, attr="libelle" if "libelle" in obj else "nom"),
        )
        for line in _address_lines(str(parts["adresse"])) or [""]:
            self.el(node, "ligne", line, with_(origin, attr="adresse"))
        self.el(node, "codepostal", parts["code_postal"], with_(origin, attr="code_postal"))
        self.el(node, "ville", parts["ville"], with_(origin, attr="ville"))

    def _table(self, origin: Origin) -> str:
        return REF_TABLE_OF_KIND[origin.field.kind]

    # -- action (a SOFI action, or the part of it whose sessions share LHEO's action values) --
    def action(
        self,
        parent: etree._Element,
        formation: dict[str, Any],
        action: dict[str, Any],
        members: list[int],
    ) -> None:
        i = members[0]
        session = self.loc.session(i)
        dispositif = session.get("dispositif") or {}

        def o(key: str, **kw: Any) -> Origin:
            return Origin(i, key, **kw)

        node = self.el(parent, "action", numero=action.get("sofi_code"))
        self.el(node, "rythme-formation", self.rhythm(session), o("rhythm"))
        for k, code in enumerate(dispositif.get("publics") or []):
            self.el(
                node,
                "code-public-vise",
                code,
                o("publics", item=k),
                ref=self.profile.lheo.formacode_ref,
            )
        public = action.get("target_public")
        if not _blank(public):
            self.el(node, "info-public-vise", shorten(str(public)), o("target_public"))
        lheo = self.profile.lheo
        self.el(
            node,
            "niveau-entree-obligatoire",
            lheo.niveau_entree_obligatoire,
            Origin(i, setting="lheo.niveau_entree_obligatoire"),
        )
        self.el(
            node,
            "modalites-alternance",
            self.alternance(session, i),
            Origin(i, setting="lheo.modalites_alternance"),
        )
        self.el(
            node,
            "modalites-enseignement",
            _code("delivery_mode", session.get("delivery_mode")),
            o("delivery_mode"),
        )
        conditions = "\n".join(
            str(t)
            for t in (action.get("prerequisites"), action.get("prerequisites_comment"))
            if not _blank(t)
        )
        self.el(
            node,
            "conditions-specifiques",
            conditions,
            o(
                "prerequisites_comment"
                if not _blank(action.get("prerequisites_comment"))
                else "prerequisites"
            ),
        )
        self.el(
            node,
            "prise-en-charge-frais-possible",
            _code("fees_covered", dispositif.get("fees_covered")),
            o("fees_covered"),
        )
        site = session.get("site") or {}
        lieu = self.el(node, "lieu-de-formation", numero=site.get("code"))
        if site.get("siret"):
            box = self.el(lieu, "SIRET-lieu-formation")
            self.el(box, "SIRET", site["siret"], o("site", attr="siret"))
        coordonnees = self.el(lieu, "coordonnees")
        self.address(coordonnees, site, o("site"), required=True, denomination=site.get("libelle"))
        self.el(
            node,
            "modalites-entrees-sorties",
            _code("entry_exit_mode", session.get("entry_exit_mode")),
            o("entry_exit_mode"),
        )
        if not _blank(action.get("action_url")):
            url = self.el(node, "url-action")
            self.el(url, "urlweb", action["action_url"], o("action_url"))
        for k in members:
            self.session(node, self.loc.session(k), k)
        methods = session.get("teaching_methods")
        if not _blank(methods):
            label = _label("teaching_methods", methods)
            self.el(
                node, "modalites-pedagogiques", label[:1].upper() + label[1:], o("teaching_methods")
            )
        for key in ("training_periods", "teaching_methods"):
            value = session.get(key)
            code = None if _blank(value) else _lheo_code(key, value)
            self.leaf(node, "code-modalite-pedagogique", code, o(key), ref=lheo.formacode_ref)
        self.equipment(node, action, i)
        self.leaf(
            node, "frais-restants", _maybe(dispositif.get("extra_fees"), _money), o("extra_fees")
        )
        if lheo.publish_prix_total_ttc:  # a price per trainee, shown to the public
            self.leaf(
                node,
                "prix-total-TTC",
                _maybe(dispositif.get("fee_incl_tax"), _money),
                o("fee_incl_tax"),
            )
        self.leaf(node, "duree-indicative", session.get("duration_comment"), o("duration_comment"))
        centre, company = session.get("centre_hours"), session.get("company_hours")
        self.leaf(node, "nombre-heures-centre", _maybe(centre, _number), o("centre_hours"))
        self.leaf(node, "nombre-heures-entreprise", _maybe(company, _number), o("company_hours"))
        hours = [h for h in (centre, company) if isinstance(h, int | float)]
        if hours:
            self.el(node, "nombre-heures-total", _number(sum(hours)), o("centre_hours"))
        self.leaf(
            node,
            "detail-conditions-prise-en-charge",
            lheo.detail_conditions_prise_en_charge,
            Origin(i, setting="lheo.detail_conditions_prise_en_charge"),
        )
        if (
            lheo.conventionnement is not None
        ):  # the programme's funding implies it (profile setting)
            self.el(
                node,
                "conventionnement",
                lheo.conventionnement,
                Origin(i, setting="lheo.conventionnement"),
            )
        self.trainer(node, action, i)
        self.funder(node, dispositif, i)
        values = _values(formation, action, session)
        self.block(node, "frais-pedagogiques", values, o)
        self.block(node, "sofi-action", values, o)

    def rhythm(self, session: dict[str, Any]) -> str:
        """« Temps plein, 35 h par semaine »: the SOFI label, with the weekly hours when known."""
        text = _label("rhythm", session.get("rhythm") or "")
        text = text[:1].upper() + text[1:]
        weekly = session.get("weekly_hours")
        if weekly is not None:
            text = (
                f"{text}, {_french_number(weekly)} h par semaine"
                if text
                else f"{_french_number(weekly)} h par semaine"
            )
        return text

    def alternance(self, session: dict[str, Any], i: int) -> str:
        template = self.profile.lheo.modalites_alternance
        try:
            return template.format(
                centre_hours=_number(session.get("centre_hours", "")),
                company_hours=_number(session.get("company_hours", "")),
            )
        except (KeyError, IndexError, ValueError) as exc:
            self.problem(
                Origin(i, setting="lheo.modalites_alternance"),
                f"modèle de texte invalide ({exc}) ; seuls {{centre_hours}} et {{company_hours}} "
                "sont admis.",
            )
            return template

    def equipment(self, parent: etree._Element, action: dict[str, Any], i: int) -> None:
        keys = ("equipment_type", "equipment_cost", "equipment_comment")
        if all(_blank(action.get(k)) for k in keys):
            return
        node = self.el(parent, "equipement")
        kind = action.get("equipment_type")
        self.el(
            node,
            "type-equipement",
            _code("equipment_type", kind) if not _blank(kind) else "0",
            Origin(i, "equipment_type"),
        )
        cost = action.get("equipment_cost")
        self.leaf(
            node, "cout-indicatif-equipement", _maybe(cost, _number), Origin(i, "equipment_cost")
        )
        self.leaf(
            node, "commentaire", action.get("equipment_comment"), Origin(i, "equipment_comment")
        )

    def trainer(self, parent: etree._Element, action: dict[str, Any], i: int) -> None:
        site = action.get("delivery_site")
        if not site:
            return
        origin = Origin(i, "delivery_site")
        node = self.el(parent, "organisme-formateur", numero=site.get("code"))
        box = self.el(node, "SIRET-formateur")
        self.el(box, "SIRET", site.get("siret", ""), with_(origin, attr="siret"))
        known = self.raison_sociale.get(site.get("siret", ""))
        if known is None:
            self.problem(
                with_(origin, attr="siret"),
                "l'organisme de ce site n'est pas dans la soumission : sa raison sociale, "
                "exigée par LHEO (raison-sociale-formateur), est inconnue.",
            )
        self.el(node, "raison-sociale-formateur", known or "", origin)

    def funder(self, parent: etree._Element, dispositif: dict[str, Any], i: int) -> None:
        def o(key: str) -> Origin:
            return Origin(i, key)

        node = self.el(parent, "organisme-financeur")
        self.el(
            node,
            "code-financeur",
            self.profile.lheo.code_financeur,
            Origin(i, setting="lheo.code_financeur"),
        )
        places = dispositif.get("places")
        self.leaf(node, "nb-places-financees", _maybe(places, _number), o("places"))
        self.block(node, "specificites", dispositif, o)
        self.block(node, "sofi-dispositif", dispositif, o)

    # -- session --
    def session(self, parent: etree._Element, session: dict[str, Any], i: int) -> None:
        def o(key: str, **kw: Any) -> Origin:
            return Origin(i, key, **kw)

        node = self.el(parent, "session", numero=session.get("sofi_code"))
        periode = self.el(node, "periode")
        self.el(periode, "debut", _lheo_date(session.get("start_date", "")), o("start_date"))
        self.el(periode, "fin", _lheo_date(session.get("end_date", "")), o("end_date"))
        site = session.get("site") or {}
        inscription = self.el(node, "adresse-inscription")
        self.address(inscription, site, o("site"), required=True, denomination=site.get("libelle"))
        periods = session.get("periodes_inscription") or []
        if periods:
            box = self.el(self.el(node, "periode-inscription"), "periode")
            starts = [
                (p.get("pi_start"), k)
                for k, p in enumerate(periods)
                if not _blank(p.get("pi_start"))
            ]
            ends = [
                (p.get("pi_end"), k) for k, p in enumerate(periods) if not _blank(p.get("pi_end"))
            ]
            start, k_start = min(starts) if starts else ("", 0)
            self.el(box, "debut", _lheo_date(start), o("pi_start", child=k_start))
            if len(ends) == len(periods):
                end, k_end = max(ends)
                self.el(box, "fin", _lheo_date(end), o("pi_end", child=k_end))
            else:  # an open period: the envelope has no known end
                k_open = next(k for k, p in enumerate(periods) if _blank(p.get("pi_end")))
                self.el(box, "fin", UNKNOWN_END, o("pi_end", child=k_open))
        self.leaf(
            node,
            "etat-recrutement",
            _maybe(session.get("recruitment_status"), lambda v: _code("recruitment_status", v)),
            o("recruitment_status"),
        )
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
                self.contact(
                    node, contact, role, getattr(self.profile.lheo, setting), o(key), setting
                )
        box = self.block(node, "sofi-session", _values({}, {}, session), o)
        if periods:
            if box is None:
                box = self.el(node, "extras", info="sofi-session")
            for k, period in enumerate(periods):
                self.block(
                    box,
                    "periode-inscription",
                    period,
                    functools.partial(o, child=k),
                    numero=period.get("pi_code"),
                )

    def info_collective(self, parent: etree._Element, info: dict[str, Any], i: int, k: int) -> None:
        def o(key: str, **kw: Any) -> Origin:
            return Origin(i, key, child=k, **kw)

        node = self.el(parent, "recrutement", numero=info.get("ic_code"))
        self.el(node, "modalite-recrutement", INFO_COLLECTIVE, o("ic_session"))
        remote = info.get("ic_remote") == "oui"
        self.el(node, "a-distance", "1" if remote else "0", o("ic_remote"))
        self.leaf(node, "urlweb", info.get("ic_url"), o("ic_url"))
        site = info.get("ic_site") or {}
        if site:
            self.address(
                node,
                site,
                o("ic_site"),
                required=True,
                denomination=site.get("libelle"),
                numero=site.get("code"),
            )
        date = _lheo_date(info.get("ic_date", ""))
        periode = self.el(node, "periode")
        self.el(periode, "debut", date, o("ic_date"))
        self.el(periode, "fin", date, o("ic_date"))
        self.leaf(node, "heure-debut", info.get("ic_start_time"), o("ic_start_time"))
        self.leaf(node, "heure-fin", info.get("ic_end_time"), o("ic_end_time"))
        self.leaf(node, "commentaire", info.get("ic_comment"), o("ic_comment"))

    def contact(
        self,
        parent: etree._Element,
        contact: dict[str, Any],
        role: str,
        contact_type: str,
        origin: Origin,
        setting: str,
    ) -> None:
        fields = ("id", "nom", "prenom", "telephone", "email")
        key = ("contact", *(contact.get(f) for f in fields), role, contact_type)
        self._built_once(
            parent, key, lambda: self._contact(parent, contact, role, contact_type, origin, setting)
        )

    def _contact(
        self,
        parent: etree._Element,
        contact: dict[str, Any],
        role: str,
        contact_type: str,
        origin: Origin,
        setting: str,
    ) -> None:
        node = self.el(parent, "contact-session", numero=contact.get("id"))
        self.el(
            node, "type-contact", contact_type, Origin(origin.session, setting=f"lheo.{setting}")
        )
        coordonnees = self.el(node, "coordonnees")
        self.leaf(coordonnees, "nom", contact.get("nom"), with_(origin, attr="nom"))
        self.leaf(coordonnees, "prenom", contact.get("prenom"), with_(origin, attr="prenom"))
        self.phone_email(coordonnees, contact, origin)
        self.extras(node, "sofi", [("role", role, origin)])
