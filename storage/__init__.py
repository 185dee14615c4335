"""Embedded SQLite storage: connection, migrations and repositories that hide SQL."""
