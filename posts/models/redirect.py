from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


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
