"""The pages: check a workbook (anyone), deposit it (organisation accounts), see every
deposit (Carif-Oref staff). Every page is French; every value a user typed goes through
the template engine's escaping; every download is an attachment."""

from __future__ import annotations

import io
import secrets
import sys
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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sofi_bulk.web import jobs, workers
from sofi_bulk.web.limits import client_key
from sofi_bulk.web.models import Deposit, DepositFile, DepositLot, Job, JobFile, Organisation
from sofi_bulk.web.referentiels import (
    CHANGED,
    NO_REFERENTIEL,
    in_service,
    template_referentiel,
)
from sofi_bulk.web.report import Report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINES_PER_PAGE = 500
OWNER = "proprietaire"  # the session's key to its checks


# --- helpers ----------------------------------------------------------------------------------
def _is_number(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also takes « ² », which ``int`` refuses)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


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
        "login_limits": (settings.AXES_FAILURE_LIMIT, settings.LOGIN_FAILURES_PER_ADDRESS),
        "accessibility_status": settings.ACCESSIBILITY_STATUS,
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


def _owner(request: HttpRequest) -> str:
    """The secret that ties checks to this browser session (kept when the user logs in)."""
    if OWNER not in request.session:
        request.session[OWNER] = secrets.token_urlsafe(24)
    return str(request.session[OWNER])


# --- checking ---------------------------------------------------------------------------------
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/accueil.html")


@require_POST
def check_upload(request: HttpRequest) -> HttpResponseBase:
    def form(message: str, status: int) -> HttpResponse:
        return render(request, "web/accueil.html", {"form_error": message}, status=status)

    return _start(request, Job.CHECK, form)


@login_required
@require_POST
def deposit_upload(request: HttpRequest) -> HttpResponseBase:
    """An organisation's account deposits for its organisation; a staff account for the one
    it chooses (the deposit then says « déposé par le Carif-Oref pour … »)."""
    if request.user.is_staff:
        chosen = request.POST.get("organisme", "")
        organisation = (
            Organisation.objects.filter(pk=int(chosen)).first() if _is_number(chosen) else None
        )

        def form(message: str, status: int) -> HttpResponse:
            return _staff_deposits(request, form_error=message, status=status)

        if organisation is None:
            return form("Choisissez l'organisme pour lequel vous déposez.", 400)
    else:
        organisation = organisation_of(request.user)
        if organisation is None:
            return refused(
                request, "Ce compte n'est rattaché à aucun organisme : il ne peut pas déposer."
            )

        def form(message: str, status: int) -> HttpResponse:
            context = {"form_error": message, **_deposit_list_context(request, organisation)}
            return render(request, "web/depots.html", context, status=status)

    if in_service() is None:  # before anything is stored
        return form(NO_REFERENTIEL, 503)
    return _start(request, Job.DEPOSIT, form, organisation)


def _start(
    request: HttpRequest,
    purpose: str,
    form: Any,
    organisation: Organisation | None = None,
) -> HttpResponseBase:
    upload = request.FILES.get("classeur")
    if upload is not None and upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
        return too_large(request)
    if upload is None or not upload.size:
        return form(
            "Choisissez un classeur .xlsx (le fichier est absent ou vide), puis cliquez à "
            "nouveau sur le bouton.",
            400,
        )
    name = PurePath(upload.name or "classeur.xlsx").name[:200] or "classeur.xlsx"
    job = jobs.submit(
        _owner(request),
        purpose,
        name,
        upload.read(),
        siret=organisation.siret if organisation else None,
        client=client_key(request),
    )
    # the progress page at once (its script asks again within a quarter of a second): the
    # request does not hold one of the server's threads while a worker checks
    return redirect("verification", token=job.token)


def _job(request: HttpRequest, token: str, *, report: bool = True) -> Job | None:
    return jobs.job_for(token, str(request.session.get(OWNER, "")), report=report)


@require_GET
def job_page(request: HttpRequest, token: str) -> HttpResponse:
    job = _job(request, token)
    if job is None:
        return expired(request)
    if not job.over:
        return render(request, "web/progression.html", {"job": job, "status": jobs.status(job)})
    context: dict[str, Any] = {"job": job}
    if job.report is not None:
        report = Report.from_json(job.report)
        pages = Paginator(report.lines, LINES_PER_PAGE)
        context.update(report=report, page=pages.get_page(request.GET.get("page")))
    if job.deposit_id is not None:
        context["deposit"] = Deposit.objects.filter(pk=job.deposit_id).first()
    if job.purpose == Job.DEPOSIT and job.siret:
        context["deposit_for"] = Organisation.objects.filter(siret=job.siret).first()
    code = 200 if job.state != Job.FAILED else 500
    return render(request, "web/rapport.html", context, status=code)


