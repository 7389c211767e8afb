"""The sitemap (checked against the sitemaps.org schemas), robots.txt and llms.txt."""

from datetime import timedelta
from pathlib import Path
from urllib.robotparser import RobotFileParser

import pytest
from django.contrib.sitemaps import views as sitemap_views
from django.utils import timezone
from lxml import etree

from posts import caching, pagination, sitemaps, views
from posts.models import Page, Post, SiteSettings

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "schemas"
SITE = "http://testserver"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def sitemap_schema():
    return etree.XMLSchema(etree.parse(SCHEMAS / "sitemap.xsd"))


@pytest.fixture(scope="module")
def index_schema():
    return etree.XMLSchema(etree.parse(SCHEMAS / "siteindex.xsd"))


@pytest.fixture
def valid_sitemap(client, sitemap_schema):
    """Fetch a sitemap, validate it and return {location: lastmod or None}."""

    def fetch(path):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"] == "application/xml"
        root = etree.fromstring(response.content)
        assert sitemap_schema.validate(root), sitemap_schema.error_log
        return {
            url.findtext(f"{SITEMAP_NS}loc"): url.findtext(f"{SITEMAP_NS}lastmod")
            for url in root.iter(f"{SITEMAP_NS}url")
        }

    return fetch


@pytest.fixture
def site(make_post, django_user_model):
    """Published posts by two authors under two tags, and what must stay out of a sitemap."""
    grace = django_user_model.objects.create_user("grace")
    drafter = django_user_model.objects.create_user("drafter")
    posts = [
        make_post(title="First", tags=["Django"]),
        make_post(title="Second", tags=["Django", "Python"], author=grace),
        make_post(title="Third"),
    ]
    make_post(title="Draft", tags=["Secret"], status=Post.Status.DRAFT, author=drafter)
    make_post(title="Soon", tags=["Soon"], published_at=timezone.now() + timedelta(days=1))
    return posts


def test_sitemap_lists_every_public_page_and_nothing_else(valid_sitemap, site):
    assert set(valid_sitemap("/sitemap.xml")) == {
        f"{SITE}/",
        f"{SITE}/posts/first/",
        f"{SITE}/posts/second/",
        f"{SITE}/posts/third/",
        f"{SITE}/tags/django/",
        f"{SITE}/tags/python/",
        f"{SITE}/authors/ada/",
        f"{SITE}/authors/grace/",
    }


def test_a_posts_lastmod_is_its_update_time(now, valid_sitemap, site):
    first = site[0]
    Post.objects.filter(pk=first.pk).update(updated_at=timezone.now() - timedelta(days=30))
    urls = valid_sitemap("/sitemap.xml")
    assert urls[f"{SITE}/posts/first/"] == (timezone.now() - timedelta(days=30)).date().isoformat()
    assert urls[f"{SITE}/posts/second/"] == timezone.now().date().isoformat()


def test_locations_follow_the_requests_host_and_scheme(client, site, sitemap_schema):
    response = client.get("/sitemap.xml", secure=True, headers={"host": "localhost"})
    root = etree.fromstring(response.content)
    locations = [loc.text for loc in root.iter(f"{SITEMAP_NS}loc")]
    assert locations and all(loc.startswith("https://localhost/") for loc in locations)


def test_an_empty_site_has_a_valid_sitemap_of_its_home(valid_sitemap, db):
    assert valid_sitemap("/sitemap.xml") == {f"{SITE}/": None}


@pytest.fixture
def small_files(monkeypatch):
    """Sitemap files of at most two URLs, so a small site needs an index."""
    monkeypatch.setattr(sitemaps.PublicSitemap, "limit", 2)


