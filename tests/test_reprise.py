"""« Reprendre son offre » (issue 31): an existing offer back into an entry workbook.

The proof is the round trip, for every field the tool owns: LHEO → workbook → LHEO gives
the same bytes, JSON → workbook → JSON the same submission (but for when and from which
file it was made), on the examples, the golden files and a generated offer of 2 000
sessions (modifications, F-A and F codes, split actions, inactive sessions, informations
collectives, périodes). Then: the next campaign, stale values marked as the check marks
them, nothing of the source dropped in silence, hostile sources refused in one line.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sofi_bulk import api
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.identity import DESACTIVATION
from tests.conftest import ROOT, run_process
from tests.test_lheo_consumer import write_mixed_offer

GOLDEN = ROOT / "tests" / "golden" / "expected"
EXAMPLE = ROOT / "examples" / "saisie-exemple.xlsx"
NS = "{http://lheo.gouv.fr/2.3}"
MADE = ("generated_at", "source_file")  # the header's when and from which file


def _taken(source, **options) -> api.ValidationResult:
    """The workbook ``take_back`` writes, saved and read back as a user's file is."""
    data = api.write_template(reprendre=source, **options)
    assert data is not None
    return api.check(data, name="reprise.xlsx")


def _same_submission(before: dict, after: dict) -> None:
    assert after["formations"] == before["formations"]
    assert after["codes"] == before["codes"]
    for key, value in before["header"].items():
        if key not in MADE:
            assert after["header"][key] == value, key


def _sessions(data: dict) -> list[dict]:
    return [s for f in data["formations"] for a in f["actions"] for s in a["sessions"]]


# --- round trips: the examples and the golden files -------------------------------------------
def test_golden_lheo_file_comes_back_byte_for_byte():
    source = GOLDEN / "fas-offre.xml"
    result = _taken(source)
    assert result.ok
    assert api.to_lheo(result) == source.read_bytes()


def test_golden_submission_comes_back_the_same():
    source = GOLDEN / "fas-soumission.json"
    result = _taken(source)
    assert result.ok
    _same_submission(json.loads(source.read_text(encoding="utf-8")), api.to_submission(result))


def test_a_format_2_submission_is_taken_back_too(tmp_path):
    data = json.loads((GOLDEN / "fas-soumission.json").read_text(encoding="utf-8"))
    data["header"]["format"] = "sofi-bulk/soumission/2"
    path = tmp_path / "soumission-2025.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    reprise = api.take_back(path)
    assert reprise.offer.kind == "soumission JSON (format 2)"
    again = api.to_submission(_taken(path))
    assert again["header"]["format"] == "sofi-bulk/soumission/3"
    assert again["formations"] == data["formations"]


def test_the_example_workbook_its_lheo_and_its_submission_come_back(tmp_path):
    checked = api.check(EXAMPLE)
    submission = api.to_submission(checked)
    xml = api.to_lheo(checked)
    (tmp_path / "offre.xml").write_bytes(xml)
    api.write_submission(submission, tmp_path / "soumission.json")
    for source in (EXAMPLE, tmp_path / "offre.xml", tmp_path / "soumission.json"):
        result = _taken(source)
        assert result.ok and not result.errors, source.name
        assert api.to_lheo(result) == xml, source.name
        _same_submission(submission, api.to_submission(result))


# --- round trips: 2 000 sessions ------------------------------------------------------------
@pytest.fixture(scope="module")
def big_offer(tmp_path_factory) -> dict[str, Path]:
    """2 000 sessions: modifications (one in seven of them Inactif), new sessions (F-A), new
    actions (F), new formations, split actions, an information collective and a période each."""
    folder = tmp_path_factory.mktemp("reprise-2000")
    workbook = folder / "offre-2000.xlsx"
    write_mixed_offer(workbook, inactive_every=7)
    checked = api.check(workbook)
    assert checked.ok
    api.write_lheo(checked, folder / "offre-2000.xml")
    api.write_submission(checked, folder / "offre-2000.json")
    return {"xlsx": workbook, "xml": folder / "offre-2000.xml", "json": folder / "offre-2000.json"}


