"""IATI in: an activity file becomes draft programmes for curators to review
(never published unseen), with where each came from and the existing
programme it may duplicate. A file with any problem writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from lxml import etree

from matchmaking import api_cache
from matchmaking.coordination_cells import batched
from matchmaking.enums import ProgrammeStatus
from matchmaking.funding import iati
from matchmaking.funding.services import FundingInput
from matchmaking.funding.services import parse_funding
from matchmaking.funding.services import write_fundings
from matchmaking.models import LONG_TEXT
from matchmaking.models import SHORT_TEXT
from matchmaking.models import ContentTranslation
from matchmaking.models import Country
from matchmaking.models import ImportedActivity
from matchmaking.models import Language
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import Topic
from matchmaking.models import User
from matchmaking.models.search import refresh_search_vectors
from matchmaking.names import name_key

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ACTIVITIES = 5_000
# Roles of the organisation a draft is filed under when none is chosen.
DELIVERING_ROLES = ("4", "3", "2")


class IatiInvalid(Exception):
    """The file cannot be imported; ``problems`` names every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class ImportedDraft:
    identifier: str
    ref: str
    title: str
    duplicate_of: str | None


@dataclass
class _Activity:
    identifier: str
    reporting_org: str
    provider_id: int | None
    language: str
    title: str
    summary: str
    description: str
    translations: dict[str, dict[str, str]]
    languages: set[str]
    topics: set[str]
    countries: set[str]
    regions: set[str]
    ldc_only: bool
    sids_only: bool
    starts_on: date | None
    ends_on: date | None
    funding: dict[str, Any] = field(default_factory=dict)


def _parser() -> etree.XMLParser:
    # No entities, no DTD, no network: an activity file is data, not a program.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )


def parse_file(content: bytes) -> etree._Element:
    """The document's root, or IatiInvalid naming every syntax and schema error."""
    if len(content) > MAX_FILE_BYTES:
        raise IatiInvalid([f"the file is larger than {MAX_FILE_BYTES} bytes"])
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as error:
        raise IatiInvalid(
            [f"line {e.line}: {e.message}" for e in error.error_log] or [str(error)]
        ) from None
    problems = iati.schema_problems(root)
    if problems:
        raise IatiInvalid(problems)
    if len(root) > MAX_ACTIVITIES:
        raise IatiInvalid([f"more than {MAX_ACTIVITIES} activities in one file"])
    return root


def _lang(element: etree._Element, default: str) -> str:
    return (element.get(iati.XML_LANG) or default or "en").split("-")[0].lower()


def _narratives(parent: etree._Element | None, default: str) -> dict[str, str]:
    """Narrative text by language (the first one of each language)."""
    found: dict[str, str] = {}
    if parent is None:
        return found
    for narrative in parent.findall("narrative"):
        text = (narrative.text or "").strip()
        if text:
            found.setdefault(_lang(narrative, default), text)
    return found


