"""The conversion funnel: how suggestions turn into interest, introductions,
agreements, delivery and rated outcomes, with the median time to each step."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from matchmaking.enums import MatchOrigin
from matchmaking.enums import MatchStatus
from matchmaking.enums import RegionLevel
from matchmaking.models import Match
from matchmaking.models import MatchEvent
from matchmaking.models import Need
from matchmaking.models import Region
from matchmaking.models import StakeholderGroup
from matchmaking.models import Theme
from matchmaking.stats.scope import MIN_GROUP_SIZE
from matchmaking.stats.scope import AnyUser
from matchmaking.stats.scope import StatsFilter
from matchmaking.stats.scope import cached
from matchmaking.stats.scope import is_curator_scope
from matchmaking.stats.scope import need_filter
from matchmaking.stats.scope import period_q
from matchmaking.stats.scope import shown_count

# The steps in order; a match that reached a step passed every earlier one
# (a curator may skip a step: agreeing straight after an introduction).
FUNNEL_STATUSES = (
    MatchStatus.SUGGESTED,
    MatchStatus.INTEREST,
    MatchStatus.INTRODUCED,
    MatchStatus.AGREED,
    MatchStatus.IN_DELIVERY,
    MatchStatus.COMPLETED,
)
RATED = "rated"
FUNNEL_STEPS: tuple[str, ...] = (*(s.value for s in FUNNEL_STATUSES), RATED)
FUNNEL_DIMENSIONS = (
    "all",
    "theme",
    "region",
    "country_group",
    "provider_group",
    "origin",
)
COUNTRY_GROUPS = {
    "ldc": _("Least developed countries (LDCs)"),
    "sids": _("Small island developing States (SIDS)"),
    "other": _("Other countries"),
}
_DAY = 86400.0
UNDATED = -1.0


def step_label(step: str) -> str:
    """The step's name: the match status, or "Rated"."""
    return str(_("Rated")) if step == RATED else str(MatchStatus(step).label)


@dataclass(frozen=True)
class FunnelStep:
    step: str
    reached: int | None  # matches that reached the step (None: fewer than 3)
    median_days: float | None  # from the suggestion (None: unknown or < 3)


@dataclass(frozen=True)
class FunnelGroup:
    dimension: str
    key: str
    label: str
    steps: tuple[FunnelStep, ...]


@dataclass(frozen=True)
class Funnel:
    groups: tuple[FunnelGroup, ...]

    def dimension(self, name: str) -> list[FunnelGroup]:
        return [g for g in self.groups if g.dimension == name]


@dataclass(frozen=True)
class _MatchPath:
    """When one match reached each step: days from the suggestion, None when
    not reached, ``UNDATED`` when reached at an unknown time (a rating given
    without a history row)."""

    keys: tuple[tuple[str, str], ...]
    reached: tuple[float | None, ...]


@cached
def funnel(*, viewer: AnyUser, filters: StatsFilter) -> Funnel:
    """The funnel over the matches of the needs in scope, overall and by group.

    Seven queries, whatever the number of matches: the matches in scope, the
    themes of their needs, the first time each reached each status (match
    history, ``MatchEvent``), the first time each was rated (``HistoricalMatch``)
    and the labels (themes, regions, stakeholder groups). The period is on the
    suggestion's date. Public scope: matches of public needs only, counts of 1
    or 2 given as None, and a median over fewer than 3 matches as None.
    """
    return funnel_of(viewer, filters)