def test_a_large_offer_comes_back_from_lheo_byte_for_byte(big_offer):
    result = _taken(big_offer["xml"])
    assert result.ok and len(result.sessions) == 2000
    assert len(result.infos) == 2000 and len(result.periodes) == 2000
    assert api.to_lheo(result) == big_offer["xml"].read_bytes()


def test_a_large_offer_comes_back_from_json_the_same(big_offer):
    before = json.loads(big_offer["json"].read_text(encoding="utf-8"))
    operations = [s["operation"] for s in _sessions(before)]
    assert operations.count(DESACTIVATION) >= 50
    assert {"creation", "modification"} <= set(operations)
    codes = [s.get("fas_code") or "" for s in _sessions(before)]
    assert {c.count("-") for c in codes if c} == {0, 1, 2}  # F, F-A and F-A-S codes
    after = api.to_submission(_taken(big_offer["json"]))
    _same_submission(before, after)


def test_a_large_workbook_comes_back_the_same(big_offer):
    before = api.to_submission(api.check(big_offer["xlsx"]))
    _same_submission(before, api.to_submission(_taken(big_offer["xlsx"])))


# --- inactive sessions ------------------------------------------------------------------------
def test_an_inactive_session_stays_inactive(big_offer):
    reprise = api.take_back(big_offer["xml"])
    inactive = [rec for rec in reprise.result.sessions if rec.get("session_state") == "inactif"]
    assert len(inactive) == reprise.inactive >= 50
    assert all(str(rec.get("fas_code")).count("-") == 2 for rec in inactive)
    assert "sessions inactives" in reprise.taken()


# --- the next campaign ------------------------------------------------------------------------
def test_the_next_campaign_makes_new_sessions_of_the_same_actions(big_offer):
    before = json.loads(big_offer["json"].read_text(encoding="utf-8"))
    reprise = api.take_back(big_offer["json"], campaign=2026)
    kept = [s for s in _sessions(before) if s["operation"] != DESACTIVATION]
    result = reprise.result
    assert len(result.sessions) == len(kept)
    assert reprise.moved is not None and reprise.moved.dropped_inactive >= 50
    for rec, old in zip(result.sessions, kept, strict=True):
        assert rec.get("session_ref") == old["session_ref"]
        code = old.get("fas_code")
        if code and code.count("-") == 2:
            assert rec.get("fas_code") == code.rpartition("-")[0]  # F-A: a new session
        else:
            assert rec.get("fas_code") == code
        start = dt.date.fromisoformat(old["start_date"])
        assert rec.get("start_date") == start.replace(year=2026)
        assert rec.get("places_remaining") == old["dispositif"]["places"]
    assert all(rec.get("ic_code") is None for rec in result.infos)
    assert all(rec.get("ic_date").year in (2025, 2026) for rec in result.infos)
    # the example référentiel's lots are of 2025: every moved date is marked, as validate does
    assert {i.code for i in result.errors} == {"date-hors-campagne"}
    said = reprise.campaign() or ""
    assert "Campagne 2026" in said
    assert f"dates de {len(result.sessions)} sessions décalées d'un an" in said, said


def test_without_dates_they_are_left_empty_and_marked(tmp_path):
    reprise = api.take_back(GOLDEN / "fas-soumission.json", campaign=True, dates=False)
    result = reprise.result
    assert all(rec.get("start_date") is None for rec in result.sessions)
    assert all(rec.get("ic_date") is None for rec in result.infos)
    missing = {i.field for i in result.errors if i.code == "champ-obligatoire"}
    assert {"start_date", "end_date", "ic_date", "pi_start"} <= missing
    with pytest.raises(UserError, match="--campagne"):
        api.take_back(GOLDEN / "fas-soumission.json", dates=False)


# --- stale values, fixed values, what has no column -----------------------------------------
def test_a_site_no_longer_in_the_referentiel_is_written_and_marked(tmp_path):
    ref = api.load_referentiel()
    gone = "36364"
    assert gone in ref.sites
    del ref.sites[gone]
    reprise = api.take_back(GOLDEN / "fas-soumission.json", referentiel=ref)
    marked = [i for i in reprise.result.issues if i.code == "site-inconnu"]
    assert marked and all(gone in str(i.value) for i in marked)
    out = tmp_path / "reprise.xlsx"
    reprise.save(out)
    ws = load_workbook(out)["Sessions"]
    cell = ws[marked[0].cell]
    assert cell.value.startswith(f"{gone} - ")  # the source's site, named as it named it
    assert cell.comment is not None and "site" in cell.comment.text.lower()
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")  # the check's error colour


