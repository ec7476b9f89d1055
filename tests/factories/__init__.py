"""factory_boy factories, one per model; reference rows come from the migrations."""

from .matchmaking import (
    MatchFactory,
    MembershipFactory,
    MemberStateFactory,
    NeedFactory,
    ProgrammeFactory,
    ProviderFactory,
    UserFactory,
)
from .roundtable import (
    EventFactory,
    PitchFactory,
    SessionFactory,
    SessionReportFactory,
    TimeSlotFactory,
)

__all__ = [
    "EventFactory",
    "MatchFactory",
    "MemberStateFactory",
    "MembershipFactory",
    "NeedFactory",
    "PitchFactory",
    "ProgrammeFactory",
    "ProviderFactory",
    "SessionFactory",
    "SessionReportFactory",
    "TimeSlotFactory",
    "UserFactory",
]
