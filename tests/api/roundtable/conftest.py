"""The roundtable API tests share the cast of the roundtable's own tests."""

from tests.roundtable.conftest import cast, media  # noqa: F401  (fixtures)
