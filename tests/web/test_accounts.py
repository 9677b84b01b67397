"""A whole region's accounts: the bulk import from a CSV as a French spreadsheet saves it (one
line per row: created, updated, unchanged or refused with its reason), invitations and
password resets by e-mail through Django's own views and tokens, for organisations and staff.
The e-mails are Django's test outbox here; tests/web/test_browser.py goes through the file
backend of a real server."""

from __future__ import annotations

import datetime as dt
import html
import re
import time

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from sofi_bulk import api
from sofi_bulk.core.errors import UserError
from sofi_bulk.web.accounts import create_account, import_accounts
from sofi_bulk.web.models import Account, Organisation
from tests.web.conftest import PASSWORD, SIRET_A, SIRET_B

pytestmark = pytest.mark.django_db

SIRET_C = "72312345100012"
HEADER = "SIRET;Nom de l'organisme;Adresse e-mail;Identifiant\r\n"


def sirets(count: int) -> list[str]:
    """``count`` distinct SIRETs whose Luhn key is right."""
    found: list[str] = []
    n = 1_000_000_000_000  # 13 digits, then the key
    while len(found) < count:
        for key in range(10):
            candidate = f"{n}{key}"
            if api.siret_is_valid(candidate):
                found.append(candidate)
                break
        n += 7
    return found


def write(tmp_path, text: str, encoding: str = "cp1252"):
    """The CSV as Excel saves « CSV (séparateur : point-virgule) » on a French Windows."""
    path = tmp_path / "organismes.csv"
    path.write_bytes(text.encode(encoding))
    return path


