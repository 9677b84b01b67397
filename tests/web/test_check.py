"""Checking a workbook on the web: open to anyone, the CLI's report, nothing kept after its
time."""

from __future__ import annotations

import html
import io
import json
import re

import openpyxl
import pytest

from sofi_bulk.core.plan import ERRORS_HEADERS
from sofi_bulk.web import workers
from sofi_bulk.web.models import Job, JobFile
from sofi_bulk.web.report import Report
from tests.conftest import ROOT, run_cli, write_region_extraction
from tests.web.conftest import (
    SCRIPT,
    annotated,
    check,
    finished,
    put_in_service,
    run_jobs,
    upload,
)

pytestmark = pytest.mark.django_db

EXAMPLE = ROOT / "examples" / "saisie-exemple.xlsx"


def text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_home_page_offers_the_upload_form(client):
    page = client.get("/")
    body = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="fr">' in body
    assert '<label for="classeur">' in body and 'type="file" id="classeur"' in body
    assert "csrfmiddlewaretoken" in body
    assert "ne conserve rien" in body


def test_the_report_is_the_clis_report(client, faulty_workbook, tmp_path, capsys):
    """Same heading, summary, and the same issues (code, sheet, cell, message), in order."""
    path = tmp_path / "saisie.xlsx"
    path.write_bytes(faulty_workbook)
    assert run_cli("validate", str(path), "--format", "json") == 1
    cli = json.loads(capsys.readouterr().out)
    assert run_cli("validate", str(path)) == 1
    cli_text = capsys.readouterr().out

    page = check(client, faulty_workbook)
    assert page.status_code == 200
    report = Report.from_json(Job.objects.get(token=page.token).report)
    assert [(x.code, x.sheet, x.cell, x.message) for x in report.lines] == [
        (i["code"], i["sheet"], i["cell"] or "", i["message"]) for i in cli["issues"]
    ]
    shown = text(page)
    assert report.heading in cli_text and report.heading in shown
    assert report.summary in cli_text and report.summary in shown
    assert report.error_count == cli["errors"] == 3
    for issue in cli["issues"]:  # every message on the page, with its cell
        assert issue["message"] in shown
        assert f"{issue['sheet']}!{issue['cell']}" in shown
    codes = re.findall(
        r"<td><code>([a-z-]+)</code></td><td>[^<]+</td><td>([^<]+)</td>"
        r"<td class=\"nombre\">(\d+)</td>",
        page.content.decode(),
    )
    # the table of codes: the CLI's counts, in its order (errors first), with its severities
    assert [(c, severity, int(n)) for c, severity, n in codes] == [
        (c["code"], c["severity"], c["count"]) for c in cli["counts"]
    ]

    # the annotated copy, made on demand: an attachment of the right type, the CLI's copy
    assert Job.objects.get(token=page.token).copy_state == ""  # not before it is asked for
    copy = annotated(client, page.token)
    assert copy.status_code == 200
    assert copy["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert copy["Content-Disposition"] == 'attachment; filename="saisie-annotee.xlsx"'
    assert copy["X-Content-Type-Options"] == "nosniff"
    book = openpyxl.load_workbook(io.BytesIO(copy.content))
    errors = book["Erreurs"]
    code = ERRORS_HEADERS.index("Code")
    codes = [row[code] for row in errors.iter_rows(min_row=4, values_only=True)]
    assert codes == [i["code"] for i in cli["issues"]]


def test_an_annotated_copy_sent_again_keeps_its_name(client, faulty_workbook):
    """The copy of a copy is named as the command line names it: saisie-annotee.xlsx, never
    saisie-annotee-annotee.xlsx."""
    first = annotated(client, check(client, faulty_workbook).token)
    again = check(client, first.content, name="saisie-annotee.xlsx")
    named = annotated(client, again.token)["Content-Disposition"]
    assert named == 'attachment; filename="saisie-annotee.xlsx"'


def test_nothing_a_user_typed_is_rendered_unescaped(client, faulty_workbook):
    page = check(client, faulty_workbook, name="<img src=x onerror=alert(1)>.xlsx")
    body = page.content.decode()
    assert SCRIPT not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_the_bundled_example_is_clean(client):
    page = check(client, EXAMPLE.read_bytes(), name="saisie-exemple.xlsx")
    shown = text(page)
    assert "Aucune erreur, aucun avertissement" in shown
    assert "6 sessions" in shown
    assert "Référentiel d'exemple" in shown  # as the CLI warns


@pytest.mark.parametrize("trial", [False, True], ids=["copie", "essai"])
@pytest.mark.parametrize("today", ["2026-12-07", "2031-06-01"])
def test_the_bundled_example_is_clean_on_any_day(client, monkeypatch, tmp_path, today, trial):
    """Checked against its own copy, or on the trial server (``sofi-bulk serveur
    --referentiel exemple``: the example in service), the example's fictitious lots are
    never of a campaign that is over; a Région's référentiel in service still says so."""
    monkeypatch.setenv("SOFI_BULK_TODAY", today)
    if trial:
        put_in_service()
    shown = text(check(client, EXAMPLE.read_bytes(), name="saisie-exemple.xlsx"))
    assert "Aucune erreur, aucun avertissement" in shown and "campagne-a-verifier" not in shown
    if trial:
        put_in_service(write_region_extraction(tmp_path / "referentiel-exemple.xlsx"))
        shown = text(check(client, EXAMPLE.read_bytes(), name="saisie-exemple.xlsx"))
        assert "campagne-a-verifier" in shown and "Année de campagne à vérifier" in shown


def test_a_check_keeps_nothing_after_its_time(client, workbook_a, settings, tmp_path):
    """No file on disk (uploads stay in memory), no deposit; the job and its workbook stay in
    the database for the annotated copy, then go once their time is over."""
    from django.contrib.sessions.models import Session
    from django_tasks_db.models import DBTaskResult

    from sofi_bulk.web.models import Deposit, DepositFile, Organisation

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    page = check(client, workbook_a)
    assert page.status_code == 200
    job = Job.objects.get(token=page.token)
    assert list(job.files.values_list("kind", flat=True)) == [JobFile.UPLOAD]
    assert bytes(job.files.get().data) == workbook_a
    assert not list(tmp_path.iterdir())
    assert Deposit.objects.count() == DepositFile.objects.count() == 0
    assert Organisation.objects.count() == 0
    assert Session.objects.count() == 1  # the browser session the check belongs to, only
    assert workers.purge() == 0  # within its time: kept
    Job.objects.filter(pk=job.pk).update(finished_at=job.finished_at - workers_ttl())
    assert workers.purge() == 1
    assert Job.objects.count() == JobFile.objects.count() == DBTaskResult.objects.count() == 0


def workers_ttl():
    import datetime as dt

    return dt.timedelta(seconds=workers.TTL + 1)


def test_a_refused_file_is_not_kept(client):
    page = check(client, b"%PDF-1.7\n", name="offre.xlsx")
    assert "Fichier refusé" in text(page)
    assert not JobFile.objects.filter(job__token=page.token).exists()


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"titre;date\nS001;10/02/2025\n", "saisie.xlsx", "pas un classeur .xlsx"),
        (b"%PDF-1.7\n", "offre.xlsx", "document PDF"),
        (b"PK\x03\x04 not really a zip", "saisie.xlsx", "endommagé"),
    ],
)
def test_a_bad_file_gets_a_french_page(client, data, name, expected):
    page = check(client, data, name=name)
    assert page.status_code == 200
    shown = text(page)
    assert "Fichier refusé" in shown and expected in shown and name in shown
    assert "rien n'a été conservé" in shown


