"""Nothing is lost on save: every demo need and programme, opened and saved
unchanged through its web form, and every API representation PUT back, keeps
every field it holds and a programme its funding (on SQLite and PostgreSQL
alike)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.forms import CheckboxInput
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from matchmaking.funding.services import funding_by_programme
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import User

# What the engine or the clock writes, not the author.
_BOOKKEEPING = {"updated_at", "matched_at"}


def snapshot(record: Need | Programme) -> dict[str, Any]:
    """Every field a record holds: its columns, its many-to-many sets and its
    translations."""
    record = type(record).objects.get(pk=record.pk)
    data: dict[str, Any] = {}
    for field in record._meta.concrete_fields:
        if field.name not in _BOOKKEEPING:
            data[field.name] = getattr(record, field.attname)
    for field in record._meta.many_to_many:
        data[field.name] = sorted(
            getattr(record, field.name).values_list("pk", flat=True)
        )
    data["translations"] = sorted(
        record.translations.values_list("language_id", "title", "summary")
    )
    if isinstance(record, Programme):
        data["funding"] = funding_by_programme([record.pk]).get(record.pk)
    return data


def opened_form_data(response) -> dict[str, Any]:
    """What a browser posts back from a form it was shown, untouched."""
    data: dict[str, Any] = {}
    for bound in response.context["form"]:
        value = bound.value()
        if isinstance(bound.field.widget, CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(getattr(v, "pk", v)) for v in value]
        elif value is None:
            data[bound.html_name] = ""
        elif isinstance(value, date):
            data[bound.html_name] = value.isoformat()
        else:
            data[bound.html_name] = str(getattr(value, "pk", value))
    return data


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())
    return User.objects.get(username="curator")


def _records():
    needs = [("need", n) for n in Need.objects.order_by("pk")]
    programmes = [("programme", p) for p in Programme.objects.order_by("pk")]
    return [*needs, *programmes]


@pytest.mark.slow(100)
def test_saving_every_demo_record_unchanged_by_form_and_api_changes_nothing(demo):
    """One test (the demo loads once): the web form, then the API."""
    records = _records()
    assert len(records) > 50
    # Funding (roles, totals, budget lines) is part of what must survive.
    assert sum(snapshot(r).get("funding") is not None for _k, r in records) == 33
    client = Client()
    client.force_login(demo)
    for kind, record in records:
        before = snapshot(record)
        url = reverse(f"{kind}-edit", args=[record.ref])
        response = client.post(url, opened_form_data(client.get(url)))
        errors = response.context and response.context["form"].errors
        assert response.status_code == 302, (record.ref, errors)
        assert snapshot(record) == before, record.ref
    api = APIClient()
    api.force_authenticate(demo)
    for kind, record in records:
        before = snapshot(record)
        url = f"/api/v1/{kind}s/{record.ref}/"
        response = api.put(url, api.get(url).json(), format="json")
        assert response.status_code == 200, (record.ref, response.json())
        assert snapshot(record) == before, record.ref
    # The record of the report: its third language is not a UN one.
    launchpad = Programme.objects.get(title__startswith="CSIRT Launchpad")
    assert sorted(launchpad.languages.values_list("code", flat=True)) == [
        "en",
        "fr",
        "pt",
    ]
