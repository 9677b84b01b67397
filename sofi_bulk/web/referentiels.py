"""The référentiel the service was started with (``--referentiel``), read once per process:
the workers check against it, the pages make templates from it."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from sofi_bulk.api import Referentiel

_lock = threading.Lock()
_loaded: dict[str, Referentiel] = {}


def server_referentiel() -> Referentiel | None:
    """The référentiel the server was started with; None: each workbook's own copy."""
    if not settings.REFERENTIEL:
        return None
    return _load(settings.REFERENTIEL)


def template_referentiel() -> Referentiel:
    """The référentiel blank templates are made from: the server's, or the bundled example."""
    return _load(settings.REFERENTIEL or "")


def _load(path: str) -> Referentiel:
    with _lock:
        if path not in _loaded:
            from sofi_bulk import api

            _loaded[path] = api.load_referentiel(path or None)
        return _loaded[path]
