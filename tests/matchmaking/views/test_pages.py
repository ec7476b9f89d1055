"""HTML pages: content, permissions (foreign → 404, anonymous → sign in), no leaks."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from matchmaking import invitations
from matchmaking import services
from matchmaking.enums import MatchStatus
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.models import ApiToken
from matchmaking.models import Invitation
from matchmaking.models import Match
from matchmaking.models import Membership
from matchmaking.models import Need
from matchmaking.models import Programme
from tests.factories import MatchFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def main(response) -> str:
    """The page's main element (the header and footer carry CSRF tokens)."""
    body = response.content.decode()
    return body[body.index("<main") : body.index("</main>")]


# --- public pages -----------------------------------------------------------


def test_catalogue_lists_published_programmes_with_facet_counts(client, world):
    ProgrammeFactory(provider=world.provider_p, status=ProgrammeStatus.DRAFT)
    response = client.get(reverse("programme-list"))
    assert response.status_code == 200
    assert [p.ref for p in response.context["page"]] == ["prog-p", "prog-q"]
    topics = {
        o["value"]: o["count"]
        for f in response.context["facets"]
        if f.name == "topic"
        for o in f.options
    }
    assert topics == {"csirt-establishment": 1, "cybercrime-legislation": 1}
    assert "2 programmes" in text(response)


def test_catalogue_filters_by_facet_and_search(client, world):
    url = reverse("programme-list")
    response = client.get(url, {"topic": "cybercrime-legislation"})
    assert [p.ref for p in response.context["page"]] == ["prog-q"]
    # The facet being filtered keeps counting every option (OR within a facet).
    topic = next(f for f in response.context["facets"] if f.name == "topic")
    assert [(o["value"], o["count"], o["selected"]) for o in topic.options] == [
        ("csirt-establishment", 1, False),
        ("cybercrime-legislation", 1, True),
    ]
    response = client.get(url, {"q": "CSIRT launch"})
    found = [p.ref for p in response.context["page"]]
    if connection.vendor == "postgresql":
        # Full text: both words anywhere, the title holding them first (the
        # clinic's summary and description name a CSIRT and its launch).
        assert found == ["prog-p", "prog-q"]
    else:
        # The substring search: the words together, as typed.
        assert found == ["prog-p"]
    response = client.get(url, {"eligibility": "ldc"})
    assert list(response.context["page"]) == []
    assert "No programme matches these filters" in text(response)


