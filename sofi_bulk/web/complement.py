"""« Contrôler dans Excel »: the add-in, distributed by the service itself. The page shows the
``main.py`` and ``requirements.txt`` to paste into xlwings Lite, naming this service's copy of
the wheel; the wheel is served with the cross-origin headers that Lite's installer (micropip,
a ``fetch`` from the add-in's own origin) needs, on its two addresses and nowhere else.

The wheel is built once per process, from the code that runs (``api.addin_wheel``), and kept in
memory (about 400 Kio): no file shared by several processes or machines can be half-written,
or left from the version before an upgrade while the number stayed the same.
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from sofi_bulk import __version__, api

_lock = threading.Lock()
_wheel: dict[str, Any] = {}


def wheel() -> tuple[bytes, str]:
    """The wheel's bytes and their SHA-256, built at the first call of this process."""
    with _lock:
        if not _wheel:
            data = api.addin_wheel()
            _wheel.update(data=data, sha256=hashlib.sha256(data).hexdigest())
    return _wheel["data"], _wheel["sha256"]


# --- addresses ----------------------------------------------------------------------------------
def public_origin(request: HttpRequest) -> str:
    """``https://name`` as the service's users reach it. With public names (``--nom-public``):
    the one the request came by, else the first, never a host or port a client wrote (links
    sent by e-mail are built from it). Without: the request's own scheme and host (a trusted
    proxy's forwarded ones, sofi_bulk.service.http), as on the machine itself."""
    host = request.get_host()
    names = settings.PUBLIC_NAMES
    if names:
        return f"{'https' if settings.HTTPS else 'http'}://{host if host in names else names[0]}"
    return f"{request.scheme}://{host}"


def service_address(request: HttpRequest) -> str:
    """The service's home page, as written in a template it hands out (its Aide sheet)."""
    return public_origin(request) + reverse("accueil")


def wheel_url(request: HttpRequest) -> str:
    return public_origin(request) + reverse("complement-roue", args=[__version__])


def _unencrypted_elsewhere(origin: str) -> bool:
    """http:// to another machine: an Office add-in (an https:// page) may not fetch it."""
    if not origin.startswith("http://"):
        return False
    host = origin.removeprefix("http://").rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


# --- the page -----------------------------------------------------------------------------------
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    data, digest = wheel()
    url = wheel_url(request)
    return render(
        request,
        "web/complement.html",
        {
            "version": __version__,
            "wheel_url": url,
            "wheel_name": api.addin_wheel_name(),
            "wheel_kio": max(1, round(len(data) / 1024)),
            "wheel_sha256": digest,
            "latest_url": public_origin(request) + reverse("complement-derniere"),
            "requirements": api.addin_requirements(url),
            "main_py": api.addin_main(),
            "pypi_requirements": api.addin_requirements(),
            "unencrypted": _unencrypted_elsewhere(public_origin(request)),
        },
    )


# --- the wheel, readable from any origin ----------------------------------------------------------
def cross_origin(response: HttpResponse) -> HttpResponse:
    """What a browser asks before handing a cross-origin answer to the page that fetched it.
    Any origin: the file is public and no cookie is involved (``*`` forbids credentials),
    and xlwings Lite may be served from its own site or from an organisation's copy."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Expose-Headers"] = "Content-Length, ETag"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Max-Age"] = "86400"
    response["Access-Control-Allow-Headers"] = "*"
    return cross_origin(response)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def wheel_file(request: HttpRequest, version: str) -> HttpResponse:
    """The wheel of the running version; another version's address says where to go."""
    if request.method == "OPTIONS":
        return _preflight()
    if version != __version__:
        page_address = public_origin(request) + reverse("complement")
        response = HttpResponse(
            f"sofi-bulk {version[:40]} n'est plus servi ici : ce service fait tourner la version "
            f"{__version__}. Reprenez requirements.txt sur la page « Contrôler dans Excel » : "
            f"{page_address}\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
        return cross_origin(response)
    data, digest = wheel()
    etag = f'"{digest}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{api.addin_wheel_name()}"'
    response["ETag"] = etag
    # asked again each time (answered 304 when unchanged): a service updated without a new
    # version number is not hidden by a browser's cache
    response["Cache-Control"] = "no-cache"
    return cross_origin(response)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def latest(request: HttpRequest) -> HttpResponse:
    """A stable address for the current wheel (to download it, or to see which version the
    service runs). xlwings Lite itself needs the wheel's file name in requirements.txt."""
    if request.method == "OPTIONS":
        return _preflight()
    response = HttpResponseRedirect(wheel_url(request))
    response["Cache-Control"] = "no-store"
    return cross_origin(response)
