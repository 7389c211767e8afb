"""Reader pages beyond the lists: archives, authors, neighbours, link previews, Markdown twins."""

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains

from posts import caching
from posts.models import Post, SiteSettings
from tests.html import Inventory

pytestmark = pytest.mark.django_db


def at(year, month, day=15):
    return datetime(year, month, day, 12, tzinfo=UTC)


def meta(html: str) -> dict[str, list[str]]:
    """Every <meta> of a page as {name or property: [contents]}."""
    found = {}
    for tag, attrs in Inventory(html).elements:
        if tag == "meta" and "content" in attrs:
            key = attrs.get("name") or attrs.get("property")
            found.setdefault(key, []).append(attrs["content"])
    return found


def links(html: str, rel: str) -> list[dict]:
    return [
        attrs for tag, attrs in Inventory(html).elements if tag == "link" and attrs["rel"] == rel
    ]


def structured_data(html: str) -> dict:
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


@pytest.fixture
def archive_posts(make_post, now):
    return {
        "march": make_post(title="March post", published_at=at(2025, 3)),
        "march-2": make_post(title="Another March post", published_at=at(2025, 3, 20)),
        "july": make_post(title="July post", published_at=at(2025, 7)),
        "this-year": make_post(title="This year", published_at=at(2026, 1)),
        "draft": make_post(title="Draft", status=Post.Status.DRAFT, published_at=at(2025, 3)),
        "scheduled": make_post(title="Scheduled", published_at=at(2026, 12)),
    }


# Archives


def test_archive_lists_years_and_months_with_post_counts(client, archive_posts):
    response = client.get(reverse("posts:archive"))
    assertInHTML(
        '<li><a href="/archive/2025/03/">March 2025</a> <span class="count">(2 posts)</span></li>',
        response.text,
    )
    assertInHTML(
        '<li><a href="/archive/2025/07/">July 2025</a> <span class="count">(1 post)</span></li>',
        response.text,
    )
    assertInHTML('<h2 id="Year-2026"><a href="/archive/2026/">2026</a></h2>', response.text)
    assertNotContains(response, "December 2026")  # only a scheduled post there


def test_year_archive_lists_that_years_published_posts(client, archive_posts):
    response = client.get(reverse("posts:archive-year", args=[2025]))
    for title in ("March post", "Another March post", "July post"):
        assertContains(response, title)
    for title in ("This year", "Draft"):
        assertNotContains(response, title)


def test_month_archive_lists_that_months_published_posts(client, archive_posts):
    response = client.get("/archive/2025/03/")
    assertContains(response, "<h1>Posts from March 2025</h1>", html=True)
    assertContains(response, "Another March post")
    assertNotContains(response, "July post")
    assertNotContains(response, "Draft")


def test_archives_paginate(client, archive_posts, settings):
    SiteSettings.objects.update_or_create(pk=1, defaults={"posts_per_page": 2})
    assertContains(client.get("/archive/2025/?page=2"), "March post")
    assert client.get("/archive/2025/?page=3").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/archive/2024/",  # empty
        "/archive/2025/05/",  # empty month
        "/archive/2026/12/",  # only a scheduled post: the future
        "/archive/2027/",  # future
        "/archive/2025/13/",
        "/archive/2025/00/",
        "/archive/0/",
        "/archive/99999/",
        "/archive/2025/99999999999999999999/",
        "/archive/2025/03/?page=junk",
    ],
)
def test_empty_future_or_invalid_periods_answer_404(client, archive_posts, path):
    assert client.get(path).status_code == 404


def test_archive_of_an_empty_site_answers_404(client, db):
    assert client.get(reverse("posts:archive")).status_code == 404


# Authors


def test_author_page_lists_their_published_posts(client, make_post, author, django_user_model):
    other = django_user_model.objects.create_user("grace", first_name="Grace")
    make_post(title="Ada's post")
    make_post(title="Ada's draft", status=Post.Status.DRAFT)
    make_post(title="Grace's post", author=other)
    response = client.get(reverse("posts:author", kwargs={"username": "ada"}))
    assertContains(response, "<h1>Posts by Ada Lovelace</h1>", html=True)
    assertContains(response, "Ada&#x27;s post")
    assertNotContains(response, "Ada&#x27;s draft")
    assertNotContains(response, "Grace")


