"""The authorization matrix: every (route, method) of the URL conf and who may call it.

T3 (tests/matchmaking/api/test_route_inventory.py) fails when a route or
method of the URL conf, or an operation of the OpenAPI schema, is missing here,
or when an entry here no longer exists. T4 calls every API operation as every
role and expects the cell's answer.

Roles (the cast of tests/matchmaking/api/conftest.py): ``anon``; ``ms_a`` and
``ms_b``, focal points of member states A and B; ``prov_p`` and ``prov_q``,
users of providers P and Q; ``curator``; ``read_token``, a read-only token of
``ms_a``.

A cell is ``OK`` (allowed: any answer but 401, 403, 404 or 405; with the
minimal payload that is often a 400 naming the missing fields) or the denial
code expected. Object routes are called on the objects of ``TARGETS`` in
tests/matchmaking/api/test_authz_matrix.py: things of state A and provider P,
public where the resource has a public form, so that B and Q show what a non-owner gets.

Web pages are listed by URL name with an access category (``WEB_ACCESS``
says what each category means per role); tokens never authenticate a page,
so ``read_token`` is ``anon`` there.
"""

from __future__ import annotations

ROLES = ("anon", "ms_a", "ms_b", "prov_p", "prov_q", "curator", "read_token")
OK = "ok"


def cells(default, **overrides) -> dict[str, object]:
    """A row of the matrix: ``default`` for every role unless overridden."""
    unknown = set(overrides) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")
    return {role: overrides.get(role, default) for role in ROLES}


# Shapes that recur.
PUBLIC = cells(OK)
SIGNED_IN = cells(OK, anon=401)
SIGNED_IN_WRITE = cells(OK, anon=401, read_token=403)
CURATORS_ONLY = cells(403, anon=401, curator=OK)
STATE_A_OR_CURATOR = cells(403, anon=401, ms_a=OK, curator=OK)
PROVIDER_P_OR_CURATOR = cells(403, anon=401, prov_p=OK, curator=OK)
PROVIDER_P_ONLY = cells(403, anon=401, prov_p=OK)
# A match of need A (state A) and programme P: B and Q may not even see it.
MATCH_PARTY = cells(404, anon=401, ms_a=OK, prov_p=OK, curator=OK, read_token=403)
# A meeting of state A with P's pitch.
MEETING_PARTY = MATCH_PARTY

# Something of ms_a's own (a token, a webhook, a saved search): others get 404.
OWN = cells(404, anon=401, ms_a=OK, read_token=OK)
OWN_WRITE = cells(404, anon=401, ms_a=OK, read_token=403)

