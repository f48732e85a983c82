"""Migration operations Django lacks: an index that exists only on PostgreSQL (a GIN index for
full-text search), so that the same migrations run on the embedded SQLite default."""

from typing import Any

from django.db import migrations


class AddIndexOnPostgreSQL(migrations.AddIndex):
    """`AddIndex` whose SQL runs only on PostgreSQL; the model's state is the same everywhere."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
