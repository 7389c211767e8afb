"""The Markdown editor of posts and pages: its text area and its live preview."""

from django import forms
from django.http import JsonResponse
from django.urls import reverse

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