# (OpenAPI path, method) -> (URL name, cells)
API: dict[tuple[str, str], tuple[str, dict[str, object]]] = {
    # reference data
    ("/api/v1/countries/", "GET"): ("api:country-list", PUBLIC),
    ("/api/v1/countries/{iso3}/", "GET"): ("api:country-detail", PUBLIC),
    ("/api/v1/regions/", "GET"): ("api:region-list", PUBLIC),
    ("/api/v1/regions/{code}/", "GET"): ("api:region-detail", PUBLIC),
    ("/api/v1/taxonomy/", "GET"): ("api:taxonomy-list", PUBLIC),
    # providers
    ("/api/v1/providers/", "GET"): ("api:provider-list", PUBLIC),
    # Everyone in the cast already acts for an organisation, but the curator.
    ("/api/v1/providers/", "POST"): (
        "api:provider-list",
        cells(403, anon=401, curator=OK),
    ),
    ("/api/v1/providers/{ref}/", "GET"): ("api:provider-detail", PUBLIC),
    ("/api/v1/providers/{ref}/", "PUT"): ("api:provider-detail", PROVIDER_P_OR_CURATOR),
    ("/api/v1/providers/{ref}/", "PATCH"): (
        "api:provider-detail",
        PROVIDER_P_OR_CURATOR,
    ),
    ("/api/v1/providers/{ref}/verify/", "POST"): ("api:provider-verify", CURATORS_ONLY),
    ("/api/v1/providers/{ref}/unverify/", "POST"): (
        "api:provider-unverify",
        CURATORS_ONLY,
    ),
    # needs (need A: public, of state A)
    ("/api/v1/needs/", "GET"): ("api:need-list", PUBLIC),
    ("/api/v1/needs/", "POST"): (
        "api:need-list",
        cells(403, anon=401, ms_a=OK, ms_b=OK, curator=OK),
    ),
    ("/api/v1/needs/{ref}/", "GET"): ("api:need-detail", PUBLIC),
    ("/api/v1/needs/{ref}/", "PUT"): ("api:need-detail", STATE_A_OR_CURATOR),
    ("/api/v1/needs/{ref}/", "PATCH"): ("api:need-detail", STATE_A_OR_CURATOR),
    ("/api/v1/needs/{ref}/status/", "POST"): ("api:need-status", STATE_A_OR_CURATOR),
    ("/api/v1/needs/{ref}/matches/", "GET"): ("api:need-matches", SIGNED_IN),
    ("/api/v1/needs/{ref}/near-misses/", "GET"): (
        "api:need-near-misses",
        cells(403, anon=401, ms_a=OK, curator=OK, read_token=OK),
    ),
    # programmes (programme P: published)
    ("/api/v1/programmes/", "GET"): ("api:programme-list", PUBLIC),
    ("/api/v1/programmes/", "POST"): (
        "api:programme-list",
        cells(403, anon=401, prov_p=OK, prov_q=OK, curator=OK),
    ),
    ("/api/v1/programmes/{ref}/", "GET"): ("api:programme-detail", PUBLIC),
    ("/api/v1/programmes/{ref}/", "PUT"): (
        "api:programme-detail",
        PROVIDER_P_OR_CURATOR,
    ),
    ("/api/v1/programmes/{ref}/", "PATCH"): (
        "api:programme-detail",
        PROVIDER_P_OR_CURATOR,
    ),
    ("/api/v1/programmes/{ref}/status/", "POST"): (
        "api:programme-status",
        PROVIDER_P_OR_CURATOR,
    ),
    ("/api/v1/programmes/{ref}/matches/", "GET"): ("api:programme-matches", SIGNED_IN),
    ("/api/v1/programmes/{ref}/advice/", "GET"): (
        "api:programme-advice",
        cells(403, anon=401, prov_p=OK, curator=OK),
    ),
    # funding of programme P; the IATI activity file
    ("/api/v1/programme-funding/{ref}/", "GET"): (
        "api:programme-funding-detail",
        PUBLIC,
    ),
    ("/api/v1/programme-funding/{ref}/", "PUT"): (
        "api:programme-funding-detail",
        PROVIDER_P_OR_CURATOR,
    ),
    ("/api/v1/iati/activities/", "GET"): ("api:iati-activities-list", PUBLIC),
    # commitments (one of provider P)
    ("/api/v1/commitments/", "GET"): ("api:commitment-list", PUBLIC),
    ("/api/v1/commitments/{ref}/", "GET"): ("api:commitment-detail", PUBLIC),
    ("/api/v1/commitments/{ref}/reports/", "GET"): (
        "api:commitment-reports",
        PUBLIC,
    ),
    ("/api/v1/commitments/{ref}/reports/", "POST"): (
        "api:commitment-reports",
        PROVIDER_P_OR_CURATOR,
    ),
    # matches (need A x programme P, suggested)
    ("/api/v1/matches/", "GET"): ("api:match-list", SIGNED_IN),
    ("/api/v1/matches/", "POST"): ("api:match-list", CURATORS_ONLY),
    ("/api/v1/matches/{id}/", "GET"): (
        "api:match-detail",
        {**MATCH_PARTY, "read_token": OK},
    ),
    ("/api/v1/matches/{id}/express-interest/", "POST"): (
        "api:match-express_interest",
        {**MATCH_PARTY, "prov_p": 403},
    ),
    ("/api/v1/matches/{id}/introduce/", "POST"): (
        "api:match-introduce",
        {**MATCH_PARTY, "ms_a": 403},
    ),
    ("/api/v1/matches/{id}/agree/", "POST"): ("api:match-agree", MATCH_PARTY),
    ("/api/v1/matches/{id}/start-delivery/", "POST"): (
        "api:match-start_delivery",
        {**MATCH_PARTY, "ms_a": 403},
    ),
    ("/api/v1/matches/{id}/complete/", "POST"): ("api:match-complete", MATCH_PARTY),
    ("/api/v1/matches/{id}/decline/", "POST"): ("api:match-decline", MATCH_PARTY),
    # requests to join (a pending one): curators decide, nobody else sees them
    ("/api/v1/join-requests/", "GET"): ("api:join-request-list", CURATORS_ONLY),
    ("/api/v1/join-requests/{id}/", "GET"): (
        "api:join-request-detail",
        CURATORS_ONLY,
    ),
    ("/api/v1/join-requests/{id}/verify/", "POST"): (
        "api:join-request-verify",
        CURATORS_ONLY,
    ),
    ("/api/v1/join-requests/{id}/reject/", "POST"): (
        "api:join-request-reject",
        CURATORS_ONLY,
    ),
    ("/api/v1/matches/{id}/contacts/", "GET"): (
        "api:match-contacts",
        {**MATCH_PARTY, "read_token": OK},
    ),
    # the match's conversation (a message of state A on it): parties write,
    # curators read and hide
    ("/api/v1/matches/{id}/messages/", "GET"): (
        "api:match-messages",
        {**MATCH_PARTY, "read_token": OK},
    ),
    ("/api/v1/matches/{id}/messages/", "POST"): (
        "api:match-messages",
        {**MATCH_PARTY, "curator": 403},
    ),
    ("/api/v1/matches/{id}/messages/read/", "POST"): (
        "api:match-messages-read",
        MATCH_PARTY,
    ),
    ("/api/v1/matches/{id}/messages/{message_id}/hide/", "POST"): (
        "api:match-messages-hide",
        {**MATCH_PARTY, "ms_a": 403, "prov_p": 403},
    ),
    # notifications (one of ms_a's): the user's own centre and settings
    ("/api/v1/notifications/", "GET"): ("api:notification-list", SIGNED_IN),
    ("/api/v1/notifications/{id}/", "GET"): (
        "api:notification-detail",
        cells(404, anon=401, ms_a=OK, read_token=OK),
    ),
    ("/api/v1/notifications/{id}/read/", "POST"): (
        "api:notification-read",
        cells(404, anon=401, ms_a=OK, read_token=403),
    ),
    ("/api/v1/notifications/read-all/", "POST"): (
        "api:notification-read-all",
        SIGNED_IN_WRITE,
    ),
    ("/api/v1/notifications/unread/", "GET"): ("api:notification-unread", SIGNED_IN),
    ("/api/v1/notification-settings/", "GET"): (
        "api:notification-settings",
        SIGNED_IN,
    ),
    ("/api/v1/notification-settings/", "POST"): (
        "api:notification-settings",
        SIGNED_IN_WRITE,
    ),
    # tokens (the read token of ms_a)
    ("/api/v1/tokens/", "GET"): ("api:token-list", SIGNED_IN),
    ("/api/v1/tokens/", "POST"): ("api:token-list", SIGNED_IN_WRITE),
    ("/api/v1/tokens/{id}/", "GET"): (
        "api:token-detail",
        cells(404, anon=401, ms_a=OK, read_token=OK),
    ),
    ("/api/v1/tokens/{id}/", "DELETE"): (
        "api:token-detail",
        cells(404, anon=401, ms_a=OK, read_token=403),
    ),
    # webhooks and saved searches (ms_a's own; the read token is ms_a's)
    ("/api/v1/webhooks/", "GET"): ("api:webhook-list", SIGNED_IN),
    ("/api/v1/webhooks/", "POST"): ("api:webhook-list", SIGNED_IN_WRITE),
    ("/api/v1/webhooks/{id}/", "GET"): ("api:webhook-detail", OWN),
    ("/api/v1/webhooks/{id}/", "PUT"): ("api:webhook-detail", OWN_WRITE),
    ("/api/v1/webhooks/{id}/", "PATCH"): ("api:webhook-detail", OWN_WRITE),
    ("/api/v1/webhooks/{id}/", "DELETE"): ("api:webhook-detail", OWN_WRITE),
    ("/api/v1/webhooks/{id}/deliveries/", "GET"): ("api:webhook-deliveries", OWN),
    ("/api/v1/webhooks/{id}/test/", "POST"): ("api:webhook-send-test", OWN_WRITE),
    ("/api/v1/saved-searches/", "GET"): ("api:saved-search-list", SIGNED_IN),
    ("/api/v1/saved-searches/", "POST"): ("api:saved-search-list", SIGNED_IN_WRITE),
    ("/api/v1/saved-searches/{id}/", "GET"): ("api:saved-search-detail", OWN),
    ("/api/v1/saved-searches/{id}/", "DELETE"): (
        "api:saved-search-detail",
        OWN_WRITE,
    ),
    # dataset and statistics
    ("/api/v1/dataset/export/", "GET"): ("api:dataset-export", PUBLIC),
    ("/api/v1/dataset/import/", "POST"): ("api:dataset-import", CURATORS_ONLY),
    ("/api/v1/export/programmes/", "GET"): ("api:export-programmes", PUBLIC),
    ("/api/v1/export/needs/", "GET"): ("api:export-needs", PUBLIC),
    ("/api/v1/export/matches/", "GET"): ("api:export-matches", SIGNED_IN),
    ("/api/v1/stats/gaps/", "GET"): ("api:gap-stats-list", PUBLIC),
    ("/api/v1/stats/coverage/", "GET"): ("api:stats-coverage-list", PUBLIC),
    ("/api/v1/stats/heatmap/", "GET"): ("api:stats-heatmap-list", PUBLIC),
    ("/api/v1/stats/funnel/", "GET"): ("api:stats-funnel-list", PUBLIC),
    ("/api/v1/stats/map/", "GET"): ("api:stats-map-list", PUBLIC),
    ("/api/v1/stats/providers/", "GET"): ("api:stats-providers-list", PUBLIC),
    ("/api/v1/stats/timeline/", "GET"): ("api:stats-timeline-list", PUBLIC),
    ("/api/v1/stats/unmet-needs/", "GET"): ("api:stats-unmet-needs-list", PUBLIC),
    # roundtable: events
    ("/api/v1/events/", "GET"): ("api:event-list", PUBLIC),
    ("/api/v1/events/{slug}/", "GET"): ("api:event-detail", PUBLIC),
    ("/api/v1/events/{slug}/agenda/", "GET"): ("api:event-agenda", PUBLIC),
    ("/api/v1/events/{slug}/review-queue/", "GET"): (
        "api:event-review-queue",
        CURATORS_ONLY,
    ),
    ("/api/v1/events/{slug}/release-decisions/", "POST"): (
        "api:event-release-decisions",
        CURATORS_ONLY,
    ),
    ("/api/v1/events/{slug}/generate-agenda/", "POST"): (
        "api:event-generate-agenda",
        CURATORS_ONLY,
    ),
    ("/api/v1/events/{slug}/publish-agenda/", "POST"): (
        "api:event-publish-agenda",
        CURATORS_ONLY,
    ),
    # sessions (a breakout whose published report ms_a wrote as rapporteur)
    ("/api/v1/sessions/", "GET"): ("api:session-list", PUBLIC),
    ("/api/v1/sessions/{id}/", "GET"): ("api:session-detail", PUBLIC),
    ("/api/v1/sessions/{id}/registration/", "POST"): (
        "api:session-registration",
        SIGNED_IN_WRITE,
    ),
    ("/api/v1/sessions/{id}/registration/", "DELETE"): (
        "api:session-registration",
        SIGNED_IN_WRITE,
    ),
    ("/api/v1/sessions/{id}/report/", "GET"): ("api:session-report", PUBLIC),
    ("/api/v1/sessions/{id}/report/", "PUT"): (
        "api:session-report",
        STATE_A_OR_CURATOR,
    ),
    ("/api/v1/sessions/{id}/report/publish/", "POST"): (
        "api:session-report-publish",
        STATE_A_OR_CURATOR,
    ),
    # pitches (P's accepted pitch, decisions released, with a deck; no agenda yet)
    ("/api/v1/pitches/", "GET"): ("api:pitch-list", PUBLIC),
    ("/api/v1/pitches/", "POST"): (
        "api:pitch-list",
        cells(403, anon=401, prov_p=OK, prov_q=OK),
    ),
    ("/api/v1/pitches/{id}/", "GET"): ("api:pitch-detail", PUBLIC),
    ("/api/v1/pitches/{id}/", "PATCH"): ("api:pitch-detail", PROVIDER_P_ONLY),
    ("/api/v1/pitches/{id}/slides/", "GET"): (
        "api:pitch-slides",
        cells(404, prov_p=OK, curator=OK),
    ),
    ("/api/v1/pitches/{id}/slides/", "PUT"): ("api:pitch-slides", PROVIDER_P_ONLY),
    ("/api/v1/pitches/{id}/submit/", "POST"): ("api:pitch-submit", PROVIDER_P_ONLY),
    ("/api/v1/pitches/{id}/withdraw/", "POST"): ("api:pitch-withdraw", PROVIDER_P_ONLY),
    ("/api/v1/pitches/{id}/confirm/", "POST"): ("api:pitch-confirm", PROVIDER_P_ONLY),
    ("/api/v1/pitches/{id}/start-review/", "POST"): (
        "api:pitch-start-review",
        CURATORS_ONLY,
    ),
    ("/api/v1/pitches/{id}/accept/", "POST"): ("api:pitch-accept", CURATORS_ONLY),
    ("/api/v1/pitches/{id}/reject/", "POST"): ("api:pitch-reject", CURATORS_ONLY),
    ("/api/v1/pitches/{id}/mark-presented/", "POST"): (
        "api:pitch-mark-presented",
        CURATORS_ONLY,
    ),
    ("/api/v1/pitches/{id}/reviews/", "GET"): ("api:pitch-reviews", CURATORS_ONLY),
    ("/api/v1/pitches/{id}/reviews/", "POST"): ("api:pitch-reviews", CURATORS_ONLY),
    # meetings (state A asked P's presenter)
    ("/api/v1/meetings/", "GET"): ("api:meeting-list", SIGNED_IN),
    ("/api/v1/meetings/", "POST"): (
        "api:meeting-list",
        cells(403, anon=401, ms_a=OK, ms_b=OK),
    ),
    ("/api/v1/meetings/schedule/", "GET"): ("api:meeting-schedule", SIGNED_IN),
    ("/api/v1/meetings/{id}/", "GET"): (
        "api:meeting-detail",
        {**MEETING_PARTY, "read_token": OK},
    ),
    ("/api/v1/meetings/{id}/accept/", "POST"): (
        "api:meeting-accept",
        {**MEETING_PARTY, "ms_a": 403, "curator": 403},
    ),
    ("/api/v1/meetings/{id}/decline/", "POST"): (
        "api:meeting-decline",
        {**MEETING_PARTY, "ms_a": 403, "curator": 403},
    ),
    ("/api/v1/meetings/{id}/cancel/", "POST"): ("api:meeting-cancel", MEETING_PARTY),
}

