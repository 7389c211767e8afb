import hashlib
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower, TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from posts import rendering, roles
from posts.caching import content_changed
from posts.models.image import Image
from posts.models.redirect import KeepsOldAddresses

if TYPE_CHECKING:
    from posts.models.revision import Revision

RENDERED_FIELDS = ("body_html", "toc", "excerpt", "word_count", "rendered_digest")
# The order of every list of posts, and the fields that make it (PostQuerySet.in_list_order).
LIST_ORDER = ("-published_at", "-created_at", "-pk")
LIST_KEY = ("published_at", "created_at", "pk")
# Related posts are chosen among this many of the newest posts sharing a tag, so a tag
# on every post does not make each post page count tags over the whole site.
RELATED_CANDIDATES = 200


def rendered_fields(body: str) -> dict:
    """Every column derived from a post's Markdown, computed in one rendering pass.

    A plain function rather than a method, so the historical models of data migrations
    (which have no custom methods, but do get ``PostManager``) render bodies too.
    """
    result = rendering.render(body, shown_images=Image.objects.shown)
    return {
        "body_html": result.html,
        "toc": [
            {"level": heading.level, "text": heading.text, "anchor": heading.anchor}
            for heading in result.toc
        ],
        "excerpt": result.excerpt,
        "word_count": result.word_count,
        "rendered_digest": body_digest(body),
    }


def body_digest(body: str) -> str:
    """Identifies the body and pipeline version that ``body_html`` was rendered from."""
    return hashlib.sha256(f"{rendering.VERSION}\0{body}".encode()).hexdigest()


class _FirstImageSource(HTMLParser):
    source = None

    def handle_starttag(self, tag, attrs):
        if tag == "img" and self.source is None:
            self.source = dict(attrs).get("src")


def first_image_source(html: str) -> str | None:
    """The ``src`` of the first ``<img>`` in rendered HTML, read as a browser would."""
    start = html.find("<img")
    if start == -1:
        return None
    parser = _FirstImageSource()
    parser.feed(html[start:])
    return parser.source


def unique_slug(model, text: str, exclude_pk=None) -> str:
    max_length = model._meta.get_field("slug").max_length
    base = slugify(text, allow_unicode=True)[: max_length - 8].strip("-") or model._meta.model_name
    taken = set(
        model._default_manager.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, suffix = base, 1
    while slug in taken:
        suffix += 1
        slug = f"{base}-{suffix}"
    return slug


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(
        _("slug"),
        max_length=70,
        unique=True,
        blank=True,
        allow_unicode=True,
        help_text=_("The tag's address; made from the name when left blank."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="tag_name_unique_ignoring_case",
                violation_error_message=_("A tag with this name already exists."),
            )
        ]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Tag, self.name, exclude_pk=self.pk)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("posts:tag", kwargs={"slug": self.slug})


