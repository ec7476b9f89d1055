"""Asset budget: the CSS and JavaScript each key page loads, compressed, <= 150 KB.

The browser's network log gives every stylesheet and script a page loads,
module imports included; each body is compressed with gzip (level 6, what a
server or WhiteNoise serves), and with Brotli too when the module is
installed. Run with ``-s`` to see the table of figures.
"""

import gzip

import pytest

from matchmaking.enums import MatchStatus
from tests.factories.matchmaking import TEST_PASSWORD

from .roundtable_fixtures import media_root, roundtable  # noqa: F401

try:
    import brotli
except ImportError:  # Brotli is optional; gzip is the budget's measure.
    brotli = None

pytestmark = pytest.mark.browser

BUDGET_BYTES = 150 * 1024
ASSET_TYPES = {"stylesheet", "script"}


class AssetLog:
    """The stylesheets and scripts one page loads, from the network log."""

    def __init__(self, visitor) -> None:
        self.visitor = visitor
        self.responses: list = []
        visitor.page.on("response", lambda response: self.responses.append(response))

    def measure(self, path: str) -> dict:
        self.responses.clear()
        self.visitor.goto(path)
        self.assets = {
            r.url: r.body()
            for r in self.responses
            if r.request.resource_type in ASSET_TYPES and r.ok
        }
        self.visitor.check(f"budget {path}", screenshots=False)
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
        }


def test_key_pages_stay_within_the_asset_budget(
    visit,
    world,
    roundtable,  # noqa: F811
):
    from roundtable.enums import PitchState
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

    pages = {
        None: [
            "/",
            "/programmes/",
            "/programmes/prog-q/",
            "/providers/prov-q/",
            "/needs/",
            "/needs/need-a/",
            "/accounts/login/",
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
        ],
        "prov_p": [
            "/my/programmes/",
            "/programmes/new/",
            "/roundtable/events/grt/pitches/new/",
        ],
        "curator": [
            "/curation/",
            "/curation/matches/",
            "/curation/gaps/",
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
