"""The forms of signing in and of the account's secrets: sign-in, the two-factor
code, password change and reset. A new password revokes the user's API tokens.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.signals import user_login_failed
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from matchmaking.accounts import throttle
from matchmaking.accounts import tokens
from matchmaking.audit import client_ip
from matchmaking.govuk_forms import GovukFormMixin
from matchmaking.i18n import supported


class CodeForm(GovukFormMixin, forms.Form):
    """A six-digit code from the authenticator app."""

    token = forms.RegexField(
        label=gettext_lazy("Security code"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        help_text=gettext_lazy("The 6-digit code your authenticator app shows now."),
        error_messages={
            "invalid": gettext_lazy("Enter the 6 digits the app shows."),
            "required": gettext_lazy("Enter the security code."),
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "govuk-input govuk-input--width-5",
            }
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class DisableForm(CodeForm):
    """Turning two-factor off needs the password and a current code."""

    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ("password", "token")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Your password was entered incorrectly."))
        return password


class LocalisedPasswordResetForm(GovukFormMixin, PasswordResetForm):
    """Django's reset form, mailing each user in their profile language.

    When ``deferred_mail`` is a list, the mails (rendering and sending) are
    queued there for the caller to send later instead of now.
    """

    deferred_mail: list[Callable[[], None]] | None = None

    def save(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        """Mail the link, unless this address or client asked too often.

        The throttle runs before the account lookup, the same for known and
        unknown addresses; the page that follows is the same either way.
        """
        client = client_ip(request) if request is not None else ""
        if not throttle.allow_reset_mail(
            email=self.cleaned_data["email"], client=client
        ):
            return
        super().save(*args, request=request, **kwargs)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        language = supported(getattr(context.get("user"), "language", "")) or (
            translation.get_language()
        )
        send = functools.partial(
            self._send_in,
            language,
            subject_template_name,
            email_template_name,
            context,
            from_email,
            to_email,
            html_email_template_name,
        )
        if self.deferred_mail is None:
            send()
        else:
            self.deferred_mail.append(send)

    def _send_in(self, language: str, *args: Any) -> None:
        with translation.override(language):
            super().send_mail(*args)


class GovukSetPasswordForm(GovukFormMixin, SetPasswordForm):
    """Django's new-password form (after a reset link) with GOV.UK inputs.

    A new password revokes the user's API tokens, as it ends their sessions.
    A reset proves the mailbox: the account's sign-in throttle starts afresh.
    """

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        if commit:
            tokens.revoke_all_tokens(user=user, reason="password_reset")
        throttle.clear(username=user.get_username())
        return user


class GovukPasswordChangeForm(GovukFormMixin, PasswordChangeForm):
    """Django's password change form with GOV.UK inputs (revokes API tokens).

    A wrong current password is a failed sign-in: it counts towards the
    lockout and the account's throttle, and is logged, like one at sign-in.
    """

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        try:
            return super().clean_old_password()
        except forms.ValidationError:
            user_login_failed.send(
                sender=__name__,
                credentials={"username": self.user.get_username()},
                request=self.request,
            )
            raise

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        if commit:
            tokens.revoke_all_tokens(user=user, reason="password_change")
        return user


class GovukAuthenticationForm(GovukFormMixin, AuthenticationForm):
    """Django's sign-in form with GOV.UK inputs (and their focus style)."""
