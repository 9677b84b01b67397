"""LHEO 2.3 export: XSD-valid output, every field placed, refusals naming cells, determinism."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from sofi_bulk.core.context import resolve_context
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import FIELDS, INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET, Kind
from sofi_bulk.core.profile import Profile, load_profile
from sofi_bulk.core.referentiel import Referentiel
from sofi_bulk.core.resources import lheo_xsd
from sofi_bulk.core.validate import validate_book
from sofi_bulk.excel.reader import read_workbook
from sofi_bulk.excel.referentiel import load_referentiel
from sofi_bulk.excel.sample import make_sample
from sofi_bulk.lheo import convert as lheo_convert
from sofi_bulk.lheo.convert import LheoError, submission_to_lheo, validate_lheo, write_lheo
from sofi_bulk.lheo.mapping import (
    EXPORTED_FIELDS,
    GATHERED,
    LEAVES,
    NOT_EXPORTED,
    STRUCTURED,
    extras_of,
)
from sofi_bulk.submission.build import SessionSource, build_submission
from sofi_bulk.submission.io import dumps, load_submission_json
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "saisie-exemple.xlsx"
NS = {"l": "http://lheo.gouv.fr/2.3"}
FAS = "19482-89393-143842"


# --- helpers ---------------------------------------------------------------------------------
def convert(
    path: Path, referentiel: Referentiel | None = None
) -> tuple[dict, list[SessionSource], Profile]:
    """Workbook -> validated submission, with the cell of every session."""
    book = read_workbook(path)
    ctx = resolve_context(book, referentiel=referentiel)
    result = validate_book(book, ctx.profile, ctx.referentiel, ctx.notices, today=TODAY)
    assert result.ok, [str(i) for i in result.errors]
    sources: list[SessionSource] = []
    data = build_submission(result, sources=sources)
    return data, sources, ctx.profile


def xsd_validate(xml: bytes) -> list[str]:
    """Independent check with lxml and the shipped official XSD."""
    schema = etree.XMLSchema(etree.parse(str(lheo_xsd())))
    doc = etree.fromstring(xml)
    schema.validate(doc)
    return [f"{e.line}: {e.message}" for e in schema.error_log]


def qualify(path: str) -> str:
    """Prefix every element name of an EXPORTED_FIELDS path with the LHEO namespace prefix."""
    out, i = [], 0
    for m in re.finditer(r"'[^']*'|@[\w-]+|[A-Za-z][\w-]*(?=\s*\()|[A-Za-z][\w-]*", path):
        out.append(path[i : m.start()])
        token = m.group()
        is_name = not token.startswith(("'", "@")) and not path[m.end() :].lstrip().startswith("(")
        out.append(f"l:{token}" if is_name else token)
        i = m.end()
    out.append(path[i:])
    return "".join(out)


def formation_of(root: etree._Element, session_ref: str) -> etree._Element:
    hits = root.xpath(
        "//l:formation[l:action/l:session/l:extras[@info='sofi-session']"
        "/l:extra[@info='reference']=$ref]",
        namespaces=NS,
        ref=session_ref,
    )
    assert len(hits) == 1
    return hits[0]


def values_at(formation: etree._Element, path: str) -> list[str]:
    found = formation.xpath(qualify(path), namespaces=NS)
    return [f if isinstance(f, str) else "".join(f.itertext()) for f in found]


def refused(data: dict, profile: Profile, sources: list[SessionSource] | None) -> list[str]:
    with pytest.raises(LheoError) as info:
        submission_to_lheo(data, profile, sources)
    assert info.value.problems
    assert str(info.value).startswith("Export LHEO 2.3 refusé")
    return info.value.problems


def cell(sources: list[SessionSource], key: str, session: int = 0, child: str | None = None) -> str:
    """« Sessions!AC3 »-style reference of a field, from the sources (not hard-coded)."""
    src = sources[session]
    if child == "infos":
        sheet, _, cells = src.infos[0]
        return f"'{sheet}'!{cells[key]}"
    if child == "periodes":
        sheet, _, cells = src.periodes[0]
        return f"'{sheet}'!{cells[key]}"
    return f"{src.sheet}!{src.cells[key]}"


def first_session(data: dict) -> dict:
    return data["formations"][0]["actions"][0]["sessions"][0]


# --- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def example() -> tuple[dict, list[SessionSource], Profile]:
    return convert(EXAMPLE)


@pytest.fixture(scope="module")
def sample12(tmp_path_factory) -> tuple[dict, list[SessionSource], Profile]:
    path = tmp_path_factory.mktemp("lheo") / "douze.xlsx"
    make_sample(12).save(path)
    return convert(path)


FILLED = {
    "fas_code": FAS,
    "title_complement": "Parcours Nantes centre-ville",
    "highlight": "Immersions en entreprise dès la deuxième semaine.",
    "video_url": "https://www.youtube.com/watch?v=abcDEF12345",
    "pdf_url": "https://www.ilf-formation.fr/plaquette-prepa.pdf",
    "equipment_type": "11 - Équipement numérique",
    "equipment_cost": 49,
    "equipment_comment": "Ordinateur portable conseillé, prêt possible.",
    "duration_comment": "12 semaines dont 2 de stage en entreprise",
    "alternance_cycle": "3 - Semaine",
    "company_unit": 2,
    "prf_contact": "1907",
    "extra_fees": "15,50",
    "cr_action_id": "2868",
    "cr_mandataire_id": "75",
    "action_ref": "A-NANTES",
    "realisation_site": "36371",
    "teaching_methods": "en établissement de formation et FOAD",
    "session_state": "Inactif",  # the session FAS names is taken out of the offer
}


# Certifinfo: the profile fixes « Référence Certifinfo » to non, so the code can only come
# from a submission of another programme: both are set in the data
IN_DATA = {"certifinfo_reference": "oui", "certifinfo_code": "RS5678"}


def held_as_typed(key: str) -> bool:
    """LHEO holds the field as it was typed: each of its places is a text leaf or a text
    extra of the mapping, none built by hand (as an optional text field a newcomer adds)."""
    leaves = [leaf for leaf in LEAVES if leaf.key == key]
    extras = [extra for _, extra in extras_of(key)]
    return (
        bool(leaves or extras)
        and key not in STRUCTURED
        and key not in GATHERED
        and all(leaf.fmt == "text" for leaf in leaves)
        and all(extra.fmt == "text" for extra in extras)
    )


_PROFILE = load_profile()
# the optional text fields of the Sessions sheet LHEO holds as typed that nothing above
# fills: each gets a value of its own, which must land at each of its places (a field added
# to the catalogue and the mapping is covered without editing this file)
TYPED = {
    f.key: f"{f.header} : valeur de test"[: f.max_length]
    for f in FIELDS
    if f.sheet == SESSIONS_SHEET
    and f.kind in (Kind.TEXT, Kind.LONGTEXT)
    and not f.required
    and f.key not in FILLED
    and f.key not in IN_DATA
    and _PROFILE.prefill(f.key) is None
    and held_as_typed(f.key)
}


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> tuple[dict, list[SessionSource], Profile]:
    """One session with every optional field the validator allows, filled with a distinctive
    value."""
    book = make_sample(1, periodes_per_session=2)
    for key, value in {**FILLED, **TYPED}.items():
        book.set(SESSIONS_SHEET, key, 0, value)
    book.set(INFOS_SHEET, "ic_comment", 0, "Entrée par le hall B, salle 12.")
    book.set(INFOS_SHEET, "ic_remote", 0, "oui")
    book.set(INFOS_SHEET, "ic_url", 0, "https://visio.ilf-formation.fr/info-collective")
    book.set(PERIODES_SHEET, "pi_code", 0, "PI-4711")
    path = tmp_path_factory.mktemp("lheo") / "rempli.xlsx"
    book.save(path)
    data, sources, profile = convert(path)
    for key in (*FILLED, *TYPED, "ic_remote", "ic_url"):
        assert key in json.dumps(data), f"{key} not in the submission: the validator dropped it"
    data["formations"][0].update(IN_DATA)
    return data, sources, profile


# --- validity --------------------------------------------------------------------------------
def test_example_workbook_export_is_valid_lheo(example):
    data, sources, profile = example
    xml = submission_to_lheo(data, profile, sources)
    assert xml.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<lheo xmlns="http://lheo.gouv.fr/2.3">'
    )
    assert xsd_validate(xml) == []
    root = etree.fromstring(xml)
    sessions = root.findall(".//l:session", NS)
    assert len(sessions) == data["header"]["session_count"]
    assert len(root.findall(".//l:action", NS)) == len(sessions)  # one LHEO action per SOFI session
    xml.decode("utf-8")  # UTF-8 throughout


def test_twelve_session_sample_is_valid_lheo(sample12):
    data, sources, profile = sample12
    xml = submission_to_lheo(data, profile, sources)
    assert xsd_validate(xml) == []
    root = etree.fromstring(xml)
    refs = root.xpath("//l:extra[@info='reference']/text()", namespaces=NS)
    wanted = [
        s["session_ref"] for f in data["formations"] for a in f["actions"] for s in a["sessions"]
    ]
    assert refs == wanted  # document order kept


def test_xsd_failures_are_also_caught_with_a_cell(example, monkeypatch):
    """Even with the pre-checks switched off, the XSD itself refuses, and names the cell."""
    data, sources, profile = example
    data = copy.deepcopy(data)
    first_session(data)["informations_collectives"][0]["ic_comment"] = "x" * 501
    first_session(data)["dispositif"]["places"] = "douze"
    monkeypatch.setattr(lheo_convert, "precheck", lambda *args: [])
    problems = refused(data, profile, sources)
    assert any(
        p.startswith(cell(sources, "ic_comment", child="infos")) and "commentaire" in p
        for p in problems
    )
    assert any(
        p.startswith(cell(sources, "places")) and "nb-places-financees" in p for p in problems
    )
    assert all("schéma officiel LHEO 2.3 refuse" in p for p in problems)


# --- every field placed ----------------------------------------------------------------------
def test_every_catalogue_field_is_exported_or_explained():
    keys = {f.key for f in FIELDS}
    assert set(EXPORTED_FIELDS) | set(NOT_EXPORTED) == keys
    assert not set(EXPORTED_FIELDS) & set(NOT_EXPORTED)
    for key, reason in NOT_EXPORTED.items():
        assert len(reason) > 30 and reason.endswith("."), key  # a sentence, not a placeholder
    for key, paths in EXPORTED_FIELDS.items():
        assert paths and all(isinstance(p, str) and p for p in paths), key


def _lheo_date(iso: str) -> str:
    return iso.replace("-", "")


def expected(key: str, formation: dict, action: dict, session: dict) -> list[str | None]:
    """What each EXPORTED_FIELDS path of ``key`` must hold (None: the element must exist)."""
    d, r = session["dispositif"], session["referents"]
    info, periods = session["informations_collectives"][0], session["periodes_inscription"]
    f, a, s = FAS.split("-")
    site = session["site"]
    table: dict[str, list[str | None]] = {
        "session_ref": [session["session_ref"]],
        "fas_code": [f, a, s, FAS],
        "lot": [d["lot"]],
        "title": [formation["title"]],
        "general_objective": [formation["general_objective"]],
        "exit_level": [formation["exit_level"]],
        "formacodes": list(formation["formacodes"]),
        "main_formacode": [formation["main_formacode"]],
        "certifinfo_reference": ["1"],
        "certifinfo_code": ["RS5678"],
        "delivery_site": [action["delivery_site"]["siret"]],
        "realisation_site": ["36371"],
        "action_ref": ["A-NANTES"],
        "title_complement": [FILLED["title_complement"]],
        "programme_complement": [action["programme_complement"]],
        "objectives": [action["objectives"]],
        "expected_results": [action["expected_results"]],
        "highlight": [FILLED["highlight"]],
        "video_url": [FILLED["video_url"]],
        "pdf_url": [FILLED["pdf_url"]],
        "action_url": [action["action_url"]],
        "equipment_type": ["11"],
        "equipment_cost": ["49"],
        "equipment_comment": [FILLED["equipment_comment"]],
        "entry_level": [action["entry_level"]],
        "prerequisites": [action["prerequisites"]],
        "prerequisites_comment": [action["prerequisites_comment"]],
        "target_public": [None, action["target_public"]],
        "site": [site["code_postal"], site["adresse"]],
        "start_date": [_lheo_date(session["start_date"])],
        "end_date": [_lheo_date(session["end_date"])],
        "entry_exit_mode": [
            {"permanentes": "1"}.get(session["entry_exit_mode"], "0"),
            session["entry_exit_mode"],
        ],
        "rhythm": [session["rhythm"].replace("-", " ").capitalize()],
        "training_periods": [session["training_periods"]],
        "pathway_type": [session["pathway_type"]],
        "teaching_methods": ["En établissement de formation et FOAD", "96129"],
        "delivery_mode": [session["delivery_mode"]],
        "centre_hours": [
            str(session["centre_hours"]),
            str(session["centre_hours"] + session["company_hours"]),
        ],
        "company_hours": [
            str(session["company_hours"]),
            str(session["centre_hours"] + session["company_hours"]),
        ],
        "duration_comment": [FILLED["duration_comment"]],
        "weekly_hours": [
            f"{session['weekly_hours']:g}".replace(".", ","),
            f"{session['weekly_hours']:g}",
        ],
        "alternance_cycle": ["3"],
        "company_unit": ["2"],
        "responsible_org": [
            session["responsible_org"]["numero_activite"],
            session["responsible_org"]["email"],
        ],
        "recruitment_status": [session["recruitment_status"]],
        "recruitment_methods": [m for m in session["recruitment_methods"]],
        "pmr_contact": [r["pmr_contact"]["email"]],
        "prf_contact": [r["prf_contact"]["email"]],
        "liaison_email": [r["liaison_email"]],
        "mobility_contact": [r["mobility_contact"]["email"]],
        "dispositif": [d["dispositif"], d["dispositif"]],
        "publics": list(d["publics"]),
        "cr_action_id": [FILLED["cr_action_id"], FILLED["cr_action_id"]],
        "cr_mandataire_id": [FILLED["cr_mandataire_id"]],
        "places": [str(d["places"])],
        "places_remaining": [str(d["places_remaining"])],
        "min_headcount": [str(d["min_headcount"])],
        "simultaneous_capacity": [str(d["simultaneous_capacity"])],
        "fee_excl_tax": [f"{d['fee_excl_tax']:.2f}"],
        "vat_rate": [d["vat_rate"]],
        "fee_incl_tax": [f"{d['fee_incl_tax']:.2f}", f"{d['fee_incl_tax']:.2f}"],
        "extra_fees": ["15.50"],
        "certification_fees": ["0"],
        "fees_covered": ["1"],
        "session_state": ["inactif"],
        "ic_code": [info["ic_code"]],
        "ic_date": [_lheo_date(info["ic_date"]), _lheo_date(info["ic_date"])],
        "ic_start_time": [info["ic_start_time"]],
        "ic_end_time": [info["ic_end_time"]],
        "ic_site": [info["ic_site"]["code_postal"]],
        "ic_comment": ["Entrée par le hall B, salle 12."],
        "ic_remote": ["1"],
        "ic_url": ["https://visio.ilf-formation.fr/info-collective"],
        "pi_code": ["PI-4711"],
        "pi_type": [p["pi_type"] for p in periods],
        "pi_start": [
            _lheo_date(min(p["pi_start"] for p in periods)),
            _lheo_date(periods[0]["pi_start"]),
        ],
        "pi_end": [_lheo_date(max(p["pi_end"] for p in periods)), _lheo_date(periods[0]["pi_end"])],
    }
    if key not in table and key in TYPED:  # as typed, at each of its places
        return [TYPED[key]] * len(EXPORTED_FIELDS[key])
    return table[key]


def test_every_filled_field_lands_where_exported_fields_says(filled):
    data, sources, profile = filled
    xml = submission_to_lheo(data, profile, sources)
    assert xsd_validate(xml) == []
    formation = data["formations"][0]
    action = formation["actions"][0]
    session = action["sessions"][0]
    node = formation_of(etree.fromstring(xml), session["session_ref"])
    missing = []
    for key, paths in EXPORTED_FIELDS.items():
        wants = expected(key, formation, action, session)
        for k, path in enumerate(paths):
            found = values_at(node, path)
            if not found:
                missing.append(f"{key}: nothing at {path}")
                continue
            want = wants[k] if len(wants) == len(paths) else None
            if key in ("formacodes", "publics", "recruitment_methods", "pi_type"):
                if not set(wants) <= set(found):
                    missing.append(f"{key}: {wants} not all in {found} at {path}")
            elif want is not None and not any(want == f or want in f for f in found):
                missing.append(f"{key}: {want!r} not in {found!r} at {path}")
    assert missing == []


def test_main_formacode_is_emitted_first(filled):
    data, sources, profile = filled
    data = copy.deepcopy(data)
    data["formations"][0]["formacodes"] = ["15084", "15061"]
    data["formations"][0]["main_formacode"] = "15061"
    root = etree.fromstring(submission_to_lheo(data, profile, sources))
    codes = root.xpath("//l:domaine-formation/l:code-FORMACODE", namespaces=NS)
    assert [c.text for c in codes] == ["15061", "15084"]
    assert {c.get("ref") for c in codes} == {profile.lheo.formacode_ref}


def test_informations_collectives_and_periods(filled):
    data, sources, profile = filled
    root = etree.fromstring(submission_to_lheo(data, profile, sources))
    session = first_session(data)
    ic = root.xpath("//l:recrutement[l:modalite-recrutement='9']", namespaces=NS)
    assert len(ic) == len(session["informations_collectives"])
    period = ic[0].find("l:periode", NS)
    assert period.findtext("l:debut", namespaces=NS) == period.findtext("l:fin", namespaces=NS)
    # « 9 information collective » among the methods is not repeated as a bare recrutement
    others = root.xpath(
        "//l:recrutement[not(l:periode)]/l:modalite-recrutement/text()", namespaces=NS
    )
    assert others == [m for m in session["recruitment_methods"] if m != "9"]
    # every period is kept in the extras, the LHEO element holds the envelope
    kept = root.xpath("//l:extras[@info='periode-inscription']", namespaces=NS)
    assert len(kept) == len(session["periodes_inscription"]) == 2


def test_open_registration_period_gives_unknown_end(example):
    data, sources, profile = example
    data = copy.deepcopy(data)
    session = first_session(data)
    session["periodes_inscription"].append({"pi_type": "inscription", "pi_start": "2024-10-01"})
    root = etree.fromstring(submission_to_lheo(data, profile, sources))
    envelope = root.xpath("//l:session[1]/l:periode-inscription/l:periode", namespaces=NS)[0]
    assert envelope.findtext("l:debut", namespaces=NS) == "20241001"
    assert envelope.findtext("l:fin", namespaces=NS) == "99999999"


def test_referents_carry_their_sofi_role_and_profile_type(filled):
    data, sources, profile = filled
    root = etree.fromstring(submission_to_lheo(data, profile, sources))
    roles = {
        c.xpath("string(l:extras[@info='sofi']/l:extra[@info='role'])", namespaces=NS): c.findtext(
            "l:type-contact", namespaces=NS
        )
        for c in root.iterfind(".//l:contact-session", NS)
    }
    assert roles == {
        "referent-pmr": profile.lheo.pmr_contact_type,
        "referent-mobilite": profile.lheo.mobility_contact_type,
        "referent-prf": profile.lheo.prf_contact_type,
    }


# --- info-public-vise -------------------------------------------------------------------------
def test_public_vise_is_shortened_and_kept_whole_in_extras(example):
    data, sources, profile = example
    full = data["formations"][0]["actions"][0]["target_public"]
    assert len(full) > 250  # the programme's text does not fit LHEO
    root = etree.fromstring(submission_to_lheo(data, profile, sources))
    short = root.xpath("string(//l:action[1]/l:info-public-vise)", namespaces=NS)
    assert 0 < len(short) <= 250
    assert short.endswith("…")
    stem = short[:-1]
    assert full.startswith(stem) and full[len(stem)] in " ,;:.", "cut inside a word"
    kept = root.xpath(
        "string(//l:action[1]/l:extras[@info='sofi-action']/l:extra[@info='public-vise'])",
        namespaces=NS,
    )
    assert kept == full


def test_short_public_vise_is_kept_as_is(example):
    data, sources, profile = example
    data = copy.deepcopy(data)
    data["formations"][0]["actions"][0]["target_public"] = "Demandeurs d'emploi de niveau bac."
    root = etree.fromstring(submission_to_lheo(data, profile, sources))
    assert (
        root.xpath("string(//l:action[1]/l:info-public-vise)", namespaces=NS)
        == "Demandeurs d'emploi de niveau bac."
    )


# --- refusals before writing, naming the cell or the JSON path ------------------------------
def _session(data: dict) -> dict:
    return first_session(data)


MUTATIONS = [
    # (id, mutate(data), field key, child sheet, json path, words in the message)
    (
        "titre-trop-long",
        lambda d: d["formations"][0].update(title="T" * 300),
        "title",
        None,
        "formations[0].title",
        ["255", "intitule-formation"],
    ),
    (
        "code-enseignement",
        lambda d: _session(d).update(delivery_mode="7"),
        "delivery_mode",
        None,
        "formations[0].actions[0].sessions[0].delivery_mode",
        ["« 7 »", "0, 1, 2"],
    ),
    (
        "onze-publics",
        lambda d: _session(d)["dispositif"].update(publics=["80006"] * 11),
        "publics",
        None,
        "formations[0].actions[0].sessions[0].dispositif.publics[10]",
        ["11 valeurs", "10 au plus"],
    ),
    (
        "six-formacodes",
        lambda d: d["formations"][0].update(
            formacodes=["15061", "15084", "15085", "15086", "15087", "15088"]
        ),
        "formacodes",
        None,
        "formations[0].formacodes[5]",
        ["6 valeurs", "5 au plus"],
    ),
    (
        "prix-ttc-11-caracteres",
        lambda d: _session(d)["dispositif"].update(fee_incl_tax=12345678.9),
        "fee_incl_tax",
        None,
        "formations[0].actions[0].sessions[0].dispositif.fee_incl_tax",
        ["prix-total-TTC", "10 au plus"],
    ),
    (
        "commentaire-ic",
        lambda d: _session(d)["informations_collectives"][0].update(ic_comment="c" * 501),
        "ic_comment",
        "infos",
        "formations[0].actions[0].sessions[0].informations_collectives[0].ic_comment",
        ["501 caractères", "500"],
    ),
    (
        "date-inscription",
        lambda d: _session(d)["periodes_inscription"][0].update(pi_start="01/12/2024"),
        "pi_start",
        "periodes",
        "formations[0].actions[0].sessions[0].periodes_inscription[0].pi_start",
        ["n'est pas une date"],
    ),
    (
        "date-impossible",
        lambda d: _session(d).update(end_date="2025-02-30"),
        "end_date",
        None,
        "formations[0].actions[0].sessions[0].end_date",
        ["n'existe pas"],
    ),
    (
        "heure",
        lambda d: _session(d)["informations_collectives"][0].update(ic_start_time="09:30"),
        "ic_start_time",
        "infos",
        "formations[0].actions[0].sessions[0].informations_collectives[0].ic_start_time",
        ["9h30"],
    ),
    (
        "caractere-controle",
        lambda d: d["formations"][0]["actions"][0].update(highlight="Stage\x0b en entreprise"),
        "highlight",
        None,
        "formations[0].actions[0].highlight",
        ["U+000B"],
    ),
    (
        "nda-10-caracteres",
        lambda d: _session(d)["responsible_org"].update(numero_activite="5244099994"),
        "responsible_org",
        None,
        "formations[0].actions[0].sessions[0].responsible_org.numero_activite",
        ["référentiel", "« organismes »", "« numero_activite »", "exactement 11"],
    ),
    (
        "nda-absent",
        lambda d: _session(d)["responsible_org"].update(numero_activite=""),
        "responsible_org",
        None,
        "formations[0].actions[0].sessions[0].responsible_org.numero_activite",
        ["référentiel", "« organismes »", "absent"],
    ),
    (
        "code-postal-10",
        lambda d: _session(d)["site"].update(code_postal="4400012345"),
        "site",
        None,
        "formations[0].actions[0].sessions[0].site.code_postal",
        ["référentiel", "« sites »", "« code_postal »", "exactement 5"],
    ),
    (
        "site-sans-adresse",
        lambda d: _session(d)["site"].update(adresse="", ville=""),
        "site",
        None,
        "formations[0].actions[0].sessions[0].site.adresse",
        ["référentiel", "« sites »", "adresse incomplète", "« ville »"],
    ),
    (
        "code-insee-trop-court",
        lambda d: _session(d)["site"].update(code_insee="4410"),
        "site",
        None,
        "formations[0].actions[0].sessions[0].site.code_insee",
        ["référentiel", "« sites »", "« code_insee_commune »", "exactement 5"],
    ),
    (
        "latitude-trop-longue",
        lambda d: _session(d)["site"].update(latitude="47." + "1" * 40, longitude="-1.5"),
        "site",
        None,
        "formations[0].actions[0].sessions[0].site.latitude",
        ["référentiel", "« sites »", "« latitude »", "30 au plus"],
    ),
    (
        "nom-contact-trop-long",
        lambda d: _session(d)["referents"]["pmr_contact"].update(nom="N" * 51),
        "pmr_contact",
        None,
        "formations[0].actions[0].sessions[0].referents.pmr_contact.nom",
        ["référentiel", "« contacts »", "50 au plus"],
    ),
]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutation_is_refused_naming_the_cell(example, mutation, tmp_path):
    _, mutate, key, child, _, words = mutation
    data, sources, profile = example
    data = copy.deepcopy(data)
    mutate(data)
    out = tmp_path / "offre.xml"
    with pytest.raises(LheoError) as info:
        write_lheo(out, submission_to_lheo(data, profile, sources))
    assert not out.exists()  # refused before writing
    where = cell(sources, key, child=child)
    hits = [p for p in info.value.problems if p.startswith(where + " (")]
    assert hits, (where, info.value.problems)
    for word in words:
        assert any(word in p for p in hits), (word, hits)
    assert "Element '" not in str(info.value)  # never a bare XSD message


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutation_is_refused_naming_the_json_path(example, mutation):
    _, mutate, _, _, json_path, words = mutation
    data, _, profile = example
    data = copy.deepcopy(data)
    mutate(data)
    problems = refused(data, profile, None)
    hits = [p for p in problems if p.startswith(json_path + " (")]
    assert hits, (json_path, problems)
    assert all(any(word in p for p in hits) for word in words)


def test_bad_referentiel_is_refused_end_to_end(tmp_path):
    """A référentiel whose NDA and postal code do not fit LHEO: named with table and cell."""
    ref = load_referentiel()
    siret = "44198765800016"
    organismes = dict(ref.organismes)
    organismes[siret] = replace(organismes[siret], numero_activite="5244099994")
    sites = {
        code: replace(s, code_postal="4400012345") if s.siret == siret else s
        for code, s in ref.sites.items()
    }
    bad = Referentiel(ref.lots, organismes, sites, ref.contacts, source="mauvais.xlsx")
    data, sources, profile = convert(EXAMPLE, referentiel=bad)
    problems = refused(data, profile, sources)
    sessions = [s for f in data["formations"] for a in f["actions"] for s in a["sessions"]]
    i = next(k for k, s in enumerate(sessions) if s["responsible_org"]["siret"] == siret)
    assert any(
        p.startswith(cell(sources, "responsible_org", session=i))
        and "numero_activite" in p
        and "organisme 44198765800016" in p
        for p in problems
    )
    assert any("« sites »" in p and "4400012345" in p for p in problems)


def test_bad_profile_setting_names_the_setting(example):
    data, sources, profile = example
    lheo = replace(profile.lheo, code_financeur="99", modalites_alternance="{inconnu} h")
    problems = refused(data, replace(profile, lheo=lheo), sources)
    assert any("réglage lheo.code_financeur" in p and "« 99 »" in p for p in problems)
    assert any("réglage lheo.modalites_alternance" in p for p in problems)


def test_submission_of_another_programme_is_refused(example):
    data, sources, profile = example
    data = copy.deepcopy(data)
    data["header"]["programme"] = "autre-programme"
    assert any("autre-programme" in p for p in refused(data, profile, sources))


# --- profile settings ---------------------------------------------------------------------------
def test_profile_drives_exit_level_and_alternance_text(example):
    data, sources, profile = example
    lheo = replace(
        profile.lheo,
        emit_exit_level=False,
        modalites_alternance="Centre {centre_hours} h / entreprise {company_hours} h",
    )
    root = etree.fromstring(submission_to_lheo(data, replace(profile, lheo=lheo), sources))
    assert root.find(".//l:code-niveau-sortie", NS) is None
    session = first_session(data)
    text = root.xpath("string(//l:action[1]/l:modalites-alternance)", namespaces=NS)
    assert text == f"Centre {session['centre_hours']} h / entreprise {session['company_hours']} h"


# --- grouping: SOFI's F-A-S tree ---------------------------------------------------------------
@pytest.fixture(scope="module")
def fas_case(tmp_path_factory) -> tuple[dict, list[SessionSource], Profile]:
    """Two formations, three actions, five sessions (tests/golden/cases.py « fas »)."""
    from tests.golden.cases import build

    return convert(build("fas", tmp_path_factory.mktemp("fas")))


def tree(root: etree._Element) -> list[tuple[str | None, list[tuple[str | None, list]]]]:
    """(formation @numero, [(action @numero, [session references])]) in document order."""
    out = []
    for formation in root.iterfind("l:offres/l:formation", NS):
        actions = [
            (
                action.get("numero"),
                action.xpath(
                    "l:session/l:extras[@info='sofi-session']/l:extra[@info='reference']/text()",
                    namespaces=NS,
                ),
            )
            for action in formation.iterfind("l:action", NS)
        ]
        out.append((formation.get("numero"), actions))
    return out


def numbers_are_unique(root: etree._Element) -> bool:
    """No two formations, actions or sessions of the file share a number."""
    for kind in ("formation", "action", "session"):
        numbers = [e.get("numero") for e in root.iterfind(f".//l:{kind}", NS)]
        if None in numbers or len(numbers) != len(set(numbers)):
            return False
    return True


ILF, HORIZONS = "44198765800016", "49281345600018"


def test_lheo_has_sofis_formations_actions_and_sessions(fas_case):
    data, sources, profile = fas_case
    xml = submission_to_lheo(data, profile, sources)
    assert xsd_validate(xml) == []
    root = etree.fromstring(xml)
    new = f"SB-F-{HORIZONS}-ANGERS"  # a new formation, named by its action's « Réf. action »
    assert tree(root) == [
        ("19482", [("89393", ["S001", "S002"]), ("89400", ["S003"])]),
        (new, [(f"SB-A-{HORIZONS}-ANGERS", ["S004", "S005"])]),
    ]
    sessions = root.xpath("//l:session", namespaces=NS)
    assert [s.get("numero") for s in sessions] == [
        "143842",
        f"SB-S-{ILF}-S002",  # new sessions: the organisation's SIRET and « Réf. session »
        "143901",
        f"SB-S-{HORIZONS}-S004",
        f"SB-S-{HORIZONS}-S005",
    ]
    operations = root.xpath("//l:extra[@info='operation']/text()", namespaces=NS)
    assert operations == ["modification", "creation", "modification", "creation", "creation"]
    assert root.xpath("string(//l:extra[@info='reference-action'])", namespaces=NS) == "ANGERS"
    assert numbers_are_unique(root)


def test_sessions_differing_on_an_lheo_action_value_are_split_with_their_own_numbers(fas_case):
    """S002 is in action 89393 but at another place: LHEO has one lieu per action, so S002
    gets its own LHEO action, beside the first part, numbered apart (a repeated number
    would make importers overwrite one part with the other)."""
    data, _, profile = fas_case
    data = copy.deepcopy(data)
    s002 = data["formations"][0]["actions"][0]["sessions"][1]
    s002["site"] = copy.deepcopy(data["formations"][0]["actions"][1]["sessions"][0]["site"])
    root = etree.fromstring(submission_to_lheo(data, profile))
    assert tree(root) == [
        ("19482", [("89393", ["S001"]), ("SB-A-89393-S002", ["S002"]), ("89400", ["S003"])]),
        (f"SB-F-{HORIZONS}-ANGERS", [(f"SB-A-{HORIZONS}-ANGERS", ["S004", "S005"])]),
    ]
    assert numbers_are_unique(root)
    assert xsd_validate(etree.tostring(root)) == []
    # a new action split the same way: its further part adds its first session's reference
    data["formations"][1]["actions"][0]["sessions"][1]["site"] = copy.deepcopy(s002["site"])
    root = etree.fromstring(submission_to_lheo(data, profile))
    base = f"SB-A-{HORIZONS}-ANGERS"
    assert tree(root)[1] == (
        f"SB-F-{HORIZONS}-ANGERS",
        [(base, ["S004"]), (f"{base}-S005", ["S005"])],
    )
    assert numbers_are_unique(root)


def test_actions_differing_on_an_lheo_formation_value_get_their_own_formation(fas_case):
    """LHEO holds the type de parcours and the contenu per formation, SOFI per session and
    per action: an action that differs goes to its own formation element, numbered apart."""
    data, _, profile = fas_case
    data = copy.deepcopy(data)
    action = data["formations"][0]["actions"][1]
    action["programme_complement"] = "Modules obligatoires ; option : anglais professionnel."
    root = etree.fromstring(submission_to_lheo(data, profile))
    assert tree(root)[:2] == [
        ("19482", [("89393", ["S001", "S002"])]),
        ("SB-F-19482-S003", [("89400", ["S003"])]),
    ]
    contenus = root.xpath("//l:formation/l:contenu-formation/text()", namespaces=NS)
    assert contenus[1] == "Modules obligatoires ; option : anglais professionnel."
    session = data["formations"][1]["actions"][0]["sessions"][1]
    session["pathway_type"] = "4" if session["pathway_type"] != "4" else "2"
    root = etree.fromstring(submission_to_lheo(data, profile))
    formation, action = f"SB-F-{HORIZONS}-ANGERS", f"SB-A-{HORIZONS}-ANGERS"
    assert tree(root)[2:] == [
        (formation, [(action, ["S004"])]),
        (f"{formation}-S005", [(f"{action}-S005", ["S005"])]),
    ]
    assert numbers_are_unique(root)


def test_the_example_gives_one_lheo_action_per_sofi_action(example):
    """The example's six new sessions: six SOFI actions in five SOFI formations; the first
    formation's two actions differ in type de parcours, a formation value in LHEO, so it
    takes two formation elements."""
    data, sources, profile = example
    root = etree.fromstring(submission_to_lheo(data, profile, sources))
    assert [len(f["actions"]) for f in data["formations"]] == [2, 1, 1, 1, 1]
    assert len(root.findall(".//l:action", NS)) == 6
    parcours = root.xpath("//l:formation/l:parcours-de-formation/text()", namespaces=NS)
    first = data["formations"][0]["actions"]
    assert parcours[:2] == [a["sessions"][0]["pathway_type"] for a in first]
    assert parcours[0] != parcours[1] and len(parcours) == 6


# --- JSON input, determinism ------------------------------------------------------------------
def test_json_and_workbook_give_the_same_bytes(example, tmp_path):
    data, sources, profile = example
    from_workbook = submission_to_lheo(data, profile, sources)
    path = tmp_path / "soumission.json"
    path.write_text(dumps(data), encoding="utf-8")
    loaded = load_submission_json(path)
    assert submission_to_lheo(loaded, profile) == from_workbook
    # the header's clock and file name do not leak into the LHEO
    loaded["header"]["generated_at"] = "2031-01-01T00:00:00+01:00"
    loaded["header"]["source_file"] = "autre-nom.xlsx"
    assert submission_to_lheo(loaded, profile) == from_workbook


def test_two_conversions_are_identical(sample12):
    data, sources, profile = sample12
    first = submission_to_lheo(data, profile, sources)
    assert submission_to_lheo(copy.deepcopy(data), profile, sources) == first
    assert submission_to_lheo(data, profile, None) == first  # sources only locate problems


def test_rebuilt_submission_gives_identical_bytes():
    """Two full runs (different generated_at) from the same workbook: byte-identical LHEO."""
    (data_a, sources_a, profile), (data_b, sources_b, _) = convert(EXAMPLE), convert(EXAMPLE)
    assert submission_to_lheo(data_a, profile, sources_a) == submission_to_lheo(
        data_b, profile, sources_b
    )


# --- load_submission_json ------------------------------------------------------------------------
def test_load_refuses_a_non_json_file(tmp_path):
    path = tmp_path / "saisie.json"
    path.write_bytes(EXAMPLE.read_bytes())
    with pytest.raises(UserError, match="saisie.json : ce n'est pas un fichier JSON"):
        load_submission_json(path)
    broken = tmp_path / "casse.json"
    broken.write_text('{"header": ', encoding="utf-8")
    with pytest.raises(UserError, match=r"casse.json : ce n'est pas un JSON valide \(ligne 1"):
        load_submission_json(broken)
    with pytest.raises(UserError, match="absent.json : fichier introuvable"):
        load_submission_json(tmp_path / "absent.json")


def test_load_refuses_a_schema_invalid_submission_naming_the_path(example, tmp_path):
    data = copy.deepcopy(example[0])
    session = first_session(data)
    session["start_date"] = "2025-02-30"
    session["centre_hours"] = "deux cents"
    data["formations"][0]["actions"][0]["highlight"] = "h" * 251
    data["formations"][0]["inconnu"] = 1
    del session["site"]
    path = tmp_path / "soumission.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_submission_json(path)
    message = str(info.value)
    assert message.startswith("soumission.json : ce n'est pas une soumission sofi-bulk valide")
    base = "formations[0].actions[0].sessions[0]"
    for expected_line in (
        f'{base}.start_date : "2025-02-30" n\'est pas une date valide',
        f'{base}.centre_hours : "deux cents" n\'est pas un nombre entier',
        f"{base}.site : champ obligatoire absent",
        "formations[0].actions[0].highlight : texte trop long (251 caractères, 250 au plus)",
        "formations[0].inconnu : champ inconnu",
    ):
        assert expected_line in message
    assert " is not " not in message and "was unexpected" not in message  # French only


def test_load_refuses_a_json_that_is_not_a_submission(tmp_path):
    path = tmp_path / "liste.json"
    path.write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(
        UserError, match=r"(?s)liste.json : .*\(racine\) : \[1, 2, 3\] n'est pas un objet"
    ):
        load_submission_json(path)


# --- writing ----------------------------------------------------------------------------------
def test_write_lheo_replaces_the_file_atomically(example, tmp_path):
    data, sources, profile = example
    xml = submission_to_lheo(data, profile, sources)
    out = tmp_path / "offre.xml"
    out.write_bytes(b"ancien contenu")
    write_lheo(out, xml)
    assert out.read_bytes() == xml
    assert [p.name for p in tmp_path.iterdir()] == ["offre.xml"]  # no temporary left behind


def test_validate_lheo_reports_xsd_errors(example):
    data, sources, profile = example
    xml = submission_to_lheo(data, profile, sources)
    assert validate_lheo(xml) == []
    broken = xml.replace(b"<certifiante>0</certifiante>", b"<certifiante>2</certifiante>", 1)
    errors = validate_lheo(broken)
    assert errors and "certifiante" in errors[0]
    assert validate_lheo(b"<lheo") and validate_lheo(b"<lheo")[0].startswith("XML illisible")


def test_conventionnement_comes_from_the_profile(tmp_path):
    from sofi_bulk.core.context import resolve_context
    from sofi_bulk.core.validate import validate_book
    from sofi_bulk.excel.reader import read_workbook
    from sofi_bulk.lheo.convert import submission_to_lheo
    from sofi_bulk.submission.build import build_submission

    book = read_workbook(Path("examples/saisie-exemple.xlsx").resolve())
    ctx = resolve_context(book)
    data = build_submission(validate_book(book, ctx.profile, ctx.referentiel, today=TODAY))
    ns = {"l": "http://lheo.gouv.fr/2.3"}
    with_setting = etree.fromstring(submission_to_lheo(data, ctx.profile))
    assert with_setting.xpath("count(//l:action/l:conventionnement[.='1'])", namespaces=ns) == 6
    without = replace(ctx.profile, lheo=replace(ctx.profile.lheo, conventionnement=None))
    assert (
        etree.fromstring(submission_to_lheo(data, without)).xpath(
            "count(//l:conventionnement)", namespaces=ns
        )
        == 0
    )


def test_a_read_back_submission_is_checked_with_the_declared_comparisons(example, tmp_path):
    """The same comparisons as the workbook check: end ≥ start, child dates before the
    session's start, end time after start time; each named by its JSON path."""
    data = copy.deepcopy(example[0])
    session = first_session(data)
    session["end_date"] = "2024-01-01"
    session["informations_collectives"][0]["ic_date"] = "2099-01-01"
    session["informations_collectives"][0]["ic_start_time"] = "14h00"
    session["informations_collectives"][0]["ic_end_time"] = "09h30"
    session["periodes_inscription"][0]["pi_start"] = "2099-01-01"
    path = tmp_path / "soumission.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_submission_json(path)
    base = "formations[0].actions[0].sessions[0]"
    assert str(info.value).splitlines() == [
        "soumission.json : soumission incohérente :",
        f"- {base}.end_date : la date de fin précède la date de début.",
        f"- {base}.informations_collectives[0].ic_date : après le début de la session.",
        f"- {base}.informations_collectives[0].ic_end_time : l'heure de fin précède l'heure "
        "de début.",
        f"- {base}.periodes_inscription[0].pi_start : après le début de la session.",
        f"- {base}.periodes_inscription[0].pi_end : la fin précède le début.",
    ]