def link_in(message) -> str:
    match = re.search(r"https?://[^/\s]+(/(?:invitation|mot-de-passe)/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def logs_in(username: str, password: str) -> bool:
    """A login through the page, as a user does (django-axes wants the request)."""
    done = Client().post("/connexion/", {"username": username, "password": password})
    return done.status_code == 302


def choose_password(client: Client, link: str, password: str = PASSWORD):
    """Open an e-mail's link, as a browser does (Django moves the token into the session),
    then choose the password; the final response."""
    opened = client.get(link)
    assert opened.status_code == 302, opened.content[:300]
    form = client.get(opened["Location"])
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    client.form_page = form.content.decode()  # type: ignore[attr-defined]  # for the callers
    done = client.post(opened["Location"], {"new_password1": password, "new_password2": password})
    assert done.status_code == 302 and done["Location"] == "/mot-de-passe/enregistre/"
    return client.get(done["Location"])


def test_import_good_duplicate_bad_siret_and_bad_email_rows(tmp_path):
    path = write(
        tmp_path,
        HEADER
        + f"{SIRET_A};Institut Ligérien de Formation;contact@ilf-formation.fr;\r\n"
        + f"{SIRET_B[:3]} {SIRET_B[3:6]} {SIRET_B[6:9]} {SIRET_B[9:]};Horizons Compétences;"
        "accueil@horizons.fr;horizons\r\n"
        + f"{SIRET_A};Institut en double;autre@ilf-formation.fr;\r\n"
        + "44198765800017;Clé fausse;a@exemple.fr;\r\n"
        + "4,41988E+13;Notation scientifique;a@exemple.fr;\r\n"
        + f"{SIRET_C};Atelier Parcours Emploi;bonjour@;\r\n"
        + ";;;\r\n",
    )
    result = import_accounts(path)
    lines = result.lines
    assert len(lines) == 6  # the empty row is no row
    assert lines[0] == (
        f"ligne 2 : créé : compte « {SIRET_A} » de l'Institut Ligérien de Formation "
        f"(SIRET {SIRET_A}), contact@ilf-formation.fr ; invitation à contact@ilf-formation.fr."
    )
    assert lines[1].startswith("ligne 3 : créé : compte « horizons » d'Horizons Compétences")
    assert lines[2] == f"ligne 4 : refusé : doublon : le SIRET {SIRET_A} est déjà sur la ligne 2."
    assert lines[3].startswith("ligne 5 : refusé : SIRET « 44198765800017 » invalide")
    assert "clé de contrôle" in lines[3]
    assert "notation scientifique" in lines[4] and "format Texte" in lines[4]
    assert lines[5] == "ligne 7 : refusé : adresse e-mail « bonjour@ » invalide."
    assert (result.created, result.updated, result.unchanged, result.refused) == (2, 0, 0, 4)
    assert result.summary() == (
        "2 comptes créés, 0 mis à jour, 0 inchangé, 4 lignes refusées. 2 invitations envoyées."
    )

    ilf = get_user_model().objects.get(username=SIRET_A)
    assert ilf.email == "contact@ilf-formation.fr" and not ilf.has_usable_password()
    assert ilf.account.organisation.name == "Institut Ligérien de Formation"
    assert Account.objects.get(user__username="horizons").organisation.siret == SIRET_B
    assert Organisation.objects.count() == 2  # nothing of the refused rows
    assert sorted(m.to[0] for m in mail.outbox) == [
        "accueil@horizons.fr",
        "contact@ilf-formation.fr",
    ]
    assert all(m.subject.startswith("Votre compte sur « Déposer son offre »") for m in mail.outbox)


def test_reimport_changes_nothing_then_updates_what_changed(tmp_path):
    rows = (
        f"{SIRET_A};Institut Ligérien de Formation;contact@ilf-formation.fr;\r\n"
        f"{SIRET_B};Horizons Compétences;accueil@horizons.fr;horizons\r\n"
    )
    path = write(tmp_path, HEADER + rows, "utf-8-sig")
    first = import_accounts(path)
    assert (first.created, first.refused) == (2, 0)
    users = {u.username: u.pk for u in get_user_model().objects.all()}
    sent = len(mail.outbox)

    again = import_accounts(path)
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 2, 0)
    assert again.lines[0].startswith(f"ligne 2 : inchangé : compte « {SIRET_A} »")
    assert {u.username: u.pk for u in get_user_model().objects.all()} == users
    assert len(mail.outbox) == sent  # no second invitation
    assert Organisation.objects.count() == 2 and Account.objects.count() == 2

    path.write_text(
        HEADER
        + f"{SIRET_A};Institut Ligérien;direction@ilf-formation.fr;\r\n"
        + f"{SIRET_B};Horizons Compétences;accueil@horizons.fr;horizons\r\n",
        encoding="utf-8",
    )
    changed = import_accounts(path, invite=False, reinvite=True)
    assert changed.lines[0] == (
        f"ligne 2 : mis à jour : compte « {SIRET_A} » de l'Institut Ligérien (SIRET {SIRET_A}) "
        "(nom : Institut Ligérien de Formation → Institut Ligérien ; e-mail : "
        "contact@ilf-formation.fr → direction@ilf-formation.fr) ; invitation à "
        "direction@ilf-formation.fr."
    )
    assert (changed.updated, changed.unchanged) == (1, 1)  # the second, re-invited, unchanged
    assert [m.to for m in mail.outbox[sent:]] == [
        ["direction@ilf-formation.fr"],
        ["accueil@horizons.fr"],
    ]
    assert get_user_model().objects.get(username=SIRET_A).email == "direction@ilf-formation.fr"


