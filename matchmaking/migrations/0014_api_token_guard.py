"""A database trigger keeps a token's owner, key and scope fixed and its
revocation final, whatever writes the row (the model's save checks it too;
this also covers queryset updates and raw SQL)."""

from django.db import migrations

SQLITE = """
CREATE TRIGGER cbm_api_token_guard
BEFORE UPDATE ON matchmaking_apitoken
WHEN NEW.user_id <> OLD.user_id
  OR NEW.prefix <> OLD.prefix
  OR NEW.key_hash <> OLD.key_hash
  OR NEW.scope <> OLD.scope
  OR (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS NULL
      OR NEW.revoked_at <> OLD.revoked_at))
BEGIN
  SELECT RAISE(ABORT, 'a token keeps its owner, key and scope, and stays revoked');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS cbm_api_token_guard;"

POSTGRESQL = """
CREATE FUNCTION cbm_api_token_guard() RETURNS trigger AS $$
BEGIN
  IF NEW.user_id <> OLD.user_id
     OR NEW.prefix <> OLD.prefix
     OR NEW.key_hash <> OLD.key_hash
     OR NEW.scope <> OLD.scope
     OR (OLD.revoked_at IS NOT NULL
         AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at) THEN
    RAISE EXCEPTION 'a token keeps its owner, key and scope, and stays revoked'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cbm_api_token_guard
BEFORE UPDATE ON matchmaking_apitoken
FOR EACH ROW EXECUTE FUNCTION cbm_api_token_guard();
"""
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS cbm_api_token_guard ON matchmaking_apitoken;
DROP FUNCTION IF EXISTS cbm_api_token_guard();
"""


def forwards(apps, schema_editor):
    sql = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(
        schema_editor.connection.vendor
    )
    if sql:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    sql = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}.get(
        schema_editor.connection.vendor
    )
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("matchmaking", "0013_sign_in_throttle")]

    operations = [migrations.RunPython(forwards, backwards)]
