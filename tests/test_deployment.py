"""The production shape, for real: nginx (deploy/nginx/markup.conf) terminating TLS in
front of two gunicorn instances that share one PostgreSQL database and one Redis.

PostgreSQL and Redis are taken from DATABASE_URL / REDIS_URL when they name servers,
else from TEST_POSTGRES_URL / TEST_REDIS_URL, else from their standard local ports;
bin/test (as root) makes sure both answer.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
import pytest

from tests.servers import (
    TcpRelay,
    create_superuser,
    gunicorn,
    nginx,
    postgres_database,
    prepare_site,
    site_environment,
)

pytestmark = pytest.mark.server

EDITOR_PASSWORD = "a long editor password 7"
# What the MDN HTTP Observatory scores, as Django sends it over HTTPS.
OBSERVATORY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Sent by nginx for the answers it gives itself, with the values Django sends.
SECURITY_HEADERS = (
    *OBSERVATORY_HEADERS,
    "Content-Security-Policy",
    "Cross-Origin-Opener-Policy",
    "Permissions-Policy",
)
# A second loopback address: through nginx, the client gunicorn's log should name.
CLIENT_ADDRESS = "127.0.0.2"


@pytest.fixture(scope="module")
def postgres_server():
    """The URL of a PostgreSQL server's maintenance database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server answers at {url} ({error}); bin/test starts one as root")
    return url


@pytest.fixture(scope="module")
def production(tmp_path_factory, postgres_server, redis_url):
    """A prepared site and the environment its app servers run with in production."""
    folder = tmp_path_factory.mktemp("production")
    with postgres_database(postgres_server) as database_url:
        environment = site_environment(database_url, folder / "static") | {
            "REDIS_URL": redis_url,
            "DJANGO_HTTPS": "1",
            "DJANGO_BEHIND_PROXY": "1",
        }
        prepare_site(environment)
        create_superuser(environment, "editor", EDITOR_PASSWORD)
        yield environment, folder


@pytest.fixture(scope="module")
def proxy_tools():
    for tool, package in (("nginx", "nginx-light"), ("openssl", "openssl")):
        if not (shutil.which(tool) or os.path.exists(f"/usr/sbin/{tool}")):
            pytest.skip(f"{tool} is absent: apt-get install {package} (bin/test does, as root)")


@contextmanager
def two_app_servers_behind_nginx(environment: dict, folder: Path):
    with (
        gunicorn(environment, folder) as (a_url, a_process),
        gunicorn(environment, folder) as (b_url, _),
        nginx(folder, folder / "static", [a_url, b_url], environment) as (http_url, https_url),
    ):
        yield {
            "a": a_url,
            "a_process": a_process,
            "b": b_url,
            "http": http_url,
            "https": https_url,
            "certificate": folder / "cert.pem",
            "folder": folder,
        }


@pytest.fixture(scope="module")
def cluster(production, proxy_tools):
    """Two app servers, A and B, behind nginx."""
    with two_app_servers_behind_nginx(*production) as servers:
        yield servers


class Client:
    """A minimal HTTP client: keeps cookies, never follows redirects.

    ``proxy_says_https`` adds the header nginx adds, for talking to an app server as
    the proxy would; ``address`` is a local address to connect from.
    """

    def __init__(self, certificate=None, proxy_says_https=False, address=None):
        self.context = ssl.create_default_context(cafile=certificate) if certificate else None
        self.proxy_says_https = proxy_says_https
        self.source = (address, 0) if address else None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, form: dict | None = None, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.netloc, timeout=15, context=self.context, source_address=self.source
            )
        else:
            connection = http.client.HTTPConnection(
                parts.netloc, timeout=15, source_address=self.source
            )
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.proxy_says_https:
            headers["X-Forwarded-Proto"] = "https"
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            origin = f"https://{parts.netloc}"
            headers |= {"Origin": origin, "Referer": origin + parts.path}
        connection.request(
            method, parts.path + ("?" + parts.query if parts.query else ""), body, headers
        )
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return response

    def get(self, url, **headers):
        return self.request("GET", url, headers=headers)

    def post(self, url, form):
        return self.request("POST", url, form=form)

    def sign_in(self, base_url: str):
        self.get(f"{base_url}/admin/login/")
        response = self.post(
            f"{base_url}/admin/login/?next=/admin/",
            {
                "username": "editor",
                "password": EDITOR_PASSWORD,
                "csrfmiddlewaretoken": self.cookies["csrftoken"],
            },
        )
        assert response.status == 302, response.text
        return response


