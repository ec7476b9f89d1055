"""Match explanations rendered on read, in the active language.

A stored match keeps only its reasons' ``code`` and ``params``
(``suggestion_store.reason_json``); this module turns them into text when a page or
an API response shows them, with gettext (named placeholders, so translators
may reorder them) and the display names of topics, countries, languages ... in
the active language, falling back to English where a name has no translation.

Rows written before explanations were rendered on read also carry an English
``text``: in English that text is shown as stored, in another language the
reason is rendered from its code (the stored text when the code is unknown or
its parameters are incomplete). A reason stored as a bare string is shown as is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import get_language_info
from django.utils.translation import gettext
from django.utils.translation import pgettext

from matchmaking.engine import REASON_CODES
from matchmaking.engine import Reason
from matchmaking.engine.text.labels import concept_labels
from matchmaking.models import AssistanceType
from matchmaking.models import Audience
from matchmaking.models import Country
from matchmaking.models import DeliveryMode
from matchmaking.models import Language
from matchmaking.models import Region
from matchmaking.models import Theme
from matchmaking.models import Topic

_LABELS_TTL = 300.0
_lock = threading.Lock()


@dataclass(frozen=True)
class Labels:
    """Display names for slugs and codes, passed in (the engine reads nothing)."""

    topics: Mapping[str, str] = field(default_factory=dict)
    themes: Mapping[str, str] = field(default_factory=dict)
    assistance_types: Mapping[str, str] = field(default_factory=dict)
    audiences: Mapping[str, str] = field(default_factory=dict)
    delivery_modes: Mapping[str, str] = field(default_factory=dict)
    languages: Mapping[str, str] = field(default_factory=dict)
    regions: Mapping[str, str] = field(default_factory=dict)
    countries: Mapping[str, str] = field(default_factory=dict)
    concepts: Mapping[str, str] = field(default_factory=dict)


_labels: dict[str, tuple[float, Labels]] = {}
# Languages whose names and labels read naturally in lower case mid-sentence.
_LOWER_CASE_MID_SENTENCE = frozenset({"en", "fr", "es", "pt", "ru"})


def active_language() -> str:
    """The active language's base code ("en" for "en-gb", "zh" for "zh-hans")."""
    return (get_language() or "en").split("-")[0].lower()


def localised_name(obj: Any, language: str) -> str:
    """A reference row's name in ``language``, English when it has none.

    Reads ``name_<language>`` columns (countries, regions and the vocabularies
    that carry them) or a ``names`` mapping, else ``name_en`` / ``name``.
    """
    value = getattr(obj, f"name_{language}", None)
    if isinstance(value, str) and value:
        return value
    names = getattr(obj, "names", None)
    if isinstance(names, Mapping) and names.get(language):
        return str(names[language])
    return getattr(obj, "name_en", None) or str(obj.name)


def language_name(code: str, fallback: str = "") -> str:
    """A language's name in the active language (Django's own translations).

    ISO 639-1 "zh" is Django's "zh-hans"; a language Django does not know is
    named by ``fallback``, else by its row's English name, never by its code.
    """
    try:
        return str(get_language_info(DJANGO_CODES.get(code, code))["name_translated"])
    except KeyError:
        if fallback:
            return fallback
        row = Language.objects.filter(code=code).values_list("name", flat=True)
        return next(iter(row), code)


# ISO 639-1 codes Django's language table holds under another code.
DJANGO_CODES = {"zh": "zh-hans"}


def _load_labels(language: str) -> Labels:
    def table(model: Any, key: str) -> dict[str, str]:
        return {
            str(getattr(row, key)): localised_name(row, language)
            for row in model.objects.all()
        }

    return Labels(
        topics=table(Topic, "slug"),
        themes=table(Theme, "slug"),
        assistance_types=table(AssistanceType, "slug"),
        audiences=table(Audience, "slug"),
        delivery_modes=table(DeliveryMode, "slug"),
        languages={
            code: language_name(code, name)
            for code, name in Language.objects.values_list("code", "name")
        },
        regions=table(Region, "code"),
        countries=table(Country, "iso3"),
        concepts={
            cid: names.get(language) or names.get("en") or cid
            for cid, names in concept_labels().items()
        },
    )


def labels_for(language: str | None = None) -> Labels:
    """Display names in ``language`` (default: the active one), cached a while."""
    language = language or active_language()
    now = time.monotonic()
    with _lock:
        cached = _labels.get(language)
        if cached is not None and now - cached[0] < _LABELS_TTL:
            return cached[1]
    built = _load_labels(language)
    with _lock:
        _labels[language] = (now, built)
    return built


