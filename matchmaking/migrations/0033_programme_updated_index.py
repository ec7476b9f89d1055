"""An index on programmes' last edit: the matching worker's catch-up before
each refresh reads the latest edit and the programmes edited since its last
look, which scanned every wide programme row (28-74 ms at 10,000)."""

from django.db import migrations
from django.db import models


class Migration(migrations.Migration):
    dependencies = [
        ("matchmaking", "0032_coordination_cells"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="programme",
            index=models.Index(fields=["updated_at"], name="programme_updated_idx"),
        ),
    ]