def test_past_the_limit_the_sitemap_is_an_index_of_valid_parts(
    client, site, small_files, index_schema, valid_sitemap
):
    response = client.get("/sitemap.xml")
    root = etree.fromstring(response.content)
    assert index_schema.validate(root), index_schema.error_log
    parts = [loc.text for loc in root.iter(f"{SITEMAP_NS}loc")]
    assert parts == [
        f"{SITE}/sitemap-home.xml",
        f"{SITE}/sitemap-posts.xml",
        f"{SITE}/sitemap-posts.xml?p=2",
        f"{SITE}/sitemap-tags.xml",
        f"{SITE}/sitemap-authors.xml",
    ]
    urls = {}
    for part in parts:
        found = valid_sitemap(part.removeprefix(SITE))
        assert 1 <= len(found) <= 2
        urls |= found
    assert len(urls) == 8
    assert f"{SITE}/posts/third/" in urls


def test_the_index_dates_the_posts_part(now, client, site, small_files):
    root = etree.fromstring(client.get("/sitemap.xml").content)
    dated = {
        entry.findtext(f"{SITEMAP_NS}loc"): entry.findtext(f"{SITEMAP_NS}lastmod")
        for entry in root.iter(f"{SITEMAP_NS}sitemap")
    }
    assert dated[f"{SITE}/sitemap-posts.xml"] == timezone.now().isoformat()


def test_at_the_limit_the_sitemap_is_one_file(valid_sitemap, site, monkeypatch):
    monkeypatch.setattr(sitemaps.PublicSitemap, "limit", 8)
    assert len(valid_sitemap("/sitemap.xml")) == 8


def test_even_the_longest_addresses_keep_a_file_under_50_mb(client, make_post, settings):
    settings.ALLOWED_HOSTS = ["*"]
    longest_host = ".".join(["h" * 63] * 3 + ["h" * 61])  # 253 characters
    longest_slug = "\U00020000" * 200  # a letter that takes 4 bytes, 12 percent-encoded
    make_post(slug=longest_slug)
    sitemap = client.get("/sitemap.xml", secure=True, headers={"host": longest_host}).content
    start = sitemap.index(f"<url><loc>https://{longest_host}/posts/%F0%A0%80%80".encode())
    entry = sitemap[start : sitemap.index(b"</url>", start) + len(b"</url>")]
    assert len(entry) <= sitemaps.LONGEST_ENTRY_BYTES
    assert sitemaps.URLS_PER_FILE * sitemaps.LONGEST_ENTRY_BYTES <= 52_428_800


@pytest.fixture
def varied_site(site, make_post):
    """The site, with pages, addresses in other scripts and changes in other time zones."""
    make_post(title="Ünïcode", slug="ünïcode-日本")
    make_post(title="Late", published_at=timezone.now() - timedelta(hours=1))
    Post.objects.filter(title="Third").update(updated_at=timezone.now() - timedelta(days=400))
    Page.objects.create(title="About", slug="about", body="Hello", status=Page.Status.PUBLISHED)
    Page.objects.create(title="Draft page", slug="draft-page", body="-", status=Page.Status.DRAFT)


def djangos_own(rf, path: str, section: str | None, https: bool):
    """What Django's sitemap view and template make of the same sections."""
    request = rf.get(path, secure=https, headers={"host": "localhost"})
    return sitemap_views.sitemap(request, sitemaps.SECTIONS, section=section).render()


@pytest.mark.parametrize("https", [False, True])
@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/sitemap.xml", None),
        ("/sitemap-home.xml", "home"),
        ("/sitemap-pages.xml", "pages"),
        ("/sitemap-posts.xml", "posts"),
        ("/sitemap-posts.xml?p=2", "posts"),
        ("/sitemap-tags.xml", "tags"),
        ("/sitemap-authors.xml", "authors"),
    ],
)
def test_sitemap_files_are_what_djangos_sitemap_view_writes(
    client, rf, varied_site, monkeypatch, settings, path, section, https
):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # 14 hours ahead: other days than UTC's
    if path != "/sitemap.xml":
        monkeypatch.setattr(sitemaps.PublicSitemap, "limit", 3)
    ours = client.get(path, secure=https, headers={"host": "localhost"})
    theirs = djangos_own(rf, path, section, https)
    assert ours.content.decode() == theirs.content.decode()
    for header in ("Content-Type", "Last-Modified", "X-Robots-Tag"):
        assert ours.get(header) == theirs.get(header), header


