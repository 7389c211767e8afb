"""Readers' pages are accessible and well made, as Lighthouse and axe-core measure them.

One real gunicorn serves the demo content (two posts a page, so lists show their
pagination); Lighthouse 12 audits each reader page with Debian's Chromium, and axe-core
checks the same pages, search results, the admin login, a draft's preview and the 404
page in light and dark colour schemes.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGUMENTS
from tests.servers import create_superuser, gunicorn, manage

pytestmark = pytest.mark.server

TOOLS = Path(__file__).parent / "tools" / "node_modules"
LIGHTHOUSE = TOOLS / ".bin" / "lighthouse"
AXE = TOOLS / "axe-core" / "axe.min.js"
STAFF = ("grace", "a long author password 7")
# Standalone pages beside the demo posts: one published, one draft (made by manage.py shell).
PAGE_BODY = (
    "How this site is made, in Markdown.\n\n## Type\n\nThe reader's own fonts.\n\n"
    "## Code\n\n    1 + 1\n"
)
MAKE_PAGES = f"""
from posts.models import Page
Page.objects.create(title="Colophon", slug="colophon", body={PAGE_BODY!r}, status="published")
Page.objects.create(title="Unfinished page", slug="unfinished-page", body={PAGE_BODY!r})
"""
# Two posts a page, so lists show their pagination; a navigation and a footer of every kind.
SITE_SETTINGS = """
from posts.models import Page, SiteSettings, Tag
site = SiteSettings.load()
site.posts_per_page = 2
site.footer_text = "© 2026 The demo writers"
site.save()
site.navigation.create(position=1, tag=Tag.objects.get(slug="guides"))
site.navigation.create(position=2, page=Page.objects.get(slug="colophon"))
site.navigation.create(position=3, label="Django", url="https://www.djangoproject.com/")
"""

READER_PAGES = {
    "home": "/",
    "post": "/posts/a-tour-of-markdown/",
    "tag": "/tags/guides/",
    "author": "/authors/demo/",
    "archive": "/archive/",
    "search": "/search/",
    "page": "/colophon/",
}
SEARCH_RESULTS = "/search/?q=markdown"
AXE_PAGES = READER_PAGES | {
    "search-results": SEARCH_RESULTS,
    "admin-login": "/admin/login/",
    "not-found": "/nowhere/",
}
PERFECT = {"accessibility": 1, "best-practices": 1, "seo": 1}


def require(path: Path | str | None, what: str, how: str) -> None:
    if not (path and Path(path).exists()):
        pytest.skip(f"{what} is absent: {how} (bin/test does, as root)")


@pytest.fixture(scope="module")
def site(prepared_site):
    environment, folder = prepared_site
    create_superuser(environment, *STAFF)
    manage(environment, "shell", "-c", MAKE_PAGES)
    manage(environment, "shell", "-c", SITE_SETTINGS)
    with gunicorn(environment, folder) as (base_url, _):
        yield base_url


@pytest.fixture(scope="module")
def axe_source():
    require(AXE, "axe-core", "npm ci --prefix tests/tools")
    return AXE.read_text()


@pytest.fixture
def open_page(browser):
    """Opens a tab in a fresh browser context; every context is closed afterwards."""
    contexts = []

    def open_page(url: str, status: int = 200, **context_options):
        contexts.append(browser.new_context(**context_options))
        page = contexts[-1].new_page()
        assert page.goto(url).status == status
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def staff_session(site, browser):
    """A signed-in staff member's cookies, for pages only staff can see."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/admin/login/")
    page.fill("#id_username", STAFF[0])
    page.fill("#id_password", STAFF[1])
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")
    state = context.storage_state()
    context.close()
    return state


def lighthouse(url: str) -> dict:
    """Lighthouse's JSON report on url, from a fresh headless Chromium."""
    require(CHROMIUM, CHROMIUM, "apt-get install chromium")
    require(shutil.which("node"), "node", "apt-get install npm")
    require(LIGHTHOUSE, "Lighthouse", "npm ci --prefix tests/tools")
    finished = subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", "--disable-full-page-screenshot"]
        + ["--no-enable-error-reporting"]
        + ["--only-categories=accessibility,best-practices,seo"]
        + [f"--chrome-flags=--headless=new {' '.join(CHROMIUM_ARGUMENTS)}"],
        env=os.environ | {"CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert "runtimeError" not in report, report["runtimeError"]
    return report


def failing_audits(report: dict) -> dict[str, str]:
    """Each audit that cost a category points, by id: its title and the elements it names."""
    failures = {}
    for category in report["categories"].values():
        for reference in category["auditRefs"]:
            audit = report["audits"][reference["id"]]
            if reference["weight"] and audit["score"] is not None and audit["score"] < 1:
                items = audit.get("details", {}).get("items", [])
                failures[audit["id"]] = "\n    ".join(
                    [audit["title"], *(describe_item(item) for item in items)]
                )
    return failures


def describe_item(item: dict) -> str:
    node = item.get("node") or item.get("source") or {}
    parts = (node.get("selector"), node.get("snippet"), node.get("explanation"))
    return " ".join(str(part) for part in parts if part) or json.dumps(item)


def describe(failures: dict[str, str]) -> str:
    return "\n".join(f"{audit}: {text}" for audit, text in failures.items())


def axe_violations(page, axe_source: str) -> list[str]:
    """axe-core's violations on the page, one line per rule and element."""
    page.evaluate(axe_source)  # the CSP blocks a <script> tag, not the debugger's evaluate
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{violation['id']} ({violation['help']}): {' '.join(map(str, node['target']))} "
        f"{node['html']} {node['failureSummary']}"
        for violation in violations
        for node in violation["nodes"]
    ]


@pytest.mark.parametrize("path", READER_PAGES.values(), ids=READER_PAGES.keys())
def test_lighthouse_scores_reader_pages_100(site, path):
    report = lighthouse(f"{site}{path}")
    scores = {name: category["score"] for name, category in report["categories"].items()}
    assert scores == PERFECT, describe(failing_audits(report))


def test_lighthouse_faults_search_results_only_for_their_noindex(site):
    """Result pages keep out of search engines on purpose (tests/test_search.py), which
    Lighthouse counts against SEO; nothing else may cost a point."""
    failures = failing_audits(lighthouse(f"{site}{SEARCH_RESULTS}"))
    assert failures.keys() == {"is-crawlable"}, describe(failures)
    assert '<meta name="robots" content="noindex"' in failures["is-crawlable"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", AXE_PAGES.values(), ids=AXE_PAGES.keys())
def test_axe_finds_no_violation(site, open_page, axe_source, path, scheme):
    status = 404 if path == AXE_PAGES["not-found"] else 200
    page = open_page(f"{site}{path}", status, color_scheme=scheme)
    violations = axe_violations(page, axe_source)
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/posts/an-unfinished-draft/", "/unfinished-page/"])
def test_axe_finds_no_violation_in_a_draft_preview(
    site, open_page, axe_source, staff_session, path, scheme
):
    page = open_page(f"{site}{path}", color_scheme=scheme, storage_state=staff_session)
    assert page.locator(".preview-banner").is_visible()
    violations = axe_violations(page, axe_source)
    assert not violations, "\n".join(violations)
