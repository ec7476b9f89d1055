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
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from matchmaking import audit, explain, forms, selectors, services, translations
from matchmaking.models import Need, Programme
from matchmaking.views.common import _form_page


@login_required
@require_http_methods(["GET", "POST"])
def need_translations(request: HttpRequest, ref: str) -> HttpResponse:
    """The translations of a need (owners and curators)."""
    return _record_page(request, "need", selectors.needs_visible_to, ref)


@login_required
@require_POST
def need_translation_delete(
    request: HttpRequest, ref: str, language: str
) -> HttpResponse:
    """Delete a need's translation in one language."""
    return _record_delete(request, "need", selectors.needs_visible_to, ref, language)


@login_required
@require_http_methods(["GET", "POST"])
def programme_translations(request: HttpRequest, ref: str) -> HttpResponse:
    """The translations of a programme (owners and curators)."""
    return _record_page(request, "programme", selectors.programmes_visible_to, ref)


@login_required
@require_POST
def programme_translation_delete(
    request: HttpRequest, ref: str, language: str
) -> HttpResponse:
    """Delete a programme's translation in one language."""
    return _record_delete(
        request, "programme", selectors.programmes_visible_to, ref, language
    )


def _record_page(
    request: HttpRequest, kind: str, visible: Callable[..., Any], ref: str
) -> HttpResponse:
    """The translations page of a need or programme (``kind``)."""
    obj = _editable(request, visible(user=request.user), ref)
    return translations_page(
        request,
        obj=obj,
        can_edit=lambda: _may_edit(request.user, obj),
        urls=panel_urls(kind, obj.ref),
        back_url=reverse(f"{kind}-edit", args=[obj.ref]),
    )


def _record_delete(
    request: HttpRequest,
    kind: str,
    visible: Callable[..., Any],
    ref: str,
    language: str,
) -> HttpResponse:
    """Delete a need's or programme's (``kind``) translation in one language."""
    obj = _editable(request, visible(user=request.user), ref)
    return delete_and_redirect(
        request,
        obj=obj,
        language=language,
        can_edit=lambda: _may_edit(request.user, obj),
        back_url=reverse(f"{kind}-translations", args=[obj.ref]),
    )


def _may_edit(user: Any, obj: Need | Programme) -> bool:
    if isinstance(obj, Need):
        return services.can_edit_need(user=user, need=obj)
    return services.can_edit_programme(user=user, programme=obj)


def _editable(request: HttpRequest, queryset: Any, ref: str) -> Need | Programme:
    """A record the user may see and edit; 404 otherwise (as for a missing one)."""
    obj = audit.get_visible_or_404(request, queryset, ref=ref)
    if not _may_edit(request.user, obj):
        audit.log_denied_access(request, type(obj), obj.pk, action="translate")
        raise Http404
    return obj


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
    return _form_page(
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
