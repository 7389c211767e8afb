from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from posts.models.post import Post, Tag


class RevisionQuerySet(models.QuerySet):
    def beyond_newest(self, keep: int):
        """Each post's revisions except its ``keep`` newest."""
        ranked = self.annotate(
            rank=Window(RowNumber(), partition_by="post", order_by=F("pk").desc())
        )
        return self.filter(pk__in=ranked.filter(rank__gt=keep).values("pk"))


class Revision(models.Model):
    """A post's content as one save left it. The newest revision is the current content."""

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="revisions"
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Post.Status)
    published_at = models.DateTimeField(_("publication time"), null=True, blank=True)
    created_at = models.DateTimeField(_("saved"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RevisionQuerySet.as_manager()

    class Meta:
        # Newest first by id: the clocks of several app servers may disagree, ids do not.
        ordering = ["-pk"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self):
        saved_at = formats.date_format(timezone.localtime(self.created_at), "DATETIME_FORMAT")
        return f"“{self.title}” of {saved_at}"

    @classmethod
    def of(cls, post: Post, created_by=None) -> "Revision":
        return cls(
            post=post,
            title=post.title,
            summary=post.summary,
            body=post.body,
            tags=sorted(tag.name for tag in post.tags.all()),
            status=post.status,
            published_at=post.published_at,
            created_by=created_by,
        )

    @property
    def content(self) -> tuple:
        """What a revision keeps, to tell whether a save changed anything."""
        # To the second, as the admin shows and sends the time back.
        published_at = self.published_at and self.published_at.replace(microsecond=0)
        return (self.title, self.summary, self.body, self.tags, self.status, published_at)

    @property
    def saved_by_name(self) -> str:
        if self.created_by is None:
            return str(_("someone"))
        return self.created_by.get_full_name() or self.created_by.get_username()

    def restore(self, by=None) -> "Revision | None":
        """Make this revision's text current again, as a new revision.

        Title, summary, body and tags come back; the slug, and whether and when the post
        is published, stay as they are.
        """
        post = self.post
        with transaction.atomic():
            post.refresh_from_db(from_queryset=Post.objects.select_for_update())
            post.title, post.summary, post.body = self.title, self.summary, self.body
            post.save()
            post.tags.set(
                Tag.objects.get_or_create(name__iexact=name, defaults={"name": name})[0]
                for name in self.tags
            )
            return post.record_revision(by)
