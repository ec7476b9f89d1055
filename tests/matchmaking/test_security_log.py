"""T26: security events on the ``security`` logger, one per denied attempt, no secrets.

Denied object access (an object that exists but is hidden: 404 like a missing
one), failed logins and lockouts each leave one record with the event, the user
id (or anonymous), the object type and id, a UTC timestamp and the client IP.
"""

from __future__ import annotations

import logging
import shlex
from datetime import datetime

import pytest
from django.urls import reverse

from matchmaking.accounts.tokens import create_token
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.logtext import SafeFormatter
from matchmaking.logtext import log_value
from matchmaking.models import TokenScope
from roundtable.enums import PitchState
from tests.factories import MatchFactory
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import PitchFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def security(caplog):
    """The security records of the test, nothing else."""
    caplog.set_level(logging.INFO, logger="security")

    def records():
        return [r for r in caplog.records if r.name == "security"]

    return records


@pytest.fixture
def world():
    """Two states, a provider; objects of state A that a focal point of B may not see.

    There is always something that could leak: a confidential need, a draft
    programme, a match and a draft pitch, all of another organisation.
    """
    from matchmaking.models import Country

    state_a = MemberStateFactory()
    state_b = MemberStateFactory(country=Country.objects.get(iso3="KEN"))
    provider = ProviderFactory()
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, member_state=state_b)
    secret = NeedFactory(member_state=state_a, visibility=Visibility.CONFIDENTIAL)
    public = NeedFactory(member_state=state_a, visibility=Visibility.PUBLIC)
    draft = ProgrammeFactory(provider=provider, status=ProgrammeStatus.DRAFT)
    match = MatchFactory(need=secret, programme=ProgrammeFactory(provider=provider))
    pitch = PitchFactory(provider=provider, state=PitchState.DRAFT)
    return {
        "outsider": outsider,
        "secret": secret,
        "public": public,
        "draft": draft,
        "match": match,
        "pitch": pitch,
    }


def _assert_denied(record, *, user, object_type: str, object_id: int, action="view"):
    data = record.security
    assert data == {
        "event": "object_access_denied",
        "user_id": user.pk if user else "anonymous",
        "object_type": object_type,
        "object_id": object_id,
        "at": data["at"],
        "ip": "127.0.0.1",
        "action": action,
    }
    at = datetime.fromisoformat(data["at"])
    assert at.utcoffset().total_seconds() == 0
    assert record.levelname == "WARNING"
    assert f"object_type={object_type}" in record.getMessage()
    assert f"object_id={object_id}" in record.getMessage()


@pytest.mark.parametrize(
    ("name", "key", "object_type"),
    [
        ("need-detail", "secret", "need"),
        ("programme-detail", "draft", "programme"),
        ("match-detail", "match", "match"),
        ("pitch-detail", "pitch", "pitch"),
    ],
)
def test_web_hidden_object_logs_one_denial(
    client, world, security, name, key, object_type
):
    obj = world[key]
    client.force_login(world["outsider"])
    arg = obj.pk if name in {"match-detail", "pitch-detail"} else obj.ref
    response = client.get(reverse(name, args=[arg]))
    assert response.status_code == 404
    [record] = security()
    _assert_denied(
        record, user=world["outsider"], object_type=object_type, object_id=obj.pk
    )


def test_missing_object_logs_nothing(client, world, security):
    """A 404 on something that does not exist is no security event."""
    client.force_login(world["outsider"])
    assert client.get(reverse("need-detail", args=["no-such-need"])).status_code == 404
    assert client.get(reverse("match-detail", args=[999_999])).status_code == 404
    assert client.get("/api/v1/needs/no-such-need/").status_code == 404
    assert security() == []


def test_visible_object_logs_nothing(client, world, security):
    client.force_login(world["outsider"])
    assert (
        client.get(reverse("need-detail", args=[world["public"].ref])).status_code
        == 200
    )
    assert security() == []


def test_anonymous_denial_names_no_user(client, world, security):
    response = client.get(reverse("need-detail", args=[world["secret"].ref]))
    assert response.status_code == 404
    [record] = security()
    _assert_denied(record, user=None, object_type="need", object_id=world["secret"].pk)


def test_editing_a_visible_need_of_another_state_is_logged(client, world, security):
    client.force_login(world["outsider"])
    response = client.get(reverse("need-edit", args=[world["public"].ref]))
    assert response.status_code == 404
    [record] = security()
    _assert_denied(
        record,
        user=world["outsider"],
        object_type="need",
        object_id=world["public"].pk,
        action="edit",
    )


def test_slide_deck_refused_is_logged(client, world, security):
    pitch = world["pitch"]
    pitch.slide_deck.name = "decks/0123456789abcdef.pdf"
    pitch.save(update_fields=["slide_deck"])
    client.force_login(world["outsider"])
    response = client.get(reverse("pitch-deck", args=[pitch.pk]))
    assert response.status_code == 404
    [record] = security()
    _assert_denied(
        record,
        user=world["outsider"],
        object_type="pitch",
        object_id=pitch.pk,
        action="slide_deck",
    )


