from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posts.models.post import RENDERED_FIELDS, rendered_fields


class PageQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Page.Status.PUBLISHED)


class Page(models.Model):
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
        help_text=_("The page's address: /slug/."),
    )
    body = models.TextField(_("body"), help_text=_("Markdown, as in posts."))
    body_html = models.TextField(_("rendered body"), editable=False)
    toc = models.JSONField(_("table of contents"), default=list, editable=False)
    excerpt = models.TextField(_("excerpt"), blank=True, editable=False)
    word_count = models.PositiveIntegerField(_("word count"), default=0, editable=False)
    rendered_digest = models.CharField(max_length=64, editable=False)
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
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["navigation_position", "title"]
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
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "body" in update_fields:
            for name, value in rendered_fields(self.body).items():
                setattr(self, name, value)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *RENDERED_FIELDS}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("posts:page", kwargs={"slug": self.slug})
