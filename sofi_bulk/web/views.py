"""The pages: check a workbook (anyone), deposit it (organisation accounts), see every
deposit (Carif-Oref staff). Every page is French; every value a user typed goes through
the template engine's escaping; every download is an attachment."""

from __future__ import annotations

import threading
from functools import wraps
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from sofi_bulk.core.referentiel import Referentiel
from sofi_bulk.web import jobs
from sofi_bulk.web.models import Deposit, DepositFile, DepositLot, Organisation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINES_PER_PAGE = 500
WAIT_FOR_SMALL_FILES = 1.5  # seconds: a small workbook goes straight to its report

_referentiel_lock = threading.Lock()
_referentiel: dict[str, Referentiel] = {}


# --- helpers ----------------------------------------------------------------------------------
def server_referentiel() -> Referentiel | None:
    """The référentiel the server was started with; None: each workbook's own copy."""
    if not settings.REFERENTIEL:
        return None
    return _load_referentiel(settings.REFERENTIEL)


def template_referentiel() -> Referentiel:
    """The référentiel blank templates are made from: the server's, or the bundled example."""
    return _load_referentiel(settings.REFERENTIEL or "")


def _load_referentiel(path: str) -> Referentiel:
    with _referentiel_lock:
        if path not in _referentiel:
            from sofi_bulk import api

            _referentiel[path] = api.load_referentiel(path or None)
        return _referentiel[path]


def organisation_of(user: Any) -> Organisation | None:
    if not user.is_authenticated:
        return None
    account = getattr(user, "account", None)
    return account.organisation if account is not None else None


