"""« Mot de passe oublié ? » cannot flood a mailbox nor the mail relay (``sofi_bulk.web.limits``):
at most so many e-mails to one address in an hour, so many minutes apart, the page the same
whether an e-mail left, no account has the address or the limit was reached; too many
requests from one client address get the 429 page. The counts are in the database: two real
web processes sharing them is tested in test_processes.py. The workers' housekeeping forgets
the logins journal and the reset requests after their time."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core import mail
from django.test import Client
from django.utils import timezone

from sofi_bulk.web import workers
from sofi_bulk.web.models import ResetRequest
from tests.web.conftest import PASSWORD
from tests.web.test_check import text

pytestmark = pytest.mark.django_db

ADDRESS = "contact@ilf-formation.fr"
FORM = "/mot-de-passe/oublie/"


@pytest.fixture
def limits(settings):
    settings.RESETS_PER_EMAIL = 3
    settings.RESET_INTERVAL_MINUTES = 0
    settings.RESETS_PER_ADDRESS = 100
    return settings


@pytest.fixture
def account(org_a):
    org_a.email = ADDRESS
    org_a.save()
    return org_a


def ask(email: str, client_ip: str = "198.51.100.7"):
    return Client(REMOTE_ADDR=client_ip).post(FORM, {"email": email}, follow=True)


def test_one_address_receives_at_most_the_bound_however_it_is_spelled(account, limits):
    """Eight requests 30 s apart from eight client addresses, the address spelled three ways:
    three e-mails; once the first is an hour old, one more."""
    start = timezone.now()
    spellings = [ADDRESS, ADDRESS.upper(), "Contact@ILF-formation.fr"]
    with time_machine.travel(start, tick=False) as clock:
        for i in range(8):
            clock.shift(dt.timedelta(seconds=30))
            assert ask(spellings[i % 3], f"203.0.113.{i + 1}").status_code == 200
        assert len(mail.outbox) == 3 and {m.to[0] for m in mail.outbox} == {ADDRESS}
        clock.move_to(start + dt.timedelta(minutes=60, seconds=45))  # the first is out
        ask(ADDRESS)
        assert len(mail.outbox) == 4
        ask(ADDRESS)  # the second, third and fourth are still in the hour
        assert len(mail.outbox) == 4
    assert ResetRequest.objects.filter(sent=True).count() == 4


def test_two_e_mails_to_one_address_are_minutes_apart(account, limits):
    limits.RESET_INTERVAL_MINUTES = 5
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        ask(ADDRESS)
        clock.shift(dt.timedelta(minutes=4))
        ask(ADDRESS)
        assert len(mail.outbox) == 1
        clock.shift(dt.timedelta(minutes=1, seconds=1))  # five minutes after the sent one
        ask(ADDRESS)
        assert len(mail.outbox) == 2


def test_the_page_is_the_same_for_a_known_an_unknown_and_a_limited_address(account, limits, caplog):
    limits.RESETS_PER_EMAIL = 1
    client_ip = "198.51.100.23"
    caplog.set_level(logging.WARNING, logger="sofi_bulk.web.limits")
    answers = [ask(ADDRESS, client_ip), ask("personne@exemple.fr", client_ip)]
    sent = len(mail.outbox)
    answers.append(ask(ADDRESS, client_ip))  # over the bound: nothing leaves
    assert sent == len(mail.outbox) == 1
    for answer in answers:
        assert answer.redirect_chain == [("/mot-de-passe/envoye/", 302)]
        assert answer.status_code == 200
    assert answers[0].content == answers[1].content == answers[2].content
    assert "Si un compte porte cette adresse, un e-mail vient de lui être envoyé" in (
        text(answers[2])
    )
    # the operator is told, with the client's address but not the e-mail address
    (line,) = [r.getMessage() for r in caplog.records if "mot de passe oublié" in r.getMessage()]
    assert client_ip in line and "1 envoyé(s) dans l'heure" in line
    assert "ilf-formation" not in line.casefold()
    # the address asked for is stored only as a keyed hash
    assert not ResetRequest.objects.filter(target__icontains="ilf").exists()
    assert set(ResetRequest.objects.values_list("client", flat=True)) == {f"adresse:{client_ip}"}


def test_one_client_address_over_its_bound_gets_429_in_french(account, limits, caplog):
    limits.RESETS_PER_ADDRESS = 4
    flooder = Client(REMOTE_ADDR="203.0.113.66")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for i in range(4):
            clock.shift(dt.timedelta(minutes=5))
            answer = flooder.post(FORM, {"email": f"inconnu{i}@exemple.fr"})
            assert answer.status_code == 302
        refused = flooder.post(FORM, {"email": ADDRESS})
        assert refused.status_code == 429
        # the oldest of the four stops counting an hour after it came: 45 minutes from now
        assert int(refused["Retry-After"]) == 45 * 60
        shown = text(refused)
        assert "Réessayez dans 45 minutes" in shown
        assert "Trop de demandes de nouveau mot de passe" in shown and "4 au plus" in shown
        assert "avec le même fichier" not in shown  # the uploads' advice is not shown here
        assert mail.outbox == []  # a refused request sends nothing, and is not counted
        assert ResetRequest.objects.count() == 4
        assert any("203.0.113.66" in r.getMessage() for r in caplog.records)
        # another client address is served
        assert ask(ADDRESS, "198.51.100.7").redirect_chain[-1][0] == "/mot-de-passe/envoye/"
        assert len(mail.outbox) == 1
        # once the oldest request is an hour old, this address may ask again
        clock.shift(dt.timedelta(minutes=45))
        assert flooder.post(FORM, {"email": "inconnu@exemple.fr"}).status_code == 302


def test_the_housekeeping_forgets_the_journals_after_their_time(settings):
    settings.LOGIN_JOURNAL_DAYS = 90
    now = timezone.now()

    def aged(model, age: dt.timedelta, **fields):
        row = model.objects.create(
            user_agent="navigateur", ip_address="203.0.113.5", http_accept="*/*", **fields
        )
        model.objects.filter(pk=row.pk).update(attempt_time=now - age)
        return row.pk

    aged(AccessLog, dt.timedelta(days=91), username="ilf", path_info="/connexion/")
    recent_log = aged(AccessLog, dt.timedelta(days=89), username="ilf", path_info="/connexion/")
    aged(AccessFailureLog, dt.timedelta(days=91), username="x", path_info="/")
    recent_failure = aged(AccessFailureLog, dt.timedelta(days=1), username="x", path_info="/")
    attempt = {"get_data": "", "post_data": "", "failures_since_start": 3, "path_info": "/"}
    aged(AccessAttempt, dt.timedelta(minutes=16), username="a", **attempt)
    counting = aged(AccessAttempt, dt.timedelta(minutes=14), username="b", **attempt)
    ResetRequest.objects.create(
        client="adresse:x", target="a", created_at=now - dt.timedelta(hours=2)
    )
    kept = ResetRequest.objects.create(client="adresse:x", target="b", created_at=now)

    workers.purge()

    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent_log]
    assert list(AccessFailureLog.objects.values_list("pk", flat=True)) == [recent_failure]
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [counting]
    assert list(ResetRequest.objects.values_list("pk", flat=True)) == [kept.pk]
    settings.LOGIN_JOURNAL_DAYS = 30
    workers.purge()
    assert not AccessLog.objects.exists()


def test_a_real_login_is_journaled_then_forgotten(org_a, settings):
    """The rows the purge deletes are those axes writes: a failed login from one address, a
    successful one from another."""
    failed = Client(REMOTE_ADDR="203.0.113.9").post(
        "/connexion/", {"username": "ilf", "password": "pas-le-bon"}
    )
    assert failed.status_code == 200 and AccessAttempt.objects.count() == 1
    done = Client(REMOTE_ADDR="198.51.100.7").post(
        "/connexion/", {"username": "ilf", "password": PASSWORD}
    )
    assert done.status_code == 302 and AccessLog.objects.filter(username="ilf").count() == 1
    workers.purge()
    assert AccessAttempt.objects.count() == 1 and AccessLog.objects.count() == 1
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        workers.purge()
    assert AccessAttempt.objects.count() == 0 and AccessLog.objects.count() == 1
    later = timezone.now() + dt.timedelta(days=settings.LOGIN_JOURNAL_DAYS, minutes=1)
    with time_machine.travel(later):
        workers.purge()
    assert not AccessLog.objects.exists()


def test_the_link_is_the_public_address_whatever_host_the_client_sent(account, limits, settings):
    """A client that sends another port, or another of the names the service answers to,
    cannot have the account's holder receive a link to it."""
    settings.PUBLIC_NAMES = ["depot.exemple.fr"]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "depot.exemple.fr", "autre.exemple.fr"]
    settings.HTTPS = True
    for host in ("depot.exemple.fr:4444", "autre.exemple.fr", "depot.exemple.fr"):
        mail.outbox.clear()
        Client(REMOTE_ADDR="198.51.100.9", HTTP_HOST=host).post(FORM, {"email": ADDRESS})
        (sent,) = mail.outbox
        assert "https://depot.exemple.fr/mot-de-passe/" in sent.body, (host, sent.body)
        assert ":4444" not in sent.body and "autre.exemple.fr" not in sent.body
