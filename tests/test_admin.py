from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from posts import caching, rendering
from posts.models import Post, Tag

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:posts_post_changelist")
ADD = reverse("admin:posts_post_add")


@pytest.fixture
def editor_client(client, staff):
    client.force_login(staff)
    return client


def form_data(**fields):
    data = {
        "title": "From the admin",
        "slug": "",
        "body": "Hello *admin*",
        "summary": "",
        "status": Post.Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
    }
    return data | fields


def change_url(post):
    return reverse("admin:posts_post_change", args=[post.pk])


def test_changelist_shows_posts_with_status_and_tags(editor_client, make_post):
    make_post(title="Listed", tags=["alpha", "beta"])
    make_post(title="Later", published_at=timezone.now() + timedelta(days=1))
    response = editor_client.get(CHANGELIST)
    assertContains(response, "Listed")
    assertContains(response, "alpha, beta")
    assertContains(response, "Scheduled")


def test_changelist_filters_and_searches(editor_client, make_post):
    make_post(title="Needle", body="haystack")
    make_post(title="Other", status=Post.Status.DRAFT)
    assert [
        p.title for p in editor_client.get(CHANGELIST, {"q": "hayst"}).context["cl"].result_list
    ] == ["Needle"]
    drafts = editor_client.get(CHANGELIST, {"status__exact": "draft"}).context["cl"].result_list
    assert [p.title for p in drafts] == ["Other"]


def test_add_form_defaults_the_author_to_the_current_user(editor_client, staff):
    form = editor_client.get(ADD).context["adminform"].form
    assert form.initial["author"] == staff.pk


def test_body_is_edited_in_a_roomy_monospace_textarea(editor_client):
    assertContains(editor_client.get(ADD), 'class="vLargeTextField markdown-source"')


