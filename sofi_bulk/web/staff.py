"""The Carif-Oref staff's pages for the Région's référentiel: load a new one, read what
``sofi-bulk referentiel verifier`` understood of it, then put it in service (or not); every
référentiel loaded stays, downloadable, with the deposits checked against it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sofi_bulk.core.errors import UserError
from sofi_bulk.web import referentiels
from sofi_bulk.web.models import RegionReferentiel
from sofi_bulk.web.views import attachment, staff_only, too_large

# the report's styles (sofi_bulk.core.referentiel_report) as the page's classes
CLASSES = {"bold": "gras", "dim": "attenue", "yellow": "alerte", "bold yellow": "gras alerte"}
TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".xls": "application/vnd.ms-excel",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def _rows() -> Any:
    return (
        RegionReferentiel.objects.defer("content", "original", "report")
        .select_related("loaded_by")
        .annotate(deposit_count=Count("deposits"))
    )


@staff_only
@require_http_methods(["GET", "POST"])
def referentiel_list(request: HttpRequest) -> HttpResponseBase:
    """The référentiel in service, the form to load another, and every one loaded before."""
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("fichier")
        if upload is not None and upload.size and upload.size > settings.MAX_UPLOAD_BYTES:
            return too_large(request)
        if upload is None or not upload.size:
            error = "Choisissez le fichier du référentiel (classeur .xlsx, .xls ou .ods)."
        else:
            try:
                row = referentiels.load_upload(upload.name or "", upload.read(), request.user)
            except UserError as exc:
                error = str(exc)
            else:
                return redirect("referentiel", pk=row.pk)
    current = referentiels.in_service()
    return render(
        request,
        "web/referentiels.html",
        {
            "current": _rows().filter(pk=current.pk).first() if current else None,
            "others": _rows().exclude(pk=current.pk if current else None),
            "error": error,
        },
        status=400 if error else 200,
    )


@staff_only
@require_GET
def referentiel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A référentiel's verification report, with the button that puts it in service."""
    row = get_object_or_404(RegionReferentiel.objects.defer("content", "original"), pk=pk)
    current = referentiels.in_service()
    lines = [
        {
            "level": line["level"],
            "segments": [(text, CLASSES.get(style, "")) for text, style in line["segments"]],
        }
        for line in row.report
    ]
    return render(
        request,
        "web/referentiel.html",
        {
            "row": row,
            "lines": lines,
            "is_current": current is not None and current.pk == row.pk,
            "current": current,
            "deposit_count": row.deposits.count(),
        },
    )


@staff_only
@require_POST
def referentiel_activate(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(RegionReferentiel.objects.only("pk"), pk=pk)
    referentiels.put_in_service(row)
    return redirect("referentiels")


@staff_only
@require_GET
def referentiel_file(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(RegionReferentiel.objects.only("name", "original"), pk=pk)
    data = bytes(row.original or b"")
    if not data:
        return render(
            request,
            "web/refus.html",
            {"message": "Ce référentiel a été donné en dossier de fichiers CSV au démarrage."},
            status=404,
        )
    suffix = "." + row.name.rsplit(".", 1)[-1].lower() if "." in row.name else ""
    return attachment(data, row.name, TYPES.get(suffix, "application/octet-stream"))
