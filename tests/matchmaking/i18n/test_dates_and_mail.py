"""Dates per language, agenda times in the event's zone, .ics unchanged, mail."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polib
import pytest
from django.core import mail
from django.utils import timezone
from django.utils import translation
from django.utils.formats import date_format

from matchmaking import invitations
from matchmaking.enums import MembershipRole
from matchmaking.models import MemberState
from matchmaking.notifications.mail import queue_mail
from tests.factories import UserFactory
from tests.matchmaking.i18n.catalogues import write_catalogue

FRENCH_MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip


@pytest.mark.django_db
def test_dates_use_each_language_format(client, world, all_languages):
    world.need_a.needed_by = dt.date(2027, 6, 9)
    world.need_a.save(update_fields=["needed_by"])
    body = client.get("/needs/need-a/").content.decode()
    assert "9 Jun 2027" in body  # English keeps its day-month-year style
    body = client.get("/fr/needs/need-a/").content.decode()
    assert "09/06/2027" in body
    body = client.get("/zh-hans/needs/need-a/").content.decode()
    assert "2027年6月9日" in body
    body = client.get("/ru/needs/need-a/").content.decode()
    assert "09.06.2027" in body


def test_times_put_the_day_before_the_month_in_every_language():
    # Django's Arabic locale defines no date-and-time formats: without ours a
    # message's time read "12/07/2026 1:22 م" (the US order) for 7 December.
    moment = dt.datetime(2026, 12, 7, 13, 22, tzinfo=dt.UTC)
    expected = {
        "en": ("7 December 2026 13:22", "7 Dec 2026 13:22"),
        "fr": ("7 décembre 2026 13:22", "07/12/2026 13:22"),
        "es": ("7 de diciembre de 2026 a las 13:22", "07/12/2026 13:22"),
        "ar": ("7 ديسمبر، 2026 13:22", "07\u200f/12\u200f/2026 13:22"),
        "ru": ("7 декабря 2026 г. 13:22", "07.12.2026 13:22"),  # noqa: RUF001
        "zh-hans": ("2026年12月7日 13:22", "2026年12月7日 13:22"),
    }
    for language, formats in expected.items():
        with translation.override(language):
            assert (
                date_format(moment, "DATETIME_FORMAT"),
                date_format(moment, "SHORT_DATETIME_FORMAT"),
            ) == formats, language


@pytest.mark.django_db
def test_numbers_are_grouped_per_language():
    from django.contrib.humanize.templatetags.humanize import intcomma

    with translation.override("en"):
        assert intcomma(12345) == "12,345"
    with translation.override("fr"):
        assert intcomma(12345) == "12\xa0345"
    with translation.override("ru"):
        assert intcomma(12345) == "12\xa0345"


@pytest.mark.django_db
def test_the_agenda_shows_times_in_the_event_zone_and_names_it(
    client, cast, all_languages
):
    start = timezone.localtime(cast.opening.starts_at, ZoneInfo("America/New_York"))
    english = client.get("/roundtable/events/grt/").content.decode()
    assert "Times are in America/New_York." in english
    assert f"{start:%a} {start.day} {start:%b}, {start:%H:%M}" in english
    french = client.get("/fr/roundtable/events/grt/").content.decode()
    assert f"{start.day} {FRENCH_MONTHS[start.month - 1]}, {start:%H:%M}" in french
    assert "America/New_York" in french
    arabic = client.get("/ar/roundtable/events/grt/").content.decode()
    assert '<html lang="ar" dir="rtl"' in arabic
    assert "America/New_York" in arabic


@pytest.mark.django_db
def test_ics_exports_are_byte_identical_in_every_language(
    client, cast, all_languages, monkeypatch
):
    fixed = dt.datetime(2027, 1, 1, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    paths = [
        "/roundtable/events/grt/agenda.ics",
        f"/roundtable/events/grt/sessions/{cast.breakout.pk}.ics",
    ]
    for path in paths:
        english = client.get(path)
        assert english.status_code == 200
        for language in ("ar", "es", "fr", "ru", "zh-hans"):
            other = client.get(f"/{language}{path}")
            assert other.status_code == 200
            assert other.content == english.content, (language, path)
            assert other["Content-Type"] == english["Content-Type"]


# --- mail in the recipient's language ---------------------------------------------


@pytest.fixture
def spanish_invitation(settings, tmp_path):
    """A catalogue with the invitation translated into Spanish (and nothing else)."""
    entries = [
        polib.POEntry(
            msgid="Invitation to the cyber capacity-building matchmaking platform",
            msgstr="Invitación a la plataforma de creación de capacidad cibernética",
        ),
        polib.POEntry(
            msgid="You are invited to act for %(org)s on the matchmaking platform.\n\n"
            "Open this link within %(days)s days to accept:\n%(link)s\n",
            msgstr="Se le invita a actuar en nombre de %(org)s.\n\n"
            "Abra este enlace en un plazo de %(days)s días:\n%(link)s\n",
            flags=["python-format"],
        ),
    ]
    write_catalogue(tmp_path, "es", entries)
    write_catalogue(tmp_path, "fr", [])
    settings.LOCALE_PATHS = [str(tmp_path)]


@pytest.mark.django_db
def test_an_invitation_is_mailed_in_the_invitee_profile_language(
    curator, spanish_invitation, django_capture_on_commit_callbacks
):
    UserFactory(username="ana", email="ana@example.org", language="es")
    state = MemberState.objects.create(country_id="SEN")
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invite_user(
            user=curator,
            email="ana@example.org",
            member_state=state,
            role=MembershipRole.FOCAL_POINT,
            accept_url=lambda token: f"https://cbm.example/invitations/{token}/",
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.org"]
    assert message.subject == (
        "Invitación a la plataforma de creación de capacidad cibernética"
    )
    assert message.body.startswith("Se le invita a actuar en nombre de Senegal.")
    assert "https://cbm.example/es/invitations/" in message.body


@pytest.mark.django_db
def test_an_unknown_address_gets_the_language_the_curator_works_in(
    curator, spanish_invitation, django_capture_on_commit_callbacks
):
    state = MemberState.objects.create(country_id="SEN")
    with (
        translation.override("en"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invitations.invite_user(
            user=curator,
            email="new@example.org",
            member_state=state,
            role=MembershipRole.FOCAL_POINT,
            accept_url=lambda token: f"https://cbm.example/invitations/{token}/",
        )
    assert mail.outbox[0].subject == (
        "Invitation to the cyber capacity-building matchmaking platform"
    )
    assert "https://cbm.example/invitations/" in mail.outbox[0].body


@pytest.mark.django_db
def test_each_address_gets_its_own_mail_in_its_owners_language(
    spanish_invitation, django_capture_on_commit_callbacks
):
    UserFactory(username="ana", email="ana@example.org", language="es")
    UserFactory(username="luis", email="luis@example.org", language="es")
    UserFactory(username="bob", email="bob@example.org", language="")
    UserFactory(username="zed", email="zed@example.org", language="ru")  # not offered
    with django_capture_on_commit_callbacks(execute=True):
        queued = queue_mail(
            recipients=[
                "bob@example.org",
                "luis@example.org",
                "ana@example.org",
                "zed@example.org",
                "",
            ],
            compose=lambda: (
                translation.gettext(
                    "Invitation to the cyber capacity-building matchmaking platform"
                ),
                translation.get_language(),
            ),
            default="en",
        )
    assert queued == 4
    # One mail per address (no recipient sees another's address).
    sent = sorted((m.to, m.subject, m.body) for m in mail.outbox)
    spanish = "Invitación a la plataforma de creación de capacidad cibernética"
    english = "Invitation to the cyber capacity-building matchmaking platform"
    assert sent == [
        (["ana@example.org"], spanish, "es"),
        (["bob@example.org"], english, "en"),
        (["luis@example.org"], spanish, "es"),
        (["zed@example.org"], english, "en"),
    ]


@pytest.mark.django_db
def test_password_reset_mail_is_in_the_profile_language(client, all_languages):
    UserFactory(username="awa", email="awa@example.org", language="fr")
    response = client.post("/accounts/password/reset/", {"email": "awa@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Réinitialisation du mot de passe sur testserver"
    assert "http://testserver/fr/accounts/password/reset/" in message.body
