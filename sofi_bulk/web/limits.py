"""Limits against abuse of the uploads, acting before Django reads a request's body.

- **Per client**, a client being an account when logged in, its address otherwise (the real
  one behind the trusted proxy, as for the logins): at most ``CHECKS_PER_ADDRESS`` (anonymous)
  or ``CHECKS_PER_ACCOUNT`` checks waiting or running at once, ``CLIENT_MAX_BYTES`` of
  workbooks its checks keep (until they are forgotten: a quick client could otherwise fill
  the database with ended checks), and one upload being received at a time by a web process.
- **For everyone**: at most ``QUEUE_MAX`` checks waiting, ``QUEUE_MAX_BYTES`` of workbooks
  waiting.
- **In the web process**: at most ``UPLOADS_AT_ONCE`` upload bodies being read and stored at
  once (the others wait a little, then are told to come back), and the memory they used is
  handed back to the system after each (glibc keeps it otherwise). An upload's bytes live in
  the process for one request: they go to the job store, the database.

Beyond a limit: a French page « réessayez dans N minutes », status 429 and ``Retry-After``,
the body never read. The estimate comes from the queue and the recent checks' durations.

« Mot de passe oublié ? » sends e-mails to whoever an address names: bounded too, counted in
the database (``ResetRequest``) so that every web process sees the same counts.

- **Per address asked for**: at most ``RESETS_PER_EMAIL`` e-mails in an hour, at least
  ``RESET_INTERVAL_MINUTES`` apart. Beyond, nothing leaves but the page is the same as when
  an e-mail left, or when no account has that address (no way to tell which accounts exist);
  the operator's log says it, with the client's address and a hash of the address asked for.
- **Per client address**: at most ``RESETS_PER_ADDRESS`` requests in an hour; beyond, the 429
  page, the same whatever the address asked for.
"""

from __future__ import annotations

import logging
import math
import threading
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Avg, Count, F, Min, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.crypto import salted_hmac

from sofi_bulk.web.login import client_address
from sofi_bulk.web.models import Job, ResetRequest

log = logging.getLogger(__name__)

LIMITED = {"verifier", "nouveau-depot", "deposer-controle"}  # the views that queue a check
WAIT_FOR_A_SLOT = 20.0  # seconds an upload waits for one of the process's slots
BIG_BODY = 1024 * 1024  # after a body this big, freed memory goes back to the system
DEFAULT_SECONDS = 10.0  # a check's duration when none ended lately

_slots: dict[str, threading.BoundedSemaphore] = {}  # by what they bound, in this process
_receiving: set[str] = set()  # clients with an upload being received by this process
_lock = threading.Lock()