def funnel_of(viewer: AnyUser, filters: StatsFilter) -> Funnel:
    suppress = not is_curator_scope(viewer)
    needs = Need.objects.filter(need_filter(viewer, filters, period=False))
    matches = Match.objects.filter(
        period_q("created_at", filters), need__in=needs.values("pk")
    ).order_by()
    rows = list(
        matches.values_list(
            "pk",
            "created_at",
            "origin",
            "need_id",
            "need__member_state__country__region_id",
            "need__member_state__country__is_ldc",
            "need__member_state__country__is_sids",
            "programme__provider__stakeholder_group_id",
            "feedback_rating",
        )
    )
    themes: dict[int, set[str]] = {}
    for need_id, theme in (
        Need.topics.through.objects.filter(need_id__in=matches.values("need_id"))
        .values_list("need_id", "topic__theme_id")
        .distinct()
        .order_by()
    ):
        themes.setdefault(need_id, set()).add(theme)
    first: dict[tuple[int, str], datetime] = {
        (match_id, status): at
        for match_id, status, at in MatchEvent.objects.filter(
            match__in=matches.values("pk"),
            to_status__in=[s.value for s in FUNNEL_STATUSES[1:]],
        )
        .values("match_id", "to_status")
        .annotate(first=Min("at"))
        .values_list("match_id", "to_status", "first")
        .order_by()
    }
    rated: dict[int, datetime] = dict(
        Match.history.filter(id__in=matches.values("pk"), feedback_rating__isnull=False)
        .values("id")
        .annotate(first=Min("history_date"))
        .values_list("id", "first")
        .order_by()
    )
    paths = [
        _path(row, themes, first, rated.get(row[0]))
        for row in rows  # one per match
    ]
    labels = {
        "theme": {t.pk: t.label for t in Theme.objects.all()},
        "region": {
            r.code: r.name for r in Region.objects.filter(level=RegionLevel.REGION)
        },
        "provider_group": {g.pk: g.label for g in StakeholderGroup.objects.all()},
        "country_group": {k: str(v) for k, v in COUNTRY_GROUPS.items()},
        "origin": {k: str(v) for k, v in MatchOrigin.choices},
        "all": {"all": str(_("All matches"))},
    }
    return Funnel(groups=tuple(_groups(paths, labels, suppress)))


def _path(
    row: tuple,
    themes: dict[int, set[str]],
    first: dict[tuple[int, str], datetime],
    rated_at: datetime | None,
) -> _MatchPath:
    pk, created, origin, need_id, region, ldc, sids, group, rating = row
    times: list[datetime | None] = [created]
    times += [first.get((pk, s.value)) for s in FUNNEL_STATUSES[1:]]
    # Reaching a later step means passing the earlier ones, no later than it.
    for index in range(len(times) - 2, 0, -1):
        later = times[index + 1]
        if later is not None and (times[index] is None or later < times[index]):
            times[index] = later
    times.append(rated_at)
    reached = [
        None if at is None else max(0.0, (at - created).total_seconds() / _DAY)
        for at in times
    ]
    if rated_at is None and rating is not None:
        reached[-1] = UNDATED
    keys = [("all", "all"), ("origin", origin)]
    keys += [("theme", theme) for theme in sorted(themes.get(need_id, ()))]
    if region:
        keys.append(("region", region))
    groups = [g for g, on in (("ldc", ldc), ("sids", sids)) if on] or ["other"]
    keys += [("country_group", g) for g in groups]
    if group:
        keys.append(("provider_group", group))
    return _MatchPath(keys=tuple(keys), reached=tuple(reached))


def _groups(
    paths: list[_MatchPath], labels: dict[str, dict[str, str]], suppress: bool
) -> Iterator[FunnelGroup]:
    days: dict[tuple[str, str], list[list[float]]] = {}
    for path in paths:
        for key in path.keys:
            per_step = days.setdefault(key, [[] for _step in FUNNEL_STEPS])
            for index, value in enumerate(path.reached):
                if value is not None:
                    per_step[index].append(value)
    for dimension in FUNNEL_DIMENSIONS:
        known = labels[dimension]
        found = sorted(
            (key for key in days if key[0] == dimension),
            key=lambda k: (str(known.get(k[1], k[1])), k[1]),
        )
        for key in found:
            steps = tuple(
                _step(step, values, suppress)
                for step, values in zip(FUNNEL_STEPS, days[key], strict=True)
            )
            yield FunnelGroup(
                dimension=dimension,
                key=key[1],
                label=str(known.get(key[1], key[1])),
                steps=steps,
            )


def _step(step: str, values: list[float], suppress: bool) -> FunnelStep:
    dated = [value for value in values if value != UNDATED]
    small = not dated or (suppress and len(dated) < MIN_GROUP_SIZE)
    return FunnelStep(
        step=step,
        reached=shown_count(len(values), suppress),
        median_days=None if small else round(statistics.median(dated), 1),
    )
