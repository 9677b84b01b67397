"""Take back an LHEO 2.3 file: this tool's own, or an export of the Carif-Oref's feed.

Reading follows the one mapping table (``lheo.mapping``) the export writes from: its simple
leaves (``LEAVES``) and its extension blocks (``EXTRAS``) are read back by the same
declarations; what the export builds by hand (identifiers, Formacodes, places, referents,
informations collectives…) is read back here. A value the export derives from the référentiel
or the profile (addresses, organisme details, contact-formation, the hours' total…) is not
taken: the current référentiel and programme give it again. Anything else the file holds
(a real feed carries dates of creation, access for the disabled, other financers…) is counted
per element, with examples, in the report: nothing is dropped in silence.

The file is parsed without entities, DTD or network, within lxml's default depth and text
bounds, after a size bound; a DOCTYPE is refused outright.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from lxml import etree

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import BY_KEY, Field, Kind
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.text import fold
from sofi_bulk.core.values import digits_code
from sofi_bulk.lheo.mapping import EXTRAS, INFO_COLLECTIVE, LEAVES, REFERENT_ROLES, Extra, Leaf
from sofi_bulk.reprise.offer import TakenOffer, unique_reference

# as ``lheo.xsd`` says them (a test checks it): that module brings the export's whole chain
NS = "http://lheo.gouv.fr/2.3"
UNKNOWN_END = "99999999"  # LHEO: end date not known
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_LHEO_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_WEEKLY = re.compile(r",\s*([0-9]+(?:[.,][0-9]+)?)\s*(?:h|heures?) par semaine\s*$")
_SOFI_CODE = re.compile(r"^\d{1,9}$")
# attributes the export writes that carry nothing of the offer, or what is taken elsewhere
_TAKEN_ATTRIBUTES = {"numero", "ref", "info", "tag"}
# extras blocks by the element that holds them
_BLOCKS_OF = {
    "action": ("sofi-action", "frais-pedagogiques"),
    "organisme-formateur": ("sofi-formateur",),
    "organisme-financeur": ("specificites", "sofi-dispositif"),
    "session": ("sofi-session",),
}
# elements the export derives from the référentiel or the profile: not taken back
_DERIVED = {
    "formation": ("contact-formation", "url-formation", "organisme-formation-responsable"),
    "action": (
        "niveau-entree-obligatoire",
        "modalites-alternance",
        "nombre-heures-total",
        "detail-conditions-prise-en-charge",
        "conventionnement",
        "lieu-de-formation",
    ),
    "session": ("adresse-inscription",),
}


@functools.cache
def _q(name: str) -> str:
    """A name in LHEO's namespace, as lxml spells tags."""
    return f"{{{NS}}}{name}"


@functools.cache
def _steps(path: str) -> tuple[str, ...]:
    return tuple(_q(step) for step in path.split("/"))


