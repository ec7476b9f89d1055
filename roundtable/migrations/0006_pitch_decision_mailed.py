"""When a released decision was mailed: a re-run of the release mails the rest.

Decisions released before this migration count as mailed.
"""

from django.db import migrations
from django.db import models
from django.db.models import OuterRef
from django.db.models import Subquery


def mark_released_decisions_mailed(apps, schema_editor):
    Pitch = apps.get_model("roundtable", "Pitch")
    CallForPitches = apps.get_model("roundtable", "CallForPitches")
    released = CallForPitches.objects.filter(
        event_id=OuterRef("event_id"), decisions_released_at__isnull=False
    ).values("decisions_released_at")[:1]
    Pitch.objects.filter(state__in=("accepted", "rejected")).update(
        decision_mailed_at=Subquery(released)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("roundtable", "0005_text_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalpitch",
            name="decision_mailed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="pitch",
            name="decision_mailed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(mark_released_decisions_mailed, migrations.RunPython.noop),
    ]