# API routes outside the OpenAPI schema (the schema itself, its docs, the
# router's index and the JSON 404 for anything else under /api/v1/).
API_EXTRA: dict[tuple[str, str], dict[str, object]] = {
    ("api:schema", "GET"): PUBLIC,
    ("api:docs", "GET"): PUBLIC,
    ("api:api-root", "GET"): PUBLIC,
    ("api:not-found", "GET"): cells(404),
    ("api:not-found", "POST"): cells(404),
}

# --- web pages ----------------------------------------------------------------------

LOGIN = "login"  # redirected to the sign-in page
WEB_ACCESS: dict[str, dict[str, object]] = {
    # Anyone; what is shown goes through the selectors.
    "public": cells(OK),
    # Anyone, about an object: 404 when the selectors hide it from the viewer.
    "visible": cells(OK),
    # Any signed-in user (what is shown is the user's own).
    "signed-in": cells(OK, anon=LOGIN, read_token=LOGIN),
    # Curators; 404 for everyone else signed in.
    "curator": cells(404, anon=LOGIN, read_token=LOGIN, curator=OK),
    # Member-state users (and curators where the page allows them).
    "member-state": cells(404, anon=LOGIN, read_token=LOGIN, ms_a=OK, ms_b=OK),
    # Programme managers of a verified provider (P; Q is not verified).
    "provider-manager": cells(404, anon=LOGIN, read_token=LOGIN, prov_p=OK),
    # Provider users.
    "provider": cells(404, anon=LOGIN, read_token=LOGIN, prov_p=OK, prov_q=OK),
    # The owner of the object (its state or provider) or a curator; 404 otherwise.
    "owner": cells(404, anon=LOGIN, read_token=LOGIN, curator=OK),
    # The parties of a match or meeting (and curators); 404 otherwise.
    "party": cells(404, anon=LOGIN, read_token=LOGIN, curator=OK),
    # Account flows open before signing in (sign-in, password reset, invitation).
    "account": cells(OK),
    # Django's admin: staff only (the admin's own sign-in page otherwise).
    "staff": cells(LOGIN, curator=LOGIN),
}

