"""The Django application of the web face."""

from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "sofi_bulk.web"
    label = "depot"
    verbose_name = "Dépôts de l'offre"
    default_auto_field = "django.db.models.BigAutoField"
