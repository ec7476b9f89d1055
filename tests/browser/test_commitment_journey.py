"""A commitment from a roundtable meeting to the coordination view (issue #20).

A provider records, at its bilateral meeting, a commitment to two LDCs; it is
on the public commitments page; its progress report falls due and the
provider is reminded; the provider reports 50 % delivered, and the
coordination view shows the figure.
"""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from matchmaking.models import Notification
from matchmaking.notifications.dispatch import sweep
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.models import Commitment
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import TimeSlot
from tests.factories.matchmaking import TEST_PASSWORD

from .roundtable_fixtures import media_root  # noqa: F401
from .roundtable_fixtures import roundtable  # noqa: F401

pytestmark = pytest.mark.browser

TITLE = "Incident response training for Nepal and Afghanistan"


@pytest.fixture
def meeting(world, roundtable):  # noqa: F811  (the fixture above)
    pitch = Pitch.objects.create(
        event=roundtable.event,
        session=roundtable.matchmaking,
        provider=world.programme_p.provider,
        presenter=world.prov_p,
        presenter_name="prov_p",
        title="From a decree to a working CSIRT",
        abstract="Three minutes.",
        state=PitchState.PRESENTED,
    )
    slot = TimeSlot.objects.filter(session=roundtable.bilateral).order_by("pk")[0]
    return Meeting.objects.create(
        pitch=pitch,
        member_state=world.need_a.member_state,
        requested_by=world.ms_a,
        presenter=world.prov_p,
        state=MeetingState.ACCEPTED,
        slot=slot,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        expires_at=timezone.now() + dt.timedelta(days=2),
    )


def test_a_commitment_made_at_a_meeting_is_reported_and_counted(visit, world, meeting):
    provider = visit()
    provider.sign_in("prov_p", TEST_PASSWORD)
    page = provider.page
    provider.goto("/roundtable/meetings/")
    page.locator("[data-record-commitment]").click()
    page.wait_for_load_state("networkidle")
    provider.check("commitment-form", screenshots=False)
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_countries").select_option(["NPL", "AFG"])
    page.locator("#id_for_ldcs").check()
    page.locator("#id_amount").fill("100000")
    page.locator("#id_due_on").fill("2027-12-31")
    page.locator("#id_report_every_months").fill("6")
    page.get_by_role("button", name="Publish the commitment").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_have_text(
        "The commitment is published."
    )
    expect(page.locator("[data-commitment-for]")).to_contain_text("Nepal")
    expect(page.locator("[data-commitment-for]")).to_contain_text("Afghanistan")
    commitment = Commitment.objects.get(title=TITLE)
    assert commitment.meeting == meeting
    assert commitment.session == meeting.pitch.session

    public = visit()
    public.goto("/roundtable/commitments/")
    expect(public.page.locator("[data-commitments]")).to_contain_text(TITLE)
    public.check("commitments", screenshots=False)

    # Six months later the report is due: the daily reminder tells the provider.
    Commitment.objects.filter(pk=commitment.pk).update(
        next_report_due=timezone.localdate()
    )
    call_command("send_commitment_reminders")
    sweep(older_than=dt.timedelta(0))
    assert Notification.objects.filter(
        user=world.prov_p, event__kind="reminder"
    ).exists()
    provider.goto(f"/roundtable/commitments/{commitment.ref}/")
    expect(page.locator("[data-report-due]")).to_contain_text(
        "A progress report is due"
    )

    page.locator("#id_narrative").fill("Three of six courses are given.")
    page.locator("#id_share_delivered").fill("50")
    page.locator("#id_evidence_links").fill("https://example.org/courses")
    page.get_by_role("button", name="Publish the report").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-share-delivered]")).to_have_text("50")
    expect(page.locator("[data-commitment-state]")).to_have_text("In progress")
    provider.check("commitment-reported", screenshots=False)

    public.goto("/roundtable/coordination/")
    expect(public.page.locator("[data-delivered-share]")).to_contain_text("50 %")
    public.check("coordination", screenshots=False)