def test_usernames_with_punctuation_have_pages(client, make_post, django_user_model):
    odd = django_user_model.objects.create_user("o.d+d@x-y_z")
    make_post(title="Odd", author=odd)
    assert odd.get_absolute_url() == "/authors/o.d+d@x-y_z/"
    assertContains(client.get(odd.get_absolute_url()), "Posts by o.d+d@x-y_z")


@pytest.mark.parametrize("username", ["nobody", "staffer"])
def test_unknown_authors_and_those_with_nothing_published_answer_404(
    client, make_post, django_user_model, username
):
    staffer = django_user_model.objects.create_user("staffer", is_staff=True)
    make_post(title="Draft", author=staffer, status=Post.Status.DRAFT)
    assert client.get(f"/authors/{username}/").status_code == 404


def test_every_byline_links_to_the_author_page(client, make_post):
    post = make_post(title="Linked")
    author_link = '<a href="/authors/ada/" rel="author">Ada Lovelace</a>'
    for url in ("/", post.get_absolute_url(), "/archive/", "/authors/ada/"):
        if url != "/archive/":
            assertInHTML(author_link, client.get(url).text)


def test_author_page_offers_the_authors_feeds(client, make_post):
    make_post()
    html = client.get("/authors/ada/").text
    feeds = links(html, "alternate")
    assert {feed["type"] for feed in feeds} == {
        "application/atom+xml",
        "application/rss+xml",
        "application/feed+json",
    }
    assert all("/authors/ada/" in feed["href"] for feed in feeds)


# Older, newer and related posts


def test_post_links_to_the_older_and_newer_published_posts(client, make_post):
    oldest = make_post(title="Oldest", published_at=at(2025, 1))
    make_post(title="Draft between", status=Post.Status.DRAFT, published_at=at(2025, 2))
    middle = make_post(title="Middle", published_at=at(2025, 3))
    newest = make_post(title="Newest", published_at=at(2025, 4))
    html = client.get(middle.get_absolute_url()).text
    assertInHTML(
        f'<a href="{oldest.get_absolute_url()}" rel="prev"><span>Older</span> Oldest</a>', html
    )
    assertInHTML(
        f'<a href="{newest.get_absolute_url()}" rel="next"><span>Newer</span> Newest</a>', html
    )
    assert 'rel="next"' not in client.get(newest.get_absolute_url()).text
    assert 'rel="prev"' not in client.get(oldest.get_absolute_url()).text


def test_posts_published_at_the_same_moment_are_still_neighbours(make_post):
    same = at(2025, 5)
    first, second, third = (make_post(title=t, published_at=same) for t in "ABC")
    assert second.previous_post() == first
    assert second.next_post() == third
    assert first.previous_post() is None


def test_related_posts_share_the_most_tags(client, make_post):
    post = make_post(title="Subject", tags=["a", "b", "c"])
    two = make_post(title="Shares two", tags=["a", "b"], published_at=at(2025, 1))
    one_newer = make_post(title="Shares one, newer", tags=["c"], published_at=at(2025, 6))
    one_older = make_post(title="Shares one, older", tags=["a"], published_at=at(2025, 2))
    make_post(title="Shares one, oldest", tags=["b"], published_at=at(2024, 1))
    make_post(title="Draft sharing all", tags=["a", "b", "c"], status=Post.Status.DRAFT)
    make_post(title="Unrelated", tags=["z"])
    assert post.related_posts() == [two, one_newer, one_older]
    html = client.get(post.get_absolute_url()).text
    assertInHTML(f'<li><a href="{two.get_absolute_url()}">Shares two</a></li>', html)
    related = html.split('id="Related-heading"')[1].split("</aside>")[0]
    assert "Unrelated" not in related


def test_a_post_without_tags_has_no_related_posts(client, make_post):
    post = make_post(title="Lonely")
    make_post(title="Other", tags=["x"])
    assert post.related_posts() == []
    assertNotContains(client.get(post.get_absolute_url()), "Related posts")


# Titles, descriptions, canonical addresses and link previews


