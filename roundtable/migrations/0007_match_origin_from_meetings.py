"""Matches taken up at the roundtable get the ``roundtable`` origin.

What is known of the past: a match (past the suggestion) whose need and
programme a roundtable meeting was about, and that the engine had suggested,
was taken up through that meeting. Curator proposals keep their origin (a
meeting turned into a match by a curator cannot be told from another
proposal afterwards).
"""

from django.db import migrations
from django.db.models import Exists
from django.db.models import OuterRef


def forwards(apps, schema_editor):
    Match = apps.get_model("matchmaking", "Match")
    Meeting = apps.get_model("roundtable", "Meeting")
    met = Meeting.objects.filter(
        need_id=OuterRef("need_id"), programme_id=OuterRef("programme_id")
    )
    Match.objects.filter(Exists(met), origin="engine").exclude(
        status="suggested"
    ).update(origin="roundtable")


def backwards(apps, schema_editor):
    Match = apps.get_model("matchmaking", "Match")
    Match.objects.filter(origin="roundtable").update(origin="engine")


class Migration(migrations.Migration):
    dependencies = [
        ("roundtable", "0006_pitch_decision_mailed"),
        ("matchmaking", "0021_match_origin_roundtable"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
