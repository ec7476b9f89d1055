"""The demo: demo.json itself and what ``manage.py load_demo`` builds from it."""

import datetime as dt
import io
import itertools
import re
from base64 import b32decode
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from matchmaking import selectors
from matchmaking.accounts import policy
from matchmaking.dataset.checks import validate_dataset
from matchmaking.dataset.demo import AWAITING_INTRODUCTION
from matchmaking.dataset.demo import DEMO_CURATOR_TOTP_KEY
from matchmaking.dataset.demo import DEMO_RATES
from matchmaking.dataset.demo import DEMO_USERS
from matchmaking.dataset.demo import VERIFIED_PROVIDERS
from matchmaking.dataset.demo import read_demo_data
from matchmaking.enums import MatchStatus
from matchmaking.models import BudgetLine
from matchmaking.models import CoordinationCell
from matchmaking.models import ExchangeRate
from matchmaking.models import Match
from matchmaking.models import Membership
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import ProgrammeFunding
from matchmaking.models import Provider
from matchmaking.models import Theme
from matchmaking.models import Topic
from matchmaking.models import User
from matchmaking.reference import load_countries
from matchmaking.reference import load_taxonomy
from matchmaking.reference import topic_themes
from roundtable.models import CallForPitches
from roundtable.models import Commitment
from roundtable.models import Event
from roundtable.models import Pitch
from roundtable.models import Session
from roundtable.models import TimeSlot
from tests.paths import ROOT
from tests.shared_data import made_once_for_the_module

NEW_YORK = ZoneInfo("America/New_York")
M49_REGIONS = ["002", "009", "019", "142", "150"]


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module's tests (tests/shared_data.py)."""
    with made_once_for_the_module(django_db_blocker):
        yield load_demo()


@pytest.fixture
def demo(_demo_loaded, db, fast_hashing):
    return _demo_loaded


# --- demo.json ----------------------------------------------------------------


def test_demo_json_is_a_valid_dataset(db):
    assert validate_dataset(data=read_demo_data()) == []


def test_demo_json_sizes_and_stakeholder_groups():
    data = read_demo_data()
    groups = [p["stakeholder_group"] for p in data["providers"]]
    assert (len(data["providers"]), len(data["programmes"]), len(data["needs"])) == (
        32,
        66,
        46,
    )
    assert {g: groups.count(g) for g in sorted(set(groups))} == {
        "academia": 4,
        "civil-society": 4,
        "government": 7,
        "intergovernmental": 7,
        "private-sector": 5,
        "technical-community": 5,
    }


def test_demo_programmes_cover_every_theme_and_topic():
    data = read_demo_data()
    topics = {t for p in data["programmes"] for t in p["topics"]}
    assert topics == set(topic_themes())
    assert {topic_themes()[t] for t in topics} == {
        theme["slug"] for theme in load_taxonomy()["themes"]
    }


def test_demo_programmes_mix_eligibility_cost_and_dates():
    programmes = read_demo_data()["programmes"]
    eligibility = [p["eligibility"] for p in programmes]
    assert sum(not e["regions"] and not e["countries"] for e in eligibility) == 24
    assert sum(bool(e["countries"]) for e in eligibility) == 8
    assert sum(e["ldc_only"] for e in eligibility) == 2
    assert sum(e["sids_only"] for e in eligibility) == 6
    assert sorted({p["cost_model"] for p in programmes}) == [
        "cost-shared",
        "fee",
        "free",
    ]
    assert sorted(p["ref"] for p in programmes if p["ends_on"] < "2026-01-01") == [
        "nordic-cert-twinning-pilot",
        "pccp-cable-resilience-pilot",
        "tcjp-first-responders",
        "wican-girls-bootcamps",
    ]


def test_demo_needs_come_from_un_members_in_every_region():
    countries = load_countries()
    needs = read_demo_data()["needs"]
    assert all(countries[n["country"]].is_un_member for n in needs)
    assert sorted({countries[n["country"]].region for n in needs}) == M49_REGIONS
    assert sum(countries[n["country"]].is_ldc for n in needs) == 22
    assert sum(countries[n["country"]].is_sids for n in needs) == 19


