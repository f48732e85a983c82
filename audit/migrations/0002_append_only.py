"""The audit table refuses UPDATE and DELETE in the database itself, not only in the ORM.

TRUNCATE stays possible on PostgreSQL and DELETE on SQLite (test databases are flushed with
them); verify_audit still notices, because the head row records how long the chain was."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'audit events are append-only (' || TG_OP || ' refused)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""
SQLITE_UP = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_event_no_update;"]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        for sql in SQLITE_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
