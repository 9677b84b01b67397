"""« Reprendre mon dernier dépôt » and « reprendre un fichier » on the deposit service: the
pre-filled workbook of the signed-in organisation, never another's offer, French refusals."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sofi_bulk import api
from sofi_bulk.core.layout import SERVICE
from sofi_bulk.web.models import Deposit
from tests.conftest import ROOT
from tests.test_addin_help import aide_text, meta_of
from tests.test_reprise import ENDED, modifications_only
from tests.web.conftest import SIRET_A, make_org_user
from tests.web.test_check import text
from tests.web.test_deposits import deposit, logged_in

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GOLDEN = ROOT / "tests" / "golden" / "expected"


def _workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, text(response)[:1500]
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="reprise-')
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_the_deposits_page_offers_both(client, org_a, workbook_a):
    logged_in(client, org_a)
    page = text(client.get("/depots/"))
    assert "Reprendre un fichier" in page and "Reprendre mon dernier dépôt" not in page
    deposit(client, workbook_a)
    assert "Reprendre mon dernier dépôt" in text(client.get("/depots/"))


def test_the_last_deposit_comes_back_as_a_workbook(client, org_a, workbook_a):
    logged_in(client, org_a)
    deposit(client, workbook_a)
    response = client.post("/depots/reprendre", {"source": "dernier"})
    book = _workbook(response)
    assert book.active.title == "Reprise"
    result = api.check(response.content, name="reprise.xlsx")
    stored = Deposit.objects.get()
    before = json.loads(bytes(stored.files.get(kind="json").data))
    assert api.to_submission(result)["formations"] == before["formations"]
    assert result.book is not None and result.book.meta["siret"] == org_a.account.organisation.siret
    # as the service's blank template, its Aide names this service's « Contrôler dans Excel »
    assert meta_of(response.content)[SERVICE] == "http://testserver/"
    assert "http://testserver/complement/" in aide_text(response.content)


def test_the_next_campaign_from_the_last_deposit(client, org_a, workbook_a):
    logged_in(client, org_a)
    deposit(client, workbook_a)
    response = client.post(
        "/depots/reprendre", {"source": "dernier", "suivante": "1", "campagne": "2026"}
    )
    _workbook(response)
    result = api.check(response.content, name="reprise.xlsx")
    assert {rec.get("start_date").year for rec in result.sessions} == {2026}
    blank = client.post(
        "/depots/reprendre", {"source": "dernier", "suivante": "1", "sans_dates": "1"}
    )
    result = api.check(blank.content, name="reprise.xlsx")
    assert all(rec.get("start_date") is None for rec in result.sessions)


def test_a_file_is_taken_back(client, org_a):
    logged_in(client, org_a)
    source = (GOLDEN / "fas-offre.xml").read_bytes()
    response = client.post(
        "/depots/reprendre", {"offre": SimpleUploadedFile("offre-2025.xml", source)}
    )
    _workbook(response)
    assert response["Content-Disposition"].endswith('reprise-offre-2025.xlsx"')
    result = api.check(response.content, name="reprise.xlsx")
    assert len(result.sessions) == 5


def test_ended_sessions_are_left_aside_and_said(client, org_a, monkeypatch):
    """Taken back in May for the same campaign: the sessions ended by then are not in the
    workbook, its « Reprise » sheet names them; an offer all ended is refused in French."""
    monkeypatch.setenv(api.TODAY_VARIABLE, "2025-05-01")
    logged_in(client, org_a)
    source = (GOLDEN / "fas-offre.xml").read_bytes()
    response = client.post("/depots/reprendre", {"offre": SimpleUploadedFile("offre.xml", source)})
    book = _workbook(response)
    sheet = [c.value for row in book["Reprise"].iter_rows() for c in row if c.value]
    assert any(
        str(v).startswith("2 sessions terminées au 01/05/2025 laissées de côté")
        and "S001, S003" in v
        for v in sheet
    )
    result = api.check(response.content, name="reprise.xlsx")
    assert [rec.get("session_ref") for rec in result.sessions] == ["S002", "S004", "S005"]
    assert ENDED not in {i.code for i in result.issues}, [i.code for i in result.errors]
    ended = SimpleUploadedFile("modifs.json", modifications_only())
    response = client.post("/depots/reprendre", {"offre": ended})
    assert response.status_code == 400
    shown = text(response)
    assert "aucune session à reprendre" in shown and "Préparer la campagne suivante" in shown
    ended = SimpleUploadedFile("modifs.json", modifications_only())
    response = client.post(
        "/depots/reprendre", {"offre": ended, "suivante": "1", "campagne": "2026"}
    )
    _workbook(response)  # the next campaign renews them
    assert len(api.check(response.content, name="reprise.xlsx").sessions) == 2


def test_refusals_are_french_and_keep_the_page(client, org_a, monkeypatch):
    logged_in(client, org_a)
    hostile = b'<!DOCTYPE lheo [<!ENTITY x "y">]><lheo>&x;</lheo>'
    calls = []
    take_back = api.take_back
    monkeypatch.setattr(api, "take_back", lambda *a, **k: calls.append(k) or take_back(*a, **k))
    response = client.post("/depots/reprendre", {"offre": SimpleUploadedFile("x.xml", hostile)})
    assert response.status_code == 400
    assert [k["siret"] for k in calls] == [SIRET_A]  # read once, refused for its own reason
    shown = text(response)
    assert "type de document" in shown and "Reprendre un fichier" in shown
    response = client.post("/depots/reprendre", {"source": "dernier"})
    assert response.status_code == 400 and "Aucun dépôt à reprendre" in text(response)
    response = client.post("/depots/reprendre", {})
    assert response.status_code == 400 and "Choisissez le fichier" in text(response)
    response = client.post(
        "/depots/reprendre", {"source": "dernier", "suivante": "1", "campagne": "l'an 2026"}
    )
    assert response.status_code == 400


def test_an_organisation_without_lots_takes_back_on_every_lot(client, region_referentiel):
    """Not (yet) in the référentiel: its offer comes back all the same, on every lot."""
    from sofi_bulk.web.referentiels import template_referentiel
    from sofi_bulk.web.views import _with_lots

    newcomer = "55210055400013"
    assert _with_lots(SIRET_A, template_referentiel()) == SIRET_A
    assert _with_lots(newcomer, template_referentiel()) is None
    logged_in(client, make_org_user("nouveau", newcomer, "Nouvel Organisme"))
    source = (GOLDEN / "fas-offre.xml").read_bytes()
    response = client.post("/depots/reprendre", {"offre": SimpleUploadedFile("o.xml", source)})
    _workbook(response)
    assert len(api.check(response.content, name="reprise.xlsx").sessions) == 5


def test_no_organisation_takes_back_another_ones_deposit(client, org_a, org_b, workbook_a):
    logged_in(client, org_a)
    deposit(client, workbook_a)
    client.logout()
    logged_in(client, org_b)
    response = client.post("/depots/reprendre", {"source": "dernier"})
    assert response.status_code == 400 and "Aucun dépôt à reprendre" in text(response)


def test_anonymous_users_cannot_take_back(client):
    response = client.post("/depots/reprendre", {"source": "dernier"})
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_reprises_at_once_are_bounded_in_a_web_process(client, org_a, settings):
    """Made during the request: beyond the bound, the others are told to come back (429),
    the file not read."""
    from sofi_bulk.web.limits import slots as places

    logged_in(client, org_a)
    slots = places("reprises", settings.REPRISES_AT_ONCE)
    taken = [slots.acquire(blocking=False) for _ in range(settings.REPRISES_AT_ONCE)]
    assert all(taken)
    try:
        source = SimpleUploadedFile("offre.xml", (GOLDEN / "fas-offre.xml").read_bytes())
        response = client.post("/depots/reprendre", {"offre": source})
        assert response.status_code == 429 and response["Retry-After"] == "60"
        assert "d'autres reprises" in text(response)
    finally:
        for _ in taken:
            slots.release()
    source = SimpleUploadedFile("offre.xml", (GOLDEN / "fas-offre.xml").read_bytes())
    _workbook(client.post("/depots/reprendre", {"offre": source}))