@pytest.mark.parametrize(
    ("path", "key", "object_type"),
    [
        ("/api/v1/needs/{ref}/", "secret", "need"),
        ("/api/v1/needs/{ref}/matches/", "secret", "need"),
        ("/api/v1/programmes/{ref}/", "draft", "programme"),
        ("/api/v1/matches/{pk}/", "match", "match"),
        ("/api/v1/pitches/{pk}/", "pitch", "pitch"),
    ],
)
def test_api_hidden_object_logs_one_denial_without_the_token(
    client, world, security, path, key, object_type
):
    obj = world[key]
    _token, key_text = create_token(
        user=world["outsider"], name="ci", scope=TokenScope.READ
    )
    url = path.format(ref=getattr(obj, "ref", ""), pk=obj.pk)
    response = client.get(url, headers={"authorization": f"Token {key_text}"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    [record] = security()
    _assert_denied(
        record, user=world["outsider"], object_type=object_type, object_id=obj.pk
    )
    assert key_text not in record.getMessage()
    assert key_text not in str(record.security)


def test_failed_login_logs_the_username_and_ip_but_no_password(client, security):
    UserFactory(username="ada")
    password = "Wrong-password-123"
    response = client.post(reverse("login"), {"username": "ada", "password": password})
    assert response.status_code == 200  # the form again, with its error
    records = [r for r in security() if r.security["event"] == "login_failed"]
    assert len(records) == 1
    data = records[0].security
    assert data == {
        "event": "login_failed",
        "user_id": "anonymous",
        "object_type": "user",
        "object_id": None,
        "at": data["at"],
        "ip": "127.0.0.1",
        "username": "ada",
    }
    text = records[0].getMessage()
    assert password not in text
    assert TEST_PASSWORD not in text
    assert "password" not in text
    assert "sessionid" not in text
    assert client.cookies.get("sessionid") is None or (
        client.cookies["sessionid"].value not in text
    )


def test_lockout_is_logged(client, security, settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="grace")
    for _attempt in range(2):
        client.post(reverse("login"), {"username": "grace", "password": "nope-nope"})
    events = [r.security["event"] for r in security()]
    assert events.count("login_failed") == 2
    assert events.count("locked_out") == 1
    [lockout] = [r for r in security() if r.security["event"] == "locked_out"]
    assert (lockout.security["username"], lockout.security["ip"]) == (
        "grace",
        "127.0.0.1",
    )
    assert "nope-nope" not in lockout.getMessage()


def test_hidden_draft_need_is_logged_for_the_api_list_only_on_detail(
    client, world, security
):
    """Lists filter silently: only a detail request names a hidden object."""
    NeedFactory(member_state=world["secret"].member_state, status=NeedStatus.DRAFT)
    client.force_login(world["outsider"])
    assert client.get("/api/v1/needs/").status_code == 200
    assert client.get(reverse("need-list")).status_code == 200
    assert security() == []


def test_api_write_to_a_hidden_match_is_logged_and_changes_nothing(
    client, world, security
):
    match = world["match"]
    client.force_login(world["outsider"])
    response = client.post(
        f"/api/v1/matches/{match.pk}/express-interest/",
        {},
        content_type="application/json",
    )
    assert response.status_code == 404
    [record] = security()
    _assert_denied(
        record, user=world["outsider"], object_type="match", object_id=match.pk
    )
    match.refresh_from_db()
    assert match.status == "suggested"
    assert match.history.count() == 1  # only its creation


FORGERIES = [
    "ada\nevent=login_succeeded user_id=1",
    "ada\r\nevent=login_succeeded",
    "ada\revent=login_succeeded",
    "ada\x1b[2K\x1b[1Gevent=login_succeeded",
    "ada\x08\x7f\x85\x1fevent=login_succeeded",
    "ada\u2028event=login_succeeded\u2029",
    "ada\u202eevent=login_succeeded",
    'ada" event=login_succeeded user_id="1',
]


@pytest.mark.parametrize("username", FORGERIES)
def test_a_username_cannot_forge_a_security_log_line(client, security, username):
    client.post(reverse("login"), {"username": username, "password": "nope-nope"})
    [record] = [r for r in security() if r.security["event"] == "login_failed"]
    text = record.getMessage()
    # One line, every character printable, and exactly the fields logged.
    assert text.isprintable()
    fields = [token.split("=", 1) for token in shlex.split(text)]
    assert [key for key, _value in fields] == [
        "event",
        "user_id",
        "object_type",
        "at",
        "ip",
        "username",
    ]
    assert fields[0] == ["event", "login_failed"]
    assert record.security["username"].isprintable()
    assert "login_succeeded" in record.security["username"]  # kept, escaped


def test_the_console_formatter_escapes_every_logger(settings):
    """django-axes and Django log user text too: the handler keeps it on one line."""
    record = logging.LogRecord(
        "axes", logging.WARNING, __file__, 1, "Locked out %s", ("a\nb\r\x1bc",), None
    )
    line = SafeFormatter("%(name)s %(message)s").format(record)
    assert line == "axes Locked out a\\x0ab\\x0d\\x1bc"
    configured = settings.LOGGING["formatters"]["plain"]
    assert configured["()"] == "matchmaking.logtext.SafeFormatter"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ada", "ada"),
        ("a b", '"a b"'),
        ("a=b", '"a=b"'),
        ('a"b', '"a\\"b"'),
        ("a\\nb", "a\\\\nb"),
        ("a\nb", "a\\x0ab"),
        ("a\tb", "a\\x09b"),
        ("\u2028", "\\u2028"),
        ("", '""'),
    ],
)
def test_log_values_are_escaped_and_quoted(value, expected):
    assert log_value(value) == expected
