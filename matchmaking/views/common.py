"""Helpers the HTML pages share: paging, htmx rendering, the viewer's roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage
from django.core.paginator import Page
from django.core.paginator import PageNotAnInteger
from django.core.paginator import Paginator
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from matchmaking import audit
from matchmaking import invitations
from matchmaking import selectors
from matchmaking.models import MemberState
from matchmaking.models import Provider

PAGE_SIZE = 20


def _page(
    request: HttpRequest, items: Any, param: str = "page", count: int | None = None
) -> Page:
    """One page of a list, with the links to its neighbours (filters kept).

    ``count``: the number of items when the view already knows it (no COUNT).
    """
    paginator = Paginator(items, PAGE_SIZE)
    raw = request.GET.get(param)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not queried
    elif raw in (None, "", "1"):
        return _linked(request, _first_page(paginator), param)
    return _linked(request, paginator.get_page(raw), param)


def _first_page(paginator: Paginator) -> Page:
    """The first page, read with one row more than it holds: without that row
    the count is the rows read (no COUNT query; most lists of one record's
    matches fit on a page), with it the count is asked as before."""
    rows = list(paginator.object_list[: paginator.per_page + 1])
    if len(rows) <= paginator.per_page:
        paginator.count = len(rows)  # a cached_property: set, it is not queried
    return paginator._get_page(rows[: paginator.per_page], 1, paginator)


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


def error_text(error: ValidationError) -> str:
    """A refusal of the services as one line, for a message above the page."""
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
    states, providers = selectors.memberships(user=user)
    return Roles(
        frozenset(states), frozenset(providers), curator=selectors.is_curator(user)
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


def apply_form_errors(form: Any, error: ValidationError) -> None:
    """A refusal of the services on the form: on the field it names, if the form
    has it, else above the form."""
    if hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error)


def form_page(
    request: HttpRequest, template: str, context: dict[str, Any]
) -> HttpResponse:
    """A page with a form: 400 when it answers a refused post, else 200."""
    return render(
        request, template, context, status=400 if request.method == "POST" else 200
    )


def secret_page(
    request: HttpRequest, template: str, form: Any, context: dict[str, Any]
) -> HttpResponse:
    """A page that may show a new secret once (a token's key, a webhook's
    signing secret): 400 when it answers a refused post, and never kept by a
    cache nor replayed by the back button."""
    response = render(
        request,
        template,
        {"form": form, **context},
        status=400 if request.method == "POST" and form.errors else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


def unread_badge(request: HttpRequest, unread: int) -> HttpResponse:
    """A header's count of unread items (fetched by htmx after the page loads)."""
    return render(request, "notifications/badge.html", {"unread": unread})


def _curator_only(request: HttpRequest) -> None:
    if not selectors.is_curator(request.user):
        raise Http404


def send_invitation(request: HttpRequest, form: Any, **organisation: Any) -> bool:
    """Send the invitation a valid form describes (to ``organisation``: its
    state or provider) and say so; False, with the form's errors, if refused."""
    data = form.cleaned_data
    try:
        invitations.invite_user(
            user=request.user,
            email=data["email"],
            role=data["role"],
            accept_url=lambda token: request.build_absolute_uri(
                reverse("invitation-accept", args=[token])
            ),
            **organisation,
        )
    except ValidationError as error:
        apply_form_errors(form, error)
        return False
    messages.success(
        request,
        _("An invitation is on its way to %(email)s.") % {"email": data["email"]},
    )
    return True
