"""Every key page of every role, on a phone (390 x 844) and a desktop (1280 x 800).

At both widths: 0 axe violations (WCAG 2.1 AA), 0 console or CSP errors, no
sideways scrolling of the page (a wide table or chart scrolls inside its own
focusable frame; on a phone only the matrices of the gap dashboard and the
funnel, and the curators' review queue, do: every other table fits its frame
or stacks its rows), chart text at least 12 px, one sans-serif font stack. On
the desktop the header fits one line; the catalogue's topic tags of a line
start at the same height; on the phone the catalogue's first result is on
the first screen (its filters fold behind a "Filter" button).

Asset budget: the CSS and JavaScript each key page loads, compressed, <= 150 KB.
The browser's network log gives every stylesheet and script a page loads,
module imports included; each body is compressed with gzip (level 6, what a
server or WhiteNoise serves), and with Brotli too when the module is
installed. Run with ``-s`` to see the table of figures.
"""

import datetime as dt
import gzip

import pytest

from matchmaking.enums import MatchStatus
from matchmaking.enums import UnmetReason
from matchmaking.funding.services import parse_funding
from matchmaking.funding.services import write_funding
from matchmaking.models import Country
from matchmaking.models import Region
from matchmaking.models import Topic
from tests.factories.matchmaking import TEST_PASSWORD
from tests.factories.matchmaking import NeedFactory
from tests.factories.matchmaking import ProgrammeFactory

from .conftest import DESKTOP
from .conftest import MOBILE
from .roundtable_fixtures import media_root  # noqa: F401
from .roundtable_fixtures import roundtable  # noqa: F401

try:
    import brotli
except ImportError:  # Brotli is optional; gzip is the budget's measure.
    brotli = None

pytestmark = pytest.mark.browser

BUDGET_BYTES = 150 * 1024
ASSET_TYPES = {"stylesheet", "script"}
MIN_CHART_TEXT_PX = 12
# Tables that may scroll inside their frame on a phone (page: frames, None for
# all): matrices (a column per region, group, month or step) and the curators'
# pitch review queue. The dashboard's list of unmet needs stacks.
WIDE_TABLES = {
    "/gaps/": {
        "heatmap-caption",
        "gap_dashboard-table-1",
        "map-caption",
        "timeline-caption",
        "providers-caption",
    },
    "/gaps/funnel/": None,
    "/roundtable/events/grt/review/": None,
}
# The header's row at 1280 px: one line of links (about 59 px), not two.
ONE_LINE_HEADER_PX = 80

# What the page looks like to its reader, measured in the browser.
LAYOUT = """(MIN) => {
  const root = document.documentElement;
  const serif = [...document.querySelectorAll('body, body *')].filter(e =>
    [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) &&
    !/sans-serif|monospace/.test(getComputedStyle(e).fontFamily)
  ).slice(0, 3).map(e => e.tagName + ': ' + getComputedStyle(e).fontFamily);
  const small = [...document.querySelectorAll('svg text')].filter(t => {
    const m = t.getScreenCTM();
    return t.getBoundingClientRect().height > 0 &&
      parseFloat(getComputedStyle(t).fontSize) * (m ? m.a : 1) < MIN;
  }).slice(0, 3).map(t => t.textContent.trim());
  const header = document.querySelector(
    '.site-header .govuk-service-navigation__container');
  const first = document.querySelector('#programme-results .result');
  return {
    sideways: root.scrollWidth - root.clientWidth,
    // A list of records (table-stack) read without scrolling its region sideways.
    list_sideways: Math.max(0, ...[...document.querySelectorAll('.table-stack')].map(
      t => t.parentElement.scrollWidth - t.parentElement.clientWidth)),
    // Every table's scrolling frame: what a reader must scroll to see a column.
    frames_sideways: Object.fromEntries([...document.querySelectorAll('.table-scroll')]
      .filter(f => f.scrollWidth > f.clientWidth)
      .map(f => [f.getAttribute('aria-labelledby') || f.getAttribute('aria-label'),
                 f.scrollWidth - f.clientWidth])),
    // Topic tags of one line of a result that do not start at the same height.
    tags_unaligned: [...document.querySelectorAll('#programme-results .result')]
      .filter(r => {
      const boxes = [...r.querySelectorAll('.govuk-tag--grey')]
        .map(t => t.getBoundingClientRect());
      return boxes.some(a => boxes.some(b =>
        a.top < b.bottom && b.top < a.bottom && Math.abs(a.top - b.top) > 1));
    }).length,
    serif: serif,
    small_chart_text: small,
    header_height: header ? header.getBoundingClientRect().height : 0,
    first_result_top: first ? first.getBoundingClientRect().top + window.scrollY : null,
  };
}"""


