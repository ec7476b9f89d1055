"""Full-text search on PostgreSQL: vectors, GIN indexes, trigram indexes.

Only on PostgreSQL (SQLite keeps the ``icontains`` search and needs nothing):
the pg_trgm and unaccent extensions (both trusted: the database owner may
create them), an aggregate concatenating vectors in order, a ``search_vector``
column on programmes and needs (not declared on the models, see
``matchmaking/models/search.py``) with a GIN index, and trigram GIN indexes on
the titles of records and translations (misspelt queries). Existing rows get
their vectors here.
"""

from django.db import migrations

from matchmaking.models.search import refresh_search_vectors

TABLES = ("matchmaking_programme", "matchmaking_need")
_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE OR REPLACE AGGREGATE cbm_tsvector_agg(tsvector) "
    "(SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = '')",
    *(
        statement
        for table in TABLES
        for statement in (
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
            "NOT NULL DEFAULT ''::tsvector",
            f"CREATE INDEX {table}_search_idx ON {table} USING gin (search_vector)",
            f"CREATE INDEX {table}_title_trgm_idx ON {table} "
            "USING gin (title gin_trgm_ops)",
        )
    ),
    "CREATE INDEX matchmaking_contenttranslation_title_trgm_idx ON "
    "matchmaking_contenttranslation USING gin (title gin_trgm_ops)",
]
_BACKWARD = [
    "DROP INDEX IF EXISTS matchmaking_contenttranslation_title_trgm_idx",
    *(
        statement
        for table in TABLES
        for statement in (
            f"DROP INDEX IF EXISTS {table}_title_trgm_idx",
            f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector",
        )
    ),
    "DROP AGGREGATE IF EXISTS cbm_tsvector_agg(tsvector)",
]


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in _FORWARD:
            cursor.execute(statement)
    translation = apps.get_model("matchmaking", "ContentTranslation")
    for name in ("Programme", "Need"):
        model = apps.get_model("matchmaking", name)
        refresh_search_vectors(
            model,
            model.objects.values_list("pk", flat=True),
            translation_model=translation,
        )


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in _BACKWARD:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("matchmaking", "0024_reminders_and_address_mail"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
