from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class OldAddress(models.Model):
    """A former address of something readers could see, which answers with a permanent
    redirect to where it is now.

    Posts and pages have addresses of their own kinds (/posts/<slug>/ and /<slug>/), so an
    old slug is unique among its kind only: a table for each, rather than one table with
    a column saying which kind and a foreign key for each that must be left empty.
    """

    old_slug = models.SlugField(_("old slug"), max_length=200, unique=True, allow_unicode=True)
    created_at = models.DateTimeField(_("moved"), auto_now_add=True)
    # The route whose slug this was.
    url_name: str

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.old_address

    @property
    def old_address(self) -> str:
        return reverse(self.url_name, kwargs={"slug": self.old_slug})


class KeepsOldAddresses:
    """A model whose former slugs, once public, answer with a redirect (``old_addresses``,
    an OldAddress pointing here). Its save() calls keep_old_address()."""

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        obj._saved_slug = obj.__dict__.get("slug")  # absent when deferred
        return obj

    def keep_old_address(self, was_public: bool) -> None:
        """The former slug redirects here if it was public; a slug taken over stops
        redirecting."""
        saved_slug = getattr(self, "_saved_slug", None)
        if saved_slug == self.slug:
            return
        old_addresses = self.old_addresses.model.objects
        old_addresses.filter(old_slug=self.slug).delete()
        if saved_slug and was_public:
            target = self.old_addresses.field.name
            old_addresses.update_or_create(old_slug=saved_slug, defaults={target: self})
        self._saved_slug = self.slug


class Redirect(OldAddress):
    """A public post's former address."""

    post = models.ForeignKey(
        "posts.Post", verbose_name=_("post"), on_delete=models.CASCADE, related_name="old_addresses"
    )
    url_name = "posts:detail"

    class Meta(OldAddress.Meta):
        verbose_name = _("old address")
        verbose_name_plural = _("old addresses")


class PageRedirect(OldAddress):
    """A former address of a page that has been published; it redirects while the page is
    published."""

    page = models.ForeignKey(
        "posts.Page", verbose_name=_("page"), on_delete=models.CASCADE, related_name="old_addresses"
    )
    url_name = "posts:page"

    class Meta(OldAddress.Meta):
        verbose_name = _("old page address")
        verbose_name_plural = _("old page addresses")
