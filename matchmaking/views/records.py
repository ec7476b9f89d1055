"""The pages that write a need or a programme, written once for both: create, edit
and status. Their steps are the services'
need-or-programme ones (``services.*_record``). A record's kind ("need",
"programme"), given by the URL, names its form template, its page's URL and
its name in the template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from matchmaking import audit
from matchmaking import forms
from matchmaking import selectors
from matchmaking import services
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.views.common import _member_states
from matchmaking.views.common import _providers
from matchmaking.views.common import apply_form_errors
from matchmaking.views.common import error_text
from matchmaking.views.common import form_page


@dataclass(frozen=True)
class _Kind:
    visible: Callable[..., QuerySet]
    form: type[forms.TaggedRecordForm]
    # Who a new record may be for (the user's member states or providers), and
    # the form's keyword argument offering them.
    owners: Callable[[Any], list]
    owners_argument: str
    owner_field: str
    # The messages, with %(title)s or %(status)s.
    published: Promise
    draft: Promise
    status_done: Promise


KINDS = {
    "need": _Kind(
        visible=selectors.needs_visible_to,
        form=forms.NeedForm,
        owners=_member_states,
        owners_argument="member_states",
        owner_field="member_state",
        published=gettext_lazy(
            "Your need “%(title)s” is published. Suggested programmes "
            "appear below as soon as the matching engine has run."
        ),
        draft=gettext_lazy("Your need “%(title)s” is saved as a draft."),
        status_done=gettext_lazy("The need is now %(status)s."),
    ),
    "programme": _Kind(
        visible=selectors.programmes_visible_to,
        form=forms.ProgrammeForm,
        owners=_providers,
        owners_argument="providers",
        owner_field="provider",
        published=gettext_lazy("“%(title)s” is published in the catalogue."),
        draft=gettext_lazy("“%(title)s” is saved as a draft."),
        status_done=gettext_lazy("The programme is now %(status)s."),
    ),
}


def editable_record(
    request: HttpRequest,
    kind: str,
    ref: str,
    *,
    action: str = "edit",
    with_tags: bool = True,
) -> Any:
    """The need or programme (``kind``) the user may edit; 404 (and ``action``
    logged) otherwise. ``with_tags=False``: for a page that shows none."""
    visible = KINDS[kind].visible(user=request.user, with_tags=with_tags)
    record = audit.get_visible_or_404(request, visible, ref=ref)
    if not services.can_edit_record(user=request.user, record=record):
        audit.log_denied_access(request, visible.model, record.pk, action=action)
        raise Http404
    return record


@login_required
def record_edit(request: HttpRequest, ref: str, kind: str) -> HttpResponse:
    """Edit a need of the user's state or a programme of the user's provider.

    Saved, the user is told so on its page; otherwise the form again, with the
    service's errors on it and the record as stored (the form's validation
    changed it in memory).
    """
    record = editable_record(request, kind, ref)
    form = KINDS[kind].form(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_record(
                user=request.user, record=record, data=dict(form.cleaned_data)
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect(f"{kind}-detail", ref=record.ref)
    record.refresh_from_db()
    return _record_form_page(request, form, record)


@login_required
@require_POST
def record_status(request: HttpRequest, ref: str, kind: str) -> HttpResponse:
    """Publish, withdraw, pause, close or reopen a need or programme; say how it
    went on its page."""
    record = editable_record(request, kind, ref)
    try:
        record = services.set_record_status(
            user=request.user, record=record, status=request.POST.get("status", "")
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        status = record.get_status_display().lower()
        messages.success(request, str(KINDS[kind].status_done) % {"status": status})
    return redirect(f"{kind}-detail", ref=record.ref)


def _record_form_page(
    request: HttpRequest, form: Any, record: Need | Programme | None
) -> HttpResponse:
    kind = form._meta.model._meta.model_name
    return form_page(
        request, f"matchmaking/{kind}_form.html", {"form": form, kind: record}
    )


@login_required
def record_create(request: HttpRequest, kind: str) -> HttpResponse:
    """Post a need for one of the user's member states, or register a programme
    for one of the user's providers; the form again when refused.

    The user is told it is published or saved as a draft on the new record's
    page; the service's errors land on the form.
    """
    spec = KINDS[kind]
    owners = spec.owners(request.user)
    if not owners:
        raise Http404
    form = spec.form(request.POST or None, **{spec.owners_argument: owners})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        owner = data.pop(spec.owner_field)
        publish = request.POST.get("publish") == "1"
        try:
            record = services.create_record(
                user=request.user, owner=owner, data=data, publish=publish
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            done = spec.published if publish else spec.draft
            messages.success(request, str(done) % {"title": record.title})
            return redirect(f"{kind}-detail", ref=record.ref)
    return _record_form_page(request, form, None)
