"""Choices shared across the matchmaking modules."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    IN_DISCUSSION = "in_discussion", _("In discussion")
    IN_DELIVERY = "in_delivery", _("In delivery")
    FULFILLED = "fulfilled", _("Fulfilled")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Needs still looking for help: the engine ranks programmes for these.
ACTIVE_NEED_STATUSES = (NeedStatus.OPEN, NeedStatus.IN_DISCUSSION)


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


class MatchStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    INTEREST = "interest", _("Interest expressed")
    INTRODUCED = "introduced", _("Introduced")
    AGREED = "agreed", _("Agreed")
    IN_DELIVERY = "in_delivery", _("In delivery")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")


# A match in one of these states counts against a programme's capacity.
CAPACITY_MATCH_STATUSES = (
    MatchStatus.AGREED,
    MatchStatus.IN_DELIVERY,
    MatchStatus.COMPLETED,
)


class MatchOrigin(models.TextChoices):
    ENGINE = "engine", _("Matching engine")
    CURATOR = "curator", _("Curator")


class UnmetReason(models.TextChoices):
    NONE = "", _("Met")
    NO_ELIGIBLE = "no_eligible", _("No eligible programme")
    NONE_RELEVANT = "none_relevant", _("No programme relevant enough")


class DeliveryOutcome(models.TextChoices):
    ACHIEVED = "achieved", _("Objectives achieved")
    PARTIAL = "partial", _("Partly achieved")
    NOT_ACHIEVED = "not_achieved", _("Not achieved")