def test_adding_a_post_renders_it_and_makes_its_slug(editor_client, staff):
    tag = Tag.objects.create(name="News")
    response = editor_client.post(
        ADD, form_data(author=staff.pk, tags=[tag.pk], status=Post.Status.PUBLISHED)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    post = Post.objects.get()
    assert post.slug == "from-the-admin"
    assert post.body_html == "<p>Hello <em>admin</em></p>\n"
    assert post.is_public
    assert list(post.tags.all()) == [tag]


def test_change_page_shows_a_rendered_preview_and_view_on_site(editor_client, make_post):
    post = make_post(body="Preview **me**")
    response = editor_client.get(change_url(post))
    assertContains(response, '<div class="post-preview"><p>Preview <strong>me</strong></p>')
    content_type = ContentType.objects.get_for_model(Post)
    view_on_site = reverse("admin:view_on_site", args=[content_type.pk, post.pk])
    assertContains(response, f'<a href="{view_on_site}" class="viewsitelink">', html=False)
    assert editor_client.get(view_on_site)["Location"].endswith(post.get_absolute_url())


def test_editing_the_body_rerenders(editor_client, make_post, staff):
    post = make_post(status=Post.Status.DRAFT)
    response = editor_client.post(
        change_url(post), form_data(slug=post.slug, author=staff.pk, body="Now _new_")
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.body_html == "<p>Now <em>new</em></p>\n"


def test_oversized_body_is_a_form_error_and_keeps_the_text(editor_client, staff):
    body = "x" * (rendering.MAX_SOURCE_BYTES + 10)
    response = editor_client.post(ADD, form_data(author=staff.pk, body=body))
    assert response.status_code == 200
    assert "the limit is 256 KB" in response.context["adminform"].form.errors["body"][0]
    assert response.context["adminform"].form["body"].value() == body
    assert not Post.objects.exists()


def test_unrenderable_body_is_a_form_error(editor_client, staff):
    response = editor_client.post(ADD, form_data(author=staff.pk, body="> " * 30 + "deep"))
    assertContains(response, "nested more than 20 levels deep")
    assert not Post.objects.exists()


def test_duplicate_slug_is_a_form_error(editor_client, make_post, staff):
    make_post(title="Taken")
    response = editor_client.post(ADD, form_data(author=staff.pk, slug="taken"))
    assertContains(response, "Post with this Slug already exists.")
    assert Post.objects.count() == 1


def test_bad_date_is_a_form_error(editor_client, staff):
    response = editor_client.post(
        ADD, form_data(author=staff.pk, published_at_0="2026-13-45", published_at_1="25:99")
    )
    assert "published_at" in response.context["adminform"].form.errors
    assert not Post.objects.exists()


def test_changing_a_public_posts_slug_keeps_the_old_address(editor_client, make_post, staff):
    post = make_post(title="Live")
    data = form_data(
        title="Live",
        slug="moved",
        author=staff.pk,
        status=Post.Status.PUBLISHED,
        published_at_0=post.published_at.strftime("%Y-%m-%d"),
        published_at_1=post.published_at.strftime("%H:%M:%S"),
    )
    response = editor_client.post(change_url(post), data)
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.slug == "moved"
    assert editor_client.get("/posts/live/")["Location"] == "/posts/moved/"


def test_publish_now_action(editor_client, make_post, now):
    draft = make_post(status=Post.Status.DRAFT, published_at=None)
    scheduled = make_post(published_at=timezone.now() + timedelta(days=5))
    response = editor_client.post(
        CHANGELIST,
        {"action": "publish_now", "_selected_action": [draft.pk, scheduled.pk]},
        follow=True,
    )
    assertContains(response, "Published 2 posts.")
    for post in (draft, scheduled):
        post.refresh_from_db()
        assert post.is_public and post.published_at == timezone.now()


def test_unpublish_action(editor_client, make_post):
    post = make_post()
    response = editor_client.post(
        CHANGELIST, {"action": "unpublish", "_selected_action": [post.pk]}, follow=True
    )
    assertContains(response, "Moved 1 post back to drafts.")
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_tag_admin_lists_post_counts(editor_client, make_post):
    make_post(tags=["counted"])
    response = editor_client.get(reverse("admin:posts_tag_changelist"))
    assertContains(response, "counted")


def test_admin_requires_login(client, db):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("query", [{"q": "a" * 10_000}, {"status__exact": "nonsense"}])
def test_odd_changelist_queries_do_not_crash(editor_client, make_post, query):
    make_post()
    assert editor_client.get(CHANGELIST, query).status_code in {200, 302}


def test_search_with_a_nul_character_is_a_bad_request(editor_client, make_post):
    make_post()
    assertContains(editor_client.get(CHANGELIST, {"q": "a\x00b"}), "Bad request", status_code=400)


def test_nul_characters_in_a_post_are_a_form_error(editor_client, staff):
    response = editor_client.post(ADD, form_data(author=staff.pk, body="a\x00b"))
    assertContains(response, "Null characters are not allowed.")
    assert not Post.objects.exists()


def test_saving_warns_about_what_keeps_readers_out(editor_client, staff):
    body = (
        "# Title again\n\n#### Too deep\n\n![](/static/favicon.svg)\n\n"
        "[](https://example.com/) and [fine](https://example.org/)\n"
    )
    response = editor_client.post(ADD, form_data(author=staff.pk, body=body), follow=True)
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == [
        "An image has no alt text (/static/favicon.svg): describe it in the brackets, "
        "![like this](…), for readers who cannot see it.",
        "Level-1 heading in the body (“Title again”): the title is the page's level-1 "
        "heading. Start sections with ## instead.",
        "The heading “Too deep” skips from level 1 to 4: go down one level at a time, so "
        "the outline makes sense to screen readers.",
        "A link has no text (https://example.com/): write what it leads to between the "
        "brackets, [like this](…).",
    ]
    assert Post.objects.get().body == body.strip()  # a hint never blocks the save


def test_a_well_formed_post_gets_no_warnings(editor_client, staff):
    body = "## Section\n\n### Part\n\n![A cat](/cat.png) and [a link](https://example.org/)"
    response = editor_client.post(ADD, form_data(author=staff.pk, body=body), follow=True)
    assert [m for m in response.context["messages"] if m.level_tag == "warning"] == []


def test_images_inside_links_give_the_link_its_text(editor_client, staff):
    body = "[![A cat](/cat.png)](https://example.org/)"
    response = editor_client.post(ADD, form_data(author=staff.pk, body=body), follow=True)
    assert [m for m in response.context["messages"] if m.level_tag == "warning"] == []


def test_the_post_lists_checkbox_is_djangos_own(make_post):
    post = make_post(title='Quotes " & <tags>')
    post_admin = admin.site._registry[Post]
    assert post_admin.action_checkbox(post) == admin.ModelAdmin.action_checkbox(post_admin, post)


def test_the_post_list_remembers_its_count_until_content_changes(
    client, staff, make_post, settings
):
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    caching.content_changed()  # nothing remembered by an earlier test applies
    tag = Tag.objects.create(name="Everywhere")
    make_post(title="One", tags=[tag])
    client.force_login(staff)
    url = reverse("admin:posts_post_changelist") + f"?tags__id__exact={tag.pk}"
    with CaptureQueriesContext(connection) as first:
        assertContains(client.get(url), "1 post")
    with CaptureQueriesContext(connection) as second:
        assertContains(client.get(url), "1 post")

    def counts(queries):
        return [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"]]

    assert counts(first)
    assert not counts(second)
    make_post(title="Two", tags=[tag])
    assertContains(client.get(url), "2 posts")
