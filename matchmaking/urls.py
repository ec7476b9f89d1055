"""Routes of the HTML pages (URL names are kebab-case), grouped by their prefix."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth import views as auth_views
from django.urls import include
from django.urls import path

from matchmaking.accounts import forms
from matchmaking.accounts import two_factor
from matchmaking.views import account
from matchmaking.views import catalogue
from matchmaking.views import conversations
from matchmaking.views import curation
from matchmaking.views import funding
from matchmaking.views import funnel
from matchmaking.views import gaps
from matchmaking.views import iati
from matchmaking.views import joining
from matchmaking.views import matches
from matchmaking.views import needs
from matchmaking.views import notifications
from matchmaking.views import opendata
from matchmaking.views import programmes
from matchmaking.views import records
from matchmaking.views import site
from matchmaking.views import translations
from matchmaking.views import webhooks


def record_pages(kind: str) -> list:
    """The pages a need and a programme both have, served by the same views:
    ``<kind>-edit``, ``-status``, ``-translations``, ``-translation-delete``."""
    extra = {"kind": kind}
    return [
        path("edit/", records.record_edit, extra, name=f"{kind}-edit"),
        path("status/", records.record_status, extra, name=f"{kind}-status"),
        path(
            "translations/",
            translations.record_translations,
            extra,
            name=f"{kind}-translations",
        ),
        path(
            "translations/<slug:language>/delete/",
            translations.record_translation_delete,
            extra,
            name=f"{kind}-translation-delete",
        ),
    ]


def record_routes(kind: str, list_view: Callable[..., Any], pages: list) -> list:
    """A need's or a programme's routes under ``<kind>s/``: ``<kind>-list``,
    ``<kind>-create`` (the view both share) and the record's ``pages``."""
    return [
        path(f"{kind}s/", list_view, name=f"{kind}-list"),
        path(
            f"{kind}s/new/",
            records.record_create,
            {"kind": kind},
            name=f"{kind}-create",
        ),
        path(f"{kind}s/<slug:ref>/", include(pages)),
    ]


notification_pages = [
    path("", notifications.notification_list, name="notification-list"),
    path("<int:pk>/", notifications.notification_open, name="notification-open"),
    path("read/", notifications.notification_read_all, name="notification-read-all"),
    path("badge/", notifications.notification_badge, name="notification-badge"),
    path(
        "settings/", notifications.notification_settings, name="notification-settings"
    ),
    path(
        "unsubscribe/<str:token>/",
        notifications.notification_unsubscribe,
        name="notification-unsubscribe",
    ),
]

programme_pages = [
    path("", catalogue.programme_detail, name="programme-detail"),
    *record_pages("programme"),
    path("funding/", funding.programme_funding, name="programme-funding"),
    path("matches/", programmes.programme_matches, name="programme-matches"),
]

need_pages = [
    path("", needs.need_detail, name="need-detail"),
    path("near-misses/", needs.need_near_misses, name="need-near-misses"),
    *record_pages("need"),
    path("propose/", curation.match_propose, name="match-propose"),
]

match_pages = [
    path("", matches.match_detail, name="match-detail"),
    path("act/", matches.match_action, name="match-action"),
    path("feedback/", matches.match_feedback, name="match-feedback"),
]

gap_pages = [
    path("", gaps.gap_dashboard, name="gap-dashboard"),
    path("advice/", gaps.gap_advice, name="gap-advice"),
    path("funnel/", funnel.funnel_page, name="gap-funnel"),
    path("funnel.csv", funnel.funnel_csv, name="gap-funnel-csv"),
    path("<slug:name>.csv", gaps.gap_csv, name="gap-csv"),
]

curator_pages = [
    path("", curation.curator_review, name="curator-review"),
    path(
        "providers/<slug:ref>/verify/",
        curation.provider_verify,
        name="provider-verify",
    ),
    path("matches/", curation.match_board, name="match-board"),
    path("iati-import/", iati.iati_import, name="iati-import"),
    path("allocation/", curation.allocation, name="allocation"),
    path("invitations/", curation.invitation_list, name="invitation-list"),
    path("join-requests/", joining.join_request_queue, name="join-request-queue"),
    path(
        "join-requests/<int:pk>/",
        joining.join_request_detail,
        name="join-request-detail",
    ),
    path(
        "join-requests/<int:pk>/letter.pdf",
        joining.join_request_letter,
        name="join-request-letter",
    ),
]

password_pages = [
    path(
        "change/",
        two_factor.PasswordChangeView.as_view(form_class=forms.GovukPasswordChangeForm),
        name="password_change",
    ),
    path(
        "change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "reset/",
        account.PasswordResetView.as_view(form_class=forms.LocalisedPasswordResetForm),
        name="password_reset",
    ),
    path(
        "reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=forms.GovukSetPasswordForm
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

account_pages = [
    path("email/", joining.email_change, name="email-change"),
    path(
        "email/<str:token>/", joining.email_change_confirm, name="email-change-confirm"
    ),
    path(
        "login/",
        two_factor.LoginView.as_view(authentication_form=forms.GovukAuthenticationForm),
        name="login",
    ),
    path("login/verify/", two_factor.login_verify, name="login-verify"),
    path("two-factor/", two_factor.two_factor, name="two-factor"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", include(password_pages)),
    path("profile/", account.profile, name="profile"),
    path("tokens/", account.api_tokens, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", account.api_token_revoke, name="api-token-revoke"),
    path("webhooks/", webhooks.webhook_list, name="webhook-list"),
    path("webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook-detail"),
    path("webhooks/<int:pk>/test/", webhooks.webhook_test, name="webhook-test"),
    path("webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook-delete"),
    path("saved-searches/", webhooks.saved_search_list, name="saved-search-list"),
    path(
        "saved-searches/new/",
        webhooks.saved_search_create,
        name="saved-search-create",
    ),
    path(
        "saved-searches/<int:pk>/delete/",
        webhooks.saved_search_delete,
        name="saved-search-delete",
    ),
]

urlpatterns = [
    path("", site.home, name="home"),
    path("notifications/", include(notification_pages)),
    # Public
    *record_routes("programme", catalogue.programme_list, programme_pages),
    path("providers/<slug:ref>/", catalogue.provider_detail, name="provider-detail"),
    *record_routes("need", needs.need_list, need_pages),
    path("matches/<int:pk>/", include(match_pages)),
    path("gaps/", include(gap_pages)),
    path("open-data/", opendata.open_data, name="open-data"),
    path(
        "open-data/<str:name>", opendata.open_data_download, name="open-data-download"
    ),
    path("matches/<int:pk>/messages/", matches.match_message, name="match-message"),
    path(
        "matches/<int:pk>/messages/<int:message_pk>/hide/",
        matches.match_message_hide,
        name="match-message-hide",
    ),
    # Conversations
    path("messages/", conversations.conversation_list, name="conversation-list"),
    path("messages/badge/", conversations.message_badge, name="message-badge"),
    # Dashboards
    path("my/needs/", needs.state_dashboard, name="state-dashboard"),
    path("my/programmes/", programmes.provider_dashboard, name="provider-dashboard"),
    path(
        "my/organisation/invitations/",
        joining.colleague_invitations,
        name="colleague-invitations",
    ),
    path("curation/", include(curator_pages)),
    # Joining
    path("join/", joining.join_request, name="join"),
    path("join/sent/", joining.join_sent, name="join-sent"),
    path("join/confirm/<str:token>/", joining.join_confirm, name="join-confirm"),
    path(
        "invitations/<str:token>/", account.invitation_accept, name="invitation-accept"
    ),
    path("accounts/", include(account_pages)),
]
