"""Provider names unique after folding case, accents and look-alike letters.

Existing rows get their key; where two existing providers already share one,
the oldest keeps it and the others get it suffixed with their id, so the
constraint holds. Their next edit must pick a name of their own.
"""

from django.db import migrations
from django.db import models

from matchmaking.names import name_key


def compute_name_keys(apps, schema_editor):
    Provider = apps.get_model("matchmaking", "Provider")
    taken: set[str] = set()
    changed = []
    for provider in Provider.objects.order_by("-is_verified", "created_at", "pk"):
        key = name_key(provider.name)
        if key in taken:
            key = f"{key}#{provider.pk}"
        taken.add(key)
        provider.name_key = key
        changed.append(provider)
    Provider.objects.bulk_update(changed, ["name_key"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("matchmaking", "0011_text_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalprovider",
            name="name_key",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="provider",
            name="name_key",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(compute_name_keys, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="provider",
            constraint=models.UniqueConstraint(
                fields=("name_key",), name="provider_unique_name_key"
            ),
        ),
    ]