@pytest.mark.parametrize("https", [False, True])
def test_the_index_is_what_djangos_index_view_writes(
    client, rf, varied_site, small_files, settings, https
):
    settings.TIME_ZONE = "Pacific/Kiritimati"
    ours = client.get("/sitemap.xml", secure=https, headers={"host": "localhost"})
    request = rf.get("/sitemap.xml", secure=https, headers={"host": "localhost"})
    # Every section has URLs here, so Django's view gets them all, as the index lists them.
    theirs = sitemap_views.index(
        request, sitemaps.SECTIONS, sitemap_url_name="posts:sitemap-section"
    ).render()
    assert "<sitemapindex" in ours.content.decode()
    assert ours.content.decode() == theirs.content.decode()
    for header in ("Content-Type", "Last-Modified", "X-Robots-Tag"):
        assert ours.get(header) == theirs.get(header), header


@pytest.mark.parametrize("part", [2, 3])
def test_posts_parts_from_bookmarks_are_what_djangos_sitemap_view_writes(
    client, rf, varied_site, monkeypatch, settings, part
):
    settings.MARKUP_PAGE_CACHE_SECONDS = 300  # bookmarks are remembered; pages rendered
    monkeypatch.setattr(caching, "_cacheable", lambda request: False)
    caching.content_changed()
    monkeypatch.setattr(sitemaps.PublicSitemap, "limit", 2)
    monkeypatch.setattr(pagination, "BOOKMARK_EVERY", 2)
    path = f"/sitemap-posts.xml?p={part}"
    client.get(path)  # the bookmarks are remembered now
    ours = client.get(path, headers={"host": "localhost"})
    theirs = djangos_own(rf, path, "posts", https=False)
    assert ours.content.decode() == theirs.content.decode()
    assert ours["Last-Modified"] == theirs["Last-Modified"]


def test_published_pages_have_a_part_of_their_own(client, varied_site, small_files, index_schema):
    root = etree.fromstring(client.get("/sitemap.xml").content)
    assert index_schema.validate(root), index_schema.error_log
    parts = [loc.text for loc in root.iter(f"{SITEMAP_NS}loc")]
    assert f"{SITE}/sitemap-pages.xml" in parts
    pages = client.get("/sitemap-pages.xml").content.decode()
    assert f"<loc>{SITE}/about/</loc>" in pages
    assert "draft-page" not in pages


@pytest.mark.parametrize(
    "path", ["/sitemap.xml?p=2", "/sitemap-posts.xml?p=0", "/sitemap-nope.xml"]
)
def test_missing_sitemap_parts_answer_404(client, site, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        # counting each section (pages, posts, tags, authors; the home page is no query),
        # then each section with URLs, its page: the posts' count and rows, the lists of
        # tags and of authors (remembered between changes when the page cache is on)
        ("/sitemap.xml", 4 + 4),
        ("/sitemap-posts.xml", 2),
    ],
)
def test_sitemaps_make_a_fixed_number_of_queries(
    client, make_post, django_assert_num_queries, path, queries
):
    for number in range(6):
        make_post(title=f"Post {number}", tags=[f"tag {number}"])
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


def test_the_index_makes_a_fixed_number_of_queries(
    client, site, small_files, django_assert_num_queries
):
    # counting each section to decide (pages, posts, tags, authors), counts the index
    # reuses for its numbers of parts; then the posts' latest change
    with django_assert_num_queries(4 + 1):
        client.get("/sitemap.xml")


