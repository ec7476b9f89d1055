"""Breakout seats and session reports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking.views.common import error_text
from matchmaking.views.common import form_page
from roundtable import forms
from roundtable import selectors
from roundtable import services
from roundtable.models import SessionReport
from roundtable.views.base import saved


@login_required
@require_POST
def breakout_registration(request: HttpRequest, pk: int) -> HttpResponse:
    """Take or give up a seat in a breakout."""
    session = get_object_or_404(selectors.sessions_visible_to(user=request.user), pk=pk)
    try:
        if request.POST.get("action") == "cancel":
            services.cancel_breakout_registration(user=request.user, session=session)
            messages.success(request, _("You have given up your seat."))
        else:
            services.register_for_breakout(user=request.user, session=session)
            messages.success(request, _("You are registered."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("event-agenda", slug=session.event.slug)


def session_report(request: HttpRequest, pk: int) -> HttpResponse:
    """A session's report (published, or a draft to its writers)."""
    report = get_object_or_404(
        selectors.reports_visible_to(user=request.user), session_id=pk
    )
    can_write = services.may_write_report(
        user=request.user, session=report.session, report=report
    )
    return render(
        request,
        "roundtable/report.html",
        {
            "report": report,
            "session": report.session,
            "can_write": can_write,
            "session_commitments": selectors.commitments_visible_to(
                user=request.user
            ).filter(session=report.session),
        },
    )


@login_required
def session_report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The rapporteur writes (and publishes) the report."""
    session = get_object_or_404(selectors.sessions_visible_to(user=request.user), pk=pk)
    report = selectors.report_of(session=session)
    if not services.may_write_report(user=request.user, session=session, report=report):
        raise Http404
    initial = (
        {f: getattr(report, f) for f in services.REPORT_FIELDS} if report else None
    )
    form = forms.ReportForm(request.POST or None, initial=initial)

    def save() -> SessionReport:
        nonlocal report
        report = services.write_session_report(
            user=request.user, session=session, data=form.cleaned_data
        )
        if request.POST.get("publish") == "1":
            services.publish_session_report(user=request.user, report=report)
        return report

    if saved(request, form, save, _("The report is saved.")) is not None:
        return redirect("session-report", pk=session.pk)
    return form_page(
        request,
        "roundtable/report_form.html",
        {"form": form, "session": session, "report": report},
    )