def test_every_public_page_has_a_description_and_an_absolute_canonical_url(
    client, make_post, settings
):
    notes = "Notes on <things> & stuff"
    SiteSettings.objects.update_or_create(pk=1, defaults={"description": notes})
    post = make_post(title="Described", summary="A summary", tags=["t"])
    pages = {
        "/?utm_source=x&page=1": ("Notes on <things> & stuff", "http://testserver/"),
        "/?page=1&fbclid=junk": ("Notes on <things> & stuff", "http://testserver/"),
        f"{post.get_absolute_url()}?ref=feed": (
            "A summary",
            f"http://testserver{post.get_absolute_url()}",
        ),
        "/tags/t/": (None, "http://testserver/tags/t/"),
        "/authors/ada/": (None, "http://testserver/authors/ada/"),
        "/archive/": (None, "http://testserver/archive/"),
    }
    for url, (description, canonical) in pages.items():
        html = client.get(url).text
        descriptions = meta(html)["description"]
        assert len(descriptions) == 1 and descriptions[0], url
        if description:
            assert descriptions == [description], url
        assert [link["href"] for link in links(html, "canonical")] == [canonical], url


def test_later_pages_are_their_own_canonical_pages(client, make_post, settings):
    SiteSettings.objects.update_or_create(pk=1, defaults={"posts_per_page": 1})
    make_post(title="One")
    make_post(title="Two")
    html = client.get("/?page=2&utm_campaign=x").text
    assert links(html, "canonical")[0]["href"] == "http://testserver/?page=2"


def test_a_post_without_a_summary_is_described_by_its_excerpt(client, make_post):
    post = make_post(body="The first paragraph says what the post is about.\n\nMore.")
    assert meta(client.get(post.get_absolute_url()).text)["description"] == [
        "The first paragraph says what the post is about."
    ]


def test_post_pages_carry_open_graph_and_twitter_card(client, make_post, now):
    post = make_post(
        title="Shared",
        summary="Worth sharing",
        body="Text\n\n![A chart](/static/img/pipeline.svg)\n\n![Second](/static/second.png)",
        tags=["Django", "Web"],
        published_at=timezone.now() - timezone.timedelta(days=2),
    )
    found = meta(client.get(post.get_absolute_url()).text)
    assert found["og:type"] == ["article"]
    assert found["og:title"] == ["Shared"]
    assert found["og:description"] == ["Worth sharing"]
    assert found["og:url"] == [f"http://testserver{post.get_absolute_url()}"]
    assert found["og:site_name"] == ["markup"]
    assert found["og:image"] == ["http://testserver/static/img/pipeline.svg"]
    assert found["article:published_time"] == ["2026-11-22T12:00:00+00:00"]
    assert found["article:modified_time"] == ["2026-11-24T12:00:00+00:00"]
    assert found["article:tag"] == ["Django", "Web"]
    assert found["twitter:card"] == ["summary_large_image"]


def test_a_post_without_images_has_no_og_image(client, make_post):
    found = meta(client.get(make_post().get_absolute_url()).text)
    assert "og:image" not in found
    assert found["twitter:card"] == ["summary"]


def test_post_pages_describe_the_post_as_a_blog_posting(client, make_post, now):
    post = make_post(title="Structured", summary="In JSON-LD", body="![x](/media/a.png)")
    data = structured_data(client.get(post.get_absolute_url()).text)
    assert data == {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": "Structured",
        "description": "In JSON-LD",
        "datePublished": "2026-11-23T12:00:00Z",
        "dateModified": "2026-11-24T12:00:00Z",
        "author": {
            "@type": "Person",
            "name": "Ada Lovelace",
            "url": "http://testserver/authors/ada/",
        },
        "url": f"http://testserver{post.get_absolute_url()}",
        "mainEntityOfPage": f"http://testserver{post.get_absolute_url()}",
        "publisher": {"@type": "Organization", "name": "markup"},
        "image": "http://testserver/media/a.png",
    }


def test_no_title_or_summary_can_break_out_of_the_structured_data(client, make_post):
    hostile = '</script><script>alert(1)</script><!-- "quoted" & more'
    post = make_post(title=hostile, summary=hostile)
    html = client.get(post.get_absolute_url()).text
    scripts = [attrs for tag, attrs in Inventory(html).elements if tag == "script"]
    assert scripts == [{"type": "application/ld+json"}]
    data = structured_data(html)
    assert data["headline"] == hostile
    assert data["description"] == hostile


def test_drafts_stay_noindex_and_carry_no_previews(client, make_post, staff):
    draft = make_post(title="Secret", status=Post.Status.DRAFT)
    client.force_login(staff)
    found = meta(client.get(draft.get_absolute_url()).text)
    assert found["robots"] == ["noindex"]
    assert "og:title" not in found


