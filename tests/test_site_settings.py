"""Site settings edited in the admin: title, description, footer, navigation and more."""

import importlib
import json

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from posts import caching
from posts.models import Image, NavigationLink, Page, Post, SiteSettings, Tag
from tests.test_html_validity import VNU_JAR, validation_errors
from tests.test_images import picture_file

pytestmark = pytest.mark.django_db

CHANGE = reverse("admin:posts_sitesettings_change", args=[1])
CHANGELIST = reverse("admin:posts_sitesettings_changelist")


@pytest.fixture
def page_cache(settings):
    """Whole pages cached, over whatever cache the suite runs with (Redis when REDIS_URL)."""
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    caching.content_changed()  # nothing cached by an earlier test applies


@pytest.fixture
def admin_client(staff):
    """An administrator's browser, apart from the reader's ``client``."""
    browser = Client()
    browser.force_login(staff)
    return browser


@pytest.fixture
def public_pages(make_post):
    """Every kind of public page, as paths."""
    post = make_post(title="Hello there", tags=["Notes"])
    return [
        "/",
        post.get_absolute_url(),
        "/tags/notes/",
        "/authors/ada/",
        "/archive/",
        post.published_at.strftime("/archive/%Y/"),
        "/search/?q=hello",
        "/search/",
    ]


def site_form(links=(), **fields) -> dict:
    """What the admin's form posts: the settings as they stand, with these changes."""
    site = SiteSettings.load()
    data = {
        "title": site.title,
        "description": site.description,
        "publisher_name": site.publisher_name,
        "footer_text": site.footer_text,
        "posts_per_page": site.posts_per_page,
        "default_social_image": site.default_social_image_id or "",
    } | fields
    existing = list(site.navigation.all())
    data |= {
        "navigation-TOTAL_FORMS": len(existing) + len(links),
        "navigation-INITIAL_FORMS": len(existing),
        "navigation-MIN_NUM_FORMS": 0,
        "navigation-MAX_NUM_FORMS": 1000,
    }
    for number, link in enumerate(existing):
        data |= {
            f"navigation-{number}-id": link.pk,
            f"navigation-{number}-site": 1,
            f"navigation-{number}-position": link.position,
            f"navigation-{number}-label": link.label,
            f"navigation-{number}-page": link.page_id or "",
            f"navigation-{number}-tag": link.tag_id or "",
            f"navigation-{number}-url": link.url,
        }
    blank = {"position": 0, "label": "", "page": "", "tag": "", "url": ""}
    for number, link in enumerate(links, start=len(existing)):
        data[f"navigation-{number}-site"] = 1
        data |= {f"navigation-{number}-{name}": value for name, value in (blank | link).items()}
    return data


def errors_of(response) -> list[str]:
    """The form's and the inline forms' error messages, as the admin shows them."""
    adminform = response.context["adminform"]
    errors = [str(message) for messages in adminform.form.errors.values() for message in messages]
    for formset in response.context["inline_admin_formsets"]:
        for form_errors in formset.formset.errors:
            errors += [str(message) for messages in form_errors.values() for message in messages]
    return errors


def nav_links(html: str) -> list[tuple[str, str]]:
    """The (text, address) of the links in the site's navigation."""
    nav = html.split('<nav aria-label="Site">', 1)[1].split("</nav>", 1)[0]
    return [
        (part.split(">", 1)[1].split("</a>", 1)[0], part.split('"', 1)[0])
        for part in nav.split('<a href="')[1:]
    ]


# The row, and where its first values come from


def test_the_environment_seeds_the_row_once(settings):
    seed = importlib.import_module("posts.migrations.0008_site_settings").settings_from_environment
    SiteSettings.objects.all().delete()
    settings.MARKUP_SITE_TITLE = "The Old Name"
    settings.MARKUP_SITE_DESCRIPTION = "Set in the environment."
    settings.MARKUP_POSTS_PER_PAGE = 7
    seed(apps, connections["default"].schema_editor())
    site = SiteSettings.objects.get()
    assert (site.pk, site.title, site.description, site.posts_per_page) == (
        1,
        "The Old Name",
        "Set in the environment.",
        7,
    )
    settings.MARKUP_SITE_TITLE = "Changed later"
    seed(apps, connections["default"].schema_editor())
    assert SiteSettings.objects.get().title == "The Old Name"


def test_without_the_row_pages_show_the_environments_values(client, make_post, settings):
    settings.MARKUP_SITE_TITLE = "From the environment"
    settings.MARKUP_POSTS_PER_PAGE = 1
    make_post(title="Older")
    make_post(title="Newer")
    SiteSettings.objects.all().delete()
    response = client.get("/")
    assert response.status_code == 200
    assertContains(response, "<title>From the environment</title>", html=True)
    assert len(response.context["page"]) == 1
    assert client.get("/llms.txt").text.startswith("# From the environment\n")


