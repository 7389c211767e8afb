from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains

from posts.models import Post, SiteSettings
from tests.html import Inventory

pytestmark = pytest.mark.django_db

HOME = reverse("posts:list")


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def test_home_lists_published_posts_newest_first(client, make_post):
    make_post(title="Older", published_at=days_ago(2))
    make_post(title="Newer", published_at=days_ago(1))
    make_post(title="Hidden draft", status=Post.Status.DRAFT)
    make_post(title="Hidden scheduled", published_at=timezone.now() + timedelta(days=1))
    response = client.get(HOME)
    titles = [post.title for post in response.context["page"]]
    assert titles == ["Newer", "Older"]
    assertNotContains(response, "Hidden")


def test_home_shows_title_date_author_summary_and_tags(client, make_post):
    post = make_post(
        title="Shown", summary="The summary.", tags=["Django"], published_at=days_ago(1)
    )
    response = client.get(HOME)
    assertInHTML(f'<a href="{post.get_absolute_url()}">Shown</a>', response.text)
    assertContains(response, "The summary.")
    assertContains(response, "Ada Lovelace")
    assertContains(response, f'datetime="{post.published_at.replace(microsecond=0).isoformat()}"')
    assertInHTML('<a href="/tags/django/" rel="tag">Django</a>', response.text)


def test_home_uses_the_excerpt_when_there_is_no_summary(client, make_post):
    make_post(body="First paragraph here.\n\nSecond paragraph.")
    response = client.get(HOME)
    assertContains(response, "First paragraph here.")
    assertNotContains(response, "Second paragraph.")


def test_home_paginates(client, make_post, settings):
    SiteSettings.objects.update_or_create(pk=1, defaults={"posts_per_page": 2})
    for day in range(5):
        make_post(title=f"Post {day}", published_at=days_ago(day + 1))
    first = client.get(HOME)
    assert [p.title for p in first.context["page"]] == ["Post 0", "Post 1"]
    assertContains(first, '<a href="?page=2" rel="next">Older posts</a>', html=True)
    last = client.get(HOME, {"page": 3})
    assert [p.title for p in last.context["page"]] == ["Post 4"]


@pytest.mark.parametrize("page", ["2", "0", "-1", "junk", "1.5", "9" * 30])
def test_bad_page_numbers_answer_404(client, make_post, page):
    make_post()
    response = client.get(HOME, {"page": page})
    assert response.status_code == 404
    assertContains(response, "Page not found", status_code=404)


def test_empty_site_has_a_friendly_home(client, db):
    assertContains(client.get(HOME), "Nothing has been published yet.")


def test_tag_page_lists_only_its_published_posts(client, make_post):
    make_post(title="Tagged", tags=["python"])
    make_post(title="Other", tags=["rust"])
    make_post(title="Tagged draft", tags=["python"], status=Post.Status.DRAFT)
    response = client.get(reverse("posts:tag", kwargs={"slug": "python"}))
    assert [p.title for p in response.context["page"]] == ["Tagged"]
    assertContains(response, "Posts tagged “python”")


def test_unknown_tag_answers_404(client, db):
    assert client.get(reverse("posts:tag", kwargs={"slug": "nope"})).status_code == 404


def test_detail_shows_the_post(client, make_post):
    post = make_post(
        title="Full post",
        body="# One\n\ntext\n\n## Two\n\nmore " + "word " * 500,
        tags=["Guides"],
    )
    response = client.get(post.get_absolute_url())
    assertContains(response, "<title>Full post · markup</title>")
    assertInHTML('<li class="toc-level-2"><a href="#two">Two</a></li>', response.text)
    assertContains(response, '<h2 id="two">')
    assertContains(response, "3 min read")
    assertInHTML('<a href="/tags/guides/" rel="tag">Guides</a>', response.text)
    assertNotContains(response, "noindex")
    assertNotContains(response, "updated")


def test_detail_shows_the_update_date_when_later(client, make_post, now):
    post = make_post(published_at=timezone.now())
    now.shift(timedelta(days=10))
    post.save()
    assertContains(client.get(post.get_absolute_url()), "updated")


def test_titles_and_summaries_are_escaped(client, make_post):
    post = make_post(title="<script>alert(1)</script>", summary="<b>x</b>")
    for url in (HOME, post.get_absolute_url()):
        response = client.get(url)
        assertNotContains(response, "<script>alert(1)")
        assertContains(response, "&lt;script&gt;")


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Post.Status.DRAFT},
        {"published_at": timezone.now() + timedelta(days=3)},
    ],
    ids=["draft", "scheduled"],
)
def test_unpublished_posts_answer_404_to_the_public(client, make_post, fields):
    post = make_post(title="Secret", **fields)
    response = client.get(post.get_absolute_url())
    assert response.status_code == 404
    assertNotContains(response, "Secret", status_code=404)


