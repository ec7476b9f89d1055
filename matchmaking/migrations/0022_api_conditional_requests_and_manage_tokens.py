"""The API's conditional requests and token management.

- When the data generation last moved (``changed_at``, Unix time): the API's
  Last-Modified (matchmaking.api_cache).
- The ``manage`` token scope: read_write, and creating and revoking the
  owner's tokens over the API.
"""

import time

from django.db import migrations
from django.db import models


def stamp(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cbm_data_generation SET changed_at = %s WHERE id = 1",
            [time.time()],
        )


class Migration(migrations.Migration):
    dependencies = [("matchmaking", "0021_match_origin_roundtable")]

    operations = [
        migrations.RunSQL(
            sql=[
                "ALTER TABLE cbm_data_generation"
                " ADD COLUMN changed_at double precision NOT NULL DEFAULT 0",
            ],
            reverse_sql=["ALTER TABLE cbm_data_generation DROP COLUMN changed_at"],
        ),
        migrations.RunPython(stamp, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[
                    ("read", "Read"),
                    ("read_write", "Read and write"),
                    ("manage", "Read, write and manage tokens"),
                ],
                default="read",
                max_length=16,
                verbose_name="scope",
            ),
        ),
    ]