@pytest.mark.parametrize("case", ["example", "sample12", "filled", "fas_case"])
def test_the_quick_build_writes_the_same_document_as_the_tracked_one(case, request):
    """The export first builds without tracking origins, copying the subtree of a site or a
    contact already built; it must write exactly what the tracked build writes."""
    from sofi_bulk.lheo.build import LheoBuilder
    from sofi_bulk.lheo.origins import Locator
    from sofi_bulk.lheo.xsd import sort_children, xsd_model

    data, sources, profile = request.getfixturevalue(case)
    documents = []
    for track in (True, False):
        builder = LheoBuilder(data, profile, Locator(data, sources, profile), track=track)
        root = builder.document()
        written = etree.tostring(root, encoding="UTF-8")
        sort_children(root, xsd_model())
        # written in the XSD's order: the quick export does not reorder its tree
        assert etree.tostring(root, encoding="UTF-8") == written
        documents.append(written)
        if not track:
            assert builder.subtrees, "sites and contacts recur: some subtree is reused"
            assert not builder.origins
    assert documents[0] == documents[1]


# --- numbers, geography, contacts (issue 25) -----------------------------------------------
def _numbers(root: etree._Element, kind: str) -> list[str | None]:
    return [e.get("numero") for e in root.iterfind(f".//l:{kind}", NS)]