# URL name -> (methods it answers, access category). A function view without a
# method restriction answers GET and POST alike, so both are listed.
WEB_PAGES: dict[str, tuple[tuple[str, ...], str]] = {
    "home": (("GET", "POST"), "public"),
    "health": (("GET",), "public"),
    "set_language": (("POST",), "public"),
    "programme-list": (("GET", "POST"), "public"),
    "programme-detail": (("GET", "POST"), "visible"),
    "programme-create": (("GET", "POST"), "provider"),
    "programme-edit": (("GET", "POST"), "owner"),
    "programme-status": (("POST",), "owner"),
    "programme-translations": (("GET", "POST"), "owner"),
    "programme-translation-delete": (("POST",), "owner"),
    "programme-matches": (("GET", "POST"), "owner"),
    "programme-funding": (("GET", "POST"), "owner"),
    "iati-import": (("GET", "POST"), "curator"),
    "commitment-list": (("GET", "POST"), "public"),
    "commitment-create": (("GET", "POST"), "provider"),
    "commitment-detail": (("GET", "POST"), "visible"),
    "commitment-state": (("POST",), "owner"),
    "coordination": (("GET", "POST"), "public"),
    "provider-detail": (("GET", "POST"), "visible"),
    "provider-dashboard": (("GET", "POST"), "signed-in"),
    "provider-verify": (("POST",), "curator"),
    "need-list": (("GET", "POST"), "public"),
    "need-detail": (("GET", "POST"), "visible"),
    "need-near-misses": (("GET", "POST"), "owner"),
    "need-create": (("GET", "POST"), "member-state"),
    "need-edit": (("GET", "POST"), "owner"),
    "need-status": (("POST",), "owner"),
    "need-translations": (("GET", "POST"), "owner"),
    "need-translation-delete": (("POST",), "owner"),
    "match-detail": (("GET", "POST"), "party"),
    "match-action": (("POST",), "party"),
    "match-feedback": (("POST",), "party"),
    "match-message": (("POST",), "party"),
    "match-message-hide": (("POST",), "curator"),
    "conversation-list": (("GET", "POST"), "signed-in"),
    "message-badge": (("GET", "POST"), "signed-in"),
    "match-propose": (("GET", "POST"), "curator"),
    "match-board": (("GET", "POST"), "curator"),
    "state-dashboard": (("GET", "POST"), "signed-in"),
    "curator-review": (("GET", "POST"), "curator"),
    "allocation": (("GET", "POST"), "curator"),
    "invitation-list": (("GET", "POST"), "curator"),
    "invitation-accept": (("GET", "POST"), "account"),
    "join": (("GET", "POST"), "account"),
    "join-sent": (("GET", "POST"), "account"),
    "join-confirm": (("GET", "POST"), "account"),
    "join-request-queue": (("GET", "POST"), "curator"),
    "join-request-detail": (("GET", "POST"), "curator"),
    "join-request-letter": (("GET", "POST"), "curator"),
    "colleague-invitations": (("GET", "POST"), "provider-manager"),
    "email-change": (("GET", "POST"), "signed-in"),
    "email-change-confirm": (("GET", "POST"), "signed-in"),
    "gap-dashboard": (("GET",), "public"),
    "gap-advice": (("GET",), "public"),
    "gap-funnel": (("GET",), "public"),
    "gap-funnel-csv": (("GET",), "public"),
    "gap-csv": (("GET",), "public"),
    "open-data": (("GET",), "public"),
    "open-data-download": (("GET",), "public"),
    "login": (("GET", "POST", "PUT"), "account"),
    "login-verify": (("GET", "POST"), "account"),
    "logout": (("POST",), "signed-in"),
    "two-factor": (("GET", "POST"), "signed-in"),
    "password_change": (("GET", "POST", "PUT"), "signed-in"),
    "password_change_done": (("GET",), "signed-in"),
    "password_reset": (("GET", "POST", "PUT"), "account"),
    "password_reset_done": (("GET",), "account"),
    "password_reset_confirm": (("GET", "POST", "PUT"), "account"),
    "password_reset_complete": (("GET",), "account"),
    "profile": (("GET", "POST"), "signed-in"),
    "api-tokens": (("GET", "POST"), "signed-in"),
    "api-token-revoke": (("POST",), "signed-in"),
    "webhook-list": (("GET", "POST"), "signed-in"),
    "webhook-detail": (("GET", "POST"), "signed-in"),
    "webhook-test": (("POST",), "signed-in"),
    "webhook-delete": (("POST",), "signed-in"),
    "saved-search-list": (("GET", "POST"), "signed-in"),
    "saved-search-create": (("GET", "POST"), "signed-in"),
    "saved-search-delete": (("POST",), "signed-in"),
    "notification-list": (("GET", "POST"), "signed-in"),
    "notification-open": (("GET", "POST"), "signed-in"),
    "notification-read-all": (("POST",), "signed-in"),
    "notification-badge": (("GET", "POST"), "signed-in"),
    "notification-settings": (("GET", "POST"), "signed-in"),
    "notification-unsubscribe": (("GET", "POST"), "account"),
    "roundtable-home": (("GET", "POST"), "public"),
    "event-agenda": (("GET", "POST"), "public"),
    "event-print": (("GET", "POST"), "public"),
    "event-json": (("GET", "POST"), "public"),
    "event-ics": (("GET", "POST"), "public"),
    "session-ics": (("GET", "POST"), "public"),
    "event-versions": (("GET", "POST"), "public"),
    "event-manage": (("POST",), "curator"),
    "review-queue": (("GET", "POST"), "curator"),
    "pitches-for-you": (("GET", "POST"), "member-state"),
    "my-pitches": (("GET", "POST"), "provider"),
    "pitch-create": (("GET", "POST"), "provider"),
    "pitch-detail": (("GET", "POST"), "visible"),
    "pitch-edit": (("GET", "POST"), "owner"),
    "pitch-translations": (("GET", "POST"), "owner"),
    "pitch-translation-delete": (("POST",), "owner"),
    "pitch-deck": (("GET", "POST"), "visible"),
    "pitch-action": (("POST",), "owner"),
    "pitch-review": (("POST",), "curator"),
    "meeting-request": (("POST",), "member-state"),
    "meeting-list": (("GET", "POST"), "signed-in"),
    "meeting-ics": (("GET", "POST"), "signed-in"),
    "meeting-action": (("POST",), "party"),
    "breakout-registration": (("POST",), "signed-in"),
    "session-report": (("GET", "POST"), "visible"),
    "session-report-edit": (("GET", "POST"), "owner"),
    "admin-login-redirect": (("GET", "POST", "PUT", "PATCH", "DELETE"), "staff"),
}
WEB: dict[tuple[str, str], str] = {
    (name, method): category
    for name, (methods, category) in WEB_PAGES.items()
    for method in methods
}