class AssetLog:
    """The stylesheets and scripts one page loads, from the network log."""

    def __init__(self, visitor) -> None:
        self.visitor = visitor
        self.responses: list = []
        visitor.page.on("response", lambda response: self.responses.append(response))
        # Every page's assets come over the network: a file the browser kept in
        # its memory cache from an earlier page raises no response event.
        cdp = visitor.context.new_cdp_session(visitor.page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})

    def measure(self, path: str) -> dict:
        self.responses.clear()
        self.visitor.goto(path)
        self.assets = {
            r.url: r.body()
            for r in self.responses
            if r.request.resource_type in ASSET_TYPES and r.ok
        }
        self.visitor.check(f"desktop {path}", screenshots=False)
        self.layout = {"desktop": self.visitor.page.evaluate(LAYOUT, MIN_CHART_TEXT_PX)}
        # The same page on a phone: the layout follows the width at once.
        self.visitor.page.set_viewport_size(MOBILE)
        self.visitor.page.evaluate(
            "() => new Promise(done => requestAnimationFrame("
            "() => requestAnimationFrame(done)))"
        )
        self.layout["phone"] = self.visitor.page.evaluate(LAYOUT, MIN_CHART_TEXT_PX)
        self.visitor.check(f"phone {path}", screenshots=False)
        self.visitor.page.set_viewport_size(DESKTOP)
        raw = sum(len(body) for body in self.assets.values())
        zipped = sum(
            len(gzip.compress(body, compresslevel=6)) for body in self.assets.values()
        )
        brotlied = (
            sum(len(brotli.compress(body)) for body in self.assets.values())
            if brotli
            else None
        )
        return {
            "path": path,
            "files": sorted(url.rsplit("/static/", 1)[-1] for url in self.assets),
            "raw": raw,
            "gzip": zipped,
            "brotli": brotlied,
            "layout": self.layout,
        }