def clear_labels() -> None:
    """Forget the cached display names (after reference data changed)."""
    with _lock:
        _labels.clear()


# --- rendering -------------------------------------------------------------------


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    # Translators: separator between items of a list ("a, b and c").
    separator = pgettext("list separator", ", ")
    return gettext("%(items)s and %(last)s") % {
        "items": separator.join(names[:-1]),
        "last": names[-1],
    }


def _names(
    slugs: Iterable[str], table: Mapping[str, str], *, language: str, lower: bool
) -> str:
    names = [table.get(s, s.replace("-", " ")) for s in slugs]
    if lower and language in _LOWER_CASE_MID_SENTENCE:
        names = [n[:1].lower() + n[1:] if not n[:2].isupper() else n for n in names]
    return _join(names)


def _missing(params: Mapping[str, Any], labels: Labels) -> bool:
    """Whether the params name a slug the labels do not know (stale cache)."""
    checks = (
        ("topics", labels.topics),
        ("assistance_types", labels.assistance_types),
        ("audiences", labels.audiences),
        ("modes", labels.delivery_modes),
    )
    for key, table in checks:
        values = params.get(key)
        if isinstance(values, (list, tuple)) and any(v not in table for v in values):
            return True
    return bool(params.get("theme") and params["theme"] not in labels.themes)


def render_reason(
    reason: Reason,
    labels: Labels | None = None,
    *,
    language: str | None = None,
) -> str:
    """The text of a reason in the active language (KeyError: params missing)."""
    lb = labels or Labels()
    lang = language or active_language()
    p = reason.params
    code = reason.code

    def names(key: str, table: Mapping[str, str], *, lower: bool = True) -> str:
        return _names(p[key], table, language=lang, lower=lower)

    texts: dict[str, Callable[[], str]] = {
        "shared_topics": lambda: (
            gettext("Both concern %(topics)s") % {"topics": names("topics", lb.topics)}
        ),
        "same_theme": lambda: (
            gettext("Related work under %(theme)s: %(topics)s")
            % {
                "theme": lb.themes.get(p["theme"], p["theme"]),
                "topics": names("topics", lb.topics),
            }
        ),
        "also_covers": lambda: (
            gettext("Also covers: %(topics)s") % {"topics": names("topics", lb.topics)}
        ),
        "shared_concepts": lambda: (
            gettext("Both mention %(concepts)s")
            % {"concepts": names("concepts", lb.concepts, lower=False)}
        ),
        "assistance": lambda: (
            gettext("Offers %(assistance_types)s")
            % {"assistance_types": names("assistance_types", lb.assistance_types)}
        ),
        "audience": lambda: (
            gettext("Aimed at %(audiences)s")
            % {"audiences": names("audiences", lb.audiences)}
        ),
        # Translators: "modes" are delivery modes, e.g. "Delivered in person".
        "delivery": lambda: (
            gettext("Delivered %(modes)s")
            % {"modes": names("modes", lb.delivery_modes)}
        ),
        "language": lambda: (
            gettext("Delivered in %(languages)s")
            % {"languages": names("languages", lb.languages, lower=False)}
        ),
        "open_to": lambda: _open_to(p, lb),
        "not_in_area": lambda: (
            gettext("Not open to %(country)s")
            % {"country": lb.countries.get(p["country"], p["country"])}
        ),
        "ldc_only": lambda: gettext("Reserved for least developed countries"),
        "sids_only": lambda: gettext("Reserved for small island developing states"),
        "no_shared_language": lambda: (
            gettext("Not offered in %(languages)s")
            % {
                "languages": _names(
                    p.get("languages", ()), lb.languages, language=lang, lower=False
                )
            }
        ),
        "ended": lambda: gettext("Ended on %(date)s") % {"date": p["ends_on"]},
        "unpublished": lambda: gettext("Not published"),
        "capacity_full": lambda: gettext("No places left"),
        "no_eligible": lambda: gettext("No programme is open to this need"),
        "topic_missed": lambda: gettext("Eligible programmes miss the topic"),
        "none_relevant": lambda: gettext("No open programme is a close enough match"),
    }
    render = texts.get(code)
    if render is None:
        raise KeyError(code)
    return render()


