import io

import pytest
from django.core.management import CommandError, call_command
from pytest_django.asserts import assertInHTML

from posts.models import Page, Post, Tag

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "posts": sorted(
            Post.objects.values_list(
                "slug", "title", "body", "body_html", "status", "published_at", "author__username"
            )
        ),
        "tags": sorted(Tag.objects.values_list("slug", "name")),
        "post_tags": sorted(Post.tags.through.objects.values_list("post__slug", "tag__slug")),
    }


def test_seed_demo_creates_published_draft_and_scheduled_posts(client):
    call_command("seed_demo", stdout=io.StringIO())
    assert Post.objects.published().count() == 4
    assert Post.objects.filter(status=Post.Status.DRAFT).count() == 1
    assert sum(post.is_scheduled for post in Post.objects.all()) == 1
    tour = Post.objects.get(slug="a-tour-of-markdown")
    assert '<span class="k">' in tour.body_html
    assert client.get(tour.get_absolute_url()).status_code == 200


def test_seed_demo_creates_an_about_page_in_the_navigation(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    about = Page.objects.get()
    assert about.get_absolute_url() == "/about/"
    assertInHTML('<a href="/about/">About</a>', client.get("/").text)


def test_seed_demo_gives_each_post_its_first_revision_once():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    for post in Post.objects.all():
        assert post.revisions.count() == 1
        assert post.revisions.get().body == post.body


def test_seed_demo_twice_leaves_the_same_content():
    call_command("seed_demo", stdout=io.StringIO())
    first = snapshot()
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot() == first


def test_seed_demo_restores_edited_demo_posts():
    call_command("seed_demo", stdout=io.StringIO())
    first = snapshot()
    Post.objects.filter(slug="welcome-to-markup").update(body="vandalised")
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot() == first


def test_rerender_posts_reports_progress_and_refreshes_html(make_post):
    posts = [make_post(title=f"P{n}", body=f"*{n}*") for n in range(3)]
    Post.objects.filter(pk=posts[0].pk).update(body_html="<p>stale</p>")
    out = io.StringIO()
    call_command("rerender_posts", stdout=out)
    assert "Rendered 3/3 posts" in out.getvalue()
    assert "Re-rendered 3 of 3 posts." in out.getvalue()
    posts[0].refresh_from_db()
    assert posts[0].body_html == "<p><em>0</em></p>\n"


def test_rerender_posts_keeps_going_past_a_post_that_no_longer_renders(make_post, monkeypatch):
    from posts import rendering

    make_post(title="Fine", body="fine")
    make_post(title="Deep", body="> " * 15 + "deep")
    monkeypatch.setattr(rendering, "MAX_NESTING", 10)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=r"1 post\(s\) could not"):
        call_command("rerender_posts", stdout=out, stderr=err)
    assert "Re-rendered 1 of 2 posts." in out.getvalue()
    assert "('Deep') kept its old HTML" in err.getvalue()
