"""The roundtable side of the demo: an event modelled on the UN OEWG Global Roundtable.

Created once and left alone afterwards, so what people change while playing
with the demo (pitch states, slot assignments) survives each ``make run``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from matchmaking.dataset.demo import ensure_row
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import Theme
from matchmaking.models import User
from roundtable.models import CallForPitches
from roundtable.models import Commitment
from roundtable.models import Event
from roundtable.models import Pitch
from roundtable.models import Session
from roundtable.models import TimeSlot
from roundtable.services.commitments import record_commitment
from roundtable.services.commitments import report_progress

# --- the Global Roundtable ---------------------------------------------------

EVENT_SLUG = "global-roundtable-2027"
EVENT_TZ = ZoneInfo("America/New_York")
DAY_ONE = dt.date(2027, 5, 10)
DAY_TWO = dt.date(2027, 5, 11)
MATCHMAKING_TITLE = "Matchmaking session: provider elevator pitches"
BREAKOUT_TITLES = (
    "ICT policies and governance structures",
    "Technology, talent and partnerships",
)
PITCH_SLOTS = 24
PITCH_MINUTES = 3
CHANGEOVER_MINUTES = 1
MEETING_TABLES = 6
MEETING_MINUTES = 20
MEETING_ROUNDS = 6
# The Global Roundtable's call has closed with pitches still in review and
# staged decisions (only curators see them), nothing released: every curator
# step (review, accept, release, schedule, publish) and then the meetings can
# be rehearsed on a fresh demo. A second event's call is still open, for the
# provider's side (draft, edit, submit).
CALL_OPENS = dt.datetime(2026, 9, 1, 9, tzinfo=EVENT_TZ)
CALL_CLOSES = dt.datetime(2026, 11, 30, 23, 59, tzinfo=EVENT_TZ)

OPEN_EVENT_SLUG = "africa-roundtable-2027"
OPEN_EVENT_TZ = ZoneInfo("Africa/Nairobi")
OPEN_DAY = dt.date(2027, 9, 14)
OPEN_CALL_OPENS = dt.datetime(2026, 11, 2, 9, tzinfo=OPEN_EVENT_TZ)
OPEN_CALL_CLOSES = dt.datetime(2027, 7, 30, 23, 59, tzinfo=OPEN_EVENT_TZ)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=EVENT_TZ)


@dataclass(frozen=True)
class _SessionPlan:
    key: str
    kind: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: str
    description: str
    track: str = ""
    chair_name: str = ""
    capacity: int | None = None


SESSIONS = (
    _SessionPlan(
        "opening",
        "opening",
        "Opening plenary",
        _at(DAY_ONE, 10),
        _at(DAY_ONE, 10, 45),
        "Conference Room 4",
        "Welcome by the Chair of the Open-ended Working Group, remarks by the "
        "Secretariat on the needs posted by member states, and an overview of "
        "the day.",
        chair_name="Chair of the Open-ended Working Group",
        capacity=400,
    ),
    _SessionPlan(
        "matchmaking",
        "matchmaking",
        MATCHMAKING_TITLE,
        _at(DAY_ONE, 10, 45),
        _at(DAY_ONE, 12, 45),
        "Conference Room 4",
        "Two dozen providers each give a three-minute elevator pitch with at most "
        "three slides: what they offer, to whom, in which languages and how to "
        "request it. Questions go to the breakouts and bilateral meetings.",
        chair_name="Roundtable Secretariat",
        capacity=400,
    ),
    _SessionPlan(
        "breakout-policy",
        "breakout",
        BREAKOUT_TITLES[0],
        _at(DAY_ONE, 15),
        _at(DAY_ONE, 16, 30),
        "Conference Room 11",
        "Breakout I. National strategies, governance and coordination bodies, "
        "legal frameworks and cyber diplomacy: what states need, what providers "
        "offer, and how to sequence support.",
        track="Breakout I",
        chair_name="Breakout facilitator (policy track)",
        capacity=80,
    ),
    _SessionPlan(
        "breakout-technology",
        "breakout",
        BREAKOUT_TITLES[1],
        _at(DAY_ONE, 15),
        _at(DAY_ONE, 16, 30),
        "Conference Room 12",
        "Breakout II. CSIRTs, critical infrastructure, skills and workforce, and "
        "partnerships with industry, academia and the technical community.",
        track="Breakout II",
        chair_name="Breakout facilitator (technology track)",
        capacity=80,
    ),
    _SessionPlan(
        "bilaterals",
        "bilateral",
        "Bilateral matchmaking meetings",
        _at(DAY_TWO, 10),
        _at(DAY_TWO, 12, 30),
        "Conference Room 1",
        "Twenty-minute meetings between member-state delegations and providers at "
        "numbered tables, booked in advance from the matches on the platform.",
        chair_name="Roundtable Secretariat",
        capacity=60,
    ),
    _SessionPlan(
        "closing",
        "closing",
        "Closing plenary",
        _at(DAY_TWO, 15),
        _at(DAY_TWO, 16),
        "Conference Room 4",
        "Reports from the breakout rapporteurs, commitments announced by "
        "providers and states, and next steps towards the OEWG's report.",
        chair_name="Chair of the Open-ended Working Group",
        capacity=400,
    ),
)


@dataclass(frozen=True)
class _PitchPlan:
    provider: str
    title: str
    presenter_name: str
    state: str
    programmes: tuple[str, ...]
    abstract: str
    presenter: str = ""  # username of a demo user


PITCHES = (
    _PitchPlan(
        "nordic-ccp",
        "From a decree to a working national CSIRT in 18 months",
        "Ingrid Solberg",
        "in_review",
        ("nordic-csirt-launchpad", "nordic-cip-assessment"),
        "How our CSIRT Launchpad takes a country from a decision to a team handling "
        "incidents, with a resident adviser and a Nordic mentor team, and how we "
        "assess critical infrastructure operators after an incident.",
        presenter="provider",
    ),
    _PitchPlan(
        "kestrel",
        "Secure government cloud and two years of credits",
        "Daniel Mensah",
        "accepted",
        ("kestrel-gov-cloud", "kestrel-cloud-skills"),
        "A hardened cloud landing zone, off-island backups for small states and "
        "free cloud security training for young people and women.",
        presenter="provider2",
    ),
    _PitchPlan(
        "tcjp",
        "Cybercrime laws that work across borders",
        "Programme coordinator, Transnational Cybercrime Justice Programme",
        "accepted",
        ("tcjp-legislation-alignment", "tcjp-247-mla-clinic"),
        "Free legislative assistance in seven languages and a clinic that sets up "
        "24/7 points of contact and speeds up requests for electronic evidence.",
    ),
    _PitchPlan(
        "wican",
        "CyberSisters: mentors for Africa's women in cyber",
        "Network coordinator, Women in Cyber Africa Network",
        "accepted",
        ("wican-cybersisters",),
        "Mentoring circles that have brought hundreds of women into CSIRTs, "
        "regulators and banks, and advice for public employers on inclusive hiring.",
    ),
    _PitchPlan(
        "pidsf",
        "Pacific answers to Pacific threats",
        "Programme officer, Pacific Islands Digital Security Forum",
        "accepted",
        ("pidsf-cyber-safe-communities", "pidsf-maturity-review"),
        "Maturity reviews scaled to small administrations and community cyber "
        "safety run with churches, schools and village councils.",
    ),
    _PitchPlan(
        "gcmc",
        "Know where you stand: national maturity reviews",
        "Research fellow, Global Cyber Maturity Centre",
        "rejected",
        ("gcmc-maturity-review",),
        "An evidence-based review across five dimensions that gives governments and "
        "donors a shared baseline and a prioritised list of actions.",
    ),
    _PitchPlan(
        "irna",
        "Keeping Africa's internet up: exchange points, DNS and routing",
        "Community lead, Internet Resilience Network for Africa",
        "in_review",
        ("irna-ixp-dns", "irna-routing-security"),
        "How a community of operators secures exchange points, ccTLDs and routing "
        "across the continent, and where equipment grants are available.",
    ),
)

# The pitches of the second event, whose call is open.
OPEN_CALL_PITCHES = (
    _PitchPlan(
        "orbis",
        "A forensic laboratory in a box",
        "Head of public sector, Orbis Forensic Systems",
        "submitted",
        ("orbis-forensic-lab",),
        "Workstations, mobile extraction and three years of licences installed on "
        "site, with two certified examiners per country.",
    ),
)


def pitch_slot_times() -> list[tuple[dt.datetime, dt.datetime]]:
    """Start and end of each pitch slot: 3 minutes plus a changeover, in order."""
    first = _at(DAY_ONE, 10, 55)  # after the chair's ten-minute introduction
    step = dt.timedelta(minutes=PITCH_MINUTES + CHANGEOVER_MINUTES)
    length = dt.timedelta(minutes=PITCH_MINUTES)
    return [(first + i * step, first + i * step + length) for i in range(PITCH_SLOTS)]


def meeting_slot_times() -> list[tuple[dt.datetime, dt.datetime]]:
    """Start and end of each bilateral meeting round (5 minutes to change tables)."""
    first = _at(DAY_TWO, 10)
    step = dt.timedelta(minutes=MEETING_MINUTES + 5)
    length = dt.timedelta(minutes=MEETING_MINUTES)
    return [
        (first + i * step, first + i * step + length) for i in range(MEETING_ROUNDS)
    ]


def _ensure_event(
    slug: str, values: dict[str, Any], *, call: tuple[dt.datetime, dt.datetime]
) -> Event:
    """An event and its call for pitches (opens, closes), as the demo has them."""
    event = ensure_row(Event, lookup={"slug": slug}, values=values)
    opens, closes = call
    ensure_row(
        CallForPitches,
        lookup={"event": event},
        values={"opens_at": opens, "closes_at": closes},
    )
    return event


def load_roundtable_demo(*, users: Mapping[str, User]) -> Event:
    """The demo event, its agenda, slots and pitches; returns the event."""

    event = _ensure_event(
        EVENT_SLUG,
        {
            "name": "Global Roundtable on ICT Security Capacity Building 2027",
            "description": (
                "A roundtable convened under the UN Open-ended Working Group on "
                "security of and in the use of ICTs to match the capacity-building "
                "needs of member states with the programmes of states, "
                "intergovernmental organisations, industry, academia, civil "
                "society and the technical community."
            ),
            "venue": "United Nations Headquarters, New York",
            "timezone": str(EVENT_TZ),
            "starts_on": DAY_ONE,
            "ends_on": DAY_TWO,
        },
        call=(CALL_OPENS, CALL_CLOSES),
    )
    sessions = {
        plan.key: ensure_row(
            Session,
            lookup={"event": event, "title": plan.title},
            values={
                "kind": plan.kind,
                "description": plan.description,
                "track": plan.track,
                "room": plan.room,
                "starts_at": plan.starts_at,
                "ends_at": plan.ends_at,
                "chair_name": plan.chair_name,
                "capacity": plan.capacity,
            },
        )
        for plan in SESSIONS
    }
    # The running order's empty slots, after the chair's ten-minute lead-in
    # (scheduling keeps it); pitches take them once decisions are released.
    for start, end in pitch_slot_times():
        ensure_row(
            TimeSlot,
            lookup={
                "session": sessions["matchmaking"],
                "starts_at": start,
                "location": "",
            },
            values={"kind": "pitch", "ends_at": end},
        )
    for start, end in meeting_slot_times():
        for table in range(1, MEETING_TABLES + 1):
            ensure_row(
                TimeSlot,
                lookup={
                    "session": sessions["bilaterals"],
                    "starts_at": start,
                    "location": f"Table {table}",
                },
                values={"kind": "meeting", "ends_at": end},
            )
    _add_pitches(event, sessions["matchmaking"], PITCHES, users)
    _add_commitments(event, users)
    _load_open_call_event(users=users)
    return event


@dataclass(frozen=True)
class _CommitmentPlan:
    provider: str
    recorder: str
    title: str
    theme: str
    countries: tuple[str, ...]
    programmes: tuple[str, ...]
    data: dict[str, Any]
    # Progress reports, oldest first: (narrative, share delivered, spend).
    reports: tuple[tuple[str, int, Decimal | None], ...] = ()


COMMITMENTS = (
    _CommitmentPlan(
        "nordic-ccp",
        "provider",
        "National CSIRTs for Senegal and Nepal by 2028",
        "incident-management-cip",
        ("SEN", "NPL"),
        ("nordic-csirt-launchpad",),
        {"amount": Decimal("1200000"), "currency": "EUR", "for_ldcs": True},
        (
            (
                "Resident advisers in Dakar and Kathmandu; both teams handle their "
                "first incidents with a Nordic mentor team.",
                50,
                Decimal("410000"),
            ),
        ),
    ),
    _CommitmentPlan(
        "kestrel",
        "provider2",
        "Off-island backups and cloud credits for small island states",
        "incident-management-cip",
        ("FJI", "BRB"),
        ("kestrel-gov-cloud",),
        {
            "in_kind": "Two years of cloud credits and a hardened landing zone.",
            "for_sids": True,
        },
        (("Landing zones live in Fiji; Barbados starts next quarter.", 30, None),),
    ),
    _CommitmentPlan(
        "tcjp",
        "curator",
        "Cybercrime laws aligned across borders in three LDCs",
        "cybercrime",
        ("NPL", "SEN", "BGD"),
        ("tcjp-legislation-alignment",),
        {"amount": Decimal("250000"), "currency": "USD", "for_ldcs": True},
    ),
)


def _add_commitments(event: Event, users: Mapping[str, User]) -> None:
    """Commitments made at the event, some reported on, once. The euro one
    counts in the US-dollar figures of "Who funds what" through the demo's
    rates (matchmaking.dataset.demo.DEMO_RATES, loaded before)."""
    if Commitment.objects.filter(event=event).exists():
        return  # their state and reports belong to whoever plays the demo
    for plan in COMMITMENTS:
        provider = Provider.objects.get(ref=plan.provider)
        commitment = record_commitment(
            user=users[plan.recorder],
            provider_id=provider.pk,
            pitch=Pitch.objects.filter(event=event, provider=provider).first(),
            data={
                "title": plan.title,
                "theme": Theme.objects.get(slug=plan.theme),
                "countries": list(plan.countries),
                "programmes": list(Programme.objects.filter(ref__in=plan.programmes)),
                "due_on": DAY_TWO + dt.timedelta(days=730),
                **plan.data,
            },
        )
        for narrative, share, spend in plan.reports:
            report_progress(
                user=users[plan.recorder],
                commitment=commitment,
                narrative=narrative,
                share_delivered=share,
                spend=spend,
            )


def _add_pitches(
    event: Event,
    session: Session,
    plans: tuple[_PitchPlan, ...],
    users: Mapping[str, User],
) -> None:
    """The pitches of an event, once: their state belongs to whoever plays."""
    wanted = {ref for plan in plans for ref in plan.programmes}
    programmes = dict(Programme.objects.filter(ref__in=wanted).values_list("ref", "pk"))
    for plan in plans:
        provider = Provider.objects.get(ref=plan.provider)
        if Pitch.objects.filter(event=event, provider=provider).exists():
            continue  # a pitch's state and slot belong to whoever plays the demo
        pitch = Pitch.objects.create(
            event=event,
            provider=provider,
            session=session,
            presenter=users.get(plan.presenter),
            presenter_name=plan.presenter_name,
            title=plan.title,
            abstract=plan.abstract,
            slide_count=3,
            state=plan.state,
        )
        pitch.programmes.set([programmes[ref] for ref in plan.programmes])


def _load_open_call_event(*, users: Mapping[str, User]) -> Event:
    """A second, smaller event whose call for pitches is still open."""
    event = _ensure_event(
        OPEN_EVENT_SLUG,
        {
            "name": "Regional Roundtable on Cyber Capacity Building: Africa 2027",
            "description": (
                "A regional follow-up of the Global Roundtable for African "
                "member states and the providers that serve them."
            ),
            "venue": "United Nations Office at Nairobi",
            "timezone": str(OPEN_EVENT_TZ),
            "starts_on": OPEN_DAY,
            "ends_on": OPEN_DAY,
        },
        call=(OPEN_CALL_OPENS, OPEN_CALL_CLOSES),
    )
    start = dt.datetime.combine(OPEN_DAY, dt.time(10), tzinfo=OPEN_EVENT_TZ)
    session = ensure_row(
        Session,
        lookup={"event": event, "title": "Provider pitches"},
        values={
            "kind": "matchmaking",
            "description": "Three-minute pitches of providers working in Africa.",
            "room": "Conference Room 2",
            "starts_at": start,
            "ends_at": start + dt.timedelta(hours=1),
            "chair_name": "Roundtable Secretariat",
            "capacity": 150,
        },
    )
    _add_pitches(event, session, OPEN_CALL_PITCHES, users)
    return event
