"""A pitch's translations: its provider's users and curators, 404 for anyone else."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from matchmaking.models import ContentTranslation
from tests.roundtable.conftest import make_pitch

pytestmark = pytest.mark.django_db


def test_the_provider_translates_its_pitch_and_readers_see_it(client, cast):
    pitch = make_pitch(cast, deck=False)
    url = reverse("pitch-translations", args=[pitch.pk])
    client.force_login(cast.other_member)
    assert client.get(url).status_code == 404
    assert client.post(url, {"language": "fr", "title": "Non"}).status_code == 404
    assert not ContentTranslation.objects.exists()
    client.force_login(cast.presenter)
    response = client.post(
        url,
        {
            "language": "fr",
            "title": "Du décret à un CSIRT opérationnel",
            "summary": "Comment un pays se dote d'un CSIRT en 18 mois.",
        },
    )
    assert response.status_code == 302
    client.force_login(cast.curator)
    with translation.override("fr"):
        body = client.get(
            reverse("pitch-detail", args=[pitch.pk]), HTTP_ACCEPT_LANGUAGE="fr"
        ).content.decode()
    assert "Du décret à un CSIRT opérationnel" in body
    delete = reverse("pitch-translation-delete", args=[pitch.pk, "fr"])
    client.force_login(cast.other_member)
    assert client.post(delete).status_code == 404
    client.force_login(cast.presenter)
    assert client.post(delete).status_code == 302
    assert not ContentTranslation.objects.exists()
