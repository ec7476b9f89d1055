"""Load UN M49 countries and regions, ISO 639-1 languages and the taxonomy."""

from django.db import migrations


def load(apps, schema_editor):
    from matchmaking.reference import sync_reference_data

    sync_reference_data(apps)


class Migration(migrations.Migration):
    dependencies = [("matchmaking", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
