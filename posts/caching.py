"""Whole public pages, kept in the shared cache and thrown away on any change of content.

Readers without a session get a page rendered once per change of content, not once per
request. Every cached page records the *generation* it was rendered in, a number in the
cache; any write to posts, tags or authors moves it on, so every app server sharing the
cache stops serving the old pages at once. Pages also expire by themselves: after
MARKUP_PAGE_CACHE_SECONDS, and no later than the next scheduled publication, so a
post due at noon is listed at noon without anyone saving anything.

The cache must be shared by every process (REDIS_URL): with a per-process cache one
worker could not tell the others, so page caching is off by default without one.
Pages that hold per-reader data (forms with a CSRF token, messages) must not use it.
"""

import hashlib
import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends import redis as redis_backend
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from posts.near_cache import NearCache

logger = logging.getLogger(__name__)

GENERATION_KEY = "pages:generation"
CACHEABLE_QUERY_PARAMETERS = {"page", "p", "q"}
# How long remembered() keeps a value when nothing changes meanwhile.
REMEMBER_SECONDS = 24 * 3600
# Copies of pages kept in this process, while it hears of every change (posts.near_cache).
near_cache = NearCache("pages:changes", max_bytes=settings.MARKUP_NEAR_CACHE_BYTES)


class RedisCacheClient(redis_backend.RedisCacheClient):
    """Django's, keeping one redis-py client per connection pool instead of making one for
    every call: redis-py 8 takes 0.1-0.3 ms to make a client, as long as the rest of
    serving a cached page. Clients are thread-safe; the pools they share reconnect after
    a fork."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis_backend.RedisCache):
    """The shared cache (settings.CACHES with REDIS_URL): Django's, with the client above,
    and Redis's publish/subscribe for announcing changes (posts.near_cache)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def subscribe(self, channel: str):
        """A redis-py PubSub listening on the channel, on a connection of its own."""
        subscription = self._cache.get_client(write=True).pubsub()
        subscription.subscribe(self.make_key(channel))
        return subscription

    def publish(self, channel: str, message: str) -> None:
        self._cache.get_client(write=True).publish(self.make_key(channel), message)


def content_changed() -> None:
    """Every cached page is stale from now on.

    Moved on at once, so this transaction's own later reads miss the cache; and again
    after commit, since another request may have cached the old content in between.
    """
    _next_generation()
    transaction.on_commit(_next_generation, robust=True)


def cache_public_page(view):
    """Serve the view's 200 answers to readers without a session from the page cache, and
    let the proxy in front keep them too (``kept_by_proxy``)."""

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        # This process's fresh copies were served by PageCopyMiddleware before the view.
        key, now = _page_key(request), timezone.now().timestamp()
        epoch = _listening_for_changes()
        # One round trip to the cache for the whole decision.
        found = _quietly(cache.get_many, [GENERATION_KEY, key])
        if found is None:
            return view(request, *args, **kwargs)
        generation = found.get(GENERATION_KEY) or _quietly(_first_generation)
        page = found.get(key)
        if page and page["generation"] == generation and now < page["valid_until"]:
            near_cache.keep(key, page, epoch)
            return _served(page)
        response = view(request, *args, **kwargs)
        if generation is not None and response.status_code == 200 and not response.streaming:

            def store(response):
                timeout = _seconds_until_next_publication(settings.MARKUP_PAGE_CACHE_SECONDS)
                if timeout > 0:
                    page = {
                        "content": response.content,
                        # What the view said of its answer: the type, and for feeds and
                        # sitemaps Last-Modified and X-Robots-Tag.
                        "headers": dict(response.headers),
                        # A page rendered before a change is never served after it, even
                        # when it reaches the cache after the change did.
                        "generation": generation,
                        # Checked against the site's clock, not only left to the cache's
                        # expiry, which runs on the cache server's clock.
                        "valid_until": now + timeout,
                    }
                    _quietly(cache.set, key, page, timeout)
                    near_cache.keep(key, page, epoch)

            # Class-based views answer with a TemplateResponse, rendered later.
            if hasattr(response, "add_post_render_callback"):
                response.add_post_render_callback(store)
            else:
                store(response)
        return response

    return kept_by_proxy(cached_view)


class PageCopyMiddleware:
    """Answer from this process's fresh copy of a cached page (posts.near_cache) before
    the middleware below it, the URL resolver and the view run.

    A copy exists only for an address whose view answered 200 through cache_public_page
    to a reader without a session, so what those steps would decide for it is already
    decided: the address resolves, needs no redirect and holds no NUL character, and no
    session, CSRF cookie or message comes into the answer. The middleware above it (the
    security headers, HEAD, ETag and 304) treats a copy like any other answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _cacheable(request) and _listening_for_changes() is not None:
            page = near_cache.get(_page_key(request))
            if page and timezone.now().timestamp() < page["valid_until"]:
                return _marked_for_proxy(request, _served(page))
        return self.get_response(request)


def _served(page: dict) -> HttpResponse:
    response = HttpResponse(page["content"], headers=page["headers"])
    response.headers["Content-Length"] = str(len(page["content"]))
    return response


def _listening_for_changes() -> int | None:
    """near_cache.listen() on the shared Redis cache; None (no copies) on any other, or
    when MARKUP_NEAR_CACHE_BYTES is 0."""
    backend = _shared_redis()
    if not settings.MARKUP_NEAR_CACHE_BYTES or backend is None:
        return None
    return near_cache.listen(backend)


def _shared_redis() -> RedisCache | None:
    """The cache when it is markup's Redis one, which can announce changes; else None."""
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def kept_by_proxy(view):
    """Let nginx's micro-cache keep the view's public answers until the end of this second.

    ``X-Accel-Expires: @<unix time>`` makes nginx keep an answer until that second is
    over; it caches nothing without it (deploy/nginx) and never passes it on to clients.
    nginx counts whole seconds, so "one second" from proxy_cache_valid could mean nearly
    two; this way every edit shows through nginx within a second. Answers to signed-in
    users and answers that say how to cache themselves (drafts say never) get no mark.
    """

    @wraps(view)
    def marked_view(request, *args, **kwargs):
        return _marked_for_proxy(request, view(request, *args, **kwargs))

    return marked_view