class FormValues(HTMLParser):
    """The values a browser would submit for the first <form method=post> on a page."""

    def __init__(self, page: str):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self.textarea = self.select = None
        self.feed(page)

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in ("submit", "file"):
            if attributes.get("type") in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.values.setdefault(name, []).append(attributes.get("value") or "")
        elif tag == "textarea":
            self.textarea = name
            self.values[name] = [""]
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attributes:
            self.values.setdefault(self.select, []).append(attributes.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea][0] += data


def test_pages_are_served_through_nginx_over_https(cluster):
    response = Client(cluster["certificate"]).get(f"{cluster['https']}/")
    assert response.status == 200
    assert "Welcome to markup" in response.text
    assert response.headers["Server"] == "nginx"  # no gunicorn, no version
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert_security_headers(response)


def assert_security_headers(response, expected: dict | None = None):
    """Each security header once, with Django's value; the Observatory's as it wants them."""
    for header in SECURITY_HEADERS:
        assert len(response.headers.get_all(header) or []) == 1, header
        if expected:
            assert parts(response.headers[header]) == parts(expected[header]), header
    for header, value in OBSERVATORY_HEADERS.items():
        assert response.headers[header] == value, header
    assert "Access-Control-Allow-Origin" not in response.headers


def parts(value: str) -> set[str]:
    """A header's directives, whatever their order (django-csp's varies between processes)."""
    return {part.strip() for part in value.split(";")}


def public_paths(client: "Client", base_url: str) -> set[str]:
    """The home page and every page, feed and static file it links to on this site."""
    home = client.get(f"{base_url}/").text
    links = re.findall(r'(?:href|src)="(/[^/"][^"]*)"', home)
    return {"/", *(link.replace("&amp;", "&") for link in links)}


def test_every_answer_through_nginx_carries_the_observatory_headers(cluster):
    client = Client(cluster["certificate"])
    page = client.get(f"{cluster['https']}/")
    django_values = {header: page.headers[header] for header in SECURITY_HEADERS}
    paths = public_paths(client, cluster["https"])
    assert any(path.startswith("/static/") for path in paths)
    assert any(path.startswith("/posts/") for path in paths)
    missing = {"/no-such-page/", "/static/no-such-file.css"}
    for path in sorted(paths | missing):
        response = client.get(f"{cluster['https']}{path}")
        assert response.status == (404 if path in missing else 200), path
        assert_security_headers(response, django_values)
    too_large = client.post(f"{cluster['https']}/admin/login/", {"body": "x" * 2_000_000})
    assert too_large.status == 413
    assert_security_headers(too_large, django_values)


def test_tls_for_other_host_names_is_refused_in_the_handshake(cluster):
    context = ssl.create_default_context(cafile=cluster["certificate"])
    port = urlsplit(cluster["https"]).port
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as connection,
        pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"),
    ):
        context.wrap_socket(connection, server_hostname="scanner.example")


def test_gunicorns_access_log_names_the_client_behind_nginx(cluster):
    client = Client(cluster["certificate"], address=CLIENT_ADDRESS)
    response = client.get(f"{cluster['https']}/?from=log-test", **{"X-Forwarded-For": "10.6.6.6"})
    assert response.status == 200
    assert f' {CLIENT_ADDRESS} "GET /?from=log-test HTTP/1.1" 200 ' in access_line(
        cluster, "log-test"
    )


def test_gunicorn_believes_forwarded_addresses_only_from_its_proxy(cluster):
    client = Client(proxy_says_https=True, address=CLIENT_ADDRESS)
    spoofed = {"X-Forwarded-For": "10.6.6.6"}
    assert client.get(f"{cluster['a']}/healthz?from=spoof-test", **spoofed).status == 200
    assert f' {CLIENT_ADDRESS} "GET /healthz?from=spoof-test' in access_line(cluster, "spoof-test")


