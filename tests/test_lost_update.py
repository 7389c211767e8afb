"""No lost update: a save made after someone else's, from an older form, is refused.

The sequential tests go through the test client; the concurrent one sends two saves at
once to a real gunicorn on PostgreSQL, and holds them both inside their transactions
until each has gone as far as it can, so the database decides the race.
"""

import os
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from posts.models import Post
from tests.servers import (
    create_superuser,
    gunicorn,
    postgres_database,
    prepare_site,
    site_environment,
)

CHANGELIST = reverse("admin:posts_post_changelist")
PASSWORD = "a long author password 7"


def change_url(post):
    return reverse("admin:posts_post_change", args=[post.pk])


@pytest.fixture
def post(make_post):
    post = make_post(
        title="Shared",
        body="Agreed text",
        published_at=timezone.now().replace(microsecond=0) - timedelta(days=1),
    )
    post.record_revision()
    return post


@pytest.fixture
def authors(db):
    """Two signed-in authors, each with a browser of their own."""
    users = get_user_model().objects
    margaret = users.create_superuser("margaret", first_name="Margaret", last_name="Hamilton")
    grace = users.create_superuser("grace", first_name="Grace", last_name="Hopper")
    clients = Client(), Client()
    for client, user in zip(clients, (margaret, grace), strict=True):
        client.force_login(user)
    return clients


def opened_form(client, post) -> dict:
    """The change form as a browser opened it: every field, and the revision it shows."""
    form = client.get(change_url(post)).context["adminform"].form
    published_at = timezone.localtime(post.published_at)
    return {
        "title": post.title,
        "slug": post.slug,
        "author": post.author_id,
        "body": post.body,
        "summary": post.summary,
        "status": post.status,
        "published_at_0": published_at.strftime("%Y-%m-%d"),
        "published_at_1": published_at.strftime("%H:%M:%S"),
        "base_revision": form["base_revision"].value() or "",
    }


@pytest.mark.django_db
def test_a_save_from_a_form_opened_before_another_save_is_refused(authors, post, now):
    margaret, grace = authors
    margarets_form, graces_form = opened_form(margaret, post), opened_form(grace, post)
    now.shift(timedelta(minutes=5))
    assert (
        margaret.post(change_url(post), margarets_form | {"body": "Margaret's text"}).status_code
        == 302
    )

    refused = grace.post(change_url(post), graces_form | {"body": "Grace's text\nand more"})
    assert refused.status_code == 200
    form = refused.context["adminform"].form
    assert form.non_field_errors() == [
        "Margaret Hamilton saved this post at Nov. 24, 2026, 12:05 p.m., after you opened it. "
        "Your text is kept below, and what changed is shown under it. Save again to replace "
        "their version with yours, or reload the page to start from theirs."
    ]
    # Grace's text stays in her form, and the difference from Margaret's is shown.
    assert form["body"].value() == "Grace's text\nand more"
    assertContains(refused, "Grace&#x27;s text\nand more</textarea>")
    assertContains(refused, "<td><del><mark>Margaret&#x27;s</mark> text</del></td>", html=True)
    assertContains(refused, "<td><ins><mark>Grace&#x27;s</mark> text</ins></td>", html=True)
    assertContains(refused, "<td><ins><mark>and more</mark></ins></td>", html=True)
    # Margaret's save is kept.
    post.refresh_from_db()
    assert post.body == "Margaret's text"
    assert post.revisions.count() == 2


@pytest.mark.django_db
def test_saving_again_after_reading_the_difference_replaces_the_other_version(authors, post):
    margaret, grace = authors
    margarets_form, graces_form = opened_form(margaret, post), opened_form(grace, post)
    margaret.post(change_url(post), margarets_form | {"body": "Margaret's text"})
    refused = grace.post(change_url(post), graces_form | {"body": "Grace's text"})
    # The refused form now carries Margaret's revision: what Grace has seen.
    form = refused.context["adminform"].form
    resent = graces_form | {"body": "Grace's text", "base_revision": form["base_revision"].value()}
    assert grace.post(change_url(post), resent).status_code == 302
    post.refresh_from_db()
    assert post.body == "Grace's text"
    assert [revision.created_by.username for revision in post.revisions.all()[:2]] == [
        "grace",
        "margaret",
    ]


@pytest.mark.django_db
def test_unpublishing_while_a_form_is_open_refuses_its_save(authors, post):
    margaret, grace = authors
    margarets_form = opened_form(margaret, post)
    grace.post(CHANGELIST, {"action": "unpublish", "_selected_action": [post.pk]})
    refused = margaret.post(change_url(post), margarets_form | {"body": "Edited"})
    assertContains(refused, "Grace Hopper saved this post at")
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT and post.body == "Agreed text"