@require_GET
def job_status(request: HttpRequest, token: str) -> JsonResponse:
    job = _job(request, token, report=False)
    if job is None:
        return JsonResponse({"etat": "expire", "termine": True}, status=410)
    return JsonResponse(jobs.status(job))


@require_POST
def job_retry(request: HttpRequest, token: str) -> HttpResponseBase:
    """The « relancer » button of a check whose worker stopped (or failed)."""
    job = _job(request, token, report=False)
    if job is None:
        return expired(request)
    jobs.retry(job)
    return redirect("verification", token=token)


@login_required
@require_POST
def deposit_checked(request: HttpRequest, token: str) -> HttpResponseBase:
    """Deposit a workbook checked before logging in (or without thinking of depositing): no
    new upload, a new check against the server's référentiel, then the usual confirmation."""
    job = _job(request, token, report=False)
    if job is None:
        return expired(request)
    organisation = organisation_of(request.user)
    if organisation is None:
        return refused(
            request,
            "Ce compte n'est rattaché à aucun organisme. Le personnel du Carif-Oref dépose pour "
            "un organisme depuis la page « Tous les dépôts ».",
        )
    if job.purpose != Job.CHECK or job.state != Job.DONE:
        return refused(request, "Ce classeur ne peut pas être déposé : voyez le rapport.")
    if in_service() is None:
        return render(request, "web/refus.html", {"message": NO_REFERENTIEL}, status=503)
    try:
        deposit_job = jobs.submit_for_deposit(
            job, _owner(request), organisation.siret, client_key(request)
        )
    except JobFile.DoesNotExist:
        return expired(request)
    return redirect("verification", token=deposit_job.token)


@require_GET
def annotated_copy(request: HttpRequest, token: str) -> HttpResponseBase:
    """The copy itself once made; until then, the page that has it made."""
    job = _job(request, token, report=False)
    if job is None:
        return expired(request)
    data = jobs.file_of(job, JobFile.COPY) if job.copy_state == Job.DONE else None
    if data is None:
        return redirect("copie", token=token)
    from sofi_bulk import api

    return attachment(data, api.annotated_name(job.file_name or "classeur.xlsx"), XLSX)


@require_http_methods(["GET", "POST"])
def copy_page(request: HttpRequest, token: str) -> HttpResponse:
    """Has the annotated copy made (GET, or POST to try again after a failure), shows its
    progress, then starts its download."""
    job = _job(request, token, report=False)
    if job is None:
        return expired(request)
    if job.state != Job.DONE:
        raise Http404("pas de copie annotée")
    if request.method == "POST" and job.copy_state == Job.FAILED:
        Job.objects.filter(pk=job.pk).update(copy_state="")
        job.copy_state = ""
    if not job.copy_state:
        jobs.request_copy(job)
        job.refresh_from_db(fields=["copy_state"])
    return render(request, "web/copie.html", {"job": job, "no_worker": not workers.alive_workers()})


@require_GET
def copy_status(request: HttpRequest, token: str) -> JsonResponse:
    job = _job(request, token, report=False)
    if job is None:
        return JsonResponse({"etat": "expire", "termine": True}, status=410)
    return JsonResponse(
        {"etat": job.copy_state, "termine": job.copy_state in (Job.DONE, Job.FAILED)}
    )


@login_required
@require_POST
def deposit_confirm(request: HttpRequest, token: str) -> HttpResponseBase:
    from django.db import transaction

    from sofi_bulk.web.deposits import create_deposit

    job = _job(request, token, report=False)
    if job is None:
        return expired(request)
    by_staff = bool(request.user.is_staff)
    if by_staff:  # the organisation the staff chose when they sent the workbook
        organisation = Organisation.objects.filter(siret=job.siret).first() if job.siret else None
    else:
        organisation = organisation_of(request.user)
    if organisation is None or job.purpose != Job.DEPOSIT or job.siret != organisation.siret:
        return refused(request, "Ce contrôle n'a pas été lancé pour votre organisme.")
    with transaction.atomic():  # the button pressed twice, even on two servers: one deposit
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.deposit_id is not None:
            return redirect("depot", pk=job.deposit_id)
        if job.state != Job.DONE or not job.lots:
            return refused(request, "Ce classeur ne peut pas être déposé : voyez le rapport.")
        current = in_service()
        if current is None or job.referentiel_id != current.pk:
            return refused(request, NO_REFERENTIEL if current is None else CHANGED)
        deposit = create_deposit(job, request.user, organisation, by_staff=by_staff)
        Job.objects.filter(pk=job.pk).update(deposit=deposit)
        JobFile.objects.filter(job=job, kind__in=[JobFile.JSON, JobFile.LHEO]).delete()
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