def test_demo_needs_mix_visibility_priority_and_language():
    needs = read_demo_data()["needs"]
    visibility = [n["visibility"] for n in needs]
    assert (
        visibility.count("public"),
        visibility.count("registered"),
        visibility.count("confidential"),
    ) == (31, 8, 7)
    assert sorted({n["priority"] for n in needs}) == ["high", "low", "medium"]
    assert {"en", "fr", "es", "ar", "ru", "pt"} <= {
        lang for n in needs for lang in n["languages"]
    }
    assert all(n["needed_by"] >= "2026-12-01" for n in needs)


def test_demo_has_needs_no_programme_speaks_the_language_of():
    data = read_demo_data()
    spoken = {lang for p in data["programmes"] for lang in p["languages"]}
    assert sorted(
        n["ref"] for n in data["needs"] if not set(n["languages"]) & spoken
    ) == ["hti-sensibilisation-kreyol", "wsm-village-online-safety"]


def _funders(programme: dict) -> list[str]:
    return [
        p.get("provider") or p["name"]
        for p in programme["funding"]["participants"]
        if p["role"] == "funding"
    ]


def test_demo_funding_tells_a_coherent_story():
    data = read_demo_data()
    funded = {p["ref"]: p for p in data["programmes"] if "funding" in p}
    assert len(funded) == 33  # of 66: the others state none
    currencies = {p["funding"]["currency"] for p in funded.values()}
    assert currencies == {"AUD", "CHF", "EUR", "GBP", "JPY", "USD"}
    # Every currency but the dollar has a demo rate (else no USD figure).
    assert {currency for currency, _day, _rate in DEMO_RATES} == currencies - {"USD"}
    for ref, programme in funded.items():
        funding = programme["funding"]
        roles = {p["role"] for p in funding["participants"]}
        assert {"funding", "implementing"} <= roles, ref
        lines = funding.get("budget_lines", [])
        if lines:
            assert sum(Decimal(line["amount"]) for line in lines) == Decimal(
                funding["total_budget"]
            ), ref
            assert programme["starts_on"] <= lines[0]["period_start"], ref
            assert lines[-1]["period_end"] <= programme["ends_on"], ref
            for line, after in itertools.pairwise(lines):
                following = dt.date.fromisoformat(line["period_end"]) + dt.timedelta(1)
                assert after["period_start"] == following.isoformat(), ref
    assert sum("budget_lines" in p["funding"] for p in funded.values()) == 20
    assert sum("cost_per_participant" in p["funding"] for p in funded.values()) == 12
    # State agencies fund their own programmes.
    government = {
        p["ref"] for p in data["providers"] if p["stakeholder_group"] == "government"
    }
    for ref, programme in funded.items():
        if programme["provider"] in government:
            assert programme["provider"] in _funders(programme), ref
    # The Facility funds small programmes of others for LDCs and SIDS.
    assert sorted(
        ref
        for ref, p in funded.items()
        if p["provider"] != "gccf" and "gccf" in _funders(p)
    ) == [
        "iacrp-caribbean-csirt",
        "meridian-threat-feed-ldc",
        "pidsf-cyber-safe-communities",
        "safenet-village-champions",
        "ussc-pacific-curriculum",
    ]
    assert sorted(ref for ref, p in funded.items() if len(_funders(p)) == 2) == [
        "adtc-dpa-peer-learning",
        "gccf-ldc-grants",
        "gccf-sids-window",
        "iacrp-caribbean-csirt",
        "meridian-threat-feed-ldc",
        "wican-girls-bootcamps",
    ]
    # Funders and partners outside the registry are named, and fictional too.
    named = {
        p["name"]
        for programme in funded.values()
        for p in programme["funding"]["participants"]
        if "name" in p
    }
    assert named == {
        "Harbourlight Foundation",
        "Institut Lumière de formation judiciaire",
        "Lakeside Peace Foundation",
        "Mekong Digital Defence Institute",
        "Nordic CERT Mentors Network",
        "Northbridge Cyber Security Fund",
    }