def access_line(cluster, marker: str) -> str:
    """The app servers' access line for the request with ?from=marker; gunicorn writes
    it just after the answer."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for log in cluster["folder"].glob("gunicorn-*.log"):
            for line in log.read_text().splitlines():
                if f"from={marker} " in line:
                    return line
        time.sleep(0.1)
    raise AssertionError(f"no access line for ?from={marker}")


def test_nginx_closes_requests_for_other_host_names_unanswered(cluster):
    client = Client(cluster["certificate"])
    for url in (cluster["https"], cluster["http"]):
        with pytest.raises(http.client.RemoteDisconnected):
            client.get(f"{url}/", Host="scanner.example")
    app_logs = "".join(log.read_text() for log in cluster["folder"].glob("gunicorn-*.log"))
    assert "scanner.example" not in app_logs


def test_static_files_are_served_by_nginx_with_long_caching(cluster):
    client = Client(cluster["certificate"])
    page = client.get(f"{cluster['https']}/").text
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1)
    response = client.get(f"{cluster['https']}{stylesheet}", **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/css"
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    unhashed = client.get(f"{cluster['https']}/static/favicon.svg")
    assert unhashed.status == 200
    assert unhashed.headers["Cache-Control"] == "public, max-age=3600"
    # nginx answered from STATIC_ROOT: neither app server saw the request.
    app_logs = "".join(log.read_text() for log in cluster["folder"].glob("gunicorn-*.log"))
    assert stylesheet not in app_logs


def test_the_proxys_https_is_honoured(cluster):
    client = Client(cluster["certificate"])
    response = client.get(f"{cluster['https']}/admin/login/")
    assert response.status == 200  # not redirected: Django knows the request was HTTPS
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "upgrade-insecure-requests" in response.headers["Content-Security-Policy"]


def test_nginx_refuses_oversized_bodies_before_they_reach_gunicorn(cluster):
    response = Client(cluster["certificate"]).post(
        f"{cluster['https']}/admin/login/", {"body": "x" * 2_000_000}
    )
    assert response.status == 413


def test_password_guessing_through_nginx_is_throttled_even_with_spoofed_addresses(cluster):
    client = Client(cluster["certificate"])
    client.get(f"{cluster['https']}/admin/login/")

    def guess(spoofed_address: str):
        return client.request(
            "POST",
            f"{cluster['https']}/admin/login/",
            form={
                "username": "guessed-name",
                "password": "guess",
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
            },
            headers={"X-Forwarded-For": spoofed_address, "X-Real-IP": spoofed_address},
        ).status

    answers = [guess(f"10.9.8.{attempt}") for attempt in range(6)]
    assert answers == [200] * 4 + [429] * 2  # the fifth failure locks (limit 5)


def test_plain_http_is_sent_to_https(cluster):
    response = Client().get(f"{cluster['http']}/posts/welcome-to-markup/")
    assert response.status == 301
    assert response.headers["Location"].startswith("https://localhost/")
    assert response.headers["Location"].endswith("/posts/welcome-to-markup/")


def test_a_forwarded_proto_header_is_ignored_without_a_proxy(production):
    """A client cannot claim HTTPS when DJANGO_BEHIND_PROXY is off."""
    environment, folder = production
    environment = environment | {"DJANGO_BEHIND_PROXY": "0"}
    with gunicorn(environment, folder, workers=1) as (base_url, _):
        response = Client(proxy_says_https=True).get(f"{base_url}/")
    assert response.status == 301
    assert response.headers["Location"].startswith("https://")


def test_an_edit_through_a_is_served_fresh_by_b(cluster):
    reader = Client(proxy_says_https=True)
    # Enough visits for each of B's workers to keep a copy of the page (posts.near_cache).
    for _ in range(6):
        before = reader.get(f"{cluster['b']}/posts/welcome-to-markup/")
        assert before.status == 200
        assert "Edited through A" not in before.text

    editor = Client(proxy_says_https=True)
    editor.sign_in(cluster["a"])
    changelist = editor.get(f"{cluster['a']}/admin/posts/post/?q=Welcome").text
    change_path = re.search(r'href="(/admin/posts/post/\d+/change/)', changelist).group(1)
    form = FormValues(editor.get(f"{cluster['a']}{change_path}").text).values
    form["title"] = ["Edited through A"]
    form["body"] = [form["body"][0] + "\n\nA new *closing* line."]
    saved = editor.post(f"{cluster['a']}{change_path}", form)
    assert saved.status == 302, saved.text

    for _ in range(6):
        after = reader.get(f"{cluster['b']}/posts/welcome-to-markup/")
        assert "Edited through A" in after.text
        assert "A new <em>closing</em> line." in after.text
    # B knows the session A started: sessions are shared too.
    assert editor.get(f"{cluster['b']}/admin/").status == 200


def test_through_nginx_an_edit_shows_within_a_second_and_editors_never_get_cached_pages(
    cluster,
):
    """deploy/'s micro-cache in front of markup itself, not a stand-in app."""
    home = f"{cluster['https']}/"
    reader = Client(cluster["certificate"])
    assert "Edited behind the cache" not in reader.get(home).text  # now in nginx's cache

    editor = Client(cluster["certificate"])
    editor.sign_in(cluster["https"])
    changelist = editor.get(f"{cluster['https']}/admin/posts/post/?q=Scheduling").text
    link = r'href="(/admin/posts/post/\d+/change/)[^"]*">Scheduling posts</a>'
    change_path = re.search(link, changelist).group(1)
    form = FormValues(editor.get(f"{cluster['https']}{change_path}").text).values
    form["title"] = ["Edited behind the cache"]
    saved = editor.post(f"{cluster['https']}{change_path}", form)
    assert saved.status == 302, saved.text

    # A signed-in editor is never served the cached page, nor does their page fill it.
    signed_in = editor.get(home).text
    assert "Edited behind the cache" in signed_in
    assert 'href="/admin/"' in signed_in
    time.sleep(1.05)
    fresh = reader.get(home).text
    assert "Edited behind the cache" in fresh
    assert 'href="/admin/"' not in fresh