def _staff_deposits(request: HttpRequest, form_error: str = "", status: int = 200) -> HttpResponse:
    chosen_org = request.GET.get("organisme", "")
    chosen_lot = request.GET.get("lot", "")
    selected = Deposit.objects.select_related("organisation", "user").order_by("-created_at", "-id")
    if _is_number(chosen_org):
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
            "form_error": form_error,
        },
        status=status,
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


# --- reprendre son offre ----------------------------------------------------------------------
SOURCES = ".xml, .json ou .xlsx"


@login_required
@require_POST
def take_back(request: HttpRequest) -> HttpResponseBase:
    """« Reprendre mon dernier dépôt » or « reprendre un fichier »: the entry workbook
    pre-filled from an existing offer, for the signed-in organisation's lots; for the next
    campaign when asked (a year, dates moved or left empty). Made during the request, so at
    most ``REPRISES_AT_ONCE`` at a time in a web process (an offer of 15,000 sessions takes
    20 s and 350 Mio): the others are told to come back."""
    from sofi_bulk.web.limits import slots as places
    from sofi_bulk.web.limits import too_busy

    slots = places("reprises", settings.REPRISES_AT_ONCE)
    if not slots.acquire(timeout=2):
        return too_busy(
            request,
            "Le service prépare en ce moment d'autres reprises d'offres : la vôtre n'a pas "
            "été faite.",
            1,
            "Revenez à la page « Mes dépôts » et demandez-la à nouveau dans une minute.",
        )
    try:
        return _take_back(request)
    finally:
        slots.release()
        workers.release_memory()  # what the workbook took goes back to the system


def _take_back(request: HttpRequest) -> HttpResponseBase:
    from sofi_bulk import api
    from sofi_bulk.core.errors import UserError
    from sofi_bulk.web.complement import service_address

    organisation = organisation_of(request.user)
    if organisation is None:
        return refused(
            request, "Ce compte n'est rattaché à aucun organisme : pas d'offre à reprendre."
        )
    if request.POST.get("source") == "dernier":
        last = Deposit.objects.filter(organisation=organisation).order_by("-created_at", "-id")
        deposit = last.first()
        stored = deposit.files.filter(kind=DepositFile.JSON).first() if deposit else None
        if deposit is None or stored is None:
            return _take_back_refused(
                request, organisation, "Aucun dépôt à reprendre pour l'instant."
            )
        raw, name = bytes(stored.data), f"depot-{deposit.receipt}.json"
    else:
        upload = request.FILES.get("offre")
        if (
            upload is not None
            and upload.size is not None
            and upload.size > settings.MAX_UPLOAD_BYTES
        ):
            return too_large(request)
        if upload is None or not upload.size:
            return _take_back_refused(
                request,
                organisation,
                f"Choisissez le fichier de l'offre à reprendre ({SOURCES}), puis cliquez à "
                "nouveau sur le bouton.",
            )
        raw = upload.read()
        name = PurePath(upload.name or "offre").name[:200] or "offre"
    campaign: int | bool | None = None
    year = request.POST.get("campagne", "").strip()
    if request.POST.get("suivante"):
        if year and not (_is_number(year) and len(year) == 4):
            return _take_back_refused(
                request, organisation, f"Année de campagne « {year} » : donnez quatre chiffres."
            )
        campaign = int(year) if year else True
    referentiel = template_referentiel()
    try:
        reprise = api.take_back(
            raw,
            name=name,
            service=service_address(request),  # its Aide names this service's add-in page
            referentiel=referentiel,
            siret=_with_lots(organisation.siret, referentiel),
            campaign=campaign,
            dates=not (campaign is not None and request.POST.get("sans_dates")),
        )
        data = io.BytesIO()
        reprise.save(data)
    except UserError as exc:
        return _take_back_refused(request, organisation, str(exc))
    stem = PurePath(name).stem or "offre"
    return attachment(data.getvalue(), f"reprise-{stem}.xlsx", XLSX)


def _with_lots(siret: str, referentiel: Any) -> str | None:
    """The organisation's SIRET when the référentiel gives it lots of the programme; else
    None, and its offer is taken back on every lot (an organisation new to the référentiel).
    Asked before reading the file: a refused file is read once, and refused for its own
    reason."""
    from sofi_bulk import api
    from sofi_bulk.core.errors import UserError

    try:
        api.select_lots(referentiel, siret=siret)
    except UserError:
        return None
    return siret


