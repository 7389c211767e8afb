"""Revisions: every change of a post's content is kept, compared and can be restored."""

import importlib
import shutil
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from posts import revisions
from posts.models import Post, Revision, Tag
from tests.test_html_validity import VNU_JAR, validation_errors

pytestmark = pytest.mark.django_db

ADD = reverse("admin:posts_post_add")
CHANGELIST = reverse("admin:posts_post_changelist")


@pytest.fixture
def editor_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def post(make_post):
    """A public post with one revision, as the admin leaves a post it saved."""
    post = make_post(
        title="Revised",
        body="First line\nSecond line",
        summary="Short",
        tags=["alpha"],
        published_at=timezone.now().replace(microsecond=0) - timedelta(days=1),
    )
    post.record_revision()
    return post


def change_url(post):
    return reverse("admin:posts_post_change", args=[post.pk])


def opened_form(client, post, **changes):
    """What the change form, opened now, sends back with ``changes`` made in it."""
    form = client.get(change_url(post)).context["adminform"].form
    published_at = timezone.localtime(post.published_at) if post.published_at else None
    data = {
        "title": post.title,
        "slug": post.slug,
        "author": post.author_id,
        "body": post.body,
        "summary": post.summary,
        "tags": [tag.pk for tag in post.tags.all()],
        "status": post.status,
        "published_at_0": published_at.strftime("%Y-%m-%d") if published_at else "",
        "published_at_1": published_at.strftime("%H:%M:%S") if published_at else "",
        "base_revision": form["base_revision"].value() or "",
    }
    return data | changes


def save(client, post, **changes):
    response = client.post(change_url(post), opened_form(client, post, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors
    post.refresh_from_db()
    return response


def test_adding_a_post_makes_its_first_revision(editor_client, staff):
    tag = Tag.objects.create(name="News")
    editor_client.post(
        ADD,
        {
            "title": "New",
            "slug": "",
            "author": staff.pk,
            "body": "Body",
            "summary": "",
            "tags": [tag.pk],
            "status": Post.Status.DRAFT,
            "published_at_0": "",
            "published_at_1": "",
        },
    )
    revision = Revision.objects.get()
    assert revision.post == Post.objects.get()
    assert (revision.title, revision.body, revision.tags) == ("New", "Body", ["News"])
    assert revision.created_by == staff


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Retitled"},
        {"summary": "Longer summary"},
        {"body": "First line\nSecond line, edited\n"},
        {"status": Post.Status.DRAFT},
        {"published_at_1": "08:30:00"},
    ],
    ids=["title", "summary", "body", "status", "publication-time"],
)
def test_each_kind_of_change_makes_a_revision(editor_client, post, staff, changes):
    save(editor_client, post, **changes)
    assert post.revisions.count() == 2
    newest = post.revisions.first()
    assert newest.content == Revision.of(post).content
    assert newest.created_by == staff


def test_changing_the_tags_makes_a_revision_with_the_new_tags(editor_client, post):
    beta = Tag.objects.create(name="beta")
    save(editor_client, post, tags=[beta.pk])
    assert [revision.tags for revision in post.revisions.all()] == [["beta"], ["alpha"]]


def test_a_save_that_changes_nothing_makes_no_revision(editor_client, post):
    save(editor_client, post)
    assert post.revisions.count() == 1


def test_line_breaks_as_browsers_send_them_change_nothing(editor_client, post):
    save(editor_client, post, body=post.body.replace("\n", "\r\n"))
    assert post.body == "First line\nSecond line"
    assert post.revisions.count() == 1


def test_changing_only_the_slug_of_a_draft_makes_no_revision(editor_client, make_post):
    draft = make_post(title="Draft", status=Post.Status.DRAFT, published_at=None)
    draft.record_revision()
    save(editor_client, draft, slug="moved")
    assert draft.slug == "moved"
    assert draft.revisions.count() == 1


@pytest.mark.parametrize("action", ["publish_now", "unpublish"])
def test_bulk_actions_make_a_revision_per_post_they_change(editor_client, make_post, staff, action):
    status = Post.Status.DRAFT if action == "publish_now" else Post.Status.PUBLISHED
    posts = [make_post(title=f"Post {n}", status=status) for n in range(2)]
    editor_client.post(CHANGELIST, {"action": action, "_selected_action": [p.pk for p in posts]})
    for post in posts:
        post.refresh_from_db()
        revision = post.revisions.get()
        assert revision.status == post.status != status
        assert revision.created_by == staff


def test_revisions_of_a_deleted_post_go_with_it(post):
    post.delete()
    assert not Revision.objects.exists()


def test_change_page_links_to_the_revisions(editor_client, post):
    revisions_url = reverse("admin:posts_post_revisions", args=[post.pk])
    assertContains(editor_client.get(change_url(post)), f'<a href="{revisions_url}">Revisions</a>')


def test_revision_list_shows_who_saved_when_newest_first(editor_client, post, staff, now):
    staff.first_name, staff.last_name = "Grace", "Hopper"
    staff.save()
    now.shift(timedelta(hours=1))
    save(editor_client, post, title="Second title")
    response = editor_client.get(reverse("admin:posts_post_revisions", args=[post.pk]))
    titles = [revision.title for revision in response.context["revisions"]]
    assert titles == ["Second title", "Revised"]
    assertContains(response, "<td>Grace Hopper</td>", html=True)
    assertContains(response, "<td>someone</td>", html=True)  # the fixture's, by no one