def site_context(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    try:
        organisation = organisation_of(user) if user is not None else None
    except Exception:  # an error page while the database is away: show it anyway
        organisation = None
    return {
        "max_upload_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
        "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
        "organisation": organisation,
        "is_staff": bool(user is not None and user.is_authenticated and user.is_staff),
    }


def attachment(data: bytes, name: str, content_type: str) -> HttpResponse:
    """A download: never shown inline, never sniffed (``nosniff`` comes from the settings)."""
    response = HttpResponse(data, content_type=content_type)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "fichier"
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["Cache-Control"] = "no-store"
    return response


def staff_only(view: Any) -> Any:
    """Carif-Oref staff only: others are refused (403), anonymous users sent to log in."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_staff:
            return refused(request, "Cette page est réservée au personnel du Carif-Oref.")
        return view(request, *args, **kwargs)

    return wrapped


def refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/refus.html", {"message": message}, status=403)


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session["ouverte"] = True  # a key for the check's owner
        request.session.save()
    return request.session.session_key or ""


# --- checking ---------------------------------------------------------------------------------
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/accueil.html")


@require_POST
def check_upload(request: HttpRequest) -> HttpResponseBase:
    return _start(request, jobs.CHECK, "web/accueil.html")


@login_required
@require_POST
def deposit_upload(request: HttpRequest) -> HttpResponseBase:
    organisation = organisation_of(request.user)
    if organisation is None:
        return refused(
            request, "Ce compte n'est rattaché à aucun organisme : il ne peut pas déposer."
        )
    return _start(request, jobs.DEPOSIT, "web/depots.html", organisation)


def _start(
    request: HttpRequest, purpose: str, form_page: str, organisation: Organisation | None = None
) -> HttpResponseBase:
    upload = request.FILES.get("classeur")
    if upload is not None and upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
        return too_large(request)
    if upload is None or not upload.size:
        context: dict[str, Any] = {
            "form_error": "Choisissez un classeur .xlsx (le fichier est absent ou vide), "
            "puis cliquez à nouveau sur le bouton."
        }
        if purpose == jobs.DEPOSIT:
            context.update(_deposit_list_context(request, organisation))
        return render(request, form_page, context, status=400)
    name = PurePath(upload.name or "classeur.xlsx").name[:200] or "classeur.xlsx"
    data = upload.read()
    job = jobs.store().submit(
        _session_key(request),
        purpose,
        name,
        data,
        referentiel=server_referentiel,
        siret=organisation.siret if organisation else None,
    )
    job.done.wait(WAIT_FOR_SMALL_FILES)
    return redirect("verification", token=job.token)


def _job(request: HttpRequest, token: str) -> jobs.Job | None:
    return jobs.store().get(token, request.session.session_key or "")


@require_GET
def job_page(request: HttpRequest, token: str) -> HttpResponse:
    job = _job(request, token)
    if job is None:
        return expired(request)
    if not job.over:
        status = job.status(jobs.store().waiting_before(job))
        return render(request, "web/progression.html", {"job": job, "status": status})
    context: dict[str, Any] = {"job": job, "report": job.report}
    if job.report is not None:
        pages = Paginator(job.report.lines, LINES_PER_PAGE)
        context["page"] = pages.get_page(request.GET.get("page"))
    if job.deposit_id is not None:
        context["deposit"] = Deposit.objects.filter(pk=job.deposit_id).first()
    code = 200 if job.state != jobs.FAILED else 500
    return render(request, "web/rapport.html", context, status=code)


@require_GET
def job_status(request: HttpRequest, token: str) -> JsonResponse:
    job = _job(request, token)
    if job is None:
        return JsonResponse({"etat": "expire", "termine": True}, status=410)
    return JsonResponse(job.status(jobs.store().waiting_before(job)))


@require_GET
def annotated_copy(request: HttpRequest, token: str) -> HttpResponse:
    job = _job(request, token)
    if job is None:
        return expired(request)
    if job.annotated is None:
        raise Http404("pas de copie annotée")
    stem = PurePath(job.file_name).stem or "classeur"
    return attachment(job.annotated, f"{stem}-annotee.xlsx", XLSX)


@login_required
@require_POST
def deposit_confirm(request: HttpRequest, token: str) -> HttpResponseBase:
    from sofi_bulk.web.deposits import create_deposit

    organisation = organisation_of(request.user)
    job = _job(request, token)
    if job is None:
        return expired(request)
    if organisation is None or job.purpose != jobs.DEPOSIT or job.siret != organisation.siret:
        return refused(request, "Ce contrôle n'a pas été lancé pour votre organisme.")
    if job.deposit_id is not None:  # the button pressed twice: one deposit
        return redirect("depot", pk=job.deposit_id)
    if job.prepared is None:
        return refused(request, "Ce classeur ne peut pas être déposé : voyez le rapport.")
    deposit = create_deposit(job, request.user, organisation)
    job.deposit_id = deposit.pk
    job.prepared = job.upload = None
    return redirect("depot", pk=deposit.pk)


# --- deposits ---------------------------------------------------------------------------------
def _deposit_list_context(request: HttpRequest, organisation: Organisation | None) -> dict:
    return {
        "deposits": Deposit.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("-created_at", "-id")
        if organisation
        else []
    }


@login_required
@require_GET
def deposits(request: HttpRequest) -> HttpResponse:
    if request.user.is_staff:
        return _staff_deposits(request)
    organisation = organisation_of(request.user)
    if organisation is None:
        return refused(
            request,
            "Ce compte n'est rattaché à aucun organisme. Demandez au Carif-Oref de le rattacher "
            "à votre SIRET.",
        )
    return render(request, "web/depots.html", _deposit_list_context(request, organisation))


def _staff_deposits(request: HttpRequest) -> HttpResponse:
    chosen_org = request.GET.get("organisme", "")
    chosen_lot = request.GET.get("lot", "")
    selected = Deposit.objects.select_related("organisation", "user").order_by("-created_at", "-id")
    if chosen_org.isdigit():
        selected = selected.filter(organisation_id=int(chosen_org))
    if chosen_lot:
        selected = selected.filter(lot_rows__lot=chosen_lot)
    from sofi_bulk.web.deposits import latest_deposits

    return render(
        request,
        "web/personnel.html",
        {
            "deposits": selected,
            "latest": latest_deposits(),
            "organisations": Organisation.objects.order_by("name"),
            "lots": DepositLot.objects.order_by("lot").values_list("lot", flat=True).distinct(),
            "chosen_org": chosen_org,
            "chosen_lot": chosen_lot,
        },
    )


def _visible_deposit(request: HttpRequest, pk: int) -> Deposit:
    """A deposit its organisation's accounts and staff may see; 404 for anyone else, so that
    guessing a number reveals nothing."""
    deposit = get_object_or_404(Deposit.objects.select_related("organisation", "user"), pk=pk)
    if request.user.is_staff:
        return deposit
    organisation = organisation_of(request.user)
    if organisation is None or deposit.organisation_id != organisation.pk:
        raise Http404("dépôt introuvable")
    return deposit


@login_required
@require_GET
def deposit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deposit = _visible_deposit(request, pk)
    return render(
        request,
        "web/depot.html",
        {
            "deposit": deposit,
            "files": deposit.files.order_by("id").only("kind", "name", "size", "sha256"),
            "lot_rows": deposit.lot_rows.order_by("lot"),
        },
    )


@login_required
@require_GET
def deposit_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    deposit = _visible_deposit(request, pk)
    stored = get_object_or_404(DepositFile, deposit=deposit, kind=kind)
    return attachment(bytes(stored.data), stored.name, stored.content_type)


@staff_only
@require_GET
def merged_lheo(request: HttpRequest) -> HttpResponse:
    from sofi_bulk.web.deposits import latest_deposits, merged_lheo

    latest = latest_deposits()
    if not latest:
        return render(
            request,
            "web/refus.html",
            {"message": "Aucun organisme n'a encore déposé : il n'y a pas d'offre à fusionner."},
            status=404,
        )
    xml = merged_lheo(latest)
    return attachment(
        xml, f"offre-lheo-fusionnee-{timezone.localdate():%Y%m%d}.xml", "application/xml"
    )


# --- template and référentiel -----------------------------------------------------------------
@require_GET
def template_page(request: HttpRequest) -> HttpResponse:
    ref = template_referentiel()
    return render(
        request,
        "web/modele.html",
        {
            "lots": sorted(ref.lots.values(), key=lambda lot: lot.numero),
            "example": not settings.REFERENTIEL,
            "referentiel_xlsx": _referentiel_file() is not None,
        },
    )


@require_GET
def template_download(request: HttpRequest) -> HttpResponse:
    """A blank entry workbook; an organisation's account gets its own lots only."""
    from sofi_bulk import api
    from sofi_bulk.core.errors import UserError

    ref = template_referentiel()
    organisation = organisation_of(request.user)
    siret = organisation.siret if organisation is not None else None
    try:
        data = api.write_template(referentiel=ref, siret=siret)
    except UserError:  # no lot for this organisation in the référentiel: every lot
        data = api.write_template(referentiel=ref)
    assert data is not None
    return attachment(data, f"saisie-{api.DEFAULT_PROGRAMME}.xlsx", XLSX)


def _referentiel_file() -> Any:
    from pathlib import Path

    from sofi_bulk.core.resources import example_referentiel

    path = Path(settings.REFERENTIEL) if settings.REFERENTIEL else example_referentiel()
    return path if path.is_file() and path.suffix.lower() == ".xlsx" else None


@require_GET
def referentiel_download(request: HttpRequest) -> HttpResponse:
    path = _referentiel_file()
    if path is None:
        raise Http404("référentiel non disponible en .xlsx")
    return attachment(path.read_bytes(), path.name, XLSX)


# --- error pages --------------------------------------------------------------------------------
def expired(request: HttpRequest) -> HttpResponse:
    return render(request, "web/expire.html", status=410)


def too_large(request: HttpRequest) -> HttpResponse:
    return render(request, "web/trop-gros.html", status=413)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "web/formulaire-refuse.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/erreur.html", {"code": 400}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return refused(request, "Vous n'avez pas accès à cette page.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/introuvable.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request's context: whatever failed (the database?) is not touched
    again."""
    from django.template.loader import render_to_string

    return HttpResponse(render_to_string("web/erreur.html", {"code": 500}), status=500)
