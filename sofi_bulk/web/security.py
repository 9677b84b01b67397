"""Request guards that must act before Django reads a request's body."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class UploadLimitMiddleware:
    """Refuse an oversized upload from its declared length, before anything reads it (the
    CSRF check reads the form), with a French page; the server keeps running."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if (
            request.method == "POST"
            and length > settings.MAX_UPLOAD_BYTES + settings.UPLOAD_ENVELOPE
        ):
            from sofi_bulk.web.views import too_large

            return too_large(request)
        return self.get_response(request)
