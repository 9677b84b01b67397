"""The project's addresses: the application's pages, the framework's admin, the error pages."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # the admin's login page links « Mot de passe oublié ? » when this name exists: the same
    # reset as everyone's
    path(
        "admin/mot-de-passe-oublie/",
        RedirectView.as_view(pattern_name="mot-de-passe-oublie"),
        name="admin_password_reset",
    ),
    path("admin/", admin.site.urls),
    path("", include("sofi_bulk.web.urls")),
]

handler400 = "sofi_bulk.web.views.bad_request"
handler403 = "sofi_bulk.web.views.permission_denied"
handler404 = "sofi_bulk.web.views.not_found"
handler500 = "sofi_bulk.web.views.server_error"
