"""Matchmaking data: reference data, organisations, needs, programmes, matches.

One module per topic; every public name is importable from ``matchmaking.models``
(the migrations name ``matchmaking.models.new_need_ref`` and the like).
"""

from matchmaking.models.accounts import (
    ApiToken,
    Invitation,
    SignInThrottle,
    TokenScope,
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
from matchmaking.models.joining import (
    MAX_LETTER_BYTES,
    MAX_LETTER_PAGES,
    JoinKind,
    JoinRequest,
    JoinStatus,
)
from matchmaking.models.matches import Match, MatchEvent
from matchmaking.models.notifications import EventKind, Notification, OutboxEvent
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
    DeliveryState,
    SavedSearch,
    SearchScope,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "LONG_TEXT",
    "MAX_LETTER_BYTES",
    "MAX_LETTER_PAGES",
    "NOTE_TEXT",
    "PROGRAMME_DATES_ERROR",
    "QUERY_LENGTH",
    "SHORT_TEXT",
    "TAG_FIELDS",
    "UN_LANGUAGES",
    "ApiToken",
    "AssistanceType",
    "Audience",
    "ContentTranslation",
    "CostModel",
    "Country",
    "DeliveryMode",
    "DeliveryState",
    "EventKind",
    "Invitation",
    "JoinKind",
    "JoinRequest",
    "JoinStatus",
    "Language",
    "Match",
    "MatchEvent",
    "MemberState",
    "Membership",
    "MultilingualName",
    "Need",
    "Notification",
    "OutboxEvent",
    "Priority",
    "Programme",
    "Provider",
    "Region",
    "SavedSearch",
    "SearchScope",
    "SignInThrottle",
    "StakeholderGroup",
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
    "ends_before_start",
    "limited_text",
    "new_need_ref",
    "new_programme_ref",
    "new_provider_ref",
    "new_ref",
]