def test_a_fixed_value_the_programme_changed_is_replaced_and_said(tmp_path):
    data = json.loads((GOLDEN / "fas-soumission.json").read_text(encoding="utf-8"))
    for session in _sessions(data):
        session["dispositif"]["dispositif"] = "ANCIEN DISPOSITIF"
    path = tmp_path / "ancien.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    reprise = api.take_back(path)
    assert reprise.result.ok
    [replaced] = reprise.replaced
    assert replaced.old == "ANCIEN DISPOSITIF" and replaced.count == len(_sessions(data))
    section = next(s for s in reprise.sections() if s.heading.startswith("Valeurs imposées"))
    assert section.rows[0][1] == "ANCIEN DISPOSITIF"


def feed_export(xml: bytes) -> bytes:
    """The golden LHEO file as a Carif-Oref feed would give it: without this tool's own
    extensions, with dates of creation, registration terms and a second financer."""
    from lxml import etree

    root = etree.fromstring(xml)
    for box in list(root.iter(f"{NS}extras")):
        if box.get("info") != "specificites":
            box.getparent().remove(box)
    for tag in ("formation", "action", "session"):
        for node in root.iter(f"{NS}{tag}"):
            node.set("datecrea", "20250106")
    for session in root.iter(f"{NS}session"):
        etree.SubElement(session, f"{NS}modalites-inscription").text = "Après entretien."
    for action in root.iter(f"{NS}action"):
        other = etree.SubElement(action, f"{NS}organisme-financeur")
        etree.SubElement(other, f"{NS}code-financeur").text = "10"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_what_a_feed_carries_beyond_the_columns_is_counted():
    reprise = api.take_back(feed_export((GOLDEN / "fas-offre.xml").read_bytes()), name="flux.xml")
    result = reprise.result
    formations = (GOLDEN / "fas-offre.xml").read_bytes().count(b"<formation ")
    left = {x.what: x for x in reprise.left()}
    assert left["formation/@datecrea"].count == formations
    assert left["formation/action/session/modalites-inscription"].count == 5
    assert left["formation/action/session/modalites-inscription"].examples == ["Après entretien."]
    assert "formation/action/organisme-financeur" in left  # the second financer
    # what a feed gives is taken: sessions, their SOFI codes, places, informations collectives
    assert len(result.sessions) == 5 and len(result.infos) == 5 and len(result.periodes) == 5
    before = json.loads((GOLDEN / "fas-soumission.json").read_text(encoding="utf-8"))
    # the FAS codes from the numbers: F-A-S, F-A, F, none, as the tool wrote them
    assert [r.get("fas_code") for r in result.sessions] == [
        s.get("fas_code") for s in _sessions(before)
    ]
    for rec, session in zip(result.sessions, _sessions(before), strict=True):
        # the rhythm and weekly hours from the text LHEO holds; the ESP from its LHEO code
        assert (rec.get("rhythm"), rec.get("weekly_hours")) == (
            session["rhythm"],
            session.get("weekly_hours"),
        )
        permanent = session["entry_exit_mode"] == "permanentes"
        assert rec.get("entry_exit_mode") == ("permanentes" if permanent else "dates-fixes")
        assert rec.get("places") == session["dispositif"]["places"]
    # what a feed cannot give is left to the user, and marked as the check marks it
    assert any(i.code == "champ-obligatoire" and i.field == "pi_type" for i in result.errors)


def test_outside_values_are_written_as_data(tmp_path):
    data = json.loads((GOLDEN / "fas-soumission.json").read_text(encoding="utf-8"))
    action = data["formations"][0]["actions"][0]
    action["title_complement"] = '=HYPERLINK("http://exemple.invalid","x")'
    path = tmp_path / "formule.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "reprise.xlsx"
    api.write_template(out, reprendre=path)
    ws = load_workbook(out)["Sessions"]
    cells = [
        c for row in ws.iter_rows(min_row=3) for c in row if c.value == action["title_complement"]
    ]
    assert cells and all(c.data_type == "s" for c in cells)


