"""What keeps pages flat at any number of posts (posts.pagination, posts.caching.remembered)
gives the same pages as counting and OFFSET did: the same posts in the same order at
every page boundary, ties in time included, and counts right after every change."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from posts import caching, pagination, search, views
from posts.models import Post

pytestmark = pytest.mark.django_db

HOME = reverse("posts:list")
PER_PAGE = 3


@pytest.fixture
def remembering(settings, monkeypatch):
    """The page cache on, so counts and bookmarks are remembered; pages rendered anyway."""
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    monkeypatch.setattr(caching, "_cacheable", lambda request: False)
    caching.content_changed()  # nothing remembered by an earlier test applies


@pytest.fixture(autouse=True)
def small_pages(settings, monkeypatch):
    settings.MARKUP_POSTS_PER_PAGE = PER_PAGE
    monkeypatch.setattr(pagination, "BOOKMARK_EVERY", 4)


@pytest.fixture
def tied_posts(make_post):
    """17 posts, most sharing their publication time with others, some their creation time."""
    noon = timezone.now().replace(microsecond=0) - timedelta(days=3)
    posts = []
    for number in range(17):
        published_at = noon - timedelta(hours=number // 5)  # runs of five at one moment
        posts.append(make_post(title=f"Post {number:02d}", published_at=published_at, tags=["t"]))
    # Created at one moment too, as a bulk import makes them: only the id tells them apart.
    Post.objects.filter(pk__in=[post.pk for post in posts[5:10]]).update(
        created_at=posts[5].created_at
    )
    for post in posts:
        post.refresh_from_db()
    return posts


def titles_of(response) -> list[str]:
    return [post.title for post in response.context["page"]]


def expected_order(posts) -> list[str]:
    """What a plain ORDER BY gives: the list order, without bookmarks or remembering."""
    ordered = Post.objects.filter(pk__in=[post.pk for post in posts])
    return list(
        ordered.order_by("-published_at", "-created_at", "-pk").values_list("title", flat=True)
    )


def every_page(client, path: str) -> list[list[str]]:
    first = client.get(path)
    pages = [titles_of(first)]
    for number in range(2, first.context["page"].paginator.num_pages + 1):
        pages.append(titles_of(client.get(path, {"page": number})))
    return pages


@pytest.mark.parametrize("remember", [True, False], ids=["remembering", "page-cache-off"])
@pytest.mark.parametrize("path", [HOME, "/tags/t/"])
def test_pages_hold_the_posts_of_a_plain_order_by_at_every_boundary(
    client, tied_posts, request, path, remember
):
    if remember:
        request.getfixturevalue("remembering")
    order = expected_order(tied_posts)
    pages = every_page(client, path)
    assert pages == [order[start : start + PER_PAGE] for start in range(0, len(order), PER_PAGE)]


def test_a_second_reading_from_remembered_bookmarks_gives_the_same_pages(
    client, tied_posts, remembering
):
    first = every_page(client, HOME)
    assert every_page(client, HOME) == first


def test_the_last_page_and_one_past_it(client, tied_posts, remembering):
    assert titles_of(client.get(HOME, {"page": 6})) == expected_order(tied_posts)[15:]
    assert client.get(HOME, {"page": 7}).status_code == 404


def test_neighbours_follow_the_list_order_through_ties(tied_posts):
    order = expected_order(tied_posts)
    by_title = {post.title: post for post in tied_posts}
    for newer, older in zip(order, order[1:], strict=False):
        assert by_title[newer].previous_post().title == older
        assert by_title[older].next_post().title == newer


def page_count(client, path=HOME) -> int:
    return client.get(path).context["page"].paginator.count


def test_counts_follow_publish_unpublish_and_delete(client, make_post, staff, remembering):
    posts = [make_post(title=f"P{number}") for number in range(4)]
    assert page_count(client) == 4
    draft = make_post(title="Draft", status=Post.Status.DRAFT)
    assert page_count(client) == 4
    draft.publish(by=staff)
    assert page_count(client) == 5
    posts[0].unpublish(by=staff)
    assert page_count(client) == 4
    posts[1].delete()
    assert page_count(client) == 3
    Post.objects.filter(pk=posts[2].pk).update(status=Post.Status.DRAFT)
    assert page_count(client) == 2


def test_tag_counts_follow_tag_changes(client, make_post, remembering):
    post = make_post(title="Tagged", tags=["t"])
    make_post(title="Also tagged", tags=["t"])
    assert page_count(client, "/tags/t/") == 2
    post.tags.clear()
    assert page_count(client, "/tags/t/") == 1


def test_a_scheduled_post_is_counted_when_it_is_due(client, make_post, remembering):
    make_post(title="Now")
    make_post(title="Later", published_at=timezone.now() + timedelta(hours=1))
    assert page_count(client) == 1
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert page_count(client) == 2


def test_the_archive_index_follows_changes(client, make_post, remembering):
    post = make_post(title="Only")
    assert client.get(reverse("posts:archive")).status_code == 200
    post.unpublish()
    assert client.get(reverse("posts:archive")).status_code == 404


def test_a_deep_page_makes_a_fixed_number_of_queries_once_remembered(
    client, make_post, remembering, django_assert_num_queries
):
    def deep_page_queries(posts: int) -> None:
        for number in range(posts):
            make_post(title=f"P{number}", tags=["t"])
        last = -(-Post.objects.count() // PER_PAGE)
        client.get(HOME, {"page": last})  # counts and bookmarks are remembered now
        # the ids of the page (from the nearest bookmark), their posts, their tags
        with django_assert_num_queries(3):
            client.get(HOME, {"page": last})

    deep_page_queries(10)
    deep_page_queries(30)


def test_search_ranks_only_the_newest_matches(client, make_post, monkeypatch):
    monkeypatch.setattr(search, "RANKED_MATCHES", 3)
    monkeypatch.setattr(views, "RANKED_MATCHES", 3)
    # Written in the order they were published, as posts usually are: the newest by
    # publication (PostgreSQL) and by id (SQLite's FTS5) are the same three.
    for number in range(5):
        make_post(
            title=f"Quokka {number}", published_at=timezone.now() - timedelta(days=5 - number)
        )
    response = client.get(reverse("posts:search"), {"q": "quokka"})
    assert sorted(titles_of(response)) == ["Quokka 2", "Quokka 3", "Quokka 4"]
    assert "The 3 newest results for “quokka”" in response.text
