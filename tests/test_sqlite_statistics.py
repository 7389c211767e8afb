"""SQLite keeps the query planner's statistics up to date (markup/sqlite3): Django never
runs ANALYZE, and without statistics SQLite plans some of markup's queries badly."""

import sqlite3

import pytest

from tests.servers import manage, site_environment
from tests.test_configuration import STRONG_KEY, resolved_settings

pytestmark = pytest.mark.server

READ_AND_CLOSE = """
from django.contrib.auth.models import User
from django.db import connection
from posts.models import Post

author = User.objects.create(username="writer")
Post.objects.bulk_create(
    Post(title=f"Post {number}", slug=f"post-{number}", body="Text", author=author)
    for number in range(50)
)
list(Post.objects.filter(status="draft").order_by("-created_at")[:10])
connection.close()  # as at the end of a connection's life in a worker
"""


def test_sqlite_sites_use_markups_backend():
    for url in (None, "sqlite:////var/lib/markup/db.sqlite3"):
        variables = {"DJANGO_SECRET_KEY": STRONG_KEY} | ({"DATABASE_URL": url} if url else {})
        database = resolved_settings("DATABASES", **variables)["DATABASES"]["default"]
        assert database["ENGINE"] == "markup.sqlite3"


def test_a_closing_connection_leaves_statistics_for_the_tables_it_read(tmp_path):
    database = tmp_path / "site.sqlite3"
    environment = site_environment(f"sqlite:///{database}", tmp_path / "static")
    manage(environment, "migrate")
    assert "posts_post" not in analyzed_tables(database)
    manage(environment, "shell", "-c", READ_AND_CLOSE)
    assert "posts_post" in analyzed_tables(database)


def analyzed_tables(database) -> set[str]:
    with sqlite3.connect(database) as rows:
        if not rows.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchall():
            return set()
        return {table for (table,) in rows.execute("SELECT DISTINCT tbl FROM sqlite_stat1")}
