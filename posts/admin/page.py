"""Standalone pages in the admin, with the post editor."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from posts.admin.editor import MarkdownEditorAdmin
from posts.forms import PageAdminForm
from posts.models import Page


@admin.register(Page)
class PageAdmin(MarkdownEditorAdmin):
    form = PageAdminForm
    preview_url_name = "posts_page_preview"
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
