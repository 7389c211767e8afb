from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from posts.caching import cache_public_page
from posts.models import Post, Tag


@require_safe
@cache_public_page
def post_list(request):
    page = _page(request, Post.objects.published().for_listing())
    return render(request, "posts/post_list.html", {"page": page})


@require_safe
@cache_public_page
def tag_detail(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    page = _page(request, tag.posts.published().for_listing())
    return render(request, "posts/tag_detail.html", {"tag": tag, "page": page})


@require_safe
@cache_public_page
def post_detail(request, slug):
    posts = Post.objects.for_listing()
    if not request.user.has_perm("posts.view_post"):
        posts = posts.published()
    post = get_object_or_404(posts, slug=slug)
    response = render(request, "posts/post_detail.html", {"post": post})
    if not post.is_public:
        add_never_cache_headers(response)
    return response


def _page(request, queryset):
    paginator = Paginator(queryset, settings.MARKUP_POSTS_PER_PAGE)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except InvalidPage as error:
        raise Http404(_("There is no such page.")) from error