def test_a_foreign_template_is_refused_with_what_to_do(client, workbook_a):
    book = openpyxl.load_workbook(io.BytesIO(workbook_a))
    meta = book["_meta"]
    for row in meta.iter_rows(min_row=2):
        if row[0].value == "template_version":
            row[1].value = "2019.1"
    buffer = io.BytesIO()
    book.save(buffer)
    shown = text(check(client, buffer.getvalue()))
    assert "Fichier refusé" in shown
    assert "autre version du modèle" in shown and "le modèle à jour" in shown


def test_an_oversized_upload_gets_a_french_page_and_is_not_read(client, settings):
    settings.MAX_UPLOAD_BYTES = 100_000
    page = upload(client, b"PK" + b"\0" * 300_000)
    assert page.status_code == 413
    assert "Fichier trop volumineux" in text(page)
    assert Job.objects.count() == 0


def test_a_file_just_over_the_limit_is_refused_too(client, settings):
    """Under the envelope margin of the early check: the view itself refuses it."""
    settings.MAX_UPLOAD_BYTES = 100_000
    page = upload(client, b"PK" + b"\0" * 100_100)
    assert page.status_code == 413


def test_no_file_chosen(client):
    page = client.post("/verifier", {})
    assert page.status_code == 400
    assert "Choisissez un classeur .xlsx" in text(page)


def test_progress_is_shown_while_a_check_runs(client, workbook_a):
    response = upload(client, workbook_a)
    token = response["Location"].split("/")[2]
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "Contrôle en cours" in body and "<progress" in body
    assert f'data-status-url="/verification/{token}/etat"' in body
    assert '<meta http-equiv="refresh"' in body  # without JavaScript too
    state = client.get(f"/verification/{token}/etat").json()
    assert state["etapes"] == 2 and state["termine"] is False
    # no worker is running in this test: the page says so, and that the workbook is kept
    assert "momentanément arrêté" in state["libelle"] and "gardé" in state["libelle"]
    report = finished(client, response)
    assert "Rapport de contrôle" in report.content.decode()
    assert client.get(f"/verification/{token}/etat").json()["termine"] is True


