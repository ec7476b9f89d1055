"""The six UN languages: which are offered, how a request picks one, sorting.

English is the source language and lives at the unprefixed URLs; the other
five live under ``/ar/``, ``/es/``, ``/fr/``, ``/ru/`` and ``/zh-hans/``.
A language is offered (in the switcher, in redirects, to the API) once its
compiled catalogue ``locale/<dir>/LC_MESSAGES/django.mo`` exists, so a
translation that is not finished yet never half-appears.

How a request gets its language:

* a prefixed URL (``/fr/needs/``) is always in that language, so a link opens
  in the language it was shared in;
* ``/api/`` answers in the ``Accept-Language`` language, else the signed-in
  user's profile language, else English, and never redirects;
* an unprefixed HTML ``GET`` from someone whose profile language, language
  cookie or ``Accept-Language`` (in that order) prefers another offered
  language is redirected (302, ``Vary: Accept-Language, Cookie``) to the
  prefixed URL; anything else unprefixed is English.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from django.conf import settings
from django.contrib.auth.middleware import get_user
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import is_valid_path
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from matchmaking import reference_cache
from matchmaking.models import UN_LANGUAGES
from matchmaking.models import Country
from matchmaking.models import Topic

API_PREFIX = "/api/"
# The locale directory of a language code: Django's own mapping, spelled out
# because "zh-hans" -> "zh_Hans" is the one people get wrong.
LOCALE_DIRS = {code: translation.to_locale(code) for code in ("ar", "es", "fr", "ru")}
LOCALE_DIRS["zh-hans"] = "zh_Hans"


# --- which languages are offered ----------------------------------------------


def catalogue_path(code: str, locale_path: Path | str) -> Path:
    """Where the compiled catalogue of a language lives under a locale path."""
    return Path(locale_path) / translation.to_locale(code) / "LC_MESSAGES" / "django.mo"


def available_codes() -> list[str]:
    """Codes of the languages offered: the source language and every compiled one."""
    codes = []
    for code, _name in settings.LANGUAGES:
        if code == settings.LANGUAGE_CODE or any(
            catalogue_path(code, path).is_file() for path in settings.LOCALE_PATHS
        ):
            codes.append(code)
    return codes


def available_languages() -> list[dict[str, Any]]:
    """The offered languages with their native names and direction, for the switcher."""
    result = []
    for code in available_codes():
        info = translation.get_language_info(code)
        result.append(
            {"code": code, "name_local": info["name_local"], "bidi": info["bidi"]}
        )
    return result


def supported(code: str | None) -> str | None:
    """The offered language a code stands for (``fr-CA`` -> ``fr``), or None."""
    if not code:
        return None
    try:
        variant = get_supported_language_variant(code)
    except LookupError:
        return None
    return variant if variant in available_codes() else None


# --- which language a request prefers -----------------------------------------


def accept_language(request: HttpRequest) -> str | None:
    """The first offered language of the Accept-Language header, by weight."""
    header = request.headers.get("Accept-Language", "")
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            break
        found = supported(code)
        if found:
            return found
    return None


def profile_language(request: HttpRequest) -> str | None:
    """The signed-in user's profile language when it is offered.

    Runs before AuthenticationMiddleware: ``get_user`` caches the user on the
    request, so the later ``request.user`` costs no second query.
    """
    if not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return None
    user = get_user(request)
    if not user.is_authenticated:
        return None
    return supported(user.language)


def cookie_language(request: HttpRequest) -> str | None:
    """The language the switcher stored in the cookie, when it is offered."""
    return supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))


def preferred_language(request: HttpRequest) -> str | None:
    """Profile, then cookie, then Accept-Language: the first offered one."""
    return (
        profile_language(request)
        or cookie_language(request)
        or accept_language(request)
    )


# --- URLs in a language ---------------------------------------------------------


def strip_language_prefix(path: str) -> str:
    """``/fr/needs/`` -> ``/needs/``; paths without a language prefix are unchanged."""
    prefix = translation.get_language_from_path(path)
    if prefix and path.startswith(f"/{prefix}/"):
        return path[len(prefix) + 1 :]
    if prefix and path == f"/{prefix}":
        return "/"
    return path


def path_in_language(path: str, code: str) -> str:
    """The same page in another language (the source language is unprefixed)."""
    bare = strip_language_prefix(path)
    if code == settings.LANGUAGE_CODE:
        return bare
    return f"/{code}{bare}"


def url_in_language(url: str, code: str) -> str:
    """A local URL (path, query, fragment) with its path moved to a language."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=path_in_language(parts.path or "/", code)))


