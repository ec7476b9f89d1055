"""Content language: the owner's translations of a record's title and summary.

Needs, programmes and pitches record the language they are written in
(``content_language``); their owners (and curators) may add a translation of
the title and summary in other languages (``ContentTranslation``, one per
language). Pages and the API show the reader's language when there is a
version in it, and otherwise the original with a notice saying so.

Writes go through :func:`save_translation`, :func:`delete_translation` and
:func:`replace_translations`; the caller's app decides who may translate (the
``can_edit`` argument: the same people who may edit the record). A need's or
programme's translations are part of what the matching engine reads, so a
change marks the record as edited and queues its refresh.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db import connection
from django.db import transaction
from django.db.models import Model
from django.db.models import Prefetch
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking import explain
from matchmaking import prepared
from matchmaking.models import SHORT_TEXT
from matchmaking.models import ContentTranslation
from matchmaking.models import Language
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models.search import refresh_search_vectors
from matchmaking.tasks import schedule_need_refresh
from matchmaking.tasks import schedule_programme_refresh


@dataclass(frozen=True)
class Shown:
    """The version of a record's title and summary a reader is shown."""

    title: str
    summary: str
    language: str
    is_original: bool
    #: "Shown in French: no English version yet" when the reader's language
    #: has no version; empty otherwise.
    notice: str


def summary_field(obj: Model) -> str:
    """The field a translation's summary translates ("abstract" for a pitch)."""
    return "summary" if hasattr(obj, "summary") else "abstract"


# The attribute in which prefetch_translations() leaves each record's list.
PREFETCHED = "translation_rows"


def prefetch_translations() -> Prefetch:
    """A page of records' translations in one query, each record's as a plain
    list: Django's own prefetch of a generic relation builds a filtered
    queryset for every record it fills (a fifth of the CPU of a page of
    programmes in the API). Read them with ``translations_of`` or
    ``shown_version``."""
    return Prefetch("translations", to_attr=PREFETCHED)


# What attach_translations reads of a translation: what its readers use.
_PAGE_FIELDS = tuple(
    ContentTranslation._meta.get_field(name)
    for name in ("id", "content_type", "object_id", "language", "title", "summary")
)


@functools.cache
def _page_sql(vendor: str, array: bool) -> str:
    quote = connection.ops.quote_name
    columns = {field.name: quote(field.column) for field in _PAGE_FIELDS}
    table = quote(ContentTranslation._meta.db_table)
    ids = "= ANY(%s)" if array else "IN ({ids})"
    # Quoted names from the model's metadata; the values are parameters.
    return (
        f"SELECT {', '.join(columns.values())} FROM {table}"  # noqa: S608  # nosec B608
        f" WHERE {columns['content_type']} = %s AND {columns['object_id']} {ids}"
        f" ORDER BY {columns['language']}, {columns['id']}"
    )


def attach_translations(records: Sequence[Model]) -> None:
    """A page of records' translations in one query, left as
    ``prefetch_translations`` leaves them (each record's list, in the model's
    order) but without Django's prefetch machinery: its queryset and instances
    cost about a millisecond for a page of programmes, the query a tenth."""
    records = list(records)
    if not records:
        return
    content_type = ContentType.objects.get_for_model(type(records[0]))
    ids = [record.pk for record in records]
    # PostgreSQL: the ids as one array parameter (as tagkeys does).
    array = connection.vendor == "postgresql"
    sql = _page_sql(connection.vendor, array)
    if not array:
        sql = sql.format(ids=", ".join(["%s"] * len(ids)))
    found: dict[Any, list[ContentTranslation]] = {pk: [] for pk in ids}
    names = [field.attname for field in _PAGE_FIELDS]
    with prepared.cursor() as cursor:
        cursor.execute(
            sql, [content_type.pk, ids] if array else [content_type.pk, *ids]
        )
        for row in cursor.fetchall():
            item = ContentTranslation.from_db(connection.alias, names, row)
            found[item.object_id].append(item)
    for record in records:
        setattr(record, PREFETCHED, found[record.pk])


def _stored(obj: Model) -> list[ContentTranslation]:
    """A record's translations: the prefetched list itself when there is one
    (``obj.translations`` builds a related manager on every access, which a
    page of records pays several times per record)."""
    rows = getattr(obj, PREFETCHED, None)
    if rows is not None:
        return list(rows)
    cache = getattr(obj, "_prefetched_objects_cache", {})
    if "translations" in cache:
        return list(cache["translations"])
    return list(obj.translations.all())


def translations_of(obj: Model) -> list[ContentTranslation]:
    """A record's translations (from the prefetch cache when there is one)."""
    return sorted(_stored(obj), key=lambda t: t.language_id)


def shown_version(obj: Model, language: str | None = None) -> Shown:
    """The reader's language version of a record, else the original with a notice."""
    lang = language or explain.active_language()
    original = obj.content_language_id
    if original != lang:
        for translation in _stored(obj):
            if translation.language_id == lang:
                return Shown(
                    title=translation.title,
                    summary=translation.summary,
                    language=lang,
                    is_original=False,
                    notice="",
                )
    notice = ""
    if original != lang:
        notice = _("Shown in %(language)s: no %(user_language)s version yet") % {
            "language": explain.language_name(original),
            "user_language": explain.language_name(lang),
        }
    return Shown(
        title=obj.title,
        summary=getattr(obj, summary_field(obj)),
        language=original,
        is_original=True,
        notice=notice,
    )


