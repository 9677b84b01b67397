"""The official LHEO 2.3 XSD, as data and as a validator.

Element types and sequences are read from the XSD itself: they order each element's
children and drive the pre-checks, which walk the tree element by element so that each
refusal names its cell. The XSD then validates the serialised document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

from lxml import etree

from sofi_bulk.core.resources import lheo_xsd
from sofi_bulk.lheo.origins import Locator, Origin

NS = "http://lheo.gouv.fr/2.3"
XS = "{http://www.w3.org/2001/XMLSchema}"
UNKNOWN_END = "99999999"  # LHEO: end date not known
_HOUR = re.compile(r"^([01]?\d|2[0-3])h([0-5]\d)?$")


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
        """Rank of each child tag (namespaced, as lxml names it) in ``parent``'s sequence."""
        order = _ORDERS.get(parent)
        if order is None:
            order = _ORDERS[parent] = {
                f"{{{NS}}}{child}": i
                for i, (child, _, _) in enumerate(self.sequence.get(parent, ()))
            }
        return order


_ORDERS: dict[str, dict[str, int]] = {}  # parent element -> rank of each child tag (the XSD's)


@cache
def xsd_model() -> _XsdModel:
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
            simple[name] = _Simple(
                restriction.get("base"),
                facets.get("min_length"),
                facets.get("max_length"),
                tuple(facets["enumeration"]),
                facets.get("pattern"),
            )
        elif sub in complex_types and (seq := complex_types[sub].find(f"{XS}sequence")) is not None:
            sequence[name] = tuple(
                (
                    child.get("ref").split(":")[-1],
                    int(child.get("minOccurs", "1")),
                    float("inf")
                    if child.get("maxOccurs") == "unbounded"
                    else int(child.get("maxOccurs", "1")),
                )
                for child in seq
            )
    return _XsdModel(simple, sequence)


@cache
def xml_schema() -> etree.XMLSchema:
    """The official XSD, parsed once per process."""
    return etree.XMLSchema(etree.parse(str(lheo_xsd())))


_NS_PREFIX = len(NS) + 2  # "{" + NS + "}"


def _local(node: etree._Element) -> str:
    return node.tag[_NS_PREFIX:]


def sort_children(root: etree._Element, model: _XsdModel) -> None:
    """Put every element's children in the XSD's sequence order (extras last)."""
    skip = {f"{{{NS}}}extras", f"{{{NS}}}extra"}
    for node in root.iter(f"{{{NS}}}*"):
        if len(node) < 2 or node.tag in skip:
            continue
        order = model.order(_local(node))
        if order:
            last = len(order)
            ranks = [order.get(child.tag, last) for child in node]
            if ranks != sorted(ranks):
                node[:] = [
                    child for _, child in sorted(zip(ranks, node, strict=True), key=lambda p: p[0])
                ]


def calendar_ok(root: etree._Element) -> bool:
    """Whether every date exists and every hour reads like 09h30: what the XSD's patterns
    let through. With the XSD, the quick yes for a valid document; any no is explained by
    :func:`precheck`."""
    model = xsd_model()
    dated = [f"{{{NS}}}{name}" for name, rule in model.simple.items() if rule.pattern]
    for node in root.iter(*dated):
        name = _local(node)
        if _check_simple(name, node.text or "", model.simple[name]):
            return False
    hours = (f"{{{NS}}}heure-debut", f"{{{NS}}}heure-fin")
    return all(not node.text or _HOUR.match(node.text) for node in root.iter(*hours))


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
            return (
                f"{_excerpt(value)} n'est pas une date (élément LHEO « {name} ») ; saisissez une "
                "date "
                "jj/mm/aaaa dans le classeur, AAAA-MM-JJ dans une soumission JSON."
            )
        if value not in ("00000000", UNKNOWN_END) and "00" not in (value[4:6], value[6:]):
            try:
                dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
            except ValueError:
                return (
                    f"{_excerpt(value)} : cette date n'existe pas dans le calendrier "
                    f"(élément LHEO « {name} »)."
                )
        return None
    if rule.enumeration and value not in rule.enumeration:
        return (
            f"code {_excerpt(value)} refusé par LHEO pour l'élément « {name} » "
            f"(codes admis : {', '.join(rule.enumeration)})."
        )
    n = len(value)
    if rule.min_length is not None and rule.min_length == rule.max_length and n != rule.min_length:
        return (
            f"{_excerpt(value)} compte {n} caractère{'s' if n > 1 else ''} ; LHEO (élément « "
            f"{name} ») "
            f"en exige exactement {rule.min_length}."
        )
    if rule.max_length is not None and n > rule.max_length:
        return (
            f"texte de {n} caractères : LHEO (élément « {name} ») en admet {rule.max_length} au "
            "plus ; "
            f"raccourcissez-le de {n - rule.max_length} "
            f"caractère{'s' if n - rule.max_length > 1 else ''}."
        )
    if rule.min_length is not None and n < rule.min_length:
        return (
            f"valeur vide ou trop courte ({n} caractère{'s' if n > 1 else ''}) : LHEO (élément « "
            f"{name} ») "
            f"en exige au moins {rule.min_length}."
        )
    return None


def _origin_of(node: etree._Element, origins: dict[etree._Element, Origin]) -> Origin | None:
    while node is not None:
        if node in origins:
            return origins[node]
        node = node.getparent()
    return None


def precheck(
    root: etree._Element, origins: dict[etree._Element, Origin], loc: Locator
) -> list[str]:
    """What the XSD enforces, checked element by element so each refusal names its cell."""
    model = xsd_model()
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
                say(node, f"heure {_excerpt(node.text)} : LHEO attend la forme 09h30 ou 14h00.")
        elif name in model.sequence:
            counts = Counter(_local(child) for child in node)
            allowed = {child for child, _, _ in model.sequence[name]}
            for child, low, high in model.sequence[name]:
                n = counts.get(child, 0)
                if n > high:
                    excess = [c for c in node if _local(c) == child][int(high)]
                    say(
                        excess,
                        f"{n} valeurs pour l'élément LHEO « {child} », qui en admet {int(high)} au "
                        "plus "
                        f"(dans « {name} ») ; retirez-en {n - int(high)}.",
                    )
                elif n < low:
                    say(node, f"l'élément LHEO obligatoire « {child} » manque dans « {name} ».")
            for child in sorted(counts.keys() - allowed):
                say(node, f"élément « {child} » inattendu dans « {name} ».")
        for child in node:
            walk(child)

    walk(root)
    return problems


def xsd_problems(
    xml: bytes, root: etree._Element, origins: dict[etree._Element, Origin], loc: Locator
) -> list[str]:
    """Validate with the official XSD; map each error back to the cell of its element."""
    schema = xml_schema()
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
        message = (
            f"le schéma officiel LHEO 2.3 refuse l'élément « {tag} » "
            f"(détail technique : {entry.message})."
        )
        problems.append(
            loc.describe(origin, message)
            if origin
            else f"Document LHEO, ligne {entry.line} : {message}"
        )
    return problems


def validate_lheo(xml: bytes) -> list[str]:
    """XSD errors of an LHEO document (empty when valid), e.g. to check a file made elsewhere."""
    try:
        doc = etree.fromstring(xml, etree.XMLParser(huge_tree=True))
    except etree.XMLSyntaxError as exc:
        return [f"XML illisible : {exc}"]
    schema = xml_schema()
    return (
        [] if schema.validate(doc) else [f"ligne {e.line} : {e.message}" for e in schema.error_log]
    )
