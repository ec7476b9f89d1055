"""The streamed export: what the caller may see, as NDJSON or CSV, resumable."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse

from matchmaking.api import export
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db


def lines(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in body.splitlines()]


def test_the_export_streams_what_the_caller_may_see_in_chunks(world, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 2)  # several chunks over a few rows
    anonymous = lines(client_for(world, "anon").get("/api/v1/export/needs/"))
    assert [row["ref"] for row in anonymous] == ["need-a"]
    listed = client_for(world, "anon").get("/api/v1/needs/need-a/").json()
    assert anonymous[0] == {"cursor": str(world.need_a.pk), **listed}
    owner = lines(client_for(world, "ms_b").get("/api/v1/export/needs/"))
    refs = [row["ref"] for row in owner]
    assert "need-b-secret" in refs
    cursors = [int(row["cursor"]) for row in owner]
    assert cursors == sorted(cursors)
    resumed = lines(
        client_for(world, "ms_b").get(f"/api/v1/export/needs/?after={cursors[1]}")
    )
    assert [row["ref"] for row in resumed] == refs[2:]


def test_the_export_as_csv_has_a_header_and_defuses_formulas(world):
    world.prog_p.title = "=HYPERLINK(1)"
    world.prog_p.save(update_fields=["title"])
    response = client_for(world, "anon").get("/api/v1/export/programmes/?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response).decode())))
    assert {row["ref"] for row in rows} == {"prog-p", "prog-q"}
    assert {row["title"] for row in rows} >= {"'=HYPERLINK(1)"}


def test_matches_export_needs_a_user_and_errors_are_json(world):
    refused = client_for(world, "anon").get("/api/v1/export/matches/")
    assert refused.status_code == 401
    assert refused["Content-Type"].startswith("application/json")
    assert refused.json()["error"]["status"] == 401
    bad = client_for(world, "ms_a").get("/api/v1/export/matches/?after=x")
    assert bad.json()["error"]["fields"] == {
        "after": ["Give the cursor of the last row you received."]
    }
    mine = lines(client_for(world, "ms_a").get("/api/v1/export/matches/"))
    assert {row["need"] for row in mine} == {"need-a"}
