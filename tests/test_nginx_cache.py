"""nginx's micro-cache (deploy/nginx/markup-https.conf), with real nginx in front of an app
that counts what reaches it and says which version of its content it served."""

import re
import shutil
import ssl
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from tests.servers import NGINX_SITES, free_port, nginx

pytestmark = pytest.mark.server

SESSION = "sessionid=a-signed-in-reader"


class CountingApp:
    """A stand-in for markup: answers every path with the content's version, marked for
    the micro-cache as markup marks public pages (except /unmarked/), counts requests per
    path, and sets a cookie on /sets-a-cookie/."""

    def __init__(self):
        self.version = 1
        self.requests: dict[str, int] = {}
        self.delay = 0.0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"] + (
            "?" + environ["QUERY_STRING"] if environ["QUERY_STRING"] else ""
        )
        with self.lock:
            self.requests[path] = self.requests.get(path, 0) + 1
        time.sleep(self.delay)
        headers = [("Content-Type", "text/html; charset=utf-8")]
        # /lasting/ pages are kept for 10 s, to test caching and the lock apart from the
        # expiry: markup's own pages expire at the end of their second.
        lasting = 10 if path.startswith("/lasting/") else 0
        if not path.startswith("/unmarked/"):
            headers.append(("X-Accel-Expires", f"@{int(time.time()) + lasting}"))
        if path.startswith("/sets-a-cookie/"):
            headers.append(("Set-Cookie", "csrftoken=fresh; Path=/"))
        start_response("200 OK", headers)
        return [f"<p>version {self.version}</p>".encode()]

    def count(self, path: str) -> int:
        return self.requests.get(path, 0)


class QuietThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def nginx_tools():
    for tool, package in (("nginx", "nginx-light"), ("openssl", "openssl")):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            pytest.skip(f"{tool} is absent: apt-get install {package} (bin/test does, as root)")


@contextmanager
def counting_app():
    app = CountingApp()
    port = free_port()
    server = make_server(
        "127.0.0.1", port, app, server_class=QuietThreadingServer, handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def proxied(nginx_tools, tmp_path_factory):
    """(the app, a function GETting a path through nginx over HTTPS: (status, headers, text))."""
    folder = tmp_path_factory.mktemp("nginx-cache")
    static_root = folder / "static"
    static_root.mkdir()
    with counting_app() as (app, app_url), nginx(folder, static_root, [app_url]) as (_, https_url):
        context = ssl.create_default_context(cafile=folder / "cert.pem")

        def get(path: str, cookie: str | None = None):
            request = urllib.request.Request(f"{https_url}{path}")
            if cookie:
                request.add_header("Cookie", cookie)
            with urllib.request.urlopen(request, context=context, timeout=10) as response:
                return response.status, response.headers, response.read().decode()

        yield app, get


def test_a_public_page_is_served_from_the_cache(proxied):
    app, get = proxied
    texts = [get("/lasting/cached/")[2] for _ in range(5)]
    assert app.count("/lasting/cached/") == 1
    assert texts == [texts[0]] * 5


def test_an_edit_is_served_within_a_second(proxied):
    app, get = proxied
    get("/posts/edited/")
    app.version += 1
    edited_at = time.monotonic()
    served = []
    while time.monotonic() - edited_at < 3:
        served.append((time.monotonic() - edited_at, get("/posts/edited/")[2]))
        if f"version {app.version}" in served[-1][1]:
            break
        time.sleep(0.02)
    fresh_after = served[-1][0]
    assert f"version {app.version}" in served[-1][1]
    assert fresh_after <= 1.0 + 0.1  # the second, and one request's time


def test_signed_in_readers_are_never_served_a_cached_page(proxied):
    app, get = proxied
    get("/posts/for-readers/")
    for _ in range(3):
        get("/posts/for-readers/", cookie=SESSION)
    assert app.count("/posts/for-readers/") == 4


def test_signed_in_pages_never_fill_the_cache(proxied):
    app, get = proxied
    get("/posts/first-seen-signed-in/", cookie=SESSION)
    get("/posts/first-seen-signed-in/")
    get("/posts/first-seen-signed-in/")
    # The signed-in answer was not kept; the first reader's was.
    assert app.count("/posts/first-seen-signed-in/") == 2


def test_answers_markup_does_not_mark_are_never_cached(proxied):
    app, get = proxied
    for _ in range(3):
        get("/unmarked/")
    assert app.count("/unmarked/") == 3


def test_the_mark_is_not_passed_on(proxied):
    _, get = proxied
    assert "X-Accel-Expires" not in get("/posts/marked/")[1]


def test_answers_that_set_a_cookie_are_never_cached(proxied):
    app, get = proxied
    for _ in range(3):
        status, headers, _ = get("/sets-a-cookie/")
        assert headers["Set-Cookie"] == "csrftoken=fresh; Path=/"
    assert app.count("/sets-a-cookie/") == 3


@pytest.mark.parametrize("path", ["/admin/", "/readyz", "/healthz"])
def test_the_admin_and_the_probes_always_reach_the_app(proxied, path):
    app, get = proxied
    for _ in range(3):
        get(path)
    assert app.count(path) == 3


def test_query_strings_are_part_of_the_key(proxied):
    app, get = proxied
    get("/?page=2")
    get("/?page=3")
    get("/?page=2")
    assert (app.count("/?page=2"), app.count("/?page=3")) == (1, 1)


def test_a_burst_on_a_cold_page_reaches_the_app_once(proxied):
    app, get = proxied
    app.delay = 0.3
    try:
        threads = [threading.Thread(target=get, args=("/lasting/burst/",)) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        app.delay = 0.0
    assert app.count("/lasting/burst/") == 1


def test_the_cache_is_bounded():
    site = "\n".join(path.read_text() for path in NGINX_SITES)
    cache_path = re.search(r"proxy_cache_path\s[^;]+;", site).group(0)
    assert re.search(r"\bmax_size=\d+[mg]\b", cache_path)
    assert re.search(r"\bkeys_zone=markup_pages:\d+m\b", cache_path)
    assert re.search(r"\binactive=\d+m\b", cache_path)


@pytest.mark.django_db
def test_markup_marks_public_pages_for_the_rest_of_the_second(client, make_post):
    post = make_post(title="Public")
    for path in (post.get_absolute_url(), "/", "/feeds/atom.xml", "/sitemap.xml"):
        before = int(time.time())
        mark = client.get(path)["X-Accel-Expires"]
        assert before <= int(mark.removeprefix("@")) <= int(time.time())


@pytest.mark.django_db
def test_markup_marks_nothing_for_signed_in_users_drafts_or_errors(client, make_post, staff):
    draft = make_post(title="Draft", status="draft")
    assert "X-Accel-Expires" not in client.get("/posts/no-such-post/")
    client.force_login(staff)
    assert "X-Accel-Expires" not in client.get("/")
    assert "X-Accel-Expires" not in client.get(draft.get_absolute_url())
