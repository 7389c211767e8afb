"""Roles and review: who may do what to which post, through the admin over HTTP.

Contributors write their own posts and submit them; editors publish, schedule, unpublish
and send back; administrators also manage people and the site; a superuser does anything.
"""

import importlib
import io
import shutil
import sqlite3
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from posts.models import Image, Post
from posts.roles import ADMINISTRATOR, CONTRIBUTOR, EDITOR, ROLES
from tests.servers import manage, site_environment
from tests.test_html_validity import VNU_JAR, validation_errors
from tests.test_images import picture_file

pytestmark = pytest.mark.django_db

ADD = reverse("admin:posts_post_add")
CHANGELIST = reverse("admin:posts_post_changelist")
PREVIEW = reverse("admin:posts_post_preview")
UPLOAD = reverse("admin:posts_image_upload")

ROLE_NAMES = {"contributor": CONTRIBUTOR, "editor": EDITOR, "administrator": ADMINISTRATOR}
EVERY_ROLE = ["contributor", "editor", "administrator", "superuser"]
STATES = ["draft", "in_review", "public", "scheduled"]
# What a contributor may do to a post: only to their own, and only until it is published.
CONTRIBUTOR_MAY_WRITE = {("own", "draft"), ("own", "in_review")}


def person(django_user_model, username, role=None):
    if role == "superuser":
        return django_user_model.objects.create_superuser(username, password=None)
    user = django_user_model.objects.create_user(username, is_staff=True)
    if role is not None:
        user.groups.add(Group.objects.get(name=ROLE_NAMES[role]))
    return user


@pytest.fixture
def bob(django_user_model):
    """Another contributor, whose posts the acting user did not write."""
    return person(django_user_model, "bob", "contributor")


@pytest.fixture
def acting(client, django_user_model, request):
    """(client signed in as a user in the role named by the test's ``role``, that user)."""
    user = person(django_user_model, "actor", request.getfixturevalue("role"))
    client.force_login(user)
    return client, user


def make(author, state="draft", **fields) -> Post:
    """A post as the admin leaves it: saved, with its first revision."""
    status, published_at = {
        "draft": (Post.Status.DRAFT, None),
        "in_review": (Post.Status.IN_REVIEW, None),
        "public": (Post.Status.PUBLISHED, timezone.now() - timedelta(days=1)),
        "scheduled": (Post.Status.PUBLISHED, timezone.now() + timedelta(days=3)),
    }[state]
    defaults = {"title": f"{state} post", "body": "Original text", "author": author}
    post = Post.objects.create(
        **defaults | {"status": status, "published_at": published_at} | fields
    )
    post.record_revision(by=author)
    return post


def post_of(owner, state, user, bob) -> Post:
    return make(user if owner == "own" else bob, state)


def change_url(post):
    return reverse("admin:posts_post_change", args=[post.pk])


def form_data(post=None, editor=True, **changes) -> dict:
    """What the post form sends back: an editor's form also has the author and the time."""
    data = {
        "title": post.title if post else "Written here",
        "slug": post.slug if post else "",
        "body": post.body if post else "A new text",
        "summary": "",
        "status": post.status if post else Post.Status.DRAFT,
        "base_revision": (post.revisions.values_list("pk", flat=True).first() or "")
        if post
        else "",
    }
    if editor:
        published_at = post and post.published_at and timezone.localtime(post.published_at)
        data |= {
            "author": post.author_id if post else "",
            "published_at_0": published_at.strftime("%Y-%m-%d") if published_at else "",
            "published_at_1": published_at.strftime("%H:%M:%S") if published_at else "",
            "review_note": post.review_note if post else "",
        }
    return data | changes


def allowed(role, owner, state) -> bool:
    return role != "contributor" or (owner, state) in CONTRIBUTOR_MAY_WRITE


def every_case():
    return [
        pytest.param(role, owner, state, id=f"{role}-{owner}-{state}")
        for role in EVERY_ROLE
        for owner in ("own", "other")
        for state in STATES
    ]


# The matrix: role x action x (own, someone else's) x (draft, in review, public, scheduled).


