"""The LHEO file as the network's importers read it: no XSD, no sofi-bulk code, any namespace.

France Travail's offer importer keys formations, actions and sessions by their ``@numero``
as ``F``, ``F|A`` and ``F|A|S``; an element without a number breaks its run, two with the
same key overwrite each other. Its account step reads the organismes' numbers, region and
e-mail; an RCO reader shows the département. The reader below does only what they do
(ElementTree, local names), on the examples, the golden files and a generated offer of
2 000 sessions mixing creations, modifications and split actions.

The files are made by the ``sofi-bulk`` command, as a user would; what they are checked
against is read from the example référentiel's CSV files and the JSON submission.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

EXAMPLE = ROOT / "examples" / "saisie-exemple.xlsx"
REFERENTIEL = ROOT / "examples" / "referentiel-csv"
GOLDEN = ROOT / "tests" / "golden" / "expected"
PAYS_DE_LA_LOIRE = {"44", "49", "53", "72", "85"}  # INSEE région 52


# --- an importer's reader: local names only -------------------------------------------------
def local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def kids(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if local(c) == name]


def kid(element: ET.Element | None, *names: str) -> ET.Element | None:
    for name in names:
        if element is None:
            return None
        found = kids(element, name)
        element = found[0] if found else None
    return element


def text(element: ET.Element | None, *names: str) -> str | None:
    found = kid(element, *names)
    return None if found is None or found.text is None else found.text.strip()


def every(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if local(e) == name]


class Offer:
    """What an importer keeps of a file: records by key, overwritten when a key repeats."""

    def __init__(self, xml: bytes) -> None:
        self.root = ET.fromstring(xml)
        self.formations: dict[str, ET.Element] = {}
        self.actions: dict[str, ET.Element] = {}
        self.sessions: dict[str, dict[str, str | None]] = {}
        self.counts = {"formation": 0, "action": 0, "session": 0}
        for formation in every(self.root, "formation"):
            f = formation.get("numero")
            self.counts["formation"] += 1
            self.formations[str(f)] = formation
            responsible = kid(formation, "organisme-formation-responsable")
            for action in kids(formation, "action"):
                a = f"{f}|{action.get('numero')}"
                self.counts["action"] += 1
                self.actions[a] = action
                address = kid(action, "lieu-de-formation", "coordonnees", "adresse")
                trainer = kid(action, "organisme-formateur")
                for session in kids(action, "session"):
                    self.counts["session"] += 1
                    extras = {
                        e.get("info"): e.text
                        for box in kids(session, "extras")
                        for e in kids(box, "extra")
                    }
                    self.sessions[f"{a}|{session.get('numero')}"] = {
                        "reference": extras.get("reference"),
                        "debut": text(session, "periode", "debut"),
                        "fin": text(session, "periode", "fin"),
                        "lieu": kid(action, "lieu-de-formation").get("numero"),  # type: ignore[union-attr]
                        "codepostal": text(address, "codepostal"),
                        "heures-centre": text(action, "nombre-heures-centre"),
                        "heures-entreprise": text(action, "nombre-heures-entreprise"),
                        "places": text(action, "organisme-financeur", "nb-places-financees"),
                        "rythme": text(action, "rythme-formation"),
                        "parcours": text(formation, "parcours-de-formation"),
                        "formateur": text(trainer, "SIRET-formateur", "SIRET"),
                        "responsable": text(responsible, "SIRET-organisme-formation", "SIRET"),
                    }


def organisme_emails() -> dict[str, str]:
    """The e-mail of each organisme of the example référentiel, by SIRET (its CSV file)."""
    with (REFERENTIEL / "organismes.csv").open(encoding="utf-8", newline="") as stream:
        return {row["siret"]: row["email"] for row in csv.DictReader(stream, delimiter=";")}


def assert_an_importer_takes_it_whole(xml: bytes) -> Offer:
    """The importers' needs, each an assertion an importer's failure would have tripped."""
    offer = Offer(xml)
    root = offer.root
    assert offer.counts["formation"] > 0
    for kind in ("formation", "action", "session"):
        numbers = [e.get("numero") for e in every(root, kind)]
        assert all(numbers), f"{kind} sans @numero"
        assert len(set(numbers)) == len(numbers), f"deux {kind} de même @numero"
    # keyed as F, F|A, F|A|S, nothing is overwritten
    assert len(offer.formations) == offer.counts["formation"]
    assert len(offer.actions) == offer.counts["action"]
    assert len(offer.sessions) == offer.counts["session"]
    for name in ("organisme-formation-responsable", "organisme-formateur"):
        found = every(root, name)
        assert found and all(o.get("numero") for o in found), f"{name} sans @numero"
    # an organisme keeps one number wherever it appears
    numbers: dict[str, set[str | None]] = {}
    for org in every(root, "organisme-formation-responsable"):
        numbers.setdefault(str(text(org, "SIRET-organisme-formation", "SIRET")), set()).add(
            org.get("numero")
        )
    for org in every(root, "organisme-formateur"):
        numbers.setdefault(str(text(org, "SIRET-formateur", "SIRET")), set()).add(org.get("numero"))
    assert all(len(n) == 1 for n in numbers.values()), numbers
    # geography: every address, places, registration and organismes alike
    addresses = every(root, "adresse")
    assert addresses
    for address in addresses:
        postcode = text(address, "codepostal") or ""
        departement = text(address, "departement")
        assert departement, f"adresse {postcode} sans département"
        assert text(address, "pays") == "FR"
        if postcode[:2] in PAYS_DE_LA_LOIRE:
            assert departement == postcode[:2]
            assert text(address, "region") == "52", f"{postcode} hors région 52"
        where = kid(address, "geolocalisation")
        if where is not None:
            assert -90 <= float(text(where, "latitude") or "x") <= 90
            assert -180 <= float(text(where, "longitude") or "x") <= 180
    # the trainers' accounts get the référentiel's e-mail
    emails = organisme_emails()
    for trainer in every(root, "organisme-formateur"):
        siret = text(trainer, "SIRET-formateur", "SIRET")
        if emails.get(str(siret)):
            assert text(trainer, "contact-formateur", "coordonnees", "courriel") == emails[siret]
    return offer


def lheo_and_submission(workbook: Path, folder: Path) -> tuple[bytes, dict]:
    xml, sub = folder / f"{workbook.stem}.xml", folder / f"{workbook.stem}.json"
    assert run_cli("lheo", str(workbook), "-o", str(xml), "-q") == 0
    assert run_cli("export", str(workbook), "-o", str(sub), "-q") == 0
    return xml.read_bytes(), json.loads(sub.read_text(encoding="utf-8"))


def sofi_sessions(submission: dict) -> list[tuple[dict, dict, dict]]:
    return [
        (formation, action, session)
        for formation in submission["formations"]
        for action in formation["actions"]
        for session in action["sessions"]
    ]


def assert_every_session_keeps_its_data(offer: Offer, submission: dict) -> None:
    """Each session of the submission, found under its key, with its own dates, place,
    durations, places, trainer and responsible organisme (what the action it sits in says)."""
    by_reference = {record["reference"]: record for record in offer.sessions.values()}
    assert len(by_reference) == len(offer.sessions) == len(sofi_sessions(submission))
    for _, action, session in sofi_sessions(submission):
        record = by_reference[session["session_ref"]]
        assert record["debut"] == session["start_date"].replace("-", "")
        assert record["fin"] == session["end_date"].replace("-", "")
        assert record["lieu"] == session["site"]["code"]
        assert record["codepostal"] == session["site"]["code_postal"]
        assert record["heures-centre"] == str(session["centre_hours"])
        assert record["heures-entreprise"] == str(session["company_hours"])
        assert record["places"] == str(session["dispositif"]["places"])
        assert record["parcours"] == session["pathway_type"]
        assert record["formateur"] == action["delivery_site"]["siret"]
        assert record["responsable"] == session["responsible_org"]["siret"]


# --- the files ---------------------------------------------------------------------------------
def test_the_example_is_taken_whole(tmp_path):
    xml, submission = lheo_and_submission(EXAMPLE, tmp_path)
    offer = assert_an_importer_takes_it_whole(xml)
    assert_every_session_keeps_its_data(offer, submission)
    # the example référentiel places its sites: coordinates and communes reach the file
    places = every(offer.root, "lieu-de-formation")
    assert any(kid(p, "coordonnees", "adresse", "geolocalisation") is not None for p in places)
    assert all(text(p, "coordonnees", "adresse", "code-INSEE-commune") for p in places)


@pytest.mark.parametrize("name", ["fas-offre.xml", "exemple.json", "sans-meta.json"])
def test_the_golden_files_are_taken_whole(name):
    path = GOLDEN / name
    if path.suffix == ".xml":
        xml = path.read_bytes()
    else:
        xml = "\n".join(json.loads(path.read_text(encoding="utf-8"))["lheo"]["xml"]).encode()
    offer = assert_an_importer_takes_it_whole(xml)
    if name == "fas-offre.xml":
        submission = json.loads((GOLDEN / "fas-soumission.json").read_text(encoding="utf-8"))
        assert_every_session_keeps_its_data(offer, submission)


# --- 2 000 sessions: creations, modifications, split actions ---------------------------------
MODES = ("modification", "nouvelle-session", "nouvelle-action", "nouvelle-formation")
ROWS_PER_ACTION = 5


def write_mixed_offer(path: Path, n: int = 2000, *, inactive_every: int = 0) -> None:
    """``n`` sessions of the example référentiel's lots. Within a lot, every ten sessions
    form a SOFI formation of two actions, in turn modified (F-A-S), given new sessions
    (F-A), new actions (F) or new (no code); one action in two varies from session to
    session on what LHEO holds per action (place, durations, places, parcours), so that it
    is split, the other keeps them. ``inactive_every``: one modified session in that many is
    made Inactif (deactivated)."""
    from sofi_bulk.core.lots import select_lots
    from sofi_bulk.core.profile import load_profile
    from sofi_bulk.excel.referentiel import load_referentiel
    from sofi_bulk.excel.sample import make_sample

    profile, ref = load_profile(), load_referentiel()
    lots = select_lots(profile, ref, None, None)
    book = make_sample(n, distinct=True)
    for i in range(n):
        lot_index, k = i % len(lots), i // len(lots)
        lot = lots[lot_index]
        formation, action = k // (2 * ROWS_PER_ACTION), k // ROWS_PER_ACTION
        mode = MODES[formation % len(MODES)]
        f_code = f"{20000 + 1000 * lot_index + formation}"
        a_code = f"{300000 + 10000 * lot_index + action}"
        code = {
            "modification": f"{f_code}-{a_code}-{5000000 + i}",
            "nouvelle-session": f"{f_code}-{a_code}",
            "nouvelle-action": f_code,
            "nouvelle-formation": None,
        }[mode]
        book.set("Sessions", "fas_code", i, code)
        if inactive_every and mode == "modification" and i % inactive_every == 0:
            book.set("Sessions", "session_state", i, "Inactif")
        if mode in ("nouvelle-action", "nouvelle-formation"):
            book.set("Sessions", "action_ref", i, f"A{lot_index}-{action}")
        sites = ref.sites_for(lot)
        book.set("Sessions", "delivery_site", i, sites[0].display)  # one per SOFI action
        book.set("Sessions", "video_url", i, "https://www.youtube.com/watch?v=dQw4w9WgXcQ")
        if action % 2 == 0:  # an action whose sessions agree on every LHEO action value
            for key, value in (
                ("site", sites[0].display),
                ("centre_hours", 210),
                ("company_hours", 35),
                ("weekly_hours", 35),
                ("rhythm", "temps plein"),
                ("places", 10),
                ("places_remaining", 10),
                ("simultaneous_capacity", 10),
                ("pathway_type", "4 - mixte"),
            ):
                book.set("Sessions", key, i, value)
    book.save(path)


@pytest.fixture(scope="module")
def mixed_offer(tmp_path_factory) -> tuple[bytes, dict]:
    folder = tmp_path_factory.mktemp("deux-mille")
    path = folder / "offre-2000.xlsx"
    write_mixed_offer(path)
    return lheo_and_submission(path, folder)


def test_a_large_mixed_offer_is_taken_whole(mixed_offer):
    xml, submission = mixed_offer
    offer = assert_an_importer_takes_it_whole(xml)
    assert offer.counts["session"] == 2000
    operations = [s["operation"] for _, _, s in sofi_sessions(submission)]
    assert operations.count("modification") >= 400 and operations.count("creation") >= 1200
    # split actions: more LHEO actions than SOFI actions, their parts beside each other
    sofi_actions = sum(len(f["actions"]) for f in submission["formations"])
    assert offer.counts["action"] > sofi_actions
    assert_every_session_keeps_its_data(offer, submission)


def test_every_split_action_keeps_its_sofi_code_on_one_part(mixed_offer):
    """A modified action's sessions sit in LHEO actions of which exactly one carries the
    SOFI code; the others carry numbers that are not SOFI codes (not all digits)."""
    xml, submission = mixed_offer
    offer = Offer(xml)
    parts: dict[str, list[str]] = {}
    for key, record in offer.sessions.items():
        _, a, _ = key.split("|")
        parts.setdefault(str(record["reference"]), []).append(a)
    for _, action, session in sofi_sessions(submission):
        code = action.get("sofi_code")
        if code:
            (a,) = parts[session["session_ref"]]
            assert a == code or not a.isdigit()
    codes = {a.get("sofi_code") for f in submission["formations"] for a in f["actions"]}
    numbers = [a.get("numero") for a in every(offer.root, "action")]
    assert all(numbers.count(c) == 1 for c in codes if c)


def test_the_same_workbook_gives_the_same_numbers(tmp_path):
    """Numbers made for new elements come from the workbook itself: made again, the same."""
    numbers = []
    for name in ("une.xlsx", "deux.xlsx"):
        path = tmp_path / name
        write_mixed_offer(path, 200)
        xml, _ = lheo_and_submission(path, tmp_path)
        numbers.append([e.get("numero") for e in every(ET.fromstring(xml), "session")])
    assert numbers[0] == numbers[1]
    assert len(set(numbers[0])) == 200