def test_every_leaf_of_the_mapping_is_a_path_of_the_xsd():
    """The mapping's leaves are written as declared: each step must be a child the XSD allows
    in its parent, so the file follows the official element order (and a typo fails here)."""
    from sofi_bulk.lheo.mapping import LEAVES
    from sofi_bulk.lheo.xsd import xsd_model

    model = xsd_model()
    for leaf in LEAVES:
        parent = leaf.holder
        for step in leaf.path.split("/"):
            assert step in {c for c, _, _ in model.sequence[parent]}, (leaf, step)
            parent = step
        assert parent in model.simple, leaf  # a leaf holds text
        assert bool(leaf.key) != bool(leaf.setting), leaf


def test_organismes_carry_the_referentiel_number_else_one_from_their_siret(fas_case):
    data, _, profile = fas_case
    root = etree.fromstring(submission_to_lheo(data, profile))
    assert _numbers(root, "organisme-formation-responsable") == [f"SB-O-{ILF}", f"SB-O-{HORIZONS}"]
    assert set(_numbers(root, "organisme-formateur")) == {f"SB-O-{ILF}", f"SB-O-{HORIZONS}"}
    data = copy.deepcopy(data)
    for formation in data["formations"]:
        if formation["organisme"]["siret"] == ILF:
            formation["organisme"]["numero_organisme"] = "OF_44_0001"
        for action in formation["actions"]:
            for session in action["sessions"]:
                if session["responsible_org"]["siret"] == ILF:
                    session["responsible_org"]["numero_organisme"] = "OF_44_0001"
    root = etree.fromstring(submission_to_lheo(data, profile))
    assert _numbers(root, "organisme-formation-responsable") == ["OF_44_0001", f"SB-O-{HORIZONS}"]
    assert _numbers(root, "organisme-formateur")[0] == "OF_44_0001"
    # the site dispensateur's code, no longer the trainer's number, is kept in its extras
    codes = root.xpath(
        "//l:organisme-formateur/l:extras[@info='sofi-formateur']/l:extra/text()", namespaces=NS
    )
    assert codes == ["36364", "36371", "41250"]


