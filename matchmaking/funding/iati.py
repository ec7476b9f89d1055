"""IATI activity standard 2.03: published programmes out as activities
(streamed, one chunk of programmes at a time), and the schema check."""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import ROUND_HALF_UP
from decimal import Decimal
from functools import cache
from typing import Any
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils import timezone
from lxml import etree

from matchmaking import selectors
from matchmaking.enums import OrganisationRole
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import BudgetLine
from matchmaking.models import ContentTranslation
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.reference import DATA_DIR

IATI_DIR = DATA_DIR / "iati"
VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ROLE_CODES = {
    OrganisationRole.FUNDING: "1",
    OrganisationRole.ACCOUNTABLE: "2",
    OrganisationRole.EXTENDING: "3",
    OrganisationRole.IMPLEMENTING: "4",
}
CODE_ROLES = {code: role for role, code in ROLE_CODES.items()}
# Activity date types (IATI ActivityDateType): planned start and end.
PLANNED_START, PLANNED_END = "1", "3"
# IATI activity status: pipeline, implementation, finalisation.
PIPELINE, IMPLEMENTATION, FINALISATION = "1", "2", "3"
# Sector vocabulary 1: OECD DAC 5-digit purpose codes; region vocabulary 2: UN M49.
DAC_VOCABULARY, M49_VOCABULARY, OWN_VOCABULARY = "1", "2", "99"
WORLD = "001"
DESCRIPTION, SUMMARY = "1", "2"
# Tags of this platform's own vocabulary (99): the topics themselves, and the
# LDC / SIDS restrictions IATI has no element for, so that an import restores them.
TOPIC_TAG, LDC_TAG, SIDS_TAG = "topic:", "ldc-only", "sids-only"
# Programmes read at a time, seven queries a chunk (at 10,000 activities the
# export's peak was 0.37 MB at 25, 0.46 at 50, 0.65 at 100; a catalogue page 0.63).
CHUNK = 50


def reporting_org_ref() -> str:
    """The platform's IATI organisation identifier (setting IATI_REPORTING_ORG_REF)."""
    return getattr(settings, "IATI_REPORTING_ORG_REF", "XI-CBM")


def reporting_org_name() -> str:
    return getattr(
        settings, "IATI_REPORTING_ORG_NAME", "Cyber capacity-building matchmaking"
    )


def tag_vocabulary_uri(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/open-data/#iati"


@cache
def dac_sectors() -> dict[str, str]:
    """Taxonomy topic slug -> DAC 5-digit purpose code."""
    data = json.loads((IATI_DIR / "dac-sectors.json").read_text(encoding="utf-8"))
    return data["topics"]


@cache
def schema() -> etree.XMLSchema:
    """The IATI 2.03 activity schema (shipped under matchmaking/data/iati/)."""
    return etree.XMLSchema(etree.parse(str(IATI_DIR / "iati-activities-schema.xsd")))


def schema_problems(document: etree._ElementTree | etree._Element) -> list[str]:
    """Every schema violation of a document, with its line ("line 4: ...")."""
    checker = schema()
    if checker.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in checker.error_log]


class Translation(NamedTuple):
    language: str
    title: str
    summary: str


class Participant(NamedTuple):
    role: str
    iati_ref: str
    name: str  # a registered provider's name, else the organisation's own


class Line(NamedTuple):
    start: date
    end: date
    currency: str
    amount: Decimal


# The programme's own columns an activity shows, in ExportedProgramme's order.
_PROGRAMME_COLUMNS = (
    "ref",
    "content_language",
    "title",
    "summary",
    "description",
    "updated_at",
    "created_at",
    "starts_on",
    "ends_on",
    "ldc_only",
    "sids_only",
    "provider__name",
    "provider__website",
)


@dataclass(frozen=True, slots=True)
class ExportedProgramme:
    """What an activity shows of one programme, as plain values (read a chunk
    at a time by ``exported_chunk``)."""

    ref: str
    language: str
    title: str
    summary: str
    description: str
    updated_at: datetime
    created_at: datetime
    starts_on: date | None
    ends_on: date | None
    ldc_only: bool
    sids_only: bool
    provider_name: str
    provider_website: str
    translations: list[Translation]  # by language
    participants: list[Participant]  # by role, then as recorded
    countries: list[str]  # ISO alpha-2, sorted
    regions: list[str]  # UN M49, sorted
    topics: list[str]  # slugs, sorted
    lines: list[Line]  # by period


def identifier(programme: ExportedProgramme) -> str:
    return f"{reporting_org_ref()}-{programme.ref}"


def activity_status(programme: ExportedProgramme, today: date) -> str:
    if programme.starts_on and programme.starts_on > today:
        return PIPELINE
    if programme.ends_on and programme.ends_on < today:
        return FINALISATION
    return IMPLEMENTATION


