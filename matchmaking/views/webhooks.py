"""The account's webhooks and saved searches: subscribe, edit, test, read the log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking import forms
from matchmaking import selectors
from matchmaking.models import SavedSearch
from matchmaking.models import SearchScope
from matchmaking.models import WebhookEndpoint
from matchmaking.savedsearches import queries
from matchmaking.savedsearches import services as saved
from matchmaking.views.common import _page
from matchmaking.views.common import apply_form_errors
from matchmaking.views.common import error_text
from matchmaking.views.common import form_page
from matchmaking.views.common import secret_page
from matchmaking.webhooks import delivery


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    """The user's webhooks; subscribe a new one (its secret is shown once)."""
    form = forms.WebhookForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _endpoint, secret = delivery.create_endpoint(
                user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(
                request,
                _("Webhook created. Copy its secret now: it will not be shown again."),
            )
            form = forms.WebhookForm()
    endpoints = selectors.webhooks_of(user=request.user)
    return secret_page(
        request,
        "registration/webhooks.html",
        form,
        {"secret": secret, "page": _page(request, endpoints)},
    )


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One webhook: change it, send a test event, read its delivery log."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, user=request.user)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "is_active": endpoint.is_active,
    }
    form = forms.WebhookForm(request.POST or None, initial=initial, with_active=True)
    if request.method == "POST" and form.is_valid():
        try:
            delivery.update_endpoint(
                user=request.user, endpoint=endpoint, changes=form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("webhook-detail", pk=endpoint.pk)
    log = endpoint.deliveries.order_by("-created_at", "-id")
    return form_page(
        request,
        "registration/webhook_detail.html",
        {"endpoint": endpoint, "form": form, "page": _page(request, log)},
    )


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a test event to the webhook."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, user=request.user)
    try:
        delivery.send_test_event(user=request.user, endpoint=endpoint)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("A test event is on its way."))
    return redirect("webhook-detail", pk=endpoint.pk)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete the webhook and its log."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, user=request.user)
    delivery.delete_endpoint(user=request.user, endpoint=endpoint)
    messages.success(request, _("Webhook deleted."))
    return redirect("webhook-list")


@login_required
def saved_search_list(request: HttpRequest) -> HttpResponse:
    """The user's saved searches, each a link to its results."""
    searches = selectors.saved_searches_of(user=request.user)
    page = _page(request, searches)
    for search in page:
        target = reverse(
            "programme-list" if search.scope == SearchScope.PROGRAMMES else "need-list"
        )
        query = queries.to_page(scope=search.scope, query=search.query)
        search.results_url = f"{target}?{query}" if query else target
    return render(request, "registration/saved_searches.html", {"page": page})


@login_required
def saved_search_create(request: HttpRequest) -> HttpResponse:
    """Save the catalogue's or the needs register's search as an alert.

    The pages link here with their own parameters (and ``scope``); the form
    names the search, and keeps the parameters hidden.
    """
    if request.method == "POST":
        form = forms.SavedSearchForm(request.POST)
    else:
        page_query = request.GET.copy()
        scope = page_query.pop("scope", [""])[0]
        form = forms.SavedSearchForm(
            initial={"scope": scope, "page_query": page_query.urlencode()}
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved.create_saved_search(
                user=request.user,
                name=data["name"],
                scope=data["scope"],
                query=queries.from_page(
                    scope=data["scope"], page_query=data["page_query"]
                ),
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(
                request, _("Search saved: you will hear of new items that match it.")
            )
            return redirect("saved-search-list")
    return form_page(request, "registration/saved_search_form.html", {"form": form})


@login_required
@require_POST
def saved_search_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop an alert."""
    search = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    saved.delete_saved_search(user=request.user, search=search)
    messages.success(request, _("Saved search deleted."))
    return redirect("saved-search-list")