def test_a_workbook_the_check_would_refuse_for_its_version_is_taken_back(tmp_path):
    book = load_workbook(EXAMPLE)
    meta = book["_meta"]
    for row in meta.iter_rows(min_row=2):
        if row[0].value == "template_version":
            row[1].value = "2024.1"
    old = tmp_path / "saisie-2024.xlsx"
    book.save(old)
    with pytest.raises(UserError, match="autre version du modèle.*--reprendre"):
        api.check(old)
    result = _taken(old)
    assert result.ok
    assert api.to_lheo(result) == api.to_lheo(api.check(EXAMPLE))


# --- a reprise for the same campaign: ended sessions left aside ------------------------------
ENDED = "modification-session-terminee"
# the golden offer's modifications: S001 ends on 17/03/2025, S003 on 02/04/2025; S002, S004 and
# S005 are new sessions (codes F-A, none), which no end date keeps out of SOFI
MAY = dt.date(2025, 5, 1)


def modifications_only() -> bytes:
    """The golden submission with only its modified sessions (S001, S003)."""
    data = json.loads((GOLDEN / "fas-soumission.json").read_text(encoding="utf-8"))
    for formation in data["formations"]:
        for action in formation["actions"]:
            action["sessions"] = [s for s in action["sessions"] if s["operation"] == "modification"]
        formation["actions"] = [a for a in formation["actions"] if a["sessions"]]
    data["formations"] = [f for f in data["formations"] if f["actions"]]
    data["header"]["session_count"] = len(_sessions(data))
    assert [s["session_ref"] for s in _sessions(data)] == ["S001", "S003"]
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.mark.parametrize("source", ["fas-offre.xml", "fas-soumission.json"])
def test_ended_sessions_are_left_aside_with_their_rows(source, tmp_path):
    reprise = api.take_back(GOLDEN / source, today=MAY)
    result = reprise.result
    kept = ["S002", "S004", "S005"]
    assert [rec.get("session_ref") for rec in result.sessions] == kept
    # their informations collectives and périodes went with them, the others stayed
    assert [rec.get("ic_session") for rec in result.infos] == kept
    assert [rec.get("pi_session") for rec in result.periodes] == kept
    assert ENDED not in {i.code for i in result.issues} and result.ok
    assert reprise.ended is not None and reprise.ended.refs == ["S001", "S003"]
    said = (
        "2 sessions terminées au 01/05/2025 laissées de côté (elles ne se modifient plus dans "
        "SOFI) : S001, S003 ; avec elles, 2 informations collectives et 2 périodes "
        "d'inscription."
    )
    repris = reprise.sections()[0]
    assert repris.heading == "Repris" and said in repris.notes
    assert reprise.taken().startswith("3 sessions reprises, 3 informations collectives")
    out = tmp_path / "reprise.xlsx"
    reprise.save(out)
    book = load_workbook(out)
    assert said in [c.value for row in book["Reprise"].iter_rows() for c in row]
    written = [c.value for row in book["Sessions"].iter_rows() for c in row]
    assert "S002" in written and "S001" not in written and "S003" not in written


def test_the_sessions_left_aside_are_those_the_check_refuses(tmp_path, monkeypatch):
    """The same verdict as the rule's: the whole offer, checked on that day, flags exactly the
    sessions left aside; a session ending on the day itself is still modified."""
    whole = tmp_path / "tout.xlsx"
    api.take_back(GOLDEN / "fas-offre.xml").save(whole)  # the suite's day: nothing has ended
    for day, aside in (
        (dt.date(2025, 3, 17), []),  # S001's last day: it is running
        (dt.date(2025, 3, 18), ["S001"]),
        (dt.date(2025, 4, 2), ["S001"]),  # S003's last day
        (dt.date(2025, 4, 3), ["S001", "S003"]),
    ):
        monkeypatch.setenv(api.TODAY_VARIABLE, day.isoformat())
        checked = api.check(whole)
        rows = {i.row for i in checked.issues if i.code == ENDED}
        refused = [rec.get("session_ref") for rec in checked.sessions if rec.row in rows]
        assert refused == aside, day
        reprise = api.take_back(GOLDEN / "fas-offre.xml", today=day)
        assert (reprise.ended.refs if reprise.ended else []) == aside, day
        assert len(reprise.result.sessions) == 5 - len(aside)
        assert ENDED not in {i.code for i in reprise.result.issues}


