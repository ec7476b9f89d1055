"""Load the vocabulary names in ar, es, fr, ru and zh (taxonomy_i18n.json)."""

from django.db import migrations


def load(apps, schema_editor):
    from matchmaking.reference import sync_vocabulary_names

    sync_vocabulary_names(apps)


class Migration(migrations.Migration):
    dependencies = [("matchmaking", "0004_user_language")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