def test_key_pages_fit_a_phone_and_a_desktop_within_the_asset_budget(
    visit,
    world,
    roundtable,  # noqa: F811
):
    from roundtable.enums import PitchState
    from roundtable.models import Commitment
    from roundtable.models import Pitch

    pitch = Pitch.objects.create(
        event=roundtable.event,
        provider=world.provider_p,
        presenter=world.prov_p,
        presenter_name="Ingrid Solberg",
        title="From a decree to a working CSIRT",
        abstract="How a country gets a CSIRT in 18 months.",
        state=PitchState.CONFIRMED,
    )
    pitch.programmes.set([world.programme_p])
    world.match_a.status = MatchStatus.INTEREST
    world.match_a.save(update_fields=["status"])
    # A catalogue with facets to fold and titles long enough to test widths.
    topics = list(Topic.objects.order_by("pk")[:12])
    for n, topic in enumerate(topics):
        ProgrammeFactory(
            provider=world.provider_q,
            title=f"Regional train-the-trainer programme on {topic.label} {n}",
            # The first has three topics, of names long and short.
            topics=[topic.pk] if n else [t.pk for t in topics[:3]],
            languages=["en", "fr", "es", "ar"][: 1 + n % 4],
        )
        NeedFactory(
            member_state=world.need_a.member_state,
            title=f"Strengthening national capacities in {topic.label} {n}",
            topics=[topic.pk],
        )

    # Who funds what with rows as wide as the demo's (a region and a theme of
    # long names) and a commitment for several countries.
    americas = Region.objects.get(code="019")
    funded = ProgrammeFactory(
        provider=world.provider_q,
        title="Critical infrastructure protection exercises",
        topics=["critical-infrastructure"],
    )
    funded.eligible_regions.set([americas])
    # Eight-figure sums in the USD columns, as in the demo.
    for n, topic in enumerate(topics[:5]):
        write_funding(
            programme=ProgrammeFactory(provider=world.provider_q, topics=[topic.pk]),
            funding=parse_funding(
                {
                    "total_budget": 10_180_400 + n,
                    "currency": "USD",
                    "participants": [
                        {"role": "funding", "name": f"Inter-American Cyber Fund {n}"}
                    ],
                }
            ),
        )
    NeedFactory(
        member_state=world.need_a.member_state,
        title="Protect the national electricity grid",
        topics=["critical-infrastructure"],
    )
    # An unmet public need for the dashboard's list, with a long reason.
    NeedFactory(
        member_state=world.need_a.member_state,
        title="Cyber hygiene for small and medium enterprises",
        unmet_reason=UnmetReason.TOPIC_MISSED,
    )
    commitment = Commitment.objects.create(
        provider=world.provider_q,
        title="Cybercrime laws aligned across borders in three LDCs",
        amount=250_000,
        currency="EUR",
        due_on=dt.date(2028, 6, 30),
        next_report_due=dt.date(2027, 12, 31),
        for_ldcs=True,
    )
    commitment.countries.set(
        Country.objects.filter(iso3__in=["BGD", "NPL", "SEN"]).order_by("iso3")
    )

    pages = {
        None: [
            "/",
            "/programmes/",
            "/programmes/prog-q/",
            "/providers/prov-q/",
            "/needs/",
            "/needs/need-a/",
            "/accounts/login/",
            "/join/",
            "/gaps/funnel/",
            "/roundtable/commitments/",
            "/roundtable/coordination/",
            # French theme names have longer words than English ones.
            "/fr/roundtable/coordination/",
            "/roundtable/events/grt/",
            f"/roundtable/pitches/{pitch.pk}/",
        ],
        "ms_a": [
            "/my/needs/",
            "/needs/new/",
            f"/matches/{world.match_a.pk}/",
            "/roundtable/events/grt/for-you/",
            "/roundtable/meetings/",
            "/accounts/tokens/",
            "/notifications/",
        ],
        "prov_p": [
            "/my/programmes/",
            "/programmes/new/",
            "/roundtable/events/grt/pitches/new/",
        ],
        "curator": [
            "/curation/",
            "/curation/matches/",
            "/gaps/",
            "/curation/allocation/",
            "/curation/invitations/",
            "/roundtable/events/grt/review/",
        ],
    }
    figures = []
    for username, paths in pages.items():
        visitor = visit()
        if username:
            visitor.sign_in(username, TEST_PASSWORD)
        log = AssetLog(visitor)
        figures.extend(log.measure(path) for path in paths)

    # The brief asks for the figures on the terminal (run with -s).
    print(f"\n{'page':42} {'files':>5} {'raw KB':>8} {'gzip KB':>8} {'br KB':>7}")  # noqa: T201
    for f in figures:
        br = f"{f['brotli'] / 1024:7.1f}" if f["brotli"] is not None else "      -"
        print(  # noqa: T201
            f"{f['path']:42} {len(f['files']):5d} {f['raw'] / 1024:8.1f} "
            f"{f['gzip'] / 1024:8.1f} {br}"
        )
    print("assets:", ", ".join(sorted({n for f in figures for n in f["files"]})))  # noqa: T201
    over = [(f["path"], f["gzip"]) for f in figures if f["gzip"] > BUDGET_BYTES]
    assert over == []
    for width in ("desktop", "phone"):
        measured = {f["path"]: f["layout"][width] for f in figures}
        assert {p: m["sideways"] for p, m in measured.items() if m["sideways"]} == {}
        lists = {p: m["list_sideways"] for p, m in measured.items()}
        assert {p: w for p, w in lists.items() if w} == {}
        frames = {
            p: {
                frame: over
                for frame, over in m["frames_sideways"].items()
                if p not in WIDE_TABLES
                or (WIDE_TABLES[p] is not None and frame not in WIDE_TABLES[p])
            }
            for p, m in measured.items()
        }
        assert {p: f for p, f in frames.items() if f} == {}
        assert {p: m["serif"] for p, m in measured.items() if m["serif"]} == {}
        unaligned = {p: m["tags_unaligned"] for p, m in measured.items()}
        assert {p: n for p, n in unaligned.items() if n} == {}
        small = {p: m["small_chart_text"] for p, m in measured.items()}
        assert {p: t for p, t in small.items() if t} == {}
    tall = {
        f["path"]: f["layout"]["desktop"]["header_height"]
        for f in figures
        # In French the header's links take two lines (left as it is).
        if f["layout"]["desktop"]["header_height"] > ONE_LINE_HEADER_PX
        and not f["path"].startswith("/fr/")
    }
    assert tall == {}
    catalogue = next(f for f in figures if f["path"] == "/programmes/")
    assert catalogue["layout"]["phone"]["first_result_top"] < MOBILE["height"]
    # Every page loads the base styles and scripts; a few add their own (the
    # gap dashboard's chart styles), which the budget above already counts.
    base = {
        "css/site.css",
        "js/app.mjs",
        "vendor/govuk-frontend-6.6.0/govuk-frontend.min.css",
        "vendor/govuk-frontend-6.6.0/govuk-frontend.min.js",
        "vendor/htmx-2.0.11/htmx.min.js",
    }
    assert [f["path"] for f in figures if not base <= set(f["files"])] == []
