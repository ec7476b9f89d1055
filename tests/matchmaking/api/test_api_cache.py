"""The API read cache: kept answers, retired by a change to the data they read,
never shared wrongly.

The suite runs with the cache off (tests/conftest.py), since a test's
transaction never commits and the generation moves after the commit. The tests
here turn it on and really commit (transactional tests), as in production.
"""

import pytest
from django.apps import apps
from django.db import connection
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from matchmaking import api_cache
from matchmaking.accounts import tokens
from matchmaking.models import Country
from matchmaking.models import Match
from matchmaking.models import Membership
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import TokenScope
from matchmaking.models import User
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.API_CACHE_SECONDS = 60


def client_for(user=None, **headers) -> APIClient:
    client = APIClient(**headers)
    if user is not None:
        client.force_authenticate(user)
    return client


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["title"] for row in response.json()["results"])


def test_a_repeated_get_is_answered_from_the_cache(world):
    client = client_for(world.users["curator"])
    first = client.get("/api/v1/programmes/")
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/api/v1/programmes/")
    assert again.content == first.content
    assert again["Content-Type"] == "application/json"
    # Only the generation is read (the user is forced): no programme.
    assert len(queries) == 1
    assert "cbm_data_generation" in queries[0]["sql"]


def test_a_write_no_signal_announces_retires_kept_answers_at_once(world):
    client = client_for(world.users["curator"])
    assert "Renamed quietly" not in titles(client.get("/api/v1/programmes/"))
    # update() sends no signal: the database wrapper sees the statement.
    Programme.objects.filter(pk=world.prog_p.pk).update(title="Renamed quietly")
    assert "Renamed quietly" in titles(client.get("/api/v1/programmes/"))


def test_a_raw_write_retires_kept_answers_at_once(world):
    client = client_for(world.users["curator"])
    assert "Raw title" not in titles(client.get("/api/v1/programmes/"))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE matchmaking_programme SET title = %s WHERE id = %s",
            ["Raw title", world.prog_p.pk],
        )
    assert "Raw title" in titles(client.get("/api/v1/programmes/"))