def _marked_for_proxy(request, response):
    # Signed-in readers see other pages (drafts, banners): whatever caches the answer on
    # the way must tell readers apart by their cookies.
    patch_vary_headers(response, ["Cookie"])
    if (
        _public_request(request)
        and response.status_code == 200
        and not response.has_header("Cache-Control")
    ):
        response.headers["X-Accel-Expires"] = f"@{int(time.time())}"
    return response


def _public_request(request) -> bool:
    return request.method in ("GET", "HEAD") and settings.SESSION_COOKIE_NAME not in request.COOKIES


def _cacheable(request) -> bool:
    return (
        settings.MARKUP_PAGE_CACHE_SECONDS > 0
        and _public_request(request)
        and request.GET.keys() <= CACHEABLE_QUERY_PARAMETERS
    )


def _page_key(request) -> str:
    address = f"{request.get_host()}{request.get_full_path()}"
    # "2": pages kept with their headers, not those kept with their type alone.
    return f"pages:2:{hashlib.sha256(address.encode()).hexdigest()}"


def _first_generation() -> int:
    # A start no earlier generation can have had, should the key have been evicted.
    cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
    return cache.get(GENERATION_KEY)


def _next_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there yet, or evicted
        _quietly(cache.set, GENERATION_KEY, time.time_ns(), timeout=None)
    except Exception:
        logger.warning("page cache unreachable; cached pages may be stale", exc_info=True)
    if backend := _shared_redis():
        _quietly(near_cache.announce, backend)


def remembering() -> bool:
    """Whether remembered() keeps values: when the page cache is on."""
    return settings.MARKUP_PAGE_CACHE_SECONDS > 0


def remembered(name: str, compute):
    """``compute()``, worked out once per generation of content while the page cache is on.

    For what pages need but cannot cache whole, such as the number of posts in a list:
    like a page, the value is forgotten at any change and at the next publication.
    """
    key = f"remembered:{name}"
    return _remembered_at(key, lambda: {key: compute()})


def remembered_item(name: str, index: int, compute_items):
    """``compute_items()[index]`` (None past its end), remembered as remembered() does but
    item by item, so that a request reads one item of a list however long it grows."""
    return _remembered_at(
        f"remembered:{name}:{index}",
        lambda: {
            f"remembered:{name}:{number}": item for number, item in enumerate(compute_items())
        },
    )


def _remembered_at(key: str, compute):
    """The value at ``key`` of the entries ``compute()`` gives, all of them kept at once."""
    if not remembering():
        return compute().get(key)
    found = _quietly(cache.get_many, [GENERATION_KEY, key])
    if found is None:
        return compute().get(key)
    generation = found.get(GENERATION_KEY) or _quietly(_first_generation)
    entry, now = found.get(key), timezone.now().timestamp()
    if entry and entry["generation"] == generation and now < entry["valid_until"]:
        return entry["value"]
    values = compute()
    timeout = _seconds_until_next_publication(REMEMBER_SECONDS)
    if generation is not None and timeout > 0:
        entries = {
            name: {"value": value, "generation": generation, "valid_until": now + timeout}
            for name, value in values.items()
        }
        _quietly(cache.set_many, entries, timeout)
    return values.get(key)


def _seconds_until_next_publication(longest: int) -> int:
    from posts.models import Post

    next_time = Post.objects.scheduled().order_by("published_at")
    next_time = next_time.values_list("published_at", flat=True).first()
    if next_time is None:
        return longest
    return min(longest, max(0, int((next_time - timezone.now()).total_seconds())))


def _quietly(operation, *args, **kwargs):
    """The cache is an optimisation: when it is away, pages are rendered every time."""
    try:
        return operation(*args, **kwargs)
    except Exception:
        logger.warning("page cache unreachable", exc_info=True)
        return None


def connect_signals() -> None:
    """Move the generation on whenever something a page shows changes.

    Signals, not model methods, because they also see what no method of ours runs for:
    cascading deletes, tag changes through ``post.tags``, and edits of authors' names.
    Bulk updates send no signal; PostQuerySet calls content_changed() for those.
    """
    from django.contrib.auth import get_user_model
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from posts.models import NavigationLink, Page, Post, SiteSettings, Tag

    for model in (Post, Tag, Page, SiteSettings, NavigationLink, get_user_model()):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"pages-save-{model.__name__}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"pages-del-{model.__name__}")
    m2m_changed.connect(_on_change, sender=Post.tags.through, dispatch_uid="pages-tags")


def _on_change(**kwargs) -> None:
    content_changed()