@pytest.mark.django_db
def test_publishing_a_post_edited_since_it_was_listed_keeps_the_edit(make_post):
    draft = make_post(status=Post.Status.DRAFT, published_at=None, body="Old")
    listed = Post.objects.get(pk=draft.pk)  # as the action's selection loaded it
    draft.body = "Edited meanwhile"
    draft.save()
    listed.publish()
    draft.refresh_from_db()
    assert draft.body == "Edited meanwhile" and draft.is_public
    assert draft.revisions.get().body == "Edited meanwhile"


@pytest.mark.django_db
def test_the_add_form_is_never_refused_as_changed(authors, author):
    margaret, _ = authors
    data = {
        "title": "Fresh",
        "slug": "",
        "author": author.pk,
        "body": "New",
        "summary": "",
        "status": Post.Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
        "base_revision": "",
    }
    assert margaret.post(reverse("admin:posts_post_add"), data).status_code == 302


# Two saves at once, on PostgreSQL.


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """An HTTP client with its own cookies, signed in to the admin."""

    def __init__(self, base_url: str, username: str):
        self.base_url = base_url
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects
        )
        self.get("/admin/login/")
        status, _ = self.post("/admin/login/", {"username": username, "password": PASSWORD})
        assert status == 302, f"{username} could not sign in"

    def get(self, path: str):
        return self._open(urllib.request.Request(self.base_url + path))

    def post(self, path: str, fields: dict):
        token = next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")
        data = urlencode(fields | {"csrfmiddlewaretoken": token}, doseq=True).encode()
        return self._open(urllib.request.Request(self.base_url + path, data=data))

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.fixture(scope="module")
def postgres_site(tmp_path_factory):
    """gunicorn with two workers on a PostgreSQL database of its own, whichever database
    the suite runs on; yields (base URL, database URL)."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        server = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    server = server.rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(server, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server answers at {server} ({error}); bin/test starts one")
    folder = tmp_path_factory.mktemp("lost-update")
    with postgres_database(server) as database_url:
        environment = site_environment(database_url, folder / "static")
        prepare_site(environment)
        for username in ("margaret", "grace"):
            create_superuser(environment, username, PASSWORD)
        with gunicorn(environment, folder, workers=2) as (base_url, _):
            yield base_url, database_url


def waiting_for_locks(database: psycopg.Connection) -> int:
    return database.execute(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()[0]


@pytest.mark.server
def test_of_two_simultaneous_saves_only_one_passes(postgres_site):
    base_url, database_url = postgres_site
    authors = {"margaret": Browser(base_url, "margaret"), "grace": Browser(base_url, "grace")}
    with psycopg.connect(database_url, autocommit=True) as database:
        pk, title, slug, author, body, status, published_at = database.execute(
            "SELECT id, title, slug, author_id, body, status, published_at FROM posts_post "
            "WHERE status = 'published' ORDER BY id LIMIT 1"
        ).fetchone()
        base = database.execute(
            "SELECT max(id) FROM posts_revision WHERE post_id = %s", [pk]
        ).fetchone()[0]
    form = {
        "title": title,
        "slug": slug,
        "author": author,
        "summary": "",
        "status": status,
        "published_at_0": published_at.strftime("%Y-%m-%d"),
        "published_at_1": published_at.strftime("%H:%M:%S"),
        "base_revision": base,
    }
    answers = {}

    def save(name):
        fields = form | {"body": f"{body}\n\nWritten by {name}."}
        answers[name] = authors[name].post(f"/admin/posts/post/{pk}/change/", fields)

    with psycopg.connect(database_url) as gate:
        # Both saves can run up to the point of storing their revision, and no further.
        gate.execute("LOCK TABLE posts_revision IN EXCLUSIVE MODE")
        threads = [threading.Thread(target=save, args=(name,)) for name in authors]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        with psycopg.connect(database_url, autocommit=True) as observer:
            while waiting_for_locks(observer) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert waiting_for_locks(observer) == 2, "both saves should be in flight"
        gate.rollback()  # lets them go
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted((status, name) for name, (status, _) in answers.items())
    assert [status for status, _ in statuses] == [200, 302]
    (_, loser), (_, winner) = statuses
    loser_page = answers[loser][1]
    assert "saved this post at" in loser_page
    assert f"Written by {loser}.</textarea>" in loser_page
    with psycopg.connect(database_url, autocommit=True) as database:
        saved = database.execute("SELECT body FROM posts_post WHERE id = %s", [pk]).fetchone()
        assert saved[0].endswith(f"Written by {winner}.")
        new_revisions = database.execute(
            "SELECT count(*) FROM posts_revision WHERE post_id = %s AND id > %s", [pk, base]
        ).fetchone()
        assert new_revisions[0] == 1
