"""Atom, RSS and JSON Feed for the site, each tag and each author, checked by validators."""

import json
from datetime import timedelta
from pathlib import Path

import feedparser
import jsonschema
import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from posts import caching
from posts.models import Post

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "schemas"
FORMATS = ["atom.xml", "rss.xml", "feed.json"]
SITE = "http://testserver"


@pytest.fixture(scope="module")
def atom_schema():
    return etree.RelaxNG(etree.parse(SCHEMAS / "atom.rng"))


@pytest.fixture(scope="module")
def json_feed_schema():
    schema = json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text())
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@pytest.fixture
def valid_feed(client, atom_schema, json_feed_schema):
    """Fetch a feed, check it with the validators of its format and return it parsed as
    (feed, entries), each entry a dict of the same fields whatever the format."""

    def fetch(path):
        response = client.get(path)
        assert response.status_code == 200, path
        if path.endswith(".json"):
            assert response["Content-Type"] == "application/feed+json"
            document = json.loads(response.content)
            json_feed_schema.validate(document)
            return document, [json_entry(item) for item in document["items"]]
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        root = etree.fromstring(response.content)
        if path.endswith("atom.xml"):
            assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
            assert atom_schema.validate(root), atom_schema.error_log
        else:
            assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
            assert root.tag == "rss" and root.get("version") == "2.0"
        return parsed.feed, [xml_entry(entry) for entry in parsed.entries]

    return fetch


def json_entry(item):
    return {
        "id": item["id"],
        "title": item["title"],
        "link": item["url"],
        "content": item["content_html"],
        "summary": item["summary"],
        "author": item["authors"][0]["name"],
        "author_link": item["authors"][0]["url"],
        "tags": item["tags"],
    }


def xml_entry(entry):
    return {
        "id": entry.id,
        "title": entry.title,
        "link": entry.link,
        "content": entry.content[0].value,
        "summary": html_text(entry.summary),
        "author": entry.author,
        "author_link": entry.get("author_detail", {}).get("href"),
        "tags": [tag.term for tag in entry.get("tags", [])],
    }


def html_text(html: str) -> str:
    return lxml.html.fragment_fromstring(html, create_parent="div").text_content()


def feed_paths(tag="django", username="ada"):
    return {
        "site": [reverse("posts:site-feed", args=[name]) for name in FORMATS],
        "tag": [reverse("posts:tag-feed", args=[tag, name]) for name in FORMATS],
        "author": [reverse("posts:author-feed", args=[username, name]) for name in FORMATS],
    }


ALL_FEEDS = [path for paths in feed_paths().values() for path in paths]


@pytest.fixture
def article(make_post):
    return make_post(
        title="An article",
        summary="What it says.",
        body=(
            "See [the other post](/posts/other/), [a relative one](../other/) and "
            "[a note](#notes).\n\n![A picture](/static/picture.png)\n\n"
            "> A [quote](https://example.com/elsewhere)"
        ),
        tags=["Django", "Feeds"],
    )


@pytest.mark.parametrize("path", ALL_FEEDS)
def test_every_feed_is_valid_for_its_format(valid_feed, article, path):
    feed, entries = valid_feed(path)
    assert [entry["title"] for entry in entries] == ["An article"]


@pytest.mark.parametrize("path", ALL_FEEDS)
def test_an_entry_carries_content_summary_author_and_tags(valid_feed, article, path):
    [entry] = valid_feed(path)[1]
    assert entry["id"] == f"urn:uuid:{article.uuid}"
    assert entry["link"] == f"{SITE}/posts/an-article/"
    assert entry["summary"] == "What it says."
    assert "<blockquote>" in entry["content"]
    assert entry["author"] == "Ada Lovelace"
    # RSS 2.0 names an author (dc:creator) but has no place for their address.
    rss = path.endswith("rss.xml")
    assert entry["author_link"] == (None if rss else f"{SITE}/authors/ada/")
    assert sorted(entry["tags"]) == ["Django", "Feeds"]


@pytest.mark.parametrize("name", FORMATS)
def test_links_and_images_inside_the_content_are_absolute(valid_feed, article, name):
    [entry] = valid_feed(reverse("posts:site-feed", args=[name]))[1]
    content = lxml.html.fragment_fromstring(entry["content"], create_parent="div")
    links = [element.get("href") or element.get("src") for element in content.iter("a", "img")]
    assert links == [
        f"{SITE}/posts/other/",
        f"{SITE}/posts/other/",
        f"{SITE}/posts/an-article/#notes",
        f"{SITE}/static/picture.png",
        "https://example.com/elsewhere",
    ]


