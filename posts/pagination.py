"""Pages of posts whose cost does not grow with the number of posts.

Django's Paginator counts every post of a list on each request and reaches page N with
``OFFSET``, which walks every row before it: at 100,000 posts the last page cost half a
second. ``PostPaginator`` keeps ``?page=N`` and its order, and instead

- remembers the count until content changes (``posts.caching.remembered``);
- reaches deep pages from *bookmarks*: the sort key of every BOOKMARK_EVERY-th post of the
  list, worked out in one query and each remembered on its own, so a page walks at most
  BOOKMARK_EVERY posts of its list from the nearest one (keyset pagination). A tag's list
  walks the index of all posts for them: a tag on one post in 13 reads up to 1,300;
- walks those entries on an index holding the sort key, and loads only the page's
  posts by id (a deferred join, in one query), never the bodies of the posts it skips.
"""

import hashlib

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.functional import cached_property

from posts.caching import remembered, remembered_item, remembering
from posts.models import LIST_KEY, LIST_ORDER, Post

BOOKMARK_EVERY = 100


class PostPaginator(Paginator):
    """A Paginator over a queryset of published posts; ``name`` tells lists apart."""

    def __init__(self, posts, per_page, name: str):
        super().__init__(posts.in_list_order(), per_page)
        self.name = name

    @cached_property
    def count(self) -> int:
        return remembered(f"count:{self.name}", self.object_list.count)

    def page(self, number):
        number = self.validate_number(number)
        offset = (number - 1) * self.per_page
        return self._get_page(self._posts_from(offset), number, self)

    def _posts_from(self, offset: int) -> list:
        if offset == 0:
            return list(self.object_list[: self.per_page])
        ids = self.object_list.values_list("pk", flat=True)
        # Without the page cache nothing is remembered: bookmarks would cost a walk of
        # the whole list on every request, more than the offset they save.
        bookmark = offset // BOOKMARK_EVERY if remembering() else 0
        key = self._bookmark(bookmark) if bookmark else None
        if key is None:  # none, or the list changed since it was counted
            bookmark = 0
        else:
            # The bookmark's bound first (see PostQuerySet.listed_after), then the list's own.
            after = Post.objects.listed_after(key)
            ids = (after & self.object_list).values_list("pk", flat=True)
        skip = offset - bookmark * BOOKMARK_EVERY
        # One query: the page's ids, walked on the index, in a subquery; then only their
        # posts loaded by id and put in order. Not the ids sent back as parameters: a
        # sitemap part's 500 took ~3-5 ms and made garbage enough for full collections.
        return list(self.object_list.filter(pk__in=ids[skip : skip + self.per_page]))

    def _bookmark(self, number: int) -> tuple | None:
        """The sort key of the ``number`` x BOOKMARK_EVERY-th post, if the list has one.

        Every bookmark of the list is worked out in one query and each is remembered on its
        own: a deep page reads one, not the 1,000 of a list of 100,000 posts (~0.3 ms to
        unpickle, and garbage for the collector, on every request)."""

        def compute():
            ranked = self.object_list.annotate(
                position=Window(RowNumber(), order_by=[F(name[1:]).desc() for name in LIST_ORDER])
            )
            every = ranked.alias(nth=F("position") % BOOKMARK_EVERY).filter(nth=0)
            return list(every.order_by("position").values_list(*LIST_KEY))

        return remembered_item(f"bookmarks:{self.name}", number - 1, compute)


class RememberedCountPaginator(Paginator):
    """Django's Paginator, with the count of its queryset remembered until content changes:
    for the admin's lists, where a tag or a word on every post made each page count every
    post. Querysets are told apart by their SQL, so each filter, search and user's view of
    the list has its own count."""

    @cached_property
    def count(self) -> int:
        try:
            sql, params = self.object_list.query.sql_with_params()
        except EmptyResultSet:  # a queryset that can match nothing, such as none()
            return 0
        key = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
        return remembered(f"admin-count:{key}", lambda: Paginator.count.func(self))
