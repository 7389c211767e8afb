import os
import re
import subprocess
import sys
import urllib.request

import pytest

from tests.servers import (
    BASE_DIR,
    fetch,
    gunicorn,
)

pytestmark = pytest.mark.server


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
    # WhiteNoise answers before most middleware: the security headers come first.
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in headers["Permissions-Policy"]


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


@pytest.mark.parametrize("entry_point", ["markup.wsgi", "markup.asgi"])
def test_the_loaded_site_is_left_out_of_full_garbage_collections(prepared_site, entry_point):
    environment, _ = prepared_site
    program = f"import gc, {entry_point}; print(gc.get_freeze_count())"
    printed = subprocess.run(
        [sys.executable, "-c", program],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    # Django, the admin and markup's own modules: tens of thousands of objects.
    assert int(printed.stdout) > 20_000


def test_every_gunicorn_setting_can_be_overridden_from_the_environment():
    overrides = {
        "BIND": ("127.0.0.1:9001", "bind", "['127.0.0.1:9001']"),
        "WORKERS": ("7", "workers", "7"),
        "WORKER_CLASS": ("gthread", "worker_class", "gthread"),
        "THREADS": ("4", "threads", "4"),
        "TIMEOUT": ("45", "timeout", "45"),
        "GRACEFUL_TIMEOUT": ("20", "graceful_timeout", "20"),
        "KEEPALIVE": ("3", "keepalive", "3"),
        "MAX_REQUESTS": ("500", "max_requests", "500"),
        "MAX_REQUESTS_JITTER": ("50", "max_requests_jitter", "50"),
        "ACCESS_LOG": ("/tmp/access.log", "accesslog", "/tmp/access.log"),
        "ERROR_LOG": ("/tmp/error.log", "errorlog", "/tmp/error.log"),
        "LOG_LEVEL": ("warning", "loglevel", "warning"),
        "ACCESS_LOG_FORMAT": ("%(h)s %(s)s", "access_log_format", "%(h)s %(s)s"),
        "LIMIT_REQUEST_LINE": ("4094", "limit_request_line", "4094"),
        "LIMIT_REQUEST_FIELDS": ("50", "limit_request_fields", "50"),
        "LIMIT_REQUEST_FIELD_SIZE": ("4096", "limit_request_field_size", "4096"),
        "FORWARDED_ALLOW_IPS": ("10.0.0.0/8", "forwarded_allow_ips", "['10.0.0.0/8']"),
    }
    environment = os.environ | {
        f"GUNICORN_{name}": value for name, (value, _, _) in overrides.items()
    }
    resolved = gunicorn_settings(environment)
    for _, setting, expected in overrides.values():
        assert resolved[setting] == expected, setting


@pytest.mark.parametrize(("behind_proxy", "trusted"), [("0", "[]"), ("1", "['127.0.0.1', '::1']")])
def test_gunicorn_trusts_forwarded_headers_only_behind_a_proxy(behind_proxy, trusted):
    settings = gunicorn_settings(os.environ | {"DJANGO_BEHIND_PROXY": behind_proxy})
    assert settings["forwarded_allow_ips"] == trusted


def gunicorn_settings(environment: dict) -> dict:
    printed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "markup.wsgi:application"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return dict(re.findall(r"^(\w+)\s+= (.*)$", printed, re.MULTILINE))


def test_access_lines_are_one_line_each_with_the_request_time(prepared_site):
    environment, folder = prepared_site
    with gunicorn(environment, folder, workers=1) as (base_url, _):
        fetch(f"{base_url}/posts/welcome-to-markup/")
        log_file = folder / f"gunicorn-{base_url.rsplit(':', 1)[1]}.log"
    access = [line for line in log_file.read_text().splitlines() if "gunicorn.access" in line]
    line = next(line for line in access if "/posts/welcome-to-markup/" in line)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO gunicorn\.access 127\.0\.0\.1 "
        r'"GET /posts/welcome-to-markup/ HTTP/1\.1" 200 \d+ \d+ms "-" "Python-urllib/[\d.]+"',
        line,
    )


def test_head_requests_get_gets_headers_and_no_body(prepared_site):
    environment, folder = prepared_site
    with gunicorn(environment, folder, workers=1) as (base_url, _):
        _, get_headers, _ = fetch(f"{base_url}/posts/welcome-to-markup/")
        request = urllib.request.Request(f"{base_url}/posts/welcome-to-markup/", method="HEAD")
        with urllib.request.urlopen(request, timeout=10) as head:
            assert head.status == 200
            assert head.read() == b""
            assert head.headers["Content-Length"] == get_headers["Content-Length"]
        log = (folder / f"gunicorn-{base_url.rsplit(':', 1)[1]}.log").read_text()
    assert "WARNING" not in log