def _local(tag: Any) -> str:
    """A tag or attribute name without its namespace."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


_ROLE = f"{_q('extra')}[@info='role']"
_CONTACT_NAMES = tuple(f"{_q('coordonnees')}/{_q(part)}" for part in ("prenom", "nom"))


def _first(node: etree._Element, name: str) -> etree._Element | None:
    """The first child ``name`` (no path to parse: lxml's ``find`` costs ten times more)."""
    return next(node.iterchildren(_q(name)), None)


def parse_lheo(raw: bytes, name: str) -> etree._Element:
    """The root of an LHEO 2.3 document, parsed safely; one French line for anything else."""
    if _DOCTYPE.search(raw):
        raise UserError(
            f"{name} : le fichier déclare un type de document (DOCTYPE ou ENTITY), qui peut "
            "porter une attaque ; un fichier LHEO n'en a pas besoin : il est refusé."
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        line = f" (ligne {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise UserError(
            f"{name} : XML illisible{line} ; ce n'est pas un fichier LHEO 2.3."
        ) from None
    if root is None or _local(root.tag) != "lheo":
        raise UserError(f"{name} : ce n'est pas un fichier LHEO (élément racine « lheo » absent).")
    if root.tag != _q("lheo"):
        found = root.tag.partition("}")[0].lstrip("{") or "aucun"
        raise UserError(
            f"{name} : fichier LHEO d'un autre espace de noms ({found}) ; seul LHEO 2.3 "
            f"({NS}) est lu."
        )
    return root


def read_lheo(raw: bytes, name: str, profile: Profile) -> TakenOffer:
    root = parse_lheo(raw, name)
    reader = LheoReader(root, name, profile)
    reader.read()
    return reader.offer


class LheoReader:
    """Reads formations → actions → sessions, noting each element it takes."""

    def __init__(self, root: etree._Element, name: str, profile: Profile) -> None:
        self.root = root
        self.profile = profile
        self.offer = TakenOffer(name, "fichier LHEO 2.3")
        self.used: set[etree._Element] = set()  # elements taken (or derived by the export)
        self.refs: set[str] = set()
        self.responsible: set[str] = set()  # the organismes responsables' SIRETs
        self._values: dict[tuple[str, str, str], Any] = {}
        # a référent's field by its SOFI role, or by its LHEO contact type when one says it
        self.by_role = {role: field_key for field_key, (role, _) in REFERENT_ROLES.items()}
        self.by_type: dict[str, list[str]] = {}
        for field_key, (_, setting) in REFERENT_ROLES.items():
            self.by_type.setdefault(getattr(profile.lheo, setting), []).append(field_key)
        self.leaves: dict[str, list[Leaf]] = {}
        for leaf in LEAVES:
            self.leaves.setdefault(leaf.holder, []).append(leaf)
        self.extras: dict[str, dict[str, Extra]] = {
            block: {extra.info: extra for extra in EXTRAS[block].extras} for block in EXTRAS
        }

    # -- reading primitives --
    def find(self, parent: etree._Element, path: str) -> etree._Element | None:
        """The element at ``path`` (steps separated by /), each step noted as read."""
        node: etree._Element | None = parent
        for tag in _steps(path):
            assert node is not None
            node = next(node.iterchildren(tag), None)  # no path to parse: C speed
            if node is None:
                return None
            self.used.add(node)
        return node

    def text(self, parent: etree._Element, path: str) -> str | None:
        node = self.find(parent, path)
        if node is None:
            return None
        text = (node.text or "").strip()
        return text or None

    def children(self, parent: etree._Element, name: str) -> list[etree._Element]:
        found = list(parent.iterchildren(_q(name)))
        self.used.update(found)
        return found

    def take_whole(self, node: etree._Element | None) -> None:
        """Note an element as taken with everything it holds (derived by the export)."""
        if node is not None:
            self.used.update(node.iter())

    # -- conversions, from the forms the export writes --
    def value(self, fld: Field, text: str | None, fmt: str = "text") -> Any:
        """A field's value from the text the export wrote in ``fmt`` (each distinct text
        converted once: codes, dates and default texts repeat on every session)."""
        if text is None:
            return None
        key = (fld.key, fmt, text)
        try:
            return self._values[key]
        except KeyError:
            value = self._values[key] = self._convert(fld, text, fmt)
            return value

    def _convert(self, fld: Field, text: str, fmt: str) -> Any:
        kind = fld.kind
        if fmt == "code" or (kind is Kind.CODE and fmt != "label"):
            return self.from_lheo_code(fld, text)
        if fmt == "label":
            return self.from_label(fld, text)
        if kind is Kind.DATE or fmt == "date":
            return _date(text)
        if kind is Kind.INT:
            return _number(text, integer=True)
        if kind is Kind.DECIMAL:
            return _number(text, integer=False)
        return text

    def from_lheo_code(self, fld: Field, text: str) -> str:
        """The SOFI code of an LHEO code (the programme's default when several share it)."""
        table = table_of(fld)
        if not table.lheo_coded:
            return table.lookup(text) or text
        matches = [o.code for o in table.options if o.lheo_code == text]
        preferred = self.profile.prefill(fld.key)
        if isinstance(preferred, str) and preferred in matches:
            return preferred
        if matches:
            return matches[0]
        return table.lookup(text) or text

    def from_label(self, fld: Field, text: str) -> str:
        key = fold(text)
        for option in table_of(fld).options:
            if fold(option.label) == key:
                return option.code
        return text

    # -- the document --
    def read(self) -> None:
        self.used.add(self.root)
        offres = self.children(self.root, "offres")
        for container in offres:
            for formation in self.children(container, "formation"):
                self.formation(formation)
        if len(self.responsible) == 1:  # one organisation's offer: its lots, as from a JSON
            self.offer.establishment = self.responsible.pop()
        self.report_left()

    def formation(self, node: etree._Element) -> None:
        values: dict[str, Any] = {}
        self.read_leaves(node, "formation", values)
        codes = [
            (el, (el.text or "").strip())
            for box in self.children(node, "domaine-formation")
            for el in self.children(box, "code-FORMACODE")
        ]
        if codes:
            values["formacodes"] = [c for _, c in codes if c]
            main = next((c for el, c in codes if el.get("tag") == "principal"), codes[0][1])
            values["main_formacode"] = main or None
        org = _first(node, "organisme-formation-responsable")
        if org is not None:
            siret = self.text(org, "SIRET-organisme-formation/SIRET")
            if siret:
                values["responsible_org"] = siret
                self.responsible.add(digits_code(siret, 14) or siret)
                nom = org.findtext(_q("nom-organisme"))
                if nom:
                    self.offer.names[(Kind.ORGANISME, siret)] = nom.strip()
        for name in _DERIVED["formation"]:
            for el in node.iterchildren(_q(name)):
                self.take_whole(el)
        numero = node.get("numero") or ""
        for action in self.children(node, "action"):
            self.action(action, values, numero)

    def action(self, node: etree._Element, common: dict[str, Any], f_numero: str) -> None:
        values = dict(common)
        self.read_leaves(node, "action", values)
        rhythm = self.text(node, "rythme-formation")
        if rhythm:
            weekly = _WEEKLY.search(rhythm)
            label = rhythm[: weekly.start()] if weekly else rhythm
            values["rhythm"] = self.from_label(BY_KEY["rhythm"], label.strip())
            if weekly:
                values["weekly_hours"] = _number(weekly[1].replace(",", "."), integer=False)
        publics = [(el.text or "").strip() for el in self.children(node, "code-public-vise")]
        if publics:
            values["publics"] = [p for p in publics if p]
        public = self.text(node, "info-public-vise")
        if public:
            values["target_public"] = public
        conditions = self.text(node, "conditions-specifiques")
        if conditions:
            values["prerequisites"], values["prerequisites_comment"] = self.split_conditions(
                conditions
            )
        site = _first(node, "lieu-de-formation")
        if site is not None and site.get("numero"):
            code = site.get("numero", "")
            values["site"] = code
            label = site.findtext(f"{_q('coordonnees')}/{_q('nom')}") or site.findtext(
                f"{_q('coordonnees')}/{_q('adresse')}/{_q('denomination')}"
            )
            if label:
                self.offer.names.setdefault((Kind.SITE, code), label.strip())
        for el in self.children(node, "code-modalite-pedagogique"):
            code = (el.text or "").strip()
            if code in {o.code for o in table_of(BY_KEY["training_periods"]).options}:
                values["training_periods"] = code
            elif "teaching_methods" not in values:
                values["teaching_methods"] = self.from_lheo_code(BY_KEY["teaching_methods"], code)
        equipment = self.find(node, "equipement")
        if equipment is not None:
            kind = self.text(equipment, "type-equipement")
            values["equipment_type"] = kind
            values["equipment_cost"] = _number(
                self.text(equipment, "cout-indicatif-equipement"), integer=True
            )
            values["equipment_comment"] = self.text(equipment, "commentaire")
        for name in _DERIVED["action"]:
            for el in node.iterchildren(_q(name)):
                self.take_whole(el)
        trainer = _first(node, "organisme-formateur")
        if trainer is not None:
            self.used.add(trainer)
            for name in ("SIRET-formateur", "raison-sociale-formateur", "contact-formateur"):
                self.take_whole(_first(trainer, name))
            self.read_blocks(trainer, "organisme-formateur", values)
        funders = self.children(node, "organisme-financeur")
        wanted = self.profile.lheo.code_financeur
        funder = next(
            (f for f in funders if (f.findtext(_q("code-financeur")) or "").strip() == wanted),
            funders[0] if funders else None,
        )
        if funder is not None:
            self.find(funder, "code-financeur")
            values["places"] = _number(self.text(funder, "nb-places-financees"), integer=True)
            self.read_blocks(funder, "organisme-financeur", values)
        for other in funders:
            if other is not funder:
                self.used.discard(other)  # another financer: no column holds it
        self.read_blocks(node, "action", values)
        if not values.get("delivery_site") and values.get("site"):
            values["delivery_site"] = values["site"]  # a feed without our extensions
        a_numero = node.get("numero") or ""
        for session in self.children(node, "session"):
            self.session(session, values, f_numero, a_numero)

    def split_conditions(self, text: str) -> tuple[str, str | None]:
        """Pré-requis and their comment, which the export joins with a line break."""
        default = self.profile.defaults.get("prerequisites")
        if isinstance(default, str) and text.startswith(default + "\n"):
            return default, text[len(default) + 1 :] or None
        head, sep, rest = text.partition("\n")
        return (head, rest or None) if sep else (text, None)

    def session(
        self, node: etree._Element, common: dict[str, Any], f_numero: str, a_numero: str
    ) -> None:
        values = dict(common)
        self.read_leaves(node, "session", values)
        for name in _DERIVED["session"]:
            self.take_whole(_first(node, name))
        periods: list[dict[str, Any]] = []
        self.read_blocks(node, "session", values, periods)
        envelope = _first(node, "periode-inscription")
        if envelope is not None:
            if periods:
                self.take_whole(envelope)
            else:  # a feed without our extensions: the one period LHEO keeps
                start = self.text(envelope, "periode/debut")
                end = self.text(envelope, "periode/fin")
                periods.append({"pi_start": _date(start), "pi_end": _date(end)})
        infos: list[dict[str, Any]] = []
        methods: list[str] = []
        for rec in self.children(node, "recrutement"):
            method = self.text(rec, "modalite-recrutement")
            if method == INFO_COLLECTIVE and _first(rec, "periode") is not None:
                infos.append(self.info_collective(rec))
            elif method:
                methods.append(method)
        if infos:
            methods = [INFO_COLLECTIVE, *(m for m in methods if m != INFO_COLLECTIVE)]
        if methods:
            values["recruitment_methods"] = [
                self.from_lheo_code(BY_KEY["recruitment_methods"], m) for m in methods
            ]
        self.referents(node, values)
        if not values.get("fas_code"):
            parts = [p for p in (f_numero, a_numero, node.get("numero") or "")]
            codes = [p for p in parts if _SOFI_CODE.match(p)]
            if codes and all(_SOFI_CODE.match(p) for p in parts[: len(codes)]):
                values["fas_code"] = "-".join(parts[: len(codes)])
        wanted = str(values.get("session_ref") or node.get("numero") or "S")
        ref = unique_reference(wanted, self.refs)
        values["session_ref"] = ref
        self.offer.sessions.append(values)
        for info in infos:
            info["ic_session"] = ref
            self.offer.infos.append(info)
        for period in periods:
            period["pi_session"] = ref
            self.offer.periodes.append(period)

    def info_collective(self, node: etree._Element) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if node.get("numero"):
            values["ic_code"] = node.get("numero")
        remote = self.text(node, "a-distance")
        values["ic_remote"] = "oui" if remote == "1" else None
        self.read_leaves(node, "recrutement", values)
        address = _first(node, "adresse")
        if address is not None:
            self.take_whole(address)
            code = address.get("numero")
            if code:
                values["ic_site"] = code
                label = address.findtext(_q("denomination"))
                if label:
                    self.offer.names.setdefault((Kind.SITE, code), label.strip())
            else:
                self.offer.leave("information collective : adresse sans code de site", address)
        return values

    def referents(self, node: etree._Element, values: dict[str, Any]) -> None:
        by_role, by_type = self.by_role, self.by_type
        for contact in node.iterchildren(_q("contact-session")):
            role = None
            for box in contact.iterchildren(_q("extras")):
                if box.get("info") == "sofi":
                    role = (box.findtext(_ROLE) or "").strip()
            key: str | None = by_role.get(role or "")
            if key is None:
                kind = (contact.findtext(_q("type-contact")) or "").strip()
                keys = by_type.get(kind, [])
                key = keys[0] if len(keys) == 1 else None
            numero = contact.get("numero")
            if key is None or not numero or key in values:
                continue  # left for the report
            self.take_whole(contact)
            values[key] = numero
            names = [contact.findtext(path) for path in _CONTACT_NAMES]
            shown = " ".join(n.strip() for n in names if n)
            if shown:
                self.offer.names.setdefault((Kind.CONTACT, numero), shown)

    # -- the mapping's declarations, read back --
    def read_leaves(self, node: etree._Element, holder: str, values: dict[str, Any]) -> None:
        for leaf in self.leaves.get(holder, ()):
            if not leaf.key:  # a profile setting: the programme gives it again
                self.take_whole(self.find(node, leaf.path))
                continue
            text = self.text(node, leaf.path)
            if text is None or leaf.key in values and holder == "recrutement":
                continue
            values[leaf.key] = self.value(BY_KEY[leaf.key], text, leaf.fmt)

    def read_blocks(
        self,
        node: etree._Element,
        holder: str,
        values: dict[str, Any],
        periods: list[dict[str, Any]] | None = None,
    ) -> None:
        blocks = _BLOCKS_OF[holder]
        for box in node.iterchildren(_q("extras")):
            info = box.get("info")
            if info not in blocks:
                continue
            self.used.add(box)
            self.read_extras(box, info, values)
            if periods is None:
                continue
            for inner in box.iterchildren(_q("extras")):
                if inner.get("info") != "periode-inscription":
                    continue
                self.used.add(inner)
                period: dict[str, Any] = {}
                if inner.get("numero"):
                    period["pi_code"] = inner.get("numero")
                self.read_extras(inner, "periode-inscription", period)
                periods.append(period)

    def read_extras(self, box: etree._Element, block: str, values: dict[str, Any]) -> None:
        known = self.extras[block]
        for extra in box.iterchildren(_q("extra")):
            declared = known.get(extra.get("info") or "")
            if declared is None:
                continue
            self.used.add(extra)
            if declared.key not in BY_KEY:  # derived (the operation): said again by the export
                continue
            text = (extra.text or "").strip() or None
            fld = BY_KEY[declared.key]
            if declared.fmt == "site":
                values[declared.key] = text
            else:
                values[declared.key] = self.value(fld, text, declared.fmt)

    # -- what was not taken --
    def report_left(self) -> None:
        """Every element and attribute of the file not taken, counted by its path."""
        used = self.used
        for node in self.root.iter():
            if node in used:
                if node.keys():
                    for attr, value in node.attrib.items():
                        name = _local(attr)
                        if name not in _TAKEN_ATTRIBUTES:
                            self.offer.leave(f"{_path(node)}/@{name}", value)
                continue
            if not isinstance(node.tag, str):
                continue
            self.offer.leave(_path(node), _example(node))
            used.update(node.iter())  # what it holds goes with it


def _path(node: etree._Element) -> str:
    """Where an element sits, from its formation: ``formation/action/session/…``."""
    names = []
    for el in (node, *node.iterancestors()):
        name = _local(el.tag)
        if name in ("lheo", "offres") and el.getparent() is None or name == "offres":
            continue
        if name in ("extras", "extra"):
            name = f"{name}[{el.get('info', '')}]"
        names.append(name)
    return "/".join(reversed(names)) or "lheo"


def _example(node: etree._Element) -> str:
    text = " ".join("".join(node.itertext()).split())
    return text


def _date(text: str | None) -> Any:
    if text is None or text == UNKNOWN_END:
        return None
    m = _LHEO_DATE.match(text)
    if m is None:
        return text
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return text


def _number(text: str | None, *, integer: bool) -> Any:
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    if integer and number.is_integer():
        return int(number)
    return number
