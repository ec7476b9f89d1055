"""The notification centre, mail settings and the one-click unsubscribe."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from matchmaking.models import Category
from matchmaking.models import MailMode
from matchmaking.models import Notification
from matchmaking.notifications import centre
from matchmaking.notifications import preferences
from matchmaking.views.common import _page
from matchmaking.views.common import unread_badge


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first."""
    page = _page(request, centre.notifications_of(user=request.user))
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "entries": centre.entries(user=request.user, notifications=page),
            "unread": centre.unread_count(user=request.user),
        },
    )


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to what it is about."""
    notification = (
        Notification.objects.filter(user=request.user, pk=pk)
        .select_related("event")
        .first()
    )
    if notification is None:
        raise Http404
    centre.mark_read(user=request.user, ids=[notification.pk])
    entry = centre.entries(user=request.user, notifications=[notification])[0]
    if not entry.visible:
        messages.info(request, _("You can no longer see what this was about."))
        return redirect("notification-list")
    return redirect(entry.url)


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark every notification read."""
    centre.mark_read(user=request.user)
    return redirect("notification-list")


@login_required
def notification_badge(request: HttpRequest) -> HttpResponse:
    """The header's count of unread notifications."""
    return unread_badge(request, centre.unread_count(user=request.user))


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    """How to hear about each category; the phone and time zone."""
    user = request.user
    errors: dict[str, str] = {}
    profile = preferences.profile_of(user)
    modes = preferences.mail_modes(user=user)
    if request.method == "POST":
        # "mode-<category>" on the page; the bare category name still works.
        chosen = {
            c: request.POST.get(f"mode-{c}", request.POST.get(c, modes[c]))
            for c in Category.values
        }
        try:
            preferences.set_mail_modes(user=user, modes=chosen)
            preferences.update_profile(
                user=user,
                phone=request.POST.get("phone", profile.phone),
                time_zone=request.POST.get("time_zone", profile.time_zone),
            )
        except ValidationError as error:
            errors = {
                field: " ".join(texts) for field, texts in error.message_dict.items()
            }
            modes.update(chosen)
            profile.phone = request.POST.get("phone", "")
            profile.time_zone = request.POST.get("time_zone", "")
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notification-settings")
    return render(
        request,
        "notifications/settings.html",
        {
            "rows": [(c.value, c.label, modes[c.value]) for c in Category],
            "choices": MailMode.choices,
            "profile": profile,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@csrf_exempt  # RFC 8058: the mail client POSTs without a session or token
def notification_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Turn one category's mail off: a button (GET) or one-click (POST)."""
    if request.method == "POST":
        done = preferences.unsubscribe(token=token)
        if done is None:
            raise Http404
        return render(
            request,
            "notifications/unsubscribed.html",
            {"category": Category(done[1]).label},
        )
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    if preferences.read_unsubscribe_token(token=token) is None:
        raise Http404
    return render(
        request,
        "notifications/unsubscribe.html",
        {"action": reverse("notification-unsubscribe", args=[token])},
    )
