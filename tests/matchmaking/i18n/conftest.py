"""Fixtures of the i18n tests: every language offered, from a temporary copy."""

import pytest

from tests.matchmaking.i18n.catalogues import compile_project_catalogues
from tests.matchmaking.views.conftest import world  # noqa: F401  (the shared web fixture)
from tests.roundtable.conftest import cast  # noqa: F401  (shared fixtures)
from tests.roundtable.conftest import media  # noqa: F401  (shared fixtures)


@pytest.fixture
def all_languages(settings, tmp_path_factory):
    """Offer all six languages: compile the current catalogues into a temp dir.

    The switcher and the redirects only offer compiled languages; tests must
    not depend on whether the translators' .mo files exist yet in locale/.
    """
    target = compile_project_catalogues(tmp_path_factory.mktemp("locale"))
    settings.LOCALE_PATHS = [str(target)]
    return target


@pytest.fixture
def only_french(settings, tmp_path_factory):
    """Offer English and French only (the others are not compiled)."""
    from tests.matchmaking.i18n.catalogues import write_catalogue

    target = tmp_path_factory.mktemp("locale-fr")
    write_catalogue(target, "fr", [])
    settings.LOCALE_PATHS = [str(target)]
    return target