def kept(client, url: str) -> bool:
    """Whether the answer came from the cache: only the generations were read."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return [q["sql"] for q in queries] == [
        "SELECT id, value, changed_at FROM cbm_data_generation"
    ]


def test_a_write_to_one_family_keeps_the_answers_of_families_that_do_not_read_it(
    world,
):
    client = client_for(world.users["curator"])
    urls = {
        "programmes": "/api/v1/programmes/",
        "programme": f"/api/v1/programmes/{world.prog_p.ref}/",
        "needs": "/api/v1/needs/",
        "need matches": f"/api/v1/needs/{world.need_a.ref}/matches/",
        "programme matches": f"/api/v1/programmes/{world.prog_p.ref}/matches/",
        "matches": "/api/v1/matches/",
        "countries": "/api/v1/countries/",
        "providers": "/api/v1/providers/",
    }
    for url in urls.values():
        client.get(url)
    assert all(kept(client, url) for url in urls.values())
    Need.objects.filter(pk=world.need_a.pk).update(title="A need, renamed")
    assert {name for name, url in urls.items() if not kept(client, url)} == {
        "needs",
        "need matches",
        "programme matches",
        "matches",
    }
    assert "A need, renamed" in titles(client.get(urls["needs"]))
    Programme.objects.filter(pk=world.prog_p.pk).update(title="P, renamed")
    assert {name for name, url in urls.items() if not kept(client, url)} == {
        "programmes",
        "programme",
        "need matches",
        "programme matches",
        "matches",
    }
    matches = client.get(urls["need matches"]).json()["results"]
    assert [m["programme_title"] for m in matches][:1] == ["P, renamed"]
    Match.objects.filter(pk=world.match_a_p.pk).update(score=0.95)
    assert {name for name, url in urls.items() if not kept(client, url)} == {
        "need matches",
        "programme matches",
        "matches",
    }
    # The roundtable's records are read by no kept answer.
    EventFactory()
    assert all(kept(client, url) for url in urls.values())
    # Reference data is read by every answer.
    Country.objects.filter(iso3="SEN").update(is_ldc=False)
    assert not any(kept(client, url) for url in urls.values())


def test_visibility_changes_retire_the_answers_that_depend_on_them(world):
    prov_q = client_for(world.users["prov_q"])
    needs = "/api/v1/needs/"
    programme = f"/api/v1/programmes/{world.prog_q.ref}/matches/"
    # Q is unverified: registered needs are missing to its users.
    assert "B for registered users" not in titles(prov_q.get(needs))
    prov_q.get(programme)
    world.provider_q.is_verified = True
    world.provider_q.verified_at = timezone.now()
    world.provider_q.save(update_fields=["is_verified", "verified_at"])
    assert "B for registered users" in titles(prov_q.get(needs))
    assert not kept(prov_q, programme)
    # A new membership opens a state's confidential needs.
    ms_a = client_for(world.users["ms_a"])
    assert "B secret forensics" not in titles(ms_a.get(needs))
    Membership.objects.create(user=world.users["ms_a"], member_state=world.state_b)
    assert "B secret forensics" in titles(ms_a.get(needs))
    # Losing the curator's role closes them again.
    curator = client_for(world.users["curator"])
    assert "B secret forensics" in titles(curator.get(needs))
    User.objects.filter(pk=world.users["curator"].pk).update(is_curator=False)
    world.users["curator"].refresh_from_db()
    assert "B secret forensics" not in titles(curator.get(needs))


def test_every_table_of_the_project_has_its_families():
    known = api_cache.table_families()
    missing = [
        model._meta.label_lower
        for model in apps.get_models(include_auto_created=True)
        if model._meta.db_table.lower() not in known
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("sql", "families"),
    [
        ('SELECT "matchmaking_need"."id" FROM "matchmaking_need"', set()),
        ("  WITH x AS (SELECT 1) SELECT * FROM x", set()),
        ("SAVEPOINT s1", set()),
        ('UPDATE "matchmaking_need" SET "title" = %s', {"needs"}),
        ('DELETE FROM "matchmaking_need_topics" WHERE 1', {"needs"}),
        (
            'INSERT INTO "matchmaking_match" ("need_id") VALUES (%s) ON CONFLICT'
            ' ("need_id") DO UPDATE SET "score" = EXCLUDED."score"',
            {"matches"},
        ),
        (
            "WITH moved AS (UPDATE matchmaking_programme SET title = 't' RETURNING"
            " id) INSERT INTO matchmaking_nearmiss SELECT * FROM moved",
            {"programmes", "matches"},
        ),
        ('INSERT OR IGNORE INTO "matchmaking_country" VALUES (1)', {"reference"}),
        ('UPDATE "matchmaking_apitoken" SET "last_used_at" = %s', set()),
        ('UPDATE "somewhere_else" SET "x" = 1', {"everything"}),
        ("DO $$ BEGIN END $$", {"everything"}),
    ],
)
def test_a_statement_moves_the_families_of_the_tables_it_writes(sql, families):
    assert api_cache.written_families(sql) == families


def test_a_write_through_the_api_retires_kept_answers(world):
    client = client_for(world.users["ms_a"])
    assert "A public need" in titles(client.get("/api/v1/needs/"))
    response = client.patch(
        f"/api/v1/needs/{world.need_a.ref}/",
        {"title": "A need, retitled"},
        format="json",
    )
    assert response.status_code == 200, response.content
    listed = titles(client.get("/api/v1/needs/"))
    assert "A need, retitled" in listed
    assert "A public need" not in listed
    detail = client.get(f"/api/v1/needs/{world.need_a.ref}/")
    assert detail.json()["title"] == "A need, retitled"


def test_a_saved_record_retires_kept_answers(world):
    client = client_for()
    assert "P programme" in titles(client.get("/api/v1/programmes/"))
    with transaction.atomic():
        programme = Programme.objects.get(pk=world.prog_p.pk)
        programme.title = "Saved with a signal"
        programme.save()
        programme.topics.clear()
    assert "Saved with a signal" in titles(client.get("/api/v1/programmes/"))


def test_a_changed_relation_retires_kept_answers(world):
    provider_p = client_for(world.users["prov_p"])
    assert "B secret forensics" not in titles(provider_p.get("/api/v1/needs/"))
    world.need_b_secret.shared_with.add(world.provider_p)
    assert "B secret forensics" in titles(provider_p.get("/api/v1/needs/"))


def test_one_users_answer_is_never_given_to_another(world):
    curator = client_for(world.users["curator"])
    assert "B secret forensics" in titles(curator.get("/api/v1/needs/"))
    for user in (None, world.users["ms_a"], world.users["prov_q"]):
        assert "B secret forensics" not in titles(
            client_for(user).get("/api/v1/needs/")
        )
    hidden = f"/api/v1/needs/{world.need_b_secret.ref}/"
    assert curator.get(hidden).status_code == 200
    assert client_for(world.users["ms_a"]).get(hidden).status_code == 404


def test_authentication_comes_before_the_cache(world):
    # Curators get tokens once two-factor is on.
    TOTPDevice.objects.create(user=world.users["curator"], name="app", confirmed=True)
    token, key = tokens.create_token(
        user=world.users["curator"], name="soon revoked", scope=TokenScope.READ
    )
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/needs/").status_code == 200
    tokens.revoke_token(user=world.users["curator"], token=token)
    assert client.get("/api/v1/needs/").status_code == 401


def test_answers_are_kept_per_language(world):
    client = client_for()
    english = client.get("/api/v1/taxonomy/", HTTP_ACCEPT_LANGUAGE="en")
    french = client.get("/api/v1/taxonomy/", HTTP_ACCEPT_LANGUAGE="fr")
    assert english.status_code == french.status_code == 200
    assert english.content != french.content
    assert french["Content-Language"] == "fr"


def test_an_error_is_not_kept(world):
    client = client_for(world.users["curator"])
    missing = "/api/v1/needs/need-later/"
    assert client.get(missing).status_code == 404
    Need.objects.filter(pk=world.need_a.pk).update(ref="need-later")
    assert client.get(missing).status_code == 200


def test_the_cache_off_reads_the_database_every_time(world, settings):
    settings.API_CACHE_SECONDS = 0
    client = client_for(world.users["curator"])
    client.get("/api/v1/programmes/")
    Programme.objects.filter(pk=world.prog_p.pk).update(title="Seen at once")
    assert "Seen at once" in titles(client.get("/api/v1/programmes/"))


def test_a_transaction_moves_the_generation_once_after_its_commit():
    start = api_cache.generation()
    with transaction.atomic():
        api_cache.changed()
        api_cache.changed()
        assert api_cache.generation() == start  # not before the commit
    assert api_cache.generation() == start + 1
    needs, programmes = (api_cache.generation(f) for f in ("needs", "programmes"))
    with transaction.atomic():
        Need.objects.update(title="One")
        Need.objects.update(title="Two")
        Programme.objects.update(title="Three")
        assert api_cache.generation("needs") == needs
    assert api_cache.generation("needs") == needs + 1
    assert api_cache.generation("programmes") == programmes + 1
    assert api_cache.generation() == start + 1  # the others stay
    with transaction.atomic():
        api_cache.changed()
        transaction.set_rollback(True)
    assert api_cache.generation() == start + 1  # rolled back: nothing changed
    api_cache.changed()  # outside a transaction: at once
    assert api_cache.generation() == start + 2


def test_generations_moved_before_the_commit_are_not_moved_again():
    start = api_cache.generation()
    needs, programmes = (api_cache.generation(f) for f in ("needs", "programmes"))
    with transaction.atomic():
        Need.objects.update(title="One")
        api_cache.bump_before_commit()
        Programme.objects.update(title="Two")  # after it: moved after the commit
    assert api_cache.generation("needs") == needs + 1
    assert api_cache.generation("programmes") == programmes + 1
    assert api_cache.generation() == start
    with transaction.atomic():
        api_cache.changed()
        api_cache.bump_before_commit()
        transaction.set_rollback(True)
    assert api_cache.generation() == start  # rolled back with the data


def test_the_engines_bulk_writes_move_the_generation(world):
    from matchmaking.suggestions import refresh_need_suggestions
    from matchmaking.suggestions import rematch_all

    start = api_cache.generation()
    rematch_all()
    after_rematch = api_cache.generation()
    assert after_rematch > start
    refresh_need_suggestions(need_id=world.need_a.pk)
    assert api_cache.generation() > after_rematch


def test_a_bulk_import_moves_the_generation(world):
    from matchmaking.dataset.exchange import export_dataset
    from matchmaking.dataset.exchange import import_dataset

    start = api_cache.generation()
    document = export_dataset(
        providers=Provider.objects.all(),
        programmes=Programme.objects.all(),
        needs=Need.objects.exclude(status="draft"),
    )
    import_dataset(data=document)
    assert api_cache.generation() > start


def test_a_large_answer_is_not_kept(world, settings, monkeypatch):
    monkeypatch.setattr(api_cache, "MAX_BYTES", 10)
    client = client_for(world.users["curator"])
    before = titles(client.get("/api/v1/programmes/"))
    Programme.objects.filter(pk=world.prog_p.pk).update(title="Read afresh")
    after = titles(client.get("/api/v1/programmes/"))
    assert "Read afresh" in after
    assert "Read afresh" not in before


def test_a_repeated_get_is_a_304_until_the_data_changes(world):
    client = client_for(world.users["ms_a"])
    url = f"/api/v1/needs/{world.need_a.ref}/"
    first = client.get(url)
    etag = first["ETag"]
    assert etag.startswith('W/"')
    again = client.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    listed = client.get("/api/v1/needs/")
    assert listed["ETag"] not in (etag, None)
    # Another user's copy is not this one's (the tag covers the user too).
    other = client_for(world.users["curator"]).get(url, headers={"If-None-Match": etag})
    assert other.status_code == 200
    changed = client.patch(url, {"title": "Retitled"}, format="json")
    assert changed.status_code == 200
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["title"] == "Retitled"
    assert after["ETag"] != etag


def test_if_modified_since_is_a_304_only_for_a_copy_made_after_the_last_change(
    world, time_machine
):
    client = client_for(world.users["ms_a"])
    time_machine.move_to(timezone.now(), tick=False)
    api_cache.changed()
    time_machine.shift(2)
    first = client.get("/api/v1/programmes/")
    stamp = first["Last-Modified"]
    kept = client.get("/api/v1/programmes/", headers={"If-Modified-Since": stamp})
    assert kept.status_code == 304
    api_cache.changed()
    time_machine.shift(2)
    fresh = client.get("/api/v1/programmes/", headers={"If-Modified-Since": stamp})
    assert fresh.status_code == 200
    assert fresh["Last-Modified"] != stamp