# --- load_demo ------------------------------------------------------------------


def test_load_demo_imports_the_dataset_and_prints_the_logins(demo):
    assert demo.splitlines()[0] == (
        "providers: 32 created, 0 updated, 0 unchanged; "
        "programmes: 66 created, 0 updated, 0 unchanged; "
        "needs: 46 created, 0 updated, 0 unchanged"
    )
    for user in DEMO_USERS:
        assert f"  {user.username}" in demo
        assert user.password in demo
    assert (Provider.objects.count(), Programme.objects.count()) == (32, 66)
    assert (Need.objects.count(), MemberState.objects.count()) == (46, 41)


def test_load_demo_creates_one_user_per_role(demo):
    users = User.objects.order_by("username").values_list(
        "username", "is_curator", "is_staff", "is_superuser"
    )
    assert list(users) == [
        ("curator", True, True, False),
        ("focal", False, False, False),
        ("focal2", False, False, False),
        ("provider", False, False, False),
        ("provider2", False, False, False),
    ]
    memberships = Membership.objects.order_by("user__username").values_list(
        "user__username", "member_state__country_id", "provider__ref", "role"
    )
    assert list(memberships) == [
        ("focal", "GMB", None, "focal_point"),
        ("focal2", "BRB", None, "focal_point"),
        ("provider", None, "nordic-ccp", "manager"),
        ("provider2", None, "kestrel", "manager"),
    ]


def test_demo_passwords_log_in_and_satisfy_the_validators(demo):
    for spec in DEMO_USERS:
        user = User.objects.get(username=spec.username)
        assert user.check_password(spec.password)
        validate_password(spec.password, user)


def test_the_demo_curator_signs_in_with_the_documented_authenticator_key(demo, client):
    """Two-factor is required for curators; the README gives the demo's key."""
    curator = next(spec for spec in DEMO_USERS if spec.is_curator)
    assert DEMO_CURATOR_TOTP_KEY in demo
    assert DEMO_CURATOR_TOTP_KEY in (ROOT / "README.md").read_text(encoding="utf-8")
    step = client.post(
        "/accounts/login/?next=/curation/",
        {"username": curator.username, "password": curator.password},
    )
    assert step["Location"] == "/accounts/login/verify/"
    totp = TOTP(b32decode(DEMO_CURATOR_TOTP_KEY))
    code = client.post("/accounts/login/verify/", {"token": f"{totp.token():06d}"})
    assert code["Location"] == "/curation/"
    assert client.get("/curation/").status_code == 200
    # Loading again keeps the one device (and so a changed one).
    load_demo()
    assert TOTPDevice.objects.filter(user__username="curator").count() == 1


def test_demo_curator_may_change_everything_in_the_admin(demo):
    curator = User.objects.get(username="curator")
    assert curator.has_perm("matchmaking.change_need")
    assert curator.has_perm("matchmaking.change_provider")
    assert curator.has_perm("roundtable.change_pitch")
    assert not User.objects.get(username="focal").has_perm("matchmaking.change_need")


def test_demo_curators_group_holds_only_the_allow_list(demo):
    # Issue 14, finding 1: the review ran on the demo, whose group gave the
    # curator every permission of the app (users and tokens) via ModelBackend.
    group = Group.objects.get(name="Curators")
    held = sorted(group.permissions.values_list("content_type__app_label", "codename"))
    assert held == policy.curator_permission_lookups()
    curator = User.objects.get(username="curator")
    for perm in (
        "matchmaking.add_user",
        "matchmaking.delete_user",
        "matchmaking.change_apitoken",
        "matchmaking.add_apitoken",
        "matchmaking.add_invitation",
    ):
        assert not curator.has_perm(perm), perm


