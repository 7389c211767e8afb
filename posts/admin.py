from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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
                attrs={"rows": 24, "class": "vLargeTextField markdown-source", "spellcheck": "true"}
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

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
            post.publish()
        self.message_user(
            request,
            ngettext("Published %d post.", "Published %d posts.", len(posts)) % len(posts),
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish selected posts"), permissions=["change"])
    def unpublish(self, request, queryset):
        posts = [post for post in queryset if post.status == Post.Status.PUBLISHED]
        for post in posts:
            post.unpublish()
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