def test_numbers_made_from_references_stay_unique_and_plain(fas_case):
    """References that fold to the same text, or hold spaces and a « | » (importers join
    numbers with it), still give distinct, plain numbers."""
    data, _, profile = fas_case
    data = copy.deepcopy(data)
    s004, s005 = data["formations"][1]["actions"][0]["sessions"]
    s004["session_ref"], s005["session_ref"] = "Réf | 4", "REF_4"
    root = etree.fromstring(submission_to_lheo(data, profile))
    assert _numbers(root, "session")[3:] == [f"SB-S-{HORIZONS}-REF_4", f"SB-S-{HORIZONS}-REF_4-2"]
    assert numbers_are_unique(root)


def test_addresses_carry_departement_region_commune_and_coordinates(fas_case):
    data, _, profile = fas_case
    root = etree.fromstring(submission_to_lheo(data, profile))
    place = root.find(".//l:lieu-de-formation/l:coordonnees", NS)
    assert place.findtext("l:nom", namespaces=NS) == "ILF Nantes - Principal"
    address = place.find("l:adresse", NS)
    assert [etree.QName(c).localname for c in address] == [
        "denomination",
        "ligne",
        "codepostal",
        "ville",
        "departement",
        "code-INSEE-commune",
        "region",
        "pays",
        "geolocalisation",
    ]  # the XSD's order
    assert [address.findtext(f"l:{n}", namespaces=NS) for n in ("departement", "region")] == [
        "44",
        "52",
    ]
    assert address.findtext("l:geolocalisation/l:latitude", namespaces=NS) == "47.2130"
    # the organisme's address: from its postcode only (no commune, no coordinates)
    org = root.find(".//l:organisme-formation-responsable//l:adresse", NS)
    assert [etree.QName(c).localname for c in org][-3:] == ["departement", "region", "pays"]
    # Corsica from the commune's code, overseas from the postcode, a place name cut at 50
    data = copy.deepcopy(data)
    site = _session(data)["site"]
    site.update(code_postal="20167", code_insee="2A004", libelle="Site " + "x" * 60)
    del site["latitude"]
    other = data["formations"][1]["actions"][0]["sessions"][0]["site"]
    other.update(code_postal="97400", code_insee="97411")
    root = etree.fromstring(submission_to_lheo(data, profile))
    first = root.find(".//l:lieu-de-formation/l:coordonnees", NS)
    assert first.findtext("l:adresse/l:departement", namespaces=NS) == "2A"
    assert first.findtext("l:adresse/l:region", namespaces=NS) == "94"
    assert first.find("l:adresse/l:geolocalisation", NS) is None  # one coordinate: none
    assert len(first.findtext("l:nom", namespaces=NS)) == 50
    reunion = root.findall(".//l:lieu-de-formation/l:coordonnees/l:adresse", NS)[-1]
    assert [reunion.findtext(f"l:{n}", namespaces=NS) for n in ("departement", "region")] == [
        "974",
        "04",
    ]
    assert xsd_validate(etree.tostring(root)) == []


