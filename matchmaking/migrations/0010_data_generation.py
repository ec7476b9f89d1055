"""The data generation counter of the API read cache (matchmaking.api_cache)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("matchmaking", "0009_programme_title_index")]

    operations = [
        migrations.RunSQL(
            sql=[
                "CREATE TABLE cbm_data_generation"
                " (id integer PRIMARY KEY, value bigint NOT NULL)",
                "INSERT INTO cbm_data_generation (id, value) VALUES (1, 0)",
            ],
            reverse_sql=["DROP TABLE cbm_data_generation"],
        )
    ]
