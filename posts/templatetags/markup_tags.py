import json
import math
from functools import cache, lru_cache

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext

from posts.models import SiteSettings

register = template.Library()

# Query parameters that name a different page; any other (tracking junk) is left out of
# canonical addresses.
CANONICAL_PARAMETERS = ("q", "page")
# JSON inside <script> must not be able to close the element or open a comment.
SCRIPT_SAFE_JSON = str.maketrans({"<": "\\u003C", ">": "\\u003E", "&": "\\u0026"})


@register.simple_tag
def archive_years(years):
    """Each year with posts as a section listing its months, each with its number of posts.

    Written here rather than by template loops with a ``{% url %}`` for each year and
    month: the archive lists every month with posts (99 at 100k posts over eight years),
    and that cost ~15 us a month. The addresses are the year's and the month's reversed
    once, around a placeholder year, with the numbers put in as posts.urls writes them.
    """
    year_before, year_after = _around_placeholder("posts:archive-year", [])
    month_before, month_after = _around_placeholder("posts:archive-month", [1], "/01")
    language = get_language()
    names = _month_names(language)
    sections = []
    for year, months in years.items():
        items = "".join(
            f'<li><a href="{month_before}{year:04d}/{month.month:02d}{month_after}">'
            f"{names[month.month]} {year}</a> "
            f'<span class="count">({_posts(language, count)})</span></li>'
            for month, count in months
        )
        heading = f'<a href="{year_before}{year:04d}{year_after}">{year}</a>'
        sections.append(
            f'<section class="archive-year" aria-labelledby="Year-{year}">\n'
            f'  <h2 id="Year-{year}">{heading}</h2>\n'
            f"  <ul>{items}</ul>\n</section>\n"
        )
    # Addresses from reverse(), numbers, and escaped words.
    return mark_safe("".join(sections))  # noqa: S308


PLACEHOLDER_YEAR = 1000


def _around_placeholder(name: str, more_args: list, after_year: str = "") -> tuple[str, str]:
    """What comes before and after the year (and ``after_year``) in a reversed address."""
    address = reverse(name, args=[PLACEHOLDER_YEAR, *more_args])
    before, _, after = address.rpartition(f"{PLACEHOLDER_YEAR}{after_year}")
    return before, after


# Translated once a language rather than once a month: ~20 us a month otherwise.
@cache
def _month_names(language: str) -> dict[int, str]:
    return {number: escape(str(name)) for number, name in MONTHS.items()}


@lru_cache(maxsize=1024)
def _posts(language: str, count: int) -> str:
    return escape(ngettext("%(count)s post", "%(count)s posts", count) % {"count": count})


@register.filter
def machine_time(value):
    """A datetime as HTML's ``datetime`` attribute wants it: ISO 8601, whole seconds."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


@register.filter
def whole_minutes(value):
    """A timedelta in minutes, rounded up: "15" for 15 minutes, "1" for 10 seconds."""
    return max(1, math.ceil(value.total_seconds() / 60))


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    """``path`` as an absolute URL on the host the request came to."""
    return context["request"].build_absolute_uri(path)


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """This page's absolute address without junk parameters (and without ``page=1``)."""
    request = context["request"]
    kept = [
        (name, request.GET[name])
        for name in CANONICAL_PARAMETERS
        if request.GET.get(name) and (name, request.GET[name]) != ("page", "1")
    ]
    query = f"?{urlencode(kept)}" if kept else ""
    return request.build_absolute_uri(request.path + query)


@register.simple_tag(takes_context=True)
def blog_posting(context, post):
    """The post as schema.org ``BlogPosting`` JSON-LD, for search engines."""
    request = context["request"]
    site = SiteSettings.current(request)
    author = post.author
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.teaser,
        "datePublished": post.published_at,
        "dateModified": post.updated_at,
        "author": {
            "@type": "Person",
            "name": author.get_full_name() or author.get_username(),
            "url": request.build_absolute_uri(author.get_absolute_url()),
        },
        "url": request.build_absolute_uri(post.get_absolute_url()),
        "mainEntityOfPage": request.build_absolute_uri(post.get_absolute_url()),
        "publisher": {"@type": "Organization", "name": site.publisher},
    }
    if image := post.first_image_url or site.social_image_url:
        data["image"] = request.build_absolute_uri(image)
    return json_ld(data)


@register.simple_tag(takes_context=True)
def web_page(context, page):
    """A standalone page as schema.org ``WebPage`` JSON-LD."""
    request = context["request"]
    site = SiteSettings.current(request)
    data = {
        "@context": "https://schema.org",
        "@type": "WebPage",
        "name": page.title,
        "description": page.teaser or site.description,
        "url": request.build_absolute_uri(page.get_absolute_url()),
        "dateModified": page.updated_at,
        "publisher": {"@type": "Organization", "name": site.publisher},
    }
    if image := page.first_image_url or site.social_image_url:
        data["image"] = request.build_absolute_uri(image)
    return json_ld(data)


def json_ld(data) -> str:
    """Structured data in a ``<script type="application/ld+json">`` no text can break out of."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(SCRIPT_SAFE_JSON)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.filter
def front_matter_value(value):
    """A value for YAML front matter: JSON's quoting, which YAML 1.2 reads as is."""
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