def test_the_next_campaign_still_renews_ended_sessions():
    reprise = api.take_back(GOLDEN / "fas-offre.xml", campaign=2026, today=MAY)
    assert reprise.ended is None and reprise.left_aside() is None
    result = reprise.result
    assert [rec.get("session_ref") for rec in result.sessions] == [
        "S001",
        "S002",
        "S003",
        "S004",
        "S005",
    ]
    assert result.sessions[0].get("fas_code") == "19482-89393"  # S001, a new session
    assert len(result.infos) == len(result.periodes) == 5
    assert not any("laissée" in note for note in reprise.sections()[0].notes)


def test_what_is_left_after_ended_sessions_goes_round_again(tmp_path):
    """Taken back in May, exported, taken back again: the same offer, less the ended."""
    before = json.loads((GOLDEN / "fas-soumission.json").read_text(encoding="utf-8"))
    result = api.take_back(GOLDEN / "fas-soumission.json", today=MAY).result
    submission = api.to_submission(result)
    assert _sessions(submission) == [
        s for s in _sessions(before) if s["session_ref"] not in ("S001", "S003")
    ]
    xml = api.to_lheo(result)
    assert b"143842" not in xml and b"143901" not in xml  # the ended sessions' SOFI numbers
    (tmp_path / "mai.xml").write_bytes(xml)
    again = api.take_back(tmp_path / "mai.xml", today=MAY)
    assert again.ended is None and again.result.ok
    assert api.to_lheo(again.result) == xml


def test_an_offer_whose_every_session_has_ended_is_refused():
    raw = modifications_only()
    with pytest.raises(UserError) as info:
        api.take_back(raw, name="modifs.json", today=MAY)
    message = str(info.value)
    assert message.startswith("modifs.json : aucune session à reprendre : les 2 sessions")
    assert "terminées au 01/05/2025" in message and "--campagne AAAA" in message
    # the next campaign takes them, and one still running is taken alone
    assert (
        len(api.take_back(raw, name="modifs.json", campaign=2026, today=MAY).result.sessions) == 2
    )
    april = api.take_back(raw, name="modifs.json", today=dt.date(2025, 4, 1))
    assert [rec.get("session_ref") for rec in april.result.sessions] == ["S003"]
    assert april.left_aside() == (
        "1 session terminée au 01/04/2025 laissée de côté (elle ne se modifie plus dans SOFI) : "
        "S001 ; avec elle, 1 information collective et 1 période d'inscription."
    )


def test_a_long_list_of_ended_sessions_names_the_first_ten(big_offer):
    """At the end of the year, most of the 2 000 sessions' modifications have ended (those
    made Inactif too): they are left aside; new sessions and running ones are all kept."""
    day = dt.date(2025, 12, 31)
    before = json.loads(big_offer["json"].read_text(encoding="utf-8"))
    modified = [s for s in _sessions(before) if (s.get("fas_code") or "").count("-") == 2]
    ended = {s["session_ref"] for s in modified if dt.date.fromisoformat(s["end_date"]) < day}
    assert 10 < len(ended) < len(modified)  # some modified sessions still run on that day
    reprise = api.take_back(big_offer["xml"], today=day)
    result = reprise.result
    assert reprise.ended is not None and set(reprise.ended.refs) == ended
    assert len(result.sessions) == len(result.infos) == len(result.periodes) == 2000 - len(ended)
    assert not ended & {rec.get("session_ref") for rec in result.sessions}
    assert not ended & {rec.get("ic_session") for rec in result.infos}
    assert ENDED not in {i.code for i in result.issues}
    text = reprise.left_aside() or ""
    names = reprise.ended.refs
    assert text.startswith(f"{len(ended)} sessions terminées au 31/12/2025 laissées de côté")
    assert f" : {', '.join(names[:10])}, … ; avec elles, {len(ended)} informations" in text
    assert names[10] not in text