def test_revision_page_shows_the_markdown_diff_and_the_rendered_text(editor_client, post):
    first = post.revisions.get()
    save(editor_client, post, body="First line\nSecond line, now **bold**\n")
    url = reverse("admin:posts_post_revision", args=[post.pk, first.pk])
    response = editor_client.get(url)
    assertContains(response, "<td><del>Second <mark>line</mark></del></td>", html=True)
    assertContains(
        response, "<td><ins>Second <mark>line, now **bold**</mark></ins></td>", html=True
    )
    assertContains(response, '<div class="post-preview"><p>First line\nSecond line</p>')
    assertContains(response, "Restore this revision")


def test_the_current_revision_offers_no_restore(editor_client, post):
    url = reverse("admin:posts_post_revision", args=[post.pk, post.revisions.get().pk])
    response = editor_client.get(url)
    assertContains(response, "The Markdown is the same.")
    assertNotContains(response, "Restore this revision")


def test_diff_marks_changed_words_and_groups_changes_with_context():
    old = "\n".join(f"line {n}" for n in range(20))
    new = old.replace("line 2", "line two").replace("line 17", "line seventeen") + "\nend"
    hunks = revisions.line_diff(old, new)
    assert len(hunks) == 2
    changed = [line for line in hunks[0].lines if line.kind != "same"]
    assert [(line.kind, line.text) for line in changed] == [
        ("removed", "line 2"),
        ("added", "line two"),
    ]
    assert [piece.text for piece in changed[1].pieces if piece.changed] == ["two"]
    assert hunks[1].lines[-1] == revisions.Line("added", (revisions.Piece("end", True),))
    assert revisions.line_diff(old, old) == []


def test_restore_brings_the_text_back_as_a_new_revision(editor_client, post, staff):
    first = post.revisions.get()
    beta = Tag.objects.create(name="beta")
    save(editor_client, post, title="Rewritten", body="All new", tags=[beta.pk])
    response = editor_client.post(
        reverse("admin:posts_post_restore_revision", args=[post.pk, first.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == change_url(post)
    post.refresh_from_db()
    assert (post.title, post.body, post.tag_names) == ("Revised", first.body, ["alpha"])
    assert "<p>First line" in post.body_html
    newest, middle, oldest = post.revisions.all()
    assert oldest == first and middle.title == "Rewritten"
    assert newest.content == first.content and newest.created_by == staff


def test_restore_never_changes_the_slug_or_publication_of_a_public_post(editor_client, make_post):
    post = make_post(title="Old title", status=Post.Status.DRAFT, published_at=None)
    first = post.record_revision()
    post.title = "New title"
    post.save()
    post.publish()
    assert post.slug == "old-title" and post.is_public
    editor_client.post(reverse("admin:posts_post_restore_revision", args=[post.pk, first.pk]))
    post.refresh_from_db()
    assert post.title == "Old title"
    assert post.slug == "old-title"
    assert post.is_public


def test_restore_answers_only_post(editor_client, post):
    url = reverse("admin:posts_post_restore_revision", args=[post.pk, post.revisions.get().pk])
    assert editor_client.get(url).status_code == 405


def test_revisions_of_another_post_are_not_found(editor_client, post, make_post):
    other = make_post(title="Other")
    url = reverse("admin:posts_post_revision", args=[other.pk, post.revisions.get().pk])
    assert editor_client.get(url).status_code == 404


def test_revision_pages_need_permission(client, post, django_user_model):
    client.force_login(django_user_model.objects.create_user("clerk", is_staff=True))
    revision = post.revisions.get()
    assert client.get(reverse("admin:posts_post_revisions", args=[post.pk])).status_code == 403
    restore = reverse("admin:posts_post_restore_revision", args=[post.pk, revision.pk])
    assert client.post(restore).status_code == 403


def test_prune_revisions_keeps_the_newest_of_each_post(make_post):
    posts = [make_post(title=f"Post {n}") for n in range(2)]
    for post in posts:
        for number in range(4):
            post.body = f"version {number}"
            post.save()
            post.record_revision()
    call_command("prune_revisions", "--keep", "2", stdout=None)
    for post in posts:
        assert [revision.body for revision in post.revisions.all()] == ["version 3", "version 2"]


def test_prune_revisions_refuses_to_keep_none(make_post):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("prune_revisions", "--keep", "0")


def test_migrating_gives_existing_posts_their_first_revision(make_post):
    post = make_post(title="Before revisions", tags=["old"])
    Revision.objects.all().delete()
    migration = importlib.import_module("posts.migrations.0004_revision")
    state = MigrationExecutor(connection).loader.project_state(("posts", "0004_revision"))
    migration.first_revisions(state.apps, None)
    revision = post.revisions.get()
    assert (revision.title, revision.tags) == ("Before revisions", ["old"])
    assert revision.created_at == post.updated_at and revision.created_by is None


@pytest.mark.skipif(
    not (VNU_JAR.exists() and shutil.which("java")),
    reason="the Nu HTML Checker needs Java and `npm ci --prefix tests/tools` (bin/test)",
)
def test_the_editor_and_revision_pages_are_valid_html(editor_client, post, tmp_path):
    first = post.revisions.get()
    opened = opened_form(editor_client, post)
    save(editor_client, post, body="Changed\n\n```python\nx = 1\n```")
    pages = {
        "add": editor_client.get(ADD).text,
        "refused": editor_client.post(change_url(post), opened | {"body": "Mine"}).text,
        "revisions": editor_client.get(reverse("admin:posts_post_revisions", args=[post.pk])).text,
        "revision": editor_client.get(
            reverse("admin:posts_post_revision", args=[post.pk, first.pk])
        ).text,
    }
    assert "revision-conflict" in pages["refused"]
    assert validation_errors(pages, tmp_path) == []