def test_readyz_reports_ok_through_every_instance(cluster):
    for name in ("a", "b"):
        response = Client().get(f"{cluster[name]}/readyz")
        assert response.status == 200, name
        assert response.headers["Content-Type"] == "application/json"


def test_nginx_keeps_serving_when_an_app_server_is_killed(production, proxy_tools):
    with two_app_servers_behind_nginx(*production) as servers:
        client = Client(servers["certificate"])
        assert client.get(f"{servers['https']}/").status == 200
        os.killpg(servers["a_process"].pid, signal.SIGKILL)
        servers["a_process"].wait()
        statuses = [client.get(f"{servers['https']}/").status for _ in range(40)]
        assert statuses == [200] * 40


@pytest.fixture
def database_outage(production, postgres_server):
    """An app server whose database connection runs through a relay the test can cut:
    yields (base URL, relay, gunicorn's log file)."""
    environment, folder = production
    server = urlsplit(postgres_server)
    relay = TcpRelay(server.hostname, server.port or 5432)
    relay.start()
    credentials = server.username + (f":{server.password}" if server.password else "")
    database = urlsplit(environment["DATABASE_URL"])
    through_relay = database._replace(netloc=f"{credentials}@127.0.0.1:{relay.port}")
    environment = environment | {"DATABASE_URL": through_relay.geturl()}
    with gunicorn(environment, folder, workers=1) as (base_url, _):
        yield base_url, relay, folder / f"gunicorn-{urlsplit(base_url).port}.log"
    relay.stop()


def test_readyz_answers_503_while_the_database_is_unreachable(database_outage):
    base_url, relay, _ = database_outage
    client = Client()
    assert client.get(f"{base_url}/readyz").status == 200
    relay.stop()
    down = client.get(f"{base_url}/readyz")
    assert down.status == 503
    assert '"database": "OperationalError: unreachable"' in down.text
    assert client.get(f"{base_url}/healthz").status == 200
    relay.start()
    assert client.get(f"{base_url}/readyz").status == 200


def test_a_database_outage_is_logged_on_one_line_and_cached_pages_survive_it(database_outage):
    base_url, relay, log_file = database_outage
    reader = Client(proxy_says_https=True)
    assert reader.get(f"{base_url}/posts/welcome-to-markup/").status == 200  # now cached
    relay.stop()
    assert reader.get(f"{base_url}/posts/welcome-to-markup/").status == 200
    # Past the cache (an unknown parameter), the page needs the database.
    failed = reader.get(f"{base_url}/posts/welcome-to-markup/?from=feed")
    assert failed.status == 500
    assert "Server error" in failed.text
    relay.start()
    error = next(line for line in log_file.read_text().splitlines() if "django.request" in line)
    assert " ERROR django.request Internal Server Error: /posts/welcome-to-markup/" in error
    assert "\\nTraceback (most recent call last):\\n" in error
    assert error.endswith("accepting TCP/IP connections?")  # the last line of the traceback


def test_a_graceful_restart_loses_no_requests(production):
    """HUP makes gunicorn replace every worker; a burst of requests meanwhile all succeed."""
    environment, folder = production
    with gunicorn(environment, folder, workers=2) as (base_url, process):
        statuses, stop = [], threading.Event()

        def read_pages():
            client = Client(proxy_says_https=True)
            while not stop.is_set() and len(statuses) < 2000:
                try:
                    statuses.append(client.get(f"{base_url}/posts/a-tour-of-markdown/").status)
                except (OSError, http.client.HTTPException) as error:
                    statuses.append(repr(error))  # a dropped connection is a lost request

        readers = [threading.Thread(target=read_pages) for _ in range(4)]
        for reader in readers:
            reader.start()
        time.sleep(0.5)
        for _ in range(2):
            os.kill(process.pid, signal.SIGHUP)
            time.sleep(1.5)
        # On a busy machine fresh workers answer their first requests slowly: read on
        # until enough requests have come back, through the new workers too.
        deadline = time.monotonic() + 60
        while len(statuses) < 100 and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
        log = next(folder.glob(f"gunicorn-{urlsplit(base_url).port}.log")).read_text()
    assert log.count("Handling signal: hup") == 2
    assert len(statuses) > 50
    assert [status for status in statuses if status != 200] == []