# --- hostile or foreign sources ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lheo [<!ENTITY x "y">]><lheo xmlns='
            b'"http://lheo.gouv.fr/2.3">&x;</lheo>',
            "type de document",
        ),
        (b"<lheo xmlns='http://lheo.gouv.fr/2.2'><offres/></lheo>", "seul LHEO 2.3"),
        (b"<html><body>offre</body></html>", "pas un fichier LHEO"),
        (b"<lheo xmlns='http://lheo.gouv.fr/2.3'><offres>", "XML illisible"),
        (b'{"header": {}}', "soumission"),
        (b"PK\x03\x04pas vraiment un zip", "offre.xlsx"),
        (b"Date;Lieu\n01/02/2025;Nantes\n", "offre illisible"),
    ],
)
def test_a_hostile_or_foreign_source_is_refused_in_one_french_line(content, said, tmp_path):
    with pytest.raises(UserError) as info:
        api.take_back(content, name="offre.xlsx")
    message = str(info.value)
    assert said in message and "Traceback" not in message


def test_a_submission_cannot_deactivate_what_does_not_exist(tmp_path):
    data = json.loads((GOLDEN / "fas-soumission.json").read_text(encoding="utf-8"))
    new = next(s for s in _sessions(data) if s["operation"] == "creation")
    new["session_state"] = "inactif"
    with pytest.raises(UserError, match="seule une session existante peut être désactivée"):
        api.take_back(json.dumps(data).encode(), name="soumission.json")
    new.pop("session_state")
    data["header"]["format"] = "sofi-bulk/soumission/2"
    old = next(s for s in _sessions(data) if s["operation"] == "modification")
    old["session_state"], old["operation"] = "inactif", "desactivation"
    with pytest.raises(UserError, match="absent du format"):
        api.take_back(json.dumps(data).encode(), name="soumission.json")


def test_the_reader_speaks_lheo_as_the_export_writes_it():
    from sofi_bulk.lheo import xsd
    from sofi_bulk.reprise import lheo

    assert (lheo.NS, lheo.UNKNOWN_END) == (xsd.NS, xsd.UNKNOWN_END)


def test_a_source_too_large_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from sofi_bulk.reprise import take

    monkeypatch.setattr(take, "MAX_SOURCE_BYTES", 1000)
    path = tmp_path / "grosse.xml"
    path.write_bytes(b"<lheo>" + b" " * 2000 + b"</lheo>")
    with pytest.raises(UserError, match="trop volumineux"):
        api.take_back(path)
    with pytest.raises(UserError, match="trop volumineux"):
        api.take_back(io.BytesIO(path.read_bytes()), name="grosse.xml")


# --- the command --------------------------------------------------------------------------------
def test_the_command_takes_an_offer_back(tmp_path):
    out = tmp_path / "saisie-2026.xlsx"
    done = run_process(
        "template", "--reprendre", GOLDEN / "fas-offre.xml", "--campagne", "2026", "-o", out
    )
    assert done.returncode == 0, done.stderr
    assert "Offre reprise" in done.stdout and "5 sessions reprises" in done.stdout
    assert "Campagne 2026" in done.stdout and "date-hors-campagne" in done.stdout
    assert out.exists() and api.origin(out) is api.Origin.UNTOUCHED
    again = run_process("template", "--reprendre", GOLDEN / "fas-offre.xml", "-o", out)
    assert again.returncode == 0, again.stderr  # an untouched output is written again