def test_the_admin_makes_a_missing_row_again_from_the_environment(admin_client, settings):
    settings.MARKUP_SITE_TITLE = "Back again"
    SiteSettings.objects.all().delete()
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"] == CHANGE
    assert SiteSettings.objects.get().title == "Back again"


# A change shows on every public page at once


def test_a_changed_title_shows_on_every_public_page_at_once(
    page_cache, client, admin_client, public_pages
):
    for path in [*public_pages, "/feeds/atom.xml", "/feeds/feed.json", "/llms.txt"]:
        assert "The Notebook" not in client.get(path).text  # and now cached
    response = admin_client.post(CHANGE, site_form(title="The Notebook"))
    assert response.status_code == 302
    for path in public_pages:
        title = client.get(path).text.split("<title>", 1)[1].split("</title>", 1)[0]
        assert title.endswith("The Notebook"), path
    assert "<title>The Notebook</title>" in client.get("/feeds/atom.xml").text
    assert json.loads(client.get("/feeds/feed.json").text)["title"] == "The Notebook"
    assert client.get("/tags/notes/rss.xml").text.count("The Notebook: posts tagged") == 1
    assert client.get("/llms.txt").text.startswith("# The Notebook\n")


def test_a_changed_description_and_footer_show_on_every_public_page_at_once(
    page_cache, client, admin_client, public_pages
):
    for path in public_pages:
        client.get(path)
    changes = {"description": "Notes on gardens.", "footer_text": "© The gardeners"}
    assert admin_client.post(CHANGE, site_form(**changes)).status_code == 302
    for path in public_pages:
        html = client.get(path).text
        footer = html.split('<footer class="site-footer">', 1)[1]
        assert "© The gardeners" in footer, path
    assertContains(client.get("/"), '<meta name="description" content="Notes on gardens.">')
    assert "> Notes on gardens." in client.get("/llms.txt").text
    assert "<description>Notes on gardens.</description>" in client.get("/feeds/rss.xml").text


def test_a_new_navigation_link_shows_on_every_public_page_at_once(
    page_cache, client, admin_client, public_pages
):
    for path in public_pages:
        client.get(path)
    links = [{"position": 1, "label": "Elsewhere", "url": "https://example.com/"}]
    assert admin_client.post(CHANGE, site_form(links=links)).status_code == 302
    for path in public_pages:
        assert ("Elsewhere", "https://example.com/") in nav_links(client.get(path).text), path


def test_the_footer_shows_the_default_line_until_given_text(client, db):
    assertContains(client.get("/search/"), "<p>Published with markup.</p>", html=True)


def test_footer_text_is_shown_as_text(client, db):
    SiteSettings.objects.update_or_create(pk=1, defaults={"footer_text": "<b>bold</b> & co"})
    response = client.get("/search/")
    assertContains(response, "&lt;b&gt;bold&lt;/b&gt; &amp; co")
    assertNotContains(response, "<b>bold</b>")


# Navigation


def test_navigation_merges_links_and_pages_in_order(client, db):
    about = Page.objects.create(
        title="About", slug="about", body="Hi", status="published", navigation_position=2
    )
    Page.objects.create(
        title="Draft page", slug="draft-page", body="x", status="draft", navigation_position=1
    )
    hidden = Page.objects.create(title="Hidden", slug="hidden", body="x", status="draft")
    colophon = Page.objects.create(title="Colophon", slug="colophon", body="x", status="published")
    tag = Tag.objects.create(name="Gardens")
    site = SiteSettings.load()
    site.navigation.create(position=3, label="Elsewhere", url="https://example.com/a?b=1&c=2")
    site.navigation.create(position=1, tag=tag)
    site.navigation.create(position=2, label="How it is made", page=colophon)
    site.navigation.create(position=0, page=hidden)
    assert nav_links(client.get("/search/").text) == [
        ("Posts", "/"),
        ("Archive", "/archive/"),
        ("Gardens", "/tags/gardens/"),
        ("How it is made", "/colophon/"),
        ("About", about.get_absolute_url()),
        ("Elsewhere", "https://example.com/a?b=1&amp;c=2"),
    ]


def test_a_page_leaves_the_navigation_when_unpublished_and_comes_back(page_cache, client, db):
    about = Page.objects.create(
        title="About", slug="about", body="Hi", status="published", navigation_position=1
    )
    assert ("About", "/about/") in nav_links(client.get("/search/").text)
    about.status = "draft"
    about.save()
    assert ("About", "/about/") not in nav_links(client.get("/search/").text)
    about.status = "published"
    about.save()
    assert ("About", "/about/") in nav_links(client.get("/search/").text)


