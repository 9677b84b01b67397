"""The framework's admin: accounts, organisations and deposits (files read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from sofi_bulk.core.text import plural
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


# --- users: Django's own admin, with an action sending invitations ----------------------------
_users: Any = get_user_model()
admin.site.unregister(_users)


@admin.register(_users)
class InvitingUserAdmin(UserAdmin):
    """Django's user admin; selected accounts with an e-mail can be (re)invited to choose
    their password, organisation and staff accounts alike (sofi_bulk.web.passwords)."""

    actions = ["invite"]

    @admin.action(description="Envoyer une invitation à choisir son mot de passe")
    def invite(self, request: Any, queryset: Any) -> None:
        from sofi_bulk.web.accounts import send_messages
        from sofi_bulk.web.passwords import invitation_message

        users = [u for u in queryset if u.email and u.is_active]
        site = request.build_absolute_uri("/").rstrip("/")
        failed = send_messages([invitation_message(u, site) for u in users])
        if failed:
            self.message_user(request, f"Aucune invitation envoyée : {failed}.", messages.ERROR)
            return
        skipped = len(queryset) - len(users)
        said = f"{plural(len(users), 'invitation envoyée', 'invitations envoyées')}"
        if skipped:
            left = "laissés" if skipped > 1 else "laissé"
            said += f" ; {plural(skipped, 'compte')} {left} de côté (sans e-mail, ou inactif)"
        self.message_user(request, said + ".", messages.SUCCESS)