def test_the_command_refuses_what_makes_no_sense(tmp_path):
    source = tmp_path / "offre.xml"
    source.write_bytes((GOLDEN / "fas-offre.xml").read_bytes())
    done = run_process("template", "--sans-dates", "-o", tmp_path / "a.xlsx")
    assert done.returncode == 2 and "--reprendre" in done.stderr
    done = run_process("template", "--reprendre", source, "--sans-dates", "-o", tmp_path / "b.xlsx")
    assert done.returncode == 2 and "--campagne" in done.stderr
    done = run_process(
        "template", "--reprendre", source, "--campagne", "l'an prochain", "-o", tmp_path / "c.xlsx"
    )
    assert done.returncode == 2 and "année" in done.stderr
    done = run_process(
        "template", "--reprendre", tmp_path / "absente.xml", "-o", tmp_path / "d.xlsx"
    )
    assert done.returncode == 2 and "introuvable" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_command_says_which_ended_sessions_it_left_aside(tmp_path, monkeypatch):
    monkeypatch.setenv(api.TODAY_VARIABLE, MAY.isoformat())
    out = tmp_path / "saisie-mai.xlsx"
    done = run_process("template", "--reprendre", GOLDEN / "fas-offre.xml", "-o", out)
    assert done.returncode == 0, done.stderr
    assert "3 sessions reprises" in done.stdout
    assert (
        "2 sessions terminées au 01/05/2025 laissées de côté (elles ne se modifient plus dans "
        "SOFI) : S001, S003 ; avec elles, 2 informations collectives" in done.stdout
    )
    assert ENDED not in done.stdout
    assert len(api.check(out).sessions) == 3
    source = tmp_path / "modifs.json"
    source.write_bytes(modifications_only())
    refused = tmp_path / "refus.xlsx"
    done = run_process("template", "--reprendre", source, "-o", refused)
    assert done.returncode == 2, done.stdout
    assert "aucune session à reprendre" in done.stderr and "--campagne AAAA" in done.stderr
    assert "Traceback" not in done.stderr and not refused.exists()
    done = run_process("template", "--reprendre", source, "--campagne", "2026", "-o", refused)
    assert done.returncode == 0, done.stderr
    assert "laissée" not in done.stdout


# --- the hostile corpus, taken back -----------------------------------------------------------
HOSTILE = [c for c in __import__("tests.hostile.corpus", fromlist=["cases"]).cases()]
HOSTILE_WORKBOOKS = [c for c in HOSTILE if c.command[0] == "validate" and c.category != "sortie"]


@pytest.fixture(scope="module")
def corpus_base(tmp_path_factory):
    from tests.hostile.corpus import build_base

    return build_base(tmp_path_factory.mktemp("corpus-reprise"))


@pytest.mark.parametrize("case", HOSTILE_WORKBOOKS, ids=[c.name for c in HOSTILE_WORKBOOKS])
def test_a_hostile_workbook_is_refused_or_taken_back_never_a_crash(case, corpus_base, tmp_path):
    """Every workbook of the hostile corpus, given to --reprendre: refused in one French line
    (``UserError``), or taken back into a workbook whose cells hold no formula; the input
    never changed."""
    source = case.make(tmp_path, corpus_base)
    before = source.read_bytes() if source.is_file() else None
    try:
        reprise = api.take_back(source)
    except UserError as exc:
        assert "Traceback" not in str(exc) and str(exc).strip()
    else:
        out = tmp_path / "reprise.xlsx"
        reprise.save(out)
        book = load_workbook(out)
        for name in ("Sessions", "Infos collectives", "Périodes inscription", "Reprise"):
            assert all(c.data_type != "f" for row in book[name].iter_rows() for c in row), name
    if before is not None:
        assert source.read_bytes() == before


def test_an_lheo_file_of_one_organisation_comes_back_on_its_lots():
    """As from its submission JSON: the lots of the organisation whose offer it is (the one
    organisme responsable of every formation), when the référentiel knows it; a feed of
    several organisations comes back on every lot."""
    from sofi_bulk.excel.sample import make_sample

    ref = api.load_referentiel()
    own = ref.subset(ref.lots_for(api.load_profile().label, "44198765800016"))
    buffer = io.BytesIO()
    make_sample(3, referentiel=own).save(buffer)
    xml = api.to_lheo(api.check(buffer.getvalue(), name="ilf.xlsx"))
    reprise = api.take_back(xml, name="offre-ilf.xml")
    assert sorted(lot.numero for lot in reprise.lots) == ["PAS2025_1", "PAS2025_2"]
    several = api.take_back(GOLDEN / "fas-offre.xml")  # two organisations
    assert len(several.lots) == 5
