"""The application's addresses (French, as users see them)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from sofi_bulk.web import complement, pages, passwords, staff, views

urlpatterns = [
    path("", views.home, name="accueil"),
    path("sante", views.health, name="sante"),
    path("verifier", views.check_upload, name="verifier"),
    path("verification/<str:token>/", views.job_page, name="verification"),
    path("verification/<str:token>/etat", views.job_status, name="etat"),
    path("verification/<str:token>/relancer", views.job_retry, name="relancer"),
    path("verification/<str:token>/copie-annotee/", views.copy_page, name="copie"),
    path("verification/<str:token>/copie-annotee/etat", views.copy_status, name="etat-copie"),
    path("verification/<str:token>/copie-annotee.xlsx", views.annotated_copy, name="copie-annotee"),
    path("verification/<str:token>/deposer", views.deposit_confirm, name="deposer"),
    path(
        "verification/<str:token>/deposer-ce-classeur",
        views.deposit_checked,
        name="deposer-controle",
    ),
    path("modele/", views.template_page, name="modele"),
    path("modele/saisie.xlsx", views.template_download, name="modele-xlsx"),
    path("modele/referentiel.xlsx", views.referentiel_download, name="referentiel-xlsx"),
    path("complement/", complement.page, name="complement"),
    path("complement/derniere", complement.latest, name="complement-derniere"),
    path(
        "complement/sofi_bulk-<str:version>-py3-none-any.whl",
        complement.wheel_file,
        name="complement-roue",
    ),
    path("depots/", views.deposits, name="depots"),
    path("depots/nouveau", views.deposit_upload, name="nouveau-depot"),
    path("depots/reprendre", views.take_back, name="reprendre"),
    path("depots/<int:pk>/", views.deposit_detail, name="depot"),
    path("depots/<int:pk>/<str:kind>", views.deposit_file, name="fichier"),
    path("depots/lheo-fusionne.xml", views.merged_lheo, name="lheo-fusionne"),
    path("referentiel/", staff.referentiel_list, name="referentiels"),
    path("referentiel/<int:pk>/", staff.referentiel_detail, name="referentiel"),
    path(
        "referentiel/<int:pk>/mettre-en-service",
        staff.referentiel_activate,
        name="referentiel-en-service",
    ),
    path("referentiel/<int:pk>/fichier", staff.referentiel_file, name="referentiel-fichier"),
    path(
        "connexion/",
        auth_views.LoginView.as_view(template_name="web/connexion.html"),
        name="connexion",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="deconnexion"),
    path("mot-de-passe/oublie/", passwords.forgotten, name="mot-de-passe-oublie"),
    path("mot-de-passe/envoye/", passwords.sent, name="mot-de-passe-envoye"),
    path("mot-de-passe/enregistre/", passwords.changed, name="mot-de-passe-change"),
    path("mot-de-passe/<str:uidb64>/<str:token>/", passwords.choose, name="mot-de-passe-nouveau"),
    path("invitation/<str:uidb64>/<str:token>/", passwords.accept, name="invitation"),
    *(path(f"{slug}/", pages.page, {"slug": slug}, name=slug) for slug in pages.PAGES),
]
