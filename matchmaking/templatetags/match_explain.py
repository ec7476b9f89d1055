"""Template filters showing a match's stored reasons in the active language."""

from __future__ import annotations

from typing import Any

from django import template

from matchmaking import explain

register = template.Library()


@register.filter
def reason_texts(reasons: Any) -> list[str]:
    """The texts of a match's reasons, rendered now in the active language."""
    return explain.reason_texts(reasons)
