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
