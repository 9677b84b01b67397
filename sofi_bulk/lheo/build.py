"""Build the LHEO 2.3 tree of a submission, recording where every element came from.

The tree is SOFI's: one LHEO ``formation`` per SOFI formation, one ``action`` per SOFI
action, one ``session`` per SOFI session, each numbered by ``identifiers`` (the SOFI code, or a
number of this tool). LHEO holds some values higher than SOFI does (docs/lheo.md §1): a
formation has one contenu, one organisme responsable; an action one lieu, one rythme, one
financeur. Sessions of a SOFI action that differ on such a value are therefore split over
several LHEO actions (and actions over several formations), each part with its own number.
Simple leaves come from the mapping's ``LEAVES``; SOFI's own values go to the ``<extras>``
blocks it declares.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import textwrap
from collections.abc import Callable
from typing import Any, NamedTuple, get_args

from lxml import etree

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.fields import BY_KEY
from sofi_bulk.core.profile import Profile
from sofi_bulk.lheo.geography import COUNTRY, departement_of, region_of
from sofi_bulk.lheo.identifiers import Numbers, made, organisme_number, part_of, reference
from sofi_bulk.lheo.mapping import (
    ACTION_LEVEL,
    EXTRAS,
    FORMATION_LEVEL,
    INFO_COLLECTIVE,
    LEAVES,
    REFERENT_ROLES,
    Extra,
    Format,
    Holder,
    Leaf,
)
from sofi_bulk.lheo.origins import REF_COLUMN, REF_TABLE_OF_KIND, Locator, Origin, with_
from sofi_bulk.lheo.xsd import NS, UNKNOWN_END, xsd_model

PUBLIC_VISE_MAX = 250  # info-public-vise maxLength in the XSD
NOM_MAX = 50  # coordonnees/nom maxLength in the XSD
URL_FORMATION_MAX = 3  # url-formation/urlweb maxOccurs in the XSD
# dict-type-contact "Accueil": the organisme's own telephone and e-mail, in contact-formation,
# contact-organisme and contact-formateur
ACCUEIL_CONTACT_TYPE = "4"
MAIN = "principal"  # @tag of the main Formacode, contact, place and trainer (RCO exports)
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


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _leaf_text(leaf: Leaf, value: Any) -> str | None:
    """A leaf's value in its declared format (None, the element omitted, for no value)."""
    fmt = leaf.fmt
    if fmt == "code":
        return _code(leaf.key, value)
    if fmt == "date":
        return _lheo_date(value if value is not None else "")
    if value is None:
        return None
    if fmt == "number":
        return _number(value)
    if fmt == "money":
        return _money(value)
    if fmt == "label":
        return _capitalised(_label(leaf.key, value))
    return str(value)


class ActionPart(NamedTuple):
    """An LHEO action: a SOFI action, or the part of it whose sessions share LHEO's action
    values."""

    a: int  # the SOFI action's index in its formation
    members: list[int]  # its sessions (indexes in the locator)
    numero: str


class FormationPart(NamedTuple):
    """An LHEO formation: a SOFI formation, or the part of it whose actions share LHEO's
    formation values."""

    f: int
    actions: list[ActionPart]
    numero: str


class _Placed(NamedTuple):
    """A leaf ready to write: its element's path as steps, where its value is read, and
    whether the XSD requires it (written even when empty, so that a pre-check names the
    cell)."""

    leaf: Leaf
    steps: tuple[str, ...]
    group: str  # the submission object holding the field (formation, action, dispositif…)
    required: bool
    rank: int  # of its first step in the holder's XSD sequence


@functools.cache
def _placed() -> dict[Holder, tuple[_Placed, ...]]:
    """The mapping's leaves by the element holding them (a holder is named as its element),
    with what the XSD says of them."""
    model = xsd_model()

    def required(parent: str, steps: tuple[str, ...]) -> bool:
        for step in steps:
            low = next((low for child, low, _ in model.sequence[parent] if child == step), 0)
            if low < 1:
                return False
            parent = step
        return True

    placed: dict[Holder, list[_Placed]] = {holder: [] for holder in get_args(Holder)}
    for leaf in LEAVES:
        steps = tuple(leaf.path.split("/"))
        group = BY_KEY[leaf.key].group if leaf.key else "profile"
        rank = _rank(leaf.holder, steps[0])
        placed[leaf.holder].append(_Placed(leaf, steps, group, required(leaf.holder, steps), rank))
    return {holder: tuple(sorted(items, key=lambda p: p.rank)) for holder, items in placed.items()}


