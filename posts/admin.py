from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from posts import rendering, revisions
from posts.forms import PostAdminForm, PreviewForm
from posts.hints import writing_hints
from posts.models import Post, Tag


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
    readonly_fields = ["created_at", "updated_at", "word_count", "rendered_preview"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "author", "body", "summary", "tags"]}),
        (_("Publishing"), {"fields": ["status", "published_at"]}),
        (
            _("Saved version"),
            {"fields": ["rendered_preview", "word_count", "created_at", "updated_at"]},
        ),
    ]

    class Media:
        js = ["js/post-editor.js"]
        css = {
            "all": ["css/admin-preview.css"],
            "(prefers-color-scheme: light)": ["css/pygments-light.css"],
            "(prefers-color-scheme: dark)": ["css/pygments-dark.css"],
        }

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").prefetch_related("tags")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = forms.Textarea(
                attrs={
                    "rows": 24,
                    "class": "vLargeTextField markdown-source",
                    "spellcheck": "true",
                    "data-preview-url": reverse(f"{self.admin_site.name}:posts_post_preview"),
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
