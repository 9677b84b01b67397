"""Security rules, each tried: CSRF on every form, framework password hashing, throttled
logins that cannot be turned against users (per client address behind the trusted proxy, no
extension during a lock, a limit per address against password spraying, /admin/ alike),
cookie settings, content security policy and headers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.web.conftest import PASSWORD, check
from tests.web.test_check import text

pytestmark = pytest.mark.django_db

PAGES = ["/", "/modele/", "/connexion/", "/depots/"]


def post_forms(body: str) -> list[str]:
    return re.findall(r"<form[^>]*method=\"post\".*?</form>", body, re.S)


def test_every_form_carries_a_csrf_token(client, org_a, staff, workbook_a):
    seen = 0
    for user in (None, org_a, staff):
        if user is not None:
            client.force_login(user)
        for url in PAGES:
            body = client.get(url).content.decode()
            for form in post_forms(body):
                assert 'name="csrfmiddlewaretoken"' in form, (url, form[:200])
                seen += 1
    client.force_login(org_a)
    report = check(client, workbook_a, url="/depots/nouveau").content.decode()
    forms = post_forms(report)
    assert any("/deposer" in f for f in forms)
    assert all('name="csrfmiddlewaretoken"' in f for f in forms)
    assert seen >= 6


def test_a_forged_form_is_refused_with_a_french_page(org_a, workbook_a):
    browser = Client(enforce_csrf_checks=True)
    for url, data in (
        ("/verifier", {}),
        ("/connexion/", {"username": "ilf", "password": PASSWORD}),
        ("/deconnexion/", {}),
    ):
        refused = browser.post(url, data)
        assert refused.status_code == 403, url
        shown = text(refused)
        assert "Formulaire refusé" in shown and "rien n'a été fait" in shown
    browser.force_login(org_a)
    assert browser.post("/depots/nouveau", {}).status_code == 403


def test_passwords_are_hashed_by_the_framework(org_a):
    from django.contrib.auth.hashers import check_password

    assert org_a.password != PASSWORD and PASSWORD not in org_a.password
    assert org_a.password.startswith(("pbkdf2_sha256$", "argon2$", "scrypt$"))
    assert check_password(PASSWORD, org_a.password)


def test_login_works_and_repeated_failures_are_throttled(org_a):
    browser = Client()
    ok = browser.post("/connexion/", {"username": "ilf", "password": PASSWORD})
    assert ok.status_code == 302 and ok["Location"] == "/depots/"
    browser.post("/deconnexion/")
    for _ in range(4):
        wrong = browser.post("/connexion/", {"username": "ilf", "password": "pas le bon"})
        assert wrong.status_code == 200
        assert "Saisissez un nom d’utilisateur et un mot de passe valides" in text(wrong) or (
            "valides" in text(wrong)
        )
    locked = browser.post("/connexion/", {"username": "ilf", "password": "pas le bon"})
    assert locked.status_code == 429
    assert "Connexion bloquée" in text(locked)
    # even the right password is refused while locked
    again = browser.post("/connexion/", {"username": "ilf", "password": PASSWORD})
    assert again.status_code == 429 and "_auth_user_id" not in browser.session


def test_session_cookies_are_secure(org_a, settings):
    browser = Client()
    response = browser.post("/connexion/", {"username": "ilf", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["secure"]  # the default: HTTPS only (sofi-bulk serveur --http on 127.0.0.1)
    assert settings.CSRF_COOKIE_HTTPONLY and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600


def test_pages_carry_a_content_security_policy_and_safe_headers(client):
    for url in ("/", "/modele/", "/connexion/", "/nulle-part"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert "<script>" not in response.content.decode()  # no inline script to allow
    css = client.get("/static/web/style.css")
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")


def test_staff_pages_refuse_organisation_accounts(client, org_a):
    client.force_login(org_a)
    refused = client.get("/depots/lheo-fusionne.xml")
    assert refused.status_code == 403 and "réservée au personnel" in text(refused)


def test_logout_needs_a_post(client, org_a):
    client.force_login(org_a)
    assert client.get("/deconnexion/").status_code == 405
    assert client.post("/deconnexion/").status_code == 302
    assert client.get("/depots/").status_code == 302


# --- logins that cannot be turned against users ---------------------------------------------
PROXY = "10.0.0.1"  # the trusted proxy (--proxy) in front of the service


class ProxiedClient(Client):
    """A browser at ``address``, reaching the service through the trusted proxy: every
    request goes through the service's own WSGI layer (``sofi_bulk.service.http``), which
    believes X-Forwarded-For from ``PROXY`` only."""

    def __init__(self, address: str, **kwargs) -> None:
        super().__init__(**{"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": address, **kwargs})
        from sofi_bulk.service.http import access_log, behind_proxies

        inner = self.handler
        app = behind_proxies(access_log(lambda environ, start: inner(environ)), [PROXY])
        self.handler = lambda environ: app(environ, lambda *args: None)


def log_in(browser: Client, username: str, password: str, url: str = "/connexion/"):
    return browser.post(url, {"username": username, "password": password})


def test_a_lock_set_from_another_address_leaves_the_user_alone(org_a):
    """An attacker behind the same proxy fails five times on « ilf »: locked out himself,
    while the real user, from her own address, logs in."""
    attacker, user = ProxiedClient("203.0.113.66"), ProxiedClient("198.51.100.7")
    for _ in range(5):
        log_in(attacker, "ilf", "pas le bon")
    assert log_in(attacker, "ilf", PASSWORD).status_code == 429
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}
    ok = log_in(user, "ilf", PASSWORD)
    assert ok.status_code == 302 and ok["Location"] == "/depots/"
    # a client that forges X-Forwarded-For, not being the proxy, is counted at its own address
    forger = ProxiedClient("198.51.100.7", REMOTE_ADDR="192.0.2.9")
    log_in(forger, "ilf", "pas le bon")
    assert AccessAttempt.objects.filter(ip_address="192.0.2.9").exists()
    assert not AccessAttempt.objects.filter(ip_address="198.51.100.7").exists()


def test_an_attempt_during_the_lock_does_not_extend_it(org_a):
    """Locked at 10h00 for 15 minutes: tries at 10h10 (right and wrong password) are refused
    without moving the end; at 10h15 and a second, the right password works. The page says
    until when, and Retry-After how many seconds."""
    browser = ProxiedClient("203.0.113.66")
    start = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0, 0))
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(4):
            assert log_in(browser, "ilf", "pas le bon").status_code == 200
        locked = log_in(browser, "ilf", "pas le bon")
        assert locked.status_code == 429 and locked["Retry-After"] == "900"
        shown = text(locked)
        assert "Connexion bloquée jusqu'à 10h15" in shown and "15 minutes" in shown
        assert "ne le prolonge pas" in shown
        clock.shift(dt.timedelta(minutes=10))
        for password in (PASSWORD, "pas le bon"):
            during = log_in(browser, "ilf", password)
            assert during.status_code == 429 and during["Retry-After"] == "300"
            assert "jusqu'à 10h15" in text(during) and "5 minutes" in text(during)
            assert "_auth_user_id" not in browser.session
        clock.shift(dt.timedelta(minutes=5, seconds=1))
        ok = log_in(browser, "ilf", PASSWORD)
        assert ok.status_code == 302 and browser.session["_auth_user_id"] == str(org_a.pk)


def test_one_password_on_many_user_names_locks_the_address(org_a):
    """Password spraying: one address tries a password on twenty names (one failure each,
    never five for a name). The address is locked, even for a right password; a success of
    the sprayer's own account on the way does not clear the count; other addresses log in."""
    sprayer = ProxiedClient("203.0.113.66")
    for i in range(19):
        assert log_in(sprayer, f"organisme{i:02d}", "Printemps2026!").status_code == 200
    assert log_in(sprayer, "ilf", PASSWORD).status_code == 302  # its own account
    sprayer.post("/deconnexion/")
    locked = log_in(sprayer, "organisme19", "Printemps2026!")
    assert locked.status_code == 429
    assert "depuis votre adresse (20 en 15 minutes, tous identifiants confondus)" in text(locked)
    assert log_in(sprayer, "ilf", PASSWORD).status_code == 429
    assert log_in(ProxiedClient("198.51.100.7"), "ilf", PASSWORD).status_code == 302


def test_staff_and_admin_logins_follow_the_same_rules(staff):
    """Five failures on /admin/'s own form lock the name from that address there and on the
    service's form, right password included; another address is not locked."""
    staff.is_superuser = True
    staff.save()
    browser = ProxiedClient("203.0.113.66")
    for _ in range(5):
        log_in(browser, "agent", "pas le bon", url="/admin/login/")
    for url in ("/admin/login/", "/connexion/"):
        refused = log_in(browser, "agent", PASSWORD, url=url)
        assert refused.status_code == 429 and "Connexion bloquée" in text(refused), url
    elsewhere = ProxiedClient("198.51.100.7")
    assert log_in(elsewhere, "agent", PASSWORD, url="/admin/login/").status_code == 302
    assert elsewhere.get("/admin/").status_code == 200