@pytest.mark.parametrize(("role", "owner", "state"), every_case())
def test_viewing_a_post(acting, bob, role, owner, state):
    client, user = acting
    post = post_of(owner, state, user, bob)
    response = client.get(change_url(post))
    if role == "contributor" and owner == "other":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    may_save = allowed(role, owner, state)
    assert ('name="_save"' in response.text) is may_save


@pytest.mark.parametrize(("role", "owner", "state"), every_case())
def test_changing_a_post(acting, bob, role, owner, state):
    client, user = acting
    post = post_of(owner, state, user, bob)
    editor = role != "contributor"
    response = client.post(change_url(post), form_data(post, editor, body="Changed text"))
    post.refresh_from_db()
    if allowed(role, owner, state):
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert post.body == "Changed text"
    else:
        assert response.status_code == 403
        assert post.body == "Original text"


@pytest.mark.parametrize(("role", "owner", "state"), every_case())
def test_deleting_a_post(acting, bob, role, owner, state):
    client, user = acting
    post = post_of(owner, state, user, bob)
    delete = reverse("admin:posts_post_delete", args=[post.pk])
    response = client.post(delete, {"post": "yes"})
    if allowed(role, owner, state):
        assert response.status_code == 302
        assert not Post.objects.filter(pk=post.pk).exists()
    else:
        assert response.status_code == 403
        assert Post.objects.filter(pk=post.pk).exists()


@pytest.mark.parametrize(("role", "owner", "state"), every_case())
def test_restoring_a_revision(acting, bob, role, owner, state):
    client, user = acting
    post = post_of(owner, state, user, bob)
    first = post.revisions.get()
    post.body = "Second text"
    post.save()
    post.record_revision(by=post.author)
    restore = reverse("admin:posts_post_restore_revision", args=[post.pk, first.pk])
    response = client.post(restore)
    post.refresh_from_db()
    if allowed(role, owner, state):
        assert response.status_code == 302
        assert post.body == "Original text"
    else:
        assert response.status_code == 403
        assert post.body == "Second text"


