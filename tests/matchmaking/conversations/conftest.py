"""The notification tests' world (a state, a provider, one match), introduced."""

import pytest

from matchmaking import services
from matchmaking.models import OutboxEvent
from tests.matchmaking.notifications.conftest import World
from tests.matchmaking.notifications.conftest import world  # noqa: F401


@pytest.fixture
def introduced(world: World) -> World:  # noqa: F811  (the fixture above)
    """The match of ``world`` after interest and the provider's introduction
    (their events left out: the tests count what messages make)."""
    services.transition_match(
        user=world.focal, match=world.match, action="express_interest"
    )
    services.transition_match(user=world.manager, match=world.match, action="introduce")
    OutboxEvent.objects.all().delete()
    world.match.refresh_from_db()
    return world
