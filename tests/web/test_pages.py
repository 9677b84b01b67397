"""The pages a public service owes (mentions légales, données personnelles, accessibilité,
contact): linked from every page's footer, error pages included; French defaults that say
what the service stores from its own settings and mark what the operator must fill; the
operator's own texts shown as text, never as markup."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sofi_bulk.web.pages import PAGES

pytestmark = pytest.mark.django_db

FOOTER_LINKS = [
    "/mentions-legales/",
    "/donnees-personnelles/",
    "/accessibilite/",
    "/contact/",
]


def footer(body: str) -> str:
    match = re.search(r"<footer>.*?</footer>", body, re.S)
    assert match, body[-500:]
    return match.group(0)


@pytest.mark.parametrize(
    "url",
    ["/", "/modele/", "/connexion/", "/mot-de-passe/oublie/", "/contact/", "/page-absente/"],
)
def test_every_page_links_the_four_pages_in_its_footer(url):
    response = Client().get(url)
    assert response.status_code in (200, 404)
    links = re.findall(r'href="([^"]+)"', footer(response.content.decode()))
    assert links == FOOTER_LINKS
    assert "Accessibilité : non conforme" in footer(response.content.decode())


def test_logged_in_pages_and_the_error_page_link_them_too(org_a, staff, settings):
    client = Client()
    client.force_login(org_a)
    assert re.findall(r'href="([^"]+)"', footer(client.get("/depots/").content.decode())) == (
        FOOTER_LINKS
    )
    from django.test import RequestFactory

    from sofi_bulk.web.views import server_error

    settings.ACCESSIBILITY_STATUS = "partiellement conforme"
    page = server_error(RequestFactory().get("/")).content.decode()
    assert re.findall(r'href="([^"]+)"', footer(page)) == FOOTER_LINKS
    assert "Accessibilité : partiellement conforme" in page


def test_the_defaults_are_french_and_say_what_the_operator_must_fill():
    for slug, title in PAGES.items():
        body = Client().get(f"/{slug}/").content.decode()
        assert f"<h1>{title}</h1>" in body and f"<title>{title} · sofi-bulk</title>" in body
        assert "à compléter" in body.casefold() or "À compléter" in body, slug
        assert "SOFI_WEB_PAGES" in body


def test_the_personal_data_page_says_what_is_stored_from_the_settings(settings):
    body = Client().get("/donnees-personnelles/").content.decode()
    # the figures come from the code that applies them
    assert "effacés 30 minutes après la fin du contrôle" in body  # web.workers.TTL
    assert f"fermée après {settings.SESSION_COOKIE_AGE // 3600} heures" in body
    assert "15 minutes après le dernier essai" in body  # AXES_COOLOFF_TIME
    assert "sofi_session" in body and settings.SESSION_COOKIE_NAME == "sofi_session"
    for stored in ("adresse IP", "mot de passe (haché", "Dépôt", "Référentiel de la Région"):
        assert stored in body
    assert "effacées 90 jours après la connexion" in body  # LOGIN_JOURNAL_DAYS
    assert "effacées 1 heure après la demande" in body  # the reset limits' hour
    assert "3 e-mails par heure au plus à une même adresse" in body  # RESETS_PER_EMAIL
    settings.SESSION_COOKIE_AGE = 4 * 3600
    settings.LOGIN_JOURNAL_DAYS = 30
    settings.RESET_INTERVAL_MINUTES = 90
    body = Client().get("/donnees-personnelles/").content.decode()
    assert "fermée après 4 heures" in body and "effacées 30 jours après la connexion" in body
    assert "effacées 2 heures après la demande" in body


def test_the_accessibility_statement_is_honest_about_its_level(settings):
    body = Client().get("/accessibilite/").content.decode()
    assert "Ce service est non conforme avec le référentiel général" in body
    assert "Aucun audit de conformité n'a encore été mené" in body
    assert "Défenseur des droits" in body
    settings.ACCESSIBILITY_STATUS = "partiellement conforme"
    body = Client().get("/accessibilite/").content.decode()
    assert "Ce service est partiellement conforme" in body and "Aucun audit" not in body


def test_the_operator_texts_replace_the_defaults_as_text(tmp_path, settings):
    (tmp_path / "contact.txt").write_text(
        "Carif-Oref Pays de la Loire\n\nÉcrire à depot@carif-oref.fr ou voir "
        "https://www.exemple.fr/aide\n<script>alert('x')</script>\n",
        encoding="utf-8",
    )
    settings.LEGAL_PAGES_DIR = str(tmp_path)
    body = Client().get("/contact/").content.decode()
    assert "<p>Carif-Oref Pays de la Loire</p>" in body
    assert '<a href="mailto:depot@carif-oref.fr">depot@carif-oref.fr</a>' in body
    assert '<a href="https://www.exemple.fr/aide" rel="nofollow">' in body
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    assert "à compléter" not in body  # the default is gone
    # the other pages keep their default
    assert "à compléter" in Client().get("/mentions-legales/").content.decode()
