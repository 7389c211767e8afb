import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from posts.models import Post, Tag
from tests.servers import prepare_site, site_database, site_environment


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Templates resolve {% static %} without a collectstatic manifest."""
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """Pages are rendered for every request; tests of the page cache turn it on."""
    settings.MARKUP_PAGE_CACHE_SECONDS = 0


@pytest.fixture(scope="module")
def prepared_site(tmp_path_factory):
    """For server tests: a migrated, seeded database and collected static files, as
    (environment for manage.py and gunicorn, folder for their files)."""
    folder = tmp_path_factory.mktemp("site")
    with site_database(folder) as database_url:
        environment = site_environment(database_url, folder / "static")
        prepare_site(environment)
        yield environment, folder


@pytest.fixture
def unreachable_cache(settings):
    """Django's Redis cache pointed where no Redis listens: every call fails to connect."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: connections refused
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }


@pytest.fixture
def now():
    """Freeze time at a known moment; the traveller can move it on."""
    with time_machine.travel(datetime(2026, 11, 24, 12, 0, tzinfo=UTC), tick=False) as t:
        yield t


@pytest.fixture
def author(django_user_model):
    return django_user_model.objects.create_user("ada", first_name="Ada", last_name="Lovelace")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("editor", password="pw-editor-1")


@pytest.fixture
def make_post(db, author):
    def make(tags=(), **fields):
        defaults = {
            "title": "Hello",
            "body": "**hi**",
            "author": author,
            "status": Post.Status.PUBLISHED,
            "published_at": timezone.now() - timedelta(days=1),
        }
        post = Post.objects.create(**defaults | fields)
        post.tags.set(Tag.objects.get_or_create(name=name)[0] for name in tags)
        return post

    return make


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}"


def pytest_sessionfinish(session, exitstatus):
    """With MARKUP_FORBID_SKIPS=1 (as .ci/run sets), a skipped test fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("MARKUP_FORBID_SKIPS") == "1" and skipped and exitstatus == 0:
        reporter.write_line(f"MARKUP_FORBID_SKIPS: {len(skipped)} test(s) skipped", red=True)
        session.exitstatus = 1
def pytest_collection_modifyitems(config, items):
    """Tests of one database engine's own features are left out on the other: CI runs the
    suite on both, so each runs there, and neither counts as skipped."""
    from django.db import connection

    other_engines = {"sqlite", "postgresql"} - {connection.vendor}
    deselected = [item for item in items if other_engines & {m.name for m in item.iter_markers()}]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