def test_load_demo_gives_the_demo_users_their_records(demo):
    assert sorted(
        Need.objects.filter(owner__username="focal").values_list("ref", flat=True)
    ) == [
        "gmb-cybercrime-bill",
        "gmb-national-csirt",
        "gmb-utility-control-systems",
        "gmb-youth-cyber-skills",
    ]
    assert sorted(
        Programme.objects.filter(owner__username="provider2").values_list(
            "ref", flat=True
        )
    ) == ["kestrel-cloud-skills", "kestrel-gov-cloud", "kestrel-small-business-kit"]


def test_load_demo_verifies_some_providers(demo):
    verified = Provider.objects.filter(is_verified=True)
    assert sorted(verified.values_list("ref", flat=True)) == sorted(VERIFIED_PROVIDERS)
    assert not verified.filter(verified_at__isnull=True).exists()
    assert set(verified.values_list("verified_by__username", flat=True)) == {"curator"}


def test_load_demo_shares_a_confidential_need_with_the_demo_provider(demo):
    need = Need.objects.get(ref="gmb-utility-control-systems")
    assert need.visibility == "confidential"
    assert list(need.shared_with.values_list("ref", flat=True)) == ["nordic-ccp"]
    confidential = Need.objects.filter(visibility="confidential")
    assert sorted(confidential.values_list("ref", flat=True)) == [
        "brb-financial-sector-resilience",
        "fji-power-airport-security",
        "gmb-utility-control-systems",
        "guy-election-infrastructure",
        "mda-national-cyber-exercise",
        "som-cert-threat-intel",
        "yem-health-data-protection",
    ]
    seen_by = {
        username: sorted(
            selectors.needs_visible_to(user=User.objects.get(username=username))
            .filter(visibility="confidential")
            .values_list("ref", flat=True)
        )
        for username in ("focal", "focal2", "provider", "provider2")
    }
    assert seen_by == {
        "focal": ["gmb-utility-control-systems"],
        "focal2": ["brb-financial-sector-resilience"],
        "provider": ["gmb-utility-control-systems"],
        "provider2": [],
    }


def test_load_demo_covers_every_theme_topic_and_region(demo):
    programmes = Programme.objects.all()
    assert Topic.objects.exclude(pk__in=programmes.values("topics")).count() == 0
    assert Theme.objects.exclude(pk__in=programmes.values("topics__theme")).count() == 0
    regions = Need.objects.values_list("member_state__country__region_id", flat=True)
    assert sorted(set(regions)) == M49_REGIONS


def test_load_demo_builds_the_roundtable_event(demo):
    event = Event.objects.get(slug="global-roundtable-2027")
    assert (event.slug, event.venue, event.timezone) == (
        "global-roundtable-2027",
        "United Nations Headquarters, New York",
        "America/New_York",
    )
    assert (event.starts_on, event.ends_on) == (
        dt.date(2027, 5, 10),
        dt.date(2027, 5, 11),
    )
    agenda = [
        (s.kind, s.title, s.starts_at.astimezone(NEW_YORK).strftime("%d %H:%M"))
        for s in Session.objects.filter(event=event).order_by("starts_at", "title")
    ]
    assert agenda == [
        ("opening", "Opening plenary", "10 10:00"),
        ("matchmaking", "Matchmaking session: provider elevator pitches", "10 10:45"),
        ("breakout", "ICT policies and governance structures", "10 15:00"),
        ("breakout", "Technology, talent and partnerships", "10 15:00"),
        ("bilateral", "Bilateral matchmaking meetings", "11 10:00"),
        ("closing", "Closing plenary", "11 15:00"),
    ]
    breakouts = Session.objects.filter(kind="breakout").order_by("title")
    assert list(breakouts.values_list("track", "room", "capacity")) == [
        ("Breakout I", "Conference Room 11", 80),
        ("Breakout II", "Conference Room 12", 80),
    ]


