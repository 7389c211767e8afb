"""Standalone pages (About, Contact ...): their addresses, reading, search, sitemap, cache."""

import hypothesis
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import include, path, re_path, reverse
from django.views.generic import TemplateView
from hypothesis import HealthCheck, given, strategies
from lxml import etree
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains

from posts import caching
from posts.models import Page, SiteSettings
from posts.search import PAGE_INDEX_NAME, clean_query, matching_pages
from tests.html import Inventory
from tests.test_reading import links, meta, structured_data

pytestmark = pytest.mark.django_db

ADD = reverse("admin:posts_page_add")
SEARCH = reverse("posts:search")
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

# For the test of routes added later (pytest.mark.urls): the site's routes and two more.
urlpatterns = [
    path("colophon/", TemplateView.as_view(template_name="404.html")),
    re_path(r"^v(?P<version>[0-9]+)/$", TemplateView.as_view(template_name="404.html")),
    path("", include("markup.urls")),
]


@pytest.fixture
def make_page(db):
    def make(**fields):
        defaults = {
            "title": "About",
            "slug": "about",
            "body": "We write **about** things.",
            "status": Page.Status.PUBLISHED,
        }
        return Page.objects.create(**defaults | fields)

    return make


@pytest.fixture
def a_page(make_page):
    return make_page()


@pytest.fixture
def editor_client(client, staff):
    client.force_login(staff)
    return client


def main_content(html: str) -> str:
    """The <main> element: the site's navigation around it may name pages."""
    return html[html.index("<main") : html.index("</main>")]


def page_form(**fields):
    data = {
        "title": "About",
        "slug": "about",
        "body": "Who we are.",
        "summary": "",
        "status": Page.Status.PUBLISHED,
        "navigation_position": "",
    }
    return data | fields


# Addresses: a page never shadows one of the site's own


@pytest.mark.parametrize(
    ("slug", "owner"),
    [
        ("admin", "the admin"),
        ("posts", "the posts"),
        ("tags", "the tag pages"),
        ("authors", "the author pages"),
        ("archive", "the archives"),
        ("search", "the search"),
        ("feeds", "the feeds"),
        ("media", "the uploaded images"),
        ("static", "the site's static files"),
        ("healthz", "the health probes"),
        ("readyz", "the health probes"),
        ("Tags", "the tag pages"),
    ],
)
def test_a_slug_of_the_sites_own_addresses_is_refused_naming_the_clash(slug, owner):
    page = Page(title="Clash", slug=slug, body="text")
    with pytest.raises(ValidationError) as refusal:
        page.full_clean()
    assert refusal.value.message_dict["slug"] == [
        f"“{slug}” is taken by {owner}: /{slug}/ is theirs."
    ]


