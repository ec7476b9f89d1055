"""Requests to join over the API (matchmaking/api/joining.py): curators only."""

from __future__ import annotations

import pytest
from django.core import mail

from matchmaking.models import JoinRequest
from matchmaking.models import JoinStatus
from matchmaking.models import Provider

pytestmark = pytest.mark.django_db


def make(n: int, status=JoinStatus.PENDING) -> list[JoinRequest]:
    return [
        JoinRequest.objects.create(
            kind="provider",
            status=status,
            contact_name=f"Person {i}",
            email=f"p{i}@example.org",
            position="Director",
            organisation_name=f"Lab {i}",
            stakeholder_group_id="academia",
            country_id="GHA",
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [1, 3])
def test_curators_list_confirmed_requests(as_role, django_assert_num_queries, n):
    pending = make(n)
    make(1, status=JoinStatus.UNCONFIRMED)
    # one: the page with its groups, countries, deciders, providers and accounts
    # joined (a short page is counted from its rows, ShortListPaginator)
    with django_assert_num_queries(1):
        answer = as_role("curator").get("/api/v1/join-requests/")
    assert answer.status_code == 200
    assert [r["id"] for r in answer.json()["results"]] == [r.pk for r in pending]


def test_a_request_reads_as_curators_see_it(as_role):
    (request,) = make(1)
    body = as_role("curator").get(f"/api/v1/join-requests/{request.pk}/").json()
    assert {k: v for k, v in body.items() if not k.endswith("_at")} == {
        "id": request.pk,
        "kind": "provider",
        "status": "pending",
        "contact_name": "Person 0",
        "email": "p0@example.org",
        "position": "Director",
        "organisation_name": "Lab 0",
        "stakeholder_group": "academia",
        "country": "GHA",
        "website": "",
        "message": "",
        "has_nomination_letter": False,
        "reason": "",
        "provider": None,
    }


@pytest.mark.parametrize("role", ["anon", "ms_a", "prov_p", "read_token"])
def test_nobody_else_sees_or_decides_them(as_role, role):
    (request,) = make(1)
    listed = as_role(role).get("/api/v1/join-requests/")
    verified = as_role(role).post(f"/api/v1/join-requests/{request.pk}/verify/")
    assert listed.status_code in (401, 403)
    assert verified.status_code in (401, 403)
    request.refresh_from_db()
    assert request.status == JoinStatus.PENDING
    assert not Provider.objects.filter(name="Lab 0").exists()


def test_a_curator_verifies_and_rejects(as_role, django_capture_on_commit_callbacks):
    first, second = make(2)
    curator = as_role("curator")
    with django_capture_on_commit_callbacks(execute=True):
        verified = curator.post(f"/api/v1/join-requests/{first.pk}/verify/")
    assert verified.status_code == 200
    assert verified.json()["status"] == "verified"
    assert verified.json()["provider"] == Provider.objects.get(name="Lab 0").ref
    assert mail.outbox[-1].to == ["p0@example.org"]
    again = curator.post(f"/api/v1/join-requests/{first.pk}/verify/")
    assert again.status_code == 400
    missing = curator.post(
        f"/api/v1/join-requests/{second.pk}/reject/", {}, format="json"
    )
    assert missing.status_code == 400
    assert "reason" in missing.json()["error"]["fields"]
    rejected = curator.post(
        f"/api/v1/join-requests/{second.pk}/reject/",
        {"reason": "Unknown organisation."},
        format="json",
    )
    assert (rejected.json()["status"], rejected.json()["reason"]) == (
        "rejected",
        "Unknown organisation.",
    )
