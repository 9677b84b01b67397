"""The pages a public service owes: « Mentions légales », « Données personnelles »,
« Accessibilité », « Contact », linked from every page's footer. Each has a French default
(what the service itself stores is said from the code's own settings; what only the operator
knows is marked « à compléter ») that the operator replaces with a text file of the folder
SOFI_WEB_PAGES (``mentions-legales.txt``…, UTF-8): shown as text, paragraphs and links kept,
never as markup."""

from __future__ import annotations

import math
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

# address -> title (the file of the operator's text is ``<address>.txt``)
PAGES = {
    "mentions-legales": "Mentions légales",
    "donnees-personnelles": "Données personnelles",
    "accessibilite": "Accessibilité",
    "contact": "Contact",
}
MAX_TEXT = 200_000  # characters of an operator's text


def operator_text(slug: str) -> str | None:
    """The operator's text for a page, or None (the default is shown)."""
    folder = settings.LEGAL_PAGES_DIR
    if not folder:
        return None
    path = Path(folder) / f"{slug}.txt"
    try:
        text = path.read_text(encoding="utf-8-sig")[:MAX_TEXT]
    except (OSError, UnicodeDecodeError):
        return None
    return text.strip() or None


@require_GET
def page(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in PAGES:
        raise Http404
    from sofi_bulk.web.models import ResetRequest
    from sofi_bulk.web.workers import TTL

    return render(
        request,
        "web/page-legale.html",
        {
            "slug": slug,
            "title": PAGES[slug],
            "text": operator_text(slug),
            "default": f"web/pages/{slug}.html",
            "session_hours": settings.SESSION_COOKIE_AGE // 3600,
            "check_minutes": TTL // 60,
            "lock_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            "reset_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
            "invitation_days": max(1, settings.INVITATION_TIMEOUT // 86400),
            "login_journal_days": settings.LOGIN_JOURNAL_DAYS,
            "reset_per_email": settings.RESETS_PER_EMAIL,
            "reset_hours": math.ceil(ResetRequest.kept_for().total_seconds() / 3600),
        },
    )
