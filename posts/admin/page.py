"""Standalone pages in the admin, with the post editor."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from posts.admin.editor import markdown_editor, rendered_preview
from posts.admin.post import PostAdmin
from posts.forms import PageAdminForm
from posts.models import Page


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    form = PageAdminForm
    list_display = ["title", "slug", "status", "navigation_position", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = [
        "former_addresses",
        "first_published_at",
        "rendered_preview",
        "word_count",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "body", "summary"]}),
        (
            _("Publishing"),
            {
                "fields": [
                    "status",
                    "navigation_position",
                    "first_published_at",
                    "former_addresses",
                ]
            },
        ),
        (
            _("Saved version"),
            {"fields": ["rendered_preview", "word_count", "created_at", "updated_at"]},
        ),
    ]

    # The post editor: live preview, unsaved text kept in the browser, image uploads.
    Media = PostAdmin.Media

    @admin.display(description=_("rendered preview"))
    def rendered_preview(self, page):
        # body_html is the sanitizing pipeline's output: the one thing marked safe.
        return mark_safe(f'<div class="post-preview">{page.body_html}</div>')

    @admin.display(description=_("old addresses"))
    def former_addresses(self, page):
        """Addresses the page had once it had been published, which redirect to it while it
        is published."""
        addresses = ((redirect.old_address,) for redirect in page.old_addresses.all())
        return format_html_join(", ", "<code>{}</code>", addresses) or _("None")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = markdown_editor(self.admin_site, "posts_page_preview")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_urls(self):
        # Not admin_view: scripts get a 403, not a redirect to the login page.
        preview = never_cache(require_POST(self.preview))
        return [path("preview/", preview, name="posts_page_preview"), *super().get_urls()]

    def preview(self, request):
        may_write = self.has_add_permission(request) or self.has_change_permission(request)
        if not (self.admin_site.has_permission(request) and may_write):
            raise PermissionDenied
        return rendered_preview(request)
