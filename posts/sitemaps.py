"""The sitemap (sitemaps.org 0.9): the home page, the published pages and posts, and the
tag and author pages that list any. One file while it fits the protocol's limits, else an
index of parts, one or more per section.

Files are written here rather than by Django's sitemap template, byte for byte as it
writes them: the template costs ~0.2 ms a URL, 200 ms for a part of 1,000 posts.
"""

import math
from datetime import date, datetime, tzinfo
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.contrib.sitemaps import Sitemap
from django.contrib.sites.shortcuts import get_current_site
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Exists, Max, OuterRef
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import RFC3986_SUBDELIMS, http_date
from django.views.decorators.http import require_safe

from posts.caching import cache_public_page, remembered
from posts.models import Page, Post, Tag
from posts.pagination import PostPaginator

# A file may hold 50,000 URLs and 50 MB (52,428,800 bytes). A post's address can be long:
# its slug is up to 200 letters of any script, each up to 12 characters percent-encoded,
# so one <url> entry can take ~2,800 bytes, and 50,000 of them would pass 50 MB. Files are
# cut far sooner, so each renders in a few milliseconds: the cost of a part is what a
# part holds, however large the site (docs/performance.md).
LONGEST_ENTRY_BYTES = 2_800
URLS_PER_FILE = 500


class PublicSitemap(Sitemap):
    limit = URLS_PER_FILE

    def entries(self, page) -> list[tuple[str, datetime | date | None]]:
        """(address, last change) of each URL of part ``page`` of this section."""
        return [
            (self.location(item), self.lastmod(item) if hasattr(self, "lastmod") else None)
            for item in self.paginator.page(page).object_list
        ]


class HomeSitemap(PublicSitemap):
    def items(self):
        return ["posts:list"]

    def location(self, name):
        return reverse(name)


class PageSitemap(PublicSitemap):
    def items(self):
        return Page.objects.published().only("slug", "updated_at")

    def lastmod(self, page):
        return page.updated_at


class PostSitemap(PublicSitemap):
    def items(self):
        # Rows of the three values a URL needs rather than Posts: 500 model instances a
        # part made the garbage collector sweep the whole heap every ~70 parts (~45 ms).
        return Post.objects.published().values_list("pk", "slug", "updated_at", named=True)

    def location(self, post):
        return reverse("posts:detail", kwargs={"slug": post.slug})

    def entries(self, page):
        # A post's address is a fixed text around its slug: reverse() for each of 500
        # posts would take ~25 ms. quote() as reverse() quotes.
        before, _, after = reverse("posts:detail", kwargs={"slug": SLUG}).rpartition(SLUG)
        return [
            (f"{before}{quote(post.slug, safe=ADDRESS_SAFE)}{after}", post.updated_at)
            for post in self.paginator.page(page).object_list
        ]

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
        def tags():
            published = Post.objects.published().filter(tags=OuterRef("pk"))
            return list(Tag.objects.filter(Exists(published)).only("slug"))

        # Which tags list a post: PostgreSQL answers with a join over every post and its
        # tags (~230 ms at 100k posts), so the answer is kept until content changes.
        return remembered("sitemap-tags", tags)


class AuthorSitemap(PublicSitemap):
    def items(self):
        def authors():
            published = Post.objects.published().filter(author=OuterRef("pk"))
            authors = get_user_model().objects.filter(Exists(published))
            return list(authors.only("username").order_by("username"))

        return remembered("sitemap-authors", authors)


SECTIONS = {
    "home": HomeSitemap,
    "pages": PageSitemap,
    "posts": PostSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}
SLUG = "sitemap-slug"
ADDRESS_SAFE = RFC3986_SUBDELIMS + "/~:@"


@require_safe
@cache_public_page
def sitemap(request):
    """The whole sitemap in one file while it fits, else the index of its parts."""
    counts = {name: section().paginator.count for name, section in SECTIONS.items()}
    if sum(counts.values()) > PublicSitemap.limit:
        return index(request, {name: count for name, count in counts.items() if count})
    sections = [SECTIONS[name]() for name, count in counts.items() if count]
    return urlset(request, sections, part=request.GET.get("p", 1))


@require_safe
@cache_public_page
def sitemap_section(request, section):
    """One part of the index: a section's URLs, a page of them (``?p=N``) when many."""
    if section not in SECTIONS:
        raise Http404("No such part of the sitemap.")
    return urlset(request, [SECTIONS[section]()], part=request.GET.get("p", 1))


def index(request, counts: dict[str, int]) -> HttpResponse:
    """The index of the parts of the sections with URLs (``counts``: how many each has, as
    the view just counted them), as Django's index view and template write it, written
    here: 100k posts make 200 parts, which the template took ~40 us each to list. A
    section's parts all carry its latest change."""
    site = f"{request.scheme}://{get_current_site(request).domain}"
    zone = timezone.get_current_timezone()
    entries, changes = [], []
    for name, count in counts.items():
        sitemap = SECTIONS[name]()
        address = escape(site + reverse("posts:sitemap-section", kwargs={"section": name}))
        lastmod = sitemap.get_latest_lastmod()
        changes.append(lastmod)
        dated = f"<lastmod>{_moment(lastmod, zone)}</lastmod>" if lastmod else ""
        for part in range(1, math.ceil(count / sitemap.limit) + 1):
            query = f"?p={part}" if part > 1 else ""
            entries.append(f"<sitemap><loc>{address}{query}</loc>{dated}</sitemap>")
    response = HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{''.join(entries)}\n</sitemapindex>\n",
        content_type="application/xml",
    )
    if changes and all(changes):
        response.headers["Last-Modified"] = http_date(max(changes).timestamp())
    response.headers["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response


def urlset(request, sections, part=1) -> HttpResponse:
    """A sitemap file of ``part`` of each section, as Django's sitemap view writes it."""
    try:
        entries = [entry for section in sections for entry in section.entries(part)]
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404("No such part of the sitemap.") from error
    site = f"{request.scheme}://{get_current_site(request).domain}"
    zone = timezone.get_current_timezone()
    urls = "".join(
        f"<url><loc>{escape(site + address)}</loc>"
        + (f"<lastmod>{_day(lastmod, zone)}</lastmod>" if lastmod else "")
        + "</url>"
        for address, lastmod in entries
    )
    response = HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
        f"{urls}\n</urlset>\n",
        content_type="application/xml",
    )
    changes = [lastmod for _, lastmod in entries]
    if changes and all(changes):
        # For ConditionalGetMiddleware's 304s, as Django's view does.
        response.headers["Last-Modified"] = http_date(max(changes).timestamp())
    response.headers["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response


def _moment(lastmod: datetime | date, zone: tzinfo) -> str:
    """The time as the template's ``date:"c"`` gives it: ISO 8601, in the site's time zone."""
    return _local(lastmod, zone).isoformat()


def _day(lastmod: datetime | date, zone: tzinfo) -> str:
    """The day as the template's ``date:"Y-m-d"`` gives it: in the site's time zone."""
    return _local(lastmod, zone).strftime("%Y-%m-%d")


def _local(lastmod: datetime | date, zone: tzinfo) -> datetime | date:
    """A time as the template shows it: in the site's time zone when it has one."""
    if isinstance(lastmod, datetime) and timezone.is_aware(lastmod):
        return lastmod.astimezone(zone)
    return lastmod
