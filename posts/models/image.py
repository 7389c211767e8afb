from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from posts import images
from posts.rendering import ShownImage


class ImageQuerySet(models.QuerySet):
    def shown(self, sources: list[str]) -> dict[str, ShownImage]:
        """The uploaded images among these ``<img>`` sources, with what a page needs
        to lay them out; ``posts.rendering`` asks this while rendering a post."""
        hashes = {
            found["hash"]: source
            for source in sources
            if source and (found := images.STORED_NAME.search(source))
        }
        if not hashes:
            return {}
        shown = {}
        for image in self.filter(content_hash__in=hashes):
            source = hashes[image.content_hash]
            if source == image.url:
                shown[source] = ShownImage(image.width, image.height, image.srcset)
        return shown


class Image(models.Model):
    """A picture uploaded for posts, stored once under the hash of its cleaned content."""

    file = models.FileField(_("file"), max_length=200, editable=False)
    alt_text = models.CharField(
        _("alt text"),
        max_length=300,
        help_text=_("What the picture shows, for readers who cannot see it."),
    )
    caption = models.TextField(_("caption"), blank=True)
    width = models.PositiveIntegerField(_("width"), editable=False)
    height = models.PositiveIntegerField(_("height"), editable=False)
    # The widths of the smaller copies made at upload, for srcset.
    widths = models.JSONField(default=list, editable=False)
    content_hash = models.CharField(max_length=64, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self):
        return self.alt_text

    def save(self, *args, **kwargs):
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.rerender_posts()

    def delete(self, *args, **kwargs):
        names = [self.file.name, *self.variant_names.values()]
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            self.rerender_posts()
            transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
        return result

    @classmethod
    def upload(cls, file, alt_text: str, **fields) -> "Image":
        """Check, clean and store an uploaded file (``ValidationError`` if refused)."""
        return cls.store(images.process(file), alt_text=alt_text, **fields)

    @classmethod
    def store(cls, processed: images.ProcessedImage, **fields) -> "Image":
        """Store a cleaned picture; the same picture again answers the image stored first."""
        processed.save()
        image = cls.objects.filter(content_hash=processed.content_hash).first()
        if image is None:
            image = cls(**fields)
            image.take(processed)
            image.save()
        return image

    def take(self, processed: images.ProcessedImage) -> None:
        """Describe this cleaned picture, stored by ``processed.save()``."""
        self.file = processed.name
        self.width, self.height = processed.width, processed.height
        self.widths = sorted(processed.variants)
        self.content_hash = processed.content_hash

    @property
    def url(self) -> str:
        return self.file.url

    @property
    def variant_names(self) -> dict[int, str]:
        extension = self.file.name.rpartition(".")[2]
        return {
            width: images.stored_name(self.content_hash, extension, width) for width in self.widths
        }

    @property
    def thumbnail_url(self) -> str:
        names = self.variant_names
        return default_storage.url(names[min(names)]) if names else self.url

    @property
    def srcset(self) -> str:
        """The smaller copies and the image itself, by width; empty when there are none."""
        if not self.widths:
            return ""
        candidates = [
            f"{default_storage.url(name)} {width}w" for width, name in self.variant_names.items()
        ]
        return ", ".join([*candidates, f"{self.url} {self.width}w"])

    @property
    def markdown(self) -> str:
        """How a post shows the image."""
        alt = self.alt_text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
        return f"![{alt}]({self.url})"

    def posts_showing(self):
        from posts.models.post import Post

        return Post.objects.filter(body__contains=self.content_hash)

    def rerender_posts(self) -> None:
        """Posts that show the image carry its size and copies: render them again."""
        posts = list(self.posts_showing().only("pk", "body"))
        if posts:
            type(posts[0]).objects.bulk_update(posts, ["body"])
