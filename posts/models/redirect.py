from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Posts and pages have addresses of their own kinds (/posts/<slug>/ and /<slug>/), so a
# former address is unique among its kind only: one table each, rather than one table
# with a column saying which kind and a foreign key for each that must be left empty.


class Redirect(models.Model):
    """A public post's former address, which answers with a permanent redirect."""

    old_slug = models.SlugField(_("old slug"), max_length=200, unique=True, allow_unicode=True)
    post = models.ForeignKey(
        "posts.Post", verbose_name=_("post"), on_delete=models.CASCADE, related_name="old_addresses"
    )
    created_at = models.DateTimeField(_("moved"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("old address")
        verbose_name_plural = _("old addresses")

    def __str__(self):
        return self.old_address

    @property
    def old_address(self) -> str:
        return reverse("posts:detail", kwargs={"slug": self.old_slug})


class PageRedirect(models.Model):
    """A former address of a page that has been published, which answers with a
    permanent redirect while the page is published."""

    old_slug = models.SlugField(_("old slug"), max_length=100, unique=True, allow_unicode=True)
    page = models.ForeignKey(
        "posts.Page", verbose_name=_("page"), on_delete=models.CASCADE, related_name="old_addresses"
    )
    created_at = models.DateTimeField(_("moved"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("old page address")
        verbose_name_plural = _("old page addresses")

    def __str__(self):
        return self.old_address

    @property
    def old_address(self) -> str:
        return reverse("posts:page", kwargs={"slug": self.old_slug})
