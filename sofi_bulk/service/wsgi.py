"""The WSGI application: Django, behind the trusted proxies only (``--proxy``), with an access
log. ``sofi-bulk serveur`` runs it with waitress; another WSGI server may run
``sofi_bulk.service.wsgi:application`` with the same ``SOFI_WEB_…`` environment."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from sofi_bulk.service.http import access_log, behind_proxies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sofi_bulk.service.settings")
application = behind_proxies(access_log(get_wsgi_application()), settings.PROXIES)

from sofi_bulk.web.workers import return_big_blocks  # noqa: E402  (Django is set up now)

return_big_blocks()  # an upload's bytes go back to the system once stored
