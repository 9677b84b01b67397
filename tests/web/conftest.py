"""The web face's fixtures: accounts, workbooks of one organisation's lots, a faulty one,
and helpers that run the queued background work in the test's own thread (the engine's claim,
then the worker's ``run_task``), so that a test's database transaction sees it. The worker
processes themselves are tested in test_processes.py and test_production.py."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from sofi_bulk.core.fields import SESSIONS_SHEET
from sofi_bulk.core.profile import load_profile
from sofi_bulk.excel.referentiel import load_referentiel
from sofi_bulk.excel.sample import SampleBook, make_sample

PASSWORD = "Depot-Offre-2026!"
SIRET_A = "44198765800016"  # Institut Ligérien de Formation: lots PAS2025_1, PAS2025_2
SIRET_B = "49281345600018"  # lots PAS2025_3 to PAS2025_5
SCRIPT = "<script>alert('x')</script>"


def sample_for(siret: str, n: int, edit: Callable[[SampleBook], None] | None = None) -> bytes:
    """A valid workbook of ``n`` sessions on the lots of one organisation."""
    ref = load_referentiel()
    profile = load_profile()
    sample = make_sample(n, referentiel=ref.subset(ref.lots_for(profile.label, siret)))
    if edit is not None:
        edit(sample)
    buffer = io.BytesIO()
    sample.save(buffer)
    return buffer.getvalue()


def break_it(sample: SampleBook) -> None:
    """Three errors, one of them carrying markup in the value its message quotes."""
    sample.set(SESSIONS_SHEET, "start_date", 0, "31/02/2025")
    sample.set(SESSIONS_SHEET, "delivery_site", 1, SCRIPT)
    sample.set(SESSIONS_SHEET, "places", 2, "douze")


def forge_copy(data: bytes, siret: str) -> bytes:
    """The attack of an organisation on another's workbook: the référentiel copy in the hidden
    _meta sheet edited to make ``siret`` a formateur of every lot, its fingerprint (a plain
    hash) recomputed, as anyone can."""
    import hashlib
    import json

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    meta = book["_meta"]
    rows = [r for r in meta.iter_rows() if r[0].value == "referentiel_json"]
    copy = json.loads("".join(str(r[1].value) for r in rows))
    example = json.loads(load_referentiel().to_json())
    for lot in copy["lots"]:
        lot["siret_formateurs"] = [*lot["siret_formateurs"], siret]
    copy["organismes"] += [o for o in example["organismes"] if o["siret"] == siret]
    blob = json.dumps(copy, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for row in rows[1:]:
        row[0].value = row[1].value = None
    rows[0][1].value = blob
    for row in meta.iter_rows():
        if row[0].value == "referentiel_fingerprint":
            row[1].value = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def workbook_a() -> bytes:
    return sample_for(SIRET_A, 3)


@pytest.fixture(scope="session")
def workbook_b() -> bytes:
    return sample_for(SIRET_B, 2)


@pytest.fixture(scope="session")
def faulty_workbook() -> bytes:
    return sample_for(SIRET_A, 3, break_it)


def put_in_service(path=None, user=None):
    """A référentiel of the Région in service, as ``--referentiel`` (or the staff's page)
    puts it: the bundled example by default. Its row."""
    from sofi_bulk.api import example_referentiel
    from sofi_bulk.web import referentiels

    referentiels.install_at_startup(str(path or example_referentiel()))
    return referentiels.in_service()


@pytest.fixture
def region_referentiel(db):
    """The example référentiel in service: deposits are open."""
    return put_in_service()


def make_org_user(username: str, siret: str, name: str):
    from django.contrib.auth import get_user_model

    from sofi_bulk.web.models import Account, Organisation

    organisation, _ = Organisation.objects.get_or_create(siret=siret, defaults={"name": name})
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    Account.objects.create(user=user, organisation=organisation)
    return user


@pytest.fixture
def org_a(db, region_referentiel):
    return make_org_user("ilf", SIRET_A, "Institut Ligérien de Formation")


@pytest.fixture
def org_b(db, region_referentiel):
    return make_org_user("atlantique", SIRET_B, "Atlantique Compétences")


@pytest.fixture
def staff(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("agent", password=PASSWORD, is_staff=True)


def upload(client, data: bytes, name: str = "saisie.xlsx", url: str = "/verifier"):
    """POST a workbook as a browser does; the response (a redirect to the check's page)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url, {"classeur": SimpleUploadedFile(name, data)})


def token_of(response) -> str:
    match = re.search(r"/verification/([\w-]+)/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def run_jobs(lane: str = "essai.tout") -> int:
    """Run every queued task as a worker does (claim, then run); how many ran."""
    from django_tasks_db.models import DBTaskResult

    from sofi_bulk.web import workers

    ran = 0
    while (task := DBTaskResult.objects.ready().first()) is not None:
        task.claim(lane)
        workers.run_task(task, lane)
        ran += 1
    return ran


def finished(client, response):
    """Run the check behind an upload's redirect; the report page."""
    assert response.status_code == 302, response.content[:500]
    token = token_of(response)
    assert run_jobs() >= 1
    page = client.get(response["Location"])
    page.token = token
    return page


def annotated(client, token: str):
    """Ask for the annotated copy, let a worker make it; the download."""
    asked = client.get(f"/verification/{token}/copie-annotee.xlsx")
    assert asked.status_code == 302 and asked["Location"].endswith("/copie-annotee/")
    assert client.get(asked["Location"]).status_code == 200
    run_jobs()
    return client.get(f"/verification/{token}/copie-annotee.xlsx")


def check(client, data: bytes, name: str = "saisie.xlsx", url: str = "/verifier"):
    return finished(client, upload(client, data, name, url))


@pytest.fixture(scope="session")
def big_workbook(tmp_path_factory) -> Path:
    """5,000 sessions (the issue's size for progress), generated once per test session."""
    path = tmp_path_factory.mktemp("gros") / "saisie-5000.xlsx"
    make_sample(5000).save(path)
    return path