def has_language_version(path: str, code: str) -> bool:
    """Whether the page exists under the language prefix (HTML pages do)."""
    with translation.override(code):
        return is_valid_path(f"/{code}{path}")


class LanguageMiddleware(LocaleMiddleware):
    """LocaleMiddleware that keeps English unprefixed yet honours preferences.

    Django's LocaleMiddleware, with ``prefix_default_language=False``, serves
    every unprefixed URL in LANGUAGE_CODE and ignores the cookie and
    Accept-Language; this one redirects a reader who prefers another language
    to the prefixed page, answers the API in the Accept-Language language, and
    otherwise behaves the same. Goes where LocaleMiddleware goes (after
    SessionMiddleware, before CommonMiddleware).
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path_info
        from_path = translation.get_language_from_path(path)
        if from_path:
            language = from_path
        elif path.startswith(API_PREFIX):
            language = (
                accept_language(request)
                or profile_language(request)
                or settings.LANGUAGE_CODE
            )
        else:
            preferred = preferred_language(request)
            language = settings.LANGUAGE_CODE
            if preferred and preferred != settings.LANGUAGE_CODE:
                if has_language_version(path, preferred):
                    if self._redirectable(request):
                        response = HttpResponseRedirect(
                            url_in_language(request.get_full_path(), preferred)
                        )
                        patch_vary_headers(response, ("Accept-Language", "Cookie"))
                        return response
                else:
                    # Pages outside the language prefixes (the admin, the
                    # switcher itself) follow the preference directly.
                    language = preferred
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None

    @staticmethod
    def _redirectable(request: HttpRequest) -> bool:
        """A browser navigating to a page, not a form post or an htmx swap."""
        return (
            request.method in {"GET", "HEAD"}
            and "HX-Request" not in request.headers
            and "text/html" in request.headers.get("Accept", "")
        )

    def process_response(
        self, request: HttpRequest, response: HttpResponse
    ) -> HttpResponse:
        response = super().process_response(request, response)
        if not translation.get_language_from_path(request.path_info):
            # The redirect above depends on the cookie and the header.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


# --- sorting and searching in every script ----------------------------------------

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627"}
)
# Spaces, hyphens and dashes (U+2010-2015), apostrophes (U+2018-2019, U+00B4).
_PUNCTUATION = re.compile("[\\s\\-\u2010-\u2015'\u2018\u2019`\u00b4.,()]+")


def fold(text: str) -> str:
    """Text folded for matching: no case, accents, Arabic vowel marks or tatweel.

    ``Côte d'Ivoire``, ``cote d ivoire`` and ``COTE-D-IVOIRE`` fold alike;
    Cyrillic keeps its letters (short i and yo fold to i and ie, as Russian
    readers type them); Chinese characters are kept as they are, so a
    substring search finds them.
    """
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _PUNCTUATION.sub(" ", stripped.casefold()).strip()


def matches(query: str, *texts: str) -> bool:
    """Whether every folded word of the query occurs in one of the texts."""
    words = fold(query).split()
    if not words:
        return True
    haystack = " ".join(fold(text) for text in texts if text)
    return all(word in haystack for word in words)


@lru_cache(maxsize=1)
def _uca() -> Any:
    from pyuca import Collator

    return Collator()


@lru_cache(maxsize=8)
def _collator(code: str) -> Callable[[str], Any]:
    """A sort key for a language: ICU's collation when PyICU is installed (the
    ``icu`` extra: Chinese by pinyin, Spanish ñ after n), else the Unicode
    Collation Algorithm's default order (pyuca), which already sorts accents,
    Arabic and Cyrillic correctly."""
    try:
        import icu
    except ImportError:
        return _uca().sort_key
    locale = {"zh-hans": "zh@collation=pinyin"}.get(code, code)
    return icu.Collator.createInstance(icu.Locale(locale)).getSortKey


def sort_key(text: str, code: str | None = None) -> Any:
    """The collation key of a text in a language (the active one by default)."""
    return _collator(code or translation.get_language() or settings.LANGUAGE_CODE)(text)


def sorted_by_name[T](
    items: Iterable[T], name: Callable[[T], str] = str, code: str | None = None
) -> list[T]:
    """Items sorted by their name the way readers of the language expect."""
    return sorted(items, key=lambda item: sort_key(name(item), code))


def languages(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the offered languages, for the switcher."""
    return {"offered_languages": available_languages()}