def test_matchmaking_session_has_24_three_minute_pitch_slots_inside_it(demo):
    session = Session.objects.get(title__startswith="Matchmaking session")
    slots = list(session.slots.order_by("starts_at"))
    assert len(slots) == 24
    assert {slot.kind for slot in slots} == {"pitch"}
    assert {slot.ends_at - slot.starts_at for slot in slots} == {
        dt.timedelta(minutes=3)
    }
    assert {b.starts_at - a.ends_at for a, b in itertools.pairwise(slots)} == {
        dt.timedelta(minutes=1)
    }
    assert session.starts_at < slots[0].starts_at
    assert slots[-1].ends_at <= session.ends_at
    for slot in slots:
        slot.full_clean()
    assert TimeSlot.objects.filter(kind="pitch").count() == 24


def test_bilateral_session_has_meeting_slots_at_six_tables(demo):
    session = Session.objects.get(title="Bilateral matchmaking meetings")
    slots = session.slots.all()
    assert slots.count() == 36
    assert set(slots.values_list("kind", flat=True)) == {"meeting"}
    assert sorted(set(slots.values_list("location", flat=True))) == [
        f"Table {n}" for n in range(1, 7)
    ]
    assert not slots.filter(starts_at__lt=session.starts_at).exists()
    assert not slots.filter(ends_at__gt=session.ends_at).exists()


def test_load_demo_adds_pitches_linked_to_the_providers_programmes(demo):
    pitches = Pitch.objects.order_by("event__slug", "provider__ref")
    assert [(p.event.slug, p.provider.ref, p.state) for p in pitches] == [
        ("africa-roundtable-2027", "orbis", "submitted"),
        ("global-roundtable-2027", "gcmc", "rejected"),
        ("global-roundtable-2027", "irna", "in_review"),
        ("global-roundtable-2027", "kestrel", "accepted"),
        ("global-roundtable-2027", "nordic-ccp", "in_review"),
        ("global-roundtable-2027", "pidsf", "accepted"),
        ("global-roundtable-2027", "tcjp", "accepted"),
        ("global-roundtable-2027", "wican", "accepted"),
    ]
    for pitch in pitches:
        assert pitch.slide_count == 3
        assert set(pitch.programmes.values_list("provider_id", flat=True)) == {
            pitch.provider_id
        }
    # Nothing is scheduled before the decisions are released.
    assert not TimeSlot.objects.filter(pitch__isnull=False).exists()
    assert Pitch.objects.get(provider__ref="nordic-ccp").presenter.username == (
        "provider"
    )


def test_the_demo_has_a_closed_call_to_curate_and_an_open_one(demo):
    now = dt.datetime.now(tz=NEW_YORK)
    closed = CallForPitches.objects.get(event__slug="global-roundtable-2027")
    assert closed.closes_at < now
    assert closed.decisions_released_at is None
    opened = CallForPitches.objects.get(event__slug="africa-roundtable-2027")
    assert opened.is_open_at(now)


def _snapshot() -> dict:
    from django.contrib.auth.models import Group

    models = [
        User,
        Group,
        Membership,
        MemberState,
        Provider,
        Programme,
        Need,
        Event,
        Session,
        TimeSlot,
        Pitch,
    ]
    return {
        "counts": {m.__name__: m.objects.count() for m in models},
        "updated": {
            m.__name__: sorted(m.objects.values_list("pk", "updated_at"))
            for m in (
                Provider,
                Programme,
                Need,
                Membership,
                MemberState,
                Event,
                Pitch,
                ProgrammeFunding,
                ExchangeRate,
            )
        },
        "funding": (
            sorted(ParticipatingOrganisation.objects.values_list("pk", "programme_id")),
            sorted(BudgetLine.objects.values_list("pk", "amount_usd")),
            sorted(ProgrammeFunding.objects.values_list("pk", "total_budget_usd")),
            sorted(
                CoordinationCell.objects.values_list(
                    "funder", "region", "theme", "split", "programmes", "cents"
                )
            ),
        ),
        "passwords": sorted(User.objects.values_list("username", "password")),
        "slots": sorted(
            TimeSlot.objects.values_list("pk", "starts_at", "ends_at", "pitch_id")
        ),
        "sessions": sorted(Session.objects.values_list("pk", "starts_at", "ends_at")),
        "shared": sorted(Need.shared_with.through.objects.values_list("pk")),
        "verified": sorted(Provider.objects.values_list("pk", "verified_at")),
    }