def translated_q(model: type[Model], text: str) -> Q:
    """Records of ``model`` with a translation whose title or summary has ``text``."""
    matching = ContentTranslation.objects.filter(
        Q(title__icontains=text) | Q(summary__icontains=text),
        content_type=ContentType.objects.get_for_model(model),
    ).values("object_id")
    return Q(pk__in=matching)


def search_q(model: type[Model], value: str, fields: Sequence[str]) -> Q:
    """Every word in one of the record's fields or in one of its translations."""
    query = Q()
    for word in value.split()[:10]:
        word_q = translated_q(model, word)
        for field in fields:
            word_q |= Q(**{f"{field}__icontains": word})
        query &= word_q
    return query


# --- writes ---------------------------------------------------------------------


def _clean(obj: Model, language: str, title: str, summary: str) -> tuple[str, str]:
    title, summary = (title or "").strip(), (summary or "").strip()
    errors: dict[str, str] = {}
    if not Language.objects.filter(code=language).exists():
        errors["language"] = _("Unknown language code “%(code)s”.") % {"code": language}
    elif language == obj.content_language_id:
        errors["language"] = _(
            "The text is written in this language: pick another one."
        )
    max_title = obj._meta.get_field("title").max_length
    if not title:
        errors["title"] = _("Enter the translated title.")
    elif len(title) > max_title:
        errors["title"] = _("The title has at most %(n)s characters.") % {
            "n": max_title
        }
    if len(summary) > SHORT_TEXT:
        errors["summary"] = _("The summary has at most %(n)s characters.") % {
            "n": SHORT_TEXT
        }
    if errors:
        raise ValidationError(errors)
    return title, summary


def _touched(obj: Model) -> None:
    """Mark the record edited: the engine reads its translations too."""
    now = timezone.now()
    type(obj).objects.filter(pk=obj.pk).update(updated_at=now)
    obj.updated_at = now
    # A queryset delete skips ContentTranslation.delete: the vector follows here.
    refresh_search_vectors(type(obj), [obj.pk])
    if isinstance(obj, Need):
        schedule_need_refresh(need_id=obj.pk)
    elif isinstance(obj, Programme):
        schedule_programme_refresh(programme_id=obj.pk)


def _upsert(
    obj: Model, *, user: Any, language: str, title: str, summary: str
) -> ContentTranslation:
    translation, _created = ContentTranslation.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        language_id=language,
        defaults={"title": title, "summary": summary},
        create_defaults={
            "title": title,
            "summary": summary,
            "created_by": user if getattr(user, "is_authenticated", False) else None,
        },
    )
    return translation


@transaction.atomic
def save_translation(
    *,
    user: Any,
    obj: Model,
    language: str,
    title: str,
    summary: str = "",
    can_edit: Callable[[], bool],
) -> ContentTranslation:
    """Add or replace the translation of a record in one language."""
    if not can_edit():
        raise PermissionDenied
    title, summary = _clean(obj, language, title, summary)
    translation = _upsert(
        obj, user=user, language=language, title=title, summary=summary
    )
    _touched(obj)
    return translation


@transaction.atomic
def delete_translation(
    *, user: Any, obj: Model, language: str, can_edit: Callable[[], bool]
) -> None:
    """Remove a record's translation in one language (ValidationError if none)."""
    if not can_edit():
        raise PermissionDenied
    deleted, _rows = ContentTranslation.objects.filter(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        language_id=language,
    ).delete()
    if not deleted:
        raise ValidationError(
            {"language": _("There is no translation in this language.")}
        )
    _touched(obj)


@transaction.atomic
def replace_translations(
    *,
    user: Any,
    obj: Model,
    items: Sequence[Mapping[str, str]],
    can_edit: Callable[[], bool],
) -> list[ContentTranslation]:
    """Make a record's translations exactly ``items`` (the API's nested write)."""
    if not can_edit():
        raise PermissionDenied
    cleaned: dict[str, tuple[str, str]] = {}
    for position, item in enumerate(items):
        language = str(item.get("language") or "")
        if language in cleaned:
            raise ValidationError(
                {
                    "translations": _(
                        "Item %(n)s: there is already a translation in “%(code)s”."
                    )
                    % {"n": position + 1, "code": language}
                }
            )
        try:
            cleaned[language] = _clean(
                obj, language, item.get("title", ""), item.get("summary", "")
            )
        except ValidationError as error:
            raise ValidationError(
                {
                    "translations": [
                        _("Item %(n)s: %(field)s: %(message)s")
                        % {"n": position + 1, "field": field, "message": message}
                        for field, messages in error.message_dict.items()
                        for message in messages
                    ]
                }
            ) from error
    ContentTranslation.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).exclude(language_id__in=list(cleaned)).delete()
    saved = [
        _upsert(obj, user=user, language=language, title=title, summary=summary)
        for language, (title, summary) in cleaned.items()
    ]
    _touched(obj)
    return saved