def test_an_existing_account_is_updated_and_a_taken_name_refused(tmp_path, staff):
    create_account("ilf", PASSWORD, siret=SIRET_A, name="Institut Ligérien de Formation")
    create_account("atelier", PASSWORD, siret=SIRET_C, name="Atelier Parcours Emploi")
    path = write(
        tmp_path,
        HEADER
        + f"{SIRET_A};Institut Ligérien de Formation;contact@ilf-formation.fr;\r\n"  # its one
        + f"{SIRET_B};Horizons Compétences;accueil@horizons.fr;agent\r\n"  # the staff's name
        + f"{SIRET_B};Horizons Compétences;accueil@horizons.fr;atelier\r\n"  # another's
        + f"{SIRET_C};Atelier Parcours Emploi;bonjour@atelier.fr;pas un identifiant\r\n",
    )
    result = import_accounts(path)
    assert result.lines[0].startswith("ligne 2 : mis à jour : compte « ilf » de l'Institut")
    assert "e-mail : (aucun) → contact@ilf-formation.fr" in result.lines[0]
    assert "invitation" not in result.lines[0]  # it has its password already
    assert result.lines[1] == (
        "ligne 3 : refusé : l'identifiant « agent » est celui d'un compte du personnel."
    )
    assert (
        result.lines[2]
        == "ligne 4 : refusé : doublon : le SIRET 49281345600018 est déjà sur la ligne 3."
    )
    assert result.lines[3].startswith(
        "ligne 5 : refusé : identifiant « pas un identifiant » refusé"
    )
    assert not Organisation.objects.filter(siret=SIRET_B).exists()
    assert get_user_model().objects.get(username="ilf").check_password(PASSWORD)  # untouched
    assert mail.outbox == []


def test_a_file_without_the_named_columns_is_one_french_line(tmp_path):
    path = write(tmp_path, "numero;raison\r\n44198765800016;ILF\r\n")
    with pytest.raises(UserError) as caught:
        import_accounts(path)
    message = str(caught.value)
    assert str(path) in message and "colonnes absentes" in message
    assert "SIRET, Nom, E-mail" in message


def test_hundreds_of_accounts_from_one_file(tmp_path, django_assert_max_num_queries):
    numbers = sirets(400)
    path = write(
        tmp_path,
        "siret,nom,courriel\n"  # another spreadsheet's way: commas, other header names
        + "".join(f"{s},Organisme n° {i},contact{i}@exemple.fr\n" for i, s in enumerate(numbers)),
        "utf-8",
    )
    start = time.monotonic()
    with django_assert_max_num_queries(400 * 12):  # a bounded number per row, whatever the file
        result = import_accounts(path)
    elapsed = time.monotonic() - start
    assert (result.created, result.refused) == (400, 0)
    assert Account.objects.count() == 400 and len(mail.outbox) == 400
    assert elapsed < 120, elapsed  # seconds on a loaded machine; a few without load
    again = import_accounts(path, invite=False)
    assert again.unchanged == 400 and Account.objects.count() == 400


def test_invitation_round_trip_and_one_use_only(tmp_path):
    path = write(tmp_path, HEADER + f"{SIRET_A};Institut Ligérien;contact@ilf-formation.fr;ilf\r\n")
    import_accounts(path, site="https://depot.exemple.fr")
    (message,) = mail.outbox
    assert "https://depot.exemple.fr/invitation/" in message.body
    assert "Votre identifiant : ilf" in message.body and "pour l'Institut Ligérien" in message.body
    client = Client()
    link = link_in(message)
    page = choose_password(client, link)
    assert "Compte « ilf » de l'Institut Ligérien (SIRET" in html.unescape(client.form_page)
    assert "Mot de passe enregistré" in page.content.decode()
    assert logs_in("ilf", PASSWORD)

    again = Client().get(link, follow=True)  # the password changed: the link is spent
    assert "Lien expiré ou déjà utilisé" in again.content.decode()


def test_an_invitation_expires_after_its_lifetime_not_a_reset_link(tmp_path, settings):
    create_account("agent", None, email="agent@carif-oref.fr", staff=True)
    (message,) = mail.outbox
    assert "compte du personnel du Carif-Oref" in message.body
    link = link_in(message)
    later = timezone.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 86400)
    with time_machine.travel(later):  # beyond a reset link's life, within an invitation's
        opened = Client().get(link)
        assert opened.status_code == 302  # still valid
    too_late = timezone.now() + dt.timedelta(seconds=settings.INVITATION_TIMEOUT + 86400)
    with time_machine.travel(too_late):
        page = Client().get(link, follow=True)
        assert "Lien expiré ou déjà utilisé" in page.content.decode(), page.redirect_chain
    # the reset token does not open an invitation's page, nor the reverse (salted apart)
    reset_like = link.replace("/invitation/", "/mot-de-passe/")
    assert "Lien expiré" in Client().get(reset_like, follow=True).content.decode()


