"""Adversarial review re-run (not a test): the eighteen attacks of issue 14 over HTTP.

    .venv/bin/python bench/adversarial_review.py            # everything, ~5 min
    .venv/bin/python bench/adversarial_review.py --only 1,9,17
    .venv/bin/python bench/adversarial_review.py --reuse     # developing attacks

A production-like app on this machine, loopback only: a scratch PostgreSQL
database (``cbm_review`` on the local cluster, dropped at the end), DEBUG off
with the production settings profile (deploy/production.env.example: the TLS
proxy header, one trusted proxy, secure ``__Host-`` cookies, SSL redirect;
TLS simulated as nginx would: every request carries ``X-Forwarded-Proto:
https`` and an ``X-Forwarded-For`` ending in the client's address), gunicorn
with deploy/gunicorn.conf.py (2 workers x 4 threads), the task worker
(``task_worker``), a PRIVATE redis-server on a free port as ``CACHE_URL`` (the
shared one on 6379 is never touched), a local SMTP sink as the mail server,
and the demo (``load_demo``) plus a few accounts the attacks need (a
superuser, a curator with and one without a two-factor device, an account
without an organisation, an invitation, tokens).

Each finding of the review is replayed as the review describes the attack,
through the product's real pages, admin forms (with CSRF) and API; what the
app answers is the evidence. One line per finding: number, name, HELD or
FOUND, evidence; then a summary with the commit, data size and the machine's
load. Exit status 0 only if all eighteen hold.
"""

from __future__ import annotations

import argparse
import email
import hashlib
import hmac
import html.parser
import http.cookies
import io
import json
import math
import os
import re
import shutil
import signal
import socket
import socketserver
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
HOST = "cbm.example.org"
ORIGIN = f"https://{HOST}"
DB_NAME = "cbm_review"
TEMPLATE = "cbm_review_template"  # --reuse only
ADMIN_DB = "postgres://cbm:cbm@127.0.0.1:5432/postgres"
EVENT = "global-roundtable-2027"
# The demo's passwords (matchmaking/dataset/demo.py; local only).
PASSWORDS = {
    "focal": "demo-focal-2026",
    "focal2": "demo-focal2-2026",
    "provider": "demo-provider-2026",
    "provider2": "demo-provider2-2026",
    "curator": "demo-curator-2026",
}
# Accounts of this run (created by FIXTURES below).
EXTRA_PASSWORD = "review-only-Pa55phrase-2026"  # noqa: S105 (scratch database)
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"

FIXTURES = r"""
import json
import django
django.setup()
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from matchmaking import invitations, services
from matchmaking.accounts.tokens import create_token, revoke_token
from matchmaking.models import (
    MemberState, Membership, Need, Programme, Provider, TokenScope, User,
)
from roundtable.models import Pitch

P = %(password)r
def account(name, **fields):
    user, _ = User.objects.get_or_create(
        username=name, defaults={"email": f"{name}@example.org", **fields})
    for key, value in fields.items():
        setattr(user, key, value)
    user.set_password(P)
    user.save()
    return user

root = account("root", is_superuser=True, is_staff=True)
curator = User.objects.get(username="curator")
TOTPDevice.objects.filter(user=curator).delete()
TOTPDevice.objects.create(user=curator, name="review", confirmed=True,
                          key=%(key)r, tolerance=2)
curator2 = account("curator2", is_curator=True, is_staff=True)
curator2.groups.set(curator.groups.all())
TOTPDevice.objects.filter(user=curator2).delete()
loner = account("loner")
stranger = account("stranger")
for number in range(3):
    account(f"squatter{number}")
# A manager of a provider with no pitch at the roundtable yet (finding 3).
pitching = Provider.objects.exclude(
    pk__in=Pitch.objects.values_list("provider_id", flat=True)
).exclude(memberships__isnull=False).filter(
    pk__in=Programme.objects.values_list("provider_id", flat=True)
).order_by("ref").first()
pitcher = account("pitcher3")
Membership.objects.get_or_create(user=pitcher, provider=pitching, role="manager")
# Managers for the demo pitches still awaiting a decision: more presenters to mail.
for waiting in Pitch.objects.filter(state__in=["submitted", "in_review"]):
    manager = account(f"manager{waiting.pk}")
    Membership.objects.get_or_create(
        user=manager, provider=waiting.provider, role="manager")
victim = account("victim9")
changer = account("changer13")
guesser = account("guesser18")
gambia = Membership.objects.filter(user__username="focal").first().member_state
barbados = Membership.objects.filter(user__username="focal2").first().member_state
for user in (victim, changer, guesser):
    Membership.objects.get_or_create(user=user, member_state=barbados)
focal = User.objects.get(username="focal")
focal2 = User.objects.get(username="focal2")
_, curator_key = create_token(user=curator, name="review", scope=TokenScope.READ_WRITE)
revoked, revoked_key = create_token(user=focal, name="old", scope=TokenScope.READ)
revoke_token(user=focal, token=revoked)
_, changer_key = create_token(user=changer, name="mine", scope=TokenScope.READ)
provider = User.objects.get(username="provider")
_, provider_key = create_token(user=provider, name="mine", scope=TokenScope.READ_WRITE)
_, focal_key = create_token(user=focal, name="mine", scope=TokenScope.READ_WRITE)
invitation, invitation_token = invitations.invite_user(
    user=root, email="invitee@example.org", member_state=barbados,
    role="focal_point", accept_url=lambda token: f"/invitations/{token}/")
nordic = Membership.objects.filter(user__username="provider").first().provider
kestrel = Membership.objects.filter(user__username="provider2").first().provider
confidential = Need.objects.filter(member_state=gambia, visibility="confidential")
secret = confidential.first()
barbados_need = Need.objects.filter(member_state=barbados).exclude(
    visibility="confidential").first()
gambia_public = Need.objects.filter(
    member_state=gambia, visibility="public", status__in=["open", "in_progress"]
).order_by("ref").first() or Need.objects.filter(
    member_state=gambia, visibility="public").order_by("ref").first()
registered = Need.objects.filter(visibility="registered").order_by("ref")
kestrel_pitch = Pitch.objects.filter(provider=kestrel).order_by("pk").first()
print(json.dumps({
    "ids": {u.username: u.pk for u in User.objects.all()},
    "emails": {u.username: u.email for u in User.objects.all()},
    "curator_key": curator_key, "revoked_key": revoked_key,
    "revoked_id": revoked.pk, "changer_key": changer_key,
    "provider_key": provider_key, "focal_key": focal_key,
    "invitation": invitation_token,
    "gambia": gambia.country_id, "barbados": barbados.country_id,
    "nordic": {"ref": nordic.ref, "name": nordic.name, "pk": nordic.pk,
               "verified": nordic.is_verified},
    "kestrel": {"ref": kestrel.ref, "name": kestrel.name, "pk": kestrel.pk},
    "secret": {"ref": secret.ref, "title": secret.title, "pk": secret.pk,
               "shared": sorted(secret.shared_with.values_list("ref", flat=True))},
    "barbados_need": barbados_need.ref,
    "gambia_public": {"ref": gambia_public.ref, "title": gambia_public.title},
    "registered": [n.ref for n in registered],
    "registered_titles": [n.title for n in registered],
    "kestrel_pitch": {"pk": kestrel_pitch.pk, "state": kestrel_pitch.state}
        if kestrel_pitch else None,
    "needs": Need.objects.count(), "programmes": Programme.objects.count(),
    "providers": Provider.objects.count(),
}))
"""


