"""The framework's admin: accounts, organisations and deposits (files read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from sofi_bulk.web.models import (
    Account,
    Deposit,
    DepositFile,
    DepositLot,
    Organisation,
    RegionReferentiel,
    WorkerProcess,
)

admin.site.site_header = "sofi-bulk : administration des dépôts"
admin.site.site_title = "sofi-bulk"


class AccountInline(admin.TabularInline):
    model = Account
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "siret", "created_at")
    search_fields = ("name", "siret")
    inlines = [AccountInline]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation")
    search_fields = ("user__username", "organisation__siret", "organisation__name")


class DepositLotInline(admin.TabularInline):
    model = DepositLot
    extra = 0
    can_delete = False
    readonly_fields = ("lot", "session_count")


class DepositFileInline(admin.TabularInline):
    model = DepositFile
    extra = 0
    can_delete = False
    fields = ("kind", "name", "size", "sha256")
    readonly_fields = fields


@admin.register(Deposit)
class DepositAdmin(admin.ModelAdmin):
    """Deposits are a record: read them here, never edit them."""

    list_display = ("receipt", "organisation", "created_at", "session_count", "username")
    list_filter = ("organisation", "lot_rows__lot")
    search_fields = ("receipt", "organisation__name", "organisation__siret")
    inlines = [DepositLotInline, DepositFileInline]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(WorkerProcess)
class WorkerProcessAdmin(admin.ModelAdmin):
    """The worker processes seen alive lately: what /sante counts (read-only)."""

    list_display = ("ident", "host", "pid", "started_at", "seen_at", "peak_kib")
    ordering = ("host", "pid")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(RegionReferentiel)
class RegionReferentielAdmin(admin.ModelAdmin):
    """The référentiels loaded (read-only: they are loaded and put in service from the staff's
    page « Référentiel »)."""

    list_display = ("name", "fingerprint", "loaded_at", "loaded_by", "in_service_since")
    fields = ("name", "fingerprint", "summary", "loaded_at", "loaded_by", "in_service_since")
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
