"""factory_boy factories, one per model; reference rows come from the migrations."""

from .matchmaking import (
    MatchFactory,
    MembershipFactory,
    MemberStateFactory,
    MessageFactory,
    NeedFactory,
    ProgrammeFactory,
    ProviderFactory,
    UserFactory,
)
from .roundtable import (
    AgendaVersionFactory,
    BreakoutRegistrationFactory,
    CallForPitchesFactory,
    EventFactory,
    MeetingFactory,
    PitchFactory,
    ReviewFactory,
    SessionFactory,
    SessionReportFactory,
    TimeSlotFactory,
)

__all__ = [
    "AgendaVersionFactory",
    "BreakoutRegistrationFactory",
    "CallForPitchesFactory",
    "EventFactory",
    "MatchFactory",
    "MeetingFactory",
    "MemberStateFactory",
    "MembershipFactory",
    "MessageFactory",
    "NeedFactory",
    "PitchFactory",
    "ProgrammeFactory",
    "ProviderFactory",
    "ReviewFactory",
    "SessionFactory",
    "SessionReportFactory",
    "TimeSlotFactory",
    "UserFactory",
]
