"""Posts and tags in the admin: the list, the form, the roles' rules, revisions."""

import re

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from posts import rendering, revisions, roles, search
from posts.admin.editor import MarkdownEditorAdmin
from posts.forms import PostAdminForm
from posts.hints import writing_hints
from posts.models import Post, Tag
from posts.pagination import RememberedCountPaginator


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


# A word as the full-text indexes split text: a run of letters and digits.
WORD = re.compile(r"[^\W_]+")


class TagFilter(admin.SimpleListFilter):
    """Posts with a tag, each post of the admin's order checked for it (EXISTS).

    Django's filter on ``tags`` joins the post-tag table and then needs a DISTINCT over
    whole posts, which makes the database sort every post with the tag (all of them, for
    a tag on every post) instead of walking the admin's index. Checked post by post, the
    first page stops after its 50 posts: an ``IN`` list of the tag's posts made SQLite
    read them all first (31 ms for a tag on every post at 100k, against 0.1 ms).
    """

    title = _("tags")
    # The address Django's own filter used, so bookmarked lists keep working.
    parameter_name = "tags__id__exact"

    def lookups(self, request, model_admin):
        return Tag.objects.values_list("pk", "name")

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            tag = int(self.value())
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error
        tagged = Post.tags.through.objects.filter(post=OuterRef("pk"), tag=tag)
        return queryset.filter(Exists(tagged))


def posts_matching(queryset, words: str):
    """``queryset`` narrowed to the posts, of any status, with every word or the beginning
    of one in their title, summary or body: through the full-text index (posts.search)
    rather than ``icontains``, which reads every body."""
    # Letters and digits only: nothing the reader types is read as query syntax.
    beginnings = WORD.findall(words)
    if not beginnings:
        return queryset.none()
    if connection.vendor == "postgresql":
        document = RawSQL(
            f'"{Post._meta.db_table}"."{search.DOCUMENT_COLUMN}"', [], SearchVectorField()
        )
        prefixes = " & ".join(f"'{beginning}':*" for beginning in beginnings)
        query = SearchQuery(prefixes, search_type="raw", config=search.LANGUAGE)
        return queryset.alias(document=document).filter(document=query)
    index = search.INDEX_NAME
    prefixes = " AND ".join(f'"{beginning}"*' for beginning in beginnings)
    matches = RawSQL(f"SELECT rowid FROM {index} WHERE {index} MATCH %s", [prefixes])
    return among(queryset, matches)


def among(queryset, ids):
    """``queryset`` narrowed to the posts whose id a subquery gives, each post checked in
    the list's order (index post_admin_order), so the first page stops early.

    SQLite would rather look up every id the subquery gives and sort all those posts:
    100,000 of them for a word on every post. A unary plus on the id keeps it
    from starting there; the subquery becomes a set to check ids against.
    """
    if connection.vendor != "sqlite":
        return queryset.filter(pk__in=ids)
    checked = Func(F("pk"), template="+%(expressions)s", output_field=IntegerField())
    return queryset.alias(checked_id=checked).filter(checked_id__in=ids)


