"""The server's référentiel is the authority for deposits: a forged copy inside a workbook
deposits nothing; without a référentiel, checks say their copy is unverified and deposits are
refused in French; the staff load a new one, read its ``referentiel verifier`` report, then
put it in service; every one is kept and each deposit names the one it was checked against."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sofi_bulk.api import example_referentiel
from sofi_bulk.web import referentiels
from sofi_bulk.web.models import Deposit, RegionReferentiel
from tests.web.conftest import (
    PASSWORD,
    SIRET_A,
    SIRET_B,
    check,
    forge_copy,
    make_org_user,
    put_in_service,
    upload,
)
from tests.web.test_check import text
from tests.web.test_deposits import deposit

pytestmark = pytest.mark.django_db


def moved_lot(siret: str = SIRET_B) -> bytes:
    """The example référentiel, PAS2025_1 given to another mandataire (a new extraction)."""
    book = openpyxl.load_workbook(example_referentiel())
    lots = book["lots"]
    for row in lots.iter_rows(min_row=2):
        if row[0].value == "PAS2025_1":
            row[5].value = siret
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_forged_copy_deposits_nothing_on_a_server_without_referentiel(db, workbook_a):
    """The attack of the issue: B edits the copy inside A's workbook, recomputes its plain
    fingerprint and deposits A's lots. Without a référentiel of its own, the service refuses
    every deposit, saying how to configure one; the check still runs, on the copy, and says
    that nothing vouches for it."""
    b = make_org_user("atlantique", SIRET_B, "Atlantique Compétences")
    browser = Client()
    browser.force_login(b)
    forged = forge_copy(workbook_a, SIRET_B)
    refused = upload(browser, forged, url="/depots/nouveau")  # refused before anything is stored
    shown = text(refused)
    assert refused.status_code == 503, shown[:500]
    assert "n'a pas de référentiel de la Région : les dépôts sont fermés" in shown
    assert "sofi-bulk serveur --referentiel" in shown
    page = check(browser, forged)  # a check is still possible, and says what it rests on
    assert "Aucune erreur" in text(page) and "rien ne garantit cette copie" in text(page)
    assert browser.post(f"/verification/{page.token}/deposer").status_code == 403
    assert Deposit.objects.count() == 0


def test_a_forged_copy_is_checked_against_the_servers_referentiel(client, org_b, workbook_a):
    client.force_login(org_b)
    page = check(client, forge_copy(workbook_a, SIRET_B), url="/depots/nouveau")
    shown = text(page)
    assert "Contrôlé avec le référentiel de la Région en service" in shown
    assert "Dépôt impossible" in shown and "PAS2025_1" in shown and "PAS2025_2" in shown
    assert client.post(f"/verification/{page.token}/deposer").status_code == 403
    assert Deposit.objects.count() == 0


def test_staff_load_read_then_put_in_service_and_every_deposit_names_its_referentiel(
    db, staff, workbook_a
):
    a = make_org_user("ilf", SIRET_A, "Institut Ligérien de Formation")
    org = Client()
    org.force_login(a)
    agent = Client()
    assert agent.post("/connexion/", {"username": "agent", "password": PASSWORD}).status_code == 302
    assert "Aucun référentiel en service" in text(agent.get("/referentiel/"))
    # a file that is not a référentiel: refused in French, nothing stored
    bad = agent.post("/referentiel/", {"fichier": SimpleUploadedFile("r.xlsx", b"pas un classeur")})
    assert bad.status_code == 400 and "Référentiel refusé" in text(bad)
    assert RegionReferentiel.objects.count() == 0

    with example_referentiel().open("rb") as fh:
        loaded = agent.post("/referentiel/", {"fichier": fh})
    assert loaded.status_code == 302
    report = text(agent.get(loaded["Location"]))
    # what « sofi-bulk referentiel verifier » says, before anything changes
    assert "6 lots, 3 organismes" in report and "Tables lues" in report
    assert "mandataire : 44198765800016 - Institut Ligérien de Formation" in report
    assert "n'est pas encore en service" in report
    assert referentiels.in_service() is None
    assert upload(org, workbook_a, url="/depots/nouveau").status_code == 503
    first = RegionReferentiel.objects.get()
    put = agent.post(f"/referentiel/{first.pk}/mettre-en-service")
    assert put.status_code == 302 and referentiels.in_service().pk == first.pk
    deposit(org, workbook_a)
    assert Deposit.objects.get().referentiel == first
    before_change = check(org, workbook_a, url="/depots/nouveau")  # checked, not confirmed

    # a new extraction moves PAS2025_1 to another mandataire
    second_file = SimpleUploadedFile("extraction-2026.xlsx", moved_lot())
    loaded = agent.post("/referentiel/", {"fichier": second_file})
    second = RegionReferentiel.objects.get(pk=int(loaded["Location"].rstrip("/").split("/")[-1]))
    assert "mandataire : 49281345600018 - Horizons" in text(agent.get(loaded["Location"]))
    agent.post(f"/referentiel/{second.pk}/mettre-en-service")
    assert referentiels.in_service().pk == second.pk
    # the check made against the previous one must be made again
    stale = org.post(f"/verification/{before_change.token}/deposer")
    assert stale.status_code == 403 and "a changé depuis ce contrôle" in text(stale)
    again = check(org, workbook_a, url="/depots/nouveau")
    assert "Dépôt impossible" in text(again) and "PAS2025_1" in text(again)
    # both kept: the history, the files, the deposits each was used for
    listing = text(agent.get("/referentiel/"))
    assert "extraction-2026.xlsx" in listing and "referentiel-exemple.xlsx" in listing
    assert agent.get(f"/referentiel/{first.pk}/fichier").content == (
        example_referentiel().read_bytes()
    )
    assert Deposit.objects.get().referentiel == first
    assert "referentiel-exemple.xlsx" in text(org.get(f"/depots/{Deposit.objects.get().pk}/"))
    # and back to the first one, should the new one be wrong
    agent.post(f"/referentiel/{first.pk}/mettre-en-service")
    assert referentiels.in_service().pk == first.pk


def test_organisations_cannot_reach_the_staff_pages(client, org_a):
    client.force_login(org_a)
    assert client.get("/referentiel/").status_code == 403
    row = referentiels.in_service()
    for url in (f"/referentiel/{row.pk}/", f"/referentiel/{row.pk}/fichier"):
        assert client.get(url).status_code == 403
    assert client.post(f"/referentiel/{row.pk}/mettre-en-service").status_code == 403
    anonymous = Client()
    assert anonymous.get("/referentiel/").status_code == 302


def test_the_startup_file_is_put_in_service_once_and_never_undoes_a_newer_one(db, tmp_path):
    assert "mis en service" in referentiels.install_at_startup(str(example_referentiel()))
    first = referentiels.in_service()
    said = referentiels.install_at_startup(str(example_referentiel()))  # a restart
    assert said.startswith("Référentiel en service") and RegionReferentiel.objects.count() == 1
    newer = tmp_path / "extraction-2026.xlsx"
    newer.write_bytes(moved_lot())
    second = put_in_service(newer)
    assert second.pk != first.pk
    said = referentiels.install_at_startup(str(example_referentiel()))  # restart, old file
    assert "ne le remplace pas" in said and referentiels.in_service().pk == second.pk
    assert RegionReferentiel.objects.count() == 2


def test_the_template_and_the_referentiel_offered_come_from_the_one_in_service(db, tmp_path):
    browser = Client()
    assert "référentiel d'exemple" in text(browser.get("/modele/"))
    newer = tmp_path / "extraction-2026.xlsx"
    newer.write_bytes(moved_lot())
    put_in_service(newer)
    page = text(browser.get("/modele/"))
    assert "référentiel d'exemple" not in page
    assert browser.get("/modele/referentiel.xlsx").content == newer.read_bytes()