# --- the machine ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, seconds: float = 20) -> None:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class PrivateRedis:
    """A redis-server of this run only (never the shared one)."""

    def __init__(self, directory: str) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(  # noqa: S603
            [binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class SmtpSink(socketserver.ThreadingTCPServer):
    """The mail server of this run: keeps every message it is given."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def to(self, address: str) -> list[dict]:
        with self.lock:
            return [m for m in self.messages if address in m["rcpt"]]


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink ESMTP")
        rcpt: list[str] = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode("latin-1").strip().split(" ")[0].upper()
            if verb in {"EHLO", "HELO"}:
                self.reply("250-sink")
                self.reply("250 8BITMIME")
            elif verb == "MAIL":
                rcpt = []
                self.reply("250 ok")
            elif verb == "RCPT":
                rcpt.append(line.decode("latin-1").split(":", 1)[1].strip(" <>\r\n"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                body = bytearray()
                while True:
                    chunk = self.rfile.readline()
                    if chunk in {b".\r\n", b".\n", b""}:
                        break
                    body += chunk
                with self.server.lock:
                    self.server.messages.append(
                        {"rcpt": rcpt, "data": body.decode("utf-8", "replace"),
                         "at": time.time()}
                    )  # fmt: skip
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


# --- a browser speaking through "nginx" ---------------------------------------------


class Form(html.parser.HTMLParser):
    """The forms of a page: action, method and the values a browser would send."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._select_multiple = False
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._option: dict | None = None
        self.feed(page)

    @property
    def current(self) -> dict:
        if not self.forms:
            self.forms.append(
                {"action": "", "method": "get", "fields": [], "attrs": {}}
            )
        return self.forms[-1]

    def handle_starttag(self, tag: str, attrs) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {"action": a.get("action", ""), "names": [], "fields": [],
                 "method": a.get("method", "get").lower()}
            )  # fmt: skip
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            self.current.setdefault("names", []).append(a["name"])
            if kind in {"checkbox", "radio"}:
                choices = self.current.setdefault("choices", {})
                choices.setdefault(a["name"], []).append(a.get("value", "on"))
                if "checked" in a:
                    self.current["fields"].append((a["name"], a.get("value", "on")))
            elif kind not in {"submit", "button", "image", "reset", "file"}:
                self.current["fields"].append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.current.setdefault("names", []).append(a["name"])
            self.current["fields"].append((a["name"], ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._select_multiple = "multiple" in a
            self._select_first = None
            self._select_chosen = False
            self.current.setdefault("names", []).append(a["name"])
        elif tag == "option" and self._select is not None:
            self._option = a
            value = a.get("value")
            choices = self.current.setdefault("choices", {})
            choices.setdefault(self._select, []).append(value or "")
            if self._select_first is None:
                self._select_first = value if value is not None else ""
            if "selected" in a:
                self.current["fields"].append((self._select, value or ""))
                self._select_chosen = True

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, value = self.current["fields"][-1]
            self.current["fields"][-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
            # Browsers drop the one line break after <textarea>.
            name, value = self.current["fields"][-1]
            if value.startswith("\n"):
                self.current["fields"][-1] = (name, value[1:])
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and not self._select_multiple:
                self.current["fields"].append((self._select, self._select_first or ""))
            self._select = None


class Browser:
    """One client: its own cookies (secure ones too: TLS is simulated) and address."""

    def __init__(self, base: str, ip: str) -> None:
        self.base = base
        self.ip = ip
        self.cookies: dict[str, str] = {}
        self.http = requests.Session()
        self.http.trust_env = False

    def request(self, method: str, path: str, *, data=None, files=None, json_body=None,
                headers=None, follow: bool = False, timeout: float = 60,
                forwarded_for: str | None = None) -> requests.Response:  # fmt: skip
        sent = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            # What nginx passes on for a client that sent none: the address
            # it saw (the one proxy DJANGO_NUM_PROXIES=1 trusts).
            "X-Forwarded-For": forwarded_for or self.ip,
            "Accept-Language": "en",
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method not in {"GET", "HEAD"}:
            sent["Origin"] = ORIGIN
            sent["Referer"] = ORIGIN + path
            token = self.cookies.get("__Host-csrftoken")
            if token:
                sent["X-CSRFToken"] = token
        sent.update(headers or {})
        response = self.http.request(
            method, self.base + path, data=data, files=files, json=json_body,
            headers=sent, allow_redirects=False, timeout=timeout,
        )  # fmt: skip
        for line in response.raw.headers.getlist("Set-Cookie"):
            jar = http.cookies.SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or (
                    morsel["expires"] and "1970" in morsel["expires"]
                ):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if follow and response.status_code in {301, 302, 303} and follow is not None:
            location = urlsplit(response.headers["Location"])
            target = location.path + (f"?{location.query}" if location.query else "")
            return self.request("GET", target, follow=True, timeout=timeout)
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def form(self, path: str, having: str | None = None) -> dict:
        """The POST form of a page with a field named ``having`` (else the largest)."""
        page = self.get(path)
        if page.status_code != 200:
            return {"status": page.status_code, "fields": [], "action": path}
        forms = Form(page.text).forms
        posts = [f for f in forms if f["method"] == "post"]
        if having is not None:
            posts = [f for f in posts if having in f.get("names", [])]
        else:
            # The page's own form (not the header's sign-out form), the largest.
            posts = [f for f in posts if f["action"] in {"", path, ORIGIN + path}]
            posts.sort(key=lambda f: -len(f.get("names", [])))
        if not posts:
            return {"status": page.status_code, "fields": [], "action": path,
                    "page": page.text}  # fmt: skip
        chosen = posts[0]
        chosen["status"] = page.status_code
        chosen["page"] = page.text
        if not chosen["action"]:
            chosen["action"] = path
        return chosen

    def submit(self, form: dict, changes: dict | None = None, *, drop=(), files=None,
               **kwargs) -> requests.Response:  # fmt: skip
        """Post a form back as a browser would, with ``changes`` applied."""
        changes = changes or {}
        fields = [
            (k, v) for k, v in form["fields"] if k not in changes and k not in drop
        ]
        for key, value in changes.items():
            if isinstance(value, list | tuple):
                fields.extend((key, item) for item in value)
            elif value is not None:
                fields.append((key, value))
        action = form["action"]
        if action.startswith("http"):
            parts = urlsplit(action)
            action = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.request("POST", action, data=fields, files=files, **kwargs)

    def post(self, path: str, fields: dict | list, **kwargs) -> requests.Response:
        """Post fields with the CSRF token of the page at ``path``."""
        if not self.cookies.get("__Host-csrftoken"):
            self.get(path)
        items = list(fields.items()) if isinstance(fields, dict) else list(fields)
        token = self.cookies.get("__Host-csrftoken", "")
        return self.request(
            "POST", path, data=[("csrfmiddlewaretoken", token), *items], **kwargs
        )


def errors(page: str) -> str:
    """The error messages a page shows (GOV.UK error message spans)."""
    found = re.findall(
        r'<p (?:id="(?:id_)?([^"]*?)_error" )?'
        r'class="govuk-error-message"[^>]*>(.*?)</p>',
        page,
        flags=re.S,
    )
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', page, flags=re.S)
    if summary:
        found = [("", m) for m in re.findall(r"<li>(.*?)</li>", summary.group(1), re.S)]
    text = [
        f"{field}: " * bool(field)
        + re.sub(r"<[^>]+>|\s+", " ", message).replace("Error:", "").strip()
        for field, message in found
    ]
    return "; ".join(t for t in text if t)[:300]


def totp(key_hex: str, at: float, step: int = 30) -> str:
    """RFC 6238 code (6 digits, SHA-1), as an authenticator app shows it."""
    counter = struct.pack(">Q", int(at // step))
    digest = hmac.new(bytes.fromhex(key_hex), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**6
    return f"{code:06d}"


def signed_in(response: requests.Response, browser: Browser) -> bool:
    """The session cookie changed to a signed-in one: the page says "Sign out"."""
    page = browser.get("/accounts/profile/")
    return page.status_code == 200


# --- the app ------------------------------------------------------------------------


class App:
    """The production-like deployment of this run and its helpers."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.directory = tempfile.mkdtemp(prefix="cbm-review-")
        self.redis = PrivateRedis(self.directory)
        self.smtp = SmtpSink()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(self.directory) / "gunicorn.log"
        self.server: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.env = self._environment()
        self.data: dict = {}
        self.step = 0  # last TOTP time step used
        self._ip = 0

    def _environment(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            # deploy/production.env.example, with this machine's addresses.
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_DEBUG="false",
            DJANGO_SECRET_KEY="review-only-" + "k" * 60,
            DJANGO_ALLOWED_HOSTS=HOST,
            DJANGO_CSRF_TRUSTED_ORIGINS=ORIGIN,
            DATABASE_URL=f"postgres://cbm:cbm@127.0.0.1:5432/{DB_NAME}?connect_timeout=3",
            DJANGO_CONN_MAX_AGE="60",
            DJANGO_BEHIND_TLS_PROXY="true",
            DJANGO_NUM_PROXIES="1",
            DJANGO_SECURE_SSL_REDIRECT="true",
            DJANGO_STATIC_ROOT=os.path.join(self.directory, "static"),
            DJANGO_MEDIA_ROOT=os.path.join(self.directory, "media"),
            CACHE_URL=self.redis.url,
            DJANGO_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
            HEALTH_TASK_WAIT_SECONDS="300",
            DJANGO_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            DJANGO_EMAIL_HOST="127.0.0.1",
            DJANGO_EMAIL_PORT=str(self.smtp.port),
            DJANGO_EMAIL_USE_TLS="false",
            DJANGO_DEFAULT_FROM_EMAIL="matchmaking@example.org",
            DJANGO_LOGIN_FAILURE_LIMIT="5",
            DJANGO_LOGIN_COOLOFF_MINUTES="15",
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_WORKERS=str(self.args.workers),
            GUNICORN_THREADS="4",
            GUNICORN_LOGLEVEL="info",
        )
        return env

    # helpers --------------------------------------------------------------------

    def manage(self, *args: str, timeout: float = 600, check: bool = True,
               stdin: str | None = None) -> subprocess.CompletedProcess:  # fmt: skip
        return subprocess.run(  # noqa: S603
            [PY, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
            text=True, timeout=timeout, check=check, input=stdin,
        )  # fmt: skip

    def django(self, code: str, timeout: float = 300) -> dict:
        """Read (or stage) data through the ORM; the last stdout line is JSON."""
        script = "import json, django; django.setup()\n" + code
        out = subprocess.run(  # noqa: S603
            [PY, "-c", script], cwd=ROOT, env=self.env, capture_output=True,
            text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-2000:])
        return json.loads(out.stdout.strip().splitlines()[-1])

    def browser(self) -> Browser:
        """A new client at its own address."""
        self._ip += 1
        return Browser(self.base, f"198.51.100.{self._ip % 250 + 1}")

    def login(self, browser: Browser, username: str, password: str | None = None,
              *, totp_key: str | None = None) -> requests.Response:  # fmt: skip
        """The site's sign-in (two steps when the account has a device)."""
        password = password or PASSWORDS.get(username, EXTRA_PASSWORD)
        form = browser.form("/accounts/login/", "username")
        response = browser.submit(form, {"username": username, "password": password})
        location = response.headers.get("Location", "")
        if response.status_code == 302 and "/login/verify/" in location and totp_key:
            now = int(time.time() // 30)
            if self.step >= now + 2:
                time.sleep((self.step - now - 1) * 30)
                now = int(time.time() // 30)
            self.step = max(now, self.step + 1)
            code = totp(totp_key, self.step * 30)
            verify = browser.form("/accounts/login/verify/", "token")
            response = browser.submit(verify, {"token": code})
        return response

    def api(self, method: str, path: str, key: str | None = None, *, body=None,
            raw: bytes | None = None, browser: Browser | None = None,
            timeout: float = 120) -> requests.Response:  # fmt: skip
        client = browser or Browser(self.base, "203.0.113.7")
        headers = {"Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Token {key}"
        if raw is not None:
            headers["Content-Type"] = "application/json"
            return client.request(method, path, data=raw, headers=headers,
                                  timeout=timeout)  # fmt: skip
        return client.request(method, path, json_body=body, headers=headers,
                              timeout=timeout)  # fmt: skip

    def health(self, timeout: float = 10) -> tuple[int, dict]:
        try:
            response = Browser(self.base, "10.0.0.1").get("/health/", timeout=timeout)
            try:
                return response.status_code, response.json()
            except ValueError:
                return response.status_code, {}
        except requests.RequestException:
            return 0, {}

    # life cycle -----------------------------------------------------------------

    def psql(self, sql: str, check: bool = True) -> None:
        subprocess.run(["psql", ADMIN_DB, "-q", "-c", sql], check=check)  # noqa: S603,S607

    def prepare(self) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        saved = Path(tempfile.gettempdir()) / f"{TEMPLATE}.json"
        if self.args.reuse and saved.exists():
            # Developing the attacks: a copy of the prepared database.
            self.psql(f'CREATE DATABASE "{DB_NAME}" TEMPLATE "{TEMPLATE}" OWNER cbm')
            self.manage("collectstatic", "--noinput", "-v", "0")
            self.data = json.loads(saved.read_text())
            return
        self.psql(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        saved.unlink(missing_ok=True)
        self.psql(f'CREATE DATABASE "{DB_NAME}" OWNER cbm')
        print("+ migrate, collectstatic, load_demo", flush=True)
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.manage("load_demo")
        out = subprocess.run(  # noqa: S603
            [PY, "-c", FIXTURES % {"password": EXTRA_PASSWORD, "key": TOTP_KEY_HEX}],
            cwd=ROOT, env=self.env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-3000:])
        self.data = json.loads(out.stdout.strip().splitlines()[-1])
        if self.args.reuse:
            self.psql(f'CREATE DATABASE "{TEMPLATE}" TEMPLATE "{DB_NAME}" OWNER cbm')
            saved.write_text(json.dumps(self.data))

    def start(self) -> None:
        self.redis.start()
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the server)
        gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
        if gunicorn.exists():
            argv = [str(gunicorn), "-c", "deploy/gunicorn.conf.py", "config.wsgi"]
        else:
            argv = [
                PY,
                "manage.py",
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
            ]
        self.server = subprocess.Popen(  # noqa: S603
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.worker = subprocess.Popen(  # noqa: S603
            [PY, "manage.py", "task_worker"], cwd=ROOT, env=self.env,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.wait_up(300)

    def wait_up(self, seconds: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            status, _body = self.health(timeout=5)
            if status == 200:
                return time.monotonic() - start
            time.sleep(0.2)
        raise RuntimeError("the app did not come up")

    def stop(self) -> None:
        for process in (self.worker, self.server):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.redis.stop()
        self.smtp.shutdown()
        if not self.args.keep:
            drop = f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'
            subprocess.run(["psql", ADMIN_DB, "-q", "-c", drop], check=False)  # noqa: S603,S607
            shutil.rmtree(self.directory, ignore_errors=True)

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", "replace")


# --- the findings ---------------------------------------------------------------------

FINDINGS: dict[int, tuple[str, object]] = {}


def finding(number: int, name: str):
    def register(function):
        FINDINGS[number] = (name, function)
        return function

    return register


def curator(app: App) -> Browser:
    """The demo curator, signed in with password and code (once per run)."""
    kept = getattr(app, "_curator", None)
    if kept is not None and kept.get("/curation/").status_code != 200:
        print("  (the curator's session ended: signing in again)", flush=True)
        app._curator = None
    if getattr(app, "_curator", None) is None:
        browser = app.browser()
        response = app.login(browser, "curator", totp_key=TOTP_KEY_HEX)
        if response.status_code != 302:
            raise RuntimeError(f"curator sign-in answered {response.status_code}")
        app._curator = browser
    return app._curator


@finding(1, "curator to superuser")
def f01(app: App) -> tuple[bool, str]:
    d = app.data
    ids = d["ids"]
    browser = curator(app)
    held, notes = True, []
    # a) set the superuser's password through the admin, then sign in as them.
    stolen = "a-password-the-curator-chose-1"
    path = f"/admin/matchmaking/user/{ids['root']}/password/"
    form = browser.form(path)
    answer = browser.submit(
        form if form["fields"] else {"fields": [], "action": path},
        {"password1": stolen, "password2": stolen, "usable_password": "true",
         "csrfmiddlewaretoken": browser.cookies.get("__Host-csrftoken", "")},
    )  # fmt: skip
    attempt = app.login(app.browser(), "root", stolen)
    took = attempt.status_code == 302
    held &= not took
    notes.append(
        f"set root's password: GET {form['status']}, POST {answer.status_code}, "
        f"sign-in with it {'WORKED' if took else 'refused'}"
    )
    # b) reassign the curator's own token to another state's focal point.
    token_id = app.django(
        "from matchmaking.models import ApiToken\n"
        "print(json.dumps(ApiToken.objects.get(user__username='curator',"
        " name='review').pk))"
    )
    path = f"/admin/matchmaking/apitoken/{token_id}/change/"
    form = browser.form(path)
    answer = browser.submit(
        form if form["fields"] else {"fields": [], "action": path},
        {"user": str(ids["focal2"]), "name": "review",
         "csrfmiddlewaretoken": browser.cookies.get("__Host-csrftoken", "")},
    )  # fmt: skip
    edit = app.api(
        "PATCH", f"/api/v1/needs/{d['barbados_need']}/", d["curator_key"],
        body={"summary": "Edited by the reassigned token"},
    )  # fmt: skip
    owner = app.django(
        "from matchmaking.models import ApiToken, Need\n"
        f"t = ApiToken.objects.get(pk={token_id})\n"
        f"n = Need.objects.get(ref={d['barbados_need']!r})\n"
        "h = n.history.latest()\n"
        "print(json.dumps([t.user.username,"
        " h.history_user.username if h.history_user else None]))"
    )
    moved = owner[0] != "curator" or owner[1] == "focal2"
    held &= not moved
    notes.append(
        f"reassign token: GET {form['status']}, POST {answer.status_code}, "
        f"token owner {owner[0]}, need edit {edit.status_code} by {owner[1]}"
    )
    # c) un-revoke a revoked token.
    before = app.api("GET", "/api/v1/needs/", d["revoked_key"]).status_code
    path = f"/admin/matchmaking/apitoken/{d['revoked_id']}/change/"
    form = browser.form(path)
    answer = browser.submit(
        form if form["fields"] else {"fields": [], "action": path},
        {"revoked_at_0": "", "revoked_at_1": "", "revoked_at": "",
         "csrfmiddlewaretoken": browser.cookies.get("__Host-csrftoken", "")},
    )  # fmt: skip
    after = app.api("GET", "/api/v1/needs/", d["revoked_key"]).status_code
    held &= after == 401
    notes.append(
        f"un-revoke: GET {form['status']}, POST {answer.status_code}, "
        f"key {before} -> {after}"
    )
    return held, "; ".join(notes)


def export(app: App) -> dict:
    """The whole dataset as the curator exports it (cbm-dataset/1)."""
    answer = app.api("GET", "/api/v1/dataset/export/", app.data["curator_key"])
    answer.raise_for_status()
    return answer.json()


def index_rebuild_seconds(app: App) -> float:
    """What a task worker does on its first matching task: build the index."""
    return app.django(
        "import time\n"
        "from matchmaking.suggestions import engine_state\n"
        "t = time.perf_counter(); engine_state()\n"
        "print(json.dumps(time.perf_counter() - t))",
        timeout=900,
    )


def reload_seconds(app: App) -> float:
    """SIGHUP to gunicorn: seconds until /health/ answers from the new workers."""
    os.kill(app.server.pid, signal.SIGHUP)
    time.sleep(0.5)
    try:
        return app.wait_up(300)
    except RuntimeError:
        return float("inf")


@finding(2, "one long text takes the site down")
def f02(app: App) -> tuple[bool, str]:
    d = app.data
    notes = []
    app.baseline_reload = reload_seconds(app)
    programme = next(
        p for p in export(app)["programmes"] if p["provider"] == d["nordic"]["ref"]
    )
    word = "x" * 4_500_000  # 4.5 MB, one unbroken word
    edit = app.api(
        "PATCH", f"/api/v1/programmes/{programme['ref']}/", d["provider_key"],
        body={"description": word},
    )  # fmt: skip
    stored = app.django(
        "from matchmaking.models import Programme\n"
        f"p = Programme.objects.get(ref={programme['ref']!r})\n"
        "print(json.dumps(len(p.description)))"
    )
    profile = app.api(
        "PATCH",
        f"/api/v1/providers/{d['nordic']['ref']}/",
        d["provider_key"],
        body={"description": word},
    )
    stored_profile = app.django(
        "from matchmaking.models import Provider\n"
        f"p = Provider.objects.get(ref={d['nordic']['ref']!r})\n"
        "print(json.dumps(len(p.description)))"
    )
    notes.append(
        f"4.5 MB provider description: {profile.status_code}, "
        f"stored {stored_profile:,} chars"
    )
    accepted = stored >= len(word) or stored_profile >= len(word)
    notes.append(
        f"4.5 MB programme description: {edit.status_code}, stored {stored:,} chars"
    )
    # The same by the dataset import (command line), 12 MB.
    record = dict(programme, description="y" * 12_000_000)
    started = time.monotonic()
    run = import_file(app, {"format": "cbm-dataset/1", "programmes": [record]})
    took = time.monotonic() - started
    stored_import = app.django(
        "from matchmaking.models import Programme\n"
        f"p = Programme.objects.get(ref={programme['ref']!r})\n"
        "print(json.dumps(len(p.description)))"
    )
    imported = stored_import >= 12_000_000
    notes.append(
        f"12 MB by import_dataset: exit {run.returncode} in {took:.1f} s, "
        f"stored {stored_import:,} chars"
    )
    # A worker reload: every worker rebuilds the index before it answers.
    rebuild = index_rebuild_seconds(app)
    silent = reload_seconds(app)
    notes.append(
        f"then: index rebuild {rebuild:.1f} s, /health/ answers {silent:.1f} s "
        f"after a reload (before the attack {app.baseline_reload:.1f} s)"
    )
    slow = silent > max(3 * app.baseline_reload, app.baseline_reload + 10)
    held = not accepted and not imported and rebuild < 10 and not slow
    return held, "; ".join(notes)


def pdf_corpus():
    """The tests' PDF builders: a clean deck and the adversarial corpus."""
    # Imported here: the bench runs from the repository root, the corpus lives
    # with the tests (tests/roundtable/pdfs.py), not in the product.
    sys.path.insert(0, str(ROOT))
    from tests.roundtable import pdfs

    return pdfs


@finding(3, "line break in a pitch title")
def f03(app: App) -> tuple[bool, str]:
    provider = app.browser()
    app.login(provider, "pitcher3")
    form = provider.form(f"/roundtable/events/{EVENT}/pitches/new/", "title")
    title = "Pitch title\nBcc: everyone@example.org"
    created = provider.submit(
        form,
        {
            "title": title,
            "abstract": "A pitch with a line break in its title.",
            "presenter_name": "Ingrid Solberg",
            "duration_seconds": "180",
            "programmes": form.get("choices", {}).get("programmes", [])[:1],
            "submit": "1",
        },
        files={"slide_deck": ("slides.pdf", pdf_corpus().pdf(2), "application/pdf")},
    )
    where = re.search(r"/pitches/(\d+)/", created.headers.get("Location", ""))
    if where is None:
        problem = errors(created.text)
        # A title with a line break refused outright is a hold too.
        return "title" in problem.lower() and created.status_code == 400, (
            f"pitch not created: {created.status_code} {problem}"
        )
    pk = int(where.group(1))
    # The call closes; the curator decides every pitch still open.
    pending = app.django(
        "from django.utils import timezone\n"
        "from datetime import timedelta\n"
        "from roundtable.models import CallForPitches, Pitch\n"
        f"CallForPitches.objects.filter(event__slug={EVENT!r}).update("
        "closes_at=timezone.now() - timedelta(minutes=1),"
        " decisions_released_at=None)\n"
        f"print(json.dumps(list(Pitch.objects.filter(event__slug={EVENT!r},"
        " state__in=['submitted', 'in_review']).values_list('pk', 'state'))))"
    )
    browser = curator(app)
    for other, state in pending:
        if state == "submitted":
            browser.post(
                f"/roundtable/pitches/{other}/action/", {"action": "start_review"}
            )
        browser.post(f"/roundtable/pitches/{other}/action/", {"action": "accept"})
    decided = app.django(
        "from matchmaking.models import User\n"
        "from roundtable.models import Pitch\n"
        f"pitches = Pitch.objects.filter(event__slug={EVENT!r},"
        " state__in=['accepted', 'rejected'])\n"
        "def contacts(p):\n"
        "    if p.presenter_id and p.presenter.email:\n"
        "        return [p.presenter.email]\n"
        "    return list(User.objects.filter(memberships__provider_id=p.provider_id,"
        " is_active=True).values_list('email', flat=True))\n"
        f"print(json.dumps([Pitch.objects.get(pk={pk}).state, pitches.count(),"
        " sorted({a for p in pitches for a in contacts(p) if a})]))"
    )
    state, count, expected = decided
    before = len(app.smtp.messages)
    first = browser.post(f"/roundtable/events/{EVENT}/manage/", {"action": "release"})
    for address in expected:
        settled_mail_count(app, address, quiet=3)
    with app.smtp.lock:
        sent = app.smtp.messages[before:]
    reached = {a for m in sent for a in m["rcpt"]}
    missed = sorted(set(expected) - reached)
    again = browser.post(f"/roundtable/events/{EVENT}/manage/", {"action": "release"})
    injected = any(
        "everyone@example.org" in m["rcpt"]
        or email.message_from_string(m["data"]).get_all("Bcc")
        for m in app.smtp.messages
    )
    held = first.status_code == 302 and again.status_code != 500
    held &= not injected and not missed
    return held, (
        f"pitch {pk} {state}; release {first.status_code}, {len(sent)} mails, "
        f"{len(expected) - len(missed)} of {len(expected)} presenters reached "
        f"({count} decided pitches), header injected: {injected}; release again "
        f"{again.status_code}"
    )


ACTIVE_KEYS = {
    "/JS", "/JavaScript", "/AA", "/OpenAction", "/Launch", "/EmbeddedFile",
    "/EmbeddedFiles", "/EF", "/RichMediaContent", "/RichMediaSettings",
    "/Rendition", "/Sound", "/Movie", "/AcroForm", "/XFA", "/Next", "/Win",
    "/Mac", "/Unix",
}  # fmt: skip
ACTIVE_VALUES = {
    "/JavaScript", "/Launch", "/Rendition", "/FileAttachment", "/GoToE", "/GoToR",
    "/ImportData", "/SubmitForm", "/ResetForm", "/Sound", "/Movie", "/RichMedia",
    "/RichMediaExecute", "/Screen", "/Widget", "/Hide", "/SetOCGState",
}  # fmt: skip


def active_content(data: bytes) -> list[str]:
    """What a viewer could run or open in a PDF, found by walking every object."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject
    from pypdf.generic import DictionaryObject
    from pypdf.generic import IndirectObject
    from pypdf.generic import NameObject

    found: list[str] = []
    reader = PdfReader(io.BytesIO(data))
    seen: set = set()
    stack: list = [reader.trailer]
    # Every object in the file, also those nothing refers to.
    for generation, table in reader.xref.items():
        stack.extend(IndirectObject(n, generation, reader) for n in table)
    stack.extend(IndirectObject(n, 0, reader) for n in reader.xref_objStm)
    while stack:
        value = stack.pop()
        if isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key in seen:
                continue
            seen.add(key)
            try:
                value = value.get_object()
            except Exception:  # noqa: S112 (a broken reference is no content)
                continue
        if isinstance(value, DictionaryObject):
            for key, item in value.items():
                if key in ACTIVE_KEYS:
                    found.append(key)
                named = isinstance(item, NameObject) and item in ACTIVE_VALUES
                if key in {"/S", "/Subtype"} and named:
                    found.append(f"{key} {item}")
                stack.append(item)
        elif isinstance(value, ArrayObject):
            stack.extend(value)
    return sorted(set(found))


@finding(4, "active content in slide decks")
def f04(app: App) -> tuple[bool, str]:
    decks = pdf_corpus().hostile_decks()
    provider = app.browser()
    app.login(provider, "provider")
    kept: dict[str, list[str]] = {}
    other: list[str] = []  # refused for something else than the deck
    refused = stored = 0
    for name, data in decks.items():
        form = provider.form(f"/roundtable/events/{EVENT}/pitches/new/", "title")
        answer = provider.submit(
            form,
            {
                "title": f"Deck {name}"[:200],
                "abstract": "Slides.",
                "presenter_name": "Ingrid Solberg",
                "duration_seconds": "180",
            },
            files={"slide_deck": ("slides.pdf", data, "application/pdf")},
        )
        where = re.search(r"/pitches/(\d+)/", answer.headers.get("Location", ""))
        if where is None:
            problem = errors(answer.text)
            if not re.search(r"slide|deck|PDF", problem, flags=re.I):
                other.append(f"{name}: {answer.status_code} {problem}")
            refused += 1
            continue
        pk = where.group(1)
        served = provider.get(f"/roundtable/pitches/{pk}/slides.pdf")
        if served.status_code != 200:
            refused += 1
            continue
        stored += 1
        try:
            active = active_content(served.content)
        except Exception as error:
            active = [f"unparseable: {error!r}"]
        if active:
            kept[name] = active
    evidence = (
        f"{len(decks)} hostile decks uploaded: {refused} refused, {stored} stored and "
        f"re-parsed, {len(kept)} with active content"
    )
    if kept:
        evidence += (
            " (" + "; ".join(f"{k}: {' '.join(v)}" for k, v in kept.items()) + ")"
        )
    if other:
        # Not refused for the deck: the attack did not reach the clean-up.
        return None, evidence + f"; refused for another reason: {other[0]}"
    return not kept, evidence


@finding(5, "Redis down: errors, health lies")
def f05(app: App) -> tuple[bool, str]:
    paths = [
        "/api/v1/programmes/", "/api/v1/needs/", "/api/v1/providers/",
        "/api/v1/stats/coverage/", "/gaps/", "/programmes/", "/needs/",
    ]  # fmt: skip
    rows: list[tuple[str, int, float]] = []
    lock = threading.Lock()
    stop_at = time.time() + 20

    def client(number: int) -> None:
        browser = Browser(app.base, f"192.0.2.{number + 10}")
        i = number
        while time.time() < stop_at:
            path = paths[i % len(paths)]
            i += 1
            at = time.time()
            try:
                code = browser.get(path, timeout=30).status_code
            except requests.RequestException:
                code = 0
            with lock:
                rows.append((path, code, at))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(4)
    down_at = time.time()
    app.redis.stop()
    time.sleep(3)
    health = [app.health() for _ in range(3)]
    time.sleep(max(0.0, stop_at - 2 - time.time()))
    for thread in threads:
        thread.join()
    app.redis.start()  # a fresh, empty server on the same port
    during = [r for r in rows if r[2] >= down_at]
    errors = [r for r in during if r[1] >= 500 or r[1] == 0]
    throttled = sum(1 for r in during if r[1] == 429)
    said = sorted({f"{code} {body.get('status')}" for code, body in health})
    cache = health[-1][1].get("cache", {})
    honest = all(body.get("status") != "ok" for _code, body in health)
    held = not errors and honest
    return held, (
        f"Redis stopped under 6 clients: {len(during)} requests, {len(errors)} errors"
        f" ({', '.join(sorted({f'{p} {c}' for p, c, _ in errors})) or 'none'}), "
        f"{throttled} throttled; /health/ said {', '.join(said)} (cache: "
        f"{cache.get('status', '?')})"
    )


@finding(6, "import declassifies or re-homes a need")
def f06(app: App) -> tuple[bool, str]:
    d = app.data
    secret = d["secret"]
    record = next(n for n in export(app)["needs"] if n["ref"] == secret["ref"])
    notes = []
    # a) the record leaves visibility out.
    without = {k: v for k, v in record.items() if k != "visibility"}
    first = app.api(
        "POST", "/api/v1/dataset/import/", d["curator_key"],
        body={"format": "cbm-dataset/1", "needs": [without]},
    )  # fmt: skip
    public = app.api("GET", f"/api/v1/needs/{secret['ref']}/").status_code
    page = app.browser().get(f"/needs/{secret['ref']}/").status_code
    notes.append(
        f"without visibility: import {first.status_code}, anonymous API {public}, "
        f"page {page}"
    )
    # b) the record names another state.
    moved = dict(record, country=d["barbados"])
    second = app.api(
        "POST", "/api/v1/dataset/import/", d["curator_key"],
        body={"format": "cbm-dataset/1", "needs": [moved]},
    )  # fmt: skip
    other, owner = app.browser(), app.browser()
    app.login(other, "focal2")
    app.login(owner, "focal")
    other_reads = other.get(f"/needs/{secret['ref']}/").status_code
    owner_reads = owner.get(f"/needs/{secret['ref']}/").status_code
    state = app.django(
        "from matchmaking.models import Need\n"
        f"n = Need.objects.get(ref={secret['ref']!r})\n"
        "print(json.dumps([n.visibility, n.member_state.country_id]))"
    )
    notes.append(
        f"other state: import {second.status_code}, Barbados reads {other_reads}, "
        f"owner reads {owner_reads}; stored {state[0]}, {state[1]}"
    )
    # c) the same two records through the command line (import_dataset).
    cli = []
    for record_now in (without, moved):
        run = import_file(app, {"format": "cbm-dataset/1", "needs": [record_now]})
        cli.append(run.returncode)
    final = app.django(
        "from matchmaking.models import Need\n"
        f"n = Need.objects.get(ref={secret['ref']!r})\n"
        "print(json.dumps([n.visibility, n.member_state.country_id]))"
    )
    notes.append(
        f"import_dataset: exit {cli[0]} and {cli[1]}; stored {final[0]}, {final[1]}"
    )
    held = public == 404 and page == 404 and other_reads == 404
    held &= owner_reads == 200 and state == ["confidential", d["gambia"]]
    held &= final == ["confidential", d["gambia"]]
    return held, "; ".join(notes)


def import_file(app: App, document: dict | bytes) -> subprocess.CompletedProcess:
    """``manage.py import_dataset`` on a file holding ``document``."""
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as out:
        out.write(data)
    try:
        return app.manage("import_dataset", out.name, check=False, timeout=900)
    finally:
        os.unlink(out.name)


def session_api(app: App, username: str) -> Browser:
    """A signed-in browser whose API calls ride on the session (with CSRF)."""
    browser = app.browser()
    app.login(browser, username)
    browser.get("/accounts/profile/")
    return browser


@finding(7, "verified provider renames itself")
def f07(app: App) -> tuple[bool, str]:
    d = app.data
    nordic, kestrel = d["nordic"], d["kestrel"]
    rename = app.api(
        "PATCH", f"/api/v1/providers/{nordic['ref']}/", d["provider_key"],
        body={"name": "United Nations Office for Disarmament Affairs"},
    )  # fmt: skip
    after = app.api("GET", f"/api/v1/providers/{nordic['ref']}/").json()
    badge = after.get("name") == "United Nations Office for Disarmament Affairs" and (
        after.get("is_verified") is True
    )
    notes = [
        f"rename: {rename.status_code}, now {after.get('name')!r} verified "
        f"{after.get('is_verified')}"
    ]
    squats = []
    lookalike = kestrel["name"].replace("e", "\u0435").replace("o", "\u043e")
    for number, name in enumerate(
        (kestrel["name"], lookalike, kestrel["name"].upper())
    ):
        browser = session_api(app, f"squatter{number}")
        answer = app.api(
            "POST", "/api/v1/providers/", browser=browser,
            body={"name": name, "stakeholder_group": "private-sector",
                  "website": "https://example.org/"},
        )  # fmt: skip
        squats.append(answer.status_code)
        if answer.status_code == 400 and "stakeholder_group" in answer.text:
            notes.append(f"(group refused: {answer.text[:120]})")
    taken = sum(1 for code in squats if code == 201)
    notes.append(
        f"register {kestrel['name']!r} exact / look-alike / upper case: "
        f"{' / '.join(map(str, squats))}"
    )
    return not badge and taken == 0, "; ".join(notes)


@finding(8, "curator without two-factor")
def f08(app: App) -> tuple[bool, str]:
    d = app.data
    browser = app.browser()
    login = app.login(browser, "curator2")
    admin = browser.get("/admin/").status_code
    secret = browser.get(f"/needs/{d['secret']['ref']}/").status_code
    api = app.api("GET", f"/api/v1/needs/{d['secret']['ref']}/", browser=browser)
    held = admin != 200 and secret != 200 and api.status_code != 200
    return held, (
        f"password only: sign-in {login.status_code} -> "
        f"{login.headers.get('Location', '')}; /admin/ {admin}, confidential need "
        f"page {secret}, API {api.status_code}"
    )


def guess(app: App, username: str, password: str, ip: str) -> int:
    """One sign-in attempt from an address: 302 in, 200 wrong, 429 locked."""
    browser = Browser(app.base, ip)
    form = browser.form("/accounts/login/", "username")
    if form.get("status") == 429:
        return 429
    answer = browser.submit(form, {"username": username, "password": password})
    return answer.status_code


@finding(9, "lockout per address only")
def f09(app: App) -> tuple[bool, str]:
    started = time.monotonic()
    codes = [
        guess(app, "victim9", "wrong-guess-0000", f"100.64.0.{address}")
        for address in range(10)
        for _attempt in range(5)
    ]
    elapsed = time.monotonic() - started
    # Per account: a few free failures, then waits that double (1 s, 2 s, 4 s
    # ...): over a burst the evaluated guesses may grow with log2 of its length
    # at most, never with the number of addresses.
    free = int(app.env.get("DJANGO_LOGIN_ACCOUNT_FREE_FAILURES") or 10)
    bound = free + math.ceil(math.log2(elapsed + 1))
    evaluated = codes.count(200)
    right = guess(app, "victim9", EXTRA_PASSWORD, "100.64.1.1")
    # The documented chain: client -> load balancer -> nginx -> gunicorn.
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    readme = (ROOT / "deploy" / "README.md").read_text()
    header = re.search(r"proxy_set_header\s+X-Forwarded-For\s+(\S+);", conf)
    real_ip = "real_ip_header" in conf and "set_real_ip_from" in conf
    value = header.group(1) if header else "(none)"

    # What gunicorn receives from two clients behind one balancer (10.0.0.2).
    def received(client: str) -> str:
        balancer_sent = client  # the balancer appends the client's address
        remote = client if real_ip else "10.0.0.2"
        if value == "$proxy_add_x_forwarded_for":
            return f"{balancer_sent}, {remote}"
        return remote if value == "$remote_addr" else ""

    n = re.search(r"DJANGO_NUM_PROXIES=(\d)`?\s*\(balancer", readme) or re.search(
        r"balancer and nginx, N=(\d)", readme
    )
    proxies = int(n.group(1)) if n else 1

    def seen(client: str) -> str:
        parts = [p.strip() for p in received(client).split(",") if p.strip()]
        return parts[-min(proxies, len(parts))] if parts else "127.0.0.1"

    distinct = seen("203.0.113.1") != seen("203.0.113.2")
    held = evaluated <= bound and right != 302 and distinct
    return held, (
        f"50 guesses from 10 addresses in {elapsed:.0f} s: {evaluated} evaluated "
        f"(bound {bound}), "
        f"{codes.count(429)} locked; right password from a fresh address: {right}; "
        f"nginx X-Forwarded-For {value}{' + real_ip' if real_ip else ''}, "
        f"NUM_PROXIES={proxies} behind a balancer: two clients seen as "
        f"{seen('203.0.113.1')} and {seen('203.0.113.2')}"
    )


@finding(10, "meeting request shows a confidential need")
def f10(app: App) -> tuple[bool, str]:
    d = app.data
    secret, pitch = d["secret"], d["kestrel_pitch"]
    if pitch is None:
        return False, "no Kestrel pitch in the demo"
    focal = app.browser()
    app.login(focal, "focal")
    page = focal.post(
        f"/roundtable/pitches/{pitch['pk']}/meeting/",
        {"member_state": "", "need": str(secret["pk"]), "message": "About our need"},
    )
    # the hidden member state: fill it from the pitch page's form
    form = focal.form(f"/roundtable/pitches/{pitch['pk']}/", "need")
    if form.get("fields"):
        page = focal.submit(form, {"need": str(secret["pk"]), "message": "About it"})
    api = app.api(
        "POST", "/api/v1/meetings/", d["focal_key"],
        body={"pitch": pitch["pk"], "member_state": d["gambia"], "need": secret["ref"],
              "message": "About our need"},
    )  # fmt: skip
    # The need named while Kestrel may see it, then made confidential.
    later = d["gambia_public"]
    asked = app.api(
        "POST",
        "/api/v1/meetings/",
        d["focal_key"],
        body={
            "pitch": pitch["pk"],
            "member_state": d["gambia"],
            "need": later["ref"],
            "message": "About our other need",
        },
    )
    hidden = app.api(
        "PATCH",
        f"/api/v1/needs/{later['ref']}/",
        d["focal_key"],
        body={"visibility": "confidential"},
    )
    provider = app.browser()
    app.login(provider, "provider2")
    listing = provider.get("/roundtable/meetings/").text
    api_list = app.api("GET", "/api/v1/meetings/", browser=provider).text
    schedule = app.api("GET", "/api/v1/meetings/schedule/", browser=provider).text
    mails = " ".join(m["data"] for m in app.smtp.to("provider2@example.org"))
    shown = []
    for label, need in (("confidential", secret), ("made confidential", later)):
        for where, text in (
            ("meetings page", listing),
            ("API", api_list),
            ("schedule", schedule),
            ("mail", mails if label == "confidential" else ""),
        ):
            if need["title"] in text or f'"{need["ref"]}"' in text:
                shown.append(f"{label} need in {where}")
    return not shown, (
        f"request naming {secret['ref']} (shared with {', '.join(secret['shared'])}):"
        f" page {page.status_code}, API {api.status_code}; naming "
        f"{later['ref']} then hiding it: {asked.status_code}, {hidden.status_code};"
        f" Kestrel sees: {', '.join(shown) or 'nothing'}"
    )


@finding(11, "unverified provider reads registered needs")
def f11(app: App) -> tuple[bool, str]:
    d = app.data
    browser = session_api(app, "loner")
    before = [app.api("GET", f"/api/v1/needs/{r}/", browser=browser).status_code
              for r in d["registered"]]  # fmt: skip
    made = app.api(
        "POST", "/api/v1/providers/", browser=browser,
        body={"name": "Loner Consulting Collective",
              "stakeholder_group": "private-sector",
              "website": "https://loner.example.org/"},
    )  # fmt: skip
    after = [app.api("GET", f"/api/v1/needs/{r}/", browser=browser).status_code
             for r in d["registered"]]  # fmt: skip
    listing = browser.get("/needs/").text
    titles = sum(1 for t in d["registered_titles"] if t in listing)
    read = after.count(200)
    return read == 0 and titles == 0, (
        f"no organisation: {before.count(200)} of {len(before)} registered needs; "
        f"registers a provider: {made.status_code}; then reads {read} by API, "
        f"{titles} on /needs/"
    )


@finding(12, "invitation accepted by another account")
def f12(app: App) -> tuple[bool, str]:
    d = app.data
    browser = app.browser()
    app.login(browser, "stranger")
    path = f"/invitations/{d['invitation']}/"
    page = browser.get(path)
    answer = browser.post(path, {})
    joined = app.django(
        "from matchmaking.models import Membership\n"
        "print(json.dumps(Membership.objects.filter(user__username='stranger')"
        ".count()))"
    )
    return joined == 0, (
        f"stranger opens invitee@'s link: GET {page.status_code}, POST "
        f"{answer.status_code}; memberships gained {joined}"
    )


@finding(13, "token survives a password change")
def f13(app: App) -> tuple[bool, str]:
    d = app.data
    before = app.api("GET", "/api/v1/needs/", d["changer_key"]).status_code
    browser = app.browser()
    app.login(browser, "changer13")
    form = browser.form("/accounts/password/change/", "old_password")
    new = "a-brand-new-Passphrase-2027"
    changed = browser.submit(
        form,
        {"old_password": EXTRA_PASSWORD, "new_password1": new, "new_password2": new},
    )
    after = app.api("GET", "/api/v1/needs/", d["changer_key"]).status_code
    return after == 401, (
        f"token {before}; password change {changed.status_code} -> "
        f"{changed.headers.get('Location', '')}; token then {after}"
    )


@finding(14, "?provider=<ref> answers 500")
def f14(app: App) -> tuple[bool, str]:
    d = app.data
    codes = {
        ref: app.api("GET", f"/api/v1/programmes/?provider={ref}").status_code
        for ref in (d["nordic"]["ref"], d["kestrel"]["ref"])
    }
    signed = app.api(
        "GET", f"/api/v1/programmes/?provider={d['nordic']['ref']}", d["curator_key"]
    ).status_code
    codes["(curator token)"] = signed
    return all(c == 200 for c in codes.values()), ", ".join(
        f"{k} {v}" for k, v in codes.items()
    )


@finding(15, "hostile JSON crashes the import")
def f15(app: App) -> tuple[bool, str]:
    d = app.data
    count = (
        "from matchmaking.models import Need, Programme, Provider\n"
        "print(json.dumps([Need.objects.count(), Programme.objects.count(),"
        " Provider.objects.count()]))"
    )
    before = app.django(count)
    record = next(n for n in export(app)["needs"] if n["ref"] == d["barbados_need"])
    new = dict(record, ref="review-new-need")
    bodies = {
        "nested 100,000 deep": b'{"format": "cbm-dataset/1", "about": '
        + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "NUL byte": json.dumps(
            {"format": "cbm-dataset/1", "needs": [dict(new, title="Bad\u0000title")]}
        ).encode(),
        "lone surrogate": (
            '{"format": "cbm-dataset/1", "needs": [' + json.dumps(new)[:-1]
            + ', "summary": "\\ud800 alone"}]}'
        ).encode(),
    }  # fmt: skip
    codes = {}
    for name, body in bodies.items():
        answer = app.api("POST", "/api/v1/dataset/import/", d["curator_key"], raw=body)
        codes[name] = answer.status_code
    # The same files through the command line: a clear error, no traceback.
    tracebacks = exits = 0
    for body in bodies.values():
        run = import_file(app, body)
        exits += run.returncode != 0
        tracebacks += "Traceback" in run.stderr
    after = app.django(count)
    held = all(c == 400 for c in codes.values()) and before == after
    held &= exits == len(bodies) and tracebacks == 0
    return held, (
        "API "
        + ", ".join(f"{k}: {v}" for k, v in codes.items())
        + f"; import_dataset: {exits} of {len(bodies)} refused, {tracebacks} "
        f"tracebacks; records before {before}, after {after}"
    )


@finding(16, "newline in a username forges a log line")
def f16(app: App) -> tuple[bool, str]:
    forged = "FORGED security login_succeeded username=curator ip=203.0.113.9"
    username = f"nobody\n2026-12-06 12:00:00,000 INFO {forged}"
    browser = app.browser()
    form = browser.form("/accounts/login/", "username")
    answer = browser.submit(form, {"username": username, "password": "wrong-1234567"})
    time.sleep(1)
    lines = app.log_text().splitlines()
    starting = [line for line in lines if line.lstrip().startswith("2026-12-06 12:00")]
    mentioned = [line for line in lines if "FORGED security" in line]
    return not starting, (
        f"sign-in {answer.status_code}; log lines starting with the forged text: "
        f"{len(starting)}; lines carrying it inside another: {len(mentioned)}"
        + (f" ({mentioned[0].strip()[:110]!r})" if mentioned else "")
    )


def settled_mail_count(app: App, address: str, quiet: float = 5) -> int:
    """Mails to ``address`` once none has arrived for ``quiet`` s (the task worker
    may send them), at most 30 s."""
    stop = time.monotonic() + 30
    count, since = len(app.smtp.to(address)), time.monotonic()
    while time.monotonic() < stop and time.monotonic() - since < quiet:
        time.sleep(0.5)
        now = len(app.smtp.to(address))
        if now != count:
            count, since = now, time.monotonic()
    return count


@finding(17, "password-reset mail not throttled")
def f17(app: App) -> tuple[bool, str]:
    target = app.data["emails"]["focal"]
    browser = app.browser()
    form = browser.form("/accounts/password/reset/", "email")
    codes = [browser.submit(form, {"email": target}).status_code for _ in range(8)]
    mails = settled_mail_count(app, target)
    # Timing: known addresses (each once) against unknown ones, interleaved.
    known = app.django(
        "from matchmaking.models import User\n"
        "print(json.dumps(list(User.objects.exclude(email='').exclude("
        f"email={target!r}).values_list('email', flat=True)[:12])))"
    )
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    for number, address in enumerate(known):
        for kind, asked in (
            ("known", address),
            ("unknown", f"nobody{number}@example.net"),
        ):
            client = app.browser()
            form = client.form("/accounts/password/reset/", "email")
            start = time.perf_counter()
            client.submit(form, {"email": asked})
            times[kind].append(time.perf_counter() - start)
    k, u = statistics.median(times["known"]), statistics.median(times["unknown"])
    gap = abs(k - u)
    held = mails <= 3 and gap < max(0.03, 0.3 * u)
    return held, (
        f"8 resets for one address: {' '.join(map(str, sorted(set(codes))))}, "
        f"{mails} mails to it; median time known {k * 1000:.0f} ms, unknown "
        f"{u * 1000:.0f} ms ({len(times['known'])} addresses each)"
    )


@finding(18, "unlimited current-password guesses")
def f18(app: App) -> tuple[bool, str]:
    browser = app.browser()
    app.login(browser, "guesser18")
    codes = []
    new = "another-new-Passphrase-2027"
    for number in range(20):
        form = browser.form("/accounts/password/change/", "old_password")
        if form.get("status") != 200 or not form.get("fields"):
            codes.append(form.get("status") or 0)
            break
        answer = browser.submit(
            form,
            {"old_password": f"wrong-guess-{number:04d}", "new_password1": new,
             "new_password2": new},
        )  # fmt: skip
        codes.append(answer.status_code)
        if answer.status_code != 200:
            break
    evaluated = sum(1 for c in codes if c == 200)
    # The right password at the end: still accepted?
    form = browser.form("/accounts/password/change/", "old_password")
    right = (
        browser.submit(
            form,
            {
                "old_password": EXTRA_PASSWORD,
                "new_password1": new,
                "new_password2": new,
            },
        ).status_code
        if form.get("fields")
        else form.get("status")
    )
    return evaluated <= 10 and right != 302, (
        f"{len(codes)} wrong current passwords: {evaluated} evaluated, then "
        f"{codes[-1]}; the right one after them: {right}"
    )


# --- the run --------------------------------------------------------------------------


def tracebacks(log: str) -> list[str]:
    """For each traceback in a log: the line before it and the exception raised."""
    lines = log.splitlines()
    found = []
    for number, line in enumerate(lines):
        if not line.startswith("Traceback"):
            continue
        end = number + 1
        while end < len(lines) and (
            lines[end].startswith((" ", "\t")) or not lines[end].strip()
        ):
            end += 1
        before = lines[number - 1].strip()[:140] if number else ""
        raised = lines[end].strip()[:160] if end < len(lines) else "?"
        found.append(f"{before} -> {raised}")
    return found


def git(*args: str) -> str:
    out = subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated finding numbers")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the DB and files")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="developing the attacks: keep a template of the prepared database "
        f"({TEMPLATE}) and start from a copy of it next time",
    )
    args = parser.parse_args()
    # Finding 4 uploads decks while the call is open; finding 3 closes it.
    chosen = sorted(
        [int(n) for n in args.only.split(",")] if args.only else FINDINGS,
        key=lambda n: (n != 4, n),
    )
    load_before = os.getloadavg()
    started = time.time()
    app = App(args)
    results: list[tuple[int, str, bool | None, str]] = []
    try:
        app.prepare()
        app.start()
        print(
            f"--- app up: gunicorn {args.workers} workers x 4 threads, PostgreSQL "
            f"{DB_NAME}, Redis :{app.redis.port}, SMTP sink :{app.smtp.port}; "
            f"{app.data['providers']} providers, {app.data['programmes']} programmes, "
            f"{app.data['needs']} needs",
            flush=True,
        )
        for number in chosen:
            name, function = FINDINGS[number]
            at = time.monotonic()
            try:
                held, evidence = function(app)
            except Exception as error:
                held, evidence = None, f"attack crashed: {error!r}"
                traceback.print_exc()
            evidence += f" [{time.monotonic() - at:.0f} s]"
            verdict = {True: "HELD", False: "FOUND", None: "ERROR"}[held]
            results.append((number, name, held, evidence))
            print(f"{number:2}  {name:34} {verdict:5}  {evidence}", flush=True)
        # Anything the attacks did not look at: server errors in the whole run.
        log = app.log_text()
        server_errors = re.findall(r'^.*"[A-Z]+ (\S+) HTTP/[\d.]+" (5\d\d) ', log, re.M)
        print(
            f"--- gunicorn log: {len(server_errors)} answers 5xx"
            + (f" ({', '.join(sorted({f'{c} {u}' for u, c in server_errors}))})"
               if server_errors else "")
            + f", {log.count('Traceback')} tracebacks",
            flush=True,
        )  # fmt: skip
        for raised in tracebacks(log):
            print(f"    {raised}", flush=True)
    finally:
        app.stop()
    load_after = os.getloadavg()
    print()
    print(
        "adversarial review re-run "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f", commit {git('rev-parse', '--short', 'HEAD')}"
        f" ({git('log', '-1', '--format=%s')[:60]}...)"
    )
    print(
        f"data: demo ({app.data.get('providers')} providers, "
        f"{app.data.get('programmes')} programmes, {app.data.get('needs')} needs); "
        f"{os.cpu_count()} cores, load average (1 min) {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after; {time.time() - started:.0f} s"
    )
    print("| # | finding | result | evidence |")
    print("|---|---|---|---|")
    for number, name, held, evidence in sorted(results):
        verdict = {True: "HELD", False: "FOUND", None: "ERROR"}[held]
        print(f"| {number} | {name} | {verdict} | {evidence.replace('|', '/')} |")
    found = [n for n, _name, held, _e in results if held is not True]
    print(
        f"summary: {sum(1 for r in results if r[2] is True)} of {len(results)} held"
        + (f"; not held: {', '.join(map(str, found))}" if found else "")
    )
    return 0 if not found and len(results) == len(FINDINGS) else 1


if __name__ == "__main__":
    sys.exit(main())
