"""Content negotiation of the API (its own module: DRF imports it early)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


class FormatNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, but an unknown ``?format=`` is a 400 naming it.

    DRF answers an unknown format with a 404, as if the resource were missing.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            name = self.settings.URL_FORMAT_OVERRIDE
            value = request.query_params.get(name) if name else None
            if format_suffix or value is None:
                raise
            raise exceptions.ValidationError(
                {name: [_("Unknown format “%(value)s”.") % {"value": value[:40]}]}
            ) from None
