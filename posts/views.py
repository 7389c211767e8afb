from functools import wraps

from django.contrib.auth import get_user_model
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic.dates import MonthArchiveView, YearArchiveView

from posts.caching import cache_public_page, remembered
from posts.models import Page, Post, Redirect, SiteSettings, Tag
from posts.pagination import PostPaginator
from posts.search import (
    MAX_QUERY_LENGTH,
    RANKED_MATCHES,
    clean_query,
    matching_pages,
    matching_posts,
)


@require_safe
@cache_public_page
def post_list(request):
    page = _page(request, _posts(request, Post.objects.published().for_listing()))
    return render(request, "posts/post_list.html", {"page": page})


@require_safe
@cache_public_page
def tag_detail(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    page = _page(request, _posts(request, tag.posts.published().for_listing()))
    return render(request, "posts/tag_detail.html", {"tag": tag, "page": page})


@require_safe
@cache_public_page
def author_detail(request, username):
    author = get_object_or_404(get_user_model(), username=username)
    posts = Post.objects.published().by_author(author).for_listing()
    page = _page(request, _posts(request, posts))
    if not page.paginator.count:
        raise Http404(_("This author has published nothing yet."))
    return render(request, "posts/author_detail.html", {"author": author, "page": page})


@require_safe
@cache_public_page
def archive_index(request):
    months = remembered("archive-months", lambda: list(Post.objects.month_counts()))
    if not months:
        raise Http404(_("Nothing has been published yet."))
    years = {}
    for month, count in months:
        years.setdefault(month.year, []).append((month, count))
    return render(request, "posts/archive_index.html", {"years": years})


class PublishedArchiveMixin:
    """What the date-based archive pages share: published posts only, paginated, 404 when empty."""

    http_method_names = ["get", "head"]
    date_field = "published_at"
    # Emptiness is judged by the paginator's count, saving the queries Django's own
    # check and its links to the previous and next periods would cost.
    allow_empty = True
    allow_future = False
    make_object_list = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not context["paginator"].count:
            raise Http404(_("Nothing was published in this period."))
        return context

    def get_queryset(self):
        return Post.objects.published().for_listing()

    def get_paginate_by(self, queryset):
        return SiteSettings.current(self.request).posts_per_page

    def get_paginator(self, queryset, per_page, **kwargs):
        return PostPaginator(queryset, per_page, name=self.request.path)

    def get_date_list(self, queryset, date_type=None, ordering="ASC"):
        # Django evaluates it (a DISTINCT over the period's posts) even with allow_empty.
        dates = super().get_date_list
        name = f"dates:{self.request.path}:{date_type}:{ordering}"
        return remembered(name, lambda: list(dates(queryset, date_type, ordering)))


class YearArchive(PublishedArchiveMixin, YearArchiveView):
    template_name = "posts/archive_period.html"


class MonthArchive(PublishedArchiveMixin, MonthArchiveView):
    template_name = "posts/archive_period.html"
    month_format = "%m"


year_archive = cache_public_page(YearArchive.as_view())
month_archive = cache_public_page(MonthArchive.as_view())


def follow_old_addresses(new_address):
    """A view whose 404 for a former address becomes a 301 to the current one, in one
    step, when ``new_address(request, slug)`` gives one."""

    def decorator(view):
        @wraps(view)
        def view_or_redirect(request, slug):
            try:
                return view(request, slug)
            except Http404:
                url = new_address(request, slug)
                if url is None:
                    raise
                return HttpResponsePermanentRedirect(url)

        return view_or_redirect

    return decorator


def _moved_post(request, slug) -> str | None:
    """Where a post that had the slug is now (the same view: page or Markdown twin), if
    the reader may see it."""
    moved = Redirect.objects.filter(old_slug=slug).select_related("post").first()
    if moved is None or not (moved.post.is_public or request.user.has_perm("posts.view_post")):
        return None
    return reverse(request.resolver_match.view_name, kwargs={"slug": moved.post.slug})


def _moved_page(request, slug) -> str | None:
    """Where a published page that had the slug is now. A draft's former addresses answer
    404 like the draft itself: a permanent redirect stays in browsers, and must lead to a
    page readers can see."""
    moved = Page.objects.published().filter(old_addresses__old_slug=slug).first()
    return moved.get_absolute_url() if moved else None


follow_moved_posts = follow_old_addresses(_moved_post)
follow_moved_pages = follow_old_addresses(_moved_page)


@require_safe
@follow_moved_posts
@cache_public_page
def post_detail(request, slug):
    post = _post_for(request, slug)
    context = {"post": post}
    if post.is_public:
        context |= {
            "previous_post": post.previous_post(),
            "next_post": post.next_post(),
            "related_posts": post.related_posts(),
        }
    response = render(request, "posts/post_detail.html", context)
    if not post.is_public:
        add_never_cache_headers(response)
    return response


@require_safe
@follow_moved_posts
@cache_public_page
def post_markdown(request, slug):
    post = _post_for(request, slug)
    response = render(
        request, "posts/post.md", {"post": post}, content_type="text/markdown; charset=utf-8"
    )
    if not post.is_public:
        add_never_cache_headers(response)
    return response


def _post_for(request, slug):
    """The post at this address: readers see published posts; editors every draft too,
    contributors their own."""
    posts = Post.objects.for_listing()
    if not request.user.has_perm("posts.view_post"):
        own = posts.filter(author=request.user.pk) if request.user.is_staff else posts.none()
        posts = posts.published() | own
    return get_object_or_404(posts, slug=slug)


def _posts(request, posts) -> PostPaginator:
    """The pages of a list of posts, which its address names."""
    per_page = SiteSettings.current(request).posts_per_page
    return PostPaginator(posts, per_page, name=request.path)


def _page(request, paginator):
    try:
        return paginator.page(request.GET.get("page") or 1)
    except InvalidPage as error:
        raise Http404(_("There is no such page.")) from error


@require_safe
@cache_public_page
def search(request):
    words = clean_query(request.GET.get("q", ""))
    results = Paginator(matching_posts(words), SiteSettings.current(request).posts_per_page)
    page = _page(request, results) if words else None
    found_pages = matching_pages(words) if words else []
    context = {
        "words": words,
        "page": page,
        # Shown above the first page of posts, counted on every page of results.
        "found_pages": found_pages if page is not None and page.number == 1 else [],
        "result_count": page.paginator.count + len(found_pages) if page is not None else 0,
        "page_query": urlencode({"q": words}),
        "max_query_length": MAX_QUERY_LENGTH,
        "ranked_matches": RANKED_MATCHES,
    }
    return render(request, "posts/search.html", context)


@require_safe
@cache_public_page
def robots_txt(request):
    sitemap_url = request.build_absolute_uri(reverse("posts:sitemap"))
    rules = f"User-agent: *\nDisallow: /admin/\n\nSitemap: {sitemap_url}\n"
    return HttpResponse(rules, content_type="text/plain; charset=utf-8")


# llms.txt lists this many of the newest posts, so it does not grow with the site; the
# sitemap and the feeds lead to the rest.
LLMS_TXT_POSTS = 1_000


@require_safe
@cache_public_page
def llms_txt(request):
    """The site for language models (llmstxt.org): its newest posts, linked to their
    Markdown twins, and where to find the others."""
    site = SiteSettings.current(request)
    lines = [f"# {_one_line(site.title)}", ""]
    if site.description:
        lines += [f"> {_one_line(site.description)}", ""]
    lines += ["## Posts", ""]
    posts = Post.objects.published().in_list_order().only("title", "slug", "summary", "excerpt")
    posts = list(posts[: LLMS_TXT_POSTS + 1])
    for post in posts[:LLMS_TXT_POSTS]:
        twin = request.build_absolute_uri(post.get_markdown_url())
        summary = f": {_one_line(post.teaser)}" if post.teaser else ""
        lines.append(f"- [{_link_text(post.title)}]({twin}){summary}")
    if len(posts) > LLMS_TXT_POSTS:
        sitemap = request.build_absolute_uri(reverse("posts:sitemap"))
        feed = request.build_absolute_uri(
            reverse("posts:site-feed", kwargs={"filename": "atom.xml"})
        )
        lines += ["", "## Optional", ""]
        lines.append(f"- [Sitemap]({sitemap}): every post, beyond the newest {LLMS_TXT_POSTS:,}")
        lines.append(f"- [Atom feed]({feed}): the newest posts, whole")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _link_text(text: str) -> str:
    """Text that cannot end a Markdown link early or start another."""
    return _one_line(text).replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


@require_safe
@follow_moved_pages
@cache_public_page
def page_detail(request, slug):
    """A standalone page: readers see published pages, staff drafts too."""
    pages = Page.objects.all()
    if not request.user.has_perm("posts.view_page"):
        pages = pages.published()
    page = get_object_or_404(pages, slug=slug)
    response = render(request, "posts/page_detail.html", {"page": page})
    if not page.is_public:
        add_never_cache_headers(response)
    return response