class _Reader:
    """Reads activities into drafts, collecting every problem."""

    def __init__(self, *, provider: Provider | None) -> None:
        self.problems: list[str] = []
        self.provider = provider
        self.providers = dict(Provider.objects.values_list("name_key", "id"))
        self.provider_refs = dict(Provider.objects.values_list("id", "ref"))
        self.provider_ids = {ref: pk for pk, ref in self.provider_refs.items()}
        self.countries = dict(Country.objects.values_list("iso2", "iso3"))
        self.regions = set(Region.objects.values_list("code", flat=True))
        self.topics = set(Topic.objects.values_list("slug", flat=True))
        self.languages = set(Language.objects.values_list("code", flat=True))
        by_code: dict[str, str] = {}
        for topic, code in iati.dac_sectors().items():
            by_code.setdefault(code, topic)
        self.topic_of_sector = by_code

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def activity(self, element: etree._Element, index: int) -> _Activity | None:
        identifier = (element.findtext("iati-identifier") or "").strip()
        where = f"activity {index + 1} ({identifier or 'no identifier'})"
        if not identifier:
            self.problem(where, "iati-identifier is empty")
        default = _lang(element, "en")
        titles = _narratives(element.find("title"), default)
        language = default if default in titles else next(iter(titles), default)
        if language not in self.languages:
            self.problem(where, f"language '{language}' is not an ISO 639-1 code")
        descriptions: dict[str, dict[str, str]] = {}
        for description in element.findall("description"):
            kind = description.get("type", iati.DESCRIPTION)
            for lang, text in _narratives(description, default).items():
                descriptions.setdefault(kind, {}).setdefault(lang, text)
        title = titles.get(language, "")
        if not title:
            self.problem(where, "the title has no narrative text")
        if len(title) > 300:
            self.problem(where, "the title is longer than 300 characters")
        description = descriptions.get(iati.DESCRIPTION, {}).get(language, "")
        summary = descriptions.get(iati.SUMMARY, {}).get(language, "")
        if len(description) > LONG_TEXT or len(summary) > SHORT_TEXT:
            self.problem(where, "a description is longer than the platform keeps")
        translations = {
            lang: {
                "title": text[:300],
                "summary": descriptions.get(iati.SUMMARY, {}).get(lang, "")[
                    :SHORT_TEXT
                ],
            }
            for lang, text in titles.items()
            if lang != language and lang in self.languages
        }
        reporting = element.find("reporting-org")
        reporting_name = next(iter(_narratives(reporting, default).values()), "")
        reporting_ref = reporting.get("ref", "") if reporting is not None else ""

        participants = []
        delivering: list[tuple[str, str]] = []
        for org in element.findall("participating-org"):
            role = iati.CODE_ROLES.get(org.get("role", ""))
            name = next(iter(_narratives(org, default).values()), "")
            if role is None:
                self.problem(
                    where,
                    f"participating-org role '{org.get('role')}' is not 1-4",
                )
                continue
            provider_id = self.providers.get(name_key(name)) if name else None
            if not name:
                self.problem(where, "a participating-org has no name")
                continue
            item: dict[str, Any] = {"role": str(role)}
            if provider_id:
                item["provider"] = self.provider_refs[provider_id]
            else:
                item["name"] = name[:200]
            if org.get("ref"):
                item["iati_ref"] = org.get("ref", "")[:100]
            participants.append(item)
            delivering.append((org.get("role", ""), name))

        provider_id = self.provider.pk if self.provider else None
        contact = element.find("contact-info/organisation")
        for name in _narratives(contact, default).values():
            provider_id = provider_id or self.providers.get(name_key(name))
        if provider_id is None:
            for code in DELIVERING_ROLES:
                for role, name in delivering:
                    if role == code and name_key(name) in self.providers:
                        provider_id = self.providers[name_key(name)]
                        break
                if provider_id:
                    break
            if provider_id is None and reporting_name:
                provider_id = self.providers.get(name_key(reporting_name))
        if provider_id is None:
            self.problem(
                where,
                "no registered provider among its organisations: choose the "
                "provider to file it under",
            )

        topics: set[str] = set()
        ldc = sids = False
        for tag in element.findall("tag"):
            code = tag.get("code", "")
            if tag.get("vocabulary") != iati.OWN_VOCABULARY:
                continue
            slug = code.removeprefix(iati.TOPIC_TAG)
            if code.startswith(iati.TOPIC_TAG) and slug in self.topics:
                topics.add(slug)
            ldc = ldc or code == iati.LDC_TAG
            sids = sids or code == iati.SIDS_TAG
        if not topics:
            for sector in element.findall("sector"):
                if sector.get("vocabulary", iati.DAC_VOCABULARY) in ("1", "2"):
                    code = sector.get("code", "")
                    topic = self.topic_of_sector.get(code)
                    if topic:
                        topics.add(topic)
        if not topics:
            self.problem(
                where,
                "no sector or tag maps to a topic of the taxonomy (DAC codes "
                f"{', '.join(sorted(self.topic_of_sector))})",
            )

        countries = set()
        for country in element.findall("recipient-country"):
            code = country.get("code", "").upper()
            if code not in self.countries:
                self.problem(where, f"recipient-country '{code}' is unknown")
            else:
                countries.add(self.countries[code])
        regions = set()
        for region in element.findall("recipient-region"):
            code = region.get("code", "")
            if region.get("vocabulary") != iati.M49_VOCABULARY or code == iati.WORLD:
                continue  # OECD DAC regions have no M49 equivalent here
            if code not in self.regions:
                self.problem(where, f"recipient-region '{code}' is not an M49 code")
            else:
                regions.add(code)

        dates: dict[str, date] = {}
        for activity_date in element.findall("activity-date"):
            try:
                dates.setdefault(
                    activity_date.get("type", ""),
                    date.fromisoformat(activity_date.get("iso-date", "")),
                )
            except ValueError:
                self.problem(where, "an activity-date is not a date")
        starts_on = dates.get(iati.PLANNED_START) or dates.get("2")
        ends_on = dates.get(iati.PLANNED_END) or dates.get("4")
        if starts_on and ends_on and ends_on < starts_on:
            self.problem(where, "it ends before it starts")

        default_currency = element.get("default-currency", "")
        lines = []
        for budget in element.findall("budget"):
            value = budget.find("value")
            currency = (value.get("currency") if value is not None else "") or (
                default_currency
            )
            if not currency:
                self.problem(where, "a budget has no currency (nor a default one)")
                continue
            try:
                amount = (
                    Decimal((value.text or "").strip()) if value is not None else None
                )
            except InvalidOperation:
                amount = None
            if amount is None:
                self.problem(where, "a budget value is not a number")
                continue
            lines.append(
                {
                    "period_start": budget.find("period-start").get("iso-date"),
                    "period_end": budget.find("period-end").get("iso-date"),
                    "amount": str(amount),
                    "currency": currency,
                }
            )
        funding = {
            "participants": participants,
            "budget_lines": lines,
            "currency": default_currency or "USD",
        }
        try:
            parse_funding(
                funding, providers={v: k for k, v in self.provider_refs.items()}
            )
        except ValidationError as error:
            for path, texts in error.message_dict.items():
                for text in texts:
                    self.problem(where, f"{path}: {text}")
        languages = ({language} | set(translations)) & self.languages
        return _Activity(
            identifier=identifier,
            reporting_org=(reporting_name or reporting_ref)[:300],
            provider_id=provider_id,
            language=language,
            title=title,
            summary=summary,
            description=description,
            translations=translations,
            languages=languages,
            topics=topics,
            countries=countries,
            regions=regions,
            ldc_only=ldc,
            sids_only=sids,
            starts_on=starts_on,
            ends_on=ends_on,
            funding=funding,
        )