def display_name(obj: Any) -> str:
    """The name of a reference row in the active language."""
    label = getattr(obj, "label", None)
    return str(label if label is not None else obj.name)


def _searchable(query: str) -> bool:
    """Long enough to look names up with (two CJK characters, three letters)."""
    folded = fold(query).replace(" ", "")
    if not folded:
        return False
    return len(folded) >= (3 if folded.isascii() else 2)


@lru_cache(maxsize=4096)
def _folded_names(names: tuple[str, ...]) -> str:
    """The folded names of a reference row, as ``matches`` searches them.

    Cached: every search folds the same country and topic names again, and
    folding them is most of its time. Keyed by the names, so an edited name is
    folded afresh.
    """
    return " ".join(fold(text) for text in names if text)


def _names_match(words: list[str], names: tuple[str, ...]) -> bool:
    """``matches`` for a query already folded and split into ``words``."""
    haystack = _folded_names(names)
    return all(word in haystack for word in words)


def _country_names() -> list[tuple[str, ...]]:
    fields = ("iso3", "iso2", *(f"name_{lang}" for lang in UN_LANGUAGES))
    return list(Country.objects.order_by().values_list(*fields))


def _topic_names() -> list[tuple[str, ...]]:
    langs = ("name", "name_ar", "name_es", "name_fr", "name_ru", "name_zh")
    fields = ("slug", *langs, *(f"theme__{name}" for name in langs))
    return list(Topic.objects.order_by().values_list(*fields))


def countries_matching(
    query: str, generation: tuple[int, ...] | None = None
) -> list[str]:
    """ISO alpha-3 codes of the countries whose code or name in any UN language
    matches the query, accents, case and Arabic marks aside. ``generation``:
    the names kept for it are read (``reference_cache``)."""
    if not _searchable(query):
        return []
    folded = fold(query)
    words = folded.split()
    return [
        row[0]
        for row in reference_cache.kept("country-names", generation, _country_names)
        if _names_match(words, row[2:])
        or folded in {_folded_names(row[:1]), _folded_names(row[1:2])}
    ]


def topics_matching(query: str, generation: tuple[int, ...] | None = None) -> list[str]:
    """Slugs of the topics whose own or theme's name matches in any language
    (``generation``: as ``countries_matching``)."""
    if not _searchable(query):
        return []
    words = fold(query).split()
    return [
        row[0]
        for row in reference_cache.kept("topic-names", generation, _topic_names)
        if _names_match(words, row[1:7]) or _names_match(words, row[7:])
    ]


def reference_ids(
    query: str, model: Any, generation: tuple[int, ...] | None = None
) -> list[Any]:
    """Querysets of the ids of the programmes (``model``) tied to a country or
    topic the query names: eligible for the country, offered by a provider
    based there, or on the topic; each read through an index (the link
    tables', the provider's country), where one ``OR`` of joins would read
    every programme and its links. ``generation``: the names kept for it
    are read (``reference_cache``)."""
    countries = countries_matching(query, generation)
    topics = topics_matching(query, generation)
    found = []
    if countries:
        eligible = model.eligible_countries.through.objects
        found.append(eligible.filter(country__in=countries).values("programme_id"))
        found.append(model.objects.filter(provider__country__in=countries).values("pk"))
    if topics:
        tagged = model.topics.through.objects
        found.append(tagged.filter(topic__in=topics).values("programme_id"))
    return found


def reference_search_q(
    query: str,
    model: Any,
    country_paths: Iterable[str] = ("eligible_countries", "provider__country"),
) -> Any:
    """Rows of ``model`` tied to a country or topic the query names.

    Covers what a plain ``icontains`` cannot: ``cote d'ivoire`` finds
    ``Côte d'Ivoire`` and ``Кот-д'Ивуар`` finds it in Russian. One ``pk__in``
    subquery, so the outer query gains no duplicate rows.
    """
    from django.db.models import Q

    countries = countries_matching(query)
    topics = topics_matching(query)
    inner = Q(pk__in=[])
    for path in country_paths if countries else ():
        inner |= Q(**{f"{path}__in": countries})
    if topics:
        inner |= Q(topics__in=topics)
    if not (countries or topics):
        return Q(pk__in=[])
    return Q(pk__in=model.objects.filter(inner).values("pk"))


# --- mail in the recipient's language ---------------------------------------------


def mail_subject(subject: object) -> str:
    """A subject on one header line: line breaks (from a title, say) and runs
    of white space collapse to one space, so no text can break or add a header."""
    return " ".join(str(subject).split())