@pytest.mark.parametrize(("role", "owner", "state"), every_case())
def test_reading_the_revisions(acting, bob, role, owner, state):
    client, user = acting
    post = post_of(owner, state, user, bob)
    revision = post.revisions.get()
    pages = [
        reverse("admin:posts_post_revisions", args=[post.pk]),
        reverse("admin:posts_post_revision", args=[post.pk, revision.pk]),
    ]
    expected = 403 if role == "contributor" and owner == "other" else 200
    assert [client.get(page).status_code for page in pages] == [expected, expected]


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_adding_a_post(acting, role):
    client, user = acting
    editor = role != "contributor"
    data = form_data(editor=editor, **({"author": user.pk} if editor else {}))
    response = client.post(ADD, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    post = Post.objects.get()
    assert (post.author, post.status, post.body) == (user, Post.Status.DRAFT, "A new text")


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_submitting_a_draft_for_review(acting, role):
    client, user = acting
    post = make(user, "draft")
    data = form_data(post, role != "contributor", status=Post.Status.IN_REVIEW)
    assert client.post(change_url(post), data).status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW and not post.is_public


@pytest.mark.parametrize("role", EVERY_ROLE)
@pytest.mark.parametrize("state", ["draft", "in_review"])
def test_publishing_through_the_form(acting, role, state):
    client, user = acting
    post = make(user, state)
    data = form_data(post, role != "contributor", status=Post.Status.PUBLISHED, body="Kept")
    response = client.post(change_url(post), data)
    post.refresh_from_db()
    if role == "contributor":
        form = response.context["adminform"].form
        assert response.status_code == 200
        assert "status" in form.errors
        assert form["body"].value() == "Kept"  # nothing typed is lost
        assert post.status == Post.Status(state) and post.body == "Original text"
    else:
        assert response.status_code == 302
        assert post.is_public


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_scheduling_through_the_form(acting, role):
    client, user = acting
    post = make(user, "in_review")
    later = timezone.localtime(timezone.now() + timedelta(days=2))
    data = form_data(post, role != "contributor", body="Kept") | {
        "published_at_0": later.strftime("%Y-%m-%d"),
        "published_at_1": later.strftime("%H:%M:%S"),
    }
    if role != "contributor":
        data["status"] = Post.Status.PUBLISHED
    response = client.post(change_url(post), data)
    post.refresh_from_db()
    if role == "contributor":
        form = response.context["adminform"].form
        assert form.non_field_errors() == ["Only an editor sets a post’s publication time."]
        assert form["body"].value() == "Kept"
        assert post.published_at is None and post.body == "Original text"
    else:
        assert response.status_code == 302
        assert post.is_scheduled


@pytest.mark.parametrize("role", EVERY_ROLE)
@pytest.mark.parametrize("action", ["publish_now", "unpublish"])
def test_publishing_actions(acting, bob, role, action):
    client, user = acting
    own_draft, own_public = make(user, "draft"), make(user, "public")
    posts = [own_draft, own_public, make(bob, "in_review")]
    data = {"action": action, "_selected_action": [post.pk for post in posts]}
    response = client.post(CHANGELIST, data)
    statuses = {post.pk: post.status for post in posts}
    for post in posts:
        post.refresh_from_db()
    if role == "contributor":
        assert response.status_code == 403
        assert {post.pk: post.status for post in posts} == statuses
    elif action == "publish_now":
        assert all(post.is_public for post in posts)
    else:
        assert own_public.status == Post.Status.DRAFT


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_submit_for_review_action_takes_only_drafts_the_user_may_change(acting, bob, role):
    client, user = acting
    own_draft, own_public, bobs_draft = make(user), make(user, "public"), make(bob)
    data = {
        "action": "submit_for_review",
        "_selected_action": [own_draft.pk, own_public.pk, bobs_draft.pk],
    }
    client.post(CHANGELIST, data)
    for post in (own_draft, own_public, bobs_draft):
        post.refresh_from_db()
    assert own_draft.status == Post.Status.IN_REVIEW
    assert own_public.is_public
    expected = Post.Status.DRAFT if role == "contributor" else Post.Status.IN_REVIEW
    assert bobs_draft.status == expected


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_uploading_an_image(acting, role):
    client, _user = acting
    response = client.post(UPLOAD, {"file": picture_file("PNG"), "alt_text": "A dot"})
    assert response.status_code == 201
    assert Image.objects.count() == 1


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_previewing_a_body(acting, role):
    client, _user = acting
    response = client.post(PREVIEW, {"body": "*hi*"})
    assert response.status_code == 200
    assert response.json()["html"] == "<p><em>hi</em></p>\n"


# Crafted requests from a contributor: refused, with the text kept.


@pytest.mark.parametrize("role", ["contributor"])
def test_a_contributor_cannot_add_a_published_post(acting, role):
    client, _user = acting
    response = client.post(ADD, form_data(editor=False, status=Post.Status.PUBLISHED))
    form = response.context["adminform"].form
    assert "status" in form.errors and form["body"].value() == "A new text"
    assert not Post.objects.exists()


@pytest.mark.parametrize("role", ["contributor"])
def test_a_contributor_cannot_write_as_someone_else(acting, bob, role):
    client, user = acting
    response = client.post(ADD, form_data(editor=False, author=bob.pk))
    form = response.context["adminform"].form
    assert form.non_field_errors() == ["Only an editor sets a post’s author."]
    assert form["body"].value() == "A new text"
    assert not Post.objects.exists()
    post = make(user)
    response = client.post(change_url(post), form_data(post, editor=False, author=bob.pk))
    assert response.status_code == 200
    post.refresh_from_db()
    assert post.author == user


@pytest.mark.parametrize("role", ["contributor"])
def test_a_contributor_cannot_clear_an_editors_note(acting, role):
    client, user = acting
    post = make(user, review_note="Shorter, please")
    response = client.post(change_url(post), form_data(post, editor=False, review_note="ok"))
    assert response.status_code == 200
    post.refresh_from_db()
    assert post.review_note == "Shorter, please"


@pytest.mark.parametrize("role", ["contributor"])
def test_a_contributors_form_offers_no_publishing(acting, role):
    client, user = acting
    response = client.get(change_url(make(user)))
    form = response.context["adminform"].form
    assert [value for value, _label in form.fields["status"].choices] == ["draft", "in_review"]
    assert not {"author", "published_at", "review_note"} & form.fields.keys()
    assertContains(response, '<div class="readonly">actor</div>', html=True)


@pytest.mark.parametrize("role", ["contributor"])
def test_a_bulk_delete_holding_a_published_post_is_refused(acting, role):
    client, user = acting
    draft, public = make(user), make(user, "public")
    data = {"action": "delete_selected", "_selected_action": [draft.pk, public.pk]}
    assertContains(client.post(CHANGELIST, data), "published posts, or posts of other authors")
    assert client.post(CHANGELIST, data | {"post": "yes"}).status_code == 403
    assert Post.objects.count() == 2
    client.post(CHANGELIST, {**data, "_selected_action": [draft.pk], "post": "yes"})
    assert list(Post.objects.all()) == [public]


@pytest.mark.parametrize("role", ["contributor"])
def test_a_contributor_sees_only_their_own_posts(acting, bob, role):
    client, user = acting
    make(user, title="Mine"), make(user, "public", title="Mine too"), make(bob, title="Bob's")
    titles = {post.title for post in client.get(CHANGELIST).context["cl"].result_list}
    assert titles == {"Mine", "Mine too"}


@pytest.mark.parametrize("role", ["contributor"])
def test_a_contributor_does_not_see_other_peoples_drafts_on_the_site(acting, bob, role):
    client, _user = acting
    assert client.get(make(bob).get_absolute_url()).status_code == 404


@pytest.mark.parametrize("state", ["draft", "in_review"])
@pytest.mark.parametrize("role", ["contributor"])
def test_a_contributor_sees_their_own_unpublished_post_on_the_site(acting, role, state):
    client, user = acting
    post = make(user, state)
    banner = {"draft": "Draft: only staff", "in_review": "In review: only staff"}[state]
    assertContains(client.get(post.get_absolute_url()), banner)
    assert client.get(post.get_markdown_url()).status_code == 200


@pytest.mark.parametrize("role", ["editor"])
def test_an_editor_sees_drafts_on_the_site(acting, bob, role):
    client, _user = acting
    assert client.get(make(bob).get_absolute_url()).status_code == 200


def test_staff_without_a_role_sees_no_posts(client, django_user_model, make_post):
    client.force_login(person(django_user_model, "clerk"))
    post = make_post()
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(post)).status_code == 403
    assert client.post(PREVIEW, {"body": "x"}).status_code == 403
    assert client.post(UPLOAD, {"file": picture_file("PNG"), "alt_text": "x"}).status_code == 403


