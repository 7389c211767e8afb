"""Whole public pages come from the cache until something they show changes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from posts import caching
from posts.models import Post, SiteSettings, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    """Page caching on, over whatever cache the suite runs with (Redis when REDIS_URL)."""
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    caching.content_changed()  # nothing cached by an earlier test applies


def test_a_second_visit_is_served_from_the_cache_without_queries(
    client, make_post, django_assert_num_queries
):
    make_post(title="Cached")
    first = client.get(reverse("posts:list"))
    with django_assert_num_queries(0):
        second = client.get(reverse("posts:list"))
    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == "text/html; charset=utf-8"


def test_saving_a_post_refreshes_its_page_and_the_lists(client, make_post):
    post = make_post(title="Before")
    client.get(post.get_absolute_url())
    client.get(reverse("posts:list"))
    post.title = "After"
    post.save()
    assert "After" in client.get(post.get_absolute_url()).text
    assert "After" in client.get(reverse("posts:list")).text


def test_a_bulk_update_refreshes_pages(client, make_post):
    post = make_post(title="Before")
    client.get(post.get_absolute_url())
    Post.objects.filter(pk=post.pk).update(title="Bulk edit")
    assert "Bulk edit" in client.get(post.get_absolute_url()).text


def test_tagging_a_post_refreshes_the_tag_page(client, make_post):
    post = make_post(title="Untagged yet")
    tag = Tag.objects.create(name="Later")
    assert "Untagged yet" not in client.get(tag.get_absolute_url()).text
    post.tags.add(tag)
    assert "Untagged yet" in client.get(tag.get_absolute_url()).text


def test_deleting_a_post_removes_it_from_cached_lists(client, make_post):
    post = make_post(title="Short-lived")
    assert "Short-lived" in client.get(reverse("posts:list")).text
    Post.objects.filter(pk=post.pk).delete()
    assert "Short-lived" not in client.get(reverse("posts:list")).text


def test_renaming_an_author_refreshes_bylines(client, make_post, author):
    post = make_post()
    client.get(post.get_absolute_url())
    author.first_name = "Augusta"
    author.save()
    assert "Augusta" in client.get(post.get_absolute_url()).text


def test_a_scheduled_post_is_listed_when_due_though_the_list_was_cached(client, make_post, now):
    make_post(title="Due soon", published_at=timezone.now() + timedelta(seconds=60))
    assert "Due soon" not in client.get(reverse("posts:list")).text
    now.shift(timedelta(seconds=61))
    assert "Due soon" in client.get(reverse("posts:list")).text


def test_pages_are_cached_per_page_number(client, make_post, settings):
    SiteSettings.objects.update_or_create(pk=1, defaults={"posts_per_page": 1})
    make_post(title="Aardvark", published_at=timezone.now() - timedelta(days=2))
    make_post(title="Zebra")
    assert "Zebra" in client.get("/").text
    second_page = client.get("/?page=2").text
    assert "Aardvark" in second_page
    assert "Zebra" not in second_page


def test_unknown_query_parameters_bypass_the_cache(client, make_post):
    make_post()
    client.get("/?utm_source=feed")
    with CaptureQueriesContext(connection) as queries:
        client.get("/?utm_source=feed")
    assert len(queries) > 0  # rendered again


def test_signed_in_readers_get_their_own_page_and_never_a_cached_one(client, make_post, staff):
    post = make_post()
    client.get(post.get_absolute_url())  # cached for anonymous readers
    client.force_login(staff)
    assert 'href="/admin/"' in client.get(post.get_absolute_url()).text
    client.logout()
    assert 'href="/admin/"' not in client.get(post.get_absolute_url()).text


def test_not_found_is_not_cached(client, make_post):
    assert client.get("/posts/coming-up/").status_code == 404
    make_post(title="Coming up", slug="coming-up")
    assert client.get("/posts/coming-up/").status_code == 200


def test_pages_are_served_when_the_cache_is_unreachable(client, make_post, unreachable_cache):
    make_post(title="Still here")
    response = client.get(reverse("posts:list"))
    assert response.status_code == 200
    assert "Still here" in response.text


def test_page_caching_is_off_without_a_shared_cache():
    from tests.test_configuration import STRONG_KEY, resolved_settings

    assert resolved_settings("MARKUP_PAGE_CACHE_SECONDS", DJANGO_SECRET_KEY=STRONG_KEY) == {
        "MARKUP_PAGE_CACHE_SECONDS": 0
    }
    with_redis = resolved_settings(
        "MARKUP_PAGE_CACHE_SECONDS", DJANGO_SECRET_KEY=STRONG_KEY, REDIS_URL="redis://r:6379/0"
    )
    assert with_redis == {"MARKUP_PAGE_CACHE_SECONDS": 300}


@pytest.mark.parametrize("address", ["/feeds/atom.xml", "/sitemap.xml", "/"])
def test_a_cached_page_keeps_the_headers_its_view_gave(client, make_post, address):
    make_post()
    rendered = client.get(address)
    with CaptureQueriesContext(connection) as queries:
        cached = client.get(address)
    assert len(queries) == 0
    assert cached.content == rendered.content
    assert without_proxy_mark(cached) == without_proxy_mark(rendered)


def without_proxy_mark(response) -> dict:
    """The headers but X-Accel-Expires, which names the second the answer was made in."""
    return {name: value for name, value in response.items() if name != "X-Accel-Expires"}
