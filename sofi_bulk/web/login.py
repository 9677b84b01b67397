"""Failed logins, counted by django-axes so that they cannot be turned against users.

- The client is the address the service's WSGI layer put in ``REMOTE_ADDR``: the forwarded
  one from a trusted proxy (``--proxy``), the peer's otherwise (``sofi_bulk.service.http``).
  Behind nginx, one user's mistakes therefore never lock anyone else.
- Two limits, both axes' own counts (``AXES_LOCKOUT_PARAMETERS``): ``AXES_FAILURE_LIMIT``
  failures for one user name from one address lock that name from that address;
  ``LOGIN_FAILURES_PER_ADDRESS`` failures from one address, whatever the names, lock the
  address (one password tried on many names: « password spraying »). Axes compares the
  largest count with one limit: ``LoginHandler`` scales each count to its own limit.
- An attempt during a lock is refused and not recorded
  (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``): the lock ends when it said.
- A successful login clears that user's own failures from that address only: an attacker
  cannot wipe an address's count by logging into an account of their own.
- The same rules for the organisations' form, the staff's and ``/admin/``: they all go
  through ``authenticate``, which axes guards.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def client_address(request: HttpRequest) -> str | None:
    """The client's address, as the service's WSGI layer established it (trusted proxies
    only): the one axes and the abuse limits count by."""
    return request.META.get("REMOTE_ADDR") or None


def _limits(request: Any, credentials: dict | None) -> list[int]:
    """Each lockout parameter's own limit, in ``AXES_LOCKOUT_PARAMETERS``'s order."""
    per_name = settings.AXES_FAILURE_LIMIT
    return [
        settings.LOGIN_FAILURES_PER_ADDRESS if parameter == "ip_address" else per_name
        for parameter in get_lockout_parameters(request, credentials)
    ]


class LoginHandler(AxesDatabaseHandler):
    """Axes's database handler with a limit per lockout parameter, and a success that clears
    only its own failures."""

    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        """The largest count, each scaled so that it reaches ``AXES_FAILURE_LIMIT`` exactly
        when it reaches its own limit (n × base // limit ≥ base ⟺ n ≥ limit)."""
        base = settings.AXES_FAILURE_LIMIT
        counts = [
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        return max(
            (
                n * base // limit
                for n, limit in zip(counts, _limits(request, credentials), strict=True)
            ),
            default=0,
        )

    def reset_user_attempts(self, request: Any, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return int(count)


def locked_until(request: Any, credentials: dict | None) -> tuple[dt.datetime, bool] | None:
    """When the lock on this request ends, and whether it is the address's (rather than the
    user name's); None when nothing is locked. A count is a sum of rows (one per user name,
    address and browser), each forgotten a cool-off after its last failure: the lock ends
    when enough of the oldest are forgotten to go under the limit."""
    cool_off = get_cool_off(request) or dt.timedelta(0)
    handler = LoginHandler()
    ends: list[tuple[dt.datetime, bool]] = []
    parameters = get_lockout_parameters(request, credentials)
    for parameter, attempts, limit in zip(
        parameters,
        handler.get_user_attempts(request, credentials),
        _limits(request, credentials),
        strict=True,
    ):
        rows = sorted(attempts.values_list("attempt_time", "failures_since_start"))
        total = sum(n for _, n in rows)
        if total < limit:
            continue
        for when, n in rows:
            total -= n
            if total < limit:
                ends.append((when + cool_off, parameter == "ip_address"))
                break
    return max(ends) if ends else None


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: dict | None = None
) -> HttpResponse:
    """The French page of a locked login (429), saying until when, with ``Retry-After``."""
    now = timezone.now()
    found = locked_until(request, credentials)
    until, by_address = found if found is not None else (now + get_cool_off(request), False)
    seconds = max(1, math.ceil((until - now).total_seconds()))
    response = render(
        request,
        "web/bloque.html",
        {
            "until": timezone.localtime(until),
            "minutes": max(1, math.ceil(seconds / 60)),
            "by_address": by_address,
            "per_name": settings.AXES_FAILURE_LIMIT,
            "per_address": settings.LOGIN_FAILURES_PER_ADDRESS,
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
