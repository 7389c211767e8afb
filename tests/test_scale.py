"""What keeps pages flat at any number of posts (posts.pagination, posts.caching.remembered)
gives the same pages as counting and OFFSET did: the same posts in the same order at
every page boundary, ties in time included, and counts right after every change."""

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from posts import caching, pagination, search, sitemaps, views
from posts.models import Post, SiteSettings, Tag

pytestmark = pytest.mark.django_db

HOME = reverse("posts:list")
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
PER_PAGE = 3


@pytest.fixture
def remembering(settings, monkeypatch):
    """The page cache on, so counts and bookmarks are remembered; pages rendered anyway."""
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    monkeypatch.setattr(caching, "_cacheable", lambda request: False)
    caching.content_changed()  # nothing remembered by an earlier test applies


@pytest.fixture(autouse=True)
def small_pages(settings, monkeypatch):
    SiteSettings.objects.update_or_create(pk=1, defaults={"posts_per_page": PER_PAGE})
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
        # the page's posts (their ids from the nearest bookmark in a subquery), their tags
        with django_assert_num_queries(2):
            client.get(HOME, {"page": last})

    deep_page_queries(10)
    deep_page_queries(30)


def test_a_deep_page_reads_its_one_bookmark_from_the_cache(client, tied_posts, remembering):
    class ReadsKept:
        """The shared cache, keeping every value it answers with."""

        def __init__(self, cache):
            self.cache, self.values = cache, []

        def get_many(self, keys):
            found = self.cache.get_many(keys)
            self.values += [entry["value"] for entry in found.values() if isinstance(entry, dict)]
            return found

        def __getattr__(self, name):
            return getattr(self.cache, name)

    client.get(HOME, {"page": 6})  # every bookmark is remembered now
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(caching, "cache", reads := ReadsKept(caching.cache))
        assert titles_of(client.get(HOME, {"page": 6})) == expected_order(tied_posts)[15:]

    def is_bookmark(value) -> bool:
        return isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], datetime)

    twelfth = Post.objects.in_list_order().values_list("published_at", "created_at", "pk")[11]
    assert [value for value in reads.values if is_bookmark(value)] == [twelfth]
    assert not any(
        isinstance(value, list) and any(map(is_bookmark, value)) for value in reads.values
    )


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


SEARCH = reverse("posts:search")


def searched(client, words: str) -> list[str]:
    """The titles of every page of results, in order."""
    first = client.get(SEARCH, {"q": words})
    titles = titles_of(first)
    for number in range(2, first.context["page"].paginator.num_pages + 1):
        titles += titles_of(client.get(SEARCH, {"q": words, "page": number}))
    return titles


