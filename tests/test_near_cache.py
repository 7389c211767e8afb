"""Each process keeps copies of cached pages (posts.near_cache) only while it hears, over
Redis, of every change made anywhere: a copy is never served after a change."""

import uuid

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posts import caching
from posts.near_cache import NearCache
from tests.test_page_cache import without_proxy_mark

pytestmark = pytest.mark.django_db

HOME = reverse("posts:list")


def redis_cache_settings(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "posts.caching.RedisCache",
            "LOCATION": location,
            # Apart from any other run sharing this Redis, and its channel too.
            "KEY_PREFIX": f"test-near-{uuid.uuid4()}",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }


@pytest.fixture
def shared_cache(settings, redis_url):
    settings.CACHES = redis_cache_settings(redis_url)
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    return caches["default"]


@pytest.fixture
def redis_reads(monkeypatch):
    """The lookups of whole pages in Redis (not of the values pages remember)."""
    reads = []
    looked_up = caching.RedisCacheClient.get_many

    def get_many(client, keys):
        if any(":pages:" in key and not key.endswith(caching.GENERATION_KEY) for key in keys):
            reads.append(keys)
        return looked_up(client, keys)

    monkeypatch.setattr(caching.RedisCacheClient, "get_many", get_many)
    return reads


def another_process_changes(monkeypatch, sql: str, parameters: list) -> None:
    """What an edit in another app server leaves: the row changed and the change announced
    by that process's own caching code, with its own copies."""
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
    with monkeypatch.context() as elsewhere:
        elsewhere.setattr(caching, "near_cache", NearCache("pages:changes", max_bytes=1_000_000))
        caching._next_generation()


def test_a_cached_page_is_served_from_this_processs_copy_without_asking_redis(
    client, make_post, shared_cache, redis_reads
):
    make_post(title="Near")
    first = client.get(HOME)  # rendered, kept in Redis and here
    redis_reads.clear()
    for _ in range(3):
        again = client.get(HOME)
        assert again.content == first.content
        assert again["Content-Type"] == "text/html; charset=utf-8"
    assert redis_reads == []


def test_a_copy_is_never_served_after_a_change_in_another_process(
    client, make_post, shared_cache, monkeypatch, redis_reads
):
    post = make_post(title="Before the edit")
    client.get(HOME)
    assert "Before the edit" in client.get(HOME).text

    table = post._meta.db_table
    another_process_changes(
        monkeypatch, f"UPDATE {table} SET title = %s WHERE id = %s", ["After the edit", post.pk]
    )
    redis_reads.clear()
    after = client.get(HOME).text
    assert "After the edit" in after
    assert "Before the edit" not in after
    assert len(redis_reads) >= 1  # the copy was dropped: the page was looked up again


def test_this_processs_own_change_drops_its_copies_at_once(client, make_post, shared_cache):
    post = make_post(title="Mine before")
    client.get(HOME)
    post.title = "Mine after"
    post.save()
    assert "Mine after" in client.get(HOME).text


def test_no_copies_are_kept_without_redis(client, make_post, settings, redis_reads):
    settings.CACHES = redis_cache_settings("redis://127.0.0.1:9/0")  # nothing listens there
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    make_post(title="Rendered every time")
    for _ in range(2):
        response = client.get(HOME)
        assert response.status_code == 200
        assert "Rendered every time" in response.text
    assert caching.near_cache.listen(caches["default"]) is None
    assert len(redis_reads) == 2  # each request tried the shared cache, none used a copy


def test_a_copy_made_from_a_read_before_a_change_is_not_kept(shared_cache):
    near = NearCache("pages:changes", max_bytes=1_000_000)
    epoch = near.listen(shared_cache)
    assert epoch is not None
    near.announce(shared_cache)  # a change while the page was being rendered
    near.keep("page", {"content": b"old"}, epoch)
    assert near.get("page") is None

    epoch = near.listen(shared_cache)
    near.keep("page", {"content": b"new"}, epoch)
    assert near.get("page") == {"content": b"new"}


def test_a_change_announced_elsewhere_drops_every_copy(shared_cache):
    here, elsewhere = (
        NearCache("pages:changes", max_bytes=1_000_000),
        NearCache("pages:changes", max_bytes=1_000_000),
    )
    epoch = here.listen(shared_cache)
    here.keep("a", {"content": b"a"}, epoch)
    here.keep("b", {"content": b"b"}, epoch)
    elsewhere.announce(shared_cache)
    assert here.listen(shared_cache) != epoch
    assert here.get("a") is None
    assert here.get("b") is None


def test_copies_are_bounded_by_their_bytes(shared_cache):
    near = NearCache("pages:changes", max_bytes=25)
    epoch = near.listen(shared_cache)
    for key in "abc":
        near.keep(key, {"content": b"x" * 10}, epoch)
    assert near.get("a") is None  # the least recently used went
    assert near.get("b") is not None
    assert near.get("c") is not None
    near.keep("huge", {"content": b"x" * 26}, epoch)  # larger than the whole bound
    assert near.get("huge") is None


def test_no_copies_are_kept_when_the_setting_says_none(
    client, make_post, shared_cache, settings, redis_reads
):
    settings.MARKUP_NEAR_CACHE_BYTES = 0
    make_post(title="From Redis")
    for _ in range(3):
        assert "From Redis" in client.get(HOME).text
    assert len(redis_reads) == 3


@pytest.mark.parametrize(
    "address",
    [HOME, "/posts/headers/", "/tags/kept/", "/feeds/atom.xml", "/sitemap.xml", "year archive"],
)
def test_a_copy_is_answered_with_the_headers_of_the_rendered_page(
    client, make_post, shared_cache, redis_reads, address
):
    post = make_post(title="Headers", slug="headers", tags=["Kept"])
    if address == "year archive":  # a class-based view: its answer is rendered after it
        address = reverse("posts:archive-year", kwargs={"year": post.published_at.year})
    rendered = client.get(address)
    redis_reads.clear()
    copy = client.get(address)
    assert redis_reads == []  # answered from the copy
    assert copy.content == rendered.content
    assert without_proxy_mark(copy) == without_proxy_mark(rendered)
    assert copy["X-Accel-Expires"].startswith("@")
    assert copy["Vary"] == "Cookie"
    assert int(copy["Content-Length"]) == len(copy.content)


def test_a_signed_in_reader_is_never_answered_from_a_copy(client, make_post, shared_cache, staff):
    post = make_post()
    for _ in range(2):
        assert 'href="/admin/"' not in client.get(post.get_absolute_url()).text
    client.force_login(staff)
    assert 'href="/admin/"' in client.get(post.get_absolute_url()).text


def test_head_and_conditional_requests_are_answered_from_a_copy(
    client, make_post, shared_cache, redis_reads
):
    make_post()
    rendered = client.get(HOME)
    redis_reads.clear()
    head = client.head(HOME)
    assert head.content == b""
    assert head["Content-Length"] == str(len(rendered.content))
    unchanged = client.get(HOME, headers={"If-None-Match": rendered["ETag"]})
    assert unchanged.status_code == 304
    assert redis_reads == []


def test_an_address_with_other_query_parameters_is_never_answered_from_a_copy(
    client, make_post, shared_cache, redis_reads
):
    make_post()
    client.get(HOME)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{HOME}?utm_source=feed").status_code == 200
    assert len(queries) > 0  # rendered
