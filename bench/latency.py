"""Uncached p50/p99 of every public page, in-process through the WSGI application.

Pages are rendered for every request. With the page cache on (REDIS_URL), what pages
remember between changes (list counts and bookmarks, posts.pagination) is remembered.

Run by bench/scale.py once per dataset (DATABASE_URL names it); prints one JSON object
{page: {"p50": ms, "p99": ms, "status": code}}. Run alone for a quick look at one step:
DATABASE_URL=... .venv/bin/python bench/latency.py [REQUESTS] [PAGE-NAME-FILTER]
"""

import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "markup.settings")
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

# The site loaded as each gunicorn worker loads it, garbage collector's settings included.
from markup.wsgi import application  # noqa: E402
from posts import caching  # noqa: E402
from posts.models import Post, Tag  # noqa: E402
from posts.sitemaps import SECTIONS, PostSitemap  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import AUTHORS, EVERY_POST_TAG, RARE_WORD  # noqa: E402

MEASURE_SECONDS = 0.5


def pages() -> dict[str, str]:
    """Every public page the scale goals name, at the size of this dataset."""
    per_page = settings.MARKUP_POSTS_PER_PAGE
    published = Post.objects.published()
    last = max(1, -(-published.count() // per_page))
    tag = Tag.objects.get(name=EVERY_POST_TAG)
    small_tag, small_count = fullest_last_page(Tag.objects.exclude(pk=tag.pk), per_page)
    small_last = max(1, -(-small_count // per_page))
    author = get_user_model().objects.get(username=AUTHORS[0])
    author_last = max(1, -(-published.by_author(author).count() // per_page))
    newest = published.order_by("-published_at").first()
    middle = published.order_by("-published_at")[published.count() // 2]
    year, month = newest.published_at.year, newest.published_at.month
    posts_parts = max(1, -(-published.count() // PostSitemap.limit))
    tag_url, author_url = tag.get_absolute_url(), author.get_absolute_url()
    return {
        "home": "/",
        "list, middle page": f"/?page={last // 2 or 1}",
        "list, last page": f"/?page={last}",
        "tag on every post": tag_url,
        "same tag, middle page": f"{tag_url}?page={last // 2 or 1}",
        "same tag, last page": f"{tag_url}?page={last}",
        "small tag, last page": f"{small_tag.get_absolute_url()}?page={small_last}",
        "author": author_url,
        "author, last page": f"{author_url}?page={author_last}",
        "archive index": reverse("posts:archive"),
        "year archive": reverse("posts:archive-year", kwargs={"year": year}),
        "month archive": reverse("posts:archive-month", kwargs={"year": year, "month": month}),
        "search, word in every post": "/search/?q=markup",
        "search, rare word": f"/search/?q={RARE_WORD}",
        "site feed (Atom)": "/feeds/atom.xml",
        "site feed (RSS)": "/feeds/rss.xml",
        "site feed (JSON)": "/feeds/feed.json",
        "tag feed": f"{tag_url}atom.xml",
        "author feed": f"{author_url}atom.xml",
        "sitemap": "/sitemap.xml",
        **{f"sitemap part {name}": f"/sitemap-{name}.xml" for name in SECTIONS},
        "sitemap posts, last part": f"/sitemap-posts.xml?p={posts_parts}",
        "post, newest": newest.get_absolute_url(),
        "post, middle": middle.get_absolute_url(),
        "Markdown twin": middle.get_markdown_url(),
    }


def fullest_last_page(tags, per_page: int) -> tuple[Tag, int]:
    """The small tag whose last page holds the most posts, and its number of posts.

    Each small tag is on about one post in 13, so any of them shows how a deep page of a
    sparse list costs; but the first by name held 2 posts on its last page at 1k posts and
    4 at 100k, and the ratio of their p99s measured rendering two more posts, not depth.
    The fullest last page holds 9 or 10 posts at every size."""
    counts = [(tag, tag.posts.published().count()) for tag in tags.order_by("name")]
    return max(counts, key=lambda counted: (counted[1] - 1) % per_page)


def admin_pages() -> dict[str, str]:
    """The admin's post list, as authors use it."""
    tag = Tag.objects.get(name=EVERY_POST_TAG)
    small_tag = Tag.objects.exclude(pk=tag.pk).order_by("name").first()
    changelist = reverse("admin:posts_post_changelist")
    return {
        "admin post list": changelist,
        "admin list, published": f"{changelist}?status__exact=published",
        "admin list, tag on every post": f"{changelist}?tags__id__exact={tag.pk}",
        "admin list, small tag": f"{changelist}?tags__id__exact={small_tag.pk}",
        "admin list, searched, rare word": f"{changelist}?q={RARE_WORD}",
        "admin list, searched, word in every post": f"{changelist}?q=markup",
    }


def editor_cookie() -> str:
    """The session cookie of a superuser, made the first time."""
    user, created = get_user_model().objects.get_or_create(
        username="bench-editor", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client.cookies.output(attrs=[], header="", sep=";").strip()


def get(address: str, cookie: str = "") -> int:
    """One GET through the WSGI application, as a gunicorn worker calls it; its status.

    Not through Django's test client: it connects two signal receivers anew for every
    request, and each connection leaves a weakref.finalize behind for good, ~8 objects a
    request that make every later full garbage collection longer."""
    path, _, query = address.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }
    statuses = []
    body = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    for _chunk in body:
        pass
    body.close()
    return int(statuses[0].split()[0])


def measure(path: str, requests: int, cookie: str = "") -> dict:
    """p50 and p99 of at least ``requests`` requests and at least MEASURE_SECONDS of them:
    for a page of 0.3 ms, 100 requests take 30 ms, and one pause of the machine in them
    is their p99."""
    get(path, cookie)  # warm: connection, templates, the database's own caches
    timings, until = [], time.perf_counter() + MEASURE_SECONDS
    while len(timings) < requests or time.perf_counter() < until:
        started = time.perf_counter()
        status = get(path, cookie)
        timings.append((time.perf_counter() - started) * 1000)
    percentiles = statistics.quantiles(timings, n=100, method="inclusive")
    p50, p99 = round(percentiles[49], 2), round(percentiles[98], 2)
    return {"p50": p50, "p99": p99, "status": status}


def main():
    # Every page rendered, none served whole from the page cache; what the pages remember
    # (counts, bookmarks) is remembered as in production when the page cache is on.
    caching._cacheable = lambda request: False
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    wanted = sys.argv[2] if len(sys.argv) > 2 else ""
    readers_and_editors = [("", pages()), (editor_cookie(), admin_pages())]
    results = {
        name: measure(path, requests, cookie)
        for cookie, paths in readers_and_editors
        for name, path in paths.items()
        if wanted.lower() in name.lower()
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
