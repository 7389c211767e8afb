"""Moving addresses: the old address of a public post, or of a page that has been
published, answers 301 to its current one."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertRedirects

from posts.models import Page, PageRedirect, Post, Redirect

pytestmark = pytest.mark.django_db


def move(post_or_page, slug):
    post_or_page.slug = slug
    post_or_page.full_clean()
    post_or_page.save()
    return post_or_page


def test_an_old_address_answers_301_to_the_new_one(client, make_post):
    move(make_post(title="First name"), "second-name")
    response = client.get("/posts/first-name/")
    assertRedirects(response, "/posts/second-name/", status_code=301)


def test_the_markdown_twin_moves_too(client, make_post):
    move(make_post(title="First name"), "second-name")
    response = client.get("/posts/first-name.md")
    assertRedirects(response, "/posts/second-name.md", status_code=301)


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


# Pages: /<slug>/ moves like /posts/<slug>/, once the page has been published


@pytest.fixture
def make_page(db):
    def make(**fields):
        defaults = {"title": "About", "slug": "about", "body": "Who we are."}
        return Page.objects.create(**defaults | {"status": Page.Status.PUBLISHED} | fields)

    return make


def test_a_published_pages_old_address_answers_301_to_the_new_one(client, make_page):
    move(make_page(), "team")
    assertRedirects(client.get("/about/"), "/team/", status_code=301)


@pytest.fixture(params=["post", "page"])
def moved(request, make_post, make_page):
    """(a public post or page with the slug "a", its address for a slug)."""
    if request.param == "post":
        return make_post(title="A"), lambda slug: f"/posts/{slug}/"
    return make_page(slug="a"), lambda slug: f"/{slug}/"


def test_chains_collapse_to_the_current_address(client, moved):
    post_or_page, address = moved
    move(post_or_page, "b")
    move(post_or_page, "c")
    for old in ("a", "b"):
        response = client.get(address(old))
        assert response.status_code == 301
        assert response["Location"] == address("c")


def test_moving_back_to_an_old_address_drops_its_redirect(client, moved):
    post_or_page, address = moved
    move(post_or_page, "b")
    move(post_or_page, "a")
    assert client.get(address("a")).status_code == 200
    assert client.get(address("b"))["Location"] == address("a")


def test_a_new_page_takes_over_an_old_page_address(client, make_page):
    move(make_page(), "team")
    newcomer = make_page(title="About us", slug="about")
    response = client.get("/about/")
    assert response.status_code == 200
    assert response.context["page"] == newcomer
    assert not PageRedirect.objects.filter(old_slug="about").exists()


def test_the_admin_lets_a_new_page_take_an_old_address(client, staff, make_page):
    move(make_page(), "team")
    client.force_login(staff)
    form = {"title": "About", "slug": "about", "body": "New.", "summary": ""}
    form |= {"status": Page.Status.PUBLISHED, "navigation_position": ""}
    response = client.post(reverse("admin:posts_page_add"), form)
    assert response.status_code == 302
    assert Page.objects.get(slug="about").body == "New."
    assert not PageRedirect.objects.exists()


def test_a_draft_renamed_before_it_was_ever_published_leaves_no_redirect(client, make_page):
    page = move(make_page(slug="working-title", status=Page.Status.DRAFT), "about")
    page.status = Page.Status.PUBLISHED
    move(page, "about-us")  # published and renamed at once: the old address was a draft's
    assert not PageRedirect.objects.exists()
    assert client.get("/working-title/").status_code == 404
    assert client.get("/about/").status_code == 404


def test_a_draft_pages_old_addresses_answer_404_while_it_is_a_draft(client, staff, make_page):
    page = move(make_page(), "team")
    page.status = Page.Status.DRAFT
    page.save()
    assert client.get("/about/").status_code == 404
    client.force_login(staff)
    assert client.get("/about/").status_code == 404
    assert client.get("/team/").status_code == 200  # the draft itself, for staff
    page.status = Page.Status.PUBLISHED
    page.save()
    assert client.get("/about/")["Location"] == "/team/"


def test_a_page_renamed_while_unpublished_keeps_its_public_address(client, make_page):
    page = make_page()
    page.status = Page.Status.DRAFT
    move(page, "team")
    assert client.get("/about/").status_code == 404
    page.status = Page.Status.PUBLISHED
    page.save()
    assert client.get("/about/")["Location"] == "/team/"


def test_a_save_that_does_not_write_the_slug_keeps_no_redirect(make_page):
    page = make_page()
    page.slug, page.title = "unsaved", "Renamed"
    page.save(update_fields=["title"])
    assert not PageRedirect.objects.exists()


def test_post_and_page_addresses_move_apart(client, make_page, make_post):
    move(make_page(), "team")
    make_post(title="About")
    assert client.get("/posts/about/").status_code == 200
    assert client.get("/about/")["Location"] == "/team/"


def test_an_unknown_page_address_is_still_404(client, db):
    assert client.get("/never-was/").status_code == 404


def test_a_page_redirect_costs_two_queries(client, make_page, django_assert_num_queries):
    move(make_page(), "team")
    # The page at the address (none), then the page that had it, if published.
    with django_assert_num_queries(2):
        assert client.get("/about/").status_code == 301


def test_staff_see_a_pages_old_addresses_in_the_admin(client, staff, make_page):
    page = move(make_page(), "team")
    client.force_login(staff)
    response = client.get(reverse("admin:posts_page_change", args=[page.pk]))
    assertContains(response, "<code>/about/</code>", html=True)
    assert client.get(reverse("admin:posts_page_add")).status_code == 200


def test_bulk_writes_note_a_pages_first_publication(make_page, now):
    draft = make_page(slug="draft", status=Page.Status.DRAFT)
    assert draft.first_published_at is None
    Page.objects.filter(pk=draft.pk).update(status=Page.Status.PUBLISHED)
    draft.refresh_from_db()
    assert draft.first_published_at == timezone.now()
    now.shift(60)
    Page.objects.filter(pk=draft.pk).update(status=Page.Status.PUBLISHED)
    draft.refresh_from_db()
    assert draft.first_published_at == timezone.now() - timedelta(seconds=60)
    _, unpublished = Page.objects.bulk_create(
        [
            Page(title="B", slug="b", body="b", status=Page.Status.PUBLISHED),
            Page(title="C", slug="c", body="c", status=Page.Status.DRAFT),
        ]
    )
    unpublished.status = Page.Status.PUBLISHED
    Page.objects.bulk_update([unpublished], ["status"])
    pages = Page.objects.filter(slug__in=["b", "c"])
    assert [page.first_published_at for page in pages] == [timezone.now(), timezone.now()]


def test_migrating_marks_pages_published_already(make_page):
    page = make_page()
    draft = make_page(slug="draft", status=Page.Status.DRAFT)
    Page.objects.update(first_published_at=None)
    migration = importlib.import_module("posts.migrations.0011_page_redirect")
    state = MigrationExecutor(connection).loader.project_state(("posts", "0011_page_redirect"))
    migration.mark_published_pages(state.apps, None)
    page.refresh_from_db()
    draft.refresh_from_db()
    assert page.first_published_at == page.created_at
    assert draft.first_published_at is None
