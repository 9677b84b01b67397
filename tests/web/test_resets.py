"""« Mot de passe oublié ? » cannot flood a mailbox nor the mail relay (``sofi_bulk.web.limits``):
at most so many e-mails to one address in an hour, so many minutes apart, the page the same
whether an e-mail left, no account has the address or the limit was reached; too many
requests from one client address get the 429 page. The counts are in the database: two real
web processes sharing them is tested in test_processes.py."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from sofi_bulk.web.models import ResetRequest
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