# Review: submitted posts wait for an editor, who publishes them or sends them back.


@pytest.mark.parametrize("role", ["editor"])
def test_sending_back_leaves_a_note_the_contributor_reads(acting, client, bob, role):
    editor_client, _editor = acting
    post = make(bob, "in_review")
    data = form_data(post, status=Post.Status.DRAFT, review_note="Cite <sources>, please.")
    assert editor_client.post(change_url(post), data).status_code == 302
    client.force_login(bob)
    response = client.get(change_url(post))
    assertContains(response, "Sent back by an editor")
    assertContains(response, "Cite &lt;sources&gt;, please.")
    resubmit = form_data(post, editor=False, status=Post.Status.IN_REVIEW)
    assert client.post(change_url(post), resubmit).status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW and post.review_note == ""
    assertNotContains(client.get(change_url(post)), "Sent back by an editor")


def test_publishing_clears_the_review_note(make_post, author):
    post = make(author, review_note="Fix the title")
    post.publish()
    post.refresh_from_db()
    assert post.is_public and post.review_note == ""


@pytest.mark.parametrize("role", ["editor"])
def test_editors_filter_the_posts_in_review(acting, bob, role):
    client, _user = acting
    make(bob, "in_review", title="Waiting"), make(bob, title="Drafted")
    response = client.get(CHANGELIST, {"status__exact": "in_review"})
    assert [post.title for post in response.context["cl"].result_list] == ["Waiting"]
    assertContains(response, "In review")


