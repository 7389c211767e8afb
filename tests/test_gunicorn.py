import re

import pytest

from tests.servers import fetch, gunicorn, manage, site_database, site_environment

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def prepared_site(tmp_path_factory):
    """A freshly migrated, seeded database and collected static files."""
    tmp_path = tmp_path_factory.mktemp("site")
    with site_database(tmp_path) as database_url:
        environment = site_environment(database_url, tmp_path / "static")
        manage(environment, "migrate", "--noinput")
        manage(environment, "collectstatic", "--noinput")
        manage(environment, "seed_demo")
        yield environment, tmp_path


@pytest.fixture(scope="module")
def site(prepared_site):
    """A real gunicorn serving the prepared site."""
    with gunicorn(*prepared_site) as (base_url, process):
        yield base_url, process


def test_serves_the_post_list(site):
    base_url, _ = site
    status, headers, text = fetch(f"{base_url}/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Welcome to markup" in text
    assert "An unfinished draft" not in text


def test_serves_a_post(site):
    base_url, _ = site
    status, _, text = fetch(f"{base_url}/posts/a-tour-of-markdown/")
    assert status == 200
    assert '<span class="k">def</span>' in text


def test_serves_hashed_static_files_with_long_caching(site):
    base_url, _ = site
    _, _, page = fetch(f"{base_url}/")
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1)
    status, headers, text = fetch(f"{base_url}{stylesheet}")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in headers["Cache-Control"]
    assert "--measure" in text


def test_serves_the_admin_login_page(site):
    base_url, _ = site
    status, _, text = fetch(f"{base_url}/admin/login/")
    assert status == 200
    assert "Log in" in text
    assert re.search(r'href="/static/admin/css/base\.[0-9a-f]{12}\.css"', text)


def test_answers_unknown_pages_and_drafts_with_the_custom_404(site):
    base_url, _ = site
    for path in ("/posts/an-unfinished-draft/", "/nowhere/", "/?page=junk"):
        status, _, text = fetch(f"{base_url}{path}")
        assert status == 404
        assert "Page not found" in text


def test_stops_cleanly_on_sigterm(prepared_site):
    with gunicorn(*prepared_site) as (base_url, process):
        assert fetch(f"{base_url}/")[0] == 200
        process.terminate()
        assert process.wait(timeout=30) == 0
