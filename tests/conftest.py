import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest
import redis
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
def media_root(settings, tmp_path):
    """Uploads go to a folder of the test's own, never into the project."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


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


CHROMIUM = "/usr/bin/chromium"
# Headless mode is added where Chromium starts: Playwright and Lighthouse spell it apart.
CHROMIUM_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Runs in every document before the page's own scripts; CSP does not apply to it.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
    window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI}`
        + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent: apt-get install chromium (bin/test does, as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", *CHROMIUM_ARGUMENTS]
        )
        yield browser
        browser.close()


def watched_page(browser):
    """A tab in a browser context of its own (its own cookies and storage) that records
    every CSP violation and console error in ``page.problems``."""
    context = browser.new_context()
    problems = []
    context.expose_binding("reportViolation", lambda source, text: problems.append(text))
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console",
        lambda message: message.type == "error" and problems.append(message.text),
    )
    page.problems = problems
    return page


@pytest.fixture
def page(browser):
    """A fresh browser tab that records every CSP violation and console error."""
    page = watched_page(browser)
    yield page
    page.context.close()


@pytest.fixture(scope="session")
def redis_url():
    """A Redis server's URL: the suite's own, else bin/test's, else the standard port."""
    url = (
        os.environ.get("REDIS_URL")
        or os.environ.get("TEST_REDIS_URL")
        or "redis://127.0.0.1:6379/0"
    )
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis server answers at {url} ({error}); bin/test starts one as root")
    return url


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


def pytest_collection_modifyitems(config, items):
    """Tests of one database engine's own features are left out on the other: CI runs the
    suite on both, so each runs there, and neither counts as skipped."""
    from django.db import connection

    other_engines = {"sqlite", "postgresql"} - {connection.vendor}
    deselected = [item for item in items if other_engines & {m.name for m in item.iter_markers()}]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


def pytest_sessionfinish(session, exitstatus):
    """With MARKUP_FORBID_SKIPS=1 (as .ci/run sets), a skipped test fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("MARKUP_FORBID_SKIPS") == "1" and skipped and exitstatus == 0:
        reporter.write_line(f"MARKUP_FORBID_SKIPS: {len(skipped)} test(s) skipped", red=True)
        session.exitstatus = 1
