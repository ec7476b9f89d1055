"""Choices shared across the matchmaking modules."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RegionLevel(models.TextChoices):
    REGION = "region", _("Region")
    SUBREGION = "subregion", _("Sub-region")
    INTERMEDIATE = "intermediate", _("Intermediate region")


class MembershipRole(models.TextChoices):
    FOCAL_POINT = "focal_point", _("Focal point")
    MANAGER = "manager", _("Programme manager")
    VIEWER = "viewer", _("Viewer")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    REGISTERED = "registered", _("Registered users")
    CONFIDENTIAL = "confidential", _("Confidential")


class NeedStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("need status", "Draft")
    OPEN = "open", pgettext_lazy("need status", "Open")
    IN_DISCUSSION = "in_discussion", pgettext_lazy("need status", "In discussion")
    IN_DELIVERY = "in_delivery", pgettext_lazy("need status", "In delivery")
    FULFILLED = "fulfilled", pgettext_lazy("need status", "Fulfilled")
    CLOSED = "closed", pgettext_lazy("need status", "Closed")
    WITHDRAWN = "withdrawn", pgettext_lazy("need status", "Withdrawn")


# Needs still looking for help: the engine ranks programmes for these.
ACTIVE_NEED_STATUSES = (NeedStatus.OPEN, NeedStatus.IN_DISCUSSION)


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("programme status", "Draft")
    PUBLISHED = "published", pgettext_lazy("programme status", "Published")
    PAUSED = "paused", pgettext_lazy("programme status", "Paused")
    CLOSED = "closed", pgettext_lazy("programme status", "Closed")


class MatchStatus(models.TextChoices):
    SUGGESTED = "suggested", pgettext_lazy("match status", "Suggested")
    INTEREST = "interest", pgettext_lazy("match status", "Interest expressed")
    INTRODUCED = "introduced", pgettext_lazy("match status", "Introduced")
    AGREED = "agreed", pgettext_lazy("match status", "Agreed")
    IN_DELIVERY = "in_delivery", pgettext_lazy("match status", "In delivery")
    COMPLETED = "completed", pgettext_lazy("match status", "Completed")
    DECLINED = "declined", pgettext_lazy("match status", "Declined")


# A match in one of these states counts against a programme's capacity.
CAPACITY_MATCH_STATUSES = (
    MatchStatus.AGREED,
    MatchStatus.IN_DELIVERY,
    MatchStatus.COMPLETED,
)


class MatchOrigin(models.TextChoices):
    ENGINE = "engine", _("Matching engine")
    CURATOR = "curator", _("Curator")
    # Proposed from a roundtable meeting, or an engine suggestion that a
    # meeting request at the roundtable first took up.
    ROUNDTABLE = "roundtable", _("Roundtable pitch or meeting")


class UnmetReason(models.TextChoices):
    NONE = "", _("Met")
    NO_ELIGIBLE = "no_eligible", _("No eligible programme")
    TOPIC_MISSED = "topic_missed", _("Eligible programmes miss the topic")
    NONE_RELEVANT = "none_relevant", _("No programme relevant enough")


class DeclineCode(models.TextChoices):
    """Why a match was declined, as a label the engine's ranking is measured on."""

    NONE = "", _("Not given")
    NOT_RELEVANT = "not_relevant", _("Not relevant")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible in practice")
    ALREADY_COVERED = "already_covered", _("Already covered")
    OTHER = "other", _("Other reason")


class DeliveryOutcome(models.TextChoices):
    ACHIEVED = "achieved", _("Objectives achieved")
    PARTIAL = "partial", _("Partly achieved")
    NOT_ACHIEVED = "not_achieved", _("Not achieved")


class OrganisationRole(models.TextChoices):
    """IATI organisation roles (codelist OrganisationRole: 1-4)."""

    FUNDING = "funding", _("Funding")
    ACCOUNTABLE = "accountable", _("Accountable")
    EXTENDING = "extending", _("Extending")
    IMPLEMENTING = "implementing", _("Implementing")


# Accounts and API tokens


class TokenScope(models.TextChoices):
    READ = "read", _("Read")
    READ_WRITE = "read_write", _("Read and write")
    # read_write, and creating and revoking the owner's tokens over the API.
    MANAGE = "manage", _("Read, write and manage tokens")


# Joining the platform


class JoinKind(models.TextChoices):
    PROVIDER = "provider", _("A provider organisation")
    FOCAL_POINT = "focal_point", _("A focal point of a member state")


class JoinStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("E-mail not confirmed")
    PENDING = "pending", _("Waiting for a curator")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


# Notifications, mail and webhooks


class EventKind(models.TextChoices):
    """Everything someone may hear about (docs/notifications.md)."""

    SUGGESTION_NEW = "suggestion.new", _("New suggestion")
    MATCH_INTEREST = (
        "match.interest",
        pgettext_lazy("match status", "Interest expressed"),
    )
    MATCH_INTRODUCED = "match.introduced", pgettext_lazy("match status", "Introduced")
    MATCH_DECLINED = "match.declined", pgettext_lazy("match status", "Declined")
    MATCH_STATUS = "match.status", _("Match status changed")
    MATCH_FEEDBACK = "match.feedback", _("Feedback recorded")
    MESSAGE_NEW = "message.new", _("New message")
    NEED_UNMET = "need.unmet", _("Need without a match")
    PITCH_DECISION = "pitch.decision", _("Pitch decision released")
    MEETING_REQUESTED = "meeting.requested", _("Meeting requested")
    MEETING_ACCEPTED = "meeting.accepted", _("Meeting accepted")
    MEETING_CANCELLED = "meeting.cancelled", _("Meeting cancelled")
    MEETING_EXPIRING = "meeting.expiring", _("Meeting request expiring")
    CALL_OPENED = "call.opened", _("Call for pitches opened")
    CALL_CLOSING = "call.closing", _("Call for pitches closing")
    SAVED_SEARCH_MATCH = "saved_search.match", _("New item for a saved search")
    REMINDER = "reminder", _("Reminder")


class Category(models.TextChoices):
    """What a person chooses how to hear about (one choice per category)."""

    SUGGESTIONS = "suggestions", _("New suggestions")
    MATCHES = "matches", _("Interest, introductions and match steps")
    MESSAGES = "messages", _("Messages")
    MEETINGS = "meetings", _("Meetings")
    ROUNDTABLE = "roundtable", _("Calls for pitches and decisions")
    REMINDERS = "reminders", _("Reminders")
    CURATION = "curation", _("Secretariat alerts")
    ALERTS = "alerts", _("Saved-search alerts")


class MailMode(models.TextChoices):
    IMMEDIATELY = "immediately", _("E-mail immediately")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")
    NEVER = "never", _("No e-mail")


class MailStatus(models.TextChoices):
    # Internal states (the admin only): not translated.
    PENDING = "pending", "waiting"
    SENT = "sent", "sent"
    SKIPPED = "skipped", "not sent"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")
    # Not sent: the subscriber may no longer see what the event is about.
    WITHHELD = "withheld", _("Withheld")


class SearchScope(models.TextChoices):
    PROGRAMMES = "programmes", _("Programmes")
    NEEDS = "needs", _("Needs")
