"""Routes of the HTML pages (URL names are kebab-case)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from matchmaking.accounts import forms, two_factor
from matchmaking.views import (
    account,
    catalogue,
    curation,
    funding,
    funnel,
    gaps,
    iati,
    joining,
    matches,
    needs,
    notifications,
    opendata,
    programmes,
    records,
    site,
    translations,
    webhooks,
)

urlpatterns = [
    path("", site.home, name="home"),
    # Notifications
    path("notifications/", notifications.notification_list, name="notification-list"),
    path(
        "notifications/<int:pk>/",
        notifications.notification_open,
        name="notification-open",
    ),
    path(
        "notifications/read/",
        notifications.notification_read_all,
        name="notification-read-all",
    ),
    path(
        "notifications/badge/",
        notifications.notification_badge,
        name="notification-badge",
    ),
    path(
        "notifications/settings/",
        notifications.notification_settings,
        name="notification-settings",
    ),
    path(
        "notifications/unsubscribe/<str:token>/",
        notifications.notification_unsubscribe,
        name="notification-unsubscribe",
    ),
    # Public
    path("programmes/", catalogue.programme_list, name="programme-list"),
    path(
        "programmes/new/",
        records.record_create,
        {"kind": "programme"},
        name="programme-create",
    ),
    path(
        "programmes/<slug:ref>/",
        catalogue.programme_detail,
        name="programme-detail",
    ),
    path(
        "programmes/<slug:ref>/edit/",
        records.record_edit,
        {"kind": "programme"},
        name="programme-edit",
    ),
    path(
        "programmes/<slug:ref>/translations/",
        translations.record_translations,
        {"kind": "programme"},
        name="programme-translations",
    ),
    path(
        "programmes/<slug:ref>/translations/<slug:language>/delete/",
        translations.record_translation_delete,
        {"kind": "programme"},
        name="programme-translation-delete",
    ),
    path(
        "programmes/<slug:ref>/funding/",
        funding.programme_funding,
        name="programme-funding",
    ),
    path(
        "programmes/<slug:ref>/status/",
        records.record_status,
        {"kind": "programme"},
        name="programme-status",
    ),
    path(
        "programmes/<slug:ref>/matches/",
        programmes.programme_matches,
        name="programme-matches",
    ),
    path("providers/<slug:ref>/", catalogue.provider_detail, name="provider-detail"),
    path("needs/", needs.need_list, name="need-list"),
    # Gap dashboard and open data
    path("gaps/", gaps.gap_dashboard, name="gap-dashboard"),
    path("gaps/advice/", gaps.gap_advice, name="gap-advice"),
    path("gaps/funnel/", funnel.funnel_page, name="gap-funnel"),
    path("gaps/funnel.csv", funnel.funnel_csv, name="gap-funnel-csv"),
    path("gaps/<slug:name>.csv", gaps.gap_csv, name="gap-csv"),
    path("open-data/", opendata.open_data, name="open-data"),
    path(
        "open-data/<str:name>",
        opendata.open_data_download,
        name="open-data-download",
    ),
    path("needs/new/", records.record_create, {"kind": "need"}, name="need-create"),
    path("needs/<slug:ref>/", needs.need_detail, name="need-detail"),
    path(
        "needs/<slug:ref>/near-misses/",
        needs.need_near_misses,
        name="need-near-misses",
    ),
    path(
        "needs/<slug:ref>/edit/",
        records.record_edit,
        {"kind": "need"},
        name="need-edit",
    ),
    path(
        "needs/<slug:ref>/translations/",
        translations.record_translations,
        {"kind": "need"},
        name="need-translations",
    ),
    path(
        "needs/<slug:ref>/translations/<slug:language>/delete/",
        translations.record_translation_delete,
        {"kind": "need"},
        name="need-translation-delete",
    ),
    path(
        "needs/<slug:ref>/status/",
        records.record_status,
        {"kind": "need"},
        name="need-status",
    ),
    path("needs/<slug:ref>/propose/", curation.match_propose, name="match-propose"),
    # Matches
    path("matches/<int:pk>/", matches.match_detail, name="match-detail"),
    path("matches/<int:pk>/act/", matches.match_action, name="match-action"),
    path(
        "matches/<int:pk>/feedback/",
        matches.match_feedback,
        name="match-feedback",
    ),
    # Dashboards
    path("my/needs/", needs.state_dashboard, name="state-dashboard"),
    path("my/programmes/", programmes.provider_dashboard, name="provider-dashboard"),
    # Curators
    path("curation/", curation.curator_review, name="curator-review"),
    path(
        "curation/providers/<slug:ref>/verify/",
        curation.provider_verify,
        name="provider-verify",
    ),
    path("curation/matches/", curation.match_board, name="match-board"),
    path("curation/iati-import/", iati.iati_import, name="iati-import"),
    path("curation/gaps/", curation.gap_overview, name="gap-overview"),
    path("curation/allocation/", curation.allocation, name="allocation"),
    path("curation/invitations/", curation.invitation_list, name="invitation-list"),
    path(
        "curation/join-requests/",
        joining.join_request_queue,
        name="join-request-queue",
    ),
    path(
        "curation/join-requests/<int:pk>/",
        joining.join_request_detail,
        name="join-request-detail",
    ),
    path(
        "curation/join-requests/<int:pk>/letter.pdf",
        joining.join_request_letter,
        name="join-request-letter",
    ),
    # Joining
    path("join/", joining.join_request, name="join"),
    path("join/sent/", joining.join_sent, name="join-sent"),
    path("join/confirm/<str:token>/", joining.join_confirm, name="join-confirm"),
    path(
        "my/organisation/invitations/",
        joining.colleague_invitations,
        name="colleague-invitations",
    ),
    path("accounts/email/", joining.email_change, name="email-change"),
    path(
        "accounts/email/<str:token>/",
        joining.email_change_confirm,
        name="email-change-confirm",
    ),
    path(
        "invitations/<str:token>/",
        account.invitation_accept,
        name="invitation-accept",
    ),
    # Accounts
    path(
        "accounts/login/",
        two_factor.LoginView.as_view(authentication_form=forms.GovukAuthenticationForm),
        name="login",
    ),
    path("accounts/login/verify/", two_factor.login_verify, name="login-verify"),
    path("accounts/two-factor/", two_factor.two_factor, name="two-factor"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        two_factor.PasswordChangeView.as_view(form_class=forms.GovukPasswordChangeForm),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        account.PasswordResetView.as_view(form_class=forms.LocalisedPasswordResetForm),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=forms.GovukSetPasswordForm
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/profile/", account.profile, name="profile"),
    path("accounts/tokens/", account.api_tokens, name="api-tokens"),
    path(
        "accounts/tokens/<int:pk>/revoke/",
        account.api_token_revoke,
        name="api-token-revoke",
    ),
    path("accounts/webhooks/", webhooks.webhook_list, name="webhook-list"),
    path("accounts/webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook-detail"),
    path(
        "accounts/webhooks/<int:pk>/test/", webhooks.webhook_test, name="webhook-test"
    ),
    path(
        "accounts/webhooks/<int:pk>/delete/",
        webhooks.webhook_delete,
        name="webhook-delete",
    ),
    path(
        "accounts/saved-searches/",
        webhooks.saved_search_list,
        name="saved-search-list",
    ),
    path(
        "accounts/saved-searches/new/",
        webhooks.saved_search_create,
        name="saved-search-create",
    ),
    path(
        "accounts/saved-searches/<int:pk>/delete/",
        webhooks.saved_search_delete,
        name="saved-search-delete",
    ),
]