def test_navigation_text_is_escaped(client, db):
    SiteSettings.load().navigation.create(label="<i>x</i>", url="https://example.com/")
    html = client.get("/search/").text
    assert ("&lt;i&gt;x&lt;/i&gt;", "https://example.com/") in nav_links(html)


@pytest.mark.skipif(not VNU_JAR.exists(), reason="the Nu HTML Checker: npm ci --prefix tests/tools")
def test_pages_with_navigation_footer_and_social_image_are_valid_html(client, make_post, tmp_path):
    picture = Image.upload(picture_file("PNG", size=(1200, 630)), alt_text="A red card")
    site = SiteSettings.load()
    site.footer_text = "© 2026 <the gardeners> & friends"
    site.default_social_image = picture
    site.save()
    Page.objects.create(
        title="About & more", slug="about", body="Hi", status="published", navigation_position=1
    )
    site.navigation.create(position=2, tag=Tag.objects.create(name="Gardens & sheds"))
    site.navigation.create(position=3, label="Shop <new>", url="https://example.com/?a=1&b=2")
    post = make_post(title="Valid", tags=["Gardens & sheds"])
    pages = {
        "home": client.get("/").text,
        "post": client.get(post.get_absolute_url()).text,
        "tag": client.get("/tags/gardens-sheds/").text,
        "search": client.get("/search/").text,
    }
    assert len(nav_links(pages["home"])) == 5
    assert validation_errors(pages, tmp_path) == []


# Link previews and structured data


def test_the_default_social_image_stands_in_for_pages_without_their_own(client, make_post):
    picture = Image.upload(picture_file("PNG", size=(1200, 630)), alt_text="A red card")
    SiteSettings.objects.update_or_create(pk=1, defaults={"default_social_image": picture})
    plain = make_post(title="Plain")
    pictured = make_post(title="Pictured", body="![x](/media/own.png)")
    expected = f"http://testserver{picture.url}"
    for path in ["/", plain.get_absolute_url(), "/archive/"]:
        assertContains(client.get(path), f'<meta property="og:image" content="{expected}">')
    own = client.get(pictured.get_absolute_url())
    assertContains(own, '<meta property="og:image" content="http://testserver/media/own.png">')
    assertNotContains(own, expected)


def test_structured_data_names_the_publisher(client, make_post):
    SiteSettings.objects.update_or_create(pk=1, defaults={"publisher_name": "Garden Press"})
    post = make_post(title="Structured")
    html = client.get(post.get_absolute_url()).text
    data = json.loads(html.split('<script type="application/ld+json">')[1].split("</script>")[0])
    assert data["publisher"] == {"@type": "Organization", "name": "Garden Press"}


# Posts per page


def test_posts_per_page_applies_to_lists_and_search(client, make_post):
    for number in range(3):
        make_post(title=f"Comet {number}", tags=["Notes"])
    SiteSettings.objects.update_or_create(pk=1, defaults={"posts_per_page": 2})
    for path in ["/", "/tags/notes/", "/authors/ada/", "/search/?q=comet"]:
        assert len(client.get(path).context["page"]) == 2, path
    year = Post.objects.first().published_at.strftime("/archive/%Y/")
    assert len(client.get(year).context["page_obj"]) == 2


# Bad values are refused with form errors, and change nothing


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": ""}, "This field is required."),
        ({"title": "   "}, "This field is required."),
        ({"posts_per_page": 0}, "Ensure this value is greater than or equal to 1."),
        ({"posts_per_page": 101}, "Ensure this value is less than or equal to 100."),
        ({"posts_per_page": 1_000_000}, "Ensure this value is less than or equal to"),
        ({"posts_per_page": "ten"}, "Enter a whole number."),
    ],
)
def test_bad_settings_are_refused_with_a_form_error(admin_client, fields, error):
    response = admin_client.post(CHANGE, site_form(**fields))
    assert response.status_code == 200
    assert any(message.startswith(error) for message in errors_of(response)), errors_of(response)
    site = SiteSettings.objects.get()
    assert (site.title, site.posts_per_page) == ("markup", 10)


