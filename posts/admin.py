from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from posts import images, rendering, revisions
from posts.forms import PostAdminForm, PreviewForm
from posts.hints import writing_hints
from posts.models import Image, Post, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "post_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(post_count=Count("posts"))

    @admin.display(description=_("posts"), ordering="post_count")
    def post_count(self, tag):
        return tag.post_count


class PostChangeList(ChangeList):
    """The post list loads what its columns show, not every post's body and HTML."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.defer("body", "body_html", "toc", "excerpt", "summary")


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    form = PostAdminForm
    list_display = ["title", "state", "published_at", "author", "tag_list"]
    list_filter = ["status", "tags", "author"]
    search_fields = ["title", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["tags"]
    actions = ["publish_now", "unpublish"]
    # "n of N" would count every post on each page of the list.
    show_full_result_count = False
    readonly_fields = [
        "created_at",
        "updated_at",
        "word_count",
        "rendered_preview",
        "former_addresses",
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "author", "body", "summary", "tags"]}),
        (_("Publishing"), {"fields": ["status", "published_at", "former_addresses"]}),
        (
            _("Saved version"),
            {"fields": ["rendered_preview", "word_count", "created_at", "updated_at"]},
        ),
    ]

    class Media:
        js = ["js/post-editor.js", "js/image-upload.js"]
        css = {
            "all": ["css/admin-preview.css"],
            "(prefers-color-scheme: light)": ["css/pygments-light.css"],
            "(prefers-color-scheme: dark)": ["css/pygments-dark.css"],
        }

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").prefetch_related("tags")

    @admin.display(description=_("old addresses"))
    def former_addresses(self, post):
        """Addresses the post had while public, which redirect to it now."""
        addresses = ((redirect.old_address,) for redirect in post.old_addresses.all())
        return format_html_join(", ", "<code>{}</code>", addresses) or _("None")

    def get_changelist(self, request, **kwargs):
        return PostChangeList

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = forms.Textarea(
                attrs={
                    "rows": 24,
                    "class": "vLargeTextField markdown-source",
                    "spellcheck": "true",
                    "data-preview-url": reverse(f"{self.admin_site.name}:posts_post_preview"),
                    "data-image-upload-url": reverse(f"{self.admin_site.name}:posts_image_upload"),
                }
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            # Not admin_view: scripts get a 403, not a redirect to the login page.
            path("preview/", never_cache(require_POST(self.preview)), name="posts_post_preview"),
            path(
                "<path:object_id>/revisions/",
                view(self.revision_list),
                name="posts_post_revisions",
            ),
            path(
                "<path:object_id>/revisions/<int:revision_id>/",
                view(self.revision_detail),
                name="posts_post_revision",
            ),
            path(
                "<path:object_id>/revisions/<int:revision_id>/restore/",
                view(require_POST(self.restore_revision)),
                name="posts_post_restore_revision",
            ),
            *super().get_urls(),
        ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        post = form.instance
        post.record_revision(by=request.user)
        for hint in writing_hints(post.body_html):
            self.message_user(request, hint, messages.WARNING)

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk} | super().get_changeform_initial_data(request)

    @admin.display(description=_("status"), ordering="status")
    def state(self, post):
        if post.is_scheduled:
            return _("Scheduled")
        return post.get_status_display()

    @admin.display(description=_("tags"))
    def tag_list(self, post):
        return ", ".join(tag.name for tag in post.tags.all())

    @admin.display(description=_("rendered preview"))
    def rendered_preview(self, post):
        # body_html is the sanitizing pipeline's output: the one thing marked safe.
        return mark_safe(f'<div class="post-preview">{post.body_html}</div>')

    @admin.action(description=_("Publish selected posts now"), permissions=["change"])
    def publish_now(self, request, queryset):
        posts = [post for post in queryset if not post.is_public]
        for post in posts:
            post.publish(by=request.user)
        self.message_user(
            request,
            ngettext("Published %d post.", "Published %d posts.", len(posts)) % len(posts),
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish selected posts"), permissions=["change"])
    def unpublish(self, request, queryset):
        posts = [post for post in queryset if post.status == Post.Status.PUBLISHED]
        for post in posts:
            post.unpublish(by=request.user)
        self.message_user(
            request,
            ngettext(
                "Moved %d post back to drafts.",
                "Moved %d posts back to drafts.",
                len(posts),
            )
            % len(posts),
            messages.SUCCESS,
        )

    def preview(self, request):
        """The body as saving would render it, for the editor's live preview."""
        may_write = self.has_add_permission(request) or self.has_change_permission(request)
        if not (self.admin_site.has_permission(request) and may_write):
            raise PermissionDenied
        form = PreviewForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"error": " ".join(form.errors["body"])}, status=400)
        word_count = form.rendered["word_count"]
        return JsonResponse(
            {
                "html": form.rendered["body_html"],
                "word_count": word_count,
                "reading_minutes": rendering.reading_minutes(word_count),
            }
        )

    def revision_list(self, request, object_id):
        post = self._post_for(request, object_id)
        context = self.admin_site.each_context(request) | {
            "title": _("Revisions of “%s”") % post,
            "opts": self.opts,
            "post": post,
            "revisions": post.revisions.select_related("created_by").defer("body", "summary"),
        }
        return TemplateResponse(request, "admin/posts/post/revision_list.html", context)

    def revision_detail(self, request, object_id, revision_id):
        post = self._post_for(request, object_id)
        revision = get_object_or_404(post.revisions.select_related("created_by"), pk=revision_id)
        try:
            # The sanitizing pipeline's output: the one thing marked safe.
            rendered, refusal = mark_safe(rendering.render_markdown(revision.body)), None
        except ValueError as error:
            rendered, refusal = None, str(error)
        context = self.admin_site.each_context(request) | {
            "title": _("Revision of “%s”") % post,
            "opts": self.opts,
            "post": post,
            "revision": revision,
            "is_current": revision.content == post.revisions.first().content,
            "diff": revisions.line_diff(revision.body, post.body),
            "rendered": rendered,
            "refusal": refusal,
            "may_restore": self.has_change_permission(request, post),
        }
        return TemplateResponse(request, "admin/posts/post/revision_detail.html", context)

    def restore_revision(self, request, object_id, revision_id):
        post = self._post_for(request, object_id, change=True)
        revision = get_object_or_404(post.revisions, pk=revision_id)
        if revision.restore(by=request.user) is None:
            self.message_user(request, _("That revision is the current text already."))
        else:
            self.log_change(request, post, f"Restored the revision {revision}.")
            self.message_user(
                request,
                _("Restored the revision %(revision)s as a new revision.") % {"revision": revision},
                messages.SUCCESS,
            )
        return redirect(f"{self.admin_site.name}:posts_post_change", post.pk)

    def _post_for(self, request, object_id, change=False) -> Post:
        post = self.get_object(request, unquote(object_id))
        if post is None:
            raise Http404(_("No post with this id."))
        if change:
            allowed = self.has_change_permission(request, post)
        else:
            allowed = self.has_view_or_change_permission(request, post)
        if not allowed:
            raise PermissionDenied
        return post