@admin.register(Post)
class PostAdmin(MarkdownEditorAdmin):
    preview_url_name = "posts_post_preview"
    form = PostAdminForm
    list_display = ["title", "state", "published_at", "author", "tag_list"]
    # No date_hierarchy: its year links come from every post's date on each load of the
    # list (docs/performance.md); this filter needs no query for its choices.
    list_filter = ["status", TagFilter, "author", ("published_at", admin.DateFieldListFilter)]
    # Words, through the full-text index: see get_search_results.
    search_fields = ["title", "summary", "body"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["tags"]
    actions = ["publish_now", "unpublish", "submit_for_review"]
    # "n of N" would count every post on each page of the list.
    show_full_result_count = False
    # Drawing a row costs ~1.5 ms in Django's templates: 100 of them were most of the
    # list's time at 100k posts (docs/performance.md).
    list_per_page = 50
    paginator = RememberedCountPaginator
    readonly_fields = [
        "created_at",
        "updated_at",
        "word_count",
        "rendered_preview",
        "former_addresses",
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "author", "body", "summary", "tags"]}),
        (
            _("Publishing"),
            {"fields": ["status", "published_at", "review_note", "former_addresses"]},
        ),
        (
            _("Saved version"),
            {"fields": ["rendered_preview", "word_count", "created_at", "updated_at"]},
        ),
    ]

    def action_checkbox(self, post):
        """Django's checkbox, written out directly: rendering a widget for each of 100
        rows took a third of the list's time at 100k posts (docs/performance.md)."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            post.pk,
            format_html(_("Select this object for an action - {}"), str(post)),
        )

    def get_search_results(self, request, queryset, search_term):
        words = search.clean_query(search_term)
        if not words:
            return queryset, False
        return posts_matching(queryset, words), False

    def get_queryset(self, request):
        posts = super().get_queryset(request).open_to(request.user)
        return posts.select_related("author").prefetch_related("tags")

    # Roles (posts.roles): contributors work on their own posts until they are published;
    # whoever holds posts.publish_post publishes, schedules and unpublishes. Every door of
    # the admin below asks these, not only the buttons it shows.

    def get_object(self, request, object_id, from_field=None):
        """Someone else's post is refused (403), not reported missing, to a contributor."""
        post = super().get_object(request, object_id, from_field)
        if post is None and from_field is None:
            try:
                exists = Post.objects.filter(pk=object_id).exists()
            except (ValueError, TypeError, ValidationError):
                exists = False
            if exists:
                raise PermissionDenied
        return post

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            obj is None
            or request.user.has_perm("posts.view_post")
            or obj.author_id == request.user.pk
        )

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.may_be_changed_by(request.user))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.may_be_deleted_by(request.user))

    def has_publish_permission(self, request):
        return request.user.has_perm(roles.PUBLISH_PERMISSION)

    def get_fieldsets(self, request, obj=None):
        if self.has_publish_permission(request):
            return super().get_fieldsets(request, obj)
        # Contributors: no publication time, no note to write; the author is only shown.
        contributors_fields = {"author": "written_by", "published_at": None, "review_note": None}
        return [
            (
                name,
                options
                | {
                    "fields": [
                        contributors_fields.get(field, field)
                        for field in options["fields"]
                        if contributors_fields.get(field, field)
                    ]
                },
            )
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if self.has_publish_permission(request):
            return readonly
        return [*readonly, "written_by"]

    @admin.display(description=_("author"))
    def written_by(self, post):
        if post.author_id is None:
            return _("You")  # a new post: contributors write as themselves
        return post.author.get_full_name() or post.author.get_username()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.may_publish = self.has_publish_permission(request)
        return form

    def save_model(self, request, post, form, change):
        if not change and "author" not in form.fields:
            post.author = request.user
        super().save_model(request, post, form, change)

    def get_deleted_objects(self, objs, request):
        """A bulk delete may hold posts the user could not delete one by one: refused."""
        deleted, counts, permissions_needed, protected = super().get_deleted_objects(objs, request)
        if any(not post.may_be_deleted_by(request.user) for post in objs):
            permissions_needed.add(_("published posts, or posts of other authors"))
        return deleted, counts, permissions_needed, protected

    def response_action(self, request, queryset):
        """An action the user is not offered, sent anyway, is refused (403)."""
        requested = request.POST.get("action", "")
        if requested in self._all_action_names() and requested not in self.get_actions(request):
            raise PermissionDenied
        return super().response_action(request, queryset)

    def _all_action_names(self) -> set[str]:
        return {name for _function, name, _label in self._get_base_actions()}

    def get_changelist(self, request, **kwargs):
        return PostChangeList

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
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

    @admin.action(description=_("Publish selected posts now"), permissions=["publish"])
    def publish_now(self, request, queryset):
        posts = [post for post in queryset if not post.is_public]
        for post in posts:
            post.publish(by=request.user)
        self.message_user(
            request,
            ngettext("Published %d post.", "Published %d posts.", len(posts)) % len(posts),
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish selected posts"), permissions=["publish"])
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

    @admin.action(description=_("Submit selected drafts for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        posts = [
            post
            for post in queryset
            if post.status == Post.Status.DRAFT and post.may_be_changed_by(request.user)
        ]
        for post in posts:
            post.submit_for_review(by=request.user)
        self.message_user(
            request,
            ngettext(
                "Submitted %d draft for review.", "Submitted %d drafts for review.", len(posts)
            )
            % len(posts),
            messages.SUCCESS,
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