def test_the_admin_refuses_a_clashing_slug_with_a_form_error(editor_client):
    response = editor_client.post(ADD, page_form(slug="tags"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["slug"] == [
        "“tags” is taken by the tag pages: /tags/ is theirs."
    ]
    assert not Page.objects.exists()


@pytest.mark.urls("tests.test_pages")
def test_a_route_added_later_is_refused_too():
    for slug in ("colophon", "v2"):
        with pytest.raises(ValidationError) as refusal:
            Page(title="Later", slug=slug, body="text").full_clean()
        assert "reserved address" in refusal.value.message_dict["slug"][0], slug
    Page(title="Fine", slug="version", body="text").full_clean()


def test_a_taken_page_slug_is_a_form_error(editor_client, make_page):
    make_page(slug="about")
    response = editor_client.post(ADD, page_form(title="Another", slug="about"))
    assert response.context["adminform"].form.errors["slug"] == [
        "Page with this Slug already exists."
    ]
    assert Page.objects.count() == 1


@pytest.mark.parametrize("slug", ["about", "contact-us", "о-нас", "posts-of-note", "tagsoup"])
def test_ordinary_slugs_are_accepted(slug):
    Page(title="Fine", slug=slug, body="text").full_clean()


def test_the_admin_creates_a_page_served_at_its_own_address(editor_client):
    response = editor_client.post(ADD, page_form(body="Who *we* are."))
    assert response.status_code == 302
    page = Page.objects.get()
    assert page.get_absolute_url() == "/about/"
    editor_client.logout()
    assertInHTML("<p>Who <em>we</em> are.</p>", editor_client.get("/about/").text)


def test_the_admin_shows_the_rendered_body(editor_client, make_page):
    page = make_page(body="# Heading\n\n**bold**\n\n<script>alert(1)</script>")
    response = editor_client.get(reverse("admin:posts_page_change", args=[page.pk]))
    assertContains(response, "<strong>bold</strong>")
    assertNotContains(response, "<script>alert(1)")


def test_the_page_editor_has_the_live_preview_and_uploads(editor_client, make_page):
    page = make_page()
    response = editor_client.get(reverse("admin:posts_page_change", args=[page.pk]))
    body = response.context["adminform"].form.fields["body"].widget.attrs
    assert body["data-preview-url"] == reverse("admin:posts_page_preview")
    assert body["data-image-upload-url"] == reverse("admin:posts_image_upload")
    assert body["data-draft-key"] == f"page-{page.pk}"
    assertContains(response, "js/post-editor.js")


def test_the_page_preview_renders_as_saving_would(editor_client):
    response = editor_client.post(reverse("admin:posts_page_preview"), {"body": "*hi*"})
    assert response.json()["html"] == "<p><em>hi</em></p>\n"


def test_the_page_preview_refuses_staff_who_may_not_write_pages(client, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.post(reverse("admin:posts_page_preview"), {"body": "x"}).status_code == 403


# Reading


def test_a_published_page_shows_its_title_and_rendered_body(client, make_page):
    make_page(title="Colophon", slug="colophon", body="Set in *Georgia*.\n\n<script>x()</script>")
    response = client.get("/colophon/")
    assert response.status_code == 200
    html = main_content(response.text)
    assertInHTML("<h1>Colophon</h1>", html)
    assertInHTML("<p>Set in <em>Georgia</em>.</p>", html)
    assert "<script>x()" not in response.text


def test_a_draft_page_is_not_found_by_readers(client, make_page):
    make_page(status=Page.Status.DRAFT)
    assert client.get("/about/").status_code == 404


def test_staff_preview_a_draft_page_uncached_and_unindexed(client, make_page, staff):
    page = make_page(title="Unfinished", status=Page.Status.DRAFT)
    client.force_login(staff)
    response = client.get(page.get_absolute_url())
    assertContains(response, "Draft: only staff can see this page.")
    assert "no-cache" in response["Cache-Control"]
    found = meta(response.text)
    assert found["robots"] == ["noindex"]
    assert "og:title" not in found


def test_an_unknown_slug_is_not_found(client, db):
    assert client.get("/nowhere/").status_code == 404


def test_a_page_answers_head_and_refuses_writes(client, a_page):
    assert client.head("/about/").status_code == 200
    assert client.post("/about/").status_code == 405


def test_the_admin_lists_pages_with_their_state(editor_client, make_page):
    make_page(title="Listed", navigation_position=2)
    make_page(title="Hidden draft", slug="hidden", status=Page.Status.DRAFT)
    response = editor_client.get(reverse("admin:posts_page_changelist"))
    assert [page.title for page in response.context["cl"].result_list] == ["Listed", "Hidden draft"]
    assertContains(response, "Draft")


def test_a_page_carries_description_canonical_url_and_open_graph(client, make_page):
    make_page(summary="Who writes here", body="Text\n\n![A portrait](/static/img/portrait.png)")
    html = client.get("/about/?utm_source=x").text
    found = meta(html)
    assert found["description"] == ["Who writes here"]
    assert [link["href"] for link in links(html, "canonical")] == ["http://testserver/about/"]
    assert found["og:type"] == ["website"]
    assert found["og:title"] == ["About"]
    assert found["og:description"] == ["Who writes here"]
    assert found["og:url"] == ["http://testserver/about/"]
    assert found["og:site_name"] == ["markup"]
    assert found["og:image"] == ["http://testserver/static/img/portrait.png"]
    assert found["twitter:card"] == ["summary_large_image"]


def test_a_page_without_a_summary_is_described_by_its_excerpt(client, make_page):
    make_page(body="The first paragraph says who we are.\n\nMore.")
    found = meta(client.get("/about/").text)
    assert found["description"] == ["The first paragraph says who we are."]
    assert found["og:description"] == ["The first paragraph says who we are."]
    assert found["twitter:card"] == ["summary"]


def test_a_page_describes_itself_as_a_web_page(client, make_page, now):
    SiteSettings.objects.update_or_create(pk=1, defaults={"publisher_name": "Garden Press"})
    make_page(summary="Who writes here", body="Text\n\n![A portrait](/media/portrait.png)")
    data = structured_data(client.get("/about/").text)
    assert data == {
        "@context": "https://schema.org",
        "@type": "WebPage",
        "name": "About",
        "description": "Who writes here",
        "url": "http://testserver/about/",
        "dateModified": "2026-11-24T12:00:00Z",
        "publisher": {"@type": "Organization", "name": "Garden Press"},
        "image": "http://testserver/media/portrait.png",
    }


def test_a_pages_structured_data_falls_back_to_the_sites_description(client, make_page):
    SiteSettings.objects.update_or_create(pk=1, defaults={"description": "Notes on gardens"})
    make_page(body="")
    data = structured_data(client.get("/about/").text)
    assert data["description"] == "Notes on gardens"
    assert data["publisher"] == {"@type": "Organization", "name": "markup"}
    assert "image" not in data


def test_no_title_or_summary_can_break_out_of_a_pages_structured_data(client, make_page):
    hostile = '</script><script>alert(1)</script><!-- "quoted" & more'
    make_page(title=hostile, summary=hostile)
    html = client.get("/about/").text
    scripts = [attrs for tag, attrs in Inventory(html).elements if tag == "script"]
    assert scripts == [{"type": "application/ld+json"}]
    data = structured_data(html)
    assert (data["name"], data["description"]) == (hostile, hostile)


def test_a_draft_page_carries_no_structured_data(client, make_page, staff):
    make_page(status=Page.Status.DRAFT)
    client.force_login(staff)
    assertNotContains(client.get("/about/"), "application/ld+json")


def test_a_page_costs_a_fixed_number_of_queries(client, make_page, django_assert_num_queries):
    make_page(body="# One\n\n## Two\n\n![x](/static/x.png)")
    # The page; then the site's settings and its navigation, which every page shows.
    with django_assert_num_queries(3):
        assert client.get("/about/").status_code == 200


# Pages are not posts


def test_pages_stay_out_of_lists_archives_and_feeds(client, make_page, make_post, author):
    make_page(title="Our colophon", slug="colophon", body="Our colophon text.")
    make_post(title="A post", body="Post text.")
    make_post(title="Another post", body="More text.", tags=["t"])
    published_at = make_post(title="Dated").published_at
    paths = ["/", "/archive/", "/tags/t/", f"/authors/{author.username}/", "/llms.txt"]
    paths += [published_at.strftime("/archive/%Y/"), published_at.strftime("/archive/%Y/%m/")]
    for path_ in paths:
        response = client.get(path_)
        assert response.status_code == 200, path_
        text = main_content(response.text) if "<main" in response.text else response.text
        assert "colophon" not in text.lower(), path_
    for feed in ("atom.xml", "rss.xml", "feed.json"):
        response = client.get(reverse("posts:site-feed", kwargs={"filename": feed}))
        assert "colophon" not in response.content.decode().lower(), feed


def test_a_published_page_is_in_the_sitemap_and_a_draft_is_not(client, make_page, make_post):
    make_post(title="A post")
    make_page(slug="about")
    make_page(title="Unfinished", slug="unfinished", status=Page.Status.DRAFT)
    root = etree.fromstring(client.get(reverse("posts:sitemap")).content)
    if root.tag == f"{SITEMAP_NS}sitemapindex":  # a large site: read every part
        parts = [loc.text for loc in root.iter(f"{SITEMAP_NS}loc")]
        roots = [etree.fromstring(client.get(part).content) for part in parts]
    else:
        roots = [root]
    locations = {loc.text for part in roots for loc in part.iter(f"{SITEMAP_NS}loc")}
    assert "http://testserver/about/" in locations
    assert "http://testserver/unfinished/" not in locations


# Search


def found_pages(client, words) -> list[str]:
    response = client.get(SEARCH, {"q": words})
    assert response.status_code == 200
    return [page.title for page in response.context["found_pages"]]


def test_search_finds_published_pages_marked_as_pages(client, make_page, make_post):
    make_page(title="Contact", slug="contact", body="Write to the lighthouse keeper.")
    make_page(title="Draft", slug="draft", body="lighthouse", status=Page.Status.DRAFT)
    post = make_post(title="Lighthouse post")
    response = client.get(SEARCH, {"q": "lighthouse"})
    assert [page.title for page in response.context["found_pages"]] == ["Contact"]
    assert [found.title for found in response.context["page"]] == [post.title]
    assertContains(response, "2 results for “lighthouse”")
    results = main_content(response.text)
    assertInHTML(
        '<article class="post-summary search-result page-result">'
        '<h2><a href="/contact/">Contact</a></h2><p class="byline">Page</p>'
        "<p>Write to the <mark>lighthouse</mark> keeper.</p></article>",
        results,
    )
    assert "Draft" not in results


def test_page_titles_rank_above_page_bodies(client, make_page):
    make_page(title="Other", slug="other", body="gardening " * 20)
    make_page(title="Gardening", slug="gardening", body="Soil.")
    assert found_pages(client, "gardening") == ["Gardening", "Other"]


def test_pages_are_shown_on_the_first_page_of_results_only(client, make_page, make_post, settings):
    settings.MARKUP_POSTS_PER_PAGE = 1  # for site settings made from the environment
    SiteSettings.objects.filter(pk=1).update(posts_per_page=1)
    make_page(title="Comet page", slug="comet")
    make_post(title="Comet 1")
    make_post(title="Comet 2")
    assert found_pages(client, "comet") == ["Comet page"]
    second = client.get(SEARCH, {"q": "comet", "page": 2})
    assert second.context["found_pages"] == []
    assertContains(second, "3 results for “comet”")


def test_page_text_is_escaped_in_results(client, make_page):
    make_page(title="<script>alert(1)</script> wombat", summary="<b>bold</b> wombat")
    response = client.get(SEARCH, {"q": "wombat"})
    assert "<script>alert" not in response.text
    assert "<b>bold" not in response.text
    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt; <mark>wombat</mark>")


def test_the_page_index_follows_every_write(client, make_page):
    page = make_page(title="Comet", body="old words")
    page.title = "Ferry"
    page.save()
    assert found_pages(client, "comet") == []
    Page.objects.filter(pk=page.pk).update(body="new lantern")
    assert found_pages(client, "lantern") == ["Ferry"]
    assert found_pages(client, "old") == []
    Page.objects.bulk_create([Page(title="Heron", slug="heron", body="b", status="published")])
    assert found_pages(client, "heron") == ["Heron"]
    Page.objects.filter(slug="heron").delete()
    assert found_pages(client, "heron") == []


@pytest.mark.parametrize("words", ["'; DROP TABLE posts_page; --", "NEAR(a b)", "-x", '"', "😀"])
def test_hostile_queries_never_fail_on_pages(client, make_page, words):
    make_page()
    assert client.get(SEARCH, {"q": words}).status_code == 200


@hypothesis.settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=strategies.text(strategies.characters(codec="utf-8", exclude_characters="\x00")))
def test_any_text_is_a_valid_page_query(a_page, words):
    matching_pages(clean_query(words))


@pytest.mark.sqlite
def test_sqlite_has_the_page_fts5_table_and_its_triggers(make_page):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name LIKE %s", [f"{PAGE_INDEX_NAME}%"]
        )
        found_objects = {(kind, name): sql for kind, name, sql in cursor.fetchall()}
        table = found_objects[("table", PAGE_INDEX_NAME)]
        assert "content='posts_page'" in table and "porter" in table
        for event in ("insert", "update", "delete"):
            assert ("trigger", f"{PAGE_INDEX_NAME}_{event}") in found_objects, event
        make_page(body="some words").delete()
        make_page(slug="kept")
        Page.objects.update(summary="changed")
        # Compares the index with the text in posts_page; raises on any difference.
        cursor.execute(
            f"INSERT INTO {PAGE_INDEX_NAME}({PAGE_INDEX_NAME}, rank) VALUES ('integrity-check', 1)"
        )


@pytest.mark.postgresql
def test_postgresql_has_the_page_search_column_and_its_gin_index(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'posts_page' AND indexname = %s",
            [PAGE_INDEX_NAME],
        )
        (index,) = cursor.fetchone()
    assert index.endswith("USING gin (search_document)")


# Written bodies are always rendered


def test_bulk_writes_render_page_bodies(make_page):
    page = make_page(body="old")
    Page.objects.filter(pk=page.pk).update(body="*new*")
    page.refresh_from_db()
    assert page.body_html == "<p><em>new</em></p>\n"
    (created,) = Page.objects.bulk_create([Page(title="B", slug="b", body="**b**")])
    assert Page.objects.get(slug="b").body_html == "<p><strong>b</strong></p>\n"
    created.body = "_c_"
    Page.objects.bulk_update([created], ["body"])
    assert Page.objects.get(slug="b").body_html == "<p><em>c</em></p>\n"


# The page cache


@pytest.fixture
def page_cache(settings):
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    caching.content_changed()  # nothing cached by an earlier test applies


def test_a_page_is_served_from_the_cache(client, make_page, page_cache, django_assert_num_queries):
    make_page()
    first = client.get("/about/")
    with django_assert_num_queries(0):
        second = client.get("/about/")
    assert second.content == first.content


def test_editing_a_page_refreshes_it_and_unpublishing_removes_it(client, make_page, page_cache):
    page = make_page(title="Before")
    assert "Before" in client.get("/about/").text
    page.title = "After"
    page.save()
    assert "After" in client.get("/about/").text
    Page.objects.filter(pk=page.pk).update(title="Bulk edit")
    assert "Bulk edit" in client.get("/about/").text
    page.status = Page.Status.DRAFT
    page.save()
    assert client.get("/about/").status_code == 404


def test_renaming_a_page_stops_the_cache_serving_its_old_address(
    client, make_page, page_cache, django_assert_num_queries
):
    page = make_page()
    client.get("/about/")
    with django_assert_num_queries(0):
        assert client.get("/about/").status_code == 200  # cached
    page.slug = "team"
    page.save()
    assert client.get("/about/")["Location"] == "/team/"
    assert client.get("/team/").status_code == 200
    with django_assert_num_queries(2):
        assert client.get("/about/").status_code == 301  # a redirect is never cached


def test_deleting_a_page_removes_it_from_cached_search_results(client, make_page, page_cache):
    page = make_page(title="Comet page", slug="comet")
    assert 'href="/comet/"' in main_content(client.get(SEARCH, {"q": "comet"}).text)
    assert "Comet page" in client.get("/comet/").text
    page.delete()
    assert 'href="/comet/"' not in main_content(client.get(SEARCH, {"q": "comet"}).text)
    assert client.get("/comet/").status_code == 404
