"""factory_boy factories, one per model; reference rows come from the migrations."""

from .matchmaking import MatchFactory
from .matchmaking import MembershipFactory
from .matchmaking import MemberStateFactory
from .matchmaking import MessageFactory
from .matchmaking import NeedFactory
from .matchmaking import ProgrammeFactory
from .matchmaking import ProviderFactory
from .matchmaking import UserFactory
from .roundtable import AgendaVersionFactory
from .roundtable import BreakoutRegistrationFactory
from .roundtable import CallForPitchesFactory
from .roundtable import EventFactory
from .roundtable import MeetingFactory
from .roundtable import PitchFactory
from .roundtable import ReviewFactory
from .roundtable import SessionFactory
from .roundtable import SessionReportFactory
from .roundtable import TimeSlotFactory

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
