"""Deposits behind accounts: only clean workbooks of one's own lots, everything stored in
one transaction, history and differences, staff see all and get one merged LHEO file."""

from __future__ import annotations

import hashlib
import io
import json
import re

import openpyxl
import pytest

from sofi_bulk.core.fields import SESSIONS_SHEET
from sofi_bulk.lheo.xsd import validate_lheo
from sofi_bulk.web.models import Deposit, DepositFile, DepositLot
from tests.web.conftest import (
    PASSWORD,
    SIRET_A,
    annotated,
    check,
    finished,
    make_org_user,
    sample_for,
)
from tests.web.test_check import text

pytestmark = pytest.mark.django_db


def deposit(client, data: bytes, name: str = "saisie.xlsx"):
    """Upload for deposit, then confirm; the receipt page."""
    page = check(client, data, name=name, url="/depots/nouveau")
    assert "Déposer ce classeur" in page.content.decode(), text(page)[:2000]
    confirmed = client.post(f"/verification/{page.token}/deposer")
    assert confirmed.status_code == 302, text(confirmed)[:1000]
    receipt = client.get(confirmed["Location"])
    assert receipt.status_code == 200
    return receipt


def logged_in(client, user):
    client.force_login(user)  # the login form itself is tested in test_security
    return client


@pytest.fixture(scope="module")
def changed_workbook() -> bytes:
    """Four sessions: S004 added, S001 with more places than in ``workbook_a``."""

    def edit(sample):
        sample.set(SESSIONS_SHEET, "places", 0, 11)

    return sample_for(SIRET_A, 4, edit)


