from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posts.models.post import (
    RenderingQuerySet,
    RendersBody,
)
from posts.models.redirect import KeepsOldAddresses

# What each of the site's own first path segments serves, for the error naming a clash.
# A segment missing here is refused all the same, with a plainer message.
RESERVED_FOR = {
    "admin": _("the admin"),
    "posts": _("the posts"),
    "tags": _("the tag pages"),
    "authors": _("the author pages"),
    "archive": _("the archives"),
    "search": _("the search"),
    "feeds": _("the feeds"),
    "media": _("the uploaded images"),
    "static": _("the site's static files"),
    "healthz": _("the health probes"),
    "readyz": _("the health probes"),
}


def reserved_addresses() -> set[str]:
    """The first path segments of the site's own addresses, in lower case.

    Read from the URL configuration (so a route added later is reserved too), the static
    and media addresses, and the health probes, which middleware answers before routing.
    """
    from markup.health import PROBES

    segments = {_first_segment(route) for route in _routes(get_resolver())}
    segments |= {_first_segment(urlsplit(url).path) for url in _local_urls()}
    segments |= {_first_segment(path) for path in PROBES}
    return {segment.casefold() for segment in segments if segment}


def _routes(resolver, prefix=""):
    """Each route of the configuration, as text, as deep as its first segment is known."""
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern).removeprefix("^")
        if isinstance(pattern, URLResolver) and "/" not in route:
            yield from _routes(pattern, route)
        else:
            yield route


def _first_segment(route: str) -> str:
    """The route's literal first path segment, or "" when a parameter makes it up."""
    segment = route.lstrip("/").split("/", 1)[0]
    return "" if any(sign in segment for sign in "<>()[]^$\\?*+") else segment


def _local_urls() -> list[str]:
    """STATIC_URL and MEDIA_URL, unless another host serves them."""
    urls = (settings.STATIC_URL, settings.MEDIA_URL)
    return [url for url in urls if url and not urlsplit(url).netloc]


class PageQuerySet(RenderingQuerySet):
    """Bulk writes that publish pages note their first publication, as ``save()`` does."""

    def published(self):
        return self.filter(status=Page.Status.PUBLISHED)

    def update(self, **kwargs):
        if kwargs.get("status") == Page.Status.PUBLISHED:
            first = Coalesce("first_published_at", models.Value(timezone.now()))
            kwargs.setdefault("first_published_at", first)
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for page in objs:
            page.note_first_publication()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs, fields = list(objs), list(fields)
        if "status" in fields:
            for page in objs:
                page.note_first_publication()
            if "first_published_at" not in fields:
                fields.append("first_published_at")
        return super().bulk_update(objs, fields, *args, **kwargs)


class Page(KeepsOldAddresses, RendersBody):
    """A standalone page beside the posts (About, Contact ...), at an address of its own."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        allow_unicode=True,
        help_text=_(
            "The page's address: /slug/. Addresses the site uses itself (admin, posts, "
            "tags, feeds, search …) are refused."
        ),
    )
    body = models.TextField(_("body"), help_text=_("Markdown, as in posts."))
    summary = models.TextField(
        _("summary"),
        blank=True,
        max_length=500,
        help_text=_("The page's description for search engines and link previews."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    navigation_position = models.PositiveSmallIntegerField(
        _("order in the navigation"),
        null=True,
        blank=True,
        help_text=_("Where the page appears in the site's navigation; blank keeps it out."),
    )
    # Once set, the page's former addresses redirect to it (while it is published).
    first_published_at = models.DateTimeField(
        _("first published"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PageQuerySet.as_manager()

    class Meta:
        # Pages in the navigation first, by their order there; the others by title.
        ordering = [models.F("navigation_position").asc(nulls_last=True), "title"]
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published"]), name="page_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(body="") | ~models.Q(rendered_digest=""),
                name="page_body_is_rendered",
                violation_error_message=_("A page's body must be rendered."),
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.render_for_save(kwargs)
        update_fields = kwargs.get("update_fields")
        had_been_published = self.first_published_at is not None
        if self.note_first_publication() and update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "first_published_at"}
        with transaction.atomic():
            super().save(*args, **kwargs)
            if update_fields is None or "slug" in update_fields:
                # A draft's first addresses were never public: none is kept.
                self.keep_old_address(was_public=had_been_published)

    def get_absolute_url(self):
        return reverse("posts:page", kwargs={"slug": self.slug})

    def clean(self):
        errors = {}
        if clash := self.address_clash():
            errors["slug"] = clash
        try:
            self.render()
        except ValueError as error:
            errors["body"] = str(error)
        if errors:
            raise ValidationError(errors)

    def address_clash(self) -> str | None:
        """Why the page's address would shadow one of the site's own, or None."""
        if not self.slug:
            return None
        segment = self.slug.casefold()
        if segment in reserved_addresses():
            if segment in RESERVED_FOR:
                return _("“%(slug)s” is taken by %(owner)s: /%(slug)s/ is theirs.") % {
                    "slug": self.slug,
                    "owner": RESERVED_FOR[segment],
                }
            return _("“%(slug)s” is a reserved address of the site.") % {"slug": self.slug}
        try:
            match = resolve(f"/{self.slug}/")
        except Resolver404:
            return None
        if match.view_name != "posts:page":
            return _("“%(slug)s” is a reserved address: /%(slug)s/ is %(name)s.") % {
                "slug": self.slug,
                "name": match.view_name,
            }
        return None

    def note_first_publication(self) -> bool:
        """Note the time of the page's first publication, if this is it; whether it was."""
        if self.is_public and self.first_published_at is None:
            self.first_published_at = timezone.now()
            return True
        return False

    @property
    def is_public(self) -> bool:
        """``PageQuerySet.published()`` for a page in hand."""
        return self.status == self.Status.PUBLISHED