def _duplicate_of(activity: _Activity) -> Programme | None:
    """An existing programme this activity may be: imported before under the
    same identifier, exported from here under it, or the same provider's
    programme of the same title."""
    earlier = (
        ImportedActivity.objects.filter(iati_identifier=activity.identifier)
        .select_related("programme")
        .first()
    )
    if earlier:
        return earlier.programme
    prefix = f"{iati.reporting_org_ref()}-"
    if activity.identifier.startswith(prefix):
        own = Programme.objects.filter(
            ref=activity.identifier.removeprefix(prefix)
        ).first()
        if own:
            return own
    same_title = name_key(activity.title)
    for pk, title in Programme.objects.filter(
        provider_id=activity.provider_id, title__iexact=activity.title
    ).values_list("pk", "title"):
        if name_key(title) == same_title:
            return Programme.objects.get(pk=pk)
    return None


@transaction.atomic
@batched()
def import_activities(
    *,
    content: bytes,
    source_name: str,
    user: User | None,
    provider: Provider | None = None,
) -> list[ImportedDraft]:
    """Every activity of the file as a draft programme; IatiInvalid (nothing
    written) when the file or any activity has a problem."""
    root = parse_file(content)
    reader = _Reader(provider=provider)
    activities = [
        reader.activity(element, i)
        for i, element in enumerate(root.iterchildren("iati-activity"))
    ]
    seen: set[str] = set()
    for activity in activities:
        if activity and activity.identifier in seen:
            reader.problem(
                f"activity {activity.identifier}", "the identifier appears twice"
            )
        if activity:
            seen.add(activity.identifier)
    if reader.problems:
        raise IatiInvalid(reader.problems)
    content_type = ContentType.objects.get_for_model(Programme)
    drafts = []
    fundings: dict[int, FundingInput] = {}
    provenance: list[ImportedActivity] = []
    for activity in activities:
        assert activity is not None  # noqa: S101  # problems were raised above
        duplicate = _duplicate_of(activity)
        programme = Programme(
            provider_id=activity.provider_id,
            title=activity.title,
            summary=activity.summary,
            description=activity.description,
            content_language_id=activity.language,
            status=ProgrammeStatus.DRAFT,
            owner=user,
            ldc_only=activity.ldc_only,
            sids_only=activity.sids_only,
            starts_on=activity.starts_on,
            ends_on=activity.ends_on,
        )
        programme.full_clean(exclude=["owner"])
        programme._change_reason = f"IATI import: {source_name}"
        programme.save()
        programme.topics.set(activity.topics)
        programme.languages.set(activity.languages)
        programme.eligible_countries.set(activity.countries)
        programme.eligible_regions.set(activity.regions)
        ContentTranslation.objects.bulk_create(
            ContentTranslation(
                content_type=content_type,
                object_id=programme.pk,
                language_id=lang,
                title=text["title"],
                summary=text["summary"],
                created_by=user,
            )
            for lang, text in activity.translations.items()
        )
        if activity.translations:  # bulk_create skips save(): refresh the vector
            refresh_search_vectors(Programme, [programme.pk])
        fundings[programme.pk] = parse_funding(
            activity.funding, providers=reader.provider_ids
        )
        provenance.append(
            ImportedActivity(
                programme=programme,
                iati_identifier=activity.identifier[:200],
                reporting_org=activity.reporting_org,
                source_name=source_name[:255],
                imported_by=user,
                duplicate_of=duplicate,
            )
        )
        drafts.append(
            ImportedDraft(
                identifier=activity.identifier,
                ref=programme.ref,
                title=programme.title,
                duplicate_of=duplicate.ref if duplicate else None,
            )
        )
    # The activities' funding and provenance are written set by set.
    write_fundings(fundings=fundings)
    ImportedActivity.objects.bulk_create(provenance)
    api_cache.changed()
    return drafts