def test_catalogue_answers_htmx_with_the_results_partial_only(client, world):
    response = client.get(
        reverse("programme-list"), {"q": "clinic"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body
    assert "Cybercrime legislation clinic" in body
    assert response["Vary"].count("HX-Request") == 1


def test_programme_and_provider_pages(client, world):
    response = client.get(reverse("programme-detail", args=["prog-p"]))
    assert response.status_code == 200
    assert "CSIRT launch programme" in text(response)
    assert "Edit this programme" not in text(response)
    response = client.get(reverse("provider-detail", args=["prov-q"]))
    assert [p.ref for p in response.context["page"]] == ["prog-q"]


def test_draft_programme_is_hidden_like_a_missing_one(client, world):
    draft = ProgrammeFactory(provider=world.provider_p, status=ProgrammeStatus.DRAFT)
    client.force_login(world.prov_q)
    hidden = client.get(reverse("programme-detail", args=[draft.ref]))
    missing = client.get(reverse("programme-detail", args=["prog-nope"]))
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert main(hidden) == main(missing)
    client.force_login(world.prov_p)
    assert client.get(reverse("programme-detail", args=[draft.ref])).status_code == 200


def test_needs_register_shows_only_what_the_viewer_may_see(client, world):
    NeedFactory(
        ref="need-registered",
        member_state=world.need_a.member_state,
        visibility=Visibility.REGISTERED,
    )
    NeedFactory(ref="need-draft", status=NeedStatus.DRAFT)
    refs = lambda r: sorted(n.ref for n in r.context["page"])  # noqa: E731
    response = client.get(reverse("need-list"))
    assert refs(response) == ["need-a"]
    assert response.context["page"].paginator.count == 1
    assert "Secret critical" not in text(response)
    # P is not verified yet: registered needs are for registered organisations.
    client.force_login(world.prov_p)
    assert refs(client.get(reverse("need-list"))) == ["need-a"]
    services.verify_provider(user=world.curator, provider=world.provider_p)
    assert refs(client.get(reverse("need-list"))) == ["need-a", "need-registered"]
    client.force_login(world.ms_b)
    assert refs(client.get(reverse("need-list"))) == [
        "need-a",
        "need-b-secret",
        "need-registered",
    ]


def test_confidential_need_is_404_for_foreign_users_and_visible_to_owner(client, world):
    url = reverse("need-detail", args=["need-b-secret"])
    missing = reverse("need-detail", args=["need-missing"])
    for user in (None, world.ms_a, world.prov_p, world.outsider):
        if user:
            client.force_login(user)
        hidden, gone = client.get(url), client.get(missing)
        assert (hidden.status_code, gone.status_code) == (404, 404)
        assert main(hidden) == main(gone)
    client.force_login(world.ms_b)
    response = client.get(url)
    assert response.status_code == 200
    assert "Secret critical infrastructure review" in text(response)


def test_public_need_page_shows_no_matches_to_outsiders(client, world):
    response = client.get(reverse("need-detail", args=["need-a"]))
    assert response.status_code == 200
    assert response.context["matches"] == []
    assert "Suggested programmes" not in text(response)
    client.force_login(world.prov_q)
    response = client.get(reverse("need-detail", args=["need-a"]))
    assert response.context["matches"] == []


# --- member state ----------------------------------------------------------


def test_state_sees_ranked_suggestions_with_reasons_and_actions(client, world):
    MatchFactory(need=world.need_a, programme=world.programme_q, score=0.4, rank=2)
    client.force_login(world.ms_a)
    response = client.get(reverse("need-detail", args=["need-a"]))
    rows = response.context["matches"]
    assert [r["match"].programme.ref for r in rows] == ["prog-p", "prog-q"]
    assert rows[0]["actions"] == ["express_interest"]
    assert rows[0]["can_decline"] is True
    assert rows[0]["components"] == [
        ("Shared topics", 90),
        ("Eligibility", 100),
        ("Language", 100),
        ("Text relevance", 42),
    ]
    body = text(response)
    assert "Both are about establishing a national CSIRT." in body
    assert "87%" in body
    assert [*rows[0]["actions"], "decline"] == services.allowed_match_actions(
        user=world.ms_a, match=world.match_a
    )


def test_state_expresses_interest_then_declines_with_reason(client, world):
    client.force_login(world.ms_a)
    url = reverse("match-action", args=[world.match_a.pk])
    response = client.post(url, {"action": "express_interest"}, follow=True)
    assert "You expressed interest in “CSIRT launch programme”" in text(response)
    world.match_a.refresh_from_db()
    world.need_a.refresh_from_db()
    assert world.match_a.status == MatchStatus.INTEREST
    assert world.need_a.status == NeedStatus.IN_DISCUSSION
    response = client.post(url, {"action": "decline", "reason": ""}, follow=True)
    assert "Say why the match is declined." in text(response)
    client.post(url, {"action": "decline", "reason": "Timing does not fit."})
    world.match_a.refresh_from_db()
    assert (world.match_a.status, world.match_a.decline_reason) == (
        MatchStatus.DECLINED,
        "Timing does not fit.",
    )


@pytest.mark.parametrize("status", list(MatchStatus))
def test_match_actions_for_pages_are_the_services_rules(world, status):
    Match.objects.filter(pk=world.match_a.pk).update(status=status)
    match = Match.objects.select_related("need", "programme").get(pk=world.match_a.pk)
    for user in (world.ms_a, world.ms_b, world.prov_p, world.curator):
        (row,) = services.match_actions(user=user, matches=[match])
        assert row.actions == services.allowed_match_actions(user=user, match=match)
        parties = services.match_parties(user=user, match=match)
        assert row.can_give_feedback == (
            status == MatchStatus.COMPLETED
            and bool(parties & {services.STATE, services.CURATOR})
        )


def test_match_action_answers_htmx_with_the_card(client, world):
    client.force_login(world.ms_a)
    response = client.post(
        reverse("match-action", args=[world.match_a.pk]),
        {"action": "express_interest"},
        headers={"HX-Request": "true"},
    )
    body = text(response)
    assert body.lstrip().startswith("<article")
    assert 'data-status="interest"' in body
    assert "You expressed interest" in body


def test_foreign_user_cannot_act_on_a_match(client, world):
    for user in (world.ms_b, world.prov_q, world.outsider):
        client.force_login(user)
        response = client.post(
            reverse("match-action", args=[world.match_a.pk]),
            {"action": "express_interest"},
        )
        assert response.status_code == 404
        assert (
            client.get(reverse("match-detail", args=[world.match_a.pk])).status_code
            == 404
        )
    world.match_a.refresh_from_db()
    assert world.match_a.status == MatchStatus.SUGGESTED


def test_state_dashboard_counts_needs_by_status(client, world):
    NeedFactory(member_state=world.need_a.member_state, status=NeedStatus.DRAFT)
    client.force_login(world.ms_a)
    response = client.get(reverse("state-dashboard"))
    counts = {v: n for v, _label, n in response.context["status_counts"]}
    assert (counts["open"], counts["draft"], response.context["total"]) == (1, 1, 2)
    assert "Secret critical" not in text(response)
    response = client.get(reverse("state-dashboard"), {"status": "draft"})
    assert [n.status for n in response.context["page"]] == ["draft"]


def test_state_posts_a_need_with_errors_beside_fields_then_publishes(client, world):
    client.force_login(world.ms_a)
    url = reverse("need-create")
    response = client.post(url, {"title": "", "publish": "1"})
    assert response.status_code == 400
    body = text(response)
    assert 'id="id_title_error"' in body
    assert 'aria-describedby="id_title_helptext id_title_error"' in body
    assert "There is a problem" in body
    response = client.post(
        url,
        {
            "member_state": world.need_a.member_state_id,
            "title": "Draft a cybercrime law",
            "topics": ["cybercrime-legislation"],
            "languages": ["fr", "en"],
            "visibility": "public",
            "priority": "high",
            "needed_by": "2027-06-30",
            "publish": "1",
        },
    )
    need = Need.objects.get(title="Draft a cybercrime law")
    assert response.status_code == 302
    assert response["Location"] == reverse("need-detail", args=[need.ref])
    assert (need.status, need.priority_id, str(need.needed_by)) == (
        NeedStatus.OPEN,
        "high",
        "2027-06-30",
    )
    assert sorted(need.languages.values_list("code", flat=True)) == ["en", "fr"]


def test_state_edits_its_need_but_not_another_states(client, world):
    client.force_login(world.ms_a)
    assert client.get(reverse("need-edit", args=["need-b-secret"])).status_code == 404
    client.force_login(world.ms_b)
    response = client.post(
        reverse("need-edit", args=["need-a"]),
        {"title": "Hijacked", "topics": ["awareness"], "languages": ["en"]},
    )
    assert response.status_code == 404
    world.need_a.refresh_from_db()
    assert world.need_a.title == "Establish a national CSIRT in Senegal"


def test_anonymous_is_sent_to_sign_in(client, world):
    for name, args in (
        ("state-dashboard", []),
        ("need-create", []),
        ("provider-dashboard", []),
        ("match-board", []),
        ("api-tokens", []),
        ("match-detail", [world.match_a.pk]),
    ):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")


# --- provider --------------------------------------------------------------


def test_provider_sees_interest_and_introduces(client, world):
    services.transition_match(
        user=world.ms_a, match=world.match_a, action="express_interest"
    )
    client.force_login(world.prov_p)
    response = client.get(reverse("provider-dashboard"))
    assert [m.pk for m in response.context["waiting"]] == [world.match_a.pk]
    assert [p.ref for p in response.context["page"]] == ["prog-p"]
    response = client.post(
        reverse("match-action", args=[world.match_a.pk]),
        {"action": "introduce"},
        follow=True,
    )
    assert "the match is now introduced" in text(response)
    world.match_a.refresh_from_db()
    assert world.match_a.status == MatchStatus.INTRODUCED


def test_provider_sees_matched_needs_within_what_it_may_see(client, world):
    MatchFactory(need=world.need_b_secret, programme=world.programme_p, rank=1)
    client.force_login(world.prov_p)
    response = client.get(reverse("programme-matches", args=["prog-p"]))
    assert [r["match"].need.ref for r in response.context["rows"]] == ["need-a"]
    assert "Secret critical" not in text(response)
    assert client.get(reverse("programme-matches", args=["prog-q"])).status_code == 404


def test_provider_registers_and_edits_a_programme(client, world):
    client.force_login(world.prov_p)
    response = client.post(
        reverse("programme-create"),
        {
            "provider": world.provider_p.pk,
            "title": "Forensics bootcamp",
            "topics": ["digital-forensics"],
            "languages": ["en"],
            "eligible_regions": ["002"],
            "ldc_only": "on",
            "cost_model": "free",
            "capacity": "4",
            "starts_on": "2027-02-01",
            "ends_on": "2027-01-01",
            "publish": "1",
        },
    )
    assert response.status_code == 400
    assert "A programme cannot end before it starts." in text(response)
    assert not Programme.objects.filter(title="Forensics bootcamp").exists()
    client.post(
        reverse("programme-create"),
        {
            "provider": world.provider_p.pk,
            "title": "Forensics bootcamp",
            "topics": ["digital-forensics"],
            "languages": ["en"],
            "eligible_regions": ["002"],
            "ldc_only": "on",
            "cost_model": "free",
            "capacity": "4",
            "publish": "1",
        },
    )
    programme = Programme.objects.get(title="Forensics bootcamp")
    assert (programme.status, programme.ldc_only, programme.capacity) == (
        ProgrammeStatus.PUBLISHED,
        True,
        4,
    )
    assert list(programme.eligible_regions.values_list("code", flat=True)) == ["002"]
    client.force_login(world.prov_q)
    assert (
        client.get(reverse("programme-edit", args=[programme.ref])).status_code == 404
    )


# --- curator ---------------------------------------------------------------


def test_curation_pages_are_404_for_everyone_else(client, world):
    for user in (world.ms_a, world.prov_p, world.outsider):
        client.force_login(user)
        for name in (
            "curator-review",
            "match-board",
            "invitation-list",
        ):
            assert client.get(reverse(name)).status_code == 404
        assert (
            client.post(reverse("provider-verify", args=["prov-p"])).status_code == 404
        )
    world.provider_p.refresh_from_db()
    assert world.provider_p.is_verified is False


def test_curator_verifies_a_provider_from_the_review_queue(client, world):
    client.force_login(world.curator)
    response = client.get(reverse("curator-review"))
    assert [p.ref for p in response.context["providers"]] == ["prov-p", "prov-q"]
    response = client.post(reverse("provider-verify", args=["prov-p"]), follow=True)
    assert "Provider P is now verified." in text(response)
    world.provider_p.refresh_from_db()
    assert world.provider_p.is_verified is True


def test_match_board_filters_and_lists_unmet_needs_first(client, world):
    client.force_login(world.curator)
    response = client.get(reverse("match-board"))
    assert [n.ref for n in response.context["unmet"]] == ["need-b-secret"]
    assert response.context["total"] == 2
    response = client.get(reverse("match-board"), {"status": "interest"})
    assert list(response.context["page"]) == []
    response = client.get(reverse("match-board"), {"region": "002"})
    assert sorted(m.need.ref for m in response.context["page"]) == [
        "need-a",
        "need-b-secret",
    ]
    response = client.get(reverse("match-board"), {"theme": "cybercrime"})
    assert [m.need.ref for m in response.context["page"]] == []


def test_curator_proposes_a_match_with_a_note(client, world):
    client.force_login(world.curator)
    url = reverse("match-propose", args=["need-b-secret"])
    response = client.get(url, {"q": "CSIRT"})
    assert [p.ref for p in response.context["page"]] == ["prog-p"]
    response = client.post(url, {"need": "need-b-secret", "programme": "prog-p"})
    assert response.status_code == 400
    client.post(
        url, {"need": "need-b-secret", "programme": "prog-p", "note": "Fits well."}
    )
    match = Match.objects.get(need=world.need_b_secret, programme=world.programme_p)
    assert (match.origin, match.note) == ("curator", "Fits well.")


def test_curators_count_every_need_on_the_gap_dashboard(client, world):
    client.force_login(world.curator)
    # The confidential need included: both needs are African.
    dashboard = client.get(reverse("gap-dashboard"))
    assert dashboard.context["curator_scope"] is True
    assert dashboard.context["heat"].cells["incident-management-cip"]["002"].needs == 2


def test_curator_invites_and_the_invitee_joins(client, world):
    client.force_login(world.curator)
    response = client.post(
        reverse("invitation-list"),
        {
            "email": "new@example.org",
            "state": world.need_a.member_state.country_id,
            "role": "focal_point",
        },
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 0  # sent on commit
    invitation = Invitation.objects.get()
    assert len(invitation.token_hash) == 64
    client.logout()
    assert client.get(reverse("invitation-accept", args=["wrong"])).status_code == 404


def test_invitation_link_creates_the_user_and_membership(client, world):
    _invitation, token = invitations.invite_user(
        user=world.curator,
        email="new@example.org",
        member_state=world.need_a.member_state,
        role="focal_point",
        accept_url=lambda t: f"https://example.org/invitations/{t}/",
    )
    url = reverse("invitation-accept", args=[token])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "username": "newbie",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("state-dashboard")
    membership = Membership.objects.get(user__username="newbie")
    assert membership.member_state_id == world.need_a.member_state_id
    assert client.get(url).status_code == 404


# --- account ---------------------------------------------------------------


def test_api_token_is_shown_once_and_can_be_revoked(client, world):
    client.force_login(world.ms_a)
    response = client.post(reverse("api-tokens"), {"name": "script", "scope": "read"})
    key = response.context["new_key"]
    assert key.startswith("cbm_")
    assert key in text(response)
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=world.ms_a)
    assert key not in text(client.get(reverse("api-tokens")))
    client.force_login(world.ms_b)
    response = client.post(reverse("api-token-revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    client.force_login(world.ms_a)
    client.post(reverse("api-token-revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_sign_in_page_is_ours_and_password_reset_mails(client, world):
    response = client.get(reverse("login"))
    assert "Forgotten your password?" in text(response)
    client.post(reverse("password_reset"), {"email": "ms_a@example.org"})
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/" in mail.outbox[0].body


def test_language_switcher_lists_only_translated_languages(
    client, world, settings, tmp_path
):
    # Only French is compiled here (whatever the state of locale/).
    from tests.matchmaking.i18n.catalogues import write_catalogue

    write_catalogue(tmp_path, "fr", [])
    settings.LOCALE_PATHS = [str(tmp_path)]
    body = text(client.get(reverse("home")))
    assert re.findall(r'<option value="([\w-]+)" lang=', body) == ["en", "fr"]


@pytest.mark.parametrize(
    ("name", "record", "user", "error"),
    [
        ("need-status", "need_a", "ms_a", "A need cannot go from Open to ."),
        ("programme-status", "programme_p", "prov_p", "A programme cannot go from "),
    ],
)
def test_a_status_post_without_a_status_changes_nothing_and_says_so(
    client, world, name, record, user, error
):
    obj = getattr(world, record)
    before = obj.status
    client.force_login(getattr(world, user))
    response = client.post(reverse(name, args=[obj.ref]), {}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1
    assert shown[0].startswith(error)
    assert shown[0].endswith(" to .")
    obj.refresh_from_db()
    assert obj.status == before
