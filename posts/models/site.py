from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import CharField, Value
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from posts.caching import remembered
from posts.models.page import Page

MAX_POSTS_PER_PAGE = 100
# Links open in readers' browsers: nothing that runs there (javascript:, data:) or that
# browsers no longer open (ftp:, which Django's URLField would still accept).
LINK_SCHEMES = ["http", "https"]


@dataclass(frozen=True)
class ShownLink:
    """A link of the navigation, as the page shows it."""

    label: str
    url: str


class SiteSettings(models.Model):
    """The site's own settings, edited in the admin: one row.

    The environment's values (MARKUP_SITE_TITLE ...) made the row once, in migration
    0008; they stand in for it only if someone deletes it.
    """

    title = models.CharField(_("site title"), max_length=100)
    description = models.CharField(
        _("description"),
        max_length=300,
        blank=True,
        help_text=_("A sentence about the site: for pages without their own, feeds, llms.txt."),
    )
    publisher_name = models.CharField(
        _("publisher name"),
        max_length=100,
        blank=True,
        help_text=_("Who publishes the site, for search engines; the title when left blank."),
    )
    footer_text = models.CharField(
        _("footer text"),
        max_length=300,
        blank=True,
        help_text=_("Plain text at the foot of every page."),
    )
    default_social_image = models.ForeignKey(
        "posts.Image",
        verbose_name=_("default social image"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Shown in link previews of pages that have no picture of their own."),
    )
    posts_per_page = models.PositiveSmallIntegerField(
        _("posts per page"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_POSTS_PER_PAGE)],
        help_text=_("On the home page, tag, author, archive and search pages: 1 to 100."),
    )

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="site_settings_single_row"),
            models.CheckConstraint(
                condition=models.Q(posts_per_page__gte=1, posts_per_page__lte=MAX_POSTS_PER_PAGE),
                name="site_settings_posts_per_page_range",
            ),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls, request=None) -> "SiteSettings":
        """The settings pages show: read at most once per request (kept on it), and not at
        all while the page cache remembers them."""
        if request is not None and hasattr(request, "site_settings"):
            return request.site_settings
        site = remembered("site-settings", cls._read)
        if request is not None:
            request.site_settings = site
        return site

    @classmethod
    def load(cls) -> "SiteSettings":
        """The row, made again from the environment's values if someone deleted it."""
        return cls.objects.get_or_create(pk=1, defaults=cls.environment_values())[0]

    @classmethod
    def environment_values(cls) -> dict:
        return {
            "title": settings.MARKUP_SITE_TITLE[:100],
            "description": settings.MARKUP_SITE_DESCRIPTION[:300],
            "posts_per_page": min(max(settings.MARKUP_POSTS_PER_PAGE, 1), MAX_POSTS_PER_PAGE),
        }

    @classmethod
    def _read(cls) -> "SiteSettings":
        found = cls.objects.select_related("default_social_image").filter(pk=1).first()
        return found or cls(pk=1, **cls.environment_values())

    @property
    def publisher(self) -> str:
        return self.publisher_name or self.title

    @property
    def social_image_url(self) -> str:
        """The default picture for link previews, or nothing."""
        image = self.default_social_image
        return image.url if image else ""

    @cached_property
    def navigation_links(self) -> list[ShownLink]:
        """The navigation's links in order: its own, and published pages that have a place
        in it. One query, none while the page cache remembers them."""
        return remembered("site-navigation", NavigationLink.shown)


class NavigationLink(models.Model):
    """A link in the site's navigation: to a page, a tag or an address elsewhere."""

    site = models.ForeignKey(SiteSettings, on_delete=models.CASCADE, related_name="navigation")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(
        _("label"),
        max_length=60,
        blank=True,
        help_text=_("The link's text; a page's or tag's own name when left blank."),
    )
    page = models.ForeignKey(
        "posts.Page", verbose_name=_("page"), null=True, blank=True, on_delete=models.CASCADE
    )
    tag = models.ForeignKey(
        "posts.Tag", verbose_name=_("tag"), null=True, blank=True, on_delete=models.CASCADE
    )
    url = models.URLField(
        _("address"),
        blank=True,
        validators=[
            URLValidator(
                schemes=LINK_SCHEMES,
                message=_("Enter an address that starts with https:// or http://."),
                code="scheme",
            )
        ],
        help_text=_("An address elsewhere, starting with https:// or http://."),
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("navigation link")
        verbose_name_plural = _("navigation links")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(page__isnull=False, tag__isnull=True, url="")
                    | models.Q(page__isnull=True, tag__isnull=False, url="")
                    | (models.Q(page__isnull=True, tag__isnull=True) & ~models.Q(url=""))
                ),
                name="navigation_link_one_target",
                violation_error_message=_("Link to one page, one tag or one address."),
            ),
        ]

    def __str__(self):
        return self.label or str(self.page or self.tag or self.url)

    def clean(self):
        if self.url and not self.label:
            raise ValidationError({"label": _("A link to an address elsewhere needs a label.")})

    @classmethod
    def shown(cls) -> list[ShownLink]:
        """The site's links and the published pages that have a place of their own, by
        position, in one query; links to pages not published are left out."""
        published = Page.objects.published()
        links = cls.objects.filter(models.Q(page=None) | models.Q(page__in=published), site=1)
        links = links.order_by().values_list(
            "position", "pk", "label", "url", "page__slug", "page__title", "tag__slug", "tag__name"
        )
        no_text = Value(None, output_field=CharField())
        pages = (
            published.filter(navigation_position__isnull=False)
            .order_by()
            .values_list(
                "navigation_position",
                Value(None, output_field=models.BigIntegerField()),
                Value("", output_field=CharField()),
                Value("", output_field=CharField()),
                "slug",
                "title",
                no_text,
                no_text,
            )
        )
        # Links before pages at the same position, each in the order they were made.
        rows = sorted(
            links.union(pages, all=True),
            key=lambda row: (row[0], row[1] is None, row[1] or 0, row[5] or ""),
        )
        shown, pages_shown = [], set()
        for _position, _pk, label, url, page_slug, page_title, tag_slug, tag_name in rows:
            if page_slug and page_slug not in pages_shown:
                pages_shown.add(page_slug)
                address = reverse("posts:page", kwargs={"slug": page_slug})
                shown.append(ShownLink(label or page_title, address))
            elif tag_slug:
                address = reverse("posts:tag", kwargs={"slug": tag_slug})
                shown.append(ShownLink(label or tag_name, address))
            elif url:
                shown.append(ShownLink(label, url))
        return shown
