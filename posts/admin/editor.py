"""The Markdown editor of posts and pages: its text area and its live preview."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from posts import rendering
from posts.forms import PreviewForm


def markdown_editor(admin_site, preview_url_name: str) -> forms.Textarea:
    """The body's text area, which the editor's scripts give a live preview (rendered by
    the view named ``preview_url_name``) and image uploads."""
    return forms.Textarea(
        attrs={
            "rows": 24,
            "class": "vLargeTextField markdown-source",
            "spellcheck": "true",
            "data-preview-url": reverse(f"{admin_site.name}:{preview_url_name}"),
            "data-image-upload-url": reverse(f"{admin_site.name}:posts_image_upload"),
        }
    )


def rendered_preview(request) -> JsonResponse:
    """The posted body as saving would render it, for the editor's live preview."""
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


class MarkdownEditorAdmin(admin.ModelAdmin):
    """The admin of a model written in Markdown (posts, pages): the editor with its live
    preview at ``preview/`` (named ``preview_url_name``), the saved rendering, and the
    addresses the object had before."""

    preview_url_name: str

    class Media:
        js = ["js/post-editor.js", "js/image-upload.js"]
        css = {
            "all": ["css/admin-preview.css"],
            "(prefers-color-scheme: light)": ["css/pygments-light.css"],
            "(prefers-color-scheme: dark)": ["css/pygments-dark.css"],
        }

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = markdown_editor(self.admin_site, self.preview_url_name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_urls(self):
        # Not admin_view: scripts get a 403, not a redirect to the login page.
        preview = never_cache(require_POST(self.preview))
        return [path("preview/", preview, name=self.preview_url_name), *super().get_urls()]

    def preview(self, request):
        """The body as saving would render it, for whoever may write one here."""
        may_write = self.has_add_permission(request) or self.has_change_permission(request)
        if not (self.admin_site.has_permission(request) and may_write):
            raise PermissionDenied
        return rendered_preview(request)

    @admin.display(description=_("rendered preview"))
    def rendered_preview(self, obj):
        # body_html is the sanitizing pipeline's output: the one thing marked safe.
        return mark_safe(f'<div class="post-preview">{obj.body_html}</div>')

    @admin.display(description=_("old addresses"))
    def former_addresses(self, obj):
        """The addresses that redirect here (posts.models.OldAddress)."""
        addresses = ((old.old_address,) for old in obj.old_addresses.all())
        return format_html_join(", ", "<code>{}</code>", addresses) or _("None")