def test_password_reset_round_trip_for_an_organisation_and_the_staff(org_a, staff):
    org_a.email = "contact@ilf-formation.fr"
    org_a.save()
    staff.email = "agent@carif-oref.fr"
    staff.save()
    client = Client()
    page = client.get("/connexion/")
    assert 'href="/mot-de-passe/oublie/"' in page.content.decode()
    for user, address in ((org_a, "Contact@ILF-formation.fr"), (staff, "agent@carif-oref.fr")):
        mail.outbox.clear()
        sent = client.post("/mot-de-passe/oublie/", {"email": address})
        assert sent.status_code == 302 and sent["Location"] == "/mot-de-passe/envoye/"
        (message,) = mail.outbox
        assert message.to == [user.email]
        assert message.subject == "Déposer son offre : choisir un nouveau mot de passe"
        assert f"Votre identifiant : {user.username}" in message.body
        new = "Un-autre-mot-2026!"
        choose_password(Client(), link_in(message), new)
        assert not logs_in(user.username, PASSWORD)
        assert logs_in(user.username, new)


def test_a_reset_for_an_unknown_address_says_the_same_and_sends_nothing():
    sent = Client().post("/mot-de-passe/oublie/", {"email": "personne@exemple.fr"})
    assert sent.status_code == 302 and sent["Location"] == "/mot-de-passe/envoye/"
    assert mail.outbox == []


def test_a_lost_invitation_is_replaced_by_a_reset(tmp_path):
    """An account that never chose its password (unusable) still gets a reset link: Django
    leaves such accounts out by default, this service keeps only local accounts."""
    create_account("ilf", None, siret=SIRET_A, name="Institut Ligérien", email="c@ilf.fr")
    mail.outbox.clear()
    Client().post("/mot-de-passe/oublie/", {"email": "c@ilf.fr"})
    (message,) = mail.outbox
    choose_password(Client(), link_in(message))
    assert logs_in("ilf", PASSWORD)


def test_the_admin_login_links_to_the_same_reset(staff):
    page = Client().get("/admin/login/")
    assert 'href="/admin/mot-de-passe-oublie/"' in page.content.decode()
    assert Client().get("/admin/mot-de-passe-oublie/")["Location"] == "/mot-de-passe/oublie/"


def test_an_unreachable_mail_server_is_said_and_the_accounts_stay(tmp_path, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 5
    settings.EMAIL_USE_TLS = False
    path = write(tmp_path, HEADER + f"{SIRET_A};Institut Ligérien;contact@ilf-formation.fr;\r\n")
    result = import_accounts(path)
    assert result.created == 1 and result.unsent is not None
    assert result.unsent.startswith("envoi des e-mails impossible (")
    assert "invitation envoyée" not in result.summary()
    assert Account.objects.filter(organisation__siret=SIRET_A).exists()
    # then, with --reinviter once the server is back, the invitation leaves
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    again = import_accounts(path, reinvite=True)
    assert again.unchanged == 1 and again.invitations == 1 and len(mail.outbox) == 1


def test_the_admin_invites_the_selected_accounts(org_a, staff):
    admin_user = get_user_model().objects.create_superuser("chef", "chef@carif-oref.fr", PASSWORD)
    org_a.email = "contact@ilf-formation.fr"
    org_a.save()  # staff has no e-mail: left aside, and said
    client = Client()
    client.force_login(admin_user)
    done = client.post(
        "/admin/auth/user/",
        {"action": "invite", "_selected_action": [org_a.pk, staff.pk]},
        follow=True,
    )
    assert "1 invitation envoyée ; 1 compte laissé de côté (sans e-mail, ou inactif)." in (
        done.content.decode()
    )
    (message,) = mail.outbox
    assert message.to == ["contact@ilf-formation.fr"]
    assert "http://testserver/invitation/" in message.body
    choose_password(Client(), link_in(message), "Nouveau-Depart-2026!")
    assert logs_in("ilf", "Nouveau-Depart-2026!")