def test_robots_txt_points_at_the_sitemap_and_keeps_robots_out_of_the_admin(client, db):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    robots = RobotFileParser()
    robots.parse(response.text.splitlines())
    assert robots.site_maps() == [f"{SITE}/sitemap.xml"]
    assert not robots.can_fetch("*", f"{SITE}/admin/")
    assert not robots.can_fetch("*", f"{SITE}/admin/login/")
    assert robots.can_fetch("*", f"{SITE}/")
    assert robots.can_fetch("*", f"{SITE}/posts/anything/")


def test_robots_txt_names_the_sitemap_on_the_requests_host(client, db):
    response = client.get("/robots.txt", secure=True, headers={"host": "localhost"})
    assert "Sitemap: https://localhost/sitemap.xml" in response.text.splitlines()


def test_llms_txt_lists_published_posts_with_their_markdown_twins(client, site, settings):
    SiteSettings.objects.update_or_create(
        pk=1, defaults={"title": "The Notebook", "description": "Notes on\nthings."}
    )
    Post.objects.filter(title="First").update(summary="The first one.")
    response = client.get("/llms.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text.splitlines() == [
        "# The Notebook",
        "",
        "> Notes on things.",
        "",
        "## Posts",
        "",
        f"- [Third]({SITE}/posts/third.md): hi",
        f"- [Second]({SITE}/posts/second.md): hi",
        f"- [First]({SITE}/posts/first.md): The first one.",
    ]


def test_llms_txt_links_lead_to_the_twins(client, site):
    for line in client.get("/llms.txt").text.splitlines():
        if line.startswith("- ["):
            twin = line.split("](", 1)[1].split(")", 1)[0].removeprefix(SITE)
            response = client.get(twin)
            assert response.status_code == 200, twin
            assert response["Content-Type"] == "text/markdown; charset=utf-8"


def test_llms_txt_keeps_hostile_titles_inside_their_links(client, make_post):
    make_post(title="A ](javascript:x) [b]\nc \\", summary="Two\nlines")
    [entry] = [line for line in client.get("/llms.txt").text.splitlines() if line.startswith("-")]
    assert entry == (
        rf"- [A \](javascript:x) \[b\] c \\]({SITE}/posts/a-javascriptx-b-c.md): Two lines"
    )


def test_llms_txt_lists_only_the_newest_posts_and_points_to_the_rest(client, site, monkeypatch):
    monkeypatch.setattr(views, "LLMS_TXT_POSTS", 2)
    lines = client.get("/llms.txt").text.splitlines()
    assert [line.split("](")[0] for line in lines if line.startswith("- [")] == [
        "- [Third",
        "- [Second",
        "- [Sitemap",
        "- [Atom feed",
    ]
    assert lines[-5:-2] == ["", "## Optional", ""]
    for line in lines[-2:]:
        address = line.split("](", 1)[1].split(")", 1)[0].removeprefix(SITE)
        assert client.get(address).status_code == 200, address


def test_llms_txt_at_its_bound_has_no_pointer(client, site, monkeypatch):
    monkeypatch.setattr(views, "LLMS_TXT_POSTS", 3)
    text = client.get("/llms.txt").text
    assert "## Optional" not in text
    assert "- [First]" in text


def test_llms_txt_makes_two_queries(client, site, django_assert_num_queries):
    with django_assert_num_queries(2):  # the site's settings, the posts
        client.get("/llms.txt")


@pytest.mark.parametrize("path", ["/sitemap.xml", "/sitemap-posts.xml", "/robots.txt", "/llms.txt"])
def test_served_from_the_page_cache_until_a_post_changes(
    client, make_post, settings, django_assert_num_queries, path
):
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    caching.content_changed()
    make_post(title="Before")
    first = client.get(path)
    with django_assert_num_queries(0):
        assert client.get(path).content == first.content
    make_post(title="After")
    if path != "/robots.txt":
        assert b"/posts/after" in client.get(path).content