def _take_back_refused(
    request: HttpRequest, organisation: Organisation, message: str
) -> HttpResponse:
    context = _deposit_list_context(request, organisation)
    context["reprise_error"] = message
    return render(request, "web/depots.html", context, status=400)


# --- template and référentiel -----------------------------------------------------------------
@require_GET
def template_page(request: HttpRequest) -> HttpResponse:
    current = in_service()
    ref = template_referentiel()
    return render(
        request,
        "web/modele.html",
        {
            "lots": sorted(ref.lots.values(), key=lambda lot: lot.numero),
            "example": current is None,
            "referentiel_xlsx": _referentiel_file(current) is not None,
        },
    )


_templates: dict[tuple[str, str | None, str, str], bytes] = {}  # the last ones made, by what
_templates_lock = threading.Lock()  # makes them: a blank template costs 0.8 s of processor
TEMPLATES_KEPT = 16


@require_GET
def template_download(request: HttpRequest) -> HttpResponse:
    """A blank entry workbook; an organisation's account gets its own lots only. Made once
    per référentiel, organisation, service address and day in a web process, then served as
    made: anyone may ask for it, as often as they like."""
    from sofi_bulk import api
    from sofi_bulk.core.errors import UserError
    from sofi_bulk.web.complement import service_address

    ref = template_referentiel()
    organisation = organisation_of(request.user)
    siret = organisation.siret if organisation is not None else None
    service = service_address(request)  # its Aide names this service's « Contrôler dans Excel »
    key = (ref.fingerprint(), siret, service, api.check_date().isoformat())
    with _templates_lock:
        data = _templates.get(key)
    if data is None:
        try:
            data = api.write_template(referentiel=ref, siret=siret, service=service)
        except UserError:  # no lot for this organisation in the référentiel: every lot
            data = api.write_template(referentiel=ref, service=service)
        assert data is not None
        with _templates_lock:
            while len(_templates) >= TEMPLATES_KEPT:
                del _templates[next(iter(_templates))]  # the oldest made
            _templates[key] = data
    return attachment(data, f"saisie-{api.DEFAULT_PROGRAMME}.xlsx", XLSX)


def _referentiel_file(current: Any) -> tuple[str, bytes] | None:
    """The .xlsx of the référentiel in service (the bundled example when there is none):
    its name and bytes; None when it was not given as an .xlsx."""
    from sofi_bulk import api

    if current is None:
        path = api.example_referentiel()
        return (path.name, path.read_bytes()) if path.suffix.lower() == ".xlsx" else None
    if not current.name.lower().endswith(".xlsx"):
        return None
    from sofi_bulk.web.models import RegionReferentiel

    original = RegionReferentiel.objects.filter(pk=current.pk).values_list("original", flat=True)
    data = bytes(original.first() or b"")
    return (current.name, data) if data else None


@require_GET
def referentiel_download(request: HttpRequest) -> HttpResponse:
    found = _referentiel_file(in_service())
    if found is None:
        raise Http404("référentiel non disponible en .xlsx")
    return attachment(found[1], found[0], XLSX)


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
    again. The database away: 503 and a page that says so (the next request reconnects)."""
    from django.db import DataError
    from django.db import Error as DatabaseError
    from django.template.loader import render_to_string

    footer = {"accessibility_status": settings.ACCESSIBILITY_STATUS}
    failed = sys.exc_info()[1]
    if isinstance(failed, DataError):  # a value the database refuses (a NUL byte): not an
        return HttpResponse(  # outage, which monitoring would be told of
            render_to_string("web/erreur.html", {"code": 400, **footer}), status=400
        )
    if isinstance(failed, DatabaseError):
        return HttpResponse(render_to_string("web/indisponible.html", footer), status=503)
    return HttpResponse(render_to_string("web/erreur.html", {"code": 500, **footer}), status=500)


# --- operations -------------------------------------------------------------------------------
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For the operators' monitoring: 200 when the database answers and a worker is alive,
    503 otherwise; what it found, as JSON."""
    from django.db import Error as DatabaseError

    try:
        alive = len(workers.alive_workers())
        waiting = Job.objects.filter(state=Job.WAITING).count()
        running = Job.objects.filter(state=Job.RUNNING).count()
    except DatabaseError:
        return JsonResponse({"etat": "indisponible", "base": "injoignable"}, status=503)
    body = {
        "etat": "ok" if alive else "indisponible",
        "base": "ok",
        "travailleurs": alive,
        "en_attente": waiting,
        "en_cours": running,
    }
    return JsonResponse(body, status=200 if alive else 503)
