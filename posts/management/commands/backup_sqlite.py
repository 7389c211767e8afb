"""A consistent copy of the SQLite database, taken while the site runs."""

import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = (
        "Copy the SQLite database to FILE with SQLite's online backup: consistent even "
        "while the site keeps writing. (PostgreSQL: use pg_dump, see docs/backups.md.)"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Where to write the copy (a new file).")

    def handle(self, *args, file, **options):
        if connection.vendor != "sqlite":
            raise CommandError(
                f"The database is {connection.vendor}, not SQLite: back it up with pg_dump "
                "(see docs/backups.md)."
            )
        if file.exists():
            raise CommandError(f"{file} exists already: choose a new file.")
        partial = file.with_name(f".{file.name}.partial")
        connection.ensure_connection()
        try:
            with sqlite3.connect(partial) as copy:
                connection.connection.backup(copy)
                problems = copy.execute("PRAGMA integrity_check").fetchone()[0]
            copy.close()
            if problems != "ok":
                raise CommandError(f"The copy failed its integrity check: {problems}")
            partial.rename(file)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(self.style.SUCCESS(f"Backed up the database to {file}."))
