"""The API's JSON parser: what the database cannot store is a 400, never a 500."""

from __future__ import annotations

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import exceptions
from rest_framework import parsers
from rest_framework.fields import ProhibitSurrogateCharactersValidator

from matchmaking import jsontext

# The wording of the validators every serializer CharField runs (translated by
# Django and DRF), so a field reads the same whichever check finds it first.
_MESSAGES = {
    "nul": ProhibitNullCharactersValidator.message,
    "surrogate": ProhibitSurrogateCharactersValidator.message,
}


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing deep nesting, NUL characters and lone
    surrogates anywhere in the body (keys included) with a 400 naming where."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - arrays and objects nested too deeply"
            ) from None
        try:
            unsafe = next(jsontext.unsafe_strings(data), None)
        except jsontext.TooDeep as deep:
            raise exceptions.ParseError(f"JSON parse error - {deep}") from None
        if unsafe is not None:
            field = ".".join(map(str, unsafe.path)) or "non_field_errors"
            message = _MESSAGES[unsafe.flaw].format(code_point=unsafe.code_point)
            raise exceptions.ValidationError({field: [message]})
        return data
