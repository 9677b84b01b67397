"""The database the suite runs on is the one asked for: CI sets SOFI_WEB_DATABASE_URL to a
real PostgreSQL server, and then these tests (and every database test) fail, never skip,
when it cannot be reached."""

from __future__ import annotations

import os

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_database_is_the_one_asked_for():
    url = os.environ.get("SOFI_WEB_DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone()[0] == 1


def test_migrations_match_the_models():
    """A model change without its migration fails here."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "depot", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_a_job_s_files_are_stored_as_they_come():
    """On PostgreSQL, uploads are not run through pglz (an .xlsx is a zip already: the vain
    compression cost 15 ms of the server's processor per 700 Kio workbook); the bytes come
    back intact. SQLite stores them as they come anyway."""
    from sofi_bulk.web.models import Job, JobFile

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attstorage FROM pg_attribute "
                "WHERE attrelid = 'depot_jobfile'::regclass AND attname = 'data'"
            )
            assert cursor.fetchone()[0] == "e"  # EXTERNAL: out of line, uncompressed
    data = os.urandom(300_000) + b"PK" * 100_000  # a compressible tail, kept as it is
    job = Job.objects.create(
        token="t", owner="o", purpose=Job.CHECK, file_name="x.xlsx", size=len(data)
    )
    JobFile.objects.create(job=job, kind=JobFile.UPLOAD, data=data)
    assert bytes(JobFile.objects.get(job=job).data) == data


def test_postgresql_receives_parameters_apart_from_the_query():
    """Server-side binding: an upload goes to PostgreSQL as bytes, not written out in
    hexadecimal in the query's text (700 Kio: 11 → 6 ms of the web process, 17 → 11 ms of the
    server, insert and read back)."""
    if connection.vendor != "postgresql":
        assert "server_side_binding" not in connection.settings_dict.get("OPTIONS", {})
        return
    import psycopg

    from sofi_bulk.web.models import Job, JobFile

    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    connection.ensure_connection()
    with connection.connection.cursor() as raw:
        assert not isinstance(raw, psycopg.ClientCursor)
    job = Job.objects.create(token="b", owner="o", purpose=Job.CHECK, file_name="x", size=3)
    JobFile.objects.create(job=job, kind=JobFile.UPLOAD, data=b"\x00'\\")
    assert bytes(JobFile.objects.get(job=job).data) == b"\x00'\\"


def test_the_database_url_may_turn_server_side_binding_off():
    """An operator's way out, should a query ever not bear it: ?server_side_binding=false."""
    import subprocess
    import sys

    show = "from sofi_bulk.service import settings as s; print(s.DATABASES['default']['OPTIONS'])"
    for query, expected in (("", "True"), ("?server_side_binding=false", "False")):
        env = {**os.environ, "SOFI_WEB_DATABASE_URL": "postgresql://s@127.0.0.1:1/s" + query}
        done = subprocess.run(
            [sys.executable, "-c", show], env=env, capture_output=True, text=True, check=True
        )
        assert f"'server_side_binding': {expected}" in done.stdout, done.stdout
