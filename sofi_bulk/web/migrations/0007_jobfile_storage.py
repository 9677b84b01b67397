"""PostgreSQL: a job's files are stored as they come (``STORAGE EXTERNAL``), not through
pglz. An uploaded .xlsx is already a zip: PostgreSQL tried to compress each one in vain,
which cost it 15 ms of processor for a 700 Kio workbook (3 ms stored as is). The files
live 30 minutes. Nothing to do on SQLite."""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLE, COLUMN = "depot_jobfile", "data"


def store_as_is(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {COLUMN} SET STORAGE EXTERNAL")


def compress_again(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {COLUMN} SET STORAGE EXTENDED")


class Migration(migrations.Migration):
    dependencies = [("depot", "0006_reset_requests")]

    operations = [migrations.RunPython(store_as_is, compress_again)]
