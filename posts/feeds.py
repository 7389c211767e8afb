"""Atom, RSS and JSON Feed of the newest published posts: the site's, a tag's, an author's.

Each entry carries the post's whole sanitized HTML with every link made absolute (feed
readers show it away from the site), its summary, dates, author and tags. Entry ids are
``urn:uuid:`` of ``Post.uuid``, so they survive any change of slug.
"""

import json
import re
from html import escape
from urllib.parse import urljoin

import lxml.html
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed, rfc3339_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from posts.caching import cache_public_page
from posts.models import Post, SiteSettings, Tag

# Characters XML 1.0 cannot carry at all; nothing stops an author from typing them.
NOT_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value):
    """``value`` (text, or a list of texts) without characters that XML 1.0 forbids."""
    if isinstance(value, str):
        return NOT_XML_CHARACTERS.sub("", value)
    if isinstance(value, list | tuple):
        return [xml_safe(item) for item in value]
    return value


def absolute_links(html: str, base_url: str) -> str:
    """``html`` with every relative ``href``, ``src`` and ``cite`` resolved against ``base_url``."""
    if not html.strip():
        return html
    fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    fragment.make_links_absolute(base_url, resolve_base_href=False)
    children = (lxml.html.tostring(child, encoding="unicode") for child in fragment)
    return escape(fragment.text or "", quote=False) + "".join(children)


class PostEntries:
    """What every format does: absolute links, in the content too, and no character that
    XML cannot carry."""

    def __init__(self, **kwargs):
        if kwargs.get("author_link"):
            kwargs["author_link"] = urljoin(kwargs["link"], kwargs["author_link"])
        super().__init__(**{name: xml_safe(value) for name, value in kwargs.items()})

    def add_item(self, *, link, author_link, content_html, **kwargs):
        super().add_item(
            link=link,
            author_link=urljoin(link, author_link),
            content_html=absolute_links(xml_safe(content_html), base_url=link),
            **{name: xml_safe(value) for name, value in kwargs.items()},
        )


class AtomFeed(PostEntries, Atom1Feed):
    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content_html"], {"type": "html"})


class RssFeed(PostEntries, Rss201rev2Feed):
    def rss_attributes(self):
        return super().rss_attributes() | {
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/"
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content_html"])


class JsonFeed(PostEntries, SyndicationFeed):
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""

    content_type = "application/feed+json"

    def write(self, outfile, encoding):
        outfile.write(json.dumps(self.as_json(), ensure_ascii=False))

    def as_json(self) -> dict:
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.feed["title"],
            "home_page_url": self.feed["link"],
            "feed_url": self.feed["feed_url"],
            "description": self.feed["description"],
            "language": self.feed["language"],
        }
        if self.feed["author_name"]:
            feed["authors"] = [{"name": self.feed["author_name"], "url": self.feed["author_link"]}]
        feed["items"] = [self._item(item) for item in self.items]
        return feed

    def _item(self, item) -> dict:
        return {
            "id": item["unique_id"],
            "url": item["link"],
            "title": item["title"],
            "content_html": item["content_html"],
            "summary": item["summary"],
            "date_published": rfc3339_date(item["pubdate"]),
            "date_modified": rfc3339_date(item["updateddate"]),
            "authors": [{"name": item["author_name"], "url": item["author_link"]}],
            "tags": item["categories"],
        }


FORMATS = {"atom.xml": AtomFeed, "rss.xml": RssFeed, "feed.json": JsonFeed}


class SiteFeed(Feed):
    """The newest published posts of the whole site."""

    item_guid_is_permalink = False

    def __init__(self, feed_type):
        self.feed_type = feed_type

    def __call__(self, request, *args, **kwargs):
        self.site = SiteSettings.current(request)
        return super().__call__(request, *args, **kwargs)

    def title(self, obj):
        return self.site.title

    def link(self, obj):
        return reverse("posts:list")

    def description(self, obj):
        return self.site.description

    def posts(self, obj):
        return Post.objects.published()

    def items(self, obj):
        return self.posts(obj).for_listing()[: settings.MARKUP_FEED_ITEMS]

    def item_title(self, post):
        return post.title

    def item_description(self, post):
        # RSS descriptions and Atom summaries are HTML; the teaser is plain text.
        return escape(post.teaser)

    def item_guid(self, post):
        return post.uuid.urn

    def item_pubdate(self, post):
        return post.published_at

    def item_updateddate(self, post):
        return post.updated_at

    def item_author_name(self, post):
        return post.author.get_full_name() or post.author.get_username()

    def item_author_link(self, post):
        return post.author.get_absolute_url()

    def item_categories(self, post):
        return post.tag_names

    def item_extra_kwargs(self, post):
        return {"content_html": post.body_html, "summary": post.teaser}


class TagFeed(SiteFeed):
    """The newest published posts with one tag."""

    def get_object(self, request, slug):
        return get_object_or_404(Tag, slug=slug)

    def title(self, tag):
        return _("%(site)s: posts tagged “%(tag)s”") % {
            "site": self.site.title,
            "tag": tag.name,
        }

    def link(self, tag):
        return tag.get_absolute_url()

    def posts(self, tag):
        return tag.posts.published()


class AuthorFeed(SiteFeed):
    """The newest published posts of one author; like the author page, only for authors
    who have published something."""

    def get_object(self, request, username):
        # Exists, checked for this one user, stops at their first post; "pk in the authors
        # of every published post" listed the authors of all of them first.
        published = Post.objects.published().filter(author=OuterRef("pk"))
        authors = get_user_model().objects.filter(Exists(published))
        return get_object_or_404(authors, username=username)

    def title(self, author):
        return _("%(site)s: posts by %(author)s") % {
            "site": self.site.title,
            "author": self.author_name(author),
        }

    def link(self, author):
        return author.get_absolute_url()

    def author_name(self, author):
        return author.get_full_name() or author.get_username()

    def author_link(self, author):
        return author.get_absolute_url()

    def posts(self, author):
        return Post.objects.published().by_author(author)


def feed_view(feed_class):
    """A view answering ``feed_class``'s feed in the format its file name asks for."""

    @require_safe
    @cache_public_page
    def view(request, filename, **kwargs):
        return feed_class(FORMATS[filename])(request, **kwargs)

    return view


site_feed = feed_view(SiteFeed)
tag_feed = feed_view(TagFeed)
author_feed = feed_view(AuthorFeed)