# Route families generated by a framework and guarded as a whole: every route
# whose key starts with one of these is covered by the category given.
WEB_FAMILIES: dict[str, str] = {
    "admin:": "staff",  # every ModelAdmin view goes through admin_site.admin_view
    "admin/": "staff",  # the admin's redirects to a change page (same guard)
}

# --- who may change what: accounts, tokens, organisations, verification ------------
#
# The rules of matchmaking/accounts/policy.py (docs/operations.md),
# one row per action, called through the admin, the pages and the API as each
# role by tests/matchmaking/api/test_authz_matrix.py. The cast adds ``superuser``; the
# curator is staff here (the admin is for staff). A cell is ``OK`` (done), a
# denial code, ``LOGIN`` (sent to sign in: the admin is for staff only) or
# ``UNCHANGED`` (the request is accepted but the protected data stays as it
# was: a read-only field, or an action that skips what the actor may not touch).

ACCOUNT_ROLES = (*ROLES, "superuser")
UNCHANGED = "unchanged"


def account_cells(default, **overrides) -> dict[str, object]:
    """A row of the account table: ``default`` for every role unless overridden."""
    unknown = set(overrides) - set(ACCOUNT_ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")
    return {role: overrides.get(role, default) for role in ACCOUNT_ROLES}


ADMIN_STAFF = account_cells(LOGIN, curator=OK, superuser=OK)
ACCOUNTS: dict[str, dict[str, object]] = {
    # Accounts (target: ms_b, a plain account, unless the row says otherwise).
    "admin: set a plain account's password": account_cells(
        LOGIN, curator=403, superuser=OK
    ),
    "admin: set a superuser's password": account_cells(
        LOGIN, curator=403, superuser=OK
    ),
    "admin: rename or deactivate a plain account": ADMIN_STAFF,
    "admin: change a plain account's e-mail": account_cells(
        LOGIN, curator=UNCHANGED, superuser=OK
    ),
    "admin: make a plain account curator, staff or superuser": account_cells(
        LOGIN, curator=UNCHANGED, superuser=OK
    ),
    "admin: change another curator's account": account_cells(
        LOGIN, curator=403, superuser=OK
    ),
    "admin: change a superuser's account": account_cells(
        LOGIN, curator=403, superuser=OK
    ),
    "admin: add an account": account_cells(LOGIN, curator=403, superuser=OK),
    # API tokens (target: ms_a's read token).
    "admin: add a token": account_cells(LOGIN, curator=403, superuser=403),
    "admin: reassign a token": account_cells(LOGIN, curator=403, superuser=403),
    "admin: un-revoke a revoked token": account_cells(
        LOGIN, curator=403, superuser=403
    ),
    "admin: revoke a plain account's token": ADMIN_STAFF,
    "admin: revoke a superuser's token": account_cells(
        LOGIN, curator=UNCHANGED, superuser=OK
    ),
    "api: revoke ms_a's token": cells(404, anon=401, ms_a=OK, read_token=403)
    | {"superuser": 404},
    "page: revoke ms_a's token": account_cells(
        404, anon=LOGIN, read_token=LOGIN, ms_a=OK
    ),
    # Organisations and verification (target: provider Q, unverified).
    "api: register a provider": account_cells(403, anon=401, curator=OK, superuser=OK),
    "api: edit provider Q's profile": account_cells(
        403, anon=401, prov_q=OK, curator=OK, superuser=OK
    ),
    "api: verify provider Q": account_cells(403, anon=401, curator=OK, superuser=OK),
    "page: verify provider Q": account_cells(
        404, anon=LOGIN, read_token=LOGIN, curator=OK, superuser=OK
    ),
    "admin: verify provider Q by its form": account_cells(
        LOGIN, curator=UNCHANGED, superuser=UNCHANGED
    ),
    "admin: verify provider Q by the action": ADMIN_STAFF,
    "page: invite someone": account_cells(
        404, anon=LOGIN, read_token=LOGIN, curator=OK, superuser=OK
    ),
    # An invitation to state B sent to ms_a's address: only ms_a (or a new
    # account, which an anonymous visitor creates) may accept it.
    "page: accept an invitation sent to ms_a": account_cells(
        403, anon=OK, read_token=OK, ms_a=OK
    ),
    # What verification opens: a need of state B for registered users.
    "api: read a registered need": account_cells(OK, anon=404, prov_q=404),
}