def test_feed_level_links_are_absolute(client, article):
    atom = etree.fromstring(client.get("/feeds/atom.xml").content)
    links = {link.get("rel"): link.get("href") for link in atom.findall("{*}link")}
    assert links == {"alternate": f"{SITE}/", "self": f"{SITE}/feeds/atom.xml"}
    document = client.get("/authors/ada/feed.json").json()
    assert document["home_page_url"] == f"{SITE}/authors/ada/"
    assert document["feed_url"] == f"{SITE}/authors/ada/feed.json"
    assert document["authors"] == [{"name": "Ada Lovelace", "url": f"{SITE}/authors/ada/"}]


def test_rss_names_itself_and_marks_ids_as_not_links(client, article):
    rss = etree.fromstring(client.get("/feeds/rss.xml").content)
    [self_link] = rss.findall("channel/{http://www.w3.org/2005/Atom}link")
    assert (self_link.get("rel"), self_link.get("href")) == ("self", f"{SITE}/feeds/rss.xml")
    [guid] = rss.findall("channel/item/guid")
    assert (guid.text, guid.get("isPermaLink")) == (f"urn:uuid:{article.uuid}", "false")


@pytest.mark.parametrize("name", FORMATS)
def test_feeds_carry_published_and_updated_dates(client, make_post, now, name):
    published = timezone.now() - timedelta(days=3)
    make_post(published_at=published)
    parsed = feedparser.parse(client.get(reverse("posts:site-feed", args=[name])).content)
    if name == "feed.json":
        [item] = json.loads(client.get("/feeds/feed.json").content)["items"]
        assert item["date_published"] == published.isoformat()
        assert item["date_modified"] == timezone.now().isoformat()
        return
    [entry] = parsed.entries
    assert entry.published_parsed[:6] == published.timetuple()[:6]
    if name == "atom.xml":  # RSS 2.0 has no element for the update time
        assert entry.updated_parsed[:6] == timezone.now().timetuple()[:6]


@pytest.mark.parametrize("path", feed_paths()["site"] + feed_paths()["tag"])
def test_feeds_hold_neither_drafts_nor_scheduled_posts(valid_feed, make_post, path):
    make_post(title="Older", tags=["django"], published_at=timezone.now() - timedelta(days=2))
    make_post(title="Newer", tags=["django"])
    make_post(title="Draft", tags=["django"], status=Post.Status.DRAFT)
    make_post(title="Scheduled", tags=["django"], published_at=timezone.now() + timedelta(hours=1))
    assert [entry["title"] for entry in valid_feed(path)[1]] == ["Newer", "Older"]


@pytest.mark.parametrize("path", feed_paths()["site"])
def test_feeds_hold_the_newest_markup_feed_items_posts(valid_feed, make_post, settings, path):
    settings.MARKUP_FEED_ITEMS = 3
    for day in range(5):
        make_post(title=f"Day {day}", published_at=timezone.now() - timedelta(days=day + 1))
    assert [entry["title"] for entry in valid_feed(path)[1]] == ["Day 0", "Day 1", "Day 2"]


@pytest.mark.parametrize("path", feed_paths()["site"])
def test_entry_ids_survive_a_change_of_slug(valid_feed, make_post, path):
    post = make_post(title="Renamed later")
    before = valid_feed(path)[1][0]
    Post.objects.filter(pk=post.pk).update(slug="a-new-address")
    after = valid_feed(path)[1][0]
    assert after["link"].endswith("/posts/a-new-address/")
    assert after["id"] == before["id"] == post.uuid.urn


@pytest.mark.parametrize("path", feed_paths(tag="python")["tag"])
def test_a_tag_feed_holds_only_that_tags_posts(valid_feed, make_post, path):
    make_post(title="Snakes", tags=["Python", "Other"])
    make_post(title="Crabs", tags=["Rust"])
    feed, entries = valid_feed(path)
    assert [entry["title"] for entry in entries] == ["Snakes"]
    assert "Python" in feed["title"]


@pytest.mark.parametrize("path", feed_paths()["author"])
def test_an_author_feed_holds_only_that_authors_posts(
    valid_feed, make_post, django_user_model, path
):
    grace = django_user_model.objects.create_user("grace", first_name="Grace")
    make_post(title="By Ada")
    make_post(title="By Grace", author=grace)
    feed, entries = valid_feed(path)
    assert [entry["title"] for entry in entries] == ["By Ada"]
    assert "Ada Lovelace" in feed["title"]


@pytest.mark.parametrize("name", FORMATS)
def test_usernames_with_punctuation_have_feeds(valid_feed, make_post, django_user_model, name):
    author = django_user_model.objects.create_user("grace.hopper+navy@example.org")
    make_post(title="Dotted", author=author)
    path = reverse("posts:author-feed", args=[author.username, name])
    assert [entry["title"] for entry in valid_feed(path)[1]] == ["Dotted"]