@functools.cache
def _rank(parent: str, child: str | None) -> int:
    """Where ``child`` comes in ``parent``'s XSD sequence (None: after the last)."""
    names = [name for name, _, _ in xsd_model().sequence[parent]]
    return names.index(child) if child else len(names)


class _Leaves:
    """The mapping's leaves of one element, written as the builder reaches the element's
    other children, so that every child comes in the XSD's order: the element then needs
    no reordering (which costs much on large offers)."""

    def __init__(
        self,
        builder: LheoBuilder,
        node: etree._Element,
        holder: Holder,
        holders: dict[str, Any],
        i: int,
        child: int | None = None,
    ) -> None:
        self.builder, self.node, self.holder = builder, node, holder
        self.holders, self.i, self.child = holders, i, child
        self.placed = _placed()[holder]
        self.next = 0

    def upto(self, name: str | None = None) -> None:
        """Write the leaves that come before the child ``name`` (all that remain: None)."""
        limit = _rank(self.holder, name)
        while self.next < len(self.placed) and self.placed[self.next].rank < limit:
            self.builder.write_leaf(
                self.node, self.placed[self.next], self.holders, self.i, self.child
            )
            self.next += 1


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


class LheoBuilder:
    """Builds the LHEO tree of a submission. Tracking, it records the Origin of every element
    it creates (to name the cell behind a refusal); untracked, it copies repeated sites and
    contacts. Simple leaves come from the mapping's ``LEAVES``; the rest is built here."""

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
        self.session_numbers: dict[int, str] = {}  # filled by layout()
        # every organisme the submission carries, by SIRET, for organisme-formateur
        self.organismes: dict[str, dict[str, Any]] = {}
        for formation in data["formations"]:
            org = formation.get("organisme") or {}
            if org.get("siret") and org.get("raison_sociale"):
                self.organismes.setdefault(org["siret"], org)
        for i in range(len(locator.index)):
            org = locator.session(i).get("responsible_org") or {}
            if org.get("siret") and org.get("raison_sociale"):
                self.organismes.setdefault(org["siret"], org)

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

    def child(self, parent: etree._Element, name: str) -> etree._Element:
        """``parent``'s element ``name``, made when it has none yet (shared by leaves)."""
        found = parent.find(_TAGS.get(name) or _tag(name))
        return found if found is not None else self.el(parent, name)

    def write_leaf(
        self,
        node: etree._Element,
        placed: _Placed,
        holders: dict[str, Any],
        i: int,
        child: int | None,
    ) -> None:
        """A leaf of the mapping in ``node``, from its field (read in ``holders``, the
        submission objects by name) or its profile setting; omitted when empty unless the
        XSD requires it."""
        leaf = placed.leaf
        lheo = self.profile.lheo
        if leaf.only_if and not getattr(lheo, leaf.only_if):
            return
        if leaf.setting:
            value = getattr(lheo, leaf.setting)
            origin = Origin(i, setting=f"lheo.{leaf.setting}")
        else:
            value = holders[placed.group].get(leaf.key)
            origin = Origin(i, leaf.key, child=child)
        if _blank(value):
            if not placed.required:
                return
            text = _leaf_text(leaf, value) if leaf.key else None
        else:
            text = _leaf_text(leaf, value) if leaf.key else str(value)
        parent = node
        for step in placed.steps[:-1]:
            parent = self.child(parent, step)
        self.el(parent, placed.steps[-1], text, origin)

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
        i: int,
        child: int | None = None,
        **attrs: Any,
    ) -> etree._Element | None:
        """The ``<extras>`` block ``name`` of the mapping, filled from ``values`` by field key."""
        items = [
            (extra.info, _format(extra, values.get(extra.key)), Origin(i, extra.field, child=child))
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

    def holders(self, formation: dict[str, Any], action: dict[str, Any], i: int) -> dict[str, Any]:
        """The submission objects a row's values are read from, by name (Field.group)."""
        session = self.loc.session(i)
        return {
            "formation": formation,
            "action": action,
            "session": session,
            "dispositif": session.get("dispositif") or {},
            "referents": session.get("referents") or {},
        }

    def document(self) -> etree._Element:
        root = etree.Element(f"{{{NS}}}lheo", nsmap={None: NS})
        offres = self.el(root, "offres")
        for part in self.layout():
            self.formation(offres, self.data["formations"][part.f], part)
        return root

    def layout(self) -> list[FormationPart]:
        """The LHEO formations and actions, numbered, in the submission's order: one per SOFI
        formation and action, unless sessions differ on a value LHEO holds higher than SOFI
        (then one per distinct set of such values, each part numbered apart). Also numbers
        the sessions (``session_numbers``)."""
        groups: dict[int, dict[str, dict[tuple[int, str], list[int]]]] = {}
        for i, (f, a, _) in enumerate(self.loc.index):
            values = self.values(i)
            element = groups.setdefault(f, {}).setdefault(_key(values, FORMATION_LEVEL), {})
            element.setdefault((a, _key(values, ACTION_LEVEL)), []).append(i)
        formations, actions, sessions = Numbers(), Numbers(), Numbers()
        parts: list[FormationPart] = []
        for f, elements in groups.items():
            formation = self.data["formations"][f]
            first = next(iter(next(iter(elements.values())).values()))[0]
            owner = self.owner(formation, first)
            start = formation["actions"][self.loc.index[first][1]].get("action_ref")
            f_base = formation.get("sofi_code") or made(
                "formation", owner, reference(start or self.ref_of(first))
            )
            a_bases: dict[int, str] = {}
            for j, pieces in enumerate(elements.values()):
                head = next(iter(pieces.values()))[0]
                f_number = f_base if j == 0 else part_of("formation", f_base, self.ref_of(head))
                action_parts = []
                for (a, _), members in pieces.items():
                    if a in a_bases:
                        number = part_of("action", a_bases[a], self.ref_of(members[0]))
                    else:
                        action = formation["actions"][a]
                        number = a_bases[a] = action.get("sofi_code") or made(
                            "action",
                            owner,
                            reference(action.get("action_ref") or self.ref_of(members[0])),
                        )
                    action_parts.append(ActionPart(a, members, actions.take(number)))
                    for i in members:
                        code = self.loc.session(i).get("sofi_code")
                        self.session_numbers[i] = sessions.take(
                            code or made("session", owner, reference(self.ref_of(i)))
                        )
                parts.append(FormationPart(f, action_parts, formations.take(f_number)))
        return parts

    def ref_of(self, i: int) -> str:
        """A session's « Réf. session » (its place in the file when it has none)."""
        return str(self.loc.session(i).get("session_ref") or f"L{i + 1}")

    def owner(self, formation: dict[str, Any], i: int) -> str:
        """The SIRET of the organisation a formation belongs to (its site dispensateur's)."""
        f, a, _ = self.loc.index[i]
        for org in (
            formation.get("organisme"),
            formation["actions"][a].get("delivery_site"),
            self.loc.session(i).get("responsible_org"),
        ):
            if org and org.get("siret"):
                return str(org["siret"])
        return "_"

    def formation(
        self, parent: etree._Element, formation: dict[str, Any], part: FormationPart
    ) -> None:
        first = part.actions[0].members[0]
        first_session = self.loc.session(first)
        action = formation["actions"][part.actions[0].a]
        node = self.el(parent, "formation", numero=part.numero)
        leaves = _Leaves(self, node, "formation", self.holders(formation, action, first), first)
        domaine = self.el(node, "domaine-formation")
        main = formation.get("main_formacode")
        ref = self.profile.lheo.formacode_ref
        if not _blank(main):
            self.el(
                domaine, "code-FORMACODE", main, Origin(first, "main_formacode"), ref=ref, tag=MAIN
            )
        for k, code in enumerate(formation.get("formacodes") or []):
            if code != main:
                self.el(
                    domaine, "code-FORMACODE", code, Origin(first, "formacodes", item=k), ref=ref
                )
        org = first_session.get("responsible_org") or {}
        leaves.upto("contact-formation")
        contact = self.el(node, "contact-formation", tag=MAIN)
        self.el(contact, "type-contact", ACCUEIL_CONTACT_TYPE)
        self.coordonnees_contact(contact, org, Origin(first, "responsible_org"))
        leaves.upto("url-formation")
        self.url_formation(node, formation, part)
        leaves.upto("action")
        for piece in part.actions:
            self.action(node, formation, formation["actions"][piece.a], piece)
        self.responsible(node, org, Origin(first, "responsible_org"))
        leaves.upto()

    def url_formation(
        self, node: etree._Element, formation: dict[str, Any], part: FormationPart
    ) -> None:
        """The web pages of the formation: those of its actions (« URL action »), each once,
        as many as LHEO admits; every action keeps its own in url-action."""
        urls: dict[str, int] = {}
        for piece in part.actions:
            url = formation["actions"][piece.a].get("action_url")
            if not _blank(url) and len(urls) < URL_FORMATION_MAX:
                urls.setdefault(str(url), piece.members[0])
        if urls:
            box = self.el(node, "url-formation")
            for url, i in urls.items():
                self.el(box, "urlweb", url, Origin(i, "action_url"))

    def responsible(self, parent: etree._Element, org: dict[str, Any], origin: Origin) -> None:
        node = self.el(parent, "organisme-formation-responsable", numero=organisme_number(org))
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
        contact = self.el(node, "contact-organisme", tag=MAIN)
        self.el(contact, "type-contact", ACCUEIL_CONTACT_TYPE)
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
        where = (obj.get("code_insee"), obj.get("latitude"), obj.get("longitude"))
        key = ("adresse", *parts.values(), *where, required, denomination, numero, "libelle" in obj)
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
        postcode = with_(origin, attr="code_postal")
        self.el(node, "codepostal", parts["code_postal"], postcode)
        self.el(node, "ville", parts["ville"], with_(origin, attr="ville"))
        self.geography(node, obj, origin)

    def geography(self, node: etree._Element, obj: dict[str, Any], origin: Origin) -> None:
        """Département, commune, région, country and coordinates of an address, in the XSD's
        order: from the postcode, or the commune's INSEE code when the référentiel has it."""
        insee = obj.get("code_insee") or None
        departement = departement_of(str(obj.get("code_postal") or ""), insee)
        told = with_(origin, attr="code_insee" if insee else "code_postal")
        self.leaf(node, "departement", departement, told)
        self.leaf(node, "code-INSEE-commune", insee, with_(origin, attr="code_insee"))
        self.leaf(node, "region", region_of(departement), told)
        self.el(node, "pays", COUNTRY)
        latitude, longitude = obj.get("latitude"), obj.get("longitude")
        if not _blank(latitude) and not _blank(longitude):
            box = self.el(node, "geolocalisation")
            self.el(box, "latitude", latitude, with_(origin, attr="latitude"))
            self.el(box, "longitude", longitude, with_(origin, attr="longitude"))

    def _table(self, origin: Origin) -> str:
        return REF_TABLE_OF_KIND[origin.field.kind]

    # -- action (a SOFI action, or the part of it whose sessions share LHEO's action values) --
    def action(
        self,
        parent: etree._Element,
        formation: dict[str, Any],
        action: dict[str, Any],
        part: ActionPart,
    ) -> None:
        members = part.members
        i = members[0]
        session = self.loc.session(i)
        dispositif = session.get("dispositif") or {}
        lheo = self.profile.lheo
        node = self.el(parent, "action", numero=part.numero)
        leaves = _Leaves(self, node, "action", self.holders(formation, action, i), i)
        self.el(node, "rythme-formation", self.rhythm(session), Origin(i, "rhythm"))
        for k, code in enumerate(dispositif.get("publics") or []):
            self.el(
                node, "code-public-vise", code, Origin(i, "publics", item=k), ref=lheo.formacode_ref
            )
        public = action.get("target_public")
        if not _blank(public):
            self.el(node, "info-public-vise", shorten(str(public)), Origin(i, "target_public"))
        leaves.upto("modalites-alternance")
        self.el(
            node,
            "modalites-alternance",
            self.alternance(session, i),
            Origin(i, setting="lheo.modalites_alternance"),
        )
        conditions = "\n".join(
            str(t)
            for t in (action.get("prerequisites"), action.get("prerequisites_comment"))
            if not _blank(t)
        )
        comment = not _blank(action.get("prerequisites_comment"))
        leaves.upto("conditions-specifiques")
        self.el(
            node,
            "conditions-specifiques",
            conditions,
            Origin(i, "prerequisites_comment" if comment else "prerequisites"),
        )
        site = session.get("site") or {}
        leaves.upto("lieu-de-formation")
        lieu = self.el(node, "lieu-de-formation", numero=site.get("code"), tag=MAIN)
        if site.get("siret"):
            box = self.el(lieu, "SIRET-lieu-formation")
            self.el(box, "SIRET", site["siret"], Origin(i, "site", attr="siret"))
        coordonnees = self.el(lieu, "coordonnees")
        name = site.get("libelle")
        if not _blank(name):  # where readers of LHEO 2.2 look for the place's name
            self.el(
                coordonnees, "nom", shorten(str(name), NOM_MAX), Origin(i, "site", attr="libelle")
            )
        self.address(
            coordonnees, site, Origin(i, "site"), required=True, denomination=site.get("libelle")
        )
        leaves.upto("session")
        for k in members:
            self.session(node, self.loc.session(k), k)
        leaves.upto("code-modalite-pedagogique")
        for key in ("training_periods", "teaching_methods"):
            value = session.get(key)
            code = None if _blank(value) else _lheo_code(key, value)
            self.leaf(
                node, "code-modalite-pedagogique", code, Origin(i, key), ref=lheo.formacode_ref
            )
        self.equipment(node, action, i)
        leaves.upto("nombre-heures-total")
        hours = [
            h
            for h in (session.get("centre_hours"), session.get("company_hours"))
            if isinstance(h, int | float)
        ]
        if hours:
            self.el(node, "nombre-heures-total", _number(sum(hours)), Origin(i, "centre_hours"))
        leaves.upto("organisme-formateur")
        self.trainer(node, action, i)
        leaves.upto()
        funder = self.child(node, "organisme-financeur")
        self.block(funder, "specificites", dispositif, i)
        self.block(funder, "sofi-dispositif", dispositif, i)
        values = _values(formation, action, session)
        self.block(node, "frais-pedagogiques", values, i)
        self.block(node, "sofi-action", values, i)

    def rhythm(self, session: dict[str, Any]) -> str:
        """« Temps plein, 35 h par semaine »: the SOFI label, with the weekly hours when known."""
        text = _capitalised(_label("rhythm", session.get("rhythm") or ""))
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
        """The organisme of the site dispensateur, numbered as an organisme, with its contact
        (the référentiel's telephone and e-mail: importers create its account from them)."""
        site = action.get("delivery_site")
        if not site:
            return
        origin = Origin(i, "delivery_site")
        siret = site.get("siret", "")
        org = self.organismes.get(siret)
        numero = organisme_number(org or {"siret": siret})
        node = self.el(parent, "organisme-formateur", numero=numero, tag=MAIN)
        box = self.el(node, "SIRET-formateur")
        self.el(box, "SIRET", siret, with_(origin, attr="siret"))
        if org is None:
            self.problem(
                with_(origin, attr="siret"),
                "l'organisme de ce site n'est pas dans la soumission : sa raison sociale, "
                "exigée par LHEO (raison-sociale-formateur), est inconnue.",
            )
        self.el(node, "raison-sociale-formateur", (org or {}).get("raison_sociale", ""), origin)
        if org and (not _blank(org.get("telephone")) or not _blank(org.get("email"))):
            contact = self.el(node, "contact-formateur")
            self.el(contact, "type-contact", ACCUEIL_CONTACT_TYPE)
            self.phone_email(self.el(contact, "coordonnees"), org, origin)
        self.block(node, "sofi-formateur", action, i)

    # -- session --
    def session(self, parent: etree._Element, session: dict[str, Any], i: int) -> None:
        node = self.el(parent, "session", numero=self.session_numbers[i])
        f, a, _ = self.loc.index[i]
        formation = self.data["formations"][f]
        leaves = _Leaves(
            self, node, "session", self.holders(formation, formation["actions"][a], i), i
        )
        leaves.upto("adresse-inscription")
        site = session.get("site") or {}
        inscription = self.el(node, "adresse-inscription")
        self.address(
            inscription, site, Origin(i, "site"), required=True, denomination=site.get("libelle")
        )
        periods = session.get("periodes_inscription") or []
        if periods:
            self.registration_envelope(node, periods, i)
        leaves.upto("recrutement")
        infos = session.get("informations_collectives") or []
        for k, info in enumerate(infos):
            self.info_collective(node, info, i, k)
        for k, method in enumerate(session.get("recruitment_methods") or []):
            code = _code("recruitment_methods", method)
            if code == INFO_COLLECTIVE and infos:
                continue  # already told by the informations collectives above
            rec = self.el(node, "recrutement")
            self.el(rec, "modalite-recrutement", code, Origin(i, "recruitment_methods", item=k))
        referents = session.get("referents") or {}
        for key, (role, setting) in REFERENT_ROLES.items():
            contact = referents.get(key)
            if contact:
                self.contact(
                    node,
                    contact,
                    role,
                    getattr(self.profile.lheo, setting),
                    Origin(i, key),
                    setting,
                )
        leaves.upto()
        box = self.block(node, "sofi-session", _values({}, {}, session), i)
        if periods:
            if box is None:
                box = self.el(node, "extras", info="sofi-session")
            for k, period in enumerate(periods):
                self.block(box, "periode-inscription", period, i, k, numero=period.get("pi_code"))

    def registration_envelope(
        self, node: etree._Element, periods: list[dict[str, Any]], i: int
    ) -> None:
        """LHEO keeps one registration period: the earliest start, the latest end (unknown
        when a period has none)."""
        box = self.el(self.el(node, "periode-inscription"), "periode")
        starts = [
            (p.get("pi_start"), k) for k, p in enumerate(periods) if not _blank(p.get("pi_start"))
        ]
        ends = [(p.get("pi_end"), k) for k, p in enumerate(periods) if not _blank(p.get("pi_end"))]
        start, k_start = min(starts) if starts else ("", 0)
        self.el(box, "debut", _lheo_date(str(start)), Origin(i, "pi_start", child=k_start))
        if len(ends) == len(periods):
            end, k_end = max(ends)
            self.el(box, "fin", _lheo_date(str(end)), Origin(i, "pi_end", child=k_end))
        else:  # an open period: the envelope has no known end
            k_open = next(k for k, p in enumerate(periods) if _blank(p.get("pi_end")))
            self.el(box, "fin", UNKNOWN_END, Origin(i, "pi_end", child=k_open))

    def info_collective(self, parent: etree._Element, info: dict[str, Any], i: int, k: int) -> None:
        node = self.el(parent, "recrutement", numero=info.get("ic_code"))
        self.el(node, "modalite-recrutement", INFO_COLLECTIVE, Origin(i, "ic_session", child=k))
        remote = info.get("ic_remote") == "oui"
        self.el(node, "a-distance", "1" if remote else "0", Origin(i, "ic_remote", child=k))
        leaves = _Leaves(self, node, "recrutement", {"information_collective": info}, i, k)
        leaves.upto("adresse")
        site = info.get("ic_site") or {}
        if site:
            self.address(
                node,
                site,
                Origin(i, "ic_site", child=k),
                required=True,
                denomination=site.get("libelle"),
                numero=site.get("code"),
            )
        leaves.upto()

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