def client_key(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"compte:{user.pk}"
    return f"adresse:{client_address(request) or '?'}"


def slots(name: str, size: int) -> threading.BoundedSemaphore:
    """The web process's ``size`` places for ``name`` (uploads being received, reprises being
    made), made at the first call: what one process does at once."""
    with _lock:
        if name not in _slots:
            _slots[name] = threading.BoundedSemaphore(size)
        return _slots[name]


def _gate() -> threading.BoundedSemaphore:
    return slots("envois", settings.UPLOADS_AT_ONCE)


def minutes_to_wait(ahead: int) -> int:
    """Minutes before ``ahead`` waiting checks are done, at the recent checks' pace."""
    from sofi_bulk.web.workers import alive_workers

    recent = Job.objects.filter(
        finished_at__gte=timezone.now() - timedelta(hours=1), started_at__isnull=False
    ).aggregate(mean=Avg(F("finished_at") - F("started_at")))["mean"]
    seconds = recent.total_seconds() if recent else DEFAULT_SECONDS
    lanes = max(1, 2 * len(alive_workers()))  # each worker runs two lanes
    return max(1, math.ceil(max(1, ahead) * seconds / lanes / 60))


def too_busy(
    request: HttpRequest, reason: str, minutes: int, advice: str | None = None
) -> HttpResponse:
    """The 429 page; ``advice``, what to do, when it is not resending a workbook."""
    response = render(
        request,
        "web/occupe.html",
        {"reason": reason, "minutes": minutes, "advice": advice},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


def refusal(request: HttpRequest, key: str) -> HttpResponse | None:
    """The 429 page when this client, or the queue, is over its limit; None otherwise."""
    waiting = Job.objects.filter(state=Job.WAITING)
    counted = waiting.aggregate(n=Count("id"), size=Sum("size"))
    queued, queued_bytes = counted["n"] or 0, counted["size"] or 0
    try:
        incoming = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        incoming = 0
    if queued >= settings.QUEUE_MAX or queued_bytes + incoming > settings.QUEUE_MAX_BYTES:
        return too_busy(
            request,
            "Le service reçoit en ce moment plus de classeurs qu'il ne peut en contrôler : "
            "votre classeur n'a pas été envoyé.",
            minutes_to_wait(queued),
        )
    kept = Job.objects.filter(client=key).exclude(state=Job.REFUSED)
    volume = kept.aggregate(size=Sum("size"))["size"] or 0
    if volume + incoming > settings.CLIENT_MAX_BYTES:
        return too_busy(
            request,
            f"Vous avez envoyé {volume / 2**20:.0f} Mio de classeurs dans la dernière demi-heure "
            f"({settings.CLIENT_MAX_BYTES // 2**20} Mio au plus) : votre classeur n'a pas été "
            "envoyé.",
            _minutes_until_forgotten(kept),
        )
    mine = Job.objects.filter(client=key).exclude(state__in=Job.ENDED).count()
    allowed = (
        settings.CHECKS_PER_ACCOUNT if key.startswith("compte:") else settings.CHECKS_PER_ADDRESS
    )
    if mine >= allowed:
        return too_busy(
            request,
            f"Vous avez déjà {mine} contrôles en attente ou en cours ({allowed} au plus à la "
            "fois) : votre classeur n'a pas été envoyé. Attendez qu'ils soient terminés.",
            minutes_to_wait(queued),
        )
    return None


def _minutes_until_forgotten(jobs: Any) -> int:
    """When the oldest of ``jobs`` is forgotten (30 minutes after it ended), freeing room."""
    from sofi_bulk.web.workers import TTL

    oldest = jobs.filter(finished_at__isnull=False).order_by("finished_at").first()
    if oldest is None:  # still running: when it ends, and its time after
        return max(1, math.ceil(TTL / 60))
    left = (oldest.finished_at - timezone.now()).total_seconds() + TTL
    return max(1, math.ceil(left / 60))


class AbuseLimitMiddleware:
    """The limits above, on the views that queue a check (before the CSRF check reads the
    form: a refused body is never parsed)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not self._limited(request):
            return self.get_response(request)
        key = client_key(request)
        refused = refusal(request, key)
        if refused is not None:
            return refused
        with _lock:
            if key in _receiving:
                return too_busy(
                    request,
                    "Un autre de vos classeurs est en cours d'envoi : un envoi à la fois.",
                    1,
                )
            _receiving.add(key)
        try:
            if not _gate().acquire(timeout=WAIT_FOR_A_SLOT):
                return too_busy(
                    request,
                    "Le service reçoit en ce moment beaucoup de classeurs à la fois : votre "
                    "classeur n'a pas été envoyé.",
                    1,
                )
            try:
                return self.get_response(request)
            finally:
                _gate().release()
                if _body_size(request) >= BIG_BODY:
                    # SQLite keeps, per connection, what storing a big upload took (19 Mio
                    # each: eight threads kept 119 Mio more); the connection is reopened at
                    # the next query
                    from sofi_bulk.web.workers import release_memory

                    if not connection.in_atomic_block:  # never under an open transaction
                        connection.close()
                    release_memory()
        finally:
            with _lock:
                _receiving.discard(key)

    @staticmethod
    def _limited(request: HttpRequest) -> bool:
        try:
            return resolve(request.path_info).url_name in LIMITED
        except Resolver404:
            return False


def _body_size(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# --- « Mot de passe oublié ? » ------------------------------------------------------------------
RESET_WINDOW = ResetRequest.WINDOW
RESET_SALT = "sofi_bulk.web.limits.reset"


def address_key(email: str) -> str:
    """A keyed hash of an address as the reset form matches it (NFKC, case folded): all its
    spellings that reach an account count together; the address itself is never stored."""
    normal = unicodedata.normalize("NFKC", email).casefold()
    return salted_hmac(RESET_SALT, normal, algorithm="sha256").hexdigest()


def _requester(request: HttpRequest) -> str:
    return f"adresse:{client_address(request) or '?'}"


def reset_refusal(request: HttpRequest) -> HttpResponse | None:
    """The 429 page when this client address has made ``RESETS_PER_ADDRESS`` requests in the
    last hour (saying when the oldest of them stops counting); None otherwise."""
    now = timezone.now()
    recent = ResetRequest.objects.filter(
        client=_requester(request), created_at__gt=now - RESET_WINDOW
    )
    counted = recent.aggregate(n=Count("id"), oldest=Min("created_at"))
    if counted["n"] < settings.RESETS_PER_ADDRESS:
        return None
    log.warning(
        "mot de passe oublié : %d demandes en une heure depuis %s : refusée (429)",
        counted["n"],
        client_address(request) or "?",
    )
    oldest = counted["oldest"] or now
    minutes = max(1, math.ceil((oldest + RESET_WINDOW - now).total_seconds() / 60))
    return too_busy(
        request,
        f"Trop de demandes de nouveau mot de passe sont venues de votre adresse réseau en une "
        f"heure ({settings.RESETS_PER_ADDRESS} au plus) : celle-ci n'a pas été traitée.",
        minutes,
        "Que faire : un e-mail déjà demandé arrive en quelques minutes (regardez aussi dans les "
        f"courriers indésirables) ; sinon, réessayez dans {minutes} minute"
        f"{'s' if minutes > 1 else ''}, ou contactez le Carif-Oref.",
    )


def may_send_reset(request: HttpRequest, email: str, accounts: QuerySet[Any]) -> bool:
    """Whether a reset e-mail may go to ``email`` now, ``accounts`` being those it reaches;
    the request is recorded either way. Their rows are locked meanwhile, so that two web
    processes asked for the same account at once count one after the other."""
    target = address_key(email)
    interval = timedelta(minutes=settings.RESET_INTERVAL_MINUTES)
    with transaction.atomic():
        reached = list(accounts.select_for_update())
        now = timezone.now()
        allowed = False
        if reached:
            sent = list(
                ResetRequest.objects.filter(
                    target=target, sent=True, created_at__gte=now - ResetRequest.kept_for()
                ).values_list("created_at", flat=True)
            )
            in_the_hour = sum(1 for when in sent if when > now - RESET_WINDOW)
            last = max(sent, default=None)
            allowed = in_the_hour < settings.RESETS_PER_EMAIL and (
                last is None or now - last >= interval
            )
            if not allowed:
                log.warning(
                    "mot de passe oublié : pas d'e-mail à l'adresse demandée (empreinte %s) : "
                    "%d envoyé(s) dans l'heure, le dernier il y a %d s ; demande de %s",
                    target[:12],
                    in_the_hour,
                    (now - last).total_seconds() if last is not None else 0,
                    client_address(request) or "?",
                )
        ResetRequest.objects.create(
            client=_requester(request), target=target, sent=allowed, created_at=now
        )
    return allowed