@pytest.mark.parametrize(
    ("link", "error"),
    [
        ({"label": "x", "url": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"label": "x", "url": "JavaScript:alert(document.cookie)"}, "Enter a valid URL."),
        ({"label": "x", "url": "data:text/html,<script>alert(1)</script>"}, "Enter a valid URL."),
        ({"label": "x", "url": "vbscript:msgbox(1)"}, "Enter a valid URL."),
        ({"label": "x", "url": "ftp://example.com/file"}, "Enter an address that starts with"),
        ({"label": "", "url": "https://example.com/"}, "A link to an address elsewhere needs"),
        ({"label": "x"}, "Link to one page, one tag or one address."),
        ({"url": "https://example.com/", "label": "x", "tag": "TAG"}, "Link to one page, one"),
    ],
)
def test_bad_navigation_links_are_refused_with_a_form_error(admin_client, link, error):
    tag = Tag.objects.create(name="Gardens")
    link = {name: tag.pk if value == "TAG" else value for name, value in link.items()}
    response = admin_client.post(CHANGE, site_form(links=[link]))
    assert response.status_code == 200
    assert [message for message in errors_of(response) if message.startswith(error)] == [
        errors_of(response)[0]
    ], errors_of(response)
    assert len(errors_of(response)) == 1, "one clear error, not two"
    assert not NavigationLink.objects.exists()


def test_djangos_url_field_alone_would_accept_ftp_so_links_allow_only_http_and_https():
    URLValidator()("ftp://example.com/file")  # what a plain URLField lets through
    link = NavigationLink(site_id=1, label="Files", url="ftp://example.com/file")
    with pytest.raises(ValidationError) as refused:
        link.full_clean()
    assert "url" in refused.value.message_dict


def test_the_database_refuses_a_link_without_exactly_one_target(db):
    from django.db import IntegrityError, transaction

    tag = Tag.objects.create(name="Gardens")
    site = SiteSettings.load()
    for targets in [{}, {"tag": tag, "url": "https://example.com/"}]:
        with pytest.raises(IntegrityError), transaction.atomic():
            NavigationLink.objects.create(site=site, label="x", **targets)


def test_the_database_refuses_a_second_row_and_absurd_posts_per_page(db):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SiteSettings.objects.filter(pk=1).update(posts_per_page=500)
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteSettings.objects.bulk_create([SiteSettings(id=2, title="Second")])


# Who may change them


def test_the_list_leads_straight_to_the_one_row(admin_client):
    response = admin_client.get(CHANGELIST)
    assert (response.status_code, response["Location"]) == (302, CHANGE)
    assertContains(admin_client.get(CHANGE), "Navigation links")


def test_the_row_can_be_neither_added_nor_deleted(admin_client):
    assert admin_client.get(reverse("admin:posts_sitesettings_add")).status_code == 403
    delete = reverse("admin:posts_sitesettings_delete", args=[1])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert SiteSettings.objects.filter(pk=1).exists()


def test_a_user_with_the_change_permission_edits_settings_and_navigation(client, django_user_model):
    manager = django_user_model.objects.create_user("manager", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="change_sitesettings"))
    client.force_login(manager)
    links = [{"position": 1, "label": "Shop", "url": "https://example.com/"}]
    response = client.post(CHANGE, site_form(title="Managed", links=links))
    assert response.status_code == 302
    assert SiteSettings.objects.get().title == "Managed"
    assert NavigationLink.objects.get().label == "Shop"


@pytest.mark.parametrize("codenames", [[], ["change_post", "add_post", "view_post"]])
def test_other_staff_cannot_change_the_settings(client, django_user_model, codenames):
    author = django_user_model.objects.create_user("author", is_staff=True)
    author.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(author)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(CHANGE).status_code == 403
    assert client.post(CHANGE, site_form(title="Taken over")).status_code == 403
    assert SiteSettings.objects.get().title == "markup"


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.post(CHANGE, site_form(title="Taken over"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert SiteSettings.objects.get().title == "markup"


# What reading them costs


def settings_queries(client, path) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [
        query["sql"]
        for query in queries.captured_queries
        if "posts_sitesettings" in query["sql"] or "posts_navigationlink" in query["sql"]
    ]


@pytest.mark.parametrize("path", ["/", "/search/?q=hello", "/feeds/atom.xml", "/llms.txt"])
def test_without_the_page_cache_a_request_reads_the_row_once_by_its_key(client, make_post, path):
    make_post(title="Hello")
    read = [sql for sql in settings_queries(client, path) if "posts_sitesettings" in sql]
    assert len(read) == 1
    assert '"posts_sitesettings"."id" = 1' in read[0].replace("%s", "1")


def test_with_a_warm_cache_the_settings_and_navigation_cost_no_query(
    page_cache, client, make_post, monkeypatch
):
    """Pages rendered anyway (as for readers with a session): only the whole-page cache is off."""
    make_post(title="Hello")
    SiteSettings.load().navigation.create(label="Elsewhere", url="https://example.com/")
    monkeypatch.setattr(caching, "_cacheable", lambda request: False)
    assert len(settings_queries(client, "/")) == 2  # the settings, the navigation: remembered
    for path in ["/", "/search/?q=hello", "/archive/", "/feeds/atom.xml", "/llms.txt"]:
        assert settings_queries(client, path) == [], path
    assertContains(client.get("/"), "Elsewhere")
