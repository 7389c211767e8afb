"""Uploaded images in the admin, and the upload endpoint of the editor."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from posts import images
from posts.models import Image


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
