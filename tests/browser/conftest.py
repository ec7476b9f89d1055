"""Playwright driving Debian's Chromium against pytest-django's live server."""

import os
import shutil
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

from tests.browser.authenticator import authenticator_of
from tests.browser.authenticator import current_code
from tests.matchmaking.views.conftest import world  # noqa: F401  (the journeys' cast)
from tests.paths import ROOT
from tests.smtp import Inbox
from tests.smtp import free_port
from tests.smtp import smtp_mailers

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between page actions are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


class SerialWSGIServer(WSGIServer):
    """The live server answers one request at a time.

    On SQLite the test database lives in memory and every request of the live
    server uses the test's one connection; pages now fetch parts of themselves
    after loading (htmx: the notification count, a need's near misses), and two
    requests at once on that connection fail ("bad parameter or other API
    misuse"). Browsers wait for a busy server; production runs several workers
    on PostgreSQL, where nothing is shared.
    """

    def __init__(self, *args, connections_override=None, **kwargs):
        # LiveServerThread.run() already gives its own thread the overrides.
        super().__init__(*args, **kwargs)


LiveServerThread.server_class = SerialWSGIServer

CHROMIUM = shutil.which("chromium")
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless Chromium for the session; skip only when it is not installed."""
    if CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER_TESTS"):
            pytest.fail("REQUIRE_BROWSER_TESTS is set but chromium is not installed")
        pytest.skip(
            "Chromium is not installed, so the browser tests cannot run here: "
            "`apt-get install -y chromium` (CI installs it)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """The live server needs transactional tests; tests/conftest.py reloads the
    migrations' reference data when a flush emptied it."""


@pytest.fixture(autouse=True)
def no_background_matching(settings):
    """The engine does not run behind the pages: the tests create the matches."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }


class Visitor:
    """A browser context that records console errors, page errors and CSP reports."""

    def __init__(self, browser, base_url: str) -> None:
        self.context = browser.new_context(viewport=DESKTOP, base_url=base_url)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.base_url = base_url
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda msg: (
                self.problems.append(
                    f"console {msg.type}: {msg.text} at {msg.location}"
                )
                if msg.type in {"error", "warning"}
                else None
            ),
        )
        self.page.on("pageerror", lambda exc: self.problems.append(f"error: {exc}"))

    def goto(self, path: str, status: int = 200):
        response = self.page.goto(path)
        assert response is not None
        assert response.status == status, (path, response.status)
        if status >= 400:
            # The browser logs the expected error status of the document itself.
            self.problems = [
                p
                for p in self.problems
                if not (f"status of {status}" in p and f"{path}'" in p)
            ]
        self.page.wait_for_load_state("networkidle")
        return response

    def sign_in(self, username: str, password: str) -> None:
        """The password, then (curators, staff) the code of their authenticator."""
        device = authenticator_of(username)
        self.goto("/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state("networkidle")
        if device is not None and "/accounts/login/verify/" in self.page.url:
            self.page.get_by_label("Security code").fill(current_code(device))
            self.page.get_by_role("button", name="Continue").click()
            self.page.wait_for_load_state("networkidle")

    def check(self, name: str, *, screenshots: bool = True) -> None:
        """0 axe violations at WCAG 2.1 AA, 0 console problems; screenshots."""
        self.page.add_script_tag(
            url=f"{self.base_url}/static/vendor/axe-core-4.14.1/axe.min.js"
        )
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS,
        )
        violations = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
            for v in result["violations"]
        ]
        assert violations == [], (name, violations)
        assert self.problems == [], (name, self.problems)
        if not screenshots:
            return
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
        self.page.set_viewport_size(MOBILE)
        self.page.screenshot(path=SCREENSHOTS / f"{name}-mobile.png", full_page=True)
        self.page.set_viewport_size(DESKTOP)
        # The header's menu button follows the width through a media-query
        # listener, which runs with the next rendering steps: a keyboard walk
        # started at once met the button shown, then hidden. Two frames.
        self.page.evaluate(
            "() => new Promise(done => requestAnimationFrame("
            "() => requestAnimationFrame(done)))"
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, live_server, django_db_serialized_rollback):
    """Open visitors (one per role); each is closed after the test.

    The live server needs a transactional database; the serialized rollback
    puts the reference data of the migrations back after the flush.
    """
    opened: list[Visitor] = []

    def open_visitor() -> Visitor:
        visitor = Visitor(browser, live_server.url)
        opened.append(visitor)
        return visitor

    yield open_visitor
    for visitor in opened:
        visitor.close()


@pytest.fixture
def smtp_inbox(settings):
    """Mail goes over SMTP to a server this test starts, as users receive it:
    the messages it received (``email.message.EmailMessage``), in order."""
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = smtp_mailers(port)
    yield inbox.received
    controller.stop()
