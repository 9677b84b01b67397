"""Choosing one's password by e-mail: an invitation (a new account chooses its first password)
and a reset (« Mot de passe oublié ? »), for organisations and staff alike. Django's own
forms, views and signed tokens do the work; this module only gives them French pages, an
invitation's longer lifetime and the e-mail that carries it, and bounds the reset e-mails
(``sofi_bulk.web.limits``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode


class InvitationTokens(PasswordResetTokenGenerator):
    """Django's reset token (an HMAC of the account's password hash and last login, so that a
    link works once), salted apart from reset links and valid ``INVITATION_TIMEOUT`` instead
    of ``PASSWORD_RESET_TIMEOUT``: an invitation sent to a whole region may wait a few weeks."""

    key_salt = "sofi_bulk.web.passwords.InvitationTokens"

    def check_token(self, user: Any, token: str | None) -> bool:
        if not (user and token):
            return False
        try:
            stamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, stamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - stamp <= settings.INVITATION_TIMEOUT


invitation_tokens = InvitationTokens()


def _same_address(a: str, b: str) -> bool:
    return (
        unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()
    )


class ResetForm(PasswordResetForm):
    """Django's form, which also reaches an account whose invitation was never used (no
    password yet): every account here is local, so « Mot de passe oublié ? » is how a lost or
    expired invitation is replaced."""

    @staticmethod
    def accounts(email: str) -> QuerySet[Any]:
        """The active accounts whose address may be ``email`` (the database's case-insensitive
        match; ``get_users`` keeps the exact ones)."""
        model: Any = get_user_model()
        return model._default_manager.filter(email__iexact=email, is_active=True)

    def get_users(self, email: str) -> Iterator[Any]:
        return (user for user in self.accounts(email) if _same_address(user.email, email))


def days(seconds: int) -> int:
    return max(1, seconds // 86400)


def site_address(site: str | None) -> str:
    """The service's address for links sent from the command line (no request to read it
    from): ``--site``, else SOFI_WEB_SITE, else https:// and the first public name, else the
    local trial's."""
    site = (site or settings.SITE_URL or "").strip().rstrip("/")
    if site:
        return site
    if settings.PUBLIC_NAMES:
        return f"https://{settings.PUBLIC_NAMES[0]}"
    return "http://127.0.0.1:8000"


def invitation_message(user: Any, site: str) -> EmailMessage:
    """The e-mail inviting ``user`` to choose a password, its link valid once and for
    ``INVITATION_TIMEOUT``."""
    account = getattr(user, "account", None)
    link = reverse(
        "invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )
    context = {
        "user": user,
        "organisation": account.organisation if account is not None else None,
        "link": site + link,
        "login": site + reverse("connexion"),
        "forgotten": site + reverse("mot-de-passe-oublie"),
        "days": days(settings.INVITATION_TIMEOUT),
    }
    subject = " ".join(render_to_string("web/courriels/invitation-objet.txt", context).split())
    body = render_to_string("web/courriels/invitation.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


class ForgottenView(auth_views.PasswordResetView):
    """Django's view, bounded: too many requests from one client address get the 429 page;
    beyond the e-mails an address may receive, nothing is sent but the page is the same."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from sofi_bulk.web.limits import reset_refusal

        refused = reset_refusal(request)
        if refused is not None:
            return refused
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        from sofi_bulk.web.limits import may_send_reset

        email = form.cleaned_data["email"]
        if may_send_reset(self.request, email, form.accounts(email)):
            # the link's address: the service's public one, not the Host a client sent
            from sofi_bulk.web.complement import public_origin

            scheme, _, host = public_origin(self.request).partition("://")
            given: dict[str, Any] = getattr(self, "extra_email_context", None) or {}
            self.extra_email_context = {**given, "protocol": scheme, "domain": host}
            return super().form_valid(form)  # sends, then goes to the « envoyé » page
        return HttpResponseRedirect(self.get_success_url())


# --- the pages (Django's views, French templates) ---------------------------------------------
forgotten = ForgottenView.as_view(
    form_class=ResetForm,
    template_name="web/mot-de-passe-oublie.html",
    email_template_name="web/courriels/reinitialisation.txt",
    subject_template_name="web/courriels/reinitialisation-objet.txt",
    success_url=reverse_lazy("mot-de-passe-envoye"),
    extra_email_context={"days": days(settings.PASSWORD_RESET_TIMEOUT)},
)
sent = auth_views.PasswordResetDoneView.as_view(template_name="web/mot-de-passe-envoye.html")
choose = auth_views.PasswordResetConfirmView.as_view(
    template_name="web/mot-de-passe-nouveau.html",
    success_url=reverse_lazy("mot-de-passe-change"),
    extra_context={"invitation": False},
)
changed = auth_views.PasswordResetCompleteView.as_view(template_name="web/mot-de-passe-change.html")
accept = auth_views.PasswordResetConfirmView.as_view(
    token_generator=invitation_tokens,
    template_name="web/mot-de-passe-nouveau.html",
    success_url=reverse_lazy("mot-de-passe-change"),
    extra_context={"invitation": True},
)
