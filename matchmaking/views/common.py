"""Helpers the HTML pages share: paging, htmx rendering, the viewer's roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from matchmaking import audit, selectors, services
from matchmaking.models import MemberState, Need, Programme, Provider

PAGE_SIZE = 20


def _page(
    request: HttpRequest, items: Any, param: str = "page", count: int | None = None
) -> Page:
    """One page of a list, with the links to its neighbours (filters kept).

    ``count``: the number of items when the view already knows it (no COUNT).
    """
    paginator = Paginator(items, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not queried
    return _linked(request, paginator.get_page(request.GET.get(param)), param)


def _linked(request: HttpRequest, page: Page, param: str) -> Page:
    """The page with the links to its neighbours (filters kept)."""

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"{request.path}?{query.urlencode()}"

    page.prev_url = url(page.previous_page_number()) if page.has_previous() else ""
    page.next_url = url(page.next_page_number()) if page.has_next() else ""
    return page


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the page, or only its partial when htmx asks for it."""
    name = f"{template}#{partial}" if partial and _is_htmx(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@dataclass(frozen=True)
class Roles:
    """What the signed-in user acts as, for the navigation."""

    state_ids: frozenset[int]
    provider_ids: frozenset[int]
    curator: bool


def _roles(user: Any) -> Roles:
    if not user.is_authenticated:
        return Roles(frozenset(), frozenset(), curator=False)
    rows = list(user.memberships.values_list("member_state_id", "provider_id"))
    return Roles(
        frozenset(s for s, _p in rows if s),
        frozenset(p for _s, p in rows if p),
        curator=selectors.is_curator(user),
    )


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the user's roles, read once per request when needed."""
    return {"roles": SimpleLazyObject(lambda: _roles(request.user))}


def _member_states(user: Any) -> list[MemberState]:
    return list(
        MemberState.objects.filter(memberships__user=user).select_related("country")
    )


def _providers(user: Any) -> list[Provider]:
    return list(Provider.objects.filter(memberships__user=user))


def _page_number(paginator: Paginator, raw: Any) -> int | None:
    """The page ``Paginator.get_page`` shows for ``raw``; None: out of range."""
    try:
        return paginator.validate_number(raw)
    except PageNotAnInteger:
        return 1
    except EmptyPage:
        return None


def _history_for_curators(request: HttpRequest, obj: Any) -> list | None:
    """The audit trail of an object the viewer already sees; curators only."""
    if not selectors.is_curator(request.user):
        return None
    return audit.history_entries(obj)


def _safe_next(request: HttpRequest, default: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _apply_form_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error)


def _editable_or_404[R: (Need, Programme)](
    request: HttpRequest, visible: QuerySet[R], ref: str, *, action: str = "edit"
) -> R:
    """A need or programme the user may edit; 404 (and ``action`` logged) otherwise."""
    record = audit.get_visible_or_404(request, visible, ref=ref)
    if not services.can_edit_record(user=request.user, record=record):
        audit.log_denied_access(request, visible.model, record.pk, action=action)
        raise Http404
    return record


def _form_page(
    request: HttpRequest, template: str, context: dict[str, Any]
) -> HttpResponse:
    """A page with a form: 400 when it answers a refused post, else 200."""
    return render(
        request, template, context, status=400 if request.method == "POST" else 200
    )


# The pages that write a need or a programme, through the services' steps for
# either (services.*_record). A record's kind ("need", "programme") names its
# form template, its page's URL and its name in the template.


def _record_form_page(
    request: HttpRequest, form: Any, record: Need | Programme | None
) -> HttpResponse:
    kind = form._meta.model._meta.model_name
    return _form_page(
        request, f"matchmaking/{kind}_form.html", {"form": form, kind: record}
    )


def _create_page(
    request: HttpRequest,
    form: Any,
    owner_field: str,
    *,
    published: str,
    draft: str,
) -> HttpResponse:
    """Create a need or programme from the posted form, or show the form again.

    The owner is the form's ``owner_field``. The user is told ``published``
    or ``draft`` (with ``%(title)s``) on the new record's page; the service's
    errors land on the form.
    """
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        owner = data.pop(owner_field)
        publish = request.POST.get("publish") == "1"
        try:
            record = services.create_record(
                user=request.user, owner=owner, data=data, publish=publish
            )
        except ValidationError as error:
            _apply_form_errors(form, error)
        else:
            messages.success(
                request, (published if publish else draft) % {"title": record.title}
            )
            return redirect(f"{record._meta.model_name}-detail", ref=record.ref)
    return _record_form_page(request, form, None)


def _edit_page(
    request: HttpRequest, record: Need | Programme, form_class: Any
) -> HttpResponse:
    """Edit a need or programme: saved, the user is told so on its page.

    Otherwise the form again, with the service's errors on it and ``record``
    as stored (the form's validation changed it in memory).
    """
    form = form_class(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_record(
                user=request.user, record=record, data=dict(form.cleaned_data)
            )
        except ValidationError as error:
            _apply_form_errors(form, error)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect(f"{record._meta.model_name}-detail", ref=record.ref)
    record.refresh_from_db()
    return _record_form_page(request, form, record)


def _status_changed(
    request: HttpRequest, record: Need | Programme, done: str
) -> HttpResponse:
    """Apply the posted status and say how it went on the record's page.

    ``done`` is the message, with ``%(status)s``.
    """
    try:
        record = services.set_record_status(
            user=request.user, record=record, status=request.POST.get("status", "")
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, done % {"status": record.get_status_display().lower()}
        )
    return redirect(f"{record._meta.model_name}-detail", ref=record.ref)


def _curator_only(request: HttpRequest) -> None:
    if not selectors.is_curator(request.user):
        raise Http404
