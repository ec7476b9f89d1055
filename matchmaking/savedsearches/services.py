"""Saving and deleting searches (the page and the API call these)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from matchmaking.models import SavedSearch
from matchmaking.savedsearches import queries

# Enough for anyone; a script cannot fill the alert loop with searches.
MAX_PER_USER = 100


def create_saved_search(*, user: Any, name: str, scope: str, query: str) -> SavedSearch:
    """Keep a search as an alert; its query is checked and normalised."""
    normalised = queries.normalise(scope=scope, query=query)
    if SavedSearch.objects.filter(user=user, scope=scope, query=normalised).exists():
        raise ValidationError({"query": [_("You have already saved this search.")]})
    if SavedSearch.objects.filter(user=user).count() >= MAX_PER_USER:
        raise ValidationError(
            _("You have %(count)s saved searches: delete one first.")
            % {"count": MAX_PER_USER}
        )
    search = SavedSearch(user=user, name=name.strip(), scope=scope, query=normalised)
    search.full_clean()
    search.save()
    return search


def delete_saved_search(*, user: Any, search: SavedSearch) -> None:
    """Stop the alert."""
    if search.user_id != user.pk:
        raise ValidationError(_("This is not yours."))
    search.delete()
