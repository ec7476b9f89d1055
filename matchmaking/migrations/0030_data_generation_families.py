"""The API read cache's data generation per family of data (matchmaking.api_cache):
rows 2-7 (reference ... roundtable, ``api_cache.ROW_IDS``) beside row 1, which
every kept answer reads."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("matchmaking", "0029_task_workers")]

    operations = [
        migrations.RunSQL(
            sql=[
                (
                    "INSERT INTO cbm_data_generation (id, value, changed_at)"
                    " SELECT %s, 0, changed_at FROM cbm_data_generation WHERE id = 1",
                    [row],
                )
                for row in range(2, 8)
            ],
            reverse_sql=["DELETE FROM cbm_data_generation WHERE id > 1"],
        )
    ]