def test_trainers_contacts_principal_tags_and_the_formation_url(fas_case):
    data, _, profile = fas_case
    root = etree.fromstring(submission_to_lheo(data, profile))
    trainer = root.find(".//l:organisme-formateur", NS)
    assert trainer.get("tag") == "principal"
    contact = trainer.find("l:contact-formateur", NS)
    assert contact.findtext("l:type-contact", namespaces=NS) == "4"
    assert contact.findtext("l:coordonnees/l:courriel", namespaces=NS) == "contact@ilf-formation.fr"
    for parent, name in (
        ("domaine-formation", "code-FORMACODE"),
        ("formation", "contact-formation"),
        ("action", "lieu-de-formation"),
        ("action", "organisme-formateur"),
        ("organisme-formation-responsable", "contact-organisme"),
    ):
        for holder in root.iterfind(f".//l:{parent}", NS):
            tags = [e.get("tag") for e in holder.iterfind(f"l:{name}", NS)]
            assert tags[0] == "principal" and set(tags[1:]) <= {None}, (parent, name)
    assert root.find(".//l:contact-session[@tag]", NS) is None
    urls = root.xpath("//l:formation[1]/l:url-formation/l:urlweb/text()", namespaces=NS)
    assert urls == ["https://www.ilf-formation.fr/prepa-avenir-sup"]  # two actions, one URL
    data = copy.deepcopy(data)
    for k, action in enumerate(data["formations"][0]["actions"] * 2):
        action["action_url"] = f"https://www.ilf-formation.fr/action-{k % 2}"
    root = etree.fromstring(submission_to_lheo(data, profile))
    urls = root.xpath("//l:formation[1]/l:url-formation/l:urlweb/text()", namespaces=NS)
    assert urls == [
        "https://www.ilf-formation.fr/action-0",
        "https://www.ilf-formation.fr/action-1",
    ]
