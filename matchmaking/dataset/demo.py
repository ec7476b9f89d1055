"""The matchmaking side of the demo: data and users of every role.

``load_demo`` adds the demo's exchange rates (the curators' dated table) and
imports ``data/demo.json`` through the dataset service, then adds
what that format does not carry: demo users and their memberships, verified
providers, a confidential need shared with the demo provider and one match
taken to "introduced" with a short conversation. The
roundtable side lives in ``roundtable/demo.py``.

Running it again changes nothing. Rows are created when missing and only saved
when a field differs, so ``updated_at`` stays put. What people change while
playing with the demo (passwords, pitch states, slot assignments) is created
once and left alone afterwards.
"""

from __future__ import annotations

import json
from base64 import b32decode
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission
from django.db import models
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from matchmaking import services
from matchmaking.accounts import policy
from matchmaking.conversations.services import post_message
from matchmaking.dataset.exchange import ImportResult
from matchmaking.dataset.exchange import import_dataset
from matchmaking.enums import MatchStatus
from matchmaking.enums import MembershipRole
from matchmaking.funding.rates import add_exchange_rates
from matchmaking.models import Match
from matchmaking.models import Membership
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Profile
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import User
from matchmaking.reference import DATA_DIR
from matchmaking.suggestions import refresh_need_suggestions

DEMO_FILE = DATA_DIR / "demo.json"


@dataclass(frozen=True)
class DemoUser:
    """A demo login: who it is and what it acts for."""

    username: str
    password: str
    first_name: str
    last_name: str
    description: str
    country: str = ""  # iso3 of the member state a focal point acts for
    provider: str = ""  # ref of the provider a manager acts for
    is_curator: bool = False


# Local-only passwords: they satisfy the validators (12+ characters, not common)
# and are printed by the command, so never use this data on a public server.
DEMO_USERS = (
    DemoUser(
        "focal",
        "demo-focal-2026",
        "Awa",
        "Jallow",
        "focal point of The Gambia (needs incl. a confidential one)",
        country="GMB",
    ),
    DemoUser(
        "focal2",
        "demo-focal2-2026",
        "Marcus",
        "Greaves",
        "focal point of Barbados (a second state, for foreign-access demos)",
        country="BRB",
    ),
    DemoUser(
        "provider",
        "demo-provider-2026",
        "Ingrid",
        "Solberg",
        "programme manager of the Nordic Cyber Capacity Partnership",
        provider="nordic-ccp",
    ),
    DemoUser(
        "provider2",
        "demo-provider2-2026",
        "Daniel",
        "Mensah",
        "programme manager of Kestrel Cloud",
        provider="kestrel",
    ),
    DemoUser(
        "curator",
        "demo-curator-2026",
        "Elena",
        "Vargas",
        "curator of the secretariat (admin access)",
        is_curator=True,
    ),
)

# Curators must use two-factor authentication; the demo curator's authenticator
# key is public (README), like the demo passwords, so the demo works at once:
# add it to an authenticator app or run `oathtool --totp -b <key>`.
DEMO_CURATOR_TOTP_KEY = "MRSW23ZNMN2XEYLUN5ZC2MRQGI3C2MTG"

