"""Template tags for content language: the shown version and the translations panel."""

from __future__ import annotations

from typing import Any

from django import template

from matchmaking import translations
from matchmaking.explain import language_name as name
from matchmaking.views.translations import panel_context
from matchmaking.views.translations import panel_urls

register = template.Library()


@register.simple_tag
def shown_version(obj: Any) -> translations.Shown:
    """The reader's language version of a record, else the original with a notice."""
    return translations.shown_version(obj)


@register.inclusion_tag("includes/translations_panel.html", takes_context=True)
def translations_panel(context: Any, obj: Any, kind: str) -> dict[str, Any]:
    """The panel of the edit pages: a record's translations and an add form."""
    key = obj.pk if kind == "pitch" else obj.ref
    return {
        "csrf_token": context.get("csrf_token"),
        **panel_context(obj, urls=panel_urls(kind, key)),
    }


@register.filter
def language_name(code: str) -> str:
    """A language's name in the active language ("fr" -> "French")."""
    return name(code)