# Markdown twins


def test_a_published_post_has_a_markdown_twin_with_front_matter(client, make_post, now):
    post = make_post(
        title='Quotes " and: colons',
        summary="Sum",
        body="# Heading\n\n**bold** <b>raw</b>\n",
        tags=["Django", "Web"],
        published_at=at(2026, 11, 1),
    )
    html = client.get(post.get_absolute_url()).text
    assert links(html, "alternate")[0] | {} == {
        "rel": "alternate",
        "type": "text/markdown",
        "href": post.get_markdown_url(),
        "title": 'Quotes " and: colons (Markdown)',
    }
    response = client.get(post.get_markdown_url())
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.text == (
        "---\n"
        'title: "Quotes \\" and: colons"\n'
        'date: "2026-11-01T12:00:00+00:00"\n'
        'updated: "2026-11-24T12:00:00+00:00"\n'
        'tags: ["Django", "Web"]\n'
        'summary: "Sum"\n'
        f'canonical: "http://testserver{post.get_absolute_url()}"\n'
        "---\n\n"
        "# Heading\n\n**bold** <b>raw</b>\n"
    )


def test_a_drafts_twin_answers_404_to_the_public(client, make_post, staff):
    draft = make_post(title="Draft", status=Post.Status.DRAFT, published_at=None)
    assert client.get(draft.get_markdown_url()).status_code == 404
    client.force_login(staff)
    response = client.get(draft.get_markdown_url())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


# Conditional requests


def test_pages_answer_304_when_the_reader_has_the_current_version(client, make_post):
    post = make_post(title="Tagged", tags=["t"])
    for url in ("/", post.get_absolute_url(), post.get_markdown_url(), "/archive/"):
        first = client.get(url)
        assert first["ETag"], url
        again = client.get(url, headers={"If-None-Match": first["ETag"]})
        assert again.status_code == 304, url
        assert again.content == b""


def test_a_changed_page_is_sent_again_in_full(client, make_post):
    post = make_post(title="Before")
    etag = client.get(post.get_absolute_url())["ETag"]
    post.title = "After"
    post.save()
    response = client.get(post.get_absolute_url(), headers={"If-None-Match": etag})
    assert response.status_code == 200
    assertContains(response, "After")


def test_cached_pages_answer_304_too(client, make_post, settings):
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    caching.content_changed()
    make_post()
    etag = client.get("/")["ETag"]
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304


# The page cache and fixed query counts


@pytest.mark.parametrize(
    ("url", "before", "after"),
    [
        ("/authors/ada/", "First", "Second"),
        ("/archive/", "(1 post)", "(2 posts)"),
        ("/archive/2025/", "First", "Second"),
        ("/archive/2025/03/", "First", "Second"),
    ],
)
def test_new_pages_are_cached_and_refreshed_on_change(
    client, make_post, settings, url, before, after
):
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    caching.content_changed()
    make_post(title="First", published_at=at(2025, 3))
    assertContains(client.get(url), before)
    assertNotContains(client.get(url), after)
    make_post(title="Second", published_at=at(2025, 3, 2))
    assertContains(client.get(url), after)


def test_the_markdown_twin_is_cached_and_refreshed_on_change(client, make_post, settings):
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    caching.content_changed()
    post = make_post(body="First text")
    assertContains(client.get(post.get_markdown_url()), "First text")
    Post.objects.filter(pk=post.pk).update(body="Second text")
    assertContains(client.get(post.get_markdown_url()), "Second text")


def populate(make_post, count, start=0):
    for number in range(start, start + count):
        make_post(
            title=f"P{number}", tags=[f"t{number}", "shared"], published_at=at(2025, 3, 1 + number)
        )


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # each HTML page also reads the site's settings and navigation: + 2
        ("/authors/ada/", 4 + 2),  # author, count, posts, their tags
        ("/archive/", 1 + 2),  # months with their counts
        ("/archive/2025/", 4 + 2),  # any post that year, count, posts, their tags
        ("/archive/2025/03/", 4 + 2),
        ("/posts/p0/", 5 + 2),  # post with author, its tags, older, newer, related
        ("/posts/p0.md", 2),  # post with author, its tags
    ],
)
def test_new_pages_have_a_fixed_query_count(
    client, make_post, django_assert_num_queries, url, queries
):
    populate(make_post, 2)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    populate(make_post, 10, start=2)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
