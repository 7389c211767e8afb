"""Security headers on every answer, and admin logins that cannot be guessed quickly."""

import pytest
from django.urls import reverse

from posts.models import Page
from tests.test_configuration import STRONG_KEY, resolved_settings

BEHIND_PROXY_SETTINGS = resolved_settings(
    "AXES_IPWARE_META_PRECEDENCE_ORDER",
    DJANGO_SECRET_KEY=STRONG_KEY,
    DJANGO_BEHIND_PROXY="1",
)


def policy(response) -> dict[str, str]:
    """The Content-Security-Policy as {directive: sources}."""
    directives = (part.strip() for part in response["Content-Security-Policy"].split(";"))
    return dict((directive + " ").split(" ", 1) for directive in directives if directive)


@pytest.fixture
def answers(client, make_post, staff):
    """One answer of each kind the site gives: pages, errors, the admin, probes."""
    post = make_post(title="Headers")
    moved = make_post(title="Moved away")
    moved.slug = "moved-here"
    moved.save()
    page = Page.objects.create(title="About", slug="about", body="Hi", status="published")
    paths = [
        reverse("posts:list"),
        post.get_absolute_url(),
        post.get_markdown_url(),
        page.get_absolute_url(),
        "/posts/moved-away/",  # a post's old address: 301 to its new one
        reverse("posts:author", kwargs={"username": post.author.username}),
        reverse("posts:archive"),
        reverse("posts:site-feed", kwargs={"filename": "atom.xml"}),
        reverse("posts:sitemap"),
        reverse("posts:robots"),
        reverse("posts:llms"),
        "/no-such-page/",
        reverse("admin:login"),
        "/healthz",
        reverse("posts:search") + "?q=headers",
    ]
    return {path: client.get(path) for path in paths}


def test_every_answer_carries_the_security_headers(answers):
    for path, response in answers.items():
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Referrer-Policy"] == "same-origin", path
        assert response["X-Frame-Options"] == "DENY", path
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", path
        assert response["Cross-Origin-Resource-Policy"] == "same-origin", path
        assert "camera=()" in response["Permissions-Policy"], path
        assert "geolocation=()" in response["Permissions-Policy"], path


def test_content_security_policy_allows_only_this_origin_and_no_inline_code(answers):
    for path, response in answers.items():
        directives = policy(response)
        assert directives["default-src"].strip() == "'none'", path
        for kind in ("script-src", "style-src", "img-src", "connect-src", "font-src"):
            assert directives[kind].strip() == "'self'", (path, kind)
        assert directives["frame-ancestors"].strip() == "'none'", path
        assert directives["object-src"].strip() == "'none'", path
        assert "unsafe" not in response["Content-Security-Policy"], path


def test_hsts_is_sent_only_over_https(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    assert "Strict-Transport-Security" not in client.get("/healthz")
    secure = client.get("/healthz", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_plain_http_is_redirected_to_https_except_for_probes(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("posts:list"))
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/"
    assert client.get("/healthz").status_code == 200


def test_session_and_csrf_cookies_are_httponly(client, staff):
    login_page = client.get(reverse("admin:login"))
    assert login_page.cookies["csrftoken"]["httponly"]
    client.post(reverse("admin:login"), {"username": "editor", "password": "pw-editor-1"})
    assert client.cookies["sessionid"]["httponly"]


def sign_in(client, password: str):
    return client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": "editor", "password": password},
        REMOTE_ADDR="203.0.113.7",
    )


def test_admin_login_is_throttled_after_repeated_failures(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "guess").status_code == 200  # the form, with an error
    locked = sign_in(client, "guess")
    assert locked.status_code == 429
    assert "Too many attempts" in locked.text
    assert "Please wait 15 minutes" in locked.text
    # Even the right password waits out the cool-off.
    assert sign_in(client, "pw-editor-1").status_code == 429


def test_throttling_counts_per_address(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "guess")
    elsewhere = client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": "editor", "password": "pw-editor-1"},
        REMOTE_ADDR="198.51.100.9",
    )
    assert elsewhere.status_code == 302


def test_a_successful_login_resets_the_count(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "guess")
    assert sign_in(client, "pw-editor-1").status_code == 302
    client.logout()
    assert sign_in(client, "guess").status_code == 200


def test_healthz_answers_without_the_database(client):
    # No db fixture: pytest-django fails the test on any database access.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_probes_answer_whatever_host_a_load_balancer_uses(client, db):
    for probe in ("/healthz", "/readyz"):
        assert client.get(probe, HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_probes_accept_head_and_refuse_writes(client, db):
    for probe in ("/healthz", "/readyz"):
        assert client.head(probe).status_code == 200
        assert client.post(probe).status_code == 405


def test_readyz_answers_ok_when_database_and_cache_answer(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_names_an_unreachable_cache(client, db, unreachable_cache):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "failed": {"cache": "ConnectionError: unreachable"},
    }


def sign_in_through_nginx(client, address: str, claimed="", password="guess"):
    """As nginx passes it on: X-Real-IP is the address it saw, set over anything the
    client sent; X-Forwarded-For is what the client claimed, with that address added."""
    forwarded_for = f"{claimed}, {address}" if claimed else address
    return client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": "editor", "password": password},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP=address,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.fixture
def behind_proxy(settings):
    """The throttling settings DJANGO_BEHIND_PROXY=1 gives."""
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = BEHIND_PROXY_SETTINGS[
        "AXES_IPWARE_META_PRECEDENCE_ORDER"
    ]


def test_behind_a_proxy_spoofed_forwarded_addresses_do_not_escape_throttling(
    client, staff, settings, behind_proxy
):
    answers = [
        sign_in_through_nginx(client, "203.0.113.7", claimed=f"10.0.0.{attempt}").status_code
        for attempt in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert answers[-1] == 429


def test_behind_a_proxy_each_client_address_is_throttled_on_its_own(
    client, staff, settings, behind_proxy
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in_through_nginx(client, "203.0.113.7")
    assert sign_in_through_nginx(client, "203.0.113.7").status_code == 429
    other = sign_in_through_nginx(client, "198.51.100.9", password="pw-editor-1")
    assert other.status_code == 302
