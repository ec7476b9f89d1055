"""Matchmaking data: reference data, organisations, needs, programmes, matches.

One module per topic; every public name is importable from ``matchmaking.models``
(the migrations name ``matchmaking.models.new_need_ref`` and the like).
"""

# The choices of these models live in matchmaking.enums with the others.
from matchmaking.enums import (
    Category,
    DeliveryState,
    EventKind,
    JoinKind,
    JoinStatus,
    MailMode,
    MailStatus,
    SearchScope,
    TokenScope,
)
from matchmaking.models.accounts import (
    ApiToken,
    Invitation,
    SignInThrottle,
    User,
)
from matchmaking.models.base import (
    LONG_TEXT,
    NOTE_TEXT,
    SHORT_TEXT,
    UN_LANGUAGES,
    Timestamped,
    limited_text,
    new_need_ref,
    new_programme_ref,
    new_provider_ref,
    new_ref,
)
from matchmaking.models.contacts import Introduction, Profile
from matchmaking.models.conversations import ConversationRead, Message, MessageSide
from matchmaking.models.derived import AllocationSlate, NearMiss, SuggestedChange
from matchmaking.models.funding import (
    BudgetLine,
    ExchangeRate,
    ImportedActivity,
    ParticipatingOrganisation,
    ProgrammeFunding,
    currency_codes,
    period_overlaps,
)
from matchmaking.models.joining import (
    MAX_LETTER_BYTES,
    MAX_LETTER_PAGES,
    JoinRequest,
)
from matchmaking.models.matches import Match, MatchEvent
from matchmaking.models.notifications import (
    CATEGORY_OF_KIND,
    DEFAULT_MAIL_MODES,
    MailMessage,
    Notification,
    NotificationPreference,
    OutboxEvent,
)
from matchmaking.models.organisations import Membership, MemberState, Provider
from matchmaking.models.records import (
    PROGRAMME_DATES_ERROR,
    TAG_FIELDS,
    Need,
    Programme,
    TaggedRecord,
    check_programme_dates,
    ends_before_start,
)
from matchmaking.models.reference import (
    AssistanceType,
    Audience,
    CostModel,
    Country,
    DeliveryMode,
    Language,
    MultilingualName,
    Priority,
    Region,
    StakeholderGroup,
    Theme,
    Topic,
    Vocabulary,
)
from matchmaking.models.translations import ContentTranslation
from matchmaking.models.webhooks import (
    QUERY_LENGTH,
    SavedSearch,
    WebhookDelivery,
    WebhookEndpoint,
)

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