class RendersBody(models.Model):
    """A model whose ``body`` is Markdown, stored rendered (RENDERED_FIELDS) by save()."""

    body_html = models.TextField(_("rendered body"), editable=False)
    toc = models.JSONField(_("table of contents"), default=list, editable=False)
    excerpt = models.TextField(_("excerpt"), blank=True, editable=False)
    word_count = models.PositiveIntegerField(_("word count"), default=0, editable=False)
    rendered_digest = models.CharField(max_length=64, editable=False)

    class Meta:
        abstract = True

    @property
    def teaser(self) -> str:
        return self.summary or self.excerpt

    @property
    def first_image_url(self) -> str | None:
        """The address of the first image the body shows, for link previews."""
        return first_image_source(self.body_html)

    def render(self) -> None:
        """Set the rendered fields from the body, rendering once per body text however
        often clean() and save() ask."""
        cached_body, fields = getattr(self, "_rendered", (None, None))
        if cached_body != self.body or fields is None:
            fields = rendered_fields(self.body)
            self._rendered = (self.body, fields)
        for name, value in fields.items():
            setattr(self, name, value)

    def render_for_save(self, kwargs: dict) -> None:
        """Render before a save that writes the body; what it renders is written too."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "body" in update_fields:
            self.render()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *RENDERED_FIELDS}


class RenderingQuerySet(models.QuerySet):
    """Bulk writes of posts and pages keep ``body_html`` in step with ``body``, as
    ``save()`` does, and throw cached pages away: no signal is sent for them."""

    def update(self, **kwargs):
        # No revisions here: update() is also how migrations (historical models, perhaps
        # no revisions table yet) and re-rendering write, and it cannot say who changed
        # what. The admin's bulk actions go through publish() and unpublish(), which do.
        # bulk_update() arrives here with rendered fields it computed per row.
        if "body" in kwargs and not set(RENDERED_FIELDS) <= kwargs.keys():
            body = kwargs["body"]
            if not isinstance(body, str):
                raise TypeError(
                    "A body can only be updated with a string: the database cannot "
                    "render Markdown. Save each one instead."
                )
            kwargs |= rendered_fields(body)
        content_changed()
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            _render_into(obj)
        content_changed()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs, fields = list(objs), list(fields)
        if "body" in fields:
            for obj in objs:
                _render_into(obj)
            fields += [name for name in RENDERED_FIELDS if name not in fields]
        content_changed()
        return super().bulk_update(objs, fields, *args, **kwargs)


def _render_into(obj) -> None:
    for name, value in rendered_fields(obj.body).items():
        setattr(obj, name, value)


class PostQuerySet(RenderingQuerySet):
    def published(self):
        """The one definition of what readers may see."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())

    def scheduled(self):
        """Published, but not yet due."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__gt=timezone.now())

    def in_review(self):
        """Submitted by their authors, waiting for an editor."""
        return self.filter(status=Post.Status.IN_REVIEW)

    def open_to(self, user):
        """The posts a user works with in the admin: every post for those who may view
        posts (editors), their own posts for everyone else (contributors)."""
        if user.has_perm("posts.view_post"):
            return self
        return self.filter(author=user.pk)

    def for_listing(self):
        return self.select_related("author").prefetch_related("tags")

    def in_list_order(self):
        """Newest first; ties in time by creation, then by id (index post_listing)."""
        return self.order_by(*LIST_ORDER)

    def listed_after(self, post):
        """The posts after ``post`` (a Post or its LIST_KEY values) in list order, older ones.

        The first condition repeats what the others imply, so the database starts its walk
        at the post in the index rather than at the newest post. SQLite uses only the first
        of two upper bounds on a column: filter this before published().
        """
        return self.filter(_listed_beyond(post, "lt"))

    def listed_before(self, post):
        """The posts before ``post`` in list order: newer ones."""
        return self.filter(_listed_beyond(post, "gt"))

    def by_author(self, author):
        return self.filter(author=author)

    def month_counts(self):
        """(month, number of posts) for every month with published posts, newest first."""
        return (
            self.published()
            .annotate(month=TruncMonth("published_at"))
            .values_list("month")
            .annotate(count=Count("pk"))
            .order_by("-month")
        )


def _listed_beyond(post, direction: str) -> Q:
    """The posts past ``post`` in list order: older ones for "lt", newer ones for "gt"."""
    published_at, created_at, pk = _list_key(post)
    return Q(**{f"published_at__{direction}e": published_at}) & (
        Q(**{f"published_at__{direction}": published_at})
        | Q(published_at=published_at, **{f"created_at__{direction}": created_at})
        | Q(published_at=published_at, created_at=created_at, **{f"pk__{direction}": pk})
    )


def _list_key(post) -> tuple:
    if isinstance(post, Post):
        return post.published_at, post.created_at, post.pk
    return tuple(post)


# What a link to a post shows: its title, at its address.
LINKED = ("title", "slug", *LIST_KEY)


class PostManager(models.Manager.from_queryset(PostQuerySet)):
    # Data migrations get this manager too, so their bulk writes render as well.
    use_in_migrations = True


class Post(KeepsOldAddresses, RendersBody):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")

    # Identifies the post for good (feed entry ids), whatever its slug becomes.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        blank=True,
        allow_unicode=True,
        help_text=_(
            "The post's address. Made from the title when left blank. Changing it later "
            "keeps the old address working: it redirects to the new one."
        ),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="posts",
    )
    body = models.TextField(
        _("body"),
        help_text=_("Markdown: CommonMark with GitHub tables, task lists and footnotes."),
    )
    summary = models.TextField(
        _("summary"),
        blank=True,
        max_length=500,
        help_text=_(
            "Shown in lists and feeds. Leave blank to use the start of the first paragraph."
        ),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(
        _("publication time"),
        null=True,
        blank=True,
        help_text=_(
            "A future time schedules the post: it appears by itself at that moment. "
            "Left blank, publishing sets it to now."
        ),
    )
    review_note = models.TextField(
        _("review note"),
        blank=True,
        help_text=_(
            "Why the post goes back to its author, who sees this note on the post. "
            "Kept while it is a draft; cleared when it is submitted again or published."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="posts")

    objects = PostManager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        # Changing a post is writing it; publishing is a decision of its own (posts.roles).
        permissions = [("publish_post", _("Can publish, schedule and unpublish posts"))]
        # Lists of posts walk these in their order (posts.pagination) without reading rows.
        indexes = [
            models.Index(
                fields=["status", "-published_at", "-created_at", "-id"], name="post_listing"
            ),
            models.Index(
                fields=["author", "status", "-published_at", "-created_at", "-id"],
                name="post_listing_by_author",
            ),
            # The admin's post list, every status together, in its order (Meta.ordering
            # and the primary key the admin adds to make it total).
            models.Index(fields=["-published_at", "-created_at", "-id"], name="post_admin_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "in_review", "published"]),
                name="post_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="published_post_has_time",
            ),
            models.CheckConstraint(
                condition=Q(body="") | ~Q(rendered_digest=""),
                name="post_body_is_rendered",
                violation_error_message=_("A post's body must be rendered."),
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        self.render_for_save(kwargs)
        self._default_publication_time()
        if self.status != self.Status.DRAFT:
            self.review_note = ""  # a note asks for changes to a draft; it ends with it
            if update_fields is not None and "status" in update_fields:
                kwargs["update_fields"] = {*kwargs["update_fields"], "review_note"}
        if self.slug:
            super().save(*args, **kwargs)
        else:
            self._save_with_generated_slug(*args, **kwargs)
        self.keep_old_address(was_public=self.status == self.Status.PUBLISHED)

    def get_absolute_url(self):
        return reverse("posts:detail", kwargs={"slug": self.slug})

    def get_markdown_url(self):
        """The post's Markdown twin: its source with front matter."""
        return reverse("posts:markdown", kwargs={"slug": self.slug})

    def clean(self):
        # Before the constraints are validated: a published post needs a time.
        self._default_publication_time()
        errors = {}
        try:
            self.render()
        except ValueError as error:
            errors["body"] = str(error)
        if errors:
            raise ValidationError(errors)

    @property
    def is_public(self) -> bool:
        """``PostQuerySet.published()`` for a post in hand (a test keeps the two equal)."""
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    def may_be_changed_by(self, user) -> bool:
        return user.has_perm("posts.change_post") and self._in_the_hands_of(user)

    def may_be_deleted_by(self, user) -> bool:
        return user.has_perm("posts.delete_post") and self._in_the_hands_of(user)

    def _in_the_hands_of(self, user) -> bool:
        """Editors handle every post; contributors their own, until it is published
        (public or scheduled): from then on only an editor changes or deletes it."""
        return user.has_perm(roles.PUBLISH_PERMISSION) or (
            self.author_id == user.pk and self.status != self.Status.PUBLISHED
        )

    @property
    def reading_minutes(self) -> int:
        return rendering.reading_minutes(self.word_count)

    @property
    def was_updated(self) -> bool:
        """Whether the post changed noticeably after it was published."""
        if not (self.published_at and self.updated_at and self.created_at):
            return False
        baseline = max(self.published_at, self.created_at)
        return self.updated_at - baseline > timedelta(minutes=1)

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags.all()]

    def previous_post(self):
        """The published post just older than this one: the next in list order."""
        older = Post.objects.listed_after(self).published()
        return older.in_list_order().only(*LINKED).first()

    def next_post(self):
        """The published post just newer than this one."""
        newer = Post.objects.listed_before(self).published().only(*LINKED)
        return newer.order_by(*(name.removeprefix("-") for name in LIST_ORDER)).first()

    def related_posts(self, count=3):
        """Published posts sharing the most tags with this one, newest first among equals,
        chosen among the RELATED_CANDIDATES newest that share any."""
        tag_ids = [tag.pk for tag in self.tags.all()]
        if not tag_ids:
            return []
        sharing = Post.objects.published().filter(tags__in=tag_ids).exclude(pk=self.pk)
        candidates = sharing.in_list_order().values("pk")[:RELATED_CANDIDATES]
        return list(
            sharing.filter(pk__in=candidates)
            .only(*LINKED)
            .annotate(shared_tags=Count("pk"))
            .order_by("-shared_tags", *LIST_ORDER)[:count]
        )

    # publish() and unpublish() write only the publication fields, on the row as it is
    # now (locked), so they never undo an author's edit saved meanwhile.

    def publish(self, by=None):
        with transaction.atomic():
            self.refresh_from_db(from_queryset=Post.objects.select_for_update())
            self.status = self.Status.PUBLISHED
            if self.published_at is None or self.published_at > timezone.now():
                self.published_at = timezone.now()
            self.save(update_fields=["status", "published_at", "updated_at"])
            self.record_revision(by)

    def submit_for_review(self, by=None):
        with transaction.atomic():
            self.refresh_from_db(from_queryset=Post.objects.select_for_update())
            self.status = self.Status.IN_REVIEW
            self.save(update_fields=["status", "updated_at"])
            self.record_revision(by)

    def unpublish(self, by=None):
        with transaction.atomic():
            self.refresh_from_db(from_queryset=Post.objects.select_for_update())
            self.status = self.Status.DRAFT
            self.save(update_fields=["status", "updated_at"])
            self.record_revision(by)

    def record_revision(self, by=None) -> "Revision | None":
        """Keep the post's content as a new revision, unless the latest one holds it already.

        Called by whoever has finished writing, tags included (the admin sets tags after
        save()), rather than by save() itself.
        """
        revision = self.revisions.model.of(self, created_by=by)
        latest = self.revisions.first()
        if latest is not None and latest.content == revision.content:
            return None
        revision.save()
        return revision

    def lock_for_edit(self, base_revision_id: int | None) -> "Revision | None":
        """Lock the post until the transaction ends; a revision newer than the base, if any.

        ``base_revision_id`` is the latest revision when the editor opened the form.
        """
        list(Post.objects.select_for_update().filter(pk=self.pk).values_list("pk"))
        latest = self.revisions.select_related("created_by").first()
        return latest if latest is not None and latest.pk != base_revision_id else None

    def _default_publication_time(self):
        """Publishing without a time publishes now."""
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()

    def _save_with_generated_slug(self, *args, **kwargs):
        """Save under a free slug, even if another post takes it meanwhile."""
        for attempt in range(1, 4):
            self.slug = unique_slug(Post, self.title, exclude_pk=self.pk)
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except IntegrityError:
                slug_taken = Post.objects.filter(slug=self.slug).exclude(pk=self.pk).exists()
                if attempt == 3 or not slug_taken:
                    raise
