"""Security rules, each tried: CSRF on every form, framework password hashing, throttled
logins, cookie settings, content security policy and headers."""

from __future__ import annotations

import re

import pytest
from django.test import Client

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