VERIFIED_PROVIDERS = (
    "nordic-ccp",
    "kestrel",
    "afcn",
    "gccf",
    "iacrp",
    "adtc",
    "pidsf",
    "tcjp",
    "gcmc",
    "oirf",
    "wican",
    "cbcc",
)
# Confidential need -> providers its state shares it with.
SHARED_NEEDS = {"gmb-utility-control-systems": ("nordic-ccp",)}
# One match worked through, so that the demo shows what follows a suggestion:
# the secretariat proposes it, the focal point is interested, the provider
# introduces, and the two write to each other (need, programme, messages).
WORKED_MATCH = (
    "gmb-national-csirt",
    "nordic-csirt-launchpad",
    (
        (
            "provider",
            "Thank you for your interest. Could we start with a call next week "
            "to plan the readiness assessment? Tuesday or Wednesday morning "
            "(Banjul time) would suit our adviser.",
        ),
        (
            "focal",
            "Wednesday at 10:00 works for us. The CSIRT's head and the "
            "ministry's digital director will join.",
        ),
    ),
)
# One expression of interest left for the demo provider to answer (the
# README's first step for a provider, "Accept and introduce"): The Gambia's
# confidential need, shared with Nordic CCP, and its assessment programme.
AWAITING_INTRODUCTION = ("gmb-utility-control-systems", "nordic-cip-assessment")
# The curators' dated rate table for the currencies of the demo's money (its
# programmes' funding and the roundtable's commitments): demo values, not market
# rates. A budget line converts at the rate of its period's start, a total
# budget at the programme's start, so the programmes that ended in 2025 use the
# 2025 rates. A curator's change to one of these survives the next load.
DEMO_RATES: tuple[tuple[str, date, Decimal], ...] = tuple(
    (currency, valid_from, Decimal(usd_per_unit))
    for valid_from, rates in (
        (
            date(2025, 1, 1),
            {
                "AUD": "0.62",
                "CHF": "1.10",
                "EUR": "1.04",
                "GBP": "1.25",
                "JPY": "0.0064",
            },
        ),
        (
            date(2026, 1, 1),
            {
                "AUD": "0.66",
                "CHF": "1.13",
                "EUR": "1.08",
                "GBP": "1.27",
                "JPY": "0.0067",
            },
        ),
    )
    for currency, usd_per_unit in rates.items()
)
DEMO_PHONES = {"focal": "+220 437 0000", "provider": "+47 22 00 00 00"}
CURATORS_GROUP = "Curators"


@dataclass(frozen=True)
class DemoResult:
    """What ``load_demo`` did: the dataset import, the users and the logins."""

    imported: ImportResult
    users: dict[str, User]
    logins: tuple[DemoUser, ...]


def read_demo_data(path: Path = DEMO_FILE) -> dict:
    """The demo ``cbm-dataset/1`` document."""
    return json.loads(path.read_text(encoding="utf-8"))


def ensure_row[M: models.Model](
    model: type[M], *, lookup: Mapping[str, Any], values: Mapping[str, Any]
) -> M:
    """Get or create a row; save only the fields that differ (keeps updated_at)."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            changed.append("updated_at")
        obj.save(update_fields=changed)
    return obj


def _curators_group() -> Group:
    """A group holding the curators' allow-list of permissions, for the admin.

    Exactly ``policy.CURATOR_MODEL_PERMISSIONS``: a group with every permission
    of the app would hand curators the user and token models through
    ModelBackend (issue 14, finding 1); permissions added by hand go again.
    """
    group, _created = Group.objects.get_or_create(name=CURATORS_GROUP)
    lookups = policy.curator_permission_lookups()
    wanted = Q(pk__in=[])
    for app_label, codename in lookups:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set(Permission.objects.filter(wanted))
    return group


def _ensure_user(spec: DemoUser) -> User:
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = User(
            username=spec.username,
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=f"{spec.username}@demo.example.org",
            language="en",
            is_curator=spec.is_curator,
            is_staff=spec.is_curator,
        )
        user.set_password(spec.password)
        user.save()
    elif spec.is_curator and not (user.is_curator and user.is_staff):
        user.is_curator = user.is_staff = True
        user.save(update_fields=["is_curator", "is_staff"])
    return user


def _ensure_demo_authenticator(user: User) -> None:
    """The demo curator's confirmed TOTP device, with the documented key."""
    if not TOTPDevice.objects.filter(user=user).exists():
        TOTPDevice.objects.create(
            user=user,
            name="Demo authenticator",
            key=b32decode(DEMO_CURATOR_TOTP_KEY).hex(),
            confirmed=True,
        )


def _ensure_users(*, data: dict) -> dict[str, User]:
    need_refs = [need["ref"] for need in data.get("needs", [])]
    programme_refs = [programme["ref"] for programme in data.get("programmes", [])]
    users = {spec.username: _ensure_user(spec) for spec in DEMO_USERS}
    group = _curators_group()
    for spec in DEMO_USERS:
        user = users[spec.username]
        if spec.is_curator:
            user.groups.add(group)
            _ensure_demo_authenticator(user)
        elif spec.country:
            state = MemberState.objects.get(country_id=spec.country)
            _join(
                user, "member_state", state, MembershipRole.FOCAL_POINT, Need, need_refs
            )
        elif spec.provider:
            provider = Provider.objects.get(ref=spec.provider)
            _join(
                user,
                "provider",
                provider,
                MembershipRole.MANAGER,
                Programme,
                programme_refs,
            )
    return users


