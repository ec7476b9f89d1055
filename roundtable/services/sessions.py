"""Breakout registration and session reports."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking import selectors as mm_selectors
from matchmaking.models import User
from roundtable.enums import SessionKind
from roundtable.models import BreakoutRegistration
from roundtable.models import Session
from roundtable.models import SessionReport
from roundtable.services.common import _require_curator


@transaction.atomic
def register_for_breakout(*, user: User, session: Session) -> BreakoutRegistration:
    """Take a seat in a breakout, if one is left (seats are counted under a lock)."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.kind != SessionKind.BREAKOUT:
        raise ValidationError(_("Registration is for breakout sessions."))
    if session.starts_at <= timezone.now():
        raise ValidationError(_("This breakout has started."))
    if BreakoutRegistration.objects.filter(session=session, user=user).exists():
        raise ValidationError(_("You are already registered."))
    if session.capacity is not None and (
        BreakoutRegistration.objects.filter(session=session).count() >= session.capacity
    ):
        raise ValidationError(_("This breakout is full."))
    return BreakoutRegistration.objects.create(session=session, user=user)


@transaction.atomic
def cancel_breakout_registration(*, user: User, session: Session) -> None:
    """Give up one's seat."""
    deleted, _rows = BreakoutRegistration.objects.filter(
        session=session, user=user
    ).delete()
    if not deleted:
        raise ValidationError(_("You are not registered for this breakout."))


REPORT_FIELDS = ("summary", "key_issues", "commitments")


def may_write_report(
    *, user: User, session: Session, report: SessionReport | None
) -> bool:
    """Curators; the rapporteur once named; before that, the session's chair."""
    if mm_selectors.is_curator(user):
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    if report is not None and report.rapporteur_id:
        return report.rapporteur_id == user.pk
    return session.chair_id == user.pk


@transaction.atomic
def assign_rapporteur(
    *, user: User, session: Session, rapporteur: User
) -> SessionReport:
    """A curator names the rapporteur who writes the session's report."""
    _require_curator(user)
    report, _created = SessionReport.objects.get_or_create(
        session=session, defaults={"rapporteur": rapporteur, "summary": ""}
    )
    if report.rapporteur_id != rapporteur.pk:
        report.rapporteur = rapporteur
        report.save(update_fields=["rapporteur", "updated_at"])
    return report


@transaction.atomic
def write_session_report(
    *, user: User, session: Session, data: Mapping[str, str]
) -> SessionReport:
    """The rapporteur (or the chair, or a curator) writes the report."""
    report = SessionReport.objects.select_for_update().filter(session=session).first()
    if not may_write_report(user=user, session=session, report=report):
        raise PermissionDenied
    if report is None:
        report = SessionReport(session=session, rapporteur=user)
    for field in REPORT_FIELDS:
        if field in data:
            setattr(report, field, data[field])
    report.full_clean(exclude=["session"])
    report.save()
    return report


@transaction.atomic
def publish_session_report(*, user: User, report: SessionReport) -> SessionReport:
    """Make a report public (it is linked from the agenda)."""
    report = (
        SessionReport.objects.select_for_update(of=("self",))
        .select_related("session")
        .get(pk=report.pk)
    )
    if not may_write_report(user=user, session=report.session, report=report):
        raise PermissionDenied
    if report.published_at is not None:
        raise ValidationError(_("This report is already published."))
    if not report.summary.strip():
        raise ValidationError({"summary": _("Write the summary before publishing.")})
    report.published_at = timezone.now()
    report.save(update_fields=["published_at", "updated_at"])
    return report
