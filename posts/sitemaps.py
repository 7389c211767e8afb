"""The sitemap (sitemaps.org 0.9): the home page, every published post, and the tag and
author pages that list any. One file while it fits the protocol's limits, else an index
of parts, one or more per section."""

from django.contrib.auth import get_user_model
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Exists, Max, OuterRef
from django.urls import reverse
from django.views.decorators.http import require_safe

from posts.caching import cache_public_page, remembered
from posts.models import Post, Tag
from posts.pagination import PostPaginator

# A file may hold 50,000 URLs and 50 MB (52,428,800 bytes). A post's address can be long:
# its slug is up to 200 letters of any script, each up to 12 characters percent-encoded,
# so one <url> entry can take ~2,800 bytes, and 50,000 of them would pass 50 MB. Files are
# cut far sooner, so each renders in a few milliseconds: the cost of a part is what a
# part holds, however large the site (docs/performance.md).
LONGEST_ENTRY_BYTES = 2_800
URLS_PER_FILE = 1_000


class PublicSitemap(Sitemap):
    limit = URLS_PER_FILE


class HomeSitemap(PublicSitemap):
    def items(self):
        return ["posts:list"]

    def location(self, name):
        return reverse(name)


class PostSitemap(PublicSitemap):
    def items(self):
        return Post.objects.published().only("slug", "updated_at")

    @property
    def paginator(self):
        # Deep parts start from bookmarks rather than walking every post before them.
        return PostPaginator(self._items(), self.limit, name="sitemap-posts")

    def lastmod(self, post):
        return post.updated_at

    def get_latest_lastmod(self):
        def latest():
            return Post.objects.published().aggregate(latest=Max("updated_at"))["latest"]

        return remembered("sitemap-posts-lastmod", latest)


class TagSitemap(PublicSitemap):
    def items(self):
        published = Post.objects.published().filter(tags=OuterRef("pk"))
        return Tag.objects.filter(Exists(published)).only("slug")


class AuthorSitemap(PublicSitemap):
    def items(self):
        published = Post.objects.published().filter(author=OuterRef("pk"))
        authors = get_user_model().objects.filter(Exists(published))
        return authors.only("username").order_by("username")


SECTIONS = {
    "home": HomeSitemap,
    "posts": PostSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}


@require_safe
@cache_public_page
def sitemap(request):
    """The whole sitemap in one file while it fits, else the index of its parts."""
    urls = sum(section().paginator.count for section in SECTIONS.values())
    if urls > PublicSitemap.limit:
        return sitemap_views.index(request, SECTIONS, sitemap_url_name="posts:sitemap-section")
    return sitemap_views.sitemap(request, SECTIONS)


@require_safe
@cache_public_page
def sitemap_section(request, section):
    """One part of the index: a section's URLs, a page of them (``?p=N``) when many."""
    return sitemap_views.sitemap(request, SECTIONS, section=section)
