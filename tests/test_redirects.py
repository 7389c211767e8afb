"""Moving addresses: a public post's old address answers 301 to its current one."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from posts.models import Post, Redirect

pytestmark = pytest.mark.django_db


def move(post, slug):
    post.slug = slug
    post.full_clean()
    post.save()
    return post


def test_an_old_address_answers_301_to_the_new_one(client, make_post):
    move(make_post(title="First name"), "second-name")
    response = client.get("/posts/first-name/")
    assertRedirects(response, "/posts/second-name/", status_code=301)


def test_the_markdown_twin_moves_too(client, make_post):
    move(make_post(title="First name"), "second-name")
    response = client.get("/posts/first-name.md")
    assertRedirects(response, "/posts/second-name.md", status_code=301)


def test_chains_collapse_to_the_current_address(client, make_post):
    post = make_post(title="A")
    move(post, "b")
    move(post, "c")
    for old in ("a", "b"):
        response = client.get(f"/posts/{old}/")
        assert response.status_code == 301
        assert response["Location"] == "/posts/c/"


def test_moving_back_to_an_old_address_drops_its_redirect(client, make_post):
    post = make_post(title="A")
    move(post, "b")
    move(post, "a")
    assert client.get("/posts/a/").status_code == 200
    assert client.get("/posts/b/")["Location"] == "/posts/a/"


def test_a_new_post_takes_over_an_old_address(client, make_post):
    move(make_post(title="Taken"), "moved-away")
    newcomer = make_post(title="Newcomer", slug="taken")
    response = client.get("/posts/taken/")
    assert response.status_code == 200
    assert response.context["post"] == newcomer
    assert not Redirect.objects.filter(old_slug="taken").exists()


def test_a_drafts_old_address_is_not_kept(make_post):
    move(make_post(title="Draft", status=Post.Status.DRAFT), "better")
    assert not Redirect.objects.exists()


def test_readers_are_not_redirected_to_a_post_they_cannot_see(client, make_post):
    post = move(make_post(title="Was public"), "now-draft")
    post.unpublish()
    assert client.get("/posts/was-public/").status_code == 404


def test_an_unknown_address_is_still_404(client, db):
    assert client.get("/posts/never-was/").status_code == 404


def test_a_redirect_costs_two_queries(client, make_post, django_assert_num_queries):
    move(make_post(title="Old"), "new")
    with django_assert_num_queries(2):
        assert client.get("/posts/old/").status_code == 301


def test_the_sitemap_and_feed_use_the_current_address(client, make_post):
    move(make_post(title="Old"), "new")
    sitemap = client.get(reverse("posts:sitemap-section", kwargs={"section": "posts"}))
    feed = client.get(reverse("posts:site-feed", kwargs={"filename": "atom.xml"}))
    for response in (sitemap, feed):
        assert "/posts/new/" in response.text and "/posts/old/" not in response.text


def test_staff_see_old_addresses_in_the_admin(client, staff, make_post):
    post = move(make_post(title="Old"), "new")
    client.force_login(staff)
    response = client.get(reverse("admin:posts_post_change", args=[post.pk]))
    assertContains(response, "/posts/old/")
