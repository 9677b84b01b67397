"""Abuse limits on the uploads (``sofi_bulk.web.limits``): per client (an address when
anonymous, an account when logged in), on the whole queue (checks and bytes waiting), with a
French « réessayez dans N minutes » page, status 429 and Retry-After, and the refused body
never read nor stored. The memory of a real server under the measured flood is tested in
test_processes.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from sofi_bulk.web.models import Job, JobFile
from tests.web.conftest import run_jobs, upload
from tests.web.test_check import text

pytestmark = pytest.mark.django_db


def sent(browser: Client, data: bytes) -> int:
    return upload(browser, data).status_code


def test_one_address_beyond_its_checks_gets_429_and_others_are_served(workbook_a, settings):
    settings.CHECKS_PER_ADDRESS = 3
    flooder = Client(REMOTE_ADDR="203.0.113.66")
    assert [sent(flooder, workbook_a) for _ in range(3)] == [302, 302, 302]
    refused = upload(flooder, workbook_a)
    assert refused.status_code == 429
    assert refused["Retry-After"].isdigit() and int(refused["Retry-After"]) >= 60
    shown = text(refused)
    assert "Réessayez dans 1 minute" in shown and "3 contrôles en attente ou en cours" in shown
    # never read, never stored: still three jobs and three files
    assert Job.objects.count() == JobFile.objects.count() == 3
    # a new browser session from the same address is the same client
    assert sent(Client(REMOTE_ADDR="203.0.113.66"), workbook_a) == 429
    # another address is served
    assert sent(Client(REMOTE_ADDR="198.51.100.7"), workbook_a) == 302
    # once its checks are done, the first client may send again
    run_jobs()
    assert sent(flooder, workbook_a) == 302


def test_an_account_has_its_own_limit_whatever_its_address(org_a, workbook_a, settings):
    settings.CHECKS_PER_ADDRESS = 1
    settings.CHECKS_PER_ACCOUNT = 2
    office = Client(REMOTE_ADDR="192.0.2.10")
    assert sent(office, workbook_a) == 302
    assert sent(office, workbook_a) == 429  # anonymous: one at a time from this address
    office.force_login(org_a)
    urls = ("/depots/nouveau", "/verifier")
    assert [upload(office, workbook_a, url=u).status_code for u in urls] == [302, 302]
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    elsewhere.force_login(org_a)  # the same account from another address: the same client
    refused = upload(elsewhere, workbook_a, url="/depots/nouveau")
    assert refused.status_code == 429 and "2 au plus à la fois" in text(refused)


def test_a_full_queue_refuses_everyone_saying_when_to_come_back(workbook_a, settings):
    """Ten checks waiting, the recent ones taking two minutes each, no worker alive (one
    lane assumed): come back in 20 minutes."""
    settings.QUEUE_MAX = 10
    now = timezone.now()
    for i in range(3):
        Job.objects.create(
            token=f"fini-{i}",
            owner="x",
            purpose=Job.CHECK,
            file_name="a.xlsx",
            size=1,
            state=Job.DONE,
            started_at=now - dt.timedelta(minutes=10),
            finished_at=now - dt.timedelta(minutes=8),
        )
    for i in range(10):
        Job.objects.create(
            token=f"attente-{i}", owner="x", purpose=Job.CHECK, file_name="a.xlsx", size=1
        )
    refused = upload(Client(REMOTE_ADDR="198.51.100.7"), workbook_a)
    assert refused.status_code == 429 and refused["Retry-After"] == str(20 * 60)
    shown = text(refused)
    assert "Réessayez dans 20 minutes" in shown
    assert "plus de classeurs qu'il ne peut en contrôler" in shown
    assert Job.objects.count() == 13 and not JobFile.objects.exists()


def test_the_bytes_waiting_are_capped_too(workbook_a, settings):
    settings.QUEUE_MAX_BYTES = 2 * len(workbook_a)
    assert sent(Client(REMOTE_ADDR="198.51.100.7"), workbook_a) == 302
    assert sent(Client(REMOTE_ADDR="198.51.100.8"), workbook_a) == 429


def test_one_client_cannot_fill_the_database_with_ended_checks(workbook_a, settings):
    """Checks end quickly, their files stay until forgotten (30 minutes): the bytes one client
    keeps are bounded, whatever the number of checks at once."""
    settings.CHECKS_PER_ADDRESS = 100
    settings.CLIENT_MAX_BYTES = 3 * len(workbook_a) + 4096  # the form around the file
    quick = Client(REMOTE_ADDR="203.0.113.77")
    for _ in range(3):
        assert sent(quick, workbook_a) == 302
        run_jobs()  # ended at once: no longer waiting nor running
    refused = upload(quick, workbook_a)
    assert refused.status_code == 429, text(refused)[:500]
    shown = text(refused)
    assert "dans la dernière demi-heure" in shown and "Réessayez dans 30 minutes" in shown
    assert Job.objects.count() == 3  # never stored
    assert sent(Client(REMOTE_ADDR="198.51.100.8"), workbook_a) == 302  # others are served
    # once the oldest is forgotten, there is room again
    Job.objects.filter(client__contains="203.0.113.77").update(
        finished_at=timezone.now() - dt.timedelta(hours=1)
    )
    from sofi_bulk.web import workers

    workers.purge()
    assert sent(quick, workbook_a) == 302