@pytest.mark.parametrize("role", ["editor", "contributor"])
def test_the_admin_index_counts_the_posts_in_review_in_one_query(acting, bob, role):
    client, _user = acting
    make(bob, "in_review"), make(bob, "in_review"), make(bob)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:index"))
    counting = [q["sql"] for q in queries if "in_review" in q["sql"]]
    if role == "editor":
        assertContains(response, "2 posts wait for review")
        assert len(counting) == 1
    else:
        assertNotContains(response, "wait for review")
        assert counting == []


# What the other roles manage besides posts.


@pytest.mark.parametrize(
    ("role", "page", "expected"),
    [
        ("contributor", "admin:posts_tag_add", 403),
        ("editor", "admin:posts_tag_add", 200),
        ("editor", "admin:posts_page_add", 200),
        ("editor", "admin:auth_user_changelist", 403),
        ("administrator", "admin:auth_user_changelist", 200),
        ("administrator", "admin:auth_group_changelist", 200),
    ],
)
def test_what_each_role_manages(acting, role, page, expected):
    client, _user = acting
    assert client.get(reverse(page)).status_code == expected


@pytest.mark.parametrize("role", ["administrator"])
def test_an_administrator_cannot_make_anyone_a_superuser(acting, bob, role):
    client, administrator = acting
    for account in (administrator, bob):
        url = reverse("admin:auth_user_change", args=[account.pk])
        form = client.get(url).context["adminform"].form
        assert "is_superuser" not in form.fields
        data = {
            "username": account.username,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [group.pk for group in account.groups.all()],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "12:00:00",
        }
        assert client.post(url, data).status_code == 302  # saved, without the flag
        account.refresh_from_db()
        assert not account.is_superuser


