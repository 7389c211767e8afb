from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteSettings(models.Model):
    """The site's own settings, edited in the admin: one row."""

    title = models.CharField(_("site title"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    publisher_name = models.CharField(
        _("publisher name"),
        max_length=100,
        blank=True,
        help_text=_("Who publishes the site, for search engines; the title when left blank."),
    )
    footer_text = models.CharField(_("footer text"), max_length=300, blank=True)
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
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="site_settings_single_row"),
            models.CheckConstraint(
                condition=models.Q(posts_per_page__gte=1, posts_per_page__lte=100),
                name="site_settings_posts_per_page_range",
            ),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)


class NavigationLink(models.Model):
    """A link in the site's navigation: to a page, a tag or an address elsewhere."""

    site = models.ForeignKey(SiteSettings, on_delete=models.CASCADE, related_name="navigation")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("label"), max_length=60, blank=True)
    page = models.ForeignKey(
        "posts.Page", verbose_name=_("page"), null=True, blank=True, on_delete=models.CASCADE
    )
    tag = models.ForeignKey(
        "posts.Tag", verbose_name=_("tag"), null=True, blank=True, on_delete=models.CASCADE
    )
    url = models.URLField(_("address"), blank=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("navigation link")
        verbose_name_plural = _("navigation links")

    def __str__(self):
        return self.label or str(self.page or self.tag or self.url)