def test_load_demo_holds_commitments_the_public_pages_show(demo, client):
    rows = sorted(
        (c.provider.ref, c.state, c.share_delivered, c.for_ldcs, c.reports.count())
        for c in Commitment.objects.filter(event__slug="global-roundtable-2027")
    )
    assert rows == [
        ("kestrel", "in_progress", 30, False, 1),
        ("nordic-ccp", "in_progress", 50, True, 1),
        ("tcjp", "announced", 0, True, 0),
    ]
    nordic = Commitment.objects.get(provider__ref="nordic-ccp")
    assert sorted(nordic.countries.values_list("iso3", flat=True)) == ["NPL", "SEN"]
    assert nordic.pitch.provider.ref == "nordic-ccp"
    page = client.get("/roundtable/commitments/").content.decode()
    assert "National CSIRTs for Senegal and Nepal by 2028" in page
    view = client.get("/roundtable/coordination/").content.decode()
    assert '<dd class="govuk-summary-list__value">3</dd>' in view
    load_demo()
    assert Commitment.objects.count() == 3


def _table_rows(html: str, marker: str) -> list[list[str]]:
    """The rows of the page's table marked ``marker``, as cell texts."""
    table = html[html.index(marker) :]
    table = table[: table.index("</table>")]
    return [
        [
            re.sub(r"<[^>]+>", "", cell)
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
        ]
        for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', table)
    ]


def test_the_demo_coordination_page_shows_who_funds_what_in_us_dollars(demo, client):
    html = client.get("/roundtable/coordination/").content.decode()

    # A co-funded programme counts half for each funder; euros, yen, Australian
    # dollars, pounds and francs at the demo's rates.
    assert _table_rows(html, "data-by-funder") == [
        ["Organisation", "Programmes", "USD"],
        ["Nordic Cyber Capacity Partnership", "3.5", "4,767,600"],
        ["Pacific Cyber Cooperation Programme", "3.5", "3,796,800"],
        ["Global Cyber Capacity Facility", "5.0", "3,145,000"],
        ["Transnational Cybercrime Justice Programme", "3.0", "3,118,400"],
        ["Agence française de coopération numérique et cyber", "2.5", "2,479,200"],
        ["Japan Cyber Cooperation Agency", "2.0", "2,211,000"],
        ["Kestrel Cloud", "1.5", "2,080,000"],
        ["Inter-American Cyber Resilience Programme", "1.5", "1,370,000"],
        ["Northbridge Cyber Security Fund", "1.0", "812,800"],
        ["African Digital Trust Commission", "1.5", "710,000"],
        ["Tallinn Centre for Digital Governance Security", "1.0", "583,200"],
        ["Lakeside Peace Foundation", "2.0", "565,000"],
        ["Centre marocain de coopération en cybersécurité", "1.0", "540,000"],
        ["Centro Brasileiro de Capacitação Cibernética", "1.0", "522,000"],
        ["Harbourlight Foundation", "2.5", "380,000"],
        ["Meridian Security Labs", "0.5", "200,000"],
        ["Not stated", "33.0", "0"],
    ]
    assert _table_rows(html, "data-by-year") == [
        ["2022", "USD 208,000"],
        ["2023", "USD 527,200"],
        ["2024", "USD 692,600"],
        ["2025", "USD 363,200"],
        ["2026", "USD 7,186,600"],
        ["2027", "USD 7,114,300"],
        ["2028", "USD 4,661,300"],
    ]
    assert "data-no-budget-lines" not in html