def ranked_plainly(fts5_query: str, newest: int) -> list[str]:
    """What SQLite's search gave before it bounded FTS5's reading: every match ranked by
    bm25(), kept if among the ``newest`` matches by id and published."""
    index, weights = search.INDEX_NAME, ", ".join(map(str, search.SQLITE_WEIGHTS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.title FROM posts_post p JOIN {index} ON {index}.rowid = p.id "
            f"WHERE {index} MATCH %s AND p.id IN (SELECT rowid FROM {index} "
            f"WHERE {index} MATCH %s ORDER BY rowid DESC LIMIT %s) "
            f"ORDER BY bm25({index}, {weights}), p.published_at DESC, p.id DESC",
            [fts5_query, fts5_query, newest],
        )
        ranked = cursor.fetchall()
    published = set(Post.objects.published().values_list("pk", flat=True))
    return [title for pk, title in ranked if pk in published]


@pytest.fixture
def searchable_posts(make_post):
    """Posts matching in their title, summary or body, once or often, some published at one
    moment, with drafts and a scheduled post among the newest matches."""
    noon = timezone.now().replace(microsecond=0) - timedelta(days=3)
    kinds = [
        {"title": "Comet ferry"},
        {"title": "Ferry", "summary": "A comet seen from the ferry."},
        {"title": "Harbour", "body": "comet " * 3 + "and a ferry"},
        {"title": "Harbour lights", "body": "The comet, once."},
        {"title": "Comet comet", "summary": "Comet."},
    ]
    for number in range(20):
        status = Post.Status.DRAFT if number % 6 == 5 else Post.Status.PUBLISHED
        published_at = noon - timedelta(hours=number // 3) if status == "published" else None
        fields = kinds[number % len(kinds)] | {"slug": f"post-{number}"}
        make_post(status=status, published_at=published_at, **fields)
    make_post(title="Comet due tomorrow", published_at=timezone.now() + timedelta(days=1))


@pytest.mark.sqlite
@pytest.mark.parametrize("newest", [4, 9, 1_000])
@pytest.mark.parametrize("words", ["comet", "comet ferry", "harbour or ferry -lights"])
def test_sqlite_search_ranks_the_newest_matches_as_ranking_every_match_did(
    client, searchable_posts, monkeypatch, newest, words
):
    monkeypatch.setattr(search, "RANKED_MATCHES", newest)
    expected = ranked_plainly(search.fts5_query(words), newest)
    assert expected
    assert searched(client, words) == expected
    assert client.get(SEARCH, {"q": words}).context["page"].paginator.count == len(expected)


def test_search_counts_follow_publish_unpublish_and_delete_at_once(
    client, make_post, staff, remembering
):
    def count() -> int:
        return client.get(SEARCH, {"q": "quokka"}).context["page"].paginator.count

    posts = [make_post(title=f"Quokka {number}") for number in range(4)]
    assert count() == 4
    draft = make_post(title="Quokka draft", status=Post.Status.DRAFT, published_at=None)
    assert count() == 4
    draft.publish(by=staff)
    assert count() == 5
    posts[0].unpublish(by=staff)
    assert count() == 4
    posts[1].delete()
    assert count() == 3
    assert sorted(searched(client, "quokka")) == ["Quokka 2", "Quokka 3", "Quokka draft"]


# The sitemap's posts parts: each from its bookmark, every published post once, in order.


def sitemap_part(client, number: int) -> list[str]:
    response = client.get("/sitemap-posts.xml", {"p": number})
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    return [urlsplit(loc.text).path for loc in root.iter(f"{SITEMAP_NS}loc")]


def addresses_in_list_order() -> list[str]:
    published = Post.objects.published().order_by("-published_at", "-created_at", "-pk")
    return [post.get_absolute_url() for post in published]


# 4 URLs a part: each part starts at a bookmark, as 500 do in production; 3 do not.
@pytest.mark.parametrize("per_part", [4, 3])
@pytest.mark.parametrize("remember", [True, False], ids=["remembering", "page-cache-off"])
def test_sitemap_parts_list_every_post_once_in_list_order_through_changes(
    client, tied_posts, request, monkeypatch, staff, per_part, remember
):
    if remember:
        request.getfixturevalue("remembering")
    monkeypatch.setattr(sitemaps.PublicSitemap, "limit", per_part)

    def parts_as_expected():
        order = addresses_in_list_order()
        parts = -(-len(order) // per_part)
        listed = [sitemap_part(client, number) for number in range(1, parts + 1)]
        assert listed == [
            order[start : start + per_part] for start in range(0, len(order), per_part)
        ]
        assert client.get("/sitemap-posts.xml", {"p": parts + 1}).status_code == 404

    parts_as_expected()
    tied_posts[2].unpublish(by=staff)
    parts_as_expected()
    tied_posts[9].delete()
    parts_as_expected()
    tied_posts[2].publish(by=staff)
    parts_as_expected()


def test_a_deep_sitemap_part_makes_one_query_once_remembered(
    client, tied_posts, remembering, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(sitemaps.PublicSitemap, "limit", 4)
    expected = sitemap_part(client, 4)  # the count and the bookmarks are remembered now
    with django_assert_num_queries(1):  # the part's posts, walked from its bookmark
        assert sitemap_part(client, 4) == expected


# The admin's post list: the same posts as the plain way, without its costs at 100k.

CHANGELIST = reverse("admin:posts_post_changelist")


@pytest.fixture
def editor_client(client, staff):
    client.force_login(staff)
    return client


def listed(editor_client, query: dict) -> list[str]:
    response = editor_client.get(CHANGELIST, query)
    assert response.status_code == 200
    return [post.title for post in response.context["cl"].result_list]


@pytest.fixture
def admin_posts(make_post, now):
    """Posts of every status, tied in time, with words to search and tags to filter by."""
    noon = timezone.now() - timedelta(days=2)
    texts = [
        ("Rendering tables", "Markdown tables render once, on save.", ["markdown", "notes"]),
        ("Caching pages", "The page cache keeps rendered pages.", ["notes"]),
        ("Quokka sighting", "A quokka on the island, and a chair.", ["travel", "notes"]),
        ("Draft about tables", "Unfinished: tables and caching.", ["markdown"]),
        ("Haystack", "Looking for the needle.", []),
    ]
    posts = []
    for number, (title, body, tags) in enumerate(texts):
        status = Post.Status.DRAFT if title.startswith("Draft") else Post.Status.PUBLISHED
        published_at = None if status == Post.Status.DRAFT else noon - timedelta(hours=number // 2)
        posts.append(
            make_post(title=title, body=body, tags=tags, status=status, published_at=published_at)
        )
    return posts


def plain_order(posts) -> list[str]:
    # The admin's order: Post.Meta.ordering, then the primary key that makes it total.
    return list(
        posts.order_by("-published_at", "-created_at", "-pk").values_list("title", flat=True)
    )


def test_the_admin_list_is_in_the_plain_order(editor_client, admin_posts):
    assert listed(editor_client, {}) == plain_order(Post.objects.all())


@pytest.mark.parametrize(
    "words", ["tables", "table", "render", "hayst", "caching tables", "QUOKKA"]
)
def test_admin_search_finds_what_icontains_finds_for_words_and_their_beginnings(
    editor_client, admin_posts, words
):
    plain = Post.objects.all()
    for word in words.split():
        plain = plain.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        )
    assert plain.exists()
    assert listed(editor_client, {"q": words}) == plain_order(plain)


@pytest.mark.parametrize("words", ["nowhere", "!!!", '"', "nowhere -cache OR (", "a\\b 'c'"])
def test_admin_search_for_nothing_findable_lists_nothing(editor_client, admin_posts, words):
    assert listed(editor_client, {"q": words}) == []


def test_admin_tag_filter_lists_each_post_once_in_order_without_distinct(
    editor_client, admin_posts
):
    for tag in Tag.objects.all():
        with CaptureQueriesContext(connection) as queries:
            titles = listed(editor_client, {"tags__id__exact": tag.pk})
        assert titles == plain_order(Post.objects.filter(tags=tag).distinct())
        assert not any("DISTINCT" in query["sql"] for query in queries.captured_queries)
    both = listed(
        editor_client, {"tags__id__exact": Tag.objects.get(name="notes").pk, "q": "table"}
    )
    assert both == ["Rendering tables"]


@pytest.mark.parametrize("value", ["x", "1.5", ""])
def test_a_bad_tag_in_the_admin_filter_is_refused_without_an_error(
    editor_client, admin_posts, value
):
    response = editor_client.get(CHANGELIST, {"tags__id__exact": value})
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert response["Location"].endswith("?e=1")


def test_the_admin_date_filter_lists_this_year_and_undated_posts(editor_client, admin_posts):
    year = timezone.localdate().year
    this_year = {
        "published_at__gte": str(timezone.make_aware(datetime(year, 1, 1))),
        "published_at__lt": str(timezone.make_aware(datetime(year + 1, 1, 1))),
    }
    assert listed(editor_client, this_year) == plain_order(Post.objects.exclude(published_at=None))
    assert listed(editor_client, {"published_at__isnull": "True"}) == ["Draft about tables"]


ADMIN_ORDER = (
    "SELECT id FROM posts_post ORDER BY published_at DESC, created_at DESC, id DESC LIMIT 100"
)


@pytest.mark.sqlite
@pytest.mark.parametrize("query", [{}, {"tags__id__exact": "notes"}, {"q": "tables"}])
def test_sqlite_walks_the_admin_order_index_when_filtering_and_searching(
    editor_client, admin_posts, query
):
    if "tags__id__exact" in query:
        query = {"tags__id__exact": Tag.objects.get(name="notes").pk}
    plan = editor_client.get(CHANGELIST, query).context["cl"].queryset.explain()
    assert "post_admin_order" in plan
    assert "TEMP B-TREE" not in plan


@pytest.mark.sqlite
def test_sqlite_checks_the_tag_post_by_post_rather_than_listing_its_posts_first(
    editor_client, admin_posts
):
    """A list of every post with the tag costs as much as the tag has posts; checking each
    post of the page costs as much as the page."""
    query = {"tags__id__exact": Tag.objects.get(name="notes").pk}
    plan = editor_client.get(CHANGELIST, query).context["cl"].queryset.explain()
    assert "CORRELATED" in plan
    assert "LIST SUBQUERY" not in plan


@pytest.mark.postgresql
def test_postgresql_can_walk_an_index_for_the_admin_order(db):
    with connection.cursor() as cursor:
        # Without sorting to fall back on, as at 100k posts where sorting costs seconds.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {ADMIN_ORDER}")
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "post_admin_order" in plan
    assert "Sort" not in plan


def test_the_shared_cache_keeps_one_redis_client_and_serves_pages_from_it(
    client, make_post, settings, redis_url
):
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    settings.CACHES = {
        "default": {
            "BACKEND": "posts.caching.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-scale-{uuid.uuid4()}",
        }
    }
    from django.core.cache import cache

    make_post(title="Kept")
    assert cache._cache.get_client() is cache._cache.get_client(write=True)
    first = client.get(HOME)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(HOME)
    assert second.content == first.content
    assert "Kept" in second.text
    assert len(queries.captured_queries) == 0