def test_another_browser_cannot_see_a_check(client, workbook_a, django_user_model):
    from django.test import Client

    page = check(client, workbook_a)
    stranger = Client()
    for url in (f"/verification/{page.token}/", f"/verification/{page.token}/copie-annotee.xlsx"):
        refused = stranger.get(url)
        assert refused.status_code == 410
        assert "plus disponible" in text(refused)


def test_an_expired_check_says_what_to_do(client):
    page = client.get("/verification/inconnu-ou-expire/")
    assert page.status_code == 410
    shown = text(page)
    assert "Ce contrôle n'est plus disponible" in shown and "date de plus de 30 minutes" in shown
    assert "choisissez à nouveau votre classeur" in shown and "session a expiré" not in shown
    assert client.get("/verification/inconnu/etat").json()["etat"] == "expire"


def test_template_page_and_downloads(client):
    page = client.get("/modele/")
    shown = text(page)
    assert page.status_code == 200 and "PAS2025_1" in shown and "référentiel d'exemple" in shown
    template = client.get("/modele/saisie.xlsx")
    assert template["Content-Disposition"].startswith("attachment;")
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    assert "Sessions" in book.sheetnames
    referentiel = client.get("/modele/referentiel.xlsx")
    assert referentiel.status_code == 200
    assert referentiel.content == (ROOT / "examples" / "referentiel-exemple.xlsx").read_bytes()


def test_unknown_page_is_french(client):
    page = client.get("/nulle-part")
    assert page.status_code == 404 and "Page introuvable" in text(page)


def test_a_finished_check_is_forgotten_after_its_time(client, workbook_a, monkeypatch):
    page = check(client, workbook_a)
    assert page.status_code == 200
    monkeypatch.setattr(workers, "TTL", 0)
    gone = client.get(f"/verification/{page.token}/")
    assert gone.status_code == 410 and "Ce contrôle n'est plus disponible" in text(gone)
    workers.purge()
    assert not Job.objects.filter(token=page.token).exists()


def test_a_bug_during_a_check_gives_a_french_page_and_the_server_goes_on(
    client, workbook_a, monkeypatch, caplog
):
    from sofi_bulk import api

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api, "check", broken)
    page = check(client, workbook_a)
    assert page.status_code == 500
    shown = text(page)
    assert "Le contrôle a échoué" in shown and "a bug" not in shown and "Traceback" not in shown
    assert "a bug" in caplog.text  # logged for the operator
    assert "Relancer le contrôle" in shown
    monkeypatch.undo()
    assert check(client, workbook_a).status_code == 200
    # the « relancer » button: the same workbook, checked again
    again = client.post(f"/verification/{page.token}/relancer")
    assert again.status_code == 302
    assert run_jobs() == 1
    report = client.get(f"/verification/{page.token}/")
    assert report.status_code == 200 and "Rapport de contrôle" in text(report)


def test_a_file_just_under_the_limit_is_received(client, settings):
    """The whole request (file and envelope) passes: the file is read, then refused as
    damaged, not lost on the way."""
    data = b"PK\x03\x04" + b"\0" * (settings.MAX_UPLOAD_BYTES - 4)
    page = check(client, data)
    assert "Fichier refusé" in text(page) and "endommagé" in text(page)


def test_a_report_kept_as_json_is_the_report(faulty_workbook):
    """The worker keeps the report as JSON (built field by field, not by ``asdict``): read
    back, it is the same report, and the same JSON asdict would give."""
    import dataclasses

    from sofi_bulk import api
    from sofi_bulk.web.report import build_report

    result = api.check(api.read(faulty_workbook, name="saisie.xlsx"))
    report = build_report(result, api.error_lines(result))
    assert report.lines and report.per_code and report.per_sheet
    kept = json.loads(json.dumps(report.to_json()))
    assert kept == json.loads(json.dumps(dataclasses.asdict(report)))
    assert Report.from_json(kept) == report


def test_a_blank_template_is_made_once_then_served_as_made(client, monkeypatch, org_a):
    """Anyone may ask for it as often as they like: made once per référentiel, organisation,
    service address and day, not 0.8 s of processor per request."""
    from sofi_bulk import api
    from sofi_bulk.web import views

    views._templates.clear()
    made = []
    write = api.write_template
    monkeypatch.setattr(api, "write_template", lambda **k: made.append(k) or write(**k))
    first, second = (client.get("/modele/saisie.xlsx") for _ in range(2))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and len(made) == 1
    client.force_login(org_a)  # an organisation's own lots: another workbook
    own = client.get("/modele/saisie.xlsx")
    assert own.status_code == 200 and own.content != first.content and len(made) == 2
    monkeypatch.setenv(api.TODAY_VARIABLE, "2025-03-04")  # another day: made again
    client.get("/modele/saisie.xlsx")
    assert len(made) == 3
