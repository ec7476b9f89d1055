"""Matchmaking data: reference data, organisations, needs, programmes, matches.

One module per topic; every public name is importable from ``matchmaking.models``
(the migrations name ``matchmaking.models.new_need_ref`` and the like).
"""

# The choices of these models live in matchmaking.enums with the others.
from matchmaking.enums import Category
from matchmaking.enums import DeliveryState
from matchmaking.enums import EventKind
from matchmaking.enums import JoinKind
from matchmaking.enums import JoinStatus
from matchmaking.enums import MailMode
from matchmaking.enums import MailStatus
from matchmaking.enums import SearchScope
from matchmaking.enums import TokenScope
from matchmaking.models.accounts import ApiToken
from matchmaking.models.accounts import Invitation
from matchmaking.models.accounts import SignInThrottle
from matchmaking.models.accounts import User
from matchmaking.models.base import LONG_TEXT
from matchmaking.models.base import NOTE_TEXT
from matchmaking.models.base import SHORT_TEXT
from matchmaking.models.base import UN_LANGUAGES
from matchmaking.models.base import Timestamped
from matchmaking.models.base import limited_text
from matchmaking.models.base import new_need_ref
from matchmaking.models.base import new_programme_ref
from matchmaking.models.base import new_provider_ref
from matchmaking.models.base import new_ref
from matchmaking.models.contacts import Introduction
from matchmaking.models.contacts import Profile
from matchmaking.models.conversations import ConversationRead
from matchmaking.models.conversations import Message
from matchmaking.models.conversations import MessageSide
from matchmaking.models.derived import AllocationSlate
from matchmaking.models.derived import NearMiss
from matchmaking.models.derived import SuggestedChange
from matchmaking.models.derived import TextAnalysis
from matchmaking.models.funding import BudgetLine
from matchmaking.models.funding import CoordinationCell
from matchmaking.models.funding import CoordinationShare
from matchmaking.models.funding import CoordinationYear
from matchmaking.models.funding import CoordinationYearTotal
from matchmaking.models.funding import ExchangeRate
from matchmaking.models.funding import ImportedActivity
from matchmaking.models.funding import ParticipatingOrganisation
from matchmaking.models.funding import ProgrammeFunding
from matchmaking.models.funding import currency_codes
from matchmaking.models.funding import period_overlaps
from matchmaking.models.joining import MAX_LETTER_BYTES
from matchmaking.models.joining import MAX_LETTER_PAGES
from matchmaking.models.joining import JoinRequest
from matchmaking.models.matches import Match
from matchmaking.models.matches import MatchEvent
from matchmaking.models.notifications import CATEGORY_OF_KIND
from matchmaking.models.notifications import DEFAULT_MAIL_MODES
from matchmaking.models.notifications import MailMessage
from matchmaking.models.notifications import Notification
from matchmaking.models.notifications import NotificationPreference
from matchmaking.models.notifications import OutboxEvent
from matchmaking.models.organisations import Membership
from matchmaking.models.organisations import MemberState
from matchmaking.models.organisations import Provider
from matchmaking.models.records import PROGRAMME_DATES_ERROR
from matchmaking.models.records import TAG_FIELDS
from matchmaking.models.records import Need
from matchmaking.models.records import Programme
from matchmaking.models.records import TaggedRecord
from matchmaking.models.records import check_programme_dates
from matchmaking.models.records import ends_before_start
from matchmaking.models.reference import AssistanceType
from matchmaking.models.reference import Audience
from matchmaking.models.reference import CostModel
from matchmaking.models.reference import Country
from matchmaking.models.reference import DeliveryMode
from matchmaking.models.reference import Language
from matchmaking.models.reference import MultilingualName
from matchmaking.models.reference import Priority
from matchmaking.models.reference import Region
from matchmaking.models.reference import StakeholderGroup
from matchmaking.models.reference import Theme
from matchmaking.models.reference import Topic
from matchmaking.models.reference import Vocabulary
from matchmaking.models.tasks import TaskWorker
from matchmaking.models.translations import ContentTranslation
from matchmaking.models.webhooks import QUERY_LENGTH
from matchmaking.models.webhooks import SavedSearch
from matchmaking.models.webhooks import WebhookDelivery
from matchmaking.models.webhooks import WebhookEndpoint

__all__ = [
    "CATEGORY_OF_KIND",
    "DEFAULT_MAIL_MODES",
    "LONG_TEXT",
    "MAX_LETTER_BYTES",
    "MAX_LETTER_PAGES",
    "NOTE_TEXT",
    "PROGRAMME_DATES_ERROR",
    "QUERY_LENGTH",
    "SHORT_TEXT",
    "TAG_FIELDS",
    "UN_LANGUAGES",
    "AllocationSlate",
    "ApiToken",
    "AssistanceType",
    "Audience",
    "BudgetLine",
    "Category",
    "ContentTranslation",
    "ConversationRead",
    "CoordinationCell",
    "CoordinationShare",
    "CoordinationYear",
    "CoordinationYearTotal",
    "CostModel",
    "Country",
    "DeliveryMode",
    "DeliveryState",
    "EventKind",
    "ExchangeRate",
    "ImportedActivity",
    "Introduction",
    "Invitation",
    "JoinKind",
    "JoinRequest",
    "JoinStatus",
    "Language",
    "MailMessage",
    "MailMode",
    "MailStatus",
    "Match",
    "MatchEvent",
    "MemberState",
    "Membership",
    "Message",
    "MessageSide",
    "MultilingualName",
    "NearMiss",
    "Need",
    "Notification",
    "NotificationPreference",
    "OutboxEvent",
    "ParticipatingOrganisation",
    "Priority",
    "Profile",
    "Programme",
    "ProgrammeFunding",
    "Provider",
    "Region",
    "SavedSearch",
    "SearchScope",
    "SignInThrottle",
    "StakeholderGroup",
    "SuggestedChange",
    "TaggedRecord",
    "TaskWorker",
    "TextAnalysis",
    "Theme",
    "Timestamped",
    "TokenScope",
    "Topic",
    "User",
    "Vocabulary",
    "WebhookDelivery",
    "WebhookEndpoint",
    "check_programme_dates",
    "currency_codes",
    "ends_before_start",
    "limited_text",
    "new_need_ref",
    "new_programme_ref",
    "new_provider_ref",
    "new_ref",
    "period_overlaps",
]
