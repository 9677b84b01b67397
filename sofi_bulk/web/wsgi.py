"""The WSGI application, for a WSGI server (``sofi-bulk serveur`` runs it with waitress)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sofi_bulk.web.settings")
application = get_wsgi_application()