def test_deposit_records_everything_and_gives_a_receipt(client, org_a, workbook_a):
    logged_in(client, org_a)
    receipt = deposit(client, workbook_a)
    stored = Deposit.objects.get()
    shown = text(receipt)
    assert re.fullmatch(r"SOFI-\d{8}-\d{6}", stored.receipt) and stored.receipt in shown
    assert stored.organisation.siret == SIRET_A and stored.user == org_a
    assert stored.sha256 == hashlib.sha256(workbook_a).hexdigest()
    assert stored.session_count == 3 and stored.lots == ["PAS2025_1", "PAS2025_2"]
    assert stored.tool_version and stored.referentiel_fingerprint and stored.template_version
    assert {(r.lot, r.session_count) for r in DepositLot.objects.all()} == {
        ("PAS2025_1", 2),
        ("PAS2025_2", 1),
    }
    files = {f.kind: f for f in DepositFile.objects.all()}
    assert bytes(files["classeur"].data) == workbook_a
    submission = json.loads(bytes(files["json"].data))
    assert submission["header"]["session_count"] == 3
    assert validate_lheo(bytes(files["lheo"].data)) == []
    for f in files.values():
        assert f.sha256 == hashlib.sha256(bytes(f.data)).hexdigest()
    assert "Premier dépôt" in shown
    assert "3 (0 avertissement, 0 erreur)" in shown  # French plural: 0 takes the singular

    # each file downloads as an attachment with its own content type
    for kind, content_type in (
        ("classeur", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("json", "application/json"),
        ("lheo", "application/xml"),
    ):
        got = client.get(f"/depots/{stored.pk}/{kind}")
        assert got.status_code == 200 and got["Content-Type"] == content_type
        assert got["Content-Disposition"].startswith('attachment; filename="SOFI-')
        assert got["X-Content-Type-Options"] == "nosniff"
        assert got.content == bytes(files[kind].data)
    history = text(client.get("/depots/"))
    assert stored.receipt in history and "saisie.xlsx" in history


def test_depositing_again_keeps_history_and_shows_the_difference(
    client, org_a, workbook_a, changed_workbook
):
    logged_in(client, org_a)
    deposit(client, workbook_a)
    second = deposit(client, changed_workbook, name="saisie-v2.xlsx")
    first, latest = Deposit.objects.order_by("id")
    assert latest.previous == first
    assert latest.diff["added"] == ["S004"]
    assert latest.diff["removed"] == []
    assert latest.diff["unchanged"] == 2
    [changed] = latest.diff["changed"]
    assert changed["session"] == "S001"
    assert ["Nb places dispositif", "8", "11"] in changed["fields"]
    shown = text(second)
    assert "1 session ajoutée" in shown and "1 modifiée" in shown and "S004" in shown
    assert first.receipt in shown
    third = deposit(client, sample_for(SIRET_A, 2), name="saisie-v3.xlsx")
    assert Deposit.objects.count() == 3
    assert Deposit.objects.order_by("-id").first().diff["removed"] == ["S003", "S004"]
    assert "2 retirées" in text(third)


def test_a_workbook_with_errors_cannot_be_deposited(client, org_a, faulty_workbook):
    logged_in(client, org_a)
    page = check(client, faulty_workbook, url="/depots/nouveau")
    shown = text(page)
    assert "Dépôt impossible" in shown and "3 erreurs" in shown
    assert "Déposer ce classeur" not in shown
    refused = client.post(f"/verification/{page.token}/deposer")
    assert refused.status_code == 403
    assert Deposit.objects.count() == 0


def test_an_organisation_deposits_only_its_own_lots(client, org_b, workbook_a):
    logged_in(client, org_b)
    page = check(client, workbook_a, url="/depots/nouveau")
    shown = text(page)
    assert "Dépôt impossible. 2 lots de ce classeur ne sont pas à l'organisme" in shown
    # each refused lot named with the reason: whose it is, in the référentiel in service
    assert (
        "PAS2025_1 (mandataire : Institut Ligérien de Formation, SIRET 44198765800016 ; "
        "formateurs : aucun autre)" in shown
    )
    assert (
        "PAS2025_2 (mandataire : Institut Ligérien de Formation, SIRET 44198765800016 ; "
        "formateurs : Atelier Parcours Emploi, SIRET 72312345100012)" in shown
    )
    assert client.post(f"/verification/{page.token}/deposer").status_code == 403
    assert Deposit.objects.count() == 0


def test_one_foreign_lot_refuses_the_deposit_and_is_named_alone(client, org_a):
    """Two lots of A and one of Horizons: nothing is deposited, and only PAS2025_3 is named."""
    from sofi_bulk.core.profile import load_profile
    from sofi_bulk.excel.referentiel import load_referentiel
    from sofi_bulk.excel.sample import make_sample

    ref = load_referentiel()
    lots = [ref.find_lot(n) for n in ("PAS2025_1", "PAS2025_2", "PAS2025_3")]
    sample = make_sample(3, profile=load_profile(), referentiel=ref.subset(lots))
    buffer = io.BytesIO()
    sample.save(buffer)
    logged_in(client, org_a)
    shown = text(check(client, buffer.getvalue(), url="/depots/nouveau"))
    assert "1 lot de ce classeur n'est pas à l'organisme qui dépose (SIRET 44198765800016)" in (
        shown
    )
    assert "PAS2025_3 (mandataire : Horizons Compétences, SIRET 49281345600018" in shown
    assert "PAS2025_1 (" not in shown and "Déposer ce classeur" not in shown


def test_a_co_contractor_deposits_the_lots_it_trains_in(client, region_referentiel):
    """Atelier Parcours Emploi is a formateur (co-traitant) of PAS2025_2 (mandataire: the
    Institut) and PAS2025_5 (mandataire: Horizons): as the procedure has it enter their
    sessions, it deposits them."""
    siret = "72312345100012"
    logged_in(client, make_org_user("ape", siret, "Atelier Parcours Emploi"))
    deposit(client, sample_for(siret, 2))
    stored = Deposit.objects.get()
    assert stored.organisation.siret == siret and stored.lots == ["PAS2025_2", "PAS2025_5"]


def test_staff_deposit_for_an_organisation_and_say_so(client, org_a, org_b, staff, workbook_a):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    logged_in(client, staff)
    a = org_a.account.organisation
    no_choice = client.post("/depots/nouveau", {"classeur": SimpleUploadedFile("s.xlsx", b"x")})
    assert no_choice.status_code == 400 and "Choisissez l'organisme" in text(no_choice)
    wrong = org_b.account.organisation
    sent = client.post(
        "/depots/nouveau",
        {"organisme": wrong.pk, "classeur": SimpleUploadedFile("saisie.xlsx", workbook_a)},
    )
    page = finished(client, sent)
    assert "Dépôt impossible" in text(page) and "Déposer ce classeur" not in text(page)
    sent = client.post(
        "/depots/nouveau",
        {"organisme": a.pk, "classeur": SimpleUploadedFile("saisie.xlsx", workbook_a)},
    )
    page = finished(client, sent)
    shown = text(page)
    assert "au nom du Carif-Oref" in shown
    assert "« déposé par le Carif-Oref pour l'Institut Ligérien de Formation »" in shown
    confirmed = client.post(f"/verification/{page.token}/deposer")
    assert confirmed.status_code == 302
    stored = Deposit.objects.get()
    assert stored.organisation == a and stored.user == staff and stored.by_staff
    receipt = text(client.get(confirmed["Location"]))
    assert "par agent : déposé par le Carif-Oref pour l'Institut Ligérien de Formation" in receipt
    # the organisation sees it in its history, with the same words
    history = text(logged_in(Client(), org_a).get("/depots/"))
    assert "déposé par le Carif-Oref pour l'Institut Ligérien de Formation (agent)" in history
    assert "(déposé par le Carif-Oref)" in text(client.get("/depots/"))


def test_a_workbook_with_formulas_is_not_kept_but_its_annotated_copy_is(client, org_a, workbook_a):
    """A formula in a deposit could call a web address when the staff open it: refused,
    naming the cell; the annotated copy of the same workbook (values only) is accepted."""
    book = openpyxl.load_workbook(io.BytesIO(workbook_a))
    book[SESSIONS_SHEET]["BZ3"] = '=HYPERLINK("http://exemple.invalid/x","PREPA")'
    buffer = io.BytesIO()
    book.save(buffer)
    logged_in(client, org_a)
    page = check(client, buffer.getvalue(), url="/depots/nouveau")
    shown = text(page)
    assert "Dépôt impossible. Le classeur contient des formules (Sessions!BZ3)" in shown
    assert client.post(f"/verification/{page.token}/deposer").status_code == 403
    assert Deposit.objects.count() == 0
    copy = annotated(client, page.token)
    assert copy.status_code == 200
    receipt = deposit(client, copy.content, name="saisie-annotee.xlsx")
    assert Deposit.objects.count() == 1 and receipt.status_code == 200


def test_a_half_finished_deposit_leaves_nothing_behind(client, org_a, workbook_a, monkeypatch):
    """The third file fails to store: no deposit, no lot, no file remains."""
    logged_in(client, org_a)
    page = check(client, workbook_a, url="/depots/nouveau")
    real = DepositFile.objects.create

    def failing(**kwargs):
        if kwargs["kind"] == DepositFile.LHEO:
            raise OSError("disque plein")
        return real(**kwargs)

    monkeypatch.setattr(DepositFile.objects, "create", failing)
    client.raise_request_exception = False
    failed = client.post(f"/verification/{page.token}/deposer")
    assert failed.status_code == 500
    assert "Erreur du service" in text(failed)
    assert Deposit.objects.count() == DepositLot.objects.count() == DepositFile.objects.count() == 0
    monkeypatch.undo()
    client.raise_request_exception = True
    done = client.post(f"/verification/{page.token}/deposer")  # the job is still there
    assert done.status_code == 302 and Deposit.objects.count() == 1
    assert DepositFile.objects.count() == 3


def test_no_organisation_sees_another_ones_deposits(client, org_a, org_b, workbook_a, workbook_b):
    from django.test import Client

    logged_in(client, org_a)
    deposit(client, workbook_a)
    other = logged_in(Client(), org_b)
    deposit(other, workbook_b)
    a = Deposit.objects.get(organisation__siret=SIRET_A)
    b = Deposit.objects.exclude(pk=a.pk).get()
    # B guesses A's numbers: every page and file is refused, and says nothing of it
    for url in (f"/depots/{a.pk}/", *(f"/depots/{a.pk}/{k}" for k in ("classeur", "json", "lheo"))):
        refused = other.get(url)
        assert refused.status_code == 404, url
        assert a.receipt not in refused.content.decode()
    for guess in range(1, b.pk + 5):  # walking the identifiers finds only its own
        got = other.get(f"/depots/{guess}/")
        assert got.status_code == (200 if guess == b.pk else 404)
    assert a.receipt not in text(other.get("/depots/"))
    assert other.get("/depots/lheo-fusionne.xml").status_code == 403
    # nor A's check page, nor deposit the check of another account
    page = check(client, workbook_a, url="/depots/nouveau")
    assert other.post(f"/verification/{page.token}/deposer").status_code == 410
    assert Deposit.objects.count() == 2


def test_anonymous_users_are_sent_to_log_in(client):
    for url in ("/depots/", "/depots/1/", "/depots/1/json", "/depots/lheo-fusionne.xml"):
        got = client.get(url)
        assert got.status_code == 302 and got["Location"].startswith("/connexion/?next="), url
    assert client.post("/depots/nouveau").status_code == 302
    login = client.get("/connexion/?next=/depots/")
    assert "votre session a peut-être expiré" in text(login)


def test_staff_see_everything_by_organisation_and_lot_and_merge_the_lheo(
    client, org_a, org_b, staff, workbook_a, workbook_b, changed_workbook
):
    from django.test import Client

    a = logged_in(Client(), org_a)
    deposit(a, workbook_a)
    deposit(a, changed_workbook)
    deposit(logged_in(Client(), org_b), workbook_b)
    logged_in(client, staff)
    page = text(client.get("/depots/"))
    assert "3 dépôts" in page and "2 organismes ayant déposé" in page
    by_lot = text(client.get("/depots/?lot=PAS2025_3"))
    assert "1 dépôt" in by_lot and "Atlantique Compétences" in by_lot
    org_id = Deposit.objects.filter(organisation__siret=SIRET_A).first().organisation_id
    assert "2 dépôts" in text(client.get(f"/depots/?organisme={org_id}"))
    for d in Deposit.objects.all():  # staff open and download any deposit
        assert client.get(f"/depots/{d.pk}/").status_code == 200
        assert client.get(f"/depots/{d.pk}/lheo").status_code == 200

    merged = client.get("/depots/lheo-fusionne.xml")
    assert merged.status_code == 200
    assert merged["Content-Type"] == "application/xml"
    assert merged["Content-Disposition"].startswith('attachment; filename="offre-lheo-fusionnee')
    assert validate_lheo(merged.content) == []
    sessions = re.findall(rb"<extra info=\"reference\">(S\d+)</extra>", merged.content)
    assert len(sessions) == 4 + 2  # A's latest deposit (4 sessions), B's (2)


def test_an_account_without_organisation_cannot_deposit(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("seul", password=PASSWORD))
    got = client.get("/depots/")
    assert got.status_code == 403 and "aucun organisme" in text(got)


def test_template_for_an_organisation_offers_its_lots_only(client, org_b):
    logged_in(client, org_b)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/modele/saisie.xlsx").content))
    meta = {row[0]: row[1] for row in book["_meta"].iter_rows(min_row=2, values_only=True)}
    assert meta["lots"] == "PAS2025_3;PAS2025_4;PAS2025_5" and meta["siret"] == "49281345600018"


def test_a_check_made_before_logging_in_is_kept_and_can_be_deposited(org_a, workbook_a):
    """Checked anonymously, then logged in through the form (Django gives the session a new
    key): the report is still there, and deposits without a new upload, checked again
    against the server's référentiel."""
    from django.test import Client

    from tests.web.conftest import run_jobs

    browser = Client()
    page = check(browser, workbook_a)
    report_url = f"/verification/{page.token}/"
    shown = page.content.decode()
    assert f'href="/connexion/?next={report_url}"' in shown
    anonymous_key = browser.session.session_key
    login = browser.post(
        "/connexion/", {"username": "ilf", "password": PASSWORD, "next": report_url}
    )
    assert login.status_code == 302 and login["Location"] == report_url
    assert browser.session.session_key != anonymous_key  # rotated at login, the check kept
    kept = browser.get(report_url)
    assert kept.status_code == 200 and "Aucune erreur" in text(kept)
    assert "Préparer le dépôt de ce classeur" in text(kept)
    sent = browser.post(f"/verification/{page.token}/deposer-ce-classeur")
    assert sent.status_code == 302 and sent["Location"] != report_url
    assert run_jobs() == 1
    ready = browser.get(sent["Location"])
    assert "Déposer ce classeur" in text(ready)
    assert "Contrôlé avec le référentiel de la Région en service" in text(ready)
    confirmed = browser.post(sent["Location"] + "deposer")
    assert confirmed.status_code == 302
    stored = Deposit.objects.get()
    assert stored.organisation.siret == SIRET_A and stored.user == org_a
    assert stored.sha256 == hashlib.sha256(workbook_a).hexdigest()
    # another account cannot deposit that check (it is this browser session's)
    other = Client()
    other.force_login(org_a)
    assert other.post(f"/verification/{page.token}/deposer-ce-classeur").status_code == 410


def test_odd_filters_on_the_staff_page_are_answered_not_crashed(staff):
    """« ² » passes str.isdigit but not int(); a NUL byte is refused by PostgreSQL: neither
    is a server error, nor a database outage told to the monitoring."""
    from django.db import connection
    from django.test import Client

    client = Client(raise_request_exception=False)  # as served: the error pages answer
    logged_in(client, staff)
    assert client.get("/depots/", {"organisme": "²"}).status_code == 200
    assert client.post("/depots/nouveau", {"organisme": "²"}).status_code in (200, 400)
    nul = client.get("/depots/", {"lot": "a\x00b"})
    assert nul.status_code == (400 if connection.vendor == "postgresql" else 200)