@pytest.mark.parametrize("role", ["administrator"])
def test_an_administrator_cannot_change_or_delete_a_superuser(acting, django_user_model, role):
    client, _administrator = acting
    owner = person(django_user_model, "owner", "superuser")
    change = reverse("admin:auth_user_change", args=[owner.pk])
    assert client.get(change).context["has_change_permission"] is False  # read only
    taken_over = {"username": "taken", "is_active": "on", "is_staff": "on"}
    assert client.post(change, taken_over).status_code == 403
    password = reverse("admin:auth_user_password_change", args=[owner.pk])
    new_password = {"password1": "x7-Unguessable!", "password2": "x7-Unguessable!"}
    assert client.post(password, new_password).status_code == 403
    delete = reverse("admin:auth_user_delete", args=[owner.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    owner.refresh_from_db()
    assert (owner.username, owner.is_superuser, owner.has_usable_password()) == (
        "owner",
        True,
        False,
    )


def test_a_superuser_makes_another(client, django_user_model, bob):
    client.force_login(person(django_user_model, "owner", "superuser"))
    url = reverse("admin:auth_user_change", args=[bob.pk])
    assert "is_superuser" in client.get(url).context["adminform"].form.fields


# The groups and the command that puts people in them.


def permissions_of(role):
    group = Group.objects.get(name=role)
    return sorted(
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    )


def test_migrating_makes_each_group_exactly_its_role():
    for role, permissions in ROLES.items():
        assert permissions_of(role) == permissions


def test_the_data_migration_makes_the_groups_with_its_own_models():
    Group.objects.all().delete()
    Permission.objects.filter(codename="publish_post").delete()
    migration = importlib.import_module("posts.migrations.0009_roles")
    state = MigrationExecutor(connection).loader.project_state(("posts", "0009_roles"))
    migration.create_role_groups(state.apps, connection.schema_editor())
    for role, permissions in ROLES.items():
        assert permissions_of(role) == permissions


@pytest.mark.server
def test_unapplying_review_turns_the_posts_in_review_into_drafts(tmp_path):
    """In a site of its own on SQLite, where unapplying remakes the posts table."""
    database = tmp_path / "site.sqlite3"
    environment = site_environment(f"sqlite:///{database}", tmp_path / "static")
    manage(environment, "migrate")
    waiting = (
        "from django.contrib.auth.models import User; from posts.models import Post; "
        "Post.objects.create(title='Waiting', body='Read me', status='in_review', "
        "author=User.objects.create(username='writer'))"
    )
    manage(environment, "shell", "-c", waiting)
    manage(environment, "migrate", "posts", "0008")
    with sqlite3.connect(database) as rows:
        assert rows.execute("SELECT title, status FROM posts_post").fetchall() == [
            ("Waiting", "draft")
        ]
    manage(environment, "migrate")


def test_migrating_again_brings_the_groups_back_to_their_roles():
    editor = Group.objects.get(name=EDITOR)
    editor.permissions.add(Permission.objects.get(codename="delete_user"))
    editor.permissions.remove(Permission.objects.get(codename="publish_post"))
    Group.objects.filter(name=CONTRIBUTOR).delete()
    call_command("migrate", verbosity=0)
    for role, permissions in ROLES.items():
        assert permissions_of(role) == permissions


def test_the_roles_command_puts_a_user_in_one_role(django_user_model):
    user = django_user_model.objects.create_user("cleo")
    call_command("roles", "assign", "cleo", CONTRIBUTOR, stdout=io.StringIO())
    call_command("roles", "assign", "cleo", EDITOR, stdout=io.StringIO())
    user.refresh_from_db()
    assert user.is_staff
    assert [group.name for group in user.groups.all()] == [EDITOR]
    assert user.has_perm("posts.publish_post")
    out = io.StringIO()
    call_command("roles", "list", stdout=out)
    assert "members: cleo" in out.getvalue()


def test_the_roles_command_takes_a_user_out_of_the_admin(django_user_model):
    user = django_user_model.objects.create_user("cleo")
    call_command("roles", "assign", "cleo", EDITOR, stdout=io.StringIO())
    call_command("roles", "remove", "cleo", stdout=io.StringIO())
    user.refresh_from_db()
    assert not user.is_staff and not user.groups.exists()


def test_the_roles_command_names_an_unknown_user():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("roles", "assign", "nobody", EDITOR)


def test_a_superuser_needs_no_role(client, staff, make_post):
    client.force_login(staff)
    post = make_post()
    assert client.get(change_url(post)).status_code == 200
    assert staff.has_perm("posts.publish_post") and not staff.groups.exists()


def test_a_contributor_uploads_as_themselves(client, django_user_model):
    user = person(django_user_model, "cleo", "contributor")
    client.force_login(user)
    response = client.post(UPLOAD, {"file": picture_file("PNG"), "alt_text": "Dot"})
    assert response.status_code == 201
    assert Image.objects.get().uploaded_by == user


@pytest.mark.skipif(
    not (VNU_JAR.exists() and shutil.which("java")),
    reason="the Nu HTML Checker needs Java and `npm ci --prefix tests/tools` (bin/test)",
)
def test_the_review_screens_are_valid_html(client, django_user_model, tmp_path):
    contributor = person(django_user_model, "cleo", "contributor")
    editor = person(django_user_model, "eve", "editor")
    sent_back = make(contributor, review_note="Two things:\n<b>sources</b> & a title.")
    public = make(contributor, "public")
    make(contributor, "in_review")
    client.force_login(contributor)
    pages = {
        "contributor-add": client.get(ADD).text,
        "sent-back": client.get(change_url(sent_back)).text,
        "read-only": client.get(change_url(public)).text,
        "contributor-index": client.get(reverse("admin:index")).text,
    }
    client.force_login(editor)
    pages |= {
        "editor-index": client.get(reverse("admin:index")).text,
        "editor-change": client.get(change_url(sent_back)).text,
    }
    assert "Sent back by an editor" in pages["sent-back"]
    assert "1 post waits for review" in pages["editor-index"]
    assert validation_errors(pages, tmp_path) == []


def test_a_post_in_review_exports_as_a_draft(author):
    from posts.management.commands.export_markdown import markdown_file

    post = make(author, "in_review")
    assert "\ndraft: true\n" in markdown_file(post, post.body)
