from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from posts import revisions
from posts.models import Page, Post, rendered_fields

# What only an editor decides about a post: a contributor's form leaves these out.
EDITORS_FIELDS = ("author", "published_at", "review_note")
CONTRIBUTORS_STATUSES = (Post.Status.DRAFT, Post.Status.IN_REVIEW)


class MarkdownEditorForm(forms.ModelForm):
    """An admin form whose ``body`` the editor's script (static/js/post-editor.js) works
    on: its unsaved text is kept in the browser under a key of the object's own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "body" in self.fields:  # not on an object shown read-only
            self._mark_body_for_the_editor_script()

    def _mark_body_for_the_editor_script(self):
        attrs = self.fields["body"].widget.attrs
        name = self._meta.model._meta.model_name
        if self.instance.pk is None:
            attrs["data-draft-key"] = f"{name}-new"
        else:
            attrs["data-draft-key"] = f"{name}-{self.instance.pk}"
            # The editor's script offers back unsaved text only if newer than this.
            attrs["data-saved-at"] = self.instance.updated_at.isoformat()

    def clean_body(self):
        # Browsers send line breaks as CRLF: keep the body as it was written, so saving an
        # unchanged text changes nothing (and records no revision).
        return self.cleaned_data["body"].replace("\r\n", "\n")


class PageAdminForm(MarkdownEditorForm):
    class Meta:
        model = Page
        fields = ["title", "slug", "body", "summary", "status", "navigation_position"]


class PostAdminForm(MarkdownEditorForm):
    """The post form of the admin, refusing to overwrite a save made since it was opened."""

    # The revision the author started from; a newer one means someone else saved meanwhile.
    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # PostAdmin.get_form() sets this for the user: without it, a contributor's form.
    may_publish = True

    class Meta:
        model = Post
        fields = [
            "title",
            "slug",
            "author",
            "body",
            "summary",
            "tags",
            "status",
            "published_at",
            "review_note",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict = None
        if not self.may_publish and "status" in self.fields:
            status = self.fields["status"]
            status.choices = [
                (value, label) for value, label in status.choices if value in CONTRIBUTORS_STATUSES
            ]
            status.help_text = _(
                "Choose “In review” when the post is ready: an editor then publishes it, "
                "or sends it back with a note."
            )
        if self.instance.pk is not None:
            latest = self.instance.revisions.values_list("pk", flat=True).first()
            self.fields["base_revision"].initial = latest

    def clean(self):
        cleaned_data = super().clean()
        if not self.may_publish:
            self._refuse_editors_fields()
        if self.instance.pk is not None:
            # Locks the post until the admin's transaction ends: of two simultaneous
            # saves, the second waits here, then sees the first one's revision.
            self.conflict = self.instance.lock_for_edit(cleaned_data.get("base_revision"))
        if self.conflict is not None:
            # Saving again, after reading the difference, replaces their version.
            self.data = self.data.copy()
            self.data[self.add_prefix("base_revision")] = self.conflict.pk
            saved_at = formats.date_format(
                timezone.localtime(self.conflict.created_at), "DATETIME_FORMAT"
            )
            raise ValidationError(
                _(
                    "%(name)s saved this post at %(time)s, after you opened it. Your text "
                    "is kept below, and what changed is shown under it. Save again to "
                    "replace their version with yours, or reload the page to start from "
                    "theirs."
                ),
                code="changed_meanwhile",
                params={"name": self.conflict.saved_by_name, "time": saved_at},
            )
        return cleaned_data

    def _refuse_editors_fields(self):
        """A contributor's form has no author, time or note: a request that sends them
        anyway was made by hand, and is refused rather than quietly half-applied."""
        sent = [
            name
            for name in EDITORS_FIELDS
            if name not in self.fields
            and any(
                value
                for key, values in self.data.lists()
                if key == name or key.startswith(f"{name}_")
                for value in values
            )
        ]
        if sent:
            names = ", ".join(str(Post._meta.get_field(name).verbose_name) for name in sent)
            raise ValidationError(
                _("Only an editor sets a post’s %(fields)s."),
                code="editors_only",
                params={"fields": names},
            )

    @cached_property
    def conflict_diff(self) -> list[revisions.Hunk]:
        """From the text saved meanwhile to the author's."""
        return revisions.line_diff(self.conflict.body, self["body"].value() or "")


class PreviewForm(forms.Form):
    """A body as the post form would take it, rendered as saving would render it."""

    body = forms.CharField(required=False)

    def clean_body(self):
        body = self.cleaned_data["body"]
        try:
            self.rendered = rendered_fields(body)
        except ValueError as error:
            raise ValidationError(str(error), code="unrenderable") from error
        return body