class ImageUploadForm(forms.Form):
    """A picture sent by the post editor, with the alt text the author gave it."""

    file = forms.FileField()
    alt_text = forms.CharField(max_length=300)

    def clean_file(self):
        self.processed = images.process(self.cleaned_data["file"])
        return self.cleaned_data["file"]


class ImageAdminForm(forms.ModelForm):
    upload = forms.FileField(
        label=_("file"), help_text=_("A JPEG, PNG, GIF or WebP picture, up to 10 MB.")
    )

    class Meta:
        model = Image
        fields = ["alt_text", "caption"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            del self.fields["upload"]  # a stored image keeps its file: upload another

    def clean_upload(self):
        self.processed = images.process(self.cleaned_data["upload"])
        stored = Image.objects.filter(content_hash=self.processed.content_hash).first()
        if stored is not None:
            raise ValidationError(
                _("This picture is uploaded already, as “%(alt)s”."), params={"alt": stored}
            )
        return self.cleaned_data["upload"]

    def save(self, commit=True):
        if self.instance.pk is None:
            self.instance.take(self.processed)
        return super().save(commit)


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageAdminForm
    list_display = ["thumbnail", "alt_text", "dimensions", "uploaded_by", "created_at"]
    list_display_links = ["thumbnail", "alt_text"]
    search_fields = ["alt_text"]
    readonly_fields = ["preview", "markdown", "dimensions", "shown_in"]

    def get_fields(self, request, image=None):
        if image is None:
            return ["upload", "alt_text", "caption"]
        return ["preview", "alt_text", "caption", "markdown", "dimensions", "shown_in"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    def get_urls(self):
        upload = self.admin_site.admin_view(self.upload)
        return [path("upload/", upload, name="posts_image_upload"), *super().get_urls()]

    def save_model(self, request, image, form, change):
        if not change:
            form.processed.save()
            image.uploaded_by = request.user
        super().save_model(request, image, form, change)

    def get_deleted_objects(self, objs, request):
        """An image that posts still show cannot be deleted: those posts are named."""
        deleted, counts, permissions_needed, protected = super().get_deleted_objects(objs, request)
        for image in objs:
            protected += [
                _("Post “%(post)s” shows “%(image)s”") % {"post": post, "image": image}
                for post in image.posts_showing().only("title")
            ]
        return deleted, counts, permissions_needed, protected

    @method_decorator(require_POST)
    def upload(self, request):
        """The post editor's upload: JSON with the Markdown to insert, or the problems."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImageUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            errors = {name: list(messages) for name, messages in form.errors.items()}
            return JsonResponse({"errors": errors}, status=400)
        image = Image.store(
            form.processed, alt_text=form.cleaned_data["alt_text"], uploaded_by=request.user
        )
        return JsonResponse({"markdown": image.markdown, "url": image.url}, status=201)

    @admin.display(description=_("image"))
    def thumbnail(self, image):
        return format_html(
            '<img src="{}" alt="" width="80" height="{}" loading="lazy">',
            image.thumbnail_url,
            max(1, round(80 * image.height / image.width)),
        )

    @admin.display(description=_("image"))
    def preview(self, image):
        return format_html(
            '<img src="{}" alt="{}" width="{}" height="{}" class="image-preview">',
            image.url,
            image.alt_text,
            image.width,
            image.height,
        )

    @admin.display(description=_("Markdown"))
    def markdown(self, image):
        return format_html("<code>{}</code>", image.markdown)

    @admin.display(description=_("size"))
    def dimensions(self, image):
        return f"{image.width} × {image.height}"

    @admin.display(description=_("shown in"))
    def shown_in(self, image):
        posts = image.posts_showing().only("pk", "title")
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:posts_post_change", args=[post.pk]), post.title) for post in posts),
        )
        return links or _("No post shows it.")