def _narratives(parent: etree._Element, texts: Iterable[tuple[str, str]]) -> None:
    for language, text in texts:
        narrative = etree.SubElement(parent, "narrative")
        narrative.set(XML_LANG, language)
        narrative.text = text


def _shares(count: int) -> list[Decimal]:
    """``count`` percentages summing to exactly 100 (two decimals)."""
    share = (Decimal(100) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return [share] * (count - 1) + [Decimal(100) - share * (count - 1)]


def activity(
    programme: ExportedProgramme, *, base_url: str, today: date
) -> etree._Element:
    """One programme as an ``iati-activity`` element."""
    element = etree.Element("iati-activity")
    element.set(
        "last-updated-datetime", programme.updated_at.isoformat(timespec="seconds")
    )
    own = programme.language
    element.set(XML_LANG, own)
    lines = programme.lines
    if lines:
        element.set("default-currency", lines[0].currency)
    etree.SubElement(element, "iati-identifier").text = identifier(programme)
    reporting = etree.SubElement(
        element, "reporting-org", ref=reporting_org_ref(), type="90"
    )
    # The platform publishes on its providers' behalf.
    reporting.set("secondary-reporter", "1")
    _narratives(reporting, [("en", reporting_org_name())])
    translations = programme.translations
    _narratives(
        etree.SubElement(element, "title"),
        [(own, programme.title)] + [(t.language, t.title) for t in translations],
    )
    # Type 1 (general) holds the description, type 2 (objectives) the
    # summary and the translations' summaries; the schema wants at least one.
    if programme.description or not programme.summary:
        _narratives(
            etree.SubElement(element, "description", type=DESCRIPTION),
            [(own, programme.description or programme.title)],
        )
    summaries = [(own, programme.summary)] if programme.summary else []
    summaries += [(t.language, t.summary) for t in translations if t.summary]
    if summaries:
        _narratives(etree.SubElement(element, "description", type=SUMMARY), summaries)
    participants = programme.participants or [
        Participant(OrganisationRole.IMPLEMENTING, "", programme.provider_name)
    ]
    for participant in participants:
        org = etree.SubElement(
            element, "participating-org", role=ROLE_CODES[participant.role]
        )
        if participant.iati_ref:
            org.set("ref", participant.iati_ref)
        _narratives(org, [("en", participant.name)])
    etree.SubElement(element, "activity-status", code=activity_status(programme, today))
    start = programme.starts_on or programme.created_at.date()
    etree.SubElement(
        element, "activity-date", type=PLANNED_START, **{"iso-date": str(start)}
    )
    if programme.ends_on:
        etree.SubElement(
            element,
            "activity-date",
            type=PLANNED_END,
            **{"iso-date": str(programme.ends_on)},
        )
    # Contact: the provider offering the programme (an import files the
    # draft under it), with its website.
    contact = etree.SubElement(element, "contact-info", type="1")
    _narratives(
        etree.SubElement(contact, "organisation"), [("en", programme.provider_name)]
    )
    if programme.provider_website:
        etree.SubElement(contact, "website").text = programme.provider_website
    countries, regions = programme.countries, programme.regions
    for code in countries:
        etree.SubElement(element, "recipient-country", code=code)
    for code in regions or ([] if countries else [WORLD]):
        etree.SubElement(
            element, "recipient-region", code=code, vocabulary=M49_VOCABULARY
        )
    topics = programme.topics
    codes = sorted({dac_sectors()[t] for t in topics if t in dac_sectors()})
    for code, share in zip(codes, _shares(len(codes)) if codes else [], strict=True):
        etree.SubElement(
            element,
            "sector",
            code=code,
            vocabulary=DAC_VOCABULARY,
            percentage=str(share),
        )
    uri = tag_vocabulary_uri(base_url)
    tags = [TOPIC_TAG + t for t in topics]
    tags += [LDC_TAG] if programme.ldc_only else []
    tags += [SIDS_TAG] if programme.sids_only else []
    for code in tags:
        etree.SubElement(
            element,
            "tag",
            code=code,
            vocabulary=OWN_VOCABULARY,
            **{"vocabulary-uri": uri},
        )
    for line in lines:
        budget = etree.SubElement(element, "budget", type="1", status="1")
        etree.SubElement(budget, "period-start", **{"iso-date": str(line.start)})
        etree.SubElement(budget, "period-end", **{"iso-date": str(line.end)})
        value = etree.SubElement(
            budget,
            "value",
            currency=line.currency,
            **{"value-date": str(line.start)},
        )
        value.text = str(line.amount)
    link = etree.SubElement(
        element,
        "document-link",
        format="text/html",
        url=f"{base_url.rstrip('/')}/programmes/{programme.ref}/",
    )
    _narratives(etree.SubElement(link, "title"), [(own, programme.title)])
    # A12: "Activity web page" (DocumentCategory codelist).
    etree.SubElement(link, "category", code="A12")
    return element


def exported_programmes(programmes: QuerySet[Programme]) -> QuerySet[Programme]:
    """The published ones among ``programmes``, by ref (the export's order)."""
    return programmes.filter(status=ProgrammeStatus.PUBLISHED).order_by("ref")


def _by_programme[T](
    rows: Iterable[tuple[Any, ...]], make: Callable[..., T]
) -> dict[int, list[T]]:
    """Rows ``(programme id, *values)`` as ``make(*values)`` listed by programme
    id, in the rows' order."""
    grouped: dict[int, list[T]] = {}
    for programme_id, *values in rows:
        grouped.setdefault(programme_id, []).append(make(*values))
    return grouped


def _codes(through: Any, column: str, ids: list[int]) -> dict[int, list[str]]:
    """A many-to-many's codes (``column`` of the other side) by programme id."""
    rows = through.objects.filter(programme_id__in=ids).values_list(
        "programme_id", column
    )
    grouped = _by_programme(rows, str)
    return {programme_id: sorted(codes) for programme_id, codes in grouped.items()}


def exported_chunk(
    programmes: QuerySet[Programme], *, after: str | None
) -> list[ExportedProgramme]:
    """The next ``CHUNK`` programmes of ``exported_programmes(programmes)`` by
    ref after ``after``, as plain values: seven queries of tuples (model
    instances with their prefetch caches weighed five times as much)."""
    exported = exported_programmes(programmes)
    if after is not None:
        exported = exported.filter(ref__gt=after)
    rows = list(exported.values_list("id", *_PROGRAMME_COLUMNS)[:CHUNK])
    ids = [row[0] for row in rows]
    if not ids:
        return []
    translations = _by_programme(
        ContentTranslation.objects.filter(
            content_type=ContentType.objects.get_for_model(Programme),
            object_id__in=ids,
        )
        .order_by("language_id")
        .values_list("object_id", "language_id", "title", "summary"),
        Translation,
    )
    participants = _by_programme(
        ParticipatingOrganisation.objects.filter(programme_id__in=ids)
        .order_by("role", "id")
        .values_list("programme_id", "role", "iati_ref", "provider__name", "name"),
        # A registered provider's name, else the organisation's own.
        lambda role, ref, provider, name: Participant(
            role, ref, name if provider is None else provider
        ),
    )
    lines = _by_programme(
        BudgetLine.objects.filter(programme_id__in=ids)
        .order_by("period_start", "id")
        .values_list(
            "programme_id", "period_start", "period_end", "currency", "amount"
        ),
        Line,
    )
    countries = _codes(Programme.eligible_countries.through, "country__iso2", ids)
    regions = _codes(Programme.eligible_regions.through, "region_id", ids)
    topics = _codes(Programme.topics.through, "topic_id", ids)
    return [
        ExportedProgramme(
            *values,
            translations=translations.get(programme_id, []),
            participants=participants.get(programme_id, []),
            countries=countries.get(programme_id, []),
            regions=regions.get(programme_id, []),
            topics=topics.get(programme_id, []),
            lines=lines.get(programme_id, []),
        )
        for programme_id, *values in rows
    ]


def stream_activities(
    programmes: QuerySet[Programme], *, base_url: str
) -> Iterator[bytes]:
    """The ``iati-activities`` document, one activity at a time: memory stays
    that of one chunk of programmes' values whatever the catalogue's size."""
    now = timezone.now()
    yield (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + f'<iati-activities version="{VERSION}" generated-datetime="'
        f'{now.isoformat(timespec="seconds")}">\n'.encode()
    )
    today = timezone.localdate()
    after = None
    while True:
        # By ref, a chunk at a time (keyset); each activity is built and
        # serialised alone, so no tree bigger than one activity exists.
        chunk = exported_chunk(programmes, after=after)
        for programme in chunk:
            yield etree.tostring(
                activity(programme, base_url=base_url, today=today), encoding="utf-8"
            )
            yield b"\n"
        if len(chunk) < CHUNK:
            break
        after = chunk[-1].ref
        # Plain values hold no reference cycles: dropping the list frees the
        # chunk now, before the next is read.
        del chunk
    yield b"</iati-activities>\n"


def stream_public_activities(*, base_url: str) -> Iterator[bytes]:
    """The published programmes anyone may see, as a streamed activity file."""
    programmes = selectors.programmes_visible_to(user=AnonymousUser(), with_tags=False)
    return stream_activities(programmes, base_url=base_url)


def export_document(programmes: QuerySet[Programme], *, base_url: str) -> bytes:
    """The whole document at once (tests, small exports)."""
    return b"".join(stream_activities(programmes, base_url=base_url))
