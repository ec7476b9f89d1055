"""Pages where owners add, edit and delete translations of a record's title and summary.

The edit pages of needs, programmes and pitches include the same panel
(``includes/translations_panel.html``); its forms post here. A failed post
re-renders this page with the errors next to the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.http import require_POST

from matchmaking import explain
from matchmaking import forms
from matchmaking import services
from matchmaking import translations
from matchmaking.views.common import form_page
from matchmaking.views.records import editable_record


@login_required
@require_http_methods(["GET", "POST"])
def record_translations(request: HttpRequest, ref: str, kind: str) -> HttpResponse:
    """The translations of a need or programme (owners and curators)."""
    obj = editable_record(request, kind, ref, action="translate")
    return translations_page(
        request,
        obj=obj,
        can_edit=lambda: services.can_edit_record(user=request.user, record=obj),
        urls=panel_urls(kind, obj.ref),
        back_url=reverse(f"{kind}-edit", args=[obj.ref]),
    )


@login_required
@require_POST
def record_translation_delete(
    request: HttpRequest, ref: str, language: str, kind: str
) -> HttpResponse:
    """Delete a need's or programme's translation in one language."""
    obj = editable_record(request, kind, ref, action="translate")
    return delete_and_redirect(
        request,
        obj=obj,
        language=language,
        can_edit=lambda: services.can_edit_record(user=request.user, record=obj),
        back_url=reverse(f"{kind}-translations", args=[obj.ref]),
    )


def panel_urls(kind: str, key: Any) -> dict[str, str]:
    """The URLs the panel posts to, for "need", "programme" or "pitch"."""
    return {
        "save": reverse(f"{kind}-translations", args=[key]),
        "delete_name": f"{kind}-translation-delete",
        "key": str(key),
    }


def panel_context(
    obj: Model, *, urls: dict[str, str], form: forms.TranslationForm | None = None
) -> dict[str, Any]:
    """What ``includes/translations_panel.html`` shows."""
    original = obj.content_language_id
    items = [
        {
            "language": t.language_id,
            "name": explain.language_name(t.language_id),
            "title": t.title,
            "summary": t.summary,
            "delete_url": reverse(
                urls["delete_name"], args=[urls["key"], t.language_id]
            ),
            "edit_url": f"{urls['save']}?language={t.language_id}",
        }
        for t in translations.translations_of(obj)
    ]
    return {
        "translation_items": items,
        "translation_form": form or forms.TranslationForm(original=original),
        "translation_save_url": urls["save"],
        "original_language": original,
        "original_language_name": explain.language_name(original),
    }


def translations_page(
    request: HttpRequest,
    *,
    obj: Model,
    can_edit: Callable[[], bool],
    urls: dict[str, str],
    back_url: str,
) -> HttpResponse:
    """GET: the translations and a form (pre-filled by ?language=); POST: save one."""
    original = obj.content_language_id
    if request.method == "POST":
        form = forms.TranslationForm(request.POST, original=original)
        if form.is_valid():
            data = form.cleaned_data
            try:
                translations.save_translation(
                    user=request.user,
                    obj=obj,
                    language=data["language"].code,
                    title=data["title"],
                    summary=data["summary"],
                    can_edit=can_edit,
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(
                    request,
                    _("The %(language)s version is saved.")
                    % {"language": explain.language_name(data["language"].code)},
                )
                return redirect(back_url)
    else:
        wanted = request.GET.get("language", "")
        existing = {t.language_id: t for t in translations.translations_of(obj)}
        initial = {}
        if wanted in existing:
            found = existing[wanted]
            initial = {
                "language": wanted,
                "title": found.title,
                "summary": found.summary,
            }
        form = forms.TranslationForm(initial=initial, original=original)
    return form_page(
        request,
        "matchmaking/translations.html",
        {
            "obj": obj,
            "back_url": back_url,
            **panel_context(obj, urls=urls, form=form),
        },
    )


def delete_and_redirect(
    request: HttpRequest,
    *,
    obj: Model,
    language: str,
    can_edit: Callable[[], bool],
    back_url: str,
) -> HttpResponse:
    """Delete one translation, then back to the translations page."""
    try:
        translations.delete_translation(
            user=request.user, obj=obj, language=language, can_edit=can_edit
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError:
        raise Http404 from None
    messages.success(
        request,
        _("The %(language)s version is deleted.")
        % {"language": explain.language_name(language)},
    )
    return redirect(back_url)