def test_staff_preview_a_draft_with_a_banner_noindex_and_no_caching(client, make_post, staff):
    post = make_post(title="Draft", status=Post.Status.DRAFT)
    client.force_login(staff)
    response = client.get(post.get_absolute_url())
    assertContains(response, "Draft: only staff can see this page.")
    assertContains(response, '<meta name="robots" content="noindex">', html=True)
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_staff_preview_a_scheduled_post_with_its_time(client, make_post, staff, now):
    post = make_post(title="Later", published_at=timezone.now() + timedelta(days=3))
    client.force_login(staff)
    response = client.get(post.get_absolute_url())
    assertContains(response, "Scheduled for")
    assertContains(response, "27 November 2026")


def test_public_post_has_no_preview_banner(client, make_post, staff):
    post = make_post()
    client.force_login(staff)
    response = client.get(post.get_absolute_url())
    assertNotContains(response, "only staff can see")
    assert "no-store" not in response.get("Cache-Control", "")


def test_unknown_slug_answers_the_custom_404(client, db):
    response = client.get("/posts/no-such-post/")
    assertContains(response, "Page not found", status_code=404)
    assertContains(response, '<meta name="robots" content="noindex">', status_code=404)


def test_server_errors_answer_the_custom_500_without_details(make_post, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Post.objects, "published", broken)
    response = Client(raise_request_exception=False).get(HOME)
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internals" not in response.text


def test_pages_refuse_unsafe_methods(client, db):
    assert client.post(HOME).status_code == 405


def test_list_query_count_is_fixed(client, make_post, django_assert_num_queries):
    def populate(count):
        for number in range(count):
            make_post(title=f"P{number}", tags=[f"t{number}", "shared"])

    populate(2)
    # count, posts with authors, their tags; the site's settings and navigation
    with django_assert_num_queries(3 + 2):
        client.get(HOME)
    populate(10)
    with django_assert_num_queries(3 + 2):
        client.get(HOME)


def test_tag_page_query_count_is_fixed(client, make_post, django_assert_num_queries):
    for number in range(8):
        make_post(title=f"P{number}", tags=["shared", f"t{number}"])
    # tag, count, posts with authors, their tags; the site's settings and navigation
    with django_assert_num_queries(4 + 2):
        client.get(reverse("posts:tag", kwargs={"slug": "shared"}))


def test_detail_query_count_is_fixed(client, make_post, django_assert_num_queries):
    few = make_post(title="Few", tags=["a"])
    many = make_post(title="Many", tags=[f"t{n}" for n in range(12)])
    for post in (few, many):
        # post with author, its tags, the older and newer posts, related posts;
        # the site's settings and navigation
        with django_assert_num_queries(5 + 2):
            client.get(post.get_absolute_url())


def test_oversized_requests_answer_the_custom_400(client, staff, settings):
    client.force_login(staff)
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(reverse("admin:posts_post_add"), {"title": "T", "body": too_big})
    assertContains(response, "Bad request", status_code=400)
    assert not Post.objects.exists()


def test_posts_without_a_csrf_token_answer_the_custom_403(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(reverse("admin:posts_post_add"), {"title": "T", "body": "b"})
    assertContains(response, "The form could not be accepted", status_code=403)
    assert not Post.objects.exists()


def test_pages_run_no_script_and_load_only_local_assets(client, make_post, staff):
    post = make_post(body="![pic](https://images.example/pic.png)")
    for url in (HOME, post.get_absolute_url(), "/tags/none/"):
        elements = Inventory(client.get(url).text).elements
        scripts = [attrs for tag, attrs in elements if tag == "script"]
        # Structured data for search engines is a data block: browsers never run it.
        assert all(attrs == {"type": "application/ld+json"} for attrs in scripts)
        for tag, attrs in elements:
            if tag == "link" and attrs["rel"] in ("stylesheet", "icon"):
                assert attrs["href"].startswith("/static/"), attrs


def test_favicon_ico_points_at_the_site_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"


def test_posts_and_tags_with_non_latin_slugs_are_served(client, make_post):
    post = make_post(title="日本語の記事", tags=["Ελληνικά"])
    assert (
        post.get_absolute_url() == "/posts/%E6%97%A5%E6%9C%AC%E8%AA%9E%E3%81%AE%E8%A8%98%E4%BA%8B/"
    )
    assertContains(client.get(post.get_absolute_url()), "日本語の記事")
    assertContains(client.get(post.tags.get().get_absolute_url()), "日本語の記事")


def test_scheduled_post_reaches_the_home_page_when_due_without_a_restart(client, make_post, now):
    make_post(title="Due soon", published_at=timezone.now() + timedelta(minutes=5))
    assertNotContains(client.get(HOME), "Due soon")
    now.shift(timedelta(minutes=5))
    assertContains(client.get(HOME), "Due soon")


def test_table_of_contents_escapes_heading_text(client, make_post):
    post = make_post(body="# \\<script>alert(1)\\</script>\n\n## Two")
    response = client.get(post.get_absolute_url())
    assertInHTML(
        '<li class="toc-level-1"><a href="#scriptalert1script">'
        "&lt;script&gt;alert(1)&lt;/script&gt;</a></li>",
        response.text,
    )
    assertNotContains(response, "<script>")