def _join(
    user: User,
    field: str,
    organisation: models.Model,
    role: str,
    records: type[Need | Programme],
    refs: list[str],
) -> None:
    """Make ``user`` act for ``organisation`` (``field``: "member_state" or
    "provider") and own its ``records`` among ``refs`` that have no owner (the
    format carries none: the focal point owns the state's needs, the manager
    the provider's programmes)."""
    Membership.objects.get_or_create(
        user=user, **{field: organisation}, defaults={"role": role}
    )
    records.objects.filter(
        **{field: organisation}, ref__in=refs, owner__isnull=True
    ).update(owner=user)


def _verify_providers(*, curator: User) -> None:
    # update() leaves updated_at alone; already verified providers keep their date.
    Provider.objects.filter(ref__in=VERIFIED_PROVIDERS, is_verified=False).update(
        is_verified=True, verified_at=timezone.now(), verified_by=curator
    )


def _share_needs() -> None:
    for need_ref, provider_refs in SHARED_NEEDS.items():
        need = Need.objects.get(ref=need_ref)
        need.shared_with.add(*Provider.objects.filter(ref__in=provider_refs))


def _pair_not_yet_worked(
    need_ref: str, programme_ref: str
) -> tuple[Need, Programme] | None:
    """The need and programme, unless a match between them has moved past a
    suggestion (a later load leaves what people did with it)."""
    need = Need.objects.get(ref=need_ref)
    programme = Programme.objects.get(ref=programme_ref)
    if (
        Match.objects.filter(need=need, programme=programme)
        .exclude(status=MatchStatus.SUGGESTED)
        .exists()
    ):
        return None
    return need, programme


def _work_one_match(*, users: dict[str, User]) -> None:
    """Take ``WORKED_MATCH`` to "introduced" with a short conversation, once.

    Through the services, as people would: the audit trail, the contacts, the
    notifications and the mails (queued) are what a real match leaves behind.
    """
    need_ref, programme_ref, messages = WORKED_MATCH
    pair = _pair_not_yet_worked(need_ref, programme_ref)
    if pair is None:
        return  # worked before (or by whoever plays with the demo)
    need, programme = pair
    # Scored by the engine first (as the task worker would have by the time a
    # curator proposes it), so the match page shows its score and reasons.
    refresh_need_suggestions(need_id=need.pk)
    for username, phone in DEMO_PHONES.items():
        Profile.objects.get_or_create(user=users[username], defaults={"phone": phone})
    match = services.propose_match(
        user=users["curator"],
        need=need,
        programme=programme,
        note="Met at the roundtable: the Launchpad fits the CSIRT's first year.",
    )
    services.transition_match(
        user=users["focal"], match=match, action="express_interest"
    )
    services.transition_match(user=users["provider"], match=match, action="introduce")
    for username, body in messages:
        post_message(user=users[username], match=match, body=body)


def _await_one_introduction(*, users: dict[str, User]) -> None:
    """The focal point's interest in ``AWAITING_INTRODUCTION``, once: the
    provider then has an expression of interest to accept.

    As a focal point would express it, on the engine's suggestion (or, should
    the engine not suggest the pair, on a curator's proposal)."""
    pair = _pair_not_yet_worked(*AWAITING_INTRODUCTION)
    if pair is None:
        return  # expressed before (or answered by whoever plays with the demo)
    need, programme = pair
    refresh_need_suggestions(need_id=need.pk)
    match = Match.objects.filter(
        need=need, programme=programme, status=MatchStatus.SUGGESTED
    ).first()
    if match is None:
        match = services.propose_match(
            user=users["curator"],
            need=need,
            programme=programme,
            note="The assessment covers both utilities' control systems.",
        )
    services.transition_match(
        user=users["focal"], match=match, action="express_interest"
    )


@transaction.atomic
def load_demo(*, data: dict | None = None) -> DemoResult:
    """The demo's exchange rates, the demo dataset, then its users,
    memberships, sharing, one match worked through to a conversation and one
    expression of interest waiting for the provider."""
    data = read_demo_data() if data is None else data
    # Rates first: the import converts the programmes' money as it writes it.
    add_exchange_rates(rates=DEMO_RATES)
    imported = import_dataset(data=data)
    users = _ensure_users(data=data)
    _verify_providers(curator=users["curator"])
    _share_needs()
    _work_one_match(users=users)
    _await_one_introduction(users=users)
    return DemoResult(imported=imported, users=users, logins=DEMO_USERS)