@pytest.mark.parametrize(
    "path",
    [
        "/tags/no-such-tag/atom.xml",
        "/authors/nobody/rss.xml",
        "/authors/editor/feed.json",  # staff who published nothing are not announced
        "/authors/drafter/atom.xml",
        "/feeds/atom.json",
        "/feeds/index.xml",
    ],
)
def test_unknown_feeds_answer_404(client, make_post, staff, django_user_model, path):
    drafter = django_user_model.objects.create_user("drafter")
    make_post(author=drafter, status=Post.Status.DRAFT, tags=["kept"])
    assert client.get(path).status_code == 404


def test_a_tag_without_published_posts_has_an_empty_feed(valid_feed, make_post):
    make_post(tags=["later"], status=Post.Status.DRAFT)
    feed, entries = valid_feed("/tags/later/atom.xml")
    assert entries == []


def test_feeds_answer_only_safe_methods(client, article):
    assert client.post("/feeds/atom.xml").status_code == 405
    assert client.head("/feeds/atom.xml").status_code == 200


HOSTILE = "<script>alert(1)</script> ]]> & \x01\x08\x0b\x1f\ufffe the end"
HOSTILE_AS_XML_ALLOWS = "<script>alert(1)</script> ]]> &  the end"


@pytest.mark.parametrize("scope", ["site", "tag"])
@pytest.mark.parametrize("name", FORMATS)
def test_hostile_text_never_breaks_a_feed(valid_feed, make_post, scope, name):
    post = make_post(title=HOSTILE, summary=HOSTILE, body=HOSTILE, tags=[f"x {HOSTILE}"])
    tag = post.tags.get()
    path = {
        "site": reverse("posts:site-feed", args=[name]),
        "tag": reverse("posts:tag-feed", args=[tag.slug, name]),
    }[scope]
    [entry] = valid_feed(path)[1]
    assert entry["title"] == HOSTILE_AS_XML_ALLOWS
    assert entry["summary"] == HOSTILE_AS_XML_ALLOWS
    assert entry["tags"] == [f"x {HOSTILE_AS_XML_ALLOWS}"]
    assert "<script>" not in entry["content"]


def test_home_page_announces_the_site_feeds(client, db):
    assert feed_links(client.get("/")) == {
        ("application/atom+xml", "/feeds/atom.xml"),
        ("application/rss+xml", "/feeds/rss.xml"),
        ("application/feed+json", "/feeds/feed.json"),
    }


def test_tag_page_announces_the_tag_feeds(client, make_post):
    make_post(tags=["Django"])
    assert feed_links(client.get("/tags/django/")) == {
        ("application/atom+xml", "/tags/django/atom.xml"),
        ("application/rss+xml", "/tags/django/rss.xml"),
        ("application/feed+json", "/tags/django/feed.json"),
    }


def test_author_page_announces_the_author_feeds(client, make_post):
    make_post()
    assert feed_links(client.get("/authors/ada/")) == {
        ("application/atom+xml", "/authors/ada/atom.xml"),
        ("application/rss+xml", "/authors/ada/rss.xml"),
        ("application/feed+json", "/authors/ada/feed.json"),
    }


def feed_links(response) -> set[tuple[str, str]]:
    head = lxml.html.fromstring(response.content).find("head")
    links = head.findall("link[@rel='alternate']")
    assert all(link.get("title") for link in links)
    return {(link.get("type"), link.get("href")) for link in links}


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        # the site's settings, posts with their authors, then their tags
        *[(path, 3) for path in feed_paths()["site"]],
        # and the tag, or the author, first
        *[(path, 4) for path in feed_paths()["tag"] + feed_paths()["author"]],
    ],
)
def test_feeds_make_a_fixed_number_of_queries(
    client, make_post, django_assert_num_queries, settings, path, queries
):
    settings.MARKUP_FEED_ITEMS = 5
    for number in range(8):
        make_post(title=f"Post {number}", tags=["Django", f"tag {number}"])
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path", ["/feeds/atom.xml", "/tags/django/rss.xml", "/authors/ada/feed.json"]
)
def test_feeds_are_served_from_the_page_cache_until_a_post_changes(
    client, make_post, settings, django_assert_num_queries, path
):
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    caching.content_changed()
    post = make_post(title="Before", tags=["Django"])
    first = client.get(path)
    with django_assert_num_queries(0):
        assert client.get(path).content == first.content
    post.title = "After"
    post.save()
    assert b"After" in client.get(path).content