def test_the_catalogue_finds_a_demo_funders_programmes(demo, client):
    def listed(funder: str, **more: str) -> list[str]:
        html = client.get("/programmes/", {"funder": funder, **more}).content.decode()
        return sorted(set(re.findall(r'href="/programmes/([a-z0-9-]+)/"', html)))

    assert listed("Global Cyber Capacity") == [
        "gccf-ldc-grants",
        "gccf-sids-window",
        "iacrp-caribbean-csirt",
        "meridian-threat-feed-ldc",
        "pidsf-cyber-safe-communities",
        "safenet-village-champions",
        "ussc-pacific-curriculum",
    ]
    # A funder that is not a registered provider, by part of its name; its
    # programme that ended in 2024 when ended ones are asked for.
    assert listed("harbourlight") == ["rldd-linea-ayuda", "wican-cybersisters"]
    assert listed("harbourlight", ended="1") == [
        "rldd-linea-ayuda",
        "wican-cybersisters",
        "wican-girls-bootcamps",
    ]


def test_running_load_demo_twice_changes_nothing(demo):
    before = _snapshot()
    second = load_demo()
    assert _snapshot() == before
    assert second.splitlines()[0] == (
        "providers: 0 created, 0 updated, 32 unchanged; "
        "programmes: 0 created, 0 updated, 66 unchanged; "
        "needs: 0 created, 0 updated, 46 unchanged"
    )


def test_load_demo_adds_the_demo_exchange_rates_and_keeps_a_curators_change(demo):
    assert sorted(
        ExchangeRate.objects.values_list("currency", "valid_from", "usd_per_unit")
    ) == sorted(DEMO_RATES)
    assert {currency for currency, _day, _rate in DEMO_RATES} == {
        "AUD",
        "CHF",
        "EUR",
        "GBP",
        "JPY",
    }
    euro = ExchangeRate.objects.get(currency="EUR", valid_from=dt.date(2026, 1, 1))
    euro.usd_per_unit = Decimal("1.12")
    euro.save()

    load_demo()

    euro.refresh_from_db()
    assert euro.usd_per_unit == Decimal("1.12")
    assert ExchangeRate.objects.count() == len(DEMO_RATES)


def test_load_demo_leaves_what_demo_users_changed(demo):
    focal = User.objects.get(username="focal")
    focal.set_password("a-new-password-of-mine")
    focal.save()
    pitch = Pitch.objects.get(provider__ref="orbis")
    pitch.state = "rejected"
    pitch.save()
    Pitch.objects.create(
        event=pitch.event,
        provider=pitch.provider,
        presenter_name="Someone else",
        title="A second try",
        abstract="Shorter.",
    )
    load_demo()
    assert User.objects.get(username="focal").check_password("a-new-password-of-mine")
    pitches = Pitch.objects.filter(provider__ref="orbis").order_by("pk")
    assert list(pitches.values_list("title", "state")) == [
        ("A forensic laboratory in a box", "rejected"),
        ("A second try", "draft"),
    ]


def test_the_demo_provider_has_an_expression_of_interest_to_accept(demo, client):
    """The README's first step for a provider: The Gambia's focal point is
    interested in one of Nordic CCP's programmes: the provider's page lists it
    as awaiting an answer, and its match page offers "Accept and introduce"."""
    need_ref, programme_ref = AWAITING_INTRODUCTION
    match = Match.objects.get(need__ref=need_ref, programme__ref=programme_ref)
    assert match.status == MatchStatus.INTEREST
    assert match.events.filter(
        to_status=MatchStatus.INTEREST, actor__username="focal"
    ).exists()
    client.force_login(User.objects.get(username="provider"))
    waiting = re.search(
        r'<ul class="govuk-list" id="waiting-list">(.*?)</ul>',
        client.get("/my/programmes/").content.decode(),
        re.S,
    )
    assert waiting is not None
    assert re.findall(r'href="([^"]+)"', waiting.group(1)) == [f"/matches/{match.pk}/"]
    page = client.get(f"/matches/{match.pk}/")
    assert page.status_code == 200
    assert "Accept and introduce" in page.content.decode()