def _open_to(p: Mapping[str, Any], lb: Labels) -> str:
    scope = p.get("scope")
    if scope == "country":
        return gettext("Open to %(country)s") % {
            "country": lb.countries.get(p["country"], p["country"])
        }
    ldc, sids = bool(p.get("ldc_only")), bool(p.get("sids_only"))
    if ldc and sids:
        who = gettext("least developed countries and small island developing states")
    elif ldc:
        who = gettext("least developed countries")
    elif sids:
        who = gettext("small island developing states")
    else:
        who = ""
    if scope == "region":
        region = lb.regions.get(p["region"], p["region"])
        if who:
            return gettext("Open to %(groups)s in %(region)s") % {
                "groups": who,
                "region": region,
            }
        return gettext("Open to %(region)s") % {"region": region}
    if who:
        return gettext("Open to %(groups)s worldwide") % {"groups": who}
    return gettext("Open worldwide")


def reason_text(stored: Any, *, language: str | None = None) -> str:
    """The display text of one stored reason (see the module docstring)."""
    if not isinstance(stored, Mapping):
        return str(stored) if stored is not None else ""
    lang = language or active_language()
    legacy = stored.get("text") or ""
    code = stored.get("code")
    if legacy and lang == "en":
        return str(legacy)
    if not code or code not in REASON_CODES:
        return str(legacy)
    params = stored.get("params") or {}
    labels = labels_for(lang)
    memo = _memo_for(lang, labels)
    # repr, not JSON: the same stored params read back alike, and repr is
    # several times cheaper (a page renders a few hundred reasons).
    key = (code, repr(params))
    found = memo.get(key)
    if found is not None:
        return found
    if _missing(params, labels):
        clear_labels()
        labels = labels_for(lang)
        memo = _memo_for(lang, labels)
    try:
        text = render_reason(Reason(str(code), params), labels, language=lang)
    except (KeyError, TypeError, ValueError, AttributeError):
        return str(legacy)
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = text
    return text


# Rendered texts per language, valid as long as the labels they were made with:
# a page of matches repeats the same few reasons many times.
_MEMO_SIZE = 20_000
_memos: dict[str, tuple[Labels, dict[tuple[str, str], str]]] = {}


def _memo_for(language: str, labels: Labels) -> dict[tuple[str, str], str]:
    found = _memos.get(language)
    if found is None or found[0] is not labels:
        found = (labels, {})
        _memos[language] = found
    return found[1]


def explained(reasons: Any, *, language: str | None = None) -> list[Any]:
    """Stored reasons with their text in the active language, shape kept.

    A reason dict becomes ``{"code", "params", "text"}``; a bare string stays a
    string (rows written before reasons had codes).
    """
    if not isinstance(reasons, (list, tuple)):
        return []
    language = language or active_language()  # once, not once per reason
    # The texts already rendered, looked up here first (a list of matches
    # repeats a few reasons many times; reason_text renders the others).
    memo = _memo_for(language, labels_for(language))
    out: list[Any] = []
    for stored in reasons:
        if type(stored) is dict or isinstance(stored, Mapping):
            params = stored.get("params") or {}
            text = None
            if not (stored.get("text") and language == "en"):
                text = memo.get((stored.get("code"), repr(params)))
            if text is None:
                text = reason_text(stored, language=language)
                memo = _memo_for(language, labels_for(language))
            out.append({"code": stored.get("code", ""), "params": params, "text": text})
        else:
            out.append(reason_text(stored, language=language))
    return out


def reason_texts(reasons: Any, *, language: str | None = None) -> list[str]:
    """Just the non-empty texts of stored reasons, in the active language."""
    language = language or active_language()
    texts = (reason_text(r, language=language) for r in reasons or ())
    return [text for text in texts if text]


def change_text(kind: str, value: str, *, language: str | None = None) -> str:
    """What the gap advisor suggests changing in a programme, in a language."""
    lb = labels_for(language or active_language())
    if kind == "countries":
        names = [lb.countries.get(code, code) for code in value.split(",") if code]
        return gettext("Open it to %(countries)s") % {"countries": _join(names)}
    if kind == "lift_ldc_only":
        return gettext("Open it beyond the least developed countries")
    if kind == "lift_sids_only":
        return gettext("Open it beyond small island developing states")
    if kind == "language":
        return gettext("Offer it in %(language)s") % {
            "language": lb.languages.get(value, value)
        }
    if kind == "end_date":
        return gettext("Extend its end date past %(date)s") % {"date": value}
    if kind == "places":
        return gettext("Raise its places to %(places)s") % {"places": value}
    if kind == "delivery_mode":
        return gettext("Add the delivery mode: %(mode)s") % {
            "mode": lb.delivery_modes.get(value, value)
        }
    raise KeyError(kind)
